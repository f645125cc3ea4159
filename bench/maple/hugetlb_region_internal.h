/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for mm/hugetlb_region_internal.h, for the maple tree
 * variant of the region code (bench/maple/hugetlb_region.c).
 *
 * The stubs are those of tools/testing/hugetlb_region/hugetlb_region_internal.h
 * (a checked lock, allocations counted and made by the program's hr_alloc(),
 * css and page_counter as plain counts), so that the rbtree and the maple
 * variants pay the same for them.  The kernel headers come from
 * tools/testing/radix-tree/ and tools/include, the way that suite builds
 * lib/maple_tree.c, with two overrides:
 *
 *  - spinlock_t is the harness's checked lock, not tools/include's
 *    pthread mutex (same include guard), in struct maple_tree as well, so
 *    both translation units agree on its layout;
 *  - linux/rcupdate.h (bench/maple/linux/) is the kernel's x86 behaviour,
 *    plain loads and release stores, instead of liburcu, whose
 *    rcu_assign_pointer() adds an sfence the kernel does not have.
 *
 * struct resv_map is include/linux/hugetlb.h's as this variant would
 * change it: a maple tree (external lock: resv->lock) instead of the
 * rbtree, no file_region cache.  There is no struct file_region.
 */
#ifndef __MM_HUGETLB_REGION_INTERNAL_H
#define __MM_HUGETLB_REGION_INTERNAL_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <assert.h>

#ifndef HR_NO_CGROUP_HUGETLB
#define CONFIG_CGROUP_HUGETLB 1
#endif

/* Reports a failed check at file:line and does not return. */
void __attribute__((noreturn)) hr_fail(const char *file, int line,
				       const char *what);

#define HR_ASSERT(cond)							\
	do {								\
		if (!(cond))						\
			hr_fail(__FILE__, __LINE__, #cond);		\
	} while (0)

/* Locking: one lock held at a time, never across a sleeping allocation. */
#define __LINUX_SPINLOCK_H_	/* tools/include/linux/spinlock.h */
struct hr_spinlock {
	int locked;
};

#define spinlock_t struct hr_spinlock
#define __SPIN_LOCK_UNLOCKED(x)	((struct hr_spinlock){ 0 })
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

extern int hr_locks_held;

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->locked = 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	HR_ASSERT(!lock->locked);
	lock->locked = 1;
	hr_locks_held++;
}

static inline void spin_unlock(spinlock_t *lock)
{
	HR_ASSERT(lock->locked);
	lock->locked = 0;
	hr_locks_held--;
}

#define spin_lock_nested(l, s)	((void)(s), spin_lock(l))
#define spin_lock_bh		spin_lock
#define spin_unlock_bh		spin_unlock
#define spin_lock_irq		spin_lock
#define spin_unlock_irq		spin_unlock
#define spin_lock_irqsave(l, f)		((void)(f), spin_lock(l))
#define spin_unlock_irqrestore(l, f)	((void)(f), spin_unlock(l))

/* generated/autoconf.h: CONFIG_64BIT, which sizes the maple nodes */
#include <linux/kconfig.h>
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/maple_tree.h>
#include <linux/xarray.h>

#if MAPLE_RANGE64_SLOTS != 16
#error "not the 64-bit maple node layout: CONFIG_64BIT is missing"
#endif

#define __init
/* Built-in initcalls run before main(). */
#define core_initcall(fn)						\
	static void __attribute__((constructor)) hr_initcall_##fn(void) \
	{								\
		fn();							\
	}

#undef VM_WARN_ON
#undef VM_BUG_ON
/* Any of these firing fails the test, with file:line of the check. */
#define VM_WARN_ON(cond)	HR_ASSERT(!(cond))
#define VM_WARN_ON_ONCE(cond)	HR_ASSERT(!(cond))
#define VM_BUG_ON		VM_WARN_ON

struct rw_semaphore {
	int unused;
};

#define init_rwsem(sem)		((void)(sem))

struct kref {
	int refcount;
};

static inline void kref_init(struct kref *kref)
{
	kref->refcount = 1;
}

/*
 * Allocation (maple_tree_shim.c): counted, the nth call can be made to
 * fail, and only allocations that may not sleep may be made under a lock.
 * kmalloc() rounds up to the kmalloc size classes, kmem_caches (the
 * maple_node cache) use their exact size.
 */
