#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# arch-check.sh: build the mmap_lock topic's objects for every architecture
# Debian has a cross gcc for (plus um with the host gcc, and ia64 with the
# gcc that scripts/ia64-toolchain.sh builds), on the base and with the
# series, and fail on any new error or warning.
#
# usage: scripts/arch-check.sh [ARCH-NAME...]   (default: all of ARCHES)
#
# Per architecture, in its defconfig: kernel/fork.o and the objects the
# config selects in mm/, arch/$SRCARCH/mm/, arch/$SRCARCH/kernel/ (the
# API's users there among them) and the directory of every .c file the
# series changes (other architectures' and tools/ excluded).  The
# directories are built as kbuild targets, so only configured objects
# are compiled, the same set for base and series.  The base tree is $O/arch-check/base-tree (tag base), the series
# tree $O/arch-check/series-tree (the commit $SRC has checked out, or
# SERIES_COMMIT=); both are worktrees of $SRC, so editing $SRC meanwhile
# does not matter.  Warnings and errors are normalised (tree path and
# line:column dropped) and the series' multiset minus the base's is NEW.
# Base results are cached per arch, base commit and compiler version in
# $O/arch-check/ARCH/base.diag; the series is rebuilt every run, warm
# through ccache (objects are deleted first so the compiler's messages are
# replayed, not lost).
#
# A base that does not build for an architecture at all gets the fix in
# tests/arch-check/NAME.patch (6.1) or tests/arch-check/X.Y/NAME.patch
# (line X.Y, as patches/ is laid out; not part of the series), applied to
# both trees for that architecture only and reverted afterwards: Debian's
# 6.1.192 and 6.12.117 each need their own for alpha (6.1's would break
# 6.12, where it still applies).
#
# An architecture the base no longer has (ia64 on 6.12: removed in 6.7)
# is skipped with its reason: "SKIP arch: ...".
#
# One line per arch: "PASS arch (N warnings on both, Ts)" or
# "FAIL arch: ..." then "N passed, N failed[, N skipped]".  Logs:
# $O/arch-check/ARCH/.
# Every kernel make runs under flock $KBUILD_LOCK, nice -n 10, -j${AJOBS:-3}.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

AC=$O/arch-check
mkdir -p "$AC"
LOCK=$KBUILD_LOCK
AJOBS=${AJOBS:-3}
# Base fixes of this series line (tests/arch-check/ is 6.1's).
FIXDIR=$TOP/tests/arch-check
[ "$SERIES_LINE" = 6.1 ] || FIXDIR=$FIXDIR/$SERIES_LINE

# name ARCH CROSS_COMPILE debian-package defconfig-target
ARCHES=(
	"arm64 arm64 aarch64-linux-gnu- gcc-aarch64-linux-gnu defconfig"
	"arm arm arm-linux-gnueabi- gcc-arm-linux-gnueabi multi_v7_defconfig"
	"i686 i386 i686-linux-gnu- gcc-i686-linux-gnu i386_defconfig"
	"powerpc powerpc powerpc-linux-gnu- gcc-powerpc-linux-gnu pmac32_defconfig"
	"powerpc64 powerpc powerpc64-linux-gnu- gcc-powerpc64-linux-gnu ppc64_defconfig"
	"powerpc64le powerpc powerpc64le-linux-gnu- gcc-powerpc64le-linux-gnu ppc64le_defconfig"
	"s390x s390 s390x-linux-gnu- gcc-s390x-linux-gnu defconfig"
	"riscv64 riscv riscv64-linux-gnu- gcc-riscv64-linux-gnu defconfig"
	"mips mips mips-linux-gnu- gcc-mips-linux-gnu 32r2_defconfig"
	"mips64 mips mips64-linux-gnuabi64- gcc-mips64-linux-gnuabi64 64r2_defconfig"
	"alpha alpha alpha-linux-gnu- gcc-alpha-linux-gnu defconfig"
	"hppa parisc hppa-linux-gnu- gcc-hppa-linux-gnu generic-32bit_defconfig"
	"m68k m68k m68k-linux-gnu- gcc-m68k-linux-gnu multi_defconfig"
	"sh4 sh sh4-linux-gnu- gcc-sh4-linux-gnu shx3_defconfig"
	"sparc64 sparc64 sparc64-linux-gnu- gcc-sparc64-linux-gnu sparc64_defconfig"
	"um um - gcc defconfig"
	"ia64 ia64 $O/toolchains/ia64/bin/ia64-linux-gnu- binutils-ia64-linux-gnu generic_defconfig"
)

