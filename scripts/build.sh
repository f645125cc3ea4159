#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build.sh: make bzImage in $KOUT, ccache when present, full log in $LOGS.
# Builds on one machine take turns on $KBUILD_LOCK (lib.sh; default
# /tmp/kbuild.lock), as every build script does.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs make gcc flex bison bc libelf-dev libssl-dev ccache
[ -f "$KOUT/.config" ] || die "$KOUT/.config missing; run 'make config' first"

cc=gcc
command -v ccache >/dev/null && [ "${CCACHE:-1}" = 1 ] && cc="ccache gcc"
# Paths under the build directory are hashed relative to it, so a fresh
# clone elsewhere still hits the cache of an earlier one.
export CCACHE_BASEDIR=$O
log=$LOGS/build-$VARIANT.log
info "build: bzImage for $VARIANT, -j$JOBS, CC=$cc"
start=$(date +%s)
# Serialise kernel builds on a shared machine (harmless when alone).
if ! logrun "$log" flock "$KBUILD_LOCK" make -C "$KTREE" O="$KOUT" ARCH=x86_64 \
	-j"$JOBS" CC="$cc" bzImage; then
	err=$(grep -m1 -E ': (fatal )?error:|^make.*Error|No space left' "$log")
	die "kernel build failed: ${err:-see log} (see $log)"
fi
# New warnings are a defect too: show them, the log has the context.
nwarn=$(grep -c ': warning:' "$log")
[ "$nwarn" -gt 0 ] && grep ': warning:' "$log" | head -5
info "build: $KOUT/arch/x86/boot/bzImage in $(($(date +%s) - start))s, $nwarn compiler warnings"
echo "build_seconds=$(($(date +%s) - start))" >"$O/build-$VARIANT.time"
