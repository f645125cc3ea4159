// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures in the hugetlb reservation paths.
 *
 * Writing K to /proc/thread-self/fail-nth makes the K-th fault injection
 * point this task passes fail; failslab is set up so that every slab
 * allocation, GFP_KERNEL ones included, is such a point.  Each operation
 * below is repeated with K = 1, 2, ... until it completes without an
 * injected failure (a sweep), so every allocation it makes fails once:
 * the file_region descriptors region_chg() preallocates (mmap of a range
 * with holes, page faults, fallocate), the one region_del() needs to split
 * a region (hole punch), resv_map_alloc() at inode creation and at private
 * mmap, and the allocations of their callers (VMAs, maple tree nodes, page
 * table locks, the hugetlb VMA lock, inodes, files, processes).
 *
 * A call that fails must fail with a documented error and change nothing;
 * a page fault may instead return VM_FAULT_OOM, which the fault handler
 * retries, or raise SIGBUS.  After every attempt the huge page counters
 * must match a model of what the test reserved and instantiated, and after
 * every round (files removed, mappings gone) they and the hugetlb cgroup
 * counters must be back at their start values.
 *
 * Two deviations of older kernels (see known_errno() and check_blocks())
 * are failures; -l tolerates them, to run on a kernel without the fixes.
 *
 * After the rounds, every available page goes into one file and a hole
 * punch that needs a region split runs with its allocations failed (see
 * run_full_pool()): with no page free, the reservation of the region
 * region_del() leaves behind must still be restored, exactly.
 *
 * The amount of work is a number of rounds, not a time: each round runs
 * every sweep once (with its own seed), so a slow machine does the same
 * work, only later, and the result does not depend on its speed.  Bigger
 * pages take fewer rounds: 64 MB divided by the page size, 32 at most (2 MB
 * pages) and 4 at least (each variant of a workload at least once).
 *
 * Options: -r N  rounds of all workloads (default 32 with 2 MB pages, about
 *                10000 injected failures; 4 with 1 GB pages)
 *          -t S  give up after S seconds (default: no limit; the runner's
 *                time-out applies)
 *          -l    lenient: report the known deviations as XFAIL
 *          -v    one line per sweep
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "hugetlb_util.h"

/*
 * Huge pages the workloads need at least; each uses one page less, so that
 * a failure is never the pool running out.  run_full_pool() uses them all.
 */
#define MIN_PAGES	8
#define MAX_PAGES	48	/* used at most at a time */
#define SWEEP_SECONDS	120	/* a sweep taking longer hangs, plus: */
#define SWEEP_FAULTS	32	/* the time of this many faults here */
#define MAX_K		4096	/* a sweep failing more often never ends */

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"

/* The debugfs settings the test changes, restored at exit. */
struct knob {
	const char *path;
	const char *val;		/* NULL: changed by the kernel */
	bool required;
	bool saved_ok;
	bool changed;
	char saved[32];
};

static struct knob knobs[] = {
	/* Only fail-nth injects failures, and quietly. */
	{ FAILSLAB "/probability", "0", true },
	{ FAILSLAB "/verbose", "0", true },
	/* GFP_KERNEL allocations are left out by default. */
	{ FAILSLAB "/ignore-gfp-wait", "N", true },
	{ FAILSLAB "/cache-filter", "N", true },
	/* Each injected failure decrements it. */
	{ FAILSLAB "/times", NULL, true },
	/*
	 * Page allocations that may sleep (page tables) stay out: each
	 * failure would print a report with a memory dump on the console.
	 */
	{ FAIL_PAGE_ALLOC "/probability", "0", false },
	{ FAIL_PAGE_ALLOC "/verbose", "0", false },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-wait", "Y", false },
	{ FAIL_PAGE_ALLOC "/times", NULL, false },
};

/* Huge page counters the model expects. */
static struct hugetlb_counters expect;

static int nth_fd = -1;
static pid_t main_pid;
static struct sigaction old_sig[NSIG];

/* Totals of this process (a forked child adds its own to them). */
static long n_injected, n_attempts, n_sigbus, n_survived, n_kept;
static long n_setup_enospc, n_blocks_leak;

/* A hugetlbfs file (or SysV segment) and the state of each page. */
struct hfile {
	int fd;
	char path[PATH_MAX];
	long size;			/* i_size, in huge pages */
	bool region[MAX_PAGES];		/* in the reserve map */
	bool present[MAX_PAGES];	/* in the page cache */
	long blocks_extra;		/* see check_blocks() */
	char *map;			/* shared mapping of [0, map_pages) */
	long map_pages;
};

/* A private mapping. */
struct pmap {
	char *addr;
	long npages;
	bool owner;			/* holds the reservations */
	bool faulted[MAX_PAGES];
	bool mapped[MAX_PAGES];
};

/* Pages of a file reserved one by one, with holes between them. */
struct holes {
	long pages[MAX_PAGES];
	int n;
};

/* One operation and the model of its effect, see sweep(). */
struct sweep {
	const char *name;
	const int *errnos;		/* what a failed call may return */
	int known_errno;		/* also returned, see known_errno() */
	bool touch;			/* a memory access: SIGBUS is allowed */
	int (*prepare)(struct sweep *s);
	long (*call)(struct sweep *s);
	int (*after)(struct sweep *s, long ret, bool fired);
	struct hfile *f;
	struct pmap *m;
	struct holes *h;
	long t[MAX_PAGES];		/* the targets, one per success */
	int nt, it;
	long n, flags;			/* arguments of the call */
	void *p;
	long blocks;
	int id, up[2], down[2];
	pid_t pid;
	long k;
};

static const int e_none[] = { 0 };
static const int e_nomem[] = { ENOMEM, 0 };
static const int e_create[] = { ENOMEM, ENOSPC, 0 };
static const int e_fork[] = { ENOMEM, EAGAIN, 0 };

static struct sweep *cur;
static double deadline;
static int rounds_done;
static bool out_of_time, verbose, strict = true;
static const char *cg_path;	/* our hugetlb cgroup, if there is one */

static int report(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	if (cur)
		printf("%s, K=%ld: ", cur->name, cur->k);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(fmt, ...) report(__FILE__, __LINE__, fmt, ##__VA_ARGS__)

/*
 * The counters are read after every attempt: keep the sysfs files open,
 * opening them costs 20 times more than reading them (under QEMU TCG).
 */
static int counter_fds[4] = { -1, -1, -1, -1 };

static void counters_open(void)
{
	static const char * const names[] = {
		"nr_hugepages", "free_hugepages", "resv_hugepages",
		"surplus_hugepages",
	};
	char path[256];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
			 hpage_size >> 10, names[i]);
		counter_fds[i] = open(path, O_RDONLY);
	}
}

static int read_counters(struct hugetlb_counters *c)
{
	long *val[] = { &c->total, &c->free, &c->rsvd, &c->surp };
	char buf[32];
	ssize_t ret;
	int i;

	for (i = 0; i < 4; i++) {
		ret = pread(counter_fds[i], buf, sizeof(buf) - 1, 0);
		if (ret <= 0)
			return hugetlb_read_counters(c);
		buf[ret] = '\0';
		/* resv_hugepages below zero reads as a huge unsigned value */
		*val[i] = (long)strtoul(buf, NULL, 10);
	}
	return 0;
}

static int counters_ok(const char *file, int line)
{
	struct hugetlb_counters c;

	if (read_counters(&c))
		return report(file, line, "cannot read the counters\n");
	if (!memcmp(&c, &expect, sizeof(c)))
		return 0;
	return report(file, line,
		      "Total/Free/Rsvd/Surp %ld/%ld/%ld/%ld, model %ld/%ld/%ld/%ld\n",
		      c.total, c.free, c.rsvd, c.surp, expect.total,
		      expect.free, expect.rsvd, expect.surp);
}

