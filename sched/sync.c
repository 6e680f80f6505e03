/* sync.c - the kernel synchronisation primitives; see sync.h.
 *
 * Every primitive follows one shape so that it runs on fibers and on real
 * threads alike: scheduling point, then its state changes under
 * mmf_obj_lock(obj) (a no-op with fibers), waiting with mmf_obj_wait() in a
 * loop that re-checks the condition, and mmf_obj_wake() on release.
 * TSan edges: acquire after taking, release before dropping.
 */
#define _GNU_SOURCE
#include "sync.h"
#include "kasan.h"
#include "kmem.h"
#include "sanitizer.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define CUR() mmf_current()

/* Every object a primitive touches is checked against the checked heap
 * first (kasan.h; a no-op in ASan and TSan builds, whose runtimes see the
 * access itself): a lock, counter or bit word in a freed object or past
 * the end of one is reported where the primitive was called. */
#define KCHECK(obj, size, write, site) mmf_kasan_check((obj), (size), (write), (site))

/* A scheduling point in a primitive, then the check again: the object may
 * have been freed while other tasks ran, and the primitive touches it next. */
static void point(enum mmf_point_kind kind, const void *obj, const struct mmf_site *site)
{
	mmf_point(kind, obj, site);
	mmf_kasan_check(obj, 1, true, site);
}

/* State check for builds without ASan: kfree() poisons freed objects with
 * MMF_POISON_FREE bytes, and no live lock has a class pointer made of
 * them, so taking or releasing a lock in freed memory is reported as the
 * use-after-free it is (under ASan the access itself is reported). */
static void check_not_freed(const void *lock, const struct mmf_site *cls, const char *kind,
			    const struct mmf_site *site)
{
	mmf_kasan_check(lock, 1, true, site);
	uintptr_t poison;
	memset(&poison, MMF_POISON_FREE, sizeof(poison));
	if ((uintptr_t)cls == poison)
		mmf_fail(MMF_FAIL_USE_AFTER_FREE, lock, site,
			 "use-after-free: %s %p is in freed (poisoned) memory", kind, lock);
}

/* A lock's recorded owner, only if it is a task of this run: a lock in
 * freed (poisoned) memory must not send the deadlock report astray. */
static const struct mmf_task *owner_of(const struct mmf_task *o)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || o < &s->tasks[0] || o >= &s->tasks[MMF_MAX_TASKS])
		return NULL;
	return o;
}

/* ---- interrupts ---------------------------------------------------------- */

/* In an interrupt handler interrupts are off throughout: these leave its
 * state alone (irqs_disabled() answers true there). */
static struct mmf_task *irq_state_owner(void)
{
	struct mmf_task *t = CUR();
	return t && !(t->flags & MMF_TASK_IRQ) ? t : NULL;
}

void mmf_local_irq_disable(void)
{
	struct mmf_task *t = irq_state_owner();
	if (t)
		t->irqs_off = 1;
}

void mmf_local_irq_enable(void)
{
	struct mmf_task *t = irq_state_owner();
	if (t)
		t->irqs_off = 0;
}

unsigned long mmf_local_irq_save(void)
{
	struct mmf_task *t = irq_state_owner();
	if (!t)
		return 1;
	unsigned long was = (unsigned long)t->irqs_off;
	t->irqs_off = 1;
	return was;
}

void mmf_local_irq_restore(unsigned long flags)
{
	struct mmf_task *t = irq_state_owner();
	if (t)
		t->irqs_off = (int)flags;
}

bool mmf_irqs_disabled(void)
{
	struct mmf_task *t = CUR();
	return t && (t->irqs_off || (t->flags & MMF_TASK_IRQ));
}

/* ---- preemption and virtual CPUs --------------------------------------- */

void mmf_preempt_disable(void)
{
	struct mmf_task *t = CUR();
	if (t && !(t->flags & MMF_TASK_IRQ))
		t->preempt_off++;
}

void mmf_preempt_enable(void)
{
	struct mmf_task *t = CUR();
	if (!t || (t->flags & MMF_TASK_IRQ))
		return;
	if (t->preempt_off <= 0)
		mmf_internal("preempt_enable without preempt_disable");
	t->preempt_off--;
}

int mmf_cpu(void)
{
	struct mmf_task *t = CUR();
	return t ? t->cpu : 0;
}

void mmf_run_on_cpu(int cpu, const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	if (cpu < 0 || cpu >= MMF_NR_CPUS)
		mmf_internal("mmf_run_on_cpu: no CPU %d", cpu);
	if (!t)
		return;
	t->bound = true;
	if (t->cpu == cpu)
		return;
	if (t->preempt_off || t->irqs_off || (t->flags & MMF_TASK_IRQ))
		mmf_internal("mmf_run_on_cpu with preemption or interrupts off");
	t->cpu = cpu;
	mmf_point(MMF_PT_YIELD, NULL, site);
}

void mmf_run_on_cpu_done(int home, const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	mmf_run_on_cpu(home, site);
	if (t)
		t->bound = false;
}

/* ---- spinlock ------------------------------------------------------------ */

void mmf_spin_init(spinlock_t *l, const char *name, const struct mmf_site *cls)
{
	KCHECK(l, sizeof(*l), true, NULL);
	*l = (spinlock_t){.cls = cls, .name = name};
}

static char lockdesc[MMF_MAX_TASKS][64];

static const char *describe(const char *kind, const char *name)
{
	struct mmf_task *t = CUR();
	char *buf = lockdesc[t ? t->id : 0];
	MMF_SCHED_ENTER();
	snprintf(buf, sizeof(lockdesc[0]), "%s %s", kind, name ? name : "?");
	MMF_SCHED_LEAVE();
	return buf;
}

