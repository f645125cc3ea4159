// SPDX-License-Identifier: GPL-2.0
/*
 * Time first-touch faults of 2 MB hugetlb pages on the running kernel: the
 * cost a private hugetlb fault has anyway, most of it clearing the page.
 *
 *   hugefault PAGES RUNS
 *
 * Each run maps PAGES huge pages MAP_PRIVATE | MAP_HUGETLB, writes one
 * byte to each (one fault each, in ascending order), then rewrites the
 * whole of each page from userspace (a 2 MB memset of memory already
 * mapped: the clearing alone, for comparison) and unmaps.  Prints one
 * line per run: "fault_ns=<per fault> memset_ns=<per 2 MB page>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define HPAGE (2UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 16, runs = argc > 2 ? atol(argv[2]) : 5;
	long r, i;

	for (r = 0; r < runs; r++) {
		char *p = mmap(NULL, pages * HPAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		double t0, t1, t2;

		if (p == MAP_FAILED) {
			perror("mmap MAP_HUGETLB");
			return 1;
		}
		t0 = now();
		for (i = 0; i < pages; i++)
			p[i * HPAGE] = 1;
		t1 = now();
		for (i = 0; i < pages; i++)
			memset(p + i * HPAGE, 0, HPAGE);
		t2 = now();
		printf("fault_ns=%.0f memset_ns=%.0f\n", (t1 - t0) / pages,
		       (t2 - t1) / pages);
		munmap(p, pages * HPAGE);
	}
	return 0;
}
