// SPDX-License-Identifier: GPL-2.0
/*
 * Reservation accounting of memfd_create(MFD_HUGETLB) files and of SysV
 * SHM_HUGETLB segments.  A memfd behaves like a hugetlbfs file that goes
 * away with its last reference.  A SysV segment reserves all its pages at
 * shmget() time (unless SHM_NORESERVE), shmat() reserves nothing more and
 * IPC_RMID releases everything once the last user detached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define H hpage_size

FIXTURE(shm_memfd) {
	struct hugetlb_env env;
};

FIXTURE_SETUP(shm_memfd)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
}

FIXTURE_TEARDOWN(shm_memfd)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

static int new_shm(struct hugetlb_env *env, long npages, int flags)
{
	int id;

	id = shmget(IPC_PRIVATE, npages * hpage_size,
		    IPC_CREAT | SHM_HUGETLB | 0600 | flags);
	if (id >= 0)
		hugetlb_env_add_shm(env, id);
	return id;
}

TEST_F(shm_memfd, memfd_reserve_at_mmap)
{
	struct hugetlb_counters *b = &self->env.base;
	struct stat st;
	char *p;
	int fd;

	fd = memfd_create("hugetlb_memfd", MFD_HUGETLB);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, st.st_size);
	ASSERT_EQ(0, hugetlb_truncate(fd, 4));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(2, hugetlb_touch_pages(p, 1, 2, true));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	/* The last reference to the memfd releases everything. */
	ASSERT_EQ(0, close(fd));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, memfd_fallocate_punch)
{
	struct hugetlb_counters *b = &self->env.base;
	int fd;

	fd = memfd_create("hugetlb_memfd", MFD_HUGETLB);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 0, 3));
	ASSERT_HPAGES(b, 0, -3, 0, 0);
	ASSERT_EQ(0, hugetlb_punch(fd, 1, 1));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(2, hugetlb_file_pages(fd));
	ASSERT_EQ(0, close(fd));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, memfd_private_mapping)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;
	int fd;

	fd = memfd_create("hugetlb_memfd", MFD_HUGETLB);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_truncate(fd, 4));
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	/* The private page is not in the file. */
	ASSERT_EQ(0, hugetlb_file_pages(fd));
	ASSERT_EQ(0, close(fd));
	ASSERT_HPAGES(b, 0, -1, 3, 0);
	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, memfd_seals)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;
	int fd;

	fd = memfd_create("hugetlb_memfd", MFD_HUGETLB | MFD_ALLOW_SEALING);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_truncate(fd, 2));
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 0, 1));
	ASSERT_HPAGES(b, 0, -1, 0, 0);

	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK));
	ASSERT_EQ(-1, hugetlb_truncate(fd, 3));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, hugetlb_truncate(fd, 1));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, hugetlb_falloc(fd, 0, 2, 1));
	ASSERT_EQ(EPERM, errno);
	ASSERT_HPAGES(b, 0, -1, 0, 0);

	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	ASSERT_EQ(-1, hugetlb_punch(fd, 0, 1));
	ASSERT_EQ(EPERM, errno);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EPERM, errno);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	/* Allocating inside the file is still allowed. */
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 1, 1));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, close(fd));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, shm_reserve_at_shmget)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;
	int id;

	id = new_shm(&self->env, 4, 0);
	ASSERT_LE(0, id);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	p = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_write_byte(p, 's'));
	ASSERT_EQ(0, hugetlb_write_byte(p + 3 * H, 't'));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, shmdt(p));
	ASSERT_HPAGES(b, 0, -2, 2, 0);

	/* Attach again: same pages, nothing reserved twice. */
	p = shmat(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, hugetlb_read_byte(p + 3 * H, &c));
	ASSERT_EQ('t', c);
	ASSERT_EQ(0, hugetlb_touch(p + H, false));
	ASSERT_HPAGES(b, 0, -3, 1, 0);
	ASSERT_EQ(0, shmdt(p));
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	self->env.nshm = 0;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, shm_rmid_while_attached)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p;
	int id;

	id = new_shm(&self->env, 3, 0);
	ASSERT_LE(0, id);
	p = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	self->env.nshm = 0;
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	/* Still usable with its reservations until detached. */
	ASSERT_EQ(0, hugetlb_touch(p + 2 * H, true));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, shmdt(p));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, shm_noreserve)
{
	struct hugetlb_counters *b = &self->env.base;
	void *fill;
	long fn;
	char *p;
	int id;

	id = new_shm(&self->env, 3, SHM_NORESERVE);
	ASSERT_LE(0, id);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	p = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, hugetlb_touch(p, true));
	ASSERT_HPAGES(b, 0, -1, 0, 0);

	fill = hugetlb_fill_pool(&fn);
	ASSERT_NE(MAP_FAILED, fill);
	ASSERT_EQ(-1, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -1, fn, 0);
	hugetlb_unmap(fill, fn);
	ASSERT_EQ(0, hugetlb_touch(p + H, true));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	ASSERT_EQ(0, shmdt(p));
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	self->env.nshm = 0;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, shm_fork_child_faults)
{
	struct hugetlb_counters *b = &self->env.base;
	char *p, c;
	pid_t pid;
	int id;

	id = new_shm(&self->env, 4, 0);
	ASSERT_LE(0, id);
	p = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(hugetlb_write_byte(p + H, 'k') ||
		      hugetlb_touch(p + 2 * H, false));
	ASSERT_EQ(0, hugetlb_wait(pid));
	ASSERT_HPAGES(b, 0, -2, 2, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H, &c));
	ASSERT_EQ('k', c);
	ASSERT_EQ(0, shmdt(p));
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	self->env.nshm = 0;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

TEST_F(shm_memfd, shm_unaligned_size_rounds_up)
{
	struct hugetlb_counters *b = &self->env.base;
	struct shmid_ds ds;
	int id;

	id = shmget(IPC_PRIVATE, H + 1, IPC_CREAT | SHM_HUGETLB | 0600);
	ASSERT_LE(0, id);
	hugetlb_env_add_shm(&self->env, id);
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	ASSERT_EQ(0, shmctl(id, IPC_STAT, &ds));
	ASSERT_EQ(H + 1, ds.shm_segsz);
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	self->env.nshm = 0;
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
