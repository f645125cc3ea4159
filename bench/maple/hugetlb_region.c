// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugetlb reservation map region tracking in a maple tree.
 *
 * A variant of the series' mm/hugetlb_region.c for measurement only
 * (scripts/bench.sh INDEX=maple, docs/region-index-choice.md): the same
 * functions with the same results and the same no-coalescing rule, the
 * regions kept in a maple tree (lib/maple_tree.c, Linux 6.1) instead of
 * an rbtree of file_regions.
 *
 * Each region [from, to) is the maple range [from, to - 1].  The maple
 * tree stores ranges natively, so nothing per region is allocated: the
 * entry is the region's hugetlb cgroup (the only uncharge information a
 * region of the series carries), or REGION_NO_CG when it has none, since
 * NULL means "no region" to the maple tree.  Adjacent regions are never
 * merged: the maple tree merges adjacent NULL ranges only, so a region is
 * still exactly what one hugetlb_region_add() made of one hole.
 *
 * resv->lock is the tree's external lock (MT_FLAGS_LOCK_EXTERN).  The
 * tree is not in RCU mode: nothing reads it without resv->lock.
 *
 * What the maple tree cannot keep from the series:
 *
 *  - hugetlb_region_chg() cannot set aside what hugetlb_region_add() will
 *    need: the memory is maple nodes, how many depends on where the
 *    stores split nodes, and 6.1's maple API keeps preallocated nodes in a
 *    struct ma_state, which does not live from region_chg() to
 *    region_add().  So region_add() allocates nodes under resv->lock with
 *    GFP_NOWAIT, and when that fails drops the lock, preallocates a
 *    worst-case store with GFP_KERNEL (mas_preallocate(): 1 + 3 x height
 *    nodes) and starts over.  A single page add must not fail (its
 *    callers VM_BUG_ON() a failure), so that GFP_KERNEL has __GFP_NOFAIL.
 *  - An add over several holes that fails at the GFP_KERNEL allocation
 *    leaves the holes it already filled.
 *  - hugetlb_region_del() may need nodes even when it splits nothing
 *    (rebalancing after a NULL store), so it preallocates and can fail
 *    with -ENOMEM also for t == LONG_MAX.
 *
 * regions_needed is still one per hole (the number of regions the add
 * leaves), but it no longer counts allocations: there is no file_region
 * cache; adds_in_progress is kept for the same checks.
 */

#include "hugetlb_region_internal.h"
#include "hugetlb_region.h"

/* NULL is no region to the maple tree: the entry of a region without cgroup */
#define REGION_NO_CG	xa_mk_value(0)

static int __init hugetlb_region_init(void)
{
	return 0;
}
core_initcall(hugetlb_region_init);

static inline void *region_entry(struct hugetlb_cgroup *h_cg)
{
#ifdef CONFIG_CGROUP_HUGETLB
	if (h_cg)
		return h_cg;
#endif
	return REGION_NO_CG;
}

static inline struct hugetlb_cgroup *region_cg(void *entry)
{
	return xa_is_value(entry) ? NULL : entry;
}

/* The cgroup reference a new region holds, as record_hugetlb_cgroup_uncharge_info() */
static void record_hugetlb_cgroup_uncharge_info(struct hugetlb_cgroup *h_cg,
						struct hstate *h,
						struct resv_map *resv)
{
#ifdef CONFIG_CGROUP_HUGETLB
	if (h_cg) {
		css_get(&h_cg->css);
		if (!resv->pages_per_hpage)
			resv->pages_per_hpage = pages_per_huge_page(h);
		VM_BUG_ON(resv->pages_per_hpage != pages_per_huge_page(h));
	}
#endif
}

/*
 * Count the holes in [f, t) and the pages in them.  Must be called with
 * resv->lock held.
 */
