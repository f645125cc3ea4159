// SPDX-License-Identifier: GPL-2.0
/*
 * ftruncate(), fallocate() and FALLOC_FL_PUNCH_HOLE on hugetlbfs files with
 * and without mappings, and their effect on the reservation map.
 *
 * fallocate() of a page that is not reserved takes a free page without
 * touching HugePages_Rsvd; of a reserved page it consumes the reservation.
 * A hole punch frees the pages in the hole together with their (consumed)
 * reservations, but leaves the reservations of pages that were never
 * allocated.  Shrinking the file drops both pages and reservations past the
 * new end, growing it reserves nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(falloc) {
	struct hugetlb_env env;
	int fd;
};

FIXTURE_SETUP(falloc)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(falloc)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(falloc, truncate_grow_reserves_nothing)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p;

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 4));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(4 * H, st.st_size);
	ASSERT_EQ(0, st.st_blocks);
	p = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 8));
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(falloc, truncate_shrink_and_grow_mapped)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;

	p = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'k'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'l'));
	ASSERT_EQ(0, hugetlb_write_byte(p + 4 * H, 'm'));
	ASSERT_HPAGES(b, 0, -3, 3, 0);

	/* Page 4 is freed, the reservations of 2, 3 and 5 released. */
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(-1, hugetlb_touch(p + 4 * H, false));
	ASSERT_EQ(-1, hugetlb_touch(p + 2 * H, true));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('l', c);

	/* Growing brings neither the data nor the reservations back. */
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 6));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + 4 * H, &c));
	ASSERT_EQ(0, c);
	ASSERT_HPAGES(b, 0, -3, 0, 0);

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(-1, hugetlb_touch(p, false));
	ASSERT_EQ(0, munmap(p, 6 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* Truncation does not touch the reservations of a private mapping. */
TEST_F(falloc, truncate_keeps_private_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 4));
	p = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 1));
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(-1, hugetlb_touch(p + 2 * H, true));
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(falloc, fallocate_without_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p;

	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 3));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(3 * H, st.st_size);
	ASSERT_EQ(3, hugetlb_file_pages(self->fd));
	/* Allocating again is a no-op. */
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 1, 2));
	ASSERT_HPAGES(b, 0, -3, 0, 0);

	/* The allocated pages need no reservation. */
	p = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(4, hugetlb_touch_pages(p, 0, 4, true));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(falloc, fallocate_consumes_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 1, 2));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* Past the reserved range: a page without reservation. */
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 3, 2));
	ASSERT_HPAGES(b, 0, -4, 1, 0);
	ASSERT_EQ(4, hugetlb_touch_pages(p, 0, 4, true));
	ASSERT_HPAGES(b, 0, -5, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(falloc, fallocate_keep_size)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;

	ASSERT_EQ(0, hugetlb_falloc(self->fd, FALLOC_FL_KEEP_SIZE, 1, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(0, st.st_size);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));
	/* Truncating to the current size still drops pages past it. */
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_file_pages(self->fd));
}

TEST_F(falloc, punch_hole_frees_pages)
{
	struct hugetlb_counters *b = &self->env.base;
	size_t i, chunk;
	char *buf, *p;

	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 4));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, hugetlb_punch(self->fd, 1, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));
	/* Punching a hole again is a no-op. */
	ASSERT_EQ(0, hugetlb_punch(self->fd, 1, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	/*
	 * Partial pages are zeroed, not freed: fill page 0, punch from its
	 * middle into the hole after it, and read it back.
	 */
	p = hugetlb_map(self->fd, 1, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xaa, H);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, fallocate(self->fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       H / 2, H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	for (i = 0; i < H; i++)
		if (p[i] != (i < H / 2 ? (char)0xaa : 0))
			break;
	ASSERT_EQ(H, i);
	/* read() sees the same, in pieces: a gigantic page may not fit in RAM. */
	chunk = H < 1UL << 20 ? H : 1UL << 20;
	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < H; i += chunk) {
		ASSERT_EQ(chunk, pread(self->fd, buf, chunk, i));
		ASSERT_EQ(0, memcmp(buf, p + i, chunk));
	}
	free(buf);
	ASSERT_EQ(0, munmap(p, H));

	ASSERT_EQ(0, hugetlb_punch(self->fd, 0, 4));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_file_pages(self->fd));
}

/*
 * A hole in a reserved range: the punched pages lose their reservation,
 * the pages that were never allocated keep theirs.
 */
