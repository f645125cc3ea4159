#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh [KERNEL_TREE]: benchmark the hugetlb resv_map region code of the
# series against the base's (6.1's, or 6.12's with BASE=6.12.x), in
# userspace, in wall time and in instructions.
#
# KERNEL_TREE (default $O/linux, the patched tree) must carry the series.
# "old" is mm/hugetlb_region.c as of the commit that adds the harness in
# tools/testing/hugetlb_region/ (the base's code: sorted list, coalescing);
# "new" is NEW (default HEAD) of the tree.  Both are extracted with git
# show together with the harness stubs of the same commit and built with
# bench/bench.c at -O2 without sanitizers, the same compiler and flags.
#
# A case is a private mapping of N huge pages faulted in page by page
# (one single page chg+add pair per fault) in ascending ("sequential") or
# random order, then unmapped (a full-range hugetlb_region_count() and
# resv_map_release()); everything is counted and divided by N.
#   wall  RUNS native runs of each version, interleaved; median, and
#         the spread min..max
#   insn  valgrind callgrind, one run; for "random" the faults are
#         sampled (SAMPLE faults in 20 windows, see bench/bench.c), the
#         unmap is always counted in full
# Memory is the map's objects at its largest, per faulted page, under a
# model of the slab allocator (kmalloc size classes, kmem_caches of exact
# size), with CONFIG_CGROUP_HUGETLB on and off.
#
# INDEX="maple [maple-prealloc]" adds the same region code on the tree's maple
# tree (bench/maple/hugetlb_region.c with the tree's lib/maple_tree.c,
# built the way tools/testing/radix-tree builds it; "maple-prealloc"
# preallocates a worst-case store before every add), run interleaved with
# the others and checked against a model first (bench/maple/test.c, ASan):
# a table of all versions follows the usual output, also in
# $O/bench-index.md.  Their random-order instructions are counted over all
# faults (the old list's stay sampled).
#
# Results go to stdout and to $O/bench.txt; commands and raw output to
# $LOGS/bench.log.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TREE=${1:-$SRC}
RUNS=${RUNS:-5}
SAMPLE=${SAMPLE:-2000}
NS=${NS:-"10000 100000"}
BIG_NS=${BIG_NS-1000000}	# wall time only; the old code only in sequential order
CASES="sequential random"
INDEX=${INDEX:-}
VERSIONS="old new"
for v in $INDEX; do
	case $v in
	maple | maple-prealloc) VERSIONS+=" $v" ;;
	*) die "unknown INDEX variant '$v' (maple, maple-prealloc)" ;;
	esac
done
RESULT=$O/bench.txt
LOG=$LOGS/bench.log

need_pkgs git gcc libc6-dev valgrind
need_cmd valgrind

command git -C "$TREE" rev-parse --git-dir >/dev/null 2>&1 || die "$TREE is not a git tree"
git() { command git -C "$TREE" "$@"; }
# x CMD...: echo the command to stderr and the log, then run it
x() { echo "+ $*" | tee -a "$LOG" >&2; "$@"; }

new=$(git rev-parse --verify "${NEW:-HEAD}") || die "no ${NEW:-HEAD} in $TREE"
old=$(git log --format=%H --diff-filter=A "$new" -- \
	tools/testing/hugetlb_region/main.c | tail -n1)
[ -n "$old" ] || die "no commit adding tools/testing/hugetlb_region in $TREE; is the series applied?"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$LOG"

# build NAME COMMIT [CFLAGS...]
build() {
	local name=$1 d=$tmp/src-$1 c=$2
	shift 2
	mkdir -p "$d"
	git show "$c:mm/hugetlb_region.c" >"$d/hugetlb_region.c" &&
	git show "$c:mm/hugetlb_region.h" >"$d/hugetlb_region.h" &&
	git show "$c:tools/testing/hugetlb_region/hugetlb_region_internal.h" \
		>"$d/hugetlb_region_internal.h" &&
	git archive "$c" tools/include tools/lib/rbtree.c | tar -x -C "$d" ||
		die "cannot extract the region code of $c from $TREE"
	x gcc -O2 -std=gnu11 -Wall -Wno-sign-compare "$@" -I"$d" \
		-I"$d/tools/include" -o "$tmp/bench-$name" \
		"$TOP/bench/bench.c" "$d/tools/lib/rbtree.c" \
		>>"$LOG" 2>&1 ||
		die "building the $name bench failed (see $LOG)"
}

