// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-instantiation race (libhugetlbfs alloc-instantiate-race): two
 * tasks fault the same huge page at the same moment, with exactly one
 * page they may allocate.  The kernel serializes them on the hugetlb fault
 * mutex, so the second finds the page the first instantiated and neither
 * gets SIGBUS.  Without that serialization the second allocates too,
 * finds no page left and dies.
 *
 * Nothing can hold the first fault between allocating its page and
 * mapping it (userfaultfd waits come before the allocation), so the window
 * is made wide instead: both tasks spin on a shared flag and fault as soon
 * as it flips, and the first one then clears a whole huge page before it
 * maps it, which takes far longer than the distance between the two.
 * The race is run a fixed number of rounds (32; 4 with gigantic pages),
 * each with exact counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size
/* Fewer rounds for gigantic pages, whose clearing alone takes long. */
#define ROUNDS (hpage_size < (1UL << 30) ? 32 : 4)

struct gate {
	int ready;	/* tasks waiting at the gate */
	int open;	/* round number the gate is open for */
};

/* Wait at the gate of round n, then write to the page. */
static int racer(struct gate *g, int n, char *page)
{
	__atomic_add_fetch(&g->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&g->open, __ATOMIC_ACQUIRE) != n)
		;
	return hugetlb_write_byte(page, 'r');
}

/* Open the gate of round n once two racers wait at it. */
static void open_gate(struct gate *g, int n)
{
	while (__atomic_load_n(&g->ready, __ATOMIC_ACQUIRE) < 2)
		sched_yield();
	__atomic_store_n(&g->ready, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g->open, n, __ATOMIC_RELEASE);
}

/* Reserve all available pages but n, with a mapping never touched. */
static void *leave_available(long n, long *filled)
{
	void *fill;

	*filled = hugetlb_available() - n;
	if (*filled <= 0)
		return NULL;
	fill = hugetlb_map_anon(*filled, MAP_PRIVATE);
	return fill == MAP_FAILED ? NULL : fill;
}

FIXTURE(race) {
	struct hugetlb_env env;
	struct gate *gate;
	char *fill;
	long filled;
};

FIXTURE_SETUP(race)
{
	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->gate = mmap(NULL, sizeof(*self->gate), PROT_RW,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->gate);
}

FIXTURE_TEARDOWN(race)
{
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

/*
 * Two processes, one shared page without reservation (MAP_NORESERVE), one
 * free page: the file gets one page and both see it.
 */
TEST_F_TIMEOUT(race, shared_two_processes_one_free_page, 120)
{
	struct hugetlb_counters *b = &self->env.base;
	int n, i, sigbus = 0;
	pid_t pid[2];
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, 1, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	self->fill = leave_available(1, &self->filled);
	ASSERT_NE(NULL, self->fill);
	ASSERT_EQ(1, hugetlb_available());
	ASSERT_HPAGES(b, 0, 0, self->filled, 0);

	for (n = 1; n <= ROUNDS; n++) {
		for (i = 0; i < 2; i++) {
			pid[i] = hugetlb_fork();
			ASSERT_LE(0, pid[i]);
			if (!pid[i])
				_exit(racer(self->gate, n, p) ? 1 : 0);
			hugetlb_env_add_pid(&self->env, pid[i]);
		}
		open_gate(self->gate, n);
		for (i = 0; i < 2; i++)
			sigbus += hugetlb_wait(pid[i]) != 0;
		self->env.npids = 0;
		ASSERT_HPAGES(b, 0, -1, self->filled, 0);
		ASSERT_EQ(1, hugetlb_file_pages(fd));
		ASSERT_EQ('r', p[0]);
		ASSERT_EQ(0, hugetlb_truncate(fd, 0));
		ASSERT_EQ(0, hugetlb_truncate(fd, 1));
		ASSERT_HPAGES(b, 0, 0, self->filled, 0);
	}
	EXPECT_EQ(0, sigbus) TH_LOG("%d of %d faults got SIGBUS", sigbus,
				    2 * ROUNDS);
	hugetlb_unmap(self->fill, self->filled);
	ASSERT_EQ(0, munmap(p, H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

struct thread_arg {
	struct gate *gate;
	int round;
	char *page;
	int ret;
};

static void *racer_thread(void *arg)
{
	struct thread_arg *a = arg;

	a->ret = racer(a->gate, a->round, a->page);
	return NULL;
}

/*
 * Two threads, one private page with its reservation, no other page
 * available: the reservation is used once and both see the page.
 */
TEST_F_TIMEOUT(race, private_two_threads_one_reservation, 120)
{
	struct hugetlb_counters *b = &self->env.base;
	struct thread_arg a[2];
	pthread_t t[2];
	int n, i, sigbus = 0;
	char *p, c;

	self->fill = leave_available(1, &self->filled);
	ASSERT_NE(NULL, self->fill);
	/* Installs the SIGBUS handler before any thread runs. */
	ASSERT_EQ(0, hugetlb_read_byte((char *)self->gate, &c));

	for (n = 1; n <= ROUNDS; n++) {
		p = hugetlb_map_anon(1, MAP_PRIVATE);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, hugetlb_available());
		ASSERT_HPAGES(b, 0, 0, self->filled + 1, 0);
		for (i = 0; i < 2; i++) {
			a[i].gate = self->gate;
			a[i].round = n;
			a[i].page = p;
			ASSERT_EQ(0, pthread_create(&t[i], NULL, racer_thread,
						    &a[i]));
		}
		open_gate(self->gate, n);
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, pthread_join(t[i], NULL));
			sigbus += a[i].ret != 0;
		}
		ASSERT_HPAGES(b, 0, -1, self->filled, 0);
		ASSERT_EQ('r', p[0]);
		ASSERT_EQ(0, munmap(p, H));
		ASSERT_HPAGES(b, 0, 0, self->filled, 0);
	}
	EXPECT_EQ(0, sigbus) TH_LOG("%d of %d faults got SIGBUS", sigbus,
				    2 * ROUNDS);
	hugetlb_unmap(self->fill, self->filled);
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	hugetlb_prog_setup(8);
	hugetlb_scale_timeouts(2 * ROUNDS + 4);
	return test_harness_run(argc, argv);
}
