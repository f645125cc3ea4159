#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-mmap-lock-build.sh: compare compiler (W=1) and sparse (C=2) warnings
# of the objects the mmap_lock series touches, base tree against patched
# tree, and cross-compile the generic ones for arm64.  Slow (a few minutes
# with a warm ccache, much longer cold); not part of the default test run.
#
# usage: scripts/check-mmap-lock-build.sh [-o OUTDIR] [BASE_TREE [PATCHED_TREE]]
#
#   BASE_TREE      unpatched tree (default: build/linux-base, else an export
#                  of tag "base" of PATCHED_TREE made under OUTDIR)
#   PATCHED_TREE   patched tree (default: build/linux)
#   -o OUTDIR      where build dirs, logs and the summary go
#                  (default: build/mmap-lock-build)
#
# Configs: x86_64 allmodconfig with CONFIG_WERROR and DEBUG_INFO_BTF off
# (warnings must be visible, not fatal; BTF needs pahole at link time only),
# and arm64 defconfig plus lockdep, BPF, etnaviv and test_lockup.
# Each object is rebuilt in both trees; warnings are normalised (tree prefix
# and line:column dropped, so a shifted line is not a new warning) and the
# patched set minus the base set is reported as NEW.  Timings of each
# phase are recorded in OUTDIR/timings.txt.  Every kernel make goes through
# flock on /tmp/kbuild.lock (KBUILD_LOCK), so only one build runs at a time.

set -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$TOP/build/mmap-lock-build
while getopts "o:h" opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	*) sed -n '8,15s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
PATCHED=${2:-$TOP/build/linux}
PATCHED=$(cd "$PATCHED" && pwd) || exit 2
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
BASE=${1:-}
if [ -z "$BASE" ]; then
	if [ -d "$TOP/build/linux-base/mm" ]; then
		BASE=$TOP/build/linux-base
	else
		# an export of tag base; leaves PATCHED and its .git untouched
		BASE=$OUT/base-tree
		if [ ! -d "$BASE/mm" ]; then
			rm -rf "$BASE" && mkdir -p "$BASE" &&
			git -C "$PATCHED" archive --format=tar base | tar -x -C "$BASE" ||
			{ echo "ERROR: cannot export tag base of $PATCHED" >&2; exit 2; }
		fi
	fi
fi
BASE=$(cd "$BASE" && pwd) || exit 2
echo "base:    $BASE"
echo "patched: $PATCHED"
echo "output:  $OUT"

JOBS=${JOBS:-3}
LOCK=${KBUILD_LOCK:-/tmp/kbuild.lock}
CCACHE=
command -v ccache >/dev/null && CCACHE="ccache "

# C files the series touches (directly or through kernel/bpf/mmap_unlock_work.h),
# plus a few other users of <linux/mmap_lock.h> as a sanity check.
X86_OBJS="mm/memory.o mm/gup.o mm/mmu_notifier.o mm/mmap.o mm/init-mm.o
	mm/madvise.o mm/hugetlb.o mm/mmap_lock.o mm/khugepaged.o kernel/fork.o
	kernel/bpf/stackmap.o kernel/bpf/task_iter.o kernel/locking/rwsem.o
	lib/test_lockup.o arch/x86/mm/fault.o arch/x86/kernel/tboot.o
	arch/x86/kernel/sev.o drivers/firmware/efi/efi.o
	drivers/gpu/drm/etnaviv/etnaviv_gem.o fs/proc/task_mmu.o"
# The generic ones, for arm64 (arch/arm64/mm/fault.o as another fault path).
ARM64_OBJS="mm/memory.o mm/gup.o mm/mmu_notifier.o mm/mmap.o mm/init-mm.o
	mm/madvise.o mm/hugetlb.o mm/mmap_lock.o mm/khugepaged.o kernel/fork.o
	kernel/bpf/stackmap.o kernel/bpf/task_iter.o kernel/locking/rwsem.o
	lib/test_lockup.o drivers/firmware/efi/efi.o
	drivers/gpu/drm/etnaviv/etnaviv_gem.o fs/proc/task_mmu.o
	arch/arm64/mm/fault.o"

: >"$OUT/timings.txt"
timed() { # NAME CMD...: run CMD, append its wall time to timings.txt
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@"
	rc=$?
	echo "$name: $(($(date +%s) - t0))s (rc=$rc)" | tee -a "$OUT/timings.txt"
	return $rc
}

kmake() { # TREE OUTDIR ARGS...
	local tree=$1 o=$2
	shift 2
	flock "$LOCK" make -s -C "$tree" O="$o" -j"$JOBS" "$@"
}

config() { # TREE OUTDIR ARCH
	local tree=$1 o=$2 arch=$3 a=()
	[ -f "$o/.config" ] && [ -f "$o/include/generated/autoconf.h" ] && return 0
	mkdir -p "$o"
	if [ "$arch" = x86_64 ]; then
		a=(ARCH=x86_64 CC="${CCACHE}gcc")
		kmake "$tree" "$o" "${a[@]}" allmodconfig >/dev/null &&
		"$tree/scripts/config" --file "$o/.config" -d WERROR -d DEBUG_INFO_BTF
	else
		a=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="${CCACHE}aarch64-linux-gnu-gcc")
		kmake "$tree" "$o" "${a[@]}" defconfig >/dev/null &&
		"$tree/scripts/config" --file "$o/.config" -d WERROR \
			-e PROVE_LOCKING -e DEBUG_LOCK_ALLOC -e DEBUG_RWSEMS \
			-e BPF_SYSCALL -e DRM -e DRM_ETNAVIV -e EFI -e TEST_LOCKUP \
			-e MMU_NOTIFIER -e TRANSPARENT_HUGEPAGE -e HUGETLBFS
	fi &&
	kmake "$tree" "$o" "${a[@]}" olddefconfig >/dev/null &&
	kmake "$tree" "$o" "${a[@]}" prepare >/dev/null
}