static long count_holes(struct resv_map *resv, long f, long t,
			long *regions_needed)
{
	MA_STATE(mas, &resv->regions, f, f);
	long last = f, add = 0;
	void *entry;

	*regions_needed = 0;
	if (f >= t)
		return 0;
	/* Appending (most faults of a private mapping): no walk. */
	if (f >= resv->last_to) {
		*regions_needed = 1;
		return t - f;
	}

	mas_for_each(&mas, entry, t - 1) {
		if ((long)mas.index > last) {
			*regions_needed += 1;
			add += mas.index - last;
		}
		last = mas.last + 1;
	}
	if (last < t) {
		*regions_needed += 1;
		add += t - last;
	}
	return add;
}

/*
 * Store each hole of [f, t) as a region.  Returns the pages added or
 * -ENOMEM, in which case *@added holds the pages added before the failure.
 * Must be called with resv->lock held; allocates with @gfp, which must
 * not sleep.
 */
static long add_reservation_in_range(struct resv_map *resv,
				     struct ma_state *mas, long f, long t,
				     struct hugetlb_cgroup *h_cg,
				     struct hstate *h, long *added)
{
	void *new = region_entry(h_cg);
	unsigned long end;
	long pos = f;
	void *entry;

	*added = 0;
	while (pos < t) {
		mas_set(mas, pos);
		/* The region at pos, or the empty range around it */
		entry = mas_walk(mas);
		end = min_t(unsigned long, mas->last, t - 1);
		if (!entry) {
			/* [pos, end] lies in the range just walked: no descent */
			mas->index = pos;
			mas->last = end;
			if (mas_store_gfp(mas, new, GFP_NOWAIT | __GFP_NOWARN))
				return -ENOMEM;
			record_hugetlb_cgroup_uncharge_info(h_cg, h, resv);
			*added += end + 1 - pos;
			resv->pages += end + 1 - pos;
			if ((long)end + 1 > resv->last_to)
				resv->last_to = end + 1;
		}
		pos = end + 1;
	}
	return *added;
}

/*
 * Add the huge page range represented by [f, t) to the reserve map: every
 * hole in [f, t) becomes a region of its own, carrying the hugetlb cgroup
 * uncharge info of this call; new regions are not merged with their
 * neighbours.
 *
 * Return the number of new huge pages added to the map, or -ENOMEM when
 * maple nodes could not be allocated (never for a single page).
 */
long hugetlb_region_add(struct resv_map *resv, long f, long t,
			long in_regions_needed, struct hstate *h,
			struct hugetlb_cgroup *h_cg)
{
	MA_STATE(mas, &resv->regions, f, f);
	gfp_t gfp = GFP_KERNEL;
	long add = 0, added;

	if (t - f <= 1)
		gfp |= __GFP_NOFAIL;

#ifdef HR_MAPLE_PREALLOC
	/*
	 * The other way 6.1's API offers, the VMA tree's: preallocate a
	 * worst-case store (1 + 3 x height nodes) before taking the lock,
	 * free what the store did not use.  (bench: "maple-prealloc")
	 */
	mas_set_range(&mas, f, t - 1);
	if (hr_prealloc(&mas, region_entry(h_cg), gfp)) {
		hugetlb_region_abort(resv, f, t, in_regions_needed);
		return -ENOMEM;
	}
#endif
	spin_lock(&resv->lock);
	while (add_reservation_in_range(resv, &mas, f, t, h_cg, h,
					&added) < 0) {
		add += added;
		spin_unlock(&resv->lock);
		/* Nodes for one store of any shape; used by the next attempt */
		mas_set_range(&mas, f, t - 1);
		if (hr_prealloc(&mas, region_entry(h_cg), gfp)) {
			hugetlb_region_abort(resv, f, t, in_regions_needed);
			return -ENOMEM;
		}
		spin_lock(&resv->lock);
	}
	add += added;
	resv->adds_in_progress -= in_regions_needed;
	spin_unlock(&resv->lock);
	mas_destroy(&mas);
	return add;
}

