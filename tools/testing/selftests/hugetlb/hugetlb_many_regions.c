// SPDX-License-Identifier: GPL-2.0
/*
 * Reservation maps with many regions: single page faults in random order
 * over mappings as large as the pool allows, alternating present and
 * reserved pages, and a random sequence of mmap, fault, fallocate, punch
 * and truncate operations checked against a model of the reservation map.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

#define H hpage_size

/*
 * Limit the run time under emulation.  The model takes 4 steps per page:
 * 256 over 64 pages of 2 MB, 32 over the 8 pages of 1 GB that a small
 * pool of gigantic pages holds.
 */
#define MAX_PAGES 256
#define MODEL_PAGES 64
#define MODEL_STEPS_PER_PAGE 4

FIXTURE(regions) {
	struct hugetlb_env env;
	long n;
	long *order;
};

FIXTURE_SETUP(regions)
{
	long i;

	ASSERT_EQ(0, hugetlb_env_setup(&self->env, NULL));
	self->n = hugetlb_available();
	if (self->n > MAX_PAGES)
		self->n = MAX_PAGES;
	ASSERT_LE(8, self->n);
	self->order = calloc(self->n, sizeof(long));
	ASSERT_NE(NULL, self->order);
	for (i = 0; i < self->n; i++)
		self->order[i] = i;
}

FIXTURE_TEARDOWN(regions)
{
	free(self->order);
	EXPECT_EQ(0, hugetlb_env_teardown(&self->env));
}

TEST_F(regions, random_faults_shared_noreserve)
{
	struct hugetlb_counters *b = &self->env.base;
	unsigned int seed = 1;
	long i, n = self->n;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	p = hugetlb_map(fd, n, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	hugetlb_shuffle(self->order, n, &seed);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, hugetlb_touch(p + self->order[i] * H, true));
		ASSERT_HPAGES(b, 0, -(i + 1), 0, 0);
	}
	/* The pool is exhausted now. */
	ASSERT_EQ(n, hugetlb_file_pages(fd));
	ASSERT_EQ(0, munmap(p, n * H));

	/* Every other page back, in random order again. */
	hugetlb_shuffle(self->order, n, &seed);
	for (i = 0; i < n; i++)
		if (self->order[i] & 1)
			ASSERT_EQ(0, hugetlb_punch(fd, self->order[i], 1));
	ASSERT_HPAGES(b, 0, -(n - n / 2), 0, 0);
	/* A reserving mapping now needs exactly the holes. */
	p = hugetlb_map(fd, n, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -(n - n / 2), n / 2, 0);
	ASSERT_EQ(0, munmap(p, n * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

TEST_F(regions, random_faults_private)
{
	struct hugetlb_counters *b = &self->env.base;
	unsigned int seed = 2;
	long i, n = self->n;
	char *p;

	p = hugetlb_map_anon(n, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, 0, n, 0);
	hugetlb_shuffle(self->order, n, &seed);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, hugetlb_touch(p + self->order[i] * H, true));
		ASSERT_HPAGES(b, 0, -(i + 1), n - i - 1, 0);
	}
	/* Unmap in random single pages: nothing left to return. */
	hugetlb_shuffle(self->order, n, &seed);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, munmap(p + self->order[i] * H, H));
		ASSERT_HPAGES(b, 0, -(n - i - 1), 0, 0);
	}
}

