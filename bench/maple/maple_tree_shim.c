// SPDX-License-Identifier: GPL-2.0
/*
 * lib/maple_tree.c of the kernel tree, built in userspace the way
 * tools/testing/radix-tree/maple.c builds it (same linux/ shims), without
 * CONFIG_DEBUG_MAPLE_TREE, plus the slab functions it and the region code
 * use, on top of the program's hr_alloc()/hr_free() (bench/bench.c: a
 * model of the slab allocator; 256-byte maple nodes come from a cache of
 * their exact size, as kmem_cache_create("maple_node") makes them).
 */
#include "hugetlb_region_internal.h"

#define module_init(x)
#define module_exit(x)
#define MODULE_AUTHOR(x)
#define MODULE_LICENSE(x)
#define dump_stack()	assert(0)
/* what 6.1's radix-tree suite gets from elsewhere or lacks */
#include <linux/lockdep.h>
#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
/* 6.12's mtree_dup() takes the source lock nested */
#ifndef SINGLE_DEPTH_NESTING
#define SINGLE_DEPTH_NESTING	1
#endif

#include "lib/maple_tree.c"

struct kmem_cache {
	unsigned int size;
	unsigned int align;
	bool maple;
};

long hr_maple_nodes, hr_maple_nodes_peak;

#ifndef MAS_START
int hr_prealloc(struct ma_state *mas, void *entry, gfp_t gfp)
{
	int ret = mas_preallocate(mas, entry, gfp);

	mas->mas_flags &= ~MA_STATE_PREALLOC;
	return ret;
}
#endif

/* The region code takes its locks itself and checks them (spin_lock()). */
int lockdep_is_held(const void *lock)
{
	return 1;
}

static void *hr_gfp_alloc(size_t size, bool exact, gfp_t gfp)
{
	void *p;

	/* Only allocations that do not sleep may be made under a spinlock. */
	if (gfpflags_allow_blocking(gfp))
		HR_ASSERT(hr_locks_held == 0);
	if (gfpflags_allow_blocking(gfp))
		hr_alloc_hook();
	if (!(gfp & __GFP_NOFAIL) &&
	    (hr_nr_allocs++ == hr_fail_alloc_at || hr_random_alloc_failure()))
		return NULL;
	p = hr_alloc(size, exact);
	HR_ASSERT(p);
	hr_live_allocs++;
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
	return p;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return hr_gfp_alloc(size, false, gfp);
}

void kfree(void *p)
{
	if (!p)
		return;
	hr_live_allocs--;
	hr_free(p);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	static struct kmem_cache caches[2];
	static int nr;

	HR_ASSERT(nr < 2 && !ctor);
	/* the slab model's objects are aligned to their size (4 KiB slabs) */
	HR_ASSERT(!align || (size % align == 0 && 4096 % size == 0));
	caches[nr].size = size;
	caches[nr].align = align;
	caches[nr].maple = !strcmp(name, "maple_node");
	return &caches[nr++];
}

void *kmem_cache_alloc_lru(struct kmem_cache *cachep, struct list_lru *lru,
			   int gfp)
{
	void *p = hr_gfp_alloc(cachep->size, true, gfp);

	if (p && cachep->maple && ++hr_maple_nodes > hr_maple_nodes_peak)
		hr_maple_nodes_peak = hr_maple_nodes;
	return p;
}

void kmem_cache_free(struct kmem_cache *cachep, void *objp)
{
	if (cachep->maple)
		hr_maple_nodes--;
	kfree(objp);
}

int kmem_cache_alloc_bulk(struct kmem_cache *cachep, gfp_t gfp, size_t size,
			  void **list)
{
	size_t i;

	for (i = 0; i < size; i++) {
		list[i] = kmem_cache_alloc_lru(cachep, NULL, gfp);
		if (!list[i]) {
			kmem_cache_free_bulk(cachep, i, list);
			return 0;
		}
	}
	return size;
}

void kmem_cache_free_bulk(struct kmem_cache *cachep, size_t size, void **list)
{
	size_t i;

	for (i = 0; i < size; i++)
		kmem_cache_free(cachep, list[i]);
}

/* start_kernel() calls it before any initcall. */
static void __attribute__((constructor(101))) hr_maple_tree_init(void)
{
	maple_tree_init();
}