/*
 * Examine the existing reserve map and determine how many huge pages in
 * the specified range [f, t) are NOT currently represented, without
 * changing the map.
 *
 * out_regions_needed is the number of regions the following region_add
 * will make (at least 1), added to resv->adds_in_progress; pass it to
 * region_add or region_abort.  Nothing is allocated: region_add allocates
 * the maple nodes it needs.
 */
long hugetlb_region_chg(struct resv_map *resv, long f, long t,
			long *out_regions_needed)
{
	long chg;

	spin_lock(&resv->lock);
	chg = count_holes(resv, f, t, out_regions_needed);
	if (*out_regions_needed == 0)
		*out_regions_needed = 1;
	resv->adds_in_progress += *out_regions_needed;
	spin_unlock(&resv->lock);
	return chg;
}

void hugetlb_region_abort(struct resv_map *resv, long f, long t,
			  long regions_needed)
{
	spin_lock(&resv->lock);
	resv->adds_in_progress -= regions_needed;
	VM_BUG_ON(resv->adds_in_progress < 0);
	spin_unlock(&resv->lock);
}

/* Must be called with resv->lock held. */
static void update_last_to(struct resv_map *resv)
{
	MA_STATE(mas, &resv->regions, ULONG_MAX, ULONG_MAX);

	resv->last_to = mas_find_rev(&mas, 0) ? mas.last + 1 : 0;
}

/*
 * Delete the specified range [f, t) from the reserve map, trimming,
 * splitting or deleting the regions it intersects: one NULL store over
 * the range, after uncharging each region's part of it.
 *
 * Returns the number of huge pages deleted from the reserve map, or
 * -ENOMEM when the maple nodes for the store could not be allocated
 * (also when t == LONG_MAX).
 */
long hugetlb_region_del(struct resv_map *resv, long f, long t)
{
	MA_STATE(mas, &resv->regions, f, t - 1);
	struct hugetlb_cgroup *cg;
	long del = 0, from, to;
	void *entry;

	if (f >= t)
		return 0;
	if (hr_prealloc(&mas, NULL, GFP_KERNEL))
		return -ENOMEM;

	spin_lock(&resv->lock);
	mas_set(&mas, f);
	mas_for_each(&mas, entry, t - 1) {
		cg = region_cg(entry);
		from = max_t(long, mas.index, f);
		to = min_t(long, mas.last + 1, t);
		del += to - from;
		if ((long)mas.index < f && (long)mas.last + 1 > t) {
			/* Split: the part after t is a region of its own */
			hugetlb_cgroup_uncharge_region(resv, cg, t - f, false);
#ifdef CONFIG_CGROUP_HUGETLB
			if (cg)
				css_get(&cg->css);
#endif
		} else {
			/* Remove entirely or trim: drop the reference if gone */
			hugetlb_cgroup_uncharge_region(resv, cg, to - from,
					(long)mas.index >= f &&
					(long)mas.last + 1 <= t);
		}
	}
	if (del) {
		mas_set_range(&mas, f, t - 1);
#ifdef MAS_START
		mas_store_prealloc(&mas, NULL);
#else
		/*
		 * Newer maple trees (6.12): mas_store_prealloc() stores what
		 * the last mas_preallocate() walked to, and the walk above
		 * moved the state, so store again, with the nodes that were
		 * preallocated for this store before the lock was taken.  In
		 * this single-threaded bench nothing changes the map in
		 * between, so nothing more is allocated; in the kernel
		 * another task could, and the store would need GFP_NOWAIT
		 * nodes.
		 */
		VM_WARN_ON(mas_store_gfp(&mas, NULL, GFP_NOWAIT | __GFP_NOWARN));
#endif
		resv->pages -= del;
		if (t >= resv->last_to)
			update_last_to(resv);
	}
	spin_unlock(&resv->lock);
	mas_destroy(&mas);
	return del;
}