extern long hr_nr_allocs;	/* allocation calls so far */
extern long hr_live_allocs;	/* allocated and not yet freed */
extern long hr_fail_alloc_at;	/* fail the call with this number, or -1 */
extern unsigned int hr_fail_alloc_permille;	/* random failures */
bool hr_random_alloc_failure(void);
void *hr_alloc(size_t size, bool exact);
void hr_free(void *p);
void hr_alloc_hook(void);
/* maple nodes live now and at most */
extern long hr_maple_nodes, hr_maple_nodes_peak;

/*
 * From 6.6 on, mas_preallocate() sizes the nodes for the one store it
 * walked to and marks the state so that any other store that needs more
 * BUG()s.  hr_prealloc() preallocates the same way, then lets the stores
 * that follow use the nodes as a pool and top it up (maple_tree_shim.c),
 * as 6.1's worst-case preallocation could be used.
 */
#ifdef MAS_START
#define hr_prealloc(mas, entry, gfp)	mas_preallocate(mas, entry, gfp)
#else
int hr_prealloc(struct ma_state *mas, void *entry, gfp_t gfp);
#endif

/* A point where the kernel may sleep: no spinlock may be held. */
static inline void cond_resched(void)
{
	HR_ASSERT(hr_locks_held == 0);
}

/* cgroup: a css is a reference count, a page_counter a page count. */
struct cgroup_subsys_state {
	long refcnt;
};

struct page_counter {
	long usage;
};

static inline void css_get(struct cgroup_subsys_state *css)
{
	css->refcnt++;
}

static inline void css_put(struct cgroup_subsys_state *css)
{
	HR_ASSERT(css->refcnt > 0);
	css->refcnt--;
}

static inline void page_counter_uncharge(struct page_counter *counter,
					 unsigned long nr_pages)
{
	HR_ASSERT(counter->usage >= (long)nr_pages);
	counter->usage -= nr_pages;
}

#define HUGE_MAX_HSTATE 2
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif

struct hstate {
	int index;
	unsigned int order;
};

static inline int hstate_index(struct hstate *h)
{
	return h->index;
}

static inline unsigned int pages_per_huge_page(struct hstate *h)
{
	return 1U << h->order;
}

struct hugetlb_cgroup {
	struct cgroup_subsys_state css;
	struct page_counter rsvd_hugepage[HUGE_MAX_HSTATE];
};

struct hstate *size_to_hstate(unsigned long size);

/* include/linux/hugetlb.h with the regions in a maple tree */
struct resv_map {
	struct kref refs;
	spinlock_t lock;		/* protects the fields below */
	struct maple_tree regions;	/* [from, to - 1] -> region entry */
	long last_to;			/* end of the last region, or 0 */
	long pages;			/* in all regions */
	long adds_in_progress;
	struct rw_semaphore rw_sema;
#ifdef CONFIG_CGROUP_HUGETLB
	struct page_counter *reservation_counter;
	unsigned long pages_per_hpage;
	struct cgroup_subsys_state *css;
#endif
};

#ifdef CONFIG_CGROUP_HUGETLB
/*
 * mm/hugetlb_cgroup.c's hugetlb_cgroup_uncharge_file_region(), taking the
 * region's cgroup instead of the file_region that held it.
 */
static inline void hugetlb_cgroup_uncharge_region(struct resv_map *resv,
						  struct hugetlb_cgroup *h_cg,
						  unsigned long nr_pages,
						  bool region_del)
{
	if (!resv || !nr_pages)
		return;

	if (h_cg && resv->pages_per_hpage && !resv->reservation_counter) {
		struct hstate *h;

		h = size_to_hstate(resv->pages_per_hpage << PAGE_SHIFT);
		page_counter_uncharge(&h_cg->rsvd_hugepage[hstate_index(h)],
				      nr_pages * resv->pages_per_hpage);
		if (region_del)
			css_put(&h_cg->css);
	}
}
#else
static inline void hugetlb_cgroup_uncharge_region(struct resv_map *resv,
						  struct hugetlb_cgroup *h_cg,
						  unsigned long nr_pages,
						  bool region_del)
{
}
#endif

struct resv_map *resv_map_alloc(void);
void resv_map_release(struct kref *ref);

/* For bench/bench.c: regions in the map (walks it), nothing per region. */
long hr_nr_regions(struct resv_map *resv);
#define HR_BENCH_REGIONS(resv)		hr_nr_regions(resv)
#define HR_BENCH_REGION_BYTES		((size_t)0)
#define HR_BENCH_MAPLE			1

#endif /* __MM_HUGETLB_REGION_INTERNAL_H */
