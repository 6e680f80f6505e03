/* thread_mode.c - the real-thread backend; see thread_mode.h. */
#define _GNU_SOURCE
#include "thread_mode.h"
#include "raw_futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NSTRIPES 256

struct stripe {
	int lock;               /* 0 free, 1 locked, 2 locked with waiters */
	unsigned seq;           /* bumped by every wake on the stripe */
} __attribute__((aligned(64)));

struct mmf_threads {
	pthread_mutex_t mu;     /* report, value source, task table growth */
	pthread_t th[MMF_MAX_TASKS];
	bool started[MMF_MAX_TASKS];
	bool done[MMF_MAX_TASKS];       /* the thread has returned (joinable at once) */
	bool running;
	bool abandoned;
	int live;               /* tasks not yet exited */
	int workers;            /* non-daemon tasks not yet exited */
	int blocked;            /* tasks inside mmf_threads_wait */
	uint64_t rng;
	struct stripe st[NSTRIPES];
};

static long futex(void *addr, int op, unsigned val, const struct timespec *ts)
{
	return mmf_raw_futex(addr, op, val, ts);
}

static void flock_acquire(int *l)
{
	int c = 0;
	if (__atomic_compare_exchange_n(l, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		futex(l, FUTEX_WAIT_PRIVATE, 2, NULL);
		c = __atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE);
	}
}

