#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_drift.sh: the drift check must fail when the selftests directory and
# its patch differ (here: the patch with one line of a test file changed).
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

name=$(series_patches | grep -m1 selftests-hugetlb-add) || { echo "no selftests patch in series"; exit 4; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$PATCHDIR" "$tmp/patches"
# Change one added line of the patch (a '+' line of a .c file).
python3 - "$tmp/patches/$name" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
infile = False
for i, l in enumerate(lines):
    if l.startswith('+++ b/') and l.endswith('.c'):
        infile = True
    elif infile and l.startswith('+') and 'include' in l:
        lines[i] = l + ' /* drift */'
        break
open(p, 'w').write('\n'.join(lines))
PY
PATCHDIR=$tmp/patches "$TOP/scripts/gen-selftest-patch.sh" --check >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -ne 0 ] || { echo "drift not detected"; exit 1; }
grep -q 'differ' "$tmp/out" || { echo "no clear message"; exit 1; }
echo "ok: drift detected"
