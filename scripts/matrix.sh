#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# matrix.sh: apply each line's series with git am (no fuzz) to every
# version of its package the archive offers (linux-source-6.1: series,
# linux-source-6.12: series-6.12), build each, and boot + run the selftests
# on the oldest and the newest of each line.  One result line per version;
# each version has its own build directory under $O/matrix/.
# MATRIX_STEPS=apply only checks that the series applies (minutes instead of
# an hour on two cores); MATRIX_LINES="6.12" limits the lines.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs apt
[ -e "$O/.apt-updated" ] || { logrun "$LOGS/apt-update.log" apt-get update && touch "$O/.apt-updated"; } ||
	die "apt-get update failed (see $LOGS/apt-update.log)"
versions=()
ends=()
for line in ${MATRIX_LINES:-$LINES}; do
	mapfile -t lv < <(apt-cache madison "linux-source-$line" | awk '{print $3}' | sort -u -V)
	[ ${#lv[@]} -gt 0 ] || die "apt-cache knows no linux-source-$line versions"
	versions+=("${lv[@]}")
	ends+=("${lv[0]}" "${lv[-1]}")
done
info "matrix: ${#versions[@]} versions: ${versions[*]}"
top_o=$O
results=()
rc=0
for v in "${versions[@]}"; do
	mo=$top_o/matrix/$(vdir "$v")
	mkdir -p "$mo"
	what="apply+build"
	[ "${MATRIX_STEPS:-full}" = apply ] && what="apply only"
	[ "$what" = apply+build ] && [[ " ${ends[*]} " == *" $v "* ]] &&
		what="apply+build+vmtest"
	info "matrix: $v: $what (log $mo/matrix.log)"
	# Each version gets its own O (subshell), so nothing leaks into the next.
	(
		export O=$mo BASE=$v
		case $what in
		"apply only")	"$TOP/scripts/base.sh" && "$TOP/scripts/apply.sh" ;;
		apply+build)	"$TOP/scripts/base.sh" && "$TOP/scripts/apply.sh" &&
				"$TOP/scripts/config.sh" && "$TOP/scripts/build.sh" ;;
		*)		"$TOP/scripts/vmtest.sh" ;;
		esac
	) >"$mo/matrix.log" 2>&1
	r=$?
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$mo/matrix.log" | tail -1)
	err=$(grep -m1 '^ERROR' "$mo/matrix.log")
	npre=$(grep -c '^  prerequisite .*: applied$' "$mo/matrix.log")
	pre=""
	[ "$npre" -eq 1 ] && pre=", +1 prerequisite from patches/prereq"
	[ "$npre" -gt 1 ] && pre=", +$npre prerequisites from patches/prereq"
	if [ $r -eq 0 ]; then
		line="PASS $v ($what$pre${summary:+: $summary})"
	else
		line="FAIL $v ($what$pre: ${err:-${summary:-see log}}) (see $mo/matrix.log)"
		rc=1
	fi
	echo "$line"
	results+=("$line")
done
printf '%s\n' "${results[@]}" >"$top_o/matrix.txt"
echo "$(printf '%s\n' "${results[@]}" | grep -c ^PASS) passed, $(printf '%s\n' "${results[@]}" | grep -c ^FAIL) failed"
exit $rc