# build TREE OUTDIR ARCH TAG EXTRA-ARGS -- OBJS: rebuild OBJS, one log per object
build() {
	local tree=$1 o=$2 arch=$3 tag=$4 a=() obj log
	shift 4
	local extra=()
	while [ "$1" != -- ]; do extra+=("$1"); shift; done
	shift
	if [ "$arch" = x86_64 ]; then
		a=(ARCH=x86_64 CC="${CCACHE}gcc")
	else
		a=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="${CCACHE}aarch64-linux-gnu-gcc")
	fi
	mkdir -p "$OUT/logs/$tag"
	for obj in "$@"; do
		log=$OUT/logs/$tag/$(echo "$obj" | tr / _).log
		rm -f "$o/$obj"
		if kmake "$tree" "$o" "${a[@]}" "${extra[@]}" "$obj" >"$log" 2>&1 &&
		   [ -f "$o/$obj" ]; then
			echo "ok $obj" >>"$OUT/logs/$tag/status"
		else
			echo "FAILED $obj" >>"$OUT/logs/$tag/status"
		fi
	done
}

# warnings TAG TREE: normalised "object: file: message" lines of a build
warnings() {
	local f obj
	for f in "$OUT/logs/$1"/*.log; do
		obj=$(basename "$f" .log)
		grep -E '(warning|error):' "$f" |
			sed -e "s|$2/||g" -e 's|^\./||' \
			    -e 's|:[0-9][0-9]*:[0-9][0-9]*: |: |' -e 's|:[0-9][0-9]*: |: |' |
			sed "s|^|$obj: |"
	done | sort -u
}

# compare NAME BASETAG PATCHEDTAG
compare() {
	local name=$1 nb np nn nf
	warnings "$2" "$BASE" >"$OUT/$2.warnings"
	warnings "$3" "$PATCHED" >"$OUT/$3.warnings"
	comm -13 "$OUT/$2.warnings" "$OUT/$3.warnings" >"$OUT/$name.new"
	nb=$(wc -l <"$OUT/$2.warnings")
	np=$(wc -l <"$OUT/$3.warnings")
	nn=$(wc -l <"$OUT/$name.new")
	nf=$(grep -c FAILED "$OUT/logs/$3/status" "$OUT/logs/$2/status" | awk -F: '{s += $2} END {print s}')
	echo "$name: objects $(wc -l <"$OUT/logs/$3/status"), build failures $nf, warnings base $nb, patched $np, NEW $nn" |
		tee -a "$OUT/summary.txt"
	[ "$nn" -eq 0 ] || sed 's/^/    NEW: /' "$OUT/$name.new" | tee -a "$OUT/summary.txt"
	[ "$nn" -eq 0 ] && [ "$nf" -eq 0 ]
}

rm -rf "$OUT/logs" "$OUT/summary.txt"
status=0

timed config-x86-base config "$BASE" "$OUT/x86-base" x86_64 || exit 1
timed config-x86-patched config "$PATCHED" "$OUT/x86-patched" x86_64 || exit 1
# shellcheck disable=SC2086
timed w1-x86-base build "$BASE" "$OUT/x86-base" x86_64 w1-x86-base W=1 -- $X86_OBJS
# shellcheck disable=SC2086
timed w1-x86-patched build "$PATCHED" "$OUT/x86-patched" x86_64 w1-x86-patched W=1 -- $X86_OBJS
compare w1-x86 w1-x86-base w1-x86-patched || status=1
# C=2: run sparse whether or not the object is up to date
# shellcheck disable=SC2086
timed sparse-x86-base build "$BASE" "$OUT/x86-base" x86_64 sparse-x86-base C=2 -- $X86_OBJS
# shellcheck disable=SC2086
timed sparse-x86-patched build "$PATCHED" "$OUT/x86-patched" x86_64 sparse-x86-patched C=2 -- $X86_OBJS
compare sparse-x86 sparse-x86-base sparse-x86-patched || status=1

if command -v aarch64-linux-gnu-gcc >/dev/null; then
	timed config-arm64-base config "$BASE" "$OUT/arm64-base" arm64 || exit 1
	timed config-arm64-patched config "$PATCHED" "$OUT/arm64-patched" arm64 || exit 1
	# shellcheck disable=SC2086
	timed w1-arm64-base build "$BASE" "$OUT/arm64-base" arm64 w1-arm64-base W=1 -- $ARM64_OBJS
	# shellcheck disable=SC2086
	timed w1-arm64-patched build "$PATCHED" "$OUT/arm64-patched" arm64 w1-arm64-patched W=1 -- $ARM64_OBJS
	compare w1-arm64 w1-arm64-base w1-arm64-patched || status=1
else
	echo "w1-arm64: SKIPPED (no aarch64-linux-gnu-gcc; apt-get install gcc-aarch64-linux-gnu)" |
		tee -a "$OUT/summary.txt"
fi

echo "--- timings"
cat "$OUT/timings.txt"
echo "--- summary ($OUT/summary.txt)"
cat "$OUT/summary.txt"
exit $status
