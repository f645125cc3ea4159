#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mmap-lock-probe.sh: which old, open-coded forms of mmap_lock use does the
# compiler still accept on the patched tree, with and without lockdep?
#
# usage: scripts/mmap-lock-probe.sh [--check FILE...]
#
# Each form in FORMS below is the code as it was written while
# mm->mmap_lock was a bare rw_semaphore.  It is compiled as an external
# module object (make M=) against two prepared x86_64 build directories of
# $O/linux: defconfig plus CONFIG_PROVE_LOCKING (lockdep) and plain
# defconfig (no lockdep, as production configs are).  A control,
# mmap_read_lock(mm), must build in both, else the probe itself is broken.
#
# Also checks that init_mm and efi_mm keep their lockdep names
# ("(init_mm).mmap_lock", as the bare rw_semaphore had).
# Result per form and config: "refused" (the compiler stops), "builds"
# (object produced, no diagnostic) or "warns" (object produced with a
# warning).  The table goes to $O/mmap-lock-probe/table.md and stdout.
# --check FILE...: also fail unless every FILE contains the table verbatim
# (the README and the patch that makes the lock opaque quote it).
# Logs: $O/mmap-lock-probe/*.log.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PD=$O/mmap-lock-probe
mkdir -p "$PD"
LOCK=$KBUILD_LOCK
PJOBS=${PJOBS:-3}
check_files=()
if [ "${1:-}" = --check ]; then
	shift
	check_files=("$@")
	[ ${#check_files[@]} -gt 0 ] || die "--check needs at least one file"
fi
[ -f "$SRC/include/linux/mmap_lock.h" ] || die "no patched tree at $SRC; run 'make apply' first"
need_pkgs gcc make flex bison bc libelf-dev libssl-dev
cc=gcc
command -v ccache >/dev/null && [ "${CCACHE:-1}" != 0 ] && cc="ccache gcc"

# name|code: the form as old code wrote it, with mm, sem and mt in scope.
FORMS=(
	'down_read|down_read(&mm->mmap_lock);'
	'rwsem_is_locked|(void)rwsem_is_locked(&mm->mmap_lock);'
	'up_read_non_owner|up_read_non_owner(&mm->mmap_lock);'
	'lockdep_assert_held|lockdep_assert_held(&mm->mmap_lock);'
	'lockdep_assert_held_write|lockdep_assert_held_write(&mm->mmap_lock);'
	'might_lock|might_lock(&mm->mmap_lock);'
	'might_lock_read|might_lock_read(&mm->mmap_lock);'
	'down_write_nest_lock|down_write_nest_lock(sem, &mm->mmap_lock);'
	'mt_set_external_lock|mt_set_external_lock(mt, &mm->mmap_lock);'
	'rwsem_release|rwsem_release(&mm->mmap_lock.dep_map, _RET_IP_);'
	'prefetchw|prefetchw(&mm->mmap_lock);'
	'down_read_rwsem|down_read(&mm->mmap_lock.rwsem);'
)
CONTROL='control|mmap_read_lock(mm);'
CONFIGS="lockdep nolockdep"

# prepare CFG: configure (once) and prepare $PD/kbuild-CFG; kbuild's own
# dependency tracking makes a repeated modules_prepare cheap.
prepare() {
	local cfg=$1 kb=$PD/kbuild-$1 log=$PD/prepare-$1.log
	mkdir -p "$kb"
	local what="x86_64 defconfig"
	[ "$cfg" = lockdep ] && what="$what + PROVE_LOCKING"
	info "probe: preparing $kb ($what; log $log)"
	{
		if [ ! -f "$kb/.probe-configured" ]; then
			run make -C "$SRC" O="$kb" ARCH=x86_64 CC="$cc" defconfig &&
			if [ "$cfg" = lockdep ]; then
				run "$SRC/scripts/config" --file "$kb/.config" -e PROVE_LOCKING -e DEBUG_LOCK_ALLOC
			else
				run "$SRC/scripts/config" --file "$kb/.config" -d PROVE_LOCKING -d LOCKDEP -d DEBUG_LOCK_ALLOC
			fi &&
			run make -C "$SRC" O="$kb" ARCH=x86_64 CC="$cc" olddefconfig &&
			touch "$kb/.probe-configured"
		fi &&
		run nice -n 10 make -C "$SRC" O="$kb" ARCH=x86_64 CC="$cc" -j"$PJOBS" modules_prepare
	} >"$log" 2>&1 || die "preparing $kb failed (see $log)"
	local want=y got=n
	[ "$cfg" = nolockdep ] && want=n
	grep -q '^CONFIG_LOCKDEP=y' "$kb/.config" && got=y
	[ "$got" = "$want" ] || die "$kb: CONFIG_LOCKDEP=$got, wanted $want (see $kb/.config)"
}

# probe CFG NAME CODE: compile CODE; echo refused/builds/warns.
probe() {
	local cfg=$1 name=$2 code=$3 d=$PD/src/$1-$2 log=$PD/$1-$2.log
	rm -rf "$d" && mkdir -p "$d"
	cat >"$d/p_$name.c" <<-EOF
	// SPDX-License-Identifier: GPL-2.0
	#include <linux/lockdep.h>
	#include <linux/maple_tree.h>
	#include <linux/mm_types.h>
	#include <linux/mmap_lock.h>
	#include <linux/module.h>
	#include <linux/prefetch.h>
	#include <linux/rwsem.h>

	void mmap_lock_probe(struct mm_struct *mm, struct rw_semaphore *sem,
			     struct maple_tree *mt);
	void mmap_lock_probe(struct mm_struct *mm, struct rw_semaphore *sem,
			     struct maple_tree *mt)
	{
		$code
	}
	MODULE_LICENSE("GPL");
	EOF
	echo "obj-m := p_$name.o" >"$d/Kbuild"
	if make -C "$SRC" O="$PD/kbuild-$cfg" ARCH=x86_64 CC="$cc" \
		M="$d" "p_$name.o" >"$log" 2>&1 && [ -f "$d/p_$name.o" ]; then
		if grep -q 'warning:' "$log"; then echo warns; else echo builds; fi
	else
		echo refused
	fi
}

# All builds below run under one hold of the shared kernel build lock, so
# the many small compiles do not queue behind other builds one by one.
exec 8>"$LOCK"
if ! flock -n 8; then
	info "probe: waiting for $LOCK (another kernel build)"
	flock 8
fi
for cfg in $CONFIGS; do
	prepare "$cfg"
done

declare -A res
for cfg in $CONFIGS; do
	r=$(probe "$cfg" "${CONTROL%%|*}" "${CONTROL#*|}")
	[ "$r" = builds ] ||
		die "control ${CONTROL#*|} $r with $cfg: the probe is broken (see $PD/$cfg-control.log)"
	info "probe: control ${CONTROL#*|} builds with $cfg"
done
n=0
for f in "${FORMS[@]}"; do
	n=$((n + 1))
	name=${f%%|*} code=${f#*|}
	for cfg in $CONFIGS; do
		res[$name,$cfg]=$(probe "$cfg" "$name" "$code")
		first=$(grep -m1 -E 'error:|warning:' "$PD/$cfg-$name.log" | sed 's/^[^ ]* //')
		echo "  [$n/${#FORMS[@]}] $cfg: ${code%;} -> ${res[$name,$cfg]}${first:+ ($first)}"
	done
done

# The static mms keep the lockdep names their bare rw_semaphore had.
names_ok=1
if make -C "$SRC" O="$PD/kbuild-lockdep" ARCH=x86_64 CC="$cc" \
	mm/init-mm.o drivers/firmware/efi/efi.o >"$PD/names.log" 2>&1; then
	for o in mm/init-mm.o:init_mm drivers/firmware/efi/efi.o:efi_mm; do
		got=$(strings "$PD/kbuild-lockdep/${o%%:*}" | grep -F 'mmap_lock' | sort | tr '\n' ' ')
		want="(${o#*:}).mmap_lock (${o#*:}).mmap_lock.wait_lock "
		if [ "$got" = "$want" ]; then
			echo "  lockdep names in ${o%%:*}: $got"
		else
			echo "  lockdep names in ${o%%:*}: $got(wanted: $want)"
			names_ok=0
		fi
	done
else
	names_ok=0
	echo "  building mm/init-mm.o and efi.o failed (see $PD/names.log)"
fi
flock -u 8
exec 8>&-
[ $names_ok = 1 ] || die "the static mms' lockdep names changed (see above)"

table=$PD/table.md
{
	echo '| old form | lockdep | no lockdep |'
	echo '|---|---|---|'
	for f in "${FORMS[@]}"; do
		name=${f%%|*} code=${f#*|}
		echo "| \`${code%;}\` | ${res[$name,lockdep]} | ${res[$name,nolockdep]} |"
	done
} >"$table"
echo "table ($table):"
cat "$table"

rc=0
for f in "${check_files[@]}"; do
	if python3 - "$table" "$f" <<-'EOF'
	import sys
	t = open(sys.argv[1]).read()
	sys.exit(0 if t in open(sys.argv[2]).read() else 1)
	EOF
	then
		echo "PASS: $f quotes the table"
	else
		echo "FAIL: $f does not quote the table above verbatim"
		rc=1
	fi
done
[ $rc -eq 0 ] || die "the table above and what the text says differ (see $table)"
info "probe: done"
