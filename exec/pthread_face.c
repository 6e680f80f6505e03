/* pthread_face.c - the pthread face of the scheduler core (exec mode).
 *
 * mmfuzz-cc links the user's program with -Wl,--wrap=NAME for each call
 * below, so the program's own calls land here (libc's internal calls and a
 * sanitizer runtime's do not).  Outside an execution (before main, in the
 * front end) every wrapper passes through to the real call.  Inside one,
 * each call is a scheduling point and the object's state lives in the
 * object itself (the pthread types are large enough; static initializers
 * are all-zero states here too), so no table limits how many there are.
 *
 * Blocking goes through the core's mmf_obj_wait/mmf_obj_wake, naming what
 * a task waits for and who holds it, so the deadlock detector reports who
 * holds what.  Timed waits and sleeps run on the virtual clock (one jiffy
 * is a millisecond); clock_gettime, gettimeofday and time read it too, so
 * a deadline computed from "now" is the same in every execution. */
#define _GNU_SOURCE
#include "exec_rt.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define REAL(f) __real_##f
#define WRAP(f) __wrap_##f
/* The call site of the program's call: the wrapper's return address, or,
 * when a C11 call maps onto a pthread one, the C11 call's (outer_pc). */
static __thread void *outer_pc;
static inline void *call_pc(void *pc)
{
	void *o = outer_pc;
	outer_pc = NULL;
	return o ? o : pc;
}
#define HERE(what) mmf_exec_site(call_pc(__builtin_return_address(0)), what)

