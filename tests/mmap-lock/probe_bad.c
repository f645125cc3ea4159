// SPDX-License-Identifier: GPL-2.0
/*
 * Compile probe for scripts/check-mmap-lock.sh: this open-codes rwsem
 * calls on mm->mmap_lock and must be REJECTED by the compiler once the
 * mmap_lock is opaque outside <linux/mmap_lock.h>.  It differs from
 * probe_good.c only in the lines between the two function braces.
 */
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/rwsem.h>

int mmap_lock_probe(struct mm_struct *mm);

int mmap_lock_probe(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
	up_read(&mm->mmap_lock);
	return 0;
}