static void flock_release(int *l)
{
	if (__atomic_exchange_n(l, 0, __ATOMIC_RELEASE) == 2)
		futex(l, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static struct stripe *stripe_of(struct mmf_threads *th, const void *obj)
{
	uintptr_t h = (uintptr_t)obj;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return &th->st[(h >> 40) % NSTRIPES];
}

static struct mmf_threads *get(struct mmf_sched *s)
{
	if (!s->threads) {
		s->threads = calloc(1, sizeof(*s->threads));
		if (!s->threads)
			mmf_internal("out of memory (threads)");
		pthread_mutex_init(&s->threads->mu, NULL);
		/* The workload's values: seeded, or from the clock.  Which
		 * thread draws which value still depends on timing. */
		uint64_t seed = s->opts.thread_seed ? s->opts.thread_seed : (uint64_t)time(NULL);
		s->threads->rng = 0x853c49e6748fea9bull ^ (seed * 0x9e3779b97f4a7c15ull);
		if (!s->threads->rng)
			s->threads->rng = 1;
	}
	return s->threads;
}

void mmf_threads_free(struct mmf_sched *s)
{
	if (!s->threads)
		return;
	if (!s->threads->abandoned) {
		pthread_mutex_destroy(&s->threads->mu);
		free(s->threads);
	}
	/* Abandoned threads may still touch it: leave it to process exit. */
	s->threads = NULL;
}

bool mmf_threads_abandoned(const struct mmf_sched *s)
{
	return s->threads && s->threads->abandoned;
}

void mmf_threads_reset(struct mmf_sched *s)
{
	struct mmf_threads *th = s->threads;
	if (th->abandoned)
		mmf_internal("thread mode cannot start a run after a failed one: its threads "
			     "are still stuck; start a new process");
	memset(th->started, 0, sizeof(th->started));
	memset(th->done, 0, sizeof(th->done));
	th->running = false;
	th->live = th->workers = th->blocked = 0;
}

static void *thread_main(void *arg)
{
	struct mmf_task *t = arg;
	struct mmf_threads *th = t->s->threads;

	mmf__set_current(t);
	t->started = true;
	t->fn(t->arg);
	if (t->nheld)
		mmf_fail(MMF_FAIL_LOCKING, t->held[0].lock, t->held[0].site,
			 "task '%s' exited holding %s %p (taken at %s:%d)", t->name,
			 t->held[0].name, t->held[0].lock, mmf_site_file(t->held[0].site),
			 t->held[0].site ? t->held[0].site->line : 0);
	mmf__task_exited(t);
	__atomic_fetch_sub(&th->live, 1, __ATOMIC_SEQ_CST);
	if (!(t->flags & MMF_TASK_DAEMON))
		__atomic_fetch_sub(&th->workers, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&th->done[t->id], true, __ATOMIC_RELEASE);
	return NULL;
}

int mmf_threads_reuse_irq_slot(struct mmf_sched *s)
{
	struct mmf_threads *th = get(s);
	/* Only a slot whose thread has returned: joining a thread that is
	 * still leaving could wait on a lock this caller holds. */
	for (int i = 0; i < s->ntasks; i++) {
		if (!(s->tasks[i].flags & MMF_TASK_IRQ) || !th->started[i] ||
		    !__atomic_load_n(&th->done[i], __ATOMIC_ACQUIRE))
			continue;
		pthread_join(th->th[i], NULL);
		th->started[i] = false;
		th->done[i] = false;
		return i;
	}
	return -1;
}

void mmf_threads_table_lock(struct mmf_sched *s, bool lock)
{
	struct mmf_threads *th = get(s);
	if (lock)
		pthread_mutex_lock(&th->mu);
	else
		pthread_mutex_unlock(&th->mu);
}

void mmf_threads_start_task(struct mmf_sched *s, struct mmf_task *t)
{
	struct mmf_threads *th = get(s);
	if (!th->running)
		return; /* started by mmf_threads_run */
	__atomic_fetch_add(&th->live, 1, __ATOMIC_SEQ_CST);
	if (!(t->flags & MMF_TASK_DAEMON))
		__atomic_fetch_add(&th->workers, 1, __ATOMIC_SEQ_CST);
	th->started[t->id] = true;
	if (pthread_create(&th->th[t->id], NULL, thread_main, t))
		mmf_internal("pthread_create failed");
}

static uint64_t next_rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

void mmf_threads_point(struct mmf_sched *s, struct mmf_task *t)
{
	static _Thread_local uint64_t rng;
	if (!s->opts.thread_yield_rate)
		return;
	if (!rng)
		rng = 0x9e3779b97f4a7c15ull * (uint64_t)(t->id + 1) ^ (uint64_t)(uintptr_t)&rng;
	if (next_rng(&rng) % s->opts.thread_yield_rate == 0)
		sched_yield();
}

void mmf_threads_obj_lock(struct mmf_sched *s, const void *obj)
{
	flock_acquire(&stripe_of(get(s), obj)->lock);
}

void mmf_threads_obj_unlock(struct mmf_sched *s, const void *obj)
{
	flock_release(&stripe_of(get(s), obj)->lock);
}

bool mmf_threads_wait(struct mmf_sched *s, struct mmf_task *t, const void *obj,
		      enum mmf_wait_kind kind, const char *desc, const struct mmf_task *holder,
		      const struct mmf_site *site, uint64_t wake_at)
{
	struct mmf_threads *th = get(s);
	struct stripe *st = stripe_of(th, obj);

	mmf__begin_wait(t, obj, kind, desc, holder, site, wake_at);
	unsigned seq = __atomic_load_n(&st->seq, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->state, MMF_T_BLOCKED, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&th->blocked, 1, __ATOMIC_SEQ_CST);
	flock_release(&st->lock);
	if (wake_at) {
		/* Virtual time ticks with the watchdog; poll it. */
		struct timespec ts = {0, 1000000};
		while (__atomic_load_n(&st->seq, __ATOMIC_SEQ_CST) == seq &&
		       __atomic_load_n(&s->vtime, __ATOMIC_RELAXED) < wake_at)
			futex(&st->seq, FUTEX_WAIT_PRIVATE, seq, &ts);
	} else {
		futex(&st->seq, FUTEX_WAIT_PRIVATE, seq, NULL);
	}
	__atomic_fetch_sub(&th->blocked, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->state, MMF_T_RUNNABLE, __ATOMIC_SEQ_CST);
	flock_acquire(&st->lock);
	t->wait_obj = NULL;
	return wake_at && __atomic_load_n(&s->vtime, __ATOMIC_RELAXED) >= wake_at;
}

void mmf_threads_wake(struct mmf_sched *s, const void *obj)
{
	struct stripe *st = stripe_of(get(s), obj);
	__atomic_fetch_add(&st->seq, 1, __ATOMIC_SEQ_CST);
	futex(&st->seq, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
}

/* Under each stripe's lock, as every wake is: a waiter checks its
 * condition (here kthread_should_stop()) and reads the stripe's sequence
 * under that lock, so a bump without it could fall between the two and
 * the waiter would sleep through its only wake-up. */
static void wake_everything(struct mmf_threads *th)
{
	for (int i = 0; i < NSTRIPES; i++) {
		flock_acquire(&th->st[i].lock);
		__atomic_fetch_add(&th->st[i].seq, 1, __ATOMIC_SEQ_CST);
		futex(&th->st[i].seq, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
		flock_release(&th->st[i].lock);
	}
}

uint64_t mmf_threads_value(struct mmf_sched *s, uint64_t bound)
{
	struct mmf_threads *th = get(s);
	pthread_mutex_lock(&th->mu);
	uint64_t v = next_rng(&th->rng) % bound;
	pthread_mutex_unlock(&th->mu);
	return v;
}

void mmf_threads_fail(struct mmf_sched *s, enum mmf_fail_class cls, const void *obj,
		      const struct mmf_site *site, const char *fmt, va_list ap)
{
	struct mmf_threads *th = get(s);
	pthread_mutex_lock(&th->mu);
	if (!s->failed)
		mmf__record_report(s, cls, obj, site, fmt, ap);
	pthread_mutex_unlock(&th->mu);
	if (mmf_current()) {
		/* This thread stops here; the watchdog ends the run. */
		__atomic_fetch_add(&th->blocked, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void report_stuck(struct mmf_sched *s, enum mmf_fail_class cls, const char *what)
{
	char buf[MMF_REPORT_LEN];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "%s", what);
	mmf__describe_tasks(s, buf, sizeof(buf), off);
	mmf_fail(cls, NULL, NULL, "%s", buf);
}

enum mmf_run_status mmf_threads_run(struct mmf_sched *s)
{
	struct mmf_threads *th = get(s);
	unsigned limit = s->opts.thread_timeout_ms ? s->opts.thread_timeout_ms : 60000;

	th->running = true;
	int n = s->ntasks;
	for (int i = 0; i < n; i++) {
		struct mmf_task *t = &s->tasks[i];
		th->live++;
		if (!(t->flags & MMF_TASK_DAEMON))
			th->workers++;
		th->started[i] = true;
	}
	for (int i = 0; i < n; i++)
		if (pthread_create(&th->th[i], NULL, thread_main, &s->tasks[i]))
			mmf_internal("pthread_create failed");

	uint64_t start = now_ms(), stuck = 0;
	bool stopping = false;
	for (;;) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		mmf_obj_lock(&s->timers);
		__atomic_fetch_add(&s->vtime, 1, __ATOMIC_RELAXED);
		mmf__timer_fire_due(s);
		mmf_obj_unlock(&s->timers);
		if (__atomic_load_n(&s->failed, __ATOMIC_SEQ_CST))
			break;
		if (__atomic_load_n(&th->live, __ATOMIC_SEQ_CST) == 0)
			break;
		if (!stopping && __atomic_load_n(&th->workers, __ATOMIC_SEQ_CST) == 0) {
			stopping = true;
			for (int i = 0; i < s->ntasks; i++)
				__atomic_store_n(&s->tasks[i].should_stop, true, __ATOMIC_RELAXED);
			wake_everything(th);
		}
		int live = __atomic_load_n(&th->live, __ATOMIC_SEQ_CST);
		int blocked = __atomic_load_n(&th->blocked, __ATOMIC_SEQ_CST);
		bool timed = false;
		for (int i = 0; i < s->ntasks; i++)
			timed |= s->tasks[i].state == MMF_T_BLOCKED && s->tasks[i].wake_at;
		stuck = (blocked >= live && !timed) ? stuck + 1 : 0;
		if (stuck > 500) {
			report_stuck(s, MMF_FAIL_DEADLOCK, "deadlock: every live thread blocked for 500 ms");
			break;
		}
		if (now_ms() - start > limit) {
			report_stuck(s, MMF_FAIL_HANG, "hang: the run exceeded its wall-clock limit");
			break;
		}
	}
	if (s->failed) {
		th->abandoned = true;
		for (int i = 0; i < s->ntasks; i++)
			if (th->started[i])
				pthread_detach(th->th[i]);
		s->status = MMF_RUN_FAILED;
		return s->status;
	}
	for (int i = 0; i < s->ntasks; i++)
		if (th->started[i])
			pthread_join(th->th[i], NULL);
	th->running = false;
	s->status = MMF_RUN_CLEAN;
	return s->status;
}
