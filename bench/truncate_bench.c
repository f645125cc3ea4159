// SPDX-License-Identifier: GPL-2.0
/*
 * truncate_bench: the latency of ftruncate(fd, 0) on a hugetlbfs file of
 * PAGES huge pages, all in the page cache, with 0, 1 and MANY shared
 * mappings of the file (only the first one faulted), alone and while an
 * unrelated process keeps faulting huge pages of another file.
 *
 * Run in the guest as root by scripts/truncate-bench.sh, once on a kernel
 * without "hugetlbfs: wait for in-flight faults when truncating" and once
 * with it.  Prints one line per case:
 *   truncate_bench case=<name> maps=<n> pages=<n> runs=<n> median_ns=<n> p90_ns=<n>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PAGES	32
#define MANY	16
#define RUNS	51

static long hpage;

static void die(const char *what)
{
	fprintf(stderr, "truncate_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The test kernel's clock may tick in jiffies (4 ms): time with the TSC,
 * calibrated against CLOCK_MONOTONIC over a second, where there is one.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static double tsc_per_ns;

static void calibrate(void)
{
	long long t0 = clock_ns(), c0 = __rdtsc(), t1;

	usleep(1000000);
	t1 = clock_ns();
	tsc_per_ns = (double)(__rdtsc() - c0) / (t1 - t0);
	printf("truncate_bench clock=tsc tsc_per_ns=%.3f\n", tsc_per_ns);
}

static long long now_ns(void)
{
	return __rdtsc() / tsc_per_ns;
}
#else
static void calibrate(void)
{
	struct timespec res;

	clock_getres(CLOCK_MONOTONIC, &res);
	printf("truncate_bench clock=monotonic resolution_ns=%ld\n", res.tv_nsec);
}

static long long now_ns(void)
{
	return clock_ns();
}
#endif

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long huge_page_size(void)
{
	char line[128];
	long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (!kb) {
		errno = ENOENT;
		die("Hugepagesize in /proc/meminfo");
	}
	return kb * 1024;
}

/* Fault huge pages of its own file until killed: unrelated faults. */
static pid_t start_faulter(const char *dir)
{
	char path[256];
	pid_t pid = fork();
	char *p;
	int fd;

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	snprintf(path, sizeof(path), "%s/faulter", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		die(path);
	for (;;) {
		p = mmap(NULL, hpage, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			 fd, 0);
		if (p == MAP_FAILED)
			die("faulter mmap");
		p[0] = 1;
		munmap(p, hpage);
	}
}

static void run_case(const char *name, const char *dir, int maps, int busy)
{
	long long t[RUNS];
	char *map[MANY];
	char path[256];
	pid_t faulter = 0;
	int fd, i, r;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		die(path);
	for (i = 0; i < maps; i++) {
		map[i] = mmap(NULL, PAGES * hpage, PROT_READ | PROT_WRITE,
			      MAP_SHARED, fd, 0);
		if (map[i] == MAP_FAILED)
			die("mmap");
	}
	if (busy)
		faulter = start_faulter(dir);
	for (r = 0; r < RUNS; r++) {
		if (fallocate(fd, 0, 0, PAGES * hpage))
			die("fallocate");
		for (i = 0; maps && i < PAGES; i++)
			map[0][i * hpage] = 1;
		t[r] = now_ns();
		if (ftruncate(fd, 0))
			die("ftruncate");
		t[r] = now_ns() - t[r];
	}
	if (faulter) {
		kill(faulter, SIGKILL);
		waitpid(faulter, NULL, 0);
	}
	for (i = 0; i < maps; i++)
		munmap(map[i], PAGES * hpage);
	close(fd);
	unlink(path);
	qsort(t, RUNS, sizeof(t[0]), cmp_ll);
	printf("truncate_bench case=%s maps=%d pages=%d runs=%d median_ns=%lld p90_ns=%lld\n",
	       name, maps, PAGES, RUNS, t[RUNS / 2], t[RUNS * 9 / 10]);
	fflush(stdout);
}

int main(void)
{
	const char *dir = "/tmp/truncate_bench";

	hpage = huge_page_size();
	calibrate();
	if (mkdir(dir, 0700) && errno != EEXIST)
		die(dir);
	if (mount("none", dir, "hugetlbfs", 0, NULL))
		die("mount hugetlbfs");
	run_case("unmapped", dir, 0, 0);
	run_case("one_mapping", dir, 1, 0);
	run_case("many_mappings", dir, MANY, 0);
	run_case("unmapped_busy", dir, 0, 1);
	run_case("one_mapping_busy", dir, 1, 1);
	run_case("many_mappings_busy", dir, MANY, 1);
	if (umount(dir))
		die("umount");
	return 0;
}
