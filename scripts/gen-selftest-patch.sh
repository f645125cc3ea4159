#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gen-selftest-patch.sh --update|--check
#
# tools/testing/selftests/hugetlb in this repository is the one source of the
# selftests; the series carries it as a patch.  This script builds that
# patch with git format-patch on top of the series patches before it (so its
# Makefile and MAINTAINERS hunks apply in order) and either rewrites it
# (--update) or fails when the patch and the directory differ (--check).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mode=${1:---check}
DIR=tools/testing/selftests/hugetlb
MSG=$TOP/scripts/selftests-hugetlb.msg
WT=$O/gen-selftests
[ -d "$TOP/$DIR" ] || die "$TOP/$DIR missing"
[ -f "$MSG" ] || die "commit message $MSG missing"

# The patch's name in series; added at the end when not there yet.
name=$(series_patches | grep -m1 -E 'selftests-hugetlb-add' || true)

# The directory's content as the patch must carry it: tracked files plus
# new ones not ignored (so built binaries never count).
copy_dir() {
	(cd "$TOP" && { git ls-files -z "$DIR"; git ls-files -z --others --exclude-standard "$DIR"; }) |
		while IFS= read -r -d '' f; do
			mkdir -p "$1/$(dirname "$f")"
			cp -p "$TOP/$f" "$1/$f"
		done
}

# --check needs no kernel tree: the files the patch creates must be
# byte-identical to the directory.
check_drift() {
	local patch=$1 tmp rc=0
	tmp=$(mktemp -d)
	mkdir -p "$tmp/a" "$tmp/b"
	git -C "$tmp/a" init -q
	# Only the new files: the Makefile/MAINTAINERS hunks need a kernel tree.
	if ! git -C "$tmp/a" apply --include="$DIR/*" "$patch" 2>"$tmp/err"; then
		echo "ERROR: $patch does not apply as new files: $(head -1 "$tmp/err")" >&2
		rm -rf "$tmp"
		return 1
	fi
	copy_dir "$tmp/b"
	diff -r -q "$tmp/a/$DIR" "$tmp/b/$DIR" >&2 || rc=1
	rm -rf "$tmp"
	return $rc
}

if [ "$mode" = --check ]; then
	[ -n "$name" ] || die "series has no selftests-hugetlb-add patch"
	check_drift "$PATCHDIR/$name" ||
		die "$PATCHDIR/$name and $DIR differ; run 'make selftest-patch' and commit both"
	echo "selftest patch $name matches $DIR"
	exit 0
fi
[ "$mode" = --update ] || die "usage: $0 --update|--check"

if [ -n "$name" ] && check_drift "$PATCHDIR/$name" 2>/dev/null; then
	info "selftest patch: $name is up to date"
	exit 0
fi

[ -d "$SRC/.git" ] || die "no base tree at $SRC; run 'make base' first"
if [ ! -e "$WT/.git" ]; then
	run git -C "$SRC" worktree add -f --detach "$WT" base >/dev/null 2>&1 ||
		die "cannot create worktree $WT"
fi
cd "$WT" || exit 1
[ -d "$(git rev-parse --git-path rebase-apply)" ] && git am --abort
run git checkout -q -f --detach base
git clean -q -fdx
apply_prereqs >/dev/null || exit 1
for p in $(series_patches); do
	[ "$p" = "$name" ] && break
	git am -q "$PATCHDIR/$p" >"$LOGS/gen-selftests.log" 2>&1 ||
		die "patch $p does not apply while generating the selftest patch (see $LOGS/gen-selftests.log)"
done

rm -rf "$DIR"
copy_dir "$WT"

# Hook the directory into the selftests build and MAINTAINERS, in order.
python3 - "$WT" <<'EOF'
import sys
wt = sys.argv[1]
mk = wt + '/tools/testing/selftests/Makefile'
lines = open(mk).read().split('\n')
if 'TARGETS += hugetlb' not in lines:
    i = next(i for i, l in enumerate(lines)
             if l.startswith('TARGETS += ') and l[11:] > 'hugetlb')
    lines.insert(i, 'TARGETS += hugetlb')
    open(mk, 'w').write('\n'.join(lines))
mt = wt + '/MAINTAINERS'
lines = open(mt).read().split('\n')
new = 'F:\ttools/testing/selftests/hugetlb/'
if new not in lines:
    i = lines.index('HUGETLB SUBSYSTEM')
    j = i + 1
    while lines[j] and not (lines[j].startswith('F:') and lines[j] > new):
        j += 1
    lines.insert(j, new)
    open(mt, 'w').write('\n'.join(lines))
EOF
# -f: Debian's tree ignores everything at its top level (/* in .gitignore).
git add -f -A "$DIR" tools/testing/selftests/Makefile MAINTAINERS ||
	die "git add of the selftests failed in $WT"
git diff --cached --quiet -- "$DIR" && die "no selftest files staged in $WT"
GIT_AUTHOR_DATE="2026-11-22T00:00:00Z" GIT_COMMITTER_DATE="2026-11-22T00:00:00Z" \
	git commit -q -F "$MSG" || die "commit of the selftest patch failed"
num=$(series_patches | grep -n -x -F "${name:-none}" | cut -d: -f1)
[ -z "$num" ] && num=$(($(series_patches | wc -l) + 1))
out=$(git format-patch --no-signature --zero-commit --start-number "$num" -1 -o "$WT/.out" HEAD) &&
	[ -f "$out" ] || die "git format-patch of the selftest commit failed in $WT"
new=$(basename "$out")
if [ -n "$name" ] && [ "$name" != "$new" ]; then
	rm -f "$PATCHDIR/$name"
	sed -i "s|^$name\$|$new|" "$SERIES_FILE"
elif [ -z "$name" ]; then
	cat >>"$SERIES_FILE" <<-EOF

	# Topic: hugetlbfs reservation selftests
	#   Generated from tools/testing/selftests/hugetlb by
	#   scripts/gen-selftest-patch.sh; do not edit the patch by hand.
	#   Status: ready for review.  Posted: not yet (make mbox).
	$new
	EOF
fi
mv "$out" "$PATCHDIR/$new"
rm -rf "$WT/.out"
info "selftest patch: wrote $PATCHDIR/$new from $DIR"
