/* scheduler.h - the controlled scheduler: tasks as fibers, one scheduling-point
 * API, failure detection (deadlock, hang, lock order, sleeping in atomic
 * context) and the hook to the single decision source.
 *
 * Model of execution.  A run has up to MMF_MAX_TASKS tasks.  Exactly one
 * runs at a time.  A task runs until it reaches a scheduling point
 * (mmf_point), blocks (mmf_obj_wait), or exits; there the scheduler asks
 * the decision source which task runs next.  Nothing else switches, so the
 * sequence of decisions is the whole schedule and replaying it reproduces
 * the run.  The same primitives also run on real threads (MMF_MODE_THREADS),
 * the uncontrolled baseline that classic stress testing represents.
 *
 * "Current" is implicit, as in the kernel: mmf_current() is the running task
 * (NULL in the host context that set the run up).  All other run state lives
 * in struct mmf_sched, reached through the task.
 */
#ifndef MMF_SCHED_H
#define MMF_SCHED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizer.h"
#include "sched_config.h"
#include "fiber.h"

/* ---- source locations ------------------------------------------------- */

struct mmf_site {
	const char *file;
	int line;
	const char *func;
	const char *what;       /* the operation: "spin_lock", "atomic_inc" ... */
};

/* A static site record for the calling line; one per expansion. */
#define MMF_SITE(what_)                                                        \
	({                                                                     \
		static const struct mmf_site mmf_site_ = {__FILE__, __LINE__,  \
							  __func__, what_};    \
		&mmf_site_;                                                    \
	})

const char *mmf_site_file(const struct mmf_site *site); /* basename */

/* ---- scheduling points ------------------------------------------------ */

enum mmf_point_kind {
	MMF_PT_YIELD,       /* explicit cond_resched()-style point */
	MMF_PT_LOCK,        /* before acquiring any lock */
	MMF_PT_UNLOCK,      /* after releasing a lock */
	MMF_PT_ATOMIC,      /* before an atomic_t/refcount operation */
	MMF_PT_PAGE_LOCK,   /* bit locks: lock_page and friends */
	MMF_PT_ALLOC,       /* an allocation that may sleep */
	MMF_PT_RCU,         /* rcu_read_lock/unlock, synchronize, call_rcu */
	MMF_PT_IO,          /* I/O submission and completion */
	MMF_PT_WAIT,        /* about to sleep on a wait queue/completion */
	MMF_PT_TIME,        /* timers, schedule_timeout */
	MMF_PT_ACCESS,      /* a plain shared access the model marks as racy */
	MMF_PT_PLAIN,       /* a plain load or store of instrumented code to the
			     * checked heap (opt-in: mmf_sched_set_access_points) */
	MMF_PT_NR
};
extern const char *const mmf_point_kind_name[MMF_PT_NR];

/* The one scheduling-point API.  Every sync primitive calls it before it
 * acts; the decision source may switch to another task here. */
void mmf_point(enum mmf_point_kind kind, const void *obj, const struct mmf_site *site);
#define sched_point(kind, obj) mmf_point((kind), (obj), MMF_SITE("sched_point"))

/* ---- failures --------------------------------------------------------- */

