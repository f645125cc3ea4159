#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# matrix.sh: apply the series with git am (no fuzz) to every linux-source-6.1
# version the archive offers, build each, and boot + run the selftests on
# the oldest and the newest.  One result line per version; each version has
# its own build directory under $O/matrix/.  MATRIX_STEPS=apply only checks
# that the series applies (minutes instead of an hour on two cores).
. "$(dirname "$0")/lib.sh"

need_pkgs apt
[ -e "$O/.apt-updated" ] || { logrun "$LOGS/apt-update.log" apt-get update && touch "$O/.apt-updated"; } ||
	die "apt-get update failed (see $LOGS/apt-update.log)"
mapfile -t versions < <(apt-cache madison linux-source-6.1 | awk '{print $3}' | sort -u -V)
[ ${#versions[@]} -gt 0 ] || die "apt-cache knows no linux-source-6.1 versions"
info "matrix: ${#versions[@]} versions: ${versions[*]}"
oldest=${versions[0]}
newest=${versions[-1]}
results=()
rc=0
for v in "${versions[@]}"; do
	mo=$O/matrix/$v
	mkdir -p "$mo"
	export O=$mo BASE=$v
	what="apply+build"
	if [ "${MATRIX_STEPS:-full}" = apply ]; then
		# Quick mode: does the series still git am onto every version?
		what="apply only"
		{ "$TOP/scripts/base.sh" && "$TOP/scripts/apply.sh"; } >"$mo/matrix.log" 2>&1
	elif [ "$v" = "$oldest" ] || [ "$v" = "$newest" ]; then
		what="apply+build+vmtest"
		"$TOP/scripts/vmtest.sh" >"$mo/matrix.log" 2>&1
	else
		{ "$TOP/scripts/base.sh" && "$TOP/scripts/apply.sh" &&
		  "$TOP/scripts/config.sh" && "$TOP/scripts/build.sh"; } >"$mo/matrix.log" 2>&1
	fi
	r=$?
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$mo/matrix.log" | tail -1)
	err=$(grep -m1 '^ERROR' "$mo/matrix.log")
	if [ $r -eq 0 ]; then
		line="PASS $v ($what${summary:+: $summary})"
	else
		line="FAIL $v ($what: ${err:-${summary:-see log}}) (see $mo/matrix.log)"
		rc=1
	fi
	echo "$line"
	results+=("$line")
done
printf '%s\n' "${results[@]}" >"${O%/matrix/*}/matrix.txt"
echo "$(printf '%s\n' "${results[@]}" | grep -c ^PASS) passed, $(printf '%s\n' "${results[@]}" | grep -c ^FAIL) failed"
exit $rc
