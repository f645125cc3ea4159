// SPDX-License-Identifier: GPL-2.0
/*
 * Checks bench/maple/hugetlb_region.c against a page-by-page model before
 * scripts/bench.sh INDEX=maple measures it: random chg/add, chg/abort,
 * del (also to LONG_MAX) and count on small ranges, with and without
 * hugetlb cgroups, with injected allocation failures in a second pass.
 * After every operation the map must be exactly the model's regions (one
 * per hole an add filled, split by dels), resv->pages and the cgroup
 * charges and css references must match, and after the release nothing
 * may be left allocated or charged.
 *
 *   test [OPS [SEED]]
 */
#include <stdint.h>
#include <stdio.h>

#include "hugetlb_region_internal.h"
#include "hugetlb_region.c"

int hr_locks_held;
long hr_nr_allocs;
long hr_live_allocs;
long hr_fail_alloc_at = -1;
unsigned int hr_fail_alloc_permille;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned long rnd(unsigned long n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL >> 11) % n;
}

bool hr_random_alloc_failure(void)
{
	return hr_fail_alloc_permille && rnd(1000) < hr_fail_alloc_permille;
}

void hr_alloc_hook(void)
{
}

void hr_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

void *hr_alloc(size_t size, bool exact)
{
	/* maple nodes must be aligned to their size */
	return exact ? aligned_alloc(size, size) : malloc(size);
}

void hr_free(void *p)
{
	free(p);
}

static struct hstate hs = { .index = 0, .order = 9 };

struct hstate *size_to_hstate(unsigned long size)
{
	HR_ASSERT(size == (unsigned long)pages_per_huge_page(&hs) << PAGE_SHIFT);
	return &hs;
}

#define NPAGES	256
#define NCG	3	/* NULL and two cgroups */

static struct hugetlb_cgroup cgs[NCG];
static long region_of[NPAGES];	/* region id, or -1 */
static int cg_of_region[NPAGES * 4 + 100000];
static long next_region, ops_done;
static struct resv_map *resv;

static struct hugetlb_cgroup *cg_ptr(int i)
{
	return i ? &cgs[i] : NULL;
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "op %ld: %s\n", ops_done, #cond); \
			abort();					\
		}							\
	} while (0)

static void check_map(void)
{
	MA_STATE(mas, &resv->regions, 0, 0);
	long pages = 0, usage[NCG] = { 0 }, refs[NCG] = { 0 }, i, last = 0;
	void *entry;

	/* the model's regions, in order, must be the tree's ranges */
	mas_for_each(&mas, entry, ULONG_MAX) {
		long id;

		CHECK(mas.last < NPAGES);
		for (i = last; i < (long)mas.index; i++)
			CHECK(region_of[i] < 0);
		id = region_of[mas.index];
		CHECK(id >= 0);
		CHECK(mas.index == 0 || region_of[mas.index - 1] != id);
		for (i = mas.index; i <= (long)mas.last; i++)
			CHECK(region_of[i] == id);
		CHECK(mas.last + 1 == NPAGES || region_of[mas.last + 1] != id);
		CHECK(region_cg(entry) == cg_ptr(cg_of_region[id]));
		pages += mas.last + 1 - mas.index;
		usage[cg_of_region[id]] += mas.last + 1 - mas.index;
		refs[cg_of_region[id]]++;
		last = mas.last + 1;
	}
	for (i = last; i < NPAGES; i++)
		CHECK(region_of[i] < 0);
	CHECK(resv->pages == pages);
	CHECK(resv->last_to == last);
	for (i = 1; i < NCG; i++) {
		CHECK(cgs[i].rsvd_hugepage[0].usage ==
		      usage[i] * pages_per_huge_page(&hs));
		CHECK(cgs[i].css.refcnt == refs[i] + 1);	/* + the test's */
	}
	CHECK(hr_locks_held == 0);
}

static long model_holes(long f, long t, long *holes)
{
	long i, add = 0;

	*holes = 0;
	for (i = f; i < t; i++)
		if (region_of[i] < 0) {
			add++;
			if (i == f || region_of[i - 1] >= 0)
				(*holes)++;
		}
	return add;
}

static void op_add(bool abort_it, bool single)
{
	long f = rnd(NPAGES), t = f + 1 + (single ? 0 : rnd(8)), needed, holes;
	long chg, add, i, first;
	int cg = rnd(NCG);

	if (t > NPAGES)
		t = NPAGES;
	chg = hugetlb_region_chg(resv, f, t, &needed);
	CHECK(chg == model_holes(f, t, &holes));
	CHECK(needed == (holes ? holes : 1));
	CHECK(resv->adds_in_progress == needed);
	if (abort_it) {
		hugetlb_region_abort(resv, f, t, needed);
		CHECK(resv->adds_in_progress == 0);
		return;
	}
	add = hugetlb_region_add(resv, f, t, needed, cg ? &hs : NULL,
				 cg_ptr(cg));
	CHECK(add == chg);
	CHECK(resv->adds_in_progress == 0);
	/* what the caller charged for the pages it added */
	if (cg)
		cgs[cg].rsvd_hugepage[0].usage +=
			add * pages_per_huge_page(&hs);
	/* each hole becomes one region: ids from first on are this add's */
	for (i = f, first = next_region; i < t; i++) {
		if (region_of[i] >= 0)
			continue;
		if (i > f && region_of[i - 1] >= first) {
			region_of[i] = region_of[i - 1];
		} else {
			cg_of_region[next_region] = cg;
			region_of[i] = next_region++;
		}
	}
}