enum mmf_fail_class {
	MMF_OK = 0,
	MMF_FAIL_DEADLOCK,      /* every live task blocked */
	MMF_FAIL_HANG,          /* step budget exceeded: livelock or hang */
	MMF_FAIL_LOCK_ORDER,    /* AB-BA inversion or inconsistent irq usage */
	MMF_FAIL_ATOMIC_SLEEP,  /* sleeping in irq, under spinlock, in RCU */
	MMF_FAIL_LOCKING,       /* unlock of unheld lock, exit holding locks */
	MMF_FAIL_BUG,           /* BUG_ON/VM_BUG_ON: a precondition failed */
	MMF_FAIL_WARN,          /* WARN_ON: treated as a failure */
	MMF_FAIL_REFCOUNT,      /* refcount underflow, inc from zero */
	MMF_FAIL_USE_AFTER_FREE,/* poisoned object touched (non-ASan builds) */
	MMF_FAIL_DOUBLE_FREE,
	MMF_FAIL_BAD_PAGE,      /* bad page state at free */
	MMF_FAIL_LEAK,          /* teardown audit */
	MMF_FAIL_DATA,          /* data-integrity shadow mismatch */
	MMF_FAIL_INVARIANT,     /* whole-state invariant broken */
	MMF_FAIL_CRASH,         /* a native signal (SIGSEGV...) or a sanitizer
				 * report ended the process mid-execution */
	MMF_FAIL_TIMEOUT,       /* wall-clock limit of one execution exceeded
				 * (a loop that reaches no scheduling point) */
	MMF_FAIL_OUT_OF_BOUNDS, /* checked heap: a redzone, or arena memory no
				 * object was allocated in (ASan: buffer overflow) */
	MMF_FAIL_DATA_RACE,     /* TSan: unsynchronized accesses by two tasks */
	MMF_FAIL_EXIT,          /* exec mode: the program exited with a non-zero
				 * status (only when asked for: exitfail=1) */
	MMF_FAIL_NR
};
const char *mmf_fail_name(enum mmf_fail_class c);
int mmf_fail_from_name(const char *name); /* -1 if unknown */

/* How a run ended. */
enum mmf_run_status {
	MMF_RUN_CLEAN,          /* every task exited, no report */
	MMF_RUN_FAILED,         /* a failure was reported: see report */
	MMF_RUN_DIVERGED,       /* replay found a different runnable set */
	MMF_RUN_NO_MORE_INPUT,  /* replay trace ended before the run did */
};

struct mmf_report {
	enum mmf_fail_class cls;
	int task;                       /* -1: host context */
	uint64_t step;                  /* scheduling point number */
	const struct mmf_site *site;    /* where the failing task was */
	const void *obj;
	char text[MMF_REPORT_LEN];
};

/* Report a failure.  In a task, the run stops at once (the task never
 * returns from this call); in the host context (setup, teardown audit) the
 * report is recorded and the call returns.  The first report of a run wins. */
