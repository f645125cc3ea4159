#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh: boot the built kernel with the test initramfs in QEMU and save the
# console log.  TCG by default (a KVM guest hangs on the project's machines);
# KVM=1 opts in.  The guest ends the run with `reboot -f` and -no-reboot makes
# that (and a panic, panic=-1) exit QEMU; a hard timeout covers hangs.
#
# Knobs: MEM (MiB, 1536), CPUS (2), POOL (huge pages, 128), TIMEOUT (s, 600),
# TESTS (collection:test,...), BENCH=1, INIT_DRILL=panic|hang|exit|splat,
# CONSOLE_LOG (where to write the log).
. "$(dirname "$0")/lib.sh"

need_pkgs qemu-system-x86 python3
MEM=${MEM:-1536}
CPUS=${CPUS:-2}
POOL=${POOL:-128}
TIMEOUT=${TIMEOUT:-600}
kernel=$KOUT/arch/x86/boot/bzImage
initrd=$O/initramfs-$VARIANT/initramfs.cpio.gz
CONSOLE_LOG=${CONSOLE_LOG:-$LOGS/console-$VARIANT.log}
export CONSOLE_LOG
[ -f "$kernel" ] || die "no kernel at $kernel; run 'make kernel' first"
[ -f "$initrd" ] || die "no initramfs at $initrd; run 'make initramfs' first"

accel=(-accel tcg -cpu max)
if [ "${KVM:-0}" = 1 ]; then
	[ -w /dev/kvm ] || die "KVM=1 but /dev/kvm is not usable"
	accel=(-accel kvm -cpu host)
fi
append="console=ttyS0 panic=-1 softlockup_panic=0 vmtest.pool=$POOL vmtest.cpus=$CPUS"
[ -n "${TESTS:-}" ] && append+=" vmtest.tests=$TESTS"
[ "${BENCH:-0}" = 1 ] && append+=" vmtest.bench=1"
[ -n "${INIT_DRILL:-}" ] && append+=" vmtest.init=$INIT_DRILL"
[ "${DEBUG:-0}" = 1 ] && append+=" kmemleak=on"
append+=" ${APPEND:-}"

info "boot: $VARIANT kernel, ${accel[1]}, ${CPUS} CPUs, ${MEM}M, pool $POOL, timeout ${TIMEOUT}s -> ${CONSOLE_LOG#$TOP/}"
# -smp N,sockets=N: without ACPI only the MP table enumerates CPUs, one
# per socket.
start=$(date +%s)
qemu=(qemu-system-x86_64 "${accel[@]}" -m "$MEM" -smp "$CPUS,sockets=$CPUS"
	-nographic -no-reboot -kernel "$kernel" -initrd "$initrd" -append "$append")
echo "+ ${qemu[*]}" | sed "s/-append \(.*\)/-append '\1'/"
# stdin from /dev/null: QEMU must not read the terminal of a CI job.
LOGRUN_WATCH=$CONSOLE_LOG logrun "$LOGS/qemu-$VARIANT.log" bash -o pipefail -c 'timeout --kill-after=10 "$0" "${@:2}" </dev/null |
	python3 "$1" "$CONSOLE_LOG"' "$TIMEOUT" "$TOP/scripts/tee-times.py" "${qemu[@]}"
rc=$?
secs=$(($(date +%s) - start))
echo "boot_seconds=$secs" >"$O/boot-$VARIANT.time"
case $rc in
0) info "boot: guest finished in ${secs}s" ;;
124|137) echo "vmtest: TIMEOUT after ${TIMEOUT}s (killed by the runner)" >>"$CONSOLE_LOG"
	die "guest timed out after ${TIMEOUT}s, killed (see $CONSOLE_LOG)" ;;
*) echo "vmtest: QEMU exited with status $rc" >>"$CONSOLE_LOG"
	die "QEMU exited with status $rc (see $CONSOLE_LOG)" ;;
esac
