#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmtest.sh: the whole job in one command -- base, apply, config, build,
# initramfs, boot, verdict -- each step a script of its own.
#
# The kernel boots once per huge page size in SIZES (default "2M 1G"), with
# the same kernel and initramfs:
#   2M  the default size: every collection (or TESTS), MEM, POOL, TIMEOUT;
#   1G  default_hugepagesz=1G with POOL_1G (8) pages reserved at boot (the
#       tinyconfig kernel cannot allocate gigantic pages later), the hugetlb
#       collection (TESTS_1G, else TESTS), MEM_1G (MiB), TIMEOUT_1G and
#       PROG_TIMEOUT_1G (s, per program); see boot_1g below.
# The verdict is one line per size, then the sum of both: the last line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
N=7
# One run per build directory at a time: a second one would reset the tree
# under the first.
build_lock
SIZES=${SIZES:-2M 1G}
for size in $SIZES; do
	case $size in
	2M | 1G) ;;
	*) die "SIZES=\"$SIZES\": each size must be 2M or 1G" ;;
	esac
done
step 1 $N "base (Debian linux-source-${BASE:+$SERIES_LINE }${BASE:-6.1 default})"
"$S/base.sh" || exit 1
step 2 $N "apply series${SERIES:+ (SERIES=$SERIES)}"
# A test run never rewrites tracked files: a selftests directory that
# differs from its patch stops the run ('make selftest-patch' fixes it).
if [ -d "$TOP/tools/testing/selftests/hugetlb" ] && [ -n "$(ls "$TOP/tools/testing/selftests/hugetlb")" ]; then
	"$S/gen-selftest-patch.sh" --check || exit 1
fi
# The suite always comes from the patched tree, also for SERIES=none.
SERIES='' "$S/apply.sh" || exit 1
[ "${SERIES:-}" = none ] && { "$S/apply.sh" || exit 1; }
step 3 $N "config"
"$S/config.sh" || exit 1
step 4 $N "build"
"$S/build.sh" || exit 1
step 5 $N "initramfs"
"$S/initramfs.sh" || exit 1
declare -A logs=([2M]=${CONSOLE_LOG:-$LOGS/console-$VARIANT.log}
	[1G]=$LOGS/console-$VARIANT-1G.log)

# boot_1g: the guest with 1 GB default huge pages.  -cpu max has pdpe1gb;
# without ERMS the guest does not clear pages with `rep stosb`, which TCG
# runs one byte at a time (a 1 GB page: 0.45 s instead of 2.1 s once the
# host backs it).  8 pages of 1 GB need 1 GB aligned
# room: 1 GB below 4 GB (kernel, initramfs, bounce buffers), 8.25 GB above
# (the pages, and the memory map at the top); DEBUG=1 adds 2 GB for
# KASAN's shadow (an eighth of the memory, taken from its top at boot).
# The whole run is allowed for 8 pages cleared many times over; each
# program gets PROG_TIMEOUT_1G.  6.12 copies a huge page one byte per TCG
# step (copy_mc_to_kernel()), 23-58 s for 1 GB: its 1 GB guest took 1469 s
# alone and 2022 s beside other work, so it gets an hour.
boot_1g() {
	local pool=${POOL_1G:-8} extra=0 timeout=2400
	[ "$SERIES_LINE" = 6.1 ] || timeout=3600
	[ "${DEBUG:-0}" = 1 ] && extra=2048
	CONSOLE_LOG=${logs[1G]} TESTS_LOG=${logs[1G]%.log}.tests.log \
	QEMU_LOG=$LOGS/qemu-$VARIANT-1G.log BOOT_TIME=$O/boot-$VARIANT-1G.time \
	MEM=${MEM_1G:-$((1024 + pool * 1024 + 256 + extra))} POOL=$pool \
	TIMEOUT=${TIMEOUT_1G:-$timeout} TESTS=${TESTS_1G:-${TESTS:-hugetlb}} \
	QEMU_CPU=max,erms=off QEMU_MACHINE=pc,max-ram-below-4g=1G \
	APPEND="default_hugepagesz=1G hugepagesz=1G hugepages=$pool ${APPEND:-}" \
	VMTEST_APPEND="vmtest.timeout=${PROG_TIMEOUT_1G:-900} ${VMTEST_APPEND:-}" \
		"$S/boot.sh"
}

step 6 $N "boot (huge page sizes: $SIZES)"
boot_rc=0
for size in $SIZES; do
	if [ "$size" = 2M ]; then
		CONSOLE_LOG=${logs[2M]} "$S/boot.sh" || boot_rc=1
	else
		boot_1g || boot_rc=1
	fi
done

step 7 $N "verdict"
# The parser's lines for each size, then "SIZE: N passed, N failed" per
# size and their sum.  At 1 GB the overcommit program skips: gigantic pages
# are never surplus pages; and so does the PMD sharing one: 1 GB pages are
# mapped at the PUD level, there is no PMD page table to share.
declare -A summary
rc=0
for size in $SIZES; do
	log=${logs[$size]}
	allow=${ALLOW_SKIP:-}
	tests_log=${TESTS_LOG:-${log%.log}.tests.log}
	if [ "$size" = 1G ]; then
		allow=${allow:+$allow,}hugetlb:hugetlb_overcommit,hugetlb:hugetlb_pmd_share
		tests_log=${log%.log}.tests.log
	fi
	info "verdict: $size pages ($log)"
	# vmtest.channel=console puts the tests on the console log alone.
	case " ${VMTEST_APPEND:-} " in
	*" vmtest.channel=console "*) tests_log=$log ;;
	esac
	out=$(ALLOW_SKIP=$allow run python3 "$S/parse.py" --cpus "${CPUS:-2}" --tests "$tests_log" "$log") || rc=1
	printf '%s\n' "$out"
	summary[$size]=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	[ -n "${summary[$size]}" ] || summary[$size]="0 passed, 1 failed (no verdict)"
done
[ $boot_rc -ne 0 ] && rc=1
passed=0 failed=0 skipped=0
for size in $SIZES; do
	echo "$size: ${summary[$size]}"
	read -r p f k < <(printf '%s\n' "${summary[$size]}" |
		sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${k:-0}))
done
total="$passed passed, $failed failed"
[ $skipped -gt 0 ] && total+=", $skipped skipped"
echo "$total"
used=''
for size in $SIZES; do
	used+=" ${logs[$size]}"
done
if [ $rc -eq 0 ]; then
	info "vmtest: PASS ($VARIANT kernel, $SIZES; console logs$used)"
else
	info "vmtest: FAIL ($VARIANT kernel, $SIZES; console logs$used, tests logs and results beside them)"
fi
exit $rc
