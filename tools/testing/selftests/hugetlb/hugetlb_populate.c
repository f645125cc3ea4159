// SPDX-License-Identifier: GPL-2.0
/*
 * Faults the kernel takes on behalf of a process: MAP_POPULATE, MAP_LOCKED,
 * mlock(), MADV_POPULATE_READ/WRITE, and get_user_pages() from another
 * process (process_vm_writev()) or through /proc/<pid>/mem.  They go
 * through get_user_pages(), which must fault the way the process itself
 * would: a write to a private mapping of a file page copies it, using the
 * mapping's reservation and leaving the file alone; a read maps the file's
 * page.  Each case checks the exact counter deltas and the data of both
 * the mapping and the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define H hpage_size

FIXTURE(populate) {
	struct hugetlb_env env;
	int fd;		/* 2 pages, in the page cache, every byte 'f' */
	char *shared;	/* a shared mapping of it */
};

FIXTURE_SETUP(populate)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->shared = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->shared);
	memset(self->shared, 'f', 2 * H);
	ASSERT_HPAGES(&self->env.base, 0, -2, 0, 0);
}

FIXTURE_TEARDOWN(populate)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* The file's pages still hold 'f' at both ends. */
static bool file_intact(char *shared)
{
	return shared[0] == 'f' && shared[H - 1] == 'f' && shared[H] == 'f' &&
	       shared[2 * H - 1] == 'f';
}

/*
 * MAP_POPULATE and MAP_LOCKED fault every page at mmap() time: writable
 * private mappings with write faults (file pages are copied), read-only
 * ones with read faults (file pages are mapped).
 */
TEST_F(populate, map_populate_and_locked)
{
	struct hugetlb_counters *b = &self->env.base;
	static const int flags[] = { MAP_POPULATE, MAP_LOCKED };
	unsigned int i;
	char *p;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		TH_LOG("%s", flags[i] == MAP_POPULATE ? "MAP_POPULATE" :
		       "MAP_LOCKED");
		p = hugetlb_map_anon(2, MAP_PRIVATE | flags[i]);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_HPAGES(b, 0, -4, 0, 0);
		ASSERT_EQ(0, munmap(p, 2 * H));
		ASSERT_HPAGES(b, 0, -2, 0, 0);

		p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE | flags[i]);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_HPAGES(b, 0, -4, 0, 0);
		ASSERT_EQ('f', p[H]);
		p[H] = 'p';
		ASSERT_HPAGES(b, 0, -4, 0, 0);
		ASSERT_TRUE(file_intact(self->shared));
		ASSERT_EQ(0, munmap(p, 2 * H));
		ASSERT_HPAGES(b, 0, -2, 0, 0);

		p = hugetlb_map(self->fd, 2, 0, PROT_READ, MAP_PRIVATE | flags[i]);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_HPAGES(b, 0, -2, 2, 0);
		ASSERT_EQ('f', p[0]);
		ASSERT_EQ(0, munmap(p, 2 * H));
		ASSERT_HPAGES(b, 0, -2, 0, 0);
	}
}

/*
 * mlock() faults the pages in like MAP_LOCKED, also pages the mapping had
 * already mapped read-only from the file; munlock() gives nothing back.
 */
TEST_F(populate, mlock_copies_mapped_file_pages)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *a;

	a = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, mlock(a, 2 * H));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munlock(a, 2 * H));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(a, 2 * H));

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* Page 0 is mapped from the file, read-only. */
	ASSERT_EQ('f', p[0]);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, mlock(p, 2 * H));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	p[0] = 'p';
	p[H] = 'p';
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_TRUE(file_intact(self->shared));
	ASSERT_EQ(0, munlock(p, 2 * H));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
}

/*
 * MADV_POPULATE_READ maps file pages and allocates anonymous ones;
 * MADV_POPULATE_WRITE then copies the file pages.  Without enough free
 * pages it populates what it can and fails with EFAULT.
 */
TEST_F(populate, madv_populate_read_write)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *fill;
	long avail;
	int fd2;

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	if (madvise(p, 2 * H, MADV_POPULATE_READ) && errno == EINVAL)
		SKIP(return, "no MADV_POPULATE_READ: needs Linux 5.14 or later");
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, madvise(p, 2 * H, MADV_POPULATE_READ));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, madvise(p, 2 * H, MADV_POPULATE_WRITE));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	p[0] = 'p';
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_TRUE(file_intact(self->shared));
	ASSERT_EQ('f', p[H]);
	ASSERT_EQ(0, madvise(p, 2 * H, MADV_POPULATE_WRITE));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	q = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, madvise(q, 2 * H, MADV_POPULATE_READ));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, madvise(q, 2 * H, MADV_POPULATE_WRITE));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, munmap(q, 2 * H));

	/*
	 * Three pages without reservations, with two available: the rest of
	 * the pool is reserved by a mapping that is never touched.
	 */
	avail = hugetlb_available();
	ASSERT_LE(2, avail);
	fill = hugetlb_map_anon(avail - 2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_EQ(2, hugetlb_available());
	fd2 = hugetlb_env_open(&self->env, "noreserve", O_RDWR);
	ASSERT_LE(0, fd2);
	q = hugetlb_map(fd2, 3, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, madvise(q, 3 * H, MADV_POPULATE_WRITE));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(2, hugetlb_file_pages(fd2));
	ASSERT_HPAGES(b, 0, -4, avail - 2, 0);
	ASSERT_EQ(0, munmap(q, 3 * H));
	hugetlb_unmap(fill, avail - 2);
	ASSERT_EQ(0, hugetlb_truncate(fd2, 0));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
}

