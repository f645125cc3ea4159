// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the hugetlb reservation accounting selftests: huge page
 * counters, pool settings, a private hugetlbfs mount per test, mappings,
 * SIGBUS-safe memory access and the cgroup v2 hugetlb controller.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "hugetlb_util.h"

unsigned long hpage_size;
double hugetlb_fault_seconds, hugetlb_clear_seconds, hugetlb_copy_seconds;

/* The counters when the program's plan started, see hugetlb_env_setup(). */
static struct hugetlb_counters prog_start;
static bool prog_start_valid;

static char sysfs_dir[128];
static char nr_path[192];
static char oc_path[192];

static const char * const state_dirs[] = {
	"/tmp", "/dev/shm", "/run", "/var/tmp", ".",
};

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = read(fd, buf, len - 1);
	close(fd);
	if (ret < 0)
		return -1;
	buf[ret] = '\0';
	return 0;
}

int hugetlb_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, val, len);
	close(fd);
	return ret == (ssize_t)len ? 0 : -1;
}

/*
 * The counters are unsigned in the kernel: parse them as such, so that one
 * that went below zero reads as a negative number instead of LONG_MAX.
 */
static long read_long(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)))
		return LONG_MIN;
	return (long)strtoul(buf, NULL, 10);
}

static int write_long(const char *path, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return hugetlb_write_file(path, buf);
}

static int sysfs_counter(const char *name, long *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", sysfs_dir, name);
	*val = read_long(path);
	return *val == LONG_MIN ? -1 : 0;
}

int hugetlb_read_meminfo(struct hugetlb_counters *c)
{
	char line[128], key[32];
	unsigned long val;
	int found = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31[^:]: %lu", key, &val) != 2)
			continue;
		found++;
		if (!strcmp(key, "HugePages_Total"))
			c->total = val;
		else if (!strcmp(key, "HugePages_Free"))
			c->free = val;
		else if (!strcmp(key, "HugePages_Rsvd"))
			c->rsvd = val;
		else if (!strcmp(key, "HugePages_Surp"))
			c->surp = val;
		else
			found--;
	}
	fclose(f);
	return found == 4 ? 0 : -1;
}

int hugetlb_read_counters(struct hugetlb_counters *c)
{
	if (sysfs_counter("nr_hugepages", &c->total) ||
	    sysfs_counter("free_hugepages", &c->free) ||
	    sysfs_counter("resv_hugepages", &c->rsvd) ||
	    sysfs_counter("surplus_hugepages", &c->surp))
		return hugetlb_read_meminfo(c);
	return 0;
}

long hugetlb_available(void)
{
	struct hugetlb_counters c;

	if (hugetlb_read_counters(&c))
		return -1;
	return c.free - c.rsvd;
}

long hugetlb_get_nr(void)
{
	return read_long(nr_path);
}

int hugetlb_set_nr(long nr)
{
	return write_long(nr_path, nr);
}

/*
 * Whether the page allocator can supply n fresh huge pages right now.
 * Surplus pages come from it at mmap() or fault time; on a machine whose
 * memory is full of page cache or fragmented it cannot, which is no
 * kernel bug.  The pool is back to its size on return.
 */
bool hugetlb_can_grow(long n)
{
	long nr = hugetlb_get_nr();
	bool ok;

	if (nr < 0 || hugetlb_set_nr(nr + n))
		return false;
	ok = hugetlb_get_nr() >= nr + n;
	hugetlb_set_nr(nr);
	return ok;
}

long hugetlb_get_overcommit(void)
{
	return read_long(oc_path);
}

int hugetlb_set_overcommit(long nr)
{
	return write_long(oc_path, nr);
}

