#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_apply.sh broken|missing: apply.sh must stop with one clear line naming
# the patch (and the failing hunk), exit non-zero, and leave no git am in
# progress behind.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/patches"
# A real patch against a real file whose context is wrong.
cat >"$tmp/patches/0001-broken.patch" <<'P'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test <test@example.org>
Date: Sun, 22 Nov 2026 00:00:00 +0000
Subject: [PATCH] test: a patch whose context is not in the tree

---
 mm/hugetlb.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/mm/hugetlb.c b/mm/hugetlb.c
--- a/mm/hugetlb.c
+++ b/mm/hugetlb.c
@@ -1,3 +1,3 @@
 // SPDX-License-Identifier: GPL-2.0-only
-this line is not in mm/hugetlb.c
+neither is this one
 /*
P
case "$1" in
broken) printf '# a comment\n0001-broken.patch\n' >"$tmp/series"
	want='patch 1/1 0001-broken.patch does not apply.*mm/hugetlb.c' ;;
missing) printf '0001-broken.patch\n0002-not-there.patch   # comment\n' >"$tmp/series"
	want='series names 0002-not-there.patch, but .*does not exist' ;;
*) echo "usage: $0 broken|missing"; exit 2 ;;
esac
SERIES_FILE=$tmp/series PATCHDIR=$tmp/patches "$TOP/scripts/apply.sh" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -ne 0 ] || { echo "apply.sh exited 0 on a bad series"; exit 1; }
grep -q "^ERROR: $want" "$tmp/out" || { echo "no clear error line matching '$want'"; exit 1; }
[ ! -d "$SRC/.git/rebase-apply" ] || { echo "git am left in progress"; exit 1; }
# The next real apply must still work (and must not be skipped as "applied").
[ ! -f "$O/.applied" ] || ! grep -q "^$(sha256sum <"$tmp/series" | cut -c1-16)" "$O/.applied" ||
	{ echo "a failed apply was recorded as applied"; exit 1; }
echo "ok: clear error, exit $rc"
