// SPDX-License-Identifier: GPL-2.0
/*
 * Reservation accounting of private hugetlb mappings: the whole range is
 * reserved at mmap() time by the owner of the mapping, faults consume the
 * reservation, and munmap() returns what was not used.  A child created by
 * fork() has no reservations: its faults and copy-on-write breaks take free
 * pages or fail with SIGBUS, while the owner's reservations stay intact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(private) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(private)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(private)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(private, reserve_fault_unmap)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, hugetlb_touch(p + H, false));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(private, read_only_mapping_reserves)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	/* mprotect() could make it writable later: reserve it all. */
	p = mmap(NULL, 3 * H, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, false));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, mprotect(p, 3 * H, PROT_RW));
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(private, partial_munmap_returns_unused)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(6, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 4, 1, true));
	ASSERT_HPAGES(b, 0, -3, 3, 0);
	/* Page 1 is present, page 2 only reserved. */
	ASSERT_EQ(0, munmap(p + H, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* Page 5 only reserved. */
	ASSERT_EQ(0, munmap(p + 5 * H, H));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	/* The remaining pieces still own their reservations. */
	ASSERT_EQ(0, hugetlb_touch(p + 3 * H, true));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p + 3 * H, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(private, private_file_mapping)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *s, c;
	long fn;
	void *fill;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_truncate(fd, 4));
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 0, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	s = hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_EQ(0, hugetlb_write_byte(s, 'f'));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	/* Private mappings reserve their full size, file pages or not. */
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -2, 4, 0);

	/* Reading maps the page cache page. */
	ASSERT_EQ(0, hugetlb_read_byte(p, &c));
	ASSERT_EQ('f', c);
	ASSERT_HPAGES(b, 0, -2, 4, 0);

	/* Even with an empty pool, COW of a file page uses a reservation. */
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, -2, 4 + fn, 0);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'p'));
	ASSERT_HPAGES(b, 0, -3, 3 + fn, 0);
	ASSERT_EQ(0, hugetlb_read_byte(s, &c));
	ASSERT_EQ('f', c);

	/* A page the file does not have is private right away. */
	ASSERT_EQ(0, hugetlb_touch(p + 3 * H, false));
	ASSERT_HPAGES(b, 0, -4, 2 + fn, 0);
	ASSERT_EQ(2, hugetlb_file_pages(fd));

	hugetlb_unmap(fill, fn);
	ASSERT_HPAGES(b, 0, -4, 2, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(s, H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

/*
 * Parent and child break COW on different pages.  The child has no
 * reservation, so its copies and faults take free pages.
 */
TEST_F(private, fork_cow_parent_and_child)
{
	struct hugetlb_counters *b = &self->env.base;
	int p2c[2], c2p[2];
	char *p, c;
	pid_t pid;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'A'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'B'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Step 1: copy page 0. */
		if (hugetlb_write_byte(p, 'a') || hugetlb_read_byte(p + H, &c) ||
		    c != 'B')
			_exit(1);
		hugetlb_send(c2p[1], 1);
		/* Step 2: page 1 unchanged after the parent's copy. */
		if (hugetlb_recv(p2c[0]) != 2)
			_exit(2);
		if (hugetlb_read_byte(p + H, &c) || c != 'B')
			_exit(3);
		/* A fault without a reservation. */
		if (hugetlb_touch(p + 2 * H, false))
			_exit(4);
		hugetlb_send(c2p[1], 2);
		if (hugetlb_recv(p2c[0]) != 3)
			_exit(5);
		_exit(hugetlb_read_byte(p, &c) || c != 'a' ? 6 : 0);
	}
	hugetlb_env_add_pid(&self->env, pid);

	ASSERT_EQ(1, hugetlb_recv(c2p[0]));
	ASSERT_HPAGES(b, 0, -3, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p, &c));
	ASSERT_EQ('A', c);

	/* The owner's copy does not use its reservations either. */
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'X'));
	ASSERT_HPAGES(b, 0, -4, 2, 0);
	ASSERT_EQ(0, hugetlb_send(p2c[1], 2));
	ASSERT_EQ(2, hugetlb_recv(c2p[0]));
	ASSERT_HPAGES(b, 0, -5, 2, 0);

	/* Page 0 is the parent's alone now: no copy. */
	ASSERT_EQ(0, hugetlb_write_byte(p, 'Z'));
	ASSERT_HPAGES(b, 0, -5, 2, 0);

	ASSERT_EQ(0, hugetlb_send(p2c[1], 3));
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('X', c);

	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * With every free page reserved elsewhere, the child's faults fail with
 * SIGBUS (not an OOM kill, not a hang); the parent can still fault in all
 * of its reserved pages.
 */
