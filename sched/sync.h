/* sync.h - kernel synchronisation primitives with the kernel's semantics,
 * built on the scheduler: every operation that can race is a scheduling
 * point, every wait is visible to the deadlock detector, every lock feeds
 * the lock-order checker and gives TSan its happens-before edges.
 *
 * Kernel names are macros over mmf_* functions that take the caller's
 * source site, so traces and reports name the model's line, not this file.
 *
 * Which operations are scheduling points (decision may switch task):
 *   locks: before acquire (spin, mutex, rwsem, bit locks, trylocks);
 *   atomics/refcount/percpu_ref: before each operation;
 *   RCU: read lock/unlock, synchronize_rcu, call_rcu, rcu_barrier;
 *   waits: prepare_to_wait, wait_for_completion, complete, wake_up;
 *   time: mod_timer, schedule_timeout.
 * Releases are not points: the next operation of the releasing task is one.
 */
#ifndef MMF_SYNC_H
#define MMF_SYNC_H

#include "kctx.h"
#include "reftrack.h"
#include "scheduler.h"

/* ---- interrupts ---------------------------------------------------------- */

void mmf_local_irq_disable(void);
void mmf_local_irq_enable(void);
unsigned long mmf_local_irq_save(void);
void mmf_local_irq_restore(unsigned long flags);
bool mmf_irqs_disabled(void);
#define local_irq_disable() mmf_local_irq_disable()
#define local_irq_enable() mmf_local_irq_enable()
#define local_irq_save(flags) ((flags) = mmf_local_irq_save())
#define local_irq_restore(flags) mmf_local_irq_restore(flags)
#define irqs_disabled() mmf_irqs_disabled()
#define in_interrupt() mmf_in_irq()

/* ---- spinlock ------------------------------------------------------------
 * Spinning is modelled as blocking (the spinner is not runnable until the
 * release), which is equivalent for interleavings and keeps step counts
 * small.  Holding one makes the task atomic: sleeping is then a bug. */
typedef struct {
	bool locked;
	struct mmf_task *owner;
	const struct mmf_site *cls;
	const char *name;
} spinlock_t;

void mmf_spin_init(spinlock_t *l, const char *name, const struct mmf_site *cls);
void mmf_spin_lock(spinlock_t *l, const struct mmf_site *site);
bool mmf_spin_trylock(spinlock_t *l, const struct mmf_site *site);
void mmf_spin_unlock(spinlock_t *l, const struct mmf_site *site);
bool mmf_spin_is_locked(const spinlock_t *l);
bool mmf_spin_held_by_current(const spinlock_t *l);

#define spin_lock_init(l) mmf_spin_init((l), #l, MMF_SITE("spin_lock_init"))
#define spin_lock(l) mmf_spin_lock((l), MMF_SITE("spin_lock"))
#define spin_trylock(l) mmf_spin_trylock((l), MMF_SITE("spin_trylock"))
#define spin_unlock(l) mmf_spin_unlock((l), MMF_SITE("spin_unlock"))

/* Preemption and virtual CPUs (sched_config.h, MMF_NR_CPUS).  With
 * preemption off a task pins its CPU: no other task of that CPU runs until
 * it is back on (tasks of other CPUs interleave as ever).  Sleeping with
 * preemption off is reported as sleeping in atomic context. */
void mmf_preempt_disable(void);
void mmf_preempt_enable(void);
int mmf_cpu(void);                      /* smp_processor_id() */
/* Move the current task to another CPU (a work item queued there, as
 * lru_add_drain_all's): a scheduling point, where it waits while a task of
 * that CPU has preemption off.  The task stays bound to that CPU (the load
 * balancer leaves it there) until mmf_run_on_cpu_done(), which moves it to
 * CPU home the same way and unbinds it. */
void mmf_run_on_cpu(int cpu, const struct mmf_site *site);
void mmf_run_on_cpu_done(int home, const struct mmf_site *site);
#define preempt_disable() mmf_preempt_disable()
#define preempt_enable() mmf_preempt_enable()
#define smp_processor_id() mmf_cpu()

