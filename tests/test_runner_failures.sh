#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_runner_failures.sh: the runner under failure.  A panicking init, a
# hanging init, a guest that prints a lockdep report, a QEMU killed from
# outside and a full build directory must each end with one clear ERROR or
# SPLAT line naming the log, a non-zero exit, and no hang.
#
# Uses the kernel and initramfs `make vmtest` left in the build directory.
# shellcheck source=../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

[ -f "$KOUT/arch/x86/boot/bzImage" ] && [ -f "$O/initramfs-$VARIANT/initramfs.cpio.gz" ] ||
	{ echo "no kernel/initramfs built yet (run make vmtest first)"; exit 4; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; mountpoint -q "$tmp.full" 2>/dev/null && umount "$tmp.full"; rm -rf "$tmp.full"' EXIT
S=$TOP/scripts
failures=0

# expect NAME PATTERN CMD...: CMD must exit non-zero within its time limit
# and print a line matching PATTERN that names a log file.
expect() {
	local name=$1 pattern=$2 rc
	shift 2
	# A watchdog, not timeout(1): CMD may be a shell function.
	"$@" >"$tmp/$name.out" 2>&1 &
	local pid=$! wd
	(sleep 300; kill -TERM $pid 2>/dev/null; echo hung >"$tmp/$name.hung") &
	wd=$!
	wait $pid
	rc=$?
	kill $wd 2>/dev/null
	wait $wd 2>/dev/null
	if [ -e "$tmp/$name.hung" ]; then
		echo "FAIL $name: the runner itself hung"; failures=$((failures + 1))
	elif [ $rc -eq 0 ]; then
		echo "FAIL $name: exited 0"; failures=$((failures + 1))
	elif ! grep -E "$pattern" "$tmp/$name.out" | grep -q -E '(see |at )[^ ]+\.log'; then
		echo "FAIL $name: no line matching '$pattern' with a log path:"
		tail -5 "$tmp/$name.out" | sed 's/^/    /'
		failures=$((failures + 1))
	else
		echo "ok   $name: $(grep -m1 -E "$pattern" "$tmp/$name.out")"
	fi
}

boot_and_parse() {
	"$S/boot.sh" || return 1
	python3 "$S/parse.py" "$CONSOLE_LOG"
}
export TESTS=vm:map_hugetlb

CONSOLE_LOG=$tmp/panic.log INIT_DRILL=panic TIMEOUT=120 \
	expect panicking-init '^(ERROR|SPLAT)' boot_and_parse
CONSOLE_LOG=$tmp/hang.log INIT_DRILL=hang TIMEOUT=25 \
	expect hanging-init '^ERROR: guest timed out' boot_and_parse
CONSOLE_LOG=$tmp/splat.log INIT_DRILL=splat TIMEOUT=120 \
	expect lockdep-splat '^SPLAT lockdep' boot_and_parse

# QEMU killed from outside while the guest runs: the pid QEMU itself wrote
# for this boot, nothing found by pattern.
kill_qemu_later() {
	local pidfile=$tmp/killed.qemu.pid
	(
		for _ in $(seq 600); do
			[ -s "$pidfile" ] && break
			sleep 0.2
		done
		sleep 3
		kill -KILL "$(cat "$pidfile")"
	) &
	CONSOLE_LOG=$tmp/killed.log INIT_DRILL=hang TIMEOUT=120 "$S/boot.sh"
}
expect killed-qemu '^ERROR: QEMU exited' kill_qemu_later

# A build directory with no space left.
mkdir -p "$tmp.full"
if mount -t tmpfs -o size=2m tmpfs "$tmp.full" 2>/dev/null; then
	expect full-disk '^ERROR: ' env O="$tmp.full" "$S/base.sh"
else
	echo "SKIP full-disk: cannot mount a small tmpfs here"
fi
[ $failures -eq 0 ]