TEST_F(private, child_sigbus_owner_keeps_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	char *p, c;
	long fn;
	pid_t pid;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'A'));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, -1, 3 + fn, 0);

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Unfaulted page: no reservation, no free page. */
		if (hugetlb_touch(p + H, false) != -1)
			_exit(1);
		/* Shared page readable, but it cannot be copied. */
		if (hugetlb_read_byte(p, &c))
			_exit(2);
		if (c != 'A')
			_exit(4);
		if (hugetlb_write_byte(p, 'a') != -1)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(0, hugetlb_wait(pid));
	ASSERT_HPAGES(b, 0, -1, 3 + fn, 0);

	ASSERT_EQ(3, hugetlb_touch_pages(p, 1, 3, true));
	ASSERT_HPAGES(b, 0, -4, fn, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, fn, 0);
	hugetlb_unmap(fill, fn);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * The owner must be able to write its page even when the pool is empty:
 * the page is unmapped from the child, whose next access gets SIGBUS.
 */
TEST_F(private, owner_cow_unmaps_child)
{
	struct hugetlb_counters *b = &self->env.base;
	int p2c[2], c2p[2];
	void *fill;
	char *p, c;
	long fn;
	pid_t pid;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'A'));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
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
		if (hugetlb_recv(p2c[0]) != 2)
			_exit(2);
		_exit(hugetlb_read_byte(p, &c) == -1 ? 0 : 3);
	}
	hugetlb_env_add_pid(&self->env, pid);
	ASSERT_EQ(1, hugetlb_recv(c2p[0]));
	ASSERT_HPAGES(b, 0, -1, 1 + fn, 0);

	ASSERT_EQ(0, hugetlb_write_byte(p, 'B'));
	ASSERT_HPAGES(b, 0, -1, 1 + fn, 0);
	ASSERT_EQ(0, hugetlb_send(p2c[1], 2));
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_HPAGES(b, 0, -1, 1 + fn, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p, &c));
	ASSERT_EQ('B', c);

	/* The second page is still reserved for the owner. */
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	hugetlb_unmap(fill, fn);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* A child touching pages its parent never faulted, with an empty pool. */
TEST_F(private, child_fault_empty_pool_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	long fn;
	pid_t pid;
	char *p;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, 0, 2 + fn, 0);

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(hugetlb_touch(p, true) == -1 &&
		      hugetlb_touch(p + H, false) == -1 ? 0 : 1);
	ASSERT_EQ(0, hugetlb_wait(pid));
	ASSERT_HPAGES(b, 0, 0, 2 + fn, 0);

	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, fn, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	hugetlb_unmap(fill, fn);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* The child gets free pages if there are some, and gives them back. */
TEST_F(private, child_fault_uses_free_pages)
{
	struct hugetlb_counters *b = &self->env.base;
	int c2p[2], p2c[2];
	pid_t pid;
	char *p;

	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (hugetlb_touch_pages(p, 0, 3, true) != 3)
			_exit(1);
		hugetlb_send(c2p[1], 1);
		hugetlb_recv(p2c[0]);
		_exit(0);
	}
	hugetlb_env_add_pid(&self->env, pid);
	ASSERT_EQ(1, hugetlb_recv(c2p[0]));
	ASSERT_HPAGES(b, 0, -3, 3, 0);
	ASSERT_EQ(0, hugetlb_send(p2c[1], 1));
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(0, munmap(p, 3 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
