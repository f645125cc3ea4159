#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gen-selftest-patch.sh --update|--check
#
# tools/testing/selftests/hugetlb in this repository is the one source of the
# selftests; every series line (6.1: series + patches/, 6.12: series-6.12 +
# patches/6.12/) carries it as a patch of its own.  This script builds each
# patch with git format-patch on top of that line's series patches before it
# (so its Makefile and MAINTAINERS hunks apply in order) and either rewrites
# it (--update) or fails when a patch and the directory differ (--check).
#
# --update needs a base tree of each line whose patch is out of date: the
# current $O/linux when it is of that line, otherwise one unpacked into
# $O/gen-base/LINE (the newest version of linux-source-LINE in the archive,
# GEN_BASE_6_12=VERSION etc. to pick another; 6.1: the installed one).
# GEN_LINES="6.12" limits the run to some lines.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mode=${1:---check}
DIR=tools/testing/selftests/hugetlb
MSG=$TOP/scripts/selftests-hugetlb.msg
[ -d "$TOP/$DIR" ] || die "$TOP/$DIR missing"
[ -f "$MSG" ] || die "commit message $MSG missing"
read -r -a lines <<<"${GEN_LINES:-$LINES}"

# selftest_name SERIES_FILE: the patch's name in a series (empty: not there
# yet, --update adds it at the end).
selftest_name() {
	SERIES_FILE=$1 series_patches | grep -m1 -E 'selftests-hugetlb-add' || true
}

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
	bad=0
	for line in "${lines[@]}"; do
		pd=$(patchdir_for "$line")
		sf=$(series_file_for "$line")
		name=$(selftest_name "$sf")
		if [ -z "$name" ]; then
			echo "ERROR: ${sf#"$TOP"/} has no selftests-hugetlb-add patch" >&2
			bad=1
		elif ! check_drift "$pd/$name"; then
			echo "ERROR: ${pd#"$TOP"/}/$name and $DIR differ; run 'make selftest-patch' and commit both" >&2
			bad=1
		else
			echo "selftest patch ${pd#"$TOP"/}/$name matches $DIR"
		fi
	done
	exit $bad
fi
[ "$mode" = --update ] || die "usage: $0 --update|--check"

# update_line LINE: regenerate that line's selftest patch when it is stale.
update_line() {
	local line=$1 pd sf name tree WT p num out new
	pd=$(patchdir_for "$line")
	sf=$(series_file_for "$line")
	[ -f "$sf" ] || die "series file $sf not found"
	name=$(selftest_name "$sf")
	if [ -n "$name" ] && check_drift "$pd/$name" 2>/dev/null; then
		info "selftest patch: ${pd#"$TOP"/}/$name is up to date"
		return 0
	fi
	tree=$(line_base_tree "$line") || exit 1
	WT=$O/gen-selftests-$line
	# A worktree of another (replaced) base tree is of no use.
	if [ -e "$WT" ] && [ "$(git -C "$WT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" != "$tree/.git" ]; then
		rm -rf "$WT"
		git -C "$tree" worktree prune
	fi
	if [ ! -e "$WT/.git" ]; then
		run git -C "$tree" worktree add -f --detach "$WT" base >/dev/null 2>&1 ||
			die "cannot create worktree $WT"
	fi
	(
	cd "$WT" || exit 1
	[ -d "$(git rev-parse --git-path rebase-apply)" ] && git am --abort
	run git checkout -q -f --detach base
	git clean -q -fdx
	PREREQ_DIR=$pd/prereq apply_prereqs >/dev/null || exit 1
	for p in $(SERIES_FILE=$sf series_patches); do
		[ "$p" = "$name" ] && break
		git am -q "$pd/$p" >"$LOGS/gen-selftests-$line.log" 2>&1 ||
			die "patch $p does not apply while generating the $line selftest patch (see $LOGS/gen-selftests-$line.log)"
	done

	rm -rf "$DIR"
	copy_dir "$WT"

	# Hook the directory into the selftests build (TARGETS, sorted) and
	# the HUGETLB SUBSYSTEM entry of MAINTAINERS, in order.
	python3 - "$WT" <<'PY'
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
PY
	# -f: Debian's tree ignores everything at its top level (/* in .gitignore).
	git add -f -A "$DIR" tools/testing/selftests/Makefile MAINTAINERS ||
		die "git add of the selftests failed in $WT"
	git diff --cached --quiet -- "$DIR" && die "no selftest files staged in $WT"
	# One message; from 6.2 on the vm selftests are selftests/mm.
	if [ "$line" = 6.1 ]; then
		cat "$MSG"
	else
		sed 's|selftests/vm\b|selftests/mm|g' "$MSG"
	fi >"$WT/.msg"
	GIT_AUTHOR_DATE="2026-11-22T00:00:00Z" GIT_COMMITTER_DATE="2026-11-22T00:00:00Z" \
		git commit -q -F "$WT/.msg" || die "commit of the selftest patch failed"
	rm -f "$WT/.msg"
	num=$(SERIES_FILE=$sf series_patches | grep -n -x -F "${name:-none}" | cut -d: -f1)
	[ -z "$num" ] && num=$(($(SERIES_FILE=$sf series_patches | wc -l) + 1))
	out=$(git format-patch --no-signature --zero-commit --start-number "$num" -1 -o "$WT/.out" HEAD) &&
		[ -f "$out" ] || die "git format-patch of the selftest commit failed in $WT"
	new=$(basename "$out")
	if [ -n "$name" ] && [ "$name" != "$new" ]; then
		rm -f "$pd/$name"
		sed -i "s|^$name\$|$new|" "$sf"
	elif [ -z "$name" ]; then
		cat >>"$sf" <<-EOF

		# Topic: hugetlbfs reservation selftests
		#   Generated from tools/testing/selftests/hugetlb by
		#   scripts/gen-selftest-patch.sh; do not edit the patch by hand.
		#   Status: ready for review.  Posted: not yet (make mbox).
		$new
		EOF
	fi
	mkdir -p "$pd"
	mv "$out" "$pd/$new"
	rm -rf "$WT/.out"
	info "selftest patch: wrote ${pd#"$TOP"/}/$new from $DIR"
	) || exit 1
}

for line in "${lines[@]}"; do
	update_line "$line"
done
