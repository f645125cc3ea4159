// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd on hugetlb mappings: UFFDIO_COPY into private and shared
 * mappings, and races made deterministic by holding an operation in flight
 * on purpose, with no timing involved:
 *
 *  - a fault on a registered hugetlb range waits in the kernel for the
 *    monitor (this program) until it is resolved or woken;
 *  - a UFFDIO_COPY whose source is itself registered (anonymous memory,
 *    missing mode) allocates a temporary huge page, drops mmap_lock and
 *    waits in the kernel, inside the copy from the source, until the
 *    source page is provided.
 *
 * While one of them waits, the test truncates, punches, faults the same
 * page through another mapping or forks, then lets it go on, and checks
 * the exact Total/Free/Rsvd/Surp deltas after every step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

static unsigned long base_page;

/* How long to wait for an event that must come: a guard against hangs. */
#define EVENT_TIMEOUT_MS 60000

static int uffd_open(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MISSING_HUGETLBFS,
	};
	int fd;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int uffd_register(int fd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		return -1;
	return reg.ioctls & (1ULL << _UFFDIO_COPY) ? 0 : -1;
}

/* Wait for the next page fault event; returns its address, 0 if none. */
static unsigned long uffd_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, EVENT_TIMEOUT_MS) != 1)
		return 0;
	if (read(fd, &msg, sizeof(msg)) != sizeof(msg))
		return 0;
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	return msg.arg.pagefault.address;
}

/* True if an event is queued right now. */
static bool uffd_pending(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* UFFDIO_COPY; returns 0 or the errno, *copied what the kernel reports. */
static int uffd_copy(int fd, void *dst, const void *src, size_t len,
		     long *copied)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)dst,
		.src = (unsigned long)src,
		.len = len,
	};
	int ret;

	ret = ioctl(fd, UFFDIO_COPY, &c);
	if (copied)
		*copied = c.copy;
	return ret ? errno : 0;
}

static int uffd_wake(int fd, void *addr, size_t len)
{
	struct uffdio_range r = {
		.start = (unsigned long)addr,
		.len = len,
	};

	return ioctl(fd, UFFDIO_WAKE, &r);
}

/* A thread that reads one byte and may wait in a userfault. */
struct reader {
	pthread_t thread;
	char *addr;
	char val;
	int ret;	/* 0, or -1 for SIGBUS */
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->ret = hugetlb_read_byte(r->addr, &r->val);
	return NULL;
}

/* A thread whose UFFDIO_COPY may wait in a userfault on its source. */
struct copier {
	pthread_t thread;
	int uffd;
	char *dst;
	char *src;
	int err;
	long copied;
};

static void *copier_fn(void *arg)
{
	struct copier *c = arg;

	c->err = uffd_copy(c->uffd, c->dst, c->src, hpage_size, &c->copied);
	return NULL;
}

FIXTURE(uffd) {
	struct hugetlb_env env;
	int uffd;	/* the hugetlb ranges */
	int sfd;	/* the source of parked copies */
	char *src;	/* H bytes of base pages, registered with sfd */
	char *data;	/* H bytes: 'd' at both ends, zero pages between */
	char *mark;	/* one base page: 's' at byte 0 */
};