void mmf_spin_lock(spinlock_t *l, const struct mmf_site *site)
{
	KCHECK(l, sizeof(*l), true, site);
	struct mmf_task *t = CUR();
	check_not_freed(l, l->cls, "spinlock", site);
	point(MMF_PT_LOCK, l, site);
	check_not_freed(l, l->cls, "spinlock", site);
	mmf_obj_lock(l);
	while (l->locked) {
		if (t && l->owner == t) {
			mmf_obj_unlock(l);
			mmf_fail(MMF_FAIL_LOCKING, l, site, "recursive locking: task '%s' already holds "
				 "spinlock %s", t->name, l->name);
			return;
		}
		mmf_obj_wait(l, MMF_WAIT_SPIN, describe("spinlock", l->name), owner_of(l->owner), site);
		check_not_freed(l, l->cls, "spinlock", site);
	}
	l->locked = true;
	l->owner = t;
	mmf_obj_unlock(l);
	if (t)
		t->atomic++;
	mmf__lock_acquired(l, l->cls, l->name, site, false);
	mmf_tsan_acquire(l);
}

bool mmf_spin_trylock(spinlock_t *l, const struct mmf_site *site)
{
	KCHECK(l, sizeof(*l), true, site);
	struct mmf_task *t = CUR();
	check_not_freed(l, l->cls, "spinlock", site);
	point(MMF_PT_LOCK, l, site);
	mmf_obj_lock(l);
	bool got = !l->locked;
	if (got) {
		l->locked = true;
		l->owner = t;
	}
	mmf_obj_unlock(l);
	if (got) {
		if (t)
			t->atomic++;
		mmf__lock_acquired(l, l->cls, l->name, site, true);
		mmf_tsan_acquire(l);
	}
	return got;
}

void mmf_spin_unlock(spinlock_t *l, const struct mmf_site *site)
{
	KCHECK(l, sizeof(*l), true, site);
	struct mmf_task *t = CUR();
	check_not_freed(l, l->cls, "spinlock", site);
	if (!l->locked || l->owner != t) {
		mmf_fail(MMF_FAIL_LOCKING, l, site, "spin_unlock of %s, which the current task "
			 "does not hold", l->name);
		return;
	}
	mmf__lock_released(l, site);
	if (t)
		t->atomic--;
	mmf_tsan_release(l);
	mmf_obj_lock(l);
	l->locked = false;
	l->owner = NULL;
	mmf_obj_wake(l);
	mmf_obj_unlock(l);
}