int hugetlb_check_delta(const struct hugetlb_counters *base, long dtotal,
			long dfree, long drsvd, long dsurp, int line)
{
	struct hugetlb_counters now;
	int bad = 0;

	if (hugetlb_read_counters(&now)) {
		ksft_print_msg("line %d: cannot read huge page counters\n",
			       line);
		return 1;
	}
	bad += now.total != base->total + dtotal;
	bad += now.free != base->free + dfree;
	bad += now.rsvd != base->rsvd + drsvd;
	bad += now.surp != base->surp + dsurp;
	if (bad) {
		ksft_print_msg("line %d: expected Total/Free/Rsvd/Surp delta %+ld %+ld %+ld %+ld\n",
			       line, dtotal, dfree, drsvd, dsurp);
		ksft_print_msg("line %d: got Total/Free/Rsvd/Surp delta      %+ld %+ld %+ld %+ld\n",
			       line, now.total - base->total,
			       now.free - base->free, now.rsvd - base->rsvd,
			       now.surp - base->surp);
	}
	return bad;
}

static unsigned long default_hpage_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static bool have_hugetlbfs(void)
{
	char line[128];
	bool found = false;
	FILE *f;

	f = fopen("/proc/filesystems", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\thugetlbfs"))
			found = true;
	fclose(f);
	return found;
}

/*
 * Each program runs as three processes:
 *
 *  - the keeper, the process the runner started: it sizes the pool, forks
 *    and waits, then removes the cgroups the program created, restores the
 *    pool settings and checks that the huge page counters are back, also
 *    when the runner's time-out sends it SIGTERM (it SIGKILLs the rest);
 *  - a reaper, PID 1 of a new PID namespace, in new mount and IPC
 *    namespaces: when it dies every process of the program dies with it,
 *    and the kernel unmounts the program's hugetlbfs mounts and removes its
 *    SysV shm segments, whatever killed it;
 *  - the test program itself, a child of the reaper.
 */
static bool pool_changed;
static char saved_nr_str[32];
static char saved_oc_str[32];
static char work_dir[PATH_MAX];
static pid_t keeper_pid, reaper_pid;
static sig_atomic_t keeper_sig;
static bool cg_had_hugetlb;

static int cgroup_root(void);
static bool cgroup_subtree_has_hugetlb(void);
static void cgroup_remove_ours(void);
static void cgroup_subtree_restore(bool had);

static void restore_pool(void)
{
	if (saved_oc_str[0])
		hugetlb_write_file(oc_path, saved_oc_str);
	if (saved_nr_str[0])
		hugetlb_write_file(nr_path, saved_nr_str);
}

/* Skip the whole program before its plan is printed. */
void hugetlb_prog_skip(const char *fmt, ...)
{
	va_list ap;

	if (pool_changed)
		restore_pool();
	ksft_print_header();
	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(KSFT_SKIP);
}

/* Find the default huge page size and its sysfs directory. */
int hugetlb_init(void)
{
	if (!have_hugetlbfs())
		return -1;
	hpage_size = default_hpage_size();
	if (!hpage_size)
		return -1;
	snprintf(sysfs_dir, sizeof(sysfs_dir),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB", hpage_size >> 10);
	snprintf(nr_path, sizeof(nr_path), "%s/nr_hugepages", sysfs_dir);
	snprintf(oc_path, sizeof(oc_path), "%s/nr_overcommit_hugepages",
		 sysfs_dir);
	return access(sysfs_dir, R_OK) ? -1 : 0;
}

static void (*keeper_exit_fn)(void);

/*
 * fn runs in the keeper once the program is gone, whatever ended it (a
 * time-out SIGKILLs the program without running its handlers).  Set it
 * before hugetlb_prog_setup(): the keeper sees the program's memory as
 * it was then.
 */
void hugetlb_keeper_on_exit(void (*fn)(void))
{
	keeper_exit_fn = fn;
}

static void keeper_on_signal(int sig)
{
	if (!keeper_sig)
		keeper_sig = sig;
	if (reaper_pid > 0)
		kill(reaper_pid, SIGKILL);
}

/*
 * Counters the kernel may update a moment after the last process of the
 * program is gone (shm is freed from a work queue): give it 5 s.
 */
static int wait_counters(const struct hugetlb_counters *want,
			 struct hugetlb_counters *now)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (hugetlb_read_counters(now))
			return -1;
		if (!memcmp(want, now, sizeof(*now)))
			return 0;
		usleep(10000);
	}
	return -1;
}

