// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlbfs subpools: a mount with size= has a quota of pages (statfs()
 * reports it: f_blocks, f_bfree), and one with min_size= reserves pages
 * from the pool at mount time and keeps them reserved for the mount.
 * Private mappings are charged to the quota at mmap() time like shared
 * ones; a copy-on-write break or fault without a reservation (a child
 * after fork()) needs a page of quota, and gets SIGBUS when there is none.
 * Pages freed while the mount is below its min_size go back to its
 * reserve.  Every step checks the counters and the quota exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(subpool) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(subpool)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(subpool)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* Mount the second hugetlbfs with size=max,min_size=min (pages, -1: none). */
static int mount_subpool(struct hugetlb_env *env, long max, long min)
{
	char opts[128];
	int n = 0;

	opts[0] = '\0';
	if (max >= 0)
		n = snprintf(opts, sizeof(opts), "size=%lu", max * hpage_size);
	if (min >= 0)
		snprintf(opts + n, sizeof(opts) - n, "%smin_size=%lu",
			 n ? "," : "", min * hpage_size);
	return hugetlb_env_mount2(env, opts);
}

static int open2(struct hugetlb_env *env, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", env->mnt2, name);
	return open(path, O_RDWR | O_CREAT, 0600);
}

/* Free pages of the mount's quota. */
static long quota_free(struct hugetlb_env *env)
{
	struct statfs st;

	if (statfs(env->mnt2, &st))
		return -1;
	return st.f_bfree;
}

#define ASSERT_QUOTA(env, n) ASSERT_EQ(n, quota_free(env))

/* In the child: COW page 0 (one page of quota left), then fault page 1. */
static int cow_child(const struct hugetlb_counters *b,
		     struct hugetlb_env *env, char *p)
{
	if (hugetlb_write_byte(p, 'c'))
		return 1;
	if (hugetlb_check_delta(b, 0, -2, 1, 0, __LINE__))
		return 2;
	if (quota_free(env) != 0)
		return 3;
	/* No reservation and no quota: SIGBUS, nothing allocated. */
	if (!hugetlb_write_byte(p + hpage_size, 'c'))
		return 4;
	if (hugetlb_check_delta(b, 0, -2, 1, 0, __LINE__))
		return 5;
	return quota_free(env) != 0 ? 6 : 0;
}

TEST_F(subpool, size_limit_private_cow_fork)
{
	struct hugetlb_env *env = &self->env;
	struct hugetlb_counters *b = &env->base;
	char *p, *q;
	pid_t pid;
	int fd;

	ASSERT_EQ(0, mount_subpool(env, 3, -1));
	ASSERT_QUOTA(env, 3);
	fd = open2(env, "file");
	ASSERT_LE(0, fd);

	/* Private reservations are charged to the quota too. */
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	q = hugetlb_map(fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	q = hugetlb_map(fd, 1, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_QUOTA(env, 0);
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(0, munmap(q, H));
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* Faults with a reservation take no more quota. */
	ASSERT_EQ(0, hugetlb_write_byte(p, 'p'));
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(cow_child(b, env, p));
	hugetlb_env_add_pid(env, pid);
	ASSERT_EQ(0, hugetlb_wait(pid));
	env->npids = 0;
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'p'));
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ('p', p[0]);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_QUOTA(env, 3);
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	/* Shared faults without reservations stop at the quota. */
	q = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(3, hugetlb_touch_pages(q, 0, 4, true));
	ASSERT_QUOTA(env, 0);
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, munmap(q, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_QUOTA(env, 2);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_QUOTA(env, 3);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* In the child: COW page 0 without a reservation, beyond min_size. */
static int min_cow_child(const struct hugetlb_counters *b,
			 struct hugetlb_env *env, char *p)
{
	if (hugetlb_write_byte(p, 'c'))
		return 1;
	if (hugetlb_check_delta(b, 0, -2, 1, 0, __LINE__))
		return 2;
	return quota_free(env) != 1 ? 3 : 0;
}

TEST_F(subpool, min_size_reserve_refill)
{
	struct hugetlb_env *env = &self->env;
	struct hugetlb_counters *b = &env->base;
	pid_t pid;
	char *p;
	int fd;

	/* min_size reserves its pages at mount time. */
	ASSERT_EQ(0, mount_subpool(env, 4, 2));
	ASSERT_QUOTA(env, 4);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	fd = open2(env, "file");
	ASSERT_LE(0, fd);

	/* Two of three pages come from the mount's reserve. */
	p = hugetlb_map(fd, 3, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_QUOTA(env, 1);
	ASSERT_HPAGES(b, 0, 0, 3, 0);
	ASSERT_EQ(3, hugetlb_touch_pages(p, 0, 3, true));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, munmap(p, 3 * H));

	/* Pages freed below min_size go back to the mount's reserve. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_QUOTA(env, 3);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_QUOTA(env, 4);
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* A private mapping takes the reserve, COW in a child goes beyond. */
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_QUOTA(env, 2);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'p'));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(min_cow_child(b, env, p));
	hugetlb_env_add_pid(env, pid);
	ASSERT_EQ(0, hugetlb_wait(pid));
	env->npids = 0;
	ASSERT_QUOTA(env, 2);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_QUOTA(env, 4);
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* Unmounting gives the reserve back. */
	ASSERT_EQ(0, close(fd));
	hugetlb_umount(env->mnt2);
	env->mounted2 = false;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
