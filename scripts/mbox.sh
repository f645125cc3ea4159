#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mbox.sh: the series as it goes to the mailing list, under $O/mbox/vN/:
# git format-patch files with a cover letter (0000-cover-letter.patch),
# To/Cc from the tree's get_maintainer.pl, a base trailer, and one mbox.
#
# The cover letter's numbers come from the outputs of `make vmtest`
# ($O/logs/console-patched.json) and `make bench` ($O/bench.txt), and of
# `make guest-bench` when it has run; nothing is typed in.  The mails are
# sent as `git config user.name/user.email` (scripts/sign-mails.py), which
# must not be the placeholder the commits carry; DRY_RUN=1 marks them
# instead.  TOPIC=fixes (in the Makefile) posts the fixes topic alone.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

. "$TOP/cover/series.conf"
[ -n "$VERSION" ] && [ -n "$CHANGE_ID" ] || die "cover/series.conf needs VERSION and CHANGE_ID"
results=$O/logs/console-patched.json
[ -f "$results" ] || die "no vmtest results at $results; run 'make vmtest' first"
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
python3 - "$out/0000-cover-letter.patch" "$TOP" "$O" "$VERSION" "$CHANGE_ID" \
	"$(printf '%s\n' "${all_to[@]}" | sort -u)" "$(printf '%s\n' "${all_cc[@]}" | sort -u)" <<'EOF'
import json, os, re, sys
path, top, o, version, change_id, to, cc = sys.argv[1:8]
text = open(path).read()
intro = open(os.path.join(top, 'cover', 'intro.txt')).read().strip().split('\n')
subject, story = intro[0], '\n'.join(intro[1:]).strip()

info = dict(l.strip().split('=', 1) for l in open(os.path.join(o, 'base.info')) if '=' in l)
res = json.load(open(os.path.join(o, 'logs', 'console-patched.json')))
st = [t['status'] for t in res['tests']]
vm = '%d passed, %d failed, %d skipped' % (st.count('PASS'), st.count('FAIL') + st.count('ERROR') + st.count('MISS'), st.count('SKIP'))
progs = sorted({t['path'].split('.')[1] for t in res['tests'] if t['path'].startswith('hugetlb.')})
new_cases = sum(1 for t in res['tests'] if t['path'].startswith('hugetlb.'))
bench = [l.rstrip() for l in open(os.path.join(o, 'bench.txt')) if l.strip()]
ratios = [l for l in bench if l.startswith('ratio ') and 'N=1000000' not in l]
mem = [l for l in bench if l.startswith('memory per region') or l.startswith('target ')]

verdict = 'kernel log clean' if not res['splats'] else '%d kernel reports' % len(res['splats'])
if res['problems']:
    verdict += '; run problems: ' + '; '.join(res['problems'])
numbers = ['Measured on this series (x86_64 QEMU TCG guest, lockdep and DEBUG_VM on):', '',
           '  make vmtest: %s; %d cases in %d programs of the new' % (vm, new_cases, len(progs)),
           '  tools/testing/selftests/hugetlb, the rest from selftests/%s;' % ('vm' if info.get('series_line', '6.1') == '6.1' else 'mm'),
           '  %s' % verdict, '',
           '  make bench (userspace, callgrind instructions, old = %s list with' % info.get('series_line', '6.1'),
           '  coalescing, new = this series):']
numbers += ['    ' + l for l in ratios + mem]
gb = os.path.join(o, 'guest-bench.txt')
if os.path.exists(gb):
    numbers += ['', '  make guest-bench (faults in random order, in the guest):']
    numbers += ['    ' + l.rstrip() for l in open(gb) if l.strip()]
numbers += ['', 'The cost: %s coalesces a sequentially faulted private mapping into' % info.get('series_line', '6.1'),
            'one region, this series keeps one region per page (see the region',
            'memory line above); that is the price of per-region uncharge info.']

# cover/changes: a "vN:" line, then that version's items.
changes, cur = [], None
for l in open(os.path.join(top, 'cover', 'changes')):
    m = re.match(r'^v(\d+):\s*$', l)
    if m:
        cur = m.group(1)
    elif cur == version and l.strip():
        changes.append(l.rstrip())
changes = '\n'.join(changes) or '- (none recorded in cover/changes)'
base = ['base-commit: %s' % info['base_commit'],
        'base-debian: %s %s (sha256 %s)' % (info.get('package', 'linux-source-6.1'), info['debian_version'], info['tarball_sha256']),
        'base-kernelversion: %s' % info['kernelversion'],
        'base-upstream-tag: %s' % info['upstream_tag'],
        'change-id: %s' % change_id]

text = text.replace('*** SUBJECT HERE ***', subject)
body = '\n'.join([story, '', '\n'.join(numbers), '', 'Changes in v%s:' % version, changes,
                  '', 'ia64 is not compile-tested: Debian bookworm has no ia64 cross compiler.'])
text = text.replace('*** BLURB HERE ***', body)
text = re.sub(r'\n(base-commit: .*\n)?$', '\n', text.rstrip('\n') + '\n')
text = text.rstrip('\n') + '\n\n' + '\n'.join(base) + '\n'
head, sep, rest = text.partition('\n\n')
hdr = ''
tol = [x for x in to.split('\n') if x]
ccl = [x for x in cc.split('\n') if x]
if tol:
    hdr += '\nTo: ' + ',\n    '.join(tol)
if ccl:
    hdr += '\nCc: ' + ',\n    '.join(ccl)
open(path, 'w').write(head + hdr + sep + rest)
EOF
signopt=()
[ "${DRY_RUN:-0}" = 1 ] && signopt=(--dry-run)
run python3 "$TOP/scripts/sign-mails.py" "${signopt[@]}" "$out"/*.patch ||
	die "no sendable series: see the line above (DRY_RUN=1 for a marked dry run)"
cat "$out"/*.patch >"$out/series-v$VERSION.mbox"
mails=("$out"/*.patch)
n=${#mails[@]}
info "mbox: $n files (cover letter + $((n - 1)) patches) and $out/series-v$VERSION.mbox"
grep -A3 '^Measured' "$out/0000-cover-letter.patch" | sed 's/^/  /'