static void keeper_finish(pid_t pid, const struct hugetlb_counters *start)
{
	struct hugetlb_counters now;
	int status, ret = KSFT_FAIL;
	pid_t w;

	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	reaper_pid = 0;
	if (w != pid)
		ksft_print_msg("keeper: waitpid: %s\n", strerror(errno));
	else if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ksft_print_msg("keeper: the program was killed by signal %d\n",
			       WTERMSIG(status));
	fflush(stdout);

	if (keeper_exit_fn)
		keeper_exit_fn();
	cgroup_remove_ours();
	cgroup_subtree_restore(cg_had_hugetlb);
	if (work_dir[0] && rmdir(work_dir))
		ksft_print_msg("keeper: cannot remove %s: %s\n", work_dir,
			       strerror(errno));
	if (wait_counters(start, &now)) {
		ksft_print_msg("keeper: Total/Free/Rsvd/Surp %ld/%ld/%ld/%ld != %ld/%ld/%ld/%ld\n",
			       now.total, now.free, now.rsvd, now.surp,
			       start->total, start->free, start->rsvd,
			       start->surp);
		ret = KSFT_FAIL;
	}
	restore_pool();
	fflush(stdout);
	if (keeper_sig) {
		signal(keeper_sig, SIG_DFL);
		raise(keeper_sig);
	}
	exit(ret);
}

/* PID 1 of the program's namespaces: wait for the program, then die. */
static void reaper(void)
{
	int status, ret = KSFT_FAIL;
	pid_t pid, w;

	/* The keeper is outside this namespace: getppid() says 0. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC))
		hugetlb_prog_skip("no mount or IPC namespace (%s): needs CONFIG_IPC_NS=y\n",
				  strerror(errno));
	/* Nothing mounted from here on propagates to the caller's view. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		hugetlb_prog_skip("cannot make / a private mount: %s\n",
				  strerror(errno));
	/* PIDs as this namespace numbers them, for /proc/<pid>. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		hugetlb_prog_skip("cannot mount /proc: %s\n", strerror(errno));
	/* Mount points of the tests: gone with the namespace. */
	if (mount("tmpfs", work_dir, "tmpfs", 0, "size=1m,mode=0700"))
		hugetlb_prog_skip("cannot mount tmpfs on %s: %s\n", work_dir,
				  strerror(errno));

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return;
	}
	for (;;) {
		w = wait(&status);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w != pid)
			continue;
		if (WIFEXITED(status))
			ret = WEXITSTATUS(status);
		else
			ksft_print_msg("test process killed by signal %d\n",
				       WTERMSIG(status));
		break;
	}
	fflush(stdout);
	_exit(ret);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Time the two faults a case makes most: the first touch of a page, which
 * clears it, and a write to a private mapping of a file page, which copies
 * it.  Both grow with the page size and with how slow the machine is, and
 * not by the same factor: under QEMU's TCG a clear of 1 GB takes at most
 * seconds, while 6.12's copy (copy_mc_to_kernel(), `rep movsb`, one
 * byte per step) takes tens of seconds.  The slower one is what a fault
 * may cost.  The copy needs two free pages; without them it is not timed.
 */
static void measure_faults(void)
{
	char *shared, *private;
	double t;
	int fd;

	fd = memfd_create("hugetlb_measure", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, hpage_size))
		goto out;
	shared = mmap(NULL, hpage_size, PROT_RW, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED)
		goto out;
	t = now_seconds();
	if (!hugetlb_touch(shared, true))
		hugetlb_clear_seconds = now_seconds() - t;
	private = mmap(NULL, hpage_size, PROT_RW, MAP_PRIVATE, fd, 0);
	if (hugetlb_clear_seconds && private != MAP_FAILED) {
		t = now_seconds();
		if (!hugetlb_touch(private, true))
			hugetlb_copy_seconds = now_seconds() - t;
	}
	if (private != MAP_FAILED)
		munmap(private, hpage_size);
	munmap(shared, hpage_size);