bool mmf_spin_is_locked(const spinlock_t *l)
{
	KCHECK(l, sizeof(*l), false, NULL);
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

bool mmf_spin_held_by_current(const spinlock_t *l)
{
	return l->locked && l->owner == CUR();
}

/* ---- mutex ----------------------------------------------------------------- */

void mmf_mutex_init(struct mutex *m, const char *name, const struct mmf_site *cls)
{
	KCHECK(m, sizeof(*m), true, NULL);
	*m = (struct mutex){.cls = cls, .name = name};
}

void mmf_mutex_lock(struct mutex *m, const struct mmf_site *site)
{
	KCHECK(m, sizeof(*m), true, site);
	struct mmf_task *t = CUR();
	check_not_freed(m, m->cls, "mutex", site);
	mmf_might_sleep(site);
	point(MMF_PT_LOCK, m, site);
	check_not_freed(m, m->cls, "mutex", site);
	mmf_obj_lock(m);
	while (m->locked) {
		if (t && m->owner == t) {
			mmf_obj_unlock(m);
			mmf_fail(MMF_FAIL_LOCKING, m, site, "recursive locking: task '%s' already holds "
				 "mutex %s", t->name, m->name);
			return;
		}
		mmf_obj_wait(m, MMF_WAIT_SLEEP, describe("mutex", m->name), owner_of(m->owner), site);
	}
	m->locked = true;
	m->owner = t;
	mmf_obj_unlock(m);
	mmf__lock_acquired(m, m->cls, m->name, site, false);
	mmf_tsan_acquire(m);
}

bool mmf_mutex_trylock(struct mutex *m, const struct mmf_site *site)
{
	KCHECK(m, sizeof(*m), true, site);
	struct mmf_task *t = CUR();
	point(MMF_PT_LOCK, m, site);
	mmf_obj_lock(m);
	bool got = !m->locked;
	if (got) {
		m->locked = true;
		m->owner = t;
	}
	mmf_obj_unlock(m);
	if (got) {
		mmf__lock_acquired(m, m->cls, m->name, site, true);
		mmf_tsan_acquire(m);
	}
	return got;
}

void mmf_mutex_unlock(struct mutex *m, const struct mmf_site *site)
{
	KCHECK(m, sizeof(*m), true, site);
	struct mmf_task *t = CUR();
	if (!m->locked || m->owner != t) {
		mmf_fail(MMF_FAIL_LOCKING, m, site, "mutex_unlock of %s by a task that does not "
			 "own it", m->name);
		return;
	}
	mmf__lock_released(m, site);
	mmf_tsan_release(m);
	mmf_obj_lock(m);
	m->locked = false;
	m->owner = NULL;
	mmf_obj_wake(m);
	mmf_obj_unlock(m);
}

bool mmf_mutex_held_by_current(const struct mutex *m)
{
	return m->locked && m->owner == CUR();
}

/* ---- rw_semaphore ---------------------------------------------------------- */

void mmf_rwsem_init(struct rw_semaphore *r, const char *name, const struct mmf_site *cls)
{
	KCHECK(r, sizeof(*r), true, NULL);
	*r = (struct rw_semaphore){.cls = cls, .name = name};
}

static bool rwsem_read_get(struct rw_semaphore *r, const struct mmf_site *site, bool try)
{
	check_not_freed(r, r->cls, "rw_semaphore", site);
	point(MMF_PT_LOCK, r, site);
	check_not_freed(r, r->cls, "rw_semaphore", site);
	mmf_obj_lock(r);
	while (r->writer) {
		if (try) {
			mmf_obj_unlock(r);
			return false;
		}
		mmf_obj_wait(r, MMF_WAIT_SLEEP, describe("rwsem (read)", r->name), owner_of(r->owner), site);
	}
	r->readers++;
	mmf_obj_unlock(r);
	mmf__lock_acquired(r, r->cls, r->name, site, try);
	mmf_tsan_acquire(r);
	return true;
}

void mmf_down_read(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	mmf_might_sleep(site);
	rwsem_read_get(r, site, false);
}

bool mmf_down_read_trylock(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	return rwsem_read_get(r, site, true);
}

void mmf_up_read(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	if (r->readers <= 0) {
		mmf_fail(MMF_FAIL_LOCKING, r, site, "up_read of %s with no readers", r->name);
		return;
	}
	mmf__lock_released(r, site);
	mmf_tsan_release(r);
	mmf_obj_lock(r);
	if (--r->readers == 0)
		mmf_obj_wake(r);
	mmf_obj_unlock(r);
}

static bool rwsem_write_get(struct rw_semaphore *r, const struct mmf_site *site, bool try)
{
	struct mmf_task *t = CUR();
	check_not_freed(r, r->cls, "rw_semaphore", site);
	point(MMF_PT_LOCK, r, site);
	check_not_freed(r, r->cls, "rw_semaphore", site);
	mmf_obj_lock(r);
	while (r->writer || r->readers) {
		if (try) {
			mmf_obj_unlock(r);
			return false;
		}
		if (t && r->owner == t) {
			mmf_obj_unlock(r);
			mmf_fail(MMF_FAIL_LOCKING, r, site, "recursive down_write of %s", r->name);
			return false;
		}
		mmf_obj_wait(r, MMF_WAIT_SLEEP, describe("rwsem (write)", r->name), owner_of(r->owner), site);
	}
	r->writer = true;
	r->owner = t;
	mmf_obj_unlock(r);
	mmf__lock_acquired(r, r->cls, r->name, site, try);
	mmf_tsan_acquire(r);
	return true;
}

void mmf_down_write(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	mmf_might_sleep(site);
	rwsem_write_get(r, site, false);
}

bool mmf_down_write_trylock(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	return rwsem_write_get(r, site, true);
}

void mmf_up_write(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	if (!r->writer || r->owner != CUR()) {
		mmf_fail(MMF_FAIL_LOCKING, r, site, "up_write of %s by a task that does not own it",
			 r->name);
		return;
	}
	mmf__lock_released(r, site);
	mmf_tsan_release(r);
	mmf_obj_lock(r);
	r->writer = false;
	r->owner = NULL;
	mmf_obj_wake(r);
	mmf_obj_unlock(r);
}

void mmf_downgrade_write(struct rw_semaphore *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	check_not_freed(r, r->cls, "rw_semaphore", site);
	if (!r->writer || r->owner != CUR()) {
		mmf_fail(MMF_FAIL_LOCKING, r, site, "downgrade_write of %s by a task that does not "
			 "own it", r->name);
		return;
	}
	/* The held lock stays held (now for reading): lockdep's lock_downgrade. */
	mmf__lock_downgraded(r, site);
	/* Readers that get in now see what the writer did. */
	mmf_tsan_release(r);
	mmf_obj_lock(r);
	r->writer = false;
	r->owner = NULL;
	r->readers++;
	mmf_obj_wake(r);
	mmf_obj_unlock(r);
}

bool mmf_rwsem_is_locked(struct rw_semaphore *r, const struct mmf_site *site)
{
	point(MMF_PT_ACCESS, r, site);
	KCHECK(r, sizeof(*r), false, site);
	return r->readers > 0 || r->writer;
}

bool mmf_rwsem_held_by_current(const struct rw_semaphore *r)
{
	struct mmf_task *t = CUR();
	if (r->writer)
		return r->owner == t;
	if (!t)
		return r->readers > 0;
	for (int i = 0; i < t->nheld; i++)
		if (t->held[i].lock == r)
			return true;
	return false;
}

/* ---- completion -------------------------------------------------------------- */

void mmf_init_completion(struct completion *c) { c->done = 0; }

void mmf_wait_for_completion(struct completion *c, const struct mmf_site *site)
{
	KCHECK(c, sizeof(*c), true, site);
	mmf_might_sleep(site);
	point(MMF_PT_WAIT, c, site);
	mmf_obj_lock(c);
	while (!c->done)
		mmf_obj_wait(c, MMF_WAIT_SLEEP, "completion", NULL, site);
	if (c->done != UINT_MAX)
		c->done--;
	mmf_obj_unlock(c);
	mmf_tsan_acquire(c);
}

bool mmf_try_wait_for_completion(struct completion *c, const struct mmf_site *site)
{
	KCHECK(c, sizeof(*c), true, site);
	point(MMF_PT_WAIT, c, site);
	mmf_obj_lock(c);
	bool got = c->done != 0;
	if (got && c->done != UINT_MAX)
		c->done--;
	mmf_obj_unlock(c);
	if (got)
		mmf_tsan_acquire(c);
	return got;
}

void mmf_complete(struct completion *c, bool all, const struct mmf_site *site)
{
	KCHECK(c, sizeof(*c), true, site);
	point(MMF_PT_WAIT, c, site);
	mmf_tsan_release(c);
	mmf_obj_lock(c);
	if (all)
		c->done = UINT_MAX;
	else if (c->done != UINT_MAX)
		c->done++;
	mmf_obj_wake(c);
	mmf_obj_unlock(c);
}

/* ---- wait queues --------------------------------------------------------------- */

void mmf_init_waitqueue_head(wait_queue_head_t *wq) { wq->waiters = 0; }

void mmf_prepare_to_wait(wait_queue_head_t *wq, const struct mmf_site *site)
{
	KCHECK(wq, sizeof(*wq), true, site);
	struct mmf_task *t = CUR();
	if (!t)
		mmf_internal("prepare_to_wait in the host context");
	point(MMF_PT_WAIT, wq, site);
	mmf_obj_lock(wq);
	wq->waiters |= 1u << t->id;
	t->wq_armed = true;
	t->prepared_wq = wq;
	mmf_obj_unlock(wq);
}

void mmf_finish_wait(wait_queue_head_t *wq)
{
	KCHECK(wq, sizeof(*wq), true, NULL);
	struct mmf_task *t = CUR();
	mmf_obj_lock(wq);
	wq->waiters &= ~(1u << t->id);
	t->wq_armed = false;
	t->prepared_wq = NULL;
	mmf_obj_unlock(wq);
	mmf_tsan_acquire(wq);
}

void mmf_schedule(const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	if (!t || !t->prepared_wq)
		mmf_internal("schedule() without prepare_to_wait()");
	wait_queue_head_t *wq = t->prepared_wq;
	mmf_might_sleep(site);
	mmf_obj_lock(wq);
	while (t->wq_armed)
		mmf_obj_wait(wq, MMF_WAIT_SLEEP, "wait queue", NULL, site);
	mmf_obj_unlock(wq);
}

void mmf_wake_up(wait_queue_head_t *wq, const struct mmf_site *site)
{
	KCHECK(wq, sizeof(*wq), true, site);
	struct mmf_sched *s = mmf_current_sched();
	point(MMF_PT_WAIT, wq, site);
	mmf_tsan_release(wq);
	mmf_obj_lock(wq);
	for (int i = 0; i < MMF_MAX_TASKS; i++)
		if (wq->waiters & (1u << i))
			s->tasks[i].wq_armed = false;
	mmf_obj_wake(wq);
	mmf_obj_unlock(wq);
}

/* ---- bit locks --------------------------------------------------------------------- */

/* The report side table of who locked each bit lock (defined at the end of
 * this file).  A kernel bit lock has no owner: any context may unlock it,
 * and nothing here enforces one.  The table only remembers, for every bit
 * lock that is locked now, the task and site that locked it and the step,
 * and once that task handed it off (bit_lock_handoff), where and when:
 * the record stays until the unlock, so a report on a waiter can still
 * name the task and site behind a lock whose unlock never comes (a swap
 * read handed the page lock, failing without unlocking it).  Bit
 * waiters record which bit they wait on (task->wait_bit): a folio's
 * PG_locked and PG_writeback live in one word, and the reports must not
 * confuse the writeback waiter with the lock's holders. */
static struct mmf_bitlock_rec *bitlock_find(struct mmf_sched *s, const void *word, int bit);
static void bitlock_locked(const void *word, int bit, const char *name,
			   const struct mmf_task *t, const struct mmf_site *site);
static void bitlock_unlocked(const void *word, int bit);
static const struct mmf_task *bitlock_owner(const void *word, int bit);
static void bit_obj_wait(unsigned long *word, int nr, const char *desc, const struct mmf_site *site);

void mmf_bit_lock(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		  const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	struct mmf_task *t = CUR();
	mmf_might_sleep(site);
	point(MMF_PT_PAGE_LOCK, word, site);
	if (mmf__bitlock_held_by_current(word, nr)) {
		mmf_fail(MMF_FAIL_LOCKING, word, site, "recursive locking: task '%s' already holds "
			 "%s %p", t->name, cls->name, (void *)word);
		return;
	}
	mmf_obj_lock(word);
	while (mmf__test_and_set_bit(nr, word))
		bit_obj_wait(word, nr, cls->name, site);
	bitlock_locked(word, nr, cls->name, t, site);
	mmf_obj_unlock(word);
	mmf__bitlock_acquired(word, nr, &cls->key, cls->name, site, false);
	mmf_tsan_acquire(word);
}

bool mmf_bit_trylock(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		     const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	struct mmf_task *t = CUR();
	point(MMF_PT_PAGE_LOCK, word, site);
	mmf_obj_lock(word);
	bool got = !mmf__test_and_set_bit(nr, word);
	if (got)
		bitlock_locked(word, nr, cls->name, t, site);
	mmf_obj_unlock(word);
	if (got) {
		mmf__bitlock_acquired(word, nr, &cls->key, cls->name, site, true);
		mmf_tsan_acquire(word);
	}
	return got;
}

void mmf_bit_lock_new(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		      const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	struct mmf_task *t = CUR();
	mmf_obj_lock(word);
	bool was = mmf__test_and_set_bit(nr, word);
	if (!was)
		bitlock_locked(word, nr, cls->name, t, site);
	mmf_obj_unlock(word);
	if (was) {
		mmf_fail(MMF_FAIL_BUG, word, site, "kernel BUG: %s %p of a new object is already "
			 "locked", cls->name, (void *)word);
		return;
	}
	/* Uncontended by construction: like a trylock, no ordering of its own. */
	mmf__bitlock_acquired(word, nr, &cls->key, cls->name, site, true);
	mmf_tsan_acquire(word);
}

void mmf_bit_unlock(int nr, unsigned long *word, const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	struct mmf_task *t = CUR();
	bool mine = mmf__bitlock_held_by_current(word, nr);
	if (!mine) {
		/* Not ours: fine if it was handed off, a mistake if another
		 * task still holds it (as far as the side table knows). */
		mmf_obj_lock(word);
		const struct mmf_task *o = mmf__test_bit(nr, word) ? bitlock_owner(word, nr) : NULL;
		const struct mmf_bitlock_rec *r = o ? mmf__bitlock_rec(mmf_current_sched(), word,
								       nr) : NULL;
		mmf_obj_unlock(word);
		if (o && o != t) {
			mmf_fail(MMF_FAIL_LOCKING, word, site, "bit %d of %p unlocked by %s, but task "
				 "%d '%s' holds it (taken at %s:%d %s(), step %llu) and did not hand "
				 "it off", nr, (void *)word, t ? t->name : "the host", o->id, o->name,
				 mmf_site_file(r ? r->site : NULL), r && r->site ? r->site->line : 0,
				 r && r->site ? r->site->func : "?",
				 (unsigned long long)(r ? r->step : 0));
			return;
		}
	}
	mmf_tsan_release(word);
	mmf_obj_lock(word);
	if (!mmf__test_and_clear_bit(nr, word)) {
		mmf_obj_unlock(word);
		mmf_fail(MMF_FAIL_BUG, word, site, "kernel BUG: unlocking bit %d of %p, which is "
			 "not locked", nr, (void *)word);
		return;
	}
	bitlock_unlocked(word, nr);
	mmf_obj_wake(word);
	mmf_obj_unlock(word);
	if (mine)
		mmf__bitlock_released(word, nr, site);
}

void mmf_bit_lock_handoff(int nr, unsigned long *word, const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	if (!mmf__bitlock_held_by_current(word, nr)) {
		struct mmf_task *t = CUR();
		mmf_fail(MMF_FAIL_LOCKING, word, site, "%s hands off bit %d of %p, which it does "
			 "not hold", t ? t->name : "the host", nr, (void *)word);
		return;
	}
	mmf_obj_lock(word);
	struct mmf_sched *s = mmf_current_sched();
	struct mmf_bitlock_rec *r = s ? bitlock_find(s, word, nr) : NULL;
	if (r) {
		/* Keep who locked it: a waiter's report names the task and
		 * site behind a lock that is never unlocked. */
		r->handoff = site;
		r->handoff_step = s->steps;
	}
	mmf_obj_unlock(word);
	mmf__bitlock_released(word, nr, site);
}

bool mmf_bit_lock_held_by_current(int nr, const unsigned long *word)
{
	return mmf__bitlock_held_by_current(word, nr);
}

void mmf_bit_wait(int nr, unsigned long *word, const char *name, const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), false, site);
	mmf_might_sleep(site);
	point(MMF_PT_PAGE_LOCK, word, site);
	mmf_obj_lock(word);
	while (mmf__test_bit(nr, word))
		bit_obj_wait(word, nr, name, site);
	mmf_obj_unlock(word);
	mmf_tsan_acquire(word);
}

