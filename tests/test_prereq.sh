#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_prereq.sh: apply_prereqs leaves a base that carries a prerequisite
# alone, applies it to a base that lacks it (as 6.1.170-3 and 6.1.176-1
# do), and stops with one ERROR line on a base where it neither applies
# nor is present.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

mapfile -t prereqs < <(prereq_patches)
[ ${#prereqs[@]} -gt 0 ] || { echo "no prerequisites in $PREREQ_DIR/series"; exit 4; }
p=${prereqs[0]}
wt=$O/prereq-check
git -C "$SRC" worktree remove -f "$wt" >/dev/null 2>&1
rm -rf "$wt"
run git -C "$SRC" worktree add -f --detach "$wt" base >/dev/null 2>&1 || exit 1
cd "$wt" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

out=$(apply_prereqs) || fail "apply_prereqs failed on the base: $out"
echo "$out" | grep -q "$p: already in base" || fail "base not seen to carry $p: $out"
[ "$(git rev-parse HEAD)" = "$(git rev-parse base)" ] || fail "a commit was added to a base that has $p"
echo "ok: the base carries $p and is left alone"

# An older base: the same tree without the fix.
run git apply -R "$PREREQ_DIR/$p" && git commit -q -a -m "older base" || exit 1
out=$(apply_prereqs) || fail "apply_prereqs failed on an older base: $out"
echo "$out" | grep -q "$p: applied" || fail "$p not applied to an older base: $out"
git diff --quiet base HEAD || fail "the older base plus $p differs from the base"
echo "ok: an older base gets $p and then equals the base"

# A base where the prerequisite's file no longer looks like either side.
file=$(sed -n 's|^+++ b/||p' "$PREREQ_DIR/$p" | head -1)
: >"$file" && git commit -q -a -m "unrelated base" || exit 1
head=$(git rev-parse HEAD)
if out=$(apply_prereqs 2>&1); then
	fail "apply_prereqs succeeded on a base it cannot apply to: $out"
fi
echo "$out" | grep -q "^ERROR: prerequisite $p neither applies.*(see .*apply-prereq.log)" ||
	fail "no ERROR line naming $p and the log: $out"
[ "$(git rev-parse HEAD)" = "$head" ] && [ ! -d "$(git rev-parse --git-path rebase-apply)" ] ||
	fail "a failed prerequisite left the tree changed or git am in progress"
echo "ok: $out"

cd "$TOP" && git -C "$SRC" worktree remove -f "$wt"
echo "ok: prerequisites"
