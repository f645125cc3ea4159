#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_drift.sh: the drift check must fail when the selftests directory and
# a line's patch differ (here: the patch with one line of a test file
# changed), for each series line, naming that line's patch.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for line in $LINES; do
	name=$(SERIES_FILE=$(series_file_for "$line") series_patches | grep -m1 selftests-hugetlb-add) ||
		{ echo "no selftests patch in the $line series"; exit 1; }
	rm -rf "$tmp/patches"
	cp -r "$PATCHES_ROOT" "$tmp/patches"
	patch=$(PATCHES_ROOT=$tmp/patches patchdir_for "$line")/$name
	# Change one added line of the patch (a '+' line of a .c file).
	python3 - "$patch" <<'PY'
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
	PATCHES_ROOT=$tmp/patches "$TOP/scripts/gen-selftest-patch.sh" --check >"$tmp/out" 2>&1
	rc=$?
	cat "$tmp/out"
	[ $rc -ne 0 ] || { echo "$line: drift not detected"; exit 1; }
	grep -q "ERROR: .*/$name and .* differ" "$tmp/out" || { echo "$line: no clear message"; exit 1; }
	[ "$(grep -c '^ERROR: ' "$tmp/out")" -eq 1 ] || { echo "$line: the other line's patch was blamed too"; exit 1; }
	echo "ok: $line drift detected"
done
