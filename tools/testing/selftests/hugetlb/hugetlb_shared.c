// SPDX-License-Identifier: GPL-2.0
/*
 * Reservation accounting of shared mappings of hugetlbfs files: pages are
 * reserved at mmap() time for the whole range, a fault consumes the
 * reservation, and nothing is given back while the file keeps its pages.
 * Truncation and the final unlink release pages and reservations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(shared) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(shared)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(shared)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(shared, reserve_at_mmap_consume_at_fault)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);

	ASSERT_EQ(0, hugetlb_write_byte(p, 'a'));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'b'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* A read fault allocates and consumes a reservation too. */
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, false));
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	/* Faulting a present page again changes nothing. */
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(3, hugetlb_file_pages(fd));

	/* The file keeps its pages and the unused reservation. */
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, -3, 1, 0);

	/* Mapping it again reserves nothing new and finds the data. */
	q = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(0, hugetlb_read_byte(q, &c));
	ASSERT_EQ('a', c);
	ASSERT_EQ(0, hugetlb_read_byte(q + H, &c));
	ASSERT_EQ('b', c);
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(0, hugetlb_touch(q + 3 * H, true));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(q, 4 * H));
	ASSERT_HPAGES(b, 0, -4, 0, 0);

	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, overlapping_mappings_reserve_once)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *r, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	/* File pages [1, 3) are reserved already. */
	q = hugetlb_map(fd, 2, 1, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	/* Only [4, 6) is new. */
	r = hugetlb_map(fd, 6, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_HPAGES(b, 0, 0, 6, 0);

	ASSERT_EQ(0, hugetlb_write_byte(q, 'x'));
	ASSERT_HPAGES(b, 0, -1, 5, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('x', c);
	ASSERT_EQ(0, hugetlb_read_byte(r + H, &c));
	ASSERT_EQ('x', c);
	ASSERT_HPAGES(b, 0, -1, 5, 0);
	ASSERT_EQ(0, hugetlb_touch(r + 5 * H, true));
	ASSERT_HPAGES(b, 0, -2, 4, 0);

	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, munmap(q, 2 * H));
	ASSERT_EQ(0, munmap(r, 6 * H));
	ASSERT_HPAGES(b, 0, -2, 4, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, read_only_mapping_reserves)
{
	struct hugetlb_counters *b = &self->env.base;
	char path[512];
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	/* Growing the file reserves nothing. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 3));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	p = hugetlb_map(fd, 3, 0, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(0, hugetlb_touch(p + H, false));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, munmap(p, 3 * H));
	close(fd);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	/* The last reference goes with the name: everything is released. */
	hugetlb_env_path(&self->env, "file", path, sizeof(path));
	ASSERT_EQ(0, unlink(path));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shared, offset_mapping_reserves_its_range)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p, *q, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 2, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	/* A writable shared mapping extends the file to its end. */
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(4 * H, st.st_size);

	q = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'o'));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, hugetlb_read_byte(q + 2 * H, &c));
	ASSERT_EQ('o', c);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(q, 4 * H));
	ASSERT_HPAGES(b, 0, -1, 3, 0);

	/* Page 2 is present, page 3 only reserved. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 2));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, unlink_keeps_pages_until_last_user)
{
	struct hugetlb_counters *b = &self->env.base;
	char path[512];
	char *p, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'u'));
	ASSERT_EQ(0, hugetlb_write_byte(p + 3 * H, 'v'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);

	hugetlb_env_path(&self->env, "file", path, sizeof(path));
	ASSERT_EQ(0, unlink(path));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, close(fd));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + 3 * H, &c));
	ASSERT_EQ('v', c);
	/* The unlinked file can still use its reservations. */
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -3, 1, 0);

	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shared, truncate_releases_pages_and_reservations)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 8, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 8, 0);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 0, 1, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 2, 1, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 5, 1, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 7, 1, true));
	ASSERT_HPAGES(b, 0, -4, 4, 0);
	ASSERT_EQ(0, munmap(p, 8 * H));
	ASSERT_HPAGES(b, 0, -4, 4, 0);

	/* Pages 5 and 7 go back to the pool, 4 and 6 their reservation. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 4));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(2, hugetlb_file_pages(fd));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, anon_shared_released_at_unmap)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(4, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* The hidden file lives on while part of it is mapped. */
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p + H, 3 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shared, child_faults_are_shared)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;
	pid_t pid;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(hugetlb_write_byte(p, 'c') || hugetlb_write_byte(p + H, 'd'));
	ASSERT_EQ(0, hugetlb_wait(pid));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('d', c);
	ASSERT_HPAGES(b, 0, -2, 2, 0);

	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, meminfo_matches_sysfs)
{
	struct hugetlb_counters *b = &self->env.base;
	struct hugetlb_counters m, s;
	char *p;
	int fd;

	ASSERT_EQ(0, hugetlb_read_meminfo(&m));
	ASSERT_EQ(0, hugetlb_read_counters(&s));
	ASSERT_EQ(s.total, m.total);
	ASSERT_EQ(s.free, m.free);
	ASSERT_EQ(s.rsvd, m.rsvd);
	ASSERT_EQ(s.surp, m.surp);

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 0, 1, true));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_read_meminfo(&m));
	ASSERT_EQ(b->total, m.total);
	ASSERT_EQ(b->free - 1, m.free);
	ASSERT_EQ(b->rsvd + 2, m.rsvd);
	ASSERT_EQ(b->surp, m.surp);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(shared, subpool_max_size)
{
	struct hugetlb_counters *b = &self->env.base;
	char opts[64], path[512];
	struct statfs sfs;
	char *p, *q;
	int fd, fd2;

	snprintf(opts, sizeof(opts), "size=%lu", 4 * H);
	ASSERT_EQ(0, hugetlb_env_mount2(&self->env, opts));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	snprintf(path, sizeof(path), "%s/file", self->env.mnt2);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);

	/* More than the file system may hold. */
	p = hugetlb_map(fd, 5, 0, PROT_RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, statfs(self->env.mnt2, &sfs));
	ASSERT_EQ(4, sfs.f_blocks);
	ASSERT_EQ(0, sfs.f_bfree);

	ASSERT_EQ(-1, hugetlb_falloc(fd, 0, 4, 1));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_HPAGES(b, 0, 0, 4, 0);

	/* No reservation and no room: SIGBUS. */
	snprintf(path, sizeof(path), "%s/other", self->env.mnt2);
	fd2 = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd2);
	q = hugetlb_map(fd2, 1, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, hugetlb_touch(q, true));
	ASSERT_HPAGES(b, 0, 0, 4, 0);

	ASSERT_EQ(4, hugetlb_touch_pages(p, 0, 4, true));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, munmap(q, H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
	close(fd2);
}

TEST_F(shared, subpool_min_size)
{
	struct hugetlb_counters *b = &self->env.base;
	char opts[64], path[512];
	char *p;
	int fd;

	/* The minimum size is reserved at mount time. */
	snprintf(opts, sizeof(opts), "min_size=%lu", 2 * H);
	ASSERT_EQ(0, hugetlb_env_mount2(&self->env, opts));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	snprintf(path, sizeof(path), "%s/file", self->env.mnt2);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);

	/* An allocation uses the subpool's reserve ... */
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 0, 1));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	/* ... and freeing the page puts it back. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* Only what exceeds the minimum is reserved globally. */
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(3, hugetlb_touch_pages(p, 0, 3, true));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	close(fd);

	/* Unmounting gives the minimum back. */
	unlink(path);
	hugetlb_umount(self->env.mnt2);
	self->env.mounted2 = false;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
