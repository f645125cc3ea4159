#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftest-mutants.sh [N...]: show that the selftests of issue 15's
# scenarios fail on a kernel where the behaviour they check is broken.
#
# tests/selftest-mutants/hugetlb-mutants.diff adds to the patched tree a
# kernel parameter, hugetlb_mutant=N, each value of which breaks one
# behaviour, most of them by undoing an upstream fix at run time (the
# diff says which).  tests/selftest-mutants/list names, for each N, the
# program to run and the cases that must fail.
#
# The script applies the diff to $O/linux (after 'make apply'), builds
# bzImage once into $O/kbuild-mutants with the vmtest .config, puts the
# tree back, and boots that kernel with the patched initramfs: first with
# no mutant, where every listed case must pass, then once per mutant with
# its program, where each listed case must fail, crash or time out.
# Prints one line per boot and "killed N of N"; exits non-zero if a case
# passed where it must fail, or failed where it must pass.  N...: only
# those mutants.  Logs in $LOGS/console-mutant-N.*.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MDIR=$TOP/tests/selftest-mutants
KM=$O/kbuild-mutants
[ -d "$SRC/.git" ] || die "no patched tree at $SRC; run 'make apply' first"
[ -f "$O/kbuild/.config" ] || die "$O/kbuild/.config missing; run 'make config' first"
[ -f "$O/initramfs-patched/initramfs.cpio.gz" ] || die "no patched initramfs; run 'make initramfs' first"
git -C "$SRC" diff --quiet HEAD || die "$SRC has local changes; run 'make apply' first"
build_lock

# The list: "N program case..." lines, '#' comments.
mapfile -t entries < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$MDIR/list")
[ ${#entries[@]} -gt 0 ] || die "no mutants in $MDIR/list"
if [ $# -gt 0 ]; then
	sel=()
	for e in "${entries[@]}"; do
		for n in "$@"; do
			[ "${e%% *}" = "$n" ] && sel+=("$e")
		done
	done
	entries=("${sel[@]}")
	[ ${#entries[@]} -gt 0 ] || die "no mutant $* in $MDIR/list"
fi

restore() { git -C "$SRC" checkout -q -- . 2>/dev/null; }
trap restore EXIT
info "selftest mutants: building the mutant kernel into $KM"
git -C "$SRC" apply "$MDIR/hugetlb-mutants.diff" ||
	die "$MDIR/hugetlb-mutants.diff does not apply to $SRC"
mkdir -p "$KM"
cp "$O/kbuild/.config" "$KM/.config"
KOUT_DIR=$KM "$TOP/scripts/build.sh" >"$LOGS/mutants-build.log" 2>&1
brc=$?
restore
[ $brc -eq 0 ] || die "mutant kernel build failed (see $LOGS/mutants-build.log)"

# boot_with N PROGRAMS: boot the mutant kernel with hugetlb_mutant=N and
# the comma-separated programs; the verdict goes to $LOGS/console-mutant-N.verdict.
boot_with() {
	local log=$LOGS/console-mutant-$1.log
	KOUT_DIR=$KM CONSOLE_LOG=$log TESTS=$2 TIMEOUT=${MUTANT_TIMEOUT:-300} \
		APPEND="hugetlb_mutant=$1" "$TOP/scripts/boot.sh" >"${log%.log}.boot" 2>&1
	python3 "$TOP/scripts/parse.py" --tests "${log%.log}.tests.log" "$log" \
		>"${log%.log}.verdict" 2>&1
}

# status_of N PROGRAM CASE: the case's status in that boot's verdict.
status_of() {
	awk -v t="hugetlb:$2:$3" '$2 == t { print $1 }' "$LOGS/console-mutant-$1.verdict"
}

bad=0
progs=$(for e in "${entries[@]}"; do read -r _ p _ <<<"$e"; echo "hugetlb:$p"; done | sort -u | paste -sd,)
boot_with 0 "$progs"
wrong=()
for e in "${entries[@]}"; do
	read -r _ p cases <<<"$e"
	for c in $cases; do
		st=$(status_of 0 "$p" "$c")
		[ "$st" = pass ] || wrong+=("$p:$c=${st:-absent}")
	done
done
if [ ${#wrong[@]} -eq 0 ]; then
	echo "no mutant: every listed case passed"
else
	bad=1
	echo "no mutant: NOT PASSING: ${wrong[*]} (see $LOGS/console-mutant-0.verdict)"
fi

killed=0
for e in "${entries[@]}"; do
	read -r n p cases <<<"$e"
	info "mutant $n: $p, must fail: $cases"
	boot_with "$n" "hugetlb:$p"
	survived=()
	for c in $cases; do
		st=$(status_of "$n" "$p" "$c")
		case $st in
		fail | crashed | timeout) ;;
		*) survived+=("$c=${st:-absent}") ;;
		esac
	done
	if [ ${#survived[@]} -eq 0 ]; then
		killed=$((killed + 1))
		echo "mutant $n: killed ($p: $cases)"
	else
		bad=1
		echo "mutant $n: SURVIVED: $p: ${survived[*]} (see $LOGS/console-mutant-$n.verdict)"
	fi
done
echo "killed $killed of ${#entries[@]}"
exit $bad