static void op_del(void)
{
	long f = rnd(NPAGES), t, del, i, expect = 0, id_left, id_right;

	t = rnd(4) ? f + 1 + rnd(16) : LONG_MAX;
	del = hugetlb_region_del(resv, f, t);
	if (del == -ENOMEM) {
		CHECK(hr_fail_alloc_permille);
		return;
	}
	if (t > NPAGES)
		t = NPAGES;
	/* a region around [f, t) leaves its part after t as a new region */
	id_left = f ? region_of[f - 1] : -1;
	id_right = t < NPAGES ? region_of[t] : -1;
	if (id_left >= 0 && id_left == id_right) {
		cg_of_region[next_region] = cg_of_region[id_right];
		for (i = t; i < NPAGES && region_of[i] == id_right; i++)
			region_of[i] = next_region;
		next_region++;
	}
	for (i = f; i < t; i++)
		if (region_of[i] >= 0) {
			expect++;
			region_of[i] = -1;
		}
	CHECK(del == expect);
}

static void op_count(void)
{
	long f = rnd(NPAGES), t = rnd(3) ? f + rnd(64) : NPAGES + rnd(10);
	long i, expect = 0;

	if (!rnd(4))
		f = 0;
	for (i = f; i < t && i < NPAGES; i++)
		expect += region_of[i] >= 0;
	CHECK(hugetlb_region_count(resv, f, t) == expect);
}

static void run(long ops, unsigned int fail_permille)
{
	long i;
	int k;

	resv = resv_map_alloc();
	CHECK(resv);
	for (i = 0; i < NPAGES; i++)
		region_of[i] = -1;
	next_region = 0;
	for (k = 1; k < NCG; k++)
		cgs[k].css.refcnt = 1;
	hr_fail_alloc_permille = fail_permille;
	for (ops_done = 0; ops_done < ops; ops_done++) {
		switch (rnd(10)) {
		case 0:
			op_add(true, false);
			break;
		case 1: case 2:
			op_del();
			break;
		case 3:
			op_count();
			break;
		default:
			/* multi-page adds may fail half-way: not with failures */
			op_add(false, fail_permille || rnd(2));
		}
		if (next_region > (long)(sizeof(cg_of_region) /
					 sizeof(cg_of_region[0])) - NPAGES) {
			fprintf(stderr, "too many regions\n");
			exit(1);
		}
		check_map();
	}
	hr_fail_alloc_permille = 0;
	resv_map_release(&resv->refs);
	CHECK(hr_live_allocs == 0);
	CHECK(hr_maple_nodes == 0);
	for (k = 1; k < NCG; k++) {
		CHECK(cgs[k].rsvd_hugepage[0].usage == 0);
		CHECK(cgs[k].css.refcnt == 1);
	}
}

/* N single-page adds in ascending order: the node count the bench sees */
static void sequential(long n)
{
	long i, needed;

	resv = resv_map_alloc();
	for (i = 0; i < n; i++) {
		CHECK(hugetlb_region_chg(resv, i, i + 1, &needed) == 1);
		CHECK(hugetlb_region_add(resv, i, i + 1, needed, NULL, NULL) == 1);
	}
	CHECK(hr_nr_regions(resv) == n);
	CHECK(hugetlb_region_count(resv, 0, n) == n);
	printf("sequential %ld: %ld nodes, %ld allocations live\n", n,
	       hr_maple_nodes, hr_live_allocs);
	resv_map_release(&resv->refs);
	CHECK(hr_live_allocs == 0 && hr_maple_nodes == 0);
}

/* A release that reschedules: more regions with cgroup charges than a batch */
static void release_many(long n)
{
	long i, needed;

	resv = resv_map_alloc();
	cgs[1].css.refcnt = 1;
	for (i = 0; i < n; i++) {
		CHECK(hugetlb_region_chg(resv, 2 * i, 2 * i + 1, &needed) == 1);
		CHECK(hugetlb_region_add(resv, 2 * i, 2 * i + 1, needed, &hs,
					 &cgs[1]) == 1);
		cgs[1].rsvd_hugepage[0].usage += pages_per_huge_page(&hs);
	}
	CHECK(cgs[1].css.refcnt == n + 1);
	resv_map_release(&resv->refs);
	CHECK(cgs[1].css.refcnt == 1 && cgs[1].rsvd_hugepage[0].usage == 0);
	CHECK(hr_live_allocs == 0 && hr_maple_nodes == 0);
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 20000;

	if (argc > 2)
		rng = strtoull(argv[2], NULL, 0) | 1;
	run(ops, 0);
	printf("maple region code: %ld operations match the model\n", ops);
	run(ops, 100);
	printf("maple region code: %ld operations with 10%% allocation failures match the model\n",
	       ops);
	sequential(10000);
	release_many(3 * REGION_BATCH + 5);
	return 0;
}
