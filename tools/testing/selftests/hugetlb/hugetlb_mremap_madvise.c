// SPDX-License-Identifier: GPL-2.0
/*
 * mremap() and madvise() on hugetlb mappings.
 *
 * mremap() cannot grow a hugetlb mapping; shrinking unmaps the tail, and a
 * move carries the private reservations to the new address.
 * MADV_DONTNEED on a private mapping frees the page, and the reservation it
 * consumed must come back: otherwise another task can take the page and the
 * next fault of the owner fails.  MADV_REMOVE punches a hole in the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(remap) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(remap)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(remap)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(remap, mremap_grow_einval)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;
	int fd;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 0, 1, true));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	q = mremap(p, 2 * H, 4 * H, MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EINVAL, errno);
	q = mremap(p, 2 * H, 3 * H, 0);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	q = mremap(p, 2 * H, 4 * H, MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(remap, mremap_shrink_private)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 0, 1, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 3, 1, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* Page 3 is freed, the reservation of page 2 returned. */
	q = mremap(p, 4 * H, 2 * H, 0);
	ASSERT_EQ(p, q);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	/* A length that is not huge page aligned is rounded up. */
	q = mremap(p, 2 * H, H + 1, 0);
	ASSERT_EQ(p, q);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	q = mremap(p, 2 * H, H - 1, 0);
	ASSERT_EQ(p, q);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(remap, mremap_shrink_shared)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 0, 1, true));
	ASSERT_EQ(1, hugetlb_touch_pages(p, 3, 1, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* The file keeps page 3 and the reservation of page 2. */
	q = mremap(p, 4 * H, 2 * H, 0);
	ASSERT_EQ(p, q);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(remap, mremap_move_private)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *dst, c;
	int err;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'm'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'n'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	dst = hugetlb_aligned_hole(4);
	ASSERT_NE(MAP_FAILED, dst);

	q = mremap(p, 4 * H, 4 * H, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(err));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(q + H, &c));
	ASSERT_EQ('n', c);
	/* The reservations moved with the mapping. */
	ASSERT_EQ(2, hugetlb_touch_pages(q, 2, 2, true));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(q, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	/* Move an untouched mapping, then unmap it. */
	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	dst = hugetlb_aligned_hole(3);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 3 * H, 3 * H, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(err));
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(0, munmap(q, 3 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(remap, mremap_move_shared)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *dst, c;
	int fd, err;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p + 3 * H, 's'));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	dst = hugetlb_aligned_hole(4);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 4 * H, 4 * H, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(err));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, hugetlb_read_byte(q + 3 * H, &c));
	ASSERT_EQ('s', c);
	ASSERT_EQ(1, hugetlb_touch_pages(q, 0, 1, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(q, 4 * H));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

/*
 * Move one page out of the middle of a private mapping: the pieces left
 * behind must keep their reservations (faults succeed with an empty pool)
 * and give them back when unmapped.
 */
TEST_F(remap, mremap_move_part_private)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *dst;
	void *fill;
	long fn;
	int err;

	p = hugetlb_map_anon(4, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, hugetlb_touch_pages(p, 1, 1, true));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	dst = hugetlb_aligned_hole(1);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p + H, H, H, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(err));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, munmap(q, H));
	ASSERT_HPAGES(b, 0, 0, 3, 0);

	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 2 + fn, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 2, 2, true));
	ASSERT_HPAGES(b, 0, -3, fn, 0);
	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p + 2 * H, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * What any local user can do: map four private pages, fault the first, move
 * one page out, unmap everything; once with the first, a middle and the last
 * page moved.  The kernels this was found on leak two or three reservations
 * per round until reboot, so a loop of it starves every hugetlb user.
 */
#define UNPRIV_UID	65534
#define UNPRIV_ROUNDS	4