#define check_counters() counters_ok(__FILE__, __LINE__)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Also used from signal handlers. */
static int read_str(const char *path, char *buf, size_t len)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = read(fd, buf, len - 1);
	close(fd);
	if (ret <= 0)
		return -1;
	buf[ret] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void knobs_restore(void)
{
	int i;

	for (i = ARRAY_SIZE(knobs) - 1; i >= 0; i--) {
		if (!knobs[i].changed)
			continue;
		hugetlb_write_file(knobs[i].path, knobs[i].saved);
		knobs[i].changed = false;
	}
}

static void knobs_restore_atexit(void)
{
	if (getpid() == main_pid)
		knobs_restore();
}

/*
 * The keeper's copy of the saved values: it cannot know what the program
 * changed, and writing back a value that did not change is harmless.
 */
static void knobs_put_back(void)
{
	int i;

	for (i = ARRAY_SIZE(knobs) - 1; i >= 0; i--)
		if (knobs[i].saved_ok)
			hugetlb_write_file(knobs[i].path, knobs[i].saved);
}

/* Before hugetlb_prog_setup() forks the keeper, so that it has them. */
static int knobs_save(char *why, size_t len)
{
	struct knob *kn;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		kn = &knobs[i];
		if (!read_str(kn->path, kn->saved, sizeof(kn->saved))) {
			kn->saved_ok = true;
			continue;
		}
		if (kn->required) {
			snprintf(why, len, "cannot read %s", kn->path);
			return -1;
		}
	}
	return 0;
}

static int knobs_set(char *why, size_t len)
{
	struct knob *kn;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		kn = &knobs[i];
		if (!kn->saved_ok)
			continue;
		if (!kn->val) {
			kn->changed = true;
			continue;
		}
		if (!strcmp(kn->saved, kn->val))
			continue;
		if (hugetlb_write_file(kn->path, kn->val)) {
			snprintf(why, len, "cannot write %s to %s", kn->val,
				 kn->path);
			return -1;
		}
		kn->changed = true;
	}
	return 0;
}

static int nth_open(void)
{
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		nth_fd = open("/proc/self/fail-nth", O_RDWR);
	return nth_fd < 0 ? -1 : 0;
}

/* Make the k-th fault injection point of this task fail. */
static void nth_arm(long k)
{
	char buf[24];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld", k);
	if (pwrite(nth_fd, buf, len, 0) != len)
		ksft_exit_fail_msg("cannot write fail-nth: %s\n",
				   strerror(errno));
}

/* Disarm fail-nth; true if the failure was injected. */
static bool nth_fired(void)
{
	char buf[24];
	ssize_t ret;

	ret = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (ret <= 0)
		ksft_exit_fail_msg("cannot read fail-nth: %s\n",
				   strerror(errno));
	buf[ret] = '\0';
	if (!strtol(buf, NULL, 10))
		return true;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		ksft_exit_fail_msg("cannot write fail-nth: %s\n",
				   strerror(errno));
	return false;
}

/* The alarm of a sweep: what a sweep may take where a fault is slow. */
static unsigned int sweep_seconds(void)
{
	return SWEEP_SECONDS + hugetlb_faults_timeout(SWEEP_FAULTS);
}

static void put_str(const char *s)
{
	if (write(STDOUT_FILENO, s, strlen(s)) < 0)
		return;
}

static void put_num(long val)
{
	char buf[24], *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do {
		*--p = '0' + val % 10;
		val /= 10;
	} while (val && p > buf);
	put_str(p);
}

