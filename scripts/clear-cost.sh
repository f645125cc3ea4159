#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# clear-cost.sh: what a private hugetlb fault costs on this machine's own
# kernel (as root), to put the region code's per-fault cost from
# make bench ($O/bench.txt) in proportion.
#
# Runs bench/hugefault.c: PAGES 2 MB huge pages faulted by first touch,
# RUNS times; the median per fault (mostly clearing the page) and the
# median of a userspace 2 MB memset of the same, already mapped, memory.
# HugePages_Rsvd may hold reservations leaked by others, so the pages
# available are Free - Rsvd, not Total; if fewer than PAGES, nr_hugepages
# is raised for the run and put back afterwards.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PAGES=${PAGES:-16}
RUNS=${RUNS:-9}
RESULT=$O/clear-cost.txt

need_pkgs gcc libc6-dev
[ "$(id -u)" = 0 ] || die "clear-cost: needs root (hugetlb pool)"
grep -q '^Hugepagesize: *2048 kB' /proc/meminfo || die "clear-cost: default huge page size is not 2 MB"
tmp=$(mktemp -d)
nr=/proc/sys/vm/nr_hugepages
orig=$(cat $nr)
restore() { [ "$(cat $nr)" = "$orig" ] || { echo "+ echo $orig > $nr"; echo "$orig" >$nr; }; rm -rf "$tmp"; }
trap restore EXIT

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
avail=$(($(meminfo HugePages_Free) - $(meminfo HugePages_Rsvd)))
if [ "$avail" -lt "$PAGES" ]; then
	run sh -c "echo $((orig + PAGES - avail)) > $nr"
	avail=$(($(meminfo HugePages_Free) - $(meminfo HugePages_Rsvd)))
	[ "$avail" -ge "$PAGES" ] || die "clear-cost: cannot get $PAGES free huge pages"
fi
run gcc -O2 -o "$tmp/hugefault" "$TOP/bench/hugefault.c" || die "build failed"
run "$tmp/hugefault" "$PAGES" "$RUNS" >"$tmp/out" || die "hugefault failed"
cat "$tmp/out" >"$LOGS/clear-cost.log"
med() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$tmp/out" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$tmp/out" | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { print a ".." b }'; }
fault=$(med fault_ns)
{
	echo "2 MB hugetlb fault on $(uname -r), $PAGES pages x $RUNS runs: median $fault ns [$(spread fault_ns)]; userspace 2 MB memset: median $(med memset_ns) ns [$(spread memset_ns)]"
	if [ -f "$O/bench.txt" ]; then
		# per-fault region cost of each case, wall median, as a share of the fault
		line=$(sed -n 's/^old: .*\[\([0-9.]*\): list.*/\1/p' "$O/bench.txt")
		awk -v f="$fault" -v base="${line:-6.1}" '
			$1 !~ /^(sequential|random)$/ || $3 != "|" { next }
			{
				line = $0; sub(/^[^|]*\| */, "", line)
				if (line ~ /^not run/) { o = ""; sub(/^not run \([^)]*\) */, "", line) }
				else { o = line + 0; sub(/^[0-9.]+ \[[^]]*\] */, "", line) }
				w = line + 0
				printf "region cost per fault, %s N=%s: %s %s, series %.1f ns (%.3f%%)\n", $1, $2, base,
					o == "" ? "not run" : sprintf("%.1f ns (%.3f%% of a 2 MB fault)", o, 100 * o / f),
					w, 100 * w / f
			}' "$O/bench.txt"
	fi
} | tee "$RESULT"