# build_maple NAME [CFLAGS...]: bench/maple/ on lib/maple_tree.c of NEW,
# with tools/testing/radix-tree's shims; checked by bench/maple/test.c
build_maple() {
	local name=$1 d=$tmp/src-maple
	shift
	if [ ! -d "$d" ]; then
		mkdir -p "$d/gen/generated"
		# 6.12 keeps the shims in tools/testing/shared
		shared=
		git cat-file -e "$new:tools/testing/shared" 2>/dev/null &&
			shared=tools/testing/shared
		git archive "$new" lib/maple_tree.c include/linux/maple_tree.h \
			include/linux/xarray.h include/linux/kconfig.h \
			include/linux/gfp_types.h mm/hugetlb_region.h \
			tools/include tools/arch tools/testing/radix-tree $shared |
			tar -x -C "$d" ||
			die "cannot extract lib/maple_tree.c and the radix-tree shims of $new from $TREE"
		# what tools/testing/radix-tree/Makefile generates
		echo "#define CONFIG_$(getconf LONG_BIT)BIT 1" >"$d/gen/bit-length.h"
		echo "#define XA_CHUNK_SHIFT 6" >"$d/gen/generated/map-shift.h"
		# 6.12's shared.mk copies its autoconf.h (which includes
		# bit-length.h) into generated/
		[ -f "$d/tools/testing/shared/autoconf.h" ] &&
			cp "$d/tools/testing/shared/autoconf.h" "$d/gen/generated/autoconf.h"
	fi
	local inc=(-I"$TOP/bench/maple" -I"$d" -I"$d/mm" -I"$d/gen"
		-I"$d/tools/testing/radix-tree" -I"$d/tools/include")
	[ -d "$d/tools/testing/shared" ] &&
		inc=(-I"$TOP/bench/maple" -I"$d" -I"$d/mm" -I"$d/gen"
			-I"$d/tools/testing/shared" -I"$d/tools/testing/radix-tree"
			-I"$d/tools/include")
	x gcc -O1 -g -std=gnu11 -Wall -Wno-sign-compare \
		-fsanitize=address,undefined -fno-sanitize-recover=all "$@" \
		"${inc[@]}" -o "$tmp/test-$name" "$TOP/bench/maple/test.c" \
		"$TOP/bench/maple/maple_tree_shim.c" >>"$LOG" 2>&1 ||
		die "building the $name test failed (see $LOG)"
	x "$tmp/test-$name" >>"$LOG" 2>&1 ||
		die "the $name region code does not match the model (see $LOG)"
	x gcc -O2 -std=gnu11 -Wall -Wno-sign-compare "$@" "${inc[@]}" \
		-o "$tmp/bench-$name" "$TOP/bench/bench.c" \
		"$TOP/bench/maple/maple_tree_shim.c" >>"$LOG" 2>&1 ||
		die "building the $name bench failed (see $LOG)"
}

info "bench: old $(git log -1 --format='%h %s' "$old")" >&2
info "bench: new $(git log -1 --format='%h %s' "$new")" >&2
build old "$old"
build new "$new"
build old-nocg "$old" -DHR_NO_CGROUP_HUGETLB
build new-nocg "$new" -DHR_NO_CGROUP_HUGETLB
for v in $VERSIONS; do
	case $v in
	maple) build_maple maple ;;
	maple-prealloc) build_maple maple-prealloc -DHR_MAPLE_PREALLOC ;;
	esac
done
grep -q coalesce_file_region "$tmp/src-old/hugetlb_region.c" ||
	info "bench: warning: the old code has no coalesce_file_region()" >&2

# field KEY LINE: value of KEY=value in LINE
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# stats: median, min and max of the numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

declare -A wall wmin wmax fault unmap bpp sbpp insn ifault iunmap nodes
declare -A full ffault funmap

