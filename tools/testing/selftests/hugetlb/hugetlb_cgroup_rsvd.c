// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb cgroup v2 reservation counters: hugetlb.<size>.rsvd.current is
 * charged when pages are reserved and uncharged when the reservation goes
 * away (munmap of a private mapping, truncation or hole punch of a file).
 * Reservations of a shared file remember the cgroup that made them, range
 * by range, so that each cgroup gets back exactly its own pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(cg) {
	struct hugetlb_env env;
	char a[512];
	char b[512];
	int fd;
};

FIXTURE_SETUP(cg)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	ASSERT_EQ(0, hugetlb_cgroup_create("hugetlb_test_a", self->a,
					   sizeof(self->a)));
	ASSERT_EQ(0, hugetlb_cgroup_create("hugetlb_test_b", self->b,
					   sizeof(self->b)));
	ASSERT_EQ(0, hugetlb_cgroup_read(self->a, "rsvd.current"));
	ASSERT_EQ(0, hugetlb_cgroup_read(self->b, "rsvd.current"));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cg)
{
	hugetlb_cgroup_enter(NULL);
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
	EXPECT_EQ(0, hugetlb_cgroup_remove(self->a));
	EXPECT_EQ(0, hugetlb_cgroup_remove(self->b));
}

struct worker {
	const char *cg;
	int fd;
	long first;
	long npages;
	bool touch;
};

/* In cgroup w->cg, reserve (and maybe fault) a range of the file. */
static int reserve_range(void *arg)
{
	struct worker *w = arg;
	char *p;

	if (hugetlb_cgroup_enter(w->cg))
		return 1;
	p = hugetlb_map(w->fd, w->npages, w->first, PROT_RW, MAP_SHARED);
	if (p == MAP_FAILED)
		return 2;
	if (w->touch && hugetlb_touch_pages(p, 0, w->npages, true) !=
	    w->npages)
		return 3;
	return munmap(p, w->npages * hpage_size) ? 4 : 0;
}

TEST_F(cg, shared_charge_until_truncate)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	ASSERT_EQ(0, hugetlb_cgroup_enter(self->a));
	p = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_CGROUP_PAGES(self->a, 4, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_CGROUP_PAGES(self->a, 4, 2);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* The file keeps the reservation, and so does the cgroup. */
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_CGROUP_PAGES(self->a, 4, 2);
	ASSERT_EQ(0, hugetlb_cgroup_enter(NULL));

	ASSERT_EQ(0, hugetlb_punch(self->fd, 0, 1));
	ASSERT_CGROUP_PAGES(self->a, 3, 1);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	/* Punching a page that was never allocated changes nothing. */
	ASSERT_EQ(0, hugetlb_punch(self->fd, 3, 1));
	ASSERT_CGROUP_PAGES(self->a, 3, 1);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 2));
	ASSERT_CGROUP_PAGES(self->a, 1, 1);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(cg, private_charge_until_munmap)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	ASSERT_EQ(0, hugetlb_cgroup_enter(self->a));
	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_CGROUP_PAGES(self->a, 4, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_CGROUP_PAGES(self->a, 4, 2);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p + 3 * H, H));
	ASSERT_CGROUP_PAGES(self->a, 3, 2);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_CGROUP_PAGES(self->a, 2, 1);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p + H, 2 * H));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* The charge of a private mapping stays with the cgroup that mapped it. */
