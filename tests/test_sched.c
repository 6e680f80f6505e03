/* test_sched.c - the scheduler and the primitives keep their kernel
 * semantics in every schedule, and the failure checks fire when they must.
 *
 * "In every schedule" is checked with the exhaustive source; each property
 * test has a negative control (the same program without the protection)
 * showing that the check can fail. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "kmem.h"
#include "list.h"
#include "sanitizer.h"
#include "sync.h"

#include <stdlib.h>

typedef void (*setup_fn)(struct mmf_sched *s);

struct outcome {
	uint64_t schedules;
	uint64_t fails[MMF_FAIL_NR];
	bool complete;
	char first[MMF_REPORT_LEN];
};

/* Run every schedule with at most 'bound' preemptions (<0: all). */
static struct outcome explore(setup_fn setup, void (*finish)(struct mmf_sched *), int bound)
{
	static struct outcome o;
	memset(&o, 0, sizeof(o));
	struct mmf_explore_src ex;
	struct mmf_sched s;
	mmf_explore_src_init(&ex, bound);
	mmf_sched_init(&s, NULL, &ex.base);
	for (;;) {
		mmf_sched_reset(&s);
		setup(&s);
		enum mmf_run_status st = mmf_sched_run(&s);
		if (st == MMF_RUN_CLEAN && finish)
			finish(&s);
		if (s.failed) {
			if (!o.first[0])
				snprintf(o.first, sizeof(o.first), "[%s] %.2000s",
					 mmf_fail_name(s.report.cls), s.report.text);
			o.fails[s.report.cls]++;
		}
		if (st == MMF_RUN_DIVERGED) {
			fprintf(stderr, "  explore diverged: %s\n", ex.base.why);
			break;
		}
		o.schedules++;
		if (!mmf_explore_next(&ex)) {
			o.complete = true;
			break;
		}
		if (o.schedules > 2000000)
			break;
	}
	mmf_explore_src_free(&ex);
	mmf_sched_destroy(&s);
	return o;
}

static uint64_t total_fails(const struct outcome *o)
{
	uint64_t n = 0;
	for (int i = 1; i < MMF_FAIL_NR; i++)
		n += o->fails[i];
	return n;
}

/* One run with the non-preemptive default (empty input). */
static struct mmf_sched one_sched;
static struct mmf_input_src one_src;
static enum mmf_run_status run_once(setup_fn setup, struct mmf_sched_opts *opts)
{
	mmf_input_src_init(&one_src, NULL, 0);
	mmf_sched_init(&one_sched, opts, &one_src.base);
	setup(&one_sched);
	return mmf_sched_run(&one_sched);
}

/* ---- mutual exclusion ---------------------------------------------------- */

static struct {
	spinlock_t lock;
	struct mutex mutex;
	int shared;
	bool use_lock, use_mutex;
} mx;

static void mx_task(void *arg)
{
	if (mx.use_lock)
		spin_lock(&mx.lock);
	if (mx.use_mutex)
		mutex_lock(&mx.mutex);
	int v = mx.shared;
	sched_point(MMF_PT_ACCESS, &mx.shared);
	mx.shared = v + 1;
	if (mx.use_mutex)
		mutex_unlock(&mx.mutex);
	if (mx.use_lock)
		spin_unlock(&mx.lock);
}

static void mx_setup(struct mmf_sched *s)
{
	spin_lock_init(&mx.lock);
	mutex_init(&mx.mutex);
	mx.shared = 0;
	for (int i = 0; i < 3; i++)
		mmf_spawn(s, "incr", 0, mx_task, NULL);
}

static void mx_finish(struct mmf_sched *s)
{
	if (mx.shared != 3)
		MMF_FAIL(MMF_FAIL_INVARIANT, &mx.shared, "shared=%d", mx.shared);
}