FIXTURE_SETUP(uffd)
{
	char c;

	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->uffd = uffd_open();
	ASSERT_LE(0, self->uffd);
	self->sfd = uffd_open();
	ASSERT_LE(0, self->sfd);
	self->src = mmap(NULL, H, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	/* Base pages only, so that one event stands for the whole source. */
	madvise(self->src, H, MADV_NOHUGEPAGE);
	ASSERT_EQ(0, uffd_register(self->sfd, self->src, H));
	/*
	 * The source of the other copies.  Only its ends are written: the
	 * rest reads as the zero page, so that a source of a 1 GB page
	 * takes no memory.
	 */
	self->data = mmap(NULL, H, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->data);
	self->data[0] = 'd';
	self->data[H - 1] = 'd';
	self->mark = mmap(NULL, base_page, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->mark);
	self->mark[0] = 's';
	/* Installs the SIGBUS handler before any thread runs. */
	ASSERT_EQ(0, hugetlb_read_byte(self->data, &c));
}

FIXTURE_TEARDOWN(uffd)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/* Start a copy into dst from the registered source; wait until it waits. */
static int park_copy(struct copier *c, int uffd, int sfd, char *dst,
		     char *src)
{
	unsigned long addr;

	c->uffd = uffd;
	c->dst = dst;
	c->src = src;
	if (pthread_create(&c->thread, NULL, copier_fn, c))
		return -1;
	addr = uffd_wait(sfd);
	if (addr < (unsigned long)src || addr >= (unsigned long)src + hpage_size)
		return -1;
	return 0;
}

/*
 * Provide the source, which lets the parked copy go on; wait for it.  The
 * source's first base page gets byte 0 of mark ('s'), which tells the
 * parked copy's page from the others; the rest of it is the zero page.
 * The rest first, without waking: woken, the copy reads on at once.
 */
static int unpark_copy(struct copier *c, int sfd, const char *mark)
{
	struct uffdio_zeropage z = {
		.range = {
			.start = (unsigned long)c->src + base_page,
			.len = hpage_size - base_page,
		},
		.mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE,
	};

	if (ioctl(sfd, UFFDIO_ZEROPAGE, &z))
		return -1;
	if (uffd_copy(sfd, c->src, mark, base_page, NULL))
		return -1;
	return pthread_join(c->thread, NULL);
}

static int start_reader(struct reader *r, int uffd, char *addr)
{
	r->addr = addr;
	if (pthread_create(&r->thread, NULL, reader_fn, r))
		return -1;
	return uffd_wait(uffd) == (unsigned long)addr ? 0 : -1;
}

/*
 * The postcopy pattern of a private anonymous mapping: UFFDIO_COPY, then
 * MADV_DONTNEED drops the page, then it is copied again.  The page's
 * reservation must come back with MADV_DONTNEED, or another mapping could
 * take the last free page and the second copy would fail with ENOMEM.
 */
TEST_F(uffd, copy_private_dontneed_copy)
{
	struct hugetlb_counters *b = &self->env.base;
	struct reader r;
	long copied;
	char *p;
	char c;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, uffd_register(self->uffd, p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	ASSERT_EQ(0, uffd_copy(self->uffd, p, self->data, H, &copied));
	ASSERT_EQ(H, copied);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_read_byte(p + H - 1, &c));
	ASSERT_EQ('d', c);
	/* The page is there: a second copy finds it. */
	ASSERT_EQ(EEXIST, uffd_copy(self->uffd, p, self->data, H, NULL));
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	/* Dropping the page gives its reservation back. */
	ASSERT_EQ(0, madvise(p, H, MADV_DONTNEED));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	/* A fault on it is a missing fault again, resolved by a copy. */
	ASSERT_EQ(0, start_reader(&r, self->uffd, p));
	ASSERT_HPAGES(b, 0, 0, 2, 0);
	self->data[0] = 's';
	ASSERT_EQ(0, uffd_copy(self->uffd, p, self->data, H, &copied));
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ('s', r.val);
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	ASSERT_EQ(0, uffd_copy(self->uffd, p + H, self->data, H, &copied));
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * UFFDIO_COPY into a shared mapping puts the page into the file, where
 * other mappings see it; beyond the end of the file it fails with EFAULT.
 */
TEST_F(uffd, copy_shared_file)
{
	struct hugetlb_counters *b = &self->env.base;
	long copied;
	char *p, *q;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, uffd_register(self->uffd, p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	ASSERT_EQ(0, uffd_copy(self->uffd, p, self->data, H, &copied));
	ASSERT_EQ(H, copied);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(1, hugetlb_file_pages(fd));
	q = hugetlb_map(fd, 1, 0, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ('d', q[H - 1]);
	ASSERT_EQ(0, munmap(q, H));

	/* Page 1 is now beyond the end of the file. */
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(EFAULT, uffd_copy(self->uffd, p + H, self->data, H, NULL));
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	ASSERT_EQ(1, hugetlb_file_pages(fd));

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * A fault waits in the kernel while the file is truncated below it.  The
 * copy that would resolve it must fail (the page is beyond the end of the
 * file now) and the fault, woken, must get SIGBUS; the reservations of the
 * truncated pages go away, nothing is allocated.
 */
TEST_F(uffd, fault_held_vs_truncate)
{
	struct hugetlb_counters *b = &self->env.base;
	struct reader r;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_truncate(fd, 4));
	p = hugetlb_map(fd, 4, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, uffd_register(self->uffd, p, 4 * H));
	ASSERT_HPAGES(b, 0, 0, 4, 0);

	ASSERT_EQ(0, start_reader(&r, self->uffd, p + 2 * H));
	ASSERT_HPAGES(b, 0, 0, 4, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_HPAGES(b, 0, 0, 1, 0);

	ASSERT_EQ(EFAULT, uffd_copy(self->uffd, p + 2 * H, self->data, H,
				    NULL));
	ASSERT_HPAGES(b, 0, 0, 1, 0);
	ASSERT_EQ(0, hugetlb_file_pages(fd));
	ASSERT_EQ(0, uffd_wake(self->uffd, p + 2 * H, H));
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(-1, r.ret);
	ASSERT_FALSE(uffd_pending(self->uffd));
	ASSERT_HPAGES(b, 0, 0, 1, 0);

	ASSERT_EQ(0, munmap(p, 4 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * A copy into a shared mapping waits, with its temporary page, while the
 * file is truncated below the destination.  Waiting holds the temporary
 * page only (Free -1), not the reservation; once it goes on, the copy
 * fails with EFAULT and frees everything it allocated.
 */
TEST_F(uffd, copy_parked_vs_truncate)
{
	struct hugetlb_counters *b = &self->env.base;
	struct copier c;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, uffd_register(self->uffd, p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	ASSERT_EQ(0, park_copy(&c, self->uffd, self->sfd, p + H, self->src));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_truncate(fd, 1));
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	ASSERT_EQ(0, unpark_copy(&c, self->sfd, self->mark));
	ASSERT_EQ(EFAULT, c.err);
	ASSERT_HPAGES(b, 0, 0, 1, 0);
	ASSERT_EQ(0, hugetlb_file_pages(fd));

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * A copy waits while another, unregistered mapping of the same file
 * faults the page in: the fault uses the page's reservation, which the
 * waiting copy must not hold, and the copy then finds the page (EEXIST).
 */
TEST_F(uffd, copy_parked_vs_fault)
{
	struct hugetlb_counters *b = &self->env.base;
	struct copier c;
	char *p, *q;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	q = hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, uffd_register(self->uffd, p, H));
	ASSERT_HPAGES(b, 0, 0, 1, 0);

	ASSERT_EQ(0, park_copy(&c, self->uffd, self->sfd, p, self->src));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_write_byte(q, 'q'));
	ASSERT_HPAGES(b, 0, -2, 0, 0);

	ASSERT_EQ(0, unpark_copy(&c, self->sfd, self->mark));
	ASSERT_EQ(EEXIST, c.err);
	ASSERT_HPAGES(b, 0, -1, 0, 0);
	/* The registered mapping maps the file's page, without an event. */
	ASSERT_EQ('q', p[0]);
	ASSERT_FALSE(uffd_pending(self->uffd));
	ASSERT_EQ(1, hugetlb_file_pages(fd));

	ASSERT_EQ(0, munmap(p, H));
	ASSERT_EQ(0, munmap(q, H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/*
 * A copy waits while its destination page is allocated by fallocate() and
 * punched out again, which takes the page's reservation with it.  The copy
 * then allocates a page without a reservation.
 */
TEST_F(uffd, copy_parked_vs_punch)
{
	struct hugetlb_counters *b = &self->env.base;
	struct copier c;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 2, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, uffd_register(self->uffd, p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 2, 0);

	ASSERT_EQ(0, park_copy(&c, self->uffd, self->sfd, p, self->src));
	ASSERT_HPAGES(b, 0, -1, 2, 0);
	ASSERT_EQ(0, hugetlb_falloc(fd, 0, 0, 1));
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_EQ(0, hugetlb_punch(fd, 0, 1));
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(0, hugetlb_file_pages(fd));

	ASSERT_EQ(0, unpark_copy(&c, self->sfd, self->mark));
	ASSERT_EQ(0, c.err);
	ASSERT_EQ(H, c.copied);
	ASSERT_HPAGES(b, 0, -1, 1, 0);
	ASSERT_EQ(1, hugetlb_file_pages(fd));
	ASSERT_EQ('s', p[0]);
	ASSERT_EQ(0, p[H - 1]);

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* In the child of copy_parked_vs_fork: check, then touch its pages. */
static int fork_child(const struct hugetlb_counters *b, char *p)
{
	char c;

	/* No reservations are inherited, and no registration either. */
	if (hugetlb_check_delta(b, 0, -2, 1, 0, __LINE__))
		return 1;
	if (hugetlb_write_byte(p, 'c'))
		return 2;
	if (hugetlb_check_delta(b, 0, -3, 1, 0, __LINE__))
		return 3;
	if (hugetlb_read_byte(p + H, &c) || c)
		return 4;
	if (hugetlb_check_delta(b, 0, -4, 1, 0, __LINE__))
		return 5;
	return 0;
}

/*
 * The owner of a private mapping forks while a fault on page 1 waits and
 * a copy into page 1 waits on its source.  The child gets neither the
 * reservations nor the registration: its own faults take free pages.
 * When the copy goes on, it uses the parent's reservation, and the waiting
 * fault sees the copied page.
 */
TEST_F(uffd, copy_parked_vs_fork)
{
	struct hugetlb_counters *b = &self->env.base;
	struct copier c;
	struct reader r;
	pid_t pid;
	char *p;

	p = hugetlb_map_anon(2, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, hugetlb_write_byte(p, 'p'));
	ASSERT_EQ(0, uffd_register(self->uffd, p, 2 * H));
	ASSERT_HPAGES(b, 0, -1, 1, 0);

	ASSERT_EQ(0, start_reader(&r, self->uffd, p + H));
	ASSERT_EQ(0, park_copy(&c, self->uffd, self->sfd, p + H, self->src));
	ASSERT_HPAGES(b, 0, -2, 1, 0);

	pid = hugetlb_fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fork_child(b, p));
	hugetlb_env_add_pid(&self->env, pid);
	ASSERT_EQ(0, hugetlb_wait(pid));
	self->env.npids = 0;
	ASSERT_HPAGES(b, 0, -2, 1, 0);
	ASSERT_FALSE(uffd_pending(self->uffd));

	ASSERT_EQ(0, unpark_copy(&c, self->sfd, self->mark));
	ASSERT_EQ(0, c.err);
	ASSERT_HPAGES(b, 0, -2, 0, 0);
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ('s', r.val);
	ASSERT_EQ('p', p[0]);

	ASSERT_EQ(0, munmap(p, 2 * H));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	int fd;

	base_page = sysconf(_SC_PAGESIZE);
	hugetlb_prog_setup(8);
	fd = uffd_open();
	if (fd < 0)
		hugetlb_prog_skip("no userfaultfd for hugetlbfs (%s): needs CONFIG_USERFAULTFD=y\n",
				  strerror(errno));
	close(fd);
	hugetlb_scale_timeouts(HUGETLB_CASE_FAULTS);
	return test_harness_run(argc, argv);
}