/* Restore what the test changed, then die as the signal says. */
static void die_on_signal(int sig)
{
	if (nth_fd >= 0 && pwrite(nth_fd, "0", 1, 0) < 0)
		put_str("# cannot disarm fail-nth\n");
	if (getpid() != main_pid)
		_exit(KSFT_FAIL);
	knobs_restore();
	/* hugetlb_prog_setup()'s handler restores the pool settings. */
	if (old_sig[SIGTERM].sa_handler != SIG_DFL &&
	    old_sig[SIGTERM].sa_handler != SIG_IGN) {
		old_sig[SIGTERM].sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A sweep that does not finish: most likely a fault retried forever. */
static void on_alarm(int sig)
{
	put_str("# HANG: ");
	put_str(cur ? cur->name : "?");
	put_str(" still running after ");
	put_num(sweep_seconds());
	put_str(" s, fail-nth K=");
	put_num(cur ? cur->k : 0);
	put_str("\n");
	die_on_signal(sig);
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = die_on_signal;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &old_sig[sigs[i]]);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

static bool errno_allowed(const int *errnos, int err)
{
	for (; *errnos; errnos++)
		if (*errnos == err)
			return true;
	return false;
}

/*
 * hugetlb_file_setup() (memfd_create(MFD_HUGETLB), mmap(MAP_HUGETLB |
 * MAP_ANONYMOUS), shmget(SHM_HUGETLB)) returns -ENOSPC when
 * hugetlbfs_get_inode() fails, also when that is a failed kmalloc() of
 * resv_map_alloc() or of the inode.  Documented for shmget() only.
 */
static int known_errno(struct sweep *s, const char *file, int line)
{
	if (!n_setup_enospc++ || strict)
		report(file, line, "%s from hugetlb_file_setup()%s\n",
		       strerror(s->known_errno),
		       strict ? "" : ", tolerated with -l");
	return strict ? -1 : 0;
}

/*
 * Repeat the call with fail-nth K = 1, 2, ... until it completes without
 * an injected failure, or until after() says no target is left.  A failed
 * call must have had a failure injected and return one of s->errnos; a
 * memory access may also raise SIGBUS.  after() updates the model and
 * undoes what must be undone, then the counters must match the model.
 */
static int sweep(struct sweep *s)
{
	long val, injected = n_injected;
	int ret = -1, res, err;
	double t = now();
	bool fired;

	cur = s;
	alarm(sweep_seconds());
	for (s->k = 1; s->k <= MAX_K; s->k++) {
		if (now() > deadline) {
			out_of_time = true;
			goto out;
		}
		if (s->prepare && s->prepare(s))
			goto out;
		nth_arm(s->k);
		val = s->call(s);
		err = errno;
		fired = nth_fired();
		n_attempts++;
		n_injected += fired;
		if (val == -1) {
			if (!fired) {
				fail("failed without an injected failure: %s\n",
				     strerror(err));
				goto out;
			}
			if (s->known_errno && err == s->known_errno) {
				if (known_errno(s, __FILE__, __LINE__))
					goto out;
			} else if (!errno_allowed(s->errnos, err)) {
				fail("unexpected error %d (%s)\n", err,
				     strerror(err));
				goto out;
			}
		} else if (val == -2) {
			if (!s->touch || !fired) {
				fail("unexpected SIGBUS\n");
				goto out;
			}
			n_sigbus++;
		} else if (fired) {
			n_survived++;
		}
		res = s->after(s, val, fired);
		if (res < 0 || check_counters())
			goto out;
		if (res > 0 || (val >= 0 && !fired))
			break;
	}
	if (s->k > MAX_K) {
		fail("still failing after %d attempts\n", MAX_K);
		goto out;
	}
	ret = 0;
out:
	alarm(0);
	if (verbose)
		ksft_print_msg("%s: K=1..%ld, %ld injected, %.1f ms\n", s->name,
			       s->k, n_injected - injected, (now() - t) * 1000);
	cur = NULL;
	return ret;
}

/* Sweep until every target has been done. */
static int sweep_all(struct sweep *s)
{
	while (s->it < s->nt)
		if (sweep(s))
			return -1;
	return 0;
}

static void add_target(struct sweep *s, long t)
{
	if (s->nt < MAX_PAGES)
		s->t[s->nt++] = t;
}

/* The model of a shared file. */
static void m_reserve(struct hfile *f, long first, long n)
{
	long i;

	for (i = first; i < first + n; i++) {
		if (f->region[i])
			continue;
		f->region[i] = true;
		expect.rsvd++;
	}
	if (first + n > f->size)
		f->size = first + n;
}

static void m_instantiate(struct hfile *f, long i)
{
	if (f->present[i])
		return;
	if (f->region[i])
		expect.rsvd--;
	f->region[i] = true;
	f->present[i] = true;
	expect.free--;
}

static void m_punch(struct hfile *f, long i)
{
	if (!f->present[i])
		return;
	f->present[i] = false;
	f->region[i] = false;
	expect.free++;
}

static void m_truncate(struct hfile *f, long size)
{
	long i;

	for (i = size; i < MAX_PAGES; i++) {
		if (f->present[i])
			expect.free++;
		else if (f->region[i])
			expect.rsvd--;
		f->present[i] = false;
		f->region[i] = false;
	}
	f->size = size;
}

static long m_present(struct hfile *f)
{
	long i, n = 0;

	for (i = 0; i < MAX_PAGES; i++)
		n += f->present[i];
	return n;
}

/*
 * i_blocks counts the pages in the page cache.  When region_del() fails
 * in a hole punch, hugetlb_unreserve_pages() returns before it subtracts
 * the freed page from i_blocks: allowed here, but reported.
 */
static int check_blocks(struct hfile *f)
{
	long blocks = hugetlb_file_pages(f->fd), present = m_present(f);

	if (blocks == present)
		return 0;
	if (f->blocks_extra && blocks == present + f->blocks_extra) {
		if (!n_blocks_leak++ || strict)
			fail("st_blocks counts %ld pages freed when region_del() failed%s\n",
			     f->blocks_extra,
			     strict ? "" : ", tolerated with -l");
		return strict ? -1 : 0;
	}
	return fail("st_blocks says %ld pages, %ld in the page cache\n",
		    blocks, present);
}

/*
 * Every region of a file mapped only with reservations was charged to our
 * cgroup's rsvd counter when it was reserved, and each page to its fault
 * counter when it was faulted in; removing either uncharges it.
 */
static int check_cgroup(struct hfile *f)
{
	long i, regions = 0, present = m_present(f), rsvd, used;

	if (!cg_path)
		return 0;
	for (i = 0; i < MAX_PAGES; i++)
		regions += f->region[i];
	rsvd = hugetlb_cgroup_read(cg_path, "rsvd.current") / hpage_size;
	used = hugetlb_cgroup_read(cg_path, "current") / hpage_size;
	if (rsvd == regions && used == present)
		return 0;
	return fail("cgroup rsvd.current %ld pages, current %ld, model %ld %ld\n",
		    rsvd, used, regions, present);
}

static int file_create(struct hfile *f, struct hugetlb_env *env,
		       const char *name, int round)
{
	char base[64];

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	snprintf(base, sizeof(base), "%s.%d", name, round);
	return hugetlb_env_path(env, base, f->path, sizeof(f->path));
}

/* Unmap, truncate and remove; the model must agree at every step. */
static int file_remove(struct hfile *f)
{
	int ret = 0;

	if (f->map && munmap(f->map, f->map_pages * hpage_size))
		ret = fail("munmap: %s\n", strerror(errno));
	f->map = NULL;
	if (f->fd >= 0) {
		if (ftruncate(f->fd, 0))
			ret = fail("ftruncate: %s\n", strerror(errno));
		m_truncate(f, 0);
		if (check_counters() || check_blocks(f))
			ret = -1;
		close(f->fd);
		f->fd = -1;
	}
	if (f->path[0] == '/')
		unlink(f->path);
	return ret;
}

/* open(O_CREAT) of a hugetlbfs file: resv_map_alloc(), inode, dentry. */
static long call_create(struct sweep *s)
{
	s->f->fd = open(s->f->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	return s->f->fd < 0 ? -1 : 0;
}

static int after_create(struct sweep *s, long ret, bool fired)
{
	/* A failure after the file was linked may leave it behind. */
	if (ret < 0) {
		unlink(s->f->path);
		return 0;
	}
	if (fired) {
		close(s->f->fd);
		s->f->fd = -1;
		unlink(s->f->path);
	}
	return 0;
}

static int sweep_create(struct hfile *f)
{
	struct sweep s = {
		.name = "open(O_CREAT)", .errnos = e_create,
		.call = call_create, .after = after_create, .f = f,
	};

	return sweep(&s);
}

/* mmap(MAP_SHARED) of [t, t + n): region_chg() for each hole. */
static long call_map_shared(struct sweep *s)
{
	s->p = hugetlb_map(s->f->fd, s->n, s->t[s->it], PROT_RW,
			   MAP_SHARED | s->flags);
	return s->p == MAP_FAILED ? -1 : 0;
}

static void model_map_shared(struct sweep *s)
{
	if (s->flags & MAP_NORESERVE) {
		if (s->t[s->it] + s->n > s->f->size)
			s->f->size = s->t[s->it] + s->n;
	} else {
		m_reserve(s->f, s->t[s->it], s->n);
	}
}

/* Reservations of a shared mapping stay with the file after munmap. */
static int after_map_unmap(struct sweep *s, long ret, bool fired)
{
	if (ret < 0)
		return 0;
	model_map_shared(s);
	if (munmap(s->p, s->n * hpage_size))
		return fail("munmap: %s\n", strerror(errno));
	return ++s->it == s->nt;
}

static int reserve_pages(struct hfile *f, const long *pages, int n)
{
	struct sweep s = {
		.name = "mmap(MAP_SHARED) of one page",
		.errnos = e_nomem, .call = call_map_shared,
		.after = after_map_unmap, .f = f, .n = 1,
	};
	int i;

	for (i = 0; i < n; i++)
		add_target(&s, pages[i]);
	return sweep_all(&s);
}

/* Reserve single pages again, without failures, after a truncation. */
static int rebuild(struct hfile *f, const long *pages, int n)
{
	void *p;
	int i;

	if (ftruncate(f->fd, 0))
		return fail("ftruncate: %s\n", strerror(errno));
	m_truncate(f, 0);
	for (i = 0; i < n; i++) {
		p = hugetlb_map(f->fd, 1, pages[i], PROT_RW, MAP_SHARED);
		if (p == MAP_FAILED)
			return fail("mmap: %s\n", strerror(errno));
		munmap(p, hpage_size);
		m_reserve(f, pages[i], 1);
	}
	return check_counters();
}

/*
 * The mapping of the whole range: one region_chg() allocation per hole.
 * A success after an injected failure (of the VMA lock, which is only
 * warned about) fills the holes: make them again for the next attempt.
 */
static int after_map_keep(struct sweep *s, long ret, bool fired)
{
	if (ret < 0)
		return 0;
	model_map_shared(s);
	if (!fired) {
		s->f->map = s->p;
		s->f->map_pages = s->n;
		return ++s->it == s->nt;
	}
	if (munmap(s->p, s->n * hpage_size))
		return fail("munmap: %s\n", strerror(errno));
	if (!s->h)
		return 0;
	return rebuild(s->f, s->h->pages, s->h->n);
}

static int map_file(struct hfile *f, long n, long flags, struct holes *h)
{
	struct sweep s = {
		.name = "mmap(MAP_SHARED) of the file", .errnos = e_nomem,
		.call = call_map_shared, .after = after_map_keep, .f = f,
		.n = n, .flags = flags, .h = h,
	};

	if (flags & MAP_NORESERVE)
		s.name = "mmap(MAP_SHARED | MAP_NORESERVE) of the file";
	add_target(&s, 0);
	return sweep_all(&s);
}

/* A fault of a page of the file's shared mapping. */
static long call_touch_file(struct sweep *s)
{
	char *addr = s->f->map + s->t[s->it] * hpage_size;

	return hugetlb_touch(addr, s->flags) ? -2 : 0;
}

/*
 * A fault that returned VM_FAULT_OOM was retried and instantiated the page;
 * after SIGBUS the page must not be there: the next attempt touches it
 * again.
 */
static int after_touch_file(struct sweep *s, long ret, bool fired)
{
	if (ret < 0)
		return 0;
	m_instantiate(s->f, s->t[s->it]);
	return ++s->it == s->nt;
}

static int touch_file(struct hfile *f, const long *pages, int n)
{
	struct sweep s = {
		.name = "fault of a shared page", .touch = true,
		.errnos = e_none, .call = call_touch_file,
		.after = after_touch_file, .f = f,
	};
	int i;

	for (i = 0; i < n; i++)
		add_target(&s, pages[i]);
	for (i = 0; s.it < s.nt; i++) {
		s.flags = i & 1;
		if (sweep(&s))
			return -1;
	}
	return 0;
}

/* FALLOC_FL_PUNCH_HOLE of one page: region_del() may split a region. */
static long call_punch(struct sweep *s)
{
	return hugetlb_punch(s->f->fd, s->t[s->it], 1);
}

/*
 * If region_del() cannot allocate, the page is freed but its region is
 * left: hugetlb_fix_reserve_counts() makes that a reservation.
 */
static int after_punch(struct sweep *s, long ret, bool fired)
{
	struct hugetlb_counters c;
	long i = s->t[s->it];

	if (ret < 0)
		return 0;
	m_punch(s->f, i);
	if (read_counters(&c))
		return fail("cannot read counters\n");
	if (fired && c.rsvd == expect.rsvd + 1 && c.free == expect.free) {
		s->f->region[i] = true;
		expect.rsvd++;
		s->f->blocks_extra++;
		n_kept++;
	}
	if (check_counters() || check_blocks(s->f))
		return -1;
	return ++s->it == s->nt;
}

static int punch_pages(struct hfile *f, const long *pages, int n)
{
	struct sweep s = {
		.name = "fallocate(PUNCH_HOLE)", .errnos = e_none,
		.call = call_punch, .after = after_punch, .f = f,
	};
	int i;

	for (i = 0; i < n; i++)
		add_target(&s, pages[i]);
	return sweep_all(&s);
}

/* fallocate() of [t, t + n), page by page in ascending order. */
static int prepare_falloc(struct sweep *s)
{
	s->blocks = hugetlb_file_pages(s->f->fd);
	return 0;
}

static long call_falloc(struct sweep *s)
{
	return hugetlb_falloc(s->f->fd, s->flags, s->t[s->it], s->n);
}

/*
 * A failed fallocate() keeps the pages it allocated before the failure;
 * punch them out again so that the next attempt starts from the same
 * state.  So does a success after an injected failure.
 */
static int after_falloc(struct sweep *s, long ret, bool fired)
{
	long first = s->t[s->it], i, n, done[MAX_PAGES], ndone = 0;

	n = hugetlb_file_pages(s->f->fd) - s->blocks;
	for (i = first; i < first + s->n && ndone < n; i++) {
		if (s->f->present[i])
			continue;
		m_instantiate(s->f, i);
		done[ndone++] = i;
	}
	if (ret == 0 && !(s->flags & FALLOC_FL_KEEP_SIZE) &&
	    first + s->n > s->f->size)
		s->f->size = first + s->n;
	if (check_counters())
		return -1;
	if (ret == 0 && !fired)
		return ++s->it == s->nt;
	for (i = 0; i < ndone; i++) {
		if (hugetlb_punch(s->f->fd, done[i], 1))
			return fail("punch: %s\n", strerror(errno));
		m_punch(s->f, done[i]);
	}
	return 0;
}

static int falloc_range(struct hfile *f, long first, long n, int mode)
{
	struct sweep s = {
		.name = "fallocate()", .errnos = e_nomem,
		.prepare = prepare_falloc, .call = call_falloc,
		.after = after_falloc, .f = f, .n = n, .flags = mode,
	};

	add_target(&s, first);
	return sweep_all(&s);
}

/* ftruncate(): region_del(LONG_MAX) never allocates. */
static long call_truncate(struct sweep *s)
{
	return hugetlb_truncate(s->f->fd, s->t[s->it]);
}

static int after_truncate(struct sweep *s, long ret, bool fired)
{
	if (ret < 0)
		return 0;
	if (s->t[s->it] < s->f->size)
		m_truncate(s->f, s->t[s->it]);
	else
		s->f->size = s->t[s->it];
	if (check_counters() || check_blocks(s->f))
		return -1;
	return ++s->it == s->nt;
}

static int truncate_file(struct hfile *f, long size)
{
	struct sweep s = {
		.name = "ftruncate()", .errnos = e_none,
		.call = call_truncate, .after = after_truncate, .f = f,
	};

	add_target(&s, size);
	return sweep_all(&s);
}

/* munmap() of one page in the middle of a mapping: a VMA split. */
static long call_unmap_page(struct sweep *s)
{
	char *base = s->m ? s->m->addr : s->f->map;

	return munmap(base + s->t[s->it] * hpage_size, hpage_size);
}

static int after_unmap_page(struct sweep *s, long ret, bool fired)
{
	struct pmap *m = s->m;
	long i = s->t[s->it];

	if (ret < 0)
		return 0;
	if (m && m->mapped[i] && m->owner) {
		if (m->faulted[i])
			expect.free++;
		else
			expect.rsvd--;
	}
	if (m)
		m->mapped[i] = false;
	return ++s->it == s->nt;
}

static int unmap_pages(struct hfile *f, struct pmap *m, const long *pages,
		       int n)
{
	struct sweep s = {
		.name = "munmap() of one page", .errnos = e_nomem,
		.call = call_unmap_page, .after = after_unmap_page,
		.f = f, .m = m,
	};
	int i;

	for (i = 0; i < n; i++)
		add_target(&s, pages[i]);
	return sweep_all(&s);
}

/*
 * Shared file: single pages reserved with holes of one, two and three
 * pages between them, then the whole range mapped (one region_chg()
 * allocation per hole), pages faulted, punched out of the middle of a
 * region (a split), unmapped, and the file truncated.
 */
static int wl_shared(struct hugetlb_env *env, int round, long avail)
{
	static const int steps[] = { 2, 3, 4 };
	long span = avail - 1 < MAX_PAGES ? avail - 1 : MAX_PAGES;
	long mids[MAX_PAGES], cut[2] = { 1, span / 2 + 1 }, p;
	struct holes h;
	int nmids, i, pass;
	struct hfile f;

	if (file_create(&f, env, "shared", round))
		return fail("path too long\n");
	if (sweep_create(&f))
		return -1;
	if (f.fd < 0)
		return fail("no file after the sweep\n");

	/* Holes of one, two and three pages, in a different order each pass. */
	for (pass = 0; pass < 3; pass++) {
		h.n = 0;
		nmids = 0;
		for (p = (round + pass) % 2, i = pass; p < span;
		     p += steps[i++ % 3]) {
			h.pages[h.n++] = p;
			if (steps[i % 3] == 4 && p + 2 < span)
				mids[nmids++] = p + 2;
		}
		if (reserve_pages(&f, h.pages, h.n) ||
		    map_file(&f, span, 0, &h) || check_cgroup(&f))
			goto err;
		if (pass == 2)
			break;
		if (munmap(f.map, span * hpage_size)) {
			fail("munmap: %s\n", strerror(errno));
			goto err;
		}
		f.map = NULL;
		if (truncate_file(&f, 0))
			goto err;
	}
	if (touch_file(&f, mids, nmids) || check_cgroup(&f) ||
	    punch_pages(&f, mids, nmids) || check_cgroup(&f) ||
	    unmap_pages(&f, NULL, cut, 2) ||
	    truncate_file(&f, span / 2) || check_cgroup(&f))
		goto err;
	return file_remove(&f);
err:
	file_remove(&f);
	return -1;
}

/* Private mappings: mmap() allocates the resv_map. */
static long call_map_private(struct sweep *s)
{
	if (s->f)
		s->p = hugetlb_map(s->f->fd, s->n, 0, PROT_RW, MAP_PRIVATE);
	else
		s->p = hugetlb_map_anon(s->n, MAP_PRIVATE);
	return s->p == MAP_FAILED ? -1 : 0;
}

static int after_map_private(struct sweep *s, long ret, bool fired)
{
	struct pmap *m = s->m;
	long i;

	if (ret < 0)
		return 0;
	expect.rsvd += s->n;
	if (fired) {
		if (check_counters())
			return -1;
		if (munmap(s->p, s->n * hpage_size))
			return fail("munmap: %s\n", strerror(errno));
		expect.rsvd -= s->n;
		return 0;
	}
	memset(m, 0, sizeof(*m));
	m->addr = s->p;
	m->npages = s->n;
	m->owner = true;
	for (i = 0; i < s->n; i++)
		m->mapped[i] = true;
	return 1;
}

static int map_private(struct hfile *f, struct pmap *m, long n)
{
	struct sweep s = {
		.name = "mmap(MAP_PRIVATE) of the file", .errnos = e_nomem,
		.call = call_map_private, .after = after_map_private,
		.f = f, .m = m, .n = n,
	};

	if (!f) {
		s.name = "mmap(MAP_PRIVATE | MAP_HUGETLB | MAP_ANONYMOUS)";
		s.known_errno = ENOSPC;
	}
	return sweep(&s);
}

/*
 * A fault of a private page: region_chg() adds a region per page, and a
 * write checks for a COW reservation first.  The owner consumes its
 * reservation, others (a child after fork) take a free page.
 */
static long call_touch_private(struct sweep *s)
{
	return hugetlb_touch(s->m->addr + s->t[s->it] * hpage_size,
			     s->flags) ? -2 : 0;
}

static int after_touch_private(struct sweep *s, long ret, bool fired)
{
	struct pmap *m = s->m;
	long i = s->t[s->it];

	if (ret < 0)
		return 0;
	if (!m->owner) {
		expect.free--;
	} else if (!m->faulted[i]) {
		expect.free--;
		expect.rsvd--;
	}
	m->faulted[i] = true;
	return ++s->it == s->nt;
}

static int touch_private(struct pmap *m, const long *pages, int n,
			 bool write)
{
	struct sweep s = {
		.name = "fault of a private page", .touch = true,
		.errnos = e_none, .call = call_touch_private,
		.after = after_touch_private, .m = m, .flags = write,
	};
	int i;

	for (i = 0; i < n; i++)
		add_target(&s, pages[i]);
	return sweep_all(&s);
}

static void unmap_private(struct pmap *m)
{
	long i;

	if (!m->addr)
		return;
	munmap(m->addr, m->npages * hpage_size);
	for (i = 0; i < m->npages; i++) {
		if (!m->mapped[i] || !m->owner)
			continue;
		if (m->faulted[i])
			expect.free++;
		else
			expect.rsvd--;
	}
	m->addr = NULL;
}

struct child_stats {
	long injected, attempts, sigbus, survived, enospc;
	int bad;
};

/*
 * The child of fork() has no reservations: it COWs a page of the parent's
 * private mapping, faults one the parent did not, then makes a private
 * mapping of its own.
 */
static int child_main(struct pmap *parent, int wfd, int rfd)
{
	struct child_stats st = {
		.injected = n_injected, .attempts = n_attempts,
		.sigbus = n_sigbus, .survived = n_survived,
		.enospc = n_setup_enospc,
	};
	struct pmap own;
	long page = 0;
	long cow = -1, fresh = -1, i;
	int bad = 0;
	char go = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Only the child of a fork() without injected failure does more. */
	if (read(rfd, &go, 1) != 1 || !go)
		return 0;
	close(nth_fd);
	if (nth_open())
		bad = fail("child: cannot open fail-nth\n");
	parent->owner = false;
	for (i = 0; i < parent->npages; i++) {
		if (!parent->mapped[i])
			continue;
		if (parent->faulted[i] && cow < 0)
			cow = i;
		if (!parent->faulted[i] && fresh < 0)
			fresh = i;
	}
	if (!bad && cow >= 0 && touch_private(parent, &cow, 1, true))
		bad = 1;
	if (!bad && fresh >= 0 && touch_private(parent, &fresh, 1, false))
		bad = 1;
	memset(&own, 0, sizeof(own));
	if (!bad && (map_private(NULL, &own, 1) ||
		     touch_private(&own, &page, 1, true)))
		bad = 1;

	st.injected = n_injected - st.injected;
	st.attempts = n_attempts - st.attempts;
	st.sigbus = n_sigbus - st.sigbus;
	st.survived = n_survived - st.survived;
	st.enospc = n_setup_enospc - st.enospc;
	st.bad = bad;
	if (write(wfd, &st, sizeof(st)) != sizeof(st))
		bad = 1;
	fflush(stdout);
	return bad;
}

static int prepare_fork(struct sweep *s)
{
	if (pipe(s->up))
		return fail("pipe: %s\n", strerror(errno));
	if (pipe(s->down)) {
		close(s->up[0]);
		close(s->up[1]);
		return fail("pipe: %s\n", strerror(errno));
	}
	fflush(stdout);
	return 0;
}

static long call_fork(struct sweep *s)
{
	s->pid = fork();
	if (!s->pid)
		_exit(child_main(s->m, s->up[1], s->down[0]));
	return s->pid < 0 ? -1 : 0;
}

static int after_fork(struct sweep *s, long ret, bool fired)
{
	struct child_stats st;
	int status, res = 0;
	char go = !fired;

	close(s->up[1]);
	close(s->down[0]);
	if (ret == 0 && write(s->down[1], &go, 1) != 1)
		res = fail("cannot write to the child\n");
	close(s->down[1]);
	memset(&st, 0, sizeof(st));
	if (ret == 0 && go &&
	    read(s->up[0], &st, sizeof(st)) != sizeof(st))
		res = fail("no result from the child\n");
	close(s->up[0]);
	if (ret < 0)
		return 0;
	if (waitpid(s->pid, &status, 0) != s->pid)
		return fail("waitpid: %s\n", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) || st.bad)
		return fail("child failed, status %#x\n", status);
	n_injected += st.injected;
	n_attempts += st.attempts;
	n_sigbus += st.sigbus;
	n_survived += st.survived;
	n_setup_enospc += st.enospc;
	return res;
}

static int fork_child(struct pmap *m)
{
	struct sweep s = {
		.name = "fork()", .errnos = e_fork, .prepare = prepare_fork,
		.call = call_fork, .after = after_fork, .m = m,
	};

	return sweep(&s);
}

/*
 * Private mappings of a file and anonymous ones: mmap() (resv_map_alloc()),
 * faults (a region per page), munmap() of single pages (VMA splits, the
 * reservation of an unfaulted page goes), fork() and the child's faults.
 * Two mappings of 4 to 6 pages, of 4 where fewer than 16 pages are
 * available; at the fork() the parent holds 4 pages and the child takes 3.
 */
static int wl_private(struct hugetlb_env *env, int round, long avail)
{
	long n = avail >= 16 ? 4 + round % 3 : 4, cut[2] = { 1, n - 1 };
	long faults[3] = { 0, 1, 2 + round % 2 };
	struct pmap m1 = { 0 }, m2 = { 0 };
	struct hfile f;
	int ret = -1;

	if (file_create(&f, env, "private", round))
		return fail("path too long\n");
	if (sweep_create(&f))
		return -1;
	if (f.fd < 0)
		return fail("no file after the sweep\n");
	if (map_private(&f, &m1, n) || map_private(NULL, &m2, n))
		goto out;
	/* In odd rounds page 2 of m1 is left for the child to fault. */
	if (touch_private(&m1, faults, 3, round & 1) ||
	    touch_private(&m2, faults, 2, !(round & 1)) ||
	    unmap_pages(NULL, &m1, cut, 2) ||
	    unmap_pages(NULL, &m2, cut, 2) ||
	    (round % 3 == 0 && fork_child(&m1)))
		goto out;
	ret = 0;
out:
	unmap_private(&m1);
	unmap_private(&m2);
	if (check_counters())
		ret = -1;
	if (file_remove(&f))
		ret = -1;
	return ret;
}

/*
 * fallocate() of single pages [0,1) [2,3) [4,5), then of [0,5) and of a
 * range with reservations, hole punch and ftruncate() of a mapped file.
 */
static int wl_falloc(struct hugetlb_env *env, int round)
{
	static const long singles[] = { 0, 2, 4 }, punch[] = { 1, 2, 3 };
	long faults[2] = { 5, 6 };
	int keep = round & 1 ? FALLOC_FL_KEEP_SIZE : 0;
	struct hfile f;
	size_t i;

	if (file_create(&f, env, "falloc", round))
		return fail("path too long\n");
	if (sweep_create(&f))
		return -1;
	if (f.fd < 0)
		return fail("no file after the sweep\n");
	for (i = 0; i < ARRAY_SIZE(singles); i++)
		if (falloc_range(&f, singles[i], 1, i & 1 ? 0 : keep))
			goto err;
	if (falloc_range(&f, 0, 5, keep) ||
	    map_file(&f, 7, 0, NULL) ||
	    touch_file(&f, faults, 2) ||
	    punch_pages(&f, punch, ARRAY_SIZE(punch)) ||
	    falloc_range(&f, 0, 7, FALLOC_FL_KEEP_SIZE) ||
	    truncate_file(&f, 3) ||
	    truncate_file(&f, 7))
		goto err;
	return file_remove(&f);
err:
	file_remove(&f);
	return -1;
}

/* memfd_create(MFD_HUGETLB): hugetlb_file_setup() allocates the resv_map. */
static long call_memfd(struct sweep *s)
{
	s->f->fd = memfd_create("hugetlb_fault_inject", MFD_HUGETLB);
	return s->f->fd < 0 ? -1 : 0;
}

static int after_memfd(struct sweep *s, long ret, bool fired)
{
	if (ret == 0 && fired) {
		close(s->f->fd);
		s->f->fd = -1;
	}
	return 0;
}

/*
 * A memfd, sized with ftruncate(), mapped shared with and without a
 * reservation, faulted, punched (region splits) and closed while still
 * mapped.
 */
static int wl_memfd(int round)
{
	long faults[] = { 1, 3, 6, 7 }, punch[] = { 1, 3 }, cut = 2;
	struct hfile f;
	struct sweep s = {
		.name = "memfd_create(MFD_HUGETLB)", .errnos = e_nomem,
		.known_errno = ENOSPC, .call = call_memfd,
		.after = after_memfd, .f = &f,
	};
	char *resv;

	memset(&f, 0, sizeof(f));
	f.fd = -1;
	if (sweep(&s))
		return -1;
	if (f.fd < 0)
		return fail("no memfd after the sweep\n");
	snprintf(f.path, sizeof(f.path), "memfd");
	if (truncate_file(&f, 10) || map_file(&f, 5, 0, NULL))
		goto err;
	resv = f.map;
	f.map = NULL;
	if (map_file(&f, 10, MAP_NORESERVE, NULL))
		goto err_resv;
	if (touch_file(&f, faults, ARRAY_SIZE(faults)) ||
	    punch_pages(&f, punch, ARRAY_SIZE(punch)) ||
	    unmap_pages(&f, NULL, &cut, 1))
		goto err_resv;
	munmap(resv, 5 * hpage_size);
	return file_remove(&f);
err_resv:
	munmap(resv, 5 * hpage_size);
err:
	file_remove(&f);
	return -1;
}

/* shmget(SHM_HUGETLB) reserves the whole segment. */
static long call_shmget(struct sweep *s)
{
	s->id = shmget(IPC_PRIVATE, s->n * hpage_size,
		       SHM_HUGETLB | IPC_CREAT | 0600);
	return s->id < 0 ? -1 : 0;
}

static int after_shmget(struct sweep *s, long ret, bool fired)
{
	if (ret < 0)
		return 0;
	m_reserve(s->f, 0, s->n);
	if (!fired)
		return 1;
	if (shmctl(s->id, IPC_RMID, NULL))
		return fail("IPC_RMID: %s\n", strerror(errno));
	m_truncate(s->f, 0);
	return 0;
}

/* A SysV segment: created, attached, faulted, removed. */
static int wl_shm(int round)
{
	long n = 3 + round % 4, pages[MAX_PAGES], i;
	struct hfile f;
	struct sweep s = {
		.name = "shmget(SHM_HUGETLB)", .errnos = e_create,
		.call = call_shmget, .after = after_shmget, .f = &f, .n = n,
		.id = -1,
	};
	int ret = -1;

	memset(&f, 0, sizeof(f));
	f.fd = -1;
	if (sweep(&s)) {
		if (s.id >= 0)
			shmctl(s.id, IPC_RMID, NULL);
		return -1;
	}
	f.map = shmat(s.id, NULL, 0);
	if (f.map == (void *)-1) {
		fail("shmat: %s\n", strerror(errno));
		f.map = NULL;
		goto out;
	}
	for (i = 0; i < n; i++)
		pages[i] = i;
	if (touch_file(&f, pages, n))
		goto out;
	ret = 0;
out:
	if (f.map)
		shmdt(f.map);
	shmctl(s.id, IPC_RMID, NULL);
	m_truncate(&f, 0);
	if (check_counters())
		ret = -1;
	return ret;
}

struct workload {
	const char *name;
	bool failed;
	long injected;
	double seconds;
};

static struct workload wls[] = {
	{ "shared file, reservations with holes" },
	{ "private mappings and fork" },
	{ "fallocate, hole punch, ftruncate" },
	{ "memfd_create(MFD_HUGETLB)" },
	{ "shmget(SHM_HUGETLB)" },
};

static int run_workload(int i, struct hugetlb_env *env, int round,
			long avail)
{
	switch (i) {
	case 0:
		return wl_shared(env, round, avail);
	case 1:
		return wl_private(env, round, avail);
	case 2:
		return wl_falloc(env, round);
	case 3:
		return wl_memfd(round);
	default:
		return wl_shm(round);
	}
}

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Mappings of hugetlbfs files: ours, anonymous, memfd and SysV ones. */
static int count_hugetlb_vmas(struct hugetlb_env *env)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, env->mnt) || strstr(line, "anon_hugepage") ||
		     strstr(line, "memfd:hugetlb") || strstr(line, "SYSV");
	fclose(f);
	return n;
}