static bool test_spinlock_and_mutex_exclude_in_every_schedule(void)
{
	mx.use_lock = true;
	mx.use_mutex = false;
	struct outcome o = explore(mx_setup, mx_finish, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	mx.use_lock = false;
	mx.use_mutex = true;
	o = explore(mx_setup, mx_finish, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	/* Negative control: without the lock an update is lost somewhere.
	 * (Under TSan it is a real data race, reported by TSan instead.) */
	if (!MMF_TSAN) {
		mx.use_mutex = false;
		o = explore(mx_setup, mx_finish, -1);
		CHECK(o.fails[MMF_FAIL_INVARIANT] > 0);
	}
	return true;
}

/* ---- rw_semaphore: readers never see a half-done write --------------------- */

static struct {
	struct rw_semaphore sem;
	int a, b;
	bool protect;
} rw;

static void rw_writer(void *arg)
{
	if (rw.protect)
		down_write(&rw.sem);
	rw.a++;
	sched_point(MMF_PT_ACCESS, &rw.a);
	rw.b++;
	if (rw.protect)
		up_write(&rw.sem);
}

static void rw_reader(void *arg)
{
	if (rw.protect)
		down_read(&rw.sem);
	int a = rw.a;
	sched_point(MMF_PT_ACCESS, &rw.b);
	int b = rw.b;
	if (rw.protect)
		up_read(&rw.sem);
	if (a != b)
		MMF_FAIL(MMF_FAIL_INVARIANT, &rw.a, "reader saw a=%d b=%d", a, b);
}

static void rw_setup(struct mmf_sched *s)
{
	init_rwsem(&rw.sem);
	rw.a = rw.b = 0;
	mmf_spawn(s, "writer", 0, rw_writer, NULL);
	mmf_spawn(s, "reader", 0, rw_reader, NULL);
	mmf_spawn(s, "reader", 0, rw_reader, NULL);
}

static bool test_rwsem_readers_never_see_partial_write(void)
{
	rw.protect = true;
	struct outcome o = explore(rw_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	if (!MMF_TSAN) { /* a real race: TSan's to report */
		rw.protect = false;
		o = explore(rw_setup, NULL, -1);
		CHECK(o.fails[MMF_FAIL_INVARIANT] > 0);
	}
	return true;
}

/* ---- downgrade_write: no writer gets in between, readers do ------------------
 *
 *   writer: down_write, a++, b++, downgrade_write, [a is still ours], up_read
 *
 * Two writers and a reader, every schedule: no writer changes a from the
 * write to the end of the downgraded hold, and a reader does get in there.  The
 * negative control (up_write then down_read instead) lets a writer in
 * between.  Misuse: downgrading a lock not held for writing, and up_write
 * after downgrading, are bad-locking. */
static struct {
	struct rw_semaphore sem;
	int a, b;
	int in_downgraded, reader_overlaps;
	int mode;
} dg;

static void dg_writer(void *arg)
{
	down_write(&dg.sem);
	int a = ++dg.a;
	sched_point(MMF_PT_ACCESS, &dg.a);
	dg.b++;
	if (dg.mode == 0) {
		downgrade_write(&dg.sem);
	} else {
		up_write(&dg.sem);
		down_read(&dg.sem);
	}
	__atomic_add_fetch(&dg.in_downgraded, 1, __ATOMIC_RELAXED);
	sched_point(MMF_PT_ACCESS, &dg.a);
	__atomic_sub_fetch(&dg.in_downgraded, 1, __ATOMIC_RELAXED);
	if (dg.a != a)
		MMF_FAIL(MMF_FAIL_INVARIANT, &dg.a, "a writer got in while the lock was downgraded");
	up_read(&dg.sem);
}

static void dg_reader(void *arg)
{
	down_read(&dg.sem);
	if (__atomic_load_n(&dg.in_downgraded, __ATOMIC_RELAXED))
		dg.reader_overlaps++;
	if (dg.a != dg.b)
		MMF_FAIL(MMF_FAIL_INVARIANT, &dg.a, "reader saw a=%d b=%d", dg.a, dg.b);
	up_read(&dg.sem);
}

static void dg_misuse(void *arg)
{
	if (dg.mode == 2) {
		down_read(&dg.sem);
		downgrade_write(&dg.sem);       /* not held for writing */
	} else {
		down_write(&dg.sem);
		downgrade_write(&dg.sem);
		up_write(&dg.sem);              /* it is a read hold now */
	}
}

static void dg_setup(struct mmf_sched *s)
{
	init_rwsem(&dg.sem);
	dg.a = dg.b = 0;
	dg.in_downgraded = 0;
	if (dg.mode >= 2) {
		mmf_spawn(s, "misuse", 0, dg_misuse, NULL);
		return;
	}
	mmf_spawn(s, "writer", 0, dg_writer, NULL);
	mmf_spawn(s, "writer", 0, dg_writer, NULL);
	mmf_spawn(s, "reader", 0, dg_reader, NULL);
}

static bool test_downgrade_write_keeps_writers_out_and_lets_readers_in(void)
{
	dg.mode = 0;
	dg.reader_overlaps = 0;
	struct outcome o = explore(dg_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	CHECK(dg.reader_overlaps > 0);
	dg.mode = 1;
	o = explore(dg_setup, NULL, -1);
	CHECK(o.fails[MMF_FAIL_INVARIANT] > 0);
	for (dg.mode = 2; dg.mode <= 3; dg.mode++) {
		CHECK_EQ(run_once(dg_setup, NULL), MMF_RUN_FAILED);
		CHECK_EQ(one_sched.report.cls, MMF_FAIL_LOCKING);
		mmf_sched_destroy(&one_sched);
	}
	return true;
}

/* ---- interrupts -------------------------------------------------------------- */

static struct {
	spinlock_t lock;
	struct mutex mutex;
	bool in_irqs_off;
	int irq_saw_irqs_off, irq_ran;
	int mode;
} iq;

static void iq_handler(void *arg)
{
	iq.irq_ran++;
	if (__atomic_load_n(&iq.in_irqs_off, __ATOMIC_RELAXED))
		iq.irq_saw_irqs_off++;
	if (iq.mode == 1)
		mutex_lock(&iq.mutex);          /* sleeping in an interrupt */
	if (iq.mode == 2 || iq.mode == 3) {
		spin_lock(&iq.lock);
		spin_unlock(&iq.lock);
	}
}

static void iq_task(void *arg)
{
	if (iq.mode == 0) {
		spin_lock_irq(&iq.lock);
		__atomic_store_n(&iq.in_irqs_off, true, __ATOMIC_RELAXED);
		cond_resched();
		cond_resched();
		__atomic_store_n(&iq.in_irqs_off, false, __ATOMIC_RELAXED);
		spin_unlock_irq(&iq.lock);
		cond_resched();
	} else if (iq.mode == 2 || iq.mode == 3) {
		/* The lock is also taken in the handler, but here with
		 * interrupts on (mode 2) or off (mode 3). */
		if (iq.mode == 2)
			spin_lock(&iq.lock);
		else
			spin_lock_irq(&iq.lock);
		cond_resched();
		if (iq.mode == 2)
			spin_unlock(&iq.lock);
		else
			spin_unlock_irq(&iq.lock);
	} else {
		cond_resched();
	}
}

static void iq_setup(struct mmf_sched *s)
{
	spin_lock_init(&iq.lock);
	mutex_init(&iq.mutex);
	iq.in_irqs_off = false;
	mmf_spawn(s, "task", 0, iq_task, NULL);
	mmf_spawn(s, "irq", MMF_TASK_IRQ, iq_handler, NULL);
}

static void iq_finish(struct mmf_sched *s)
{
	if (iq.irq_saw_irqs_off)
		MMF_FAIL(MMF_FAIL_INVARIANT, NULL, "irq ran inside an irqs-off region");
}

/* ---- preemption and virtual CPUs ------------------------------------------ */

/* Three tasks: t0 and t2 are on CPU 0, t1 on CPU 1 (round robin).  t0
 * turns preemption off around two points; t2 must never run inside that
 * section, t1 may. */
static struct {
	int in_section;                 /* t0 is between preempt_disable/enable */
	long same_cpu_inside, other_cpu_inside, schedules;
	int cpu[3];
} pp;

static void pp_t0(void *arg)
{
	(void)arg;
	__atomic_store_n(&pp.cpu[0], smp_processor_id(), __ATOMIC_RELAXED);
	preempt_disable();
	__atomic_store_n(&pp.in_section, 1, __ATOMIC_RELAXED);
	cond_resched();
	cond_resched();
	__atomic_store_n(&pp.in_section, 0, __ATOMIC_RELAXED);
	preempt_enable();
}

/* Note the CPU, and count t0's section being open at two points. */
static void pp_observe(int id, long *inside)
{
	__atomic_store_n(&pp.cpu[id], smp_processor_id(), __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++) {
		if (i)
			cond_resched();
		__atomic_fetch_add(inside, __atomic_load_n(&pp.in_section, __ATOMIC_RELAXED),
				   __ATOMIC_RELAXED);
	}
}

static void pp_t1(void *arg)
{
	(void)arg;
	pp_observe(1, &pp.other_cpu_inside);
}

static void pp_t2(void *arg)
{
	(void)arg;
	pp_observe(2, &pp.same_cpu_inside);
}

static void pp_setup(struct mmf_sched *s)
{
	__atomic_store_n(&pp.in_section, 0, __ATOMIC_RELAXED);
	mmf_sched_set_cpus(s, 2);
	mmf_spawn(s, "t0", 0, pp_t0, NULL);
	mmf_spawn(s, "t1", 0, pp_t1, NULL);
	mmf_spawn(s, "t2", 0, pp_t2, NULL);
}

static bool test_preemption_off_pins_the_cpu_only(void)
{
	memset(&pp, 0, sizeof(pp));
	struct outcome o = explore(pp_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	CHECK_EQ(pp.cpu[0], 0);
	CHECK_EQ(pp.cpu[1], 1);
	CHECK_EQ(pp.cpu[2], 0);
	CHECK_EQ(pp.same_cpu_inside, 0);        /* never inside t0's section */
	CHECK(pp.other_cpu_inside > 0);         /* the other CPU interleaves */
	return true;
}

static void pp_sleeper(void *arg)
{
	(void)arg;
	preempt_disable();
	msleep(1);
	preempt_enable();
}

static void pp_sleep_setup(struct mmf_sched *s)
{
	mmf_sched_set_cpus(s, 2);
	mmf_spawn(s, "sleeper", 0, pp_sleeper, NULL);
	mmf_spawn(s, "other", 0, pp_t1, NULL);
}

static bool test_sleeping_with_preemption_off_is_reported(void)
{
	struct outcome o = explore(pp_sleep_setup, NULL, 0);
	CHECK(o.fails[MMF_FAIL_ATOMIC_SLEEP] > 0);
	CHECK(strstr(o.first, "preemption disabled") != NULL);
	return true;
}

static bool test_irq_never_runs_where_interrupts_are_off(void)
{
	iq.mode = 0;
	iq.irq_saw_irqs_off = iq.irq_ran = 0;
	struct outcome o = explore(iq_setup, iq_finish, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	CHECK_EQ(iq.irq_ran, (long long)o.schedules); /* it ran in every schedule */
	CHECK(o.schedules >= 3);                       /* before, between, after */
	return true;
}

static bool test_sleeping_in_irq_is_reported(void)
{
	iq.mode = 1;
	struct outcome o = explore(iq_setup, NULL, -1);
	CHECK(o.fails[MMF_FAIL_ATOMIC_SLEEP] == o.schedules);
	CHECK(strstr(o.first, "interrupt context"));
	return true;
}

static bool test_irq_spinning_on_lock_of_interrupted_task(void)
{
	/* With lockdep: the inconsistent irq usage is reported.  Without: an
	 * interrupt arriving while its own CPU holds the lock deadlocks. */
	iq.mode = 2;
	struct outcome o = explore(iq_setup, NULL, -1);
	CHECK(o.fails[MMF_FAIL_LOCK_ORDER] > 0);
	CHECK(strstr(o.first, "inconsistent lock state"));
	iq.mode = 3; /* the _irq form is the fix */
	o = explore(iq_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	return true;
}

static void iq_setup_nolockdep(struct mmf_sched *s)
{
	s->opts.no_lockdep = true;
	iq_setup(s);
}

static bool test_irq_deadlock_found_without_lockdep(void)
{
	iq.mode = 2;
	struct outcome o = explore(iq_setup_nolockdep, NULL, -1);
	CHECK(o.fails[MMF_FAIL_DEADLOCK] > 0);
	CHECK(strstr(o.first, "interrupted by"));
	return true;
}

/* ---- sleeping with a spinlock held, locking mistakes -------------------------- */

static struct {
	spinlock_t lock;
	struct mutex mutex;
	int mode;
} bad;

static void bad_task(void *arg)
{
	switch (bad.mode) {
	case 0:
		spin_lock(&bad.lock);
		mutex_lock(&bad.mutex);
		break;
	case 1:
		spin_lock(&bad.lock); /* exits holding it */
		break;
	case 2:
		spin_unlock(&bad.lock);
		break;
	case 3:
		rcu_read_lock();
		msleep(1);
		break;
	}
}

static void bad_setup(struct mmf_sched *s)
{
	spin_lock_init(&bad.lock);
	mutex_init(&bad.mutex);
	mmf_spawn(s, "bad", 0, bad_task, NULL);
}

static bool test_locking_mistakes_are_reported(void)
{
	static const enum mmf_fail_class want[] = {MMF_FAIL_ATOMIC_SLEEP, MMF_FAIL_LOCKING,
						   MMF_FAIL_LOCKING, MMF_FAIL_ATOMIC_SLEEP};
	for (int m = 0; m < 4; m++) {
		bad.mode = m;
		CHECK_EQ(run_once(bad_setup, NULL), MMF_RUN_FAILED);
		CHECK_EQ(one_sched.report.cls, want[m]);
		mmf_sched_destroy(&one_sched);
	}
	return true;
}

/* ---- RCU ------------------------------------------------------------------------ */

struct rcu_obj {
	struct rcu_head rcu;
	bool freed;
};
static struct {
	struct rcu_obj objs[2];
	struct rcu_obj *gp;
	int mode;       /* 0 synchronize_rcu, 1 call_rcu + rcu_barrier, 2 no grace period */
	int callbacks;
} rc;

static void rcu_reader(void *arg)
{
	rcu_read_lock();
	struct rcu_obj *p = rcu_dereference(rc.gp);
	cond_resched();
	if (p->freed)
		MMF_FAIL(MMF_FAIL_USE_AFTER_FREE, p, "reader saw a freed object");
	rcu_read_unlock();
}

static void rcu_free_cb(struct rcu_head *h)
{
	struct rcu_obj *o = (struct rcu_obj *)h;
	o->freed = true;
	rc.callbacks++;
}

static void rcu_updater(void *arg)
{
	struct rcu_obj *old = rc.gp;
	rcu_assign_pointer(rc.gp, &rc.objs[1]);
	if (rc.mode == 0) {
		synchronize_rcu();
		old->freed = true;
	} else if (rc.mode == 1) {
		call_rcu(&old->rcu, rcu_free_cb);
		rcu_barrier();
		if (!old->freed)
			MMF_FAIL(MMF_FAIL_INVARIANT, old, "rcu_barrier returned before the callback");
	} else {
		old->freed = true;
	}
}

static void rcu_setup(struct mmf_sched *s)
{
	rc.objs[0].freed = rc.objs[1].freed = false;
	rc.gp = &rc.objs[0];
	mmf_spawn(s, "reader", 0, rcu_reader, NULL);
	mmf_spawn(s, "reader", 0, rcu_reader, NULL);
	mmf_spawn(s, "updater", 0, rcu_updater, NULL);
}

static bool test_rcu_grace_period_waits_for_preexisting_readers(void)
{
	rc.mode = 0;
	struct outcome o = explore(rcu_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	rc.mode = 1;
	rc.callbacks = 0;
	o = explore(rcu_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	CHECK_EQ(rc.callbacks, (long long)o.schedules);
	if (!MMF_TSAN) { /* negative control, no grace period: a real race */
		rc.mode = 2;
		o = explore(rcu_setup, NULL, -1);
		CHECK(o.fails[MMF_FAIL_USE_AFTER_FREE] > 0);
	}
	return true;
}

/* ---- percpu_ref: kill + wait-for-zero keeps users safe ------------------------------- */

static struct {
	struct percpu_ref users;
	bool torn_down;
	bool wait;
} pr;

static void pr_user(void *arg)
{
	if (percpu_ref_tryget_live(&pr.users)) {
		cond_resched();
		if (pr.torn_down)
			MMF_FAIL(MMF_FAIL_USE_AFTER_FREE, &pr, "user ran after teardown");
		percpu_ref_put(&pr.users);
	}
}

static void pr_killer(void *arg)
{
	percpu_ref_kill(&pr.users);
	if (pr.wait)
		percpu_ref_wait_for_zero(&pr.users);
	pr.torn_down = true;
}

static void pr_setup(struct mmf_sched *s)
{
	percpu_ref_init(&pr.users, NULL);
	pr.torn_down = false;
	mmf_spawn(s, "user", 0, pr_user, NULL);
	mmf_spawn(s, "user", 0, pr_user, NULL);
	mmf_spawn(s, "swapoff", 0, pr_killer, NULL);
}

static bool test_percpu_ref_kill_waits_for_live_users(void)
{
	pr.wait = true;
	struct outcome o = explore(pr_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	if (!MMF_TSAN) { /* negative control: a real race */
		pr.wait = false;
		o = explore(pr_setup, NULL, -1);
		CHECK(o.fails[MMF_FAIL_USE_AFTER_FREE] > 0);
	}
	return true;
}

/* ---- completion and wait queues never lose a wakeup ---------------------------------- */

static struct {
	struct completion done;
	wait_queue_head_t wq;
	atomic_t cond;
} cw;

static void cw_waiter(void *arg)
{
	wait_for_completion(&cw.done);
	wait_event(&cw.wq, atomic_read(&cw.cond) == 1);
}

static void cw_waker(void *arg)
{
	complete(&cw.done);
	atomic_set(&cw.cond, 1);
	wake_up(&cw.wq);
}

static void cw_setup(struct mmf_sched *s)
{
	init_completion(&cw.done);
	init_waitqueue_head(&cw.wq);
	atomic_set(&cw.cond, 0);
	mmf_spawn(s, "waiter", 0, cw_waiter, NULL);
	mmf_spawn(s, "waker", 0, cw_waker, NULL);
}

static bool test_completion_and_wait_event_never_lose_a_wakeup(void)
{
	struct outcome o = explore(cw_setup, NULL, -1);
	CHECK(o.complete);
	CHECK(o.schedules > 10);
	CHECK_EQ(total_fails(&o), 0);
	return true;
}

/* ---- virtual time ---------------------------------------------------------------------- */

static struct {
	struct timer_list timer;
	uint64_t fired_at;
	uint64_t woke_at;
	long left;
} vt;

static void vt_timer(struct timer_list *t)
{
	vt.fired_at = jiffies;
	if (!in_interrupt())
		MMF_FAIL(MMF_FAIL_INVARIANT, t, "timer callback outside interrupt context");
}

static void vt_task(void *arg)
{
	timer_setup(&vt.timer, vt_timer, 0);
	mod_timer(&vt.timer, jiffies + 5);
	vt.left = schedule_timeout(10);
	vt.woke_at = jiffies;
}

static void vt_setup(struct mmf_sched *s) { mmf_spawn(s, "sleeper", 0, vt_task, NULL); }

static bool test_virtual_time_advances_only_by_decision(void)
{
	CHECK_EQ(run_once(vt_setup, NULL), MMF_RUN_CLEAN);
	CHECK_EQ(vt.fired_at, 5);
	CHECK_EQ(vt.woke_at, 10);
	CHECK_EQ(vt.left, 0);
	mmf_sched_destroy(&one_sched);
	/* In every schedule the timer fires at 5 and the sleep ends at 10. */
	struct outcome o = explore(vt_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	CHECK_EQ(vt.fired_at, 5);
	return true;
}

/* ---- hang budget -------------------------------------------------------------------------- */

static void spinner(void *arg)
{
	for (;;)
		cond_resched();
}

static void spinner_setup(struct mmf_sched *s) { mmf_spawn(s, "spinner", 0, spinner, NULL); }

static bool test_step_budget_reports_a_hang(void)
{
	struct mmf_sched_opts o = {.max_steps = 1000};
	CHECK_EQ(run_once(spinner_setup, &o), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_HANG);
	CHECK(strstr(one_sched.report.text, "1000 scheduling points"));
	mmf_sched_destroy(&one_sched);
	return true;
}

/* Fairness: a task that retries under a spinlock (every pass has a point
 * inside its critical section, where the task sharing its CPU cannot run)
 * must still be switched out for it after MMF_FAIR_STREAK decisions in
 * which it could have been.  Bound 0: the source never preempts. */
static struct {
	spinlock_t lock;
	atomic_t flag;
	int passes, max_passes;         /* this schedule's, and over the search */
} fr;

static void fr_spinner(void *arg)
{
	(void)arg;
	for (;;) {
		spin_lock(&fr.lock);
		int done = atomic_read(&fr.flag);       /* a point with the CPU busy */
		spin_unlock(&fr.lock);
		if (done)
			break;
		fr.passes++;
		cond_resched();
	}
	if (fr.passes > fr.max_passes)
		fr.max_passes = fr.passes;
}

static void fr_filler(void *arg) { (void)arg; }

static void fr_setter(void *arg)
{
	(void)arg;
	atomic_set(&fr.flag, 1);
}

static void fr_setup(struct mmf_sched *s)
{
	spin_lock_init(&fr.lock);
	atomic_set(&fr.flag, 0);
	fr.passes = 0;
	mmf_sched_set_cpus(s, 2);
	mmf_spawn(s, "spinner", 0, fr_spinner, NULL);   /* CPU 0 */
	mmf_spawn(s, "filler", 0, fr_filler, NULL);     /* CPU 1 */
	mmf_spawn(s, "setter", 0, fr_setter, NULL);     /* CPU 0 */
}

static bool test_fairness_switches_a_spinner_that_takes_a_lock_each_pass(void)
{
	fr.max_passes = 0;
	struct outcome o = explore(fr_setup, NULL, 0);
	CHECK(o.complete);
	CHECK_EQ(total_fails(&o), 0);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "  %" PRIu64 " schedules, at most %d passes\n", o.schedules,
			fr.max_passes);
	CHECK(fr.max_passes > 100);     /* it did spin before the switch */
	return true;
}

/* Load balancing: a spinner holds a spinlock (its CPU busy) until a flag
 * is set; the task that sets it was spawned on the spinner's CPU and can
 * run only on another.  The balancer must move it there: every schedule
 * with at most 1 preemption ends clean, with the setter on CPU 1.  Bound
 * to CPU 0 (mmf_run_on_cpu, a work item's binding) it must stay, and the
 * spin is then a hang. */
static struct {
	spinlock_t lock;
	atomic_t flag;
	struct completion locked;
	bool bind;
	int setter_cpu, moved;          /* this schedule's; over the search */
} lb;

static void lb_spinner(void *arg)
{
	(void)arg;
	spin_lock(&lb.lock);
	complete(&lb.locked);
	while (!atomic_read(&lb.flag))  /* a point with the CPU busy */
		cpu_relax();
	spin_unlock(&lb.lock);
}

static void lb_setter(void *arg)
{
	(void)arg;
	if (lb.bind)
		mmf_run_on_cpu(0, MMF_SITE("bound to CPU 0"));
	wait_for_completion(&lb.locked);
	lb.setter_cpu = smp_processor_id();
	atomic_set(&lb.flag, 1);
}

static void lb_setup(struct mmf_sched *s)
{
	spin_lock_init(&lb.lock);
	atomic_set(&lb.flag, 0);
	init_completion(&lb.locked);
	lb.setter_cpu = -1;
	mmf_sched_set_cpus(s, 2);
	mmf_spawn(s, "spinner", 0, lb_spinner, NULL);   /* CPU 0 */
	mmf_spawn(s, "filler", 0, fr_filler, NULL);     /* CPU 1 */
	mmf_spawn(s, "setter", 0, lb_setter, NULL);     /* CPU 0 */
}

static void lb_finish(struct mmf_sched *s)
{
	(void)s;
	if (lb.setter_cpu == 1)
		lb.moved++;
}

static bool test_balance_moves_a_task_off_a_spinners_cpu(void)
{
	lb.bind = false;
	lb.moved = 0;
	struct outcome o = explore(lb_setup, lb_finish, 1);
	CHECK(o.complete);
	if (total_fails(&o))
		fprintf(stderr, "  first failure: %s\n", o.first);
	CHECK_EQ(total_fails(&o), 0);
	/* The setter runs only once the spinner holds the lock: every
	 * schedule needed the move. */
	CHECK_EQ((uint64_t)lb.moved, o.schedules);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "  %" PRIu64 " schedules, %d moved the setter\n", o.schedules,
			lb.moved);

	lb.bind = true;
	struct mmf_sched_opts opts = {.max_steps = 20000};
	CHECK_EQ(run_once(lb_setup, &opts), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_HANG);
	mmf_sched_destroy(&one_sched);
	return true;
}

/* ---- refcount and the checked heap --------------------------------------------------------- */

static int heap_mode;
static void heap_task(void *arg)
{
	refcount_t r;
	int *p;
	switch (heap_mode) {
	case 0:
		refcount_set(&r, 0);
		refcount_inc(&r);
		break;
	case 1:
		refcount_set(&r, 1);
		refcount_dec(&r);
		break;
	case 2:
		p = kmalloc(sizeof(int), GFP_KERNEL, "int");
		kfree(p);
		kfree(p);
		break;
	case 3:
		p = kmalloc(sizeof(int), GFP_KERNEL, "int");
		kfree(p);
		kmem_check(p);
		break;
	case 4:
		p = kmalloc(sizeof(int), GFP_KERNEL, "int"); /* left for the audit */
		break;
	}
}

static void heap_setup(struct mmf_sched *s) { mmf_spawn(s, "heap", 0, heap_task, NULL); }

static bool test_refcount_and_heap_misuse_are_reported(void)
{
	heap_mode = 0;
	CHECK_EQ(run_once(heap_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_REFCOUNT);
	mmf_sched_destroy(&one_sched);
	heap_mode = 1;
	CHECK_EQ(run_once(heap_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_REFCOUNT);
	mmf_sched_destroy(&one_sched);
	heap_mode = 4;
	CHECK_EQ(run_once(heap_setup, NULL), MMF_RUN_CLEAN);
	CHECK_EQ(mmf_kmem_live(&one_sched, NULL, NULL), 1);
	mmf_sched_reset(&one_sched); /* frees what the run left */
	CHECK_EQ(mmf_kmem_live(&one_sched, NULL, NULL), 0);
	mmf_sched_destroy(&one_sched);
#if !MMF_ASAN
	/* Without ASan the checked heap catches these itself. */
	heap_mode = 2;
	CHECK_EQ(run_once(heap_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_DOUBLE_FREE);
	mmf_sched_destroy(&one_sched);
	heap_mode = 3;
	CHECK_EQ(run_once(heap_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_USE_AFTER_FREE);
	mmf_sched_destroy(&one_sched);
#endif
	return true;
}

/* ---- the reference tracker (reftrack.h) ---------------------------------------------
 *
 *   a: new, get "ga" ---c1---> b: get "gb", get "gb2" ---c2---> a: put (its own "ga")
 *   ---c3---> c (took none): put (the oldest: "gb"), put ("gb2"), put: underflow
 *
 * A put drops the putter's own newest reference first, else the oldest of
 * anyone's; a put with none held is reported with the history. */

static struct {
	int obj;
	struct completion c1, c2, c3;
	char after_a[1024], after_c[1024];
	int held_after_c;
} rt;

static void rt_describe(char *buf, size_t len)
{
	buf[0] = 0;
	mmf_ref_describe(mmf_current_sched(), &rt.obj, false, "", buf, len, 0);
}

static void rt_a(void *arg)
{
	mmf_ref_new(&rt.obj, "thing", 0, false, MMF_SITE("new"));
	mmf_ref_get(&rt.obj, "thing", 1, MMF_SITE("ga"));
	complete(&rt.c1);
	wait_for_completion(&rt.c2);
	mmf_ref_put(&rt.obj, 1, MMF_SITE("pa"));
	rt_describe(rt.after_a, sizeof(rt.after_a));
	complete(&rt.c3);
}

static void rt_b(void *arg)
{
	wait_for_completion(&rt.c1);
	mmf_ref_get(&rt.obj, "thing", 1, MMF_SITE("gb"));
	mmf_ref_get(&rt.obj, "thing", 1, MMF_SITE("gb2"));
	complete(&rt.c2);
}

static void rt_c(void *arg)
{
	wait_for_completion(&rt.c3);
	mmf_ref_put(&rt.obj, 1, MMF_SITE("pc"));
	rt_describe(rt.after_c, sizeof(rt.after_c));
	rt.held_after_c = mmf_ref_held(&rt.obj);
	mmf_ref_put(&rt.obj, 1, MMF_SITE("pc"));
	mmf_ref_put(&rt.obj, 1, MMF_SITE("pc-underflow"));
}

static void rt_setup(struct mmf_sched *s)
{
	memset(&rt, 0, sizeof(rt));
	init_completion(&rt.c1);
	init_completion(&rt.c2);
	init_completion(&rt.c3);
	mmf_spawn(s, "a", 0, rt_a, NULL);
	mmf_spawn(s, "b", 0, rt_b, NULL);
	mmf_spawn(s, "c", 0, rt_c, NULL);
}

static bool test_reftrack_names_holders_and_reports_underflow_with_history(void)
{
	CHECK_EQ(run_once(rt_setup, NULL), MMF_RUN_FAILED);
	/* a dropped its own reference, not one of b's */
	CHECK(!strstr(rt.after_a, "task 0 'a'"));
	CHECK(strstr(rt.after_a, "task 1 'b' holds 1: gb at test_sched.c:"));
	CHECK(strstr(rt.after_a, "task 1 'b' holds 1: gb2 at test_sched.c:"));
	/* c took none: its put dropped the oldest */
	CHECK_EQ(rt.held_after_c, 1);
	CHECK(strstr(rt.after_c, "task 1 'b' holds 1: gb2 at test_sched.c:"));
	CHECK(!strstr(rt.after_c, ": gb at"));
	const struct mmf_report *r = &one_sched.report;
	CHECK_EQ(r->cls, MMF_FAIL_REFCOUNT);
	if (!strstr(r->text, "get 1 by task 1 'b': gb2 at test_sched.c:"))
		fprintf(stderr, "  %s\n", r->text);
	CHECK(strstr(r->text, "refcount underflow: put of thing"));
	CHECK(strstr(r->text, "get 1 by task 1 'b': gb2 at test_sched.c:"));
	CHECK(strstr(r->text, "put 1 by task 2 'c': pc-underflow at test_sched.c:"));
	CHECK(strstr(r->text, " rt_c() -> 0 held"));
	mmf_sched_destroy(&one_sched);
	/* a new run forgets the old one's references */
	mmf_input_src_init(&one_src, NULL, 0);
	mmf_sched_init(&one_sched, NULL, &one_src.base);
	mmf_sched_reset(&one_sched);
	CHECK_EQ(mmf_ref_held(&rt.obj), 0);
	mmf_sched_destroy(&one_sched);
	return true;
}

/* A percpu_ref user that never puts: the killer waiting for zero is part
 * of a deadlock whose report names the user and where it took the ref. */
static struct {
	struct percpu_ref users;
} dr;

static void dr_user(void *arg)
{
	if (!percpu_ref_tryget_live(&dr.users))
		MMF_FAIL(MMF_FAIL_INVARIANT, &dr, "tryget_live of a live ref failed");
}

static void dr_killer(void *arg)
{
	percpu_ref_kill(&dr.users);
	percpu_ref_wait_for_zero(&dr.users);
}

static void dr_setup(struct mmf_sched *s)
{
	percpu_ref_init(&dr.users, NULL);
	mmf_spawn(s, "user", 0, dr_user, NULL);
	mmf_spawn(s, "killer", 0, dr_killer, NULL);
}

static bool test_drain_deadlock_names_the_reference_holder(void)
{
	CHECK_EQ(run_once(dr_setup, NULL), MMF_RUN_FAILED);
	const struct mmf_report *r = &one_sched.report;
	CHECK_EQ(r->cls, MMF_FAIL_DEADLOCK);
	if (!strstr(r->text, "task 0 'user' holds 1: percpu_ref_tryget_live at test_sched.c:"))
		fprintf(stderr, "  %s\n", r->text);
	CHECK(strstr(r->text, "waits for &dr.users"));
	CHECK(strstr(r->text, "killed at test_sched.c:"));
	CHECK(strstr(r->text, "task 0 'user' holds 1: percpu_ref_tryget_live at test_sched.c:"));
	CHECK(strstr(r->text, "dr_user()"));
	mmf_sched_destroy(&one_sched);
	return true;
}

/* ---- bit locks are in the lock-order graph ---------------------------------------
 *
 *   ab mode 0 (AB-BA):   t0: bit B -> mutex M      t1: mutex M -> bit B
 *   ab mode 1 (same):    t0: bit B -> mutex M      t1: bit B -> mutex M
 *   ab mode 2 (trylock): t0: bit B -> spin S       t1: spin S -> trylock bit B
 *
 * Mode 0 is reported as lock-order even on the schedule that does not
 * deadlock; modes 1 and 2 (the kernel's folio lock -> ptl, and a trylock of
 * the folio under the ptl) are silent in every schedule. */

static struct {
	unsigned long word;
	struct mutex m;
	spinlock_t s;
	int mode;
} ab;
static MMF_BIT_CLASS(ab_bit_class, "test bit lock");

static void ab_t0(void *arg)
{
	bit_lock(0, &ab.word, &ab_bit_class);
	if (ab.mode == 2) {
		spin_lock(&ab.s);
		spin_unlock(&ab.s);
	} else {
		mutex_lock(&ab.m);
		mutex_unlock(&ab.m);
	}
	bit_unlock(0, &ab.word);
}

static void ab_t1(void *arg)
{
	switch (ab.mode) {
	case 0:
		mutex_lock(&ab.m);
		bit_lock(0, &ab.word, &ab_bit_class);
		bit_unlock(0, &ab.word);
		mutex_unlock(&ab.m);
		break;
	case 1:
		ab_t0(arg);
		break;
	case 2:
		spin_lock(&ab.s);
		if (bit_trylock(0, &ab.word, &ab_bit_class))
			bit_unlock(0, &ab.word);
		spin_unlock(&ab.s);
		break;
	}
}

static void ab_setup(struct mmf_sched *s)
{
	ab.word = 0;
	mutex_init(&ab.m);
	spin_lock_init(&ab.s);
	mmf_spawn(s, "t0", 0, ab_t0, NULL);
	mmf_spawn(s, "t1", 0, ab_t1, NULL);
}

static bool test_bit_lock_order_inversion_is_reported(void)
{
	ab.mode = 0;
	/* The default schedule runs t0 to its end, then t1: no deadlock, and
	 * still the inversion is reported. */
	CHECK_EQ(run_once(ab_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_LOCK_ORDER);
	CHECK(strstr(one_sched.report.text, "test bit lock"));
	CHECK(strstr(one_sched.report.text, "&ab.m"));
	mmf_sched_destroy(&one_sched);
	struct outcome o = explore(ab_setup, NULL, -1);
	CHECK(o.complete);
	CHECK_EQ(o.fails[MMF_FAIL_LOCK_ORDER], o.schedules - o.fails[MMF_FAIL_DEADLOCK]);
	for (ab.mode = 1; ab.mode <= 2; ab.mode++) {
		o = explore(ab_setup, NULL, -1);
		CHECK(o.complete);
		CHECK_EQ(total_fails(&o), 0);
	}
	return true;
}

/* A holder passes a locked bit on: the interrupt that unlocks it needs no
 * hold of its own once the holder handed it off (hf.handoff), and the
 * holder waits for it by locking it again.  Without the hand-off the
 * interrupt's unlock is reported; a task exiting with a bit lock held, and
 * taking one it holds, are reported too. */
static struct {
	unsigned long word;
	int mode;
} hf;

static void hf_irq(void *arg) { bit_unlock(0, &hf.word); }

static void hf_task(void *arg)
{
	bit_lock(0, &hf.word, &ab_bit_class);
	switch (hf.mode) {
	case 0:
	case 1:
		if (hf.mode == 0)
			bit_lock_handoff(0, &hf.word);
		mmf_raise_irq("unlock", hf_irq, NULL);
		bit_lock(0, &hf.word, &ab_bit_class);  /* waits for the interrupt */
		bit_unlock(0, &hf.word);
		break;
	case 2:
		break;                                  /* exits holding it */
	case 3:
		bit_lock(0, &hf.word, &ab_bit_class);  /* recursive */
		break;
	}
}

static void hf_setup(struct mmf_sched *s)
{
	hf.word = 0;
	mmf_spawn(s, "holder", 0, hf_task, NULL);
}

static bool test_bit_lock_handoff_and_misuse(void)
{
	hf.mode = 0;
	struct outcome o = explore(hf_setup, NULL, -1);
	CHECK(o.complete);
	CHECK(o.schedules >= 2);
	CHECK_EQ(total_fails(&o), 0);
	for (hf.mode = 1; hf.mode <= 3; hf.mode++) {
		CHECK_EQ(run_once(hf_setup, NULL), MMF_RUN_FAILED);
		CHECK_EQ(one_sched.report.cls, MMF_FAIL_LOCKING);
		mmf_sched_destroy(&one_sched);
	}
	return true;
}

/* ---- deadlock reports name waiter, object, place and holder ---------------------------------- */

static struct { struct mutex a, b; } dl;
static void dl_t0(void *arg)
{
	mutex_lock(&dl.a);
	cond_resched();
	mutex_lock(&dl.b);
	mutex_unlock(&dl.b);
	mutex_unlock(&dl.a);
}

static void dl_t1(void *arg)
{
	mutex_lock(&dl.b);
	cond_resched();
	mutex_lock(&dl.a);
	mutex_unlock(&dl.a);
	mutex_unlock(&dl.b);
}
static void dl_setup(struct mmf_sched *s)
{
	s->opts.no_lockdep = true;
	mutex_init(&dl.a);
	mutex_init(&dl.b);
	mmf_spawn(s, "t0", 0, dl_t0, NULL);
	mmf_spawn(s, "t1", 0, dl_t1, NULL);
}

static bool test_deadlock_report_names_waits_and_holders(void)
{
	struct outcome o = explore(dl_setup, NULL, 1);
	CHECK(o.fails[MMF_FAIL_DEADLOCK] > 0);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", o.first);
	CHECK(strstr(o.first, "task 0 't0': sleeps on mutex &dl.b"));
	CHECK(strstr(o.first, "held by task 1 't1'"));
	CHECK(strstr(o.first, "task 1 't1': sleeps on mutex &dl.a"));
	CHECK(strstr(o.first, "test_sched.c"));
	/* Bound 0 cannot deadlock: each task runs to its end or blocks first. */
	o = explore(dl_setup, NULL, 0);
	CHECK(o.complete);
	CHECK_EQ(o.fails[MMF_FAIL_DEADLOCK], 0);
	return true;
}

/* ---- reports name every holder's acquisition site, bit locks included --------------------- */

/* t0 takes the bit lock then spins on the spinlock t1 holds; t1, under
 * the spinlock, can only trylock the bit lock and retries for ever (mode
 * 0: the step budget ends it as a hang), or t1 takes a mutex and sleeps on
 * the bit lock (mode 1: a deadlock).  Either report must name both tasks,
 * what each waits on, and the site and step where the holder took it. */
static struct {
	unsigned long word;
	spinlock_t s;
	struct mutex m;
	int mode;
	int bit_line, spin_line, mutex_line;
} fs;

static void fs_t0(void *arg)
{
	fs.bit_line = __LINE__; bit_lock(0, &fs.word, &ab_bit_class);
	cond_resched();
	if (fs.mode == 0) {
		spin_lock(&fs.s);
		spin_unlock(&fs.s);
	} else {
		mutex_lock(&fs.m);
		mutex_unlock(&fs.m);
	}
	bit_unlock(0, &fs.word);
}

static void fs_t1(void *arg)
{
	if (fs.mode == 0) {
		fs.spin_line = __LINE__; spin_lock(&fs.s);
		while (!bit_trylock(0, &fs.word, &ab_bit_class))
			cond_resched();
		bit_unlock(0, &fs.word);
		spin_unlock(&fs.s);
	} else {
		fs.mutex_line = __LINE__; mutex_lock(&fs.m);
		bit_lock(0, &fs.word, &ab_bit_class);
		bit_unlock(0, &fs.word);
		mutex_unlock(&fs.m);
	}
}

static void fs_setup(struct mmf_sched *s)
{
	s->opts.no_lockdep = true;      /* the deadlock itself, not its prediction */
	fs.word = 0;
	spin_lock_init(&fs.s);
	mutex_init(&fs.m);
	mmf_spawn(s, "t0", 0, fs_t0, NULL);
	mmf_spawn(s, "t1", 0, fs_t1, NULL);
}

/* The first failure of every schedule with at most one preemption and a
 * small step budget (each hang costs the whole budget). */
static struct outcome explore_budget(setup_fn setup, uint64_t max_steps)
{
	static struct outcome o;
	memset(&o, 0, sizeof(o));
	struct mmf_explore_src ex;
	struct mmf_sched s;
	struct mmf_sched_opts opts = {.max_steps = max_steps};
	mmf_explore_src_init(&ex, 1);
	mmf_sched_init(&s, &opts, &ex.base);
	for (;;) {
		mmf_sched_reset(&s);
		setup(&s);
		mmf_sched_run(&s);
		if (s.failed) {
			if (!o.first[0])
				snprintf(o.first, sizeof(o.first), "[%s] %.2000s",
					 mmf_fail_name(s.report.cls), s.report.text);
			o.fails[s.report.cls]++;
		}
		o.schedules++;
		if (!mmf_explore_next(&ex)) {
			o.complete = true;
			break;
		}
	}
	mmf_explore_src_free(&ex);
	mmf_sched_destroy(&s);
	return o;
}

static bool test_hang_and_deadlock_reports_name_bit_lock_and_spinlock_holders(void)
{
	char want[160];
	fs.mode = 0;
	struct outcome o = explore_budget(fs_setup, 3000);
	CHECK(o.complete);
	CHECK(o.fails[MMF_FAIL_HANG] > 0);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", o.first);
	CHECK(strstr(o.first, "task 0 't0': spins on spinlock &fs.s"));
	snprintf(want, sizeof(want), "held by task 1 't1' (taken at test_sched.c:%d fs_t1(), step ",
		 fs.spin_line);
	CHECK(strstr(o.first, want));
	snprintf(want, sizeof(want), "holds test bit lock %p (taken at test_sched.c:%d fs_t0(), step ",
		 (void *)&fs.word, fs.bit_line);
	CHECK(strstr(o.first, want));
	CHECK(strstr(o.first, "task 1 't1': runnable at"));

	fs.mode = 1;
	o = explore_budget(fs_setup, 3000);
	CHECK(o.complete);
	CHECK(o.fails[MMF_FAIL_DEADLOCK] > 0);
	CHECK_EQ(o.fails[MMF_FAIL_HANG], 0);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", o.first);
	snprintf(want, sizeof(want), "task 1 't1': sleeps on test bit lock %p at test_sched.c:",
		 (void *)&fs.word);
	CHECK(strstr(o.first, want));
	snprintf(want, sizeof(want), "held by task 0 't0' (taken at test_sched.c:%d fs_t0(), step ",
		 fs.bit_line);
	CHECK(strstr(o.first, want));
	snprintf(want, sizeof(want), "holds &fs.m %p (taken at test_sched.c:%d fs_t1(), step ",
		 (void *)&fs.m, fs.mutex_line);
	CHECK(strstr(o.first, want));
	return true;
}

/* A bit lock handed off and never unlocked (the swap read that fails
 * without unlocking the page): the waiter's report names the task that
 * locked it, where, and where it handed it off.  A waiter for another bit
 * of the same word (PG_writeback beside PG_locked) names no holder. */
static struct {
	unsigned long word;
	int mode;
	int lock_line, handoff_line;
} ho;

static void ho_t0(void *arg)
{
	ho.lock_line = __LINE__; bit_lock(0, &ho.word, &ab_bit_class);
	if (ho.mode == 0) {
		ho.handoff_line = __LINE__; bit_lock_handoff(0, &ho.word);
		return;
	}
	bit_wait(1, &ho.word, "test flag bit");
	bit_unlock(0, &ho.word);
}

static void ho_t1(void *arg)
{
	bit_lock(0, &ho.word, &ab_bit_class);
	bit_unlock(0, &ho.word);
}

static void ho_setup(struct mmf_sched *s)
{
	ho.word = ho.mode == 1 ? 2ul : 0ul;     /* mode 1: bit 1 set, never cleared */
	mmf_spawn(s, "t0", 0, ho_t0, NULL);
	mmf_spawn(s, "t1", 0, ho_t1, NULL);
}

static bool test_deadlock_report_names_handed_off_bit_locks_and_bit_waits(void)
{
	char want[200];
	ho.mode = 0;
	CHECK_EQ(run_once(ho_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_DEADLOCK);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", one_sched.report.text);
	snprintf(want, sizeof(want), "locked by task 0 't0' (exited) at test_sched.c:%d ho_t0(), "
		 "step ", ho.lock_line);
	CHECK(strstr(one_sched.report.text, want));
	snprintf(want, sizeof(want), "handed off at test_sched.c:%d ho_t0(), step ", ho.handoff_line);
	CHECK(strstr(one_sched.report.text, want));
	mmf_sched_destroy(&one_sched);

	ho.mode = 1;
	CHECK_EQ(run_once(ho_setup, NULL), MMF_RUN_FAILED);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_DEADLOCK);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", one_sched.report.text);
	const char *t0 = strstr(one_sched.report.text, "task 0 't0': sleeps on test flag bit");
	const char *t1 = strstr(one_sched.report.text, "task 1 't1': sleeps on test bit lock");
	CHECK(t0 && t1 && t0 < t1);
	/* t0's own line: no holder for the flag bit, though t0 holds bit 0 */
	CHECK(strstr(t0, "no holder recorded") && strstr(t0, "no holder recorded") < t1);
	snprintf(want, sizeof(want), "held by task 0 't0' (taken at test_sched.c:%d ho_t0()",
		 ho.lock_line);
	CHECK(strstr(t1, want));
	mmf_sched_destroy(&one_sched);
	return true;
}

/* ---- list integrity (list.h) ------------------------------------------------------------- */

static struct {
	struct list_head h, a, b, c;
	int mode;
	int line;
} ls;

static void ls_task(void *arg)
{
	INIT_LIST_HEAD(&ls.h);
	INIT_LIST_HEAD(&ls.a);
	ls.b = (struct list_head){NULL, NULL};          /* as kzalloc leaves it */
	list_add_tail(&ls.a, &ls.h);
	list_add(&ls.b, &ls.h);
	switch (ls.mode) {
	case 0:         /* correct use: every operation, then a clean walk */
		list_move_tail(&ls.b, &ls.h);
		list_del_init(&ls.a);
		list_del_init(&ls.a);                   /* harmless, as in the kernel */
		list_add(&ls.a, &ls.h);
		list_del(&ls.b);
		BUG_ON(ls.b.next != LIST_POISON1 || ls.b.prev != LIST_POISON2);
		list_add_tail(&ls.b, &ls.h);            /* a poisoned entry may be added */
		break;
	case 1:
		ls.line = __LINE__; list_add_tail(&ls.a, &ls.h);        /* double add */
		break;
	case 2:
		list_del(&ls.a);
		ls.line = __LINE__; list_del(&ls.a);                     /* deleted twice */
		break;
	case 3:
		list_del_init(&ls.a);
		ls.line = __LINE__; list_del(&ls.a);                     /* on no list */
		break;
	case 4:
		ls.b.next = &ls.b;                      /* a stray write breaks a's neighbour */
		ls.line = __LINE__; list_del(&ls.a);
		break;
	case 5:
		INIT_LIST_HEAD(&ls.c);
		ls.b.prev = &ls.a;                      /* the head's next points back wrong */
		ls.line = __LINE__; list_add(&ls.c, &ls.h);
		break;
	}
}

static void ls_setup(struct mmf_sched *s) { mmf_spawn(s, "lists", 0, ls_task, NULL); }

static bool test_list_corruption_is_reported_at_the_list_operation(void)
{
	static const char *const why[] = {
		NULL,
		"list_add_tail corruption: double add: the new entry is already next to itself",
		"list_del corruption: the entry was deleted already",
		"list_del corruption: the entry is on no list",
		"list_del corruption: prev->next should be the entry",
		"list_add corruption: next->prev should be prev",
	};
	ls.mode = 0;
	if (run_once(ls_setup, NULL) != MMF_RUN_CLEAN)
		fprintf(stderr, "%s\n", one_sched.report.text);
	CHECK(!one_sched.failed);
	CHECK_EQ(mmf_list_check(&ls.h, "ls.h", MMF_SITE("test")), 2);
	CHECK(!one_sched.failed);
	/* The walk finds a link broken behind the operations' back. */
	ls.a.prev = &ls.a;
	CHECK_EQ(mmf_list_check(&ls.h, "ls.h", MMF_SITE("test")), -1);
	CHECK_EQ(one_sched.report.cls, MMF_FAIL_INVARIANT);
	CHECK(strstr(one_sched.report.text, "list ls.h"));
	mmf_sched_destroy(&one_sched);
	for (ls.mode = 1; ls.mode <= 5; ls.mode++) {
		CHECK_EQ(run_once(ls_setup, NULL), MMF_RUN_FAILED);
		if (getenv("MMF_TEST_VERBOSE"))
			fprintf(stderr, "%s\n", one_sched.report.text);
		CHECK_EQ(one_sched.report.cls, MMF_FAIL_BUG);
		CHECK(strstr(one_sched.report.text, why[ls.mode]));
		CHECK_EQ(one_sched.report.site->line, ls.line);
		CHECK_STR(one_sched.report.site->func, "ls_task");
		mmf_sched_destroy(&one_sched);
	}
	return true;
}

/* Random-priority runs (POS): the highest priority runs; the task that ran
 * and the pending steps that conflict with its step (same object, not both
 * reads) draw anew; every other priority stays as it was. */
static bool test_random_priority_runs_redraw_the_runner_and_conflicting_steps(void)
{
	static const struct mmf_site st = {"t.c", 1, "f", "store"}, ld = {"t.c", 2, "f", "load"},
				     al = {"t.c", 3, "f", "atomic_load"};
	static int x, y;
	struct mmf_random_src r;
	mmf_random_src_init(&r, 7);
	mmf_random_src_mix(&r.base, 0, 100);
	r.base.ops->begin(&r.base);
	CHECK(r.prio_run);
	/* 0 stores x, 1 and 2 read x, 3 stores y, 4 has no object */
	struct mmf_choice c = {.n = 5, .ids = {0, 1, 2, 3, 4}, .cur = 0, .prev = 0,
			       .obj = {&x, &x, &x, &y, NULL}, .site = {&st, &ld, &al, &st, &st}};
	static const bool conflict[5][5] = {
		{0, 1, 1, 0, 0}, {1, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0},
	};
	int picked[5] = {0};
	r.base.ops->pick(&r.base, &c);
	for (int round = 0; round < 500; round++) {
		uint64_t before[5];
		uint32_t had = r.has_prio;
		for (int i = 0; i < 5; i++)
			before[i] = r.prio[i];
		int b = r.base.ops->pick(&r.base, &c);
		CHECK(b >= 0 && b < 5);
		picked[b]++;
		for (int i = 0; i < 5; i++) {
			/* prio[] holds what the pick compared (a reset only
			 * clears the bit): the highest won */
			CHECK(r.prio[i] <= r.prio[b]);
			if (had >> i & 1)
				CHECK(r.prio[i] == before[i]);
			if (i == b || conflict[b][i])
				CHECK_EQ(r.has_prio >> i & 1, 0);
			else
				CHECK_EQ(r.has_prio >> i & 1, 1);
		}
	}
	for (int i = 0; i < 5; i++)
		CHECK(picked[i] > 0);
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_spinlock_and_mutex_exclude_in_every_schedule),
		TEST(test_rwsem_readers_never_see_partial_write),
		TEST(test_downgrade_write_keeps_writers_out_and_lets_readers_in),
		TEST(test_irq_never_runs_where_interrupts_are_off),
		TEST(test_sleeping_in_irq_is_reported),
		TEST(test_irq_spinning_on_lock_of_interrupted_task),
		TEST(test_irq_deadlock_found_without_lockdep),
		TEST(test_locking_mistakes_are_reported),
		TEST(test_rcu_grace_period_waits_for_preexisting_readers),
		TEST(test_percpu_ref_kill_waits_for_live_users),
		TEST(test_completion_and_wait_event_never_lose_a_wakeup),
		TEST(test_virtual_time_advances_only_by_decision),
		TEST(test_step_budget_reports_a_hang),
		TEST(test_fairness_switches_a_spinner_that_takes_a_lock_each_pass),
		TEST(test_balance_moves_a_task_off_a_spinners_cpu),
		TEST(test_refcount_and_heap_misuse_are_reported),
		TEST(test_reftrack_names_holders_and_reports_underflow_with_history),
		TEST(test_drain_deadlock_names_the_reference_holder),
		TEST(test_deadlock_report_names_waits_and_holders),
		TEST(test_bit_lock_order_inversion_is_reported),
		TEST(test_bit_lock_handoff_and_misuse),
		TEST(test_hang_and_deadlock_reports_name_bit_lock_and_spinlock_holders),
		TEST(test_deadlock_report_names_handed_off_bit_locks_and_bit_waits),
		TEST(test_list_corruption_is_reported_at_the_list_operation),
		TEST(test_random_priority_runs_redraw_the_runner_and_conflicting_steps),
		TEST(test_preemption_off_pins_the_cpu_only),
		TEST(test_sleeping_with_preemption_off_is_reported),
	};
	return RUN_TESTS(tests);
}
