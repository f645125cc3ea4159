// SPDX-License-Identifier: GPL-2.0
/*
 * mremap_rsvd_leak - does moving part of a private hugetlb mapping with
 * mremap() leak HugePages_Rsvd?
 *
 * An unprivileged child (uid/gid 65534) repeats, N times (default 8):
 * map 4 anonymous huge pages, fault page 0, move one page (or range) out
 * with mremap(MREMAP_MAYMOVE | MREMAP_FIXED) into a reserved hole, and
 * unmap everything.  The parent then checks that HugePages_Rsvd is back
 * where it started and that root can still map and fault every huge page
 * that was available at the start.
 *
 * Usage: mremap_rsvd_leak [VARIANT] [LOOPS]
 *   middle    (default) move page 1
 *   start     move page 0 (the faulted one)
 *   end       move page 3
 *   shrink    mremap(p + 2H, 2H -> H): page 3 is unmapped, page 2 moves
 *   grow      mremap(p + H, H -> 2H): hugetlb refuses to grow (EINVAL)
 *   shared    as middle, on a MAP_SHARED mapping
 *   fork      as middle, after fork(); the grandchild moves page 1 first
 *   noreserve as middle, with MAP_NORESERVE
 *
 * Exit status: 0 pass, 1 fail (leak or ENOMEM), 4 skip, 2 usage/setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

#define NOBODY		65534
#define NR_PAGES	4

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_ERROR	2
#define EXIT_SKIP	4

enum variant { V_MIDDLE, V_START, V_END, V_SHRINK, V_GROW, V_SHARED,
	       V_FORK, V_NORESERVE };

static const char * const variant_names[] = {
	[V_MIDDLE] = "middle", [V_START] = "start", [V_END] = "end",
	[V_SHRINK] = "shrink", [V_GROW] = "grow", [V_SHARED] = "shared",
	[V_FORK] = "fork", [V_NORESERVE] = "noreserve",
};

static size_t hpage;

/* Returns the value of @key in /proc/meminfo, or -1. */
static long read_meminfo(const char *key)
{
	size_t len = strlen(key);
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* A huge page aligned, huge page sized hole nobody else will map into. */
static char *reserve_hole(char **base)
{
	char *p = mmap(NULL, 2 * hpage, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	*base = p;
	return (char *)(((unsigned long)p + hpage - 1) & ~(hpage - 1));
}

/*
 * Move part of [p, p + NR_PAGES * hpage) to @dst as @v asks.
 * Returns 0 if mremap() did what this variant expects, -1 otherwise.
 */
static int move_part(enum variant v, char *p, char *dst)
{
	size_t old_len = hpage, new_len = hpage;
	char *src = p + hpage;
	int want_errno = 0;
	void *r;

	switch (v) {
	case V_START:
		src = p;
		break;
	case V_END:
		src = p + (NR_PAGES - 1) * hpage;
		break;
	case V_SHRINK:
		src = p + 2 * hpage;
		old_len = 2 * hpage;
		break;
	case V_GROW:
		new_len = 2 * hpage;
		want_errno = EINVAL;
		break;
	default:
		break;
	}

	r = mremap(src, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (r == MAP_FAILED) {
		if (errno == want_errno)
			return 0;
		fprintf(stderr, "mremap(%s): %s\n", variant_names[v],
			strerror(errno));
		return -1;
	}
	if (want_errno) {
		fprintf(stderr, "mremap(%s) succeeded, expected %s\n",
			variant_names[v], strerror(want_errno));
		/* Not a leak test failure: go on and measure. */
	}
	/* The faulted page 0 must arrive with its contents. */
	if (v == V_START && dst[0] != 1) {
		fprintf(stderr, "mremap(start): page 0 lost its contents\n");
		return -1;
	}
	return 0;
}

/* One round: map, fault page 0, move part out, unmap.  0 or -1. */
static int one_round(enum variant v)
{
	int flags = MAP_ANONYMOUS | MAP_HUGETLB;
	char *p, *dst, *base;
	int ret = 0;

	flags |= v == V_SHARED ? MAP_SHARED : MAP_PRIVATE;
	if (v == V_NORESERVE)
		flags |= MAP_NORESERVE;

	dst = reserve_hole(&base);
	if (!dst) {
		perror("mmap(hole)");
		return -1;
	}
	p = mmap(NULL, NR_PAGES * hpage, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap(MAP_HUGETLB)");
		munmap(base, 2 * hpage);
		return -1;
	}
	p[0] = 1;

	if (v == V_FORK) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			ret = -1;
			goto out;
		}
		if (pid == 0) {
			/* The child has no reservation map of its own. */
			if (move_part(V_MIDDLE, p, dst))
				_exit(1);
			munmap(p, NR_PAGES * hpage);
			munmap(dst, hpage);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "grandchild failed\n");
			ret = -1;
		}
	}

	if (move_part(v == V_FORK ? V_MIDDLE : v, p, dst))
		ret = -1;
out:
	munmap(p, NR_PAGES * hpage);
	munmap(dst, hpage);
	munmap(base, 2 * hpage);
	return ret;
}

