#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# capture-fixtures.sh: boot real guests into the failure cases the verdict
# must catch and keep their logs as parser fixtures (tests/data/real/).
# tests/test_parse.py checks the verdict on each.  Needs the kernels and
# initramfs of `make vmtest` (patched) and `make vmtest SERIES=none` (base,
# for the interleaved WARNING).  Rerun after a change to the guest's output
# format; review the diff before committing.
#
#   tests/capture-fixtures.sh [NAME...]    default: all
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

DATA=$TOP/tests/data/real
mkdir -p "$DATA"
S=$TOP/scripts

# capture NAME VAR=VALUE...: boot with the settings, keep both logs.
capture() {
	local name=$1
	shift
	info "fixture $name: $*"
	env "$@" CONSOLE_LOG="$LOGS/fixture-$name.log" "$S/boot.sh" >"$LOGS/fixture-$name.out" 2>&1
	echo "  boot exit $? (see $LOGS/fixture-$name.out)"
	# Kernel console and tests log, without QEMU's pid file or the times.
	cp "$LOGS/fixture-$name.log" "$DATA/$name.log"
	rm -f "$DATA/$name.tests.log"
	# Empty when the tests shared the kernel's console (vmtest.channel=console).
	[ -s "$LOGS/fixture-$name.tests.log" ] && cp "$LOGS/fixture-$name.tests.log" "$DATA/$name.tests.log"
	python3 "$S/parse.py" -q "$DATA/$name.log" --out "$LOGS/fixture-$name" | tail -3 | sed 's/^/  /'
}

names=("$@")
sel() { [ ${#names[@]} -eq 0 ] || [[ " ${names[*]} " == *" $1 "* ]]; }

# Every program skips: no huge page in the pool.
sel all-skipped && capture all-skipped POOL=0 \
	TESTS=hugetlb:hugetlb_shared,hugetlb:hugetlb_private,hugetlb:hugetlb_races
# The unpatched base warns on every hugetlb VMA split (fix 1), with the
# tests on the kernel's console: reports land inside test lines.
sel warning-interleaved && capture warning-interleaved SERIES=none \
	VMTEST_APPEND=vmtest.channel=console TESTS=hugetlb:hugetlb_mremap_madvise
# The kernel crashes in the middle of a program.
sel panic-mid-program && capture panic-mid-program \
	VMTEST_APPEND=vmtest.panic_after=6 TESTS=hugetlb:hugetlb_races
# The per-program timeout of the runner hits.
sel program-timeout && capture program-timeout \
	VMTEST_APPEND=vmtest.timeout=4 TESTS=hugetlb:hugetlb_races
# A program dies (SIGKILL) after its plan and some results: the nested plan
# is not met.
sel plan-mismatch && capture plan-mismatch \
	VMTEST_APPEND=vmtest.kill=hugetlb_races:5 TESTS=hugetlb:hugetlb_races
# Taint without a report (TAINT_USER, as a write to the sysctl sets it).
sel tainted-no-splat && capture tainted-no-splat \
	VMTEST_APPEND=vmtest.taint=64 TESTS=vm:map_hugetlb
# Dumps asked for with sysrq (blocked tasks, every CPU's backtrace) between
# the test lines: diagnosis, not kernel reports.
sel sysrq-dump && capture sysrq-dump \
	VMTEST_APPEND="vmtest.sysrq=3:wl vmtest.channel=console" \
	TESTS=hugetlb:hugetlb_private,hugetlb:hugetlb_shared
# A clean run of a few programs, the reference the others differ from.
sel clean && capture clean \
	TESTS=hugetlb:hugetlb_shared,vm:map_hugetlb
