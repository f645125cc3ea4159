#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmtest.sh: the whole job in one command -- base, apply, config, build,
# initramfs, boot, verdict -- each step a script of its own.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
N=7
# One run per build directory at a time: a second one would reset the tree
# under the first.
build_lock
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
step 6 $N "boot"
"$S/boot.sh"
boot_rc=$?
step 7 $N "verdict"
log=${CONSOLE_LOG:-$LOGS/console-$VARIANT.log}
run python3 "$S/parse.py" --cpus "${CPUS:-2}" --tests "${TESTS_LOG:-${log%.log}.tests.log}" "$log"
rc=$?
[ $boot_rc -ne 0 ] && rc=1
if [ $rc -eq 0 ]; then
	info "vmtest: PASS ($VARIANT kernel; console log $log)"
else
	info "vmtest: FAIL ($VARIANT kernel; console log $log, tests log ${log%.log}.tests.log, results ${log%.log}.json)"
fi
exit $rc
