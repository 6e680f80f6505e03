/* toys.c - small concurrent programs with known bugs, each with its fixed
 * version (param fixed=1).  They are the scheduler's test bed: every
 * decision source must find every bug, and the fixed versions must run
 * clean.  The catches come from general checks only: an end-state
 * invariant, the deadlock detector, the lock-order checker, the checked
 * heap / ASan, and TSan. */
#define _GNU_SOURCE
#include "kmem.h"
#include "params.h"
#include "program.h"
#include "sync.h"

#include <stdio.h>
#include <string.h>

/* The parameters each toy takes (params.h checks them before setup). */
static const struct mmf_param_spec fixed_only[] = {
	{"fixed", MMF_P_INT, 0, 1, NULL, "fixed=0|1"}, {NULL, 0, 0, 0, NULL, NULL},
};
static const struct mmf_param_spec race_spec[] = {
	{"fixed", MMF_P_INT, 0, 1, NULL, "fixed=0|1"},
	{"tasks", MMF_P_INT, 2, 8, NULL, "tasks=2..8"},
	{"point", MMF_P_INT, 0, 1, NULL, "point=0|1"}, {NULL, 0, 0, 0, NULL, NULL},
};
static const struct mmf_param_spec lost_update_spec[] = {
	{"fixed", MMF_P_INT, 0, 1, NULL, "fixed=0|1"},
	{"tasks", MMF_P_INT, 2, 8, NULL, "tasks=2..8"},
	{"iters", MMF_P_INT, 1, 100, NULL, "iters=1..100"}, {NULL, 0, 0, 0, NULL, NULL},
};
static const struct mmf_param_spec abba_spec[] = {
	{"fixed", MMF_P_INT, 0, 1, NULL, "fixed=0|1"},
	{"lockdep", MMF_P_INT, 0, 1, NULL, "lockdep=0|1"}, {NULL, 0, 0, 0, NULL, NULL},
};
static const struct mmf_param_spec points_spec[] = {
	{"tasks", MMF_P_INT, 1, 8, NULL, "tasks=1..8"},
	{"points", MMF_P_INT, 0, 64, NULL, "points=0..64"}, {NULL, 0, 0, 0, NULL, NULL},
};

/* ---- lost update ---------------------------------------------------------
 * Each task adds 1 to a shared counter 'iters' times.  Buggy: read, then
 * set (two atomic operations: another task may update in between).  Fixed:
 * one atomic increment. */
struct lost_update {
	atomic_t counter;
	long tasks, iters, fixed;
};

static void lost_update_task(void *arg)
{
	struct lost_update *st = arg;
	for (long i = 0; i < st->iters; i++) {
		if (st->fixed) {
			atomic_inc(&st->counter);
		} else {
			int v = atomic_read(&st->counter);
			atomic_set(&st->counter, v + 1);
		}
	}
}

static int lost_update_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long tasks, iters, fixed;
	if (mmf_param_int(params, "tasks", 2, 2, 8, &tasks, err, len) ||
	    mmf_param_int(params, "iters", 1, 1, 100, &iters, err, len) ||
	    mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len))
		return -1;
	struct lost_update *st = kzalloc(sizeof(*st), GFP_ATOMIC, "lost_update");
	st->tasks = tasks;
	st->iters = iters;
	st->fixed = fixed;
	s->prog = st;
	for (long i = 0; i < tasks; i++)
		mmf_spawn(s, "adder", 0, lost_update_task, st);
	return 0;
}

static void lost_update_finish(struct mmf_sched *s)
{
	struct lost_update *st = s->prog;
	long want = st->tasks * st->iters;
	int got = __atomic_load_n(&st->counter.counter, __ATOMIC_RELAXED);
	if (got != want)
		MMF_FAIL(MMF_FAIL_INVARIANT, &st->counter,
			 "lost update: counter is %d after %ld increments", got, want);
}

const struct mmf_program mmf_toy_lost_update = {
	.name = "toy-lost-update",
	.param_spec = lost_update_spec,
	.summary = "two tasks increment a counter with read-then-set: an update is lost",
	.params_help = "fixed=0|1 tasks=2..8 iters=1..100",
	.default_params = "fixed=0",
	.expect = "invariant",
	.setup = lost_update_setup,
	.finish = lost_update_finish,
};

/* ---- AB-BA ---------------------------------------------------------------
 * Task 0 takes a then b; task 1 takes b then a (fixed: a then b too).  The
 * lock-order checker reports the inversion in any schedule; with lockdep=0
 * only a schedule that actually deadlocks shows it. */