void mmf_bit_clear_wake(int nr, unsigned long *word, const struct mmf_site *site)
{
	KCHECK(word, sizeof(*word), true, site);
	mmf_tsan_release(word);
	mmf_obj_lock(word);
	bool was = mmf__test_and_clear_bit(nr, word);
	mmf_obj_wake(word);
	mmf_obj_unlock(word);
	if (!was)
		mmf_fail(MMF_FAIL_BUG, word, site, "kernel BUG: clearing bit %d of %p, which is "
			 "not set", nr, (void *)word);
}

/* ---- atomics ------------------------------------------------------------------------ */

int mmf_atomic_read(const atomic_t *v, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), false, site);
	point(MMF_PT_ATOMIC, v, site);
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

void mmf_atomic_set(atomic_t *v, int i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

void mmf_atomic_add(atomic_t *v, int i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

/* Fully ordered read-modify-write: release before, acquire after. */
#define ORDERED(v, expr)                                                       \
	({                                                                     \
		mmf_tsan_release(v);                                           \
		__typeof__(expr) r_ = (expr);                                  \
		mmf_tsan_acquire(v);                                           \
		r_;                                                            \
	})

int mmf_atomic_add_return(atomic_t *v, int i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST));
}

int mmf_atomic_fetch_add(atomic_t *v, int i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST));
}