TEST_F(cg, private_charge_follows_mapping)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *dst;

	ASSERT_EQ(0, hugetlb_cgroup_enter(self->a));
	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_cgroup_enter(self->b));
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_CGROUP_PAGES(self->a, 2, 0);
	ASSERT_CGROUP_PAGES(self->b, 0, 1);

	dst = hugetlb_aligned_hole(2);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 2 * H, 2 * H, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	ASSERT_CGROUP_PAGES(self->a, 2, 0);
	ASSERT_CGROUP_PAGES(self->b, 0, 1);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(q, 2 * H));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_CGROUP_PAGES(self->b, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(cg, rsvd_max_limits_reservations)
{
	struct hugetlb_counters *b = &self->env.base;
	char limit[32];
	char *p, *q;
	int fd2;

	snprintf(limit, sizeof(limit), "%lu", 2 * H);
	ASSERT_EQ(0, hugetlb_cgroup_write(self->a, "rsvd.max", limit));
	ASSERT_EQ(2 * H, hugetlb_cgroup_read(self->a, "rsvd.max"));
	ASSERT_EQ(0, hugetlb_cgroup_enter(self->a));

	p = hugetlb_map(self->fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_CGROUP_PAGES(self->a, 2, 0);
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* A fault without reservation is charged as a reservation too. */
	fd2 = hugetlb_env_open(&self->env, "other", O_RDWR);
	ASSERT_LE(0, fd2);
	q = hugetlb_map(fd2, 1, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, hugetlb_touch(q, true));
	ASSERT_CGROUP_PAGES(self->a, 2, 0);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_EQ(0, hugetlb_touch(q, true));
	ASSERT_CGROUP_PAGES(self->a, 1, 1);
	ASSERT_HPAGES(b, 0, -1, 0, 0);

	ASSERT_EQ(0, munmap(q, H));
	ASSERT_EQ(0, hugetlb_truncate(fd2, 0));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_cgroup_write(self->a, "rsvd.max", "max"));
}

/*
 * Two processes in two cgroups reserve and fault adjacent ranges of one
 * file; punching and truncating across the boundary uncharges each cgroup
 * for its own pages only.
 */
TEST_F(cg, adjacent_ranges_punch_and_truncate)
{
	struct hugetlb_counters *b = &self->env.base;
	struct worker wa = { self->a, self->fd, 0, 4, true };
	struct worker wb = { self->b, self->fd, 4, 4, true };

	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wa));
	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wb));
	ASSERT_CGROUP_PAGES(self->a, 4, 4);
	ASSERT_CGROUP_PAGES(self->b, 4, 4);
	ASSERT_HPAGES(b, 0, -8, 0, 0);

	ASSERT_EQ(0, hugetlb_punch(self->fd, 2, 4));
	ASSERT_CGROUP_PAGES(self->a, 2, 2);
	ASSERT_CGROUP_PAGES(self->b, 2, 2);
	ASSERT_HPAGES(b, 0, -4, 0, 0);

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 7));
	ASSERT_CGROUP_PAGES(self->a, 2, 2);
	ASSERT_CGROUP_PAGES(self->b, 1, 1);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 1));
	ASSERT_CGROUP_PAGES(self->a, 1, 1);
	ASSERT_CGROUP_PAGES(self->b, 0, 0);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(cg, adjacent_ranges_unfaulted_truncate)
{
	struct hugetlb_counters *b = &self->env.base;
	struct worker wa = { self->a, self->fd, 0, 3, false };
	struct worker wb = { self->b, self->fd, 3, 3, false };

	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wa));
	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wb));
	ASSERT_CGROUP_PAGES(self->a, 3, 0);
	ASSERT_CGROUP_PAGES(self->b, 3, 0);
	ASSERT_HPAGES(b, 0, 0, 6, 0);

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 4));
	ASSERT_CGROUP_PAGES(self->a, 3, 0);
	ASSERT_CGROUP_PAGES(self->b, 1, 0);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 2));
	ASSERT_CGROUP_PAGES(self->a, 2, 0);
	ASSERT_CGROUP_PAGES(self->b, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * Interleaved ranges: a reserves [0,2) and [4,6), then b reserves [0,8)
 * and is charged for the holes only.  A punch splits regions of both.
 */
TEST_F(cg, interleaved_ranges_split)
{
	struct hugetlb_counters *b = &self->env.base;
	struct worker wa1 = { self->a, self->fd, 0, 2, false };
	struct worker wa2 = { self->a, self->fd, 4, 2, false };
	struct worker wb = { self->b, self->fd, 0, 8, false };

	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wa1));
	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wa2));
	ASSERT_EQ(0, hugetlb_run_child(reserve_range, &wb));
	ASSERT_CGROUP_PAGES(self->a, 4, 0);
	ASSERT_CGROUP_PAGES(self->b, 4, 0);
	ASSERT_HPAGES(b, 0, 0, 8, 0);

	/* Consuming the reservations does not move the charges. */
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 8));
	ASSERT_CGROUP_PAGES(self->a, 4, 0);
	ASSERT_CGROUP_PAGES(self->b, 4, 0);
	ASSERT_HPAGES(b, 0, -8, 0, 0);

	ASSERT_EQ(0, hugetlb_punch(self->fd, 1, 6));
	ASSERT_CGROUP_PAGES(self->a, 1, 0);
	ASSERT_CGROUP_PAGES(self->b, 1, 0);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_CGROUP_PAGES(self->a, 0, 0);
	ASSERT_CGROUP_PAGES(self->b, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	char reason[256];

	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	if (!hugetlb_cgroup_available(reason, sizeof(reason)))
		hugetlb_prog_skip("%s: needs CONFIG_CGROUP_HUGETLB=y, cgroup2 mounted\n",
				  reason);
	if (hugetlb_cgroup_setup())
		hugetlb_prog_skip("cannot enable the hugetlb controller: %s\n",
				  strerror(errno));
	atexit(hugetlb_cgroup_cleanup);
	return test_harness_run(argc, argv);
}