out:
	if (fd >= 0)
		close(fd);
	hugetlb_fault_seconds = hugetlb_clear_seconds > hugetlb_copy_seconds ?
				hugetlb_clear_seconds : hugetlb_copy_seconds;
}

void hugetlb_print_fault_seconds(int extra)
{
	ksft_print_msg("a %lu kB page: clear %.3f s, copy %.3f s here; each case gets %d s more\n",
		       hpage_size >> 10, hugetlb_clear_seconds,
		       hugetlb_copy_seconds, extra);
}

int hugetlb_faults_timeout(long n)
{
	/* Twice the measured time: other work on the machine varies. */
	return (int)(2 * n * hugetlb_fault_seconds) + 1;
}

/*
 * Program set-up, before the plan: root only; the default huge page size
 * with at least min_pages available (the pool is grown when needed, and
 * restored at the end); no overcommit.  Returns in the test process.
 */
void hugetlb_prog_setup(long min_pages)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct hugetlb_counters start;
	struct sigaction sa;
	long nr, avail;
	size_t i;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (hugetlb_init())
		hugetlb_prog_skip("no hugetlbfs: needs CONFIG_HUGETLBFS=y\n");
	if (geteuid())
		hugetlb_prog_skip("not root: needs to mount hugetlbfs and write %s\n",
				  nr_path);

	/* Saved before any change, restored by the keeper. */
	nr = hugetlb_get_nr();
	if (nr < 0)
		hugetlb_prog_skip("cannot read %s\n", nr_path);
	snprintf(saved_nr_str, sizeof(saved_nr_str), "%ld", nr);
	nr = hugetlb_get_overcommit();
	if (nr >= 0)
		snprintf(saved_oc_str, sizeof(saved_oc_str), "%ld", nr);
	keeper_pid = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keeper_on_signal;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);

	/* Surplus pages would make every count fuzzy: no overcommit. */
	pool_changed = true;
	if (nr > 0 && hugetlb_set_overcommit(0))
		hugetlb_prog_skip("cannot set nr_overcommit_hugepages to 0 (it is %ld)\n",
				  nr);

	avail = hugetlb_available();
	nr = hugetlb_get_nr();
	if (avail < min_pages)
		hugetlb_set_nr(nr + min_pages - avail);
	if (hugetlb_available() < min_pages)
		hugetlb_prog_skip("needs %ld free %lukB huge pages, has %ld; %s%ld to %ld: %s\n",
				  min_pages, hpage_size >> 10, avail,
				  "the pool could not grow from ", nr,
				  nr + min_pages - avail,
				  "boot with hugepages=N, or compact memory (echo 1 > /proc/sys/vm/compact_memory)");
	if (hugetlb_read_counters(&start))
		hugetlb_prog_skip("cannot read the huge page counters\n");

	cg_had_hugetlb = !cgroup_root() && cgroup_subtree_has_hugetlb();
	for (i = 0; i < ARRAY_SIZE(state_dirs); i++) {
		snprintf(work_dir, sizeof(work_dir), "%s/hugetlb_selftest.XXXXXX",
			 state_dirs[i]);
		if (mkdtemp(work_dir))
			break;
		work_dir[0] = '\0';
	}
	if (!work_dir[0])
		hugetlb_prog_skip("no writable directory for mount points (/tmp)\n");
	if (unshare(CLONE_NEWPID)) {
		rmdir(work_dir);
		hugetlb_prog_skip("no PID namespace (%s): needs CONFIG_PID_NS=y\n",
				  strerror(errno));
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		rmdir(work_dir);
		restore_pool();
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	}
	if (pid) {
		reaper_pid = pid;
		if (keeper_sig)
			kill(pid, SIGKILL);
		keeper_finish(pid, &start);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	pool_changed = false;
	reaper();
	measure_faults();
	if (!hugetlb_read_counters(&prog_start))
		prog_start_valid = true;
}

