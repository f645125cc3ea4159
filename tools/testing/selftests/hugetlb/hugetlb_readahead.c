// SPDX-License-Identifier: GPL-2.0
/*
 * Read-ahead advice on hugetlbfs: readahead(2), posix_fadvise() and
 * madvise(MADV_WILLNEED) are accepted and ignored.  hugetlbfs has no
 * read-ahead (huge pages are only allocated by faults and fallocate()),
 * so they allocate nothing, reserve nothing and leave the file's pages and
 * data alone; POSIX_FADV_DONTNEED does not drop pages either.
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

FIXTURE(ra) {
	struct hugetlb_env env;
	int fd;		/* 4 pages long, page 1 in the page cache with 'f' */
};

FIXTURE_SETUP(ra)
{
	char *s;

	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 4));
	s = hugetlb_map(self->fd, 1, 1, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	memset(s, 'f', H);
	ASSERT_EQ(0, munmap(s, H));
	ASSERT_HPAGES(&self->env.base, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
}

FIXTURE_TEARDOWN(ra)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

static bool page1_intact(int fd)
{
	char buf[2];

	return pread(fd, buf, 1, hpage_size) == 1 && buf[0] == 'f' &&
	       pread(fd, buf, 1, 2 * hpage_size - 1) == 1 && buf[0] == 'f';
}

TEST_F(ra, readahead_and_fadvise)
{
	struct hugetlb_counters *b = &self->env.base;
	static const int advice[] = {
		POSIX_FADV_WILLNEED, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
		POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL, POSIX_FADV_DONTNEED,
	};
	unsigned int i;
	char buf[16];

	ASSERT_EQ(0, readahead(self->fd, 0, 4 * H));
	ASSERT_EQ(0, readahead(self->fd, H / 2, H));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));

	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		ASSERT_EQ(0, posix_fadvise(self->fd, 0, 4 * H, advice[i]));
		ASSERT_EQ(0, posix_fadvise(self->fd, 0, 0, advice[i]));
		ASSERT_HPAGES(b, 0, -1, 0, 0);
		ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	}
	ASSERT_TRUE(page1_intact(self->fd));

	/* Reading a hole allocates nothing either. */
	ASSERT_EQ(0, readahead(self->fd, 0, 4 * H));
	ASSERT_EQ(0, posix_fadvise(self->fd, 0, 4 * H, POSIX_FADV_WILLNEED));
	ASSERT_EQ(16, pread(self->fd, buf, 16, 2 * H));
	ASSERT_EQ(0, buf[0]);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(ra, madv_willneed)
{
	struct hugetlb_counters *b = &self->env.base;
	char *s, *p, *a;

	s = hugetlb_map(self->fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, madvise(s, 4 * H, MADV_WILLNEED));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(1, hugetlb_file_pages(self->fd));

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -1, 5, 0);
	ASSERT_EQ(0, madvise(p, 2 * H, MADV_WILLNEED));
	ASSERT_HPAGES(b, 0, -1, 5, 0);

	a = hugetlb_map_anon(1, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, madvise(a, H, MADV_WILLNEED));
	ASSERT_HPAGES(b, 0, -1, 6, 0);

	/* Faults afterwards are the usual ones. */
	ASSERT_EQ('f', p[H]);
	ASSERT_EQ(0, hugetlb_write_byte(s, 's'));
	ASSERT_HPAGES(b, 0, -2, 5, 0);
	ASSERT_TRUE(page1_intact(self->fd));
	ASSERT_EQ(0, munmap(a, H));
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(s, 4 * H));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