/*
 * Everything is gone: the counters must be back at their start values,
 * with no mapping or file descriptor left.
 */
static int check_clean(struct hugetlb_env *env, int fds)
{
	int ret = 0, n;
	long r, c;

	if (hugetlb_check_delta(&env->base, 0, 0, 0, 0, __LINE__))
		ret = fail("counters differ from the start values\n");
	if (cg_path) {
		r = hugetlb_cgroup_read(cg_path, "rsvd.current");
		c = hugetlb_cgroup_read(cg_path, "current");
		if (r || c)
			ret = fail("cgroup rsvd.current %ld current %ld\n",
				   r, c);
	}
	n = count_hugetlb_vmas(env);
	if (n)
		ret = fail("%d hugetlb mappings left\n", n);
	n = count_fds();
	if (n != fds)
		ret = fail("%d file descriptors open, %d at the start\n", n,
			   fds);
	return ret;
}

/* Check that a GFP_KERNEL slab allocation fails when asked to. */
static int nth_works(void)
{
	bool fired;
	int fd, err;

	nth_arm(1);
	fd = open("/", O_RDONLY);
	err = errno;
	fired = nth_fired();
	if (fd >= 0)
		close(fd);
	if (fd >= 0 || !fired || err != ENOMEM) {
		ksft_print_msg("open() with fail-nth 1: fd %d, %s, %s\n", fd,
			       strerror(err), fired ? "injected" : "not injected");
		return 0;
	}
	return 1;
}