# count_insn VERSION CASE N SAMPLE [f]: callgrind instructions per fault
# (ifault), per page of the unmap (iunmap) and their sum (insn); with f
# into ffault, funmap and full instead
count_insn() {
	local v=$1 c=$2 n=$3 sample=$4 to=${5:-} line fi_ ui_ counted
	info "bench: callgrind $v $c N=$n${to:+ (all faults)}" >&2
	rm -f "$tmp"/cg.out*
	line=$(x valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$tmp/cg.out" \
		"$tmp/bench-$v" insn "$c" "$n" "$sample" \
		2>>"$LOG") || die "callgrind bench-$v $c $n failed (see $LOG)"
	echo "$line" >>"$LOG"
	fi_=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/cg.out.1")
	ui_=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/cg.out.2")
	[ -n "$fi_" ] && [ -n "$ui_" ] || die "no instruction count from callgrind"
	counted=$(field faults "$line")
	if [ -z "$to" ]; then
		ifault[$v/$c/$n]=$(div "$fi_" "$counted")
		iunmap[$v/$c/$n]=$(div "$ui_" "$n")
		insn[$v/$c/$n]=$(awk -v a="${ifault[$v/$c/$n]}" \
			-v b="${iunmap[$v/$c/$n]}" 'BEGIN { printf "%.1f", a + b }')
	else
		ffault[$v/$c/$n]=$(div "$fi_" "$counted")
		funmap[$v/$c/$n]=$(div "$ui_" "$n")
		full[$v/$c/$n]=$(awk -v a="${ffault[$v/$c/$n]}" \
			-v b="${funmap[$v/$c/$n]}" 'BEGIN { printf "%.1f", a + b }')
	fi
}

# timed VERSION CASE N: RUNS native runs, interleaved by the caller
timed() {
	local line
	line=$(x "$tmp/bench-$1" time "$2" "$3") || die "bench-$1 time $2 $3 failed"
	echo "$line" >>"$LOG"
	echo "$line"
}

for c in $CASES; do
	for n in $NS; do
		declare -A all=() fl=() ul=()
		for ((r = 1; r <= RUNS; r++)); do
			for v in $VERSIONS; do
				info "bench: $v $c N=$n run $r/$RUNS" >&2
				line=$(timed "$v" "$c" "$n") || exit 1
				all[$v]+="$(field ns_per_fault "$line") "
				fl[$v]+="$(field fault_ns "$line") "
				ul[$v]+="$(field unmap_ns "$line") "
				bpp[$v/$c/$n]=$(field bytes_per_page "$line")
				sbpp[$v/$c/$n]=$(field slab_bytes_per_page "$line")
				nodes[$v/$c/$n]=$(field nodes "$line")
			done
		done
		for v in $VERSIONS; do
			read -r "wall[$v/$c/$n]" "wmin[$v/$c/$n]" "wmax[$v/$c/$n]" \
				< <(tr ' ' '\n' <<<"${all[$v]}" | grep . | stats)
			read -r "fault[$v/$c/$n]" _ _ < <(tr ' ' '\n' <<<"${fl[$v]}" | grep . | stats)
			read -r "unmap[$v/$c/$n]" _ _ < <(tr ' ' '\n' <<<"${ul[$v]}" | grep . | stats)
			for nv in old-nocg new-nocg; do
				[ "${nv%-nocg}" = "$v" ] || continue
				line=$(timed "$nv" "$c" "$n") || exit 1
				bpp[$nv/$c/$n]=$(field bytes_per_page "$line")
				sbpp[$nv/$c/$n]=$(field slab_bytes_per_page "$line")
			done

			# instructions; random order sampled (the old list is
			# quadratic), and with INDEX= also counted in full for
			# every version but the old list (the sampling rebuilds
			# the map in descending order, a different tree shape)
			local_sample=0
			[ "$c" = random ] && local_sample=$SAMPLE
			case $v in
			old | new) count_insn "$v" "$c" "$n" "$local_sample" "" ;;
			*) count_insn "$v" "$c" "$n" 0 "" ;;
			esac
			if [ -n "$INDEX" ] && [ "$v" != old ]; then
				if [ "$local_sample" = 0 ] || [ "$v" != new ]; then
					full[$v/$c/$n]=${insn[$v/$c/$n]}
					ffault[$v/$c/$n]=${ifault[$v/$c/$n]}
					funmap[$v/$c/$n]=${iunmap[$v/$c/$n]}
				else
					count_insn "$v" "$c" "$n" 0 f
				fi
			fi
		done
	done
done

