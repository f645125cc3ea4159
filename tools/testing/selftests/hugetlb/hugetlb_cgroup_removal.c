// SPDX-License-Identifier: GPL-2.0
/*
 * Removing a hugetlb cgroup (cgroup v2) while reservations are still
 * charged to it: a shared file's reserve map regions and a private
 * mapping's reserve map hold the cgroup's reservation charge.  The cgroup
 * can be removed; its page charges move to the parent, its reservation
 * charges stay with the removed (dying) cgroup, which is counted in the
 * parent's hierarchical rsvd.current until the pages are punched,
 * truncated or unmapped, and then goes away.  Removing it must not keep
 * cgroup_mutex (other cgroup operations go on meanwhile).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

FIXTURE(removal) {
	struct hugetlb_env env;
	char parent[512];
	char child[600];
	int fd;
};

FIXTURE_SETUP(removal)
{
	char path[600];

	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	ASSERT_EQ(0, hugetlb_cgroup_create("removal", self->parent,
					   sizeof(self->parent)));
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
		 self->parent);
	ASSERT_EQ(0, hugetlb_write_file(path, "+hugetlb"));
	snprintf(self->child, sizeof(self->child), "%s/child", self->parent);
	ASSERT_EQ(0, mkdir(self->child, 0755));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(removal)
{
	hugetlb_cgroup_enter(NULL);
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
	EXPECT_EQ(0, hugetlb_cgroup_remove(self->child));
	EXPECT_EQ(0, hugetlb_cgroup_remove(self->parent));
}

/* cgroup.stat's nr_dying_descendants of a cgroup. */
static long dying(const char *cg)
{
	char path[600], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.stat", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nr_dying_descendants %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * The last reference to a removed cgroup is dropped through RCU and a work
 * queue: poll for it, a bounded number of times.
 */
static long wait_dying(const char *cg, long want)
{
	long n = -1;
	int i;

	for (i = 0; i < 500; i++) {
		n = dying(cg);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

/*
 * Other cgroup operations go on after the removal: the removed cgroup's
 * offline work runs a moment later with cgroup_mutex held, and must not
 * wait there for its reservation charges, which only go away with the
 * file's pages or the mapping.  A helper creates and removes a cgroup
 * CG_OPS times, a while after the removal and then for a while longer, so
 * that it runs into that work if it holds the mutex; the test waits for
 * the helper at most CG_OPS_WAIT_MS (a guard against hanging, not a
 * timing condition: unblocked, the helper needs a fraction of that).
 */
#define CG_OPS 50
#define CG_OPS_WAIT_MS 20000

static pid_t cgroup_ops_start(void)
{
	char path[512];
	pid_t pid;
	int i;

	pid = hugetlb_fork();
	if (pid)
		return pid;
	for (i = 0; i < CG_OPS; i++) {
		usleep(10000);
		if (hugetlb_cgroup_create("removal_next", path, sizeof(path)) ||
		    hugetlb_cgroup_remove(path))
			_exit(1);
	}
	_exit(0);
}

/* 0 when the helper finished, -1 when it failed, 1 while it is stuck. */
static int cgroup_ops_done(pid_t pid)
{
	int i, status;

	for (i = 0; i < CG_OPS_WAIT_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
		usleep(10000);
	}
	return 1;
}

struct worker {
	const char *cg;
	int fd;
};

/* In the cgroup: reserve three pages of the file, fault two. */
static int reserve_in_cgroup(void *arg)
{
	struct worker *w = arg;
	char *p;

	if (hugetlb_cgroup_enter(w->cg))
		return 1;
	p = hugetlb_map(w->fd, 3, 0, PROT_RW, MAP_SHARED);
	if (p == MAP_FAILED)
		return 2;
	if (hugetlb_touch_pages(p, 0, 2, true) != 2)
		return 3;
	return munmap(p, 3 * hpage_size) ? 4 : 0;
}

TEST_F_TIMEOUT(removal, shared_file_regions_then_truncate, 90)
{
	struct hugetlb_counters *b = &self->env.base;
	struct worker w = { self->child, self->fd };
	int stuck;
	pid_t helper;

	ASSERT_EQ(0, hugetlb_run_child(reserve_in_cgroup, &w));
	ASSERT_CGROUP_PAGES(self->child, 3, 2);
	ASSERT_CGROUP_PAGES(self->parent, 3, 2);
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, dying(self->parent));

	ASSERT_EQ(0, hugetlb_cgroup_remove(self->child));
	helper = cgroup_ops_start();
	ASSERT_LE(0, helper);
	hugetlb_env_add_pid(&self->env, helper);
	/* If stuck, the punch and truncation below free the mutex. */
	stuck = cgroup_ops_done(helper);
	EXPECT_EQ(0, stuck) TH_LOG("cgroup operations blocked after the removal");
	/* The pages are the parent's now, the reservations still the child's. */
	ASSERT_CGROUP_PAGES(self->parent, 3, 2);
	ASSERT_EQ(1, dying(self->parent));
	ASSERT_HPAGES(b, 0, -2, 1, 0);

	ASSERT_EQ(0, hugetlb_punch(self->fd, 0, 1));
	ASSERT_CGROUP_PAGES(self->parent, 2, 1);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 2));
	ASSERT_CGROUP_PAGES(self->parent, 1, 1);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, wait_dying(self->parent, 1));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_CGROUP_PAGES(self->parent, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	/* Nothing refers to the removed cgroup any more. */
	ASSERT_EQ(0, wait_dying(self->parent, 0));
	if (stuck == 1)
		ASSERT_EQ(0, cgroup_ops_done(helper));
	self->env.npids = 0;
}