/* local_lock_t: preemption off plus, for the lock checker and for the
 * real-thread mode (where preemption means nothing), a per-CPU spinlock
 * (PREEMPT_RT's shape) that no task of the same CPU can contend for. */
typedef struct {
	spinlock_t lock;
} local_lock_t;
#define local_lock_init(l) spin_lock_init(&(l)->lock)
#define local_lock(l) (mmf_preempt_disable(), spin_lock(&(l)->lock))
#define local_unlock(l) (spin_unlock(&(l)->lock), mmf_preempt_enable())
#define spin_lock_irq(l) (mmf_local_irq_disable(), mmf_spin_lock((l), MMF_SITE("spin_lock_irq")))
#define spin_unlock_irq(l) (mmf_spin_unlock((l), MMF_SITE("spin_unlock_irq")), mmf_local_irq_enable())
#define spin_lock_irqsave(l, flags)                                            \
	((flags) = mmf_local_irq_save(), mmf_spin_lock((l), MMF_SITE("spin_lock_irqsave")))
#define spin_unlock_irqrestore(l, flags)                                       \
	(mmf_spin_unlock((l), MMF_SITE("spin_unlock_irqrestore")), mmf_local_irq_restore(flags))
#define spin_is_locked(l) mmf_spin_is_locked(l)

/* ---- mutex ---------------------------------------------------------------- */
struct mutex {
	bool locked;
	struct mmf_task *owner;
	const struct mmf_site *cls;
	const char *name;
};
void mmf_mutex_init(struct mutex *m, const char *name, const struct mmf_site *cls);
void mmf_mutex_lock(struct mutex *m, const struct mmf_site *site);
bool mmf_mutex_trylock(struct mutex *m, const struct mmf_site *site);
void mmf_mutex_unlock(struct mutex *m, const struct mmf_site *site);
bool mmf_mutex_held_by_current(const struct mutex *m);
#define mutex_init(m) mmf_mutex_init((m), #m, MMF_SITE("mutex_init"))
#define mutex_lock(m) mmf_mutex_lock((m), MMF_SITE("mutex_lock"))
#define mutex_trylock(m) mmf_mutex_trylock((m), MMF_SITE("mutex_trylock"))
#define mutex_unlock(m) mmf_mutex_unlock((m), MMF_SITE("mutex_unlock"))

/* ---- rw_semaphore ----------------------------------------------------------
 * Readers share; a writer excludes all.  Waiting readers do not jump ahead
 * of a waiting writer's turn only in the sense that both re-check after
 * every release; the decision source picks who wins. */
struct rw_semaphore {
	int readers;
	bool writer;
	struct mmf_task *owner;         /* the writer */
	const struct mmf_site *cls;
	const char *name;
};
void mmf_rwsem_init(struct rw_semaphore *r, const char *name, const struct mmf_site *cls);
void mmf_down_read(struct rw_semaphore *r, const struct mmf_site *site);
bool mmf_down_read_trylock(struct rw_semaphore *r, const struct mmf_site *site);
void mmf_up_read(struct rw_semaphore *r, const struct mmf_site *site);
void mmf_down_write(struct rw_semaphore *r, const struct mmf_site *site);
bool mmf_down_write_trylock(struct rw_semaphore *r, const struct mmf_site *site);
void mmf_up_write(struct rw_semaphore *r, const struct mmf_site *site);
/* downgrade_write(): the writer becomes a reader without letting another
 * writer in between; waiting readers may enter.  Not a scheduling point (it
 * releases); the caller ends with up_read(). */
void mmf_downgrade_write(struct rw_semaphore *r, const struct mmf_site *site);
bool mmf_rwsem_held_by_current(const struct rw_semaphore *r);
/* rwsem_is_locked(): does anyone hold it, for reading or writing?  A read
 * of the lock word: an access point, like a test_bit. */
