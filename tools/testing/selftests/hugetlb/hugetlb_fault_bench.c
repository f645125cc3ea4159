// SPDX-License-Identifier: GPL-2.0
/*
 * Huge page fault cost: one process faults every page of a MAP_NORESERVE
 * shared mapping of a hugetlb memfd, then of a private mapping, in random
 * order, and prints the average time per fault.  By default it uses as many
 * pages as are available in the pool; -n N picks the number of pages.
 *
 * Not a test: it is built, not run, by the selftest framework.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hugetlb_util.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Fault all pages in the given order, return the time it took. */
static long long fault_all(char *p, const long *order, long n)
{
	long long start = now_ns();
	long i;

	for (i = 0; i < n; i++)
		p[order[i] * hpage_size] = 1;
	return now_ns() - start;
}

static void report(const char *kind, long n, long long ns)
{
	printf("fault_bench %s pages=%ld ns_per_fault=%lld\n", kind, n,
	       ns / n);
}

int main(int argc, char **argv)
{
	unsigned int seed = 12345;
	long n = -1, i, *order;
	long long ns;
	char *p;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: %s [-n pages]\n", argv[0]);
			return 1;
		}
		n = strtol(optarg, NULL, 0);
	}
	if (hugetlb_init()) {
		fprintf(stderr, "no hugetlb support\n");
		return 1;
	}
	if (n < 0)
		n = hugetlb_available();
	if (n <= 0) {
		fprintf(stderr, "no huge pages available\n");
		return 1;
	}
	order = malloc(n * sizeof(*order));
	if (!order)
		return 1;
	for (i = 0; i < n; i++)
		order[i] = i;
	hugetlb_shuffle(order, n, &seed);

	fd = memfd_create("hugetlb_fault_bench", MFD_HUGETLB);
	if (fd < 0 || hugetlb_truncate(fd, n)) {
		perror("memfd_create");
		return 1;
	}
	p = hugetlb_map(fd, n, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	if (p == MAP_FAILED) {
		perror("mmap shared");
		return 1;
	}
	ns = fault_all(p, order, n);
	report("shared", n, ns);
	munmap(p, n * hpage_size);
	close(fd);

	hugetlb_shuffle(order, n, &seed);
	p = hugetlb_map_anon(n, MAP_PRIVATE);
	if (p == MAP_FAILED) {
		perror("mmap private");
		return 1;
	}
	ns = fault_all(p, order, n);
	report("private", n, ns);
	munmap(p, n * hpage_size);
	free(order);
	return 0;
}
