#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mbox.sh: the series as it goes to the mailing list, under $O/mbox/vN/:
# git format-patch files with a cover letter (0000-cover-letter.patch),
# To/Cc from the tree's get_maintainer.pl, a base trailer, and one mbox.
#
# The cover letter's measured numbers come from the outputs of `make
# vmtest` ($O/logs/console-patched.json), `make bench` ($O/bench.txt),
# and of `make clear-cost` and `make guest-bench` when they have run
# (scripts/cover-letter.py); only the story's maple tree figures are
# quoted, from docs/region-index-choice.md.  The mails are
# sent as `git config user.name/user.email` (scripts/sign-mails.py), which
# must not be the placeholder the commits carry; DRY_RUN=1 marks them
# instead.  TOPIC=fixes (in the Makefile) posts the fixes topic alone.
# OTHER_O=DIR adds the other base's `make vmtest`/`make bench` results
# from DIR (its own output directory) to the cover letter, side by side.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

. "$TOP/cover/series.conf"
[ -n "$VERSION" ] && [ -n "$CHANGE_ID" ] || die "cover/series.conf needs VERSION and CHANGE_ID"
results=$O/logs/console-patched.json
[ -f "$results" ] || die "no vmtest results at $results; run 'make vmtest' first"
[ -z "${OTHER_O:-}" ] || [ -f "$OTHER_O/logs/console-patched.json" ] ||
	die "OTHER_O=$OTHER_O has no vmtest results; run 'make vmtest O=$OTHER_O BASE=...' first"
if [ ! -f "$O/bench.txt" ]; then
	info "mbox: no bench results yet, running make bench"
	"$TOP/scripts/bench.sh" >"$LOGS/bench.log" 2>&1 || die "make bench failed (see $LOGS/bench.log)"
fi
"$TOP/scripts/apply.sh" || exit 1

out=$O/mbox/v$VERSION
rm -rf "$out"
mkdir -p "$out"
cd "$SRC" || exit 1
run git format-patch -q --no-signature --cover-letter --thread=shallow \
	--subject-prefix="PATCH v$VERSION" -o "$out" base..HEAD ||
	die "git format-patch failed"
[ "$VERSION" = 1 ] && for f in "$out"/*.patch; do
	sed -i '1,/^$/s/^Subject: \[PATCH v1 /Subject: [PATCH /' "$f"
done

# To: the maintainers, Cc: lists and reviewers, per patch; all of them on
# the cover letter.
gm() { "$SRC/scripts/get_maintainer.pl" --no-git --no-git-fallback --no-rolestats "$@" 2>/dev/null; }
all_to=() all_cc=()
for f in "$out"/0[0-9][0-9][0-9]-*.patch; do
	case "$f" in *0000-cover-letter.patch) continue ;; esac
	mapfile -t to < <(gm --no-l --no-r "$f")
	mapfile -t cc < <(gm --no-m "$f")
	all_to+=("${to[@]}")
	all_cc+=("${cc[@]}")
	python3 - "$f" "$(printf '%s\n' "${to[@]}")" "$(printf '%s\n' "${cc[@]}")" <<'EOF'
import sys
path, to, cc = sys.argv[1], [x for x in sys.argv[2].split('\n') if x], [x for x in sys.argv[3].split('\n') if x]
text = open(path).read()
head, sep, body = text.partition('\n\n')
extra = ''
if to:
    extra += '\nTo: ' + ',\n    '.join(to)
if cc:
    extra += '\nCc: ' + ',\n    '.join(cc)
open(path, 'w').write(head + extra + sep + body)
EOF
done

# The cover letter: story, measured numbers, changes, base.
python3 "$TOP/scripts/cover-letter.py" "$out/0000-cover-letter.patch" "$TOP" "$O" "$VERSION" "$CHANGE_ID" \
	"$(printf '%s\n' "${all_to[@]}" | sort -u)" "$(printf '%s\n' "${all_cc[@]}" | sort -u)" "${OTHER_O:-}" ||
	die "cannot write the cover letter"
signopt=()
[ "${DRY_RUN:-0}" = 1 ] && signopt=(--dry-run)
run python3 "$TOP/scripts/sign-mails.py" "${signopt[@]}" "$out"/*.patch ||
	die "no sendable series: see the line above (DRY_RUN=1 for a marked dry run)"
cat "$out"/*.patch >"$out/series-v$VERSION.mbox"
mails=("$out"/*.patch)
n=${#mails[@]}
info "mbox: $n files (cover letter + $((n - 1)) patches) and $out/series-v$VERSION.mbox"
grep -A3 '^Measured' "$out/0000-cover-letter.patch" | sed 's/^/  /'