bool mmf_rwsem_is_locked(struct rw_semaphore *r, const struct mmf_site *site);
#define init_rwsem(r) mmf_rwsem_init((r), #r, MMF_SITE("init_rwsem"))
#define down_read(r) mmf_down_read((r), MMF_SITE("down_read"))
#define down_read_trylock(r) mmf_down_read_trylock((r), MMF_SITE("down_read_trylock"))
#define up_read(r) mmf_up_read((r), MMF_SITE("up_read"))
#define down_write(r) mmf_down_write((r), MMF_SITE("down_write"))
#define down_write_trylock(r) mmf_down_write_trylock((r), MMF_SITE("down_write_trylock"))
#define up_write(r) mmf_up_write((r), MMF_SITE("up_write"))
#define downgrade_write(r) mmf_downgrade_write((r), MMF_SITE("downgrade_write"))
#define rwsem_is_locked(r) mmf_rwsem_is_locked((r), MMF_SITE("rwsem_is_locked"))

/* lockdep_assert_held(): the current task holds the lock (any lock type). */
#define lockdep_assert_held(l)                                                 \
	BUG_ON(!_Generic((l), spinlock_t *: mmf_spin_held_by_current,          \
			 struct mutex *: mmf_mutex_held_by_current,             \
			 struct rw_semaphore *: mmf_rwsem_held_by_current)(l))
#define assert_spin_locked(l) BUG_ON(!mmf_spin_is_locked(l))

/* ---- completion ------------------------------------------------------------ */
struct completion {
	unsigned done;
};
void mmf_init_completion(struct completion *c);
void mmf_wait_for_completion(struct completion *c, const struct mmf_site *site);
bool mmf_try_wait_for_completion(struct completion *c, const struct mmf_site *site);
void mmf_complete(struct completion *c, bool all, const struct mmf_site *site);
#define init_completion(c) mmf_init_completion(c)
#define reinit_completion(c) mmf_init_completion(c)
#define wait_for_completion(c) mmf_wait_for_completion((c), MMF_SITE("wait_for_completion"))
#define try_wait_for_completion(c) mmf_try_wait_for_completion((c), MMF_SITE("try_wait_for_completion"))
#define complete(c) mmf_complete((c), false, MMF_SITE("complete"))
#define complete_all(c) mmf_complete((c), true, MMF_SITE("complete_all"))

/* ---- wait queues --------------------------------------------------------------
 * The kernel protocol: prepare_to_wait() queues the task and arms it,
 * wake_up() disarms every queued task, schedule() sleeps only while still
 * armed, so a wake between the condition check and schedule() is not lost.
 * Checking the condition before prepare_to_wait() loses it: that is the
 * classic missed wakeup. */
struct wait_queue_head {
	uint32_t waiters;               /* bit set of task ids */
};
typedef struct wait_queue_head wait_queue_head_t;
void mmf_init_waitqueue_head(wait_queue_head_t *wq);
void mmf_prepare_to_wait(wait_queue_head_t *wq, const struct mmf_site *site);
void mmf_finish_wait(wait_queue_head_t *wq);
void mmf_schedule(const struct mmf_site *site);
void mmf_wake_up(wait_queue_head_t *wq, const struct mmf_site *site);
#define init_waitqueue_head(wq) mmf_init_waitqueue_head(wq)
#define prepare_to_wait(wq) mmf_prepare_to_wait((wq), MMF_SITE("prepare_to_wait"))
#define finish_wait(wq) mmf_finish_wait(wq)
#define schedule() mmf_schedule(MMF_SITE("schedule"))
#define wake_up(wq) mmf_wake_up((wq), MMF_SITE("wake_up"))
#define wait_event(wq, cond)                                                   \
	do {                                                                   \
		for (;;) {                                                     \
			prepare_to_wait(wq);                                   \
			if (cond)                                              \
				break;                                         \
			schedule();                                            \
		}                                                              \
		finish_wait(wq);                                               \
	} while (0)

