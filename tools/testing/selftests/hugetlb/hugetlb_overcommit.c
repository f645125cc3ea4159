// SPDX-License-Identifier: GPL-2.0
/*
 * Surplus huge pages: with nr_overcommit_hugepages > 0 a reservation that
 * the free pool cannot back allocates surplus pages, which go back to the
 * buddy allocator when they are freed or no longer needed.  Faults without
 * a reservation allocate surplus pages directly, up to the limit.
 *
 * The tests first reserve every available pool page with an untouched
 * mapping, so that only a few surplus pages need to be allocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(overcommit) {
	struct hugetlb_env env;
	struct hugetlb_counters b;	/* after filling the pool */
	void *fill;
	long fn;
};

FIXTURE_SETUP(overcommit)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fill = hugetlb_fill_pool(&self->fn);
	ASSERT_NE(MAP_FAILED, self->fill);
	ASSERT_EQ(0, hugetlb_read_counters(&self->b));
	ASSERT_EQ(self->env.base.rsvd + self->fn, self->b.rsvd);
}

FIXTURE_TEARDOWN(overcommit)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(overcommit, shared_reservation_surplus)
{
	struct hugetlb_counters *b = &self->b;
	char *p;
	int fd;

	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 4));
	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 3, 3, 3, 3);
	ASSERT_EQ(3, hugetlb_touch_pages(p, 0, 3, true));
	ASSERT_HPAGES(b, 3, 0, 0, 3);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_HPAGES(b, 3, 0, 0, 3);
	/* Freed surplus pages leave the pool. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_HPAGES(b, 1, 0, 0, 1);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(overcommit, private_reservation_surplus)
{
	struct hugetlb_counters *b = &self->b;
	char *p;

	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 4));
	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 3, 3, 3, 3);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 3, 2, 2, 3);
	/* Unused reservations free their surplus pages too. */
	ASSERT_EQ(0, munmap(p + 2 * H, H));
	ASSERT_HPAGES(b, 2, 1, 1, 2);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(overcommit, reservation_beyond_limit_enomem)
{
	struct hugetlb_counters *b = &self->b;
	char *p;
	int fd;

	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 2));
	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 2, 2, 2, 2);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(overcommit, noreserve_faults_allocate_surplus)
{
	struct hugetlb_counters *b = &self->b;
	char *p;
	int fd;

	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 2));
	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 1, 0, 0, 1);
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 2, 0, 0, 2);
	/* The overcommit limit is reached. */
	ASSERT_EQ(-1, hugetlb_touch(p + 2 * H, true));
	ASSERT_HPAGES(b, 2, 0, 0, 2);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(overcommit, pool_pages_used_first)
{
	struct hugetlb_counters *b = &self->env.base;
	long avail = self->fn;
	char *p;

	hugetlb_unmap(self->fill, self->fn);
	self->fill = NULL;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 4));
	p = hugetlb_map_anon(avail + 2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 2, 2, avail + 2, 2);
	ASSERT_EQ(0, munmap(p, (avail + 2) * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(overcommit, lowered_limit_keeps_surplus)
{
	struct hugetlb_counters *b = &self->b;
	char *p;
	int fd;

	ASSERT_EQ(0, hugetlb_env_set_overcommit(&self->env, 3));
	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 3, 3, 3, 3);
	ASSERT_EQ(0, hugetlb_set_overcommit(0));
	ASSERT_HPAGES(b, 3, 3, 3, 3);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 3, 2, 2, 3);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

/* Shrinking the pool below what is in use turns pages into surplus. */
TEST_F(overcommit, shrink_pool_creates_surplus)
{
	struct hugetlb_counters *b = &self->env.base;
	long fn = self->fn;

	ASSERT_LE(2, fn);
	ASSERT_EQ(0, hugetlb_env_set_nr(&self->env, b->total - 2));
	ASSERT_HPAGES(b, 0, 0, fn, 2);
	ASSERT_EQ(b->total, hugetlb_get_nr());
	/* Releasing the reservations frees the surplus pages. */
	hugetlb_unmap(self->fill, fn);
	self->fill = NULL;
	ASSERT_HPAGES(b, -2, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_set_nr(b->total));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * Gigantic pages (an order above the buddy allocator's largest, e.g. 1 GB
 * on x86) are never allocated as surplus pages, so nothing here applies.
 * The largest buddy order is the last column of /proc/pagetypeinfo.
 */
static bool gigantic(void)
{
	int order = 0, max_order = -1, n, pos;
	char line[512], *p;
	FILE *f;

	while ((1UL << order) * sysconf(_SC_PAGESIZE) < hpage_size)
		order++;
	f = fopen("/proc/pagetypeinfo", "r");
	if (!f)
		return order > 10;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "at order");
		if (!p)
			continue;
		for (p += 8; sscanf(p, "%d%n", &n, &pos) == 1; p += pos)
			max_order = n;
		break;
	}
	fclose(f);
	return max_order < 0 ? order > 10 : order > max_order;
}

int main(int argc, char **argv)
{
	if (!hugetlb_init() && gigantic())
		hugetlb_prog_skip("%lu kB pages are gigantic, never surplus pages: %s\n",
				  hpage_size >> 10,
				  "needs a smaller default size (default_hugepagesz=2M)");
	hugetlb_prog_setup(8);
	/* At most 4 surplus pages at a time, and one more to spare. */
	if (!hugetlb_can_grow(5))
		hugetlb_prog_skip("the page allocator cannot supply 5 fresh %lu kB pages now: %s\n",
				  hpage_size >> 10,
				  "free memory, or compact it (echo 1 > /proc/sys/vm/compact_memory)");
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