TEST_F(regions, random_unmap_private_unfaulted)
{
	struct hugetlb_counters *b = &self->env.base;
	unsigned int seed = 3;
	long i, n = self->n, faulted = 0;
	char *p;

	p = hugetlb_map_anon(n, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	/* Fault every third page. */
	for (i = 0; i < n; i += 3) {
		ASSERT_EQ(0, hugetlb_touch(p + i * H, true));
		faulted++;
	}
	ASSERT_HPAGES(b, 0, -faulted, n - faulted, 0);
	hugetlb_shuffle(self->order, n, &seed);
	for (i = 0; i < n; i++) {
		long pg = self->order[i];

		ASSERT_EQ(0, munmap(p + pg * H, H));
		if (pg % 3 == 0)
			faulted--;
		ASSERT_HPAGES(b, 0, -faulted, n - i - 1 - faulted, 0);
	}
	ASSERT_HPAGES(b, 0, 0, 0, 0);
}

/* Alternating present pages, then reserve everything. */
TEST_F(regions, alternating_fallocate_then_reserve)
{
	struct hugetlb_counters *b = &self->env.base;
	long i, n = self->n, present = 0;
	char *p;
	int fd;

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < n; i += 2) {
		ASSERT_EQ(0, hugetlb_falloc(fd, 0, i, 1));
		present++;
	}
	ASSERT_HPAGES(b, 0, -present, 0, 0);
	p = hugetlb_map(fd, n, 0, PROT_RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_HPAGES(b, 0, -present, n - present, 0);
	ASSERT_EQ(n, hugetlb_touch_pages(p, 0, n, true));
	ASSERT_HPAGES(b, 0, -n, 0, 0);
	ASSERT_EQ(0, munmap(p, n * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
}

/*
 * Model of a shared file: resv[i] tells if page i is in the reservation
 * map, present[i] if it is in the page cache.  HugePages_Rsvd counts the
 * pages that are reserved but not present.
 */
struct model {
	long n;
	char *resv;
	char *present;
	long free;	/* expected HugePages_Free delta */
	long rsvd;	/* expected HugePages_Rsvd delta */
};

static void model_alloc(struct model *m, long i)
{
	if (m->present[i])
		return;
	if (m->resv[i])
		m->rsvd--;
	m->resv[i] = 1;
	m->present[i] = 1;
	m->free--;
}

static void model_reserve(struct model *m, long first, long last)
{
	long i;

	for (i = first; i < last; i++) {
		if (!m->resv[i] && !m->present[i])
			m->rsvd++;
		m->resv[i] = 1;
	}
}

static void model_punch(struct model *m, long first, long last)
{
	long i;

	for (i = first; i < last; i++) {
		if (!m->present[i])
			continue;
		m->present[i] = 0;
		m->resv[i] = 0;
		m->free++;
	}
}

static void model_truncate(struct model *m, long size)
{
	long i;

	for (i = size; i < m->n; i++) {
		if (m->present[i])
			m->free++;
		else if (m->resv[i])
			m->rsvd--;
		m->present[i] = 0;
		m->resv[i] = 0;
	}
}

TEST_F(regions, random_operations_model)
{
	struct hugetlb_counters *b = &self->env.base;
	unsigned int seed = 4;
	struct model m;
	long n = self->n < MODEL_PAGES ? self->n : MODEL_PAGES;
	long step, first, len, i;
	char *p, *q;
	int fd;

	memset(&m, 0, sizeof(m));
	m.n = n;
	m.resv = calloc(n, 1);
	m.present = calloc(n, 1);
	ASSERT_NE(NULL, m.resv);
	ASSERT_NE(NULL, m.present);

	fd = hugetlb_env_open(&self->env, "file", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hugetlb_truncate(fd, n));
	p = hugetlb_map(fd, n, 0, PROT_RW, MAP_SHARED | MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);

	for (step = 0; step < MODEL_STEPS_PER_PAGE * n; step++) {
		first = hugetlb_rand(&seed) % n;
		len = 1 + hugetlb_rand(&seed) % (n / 8);
		if (first + len > n)
			len = n - first;

		switch (hugetlb_rand(&seed) % 6) {
		case 0:	/* reserve a range */
			q = hugetlb_map(fd, len, first, PROT_RW, MAP_SHARED);
			ASSERT_NE(MAP_FAILED, q);
			ASSERT_EQ(0, munmap(q, len * H));
			model_reserve(&m, first, first + len);
			break;
		case 1:	/* fault single pages */
		case 2:
			for (i = first; i < first + len; i += 2) {
				ASSERT_EQ(0, hugetlb_touch(p + i * H, true));
				model_alloc(&m, i);
			}
			break;
		case 3:	/* allocate a range */
			ASSERT_EQ(0, hugetlb_falloc(fd, 0, first, len));
			for (i = first; i < first + len; i++)
				model_alloc(&m, i);
			break;
		case 4:	/* punch a range */
			ASSERT_EQ(0, hugetlb_punch(fd, first, len));
			model_punch(&m, first, first + len);
			break;
		default: /* cut the tail off and grow back */
			ASSERT_EQ(0, hugetlb_truncate(fd, first));
			model_truncate(&m, first);
			ASSERT_EQ(0, hugetlb_truncate(fd, n));
			break;
		}
		ASSERT_HPAGES(b, 0, m.free, m.rsvd, 0);
		ASSERT_EQ(-m.free, hugetlb_file_pages(fd));
	}

	ASSERT_EQ(0, munmap(p, n * H));
	ASSERT_EQ(0, hugetlb_truncate(fd, 0));
	ASSERT_HPAGES(b, 0, 0, 0, 0);
	close(fd);
	free(m.resv);
	free(m.present);
}

int main(int argc, char **argv)
{
	long n, model;

	hugetlb_prog_setup(8);
	/*
	 * A case faults each of its n pages; each step of the model at most
	 * n / 8 of its pages.
	 */
	n = hugetlb_available();
	n = n < MAX_PAGES ? n : MAX_PAGES;
	model = n < MODEL_PAGES ? n : MODEL_PAGES;
	hugetlb_scale_timeouts(n > model * model / 2 ? n : model * model / 2);
	return test_harness_run(argc, argv);
}
