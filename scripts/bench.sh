#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh [KERNEL_TREE]: benchmark the hugetlb resv_map region code before
# and after the rework, in userspace.
#
# KERNEL_TREE (default $O/linux, the patched tree) must carry the series.
# "old" is mm/hugetlb_region.c as of the commit that adds the harness in
# tools/testing/hugetlb_region/ (6.1 behaviour: sorted list, coalescing);
# "new" is the tree's HEAD.  Both are extracted with git show, together
# with the harness stubs of the same commit, and built with
# bench/bench.c at -O2 without sanitizers.
#
# Cases, for N = 10^3 .. 10^6: N single page region_chg()+region_add()
# pairs in sequential and in random page order, and N single page
# region_del() in random order on [0,N) reserved in one go.
#   insn/op  callgrind instruction count of the measured loop only
#   ns/op    native run of all N operations
# A native run that would take more than CAP seconds (predicted from the
# previous N as if quadratic, or hit while running) is reported as capped.
#
# Results go to stdout and to $O/bench.txt.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TREE=${1:-$SRC}
CAP=${CAP:-60}			# seconds per native run
SAMPLE=${SAMPLE:-2000}		# operations counted by callgrind per case
BUDGET=${BUDGET:-2000000000}	# instructions callgrind may count per case
NS=${NS:-"1000 10000 100000 1000000"}
CASES="sequential random del"
RESULT=$O/bench.txt

need_pkgs git gcc libc6-dev valgrind
need_cmd valgrind

[ -d "$TREE/.git" ] || die "$TREE is not a git tree"
git() { command git -C "$TREE" "$@"; }

new=$(git rev-parse --verify HEAD) || die "no HEAD in $TREE"
old=$(git log --format=%H --diff-filter=A HEAD -- \
	tools/testing/hugetlb_region/main.c | tail -n1)
[ -n "$old" ] ||
	old=$(git log --format=%H -F \
		--grep='add a userspace harness for the hugetlb region code' |
		tail -n1)
[ -n "$old" ] || die "no commit adding tools/testing/hugetlb_region in $TREE; is the series applied?"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# build VERSION COMMIT
build() {
	local d=$tmp/$1 c=$2
	mkdir -p "$d"
	git show "$c:mm/hugetlb_region.c" >"$d/hugetlb_region.c" &&
	git show "$c:mm/hugetlb_region.h" >"$d/hugetlb_region.h" &&
	git show "$c:tools/testing/hugetlb_region/hugetlb_region_internal.h" \
		>"$d/hugetlb_region_internal.h" &&
	git archive "$c" tools/include tools/lib/rbtree.c | tar -x -C "$d" ||
		die "cannot extract the region code of $c from $TREE"
	gcc -O2 -std=gnu11 -Wall -Wno-sign-compare -I"$d" \
		-I"$d/tools/include" -o "$tmp/bench-$1" \
		"$TOP/bench/bench.c" "$d/tools/lib/rbtree.c" \
		>"$LOGS/bench-build-$1.log" 2>&1 ||
		die "building the $1 bench failed (see $LOGS/bench-build-$1.log)"
}

info "bench: old $(git log -1 --format='%h %s' "$old")" >&2
info "bench: new $(git log -1 --format='%h %s' "$new")" >&2
build old "$old"
build new "$new"
grep -q coalesce_file_region "$tmp/old/hugetlb_region.c" ||
	info "bench: warning: the old code has no coalesce_file_region()" >&2

: >"$RESULT"
out() { echo "$*" | tee -a "$RESULT"; }

# field KEY LINE: value of KEY=value in LINE
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# kmalloc size class of a size in bytes
kmalloc_class() {
	local s
	for s in 8 16 32 64 96 128 192 256 512 1024; do
		[ "$1" -le "$s" ] && { echo "$s"; return; }
	done
	echo "$1"
}

declare -A ns insn how secs capped icapped

# native VERSION CASE N: fills ns[], secs[], capped[]
native() {
	local v=$1 c=$2 n=$3 key=$1/$2/$3 prev=${last[$1/$2]:-} line t0 t1 rc
	if [ -n "$prev" ] && [ "${capped[$prev]:-}" ]; then
		capped[$key]="smaller N was"
		return
	fi
	if [ -n "$prev" ]; then
		# predicted as quadratic in N from the previous size
		local p
		p=$(awk -v s="${secs[$prev]}" -v a="${prev##*/}" -v b="$n" \
			'BEGIN { printf "%.0f", s * (b / a) * (b / a) }')
		if [ "$p" -gt "$CAP" ]; then
			capped[$key]="predicted ${p}s > ${CAP}s"
			return
		fi
	fi
	info "bench: native $v $c N=$n" >&2
	# Short runs are noisy: best of three when a run is under a second.
	local best=
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		line=$("$tmp/bench-$v" "$c" "$n" 0 "$CAP")
		rc=$?
		t1=$(date +%s.%N)
		if [ $rc -eq 2 ]; then
			capped[$key]="over ${CAP}s, $(field after "$line") of $n ops done"
			return
		fi
		[ $rc -eq 0 ] || die "bench-$v $c $n failed"
		secs[$key]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
		best=$(awk -v a="${best:-1e99}" -v b="$(field ns_per_op "$line")" \
			'BEGIN { print (b < a) ? b : a }')
		awk -v s="${secs[$key]}" 'BEGIN { exit !(s < 1) }' || break
	done
	ns[$key]=$best
	region_bytes[$v]=$(field region_bytes "$line")
}