/*
 * Count and return the number of huge pages in the reserve map that
 * intersect with the range [f, t).  A range that covers every region is
 * answered from resv->pages after one descent, as in the rbtree version;
 * otherwise the regions in the range are visited, O(log n + k).
 */
long hugetlb_region_count(struct resv_map *resv, long f, long t)
{
	MA_STATE(mas, &resv->regions, 0, 0);
	long chg = 0;
	void *entry;

	spin_lock(&resv->lock);
	if (t >= resv->last_to && (!f || !mas_find(&mas, f - 1))) {
		chg = resv->pages;
		goto out;
	}
	mas_set(&mas, f);
	mas_for_each(&mas, entry, t - 1)
		chg += min_t(long, mas.last + 1, t) - max_t(long, mas.index, f);
out:
	spin_unlock(&resv->lock);
	return chg;
}

void
resv_map_set_hugetlb_cgroup_uncharge_info(struct resv_map *resv_map,
					  struct hugetlb_cgroup *h_cg,
					  struct hstate *h)
{
#ifdef CONFIG_CGROUP_HUGETLB
	if (!h_cg || !h) {
		resv_map->reservation_counter = NULL;
		resv_map->pages_per_hpage = 0;
		resv_map->css = NULL;
	} else {
		resv_map->reservation_counter =
			&h_cg->rsvd_hugepage[hstate_index(h)];
		resv_map->pages_per_hpage = pages_per_huge_page(h);
		resv_map->css = &h_cg->css;
	}
#endif
}

struct resv_map *resv_map_alloc(void)
{
	struct resv_map *resv_map = kmalloc(sizeof(*resv_map), GFP_KERNEL);

	if (!resv_map)
		return NULL;

	kref_init(&resv_map->refs);
	spin_lock_init(&resv_map->lock);
	mt_init_flags(&resv_map->regions, MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&resv_map->regions, &resv_map->lock);
	resv_map->last_to = 0;
	resv_map->pages = 0;
	init_rwsem(&resv_map->rw_sema);
	resv_map->adds_in_progress = 0;
	resv_map_set_hugetlb_cgroup_uncharge_info(resv_map, NULL, NULL);

	return resv_map;
}

/*
 * The last reference is gone.  Regions only need a visit when they hold
 * cgroup charges and references (a shared mapping's map with hugetlb
 * cgroups): then under resv->lock, dropping it to reschedule every
 * REGION_BATCH regions.  The nodes go in one walk.
 */
#define REGION_BATCH	1024

static void resv_map_uncharge_regions(struct resv_map *resv_map)
{
#ifdef CONFIG_CGROUP_HUGETLB
	MA_STATE(mas, &resv_map->regions, 0, 0);
	void *entry;
	int n = 0;

	if (!resv_map->pages_per_hpage || resv_map->reservation_counter)
		return;
	mas_for_each(&mas, entry, ULONG_MAX) {
		hugetlb_cgroup_uncharge_region(resv_map, region_cg(entry),
					       mas.last + 1 - mas.index, true);
		if (++n % REGION_BATCH)
			continue;
		mas_pause(&mas);
		spin_unlock(&resv_map->lock);
		cond_resched();
		spin_lock(&resv_map->lock);
	}
#endif
}

void resv_map_release(struct kref *ref)
{
	struct resv_map *resv_map = container_of(ref, struct resv_map, refs);

	spin_lock(&resv_map->lock);
	resv_map_uncharge_regions(resv_map);
	__mt_destroy(&resv_map->regions);
	spin_unlock(&resv_map->lock);

	VM_BUG_ON(resv_map->adds_in_progress);

	kfree(resv_map);
}

/* For bench/bench.c */
long hr_nr_regions(struct resv_map *resv)
{
	MA_STATE(mas, &resv->regions, 0, 0);
	void *entry;
	long n = 0;

	mas_for_each(&mas, entry, ULONG_MAX)
		n++;
	return n;
}