/* ---- the real calls ------------------------------------------------------ */
int REAL(pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int REAL(pthread_join)(pthread_t, void **);
_Noreturn void REAL(pthread_exit)(void *);
int REAL(pthread_detach)(pthread_t);
int REAL(pthread_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
int REAL(pthread_mutex_destroy)(pthread_mutex_t *);
int REAL(pthread_mutex_lock)(pthread_mutex_t *);
int REAL(pthread_mutex_trylock)(pthread_mutex_t *);
int REAL(pthread_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
int REAL(pthread_mutex_unlock)(pthread_mutex_t *);
int REAL(pthread_rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
int REAL(pthread_rwlock_destroy)(pthread_rwlock_t *);
int REAL(pthread_rwlock_rdlock)(pthread_rwlock_t *);
int REAL(pthread_rwlock_wrlock)(pthread_rwlock_t *);
int REAL(pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
int REAL(pthread_rwlock_trywrlock)(pthread_rwlock_t *);
int REAL(pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
int REAL(pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
int REAL(pthread_rwlock_unlock)(pthread_rwlock_t *);
int REAL(pthread_spin_init)(pthread_spinlock_t *, int);
int REAL(pthread_spin_destroy)(pthread_spinlock_t *);
int REAL(pthread_spin_lock)(pthread_spinlock_t *);
int REAL(pthread_spin_trylock)(pthread_spinlock_t *);
int REAL(pthread_spin_unlock)(pthread_spinlock_t *);
int REAL(pthread_cond_init)(pthread_cond_t *, const pthread_condattr_t *);
int REAL(pthread_cond_destroy)(pthread_cond_t *);
int REAL(pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
int REAL(pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
int REAL(pthread_cond_signal)(pthread_cond_t *);
int REAL(pthread_cond_broadcast)(pthread_cond_t *);
int REAL(pthread_barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);
int REAL(pthread_barrier_destroy)(pthread_barrier_t *);
int REAL(pthread_barrier_wait)(pthread_barrier_t *);
int REAL(sem_init)(sem_t *, int, unsigned);
int REAL(sem_destroy)(sem_t *);
int REAL(sem_wait)(sem_t *);
int REAL(sem_trywait)(sem_t *);
int REAL(sem_timedwait)(sem_t *, const struct timespec *);
int REAL(sem_post)(sem_t *);
int REAL(sem_getvalue)(sem_t *, int *);
int REAL(pthread_once)(pthread_once_t *, void (*)(void));
int REAL(pthread_key_create)(pthread_key_t *, void (*)(void *));
int REAL(pthread_key_delete)(pthread_key_t);
void *REAL(pthread_getspecific)(pthread_key_t);
int REAL(pthread_setspecific)(pthread_key_t, const void *);
void REAL(__pthread_register_cancel)(__pthread_unwind_buf_t *);
void REAL(__pthread_unregister_cancel)(__pthread_unwind_buf_t *);
_Noreturn void REAL(__pthread_unwind_next)(__pthread_unwind_buf_t *);
int REAL(sched_yield)(void);
unsigned REAL(sleep)(unsigned);
int REAL(usleep)(useconds_t);
int REAL(nanosleep)(const struct timespec *, struct timespec *);
int REAL(clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
int REAL(clock_gettime)(clockid_t, struct timespec *);
int REAL(gettimeofday)(struct timeval *, void *);
time_t REAL(time)(time_t *);
_Noreturn void REAL(exit)(int);
int REAL(pthread_tryjoin_np)(pthread_t, void **);
int REAL(pthread_timedjoin_np)(pthread_t, void **, const struct timespec *);
int REAL(pthread_clockjoin_np)(pthread_t, void **, clockid_t, const struct timespec *);
int REAL(pthread_mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
int REAL(pthread_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
int REAL(pthread_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
int REAL(pthread_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
int REAL(sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
long REAL(syscall)(long, ...);

/* ---- threads ------------------------------------------------------------- */

#define MAX_KEYS 128
/* Keys made in a run are numbered from here, apart from the real keys
 * that code outside the run (libc, a sanitizer runtime) holds. */
#define KEY_BASE 0x40000000u
#define MAX_CLEANUP 64

struct xthr {
	pthread_t th;                   /* its carrier's: what pthread_self says */
	struct mmf_fiber_thr *carrier;
	bool released;                  /* joined or detached: its carrier may end */
	int task;
	bool exited, detached, joined;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	jmp_buf exit_jb;                /* pthread_exit lands here */
	void *keys[MAX_KEYS];
	__pthread_unwind_buf_t *cleanup[MAX_CLEANUP];
	int ncleanup;
	char sleep_obj;                 /* what a sleeper waits on */
};

static struct xthr **thr;               /* every thread of the run, oldest first */
static size_t nthr, capthr;
static struct xthr *by_task[MMF_MAX_TASKS];
static struct {
	bool used;
	void (*dtor)(void *);
} keys[MAX_KEYS];
int mmf_exec_exit_code = -1;

void mmf_exec_threads_reset(void)
{
	nthr = 0;
	memset(by_task, 0, sizeof(by_task));
	mmf_exec_exit_code = -1;
}

static struct xthr *new_thr(void)
{
	if (nthr == capthr) {
		size_t cap = capthr ? capthr * 2 : 64;
		struct xthr **n = realloc(thr, cap * sizeof(*n));
		if (!n)
			mmf_internal("out of memory (thread records)");
		thr = n;
		capthr = cap;
	}
	struct xthr *x = calloc(1, sizeof(*x));
	if (!x)
		mmf_internal("out of memory (thread record)");
	thr[nthr++] = x;
	return x;
}

static struct xthr *me(void)
{
	struct mmf_task *t = mmf_current();
	struct xthr *x = t ? by_task[t->id] : NULL;
	if (!x)
		mmf_internal("exec: a task without a thread record");
	return x;
}

/* A thread by its pthread_t.  A carrier ends only once its thread is
 * joined or detached (released), after which libc may give its pthread_t
 * to a later thread: the newest unreleased one is meant. */
static struct xthr *lookup(pthread_t th)
{
	for (size_t i = nthr; i-- > 0;)
		if (thr[i]->th == th && !thr[i]->released)
			return thr[i];
	return NULL;
}

static void release(struct xthr *x)
{
	if (!x->released) {
		x->released = true;
		mmf_fiber_thread_release(x->carrier);
	}
}

static struct mmf_task *task_of(const struct xthr *x)
{
	struct mmf_sched *s = mmf_current_sched();
	return &s->tasks[x->task];
}

static void run_key_dtors(struct xthr *x)
{
	for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		bool any = false;
		for (int k = 0; k < MAX_KEYS; k++) {
			void *v = x->keys[k];
			if (v && keys[k].used && keys[k].dtor) {
				x->keys[k] = NULL;
				keys[k].dtor(v);
				any = true;
			}
		}
		if (!any)
			break;
	}
}

/* A thread's end (its function returned or it called pthread_exit). */
static void thread_done(struct xthr *x)
{
	run_key_dtors(x);
	x->exited = true;
	mmf_obj_wake(x);
	if (x->detached) {
		task_of(x)->flags |= MMF_TASK_REUSABLE;
		release(x);
	}
}

static void thread_task(void *p)
{
	struct xthr *x = p;
	struct mmf_task *t = mmf_current();
	mmf_exec_note_stack(__builtin_frame_address(0), MMF_EXEC_STACK - 65536);
	x->task = t->id;
	by_task[t->id] = x;
	if (!setjmp(x->exit_jb))
		x->ret = x->fn(x->arg);
	thread_done(x);
}

void mmf_exec_main_task(int (*main_fn)(int, char **, char **), int argc, char **argv,
			char **envp)
{
	struct xthr *x = new_thr();
	struct mmf_task *t = mmf_current();
	mmf_exec_note_stack(__builtin_frame_address(0), MMF_EXEC_STACK - 65536);
	x->th = (pthread_t)mmf_fiber_thread_handle(t->fiber);
	x->carrier = mmf_fiber_thread_token(t->fiber);
	x->task = t->id;
	by_task[t->id] = x;
	if (!setjmp(x->exit_jb)) {
		int rc = main_fn(argc, argv, envp);
		/* Returning from main is exit(rc): the program ends now,
		 * whatever its other threads are doing. */
		mmf_exec_exit_code = rc & 0xff;
		mmf_end_run();
	}
	/* pthread_exit from main: the others go on; the program exits with
	 * 0 when the last one ends. */
	thread_done(x);
}

int WRAP(pthread_create)(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (!mmf_exec_active())
		return REAL(pthread_create)(th, attr, fn, arg);
	/* No point here nor after the spawn: creating a thread is seen by
	 * no one until the new thread's first point, where it and its creator
	 * (at the creator's next point) compete anyway.  Points around the
	 * call only add decisions: with them, random priorities needed 52.5
	 * executions for reorder_4 and 13.2 for wronglock, without 18.6 and
	 * 10.6 (10 trials each). */
	struct xthr *x = new_thr();
	x->fn = fn;
	x->arg = arg;
	int ds = PTHREAD_CREATE_JOINABLE;
	if (attr)
		pthread_attr_getdetachstate(attr, &ds);
	x->detached = ds == PTHREAD_CREATE_DETACHED;
	char name[24];
	snprintf(name, sizeof(name), "thread%zu", nthr - 1);
	struct mmf_task *t = mmf_spawn(mmf_current_sched(), name, 0, thread_task, x);
	if (!t)
		return EAGAIN;
	x->task = t->id;
	x->th = (pthread_t)mmf_fiber_thread_handle(t->fiber);
	x->carrier = mmf_fiber_thread_token(t->fiber);
	*th = x->th;
	return 0;
}

int WRAP(pthread_detach)(pthread_t th)
{
	if (!mmf_exec_active())
		return REAL(pthread_detach)(th);
	struct xthr *x = lookup(th);
	if (!x)
		return ESRCH;
	if (x->detached)
		return EINVAL;
	x->detached = true;
	if (x->exited) {
		task_of(x)->flags |= MMF_TASK_REUSABLE;
		release(x);
	}
	return 0;
}

/* Enter a pthread_cleanup_push frame as cancellation does: its buffer was
 * filled by __sigsetjmp without the signal mask, a prefix of a jmp_buf. */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
static _Noreturn void enter_cleanup(__pthread_unwind_buf_t *b)
{
	longjmp((struct __jmp_buf_tag *)(void *)b->__cancel_jmp_buf, 1);
}
#pragma GCC diagnostic pop

_Noreturn void WRAP(pthread_exit)(void *v)
{
	if (!mmf_exec_active())
		REAL(pthread_exit)(v);
	struct xthr *x = me();
	x->ret = v;
	/* run the cleanup handlers, innermost first: each is a frame of the
	 * pthread_cleanup_push macro, entered as cancellation would */
	if (x->ncleanup > 0) {
		enter_cleanup(x->cleanup[--x->ncleanup]);
	}
	longjmp(x->exit_jb, 1);
}

void WRAP(__pthread_register_cancel)(__pthread_unwind_buf_t *b)
{
	if (!mmf_exec_active()) {
		REAL(__pthread_register_cancel)(b);
		return;
	}
	struct xthr *x = me();
	if (x->ncleanup == MAX_CLEANUP)
		mmf_internal("exec: more than %d nested pthread_cleanup_push", MAX_CLEANUP);
	x->cleanup[x->ncleanup++] = b;
}

void WRAP(__pthread_unregister_cancel)(__pthread_unwind_buf_t *b)
{
	if (!mmf_exec_active()) {
		REAL(__pthread_unregister_cancel)(b);
		return;
	}
	struct xthr *x = me();
	if (x->ncleanup > 0 && x->cleanup[x->ncleanup - 1] == b)
		x->ncleanup--;
}

/* A cleanup handler run by pthread_exit has finished: the next one. */
_Noreturn void WRAP(__pthread_unwind_next)(__pthread_unwind_buf_t *b)
{
	if (!mmf_exec_active())
		REAL(__pthread_unwind_next)(b);
	struct xthr *x = me();
	if (x->ncleanup > 0) {
		enter_cleanup(x->cleanup[--x->ncleanup]);
	}
	longjmp(x->exit_jb, 1);
}

_Noreturn void WRAP(exit)(int code)
{
	if (!mmf_exec_active())
		REAL(exit)(code);
	mmf_exec_exit_code = code & 0xff;
	mmf_end_run();
}

/* ---- virtual time --------------------------------------------------------- */

/* Fixed epochs: the virtual clocks start here in every execution. */
#define REALTIME_EPOCH 1700000000ll
#define MONOTONIC_EPOCH 1000ll

static int64_t vnow_ns(clockid_t clk)
{
	int64_t base = (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE) ? REALTIME_EPOCH :
										 MONOTONIC_EPOCH;
	return base * 1000000000ll + (int64_t)(mmf_jiffies() * MMF_EXEC_NS_PER_JIFFY);
}

/* Jiffies from now until abstime on clk (at least 0), rounded up. */
static uint64_t until(clockid_t clk, const struct timespec *abstime)
{
	int64_t want = (int64_t)abstime->tv_sec * 1000000000ll + abstime->tv_nsec;
	int64_t d = want - vnow_ns(clk);
	if (d <= 0)
		return 0;
	return ((uint64_t)d + MMF_EXEC_NS_PER_JIFFY - 1) / MMF_EXEC_NS_PER_JIFFY;
}

int WRAP(clock_gettime)(clockid_t clk, struct timespec *ts)
{
	if (!mmf_exec_active() || (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC &&
				   clk != CLOCK_REALTIME_COARSE && clk != CLOCK_MONOTONIC_COARSE &&
				   clk != CLOCK_MONOTONIC_RAW && clk != CLOCK_BOOTTIME))
		return REAL(clock_gettime)(clk, ts);
	int64_t n = vnow_ns(clk);
	ts->tv_sec = n / 1000000000ll;
	ts->tv_nsec = n % 1000000000ll;
	return 0;
}

int WRAP(gettimeofday)(struct timeval *tv, void *tz)
{
	if (!mmf_exec_active())
		return REAL(gettimeofday)(tv, tz);
	int64_t n = vnow_ns(CLOCK_REALTIME);
	if (tv) {
		tv->tv_sec = n / 1000000000ll;
		tv->tv_usec = (n % 1000000000ll) / 1000;
	}
	return 0;
}

time_t WRAP(time)(time_t *t)
{
	if (!mmf_exec_active())
		return REAL(time)(t);
	time_t v = (time_t)(vnow_ns(CLOCK_REALTIME) / 1000000000ll);
	if (t)
		*t = v;
	return v;
}

/* Sleep j jiffies of virtual time (0: a yield point). */
static void vsleep(uint64_t j, const struct mmf_site *site)
{
	struct xthr *x = me();
	mmf_point(MMF_PT_TIME, &x->sleep_obj, site);
	if (!j)
		return;
	uint64_t end = mmf_jiffies() + j;
	while (mmf_jiffies() < end)
		mmf_obj_wait_timeout(&x->sleep_obj, "sleep", end - mmf_jiffies(), site);
}

static uint64_t ns_to_j(int64_t ns)
{
	return ns <= 0 ? 0 : ((uint64_t)ns + MMF_EXEC_NS_PER_JIFFY - 1) / MMF_EXEC_NS_PER_JIFFY;
}

int WRAP(sched_yield)(void)
{
	if (!mmf_exec_active())
		return REAL(sched_yield)();
	mmf_point(MMF_PT_YIELD, NULL, HERE("sched_yield"));
	return 0;
}

unsigned WRAP(sleep)(unsigned sec)
{
	if (!mmf_exec_active())
		return REAL(sleep)(sec);
	vsleep(ns_to_j((int64_t)sec * 1000000000ll), HERE("sleep"));
	return 0;
}

int WRAP(usleep)(useconds_t us)
{
	if (!mmf_exec_active())
		return REAL(usleep)(us);
	vsleep(ns_to_j((int64_t)us * 1000), HERE("usleep"));
	return 0;
}

int WRAP(nanosleep)(const struct timespec *req, struct timespec *rem)
{
	if (!mmf_exec_active())
		return REAL(nanosleep)(req, rem);
	if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000l || req->tv_sec < 0) {
		errno = EINVAL;
		return -1;
	}
	vsleep(ns_to_j((int64_t)req->tv_sec * 1000000000ll + req->tv_nsec), HERE("nanosleep"));
	if (rem)
		*rem = (struct timespec){0, 0};
	return 0;
}

int WRAP(clock_nanosleep)(clockid_t clk, int flags, const struct timespec *req,
			  struct timespec *rem)
{
	if (!mmf_exec_active())
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	const struct mmf_site *site = HERE("clock_nanosleep");
	if (flags & TIMER_ABSTIME)
		vsleep(until(clk, req), site);
	else
		vsleep(ns_to_j((int64_t)req->tv_sec * 1000000000ll + req->tv_nsec), site);
	if (rem)
		*rem = (struct timespec){0, 0};
	return 0;
}

/* ---- blocking with an optional deadline ------------------------------------ */

#define NO_DEADLINE UINT64_MAX

/* The jiffy a timed call gives up at (abstime on CLOCK_REALTIME). */
static uint64_t deadline(const struct timespec *abstime)
{
	return abstime ? mmf_jiffies() + until(CLOCK_REALTIME, abstime) : NO_DEADLINE;
}

/* The clocks the clock* calls take (as glibc: EINVAL for others). */
static bool bad_clock(clockid_t clk) { return clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC; }

/* abstime on clk as the same instant on CLOCK_REALTIME (the virtual
 * clocks move together), in *out. */
static const struct timespec *on_realtime(clockid_t clk, const struct timespec *a, struct timespec *out)
{
	int64_t ns = (int64_t)a->tv_sec * 1000000000ll + a->tv_nsec - vnow_ns(clk) +
		     vnow_ns(CLOCK_REALTIME);
	*out = (struct timespec){ns / 1000000000ll, ns % 1000000000ll};
	return out;
}

/* One wait of a blocking call's loop: until woken on obj (holder: whom it
 * waits for, for deadlock reports) or, with a deadline (not NO_DEADLINE),
 * until then.  False once the deadline has passed. */
static bool wait_once(const void *obj, const char *desc, const struct mmf_task *holder,
		      uint64_t end, const struct mmf_site *site)
{
	if (end == NO_DEADLINE) {
		mmf_obj_wait(obj, MMF_WAIT_SLEEP, desc, holder, site);
		return true;
	}
	if (mmf_jiffies() >= end)
		return false;
	mmf_obj_wait_timeout(obj, desc, end - mmf_jiffies(), site);
	return true;
}

/* ---- joining ------------------------------------------------------------- */

/* Join: wait for ever (end NO_DEADLINE), until 'end', or not at all
 * (try: EBUSY while the thread runs). */
static int join(pthread_t th, void **ret, bool try, uint64_t end, const char *desc,
		const struct mmf_site *site)
{
	struct xthr *x = lookup(th);
	if (!x)
		return ESRCH;
	if (x == me())
		return EDEADLK;
	if (x->detached || x->joined)
		return EINVAL;
	mmf_point(MMF_PT_WAIT, x, site);
	while (!x->exited) {
		if (try)
			return EBUSY;
		if (!wait_once(x, desc, task_of(x), end, site))
			return ETIMEDOUT;
	}
	if (ret)
		*ret = x->ret;
	x->joined = true;
	task_of(x)->flags |= MMF_TASK_REUSABLE;
	release(x);
	return 0;
}

int WRAP(pthread_join)(pthread_t th, void **ret)
{
	if (!mmf_exec_active())
		return REAL(pthread_join)(th, ret);
	return join(th, ret, false, NO_DEADLINE, "pthread_join", HERE("pthread_join"));
}

int WRAP(pthread_tryjoin_np)(pthread_t th, void **ret)
{
	if (!mmf_exec_active())
		return REAL(pthread_tryjoin_np)(th, ret);
	return join(th, ret, true, NO_DEADLINE, "pthread_tryjoin_np", HERE("pthread_tryjoin_np"));
}

int WRAP(pthread_timedjoin_np)(pthread_t th, void **ret, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_timedjoin_np)(th, ret, a);
	const struct mmf_site *site = HERE("pthread_timedjoin_np");
	if (a && (a->tv_nsec < 0 || a->tv_nsec >= 1000000000l))
		return EINVAL;
	return join(th, ret, false, a ? deadline(a) : NO_DEADLINE, "pthread_timedjoin_np", site);
}

int WRAP(pthread_clockjoin_np)(pthread_t th, void **ret, clockid_t clk, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_clockjoin_np)(th, ret, clk, a);
	const struct mmf_site *site = HERE("pthread_clockjoin_np");
	if (a && (bad_clock(clk) || a->tv_nsec < 0 || a->tv_nsec >= 1000000000l))
		return EINVAL;
	struct timespec rt;
	return join(th, ret, false, a ? deadline(on_realtime(clk, a, &rt)) : NO_DEADLINE,
		    "pthread_clockjoin_np", site);
}

/* ---- mutexes --------------------------------------------------------------
 * State in glibc's own fields: __owner holds the owning task + 1 and
 * __count the recursion depth; __kind is set by the real init (the type
 * from the attributes, or a static initializer's). */
static const struct mmf_site mutex_cls = {"pthread", 0, "pthread_mutex", "mutex"};
static const struct mmf_site rwlock_cls = {"pthread", 0, "pthread_rwlock", "rwlock"};
static const struct mmf_site spin_cls = {"pthread", 0, "pthread_spin", "spinlock"};

static int mutex_type(const pthread_mutex_t *m) { return m->__data.__kind & 3; }

static struct mmf_task *owner_task(int owner)
{
	return owner ? &mmf_current_sched()->tasks[owner - 1] : NULL;
}

/* timeout: NULL waits for ever, else until the deadline (ETIMEDOUT). */
static int mutex_acquire(pthread_mutex_t *m, bool try, const struct timespec *abstime,
			 const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	mmf_point(MMF_PT_LOCK, m, site);
	int type = mutex_type(m);
	if (m->__data.__owner == t->id + 1) {
		if (type == PTHREAD_MUTEX_RECURSIVE) {
			m->__data.__count++;
			return 0;
		}
		if (type == PTHREAD_MUTEX_ERRORCHECK)
			return try ? EBUSY : EDEADLK;
		if (try)
			return EBUSY;
		/* a normal mutex locked twice by its owner: it waits for itself */
	}
	if (try && m->__data.__owner)
		return EBUSY;
	uint64_t end = deadline(abstime);
	while (m->__data.__owner)
		if (!wait_once(m, abstime ? "pthread_mutex_timedlock" : "pthread_mutex_lock",
			       owner_task(m->__data.__owner), end, site))
			return ETIMEDOUT;
	m->__data.__owner = t->id + 1;
	m->__data.__count = 1;
	mmf__lock_acquired(m, &mutex_cls, "pthread_mutex", site, try);
	return 0;
}

static int mutex_release(pthread_mutex_t *m, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	int type = mutex_type(m);
	if (m->__data.__owner != t->id + 1) {
		if (type == PTHREAD_MUTEX_ERRORCHECK || type == PTHREAD_MUTEX_RECURSIVE)
			return EPERM;
		if (!m->__data.__owner)
			return EPERM;   /* glibc: unlocking an unlocked normal mutex */
		/* a normal mutex unlocked by another thread: allowed by glibc */
	}
	if (type == PTHREAD_MUTEX_RECURSIVE && --m->__data.__count > 0)
		return 0;
	int owner = m->__data.__owner;
	m->__data.__owner = 0;
	m->__data.__count = 0;
	if (owner == t->id + 1)
		mmf__lock_released(m, site);
	mmf_obj_wake(m);
	mmf_point(MMF_PT_UNLOCK, m, site);
	return 0;
}

int WRAP(pthread_mutex_init)(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	return REAL(pthread_mutex_init)(m, a);   /* the type, for both worlds */
}

int WRAP(pthread_mutex_destroy)(pthread_mutex_t *m)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_destroy)(m);
	mmf_point(MMF_PT_LOCK, m, HERE("pthread_mutex_destroy"));
	return m->__data.__owner ? EBUSY : 0;
}

int WRAP(pthread_mutex_lock)(pthread_mutex_t *m)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_lock)(m);
	return mutex_acquire(m, false, NULL, HERE("pthread_mutex_lock"));
}

int WRAP(pthread_mutex_trylock)(pthread_mutex_t *m)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_trylock)(m);
	return mutex_acquire(m, true, NULL, HERE("pthread_mutex_trylock"));
}

int WRAP(pthread_mutex_timedlock)(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_timedlock)(m, abstime);
	if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000l)
		return EINVAL;
	return mutex_acquire(m, false, abstime, HERE("pthread_mutex_timedlock"));
}

int WRAP(pthread_mutex_clocklock)(pthread_mutex_t *m, clockid_t clk, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_clocklock)(m, clk, a);
	const struct mmf_site *site = HERE("pthread_mutex_clocklock");
	if (bad_clock(clk) || a->tv_nsec < 0 || a->tv_nsec >= 1000000000l)
		return EINVAL;
	struct timespec rt;
	return mutex_acquire(m, false, on_realtime(clk, a, &rt), site);
}

int WRAP(pthread_mutex_unlock)(pthread_mutex_t *m)
{
	if (!mmf_exec_active())
		return REAL(pthread_mutex_unlock)(m);
	return mutex_release(m, HERE("pthread_mutex_unlock"));
}

/* ---- reader-writer locks ------------------------------------------------ */
struct xrw {
	int writer;             /* task + 1 */
	unsigned readers;
};
_Static_assert(sizeof(struct xrw) <= sizeof(pthread_rwlock_t), "rwlock overlay");

static int rw_acquire(pthread_rwlock_t *l, bool write, bool try, const struct timespec *abstime,
		      const struct mmf_site *site)
{
	struct xrw *r = (struct xrw *)l;
	struct mmf_task *t = mmf_current();
	mmf_point(MMF_PT_LOCK, l, site);
	if (r->writer == t->id + 1)
		return EDEADLK;
	uint64_t end = deadline(abstime);
	const char *desc = abstime ? (write ? "pthread_rwlock_timedwrlock" : "pthread_rwlock_timedrdlock") :
				 (write ? "pthread_rwlock_wrlock" : "pthread_rwlock_rdlock");
	while (r->writer || (write && r->readers)) {
		if (try)
			return EBUSY;
		if (!wait_once(l, desc, owner_task(r->writer), end, site))
			return ETIMEDOUT;
	}
	if (write)
		r->writer = t->id + 1;
	else
		r->readers++;
	mmf__lock_acquired(l, &rwlock_cls, "pthread_rwlock", site, try);
	return 0;
}

int WRAP(pthread_rwlock_init)(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_init)(l, a);
	memset(l, 0, sizeof(*l));
	return 0;
}

int WRAP(pthread_rwlock_destroy)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_destroy)(l);
	struct xrw *r = (struct xrw *)l;
	return r->writer || r->readers ? EBUSY : 0;
}

