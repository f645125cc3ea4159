// SPDX-License-Identifier: GPL-2.0
/*
 * PMD sharing: two processes that map the same hugetlbfs file with
 * MAP_SHARED over a whole PUD_SIZE-aligned range (1 GB with 4 KB base
 * pages) share the page table page that maps it, so the second process
 * sees the pages the first one faulted without faulting itself.  When a
 * VMA is split so that it no longer covers the whole range (here by
 * madvise(MADV_DONTFORK) of one page, which changes no page table entry),
 * the kernel must unshare: the process then has its own page table and
 * faults again, and what it changes later (mprotect(), munmap()) reaches
 * only its own page table entries.
 *
 * Page table sharing is seen through minor fault counts (getrusage()).
 * MAP_NORESERVE keeps the 1 GB mapping from reserving 1 GB of huge pages:
 * only the 4 pages touched are allocated, so any pool of 4 pages will do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size
#define NTOUCH 4

/* Sizes mapped by one page table page at the PMD and PUD levels. */
static unsigned long pmd_size, pud_size;

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Faults taken reading NTOUCH pages stride apart; *sum: what was read. */
static long read_pages(char *p, unsigned long stride, int *sum)
{
	long before, after;
	int i, s = 0;

	before = minflt();
	for (i = 0; i < NTOUCH; i++)
		s += __atomic_load_n(p + i * stride, __ATOMIC_RELAXED);
	after = minflt();
	*sum = s;
	return after - before;
}

static long write_page(char *p, char val)
{
	long before, after;

	before = minflt();
	__atomic_store_n(p, val, __ATOMIC_RELAXED);
	after = minflt();
	return after - before;
}

/* Fault in the code and stack the measurements use, on base pages. */
static void warm_up(void)
{
	static char buf[NTOUCH * 4096];
	int sum;

	read_pages(buf, 4096, &sum);
	write_page(buf, 1);
}

/* Map the file over one whole PUD_SIZE-aligned range. */
static char *map_pud(int fd)
{
	unsigned long addr;
	char *p;

	p = mmap(NULL, 2 * pud_size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	addr = ((unsigned long)p + pud_size - 1) & ~(pud_size - 1);
	p = mmap((void *)addr, pud_size, PROT_RW,
		 MAP_SHARED | MAP_NORESERVE | MAP_FIXED, fd, 0);
	return p;
}

static int sum_of(const char *vals)
{
	int i, s = 0;

	for (i = 0; i < NTOUCH; i++)
		s += vals[i];
	return s;
}

enum { CMD_MAP = 1, CMD_SPLIT, CMD_CHECK_WRITE, CMD_UNMAP, CMD_EXIT };

/* The second process: do what the first one asks, answer 0 or a line. */
static int second(int fd, int cmd_fd, int ans_fd, const char *vals)
{
	char *p = NULL;
	int cmd, sum;
	long n;

	warm_up();
	while ((cmd = hugetlb_recv(cmd_fd)) > 0) {
		int ret = 0;

		switch (cmd) {
		case CMD_MAP:
			p = map_pud(fd);
			if (p == MAP_FAILED) {
				ret = __LINE__;
				break;
			}
			/* The first fault finds the first process's table. */
			if (read_pages(p, hpage_size, &sum) != 1 || sum != sum_of(vals))
				ret = __LINE__;
			else if (read_pages(p, hpage_size, &sum) != 0)
				ret = __LINE__;
			break;
		case CMD_SPLIT:
			if (madvise(p + 2 * hpage_size, hpage_size, MADV_DONTFORK)) {
				ret = __LINE__;
				break;
			}
			/* Unshared: a table of its own, which starts empty. */
			n = read_pages(p, hpage_size, &sum);
			if (n != NTOUCH || sum != sum_of(vals)) {
				ksft_print_msg("%ld faults after the split, expected %d\n",
					       n, NTOUCH);
				ret = __LINE__;
				break;
			}
			if (mprotect(p + 2 * hpage_size, hpage_size, PROT_READ))
				ret = __LINE__;
			break;
		case CMD_CHECK_WRITE:
			if (p[2 * hpage_size] != 'A')
				ret = __LINE__;
			break;
		case CMD_UNMAP:
			if (munmap(p, 2 * hpage_size))
				ret = __LINE__;
			break;
		default:
			return 0;
		}
		if (hugetlb_send(ans_fd, ret > 255 ? 255 : ret))
			return 1;
		if (ret)
			return ret > 255 ? 255 : ret;
	}
	return 0;
}

FIXTURE(pmd) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(pmd)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(pmd)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* Ask the second process; returns its answer, -1 if it is gone. */
static int ask(int cmd_fd, int ans_fd, int cmd)
{
	if (hugetlb_send(cmd_fd, cmd))
		return -1;
	return hugetlb_recv(ans_fd);
}

TEST_F(pmd, share_then_split)
{
	struct hugetlb_counters *b = &self->env.base;
	const char vals[NTOUCH] = { 1, 2, 3, 4 };
	int cmd[2], ans[2], sum, fd, i;
	pid_t pid;
	char *p;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, pud_size));
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(ans));
	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(cmd[1]);
		close(ans[0]);
		_exit(second(fd, cmd[0], ans[1], vals));
	}
	hugetlb_env_add_pid(&self->env, pid);
	close(cmd[0]);
	close(ans[1]);
	warm_up();

	p = map_pud(fd);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	for (i = 0; i < NTOUCH; i++)
		p[i * H] = vals[i];
	ASSERT_HPAGES(b, 0, -NTOUCH, 0, 0);
	ASSERT_EQ(NTOUCH, hugetlb_file_pages(fd));

	/* The second process shares the page table: no fault per page. */
	ASSERT_EQ(0, ask(cmd[1], ans[0], CMD_MAP));
	ASSERT_HPAGES(b, 0, -NTOUCH, 0, 0);

	/* Its VMA split, it must not share any more. */
	ASSERT_EQ(0, ask(cmd[1], ans[0], CMD_SPLIT));
	ASSERT_HPAGES(b, 0, -NTOUCH, 0, 0);
	/* Its mprotect() changed its own entry: no fault for us to write. */
	ASSERT_EQ(0, write_page(p + 2 * H, 'A'));
	ASSERT_EQ(0, ask(cmd[1], ans[0], CMD_CHECK_WRITE));

	/* Its munmap() leaves our page table entries alone. */
	ASSERT_EQ(0, ask(cmd[1], ans[0], CMD_UNMAP));
	ASSERT_EQ(0, read_pages(p, hpage_size, &sum));
	ASSERT_EQ(sum_of(vals) - vals[2] + 'A', sum);
	ASSERT_HPAGES(b, 0, -NTOUCH, 0, 0);

	hugetlb_send(cmd[1], CMD_EXIT);
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_EQ(0, munmap(p, pud_size));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	unsigned long base = sysconf(_SC_PAGESIZE);

	/* A page table page holds base / 8 entries. */
	pmd_size = base * (base / 8);
	pud_size = pmd_size * (base / 8);
	hugetlb_prog_setup(NTOUCH);
#if !defined(__x86_64__) && !defined(__aarch64__)
	hugetlb_prog_skip("PMD sharing is tested on x86_64 and arm64 only\n");
#endif
	if (base > 16384)
		hugetlb_prog_skip("no PMD sharing with %lu kB base pages\n",
				  base >> 10);
	if (hpage_size != pmd_size)
		hugetlb_prog_skip("PMD sharing needs %lu kB huge pages, not %lu kB\n",
				  pmd_size >> 10, hpage_size >> 10);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