TEST_F(falloc, punch_hole_in_reserved_range)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 6, 0);
	ASSERT_EQ(3, hugetlb_touch_pages(p, 0, 3, true));
	ASSERT_HPAGES(b, 0, -3, 3, 0);

	/* Pages 1 and 2 are present, 3 is only reserved. */
	ASSERT_EQ(0, hugetlb_punch(self->fd, 1, 3));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));

	/* Refaulting the hole needs a page without reservation ... */
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -2, 3, 0);
	/* ... while page 3 still has its reservation. */
	ASSERT_EQ(0, hugetlb_touch(p + 3 * H, true));
	ASSERT_HPAGES(b, 0, -3, 2, 0);

	ASSERT_EQ(0, munmap(p, 6 * H));
	ASSERT_HPAGES(b, 0, -3, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(falloc, punched_page_refault_empty_pool_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	long fn;
	char *p;

	p = hugetlb_map(self->fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, hugetlb_punch(self->fd, 1, 1));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, -1, 1 + fn, 0);

	ASSERT_EQ(-1, hugetlb_touch(p + H, true));
	ASSERT_EQ(-1, hugetlb_falloc(self->fd, 0, 1, 1));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_HPAGES(b, 0, -1, 1 + fn, 0);
	/* The reservation of page 2 is still there. */
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);

	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * Pages [0,1) [2,3) [5,6) are in the file, then the range [0,5) is mapped:
 * only pages 1, 3 and 4 need a reservation.
 */
TEST_F(falloc, region_example_fallocate_then_mmap)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;

	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 1));
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 2, 1));
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 5, 1));
	ASSERT_HPAGES(b, 0, -3, 0, 0);

	p = hugetlb_map(self->fd, 5, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -3, 3, 0);
	/* [0,8) adds pages 6 and 7 only. */
	q = hugetlb_map(self->fd, 8, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, -3, 5, 0);

	ASSERT_EQ(5, hugetlb_touch_pages(p, 0, 5, true));
	ASSERT_HPAGES(b, 0, -6, 2, 0);
	ASSERT_EQ(3, hugetlb_touch_pages(q, 5, 3, true));
	ASSERT_HPAGES(b, 0, -8, 0, 0);
	ASSERT_EQ(0, munmap(p, 5 * H));
	ASSERT_EQ(0, munmap(q, 8 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* The same layout made by faults, then [0,5) is fallocated. */
TEST_F(falloc, region_example_fault_then_fallocate)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;

	p = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, true));
	ASSERT_EQ(0, hugetlb_touch(p + 5 * H, true));
	ASSERT_HPAGES(b, 0, -3, 0, 0);

	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 5));
	ASSERT_HPAGES(b, 0, -6, 0, 0);
	ASSERT_EQ(6, hugetlb_file_pages(self->fd));

	/* Every page is in the map: a reserving mapping needs nothing. */
	q = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, -6, 0, 0);
	ASSERT_EQ(0, munmap(q, 6 * H));

	/* After an all-covering punch the map is empty again. */
	ASSERT_EQ(0, hugetlb_punch(self->fd, 0, 6));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	q = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, 0, 6, 0);
	ASSERT_EQ(0, munmap(q, 6 * H));
	ASSERT_EQ(0, munmap(p, 6 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* The same layout made with a mix of fallocate and faults. */
TEST_F(falloc, region_example_mixed_then_fault)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *r;

	/* [0,1) fallocated, [2,3) faulted without and [5,6) with reservation */
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 1));
	p = hugetlb_map(self->fd, 6, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, true));
	q = hugetlb_map(self->fd, 1, 5, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, hugetlb_touch(q, true));
	ASSERT_HPAGES(b, 0, -3, 0, 0);

	r = hugetlb_map(self->fd, 5, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_HPAGES(b, 0, -3, 3, 0);
	/* Punch the middle of the new region and a present page. */
	ASSERT_EQ(0, hugetlb_punch(self->fd, 2, 2));
	ASSERT_HPAGES(b, 0, -2, 3, 0);
	ASSERT_EQ(5, hugetlb_touch_pages(r, 0, 5, true));
	ASSERT_HPAGES(b, 0, -6, 0, 0);

	ASSERT_EQ(0, munmap(p, 6 * H));
	ASSERT_EQ(0, munmap(q, H));
	ASSERT_EQ(0, munmap(r, 5 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 3));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