int WRAP(pthread_rwlock_rdlock)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_rdlock)(l);
	return rw_acquire(l, false, false, NULL, HERE("pthread_rwlock_rdlock"));
}

int WRAP(pthread_rwlock_wrlock)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_wrlock)(l);
	return rw_acquire(l, true, false, NULL, HERE("pthread_rwlock_wrlock"));
}

int WRAP(pthread_rwlock_tryrdlock)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_tryrdlock)(l);
	return rw_acquire(l, false, true, NULL, HERE("pthread_rwlock_tryrdlock"));
}

int WRAP(pthread_rwlock_trywrlock)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_trywrlock)(l);
	return rw_acquire(l, true, true, NULL, HERE("pthread_rwlock_trywrlock"));
}

int WRAP(pthread_rwlock_timedrdlock)(pthread_rwlock_t *l, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_timedrdlock)(l, a);
	return rw_acquire(l, false, false, a, HERE("pthread_rwlock_timedrdlock"));
}

int WRAP(pthread_rwlock_timedwrlock)(pthread_rwlock_t *l, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_timedwrlock)(l, a);
	return rw_acquire(l, true, false, a, HERE("pthread_rwlock_timedwrlock"));
}

int WRAP(pthread_rwlock_clockrdlock)(pthread_rwlock_t *l, clockid_t clk, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_clockrdlock)(l, clk, a);
	const struct mmf_site *site = HERE("pthread_rwlock_clockrdlock");
	if (bad_clock(clk))
		return EINVAL;
	struct timespec rt;
	return rw_acquire(l, false, false, on_realtime(clk, a, &rt), site);
}