struct gup_target {
	char *file_page;	/* mapped read-only from the file */
	char *unfaulted;	/* a private page of the file, not faulted */
	char *anon;		/* a private anonymous page, not faulted */
};

/* In the child: write "wxyz" into three pages of the parent. */
static int write_parent(void *arg)
{
	struct gup_target *t = arg;
	char buf[] = "wxyz";
	struct iovec local = { .iov_base = buf, .iov_len = 4 };
	struct iovec remote[3] = {
		{ .iov_base = t->file_page + 1, .iov_len = 4 },
		{ .iov_base = t->unfaulted + 1, .iov_len = 4 },
		{ .iov_base = t->anon + 1, .iov_len = 4 },
	};
	ssize_t ret;
	int i;

	for (i = 0; i < 3; i++) {
		ret = process_vm_writev(getppid(), &local, 1, &remote[i], 1, 0);
		if (ret != 4)
			return 10 + i;
	}
	return 0;
}

/*
 * process_vm_writev() from a child into pages of the parent: a private
 * page mapped read-only from the file and an unfaulted one are copied with
 * the parent's reservations, an unfaulted anonymous page is allocated.
 */
TEST_F(populate, process_vm_writev_private)
{
	struct hugetlb_counters *b = &self->env.base;
	struct gup_target t;
	char *p, *a;

	/* Nothing to copy: 0 where the system call exists. */
	if (process_vm_writev(getpid(), NULL, 0, NULL, 0, 0))
		SKIP(return, "no process_vm_writev() (%s): needs CONFIG_CROSS_MEMORY_ATTACH=y",
		     strerror(errno));
	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	a = hugetlb_map_anon(1, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ('f', p[0]);
	ASSERT_HPAGES(b, 0, -2, 3, 0);

	t.file_page = p;
	t.unfaulted = p + H;
	t.anon = a;
	ASSERT_EQ(0, hugetlb_run_child(write_parent, &t));
	ASSERT_HPAGES(b, 0, -5, 0, 0);
	ASSERT_EQ(0, memcmp(p, "fwxyzf", 6));
	ASSERT_EQ(0, memcmp(p + H, "fwxyzf", 6));
	ASSERT_EQ(0, memcmp(a, "\0wxyz\0", 6));
	ASSERT_TRUE(file_intact(self->shared));

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(a, H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
}

/*
 * Writes through /proc/self/mem (FOLL_FORCE, the way a debugger sets a
 * breakpoint): into a writable private mapping they copy the file page
 * with the mapping's reservation, and the file does not change.  Into a
 * read-only mapping, kernels without "mm/hugetlb: support
 * FOLL_FORCE|FOLL_WRITE" (queued for 6.14) refuse them (EIO) and
 * allocate nothing; later ones copy the page like the writable case.
 * Either way the file stays as it was.
 */
TEST_F(populate, proc_mem_write_private)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *r;
	off_t off;
	int mem;

	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);
	r = hugetlb_map(self->fd, 2, 0, PROT_READ, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ('f', r[0]);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	off = (off_t)(unsigned long)(r + 8);
	if (pwrite(mem, "mm", 2, off) == 2) {
		TH_LOG("FOLL_FORCE writes into read-only hugetlb mappings: supported");
		ASSERT_HPAGES(b, 0, -3, 1, 0);
		ASSERT_EQ(0, memcmp(r + 7, "fmmf", 4));
	} else {
		ASSERT_EQ(EIO, errno);
		ASSERT_HPAGES(b, 0, -2, 2, 0);
		ASSERT_EQ('f', r[8]);
	}
	ASSERT_TRUE(file_intact(self->shared));
	ASSERT_EQ(0, munmap(r, 2 * H));

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ('f', p[0]);
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(2, pwrite(mem, "mm", 2, (off_t)(unsigned long)(p + 8)));
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(2, pwrite(mem, "mm", 2, (off_t)(unsigned long)(p + H)));
	ASSERT_HPAGES(b, 0, -4, 0, 0);
	ASSERT_EQ(0, memcmp(p + 7, "fmmf", 4));
	ASSERT_EQ(0, memcmp(p + H, "mmf", 3));
	ASSERT_TRUE(file_intact(self->shared));
	ASSERT_EQ(0, close(mem));
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