struct abba {
	spinlock_t a, b;
	long fixed;
	int shared;
};

static void abba_task0(void *arg)
{
	struct abba *st = arg;
	spin_lock(&st->a);
	spin_lock(&st->b);
	st->shared++;
	spin_unlock(&st->b);
	spin_unlock(&st->a);
}

static void abba_task1(void *arg)
{
	struct abba *st = arg;
	spinlock_t *first = st->fixed ? &st->a : &st->b;
	spinlock_t *second = st->fixed ? &st->b : &st->a;
	spin_lock(first);
	spin_lock(second);
	st->shared++;
	spin_unlock(second);
	spin_unlock(first);
}

static int abba_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed, lockdep;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len) ||
	    mmf_param_int(params, "lockdep", 1, 0, 1, &lockdep, err, len))
		return -1;
	struct abba *st = kzalloc(sizeof(*st), GFP_ATOMIC, "abba");
	spin_lock_init(&st->a);
	spin_lock_init(&st->b);
	st->fixed = fixed;
	s->opts.no_lockdep = !lockdep;
	s->prog = st;
	mmf_spawn(s, "ab", 0, abba_task0, st);
	mmf_spawn(s, "ba", 0, abba_task1, st);
	return 0;
}

const struct mmf_program mmf_toy_abba = {
	.name = "toy-abba",
	.param_spec = abba_spec,
	.summary = "two tasks take two spinlocks in opposite orders (AB-BA)",
	.params_help = "fixed=0|1 lockdep=0|1",
	.default_params = "fixed=0",
	.expect = "lock-order",
	.setup = abba_setup,
};

/* ---- use-after-free behind a missing reference ------------------------------
 * The owner drops its reference and frees the object at zero.  The user
 * reads the object; buggy: it never took a reference, so the owner may free
 * it first.  Fixed: the user holds its own reference and drops it after. */
struct uaf_obj {
	refcount_t ref;
	int payload;
};
struct uaf {
	struct uaf_obj *obj;
	long fixed;
	int seen;
};

static void uaf_put(struct uaf_obj *o)
{
	if (refcount_dec_and_test(&o->ref))
		kfree(o);
}

static void uaf_owner(void *arg)
{
	struct uaf *st = arg;
	uaf_put(st->obj);
}

static void uaf_user(void *arg)
{
	struct uaf *st = arg;
	struct uaf_obj *o = st->obj;
	sched_point(MMF_PT_ACCESS, o);
	kmem_check(o);
	st->seen = o->payload;
	if (st->fixed)
		uaf_put(o);
}

static int uaf_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len))
		return -1;
	struct uaf *st = kzalloc(sizeof(*st), GFP_ATOMIC, "uaf");
	st->fixed = fixed;
	st->obj = kzalloc(sizeof(*st->obj), GFP_ATOMIC, "uaf_obj");
	st->obj->payload = 42;
	/* The owner's reference, plus the user's own when fixed. */
	refcount_set(&st->obj->ref, fixed ? 2 : 1);
	s->prog = st;
	mmf_spawn(s, "owner", 0, uaf_owner, st);
	mmf_spawn(s, "user", 0, uaf_user, st);
	return 0;
}

const struct mmf_program mmf_toy_uaf = {
	.name = "toy-uaf",
	.param_spec = fixed_only,
	.summary = "a task uses an object without holding a reference; the owner frees it",
	.params_help = "fixed=0|1",
	.default_params = "fixed=0",
	.expect = "use-after-free",
	.setup = uaf_setup,
};

/* ---- missed wakeup -------------------------------------------------------------
 * The waiter sleeps until the waker sets a flag.  Buggy: it checks the flag
 * before prepare_to_wait(), so a wake_up() in between finds no waiter and
 * the waiter sleeps forever.  Fixed: wait_event() arms first, then checks. */
struct missed {
	atomic_t flag;
	wait_queue_head_t wq;
	long fixed;
};

static void missed_waiter(void *arg)
{
	struct missed *st = arg;
	if (st->fixed) {
		wait_event(&st->wq, atomic_read(&st->flag));
		return;
	}
	if (!atomic_read(&st->flag)) {
		prepare_to_wait(&st->wq);
		schedule();
		finish_wait(&st->wq);
	}
}

static void missed_waker(void *arg)
{
	struct missed *st = arg;
	atomic_set(&st->flag, 1);
	wake_up(&st->wq);
}