int WRAP(pthread_rwlock_clockwrlock)(pthread_rwlock_t *l, clockid_t clk, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_clockwrlock)(l, clk, a);
	const struct mmf_site *site = HERE("pthread_rwlock_clockwrlock");
	if (bad_clock(clk))
		return EINVAL;
	struct timespec rt;
	return rw_acquire(l, true, false, on_realtime(clk, a, &rt), site);
}

int WRAP(pthread_rwlock_unlock)(pthread_rwlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_rwlock_unlock)(l);
	const struct mmf_site *site = HERE("pthread_rwlock_unlock");
	struct xrw *r = (struct xrw *)l;
	struct mmf_task *t = mmf_current();
	if (r->writer) {
		if (r->writer != t->id + 1)
			return EPERM;
		r->writer = 0;
	} else if (r->readers) {
		r->readers--;
	} else {
		return EPERM;
	}
	mmf__lock_released(l, site);
	mmf_obj_wake(l);
	mmf_point(MMF_PT_UNLOCK, l, site);
	return 0;
}

/* ---- spin locks ------------------------------------------------------------ */
int WRAP(pthread_spin_init)(pthread_spinlock_t *l, int pshared)
{
	if (!mmf_exec_active())
		return REAL(pthread_spin_init)(l, pshared);
	*l = 0;
	return 0;
}