int mmf_atomic_cmpxchg(atomic_t *v, int old, int new, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, ({
		int o_ = old;
		__atomic_compare_exchange_n(&v->counter, &o_, new, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		o_;
	}));
}

int mmf_atomic_xchg(atomic_t *v, int new, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, __atomic_exchange_n(&v->counter, new, __ATOMIC_SEQ_CST));
}

bool mmf_atomic_add_unless(atomic_t *v, int a, int u, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, ({
		int c_ = __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
		bool done_ = false;
		while (c_ != u) {
			if (__atomic_compare_exchange_n(&v->counter, &c_, c_ + a, false,
							__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
				done_ = true;
				break;
			}
		}
		done_;
	}));
}

long mmf_atomic_long_read(const atomic_long_t *v, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), false, site);
	point(MMF_PT_ATOMIC, v, site);
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

void mmf_atomic_long_set(atomic_long_t *v, long i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

long mmf_atomic_long_add_return(atomic_long_t *v, long i, const struct mmf_site *site)
{
	KCHECK(v, sizeof(*v), true, site);
	point(MMF_PT_ATOMIC, v, site);
	return ORDERED(v, __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST));
}

/* ---- refcount_t ----------------------------------------------------------------------- */

void mmf_refcount_set(refcount_t *r, int n, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	mmf_atomic_set(&r->refs, n, site);
}

int mmf_refcount_read(const refcount_t *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), false, site);
	return mmf_atomic_read(&r->refs, site);
}

void mmf_refcount_inc(refcount_t *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	point(MMF_PT_ATOMIC, r, site);
	int old = __atomic_fetch_add(&r->refs.counter, 1, __ATOMIC_RELAXED);
	if (old <= 0)
		mmf_fail(MMF_FAIL_REFCOUNT, r, site,
			 "refcount_t: addition on %d; use-after-free", old);
}

bool mmf_refcount_inc_not_zero(refcount_t *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	bool got = mmf_atomic_add_unless(&r->refs, 1, 0, site);
	if (got && __atomic_load_n(&r->refs.counter, __ATOMIC_RELAXED) < 0)
		mmf_fail(MMF_FAIL_REFCOUNT, r, site, "refcount_t: saturated; leaking memory");
	return got;
}