void mmf_fail(enum mmf_fail_class cls, const void *obj, const struct mmf_site *site,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define MMF_FAIL(cls, obj, ...) mmf_fail((cls), (obj), MMF_SITE("fail"), __VA_ARGS__)

/* Kernel-style assertions.  Always on: they are the oracle. */
#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (__builtin_expect(!!(cond), 0))                             \
			mmf_fail(MMF_FAIL_BUG, NULL, MMF_SITE("BUG_ON"),       \
				 "kernel BUG: %s", #cond);                     \
	} while (0)
#define WARN_ON(cond)                                                          \
	({                                                                     \
		bool mmf_w_ = !!(cond);                                        \
		if (__builtin_expect(mmf_w_, 0))                               \
			mmf_fail(MMF_FAIL_WARN, NULL, MMF_SITE("WARN_ON"),     \
				 "WARNING: %s", #cond);                        \
		mmf_w_;                                                        \
	})

/* Internal error of mmfuzz itself (not of the model): abort loudly. */
_Noreturn void mmf_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- decision sources -------------------------------------------------- */

#define MMF_TICK 31  /* pseudo task id of "advance virtual time" */

/* One scheduling decision as the source sees it.  Candidates are task ids in
 * ascending order (MMF_TICK last); dflt is the index the non-preemptive
 * default would take; cur is the index of the running task if it could go
 * on, else -1 (so choosing anything but cur is a preemption). */
struct mmf_choice {
	int n;
	uint8_t ids[MMF_MAX_TASKS + 1];
	uint32_t set;           /* the same ids as a bit set */
	int dflt;
	int cur;
	uint64_t step;
	/* The task that ran up to this decision (-1: none) and how many
	 * decisions it had reached before this one: a position that stays put
	 * when other tasks' schedules change (the minimizer keys on it). */
	int prev;
	uint32_t prev_points;
	uint32_t prev_phase;            /* its phase (mmf_task_phase; for an
					 * interrupt, which one of the run's), and the */
	uint32_t prev_phase_points;     /* decisions it reached in that phase */
	/* What each candidate does next: the object of its point (NULL:
	 * none, or time) and the point's site (whose 'what' names the
	 * operation).  Sources that weigh conflicts between pending steps
	 * read them. */
	const void *obj[MMF_MAX_TASKS + 1];
	const struct mmf_site *site[MMF_MAX_TASKS + 1];
	/* The running task may go on and asked to let others run first
	 * (sched_yield, cond_resched: a point of kind MMF_PT_YIELD). */
	bool yield;
};

/* The canonical position of a pick (the minimizer keys non-default picks
 * on it): the running task and how many decisions it reached in its
 * current phase.  Stays put when other tasks' schedules change. */
uint64_t mmf_choice_key(const struct mmf_choice *c);

struct mmf_decider;
struct mmf_decider_ops {
	const char *name;
	/* Called at the start of each run. */
	void (*begin)(struct mmf_decider *d);
	/* Return the index (0..n-1) of the task to run. */
	int (*pick)(struct mmf_decider *d, const struct mmf_choice *c);
	/* Return a value in [0, bound). bound >= 1. */
	uint64_t (*value)(struct mmf_decider *d, uint64_t bound);
	/* Fault injection: return true to fail, about once in 'rate' calls. */
	bool (*fault)(struct mmf_decider *d, unsigned rate);
	/* Called after the run. */
	void (*end)(struct mmf_decider *d, enum mmf_run_status st);
	/* The size of the source's own struct (which begins with its
	 * struct mmf_decider): exec mode copies it into each execution's
	 * child.  0: the source cannot drive exec mode. */
	size_t size;
};
struct mmf_decider {
	const struct mmf_decider_ops *ops;
	enum mmf_run_status forced;    /* set by replay on divergence */
	char why[256];                 /* the divergence, one line */
	/* Set by the scheduler before each call: where the decision is taken
	 * (the running task's site, or the site drawing a value or fault) and
	 * in which task (255: the host).  Replay checks them against the
	 * recording, so a changed model is detected where it diverges. */
	const struct mmf_site *at;
	uint8_t at_task;
	const void *at_obj;            /* the object the running task acts on next */
};

/* Draw from the current run's decision source (recorded in the trace).
 * In the host context and in thread mode these use the source too. */
uint64_t mmf_decide_value(uint64_t bound, const struct mmf_site *site);
bool mmf_decide_fault(unsigned rate, const struct mmf_site *site);

/* ---- the trace of decisions -------------------------------------------- */

enum mmf_dec_kind { MMF_DEC_PICK = 'p', MMF_DEC_VALUE = 'v', MMF_DEC_FAULT = 'f' };

struct mmf_decision {
	uint8_t kind;           /* enum mmf_dec_kind */
	uint8_t task;           /* task that was running (255: none) */
	uint8_t chosen;         /* pick: chosen task id; fault: 0/1 */
	uint8_t preempt;        /* pick: 1 if it preempted a runnable task */
	uint32_t set;           /* pick: runnable set */
	uint64_t value;         /* value: the value */
	uint64_t bound;         /* value: the bound; fault: the rate */
	const struct mmf_site *site; /* where the running task stood */
	/* pick, recorded runs only (not in trace files): the task the
	 * non-preemptive default would have chosen, and the pick's canonical
	 * position (mmf_choice_key) */
	uint8_t dflt;
	uint64_t key;
};

/* A growable array, or (fixed) a buffer of set capacity someone else owns
 * (a flight record in shared memory); pub, if set, mirrors n after every
 * push so another process can read how far the run got. */
struct mmf_trace {
	struct mmf_decision *d;
	size_t n, cap;
	bool fixed, truncated;
	size_t *pub;
};

/* The step log: one entry per scheduling point, block and exit, for the
 * interleaving table (kept only with opts.log). */
enum mmf_step_kind { MMF_STEP_POINT, MMF_STEP_BLOCK, MMF_STEP_EXIT };
struct mmf_step {
	uint64_t step;
	uint8_t task;
	uint8_t kind;               /* enum mmf_step_kind */
	const struct mmf_site *site;
	const char *desc;           /* block: what it waits on */
	uint32_t phase;             /* the task's phase (mmf_task_phase) */
};
struct mmf_steplog {
	struct mmf_step *e;
	size_t n, cap;
	bool fixed, truncated;          /* as struct mmf_trace */
	size_t *pub;
};
void mmf_trace_reset(struct mmf_trace *t);
void mmf_trace_free(struct mmf_trace *t);
void mmf_trace_push(struct mmf_trace *t, const struct mmf_decision *d);

/* ---- tasks and the run ------------------------------------------------- */

enum mmf_mode { MMF_MODE_FIBERS, MMF_MODE_THREADS };

enum mmf_task_state { MMF_T_UNUSED, MMF_T_RUNNABLE, MMF_T_BLOCKED, MMF_T_EXITED };

#define MMF_TASK_IRQ    0x1u    /* interrupt context: may not sleep */
#define MMF_TASK_DAEMON 0x2u    /* kernel thread: stopped when workers end */
#define MMF_TASK_REUSABLE 0x4u  /* exited, and its slot may go to a new task
				 * (exec mode: a joined or detached thread) */

enum mmf_wait_kind { MMF_WAIT_SPIN, MMF_WAIT_SLEEP };

struct mmf_held {
	const void *lock;               /* bit locks: the word */
	int bit;                        /* bit locks: bit number + 1; 0 for other locks */
	const struct mmf_site *cls;     /* lock class: its init site */
	const struct mmf_site *site;    /* where it was taken */
	const char *name;
	uint64_t step;                  /* the run's step count when it was taken */
};

/* A locked bit lock as the report side table remembers it (sync.c). */
struct mmf_bitlock_rec {
	const void *word;               /* NULL: a free entry */
	int bit;
	const char *name;               /* its class's name */
	int task;                       /* who locked it */
	const struct mmf_site *site;    /* where */
	uint64_t step;
	const struct mmf_site *handoff; /* where that task handed it off, or NULL */
	uint64_t handoff_step;
};

struct mmf_sched;
struct mmf_task {
	int id;
	unsigned flags;
	enum mmf_task_state state;
	char name[24];
	void (*fn)(void *);
	void *arg;
	struct mmf_sched *s;

	/* execution context, as the kernel's preempt/irq/rcu counts */
	int irqs_off;           /* local_irq_disable depth */
	int preempt_off;        /* preempt_disable depth: pins its CPU */
	int cpu;                /* virtual CPU (sched_config.h: MMF_NR_CPUS) */
	int atomic;             /* spinlocks held: sleeping is a bug */
	int rcu_nesting;
	uint64_t rcu_seq;       /* bumped on each outermost rcu_read_lock */
	const struct mmf_site *rcu_site;        /* the outermost rcu_read_lock, */
	uint64_t rcu_step;                      /* and the step it was at */
	unsigned long model_flags;      /* the model's own (task_struct->flags) */
	uint32_t points;                /* decisions reached while it ran */
	uint32_t phase;                 /* set by the program (mmf_task_phase) */
	uint32_t incarnation;           /* interrupts: which of the run's interrupts
					 * this slot holds (slots are reused) */
	/* irq: completions coalesced into this interrupt (mmf_raise_irq when
	 * no slot is free), run after fn in order */
	struct { void (*fn)(void *); void *arg; } irq_more[MMF_IRQ_COALESCE];
	int irq_nmore, irq_done;
	uint32_t phase_points;          /* decisions reached in this phase */
	uint32_t streak;                /* decisions in a row it kept the CPU from
					 * other runnable tasks */
	uint32_t starved;               /* decisions in a row it could have run
					 * but for another task keeping its CPU busy */
	bool bound;                     /* mmf_run_on_cpu: stays on its CPU */
	struct mmf_task *interrupted;   /* irq task: whom it interrupts */
	struct mmf_task *irq_top;       /* task: irq running on top of it */
	bool started;
	bool should_stop;               /* daemon: kthread_should_stop() */
	bool kthread_idle;              /* daemon: waiting for work */

	/* why it is blocked */
	const void *wait_obj;
	enum mmf_wait_kind wait_kind;
	const struct mmf_site *wait_site;
	const char *wait_desc;
	const struct mmf_task *wait_holder;
	int wait_bit;                   /* bit-lock and bit waits: bit number + 1 */
	uint64_t wake_at;               /* jiffies, 0: no timeout */
	bool timed_out;
	bool wq_armed;                  /* prepare_to_wait: no wake seen yet */
	void *prepared_wq;              /* the queue of prepare_to_wait */

	const struct mmf_site *site;    /* last scheduling point */
	const void *point_obj;          /* the object it acts on there (or NULL) */
	uint8_t point_kind;             /* and the point's kind (enum mmf_point_kind) */
	struct mmf_held held[MMF_MAX_HELD_LOCKS];
	int nheld;

	struct mmf_fiber *fiber;
	int tsan_token;                 /* address used for spawn/join edges */
	int tsan_ignore;                /* depth of MMF_SCHED_ENTER */
	void *thread;                   /* thread mode: pthread handle */
};

struct mmf_sched_opts {
	enum mmf_mode mode;
	uint64_t max_steps;             /* 0: MMF_DEFAULT_MAX_STEPS */
	bool record;                    /* keep the decision trace */
	bool log;                       /* keep the step log */
	bool no_lockdep;                /* turn the lock-order checker off */
	unsigned thread_yield_rate;     /* threads: sched_yield at 1/rate points */
	unsigned thread_timeout_ms;     /* threads: wall-clock hang limit */
	uint64_t thread_seed;           /* threads: seed of the value source (0: the clock) */
	/* Interleaving feedback for fuzzers: called at every switch between
	 * tasks with a 32-bit feature, a hash of (where the task that stops
	 * stands, where the task that goes on stands, preempted or blocked). */
	void (*feature)(void *ctx, uint32_t f);
	void *feature_ctx;
	/* Which features go to it (MMF_FB_*; 0: the switch feature only). */
	unsigned feedback_kinds;
};
#define MMF_FB_SWITCH 1u        /* task switches: (stopping site, resuming site, how) */
#define MMF_FB_RF 2u            /* reads-from pairs on model objects (feedback.h) */
#define MMF_FB_LOCK 4u          /* lock hand-over pairs */
#define MMF_FB_ORDER 8u         /* orderings of conflicting writes */
#define MMF_FB_ALL (MMF_FB_SWITCH | MMF_FB_RF | MMF_FB_LOCK | MMF_FB_ORDER)

struct timer_list;
struct rcu_head;
struct mmf_flight;

struct mmf_sched {
	struct mmf_sched_opts opts;
	struct mmf_decider *dec;
	struct mmf_task tasks[MMF_MAX_TASKS];
	int ntasks;
	int nspawned;                   /* non-interrupt tasks spawned: CPU placement */
	int ncpus;                      /* virtual CPUs (mmf_sched_set_cpus), 0: none */
	uint64_t steps;
	uint64_t host_values;           /* values drawn in host context (setup) */
	int nr_timed;                   /* tasks in a timed sleep (fibers) */
	uint64_t preemptions;
	uint64_t vtime;                 /* jiffies */

	/* The task on the CPU (-1: the host), for a watchdog in another
	 * thread that wants to say where a run that does not end is. */
	int running;

	struct mmf_report report;
	bool failed;
	enum mmf_run_status status;
	struct mmf_trace trace;
	struct mmf_steplog log;

	struct mmf_fiber host;
	struct mmf_fiber fibers[MMF_MAX_TASKS];

	/* timers pending, sorted by nothing: the list is tiny */
	struct timer_list *timers[MMF_MAX_TIMERS];
	int ntimers;

	/* RCU */
	struct mmf_task *rcu_daemon;
	struct rcu_head *rcu_cbs[MMF_MAX_RCU_CALLBACKS];
	int nrcu_cbs;
	uint64_t rcu_cb_queued, rcu_cb_done;
	char rcu_gp_obj, rcu_work_obj, rcu_done_obj; /* wait-object addresses */
	char irq_idle_obj;

	/* run-scoped checked heap (kmem.c) */
	struct mmf_kmem *kmem;
	/* who holds each tracked reference (reftrack.c) */
	struct mmf_reftrack *refs;
	/* per-object access history for the feedback kinds (feedback.c) */
	struct mmf_objfb *objfb;

	/* Who took each bit lock that is locked now, only for naming it in
	 * reports (a kernel bit lock has no owner and nothing here enforces
	 * one): the task and site that locked it, and, once that task handed
	 * it off (bit_lock_handoff), where.  Entries up to nbitlock are in use
	 * or free (word NULL). */
	struct mmf_bitlock_rec bitlock_owner[MMF_MAX_BITLOCK_OWNERS];
	int nbitlock;

	/* lock-order checker state */
	struct mmf_lockdep *lockdep;

	/* thread mode */
	struct mmf_threads *threads;

	int tsan_join;                  /* address used for join edges */
	uint32_t irqs_raised;           /* interrupts spawned in this run */

	void *prog;                     /* the running program's state */

	/* The flight record (flight.h): set when another process supervises
	 * this one; the trace and step log then live in it. */
	struct mmf_flight *flight;

	/* This run's plain loads and stores are points (MMF_PT_PLAIN, see
	 * mmf_sched_set_access_points); off after every reset. */
	bool access_points;
};

/* Set up a scheduler.  The decision source is borrowed. */
void mmf_sched_init(struct mmf_sched *s, const struct mmf_sched_opts *opts,
		    struct mmf_decider *dec);
void mmf_sched_destroy(struct mmf_sched *s);

/* Start a new run: forget all tasks, time, reports and the trace, and
 * begin the decision source's run (setup may draw from it). */
void mmf_sched_reset(struct mmf_sched *s);

/* Create a task; from the host before mmf_sched_run, or from a running task
 * (spawned tasks become runnable at once).  Returns the task, or NULL with a
 * MMF_FAIL_BUG report if the table is full. */
/* Host context, before the run's first task: run the tasks on n virtual
 * CPUs (sched_config.h, MMF_NR_CPUS at most).  0 (the default after a
 * reset): no CPU model, every task as if on a CPU of its own. */
void mmf_sched_set_cpus(struct mmf_sched *s, int n);
/* Host context, before the run's first task: every plain load and store
 * that instrumented code (core/, compiled for the checked heap's
 * kernel-address callbacks) makes to the checked heap's arena, in a task,
 * is a potential scheduling point of kind MMF_PT_PLAIN, so that a
 * read-modify-write without its lock can lose an update under some
 * schedule (sched/access.h says which accesses, and how they stay cheap).
 * Fibers only; off (the default after a reset) changes nothing at all.
 * Returns false, and leaves it off, in a build without the hook (ASan,
 * TSan, MMF_KASAN=OFF: mmf_access_points_built()). */
bool mmf_sched_set_access_points(struct mmf_sched *s, bool on);
bool mmf_access_points_built(void);
struct mmf_task *mmf_spawn(struct mmf_sched *s, const char *name, unsigned flags,
			   void (*fn)(void *), void *arg);

/* Run until every task exited or a failure.  Returns the status; the report
 * is in s->report. */
enum mmf_run_status mmf_sched_run(struct mmf_sched *s);

/* From a task: the program ends here (exit() in exec mode).  The run is
 * over: tasks still alive are abandoned, the status is as it stands. */
_Noreturn void mmf_end_run(void);

/* Thread-backed fibers: the calling OS thread leaves for good; it is no
 * task's and in no run from now on. */
void mmf_sched_forget_thread(void);

/* The running task, NULL in the host context. */
struct mmf_task *mmf_current(void);
/* Task context: the program says the task enters a new phase of its work
 * (for the workload: its i-th operation).  Schedule positions counted per
 * phase survive edits to the other phases (the minimizer relies on it). */
void mmf_task_phase(uint32_t phase);
struct mmf_sched *mmf_current_sched(void);

/* Human-readable report and failure class. */
void mmf_report_print(const struct mmf_sched *s, void *file /* FILE* */);

/* ---- the blocking layer the primitives are built on ---------------------
 * obj_lock/obj_unlock protect a primitive's state in thread mode (a futex
 * lock striped by address) and are no-ops with fibers.  obj_wait is called
 * with the obj lock held and returns with it held, after a wake on obj, a
 * timeout, or spuriously: callers re-check their condition in a loop.
 * 'holder' names who the waiter waits for, for deadlock reports. */
void mmf_obj_lock(const void *obj);
void mmf_obj_unlock(const void *obj);
void mmf_obj_wait(const void *obj, enum mmf_wait_kind kind, const char *desc,
		  const struct mmf_task *holder, const struct mmf_site *site);
void mmf_obj_wake(const void *obj);

/* might_sleep(): report sleeping in interrupt context, with a spinlock
 * held, with interrupts off, or inside an RCU read-side section. */
void mmf_might_sleep(const struct mmf_site *site);

/* Virtual time. */
uint64_t mmf_jiffies(void);
/* Sleep until woken on obj or until 'timeout' jiffies passed (the obj lock
 * held as for mmf_obj_wait).  Returns true on timeout. */
bool mmf_obj_wait_timeout(const void *obj, const char *desc, uint64_t timeout,
			  const struct mmf_site *site);

/* Internal to sched/: used by sync.c, lockdep.c, thread_mode.c */
void mmf__lock_acquired(const void *lock, const struct mmf_site *cls, const char *name,
			const struct mmf_site *site, bool trylock);
void mmf__lock_released(const void *lock, const struct mmf_site *site);
/* A held rwsem goes from write to read (downgrade_write): it stays held. */
void mmf__lock_downgraded(const void *lock, const struct mmf_site *site);
/* The same for bit locks, a lock being (word, bit); held_by_current says
 * whether the running task holds it. */
void mmf__bitlock_acquired(const unsigned long *word, int nr, const struct mmf_site *cls,
			   const char *name, const struct mmf_site *site, bool trylock);
void mmf__bitlock_released(const unsigned long *word, int nr, const struct mmf_site *site);
bool mmf__bitlock_held_by_current(const unsigned long *word, int nr);
void mmf__timer_fire_due(struct mmf_sched *s);
void mmf__timers_next(const struct mmf_sched *s, uint64_t *next);
void mmf__set_current(struct mmf_task *t);
void mmf__task_exited(struct mmf_task *t);
/* Record what t is about to wait for (checks might_sleep for sleeps). */
void mmf__begin_wait(struct mmf_task *t, const void *obj, enum mmf_wait_kind kind,
		     const char *desc, const struct mmf_task *holder,
		     const struct mmf_site *site, uint64_t wake_at);
/* Formatted append at buf+off for report builders; returns the new
 * offset, at most len (a full buffer takes nothing more). */
size_t mmf__append(char *buf, size_t len, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A pointer's hash for the scheduler's open-addressed tables (kmem,
 * reftrack, feedback). */
MMF_WRAPS static inline size_t mmf__hash_ptr(const void *p)
{
	uint64_t h = (uintptr_t)p;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

/* Append one line per live task: what it waits on, where, who holds it
 * (task, acquisition site and step), then what it holds and since where. */
size_t mmf__describe_tasks(const struct mmf_sched *s, char *buf, size_t len, size_t off);
void mmf__record_report(struct mmf_sched *s, enum mmf_fail_class cls, const void *obj,
			const struct mmf_site *site, const char *fmt, va_list ap);
bool mmf__time_pending(const struct mmf_sched *s, uint64_t *next);
/* The side-table record of a locked bit lock, or NULL (sync.c). */
const struct mmf_bitlock_rec *mmf__bitlock_rec(const struct mmf_sched *s, const void *word,
					       int bit);

#endif
