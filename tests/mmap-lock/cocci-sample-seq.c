void f(struct mm_struct *mm, struct vm_area_struct *vma)
{
	lockdep_assert(lockdep_is_held(&mm->mmap_lock));
	if (READ_ONCE(vma->vm_lock_seq) == READ_ONCE(vma->vm_mm->mm_lock_seq.sequence))
		return;
	(void)raw_read_seqcount(&vma->vm_mm->mm_lock_seq);
	x = vma->vm_mm->mm_lock_seq.sequence;
	down_write_trylock(&mm->mmap_lock);
}

void g(struct vm_area_struct *vma)
{
	mmap_assert_write_locked(vma->vm_mm);
	x = vma->vm_mm->mm_lock_seq.sequence;
}
