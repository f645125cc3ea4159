#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: the project's own tests, then the full `make vmtest`.
#
# Each test prints one line (PASS/FAIL/SKIP name, and the log on failure);
# the last line is "N passed, N failed[, N skipped]".  QUICK=1 stops before
# the kernel build and boot; FRESH=1 adds the bare-machine run
# (scripts/fresh-check.sh); FULL=1 adds the slow build comparisons.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

build_lock
# libpython3-dev: spatch loads libpython3.X.so for the mmap_lock.cocci
# script rules; without it report mode silently finds nothing.
need_pkgs python3 python3-ply python3-git quilt shellcheck coccinelle libpython3-dev
CHK=$O/check
mkdir -p "$CHK"
pass=0 fail=0 skip=0
failed=()

# t NAME CMD...: run a test, its output in $CHK/NAME.log.
t() {
	local name=$1 log=$CHK/$1.log rc
	shift
	local start
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name ($(($(date +%s) - start))s)"
	elif [ $rc -eq 4 ]; then
		skip=$((skip + 1))
		echo "SKIP $name: $(tail -1 "$log")"
	else
		fail=$((fail + 1))
		failed+=("$name")
		echo "FAIL $name (see $log):"
		tail -15 "$log" | sed 's/^/    /'
	fi
}

summary() {
	[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
	local s="$pass passed, $fail failed"
	[ $skip -gt 0 ] && s+=", $skip skipped"
	echo "$s"
	[ $fail -eq 0 ]
}

info "check: unit tests of the scripts"
t parser python3 "$TOP/tests/test_parse.py"
t cover-letter python3 "$TOP/tests/test_cover.py"
# Static analysis: the settings and exceptions are in .shellcheckrc; the guest's
# /init is busybox sh.
t shellcheck bash -c "cd '$TOP' && shellcheck scripts/*.sh tests/*.sh .ci/run && shellcheck -s sh scripts/guest-init"
t selftest-patch-drift "$TOP/scripts/gen-selftest-patch.sh" --check
t selftest-patch-drift-detected "$TOP/tests/test_drift.sh"

info "check: base tree and series"
"$TOP/scripts/base.sh" || { echo "FAIL base (cannot continue)"; fail=$((fail + 1)); summary; exit 1; }
t apply-broken-patch "$TOP/tests/test_apply.sh" broken
t apply-missing-patch "$TOP/tests/test_apply.sh" missing
t apply-prerequisites "$TOP/tests/test_prereq.sh"
t apply-series "$TOP/scripts/apply.sh"
t quilt-push "$TOP/tests/test_quilt.sh"
t checkpatch-strict "$TOP/tests/test_checkpatch.sh"
# Which old open-coded mmap_lock forms still compile, with and without
# lockdep; the README and the opaque-member patch must quote the table.
t mmap-lock-probe "$TOP/scripts/mmap-lock-probe.sh" --check "$TOP/README.md" \
	"$PATCHDIR"/*-mm-mmap_lock-make-mm-mmap_lock-opaque-outside-linux-.patch
t config-option-cannot-stick "$TOP/tests/test_config.sh"
t region-harness make -C "$SRC/tools/testing/hugetlb_region" run
t region-mutants "$TOP/scripts/mutants.sh"
t posting-identity "$TOP/tests/test_posting.sh"

if [ "${QUICK:-0}" = 1 ]; then
	summary
	exit $?
fi

info "check: make vmtest (full pipeline on the patched kernel)"
t vmtest "$TOP/scripts/vmtest.sh"
grep -E '^[0-9]+ passed, [0-9]+ failed' "$CHK/vmtest.log" | tail -1 | sed 's/^/    vmtest: /'
# Needs the prepared build directory vmtest leaves behind.
t mmap-lock-api "$TOP/scripts/check-mmap-lock.sh" -k "$KOUT" "$SRC"
t runner-failures "$TOP/tests/test_runner_failures.sh"
# FULL=1: the slow ones (W=1/sparse/arm64 comparison of the mmap_lock
# objects against the base: ~15 min warm; every prefix of the series
# built in turn: about an hour on two cores; objtool noinstr validation,
# base against series: two vmlinux builds; make arch-check: 17
# architectures' mmap_lock objects, base against series, hours cold).
# FRESH=1 (what .ci/run sets): the same on a bare debootstrap root, where
# only the scripts' own installs add packages (about 20 min).
if [ "${FRESH:-0}" = 1 ]; then
	t fresh-check "$TOP/scripts/fresh-check.sh"
fi
if [ "${FULL:-0}" = 1 ]; then
	t mmap-lock-warnings "$TOP/scripts/check-mmap-lock-build.sh"
	t bisect-check "$TOP/scripts/bisect-check.sh"
	t noinstr "$TOP/scripts/noinstr-check.sh"
	t arch-check "$TOP/scripts/arch-check.sh"
fi
summary
