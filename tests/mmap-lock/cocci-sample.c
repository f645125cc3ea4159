struct ib_umem;
void f(struct mm_struct *mm, struct vb2_queue *q, struct ib_umem *umem, struct task_struct *t)
{
	down_read(&mm->mmap_lock);
	up_read(&mm->mmap_lock);
	lockdep_assert_held(&umem->owning_mm->mmap_lock);
	prefetchw(&(t->mm)->mmap_lock);
	down_write(&poking_mm->mmap_lock);
	mutex_lock(&q->mmap_lock);
	mmap_read_lock(mm);
	down_write_nest_lock(&x->rwsem, &t->mm->mmap_lock);
	rwsem_release(&mm->mmap_lock.dep_map, _RET_IP_);
	(void)rwsem_is_locked(&init_mm.mmap_lock);
	down_read(&mm->__mmap_lock.rwsem);
}