TEST_F_TIMEOUT(removal, private_mapping_then_munmap, 90)
{
	struct hugetlb_counters *b = &self->env.base;
	int stuck;
	pid_t helper;
	char *p;

	ASSERT_EQ(0, hugetlb_cgroup_enter(self->child));
	p = hugetlb_map_anon(3, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'p'));
	ASSERT_CGROUP_PAGES(self->parent, 3, 1);
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_cgroup_enter(NULL));

	ASSERT_EQ(0, hugetlb_cgroup_remove(self->child));
	helper = cgroup_ops_start();
	ASSERT_LE(0, helper);
	hugetlb_env_add_pid(&self->env, helper);
	/* If stuck, the munmap() below frees the mutex. */
	stuck = cgroup_ops_done(helper);
	EXPECT_EQ(0, stuck) TH_LOG("cgroup operations blocked after the removal");
	ASSERT_CGROUP_PAGES(self->parent, 3, 1);
	ASSERT_EQ(1, dying(self->parent));

	/* Faults after the removal are charged where the task is now. */
	ASSERT_EQ(0, hugetlb_write_byte(p + H, 'p'));
	ASSERT_CGROUP_PAGES(self->parent, 3, 1);
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, munmap(p + 2 * H, H));
	ASSERT_CGROUP_PAGES(self->parent, 2, 1);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_CGROUP_PAGES(self->parent, 0, 0);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, wait_dying(self->parent, 0));
	if (stuck == 1)
		ASSERT_EQ(0, cgroup_ops_done(helper));
	self->env.npids = 0;
}

int main(int argc, char **argv)
{
	char reason[256];

	hugetlb_prog_setup(8);
	if (!hugetlb_cgroup_available(reason, sizeof(reason)))
		hugetlb_prog_skip("%s: needs CONFIG_CGROUP_HUGETLB=y, cgroup2 mounted\n",
				  reason);
	if (hugetlb_cgroup_setup())
		hugetlb_prog_skip("cannot enable the hugetlb controller: %s\n",
				  strerror(errno));
	atexit(hugetlb_cgroup_cleanup);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