int hugetlb_mount(char *dir, size_t len, const char *opts)
{
	size_t i;

	if (work_dir[0]) {
		snprintf(dir, len, "%s/mnt.XXXXXX", work_dir);
		if (!mkdtemp(dir))
			return -1;
		if (!mount("none", dir, "hugetlbfs", 0, opts))
			return 0;
		rmdir(dir);
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(state_dirs); i++) {
		snprintf(dir, len, "%s/hugetlb_mnt.XXXXXX", state_dirs[i]);
		if (!mkdtemp(dir))
			continue;
		if (!mount("none", dir, "hugetlbfs", 0, opts))
			return 0;
		rmdir(dir);
		/* Bad options fail the same way in every directory. */
		if (errno == EINVAL)
			return -1;
	}
	return -1;
}

void hugetlb_umount(const char *dir)
{
	if (umount2(dir, 0))
		umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/*
 * Each case starts from the counters the program started with.  When the
 * harness times a case out it SIGKILLs the case's processes but does not
 * wait for them, and a process that is clearing a gigantic page dies only
 * when that is done: give the pages it holds the time to come back, so
 * that the next case does not start on a pool that is about to change.
 * A leak of an earlier case (which its own teardown reported) stays.
 */
static void wait_for_earlier_cases(void)
{
	double t0 = now_seconds(), limit = 2 + 4 * hugetlb_fault_seconds;
	struct hugetlb_counters now;

	if (!prog_start_valid)
		return;
	while (!hugetlb_read_counters(&now) &&
	       memcmp(&now, &prog_start, sizeof(now))) {
		if (now_seconds() - t0 > limit) {
			ksft_print_msg("counters not back from an earlier case after %.1f s\n",
				       limit);
			return;
		}
		usleep(10000);
	}
	if (now_seconds() - t0 > 0.1)
		ksft_print_msg("waited %.1f s for the pages of an earlier case\n",
			       now_seconds() - t0);
}

int hugetlb_env_setup(struct hugetlb_env *env, const char *mount_opts)
{
	memset(env, 0, sizeof(*env));
	env->saved_overcommit = -1;
	env->saved_nr = -1;
	/* Do not outlive the harness if it is killed by a time-out. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	wait_for_earlier_cases();
	if (hugetlb_read_counters(&env->base))
		return -1;
	if (hugetlb_mount(env->mnt, sizeof(env->mnt), mount_opts))
		return -1;
	env->mounted = true;
	return 0;
}

/* Unmap every hugetlb VMA of the calling process. */
static void unmap_all_hugetlb(void)
{
	unsigned long start, end, kps, ranges[64][2];
	unsigned long cur_start = 0, cur_end = 0;
	char line[512];
	int i, n = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n < 64) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			cur_start = start;
			cur_end = end;
		} else if (sscanf(line, "KernelPageSize: %lu kB", &kps) == 1 &&
			   kps * 1024 == hpage_size) {
			ranges[n][0] = cur_start;
			ranges[n][1] = cur_end;
			n++;
		}
	}
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)ranges[i][0], ranges[i][1] - ranges[i][0]);
}

static void remove_files(const char *dir)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int hugetlb_env_teardown(struct hugetlb_env *env)
{
	struct hugetlb_counters now;
	int fd, i, bad;

	for (i = 0; i < env->npids; i++) {
		kill(env->pids[i], SIGKILL);
		waitpid(env->pids[i], NULL, 0);
	}
	env->npids = 0;
	for (i = 0; i < env->nshm; i++)
		shmctl(env->shmids[i], IPC_RMID, NULL);
	env->nshm = 0;
	unmap_all_hugetlb();
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	if (env->mounted) {
		remove_files(env->mnt);
		hugetlb_umount(env->mnt);
		env->mounted = false;
	}
	if (env->mounted2) {
		remove_files(env->mnt2);
		hugetlb_umount(env->mnt2);
		env->mounted2 = false;
	}
	if (env->saved_overcommit >= 0)
		hugetlb_set_overcommit(env->saved_overcommit);
	if (env->saved_nr >= 0)
		hugetlb_set_nr(env->saved_nr);

	if (hugetlb_read_counters(&now))
		return 1;
	bad = now.total != env->base.total || now.free != env->base.free ||
	      now.rsvd != env->base.rsvd || now.surp != env->base.surp;
	if (bad)
		ksft_print_msg("clean-up: Total %ld/%ld Free %ld/%ld Rsvd %ld/%ld Surp %ld/%ld\n",
			       now.total, env->base.total, now.free,
			       env->base.free, now.rsvd, env->base.rsvd,
			       now.surp, env->base.surp);
	return bad;
}