/* ---- bit locks (page lock) ---------------------------------------------------
 * Sleeping bit locks with waiters, as PG_locked: lock, trylock, unlock.
 * Each kind of bit lock has a lock class, defined once with MMF_BIT_CLASS
 * (every folio's PG_locked is one class, as lockdep has one class per lock
 * type); acquisitions and releases go through the same held-lock
 * bookkeeping and lock-order graph as spinlocks, mutexes and rwsems, a
 * trylock adding no ordering of its own.
 *
 * The kernel's bit locks have no owner: any context may unlock one (a read
 * completion unlocks the page the faulting task locked).  The checker needs
 * a holder, so a task that passes a locked object on to be unlocked
 * elsewhere says so with bit_lock_handoff(): from then on it no longer
 * holds the lock, and whoever unlocks it (holding it or not) is fine.  This
 * is what percpu_rwsem_release() tells the kernel's lockdep.  Unlocking a
 * bit lock that another task holds (never handed off) is reported, as are
 * taking one the task holds already and exiting with one held.
 *
 * __bit_lock() takes a bit lock on an object no other task can see yet
 * (__folio_set_locked on a new folio): no scheduling point, cannot block,
 * and held from then on like a trylock's.
 *
 * A side table remembers who took each, to name it in deadlock reports. */
