// SPDX-License-Identifier: GPL-2.0
/*
 * Large file offsets: mappings, faults, fallocate(), hole punches and
 * truncation at page offsets of 2^32 base pages and more, around the 4 GB
 * boundary, and at huge page index 2^32.  Reservations are kept per huge
 * page index (the reserve map's keys, pgoff_t and long in the kernel), so
 * nothing may wrap or collide there: every step checks the exact counter
 * deltas and the file's pages and data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(large) {
	struct hugetlb_env env;
	int fd;
};

FIXTURE_SETUP(large)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(large)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* mmap() at huge page index idx, npages long. */
static char *map_at(int fd, long idx, long npages, int prot, int flags)
{
	return mmap(NULL, npages * hpage_size, prot, flags, fd,
		    (off_t)idx * (off_t)hpage_size);
}

/*
 * The first huge page at or above file offset 2^32 base pages: vm_pgoff,
 * in base pages, no longer fits 32 bits there.
 */
TEST_F(large, pgoff_above_2_32_base_pages)
{
	struct hugetlb_counters *b = &self->env.base;
	unsigned long base_page = sysconf(_SC_PAGESIZE);
	long i = ((1UL << 32) * base_page + H - 1) / H;
	char *s, *p;

	TH_LOG("huge page index %ld, file offset %#lx", i, i * H);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, i + 2));
	s = map_at(self->fd, i, 2, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	s[H] = 's';
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));

	p = map_at(self->fd, i, 2, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ('s', p[H]);
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	p[0] = 'p';
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	p[H] = 'p';
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ('s', s[H]);
	ASSERT_EQ(0, s[0]);
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));

	ASSERT_EQ(0, hugetlb_truncate(self->fd, i + 1));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, hugetlb_punch(self->fd, i, 1));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, munmap(s, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* Pages on both sides of file offset 4 GB. */
TEST_F(large, truncate_and_punch_across_4g)
{
	struct hugetlb_counters *b = &self->env.base;
	long k = (1L << 32) / (long)H;
	char *s;

	if (H >= 1UL << 32)
		SKIP(return, "huge pages of %lu kB do not straddle 4 GB",
		     H >> 10);
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, k - 1, 3));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(3, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, k + 1));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_punch(self->fd, k, 1));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));

	/* Pages k and k + 1 have neither a page nor a reservation. */
	s = map_at(self->fd, k - 1, 3, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	s[H] = 'k';
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, k));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, munmap(s, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * Huge page index 2^32, whose low 32 bits are those of index 0: pages,
 * reservations, punches and truncation there must leave page 0 alone.
 */
TEST_F(large, index_2_32_and_index_0)
{
	struct hugetlb_counters *b = &self->env.base;
	long i = 1L << 32;
	char *s0, *si, *p;

	/* (2^32 + 2) pages must fit below 2^63 bytes. */
	if (H >= 1UL << 31)
		SKIP(return, "index 2^32 of %lu kB pages is beyond the largest file",
		     H >> 10);
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 1));
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, i, 1));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));
	s0 = map_at(self->fd, 0, 1, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s0);
	si = map_at(self->fd, i, 1, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, si);
	s0[0] = 'a';
	si[0] = 'b';
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	ASSERT_EQ(0, hugetlb_truncate(self->fd, i));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	ASSERT_EQ('a', s0[0]);
	ASSERT_EQ(0, munmap(si, H));

	/* A shared mapping reserves i and i + 1, a private one i - 1, i. */
	si = map_at(self->fd, i, 2, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, si);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	p = map_at(self->fd, i - 1, 2, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -1, 4, 0);
	p[H] = 'p';
	ASSERT_HPAGES(b, 0, -2, 3, 0);
	ASSERT_EQ(0, si[0]);
	ASSERT_HPAGES(b, 0, -3, 2, 0);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 1, 0);

	ASSERT_EQ(0, hugetlb_punch(self->fd, i, 1));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ('a', s0[0]);
	ASSERT_EQ(0, munmap(si, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 1));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	ASSERT_EQ('a', s0[0]);
	ASSERT_EQ(0, munmap(s0, H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	if (sizeof(long) < 8)
		hugetlb_prog_skip("32-bit: offsets of 2^32 pages need 64 bits\n");
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