static int move_one_page_rounds(void)
{
	static const long moved[] = { 0, 1, 3 };
	char *p, *q, *dst;
	int i, r;

	for (r = 0; r < UNPRIV_ROUNDS; r++) {
		for (i = 0; i < 3; i++) {
			p = hugetlb_map_anon(4, MAP_PRIVATE);
			if (p == MAP_FAILED)
				return 10 + i;
			if (hugetlb_touch(p, true))
				return 20 + i;
			dst = hugetlb_aligned_hole(1);
			if (dst == MAP_FAILED)
				return 30 + i;
			q = mremap(p + moved[i] * H, H, H,
				   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
			if (q != dst)
				return 40 + i;
			if (munmap(p, 4 * H) || munmap(q, H))
				return 50 + i;
		}
	}
	return 0;
}

TEST_F(remap, mremap_move_part_private_unprivileged)
{
	struct hugetlb_counters *b = &self->env.base;
	long pool = b->free - b->rsvd;
	int status;
	pid_t pid;
	char *all;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop to uid %d", UNPRIV_UID);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(UNPRIV_UID) ||
		    setuid(UNPRIV_UID))
			_exit(KSFT_SKIP);
		_exit(move_one_page_rounds());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == KSFT_SKIP)
		SKIP(return, "cannot drop privileges to uid %d", UNPRIV_UID);
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Every reservation came back ... */
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	/* ... so all the pages that were available still are. */
	all = hugetlb_map_anon(pool, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, all);
	ASSERT_EQ(pool, hugetlb_touch_pages(all, 0, pool, true));
	hugetlb_unmap(all, pool);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(remap, dontneed_private_restores_reservation)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'd'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'e'));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	ASSERT_EQ(0, madvise(p, H, MADV_DONTNEED));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p, &c));
	ASSERT_EQ(0, c);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('e', c);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * After MADV_DONTNEED the freed page must stay reserved for the mapping:
 * another task that tries to reserve it fails, the owner's fault works.
 */
TEST_F(remap, dontneed_page_not_stolen)
{
	struct hugetlb_counters *b = &self->env.base;
	int p2c[2], c2p[2];
	void *fill;
	long fn;
	pid_t pid;
	char *p;

	p = hugetlb_map_anon(1, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, -1, fn, 0);
	ASSERT_EQ(0, madvise(p, H, MADV_DONTNEED));
	ASSERT_HPAGES(b, 0, 0, fn + 1, 0);

	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *q = hugetlb_map_anon(1, MAP_PRIVATE);

		hugetlb_send(c2p[1], q == MAP_FAILED ? errno : 0);
		hugetlb_recv(p2c[0]);
		_exit(0);
	}
	hugetlb_env_add_pid(&self->env, pid);
	/* The other task holds on to what it got until told to exit. */
	ASSERT_EQ(ENOMEM, hugetlb_recv(c2p[0]));
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_EQ(0, hugetlb_send(p2c[1], 1));
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_HPAGES(b, 0, -1, fn, 0);

	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(remap, dontneed_shared_keeps_page)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'g'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'h'));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, madvise(p, 2 * H, MADV_DONTNEED));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('h', c);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(remap, dontneed_partial_length_rounds_down)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'r'));
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 's'));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	/* Less than a huge page: nothing is dropped. */
	ASSERT_EQ(0, madvise(p, H / 2, MADV_DONTNEED));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p, &c));
	ASSERT_EQ('r', c);
	/* Not huge page aligned: refused. */
	ASSERT_EQ(-1, madvise(p + H / 2, H / 2, MADV_DONTNEED));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, madvise(p, H, MADV_FREE));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(remap, madv_remove_shared)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'x'));
	ASSERT_EQ(0, hugetlb_write_byte(p + 2 * H, 'y'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* Pages 1 and 2 are punched out with their reservations. */
	ASSERT_EQ(0, madvise(p + H, 3 * H, MADV_REMOVE));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, hugetlb_file_pages(fd));
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ(0, c);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_touch(p + 3 * H, true));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(remap, madv_remove_private_eacces)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_EQ(-1, madvise(p, 2 * H, MADV_REMOVE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	/* The unprivileged case faults one page per move, then the pool. */
	hugetlb_scale_timeouts(UNPRIV_ROUNDS * 3 + hugetlb_available());
	return test_harness_run(argc, argv);
}
