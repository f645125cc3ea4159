// SPDX-License-Identifier: GPL-2.0
/*
 * Threads and processes fault, reserve, allocate, punch, truncate, map and
 * unmap the same hugetlbfs file for a few seconds.  Faults may fail with
 * SIGBUS (truncation) and allocations with ENOSPC, but once everything is
 * quiet the counters must be consistent: the free pool is short of exactly
 * the pages in the file, and truncating the file restores all counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size
#define MAX_LOOPS 100000

/*
 * The file: 16 pages of 2 MB, 32 MB of bigger pages but at least 4.  The
 * pool: 112 MB, at least 4 pages more than the file (8 pages of 1 GB); the
 * racers' private mappings and fork()s get ENOMEM or SIGBUS when it runs
 * out, which is part of the race.
 */
static long npages;
static long pool_pages;

static void size_by_page_size(void)
{
	npages = (32L << 20) / hpage_size;
	npages = npages < 4 ? 4 : npages > 16 ? 16 : npages;
	pool_pages = (112L << 20) / hpage_size;
	if (pool_pages > 3 * npages + 8)
		pool_pages = 3 * npages + 8;
	if (pool_pages < npages + 4)
		pool_pages = npages + 4;
}

/*
 * Long enough for several operations of each racer, also where a fault
 * takes seconds.  A fault, not a copy: a copy of 1 GB under emulation
 * would stretch every race to minutes, and the racers that copy are only
 * some of the operations.
 */
static long run_seconds(void)
{
	return 2 + (long)(8 * hugetlb_clear_seconds);
}

enum role {
	ROLE_FAULT,
	ROLE_PUNCH,
	ROLE_TRUNCATE,
	ROLE_MAP,
	ROLE_FALLOCATE,
	ROLE_FORK_COW,
	NR_ROLES,
};

struct race {
	int fd;
	char *map;		/* MAP_SHARED | MAP_NORESERVE, all pages */
	struct timespec end;
};

struct racer {
	struct race *race;
	enum role role;
	unsigned int seed;
	long loops;
};

static bool time_is_up(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static void map_and_touch(struct race *r, unsigned int *seed)
{
	long first = hugetlb_rand(seed) % npages;
	long len = 1 + hugetlb_rand(seed) % (npages - first);
	int flags = hugetlb_rand(seed) & 1 ? MAP_SHARED : MAP_PRIVATE;
	char *q;

	q = hugetlb_map(r->fd, len, first, PROT_RW, flags);
	if (q == MAP_FAILED)
		return;
	hugetlb_touch_pages(q, hugetlb_rand(seed) % len, 1, true);
	hugetlb_touch_pages(q, hugetlb_rand(seed) % len, 1, false);
	munmap(q, len * hpage_size);
}

static void fork_cow(unsigned int *seed)
{
	char *q;
	pid_t pid;

	q = hugetlb_map_anon(2, MAP_PRIVATE);
	if (q == MAP_FAILED)
		return;
	hugetlb_touch(q, true);
	pid = hugetlb_fork();
	if (!pid) {
		hugetlb_touch_pages(q, 0, 2, true);
		_exit(0);
	}
	hugetlb_touch_pages(q, hugetlb_rand(seed) % 2, 1, true);
	if (pid > 0)
		hugetlb_wait(pid);
	munmap(q, 2 * hpage_size);
}

static void *racer_fn(void *arg)
{
	struct racer *w = arg;
	struct race *r = w->race;
	long pg;

	for (w->loops = 0; w->loops < MAX_LOOPS && !time_is_up(&r->end);
	     w->loops++) {
		pg = hugetlb_rand(&w->seed) % npages;
		switch (w->role) {
		case ROLE_FAULT:
			hugetlb_touch(r->map + pg * hpage_size,
				      hugetlb_rand(&w->seed) & 1);
			break;
		case ROLE_PUNCH:
			hugetlb_punch(r->fd, pg, 1 + hugetlb_rand(&w->seed) % 3);
			break;
		case ROLE_TRUNCATE:
			hugetlb_truncate(r->fd, pg);
			sched_yield();
			hugetlb_truncate(r->fd, npages);
			break;
		case ROLE_MAP:
			map_and_touch(r, &w->seed);
			break;
		case ROLE_FALLOCATE:
			hugetlb_falloc(r->fd, 0, pg, pg + 1 < npages ?
				       1 + hugetlb_rand(&w->seed) % 2 : 1);
			break;
		default:
			fork_cow(&w->seed);
			break;
		}
	}
	return NULL;
}

FIXTURE(races) {
	struct hugetlb_env env;
	struct race race;
};

FIXTURE_SETUP(races)
{
	struct race *r = &self->race;

	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	r->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, r->fd);
	ASSERT_EQ(0, hugetlb_truncate(r->fd, npages));
	r->map = hugetlb_map(r->fd, npages, 0, PROT_RW,
			     MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, r->map);
	/* Installs the SIGBUS handler before any thread runs. */
	ASSERT_EQ(0, hugetlb_touch(r->map, true));
	clock_gettime(CLOCK_MONOTONIC, &r->end);
	r->end.tv_sec += run_seconds();
}

FIXTURE_TEARDOWN(races)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* With nothing mapped, only the file holds pages and reservations. */
static void check_quiet(struct __test_metadata *_metadata,
			struct hugetlb_counters *b, int fd)
{
	struct hugetlb_counters c;
	long pages = hugetlb_file_pages(fd);

