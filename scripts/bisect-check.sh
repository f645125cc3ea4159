#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bisect-check.sh: build the kernel after every patch of the series in turn
# (incremental builds in their own worktree and output directory) and print
# one line per patch; every prefix must build with no compiler warning the
# base build does not have.
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
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
build() {
	flock /tmp/kbuild.lock make -C "$WT" O="$BOUT" ARCH=x86_64 -j"$JOBS" CC="$cc" bzImage >"$1" 2>&1
}
warnings() { grep ': warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

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
n=0 bad=0
mapfile -t patches < <(series_patches)
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
	new=$(warnings "$log" | comm -23 - "$LOGS/bisect-warnings.base")
	if [ -n "$new" ]; then
		echo "FAIL $n/${#patches[@]} $p: new warnings (see $log):"
		echo "$new" | head -5 | sed 's/^/    /'
		bad=$((bad + 1))
	else
		echo "PASS $n/${#patches[@]} $p ($(($(date +%s) - t0))s)"
	fi
done
echo "bisect-check: ${#patches[@]} patches in $(($(date +%s) - start))s"
echo "$((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