struct mmf_bit_class {
	struct mmf_site key;            /* where the class is defined: lockdep's key */
	const char *name;
};
#define MMF_BIT_CLASS(var, name_)                                              \
	const struct mmf_bit_class var = {{__FILE__, __LINE__, #var, "bit lock class"}, (name_)}

void mmf_bit_lock(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		  const struct mmf_site *site);
bool mmf_bit_trylock(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		     const struct mmf_site *site);
void mmf_bit_lock_new(int nr, unsigned long *word, const struct mmf_bit_class *cls,
		      const struct mmf_site *site);
void mmf_bit_unlock(int nr, unsigned long *word, const struct mmf_site *site);
void mmf_bit_lock_handoff(int nr, unsigned long *word, const struct mmf_site *site);
bool mmf_bit_lock_held_by_current(int nr, const unsigned long *word);
#define bit_lock(nr, word, cls) mmf_bit_lock((nr), (word), (cls), MMF_SITE("bit_lock"))
#define bit_trylock(nr, word, cls) mmf_bit_trylock((nr), (word), (cls), MMF_SITE("bit_trylock"))
#define __bit_lock(nr, word, cls) mmf_bit_lock_new((nr), (word), (cls), MMF_SITE("__bit_lock"))
#define bit_unlock(nr, word) mmf_bit_unlock((nr), (word), MMF_SITE("bit_unlock"))
#define bit_lock_handoff(nr, word) mmf_bit_lock_handoff((nr), (word), MMF_SITE("bit_lock_handoff"))

/* Bits others wait on without taking them (PG_writeback, or a lock bit
 * waited for without locking): wait until clear; clear and wake the
 * waiters.  Neither is a lock operation. */
void mmf_bit_wait(int nr, unsigned long *word, const char *name, const struct mmf_site *site);
void mmf_bit_clear_wake(int nr, unsigned long *word, const struct mmf_site *site);
#define bit_wait(nr, word, name) mmf_bit_wait((nr), (word), (name), MMF_SITE("bit_wait"))
#define bit_clear_wake(nr, word) mmf_bit_clear_wake((nr), (word), MMF_SITE("bit_clear_wake"))

/* Bit operations.  The raw forms (mmf__*) are no scheduling points: the
 * scheduler's own bit locks use them inside their points.  The kernel-named
 * forms, on shared state (page flags), are potential preemption points by
 * rule (docs/scheduler.md, "Scheduling points"): a test is an access point,
 * a change an atomic one. */
static inline bool mmf__test_bit(int nr, const unsigned long *w)
{
	return (__atomic_load_n(w, __ATOMIC_RELAXED) >> nr) & 1;
}
static inline void mmf__set_bit(int nr, unsigned long *w)
{
	__atomic_fetch_or(w, 1ul << nr, __ATOMIC_RELAXED);
}
static inline void mmf__clear_bit(int nr, unsigned long *w)
{
	__atomic_fetch_and(w, ~(1ul << nr), __ATOMIC_RELAXED);
}
static inline bool mmf__test_and_set_bit(int nr, unsigned long *w)
{
	return (__atomic_fetch_or(w, 1ul << nr, __ATOMIC_SEQ_CST) >> nr) & 1;
}
static inline bool mmf__test_and_clear_bit(int nr, unsigned long *w)
{
	return (__atomic_fetch_and(w, ~(1ul << nr), __ATOMIC_SEQ_CST) >> nr) & 1;
}
#define test_bit(nr, w)                                                        	(mmf_point(MMF_PT_ACCESS, (w), MMF_SITE("test_bit")), mmf__test_bit((nr), (w)))
#define set_bit(nr, w)                                                         	(mmf_point(MMF_PT_ATOMIC, (w), MMF_SITE("set_bit")), mmf__set_bit((nr), (w)))
#define clear_bit(nr, w)                                                       	(mmf_point(MMF_PT_ATOMIC, (w), MMF_SITE("clear_bit")), mmf__clear_bit((nr), (w)))
#define test_and_set_bit(nr, w)                                                	(mmf_point(MMF_PT_ATOMIC, (w), MMF_SITE("test_and_set_bit")),          	 mmf__test_and_set_bit((nr), (w)))
#define test_and_clear_bit(nr, w)                                              	(mmf_point(MMF_PT_ATOMIC, (w), MMF_SITE("test_and_clear_bit")),        	 mmf__test_and_clear_bit((nr), (w)))

/* ---- atomic_t ---------------------------------------------------------------
 * Each operation is a scheduling point.  Value-returning operations are
 * fully ordered (as in the kernel); the others are relaxed. */
typedef struct {
	int counter;
} atomic_t;
typedef struct {
	long counter;
} atomic_long_t;
#define ATOMIC_INIT(i) {(i)}

int mmf_atomic_read(const atomic_t *v, const struct mmf_site *site);
void mmf_atomic_set(atomic_t *v, int i, const struct mmf_site *site);
void mmf_atomic_add(atomic_t *v, int i, const struct mmf_site *site);
int mmf_atomic_add_return(atomic_t *v, int i, const struct mmf_site *site);
int mmf_atomic_fetch_add(atomic_t *v, int i, const struct mmf_site *site);
int mmf_atomic_cmpxchg(atomic_t *v, int old, int new, const struct mmf_site *site);
int mmf_atomic_xchg(atomic_t *v, int new, const struct mmf_site *site);
bool mmf_atomic_add_unless(atomic_t *v, int a, int u, const struct mmf_site *site);
long mmf_atomic_long_read(const atomic_long_t *v, const struct mmf_site *site);
long mmf_atomic_long_add_return(atomic_long_t *v, long i, const struct mmf_site *site);
void mmf_atomic_long_set(atomic_long_t *v, long i, const struct mmf_site *site);

#define atomic_read(v) mmf_atomic_read((v), MMF_SITE("atomic_read"))
#define atomic_set(v, i) mmf_atomic_set((v), (i), MMF_SITE("atomic_set"))
#define atomic_inc(v) mmf_atomic_add((v), 1, MMF_SITE("atomic_inc"))
#define atomic_dec(v) mmf_atomic_add((v), -1, MMF_SITE("atomic_dec"))
#define atomic_add(i, v) mmf_atomic_add((v), (i), MMF_SITE("atomic_add"))
#define atomic_sub(i, v) mmf_atomic_add((v), -(i), MMF_SITE("atomic_sub"))
#define atomic_inc_return(v) mmf_atomic_add_return((v), 1, MMF_SITE("atomic_inc_return"))
#define atomic_dec_return(v) mmf_atomic_add_return((v), -1, MMF_SITE("atomic_dec_return"))
#define atomic_add_return(i, v) mmf_atomic_add_return((v), (i), MMF_SITE("atomic_add_return"))
#define atomic_fetch_add(i, v) mmf_atomic_fetch_add((v), (i), MMF_SITE("atomic_fetch_add"))
#define atomic_dec_and_test(v) (mmf_atomic_add_return((v), -1, MMF_SITE("atomic_dec_and_test")) == 0)
#define atomic_inc_not_zero(v) mmf_atomic_add_unless((v), 1, 0, MMF_SITE("atomic_inc_not_zero"))
#define atomic_add_unless(v, a, u) mmf_atomic_add_unless((v), (a), (u), MMF_SITE("atomic_add_unless"))
#define atomic_cmpxchg(v, o, n) mmf_atomic_cmpxchg((v), (o), (n), MMF_SITE("atomic_cmpxchg"))
#define atomic_xchg(v, n) mmf_atomic_xchg((v), (n), MMF_SITE("atomic_xchg"))
#define atomic_long_read(v) mmf_atomic_long_read((v), MMF_SITE("atomic_long_read"))
#define atomic_long_set(v, i) mmf_atomic_long_set((v), (i), MMF_SITE("atomic_long_set"))
#define atomic_long_add_return(i, v) mmf_atomic_long_add_return((v), (i), MMF_SITE("atomic_long_add_return"))

/* ---- refcount_t ---------------------------------------------------------------
 * Saturating reference counts with the kernel's warnings, which are
 * reported as failures: increment from zero (use after free), decrement
 * to or below zero without the "and_test" form (leak or underflow). */
typedef struct {
	atomic_t refs;
} refcount_t;
#define REFCOUNT_INIT(n) {ATOMIC_INIT(n)}
void mmf_refcount_set(refcount_t *r, int n, const struct mmf_site *site);
int mmf_refcount_read(const refcount_t *r, const struct mmf_site *site);
void mmf_refcount_inc(refcount_t *r, const struct mmf_site *site);
bool mmf_refcount_inc_not_zero(refcount_t *r, const struct mmf_site *site);
void mmf_refcount_dec(refcount_t *r, const struct mmf_site *site);
bool mmf_refcount_dec_and_test(refcount_t *r, const struct mmf_site *site);
#define refcount_set(r, n) mmf_refcount_set((r), (n), MMF_SITE("refcount_set"))
#define refcount_read(r) mmf_refcount_read((r), MMF_SITE("refcount_read"))
#define refcount_inc(r) mmf_refcount_inc((r), MMF_SITE("refcount_inc"))
#define refcount_inc_not_zero(r) mmf_refcount_inc_not_zero((r), MMF_SITE("refcount_inc_not_zero"))
#define refcount_dec(r) mmf_refcount_dec((r), MMF_SITE("refcount_dec"))
#define refcount_dec_and_test(r) mmf_refcount_dec_and_test((r), MMF_SITE("refcount_dec_and_test"))

/* ---- RCU ------------------------------------------------------------------------
 * synchronize_rcu() waits exactly for the read-side sections that existed
 * when it was called; call_rcu() callbacks run in the "rcu_gp" kernel
 * thread, a scheduler-controlled task, after a grace period; rcu_barrier()
 * waits for every callback queued before it. */
struct rcu_head {
	void (*func)(struct rcu_head *head);
};
void mmf_rcu_read_lock(const struct mmf_site *site);
void mmf_rcu_read_unlock(const struct mmf_site *site);
void mmf_synchronize_rcu(const struct mmf_site *site);
void mmf_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *), const struct mmf_site *site);
void mmf_rcu_barrier(const struct mmf_site *site);
bool mmf_rcu_read_lock_held(void);
#define rcu_read_lock() mmf_rcu_read_lock(MMF_SITE("rcu_read_lock"))
#define rcu_read_unlock() mmf_rcu_read_unlock(MMF_SITE("rcu_read_unlock"))
#define synchronize_rcu() mmf_synchronize_rcu(MMF_SITE("synchronize_rcu"))
#define call_rcu(head, fn) mmf_call_rcu((head), (fn), MMF_SITE("call_rcu"))
#define rcu_barrier() mmf_rcu_barrier(MMF_SITE("rcu_barrier"))
#define rcu_read_lock_held() mmf_rcu_read_lock_held()
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/* ---- percpu_ref --------------------------------------------------------------------
 * A live-users counter as the swap device's users ref: tryget_live fails
 * once killed; kill drops the initial reference; the release callback runs
 * when the count reaches zero after a kill; wait_for_zero sleeps until then.
 * Every percpu_ref is reference-tracked (reftrack.h): its initial reference
 * is its own, kill drops it, and a task blocked after a kill (on the ref or
 * on what its release completes) has the holders it waits for named in
 * deadlock and hang reports. */