int WRAP(pthread_spin_destroy)(pthread_spinlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_spin_destroy)(l);
	return 0;
}

static int spin_acquire(pthread_spinlock_t *l, bool try, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	mmf_point(MMF_PT_LOCK, (const void *)l, site);
	if (try && *l)
		return EBUSY;
	/* spinning is waiting: the spinner runs again once the lock is free */
	while (*l)
		mmf_obj_wait((const void *)l, MMF_WAIT_SPIN, "pthread_spin_lock", owner_task(*l),
			     site);
	*l = t->id + 1;
	mmf__lock_acquired((const void *)l, &spin_cls, "pthread_spin", site, try);
	return 0;
}

int WRAP(pthread_spin_lock)(pthread_spinlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_spin_lock)(l);
	return spin_acquire(l, false, HERE("pthread_spin_lock"));
}

int WRAP(pthread_spin_trylock)(pthread_spinlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_spin_trylock)(l);
	return spin_acquire(l, true, HERE("pthread_spin_trylock"));
}

int WRAP(pthread_spin_unlock)(pthread_spinlock_t *l)
{
	if (!mmf_exec_active())
		return REAL(pthread_spin_unlock)(l);
	const struct mmf_site *site = HERE("pthread_spin_unlock");
	struct mmf_task *t = mmf_current();
	int owner = *l;
	*l = 0;
	if (owner == t->id + 1)
		mmf__lock_released((const void *)l, site);
	mmf_obj_wake((const void *)l);
	mmf_point(MMF_PT_UNLOCK, (const void *)l, site);
	return 0;
}

/* ---- condition variables -----------------------------------------------------
 * Waiters and wake tokens: a signal gives one token if someone waits, a
 * broadcast one per waiter; a waiter leaves with a token. */
struct xcond {
	unsigned waiters, tokens;
};
_Static_assert(sizeof(struct xcond) <= sizeof(pthread_cond_t), "cond overlay");

static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime,
		     const struct mmf_site *site)
{
	struct xcond *x = (struct xcond *)c;
	struct mmf_task *t = mmf_current();
	if (m->__data.__owner != t->id + 1)
		return EPERM;
	mmf_point(MMF_PT_WAIT, c, site);
	/* unlock and start waiting with no point in between: atomic, as
	 * POSIX wants */
	int count = m->__data.__count;
	m->__data.__owner = 0;
	m->__data.__count = 0;
	mmf__lock_released(m, site);
	mmf_obj_wake(m);
	x->waiters++;
	int rc = 0;
	uint64_t end = deadline(abstime);
	while (!x->tokens) {
		if (!wait_once(c, abstime ? "pthread_cond_timedwait" : "pthread_cond_wait", NULL, end,
			       site)) {
			rc = ETIMEDOUT;
			break;
		}
	}
	if (!rc)
		x->tokens--;
	x->waiters--;
	int e = mutex_acquire(m, false, NULL, site);
	if (e)
		return e;
	m->__data.__count = count;
	return rc;
}

