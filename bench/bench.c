// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver for mm/hugetlb_region.c, built in userspace against the
 * harness stubs of tools/testing/hugetlb_region/ of the same kernel commit.
 * scripts/bench.sh builds it once against the pre-rewrite code and once
 * against the final code.
 *
 *   bench CASE N [SAMPLE] [DEADLINE]
 *
 * CASE is one of
 *   sequential	N single page region_chg()+region_add() pairs, pages 0..N-1
 *   random	the same pairs, pages in a random order
 *   del	[0,N) reserved with one region_chg()+region_add(), then
 *		N single page region_del() in a random order
 * One operation is one chg+add pair, or one del.
 *
 * Only the measured loop runs with callgrind instrumentation on (run it
 * with --instr-atstart=no).  With SAMPLE > 0 and N > SAMPLE, only SAMPLE
 * operations are instrumented, in NR_WINDOWS windows spread evenly over
 * the run, so that quadratic cases can be counted in reasonable time.
 *
 * Output: "ops=<measured> sampled=<instrumented> ns_per_op=<x>
 * region_bytes=<sizeof(struct file_region)>".  Exit status 2 means the
 * run passed DEADLINE seconds and was stopped (capped).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "hugetlb_region_internal.h"
#include "hugetlb_region.c"

int hr_locks_held;
long hr_nr_allocs;
long hr_live_allocs;
long hr_fail_alloc_at = -1;
unsigned int hr_fail_alloc_permille;

bool hr_random_alloc_failure(void)
{
	return false;
}

void hr_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
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

static void die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

static const char *mode;
static long n, *perm;
static struct resv_map *resv;

static void op(long i, long *total)
{
	long idx = perm ? perm[i] : i, needed;

	if (!strcmp(mode, "del")) {
		*total += region_del(resv, idx, idx + 1);
		return;
	}
	if (region_chg(resv, idx, idx + 1, &needed) != 1)
		die("region_chg");
	*total += region_add(resv, idx, idx + 1, needed, NULL, NULL);
}

static void add_range(long f, long t)
{
	long needed;

	if (region_chg(resv, f, t, &needed) != t - f ||
	    region_add(resv, f, t, needed, NULL, NULL) != t - f)
		die("setup failed");
}

/*
 * Put the map in the state it has before operation @k without running
 * operations 0..k-1: re-add the pages that are present at that point in
 * descending page order.  Pages that were added one at a time are added one
 * at a time, pages of the initial [0,N) of "del" are added as maximal runs,
 * so both implementations end up with the regions the real run leaves.  In
 * descending order every addition lands at the head of the old code's list,
 * which makes this O(N) there instead of O(N^2).
 */
static void rebuild(long k)
{
	char *done = calloc(n, 1);	/* pages operations 0..k-1 touched */
	long i, t;

	if (!done)
		die("out of memory");
	for (i = 0; i < k; i++)
		done[perm ? perm[i] : i] = 1;
	if (!strcmp(mode, "del")) {
		/* what is left of [0,N): the runs of pages not deleted */
		for (t = n; t > 0; t = i) {
			while (t > 0 && done[t - 1])
				t--;
			for (i = t; i > 0 && !done[i - 1]; i--)
				;
			if (i < t)
				add_range(i, t);
		}
	} else {
		for (i = n - 1; i >= 0; i--)
			if (done[i])
				add_range(i, i + 1);
	}
	free(done);
}

static void new_map(void)
{
	resv = resv_map_alloc();
	if (!resv)
		die("resv_map_alloc failed");
}

static void release_map(void)
{
	resv_map_release(&resv->refs);
	if (hr_live_allocs)
		die("leaked allocations");
}

/* Callgrind only: count SAMPLE operations, each window from a rebuilt map. */
static long run_rebuilt(long window, long stride)
{
	long w, i, total = 0, counted = 0;

	for (w = 0; w < NR_WINDOWS; w++) {
		new_map();
		rebuild(w * stride);
		CALLGRIND_START_INSTRUMENTATION;
		for (i = w * stride; i < w * stride + window; i++)
			op(i, &total);
		CALLGRIND_STOP_INSTRUMENTATION;
		counted += window;
		release_map();
	}
	return counted;
}

int main(int argc, char **argv)
{
	long sample, i, done = 0, instrumented = 0, window = 0, stride = 0;
	long total = 0;
	double deadline, t0, t1;
	bool on = false, rebuilt;

	if (argc < 3)
		die("usage: bench sequential|random|del N [SAMPLE [DEADLINE [rebuild]]]");
	mode = argv[1];
	n = atol(argv[2]);
	sample = argc > 3 ? atol(argv[3]) : 0;
	deadline = argc > 4 ? atof(argv[4]) : 0;
	rebuilt = argc > 5 && !strcmp(argv[5], "rebuild");
	if (n <= 0)
		die("bad N");
	if (strcmp(mode, "sequential") && strcmp(mode, "random") &&
	    strcmp(mode, "del"))
		die("unknown case");
	if (sample <= 0 || sample >= n)
		sample = n;
	if (sample < n) {
		window = sample / NR_WINDOWS;
		stride = n / NR_WINDOWS;
	}

	if (strcmp(mode, "sequential")) {
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

	if (rebuilt && sample < n) {
		instrumented = run_rebuilt(window, stride);
		printf("ops=%ld sampled=%ld ns_per_op=0 region_bytes=%zu\n",
		       instrumented, instrumented, sizeof(struct file_region));
		free(perm);
		return 0;
	}

	new_map();
	if (!strcmp(mode, "del"))
		add_range(0, n);

	t0 = now();
	for (i = 0; i < n; i++) {
		bool want = sample == n || i % stride < window;

		if (want != on) {
			if (want)
				CALLGRIND_START_INSTRUMENTATION;
			else
				CALLGRIND_STOP_INSTRUMENTATION;
			on = want;
		}
		instrumented += on;
		op(i, &total);
		done++;
		if (deadline > 0 && !(i & 255) && now() - t0 > deadline) {
			printf("capped after=%ld ops=%ld\n", done, n);
			return 2;
		}
	}
	if (on)
		CALLGRIND_STOP_INSTRUMENTATION;
	t1 = now();

	if (total != n)
		die("wrong page count");
	if (region_count(resv, 0, LONG_MAX) != (strcmp(mode, "del") ? n : 0))
		die("wrong final map");
	release_map();
	free(perm);

	printf("ops=%ld sampled=%ld ns_per_op=%.1f region_bytes=%zu\n",
	       done, instrumented, (t1 - t0) * 1e9 / done,
	       sizeof(struct file_region));
	return 0;
}