struct percpu_ref {
	long count;
	bool dead;
	void (*release)(struct percpu_ref *ref);
};
void mmf_percpu_ref_init(struct percpu_ref *ref, void (*release)(struct percpu_ref *),
			 const char *name, const struct mmf_site *site);
bool mmf_percpu_ref_tryget_live(struct percpu_ref *ref, const struct mmf_site *site);
void mmf_percpu_ref_get(struct percpu_ref *ref, const struct mmf_site *site);
void mmf_percpu_ref_put(struct percpu_ref *ref, const struct mmf_site *site);
void mmf_percpu_ref_kill(struct percpu_ref *ref, const struct mmf_site *site);
void mmf_percpu_ref_wait_for_zero(struct percpu_ref *ref, const struct mmf_site *site);
void mmf_percpu_ref_resurrect(struct percpu_ref *ref, const struct mmf_site *site);
bool mmf_percpu_ref_is_zero(struct percpu_ref *ref);
#define percpu_ref_init(r, rel) mmf_percpu_ref_init((r), (rel), #r, MMF_SITE("percpu_ref_init"))
#define percpu_ref_tryget_live(r) mmf_percpu_ref_tryget_live((r), MMF_SITE("percpu_ref_tryget_live"))
#define percpu_ref_get(r) mmf_percpu_ref_get((r), MMF_SITE("percpu_ref_get"))
#define percpu_ref_put(r) mmf_percpu_ref_put((r), MMF_SITE("percpu_ref_put"))
#define percpu_ref_kill(r) mmf_percpu_ref_kill((r), MMF_SITE("percpu_ref_kill"))
#define percpu_ref_wait_for_zero(r) mmf_percpu_ref_wait_for_zero((r), MMF_SITE("percpu_ref_wait_for_zero"))
#define percpu_ref_resurrect(r) mmf_percpu_ref_resurrect((r), MMF_SITE("percpu_ref_resurrect"))
#define percpu_ref_is_zero(r) mmf_percpu_ref_is_zero(r)

