#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# noinstr-check.sh: build the vmtest kernel's config plus CONFIG_DEBUG_ENTRY
# (which turns on CONFIG_NOINSTR_VALIDATION: objtool checks vmlinux.o for
# calls out of noinstr text) on the base and with the series, and fail on
# any objtool warning the series adds.
#
# Trees: $O/linux-base (SERIES=none) and $O/linux; build dirs
# $O/noinstr/{base,series}; logs $O/noinstr/*.log.  The objtool lines are
# normalised (offsets dropped) and compared as sets.  Also checks that the
# series' exc_page_fault() has no call to mmap_lock_prefetchw left.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NI=$O/noinstr
mkdir -p "$NI"
extra=$NI/debug-entry.config
printf '%s\n' CONFIG_DEBUG_ENTRY=y CONFIG_NOINSTR_VALIDATION=y >"$extra"
need_pkgs make gcc flex bison bc libelf-dev libssl-dev ccache
cc=gcc
command -v ccache >/dev/null && [ "${CCACHE:-1}" = 1 ] && cc="ccache gcc"
export CCACHE_BASEDIR=$O

SERIES=none "$TOP/scripts/apply.sh" || die "cannot set up the base tree (SERIES=none make apply)"
for v in base series; do
	tree=$SRC sn=
	[ $v = base ] && tree=$O/linux-base sn=none
	kb=$NI/$v
	info "noinstr: $v: config (vmtest's + DEBUG_ENTRY) in $kb"
	SERIES=$sn KOUT_DIR=$kb EXTRA_CONFIG=$extra "$TOP/scripts/config.sh" >"$NI/config-$v.log" 2>&1 ||
		die "config for $v failed (see $NI/config-$v.log)"
	grep -q '^CONFIG_NOINSTR_VALIDATION=y' "$kb/.config" ||
		die "$kb/.config has no CONFIG_NOINSTR_VALIDATION=y (see $NI/config-$v.log)"
	info "noinstr: $v: make vmlinux (objtool --noinstr on vmlinux.o)"
	logrun "$NI/build-$v.log" flock "$KBUILD_LOCK" nice -n 10 make -C "$tree" O="$kb" \
		ARCH=x86_64 -j"${NJOBS:-3}" CC="$cc" vmlinux ||
		die "building vmlinux for $v failed (see $NI/build-$v.log)"
	grep -E '(^|: )(warning|error): objtool:|objtool: ' "$NI/build-$v.log" |
		sed -E -e "s#^$tree/##" -e 's/\+0x[0-9a-f]+(\/0x[0-9a-f]+)?//g' | sort -u >"$NI/objtool-$v.txt"
	info "noinstr: $v: $(wc -l <"$NI/objtool-$v.txt") objtool warnings (see $NI/objtool-$v.txt)"
done

new=$(comm -13 "$NI/objtool-base.txt" "$NI/objtool-series.txt")
# exc_page_fault must not call the helper: it is inlined or objtool said so.
kb=$NI/series
calls=$(objdump -d --no-show-raw-insn "$kb/arch/x86/mm/fault.o" 2>/dev/null |
	awk '/<exc_page_fault>:/ {f = 1; next} /^$/ {f = 0} f && /call/' | grep -c 'mmap_lock_prefetchw')
grep -q '^CONFIG_NOINSTR_VALIDATION=y' "$kb/.config" && echo "CONFIG_NOINSTR_VALIDATION=y in both builds"
echo "objtool warnings: base $(wc -l <"$NI/objtool-base.txt"), series $(wc -l <"$NI/objtool-series.txt"), new $(printf '%s' "$new" | grep -c .)"
echo "calls to mmap_lock_prefetchw in the series' exc_page_fault: $calls"
if [ -n "$new" ] || [ "$calls" -ne 0 ]; then
	printf '%s\n' "$new" | sed 's/^/    NEW /'
	die "noinstr: the series adds objtool warnings or an out-of-line call (see $NI/build-series.log)"
fi
info "noinstr: PASS, no new objtool warning"
