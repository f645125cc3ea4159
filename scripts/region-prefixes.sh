#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# region-prefixes.sh [KERNEL_TREE]: build every prefix of the hugetlb region
# topic, the way bisect-check.sh builds every patch, but only from the
# commit before the topic on: each region commit of KERNEL_TREE (default
# $O/linux; the commits from the one that creates mm/hugetlb_region.c to
# the last that touches the region code or its harness) is checked out in
# its own worktree and built
#
#   - as the make vmtest bzImage (its config from $KOUT/.config),
#     incrementally; no warning the commit before the topic does not have,
#   - with CONFIG_CGROUP_HUGETLB=n: mm/hugetlb.o and mm/hugetlb_region.o,
#     with -Werror-free warnings compared the same way,
#   - the harness (make -C tools/testing/hugetlb_region run, both configs).
#
# One line per commit; exits non-zero if any step failed.  Logs in
# $LOGS/region-prefixes/.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TREE=${1:-$SRC}
WT=$O/region-prefixes/linux
BOUT=$O/region-prefixes/kbuild
NOCG=$O/region-prefixes/kbuild-nocg
L=$LOGS/region-prefixes
export CCACHE_BASEDIR=$O/region-prefixes
mkdir -p "$L" "$BOUT" "$NOCG"
[ -f "$KOUT/.config" ] || die "$KOUT/.config missing; run 'make config' first"
git() { command git -C "$TREE" "$@"; }
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

first=$(git log --format=%H --diff-filter=A HEAD -- mm/hugetlb_region.c | tail -n1)
[ -n "$first" ] || die "no commit creates mm/hugetlb_region.c in $TREE"
mapfile -t commits < <(git rev-list --reverse "$first^..HEAD" -- mm/hugetlb_region.c \
	mm/hugetlb_region.h mm/hugetlb_region_internal.h tools/testing/hugetlb_region)
before=$(git rev-parse "$first^")

[ -e "$WT/.git" ] || run git worktree add -f --detach "$WT" "$before" >/dev/null 2>&1 ||
	die "cannot create worktree $WT"
cd "$WT" || exit 1

kbuild() {	# kbuild OUT LOG TARGETS...
	local out=$1 log=$2
	shift 2
	echo "+ make O=$out $*" >"$log"
	flock "$KBUILD_LOCK" make -C "$WT" O="$out" ARCH=x86_64 -j"$JOBS" CC="$cc" "$@" >>"$log" 2>&1
}
warnings() { grep ': warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u; }

run command git checkout -q -f --detach "$before" || die "cannot check out $before"
cp "$KOUT/.config" "$BOUT/.config"
cp "$KOUT/.config" "$NOCG/.config"
"$WT/scripts/config" --file "$NOCG/.config" -d CGROUP_HUGETLB
{ make -C "$WT" O="$BOUT" ARCH=x86_64 olddefconfig &&
  make -C "$WT" O="$NOCG" ARCH=x86_64 olddefconfig; } >"$L/config.log" 2>&1 ||
	die "config failed (see $L/config.log)"
grep -q '^CONFIG_CGROUP_HUGETLB=y' "$BOUT/.config" || die "the vmtest config has no CGROUP_HUGETLB"
grep -q '^CONFIG_CGROUP_HUGETLB=y' "$NOCG/.config" && die "cannot turn CGROUP_HUGETLB off"
nocg_objs="mm/hugetlb.o"
t0=$(date +%s)
kbuild "$BOUT" "$L/00-before.log" bzImage || die "the commit before the topic does not build (see $L/00-before.log)"
kbuild "$NOCG" "$L/00-before-nocg.log" prepare $nocg_objs ||
	die "the commit before the topic does not build with CGROUP_HUGETLB=n (see $L/00-before-nocg.log)"
warnings "$L/00-before.log" >"$L/warnings.before"
warnings "$L/00-before-nocg.log" >"$L/warnings.before-nocg"
echo "before the topic: $(git log -1 --format='%h %s' "$before"): builds ($(($(date +%s) - t0))s)"

n=0 bad=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	t0=$(date +%s)
	what="$(git log -1 --format='%h %s' "$c")"
	run command git checkout -q -f --detach "$c" >/dev/null || die "cannot check out $c"
	log=$L/$(printf %02d $n)
	objs=$nocg_objs
	[ -f mm/hugetlb_region.c ] && objs="$objs mm/hugetlb_region.o"
	if ! kbuild "$BOUT" "$log.log" bzImage; then
		echo "FAIL $n $what: bzImage: $(grep -m1 'error:' "$log.log")"; bad=$((bad + 1)); continue
	fi
	# shellcheck disable=SC2086
	if ! kbuild "$NOCG" "$log-nocg.log" $objs; then
		echo "FAIL $n $what: CGROUP_HUGETLB=n: $(grep -m1 'error:' "$log-nocg.log")"; bad=$((bad + 1)); continue
	fi
	new=$( { warnings "$log.log" | comm -23 - "$L/warnings.before"
		 warnings "$log-nocg.log" | comm -23 - "$L/warnings.before-nocg"; } | sed '/^$/d')
	if [ -n "$new" ]; then
		echo "FAIL $n $what: new warnings:"; echo "$new" | head -5 | sed 's/^/    /'
		bad=$((bad + 1)); continue
	fi
	harness=""
	if [ -d tools/testing/hugetlb_region ]; then
		if ! make -C tools/testing/hugetlb_region run >"$log-harness.log" 2>&1; then
			echo "FAIL $n $what: harness (see $log-harness.log)"; bad=$((bad + 1)); continue
		fi
		harness="; harness: $(grep -c ' passed, 0 failed' "$log-harness.log") builds pass"
		make -C tools/testing/hugetlb_region clean >/dev/null 2>&1
	fi
	echo "ok   $n $what ($(($(date +%s) - t0))s$harness)"
done
echo "region prefixes: $n built, $bad failed"
[ "$bad" = 0 ]