int WRAP(pthread_cond_init)(pthread_cond_t *c, const pthread_condattr_t *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_init)(c, a);
	memset(c, 0, sizeof(*c));
	return 0;
}

int WRAP(pthread_cond_destroy)(pthread_cond_t *c)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_destroy)(c);
	return ((struct xcond *)c)->waiters ? EBUSY : 0;
}

int WRAP(pthread_cond_wait)(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_wait)(c, m);
	return cond_wait(c, m, NULL, HERE("pthread_cond_wait"));
}

int WRAP(pthread_cond_timedwait)(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_timedwait)(c, m, a);
	if (a->tv_nsec < 0 || a->tv_nsec >= 1000000000l)
		return EINVAL;
	return cond_wait(c, m, a, HERE("pthread_cond_timedwait"));
}

int WRAP(pthread_cond_clockwait)(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
				 const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_clockwait)(c, m, clk, a);
	const struct mmf_site *site = HERE("pthread_cond_clockwait");
	if (bad_clock(clk) || a->tv_nsec < 0 || a->tv_nsec >= 1000000000l)
		return EINVAL;
	struct timespec rt;
	return cond_wait(c, m, on_realtime(clk, a, &rt), site);
}

int WRAP(pthread_cond_signal)(pthread_cond_t *c)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_signal)(c);
	const struct mmf_site *site = HERE("pthread_cond_signal");
	mmf_point(MMF_PT_WAIT, c, site);
	struct xcond *x = (struct xcond *)c;
	if (x->waiters > x->tokens) {
		x->tokens++;
		mmf_obj_wake(c);
	}
	return 0;
}

int WRAP(pthread_cond_broadcast)(pthread_cond_t *c)
{
	if (!mmf_exec_active())
		return REAL(pthread_cond_broadcast)(c);
	const struct mmf_site *site = HERE("pthread_cond_broadcast");
	mmf_point(MMF_PT_WAIT, c, site);
	struct xcond *x = (struct xcond *)c;
	if (x->waiters > x->tokens) {
		x->tokens = x->waiters;
		mmf_obj_wake(c);
	}
	return 0;
}

/* ---- barriers -------------------------------------------------------------- */
struct xbar {
	unsigned count, arrived, gen;
};
_Static_assert(sizeof(struct xbar) <= sizeof(pthread_barrier_t), "barrier overlay");

int WRAP(pthread_barrier_init)(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned n)
{
	if (!mmf_exec_active())
		return REAL(pthread_barrier_init)(b, a, n);
	if (!n)
		return EINVAL;
	memset(b, 0, sizeof(*b));
	((struct xbar *)b)->count = n;
	return 0;
}

int WRAP(pthread_barrier_destroy)(pthread_barrier_t *b)
{
	if (!mmf_exec_active())
		return REAL(pthread_barrier_destroy)(b);
	return ((struct xbar *)b)->arrived ? EBUSY : 0;
}

