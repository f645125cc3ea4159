#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_checkpatch.sh: every patch of the series passes the tree's
# checkpatch.pl --strict.  The only findings allowed are the ones
# tests/checkpatch-exemptions names, by patch, type and count, with a
# reason; errors never.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

EXEMPT=$TOP/tests/checkpatch-exemptions
# checkpatch caches CamelCase names in the current directory: keep that in
# the kernel tree, not in this repository.
cd "$SRC" || exit 1
n=0 bad=0
for p in $(series_patches) $(prereq_patches | sed 's|^|prereq/|'); do
	n=$((n + 1))
	# Debian's python3 (with python3-ply) for spdxcheck.py, not a private one.
	out=$(PATH=/usr/bin:$PATH "$SRC/scripts/checkpatch.pl" --strict --quiet --show-types \
		"$PATCHDIR/$p" 2>&1)
	# "TYPE COUNT" of the findings, and of the exemptions for this patch.
	got=$(echo "$out" | sed -n 's/^\(ERROR\|WARNING\|CHECK\):\([A-Z_]*\):.*/\1 \2/p' |
		sort | uniq -c | awk '{print ($2 == "ERROR" ? "ERROR:" : "") $3, $1}')
	want=$(awk -v p="$p" '!/^#/ && $1 == p {print $2, $3}' "$EXEMPT" | sort)
	if [ "$(echo "$got" | sort)" != "$want" ]; then
		echo "$p: findings (TYPE COUNT) differ from $EXEMPT:"
		diff <(echo "$want") <(echo "$got" | sort) | sed -n 's/^[<>]/   &/p'
		echo "$out" | head -20
		bad=$((bad + 1))
	fi
done
# An exemption for a patch that is no longer in the series is stale too.
while read -r p; do
	series_patches | grep -qxF "$p" || { echo "stale exemption: $p is not in the series"; bad=$((bad + 1)); }
done < <(awk '!/^#/ && NF {print $1}' "$EXEMPT" | sort -u)
echo "$n patches checked, $bad with checkpatch --strict findings not in $EXEMPT"
[ "$n" -gt 0 ] || exit 4
[ $bad -eq 0 ]