/* Unprivileged part: returns the child's exit status. */
static int child(enum variant v, int loops)
{
	int i;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		printf("SKIP: cannot drop privileges to uid/gid %d: %s\n",
		       NOBODY, strerror(errno));
		return EXIT_SKIP;
	}
	if (getuid() != NOBODY || geteuid() != NOBODY) {
		printf("SKIP: still running as uid %d\n", (int)geteuid());
		return EXIT_SKIP;
	}
	for (i = 0; i < loops; i++) {
		if (one_round(v)) {
			fprintf(stderr, "round %d of %d failed\n", i + 1,
				loops);
			return EXIT_FAIL;
		}
	}
	return EXIT_PASS;
}

/* Can root still map and fault @nr huge pages? */
static int map_all(long nr)
{
	char *p;
	long i;

	if (nr <= 0)
		return 0;
	p = mmap(NULL, nr * hpage, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < nr; i++)
		p[i * hpage] = 1;
	munmap(p, nr * hpage);
	return 0;
}

int main(int argc, char **argv)
{
	enum variant v = V_MIDDLE;
	long rsvd_before, rsvd_after, free_before, avail;
	int loops = 8, status, ret, i;
	pid_t pid;
	long kb;

	if (argc > 1) {
		for (i = 0; i < (int)(sizeof(variant_names) /
				      sizeof(variant_names[0])); i++)
			if (!strcmp(argv[1], variant_names[i]))
				break;
		if (i == (int)(sizeof(variant_names) /
			       sizeof(variant_names[0]))) {
			fprintf(stderr,
				"usage: %s [start|middle|end|shrink|grow|shared|fork|noreserve] [LOOPS]\n",
				argv[0]);
			return EXIT_ERROR;
		}
		v = i;
	}
	if (argc > 2)
		loops = atoi(argv[2]);
	if (loops <= 0) {
		fprintf(stderr, "bad loop count\n");
		return EXIT_ERROR;
	}

	kb = read_meminfo("Hugepagesize");
	free_before = read_meminfo("HugePages_Free");
	rsvd_before = read_meminfo("HugePages_Rsvd");
	if (kb <= 0 || free_before < 0 || rsvd_before < 0) {
		printf("SKIP: no hugetlb support in /proc/meminfo\n");
		return EXIT_SKIP;
	}
	hpage = (size_t)kb * 1024;
	avail = free_before - rsvd_before;
	printf("variant=%s loops=%d hugepagesize=%ldkB free_before=%ld available=%ld\n",
	       variant_names[v], loops, kb, free_before, avail);
	if (avail < NR_PAGES) {
		printf("SKIP: need %d available huge pages, have %ld\n",
		       NR_PAGES, avail);
		return EXIT_SKIP;
	}
	fflush(stdout);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return EXIT_ERROR;
	}
	if (pid == 0)
		_exit(child(v, loops));
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return EXIT_ERROR;
	}
	if (!WIFEXITED(status)) {
		printf("FAIL: child died (status 0x%x)\n", status);
		return EXIT_FAIL;
	}
	if (WEXITSTATUS(status) == EXIT_SKIP)
		return EXIT_SKIP;

	rsvd_after = read_meminfo("HugePages_Rsvd");
	ret = map_all(avail);
	printf("rsvd_before=%ld rsvd_after=%ld leaked=%ld map_all_free=%s\n",
	       rsvd_before, rsvd_after, rsvd_after - rsvd_before,
	       ret ? (ret == -ENOMEM ? "ENOMEM" : strerror(-ret)) : "ok");

	if (WEXITSTATUS(status) != EXIT_PASS) {
		printf("FAIL: %s: the unprivileged child failed\n",
		       variant_names[v]);
		return EXIT_FAIL;
	}
	if (rsvd_after != rsvd_before || ret) {
		printf("FAIL: %s\n", variant_names[v]);
		return EXIT_FAIL;
	}
	printf("PASS: %s\n", variant_names[v]);
	return EXIT_PASS;
}