/* ---- virtual time ----------------------------------------------------------------
 * jiffies advance only when the decision source picks the "tick" choice,
 * offered whenever a timer or a timed sleep is pending (and forced when
 * nothing else can run).  Timer callbacks run as interrupts. */
struct timer_list {
	uint64_t expires;
	void (*function)(struct timer_list *t);
	bool pending;
	bool running;
};
#define jiffies mmf_jiffies()
void mmf_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
void mmf_mod_timer(struct timer_list *t, uint64_t expires, const struct mmf_site *site);
bool mmf_del_timer(struct timer_list *t, bool sync, const struct mmf_site *site);
long mmf_schedule_timeout(long timeout, const struct mmf_site *site);
#define timer_setup(t, fn, flags) mmf_timer_setup((t), (fn))
#define mod_timer(t, exp) mmf_mod_timer((t), (exp), MMF_SITE("mod_timer"))
#define del_timer(t) mmf_del_timer((t), false, MMF_SITE("del_timer"))
#define del_timer_sync(t) mmf_del_timer((t), true, MMF_SITE("del_timer_sync"))
#define schedule_timeout(t) mmf_schedule_timeout((t), MMF_SITE("schedule_timeout"))
#define msleep(ms) ((void)mmf_schedule_timeout((long)(ms), MMF_SITE("msleep")))

#define cond_resched() mmf_point(MMF_PT_YIELD, NULL, MMF_SITE("cond_resched"))
/* A busy-wait loop's pause: a yield point, every other task goes first. */
#define cpu_relax() mmf_point(MMF_PT_YIELD, NULL, MMF_SITE("cpu_relax"))
#define might_sleep() mmf_might_sleep(MMF_SITE("might_sleep"))

#endif
