/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the hugetlb reservation accounting selftests.
 *
 * The counters checked by the tests are the ones of the default huge page
 * size: HugePages_Total/Free/Rsvd/Surp in /proc/meminfo, which are also
 * nr_hugepages, free_hugepages, resv_hugepages and surplus_hugepages in
 * /sys/kernel/mm/hugepages/hugepages-<size>kB/.
 */
#ifndef __HUGETLB_UTIL_H
#define __HUGETLB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif
#ifndef SHM_NORESERVE
#define SHM_NORESERVE 010000
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef MADV_DONTNEED
#define MADV_DONTNEED 4
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* Mapping protections used by almost every test. */
#define PROT_RW (PROT_READ | PROT_WRITE)

/* Huge page counters of the default huge page size. */
struct hugetlb_counters {
	long total;
	long free;
	long rsvd;
	long surp;
};

/* Everything a test fixture sets up and must tear down again. */
#define HUGETLB_MAX_PIDS 16
#define HUGETLB_MAX_SHM 8

struct hugetlb_env {
	struct hugetlb_counters base;	/* counters when the test started */
	char mnt[256];			/* private hugetlbfs mount point */
	char mnt2[256];			/* a second one, with options */
	bool mounted;
	bool mounted2;
	long saved_overcommit;		/* -1: not changed by the test */
	long saved_nr;			/* -1: not changed by the test */
	pid_t pids[HUGETLB_MAX_PIDS];
	int npids;
	int shmids[HUGETLB_MAX_SHM];
	int nshm;
};

/* Default huge page size in bytes, set by hugetlb_prog_setup(). */
extern unsigned long hpage_size;

/*
 * Seconds one fault of a huge page of the default size may take on this
 * machine, measured by hugetlb_prog_setup(): the slower of clearing and
 * copying a page (microseconds for 2 MB on hardware, seconds for 1 GB
 * under emulation).
 */
extern double hugetlb_fault_seconds;
/* The two it is the slower of; the copy is 0 when it was not timed. */
extern double hugetlb_clear_seconds, hugetlb_copy_seconds;

/* Seconds that n faults may take here, rounded up, with a margin. */
int hugetlb_faults_timeout(long n);
/* What hugetlb_prog_setup() measured, and the @extra seconds it gives. */
void hugetlb_print_fault_seconds(int extra);

/* Counters and pool settings. */
int hugetlb_read_counters(struct hugetlb_counters *c);
/* Write @val to @path in one write(); async-signal-safe. */
int hugetlb_write_file(const char *path, const char *val);
int hugetlb_read_meminfo(struct hugetlb_counters *c);
long hugetlb_available(void);
long hugetlb_get_nr(void);
int hugetlb_set_nr(long nr);
bool hugetlb_can_grow(long n);
long hugetlb_get_overcommit(void);
int hugetlb_set_overcommit(long nr);
int hugetlb_check_delta(const struct hugetlb_counters *base, long dtotal,
			long dfree, long drsvd, long dsurp, int line);

/*
 * Assert that the counters differ from *base by exactly the given deltas.
 * Usable in TEST()/TEST_F() bodies only.
 */
#define ASSERT_HPAGES(base, dtotal, dfree, drsvd, dsurp)		\
	ASSERT_EQ(0, hugetlb_check_delta(base, dtotal, dfree, drsvd,	\
					 dsurp, __LINE__))

/*
 * Program set-up, before the plan: skip unless root with hugetlbfs, grow the
 * pool to min_pages available huge pages, and run the rest of the program
 * in its own PID, mount and IPC namespaces under a parent (the keeper) that
 * restores the pool, removes the program's cgroups and checks that the
 * huge page counters are back when it ends, however it ends.
 */
int hugetlb_init(void);
void hugetlb_prog_setup(long min_pages);
void hugetlb_keeper_on_exit(void (*fn)(void));
void hugetlb_prog_skip(const char *fmt, ...);