	EXPECT_EQ(0, hugetlb_read_counters(&c));
	EXPECT_EQ(b->total, c.total);
	EXPECT_EQ(b->surp, c.surp);
	EXPECT_EQ(b->free - pages, c.free);
	/* Reserved pages of the file that are not present. */
	EXPECT_LE(b->rsvd, c.rsvd);
	EXPECT_GE(b->rsvd + npages - pages, c.rsvd);
	EXPECT_LE(c.rsvd, c.free);
}

static void run_threads(struct __test_metadata *_metadata,
			struct race *r, const enum role *roles, int n)
{
	struct racer w[8];
	pthread_t t[8];
	long total = 0;
	int i;

	for (i = 0; i < n; i++) {
		w[i].race = r;
		w[i].role = roles[i];
		w[i].seed = i + 1;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, racer_fn, &w[i]));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		total += w[i].loops;
	}
	TH_LOG("%ld operations", total);
}

TEST_F_TIMEOUT(races, threads_fault_punch_truncate, 60)
{
	static const enum role roles[] = {
		ROLE_FAULT, ROLE_FAULT, ROLE_PUNCH, ROLE_TRUNCATE,
		ROLE_FALLOCATE,
	};
	struct hugetlb_counters *b = &self->env.base;
	struct race *r = &self->race;

	run_threads(_metadata, r, roles, ARRAY_SIZE(roles));
	ASSERT_EQ(0, munmap(r->map, npages * H));
	check_quiet(_metadata, b, r->fd);
	ASSERT_EQ(0, hugetlb_truncate(r->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F_TIMEOUT(races, threads_reserve_map_vs_fault, 60)
{
	static const enum role roles[] = {
		ROLE_FAULT, ROLE_MAP, ROLE_MAP, ROLE_PUNCH, ROLE_FORK_COW,
	};
	struct hugetlb_counters *b = &self->env.base;
	struct race *r = &self->race;

	run_threads(_metadata, r, roles, ARRAY_SIZE(roles));
	ASSERT_EQ(0, munmap(r->map, npages * H));
	check_quiet(_metadata, b, r->fd);
	ASSERT_EQ(0, hugetlb_truncate(r->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F_TIMEOUT(races, processes_all_operations, 60)
{
	struct hugetlb_counters *b = &self->env.base;
	struct race *r = &self->race;
	struct racer w;
	pid_t pid;
	int i;

	for (i = 0; i < NR_ROLES; i++) {
		pid = hugetlb_fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			w.race = r;
			w.role = i;
			w.seed = 100 + i;
			racer_fn(&w);
			_exit(0);
		}
		hugetlb_env_add_pid(&self->env, pid);
	}
	for (i = 0; i < self->env.npids; i++)
		ASSERT_EQ(0, hugetlb_wait(self->env.pids[i]));
	self->env.npids = 0;
	ASSERT_EQ(0, munmap(r->map, npages * H));
	check_quiet(_metadata, b, r->fd);
	ASSERT_EQ(0, hugetlb_truncate(r->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * Faults race with truncation of the faulted pages.  A fault that passed
 * the i_size check and added its page to the reservation map must not have
 * that entry dropped by the truncation while the page still goes into the
 * page cache: HugePages_Rsvd would fall below what it was before the test
 * (below zero on an otherwise idle system).  Sample it while racing.
 */
TEST_F_TIMEOUT(races, fault_vs_truncate_rsvd_never_drops, 60)
{
	struct hugetlb_counters *b = &self->env.base;
	struct race *r = &self->race;
	struct hugetlb_counters c;
	long low = 0, samples = 0;
	pid_t faulter, truncater;
	long i;

	faulter = hugetlb_fork();
	ASSERT_LE(0, faulter);
	if (!faulter) {
		while (!time_is_up(&r->end))
			for (i = 0; i < 4; i++)
				hugetlb_touch(r->map + i * H, true);
		_exit(0);
	}
	hugetlb_env_add_pid(&self->env, faulter);
	truncater = hugetlb_fork();
	ASSERT_LE(0, truncater);
	if (!truncater) {
		while (!time_is_up(&r->end)) {
			hugetlb_truncate(r->fd, 0);
			hugetlb_truncate(r->fd, npages);
		}
		_exit(0);
	}
	hugetlb_env_add_pid(&self->env, truncater);

	while (!time_is_up(&r->end)) {
		if (!hugetlb_read_counters(&c) && c.rsvd - b->rsvd < low)
			low = c.rsvd - b->rsvd;
		samples++;
		usleep(1000);
	}
	ASSERT_EQ(0, hugetlb_wait(faulter));
	ASSERT_EQ(0, hugetlb_wait(truncater));
	self->env.npids = 0;
	TH_LOG("%ld samples, lowest Rsvd delta %ld", samples, low);
	EXPECT_EQ(0, low);

	ASSERT_EQ(0, munmap(r->map, npages * H));
	check_quiet(_metadata, b, r->fd);
	ASSERT_EQ(0, hugetlb_truncate(r->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	/* hpage_size is known before the pool is sized. */
	if (!hugetlb_init())
		size_by_page_size();
	hugetlb_prog_setup(pool_pages);
	/* A case runs run_seconds(), then waits for the faults in flight. */
	hugetlb_scale_timeouts(4 + 16);
	return test_harness_run(argc, argv);
}
