#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mutants.sh [KERNEL_TREE]: show that the hugetlb region harness catches
# mistakes where mm/hugetlb_region.c drops resv->lock to allocate.
#
# Each mutant below is a small edit of mm/hugetlb_region.c as of HEAD of
# KERNEL_TREE (default $O/linux) that reintroduces a bug of the kind this
# code is prone to: trusting state read before the lock was dropped, or
# breaking the region cache protocol that makes the drops safe.  For each
# one the script copies the code and the harness (git archive), applies
# the edit (which must match exactly once), builds the harness with
# CONFIG_CGROUP_HUGETLB on and off and runs it; the harness must fail.
# The unmodified code must pass first.
#
# Prints one line per mutant and "killed N of N"; exits non-zero if any
# mutant survived, did not apply or did not build.  Logs in $LOGS/mutants/.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TREE=${1:-$SRC}
LOGDIR=$LOGS/mutants

need_pkgs git gcc libc6-dev make python3
command git -C "$TREE" rev-parse --git-dir >/dev/null 2>&1 || die "$TREE is not a git tree"
mkdir -p "$LOGDIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

x() { echo "+ $*" >&2; "$@"; }

# The mutants: NAME, then pairs of lines to find and to put instead
# ("\n" and "\t" are escapes), separated by "--"; "==" ends a mutant.
cat >"$tmp/mutants" <<'EOF'
alloc_no_recheck
--
	while (resv->region_cache_count <\n	       (resv->adds_in_progress + regions_needed)) {
--
	if (resv->region_cache_count <\n	    (resv->adds_in_progress + regions_needed)) {
==
add_no_recount_after_alloc
--
			return -ENOMEM;\n		}\n\n		goto retry;\n	}
--
			return -ENOMEM;\n		}\n	}
==
add_done_before_alloc
--
	spin_lock(&resv->lock);\nretry:\n
--
	spin_lock(&resv->lock);\n	resv->adds_in_progress -= in_regions_needed;\nretry:\n
--
	add = add_reservation_in_range(resv, f, t, h_cg, h, NULL);\n\n	resv->adds_in_progress -= in_regions_needed;\n
--
	add = add_reservation_in_range(resv, f, t, h_cg, h, NULL);\n\n
==
del_split_stale_region
--
				if (!nrg)\n					return -ENOMEM;\n				goto retry;
--
				if (!nrg)\n					return -ENOMEM;\n				spin_lock(&resv->lock);
==
del_takes_reserved_entry
--
			    resv->region_cache_count > resv->adds_in_progress) {
--
			    resv->region_cache_count > 0) {
==
alloc_fail_keeps_lock
--
out_of_memory:\n
--
out_of_memory:\n	spin_lock(&resv->lock);\n
==
release_under_lock
--
	rbtree_postorder_for_each_entry_safe(rg, trg, &resv_map->regions,\n					     node) {\n		hugetlb_cgroup_uncharge_file_region(resv_map, rg,\n						    rg->to - rg->from, true);\n		file_region_free(rg);\n		cond_resched();\n	}\n
--
	spin_lock(&resv_map->lock);\n	rbtree_postorder_for_each_entry_safe(rg, trg, &resv_map->regions,\n					     node) {\n		hugetlb_cgroup_uncharge_file_region(resv_map, rg,\n						    rg->to - rg->from, true);\n		file_region_free(rg);\n		cond_resched();\n	}\n	spin_unlock(&resv_map->lock);\n
==
EOF

# mutate NAME FILE: apply mutant NAME to FILE
mutate() {
	python3 - "$tmp/mutants" "$1" "$2" <<'PY'
import sys
spec, name, path = sys.argv[1:]
muts, cur = {}, None
for block in open(spec).read().split("==\n"):
    parts = [p.strip("\n") for p in block.split("--\n")]
    if not parts[0].strip():
        continue
    muts[parts[0].strip()] = parts[1:]
pairs = muts[name]
src = open(path).read()
for a, b in zip(pairs[0::2], pairs[1::2]):
    a = a.replace("\\n", "\n").replace("\\t", "\t")
    b = b.replace("\\n", "\n").replace("\\t", "\t")
    if src.count(a) != 1:
        sys.exit("mutant %s: %d matches for %r" % (name, src.count(a), a))
    src = src.replace(a, b)
open(path, "w").write(src)
PY
}

names=$(awk 'BEGIN { RS = "==\n" } NF { split($0, l, "\n"); print l[1] }' "$tmp/mutants")

# harness DIR LOG: build and run the harness of the copy in DIR
harness() {
	x make -C "$1/tools/testing/hugetlb_region" run >"$2" 2>&1
}

fresh() {	# fresh DIR: HEAD's region code and harness in DIR
	rm -rf "$1" && mkdir -p "$1" &&
	command git -C "$TREE" archive HEAD mm/hugetlb_region.c mm/hugetlb_region.h \
		tools/testing/hugetlb_region tools/include tools/lib/rbtree.c |
		tar -x -C "$1"
}

info "mutants: $(command git -C "$TREE" log -1 --format='%h %s' HEAD)"
fresh "$tmp/base" || die "cannot extract the region code from $TREE"
harness "$tmp/base" "$LOGDIR/unmodified.log" ||
	die "the harness fails on the unmodified code (see $LOGDIR/unmodified.log)"

total=0 killed=0 bad=0
for m in $names; do
	total=$((total + 1))
	d=$tmp/m
	fresh "$d" || die "cannot extract the region code from $TREE"
	if ! mutate "$m" "$d/mm/hugetlb_region.c" 2>"$LOGDIR/$m.log"; then
		echo "mutant $m: does not apply ($(tail -n1 "$LOGDIR/$m.log"))"
		bad=$((bad + 1))
		continue
	fi
	diff -u "$tmp/base/mm/hugetlb_region.c" "$d/mm/hugetlb_region.c" >"$LOGDIR/$m.diff"
	if harness "$d" "$LOGDIR/$m.log"; then
		echo "mutant $m: SURVIVED (see $LOGDIR/$m.diff)"
	elif grep -q ': error:' "$LOGDIR/$m.log"; then
		echo "mutant $m: does not build (see $LOGDIR/$m.log)"
		bad=$((bad + 1))
	else
		what=$(grep -m1 -E 'check failed|ERROR: AddressSanitizer|runtime error' "$LOGDIR/$m.log")
		echo "mutant $m: killed (${what:-harness failed})"
		killed=$((killed + 1))
	fi
done
echo "killed $killed of $total"
[ "$killed" = "$total" ] && [ "$bad" = 0 ]