/* A known deviation: a failure, unless -l is given. */
static void known_result(long n, const char *ok, const char *what)
{
	if (!n)
		ksft_test_result_pass("%s\n", ok);
	else if (strict)
		ksft_test_result_fail("%s: %ld\n", what, n);
	else
		ksft_test_result_xfail("%s: %ld\n", what, n);
}

/* Skip, before the plan, unless fail-nth can fail slab allocations. */
static void setup_injection(void)
{
	char why[256];

	if (access("/proc/self/fail-nth", W_OK))
		hugetlb_prog_skip("no /proc/self/fail-nth: needs CONFIG_FAULT_INJECTION=y\n");
	/* Not root: debugfs is closed, hugetlb_prog_setup() skips. */
	if (!geteuid()) {
		if (access(FAILSLAB, F_OK))
			hugetlb_prog_skip("no %s: needs CONFIG_FAILSLAB=y, debugfs mounted\n",
					  FAILSLAB);
		if (knobs_save(why, sizeof(why)))
			hugetlb_prog_skip("%s\n", why);
		hugetlb_keeper_on_exit(knobs_put_back);
	}
	hugetlb_prog_setup(MIN_PAGES);
	main_pid = getpid();
	if (nth_open())
		hugetlb_prog_skip("cannot open fail-nth: %s\n", strerror(errno));
	install_handlers();
	atexit(knobs_restore_atexit);
	if (knobs_set(why, sizeof(why)))
		hugetlb_prog_skip("%s\n", why);
	if (!nth_works())
		hugetlb_prog_skip("fail-nth does not fail GFP_KERNEL slab allocations\n");
}