out() { echo "$*" | tee -a "$RESULT"; }
: >"$RESULT"
out "hugetlb resv_map region benchmark ($(date -u '+%F %H:%M UTC'), $(nproc) CPUs, $(uname -r))"
out "tree: $TREE"
out "old:  $(git log -1 --format='%h %s' "$old") [$SERIES_LINE: list, coalescing]"
out "new:  $(git log -1 --format='%h %s' "$new")"
out "per fault, a fault being one single page chg+add pair, plus the unmap"
out "(full-range count and release) divided by N.  wall: median of $RUNS"
out "runs [min..max], ns; insn: callgrind (random: $SAMPLE faults sampled)."
out ""
out "$(printf '%-10s %-7s | %-28s %-28s %6s | %8s %8s %6s' case N 'old wall ns (fault+unmap)' 'new wall ns (fault+unmap)' ratio 'old insn' 'new insn' ratio)"
declare -A wr ir
for c in $CASES; do
	for n in $NS; do
		wr[$c/$n]=$(div "${wall[old/$c/$n]}" "${wall[new/$c/$n]}")
		ir[$c/$n]=$(div "${insn[old/$c/$n]}" "${insn[new/$c/$n]}")
		o="${wall[old/$c/$n]} [${wmin[old/$c/$n]}..${wmax[old/$c/$n]}]"
		nn="${wall[new/$c/$n]} [${wmin[new/$c/$n]}..${wmax[new/$c/$n]}]"
		out "$(printf '%-10s %-7s | %-28s %-28s %6s | %8s %8s %6s' "$c" "$n" "$o" "$nn" "${wr[$c/$n]}" "${insn[old/$c/$n]}" "${insn[new/$c/$n]}" "${ir[$c/$n]}")"
		out "$(printf '%-10s %-7s |   fault %8s unmap %6s   fault %8s unmap %6s        |   fault %6s/%-6s unmap %6s/%-6s' '' '' "${fault[old/$c/$n]}" "${unmap[old/$c/$n]}" "${fault[new/$c/$n]}" "${unmap[new/$c/$n]}" "${ifault[old/$c/$n]}" "${ifault[new/$c/$n]}" "${iunmap[old/$c/$n]}" "${iunmap[new/$c/$n]}")"
	done
done
[ -n "$BIG_NS" ] && out "" && out "wall time only, ns per fault, median [min..max]:"
declare -A bigw
for n in $BIG_NS; do
	for c in $CASES; do
		declare -A big=()
		for ((r = 1; r <= RUNS; r++)); do
			for v in $VERSIONS; do
				# the old code in random order is O(N^2): hours at 10^6
				[ "$v/$c" = old/random ] && continue
				info "bench: $v $c N=$n run $r/$RUNS" >&2
				line=$(timed "$v" "$c" "$n") || exit 1
				big[$v]+="$(field ns_per_fault "$line") "
			done
		done
		for v in $VERSIONS; do
			bigw[$v/$c/$n]="not run (quadratic)"
			[ -n "${big[$v]:-}" ] && bigw[$v/$c/$n]="$(tr ' ' '\n' <<<"${big[$v]}" | grep . | stats | awk '{ printf "%s [%s..%s]", $1, $2, $3 }')"
		done
		o=${bigw[old/$c/$n]}
		nn=${bigw[new/$c/$n]}
		out "$(printf '%-10s %-7s | %-28s %-28s' "$c" "$n" "$o" "$nn")"
	done
done
out ""
for c in $CASES; do
	for n in $NS; do
		out "memory per faulted page, $c N=$n: old ${bpp[old/$c/$n]} B (slab ${sbpp[old/$c/$n]}), new ${bpp[new/$c/$n]} B (slab ${sbpp[new/$c/$n]}) with CONFIG_CGROUP_HUGETLB=y; old ${bpp[old-nocg/$c/$n]} B, new ${bpp[new-nocg/$c/$n]} B (slab ${sbpp[new-nocg/$c/$n]}) with =n"
	done
done
out ""
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
fails=0
target() {	# target TEXT CONDITION
	local v
	v=$(verdict "$2")
	[ "$v" = PASS ] || fails=$((fails + 1))
	out "target $1: $v"
}
for c in $CASES; do
	for n in $NS; do
		out "ratio $c N=$n: ${wr[$c/$n]}"
		out "insn ratio $c N=$n: ${ir[$c/$n]}"
	done
