// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_NORESERVE hugetlb mappings reserve nothing: every fault allocates a
 * page that nobody reserved, and fails with SIGBUS when all free pages are
 * reserved by others.  A MAP_NORESERVE shared mapping still uses the
 * reservations that other mappings made for the same file pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(noreserve) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(noreserve)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(noreserve)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(noreserve, shared_no_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, false));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	/* A reserving mapping now only needs pages 1 and 3. */
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(noreserve, private_no_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(4, MAP_PRIVATE | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 1, 2, true));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p + H, H));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(noreserve, shared_anon_no_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(4, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(noreserve, shared_empty_pool_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	long fn;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, 0, fn, 0);

	ASSERT_EQ(-1, hugetlb_touch(p, true));
	ASSERT_EQ(-1, hugetlb_touch(p + H, false));
	ASSERT_HPAGES(b, 0, 0, fn, 0);
	ASSERT_EQ(0, hugetlb_file_pages(fd));

	/* Nothing was left behind by the failed faults. */
	hugetlb_unmap(fill, fn);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(noreserve, private_empty_pool_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	long fn;
	char *p;

	p = hugetlb_map_anon(2, MAP_PRIVATE | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, 0, fn, 0);
	ASSERT_EQ(-1, hugetlb_touch(p, true));
	ASSERT_EQ(-1, hugetlb_touch(p + H, false));
	ASSERT_HPAGES(b, 0, 0, fn, 0);
	hugetlb_unmap(fill, fn);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* A fault through a MAP_NORESERVE mapping uses an existing reservation. */
TEST_F(noreserve, uses_existing_shared_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;
	void *fill;
	long fn;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	q = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, hugetlb_touch(q, true));
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	/* Page 1 is reserved, page 2 is not. */
	ASSERT_EQ(0, hugetlb_touch(q + H, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);
	ASSERT_EQ(-1, hugetlb_touch(q + 2 * H, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);
	hugetlb_unmap(fill, fn);

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(q, 3 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

/* Faults without reservation never take pages reserved by others. */
TEST_F(noreserve, does_not_steal_reservations)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;
	void *fill;
	long fn;
	int fd1, fd2;

	fd1 = hugetlb_env_open(&self->env, "reserved", O_RDWR);
	ASSERT_LE(0, fd1);
	fd2 = hugetlb_env_open(&self->env, "noreserve", O_RDWR);
	ASSERT_LE(0, fd2);
	p = hugetlb_map(fd1, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	q = hugetlb_map(fd2, 2, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, 0, 2 + fn, 0);

	/* Free pages exist, but all of them are reserved. */
	ASSERT_EQ(0, hugetlb_touch_pages(q, 0, 2, true));
	ASSERT_HPAGES(b, 0, 0, 2 + fn, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);

	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(q, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd1, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd1);
	close(fd2);
}

/*
 * A MAP_NORESERVE private mapping has no owner reservation: with an empty
 * pool even the parent's copy-on-write fails with SIGBUS.
 */
TEST_F(noreserve, private_cow_empty_pool_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	int p2c[2], c2p[2];
	void *fill;
	char *p, c;
	long fn;
	pid_t pid;

	p = hugetlb_map_anon(1, MAP_PRIVATE | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'A'));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (hugetlb_read_byte(p, &c) || c != 'A')
			_exit(1);
		hugetlb_send(c2p[1], 1);
		hugetlb_recv(p2c[0]);
		_exit(hugetlb_read_byte(p, &c) || c != 'A' ? 2 : 0);
	}
	hugetlb_env_add_pid(&self->env, pid);
	ASSERT_EQ(1, hugetlb_recv(c2p[0]));
	ASSERT_EQ(-1, hugetlb_write_byte(p, 'B'));
	ASSERT_HPAGES(b, 0, -1, fn, 0);
	ASSERT_EQ(0, hugetlb_send(p2c[1], 1));
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;

	/* Not shared any more: written in place. */
	ASSERT_EQ(0, hugetlb_write_byte(p, 'B'));
	ASSERT_HPAGES(b, 0, -1, fn, 0);
	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