int WRAP(pthread_barrier_wait)(pthread_barrier_t *b)
{
	if (!mmf_exec_active())
		return REAL(pthread_barrier_wait)(b);
	const struct mmf_site *site = HERE("pthread_barrier_wait");
	struct xbar *x = (struct xbar *)b;
	mmf_point(MMF_PT_WAIT, b, site);
	if (++x->arrived == x->count) {
		x->arrived = 0;
		x->gen++;
		mmf_obj_wake(b);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	unsigned gen = x->gen;
	while (x->gen == gen)
		mmf_obj_wait(b, MMF_WAIT_SLEEP, "pthread_barrier_wait", NULL, site);
	return 0;
}

/* ---- semaphores -------------------------------------------------------------- */
struct xsem {
	unsigned value;
};
_Static_assert(sizeof(struct xsem) <= sizeof(sem_t), "sem overlay");

int WRAP(sem_init)(sem_t *s, int pshared, unsigned v)
{
	if (!mmf_exec_active())
		return REAL(sem_init)(s, pshared, v);
	memset(s, 0, sizeof(*s));
	((struct xsem *)s)->value = v;
	return 0;
}

int WRAP(sem_destroy)(sem_t *s)
{
	if (!mmf_exec_active())
		return REAL(sem_destroy)(s);
	return 0;
}

static int sem_take(sem_t *s, bool try, const struct timespec *abstime, const struct mmf_site *site)
{
	struct xsem *x = (struct xsem *)s;
	mmf_point(MMF_PT_WAIT, s, site);
	uint64_t end = deadline(abstime);
	while (!x->value) {
		if (try) {
			errno = EAGAIN;
			return -1;
		}
		if (!wait_once(s, abstime ? "sem_timedwait" : "sem_wait", NULL, end, site)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	x->value--;
	return 0;
}

int WRAP(sem_wait)(sem_t *s)
{
	if (!mmf_exec_active())
		return REAL(sem_wait)(s);
	return sem_take(s, false, NULL, HERE("sem_wait"));
}

int WRAP(sem_trywait)(sem_t *s)
{
	if (!mmf_exec_active())
		return REAL(sem_trywait)(s);
	return sem_take(s, true, NULL, HERE("sem_trywait"));
}

int WRAP(sem_timedwait)(sem_t *s, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(sem_timedwait)(s, a);
	if (a->tv_nsec < 0 || a->tv_nsec >= 1000000000l) {
		errno = EINVAL;
		return -1;
	}
	return sem_take(s, false, a, HERE("sem_timedwait"));
}

int WRAP(sem_clockwait)(sem_t *s, clockid_t clk, const struct timespec *a)
{
	if (!mmf_exec_active())
		return REAL(sem_clockwait)(s, clk, a);
	const struct mmf_site *site = HERE("sem_clockwait");
	if (bad_clock(clk) || a->tv_nsec < 0 || a->tv_nsec >= 1000000000l) {
		errno = EINVAL;
		return -1;
	}
	struct timespec rt;
	return sem_take(s, false, on_realtime(clk, a, &rt), site);
}

int WRAP(sem_post)(sem_t *s)
{
	if (!mmf_exec_active())
		return REAL(sem_post)(s);
	const struct mmf_site *site = HERE("sem_post");
	mmf_point(MMF_PT_WAIT, s, site);
	((struct xsem *)s)->value++;
	mmf_obj_wake(s);
	return 0;
}

int WRAP(sem_getvalue)(sem_t *s, int *v)
{
	if (!mmf_exec_active())
		return REAL(sem_getvalue)(s, v);
	mmf_point(MMF_PT_ATOMIC, s, HERE("sem_getvalue"));
	*v = (int)((struct xsem *)s)->value;
	return 0;
}

/* ---- once and keys --------------------------------------------------------------- */
int WRAP(pthread_once)(pthread_once_t *o, void (*fn)(void))
{
	if (!mmf_exec_active())
		return REAL(pthread_once)(o, fn);
	const struct mmf_site *site = HERE("pthread_once");
	mmf_point(MMF_PT_ATOMIC, o, site);
	if (*o == 2)
		return 0;
	if (*o == 1) {
		while (*o != 2)
			mmf_obj_wait(o, MMF_WAIT_SLEEP, "pthread_once", NULL, site);
		return 0;
	}
	*o = 1;
	fn();
	*o = 2;
	mmf_obj_wake(o);
	return 0;
}

int WRAP(pthread_key_create)(pthread_key_t *k, void (*dtor)(void *))
{
	if (!mmf_exec_active())
		return REAL(pthread_key_create)(k, dtor);
	mmf_point(MMF_PT_ATOMIC, keys, HERE("pthread_key_create"));
	for (unsigned i = 0; i < MAX_KEYS; i++) {
		if (!keys[i].used) {
			keys[i].used = true;
			keys[i].dtor = dtor;
			for (size_t j = 0; j < nthr; j++)
				thr[j]->keys[i] = NULL;
			*k = KEY_BASE + i;
			return 0;
		}
	}
	return EAGAIN;
}

int WRAP(pthread_key_delete)(pthread_key_t k)
{
	if (!mmf_exec_active() || k < KEY_BASE)
		return REAL(pthread_key_delete)(k);
	k -= KEY_BASE;
	if (k >= MAX_KEYS || !keys[k].used)
		return EINVAL;
	keys[k].used = false;
	return 0;
}

void *WRAP(pthread_getspecific)(pthread_key_t k)
{
	if (!mmf_exec_active() || k < KEY_BASE)
		return REAL(pthread_getspecific)(k);
	k -= KEY_BASE;
	if (k >= MAX_KEYS || !keys[k].used)
		return NULL;
	return me()->keys[k];
}

int WRAP(pthread_setspecific)(pthread_key_t k, const void *v)
{
	if (!mmf_exec_active() || k < KEY_BASE)
		return REAL(pthread_setspecific)(k, v);
	k -= KEY_BASE;
	if (k >= MAX_KEYS || !keys[k].used)
		return EINVAL;
	me()->keys[k] = (void *)v;
	return 0;
}

/* ---- raw futexes ------------------------------------------------------------
 * A program's own futex calls through syscall() (its own locks and events,
 * liburcu built with the wrapper): FUTEX_WAIT and FUTEX_WAKE, their bitset
 * forms, and FUTEX_REQUEUE/CMP_REQUEUE run on the scheduler.  Each call is
 * a point.  Waiters queue in arrival order and a wake takes the oldest that
 * match, so a wake of one returns exactly one waiter to the program and a
 * lost wake-up stays lost.
 * Timeouts run on the virtual clock.  Other operations (priority
 * inheritance, WAKE_OP, the futex2 calls) fail with ENOSYS, as on a kernel
 * without them; every other system call passes through. */
struct fwaiter {
	uint32_t *addr;
	uint32_t bitset;
	bool woken;
	struct fwaiter *next;
};
static struct fwaiter *fw_head;    /* waiters in arrival order; each on its own stack */

static long futex_wait_op(uint32_t *addr, uint32_t val, uint32_t bitset, uint64_t end,
			  const struct mmf_site *site)
{
	if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val) {
		errno = EAGAIN;
		return -1;
	}
	struct fwaiter w = {.addr = addr, .bitset = bitset}, **p = &fw_head;
	while (*p)
		p = &(*p)->next;
	*p = &w;
	while (!w.woken) {
		/* on the word, so reports name it; a requeue moves w.addr */
		if (!wait_once(w.addr, "futex_wait", NULL, end, site)) {
			for (p = &fw_head; *p != &w; p = &(*p)->next)
				;
			*p = w.next;
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* Wake up to n waiters on addr whose bitset meets 'bitset'; move up to
 * nmove of the rest to 'to' (requeue).  Returns the woken and the moved.
 * No point here: the caller took the call's one point before its checks,
 * so a check and the wake are one step, as in the kernel. */
static void futex_wake_op(uint32_t *addr, long n, uint32_t bitset, uint32_t *to, long nmove,
			  long *woken, long *moved)
{
	*woken = *moved = 0;
	for (struct fwaiter **p = &fw_head; *p;) {
		struct fwaiter *w = *p;
		if (w->addr != addr || !(w->bitset & bitset)) {
			p = &w->next;
			continue;
		}
		if (*woken < n) {
			*p = w->next;
			w->woken = true;
			++*woken;
			continue;
		}
		if (to && *moved < nmove) {
			w->addr = to;
			++*moved;
		}
		p = &w->next;
	}
	/* Everyone asleep on addr wakes: the chosen return, the others find
	 * themselves not chosen and sleep again (the moved ones on 'to'). */
	if (*woken || *moved)
		mmf_obj_wake(addr);
}

static bool bad_timespec(const struct timespec *ts)
{
	return ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000l);
}

static long futex_call(uint32_t *addr, int op, uint32_t val, const struct timespec *ts,
		       uint32_t *addr2, uint32_t val3, const struct mmf_site *site)
{
	long woken, moved;
	/* The call's one point, before any look at the word: what it checks
	 * and what it does are one step. */
	mmf_point(MMF_PT_WAIT, addr, site);
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:        /* relative timeout on CLOCK_MONOTONIC */
		if (bad_timespec(ts))
			break;
		return futex_wait_op(addr, val, FUTEX_BITSET_MATCH_ANY,
				     ts ? mmf_jiffies() + ns_to_j((int64_t)ts->tv_sec * 1000000000ll +
								 ts->tv_nsec)
					: NO_DEADLINE,
				     site);
	case FUTEX_WAIT_BITSET: /* absolute timeout */
		if (bad_timespec(ts) || !val3)
			break;
		return futex_wait_op(addr, val, val3,
				     ts ? mmf_jiffies() + until(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
											: CLOCK_MONOTONIC,
								ts)
					: NO_DEADLINE,
				     site);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if ((op & FUTEX_CMD_MASK) == FUTEX_WAKE_BITSET && !val3)
			break;
		futex_wake_op(addr, (int)val, (op & FUTEX_CMD_MASK) == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3,
			      NULL, 0, &woken, &moved);
		return woken;
	case FUTEX_CMP_REQUEUE:
		if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val3) {
			errno = EAGAIN;
			return -1;
		}
		/* fall through */
	case FUTEX_REQUEUE:     /* the timeout argument carries how many to move */
		futex_wake_op(addr, (int)val, FUTEX_BITSET_MATCH_ANY, addr2, (long)(uintptr_t)ts, &woken,
			      &moved);
		return (op & FUTEX_CMD_MASK) == FUTEX_REQUEUE ? woken : woken + moved;
	default:
		errno = ENOSYS;
		return -1;
	}
	errno = EINVAL;
	return -1;
}

long WRAP(syscall)(long nr, ...)
{
	va_list ap;
	long a[6];
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr != SYS_futex || !mmf_exec_active() || !mmf_current())
		return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	int cmd = (int)a[1] & FUTEX_CMD_MASK;
	const struct mmf_site *site = HERE(cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET ? "futex_wait"
										      : "futex_wake");
	return futex_call((uint32_t *)a[0], (int)a[1], (uint32_t)a[2], (const struct timespec *)a[3],
			  (uint32_t *)a[4], (uint32_t)a[5], site);
}

/* ---- C11 threads ------------------------------------------------------------
 * <threads.h> is pthreads underneath in glibc, but its calls into them are
 * internal, so the wrapper wraps the C11 names too and maps each onto the
 * pthread face above: the same points, waits and reports.  Outside an
 * execution the pthread wrappers pass through to libc, so these behave as
 * glibc's own C11 calls, which are the same mapping.  The C11 types have
 * the pthread types' sizes (glibc defines them so). */
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t overlay");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t overlay");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag overlay");
_Static_assert(sizeof(tss_t) == sizeof(pthread_key_t), "tss_t overlay");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t overlay");

