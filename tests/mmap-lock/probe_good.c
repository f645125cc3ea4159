// SPDX-License-Identifier: GPL-2.0
/*
 * Compile probe for scripts/check-mmap-lock.sh: the same as probe_bad.c
 * but going through the mmap locking API, so it must always build.
 */
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/rwsem.h>

int mmap_lock_probe(struct mm_struct *mm);

int mmap_lock_probe(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
	return 0;
}
