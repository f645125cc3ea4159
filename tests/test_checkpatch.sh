#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_checkpatch.sh: every patch of every series line (6.1: series and
# patches/prereq/, 6.12: series-6.12) passes checkpatch.pl --strict.  The
# only findings allowed are the ones tests/checkpatch-exemptions names, by
# patch (its path relative to patches/ without the number, so renumbering
# keeps it: mm-hugetlb-..., prereq/fork-..., 6.12/mm-mremap-...), type and
# count, with a reason; errors never.
#
# Each line is checked with the checkpatch.pl of that line's base tree:
# $SRC when it holds that line, else $O/gen-base/LINE/linux, unpacked when
# missing (line_base_tree).  Another line's checkpatch finds other things:
# 6.12's flags MACRO_ARG_UNUSED in the 6.1 series, and $SRC's, carrying
# the series' own MMAP_LOCK rule, flags the 6.12 mmap_lock.h patches.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

EXEMPT=$TOP/tests/checkpatch-exemptions
[ -x "$SRC/scripts/checkpatch.pl" ] || { echo "no kernel tree at $SRC; run 'make base' first"; exit 4; }
src_line=$(sed -n 's/^series_line=//p' "$BASEINFO" 2>/dev/null)
src_line=${src_line:-6.1}

# checkpatch_for LINE: the checkpatch.pl (in its kernel tree) to use for LINE.
checkpatch_for() {
	if [ "$1" = "$src_line" ]; then
		echo "$SRC"
	elif [ -x "$O/gen-base/$1/linux/scripts/checkpatch.pl" ]; then
		echo "$O/gen-base/$1/linux"
	else
		line_base_tree "$1"
	fi
}

n=0 bad=0
checked=()
for line in $LINES; do
	sf=$(series_file_for "$line")
	[ -f "$sf" ] || continue
	pd=$(patchdir_for "$line")
	# Exemption names are relative to patches/.
	rel=${pd#"$PATCHES_ROOT"}
	rel=${rel#/}
	tree=$(checkpatch_for "$line") || exit 1
	echo "line $line (${sf#"$TOP"/}): checkpatch.pl of $tree"
	# checkpatch caches CamelCase names in the current directory: keep
	# that in the kernel tree, not in this repository.
	cd "$tree" || exit 1
	for p in $(SERIES_FILE=$sf series_patches) $(PREREQ_DIR=$pd/prereq prereq_patches | sed 's|^|prereq/|'); do
		key=$(echo "${rel:+$rel/}$p" | sed -E 's#(^|/)[0-9]{4}-#\1#')
		checked+=("$key")
		n=$((n + 1))
		# Debian's python3 (with python3-ply) for spdxcheck.py, not a private one.
		out=$(PATH=/usr/bin:$PATH "$tree/scripts/checkpatch.pl" --strict --quiet --show-types \
			"$pd/$p" 2>&1)
		# "TYPE COUNT" of the findings, and of the exemptions for this patch.
		got=$(echo "$out" | sed -n 's/^\(ERROR\|WARNING\|CHECK\):\([A-Z_]*\):.*/\1 \2/p' |
			sort | uniq -c | awk '{print ($2 == "ERROR" ? "ERROR:" : "") $3, $1}')
		want=$(awk -v p="$key" '!/^#/ && $1 == p {print $2, $3}' "$EXEMPT" | sort)
		if [ "$(echo "$got" | sort)" != "$want" ]; then
			echo "$key: findings (TYPE COUNT) differ from $EXEMPT:"
			diff <(echo "$want") <(echo "$got" | sort) | sed -n 's/^[<>]/   &/p'
			echo "$out" | head -20
			bad=$((bad + 1))
		fi
	done
done
# An exemption for a patch that is no longer in a series is stale too.
while read -r p; do
	printf '%s\n' "${checked[@]}" | grep -qxF "$p" || { echo "stale exemption: $p is not in a series"; bad=$((bad + 1)); }
done < <(awk '!/^#/ && NF {print $1}' "$EXEMPT" | sort -u)
echo "$n patches checked, $bad with checkpatch --strict findings not in $EXEMPT"
[ "$n" -gt 0 ] || exit 4
[ $bad -eq 0 ]
