/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RCU for lib/maple_tree.c in userspace, single-threaded: what the
 * kernel's primitives compile to on x86 (READ_ONCE(), and for
 * rcu_assign_pointer() a compiler barrier and a store), in place of
 * tools/testing/radix-tree/linux/rcupdate.h's liburcu, whose
 * rcu_assign_pointer() issues an sfence.  The trees here are never in
 * RCU mode, so call_rcu() is never reached; it runs the callback at once.
 */
#ifndef _RCUPDATE_H
#define _RCUPDATE_H

#include <linux/compiler.h>

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

#define rcu_read_lock()			barrier()
#define rcu_read_unlock()		barrier()
#define rcu_dereference(p)		READ_ONCE(p)
#define rcu_dereference_raw(p)		READ_ONCE(p)
#define rcu_dereference_check(p, c)	READ_ONCE(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_assign_pointer(p, v)	do { barrier(); WRITE_ONCE(p, v); } while (0)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define call_rcu(head, fn)		(fn)(head)

#endif
