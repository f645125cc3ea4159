// SPDX-License-Identifier: GPL-2.0
/*
 * Runs last: the huge page counters and pool settings must be back at the
 * values recorded by the first hugetlb test program of the suite.  A
 * difference means that some test leaked pages or reservations (or did not
 * restore what it changed).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kselftest_harness.h"
#include "hugetlb_util.h"

static struct hugetlb_counters start;
static long start_nr, start_overcommit;

TEST(counters_equal_suite_start)
{
	struct hugetlb_counters now;

	ASSERT_EQ(0, hugetlb_read_counters(&now));
	TH_LOG("start: Total %ld Free %ld Rsvd %ld Surp %ld",
	       start.total, start.free, start.rsvd, start.surp);
	TH_LOG("now:   Total %ld Free %ld Rsvd %ld Surp %ld",
	       now.total, now.free, now.rsvd, now.surp);
	EXPECT_EQ(start.total, now.total);
	EXPECT_EQ(start.free, now.free);
	EXPECT_EQ(start.rsvd, now.rsvd);
	EXPECT_EQ(start.surp, now.surp);
}

TEST(pool_settings_restored)
{
	EXPECT_EQ(start_nr, hugetlb_get_nr());
	EXPECT_EQ(start_overcommit, hugetlb_get_overcommit());
}

TEST(meminfo_matches_sysfs)
{
	struct hugetlb_counters m, s;

	ASSERT_EQ(0, hugetlb_read_meminfo(&m));
	ASSERT_EQ(0, hugetlb_read_counters(&s));
	EXPECT_EQ(s.total, m.total);
	EXPECT_EQ(s.free, m.free);
	EXPECT_EQ(s.rsvd, m.rsvd);
	EXPECT_EQ(s.surp, m.surp);
}

TEST(no_test_mounts_left)
{
	char line[512];
	int left = 0;
	FILE *f;

	f = fopen("/proc/mounts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "hugetlb_mnt."))
			left++;
	fclose(f);
	EXPECT_EQ(0, left);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (hugetlb_init())
		hugetlb_prog_skip("no hugetlbfs or huge page sysfs support\n");
	if (hugetlb_baseline_load(&start, &start_nr, &start_overcommit))
		hugetlb_prog_skip("no counters recorded at suite start\n");
	/* The next run of the suite records its own start values. */
	atexit(hugetlb_baseline_remove);
	return test_harness_run(argc, argv);
}