/*
 * The whole pool in use, then a hole punch whose region_del() cannot
 * allocate the descriptor that splits the file's one region [0, n): the
 * page is freed but its region stays, and hugetlb_fix_reserve_counts()
 * must make that region a reservation again.  It used to do so while the
 * punched folio was still held by the hole punch's folio batch, when no
 * page was free to reserve: HugePages_Rsvd then went to -1 at the next
 * fault of the punched page or when the file went.
 */
struct full_file {
	int fd;
	char path[PATH_MAX];
	char *map;
	long n;				/* every available page */
	struct hugetlb_counters start;	/* before the file */
	struct hugetlb_counters used;	/* all n pages in the page cache */
};

static int full_check(struct full_file *fp, long dfree, long drsvd,
		      const char *what)
{
	struct hugetlb_counters c;

	if (read_counters(&c))
		return fail("cannot read the counters\n");
	if (c.total == fp->used.total && c.free == fp->used.free + dfree &&
	    c.rsvd == fp->used.rsvd + drsvd && c.surp == fp->used.surp)
		return 0;
	return fail("%s: Total/Free/Rsvd/Surp %ld/%ld/%ld/%ld, expected %ld/%ld/%ld/%ld\n",
		    what, c.total, c.free, c.rsvd, c.surp, fp->used.total,
		    fp->used.free + dfree, fp->used.rsvd + drsvd,
		    fp->used.surp);
}