# counted VERSION CASE N: fills insn[] and how[], or icapped[]
counted() {
	local v=$1 c=$2 n=$3 key=$1/$2/$3 prev=${last[$1/$2]:-} args line ir
	local mode=all p
	args=("$c" "$n")
	if [ "$n" -gt "$SAMPLE" ]; then
		# Running the uninstrumented stretches costs what the native run
		# did, times valgrind's slowdown: for slow (quadratic) cases
		# rebuild the state at each window instead.
		mode=replay
		if [ "${capped[$key]:-}" ] ||
		   awk -v s="${secs[$key]}" 'BEGIN { exit !(s > 2) }'; then
			mode=rebuild
		fi
		args+=("$SAMPLE" 0 "$mode")
	fi
	if [ "$mode" = rebuild ] && [ -n "$prev" ]; then
		if [ -z "${insn[$prev]:-}" ]; then
			icapped[$key]="smaller N was"
			return
		fi
		# per operation cost taken as linear in N (quadratic in total)
		p=$(awk -v i="${insn[$prev]}" -v a="${prev##*/}" -v b="$n" \
			-v s="$SAMPLE" 'BEGIN { printf "%.0f", i * b / a * s }')
		if [ "$p" -gt "$BUDGET" ]; then
			icapped[$key]="predicted $p instructions > $BUDGET"
			return
		fi
	fi
	how[$key]=$mode
	info "bench: callgrind $v $c N=$n (${how[$key]})" >&2
	line=$(valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$tmp/cg.out" \
		"$tmp/bench-$v" "${args[@]}" 2>"$tmp/cg.err") ||
		die "callgrind bench-$v ${args[*]} failed (see $tmp/cg.err)"
	ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err")
	[ -n "$ir" ] || die "no instruction count from callgrind"
	insn[$key]=$(awk -v i="$ir" -v o="$(field sampled "$line")" \
		'BEGIN { printf "%.0f", i / o }')
}

declare -A last region_bytes
for c in $CASES; do
	for n in $NS; do
		for v in old new; do
			native "$v" "$c" "$n"
			counted "$v" "$c" "$n"
			last[$v/$c]=$v/$c/$n
		done
	done
done

fmt() {	# fmt VERSION CASE N
	local key=$1/$2/$3
	printf '%s %8s insn/op %10s ns/op' "$1" "${insn[$key]:-capped}" \
		"${ns[$key]:-capped}"
}

# notes VERSION CASE N: how the numbers were taken, why one is missing
notes() {
	local key=$1/$2/$3 n=
	[ "${how[$key]:-all}" = all ] || n="insn ${how[$key]}"
	[ "${icapped[$key]:-}" ] && n="${n:+$n, }insn capped: ${icapped[$key]}"
	[ "${capped[$key]:-}" ] && n="${n:+$n, }ns capped: ${capped[$key]}"
	[ "$n" ] && printf ' %s: %s;' "$1" "$n"
	return 0
}

out "hugetlb resv_map region benchmark ($(date -u +%F))"
out "tree: $TREE"
out "old:  $(git log -1 --format='%h %s' "$old") [list, coalescing]"
out "new:  $(git log -1 --format='%h %s' "$new")"
out "insn/op: valgrind callgrind, measured loop only.  N <= $SAMPLE: every"
out "  operation; larger N: $SAMPLE operations in 20 windows spread evenly over"
out "  the run, the map state at each window reached by running the earlier"
out "  operations uninstrumented ('replay'), or for cases that take over 2s"
out "  natively by re-adding the same pages in descending order ('rebuild',"
out "  the same regions, O(1) per page in the old list)."
out "ns/op: native -O2 run of all N operations (best of 3 when under 1s);"
out "  a run over ${CAP}s, or predicted to be from the previous N, is capped."
out ""
for c in $CASES; do
	for n in $NS; do
		note="$(notes old "$c" "$n")$(notes new "$c" "$n")"
		note=${note# }
		out "$(printf '%-10s N=%-8s' "$c" "$n"): $(fmt old "$c" "$n") | $(fmt new "$c" "$n")${note:+ [${note%;}]}"
	done
done
out ""
declare -A ratio
for c in $CASES; do
	for n in $NS; do
		if [ "${insn[old/$c/$n]:-}" ] && [ "${insn[new/$c/$n]:-}" ]; then
			ratio[$c/$n]=$(awk -v a="${insn[old/$c/$n]}" \
				-v b="${insn[new/$c/$n]}" \
				'BEGIN { printf "%.2f", a / b }')
		else
			ratio[$c/$n]=capped
		fi
		out "ratio $c N=$n: ${ratio[$c/$n]}"
	done
done
out ""
ob=${region_bytes[old]:-?}
nb=${region_bytes[new]:-?}
out "memory per region: old sizeof(struct file_region)=$ob -> kmalloc-$(kmalloc_class "$ob"), new sizeof=$nb -> kmalloc-$(kmalloc_class "$nb") (CONFIG_CGROUP_HUGETLB=y, 64-bit)"

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
r=${ratio[random/100000]:-capped}
[ "$r" = capped ] && r=0
out "target random N=100000 old/new insn >= 100: ${ratio[random/100000]:-n/a} $(verdict "$r >= 100")"
worst=
for n in $NS; do
	r=${ratio[sequential/$n]:-capped}
	[ "$r" = capped ] && continue
	if [ -z "$worst" ] || awk "BEGIN { exit !($r < $worst) }"; then
		worst=$r
	fi
done
out "target sequential new insn <= 1.5x old (old/new >= 0.67) at every N: worst ${worst:-n/a} $(verdict "${worst:-0} >= 1 / 1.5")"
out "target memory per region <= 64 bytes: $(kmalloc_class "$nb") $(verdict "$(kmalloc_class "$nb") <= 64")"
info "bench: results in $RESULT" >&2
