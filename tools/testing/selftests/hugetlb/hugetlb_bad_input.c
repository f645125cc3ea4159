// SPDX-License-Identifier: GPL-2.0
/*
 * Invalid requests on hugetlb files and mappings fail with the documented
 * error, and leave neither pages nor reservations behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif

/*
 * The base page size: an offset or a length that is a multiple of it but not
 * of the huge page size is refused by hugetlb, not by the generic checks.
 */
#define PS ((long)sysconf(_SC_PAGESIZE))

#define H hpage_size

FIXTURE(bad) {
	struct hugetlb_env env;
	int fd;
};

FIXTURE_SETUP(bad)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bad)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(bad, mmap_unaligned_offset)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	void *p;

	p = mmap(NULL, 2 * H, PROT_RW, MAP_SHARED, self->fd, PS);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * H, PROT_RW, MAP_PRIVATE, self->fd, H / 2);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(0, st.st_size);
}

TEST_F(bad, mmap_unaligned_length_rounds_up)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p;

	/* The length is rounded up to the huge page size ... */
	p = mmap(NULL, H + PS, PROT_RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(2 * H, st.st_size);
	/* ... but not for munmap(), which cannot split a huge page. */
	ASSERT_EQ(-1, munmap(p, H + PS));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);

	p = mmap(NULL, H + PS, PROT_RW,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, mmap_fixed_unaligned_address)
{
	struct hugetlb_counters *b = &self->env.base;
	char *hole, *p;

	hole = hugetlb_aligned_hole(3);
	ASSERT_NE(MAP_FAILED, hole);
	p = mmap(hole + PS, H, PROT_RW, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(hole + PS, H, PROT_RW,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	p = mmap(hole + H, H, PROT_RW, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(hole + H, p);
	ASSERT_HPAGES(b, 0, 0, 1, 0);
	ASSERT_EQ(0, munmap(hole, 3 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, mmap_beyond_pool_enomem)
{
	struct hugetlb_counters *b = &self->env.base;
	long avail = hugetlb_available();
	struct stat st;
	char *p;

	p = hugetlb_map(self->fd, avail + 1, 0, PROT_RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	p = hugetlb_map_anon(avail + 1, MAP_PRIVATE);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	p = hugetlb_map_anon(avail + 1, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(0, st.st_size);

	/* Exactly the pool works, and gives everything back. */
	p = hugetlb_map(self->fd, avail, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, avail, 0);
	ASSERT_EQ(0, munmap(p, avail * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, shmget_beyond_pool_enomem)
{
	struct hugetlb_counters *b = &self->env.base;
	long avail = hugetlb_available();
	int id;

	id = shmget(IPC_PRIVATE, (avail + 1) * H,
		    IPC_CREAT | SHM_HUGETLB | 0600);
	if (id >= 0)
		hugetlb_env_add_shm(&self->env, id);
	ASSERT_EQ(-1, id);
	ASSERT_EQ(ENOMEM, errno);
	/* No size, no segment. */
	id = shmget(IPC_PRIVATE, 0, IPC_CREAT | SHM_HUGETLB | 0600);
	if (id >= 0)
		hugetlb_env_add_shm(&self->env, id);
	ASSERT_EQ(-1, id);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, ftruncate_unaligned_einval)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p;

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(-1, ftruncate(self->fd, H + PS));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ftruncate(self->fd, H / 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ftruncate(self->fd, -H));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(2 * H, st.st_size);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* Truncating a mapped file succeeds; the mapping then gets SIGBUS. */
TEST_F(bad, truncate_mapped_file_sigbus)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q;

	p = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	q = hugetlb_map(self->fd, 2, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 0, 2, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(-1, hugetlb_touch(p, false));
	ASSERT_EQ(-1, hugetlb_touch(p + H, true));
	ASSERT_EQ(-1, hugetlb_touch(q, true));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, munmap(q, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, fallocate_bad_arguments)
{
	struct hugetlb_counters *b = &self->env.base;

	ASSERT_EQ(-1, fallocate(self->fd, 0, 0, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, fallocate(self->fd, 0, -H, 2 * H));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, fallocate(self->fd, 0, LLONG_MAX - H, 2 * H));
	ASSERT_EQ(EFBIG, errno);
	ASSERT_EQ(-1, fallocate(self->fd, FALLOC_FL_ZERO_RANGE, 0, H));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, fallocate(self->fd, FALLOC_FL_COLLAPSE_RANGE, 0, H));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* A hole punch must keep the size. */
	ASSERT_EQ(-1, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE, 0, H));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_file_pages(self->fd));
}

TEST_F(bad, fallocate_beyond_rlimit_efbig)
{
	struct hugetlb_counters *b = &self->env.base;
	struct rlimit rl = { 2 * H, 2 * H };

	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
	ASSERT_EQ(-1, hugetlb_falloc(self->fd, 0, 0, 3));
	ASSERT_EQ(EFBIG, errno);
	ASSERT_EQ(-1, hugetlb_falloc(self->fd, FALLOC_FL_KEEP_SIZE, 1, 2));
	ASSERT_EQ(EFBIG, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	ASSERT_EQ(0, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, hugetlb_falloc(self->fd, 0, 0, 2));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * fallocate() beyond the pool fails with ENOSPC and keeps the pages it
 * allocated before; they are freed with the file.  All but two available
 * pages are reserved first, so that only two have to be cleared.
 */
TEST_F(bad, fallocate_beyond_pool_enospc)
{
	struct hugetlb_counters *b = &self->env.base;
	long avail = hugetlb_available();
	struct stat st;
	void *fill;

	ASSERT_LE(2, avail);
	fill = avail > 2 ? hugetlb_map_anon(avail - 2, MAP_PRIVATE) : NULL;
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_HPAGES(b, 0, 0, avail - 2, 0);

	ASSERT_EQ(-1, hugetlb_falloc(self->fd, 0, 0, 4));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_HPAGES(b, 0, -2, avail - 2, 0);
	ASSERT_EQ(2, hugetlb_file_pages(self->fd));
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(0, st.st_size);
	hugetlb_unmap(fill, avail - 2);
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, closed_and_wrong_fds)
{
	struct hugetlb_counters *b = &self->env.base;
	char path[512];
	int fd, pipefd[2];
	void *p;

	/* A closed descriptor. */
	fd = hugetlb_env_open(&self->env, "closed", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(MAP_FAILED, hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, hugetlb_falloc(fd, 0, 0, 1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, hugetlb_truncate(fd, 1));
	ASSERT_EQ(EBADF, errno);

	/* Read-only: no shared writable mapping, no allocation. */
	hugetlb_env_path(&self->env, "file", path, sizeof(path));
	ASSERT_EQ(0, hugetlb_truncate(self->fd, 1));
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(MAP_FAILED, hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(-1, hugetlb_falloc(fd, 0, 0, 1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, hugetlb_truncate(fd, 2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, write(self->fd, path, 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	/* A read-only shared mapping works and reserves. */
	p = hugetlb_map(fd, 1, 0, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 1, 0);
	ASSERT_EQ(0, munmap(p, H));
	close(fd);

	/* Not a hugetlbfs file. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(MAP_FAILED, hugetlb_map(pipefd[0], 1, 0, PROT_READ,
					  MAP_SHARED));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_EQ(-1, hugetlb_falloc(pipefd[1], 0, 0, 1));
	ASSERT_EQ(ESPIPE, errno);
	fd = memfd_create("not_hugetlb", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, H));
	ASSERT_EQ(MAP_FAILED, hugetlb_map(fd, 1, 0, PROT_RW,
					  MAP_SHARED | MAP_HUGETLB));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);

	ASSERT_EQ(0, hugetlb_truncate(self->fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, memfd_bad_flags)
{
	struct hugetlb_counters *b = &self->env.base;
	int fd;

	/* A size without MFD_HUGETLB. */
	fd = memfd_create("bad", 21U << MFD_HUGE_SHIFT);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(EINVAL, errno);
	/* A huge page size the machine does not have (1 KB). */
	fd = memfd_create("bad", MFD_HUGETLB | 10U << MFD_HUGE_SHIFT);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(ENODEV, errno);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(bad, munmap_mremap_madvise_unaligned)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, *q, *hole;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	/* A hugetlb VMA cannot be split inside a huge page. */
	ASSERT_EQ(-1, munmap(p + PS, PS));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, munmap(p + H, PS));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, mprotect(p, PS, PROT_READ));
	ASSERT_EQ(EINVAL, errno);
	hole = hugetlb_aligned_hole(2);
	ASSERT_NE(MAP_FAILED, hole);
	q = mremap(p, 2 * H, 2 * H, MREMAP_MAYMOVE | MREMAP_FIXED,
		   hole + PS);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EINVAL, errno);
	q = mremap(p + PS, H, H, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, madvise(p + PS, H, MADV_DONTNEED));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, madvise(p, 2 * H, MADV_REMOVE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