void mmf_refcount_dec(refcount_t *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	point(MMF_PT_ATOMIC, r, site);
	int now = ORDERED(r, __atomic_sub_fetch(&r->refs.counter, 1, __ATOMIC_SEQ_CST));
	if (now <= 0)
		mmf_fail(MMF_FAIL_REFCOUNT, r, site, now == 0 ?
			 "refcount_t: decrement hit 0; leaking memory" :
			 "refcount_t: underflow; use-after-free");
}

bool mmf_refcount_dec_and_test(refcount_t *r, const struct mmf_site *site)
{
	KCHECK(r, sizeof(*r), true, site);
	point(MMF_PT_ATOMIC, r, site);
	mmf_tsan_release(r);
	int now = __atomic_sub_fetch(&r->refs.counter, 1, __ATOMIC_SEQ_CST);
	if (now < 0)
		mmf_fail(MMF_FAIL_REFCOUNT, r, site, "refcount_t: underflow; use-after-free");
	if (now == 0)
		mmf_tsan_acquire(r);
	return now == 0;
}

/* ---- RCU --------------------------------------------------------------------------------- */

void mmf_rcu_read_lock(const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	point(MMF_PT_RCU, NULL, site);
	if (!t)
		return;
	struct mmf_sched *s = t->s;
	mmf_obj_lock(&s->rcu_gp_obj);
	bool outermost = t->rcu_nesting++ == 0;
	if (outermost) {
		t->rcu_seq++;
		t->rcu_site = site;
		t->rcu_step = s->steps;
	}
	mmf_obj_unlock(&s->rcu_gp_obj);
	if (MMF_ASAN && outermost)
		mmf_kmem_rcu_readers(s, 1);
}

void mmf_rcu_read_unlock(const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	point(MMF_PT_RCU, NULL, site);
	if (!t)
		return;
	struct mmf_sched *s = t->s;
	if (t->rcu_nesting <= 0) {
		mmf_fail(MMF_FAIL_LOCKING, NULL, site, "rcu_read_unlock without rcu_read_lock");
		return;
	}
	mmf_tsan_release(&s->rcu_gp_obj);
	mmf_obj_lock(&s->rcu_gp_obj);
	bool outermost = --t->rcu_nesting == 0;
	if (outermost)
		mmf_obj_wake(&s->rcu_gp_obj);
	mmf_obj_unlock(&s->rcu_gp_obj);
	if (MMF_ASAN && outermost)
		mmf_kmem_rcu_readers(s, -1);
}

bool mmf_rcu_read_lock_held(void)
{
	struct mmf_task *t = CUR();
	return t && t->rcu_nesting > 0;
}

void mmf_synchronize_rcu(const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	struct mmf_sched *s = mmf_current_sched();
	uint64_t seq[MMF_MAX_TASKS];
	uint32_t readers = 0;

	mmf_might_sleep(site);
	point(MMF_PT_RCU, NULL, site);
	if (!s)
		return;
	mmf_obj_lock(&s->rcu_gp_obj);
	/* The grace period waits for exactly the readers that exist now. */
	for (int i = 0; i < s->ntasks; i++) {
		if (&s->tasks[i] != t && s->tasks[i].rcu_nesting > 0) {
			readers |= 1u << i;
			seq[i] = s->tasks[i].rcu_seq;
		}
	}
	for (int i = 0; i < s->ntasks; i++) {
		if (!(readers & (1u << i)))
			continue;
		while (s->tasks[i].rcu_nesting > 0 && s->tasks[i].rcu_seq == seq[i])
			mmf_obj_wait(&s->rcu_gp_obj, MMF_WAIT_SLEEP, "RCU grace period",
				     &s->tasks[i], site);
	}
	mmf_obj_unlock(&s->rcu_gp_obj);
	mmf_tsan_acquire(&s->rcu_gp_obj);
}

static void rcu_gp_kthread(void *arg)
{
	struct mmf_sched *s = arg;
	struct rcu_head *batch[MMF_MAX_RCU_CALLBACKS];

	for (;;) {
		mmf_obj_lock(&s->rcu_work_obj);
		while (!s->nrcu_cbs && !kthread_should_stop())
			mmf_kthread_idle_wait(&s->rcu_work_obj, "rcu callbacks",
					      MMF_SITE("rcu_gp_kthread"));
		int n = s->nrcu_cbs;
		if (!n) {
			mmf_obj_unlock(&s->rcu_work_obj);
			return;
		}
		MMF_SCHED_ENTER();
		memcpy(batch, s->rcu_cbs, sizeof(batch[0]) * (size_t)n);
		MMF_SCHED_LEAVE();
		s->nrcu_cbs = 0;
		mmf_obj_unlock(&s->rcu_work_obj);

		mmf_synchronize_rcu(MMF_SITE("rcu_gp_kthread"));
		for (int i = 0; i < n; i++) {
			mmf_tsan_acquire(batch[i]);
			batch[i]->func(batch[i]);
		}
		/* What the callbacks did happens before rcu_barrier() returns. */
		mmf_tsan_release(&s->rcu_done_obj);
		mmf_obj_lock(&s->rcu_done_obj);
		s->rcu_cb_done += (uint64_t)n;
		mmf_obj_wake(&s->rcu_done_obj);
		mmf_obj_unlock(&s->rcu_done_obj);
	}
}

void mmf_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *),
		  const struct mmf_site *site)
{
	KCHECK(head, sizeof(*head), true, site);
	struct mmf_sched *s = mmf_current_sched();
	point(MMF_PT_RCU, head, site);
	head->func = func;
	mmf_tsan_release(head);
	mmf_obj_lock(&s->rcu_work_obj);
	if (s->nrcu_cbs == MMF_MAX_RCU_CALLBACKS) {
		mmf_obj_unlock(&s->rcu_work_obj);
		mmf_fail(MMF_FAIL_BUG, head, site, "more than %d RCU callbacks pending",
			 MMF_MAX_RCU_CALLBACKS);
		return;
	}
	s->rcu_cbs[s->nrcu_cbs++] = head;
	s->rcu_cb_queued++;
	bool spawn = !s->rcu_daemon;
	if (spawn)
		s->rcu_daemon = (struct mmf_task *)1; /* claimed; set below */
	mmf_obj_wake(&s->rcu_work_obj);
	mmf_obj_unlock(&s->rcu_work_obj);
	if (spawn)
		s->rcu_daemon = mmf_spawn(s, "rcu_gp", MMF_TASK_DAEMON, rcu_gp_kthread, s);
}