int hugetlb_env_path(struct hugetlb_env *env, const char *name, char *buf,
		     size_t len)
{
	return snprintf(buf, len, "%s/%s", env->mnt, name) >= (int)len;
}

int hugetlb_env_open(struct hugetlb_env *env, const char *name, int flags)
{
	char path[PATH_MAX];

	hugetlb_env_path(env, name, path, sizeof(path));
	return open(path, flags | O_CREAT, 0600);
}

int hugetlb_env_mount2(struct hugetlb_env *env, const char *opts)
{
	if (hugetlb_mount(env->mnt2, sizeof(env->mnt2), opts))
		return -1;
	env->mounted2 = true;
	return 0;
}

int hugetlb_env_set_overcommit(struct hugetlb_env *env, long nr)
{
	if (env->saved_overcommit < 0)
		env->saved_overcommit = hugetlb_get_overcommit();
	return hugetlb_set_overcommit(nr);
}

int hugetlb_env_set_nr(struct hugetlb_env *env, long nr)
{
	if (env->saved_nr < 0)
		env->saved_nr = hugetlb_get_nr();
	return hugetlb_set_nr(nr);
}

void hugetlb_env_add_pid(struct hugetlb_env *env, pid_t pid)
{
	if (env->npids < HUGETLB_MAX_PIDS)
		env->pids[env->npids++] = pid;
}

void hugetlb_env_add_shm(struct hugetlb_env *env, int shmid)
{
	if (env->nshm < HUGETLB_MAX_SHM)
		env->shmids[env->nshm++] = shmid;
}

void *hugetlb_map(int fd, long npages, long off_pages, int prot, int flags)
{
	return mmap(NULL, npages * hpage_size, prot, flags, fd,
		    off_pages * hpage_size);
}