static int missed_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len))
		return -1;
	struct missed *st = kzalloc(sizeof(*st), GFP_ATOMIC, "missed");
	init_waitqueue_head(&st->wq);
	st->fixed = fixed;
	s->prog = st;
	mmf_spawn(s, "waiter", 0, missed_waiter, st);
	mmf_spawn(s, "waker", 0, missed_waker, st);
	return 0;
}

const struct mmf_program mmf_toy_missed_wakeup = {
	.name = "toy-missed-wakeup",
	.param_spec = fixed_only,
	.summary = "a waiter checks its condition before queueing: the wakeup is lost",
	.params_help = "fixed=0|1",
	.default_params = "fixed=0",
	.expect = "deadlock",
	.setup = missed_setup,
};

/* ---- data race ---------------------------------------------------------------------
 * Two tasks increment a plain int.  Buggy: no lock, with a point between
 * the load and the store (an update can be lost, and TSan reports the race
 * in any schedule).  Fixed: the increment is under a spinlock. */
struct race {
	spinlock_t lock;
	int counter;
	long fixed, tasks, point;
};

/* point=0: no scheduling point inside the increment, so no schedule loses
 * an update and only TSan sees the race (the tasks' accesses are not
 * ordered by any synchronization). */
static void race_task(void *arg)
{
	struct race *st = arg;
	if (st->fixed)
		spin_lock(&st->lock);
	int v = st->counter;
	if (st->point)
		sched_point(MMF_PT_ACCESS, &st->counter);
	st->counter = v + 1;
	if (st->fixed)
		spin_unlock(&st->lock);
}

static int race_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed, tasks, point;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len) ||
	    mmf_param_int(params, "tasks", 2, 2, 8, &tasks, err, len) ||
	    mmf_param_int(params, "point", 1, 0, 1, &point, err, len))
		return -1;
	struct race *st = kzalloc(sizeof(*st), GFP_ATOMIC, "race");
	spin_lock_init(&st->lock);
	st->fixed = fixed;
	st->tasks = tasks;
	st->point = point;
	s->prog = st;
	for (long i = 0; i < tasks; i++)
		mmf_spawn(s, "incr", 0, race_task, st);
	return 0;
}

static void race_finish(struct mmf_sched *s)
{
	struct race *st = s->prog;
	if (st->counter != st->tasks)
		MMF_FAIL(MMF_FAIL_INVARIANT, &st->counter,
			 "lost update: plain counter is %d after %ld increments", st->counter,
			 st->tasks);
}

const struct mmf_program mmf_toy_race = {
	.name = "toy-race",
	.param_spec = race_spec,
	.summary = "two tasks increment a plain int without a lock (a data race for TSan)",
	.params_help = "fixed=0|1 tasks=2..8 point=0|1 (0: only TSan can see it)",
	.default_params = "fixed=0",
	.expect = "invariant",
	.setup = race_setup,
	.finish = race_finish,
};

/* ---- points ------------------------------------------------------------------------
 * No bug: 'tasks' tasks each pass 'points' scheduling points.  Used to
 * check that the exhaustive source visits exactly the interleavings that
 * combinatorics predicts. */

static void points_task(void *arg)
{
	long n = (long)(intptr_t)arg;
	for (long i = 0; i < n; i++)
		sched_point(MMF_PT_YIELD, NULL);
}

static int points_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long tasks, points;
	if (mmf_param_int(params, "tasks", 2, 1, 8, &tasks, err, len) ||
	    mmf_param_int(params, "points", 2, 0, 64, &points, err, len))
		return -1;
	for (long i = 0; i < tasks; i++)
		mmf_spawn(s, "stepper", 0, points_task, (void *)(intptr_t)points);
	return 0;
}

const struct mmf_program mmf_toy_points = {
	.name = "toy-points",
	.param_spec = points_spec,
	.summary = "no bug: N tasks pass K scheduling points each (schedule counting)",
	.params_help = "tasks=1..8 points=0..64",
	.default_params = "tasks=2 points=2",
	.expect = "clean",
	.setup = points_setup,
};

/* ---- native crash -------------------------------------------------------------------
 * A reader checks a published pointer, then uses it; a clearer unpublishes
 * it.  Buggy: the reader loads the pointer twice (check, then use), so a
 * clear in between makes it dereference NULL: a SIGSEGV in any build, the
 * kind of ending no model check reports.  Fixed: the reader loads it once,
 * under the lock the clearer takes. */
struct crash_item {
	int value;
};
struct crash {
	spinlock_t lock;
	struct crash_item *volatile item;
	struct crash_item the_item;
	long fixed;
	int sum;
};

