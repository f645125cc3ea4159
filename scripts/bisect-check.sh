#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bisect-check.sh: build the kernel after every patch of the series in turn
# (incremental builds in their own worktree and output directory) and print
# one line per patch; every prefix must build with no compiler warning the
# base build does not have.
#
# The kernel is the tinyconfig + Kconfig.fragment one that make vmtest
# boots.  It leaves out much of what the series touches (bpf, etnaviv,
# tboot, EFI), so each prefix also builds, with x86_64 allmodconfig, the
# objects of every C file the series changes or whose local header it
# changes.  Files of other architectures are listed, not compiled.
# BISECT_OBJS=0 skips that second build.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Same layout as $O/linux + $O/kbuild one level down, so that with
# CCACHE_BASEDIR the unchanged objects hit the cache of the main build.
WT=$O/bisect/linux
BOUT=$O/bisect/kbuild
export CCACHE_BASEDIR=$O/bisect
mkdir -p "$O/bisect"
[ -d "$SRC/.git" ] || die "no base tree at $SRC; run 'make base' first"
[ -e "$WT/.git" ] || run git -C "$SRC" worktree add -f --detach "$WT" base >/dev/null 2>&1 ||
	die "cannot create worktree $WT"
cd "$WT" || exit 1
[ -d "$(git rev-parse --git-path rebase-apply)" ] && git am --abort
run git checkout -q -f --detach base
apply_prereqs || exit 1
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
build() {
	flock "$KBUILD_LOCK" make -C "$WT" O="$BOUT" ARCH=x86_64 -j"$JOBS" CC="$cc" bzImage >"$1" 2>&1
}
warnings() { grep ': warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

# series_c_files: C files the series changes, plus the .c files that include
# a local (non-include/) header it changes, one per line.
series_c_files() {
	local p f
	for p in "${patches[@]}"; do sed -n 's|^+++ b/||p' "$PATCHDIR/$p"; done | sort -u |
	while read -r f; do
		case $f in
		tools/* | Documentation/* | samples/* | scripts/* | include/*) ;;
		*.c) echo "$f" ;;
		*.h) [ -d "$(dirname "$f")" ] &&
			grep -l "#include \"$(basename "$f")\"" "$(dirname "$f")"/*.c 2>/dev/null ;;
		esac
	done | sort -u
}

# objs_now: the x86/generic objects of series_c_files that exist, with a
# kbuild rule, in the tree as it is now.
objs_now() {
	local f o
	for f in "${c_files[@]}"; do
		case $f in arch/x86/* | [!a]* | a[!r]*) ;; *) continue ;; esac
		o=$(basename "${f%.c}.o")
		[ -f "$f" ] && grep -qw "$o" "$(dirname "$f")/Makefile" 2>/dev/null && echo "${f%.c}.o"
	done
}

AOUT=$O/bisect/kbuild-allmod
build_objs() {
	local objs
	mapfile -t objs < <(objs_now)
	nobjs=${#objs[@]}
	[ "$nobjs" -gt 0 ] || return 0
	flock "$KBUILD_LOCK" make -C "$WT" O="$AOUT" ARCH=x86_64 -j"$JOBS" CC="$cc" \
		"${objs[@]}" >"$1" 2>&1
}

start=$(date +%s)
# Same config as make config, on the base.
mkdir -p "$BOUT"
make -C "$WT" O="$BOUT" ARCH=x86_64 tinyconfig >"$LOGS/bisect-config.log" 2>&1 &&
	"$WT/scripts/kconfig/merge_config.sh" -m -O "$BOUT" "$BOUT/.config" "$TOP/Kconfig.fragment" \
		"$TOP/scripts/qemu.config" >>"$LOGS/bisect-config.log" 2>&1 &&
	make -C "$WT" O="$BOUT" ARCH=x86_64 olddefconfig >>"$LOGS/bisect-config.log" 2>&1 ||
	die "config for the bisect build failed (see $LOGS/bisect-config.log)"
# Every build starts clean of warnings state: a full build per step would
# be hours, so the base build is full and each patch is incremental.
t0=$(date +%s)
build "$LOGS/bisect-00-base.log" || die "base does not build (see $LOGS/bisect-00-base.log)"
warnings "$LOGS/bisect-00-base.log" >"$LOGS/bisect-warnings.base"
echo "base: builds ($(($(date +%s) - t0))s, $(wc -l <"$LOGS/bisect-warnings.base") warnings)"
mapfile -t patches < <(series_patches)
mapfile -t c_files < <(series_c_files)
if [ "${BISECT_OBJS:-1}" = 1 ]; then
	other=$(printf '%s\n' "${c_files[@]}" | grep '^arch/' | grep -v '^arch/x86/' | xargs)
	[ -n "$other" ] && echo "not compiled (no cross compiler used): $other"
	t0=$(date +%s)
	mkdir -p "$AOUT"
	# No -Werror: new warnings are what we compare.  Compile-only, so no
	# sanitizers or debug info: they make each object several times
	# slower to build and a compile finds nothing more with them.
	{ make -C "$WT" O="$AOUT" ARCH=x86_64 allmodconfig &&
	  "$WT/scripts/config" --file "$AOUT/.config" -d WERROR -d KASAN -d UBSAN \
		-d KCSAN -d KCOV -d GCOV_KERNEL -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		-d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE &&
	  make -C "$WT" O="$AOUT" ARCH=x86_64 olddefconfig &&
	  flock "$KBUILD_LOCK" make -C "$WT" O="$AOUT" ARCH=x86_64 -j"$JOBS" CC="$cc" prepare; } \
		>"$LOGS/bisect-00-allmod-prepare.log" 2>&1 ||
		die "allmodconfig prepare failed (see $LOGS/bisect-00-allmod-prepare.log)"
	build_objs "$LOGS/bisect-00-base-objs.log" ||
		die "base objects do not build with allmodconfig (see $LOGS/bisect-00-base-objs.log)"
	warnings "$LOGS/bisect-00-base-objs.log" >"$LOGS/bisect-warnings.base-objs"
	echo "base: $nobjs objects build with allmodconfig ($(($(date +%s) - t0))s, $(wc -l <"$LOGS/bisect-warnings.base-objs") warnings)"
fi
n=0 bad=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	log=$LOGS/bisect-$(printf %02d $n).log
	t0=$(date +%s)
	git am -q "$PATCHDIR/$p" >"$log.am" 2>&1 || { echo "FAIL $n/${#patches[@]} $p: does not apply (see $log.am)"; bad=$((bad + 1)); git am --abort; break; }
	# Touch nothing else: kbuild rebuilds what the patch changed.
	if ! build "$log"; then
		echo "FAIL $n/${#patches[@]} $p: build failed: $(grep -m1 -E 'error:' "$log") (see $log)"
		bad=$((bad + 1))
		continue
	fi
	t1=$(date +%s)
	new=$(warnings "$log" | comm -23 - "$LOGS/bisect-warnings.base")
	objinfo=""
	if [ "${BISECT_OBJS:-1}" = 1 ]; then
		olog=${log%.log}-objs.log
		if ! build_objs "$olog"; then
			echo "FAIL $n/${#patches[@]} $p: allmodconfig objects failed: $(grep -m1 -E 'error' "$olog") (see $olog)"
			bad=$((bad + 1))
			continue
		fi
		new=$(printf '%s\n' "$new" "$(warnings "$olog" | comm -23 - "$LOGS/bisect-warnings.base-objs")" | sed '/^$/d')
		objinfo="; $nobjs allmodconfig objects $(($(date +%s) - t1))s"
		log="$log, $olog"
	fi
	if [ -n "$new" ]; then
		echo "FAIL $n/${#patches[@]} $p: new warnings (see $log):"
		echo "$new" | head -5 | sed 's/^/    /'
		bad=$((bad + 1))
	else
		echo "PASS $n/${#patches[@]} $p (bzImage $((t1 - t0))s$objinfo)"
	fi
done
echo "bisect-check: ${#patches[@]} patches in $(($(date +%s) - start))s"
echo "$((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