void *hugetlb_map_anon(long npages, int flags)
{
	return mmap(NULL, npages * hpage_size, PROT_RW,
		    flags | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
}

/*
 * Reserve every available huge page with a private mapping that is never
 * touched, so that nothing is left for allocations without a reservation.
 */
void *hugetlb_fill_pool(long *npages)
{
	*npages = hugetlb_available();
	if (*npages <= 0) {
		*npages = 0;
		return NULL;
	}
	return hugetlb_map_anon(*npages, MAP_PRIVATE);
}

void hugetlb_unmap(void *addr, long npages)
{
	if (addr && addr != MAP_FAILED && npages)
		munmap(addr, npages * hpage_size);
}

/* A huge page aligned PROT_NONE area, e.g. as a MAP_FIXED target. */
void *hugetlb_aligned_hole(long npages)
{
	size_t len = npages * hpage_size;
	unsigned long addr, aligned;
	void *p;

	p = mmap(NULL, len + hpage_size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	addr = (unsigned long)p;
	aligned = (addr + hpage_size - 1) & ~(hpage_size - 1);
	if (aligned > addr)
		munmap(p, aligned - addr);
	if (aligned + len < addr + len + hpage_size)
		munmap((void *)(aligned + len),
		       addr + len + hpage_size - aligned - len);
	return (void *)aligned;
}

static __thread sigjmp_buf sigbus_jmp;
static __thread int sigbus_armed;

static void sigbus_handler(int sig)
{
	if (__atomic_load_n(&sigbus_armed, __ATOMIC_RELAXED)) {
		__atomic_store_n(&sigbus_armed, 0, __ATOMIC_RELAXED);
		siglongjmp(sigbus_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

enum { ACC_READ, ACC_WRITE, ACC_TOUCH_WRITE };

/*
 * Access one byte, turning a SIGBUS into a return value of -1.  The atomic
 * accesses make sure that the compiler neither drops nor moves them.
 */
static int access_byte(char *p, int op, char *val)
{
	static bool installed;
	struct sigaction sa;

	if (!installed) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = sigbus_handler;
		sigaction(SIGBUS, &sa, NULL);
		installed = true;
	}
	if (sigsetjmp(sigbus_jmp, 1))
		return -1;
	__atomic_store_n(&sigbus_armed, 1, __ATOMIC_SEQ_CST);
	switch (op) {
	case ACC_READ:
		*val = __atomic_load_n(p, __ATOMIC_RELAXED);
		break;
	case ACC_WRITE:
		__atomic_store_n(p, *val, __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		break;
	}
	__atomic_store_n(&sigbus_armed, 0, __ATOMIC_SEQ_CST);
	return 0;
}

/* Fault the page at addr in; returns -1 if that raised SIGBUS. */
int hugetlb_touch(void *addr, bool write)
{
	char val;

	return access_byte(addr, write ? ACC_TOUCH_WRITE : ACC_READ, &val);
}

int hugetlb_read_byte(void *addr, char *val)
{
	return access_byte(addr, ACC_READ, val);
}

int hugetlb_write_byte(void *addr, char val)
{
	return access_byte(addr, ACC_WRITE, &val);
}

/* Touch n pages from page first; returns how many did not raise SIGBUS. */
long hugetlb_touch_pages(void *addr, long first, long n, bool write)
{
	long i, ok = 0;

	for (i = first; i < first + n; i++)
		if (!hugetlb_touch((char *)addr + i * hpage_size, write))
			ok++;
	return ok;
}

int hugetlb_falloc(int fd, int mode, long first, long npages)
{
	return fallocate(fd, mode, first * hpage_size, npages * hpage_size);
}

int hugetlb_punch(int fd, long first, long npages)
{
	return hugetlb_falloc(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      first, npages);
}

int hugetlb_truncate(int fd, long npages)
{
	return ftruncate(fd, npages * hpage_size);
}

/* Number of huge pages in the page cache of a hugetlbfs file. */
long hugetlb_file_pages(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return st.st_blocks * 512 / hpage_size;
}

int hugetlb_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* fork() a child that dies with its parent; children must use _exit(). */
pid_t hugetlb_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

int hugetlb_run_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	pid = hugetlb_fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	return hugetlb_wait(pid);
}

int hugetlb_send(int fd, char val)
{
	return write(fd, &val, 1) == 1 ? 0 : -1;
}

/* Returns the byte read, or -1 on end of file or error. */
int hugetlb_recv(int fd)
{
	unsigned char val;

	return read(fd, &val, 1) == 1 ? val : -1;
}

/* xorshift32: deterministic, good enough to shuffle page indices. */
unsigned int hugetlb_rand(unsigned int *state)
{
	unsigned int x = *state ? *state : 0x2545f491;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

void hugetlb_shuffle(long *array, long n, unsigned int *state)
{
	long i, j, tmp;

	for (i = n - 1; i > 0; i--) {
		j = hugetlb_rand(state) % (i + 1);
		tmp = array[i];
		array[i] = array[j];
		array[j] = tmp;
	}
}

static char cg_root[256];
static bool cg_enabled_by_us;

static int find_cgroup2(void)
{
	char line[512], dev[128], dir[256], type[64];
	FILE *f;
	int ret = -1;

	f = fopen("/proc/mounts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %255s %63s", dev, dir, type) != 3)
			continue;
		if (!strcmp(type, "cgroup2")) {
			snprintf(cg_root, sizeof(cg_root), "%s", dir);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static bool word_in_file(const char *path, const char *word)
{
	char buf[512], *tok, *save, *nl;

	if (read_file(path, buf, sizeof(buf)))
		return false;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

int hugetlb_cgroup_available(char *reason, size_t len)
{
	char path[512];

	if (find_cgroup2()) {
		snprintf(reason, len, "no cgroup2 file system mounted");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root);
	if (!word_in_file(path, "hugetlb")) {
		snprintf(reason, len,
			 "hugetlb controller not available in %s", cg_root);
		return 0;
	}
	return 1;
}

int hugetlb_cgroup_setup(void)
{
	char path[512];

	if (!cg_root[0] && find_cgroup2())
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root);
	if (word_in_file(path, "hugetlb"))
		return 0;
	if (hugetlb_write_file(path, "+hugetlb"))
		return -1;
	cg_enabled_by_us = true;
	return 0;
}

void hugetlb_cgroup_cleanup(void)
{
	char path[512];

	if (!cg_enabled_by_us)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root);
	hugetlb_write_file(path, "-hugetlb");
	cg_enabled_by_us = false;
}

/*
 * The cgroups of a program are named after its keeper, which removes what
 * the program left behind.
 */
#define CG_PREFIX "hugetlb_selftest."

int hugetlb_cgroup_create(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/" CG_PREFIX "%d.%s", cg_root, keeper_pid,
		 name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

static int cgroup_root(void)
{
	return cg_root[0] ? 0 : find_cgroup2();
}

static bool cgroup_subtree_has_hugetlb(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root);
	return word_in_file(path, "hugetlb");
}

/* Put the root's controller back as the keeper found it. */
static void cgroup_subtree_restore(bool had)
{
	char path[512];

	if (!cg_root[0] || had || !cgroup_subtree_has_hugetlb())
		return;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root);
	if (hugetlb_write_file(path, "-hugetlb"))
		ksft_print_msg("keeper: cannot disable the hugetlb controller in %s\n",
			       path);
}

/* Remove a cgroup and the cgroups below it. */
static void cgroup_remove_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			cgroup_remove_tree(sub);
		}
		closedir(d);
	}
	if (hugetlb_cgroup_remove(path))
		ksft_print_msg("keeper: cannot remove cgroup %s: %s\n", path,
			       strerror(errno));
}

static void cgroup_remove_ours(void)
{
	char prefix[64], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (!cg_root[0])
		return;
	snprintf(prefix, sizeof(prefix), CG_PREFIX "%d.", keeper_pid);
	d = opendir(cg_root);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", cg_root, de->d_name);
		cgroup_remove_tree(path);
	}
	closedir(d);
}