/*
 * Faults a case of a program that uses at most 8 pages may make: each page
 * faulted, copied on write or cleared again a few times.
 */
#define HUGETLB_CASE_FAULTS 32

#ifdef __KSELFTEST_HARNESS_H
/*
 * The harness gives each case 30 s (or what TEST_F_TIMEOUT() says), enough
 * for small pages; a case that faults a few 1 GB pages under emulation
 * needs minutes.  Give every case of the program the time of n more faults
 * of its page size on this machine.  Call it in main(), after
 * hugetlb_prog_setup() and before test_harness_run().
 */
static inline void hugetlb_scale_timeouts(long n)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	int extra = hugetlb_faults_timeout(n);

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout += extra;
	if (extra > 1)
		hugetlb_print_fault_seconds(extra);
}
#endif

/* Per test environment. */
int hugetlb_env_setup(struct hugetlb_env *env, const char *mount_opts);
int hugetlb_env_teardown(struct hugetlb_env *env);
int hugetlb_env_open(struct hugetlb_env *env, const char *name, int flags);
int hugetlb_env_path(struct hugetlb_env *env, const char *name, char *buf,
		     size_t len);
int hugetlb_env_mount2(struct hugetlb_env *env, const char *opts);
int hugetlb_env_set_overcommit(struct hugetlb_env *env, long nr);
int hugetlb_env_set_nr(struct hugetlb_env *env, long nr);
void hugetlb_env_add_pid(struct hugetlb_env *env, pid_t pid);
void hugetlb_env_add_shm(struct hugetlb_env *env, int shmid);
int hugetlb_mount(char *dir, size_t len, const char *opts);
void hugetlb_umount(const char *dir);

/* Mappings and memory access. */
void *hugetlb_map(int fd, long npages, long off_pages, int prot, int flags);
void *hugetlb_map_anon(long npages, int flags);
void *hugetlb_fill_pool(long *npages);
void hugetlb_unmap(void *addr, long npages);
void *hugetlb_aligned_hole(long npages);
int hugetlb_touch(void *addr, bool write);
int hugetlb_read_byte(void *addr, char *val);
int hugetlb_write_byte(void *addr, char val);
long hugetlb_touch_pages(void *addr, long first, long n, bool write);
int hugetlb_falloc(int fd, int mode, long first, long npages);
int hugetlb_punch(int fd, long first, long npages);
int hugetlb_truncate(int fd, long npages);
long hugetlb_file_pages(int fd);

/* Child processes: run fn in a child, return its exit code (or 128+sig). */
int hugetlb_wait(pid_t pid);
pid_t hugetlb_fork(void);
int hugetlb_send(int fd, char val);
int hugetlb_recv(int fd);
int hugetlb_run_child(int (*fn)(void *), void *arg);

/* Random numbers, deterministic per seed. */
unsigned int hugetlb_rand(unsigned int *state);
void hugetlb_shuffle(long *array, long n, unsigned int *state);

/* cgroup v2 hugetlb controller. */
int hugetlb_cgroup_available(char *reason, size_t len);
int hugetlb_cgroup_setup(void);
void hugetlb_cgroup_cleanup(void);
int hugetlb_cgroup_create(const char *name, char *path, size_t len);
int hugetlb_cgroup_remove(const char *path);
int hugetlb_cgroup_enter(const char *path);
long hugetlb_cgroup_read(const char *path, const char *file);
int hugetlb_cgroup_write(const char *path, const char *file,
			 const char *val);
int hugetlb_cgroup_check_pages(const char *path, long rsvd, long cur,
			       int line);

/*
 * Assert a cgroup's reservation (rsvd.current) and fault (current)
 * charges, in huge pages.  Usable in TEST()/TEST_F() bodies only.
 */
#define ASSERT_CGROUP_PAGES(path, rsvd, cur)				\
	ASSERT_EQ(0, hugetlb_cgroup_check_pages(path, rsvd, cur, __LINE__))

#endif /* __HUGETLB_UTIL_H */
