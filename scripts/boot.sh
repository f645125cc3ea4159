#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh: boot the built kernel with the test initramfs in QEMU and save the
# console log.  TCG by default (a KVM guest hangs on the project's machines);
# KVM=1 opts in.  The guest ends the run with `reboot -f` and -no-reboot makes
# that (and a panic, panic=-1) exit QEMU; a hard timeout covers hangs.
#
# Two serial ports, two logs: ttyS0 is the kernel console (CONSOLE_LOG,
# written by QEMU itself), ttyS1 carries everything the guest's userspace
# prints (TESTS_LOG, with per-line arrival times in TESTS_LOG.times).
#
# Knobs: MEM (MiB, 1536), CPUS (2), POOL (huge pages, 128), TIMEOUT (s, 600),
# TESTS (collection:test,... or a collection), BENCH=1|truncate,
# INIT_DRILL=panic|hang|exit|splat, VMTEST_APPEND (more vmtest.* knobs, see
# guest-init), APPEND (more kernel parameters), QEMU_CPU (TCG CPU model, max),
# QEMU_MACHINE (-machine options, none), CONSOLE_LOG and TESTS_LOG (where to
# write the logs), QEMU_LOG (QEMU's own output) and BOOT_TIME (where to write
# the boot's seconds).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs qemu-system-x86 python3
MEM=${MEM:-1536}
CPUS=${CPUS:-2}
POOL=${POOL:-128}
TIMEOUT=${TIMEOUT:-600}
kernel=$KOUT/arch/x86/boot/bzImage
initrd=$O/initramfs-$VARIANT/initramfs.cpio.gz
CONSOLE_LOG=${CONSOLE_LOG:-$LOGS/console-$VARIANT.log}
TESTS_LOG=${TESTS_LOG:-${CONSOLE_LOG%.log}.tests.log}
QEMU_LOG=${QEMU_LOG:-$LOGS/qemu-$VARIANT.log}
export CONSOLE_LOG TESTS_LOG
[ -f "$kernel" ] || die "no kernel at $kernel; run 'make kernel' first"
[ -f "$initrd" ] || die "no initramfs at $initrd; run 'make initramfs' first"

accel=(-accel tcg -cpu "${QEMU_CPU:-max}")
if [ "${KVM:-0}" = 1 ]; then
	[ -w /dev/kvm ] || die "KVM=1 but /dev/kvm is not usable"
	accel=(-accel kvm -cpu host)
fi
[ -n "${QEMU_MACHINE:-}" ] && accel+=(-machine "$QEMU_MACHINE")
append="console=ttyS0 panic=-1 softlockup_panic=0 vmtest.pool=$POOL vmtest.cpus=$CPUS"
[ -n "${TESTS:-}" ] && append+=" vmtest.tests=$TESTS"
case "${BENCH:-0}" in 0 | "") ;; *) append+=" vmtest.bench=$BENCH" ;; esac
[ -n "${INIT_DRILL:-}" ] && append+=" vmtest.init=$INIT_DRILL"
[ "${DEBUG:-0}" = 1 ] && append+=" kmemleak=on"
append+=" ${VMTEST_APPEND:-} ${APPEND:-}"

info "boot: $VARIANT kernel, ${accel[*]:1}, ${CPUS} CPUs, ${MEM}M, pool $POOL, timeout ${TIMEOUT}s -> ${CONSOLE_LOG#"$TOP"/}, ${TESTS_LOG#"$TOP"/}"
# -smp N,sockets=N: without ACPI only the MP table enumerates CPUs, one
# per socket.
start=$(date +%s)
QEMU_PIDFILE=${CONSOLE_LOG%.log}.qemu.pid
rm -f "$CONSOLE_LOG" "$TESTS_LOG" "$TESTS_LOG.times" "$QEMU_PIDFILE"
qemu=(qemu-system-x86_64 "${accel[@]}" -m "$MEM" -smp "$CPUS,sockets=$CPUS"
	-display none -monitor none -serial "file:$CONSOLE_LOG" -serial stdio
	-pidfile "$QEMU_PIDFILE" -no-reboot -kernel "$kernel" -initrd "$initrd" -append "$append")
echo "+ ${qemu[*]}" | sed "s/-append \(.*\)/-append '\1'/"
# stdin from /dev/null: QEMU must not read the terminal of a CI job.
# shellcheck disable=SC2016 # expanded by the inner bash
LOGRUN_WATCH=$TESTS_LOG logrun "$QEMU_LOG" bash -o pipefail -c 'timeout --kill-after=10 "$0" "${@:2}" </dev/null |
	python3 "$1" "$TESTS_LOG"' "$TIMEOUT" "$TOP/scripts/tee-times.py" "${qemu[@]}"
rc=$?
secs=$(($(date +%s) - start))
echo "boot_seconds=$secs" >"${BOOT_TIME:-$O/boot-$VARIANT.time}"
# timeout(1) exits 124 when it stopped QEMU and 137 when it had to kill it,
# but 137 also when something else SIGKILLed QEMU: the clock tells which.
killed_early=0
[ $rc -eq 137 ] && [ "$secs" -lt "$TIMEOUT" ] && killed_early=1
case $rc in
0) info "boot: guest finished in ${secs}s" ;;
124|137) if [ $killed_early = 1 ]; then
		echo "vmtest: QEMU exited with status 137 (SIGKILL after ${secs}s)" >>"$TESTS_LOG"
		die "QEMU exited with status 137, killed by SIGKILL from outside after ${secs}s (see $CONSOLE_LOG, $QEMU_LOG)"
	fi
	echo "vmtest: TIMEOUT after ${TIMEOUT}s (killed by the runner)" >>"$TESTS_LOG"
	die "guest timed out after ${TIMEOUT}s, killed (see $CONSOLE_LOG, $TESTS_LOG)" ;;
*) echo "vmtest: QEMU exited with status $rc" >>"$TESTS_LOG"
	die "QEMU exited with status $rc (see $CONSOLE_LOG, $QEMU_LOG)" ;;
esac