done
big=100000
if [ -n "${wr[random/$big]:-}" ]; then
	target "random N=$big old/new wall >= 100 (${wr[random/$big]})" "${wr[random/$big]} >= 100"
	target "random N=$big old/new insn >= 100 (${ir[random/$big]})" "${ir[random/$big]} >= 100"
	target "sequential N=$big new/old wall <= 1.5 ($(div "${wall[new/sequential/$big]}" "${wall[old/sequential/$big]}"))" \
		"${wall[new/sequential/$big]} <= 1.5 * ${wall[old/sequential/$big]}"
	target "sequential N=$big new/old insn <= 1.5 ($(div "${insn[new/sequential/$big]}" "${insn[old/sequential/$big]}"))" \
		"${insn[new/sequential/$big]} <= 1.5 * ${insn[old/sequential/$big]}"
	for m in "" -nocg; do
		for c in $CASES; do
			target "memory per faulted page $c N=$big${m:+ (CONFIG_CGROUP_HUGETLB=n)} <= 48 B (${bpp[new$m/$c/$big]})" \
				"${bpp[new$m/$c/$big]} <= 48"
		done
	done
fi

# INDEX=...: every version side by side, markdown, also in $O/bench-index.md
if [ -n "$INDEX" ]; then
	MD=$O/bench-index.md
	: >"$MD"
	md() { echo "$*" | tee -a "$RESULT" >>"$MD"; echo "$*"; }
	declare -A label=([old]="$SERIES_LINE list" [new]=rbtree [maple]=maple
		[maple-prealloc]="maple, prealloc")
	hdr() {	# hdr TITLE: a table head with one column per version
		local h="| $1 | N |" l="|---|---|" v
		for v in $VERSIONS; do h+=" ${label[$v]} |"; l+="---|"; done
		md ""
		md "$h"
		md "$l"
	}
	md ""
	md "Region index comparison ($(date -u '+%F %H:%M UTC'), $(nproc) CPUs, $(uname -r)): $VERSIONS"
	md "tree $TREE, new $(git log -1 --format=%h "$new"), RUNS=$RUNS, SAMPLE=$SAMPLE; per fault = one single-page chg+add, plus the unmap / N"
	hdr "wall ns per fault, median [min..max]"
	for c in $CASES; do
		for n in $NS $BIG_NS; do
			[ -n "${wall[new/$c/$n]:-}${bigw[new/$c/$n]:-}" ] || continue
			row="| $c | $n |"
			for v in $VERSIONS; do
				if [ -n "${wall[$v/$c/$n]:-}" ]; then
					row+=" ${wall[$v/$c/$n]} [${wmin[$v/$c/$n]}..${wmax[$v/$c/$n]}] |"
				else
					row+=" ${bigw[$v/$c/$n]:-} |"
				fi
			done
			md "$row"
		done
	done
	hdr "of it, unmap (count + release) wall ns per page, median"
	for c in $CASES; do
		for n in $NS; do
			row="| $c | $n |"
			for v in $VERSIONS; do row+=" ${unmap[$v/$c/$n]} |"; done
			md "$row"
		done
	done
	hdr "instructions per fault (fault + unmap per page); random: $SERIES_LINE list $SAMPLE faults sampled, the others all"
	for c in $CASES; do
		for n in $NS; do
			row="| $c | $n |"
			for v in $VERSIONS; do
				if [ "$v" = old ]; then
					row+=" ${insn[$v/$c/$n]} (${ifault[$v/$c/$n]} + ${iunmap[$v/$c/$n]}) |"
				else
					row+=" ${full[$v/$c/$n]} (${ffault[$v/$c/$n]} + ${funmap[$v/$c/$n]}) |"
				fi
			done
			md "$row"
		done
	done
	[ "$SAMPLE" -gt 0 ] && md "" &&
		md "rbtree random sampled like the $SERIES_LINE list (the ratio lines above): $(for n in $NS; do printf 'N=%s %s  ' "$n" "${insn[new/random/$n]}"; done)"
	hdr "bytes per faulted page at the peak (slab pages), CONFIG_CGROUP_HUGETLB=y"
	for c in $CASES; do
		for n in $NS; do
			row="| $c | $n |"
			for v in $VERSIONS; do
				row+=" ${bpp[$v/$c/$n]} (${sbpp[$v/$c/$n]})"
				[ -n "${nodes[$v/$c/$n]:-}" ] &&
					row+="; ${nodes[$v/$c/$n]} nodes x 256 / N = $(div "$((nodes[$v/$c/$n] * 256))" "$n")"
				row+=" |"
			done
			md "$row"
		done
	done
	md ""
	md "reproduce: INDEX=\"$INDEX\" RUNS=$RUNS SAMPLE=$SAMPLE NS=\"$NS\" BIG_NS=\"$BIG_NS\" O=$O scripts/bench.sh $TREE"
fi
info "bench: results in $RESULT, commands in $LOG" >&2
[ "$fails" = 0 ] || die "bench: $fails target(s) missed"