int hugetlb_cgroup_remove(const char *path)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		usleep(10000);
	}
	return -1;
}

int hugetlb_cgroup_enter(const char *path)
{
	char file[512];

	snprintf(file, sizeof(file), "%s/cgroup.procs", path ? path : cg_root);
	return hugetlb_write_file(file, "0");
}

static void cgroup_file(char *buf, size_t len, const char *path,
			const char *file)
{
	char size[32];

	if (hpage_size >= 1UL << 30)
		snprintf(size, sizeof(size), "%luGB", hpage_size >> 30);
	else if (hpage_size >= 1UL << 20)
		snprintf(size, sizeof(size), "%luMB", hpage_size >> 20);
	else
		snprintf(size, sizeof(size), "%luKB", hpage_size >> 10);
	snprintf(buf, len, "%s/hugetlb.%s.%s", path, size, file);
}

long hugetlb_cgroup_read(const char *path, const char *file)
{
	char name[512];

	cgroup_file(name, sizeof(name), path, file);
	return read_long(name);
}

int hugetlb_cgroup_write(const char *path, const char *file, const char *val)
{
	char name[512];

	cgroup_file(name, sizeof(name), path, file);
	return hugetlb_write_file(name, val);
}

int hugetlb_cgroup_check_pages(const char *path, long rsvd, long cur,
			       int line)
{
	long r = hugetlb_cgroup_read(path, "rsvd.current");
	long c = hugetlb_cgroup_read(path, "current");

	if (r == rsvd * (long)hpage_size && c == cur * (long)hpage_size)
		return 0;
	ksft_print_msg("line %d: %s: rsvd.current %ld current %ld, expected %ld %ld (pages)\n",
		       line, path, r / (long)hpage_size, c / (long)hpage_size,
		       rsvd, cur);
	return 1;
}