/* A file of every available page, one reservation, all pages faulted. */
static int full_setup(struct full_file *fp, struct hugetlb_env *env,
		      const char *name)
{
	long done;

	memset(fp, 0, sizeof(*fp));
	fp->fd = -1;
	if (read_counters(&fp->start))
		return fail("cannot read the counters\n");
	fp->n = fp->start.free - fp->start.rsvd;
	if (fp->n < 3)
		return fail("%ld huge pages available, 3 needed\n", fp->n);
	if (hugetlb_env_path(env, name, fp->path, sizeof(fp->path)))
		return fail("path too long\n");
	fp->fd = open(fp->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fp->fd < 0)
		return fail("open: %s\n", strerror(errno));
	fp->map = hugetlb_map(fp->fd, fp->n, 0, PROT_RW, MAP_SHARED);
	if (fp->map == MAP_FAILED) {
		fp->map = NULL;
		return fail("mmap of %ld pages: %s\n", fp->n, strerror(errno));
	}
	done = hugetlb_touch_pages(fp->map, 0, fp->n, true);
	if (done != fp->n)
		return fail("%ld of %ld pages faulted in\n", done, fp->n);
	fp->used = fp->start;
	fp->used.free -= fp->n;
	return full_check(fp, 0, 0, "every page in use");
}

/* Unmap, close, unlink: the counters must be back at their start. */
static int full_remove(struct full_file *fp)
{
	struct hugetlb_counters c;
	int ret = 0;

	if (fp->map && munmap(fp->map, fp->n * hpage_size))
		ret = fail("munmap: %s\n", strerror(errno));
	fp->map = NULL;
	if (fp->fd >= 0)
		close(fp->fd);
	fp->fd = -1;
	if (fp->path[0] == '/' && unlink(fp->path))
		ret = fail("unlink: %s\n", strerror(errno));
	if (read_counters(&c))
		return fail("cannot read the counters\n");
	ksft_print_msg("before the file: Total/Free/Rsvd/Surp %ld/%ld/%ld/%ld\n",
		       fp->start.total, fp->start.free, fp->start.rsvd,
		       fp->start.surp);
	ksft_print_msg("file removed:    Total/Free/Rsvd/Surp %ld/%ld/%ld/%ld\n",
		       c.total, c.free, c.rsvd, c.surp);
	if (memcmp(&c, &fp->start, sizeof(c)))
		ret = fail("counters not back after the file was removed\n");
	return ret;
}

/* Punch page t with fail-nth k; -1 on error, else whether it fired. */
static int full_punch(struct full_file *fp, long t, long k)
{
	bool fired;
	int ret, err;

	nth_arm(k);
	ret = hugetlb_punch(fp->fd, t, 1);
	err = errno;
	fired = nth_fired();
	if (ret)
		return fail("punch with fail-nth %ld: %s\n", k, strerror(err));
	return fired;
}

/*
 * Punch page 2J + 1 at step J = 0, 1, ...: inside the part of [0, n) no
 * punch has touched, so that region_del() must split a region whether the
 * kernel merges re-faulted pages back into it or not.  The first splits
 * take their descriptors from the reserve map's cache; after that the
 * punches are a fail-nth sweep (K = 1, 2, ... until no failure is
 * injected, then K = 1 again), and the punched page is faulted in again
 * after each: from the reservation when the region was kept, otherwise
 * from the free page; no SIGBUS either way.  The run ends with the sweep
 * that kept a region.  *keep_step: the first step whose punch kept its
 * region (or, on a kernel that lost its reservation, whose fault found
 * the counters wrong).
 *
 * With stop_at >= 0 the same steps run again up to step stop_at, whose
 * punch must keep its region, and the file goes right after it.
 */