void mmf_rcu_barrier(const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	mmf_might_sleep(site);
	point(MMF_PT_RCU, NULL, site);
	if (!s)
		return;
	mmf_obj_lock(&s->rcu_work_obj);
	uint64_t target = s->rcu_cb_queued;
	mmf_obj_unlock(&s->rcu_work_obj);
	if (!mmf_current()) {
		/* Host context after a run: nothing runs the callbacks. */
		if (s->rcu_cb_done < target)
			mmf_internal("rcu_barrier in the host with callbacks pending");
		return;
	}
	mmf_obj_lock(&s->rcu_done_obj);
	while (s->rcu_cb_done < target)
		mmf_obj_wait(&s->rcu_done_obj, MMF_WAIT_SLEEP, "rcu_barrier", s->rcu_daemon, site);
	mmf_obj_unlock(&s->rcu_done_obj);
	mmf_tsan_acquire(&s->rcu_done_obj);
}

/* ---- percpu_ref ------------------------------------------------------------------------- */

void mmf_percpu_ref_init(struct percpu_ref *ref, void (*release)(struct percpu_ref *),
			 const char *name, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, NULL);
	ref->count = 1;
	ref->dead = false;
	ref->release = release;
	mmf_ref_new(ref, name, 1, true, site);
}

bool mmf_percpu_ref_tryget_live(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, site);
	point(MMF_PT_ATOMIC, ref, site);
	mmf_obj_lock(ref);
	bool got = !ref->dead;
	if (got)
		ref->count++;
	mmf_obj_unlock(ref);
	if (got) {
		mmf_tsan_acquire(ref);
		mmf_ref_get(ref, "percpu_ref", 1, site);
	}
	return got;
}

void mmf_percpu_ref_get(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, site);
	point(MMF_PT_ATOMIC, ref, site);
	mmf_obj_lock(ref);
	if (ref->count <= 0) {
		mmf_obj_unlock(ref);
		mmf_fail(MMF_FAIL_REFCOUNT, ref, site, "percpu_ref_get on a zero ref");
		return;
	}
	ref->count++;
	mmf_obj_unlock(ref);
	mmf_ref_get(ref, "percpu_ref", 1, site);
}

static void ref_drop(struct percpu_ref *ref, const struct mmf_site *site)
{
	mmf_tsan_release(ref);
	mmf_obj_lock(ref);
	long now = --ref->count;
	if (now == 0)
		mmf_obj_wake(ref);
	mmf_obj_unlock(ref);
	if (now < 0)
		mmf_fail(MMF_FAIL_REFCOUNT, ref, site, "percpu_ref underflow");
	if (now == 0) {
		mmf_tsan_acquire(ref);
		if (ref->release)
			ref->release(ref);
	}
}

void mmf_percpu_ref_put(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, site);
	point(MMF_PT_ATOMIC, ref, site);
	mmf_ref_put(ref, 1, site);
	ref_drop(ref, site);
}

void mmf_percpu_ref_kill(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, site);
	point(MMF_PT_ATOMIC, ref, site);
	mmf_obj_lock(ref);
	bool was = ref->dead;
	ref->dead = true;
	mmf_obj_unlock(ref);
	if (was) {
		mmf_fail(MMF_FAIL_BUG, ref, site, "percpu_ref_kill called more than once");
		return;
	}
	mmf_ref_kill(ref, site);
	ref_drop(ref, site);
}

void mmf_percpu_ref_wait_for_zero(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), false, site);
	mmf_might_sleep(site);
	point(MMF_PT_WAIT, ref, site);
	mmf_obj_lock(ref);
	while (ref->count > 0)
		mmf_obj_wait(ref, MMF_WAIT_SLEEP, "percpu_ref users", NULL, site);
	mmf_obj_unlock(ref);
	mmf_tsan_acquire(ref);
}

void mmf_percpu_ref_resurrect(struct percpu_ref *ref, const struct mmf_site *site)
{
	KCHECK(ref, sizeof(*ref), true, site);
	point(MMF_PT_ATOMIC, ref, site);
	mmf_obj_lock(ref);
	if (!ref->dead || ref->count != 0) {
		mmf_obj_unlock(ref);
		mmf_fail(MMF_FAIL_BUG, ref, site, "percpu_ref_resurrect of a live ref");
		return;
	}
	ref->dead = false;
	ref->count = 1;
	mmf_obj_unlock(ref);
	mmf_ref_new(ref, "percpu_ref", 1, true, site);
}

bool mmf_percpu_ref_is_zero(struct percpu_ref *ref)
{
	KCHECK(ref, sizeof(*ref), false, NULL);
	return __atomic_load_n(&ref->count, __ATOMIC_RELAXED) == 0;
}

/* ---- timers and timeouts ----------------------------------------------------------------- */

void mmf_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	KCHECK(t, sizeof(*t), true, NULL);
	*t = (struct timer_list){.function = fn};
}

static void timer_irq(void *arg)
{
	struct timer_list *t = arg;
	t->function(t);
	mmf_obj_lock(t);
	t->running = false;
	mmf_obj_wake(t);
	mmf_obj_unlock(t);
}

static int timer_index(struct mmf_sched *s, struct timer_list *t)
{
	for (int i = 0; i < s->ntimers; i++)
		if (s->timers[i] == t)
			return i;
	return -1;
}

