// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver for mm/hugetlb_region.c, built in userspace against the
 * harness stubs of tools/testing/hugetlb_region/ of the same kernel commit.
 * scripts/bench.sh builds it against the 6.1 code (the commit that adds
 * the harness) and against the final code.
 *
 *   bench time CASE N		wall time, one run
 *   bench insn CASE N SAMPLE	run under callgrind --instr-atstart=no
 *
 * CASE is "sequential" or "random": a private mapping of N huge pages
 * faulted in page by page (one single page hugetlb_region_chg() +
 * hugetlb_region_add() pair per fault) in ascending or in a random order,
 * then unmapped: a full-range hugetlb_region_count() (hugetlb_vm_op_close())
 * and resv_map_release().  All of it is measured; the cost is given per
 * fault.
 *
 * Allocations go to a model of the kernel's slab allocator: 4 KiB slabs
 * of one object size each, carved from memory faulted in before the
 * measurement (the kernel's memory is already mapped), a LIFO free list
 * per cache.  kmalloc() rounds up to the kmalloc size classes,
 * kmem_cache_alloc() uses the exact object size.
 *
 * "time" prints "ns_per_fault=X fault_ns=X unmap_ns=X bytes_per_page=X
 * slab_bytes_per_page=X regions=X region_bytes=X": bytes_per_page is the
 * objects of the map at its largest over N, slab_bytes_per_page the slab
 * pages they occupy over N.  The maple tree variant (bench/maple/, built
 * with its own hugetlb_region_internal.h) adds "nodes=X nodes_peak=X":
 * maple nodes after the faults and at most.
 *
 * "insn" dumps two callgrind parts, "faults" and "unmap".  With SAMPLE < N,
 * only SAMPLE faults in 20 windows spread over the run are counted, each
 * window from a map rebuilt to the state the full run has there (the pages
 * faulted before it, re-added in descending order, which is O(1) per page
 * in the 6.1 list too), and "unmap" from the full map rebuilt the same
 * way.  Prints "faults=<counted faults>".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "hugetlb_region_internal.h"
#include "hugetlb_region.c"

/* everything allocated but the map and the cache is a region */
#ifndef HR_BENCH_REGIONS
#define HR_BENCH_REGIONS(resv) \
	(hr_live_allocs - 1 - (resv)->region_cache_count)
#define HR_BENCH_REGION_BYTES	sizeof(struct file_region)
#endif

int hr_locks_held;
long hr_nr_allocs;
long hr_live_allocs;
long hr_fail_alloc_at = -1;
unsigned int hr_fail_alloc_permille;

bool hr_random_alloc_failure(void)
{
	return false;
}

void hr_alloc_hook(void)
{
}

void hr_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

static struct hstate hs = { .index = 0, .order = 9 };

struct hstate *size_to_hstate(unsigned long size)
{
	return &hs;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* The slab model */
#define SLAB_SIZE	4096UL
#define NR_CACHES	16

struct bcache {
	size_t size;
	void *free;		/* LIFO list through the first word */
	char *next, *end;	/* the unused part of the newest slab */
	long live, slabs;
};

static struct bcache caches[NR_CACHES];
static struct bcache **slab_owner;	/* per arena slab */
static char *arena, *arena_next, *arena_end;
static long live_bytes, peak_bytes, slab_bytes, peak_slab_bytes;

static void arena_init(size_t bytes)
{
	bytes = (bytes + SLAB_SIZE - 1) & ~(SLAB_SIZE - 1);
	arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (arena == MAP_FAILED)
		die("cannot map the arena");
	memset(arena, 0, bytes);
	arena_next = arena;
	arena_end = arena + bytes;
	slab_owner = calloc(bytes / SLAB_SIZE, sizeof(*slab_owner));
	if (!slab_owner)
		die("out of memory");
}

static size_t kmalloc_class(size_t size)
{
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256,
					  512, 1024, 2048, 4096 };
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (size <= classes[i])
			return classes[i];
	die("allocation too large");
	return 0;
}

void *hr_alloc(size_t size, bool exact)
{
	struct bcache *c;
	void *p;
	int i;

	if (!exact)
		size = kmalloc_class(size);
	for (i = 0; i < NR_CACHES && caches[i].size != size; i++)
		if (!caches[i].size) {
			caches[i].size = size;
			break;
		}
	if (i == NR_CACHES)
		die("too many caches");
	c = &caches[i];
	if (c->free) {
		p = c->free;
		c->free = *(void **)p;
	} else {
		if (c->next + size > c->end) {
			if (arena_next == arena_end)
				die("arena exhausted");
			slab_owner[(arena_next - arena) / SLAB_SIZE] = c;
			c->next = arena_next;
			c->end = arena_next + SLAB_SIZE;
			arena_next += SLAB_SIZE;
			c->slabs++;
			slab_bytes += SLAB_SIZE;
			if (slab_bytes > peak_slab_bytes)
				peak_slab_bytes = slab_bytes;
		}
		p = c->next;
		c->next += size;
	}
	c->live++;
	live_bytes += size;
	if (live_bytes > peak_bytes)
		peak_bytes = live_bytes;
	return p;
}

void hr_free(void *p)
{
	struct bcache *c;

	if ((char *)p < arena || (char *)p >= arena_end)
		die("freeing a pointer the model did not allocate");
	c = slab_owner[((char *)p - arena) / SLAB_SIZE];
	*(void **)p = c->free;
	c->free = p;
	c->live--;
	live_bytes -= c->size;
}

#define NR_WINDOWS 20

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long n, *perm;
static struct resv_map *resv;

static void fault(long idx)
{
	long needed;

	if (hugetlb_region_chg(resv, idx, idx + 1, &needed) != 1 ||
	    hugetlb_region_add(resv, idx, idx + 1, needed, NULL, NULL) != 1)
		die("fault");
}

static long page(long i)
{
	return perm ? perm[i] : i;
}

/* The map as the run leaves it after @k faults, built in O(k) for 6.1. */
static void rebuild(long k)
{
	char *done = calloc(n, 1);
	long i;

	if (!done)
		die("out of memory");
	for (i = 0; i < k; i++)
		done[page(i)] = 1;
	for (i = n - 1; i >= 0; i--)
		if (done[i])
			fault(i);
	free(done);
}

static void new_map(void)
{
	resv = resv_map_alloc();
	if (!resv)
		die("resv_map_alloc failed");
}

/* What hugetlb_vm_op_close() does with the map of an unmapped mapping. */
static void unmap(void)
{
	if (hugetlb_region_count(resv, 0, n) != n)
		die("wrong page count");
	resv_map_release(&resv->refs);
	if (hr_live_allocs)
		die("leaked allocations");
}

int main(int argc, char **argv)
{
	long i, w, sample = 0, window, stride, counted = 0, regions = 0;
#ifdef HR_BENCH_MAPLE
	long nodes = 0;
#endif
	const char *what, *kind;
	double t0, t1, t2, t3;

	if (argc < 4)
		die("usage: bench time|insn sequential|random N [SAMPLE]");
	what = argv[1];
	kind = argv[2];
	n = atol(argv[3]);
	if (argc > 4)
		sample = atol(argv[4]);
	if (n <= 0)
		die("bad N");
	if (strcmp(kind, "sequential") && strcmp(kind, "random"))
		die("unknown case");
	if (!strcmp(kind, "random")) {
		perm = malloc(n * sizeof(*perm));
		if (!perm)
			die("out of memory");
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			long j = rnd() % (i + 1), tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
	}
	/* the map's objects at most: one 64 byte object per page, and slack */
	arena_init((size_t)n * 128 + 64 * SLAB_SIZE);

	if (!strcmp(what, "time")) {
		new_map();
		t0 = now();
		for (i = 0; i < n; i++)
			fault(page(i));
		t1 = now();
		/* not timed: the maple variant walks the map to count */
		regions = HR_BENCH_REGIONS(resv);
#ifdef HR_BENCH_MAPLE
		nodes = hr_maple_nodes;
#endif
		t2 = now();
		unmap();
		t3 = now();
		printf("ns_per_fault=%.1f fault_ns=%.1f unmap_ns=%.1f bytes_per_page=%.1f slab_bytes_per_page=%.1f regions=%ld region_bytes=%zu",
		       (t1 - t0 + t3 - t2) * 1e9 / n, (t1 - t0) * 1e9 / n,
		       (t3 - t2) * 1e9 / n, (double)peak_bytes / n,
		       (double)peak_slab_bytes / n, regions,
		       HR_BENCH_REGION_BYTES);
#ifdef HR_BENCH_MAPLE
		printf(" nodes=%ld nodes_peak=%ld", nodes, hr_maple_nodes_peak);
#endif
		printf("\n");
		return 0;
	}
	if (strcmp(what, "insn"))
		die("unknown mode");

	if (sample <= 0 || sample >= n) {
		new_map();
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < n; i++)
			fault(page(i));
		CALLGRIND_STOP_INSTRUMENTATION;
		counted = n;
	} else {
		window = sample / NR_WINDOWS;
		stride = n / NR_WINDOWS;
		for (w = 0; w < NR_WINDOWS; w++) {
			new_map();
			rebuild(w * stride);
			CALLGRIND_START_INSTRUMENTATION;
			for (i = w * stride; i < w * stride + window; i++)
				fault(page(i));
			CALLGRIND_STOP_INSTRUMENTATION;
			counted += window;
			resv_map_release(&resv->refs);
		}
		new_map();
		rebuild(n);
	}
	CALLGRIND_DUMP_STATS_AT("faults");
	CALLGRIND_START_INSTRUMENTATION;
	unmap();
	CALLGRIND_STOP_INSTRUMENTATION;
	CALLGRIND_DUMP_STATS_AT("unmap");
	printf("faults=%ld\n", counted);
	return 0;
}