void *REAL(tss_get)(tss_t);

/* pthread error numbers to C11 results, as glibc maps them */
static int c11(int e)
{
	switch (e) {
	case 0: return thrd_success;
	case ENOMEM: return thrd_nomem;
	case ETIMEDOUT: return thrd_timedout;
	case EBUSY: return thrd_busy;
	default: return thrd_error;
	}
}

/* Run a pthread-face call for the C11 call that maps onto it, with the C11
 * call's site. */
#define VIA(call) ({ outer_pc = __builtin_return_address(0); __typeof__(call) r_ = (call); outer_pc = NULL; r_; })
#define VIA_VOID(call) do { outer_pc = __builtin_return_address(0); (call); outer_pc = NULL; } while (0)

struct c11_start {
	thrd_start_t fn;
	void *arg;
};

static void *c11_thread(void *p)
{
	struct c11_start s = *(struct c11_start *)p;
	free(p);
	return (void *)(intptr_t)s.fn(s.arg);
}

int WRAP(thrd_create)(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct c11_start *s = malloc(sizeof(*s));
	if (!s)
		return thrd_nomem;
	*s = (struct c11_start){fn, arg};
	int e = VIA(WRAP(pthread_create)((pthread_t *)thr, NULL, c11_thread, s));
	if (e)
		free(s);
	return e == EAGAIN ? thrd_nomem : c11(e);
}

int WRAP(thrd_join)(thrd_t thr, int *res)
{
	void *r;
	int e = VIA(WRAP(pthread_join)((pthread_t)thr, &r));
	if (!e && res)
		*res = (int)(intptr_t)r;
	return c11(e);
}

_Noreturn void WRAP(thrd_exit)(int res)
{
	VIA_VOID(WRAP(pthread_exit)((void *)(intptr_t)res));
}

int WRAP(thrd_detach)(thrd_t thr)
{
	return c11(VIA(WRAP(pthread_detach)((pthread_t)thr)));
}

void WRAP(thrd_yield)(void)
{
	VIA_VOID(WRAP(sched_yield)());
}

int WRAP(thrd_sleep)(const struct timespec *d, struct timespec *rem)
{
	/* as C11 and glibc say: -1 interrupted, another negative on error */
	return !VIA(WRAP(nanosleep)(d, rem)) ? 0 : errno == EINTR ? -1 : -2;
}

int WRAP(mtx_init)(mtx_t *m, int type)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	int e = VIA(WRAP(pthread_mutex_init)((pthread_mutex_t *)m, &a));
	pthread_mutexattr_destroy(&a);
	return c11(e);
}

int WRAP(mtx_lock)(mtx_t *m)
{
	return c11(VIA(WRAP(pthread_mutex_lock)((pthread_mutex_t *)m)));
}

int WRAP(mtx_timedlock)(mtx_t *restrict m, const struct timespec *restrict ts)
{
	return c11(VIA(WRAP(pthread_mutex_timedlock)((pthread_mutex_t *)m, ts)));
}

int WRAP(mtx_trylock)(mtx_t *m)
{
	return c11(VIA(WRAP(pthread_mutex_trylock)((pthread_mutex_t *)m)));
}

int WRAP(mtx_unlock)(mtx_t *m)
{
	return c11(VIA(WRAP(pthread_mutex_unlock)((pthread_mutex_t *)m)));
}

void WRAP(mtx_destroy)(mtx_t *m)
{
	VIA_VOID(WRAP(pthread_mutex_destroy)((pthread_mutex_t *)m));
}

int WRAP(cnd_init)(cnd_t *c)
{
	return c11(VIA(WRAP(pthread_cond_init)((pthread_cond_t *)c, NULL)));
}

int WRAP(cnd_signal)(cnd_t *c)
{
	return c11(VIA(WRAP(pthread_cond_signal)((pthread_cond_t *)c)));
}

int WRAP(cnd_broadcast)(cnd_t *c)
{
	return c11(VIA(WRAP(pthread_cond_broadcast)((pthread_cond_t *)c)));
}

int WRAP(cnd_wait)(cnd_t *c, mtx_t *m)
{
	return c11(VIA(WRAP(pthread_cond_wait)((pthread_cond_t *)c, (pthread_mutex_t *)m)));
}

int WRAP(cnd_timedwait)(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
	return c11(VIA(WRAP(pthread_cond_timedwait)((pthread_cond_t *)c, (pthread_mutex_t *)m, ts)));
}

void WRAP(cnd_destroy)(cnd_t *c)
{
	VIA_VOID(WRAP(pthread_cond_destroy)((pthread_cond_t *)c));
}

void WRAP(call_once)(once_flag *f, void (*fn)(void))
{
	VIA_VOID(WRAP(pthread_once)((pthread_once_t *)f, fn));
}

int WRAP(tss_create)(tss_t *k, tss_dtor_t dtor)
{
	return c11(VIA(WRAP(pthread_key_create)((pthread_key_t *)k, dtor)));
}

void WRAP(tss_delete)(tss_t k)
{
	VIA_VOID(WRAP(pthread_key_delete)((pthread_key_t)k));
}

void *WRAP(tss_get)(tss_t k)
{
	return VIA(WRAP(pthread_getspecific)((pthread_key_t)k));
}

int WRAP(tss_set)(tss_t k, void *v)
{
	return c11(VIA(WRAP(pthread_setspecific)((pthread_key_t)k, v)));
}