[ -d "$SRC/.git" ] || die "no kernel tree at $SRC; run 'make apply' first"
want=("$@")
sel=()
for a in "${ARCHES[@]}"; do
	read -r name _ <<<"$a"
	if [ ${#want[@]} -eq 0 ] || printf '%s\n' "${want[@]}" | grep -qx "$name"; then
		sel+=("$a")
	fi
done
[ ${#sel[@]} -gt 0 ] || die "no known architecture in: $* (known: $(printf '%s ' "${ARCHES[@]}" | awk '{for (i = 1; i <= NF; i += 5) printf "%s ", $i}'))"

# srcarch ARCH: the arch/ directory of a kbuild ARCH.
srcarch() {
	case $1 in i386) echo x86 ;; sparc64) echo sparc ;; *) echo "$1" ;; esac
}
# Architectures the base does not have are skipped, with the reason.
kver=$(base_get kernelversion)
skips=()
keep=()
for a in "${sel[@]}"; do
	read -r name arch _ <<<"$a"
	if [ -d "$SRC/arch/$(srcarch "$arch")" ]; then
		keep+=("$a")
	else
		why="Linux ${kver:-of this base} has no arch/$(srcarch "$arch")"
		[ "$name" = ia64 ] && why="$why (ia64 was removed in 6.7)"
		skips+=("SKIP $name: $why")
	fi
done
sel=("${keep[@]}")

# The cross compilers this run needs, installed by package name.
pkgs=(ccache flex bison bc libelf-dev libssl-dev)
for a in "${sel[@]}"; do
	read -r _ _ _ pkg _ <<<"$a"
	pkgs+=("$pkg")
done
need_pkgs "${pkgs[@]}"

series_commit=${SERIES_COMMIT:-$(git -C "$SRC" rev-parse HEAD)}
base_commit=$(git -C "$SRC" rev-parse base) || die "no tag base in $SRC"
# worktree DIR COMMIT: a detached worktree of $SRC at COMMIT.
worktree() {
	local dir=$1 commit=$2
	if [ ! -e "$dir/.git" ]; then
		run git -C "$SRC" worktree add -f --detach "$dir" "$commit" >/dev/null 2>&1 ||
			die "cannot create worktree $dir at $commit"
	fi
	if [ "$(git -C "$dir" rev-parse HEAD)" != "$commit" ]; then
		run git -C "$dir" checkout -q -f --detach "$commit" || die "cannot check out $commit in $dir"
	fi
}
worktree "$AC/base-tree" "$base_commit"
worktree "$AC/series-tree" "$series_commit"

# .c files the series changes (added or modified), relative to the tree.
mapfile -t touched < <(git -C "$SRC" diff --name-only --diff-filter=AM "$base_commit" "$series_commit" -- '*.c')
info "arch-check: base $(git -C "$SRC" rev-parse --short "$base_commit"), series $(git -C "$SRC" rev-parse --short "$series_commit"), ${#touched[@]} touched .c files, ${#sel[@]} architectures"

# normalise LOG: the compiler's diagnostics, without tree prefixes and
# line/column numbers, sorted.
normalise() {
	grep -E '(warning|error):' "$1" |
		sed -E -e "s#$AC/(base|series)-tree/##g" -e "s#$AC/[^/ ]*/(base|series)/##g" \
			-e 's#^(\.\./)+##' -e 's#:[0-9]+:[0-9]+:#:#' -e 's#:[0-9]+:#:#' |
		sort
}

# build NAME ARCH CROSS DEFCONFIG TREE-KIND: configure and build the
# object set into $AC/NAME/KIND; diagnostics in $AC/NAME/KIND.diag.
build() {
	local name=$1 arch=$2 cross=$3 defconfig=$4 kind=$5
	local tree=$AC/$kind-tree kb=$AC/$name/$kind log=$AC/$name/$kind.log
	local cc=("CC=ccache ${cross}gcc" "CROSS_COMPILE=$cross")
	[ "$cross" = - ] && cc=("CC=ccache gcc")
	local mk=(nice -n 10 make -C "$tree" O="$kb" ARCH="$arch" "${cc[@]}" HOSTCC="ccache gcc")
	mkdir -p "$kb"
	: >"$log"
	# a fix left behind by an interrupted run goes first
	git -C "$tree" reset -q --hard
	if [ -f "$FIXDIR/$name.patch" ]; then
		run git -C "$tree" apply "$FIXDIR/$name.patch" >>"$log" 2>&1 ||
			{ echo "the base fix ${FIXDIR#"$TOP"/}/$name.patch does not apply" >>"$log"; return 1; }
		echo "applied the base fix ${FIXDIR#"$TOP"/}/$name.patch" >>"$log"
	fi
	{
		if [ ! -f "$kb/.config" ] || [ "$(cat "$kb/.ac-defconfig" 2>/dev/null)" != "$defconfig" ]; then
			run "${mk[@]}" "$defconfig" || return 1
			echo "$defconfig" >"$kb/.ac-defconfig"
		fi
		run "${mk[@]}" -j"$AJOBS" prepare || return 1
	} >>"$log" 2>&1 || { echo "prepare failed" >>"$log"; return 1; }
	local srcarch
	srcarch=$(srcarch "$arch")
	# Objects: directories, so kbuild builds exactly what the config
	# selects there; the same list for base and series.
	local dirs=(mm/ "arch/$srcarch/mm/" "arch/$srcarch/kernel/") d f rc=0
	for f in "${touched[@]}"; do
		case $f in
		arch/"$srcarch"/*) d=$(dirname "$f")/ ;;
		arch/* | tools/* | scripts/* | samples/* | Documentation/*) continue ;;
		*) d=$(dirname "$f")/ ;;
		esac
		printf '%s\n' "${dirs[@]}" | grep -qxF "$d" || dirs+=("$d")
	done
	# delete the objects so that every diagnostic is printed (ccache
	# replays it on a hit)
	for d in "${dirs[@]}"; do
		[ -d "$kb/$d" ] && find "$kb/$d" -maxdepth 1 -name '*.o' -delete
	done
	rm -f "$kb/kernel/fork.o"
	run "${mk[@]}" -k -j"$AJOBS" "${dirs[@]}" kernel/fork.o >>"$log" 2>&1 || rc=1
	echo "objects: kernel/fork.o and the configured objects of ${dirs[*]}: $(grep -cE '^  CC ' "$log") compiled, make status $rc" >>"$log"
	normalise "$log" >"$AC/$name/$kind.diag"
	[ -f "$FIXDIR/$name.patch" ] &&
		run git -C "$tree" apply -R "$FIXDIR/$name.patch" >>"$log" 2>&1
	return $rc
}

pass=0 fail=0
failed=()
for s in "${skips[@]}"; do
	echo "$s"
done
for a in "${sel[@]}"; do
	read -r name arch cross pkg defconfig <<<"$a"
	t0=$(date +%s)
	mkdir -p "$AC/$name" || { echo "FAIL $name: cannot create $AC/$name (df: $(df -h --output=avail "$AC" | tail -n1) free)"; fail=$((fail + 1)); failed+=("$name"); continue; }
	if [ "$name" = ia64 ] && [ ! -f "$O/toolchains/ia64/.done" ]; then
		info "arch-check: ia64 needs its gcc; building it (scripts/ia64-toolchain.sh)"
		"$TOP/scripts/ia64-toolchain.sh" || { echo "FAIL ia64: no ia64 gcc (see $LOGS/ia64-toolchain.log)"; fail=$((fail + 1)); failed+=(ia64); continue; }
	fi
	ccv=$( { if [ "$cross" = - ]; then gcc --version; else "${cross}gcc" --version; fi; } 2>/dev/null | head -n1)
	[ -n "$ccv" ] || { echo "FAIL $name: no compiler ${cross}gcc (package $pkg)"; fail=$((fail + 1)); failed+=("$name"); continue; }
	key="objset-3 $base_commit $defconfig $ccv"
	[ -f "$FIXDIR/$name.patch" ] &&
		key="$key $(git hash-object "$FIXDIR/$name.patch")"
	info "arch-check: $name ($arch, $defconfig, $ccv)"
	exec 8>"$LOCK"
	flock -n 8 || { info "  waiting for $LOCK"; flock 8; }
	if [ "$(cat "$AC/$name/base.key" 2>/dev/null)" = "$key" ] && [ -f "$AC/$name/base.diag" ]; then
		info "  base: cached ($(wc -l <"$AC/$name/base.diag") diagnostics)"
		brc=$(cat "$AC/$name/base.rc")
	else
		info "  base: building (log $AC/$name/base.log)"
		build "$name" "$arch" "$cross" "$defconfig" base
		brc=$?
		echo "$brc" >"$AC/$name/base.rc"
		# cache only a base that got as far as its objects (not one
		# stopped by a full disk or an interrupt)
		if grep -q '^objects:' "$AC/$name/base.log" 2>/dev/null; then
			echo "$key" >"$AC/$name/base.key"
		else
			rm -f "$AC/$name/base.key"
		fi
	fi
	info "  series: building (log $AC/$name/series.log)"
	build "$name" "$arch" "$cross" "$defconfig" series
	src=$?
	flock -u 8
	exec 8>&-
	new=$(comm -13 "$AC/$name/base.diag" "$AC/$name/series.diag")
	gone=$(comm -23 "$AC/$name/base.diag" "$AC/$name/series.diag" | wc -l)
	nnew=$(printf '%s' "$new" | grep -c .)
	nw=$(wc -l <"$AC/$name/series.diag")
	dt=$(($(date +%s) - t0))
	if [ "$nnew" -eq 0 ] && { [ "$src" -eq 0 ] || [ "$brc" -ne 0 ]; } &&
		grep -q '^objects:' "$AC/$name/series.log"; then
		pass=$((pass + 1))
		note=
		[ "$brc" -ne 0 ] && note=", base has build errors too"
		echo "PASS $name: 0 new ($nw diagnostics with the series, $gone fewer than base$note; ${dt}s)"
	else
		fail=$((fail + 1))
		failed+=("$name")
		echo "FAIL $name: $nnew new diagnostics, make status base $brc series $src (see $AC/$name/series.log; ${dt}s)"
		grep -qs 'No space left on device' "$AC/$name/base.log" "$AC/$name/series.log" &&
			echo "    the disk filled up during the build: not a finding, run it again"
		printf '%s\n' "$new" | head -n 10 | sed 's/^/    /'
	fi
done
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed$([ ${#skips[@]} -eq 0 ] || echo ", ${#skips[@]} skipped")"
[ "$fail" -eq 0 ] || die "arch-check: new diagnostics or build failures on: ${failed[*]} (see $AC/ARCH/series.log)"