static int full_pool_run(struct hugetlb_env *env, long stop_at, long *kept,
			 long *keep_step)
{
	struct hugetlb_counters c;
	struct full_file fp;
	int ret = -1, fired;
	long j, k = 1, t = 0;
	bool is_kept;

	if (full_setup(&fp, env, stop_at < 0 ? "full_pool_fault" :
					       "full_pool_remove"))
		goto out;
	ksft_print_msg("%ld huge pages in use, hole punches with fail-nth%s\n",
		       fp.n, stop_at < 0 ? "" : ", file removed after the last");
	for (j = 0; (t = 2 * j + 1) + 2 <= fp.n; j++) {
		fired = full_punch(&fp, t, k);
		if (fired < 0 || read_counters(&c))
			goto out;
		ksft_print_msg("fail-nth %ld, page %ld: %s, Free %ld Rsvd %ld\n",
			       k, t, fired ? "injected" : "not injected",
			       c.free, c.rsvd);
		/* The page is free; its region stays if region_del() failed. */
		is_kept = fired && c.rsvd == fp.used.rsvd + 1;
		if (j == stop_at) {
			if (!full_check(&fp, 1, 1, "punch that kept the region"))
				ret = 0;
			goto out;
		}
		if (is_kept) {
			if (!*kept)
				*keep_step = j;
			++*kept;
			if (full_check(&fp, 1, 1, "punch that kept the region"))
				goto out;
		} else if (full_check(&fp, 1, 0, "punch")) {
			goto out;
		}
		if (hugetlb_touch(fp.map + t * hpage_size, true)) {
			fail("SIGBUS at the punched page %ld\n", t);
			goto out;
		}
		if (full_check(&fp, 0, 0, "fault of the punched page")) {
			if (fired && *keep_step < 0)
				*keep_step = j;
			ksft_print_msg("the punch of page %ld lost the reservation of its region\n",
				       t);
			goto out;
		}
		if (*kept && !fired) {
			ret = 0;
			goto out;
		}
		k = fired ? k + 1 : 1;
	}
	fail("no punch kept its region in %ld punches\n", j);
out:
	if (full_remove(&fp))
		ret = -1;
	return ret;
}

static void run_full_pool(struct hugetlb_env *env)
{
	long kept = 0, step = -1, kept2 = 0, step2 = -1;
	int ret;

	expect = env->base;
	ret = full_pool_run(env, -1, &kept, &step);
	ksft_test_result(!ret && kept > 0,
			 "whole pool in use: punched pages faulted in again, %ld punches kept their region\n",
			 kept);
	if (step < 0) {
		ksft_test_result_fail("whole pool in use: no punch kept its region\n");
		return;
	}
	ret = full_pool_run(env, step, &kept2, &step2);
	ksft_test_result(!ret,
			 "whole pool in use: file removed right after punch %ld kept its region\n",
			 step + 1);
}

static int default_rounds(void)
{
	long rounds = (64L << 20) / hpage_size;

	return rounds > 32 ? 32 : rounds < 4 ? 4 : rounds;
}

/* The given number of rounds of all workloads, unless time runs out. */
static void run_rounds(struct hugetlb_env *env, int rounds, double limit)
{
	long avail = hugetlb_available(), before, i;
	int round, fds = count_fds();
	double t0 = now(), t;
	bool all_failed;

	ksft_print_msg("%ld huge pages available, at most %ld used at a time\n",
		       avail, avail - 1 < MAX_PAGES ? avail - 1 : MAX_PAGES);
	deadline = limit > 0 ? t0 + limit : 1e18;
	for (round = 0; round < rounds; round++) {
		all_failed = true;
		for (i = 0; i < (long)ARRAY_SIZE(wls); i++) {
			if (wls[i].failed)
				continue;
			all_failed = false;
			before = n_injected;
			expect = env->base;
			t = now();
			if ((run_workload(i, env, round, avail) &&
			     !out_of_time) || check_clean(env, fds)) {
				ksft_print_msg("%s failed in round %d\n",
					       wls[i].name, round);
				wls[i].failed = true;
			}
			wls[i].injected += n_injected - before;
			wls[i].seconds += now() - t;
		}
		if (all_failed || out_of_time)
			break;
		rounds_done = round + 1;
	}
	if (out_of_time)
		ksft_print_msg("time limit of %.0f s reached\n", limit);
	ksft_print_msg("%d of %d rounds in %.1f s, %ld attempts\n",
		       rounds_done, rounds, now() - t0, n_attempts);
	ksft_print_msg("calls completed after an injected failure: %ld, SIGBUS: %ld\n",
		       n_survived, n_sigbus);
	ksft_print_msg("hole punches that kept the reservation: %ld\n", n_kept);
}

int main(int argc, char **argv)
{
	struct hugetlb_counters start, end;
	char why[256], cgpath[512];
	struct hugetlb_env env;
	int opt, rounds = 0;
	double limit = 0;
	bool same, all_hit;
	long r, c, i;

	while ((opt = getopt(argc, argv, "lr:t:v")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'l')
			strict = false;
		else if (opt == 't')
			limit = atof(optarg);
		else if (opt == 'v')
			verbose = true;
		else
			ksft_exit_fail_msg("usage: %s [-l] [-r rounds] [-t seconds] [-v]\n",
					   argv[0]);
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_injection();
	if (!rounds)
		rounds = default_rounds();

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(wls) + 7);
	if (hugetlb_cgroup_available(why, sizeof(why))) {
		if (hugetlb_cgroup_setup() ||
		    hugetlb_cgroup_create("hugetlb_fault_inject", cgpath,
					  sizeof(cgpath)) ||
		    hugetlb_cgroup_enter(cgpath))
			ksft_exit_fail_msg("cannot set up a hugetlb cgroup\n");
		cg_path = cgpath;
	} else {
		ksft_print_msg("no hugetlb cgroup check: %s\n", why);
	}
	if (hugetlb_read_meminfo(&start))
		ksft_exit_fail_msg("cannot read /proc/meminfo\n");
	if (hugetlb_env_setup(&env, NULL))
		ksft_exit_fail_msg("cannot mount hugetlbfs: %s\n",
				   strerror(errno));
	counters_open();

	run_rounds(&env, rounds, limit);

	/* A workload that never met an injected failure tested nothing. */
	all_hit = true;
	for (i = 0; i < (long)ARRAY_SIZE(wls); i++) {
		all_hit &= wls[i].injected > 0;
		ksft_test_result(!wls[i].failed && wls[i].injected > 0,
				 "%s: %ld injected failures in %.1f s\n",
				 wls[i].name, wls[i].injected, wls[i].seconds);
	}
	ksft_print_msg("injected failures: %ld\n", n_injected);
	ksft_test_result(rounds_done == rounds && all_hit,
			 "%d of %d rounds, %ld injected failures\n",
			 rounds_done, rounds, n_injected);
	run_full_pool(&env);

	knobs_restore();
	close(nth_fd);
	nth_fd = -1;
	if (hugetlb_env_teardown(&env))
		ksft_print_msg("the clean-up found leftovers\n");
	if (hugetlb_read_meminfo(&end))
		ksft_exit_fail_msg("cannot read /proc/meminfo\n");
	same = !memcmp(&start, &end, sizeof(end));
	ksft_print_msg("HugePages_Total/Free/Rsvd/Surp start %ld/%ld/%ld/%ld\n",
		       start.total, start.free, start.rsvd, start.surp);
	ksft_print_msg("HugePages_Total/Free/Rsvd/Surp end   %ld/%ld/%ld/%ld: %s\n",
		       end.total, end.free, end.rsvd, end.surp,
		       same ? "equal" : "DIFFERENT");
	ksft_test_result(same, "huge page counters back at their start values\n");

	if (cg_path) {
		r = hugetlb_cgroup_read(cg_path, "rsvd.current");
		c = hugetlb_cgroup_read(cg_path, "current");
		ksft_print_msg("%s: hugetlb rsvd.current %ld, current %ld: %s\n",
			       cg_path, r, c, r || c ? "NOT ZERO" : "zero");
		ksft_test_result(!r && !c, "hugetlb cgroup counters zero\n");
		hugetlb_cgroup_enter(NULL);
		hugetlb_cgroup_remove(cg_path);
		hugetlb_cgroup_cleanup();
	} else {
		ksft_test_result_skip("hugetlb cgroup counters: %s\n", why);
	}

	known_result(n_setup_enospc, "hugetlb_file_setup() callers: ENOMEM only",
		     "ENOSPC from hugetlb_file_setup() callers");
	known_result(n_blocks_leak ? n_kept : 0,
		     "st_blocks matches the page cache",
		     "st_blocks counts pages freed by a failed region_del()");
	ksft_finished();
	return 0;
}