static void crash_reader(void *arg)
{
	struct crash *st = arg;
	if (st->fixed) {
		spin_lock(&st->lock);
		struct crash_item *it = st->item;
		if (it)
			st->sum += it->value;
		spin_unlock(&st->lock);
		return;
	}
	if (st->item) {
		sched_point(MMF_PT_ACCESS, (const void *)&st->the_item);
		st->sum += st->item->value;
	}
}

static void crash_clearer(void *arg)
{
	struct crash *st = arg;
	spin_lock(&st->lock);
	st->item = NULL;
	spin_unlock(&st->lock);
}

static int crash_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len))
		return -1;
	struct crash *st = kzalloc(sizeof(*st), GFP_ATOMIC, "crash");
	spin_lock_init(&st->lock);
	st->the_item.value = 7;
	st->item = &st->the_item;
	st->fixed = fixed;
	s->prog = st;
	mmf_spawn(s, "reader", 0, crash_reader, st);
	mmf_spawn(s, "clearer", 0, crash_clearer, st);
	return 0;
}

const struct mmf_program mmf_toy_crash = {
	.name = "toy-crash",
	.param_spec = fixed_only,
	.summary = "a reader checks a pointer, then uses it; a clearer sets it to NULL between: "
		   "SIGSEGV",
	.params_help = "fixed=0|1",
	.default_params = "fixed=0",
	.expect = "crash",
	.setup = crash_setup,
};

/* ---- a loop that never reaches a scheduling point --------------------------------------
 * Two producers queue the same work item on a hand-rolled singly linked
 * list, and a consumer walks the list once both are done.  Buggy: "not
 * queued yet?" and "queue it" are two steps, so both producers may queue
 * it: the second push links the node to itself, and the consumer's walk
 * never ends (it has no scheduling point: only the wall-clock watchdog can
 * stop it).  Fixed: an atomic test-and-set claims the item, as
 * queue_work()'s PENDING bit does. */
struct spin_node {
	struct spin_node *next;
};
struct spin {
	atomic_t queued;
	struct spin_node node;
	struct spin_node *head;
	spinlock_t lock;
	atomic_t producers_left;
	struct completion done;
	long fixed;
	int walked;
};

static void spin_producer(void *arg)
{
	struct spin *st = arg;
	bool mine;
	if (st->fixed) {
		mine = atomic_xchg(&st->queued, 1) == 0;
	} else {
		mine = atomic_read(&st->queued) == 0;
		if (mine)
			atomic_set(&st->queued, 1);
	}
	if (mine) {
		spin_lock(&st->lock);
		st->node.next = st->head;
		st->head = &st->node;
		spin_unlock(&st->lock);
	}
	if (atomic_dec_and_test(&st->producers_left))
		complete(&st->done);
}

static void spin_consumer(void *arg)
{
	struct spin *st = arg;
	wait_for_completion(&st->done);
	unsigned n = 0;         /* it may count forever: unsigned wraps */
	/* volatile loads: the walk must really happen (and really never end) */
	for (struct spin_node *p = st->head; p; p = *(struct spin_node *volatile *)&p->next)
		n++;
	st->walked = (int)n;
}

static int spin_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	long fixed;
	if (mmf_param_int(params, "fixed", 0, 0, 1, &fixed, err, len))
		return -1;
	struct spin *st = kzalloc(sizeof(*st), GFP_ATOMIC, "spin");
	spin_lock_init(&st->lock);
	init_completion(&st->done);
	atomic_set(&st->producers_left, 2);
	st->fixed = fixed;
	s->prog = st;
	mmf_spawn(s, "producer", 0, spin_producer, st);
	mmf_spawn(s, "producer", 0, spin_producer, st);
	mmf_spawn(s, "consumer", 0, spin_consumer, st);
	return 0;
}

static void spin_finish(struct mmf_sched *s)
{
	struct spin *st = s->prog;
	if (st->walked != 1)
		MMF_FAIL(MMF_FAIL_INVARIANT, st, "the work item was queued %d times", st->walked);
}

const struct mmf_program mmf_toy_spin = {
	.name = "toy-spin",
	.param_spec = fixed_only,
	.summary = "two producers queue the same item; the list gets a cycle and the consumer's "
		   "walk never ends: timeout",
	.params_help = "fixed=0|1",
	.default_params = "fixed=0",
	.expect = "timeout",
	.setup = spin_setup,
	.finish = spin_finish,
};
