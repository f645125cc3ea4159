#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_checkpatch.sh: every patch of the series passes the tree's
# checkpatch.pl --strict with no error and no warning.
. "$(dirname "$0")/../scripts/lib.sh"

# checkpatch caches CamelCase names in the current directory: keep that in
# the kernel tree, not in this repository.
cd "$SRC" || exit 1
n=0 bad=0
for p in $(series_patches) $(prereq_patches | sed 's|^|prereq/|'); do
	n=$((n + 1))
	out=$("$SRC/scripts/checkpatch.pl" --strict --quiet --show-types \
		"$PATCHDIR/$p" 2>&1)
	# Warnings and checks are allowed only where the commit message gives
	# the reason (a line naming checkpatch); errors never.
	if echo "$out" | grep -qE '^ERROR:' ||
	   { echo "$out" | grep -qE '^(WARNING|CHECK):' &&
	     ! sed '/^---$/q' "$PATCHDIR/$p" | grep -qi 'checkpatch'; }; then
		echo "$p:"
		echo "$out" | head -20
		bad=$((bad + 1))
	fi
done
echo "$n patches checked, $bad with checkpatch --strict findings"
[ "$n" -gt 0 ] || exit 4
[ $bad -eq 0 ]
