#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_quilt.sh: the same series + patches/ apply with quilt (no fuzz) and
# give exactly the tree git am gives.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
need_pkgs quilt

n=$(series_patches | wc -l)
[ "$n" -gt 0 ] || { echo "empty series: nothing for quilt to push"; exit 4; }
wt=$O/quilt-check
git -C "$SRC" worktree remove -f "$wt" >/dev/null 2>&1
rm -rf "$wt"
run git -C "$SRC" worktree add -f --detach "$wt" base >/dev/null 2>&1 || exit 1
cd "$wt" || exit 1
export QUILT_PATCHES=$PATCHDIR QUILT_SERIES=$SERIES_FILE QUILT_PC=$wt/.pc
run quilt push -a -q --fuzz=0 || { echo "quilt push -a --fuzz=0 failed"; exit 1; }
[ "$(quilt applied | wc -l)" -eq "$n" ] || { echo "quilt applied $(quilt applied | wc -l) of $n"; exit 1; }
rm -rf .pc
# -f: Debian's .gitignore ignores everything new at the top level.
git add -A -f . >/dev/null
if ! git diff --cached --quiet "$(cut -d' ' -f2 "$O/.applied")"; then
	git diff --cached --stat "$(cut -d' ' -f2 "$O/.applied")" | tail -5
	echo "quilt tree differs from the git am tree"
	exit 1
fi
cd "$TOP" && git -C "$SRC" worktree remove -f "$wt"
echo "ok: quilt pushed $n patches, tree identical to git am"