void mmf_mod_timer(struct timer_list *t, uint64_t expires, const struct mmf_site *site)
{
	KCHECK(t, sizeof(*t), true, site);
	struct mmf_sched *s = mmf_current_sched();
	point(MMF_PT_TIME, t, site);
	mmf_obj_lock(&s->timers);
	t->expires = expires;
	if (!t->pending) {
		if (s->ntimers == MMF_MAX_TIMERS) {
			mmf_obj_unlock(&s->timers);
			mmf_fail(MMF_FAIL_BUG, t, site, "more than %d timers pending", MMF_MAX_TIMERS);
			return;
		}
		s->timers[s->ntimers++] = t;
		t->pending = true;
	}
	mmf_obj_unlock(&s->timers);
}

bool mmf_del_timer(struct timer_list *t, bool sync, const struct mmf_site *site)
{
	KCHECK(t, sizeof(*t), true, site);
	struct mmf_sched *s = mmf_current_sched();
	point(MMF_PT_TIME, t, site);
	mmf_obj_lock(&s->timers);
	bool was = t->pending;
	int i = timer_index(s, t);
	if (i >= 0)
		s->timers[i] = s->timers[--s->ntimers];
	t->pending = false;
	mmf_obj_unlock(&s->timers);
	if (sync) {
		mmf_obj_lock(t);
		while (t->running)
			mmf_obj_wait(t, MMF_WAIT_SLEEP, "running timer", NULL, site);
		mmf_obj_unlock(t);
	}
	return was;
}

/* Called by the scheduler (fibers) or the watchdog (threads) with the
 * timer list locked. */
void mmf__timer_fire_due(struct mmf_sched *s)
{
	for (int i = 0; i < s->ntimers;) {
		struct timer_list *t = s->timers[i];
		if (t->expires > s->vtime) {
			i++;
			continue;
		}
		s->timers[i] = s->timers[--s->ntimers];
		t->pending = false;
		t->running = true;
		mmf_spawn(s, "timer", MMF_TASK_IRQ, timer_irq, t);
	}
}

void mmf__timers_next(const struct mmf_sched *s, uint64_t *next)
{
	for (int i = 0; i < s->ntimers; i++)
		if (s->timers[i]->expires < *next)
			*next = s->timers[i]->expires;
}

long mmf_schedule_timeout(long timeout, const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	mmf_might_sleep(site);
	point(MMF_PT_TIME, t, site);
	if (!t)
		return 0;
	uint64_t start = mmf_jiffies();
	mmf_obj_lock(t);
	bool timed_out = mmf_obj_wait_timeout(t, "schedule_timeout", (uint64_t)timeout, site);
	mmf_obj_unlock(t);
	if (timed_out)
		return 0;
	long left = timeout - (long)(mmf_jiffies() - start);
	return left > 0 ? left : 0;
}

/* ---- the bit-lock side table ------------------------------------------------------ */

/* The report side table: who locked each bit lock, where, and where it
 * was handed off.  Nothing enforces it; it only names holders.  A full
 * table forgets the newest lock (its waiters then name no holder). */
static struct mmf_bitlock_rec *bitlock_find(struct mmf_sched *s, const void *word, int bit)
{
	int n = __atomic_load_n(&s->nbitlock, __ATOMIC_RELAXED);
	for (int i = 0; i < n && i < MMF_MAX_BITLOCK_OWNERS; i++)
		if (s->bitlock_owner[i].word == word && s->bitlock_owner[i].bit == bit)
			return &s->bitlock_owner[i];
	return NULL;
}

const struct mmf_bitlock_rec *mmf__bitlock_rec(const struct mmf_sched *s, const void *word,
					       int bit)
{
	return s ? bitlock_find((struct mmf_sched *)s, word, bit) : NULL;
}

static void bitlock_locked(const void *word, int bit, const char *name,
			   const struct mmf_task *t, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		return;
	/* Thread mode: entries are only claimed here (word set last), and a
	 * report reads them racily, which is good enough for naming. */
	MMF_SCHED_ENTER();
	struct mmf_bitlock_rec *r = bitlock_find(s, word, bit);
	int n = __atomic_load_n(&s->nbitlock, __ATOMIC_RELAXED);
	for (int i = 0; !r && i < n && i < MMF_MAX_BITLOCK_OWNERS; i++)
		if (!s->bitlock_owner[i].word)
			r = &s->bitlock_owner[i];
	if (!r && n < MMF_MAX_BITLOCK_OWNERS) {
		int i = __atomic_fetch_add(&s->nbitlock, 1, __ATOMIC_RELAXED);
		if (i < MMF_MAX_BITLOCK_OWNERS)
			r = &s->bitlock_owner[i];
	}
	if (r)
		*r = (struct mmf_bitlock_rec){word, bit, name, t ? t->id : -1, site, s->steps,
					      NULL, 0};
	MMF_SCHED_LEAVE();
}

static void bitlock_unlocked(const void *word, int bit)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		return;
	MMF_SCHED_ENTER();
	struct mmf_bitlock_rec *r = bitlock_find(s, word, bit);
	if (r)
		r->word = NULL;
	MMF_SCHED_LEAVE();
}

/* The task that locked it and still holds it (not handed off), if any. */
static const struct mmf_task *bitlock_owner(const void *word, int bit)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		return NULL;
	MMF_SCHED_ENTER();
	const struct mmf_bitlock_rec *r = bitlock_find(s, word, bit);
	const struct mmf_task *o = r && r->task >= 0 && !r->handoff ? &s->tasks[r->task] : NULL;
	MMF_SCHED_LEAVE();
	return o;
}

/* Block on a bit of word, saying which bit for the reports. */
static void bit_obj_wait(unsigned long *word, int nr, const char *desc,
			 const struct mmf_site *site)
{
	struct mmf_task *t = CUR();
	if (t)
		t->wait_bit = nr + 1;
	mmf_obj_wait(word, MMF_WAIT_SLEEP, desc, bitlock_owner(word, nr), site);
	if (t)
		t->wait_bit = 0;
}
