/* scheduler.c - the controlled scheduler: the run loop, scheduling decisions,
 * blocking and waking, interrupts, virtual time, and the failure reports
 * (deadlock, hang, sleeping in atomic context).
 *
 * Locking rule: none.  With fibers exactly one task runs, and everything
 * here runs on behalf of that task (or the host between runs).  Thread mode
 * lives in thread_mode.c and shares only the report and task table code.
 */
#define _GNU_SOURCE
#include "scheduler.h"
#include "access.h"
#include "feedback.h"
#include "flight.h"
#include "kmem.h"
#include "symbolize.h"
#include "lockdep.h"
#include "reftrack.h"
#include "sanitizer.h"
#include "thread_mode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local struct mmf_task *tl_cur;
static _Thread_local struct mmf_sched *tl_host;   /* sched of the host context */
/* access.h: set wherever tl_cur changes hands, for the checked heap's
 * callbacks, which read nothing else on their fast path. */
_Thread_local bool mmf__access_armed;

const char *const mmf_point_kind_name[MMF_PT_NR] = {
	[MMF_PT_YIELD] = "yield",   [MMF_PT_LOCK] = "lock",
	[MMF_PT_UNLOCK] = "unlock", [MMF_PT_ATOMIC] = "atomic",
	[MMF_PT_PAGE_LOCK] = "page-lock", [MMF_PT_ALLOC] = "alloc",
	[MMF_PT_RCU] = "rcu",       [MMF_PT_IO] = "io",
	[MMF_PT_WAIT] = "wait",     [MMF_PT_TIME] = "time",
	[MMF_PT_ACCESS] = "access", [MMF_PT_PLAIN] = "plain",
};

static const char *const fail_names[MMF_FAIL_NR] = {
	[MMF_OK] = "ok",
	[MMF_FAIL_DEADLOCK] = "deadlock",
	[MMF_FAIL_HANG] = "hang",
	[MMF_FAIL_LOCK_ORDER] = "lock-order",
	[MMF_FAIL_ATOMIC_SLEEP] = "sleep-in-atomic",
	[MMF_FAIL_LOCKING] = "bad-locking",
	[MMF_FAIL_BUG] = "bug",
	[MMF_FAIL_WARN] = "warning",
	[MMF_FAIL_REFCOUNT] = "refcount",
	[MMF_FAIL_USE_AFTER_FREE] = "use-after-free",
	[MMF_FAIL_DOUBLE_FREE] = "double-free",
	[MMF_FAIL_BAD_PAGE] = "bad-page",
	[MMF_FAIL_LEAK] = "leak",
	[MMF_FAIL_DATA] = "data-corruption",
	[MMF_FAIL_INVARIANT] = "invariant",
	[MMF_FAIL_CRASH] = "crash",
	[MMF_FAIL_TIMEOUT] = "timeout",
	[MMF_FAIL_OUT_OF_BOUNDS] = "out-of-bounds",
	[MMF_FAIL_DATA_RACE] = "data-race",
	[MMF_FAIL_EXIT] = "exit-status",
};

const char *mmf_fail_name(enum mmf_fail_class c)
{
	return (unsigned)c < MMF_FAIL_NR ? fail_names[c] : "?";
}

int mmf_fail_from_name(const char *name)
{
	for (int i = 0; i < MMF_FAIL_NR; i++)
		if (!strcmp(fail_names[i], name))
			return i;
	return -1;
}

const char *mmf_site_file(const struct mmf_site *site)
{
	if (!site || !site->file)
		return "?";
	const char *p = strrchr(site->file, '/');
	return p ? p + 1 : site->file;
}

_Noreturn void mmf_internal(const char *fmt, ...)
{
	va_list ap;
	/* A supervising process must not take this abort for a finding. */
	mmf_flight_note_internal();
	fputs("mmfuzz: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

struct mmf_task *mmf_current(void) { return tl_cur; }

void mmf_task_phase(uint32_t phase)
{
	if (tl_cur) {
		tl_cur->phase = phase;
		tl_cur->phase_points = 0;
	}
}

#if MMF_TSAN
static _Thread_local int tl_host_ignore;

static int *ignore_depth(struct mmf_task *t) { return t ? &t->tsan_ignore : &tl_host_ignore; }

void mmf__tsan_enter(void)
{
	if ((*ignore_depth(tl_cur))++ == 0)
		__tsan_ignore_thread_begin();
}

void mmf__tsan_leave(void)
{
	if (--(*ignore_depth(tl_cur)) == 0)
		__tsan_ignore_thread_end();
}
#define SUSPEND_IGNORE(t) do { if (*ignore_depth(t)) __tsan_ignore_thread_end(); } while (0)
#define RESUME_IGNORE(t) do { if (*ignore_depth(t)) __tsan_ignore_thread_begin(); } while (0)
#else
#define SUSPEND_IGNORE(t) ((void)0)
#define RESUME_IGNORE(t) ((void)0)
#endif

struct mmf_sched *mmf_current_sched(void)
{
	return tl_cur ? tl_cur->s : tl_host;
}

void mmf__set_current(struct mmf_task *t) { tl_cur = t; }

/* ---- trace buffer ------------------------------------------------------ */

void mmf_trace_reset(struct mmf_trace *t)
{
	t->n = 0;
	t->truncated = false;
	if (t->pub)
		__atomic_store_n(t->pub, 0, __ATOMIC_RELEASE);
}

void mmf_trace_free(struct mmf_trace *t)
{
	if (!t->fixed)
		free(t->d);
	memset(t, 0, sizeof(*t));
}

void mmf_trace_push(struct mmf_trace *t, const struct mmf_decision *d)
{
	if (t->n == t->cap) {
		if (t->fixed) {
			/* a flight record is full: keep what fits and say so */
			t->truncated = true;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct mmf_decision *nd = realloc(t->d, cap * sizeof(*nd));
		if (!nd)
			mmf_internal("out of memory growing the trace");
		t->d = nd;
		t->cap = cap;
	}
	/* The entry first, then the count: a process killed between the two
	 * leaves a record that ends at the last whole decision. */
	t->d[t->n] = *d;
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
	if (t->pub)
		__atomic_store_n(t->pub, t->n, __ATOMIC_RELEASE);
}

uint64_t mmf_choice_key(const struct mmf_choice *c)
{
	return ((uint64_t)(c->prev + 1) << 48) | ((uint64_t)(c->prev_phase & 0xffffu) << 32) |
	       (uint32_t)c->prev_phase_points;
}

/* ---- setup ------------------------------------------------------------- */

static void reset_state(struct mmf_sched *s);

void mmf_sched_init(struct mmf_sched *s, const struct mmf_sched_opts *opts,
		    struct mmf_decider *dec)
{
	memset(s, 0, sizeof(*s));
	if (opts)
		s->opts = *opts;
	if (!s->opts.max_steps)
		s->opts.max_steps = MMF_DEFAULT_MAX_STEPS;
	s->dec = dec;
	mmf_fiber_init_host(&s->host);
	s->lockdep = mmf_lockdep_new();
	tl_host = s;
	MMF_SCHED_ENTER();
	reset_state(s);
	MMF_SCHED_LEAVE();
}

void mmf_sched_destroy(struct mmf_sched *s)
{
	for (int i = 0; i < MMF_MAX_TASKS; i++)
		mmf_fiber_destroy(&s->fibers[i]);
	mmf_lockdep_free(s->lockdep);
	mmf_kmem_destroy(s);
	mmf_ref_destroy(s);
	mmf__fb_free(s);
	mmf_threads_free(s);
	mmf_trace_free(&s->trace);
	if (!s->log.fixed)
		free(s->log.e);
	memset(&s->log, 0, sizeof(s->log));
	if (tl_host == s)
		tl_host = NULL;
}

/* A run starts here, before the program's setup: setup draws its
 * workload from the decision source, so the source's run begins now. */
void mmf_sched_reset(struct mmf_sched *s)
{
	MMF_SCHED_ENTER();
	reset_state(s);
	s->host_values = 0;
	if (s->dec && s->dec->ops->begin)
		s->dec->ops->begin(s->dec);
	if (s->dec)
		s->dec->forced = MMF_RUN_CLEAN;
	MMF_SCHED_LEAVE();
}

static void reset_state(struct mmf_sched *s)
{
	if (s->threads)
		mmf_threads_reset(s);
	for (int i = 0; i < s->ntasks; i++)
		memset(&s->tasks[i], 0, sizeof(s->tasks[i]));
	s->ntasks = 0;
	s->nspawned = 0;
	s->ncpus = 0;
	s->steps = 0;
	s->irqs_raised = 0;
	s->preemptions = 0;
	mmf__fb_reset(s);
	s->vtime = 0;
	s->ntimers = 0;
	s->nr_timed = 0;
	s->rcu_daemon = NULL;
	s->nrcu_cbs = 0;
	s->rcu_cb_queued = s->rcu_cb_done = 0;
	int nbl = s->nbitlock < MMF_MAX_BITLOCK_OWNERS ? s->nbitlock : MMF_MAX_BITLOCK_OWNERS;
	memset(s->bitlock_owner, 0, sizeof(s->bitlock_owner[0]) * (size_t)nbl);
	s->nbitlock = 0;
	memset(&s->report, 0, sizeof(s->report));
	s->failed = false;
	s->status = MMF_RUN_CLEAN;
	mmf_trace_reset(&s->trace);
	s->log.n = 0;
	s->log.truncated = false;
	if (s->log.pub)
		__atomic_store_n(s->log.pub, 0, __ATOMIC_RELEASE);
	s->running = -1;
	if (s->flight)
		s->flight->running = -1;
	mmf_lockdep_reset(s->lockdep);
	mmf_kmem_reset(s);
	mmf_ref_reset(s);
	s->access_points = false;
	tl_host = s;
	tl_cur = NULL;
	mmf__access_armed = false;
}

/* ---- reports ----------------------------------------------------------- */

static void task_where(const struct mmf_task *t, char *buf, size_t len)
{
	const struct mmf_site *st = t->wait_obj || t->wait_site ? t->wait_site : t->site;
	if (st)
		snprintf(buf, len, "%s:%d %s()", mmf_site_file(st), st->line, st->func);
	else
		snprintf(buf, len, "(not started)");
}

size_t mmf__append(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	if (off >= len)
		return off;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	return n < 0 ? off : off + (size_t)n > len ? len : off + (size_t)n;
}
#define append mmf__append

/* "file:line func(), step N": where a lock was taken, for the reports. */
static size_t append_taken(char *buf, size_t len, size_t off, const struct mmf_site *site,
			   uint64_t step)
{
	if (!site)
		return append(buf, len, off, "an unknown site, step %llu", (unsigned long long)step);
	return append(buf, len, off, "%s:%d %s(), step %llu", mmf_site_file(site), site->line,
		      site->func ? site->func : "?", (unsigned long long)step);
}

/* Who holds what t waits on, from the holders' own records: every task
 * whose held-lock stack has it (all readers of an rwsem), else for a bit
 * the side table's record of who locked it and where it was handed off. */
static size_t describe_holders(const struct mmf_sched *s, const struct mmf_task *t, char *buf,
			       size_t len, size_t off)
{
	int found = 0;
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *o = &s->tasks[i];
		if (o->state == MMF_T_UNUSED || o->state == MMF_T_EXITED)
			continue;
		for (int h = 0; h < o->nheld; h++) {
			const struct mmf_held *hl = &o->held[h];
			if (hl->lock != t->wait_obj || (t->wait_bit && hl->bit != t->wait_bit))
				continue;
			off = append(buf, len, off, "%s task %d '%s' (taken at ",
				     found++ ? " and" : ", held by", o->id, o->name);
			off = append_taken(buf, len, off, hl->site, hl->step);
			off = append(buf, len, off, ")");
		}
	}
	if (found)
		return off;
	if (t->wait_bit) {
		const struct mmf_bitlock_rec *r = mmf__bitlock_rec(s, t->wait_obj, t->wait_bit - 1);
		if (!r)
			return append(buf, len, off, ", no holder recorded (bit %d is set but no "
				      "lock operation took it)", t->wait_bit - 1);
		const struct mmf_task *o = r->task >= 0 ? &s->tasks[r->task] : NULL;
		if (o)
			off = append(buf, len, off, ", locked by task %d '%s'%s at ", o->id, o->name,
				     o->state == MMF_T_EXITED ? " (exited)" : "");
		else
			off = append(buf, len, off, ", locked by the host at ");
		off = append_taken(buf, len, off, r->site, r->step);
		if (r->handoff) {
			off = append(buf, len, off, ", handed off at ");
			off = append_taken(buf, len, off, r->handoff, r->handoff_step);
			off = append(buf, len, off, ", to be unlocked elsewhere");
		}
		return off;
	}
	if (t->wait_holder) {
		const struct mmf_task *o = t->wait_holder;
		off = append(buf, len, off, ", waits for task %d '%s'", o->id, o->name);
		if (o->rcu_nesting && o->rcu_site) {
			off = append(buf, len, off, " (in an RCU read-side section since ");
			off = append_taken(buf, len, off, o->rcu_site, o->rcu_step);
			off = append(buf, len, off, ")");
		}
	}
	return off;
}

size_t mmf__describe_tasks(const struct mmf_sched *s, char *buf, size_t len, size_t off)
{
	char where[160];
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *t = &s->tasks[i];
		if (t->state == MMF_T_EXITED)
			continue;
		task_where(t, where, sizeof(where));
		off = append(buf, len, off, "\n  task %d '%s'%s: ", t->id, t->name,
			     (t->flags & MMF_TASK_IRQ) ? " [irq]" : "");
		if (t->state == MMF_T_BLOCKED) {
			off = append(buf, len, off, "%s on %s %p at %s",
				     t->wait_kind == MMF_WAIT_SPIN ? "spins" : "sleeps",
				     t->wait_desc ? t->wait_desc : "?", t->wait_obj, where);
			off = describe_holders(s, t, buf, len, off);
		} else {
			off = append(buf, len, off, "runnable at %s", where);
		}
		if (t->irq_top)
			off = append(buf, len, off, ", interrupted by task %d '%s'",
				     t->irq_top->id, t->irq_top->name);
		for (int h = 0; h < t->nheld; h++) {
			off = append(buf, len, off, "\n      holds %s %p (taken at ",
				     t->held[h].name, t->held[h].lock);
			off = append_taken(buf, len, off, t->held[h].site, t->held[h].step);
			off = append(buf, len, off, ")");
		}
		/* Bit locks it took and handed off, still locked: the unlock it
		 * passed them on to has not come. */
		int nbl = s->nbitlock < MMF_MAX_BITLOCK_OWNERS ? s->nbitlock : MMF_MAX_BITLOCK_OWNERS;
		for (int b = 0; b < nbl; b++) {
			const struct mmf_bitlock_rec *r = &s->bitlock_owner[b];
			if (!r->word || r->task != t->id || !r->handoff)
				continue;
			off = append(buf, len, off, "\n      locked %s %p at ", r->name, r->word);
			off = append_taken(buf, len, off, r->site, r->step);
			off = append(buf, len, off, ", handed off at ");
			off = append_taken(buf, len, off, r->handoff, r->handoff_step);
			off = append(buf, len, off, ", still locked");
		}
		if (t->rcu_nesting && t->rcu_site) {
			off = append(buf, len, off, "\n      in an RCU read-side section since ");
			off = append_taken(buf, len, off, t->rcu_site, t->rcu_step);
		}
		if (t->irqs_off && !(t->flags & MMF_TASK_IRQ))
			off = append(buf, len, off, "\n      with interrupts disabled");
		if (t->state == MMF_T_BLOCKED)
			off = mmf_ref_describe_awaited(s, t->id, buf, len, off);
	}
	return off;
}

_Thread_local void *mmf__report_frame;

/* The failing task's call chain, from its own stack: the model functions
 * that led to the report, innermost first.  It starts at the frame a
 * checker named (mmf__report_frame), else at the function of the report's
 * site, else at the first frame outside the scheduler's entry points. */
static size_t append_chain(char *buf, size_t len, size_t off, const struct mmf_task *t,
			   const struct mmf_site *site)
{
	if (!t || !t->fiber || !t->fiber->stack_lo)
		return off;
	void *pcs[32];
	void *from = mmf__report_frame ? mmf__report_frame : __builtin_frame_address(0);
	const char *lo = t->fiber->stack_lo, *hi = lo + t->fiber->stack_size;
	int n = mmf_walk_frames(from, lo, hi, pcs, 32);
	char names[32][96];
	for (int i = 0; i < n; i++)
		mmf_symbolize(pcs[i], names[i], sizeof(names[i]));
	/* Every way from the model into the scheduler passes a public entry
	 * point (mmf_*) or an instrumentation callback (__asan_*): the model's
	 * frames begin after the last of those near the top. */
	int end = n;    /* the fiber's entry: the task function was the last frame */
	for (int i = 0; i < n && end == n; i++)
		if (!strncmp(names[i], "fiber_start", 11) || !strncmp(names[i], "mmf_ctx_", 8) ||
		    !strncmp(names[i], "task_main", 9))
			end = i;
	int first = 0;
	if (!mmf__report_frame)
		for (int i = 0; i < end && i < 8; i++)
			if (!strncmp(names[i], "mmf_", 4) || !strncmp(names[i], "__asan_", 7))
				first = i + 1;
	int shown = 0;
	for (int i = first; i < end && shown < 10; i++) {
		off = append(buf, len, off, "%s%s", shown ? " < " : "\n  call chain: ", names[i]);
		shown++;
	}
	return off;
}

static void record_report(struct mmf_sched *s, enum mmf_fail_class cls, const void *obj,
			  const struct mmf_site *site, const char *fmt, va_list ap)
{
	struct mmf_report *r = &s->report;
	struct mmf_task *t = tl_cur;

	r->cls = cls;
	r->task = t ? t->id : -1;
	r->step = s->steps;
	r->site = site;
	r->obj = obj;
	size_t off = (size_t)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	if (off >= sizeof(r->text))
		off = sizeof(r->text) - 1;
	/* A reference-count failure on a tracked object (an underflow, a get
	 * of a dying one): who holds it, or how its references went. */
	if (cls == MMF_FAIL_REFCOUNT && obj)
		off = mmf_ref_describe(s, obj, true, "  ", r->text, sizeof(r->text), off);
	if (t)
		off = append_chain(r->text, sizeof(r->text), off, t, site);
	if (t)
		off = append(r->text, sizeof(r->text), off, "\n  in task %d '%s'%s",
			     t->id, t->name, (t->flags & MMF_TASK_IRQ) ? " [irq]" : "");
	bool multi = strchr(r->text, '\n') != NULL;
	if (site && site->file)
		off = append(r->text, sizeof(r->text), off, "%s at %s:%d %s()",
			     multi ? "\n  reported" : "", mmf_site_file(site), site->line, site->func);
	append(r->text, sizeof(r->text), off, ", step %llu", (unsigned long long)s->steps);
	s->failed = true;
	s->status = MMF_RUN_FAILED;
}

static _Noreturn void abandon_run(struct mmf_sched *s, struct mmf_task *t);

void mmf_fail(enum mmf_fail_class cls, const void *obj, const struct mmf_site *site,
	      const char *fmt, ...)
{
	struct mmf_sched *s = mmf_current_sched();
	va_list ap;

	if (!s)
		mmf_internal("mmf_fail outside any run");
	MMF_SCHED_ENTER();
	if (s->opts.mode == MMF_MODE_THREADS) {
		va_start(ap, fmt);
		mmf_threads_fail(s, cls, obj, site, fmt, ap);
		va_end(ap);
		MMF_SCHED_LEAVE();
		return;
	}
	if (!s->failed) {
		va_start(ap, fmt);
		record_report(s, cls, obj, site, fmt, ap);
		va_end(ap);
	}
	if (tl_cur)
		abandon_run(s, tl_cur);
	MMF_SCHED_LEAVE();
}

/* Thread mode records through here under its own lock. */
void mmf__record_report(struct mmf_sched *s, enum mmf_fail_class cls, const void *obj,
			const struct mmf_site *site, const char *fmt, va_list ap)
{
	record_report(s, cls, obj, site, fmt, ap);
}

void mmf_report_print(const struct mmf_sched *s, void *file)
{
	FILE *f = file;
	if (!s->failed)
		return;
	fprintf(f, "mmfuzz: FAILURE [%s] %s\n", mmf_fail_name(s->report.cls), s->report.text);
}

/* ---- tasks ------------------------------------------------------------- */

static void task_main(void *arg);

static struct mmf_task *spawn(struct mmf_sched *s, const char *name, unsigned flags,
			      void (*fn)(void *), void *arg)
{
	bool threads = s->opts.mode == MMF_MODE_THREADS;
	if (threads)
		mmf_threads_table_lock(s, true);
	/* Interrupts come and go: a new one reuses the slot of an exited
	 * one, lowest id first so ids stay deterministic, never the slot of
	 * the task running this code (its stack is in use).  Other tasks keep
	 * their own ids, so each stays one column of the interleaving table. */
	int id = -1;
	if (threads && (flags & MMF_TASK_IRQ))
		id = mmf_threads_reuse_irq_slot(s);
	if (!threads && (flags & MMF_TASK_IRQ)) {
		for (int i = 0; i < s->ntasks; i++) {
			if (s->tasks[i].state == MMF_T_EXITED && (s->tasks[i].flags & MMF_TASK_IRQ) &&
			    &s->tasks[i] != tl_cur) {
				id = i;
				break;
			}
		}
	}
	/* A program that makes many threads over its life (exec mode) marks
	 * a joined or detached thread's slot reusable: lowest id first. */
	if (id < 0 && !threads && !(flags & MMF_TASK_IRQ)) {
		for (int i = 0; i < s->ntasks; i++) {
			if (s->tasks[i].state == MMF_T_EXITED &&
			    (s->tasks[i].flags & MMF_TASK_REUSABLE) && &s->tasks[i] != tl_cur) {
				id = i;
				break;
			}
		}
	}
	if (id < 0 && s->ntasks >= MMF_MAX_TASKS) {
		if (threads)
			mmf_threads_table_lock(s, false);
		mmf_fail(MMF_FAIL_BUG, s, MMF_SITE("spawn"),
			 "task table full (%d live tasks): raise MMF_MAX_TASKS", MMF_MAX_TASKS);
		return NULL;
	}
	if (id < 0)
		id = s->ntasks;
	struct mmf_task *t = &s->tasks[id];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->flags = flags;
	if (!(flags & MMF_TASK_IRQ))
		t->cpu = s->ncpus ? s->nspawned++ % s->ncpus : 0;
	t->state = MMF_T_RUNNABLE;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fn = fn;
	t->arg = arg;
	t->s = s;
	if (flags & MMF_TASK_IRQ)
		t->incarnation = ++s->irqs_raised;
	if (s->flight) {
		/* names for a supervisor that reads the record after a kill */
		struct mmf_flight_task *ft = &s->flight->tasks[id];
		snprintf(ft->name, sizeof(ft->name), "%s", name);
		ft->flags = flags;
		if (s->flight->ntasks < id + 1)
			s->flight->ntasks = id + 1;
	}
	if (s->opts.mode == MMF_MODE_FIBERS) {
		struct mmf_fiber *f = &s->fibers[t->id];
		if (!f->map && mmf_fiber_create(f, MMF_STACK_SIZE))
			mmf_internal("cannot map a fiber stack");
		mmf_fiber_arm(f, task_main, t, t->name);
		t->fiber = f;
	}
	/* Spawn is a happens-before edge, as pthread_create is. */
	mmf_tsan_release(&t->tsan_token);
	if (t->id >= s->ntasks)
		__atomic_store_n(&s->ntasks, t->id + 1, __ATOMIC_RELEASE);
	if (threads) {
		mmf_threads_start_task(s, t);
		mmf_threads_table_lock(s, false);
	}
	return t;
}

void mmf_sched_set_cpus(struct mmf_sched *s, int n)
{
	if (n < 0 || n > MMF_NR_CPUS || s->ntasks)
		mmf_internal("mmf_sched_set_cpus(%d): 0..%d, before any task", n, MMF_NR_CPUS);
	s->ncpus = n;
}

bool mmf_access_points_built(void) { return MMF_KASAN || MMF_ACCESS_SANCOV; }

bool mmf_sched_set_access_points(struct mmf_sched *s, bool on)
{
	if (s->ntasks)
		mmf_internal("mmf_sched_set_access_points: before any task");
	s->access_points = on && mmf_access_points_built() && s->opts.mode == MMF_MODE_FIBERS;
	return s->access_points == on;
}

struct mmf_task *mmf_spawn(struct mmf_sched *s, const char *name, unsigned flags,
			   void (*fn)(void *), void *arg)
{
	MMF_SCHED_ENTER();
	struct mmf_task *t = spawn(s, name, flags, fn, arg);
	MMF_SCHED_LEAVE();
	return t;
}

static void reschedule(struct mmf_sched *s, struct mmf_task *cur);

static void check_context_at_exit(struct mmf_task *t)
{
	if (t->nheld)
		mmf_fail(MMF_FAIL_LOCKING, t->held[0].lock, t->held[0].site,
			 "task '%s' exited holding %s %p (taken at %s:%d, step %llu)", t->name,
			 t->held[0].name, t->held[0].lock, mmf_site_file(t->held[0].site),
			 t->held[0].site ? t->held[0].site->line : 0,
			 (unsigned long long)t->held[0].step);
	if (t->rcu_nesting)
		mmf_fail(MMF_FAIL_LOCKING, NULL, t->site,
			 "task '%s' exited inside an RCU read-side section", t->name);
	if (t->irqs_off)
		mmf_fail(MMF_FAIL_LOCKING, NULL, t->site,
			 "task '%s' exited with interrupts disabled", t->name);
	if (t->preempt_off)
		mmf_fail(MMF_FAIL_LOCKING, NULL, t->site,
			 "task '%s' exited with preemption disabled", t->name);
}

void mmf__task_exited(struct mmf_task *t)
{
	t->state = MMF_T_EXITED;
	if (t->interrupted) {
		t->interrupted->irq_top = NULL;
		t->interrupted = NULL;
	}
	mmf_tsan_release(&t->s->tsan_join);
	mmf_obj_wake(t);        /* anyone joining this task */
	if (t->flags & MMF_TASK_IRQ) {
		mmf_obj_lock(&t->s->irq_idle_obj);
		mmf_obj_wake(&t->s->irq_idle_obj);
		mmf_obj_unlock(&t->s->irq_idle_obj);
	}
}

static void task_main(void *arg)
{
	struct mmf_task *t = arg;
	struct mmf_sched *s = t->s;

	tl_cur = t;
	tl_host = s;
	mmf__access_armed = s->access_points;
	mmf_tsan_acquire(&t->tsan_token);
	t->started = true;
	t->fn(t->arg);
	/* completions coalesced into this interrupt meanwhile */
	for (;;) {
		mmf_tsan_acquire(&t->irq_more);
		if (t->irq_done == t->irq_nmore)
			break;
		int k = t->irq_done++;
		t->irq_more[k].fn(t->irq_more[k].arg);
	}
	MMF_SCHED_ENTER(); /* never left: the fiber is re-armed before reuse */
	check_context_at_exit(t);
	mmf__task_exited(t);
	reschedule(s, t);
	mmf_internal("exited task %d was scheduled again", t->id);
}

/* ---- virtual time ------------------------------------------------------ */

uint64_t mmf_jiffies(void)
{
	struct mmf_sched *s = mmf_current_sched();
	return s ? __atomic_load_n(&s->vtime, __ATOMIC_RELAXED) : 0;
}

bool mmf__time_pending(const struct mmf_sched *s, uint64_t *next)
{
	uint64_t best = UINT64_MAX;
	/* The common case, asked at every decision: nothing timed. */
	if (s->opts.mode == MMF_MODE_FIBERS && !s->ntimers && !s->nr_timed)
		return false;
	mmf__timers_next(s, &best);
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *t = &s->tasks[i];
		if (t->state == MMF_T_BLOCKED && t->wake_at && t->wake_at < best)
			best = t->wake_at;
	}
	if (best == UINT64_MAX)
		return false;
	if (next)
		*next = best;
	return true;
}

/* Advance virtual time to 'to': fire due timers (as interrupts) and wake
 * timed sleepers whose time has come. */
static void advance_time(struct mmf_sched *s, uint64_t to)
{
	if (to > s->vtime)
		__atomic_store_n(&s->vtime, to, __ATOMIC_RELAXED);
	mmf__timer_fire_due(s);
	for (int i = 0; i < s->ntasks; i++) {
		struct mmf_task *t = &s->tasks[i];
		if (t->state == MMF_T_BLOCKED && t->wake_at && t->wake_at <= s->vtime) {
			t->timed_out = true;
			t->state = MMF_T_RUNNABLE;
		}
	}
}

/* ---- the decision ------------------------------------------------------ */

static bool can_continue(const struct mmf_task *t)
{
	return t && t->state == MMF_T_RUNNABLE && !t->irq_top;
}

/* Virtual CPUs (s->ncpus > 0): which task, if any, keeps each CPU busy so
 * that no other task of that CPU may run: one with preemption off
 * (preempt_disable, local_lock, a spinlock held, interrupts off) or an
 * interrupt handler running there.  Returns false if nothing is pinned. */
static bool pinned_cpus(struct mmf_sched *s, const struct mmf_task **pin)
{
	bool any = false;
	if (!s->ncpus)
		return false;
	for (int c = 0; c < MMF_NR_CPUS; c++)
		pin[c] = NULL;
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *o = &s->tasks[i];
		if (o->state == MMF_T_EXITED)
			continue;
		bool busy = (o->flags & MMF_TASK_IRQ) ? o->started
						       : (o->preempt_off || o->atomic || o->irqs_off);
		if (busy) {
			pin[o->cpu] = o;
			any = true;
		}
	}
	return any;
}

/* May t run now?  Not while another task keeps its CPU busy (above).  An
 * interrupt not yet started takes the CPU of the task it interrupts. */
static bool eligible(const struct mmf_task *const *pin, const struct mmf_task *t)
{
	if ((t->flags & MMF_TASK_IRQ) && !t->started)
		return true;    /* build_choice decides where it may start */
	return !pin[t->cpu] || pin[t->cpu] == t;
}

/* A CPU nothing keeps busy, for an interrupt that interrupts no task (the
 * running one blocked or exited), or -1. */
static int idle_cpu(struct mmf_sched *s, const struct mmf_task *const *pin, bool pinned)
{
	for (int c = 0; c < (s->ncpus ? s->ncpus : 1); c++)
		if (!pinned || !pin[c])
			return c;
	return -1;
}

/* The load balancer: a task that could have run for MMF_FAIR_STREAK
 * decisions in a row but for another task keeping its CPU busy (a spinner
 * with preemption off) moves to a CPU nothing keeps busy, as Linux's
 * balancing pulls a waiting task off a CPU that a non-preemptible task
 * holds.  Not an interrupt (it stays on the CPU it interrupted), not a
 * task with preemption or interrupts off itself, not one bound to its CPU
 * (mmf_run_on_cpu).  Deterministic: no decision is drawn, so traces
 * replay.  Returns whether t was moved (it is eligible then). */
static bool balance(struct mmf_sched *s, const struct mmf_task *const *pin, struct mmf_task *t)
{
	if ((t->flags & MMF_TASK_IRQ) || t->bound || t->preempt_off || t->atomic || t->irqs_off)
		return false;
	if (++t->starved < MMF_FAIR_STREAK)
		return false;
	int c = idle_cpu(s, pin, true);
	if (c < 0)
		return false;
	t->cpu = c;
	return true;
}

static bool others_runnable(struct mmf_sched *s, struct mmf_task *cur,
			    const struct mmf_task *const *pin, bool pinned)
{
	for (int i = 0; i < s->ntasks; i++) {
		struct mmf_task *t = &s->tasks[i];
		if (t != cur && t->state == MMF_T_RUNNABLE && !t->irq_top &&
		    !((t->flags & MMF_TASK_IRQ) && !t->started) && (!pinned || eligible(pin, t)))
			return true;
	}
	return false;
}

/* The running task holds its CPU: it can go on, and no other task keeps
 * that CPU busy (a task moved to a busy CPU, mmf_run_on_cpu, waits). */
static bool holds_cpu(struct mmf_sched *s, const struct mmf_task *cur)
{
	const struct mmf_task *pin[MMF_NR_CPUS];
	return can_continue(cur) && (!pinned_cpus(s, pin) || eligible(pin, cur));
}

static void build_choice(struct mmf_sched *s, struct mmf_task *cur, struct mmf_choice *c)
{
	const struct mmf_task *pin[MMF_NR_CPUS];
	bool pinned = pinned_cpus(s, pin);
	/* holds_cpu(), on the pins computed once for this decision */
	bool cont = can_continue(cur) && (!pinned || eligible(pin, cur));
	/* Fairness: every task has a CPU of its own in the kernel, so a task
	 * spinning for another one that is runnable (a retry loop, a trylock
	 * loop) is not a hang.  A task that kept the CPU from runnable tasks
	 * for MMF_FAIR_STREAK decisions in a row is switched out once, whatever
	 * the decision source prefers; only a spin that nothing can end then
	 * reaches the step budget. */
	bool unfair = cont && cur->streak >= MMF_FAIR_STREAK && others_runnable(s, cur, pin, pinned);
	if (unfair)
		cur->streak = 0;
	/* A new interrupt may fire where the running task has interrupts on,
	 * or on an idle CPU (the running task blocked or exited).  Interrupts
	 * do not nest. */
	bool irq_ok = !cont || (!(cur->flags & MMF_TASK_IRQ) && cur->irqs_off == 0);

	c->n = 0;
	c->set = 0;
	c->cur = -1;
	c->yield = cont && cur->point_kind == MMF_PT_YIELD;
	c->step = s->steps;
	c->prev = cur ? cur->id : -1;
	c->prev_points = cur ? cur->points++ : 0;
	/* An interrupt's slot is reused by later interrupts: its position
	 * names which interrupt it is, so that positions stay unique. */
	c->prev_phase = !cur ? 0 : (cur->flags & MMF_TASK_IRQ) ? 0x8000u | (cur->incarnation & 0x7fffu) :
		cur->phase;
	c->prev_phase_points = cur ? cur->phase_points++ : 0;
	for (int i = 0; i < s->ntasks; i++) {
		struct mmf_task *t = &s->tasks[i];
		if (t->state != MMF_T_RUNNABLE || t->irq_top)
			continue;
		if ((t->flags & MMF_TASK_IRQ) && !t->started && !irq_ok)
			continue;
		/* With no task to interrupt, an interrupt needs a CPU that is
		 * not busy. */
		if ((t->flags & MMF_TASK_IRQ) && !t->started && !cont && pinned &&
		    idle_cpu(s, pin, pinned) < 0)
			continue;
		if (t == cur && unfair)
			continue;
		if (pinned && !eligible(pin, t) && !balance(s, pin, t))
			continue;
		t->starved = 0;
		if (t == cur && cont)
			c->cur = c->n;
		c->obj[c->n] = t->point_obj;
		c->site[c->n] = t->site;
		c->ids[c->n++] = (uint8_t)t->id;
		c->set |= 1u << t->id;
	}
	if (mmf__time_pending(s, NULL)) {
		c->obj[c->n] = NULL;
		c->site[c->n] = NULL;
		c->ids[c->n++] = MMF_TICK;
		c->set |= 1u << MMF_TICK;
	}
	/* The non-preemptive default: go on with the running task; else the
	 * next task after it in id order (round robin); time only advances by
	 * default when nothing else can run. */
	if (c->cur >= 0) {
		c->dflt = c->cur;
		return;
	}
	int after = cur ? cur->id : -1;
	int first = -1;
	c->dflt = -1;
	for (int i = 0; i < c->n && c->ids[i] != MMF_TICK; i++) {
		if (first < 0)
			first = i;
		if (c->ids[i] > after) {
			c->dflt = i;
			break;
		}
	}
	if (c->dflt < 0)
		c->dflt = first >= 0 ? first : c->n - 1;
}

static _Noreturn void report_deadlock(struct mmf_sched *s, struct mmf_task *cur)
{
	char buf[MMF_REPORT_LEN];
	int live = 0;
	for (int i = 0; i < s->ntasks; i++)
		live += s->tasks[i].state != MMF_T_EXITED;
	size_t off = append(buf, sizeof(buf), 0,
			    "deadlock: all %d live tasks are blocked", live);
	mmf__describe_tasks(s, buf, sizeof(buf), off);
	const void *obj = cur ? cur->wait_obj : NULL;
	const struct mmf_site *site = cur ? cur->wait_site : NULL;
	if (!s->failed) {
		/* Attribute the report to no single task: it is a global state. */
		struct mmf_task *keep = tl_cur;
		tl_cur = NULL;
		mmf_fail(MMF_FAIL_DEADLOCK, obj, site, "%s", buf);
		tl_cur = keep;
	}
	abandon_run(s, cur);
}

static void switch_to(struct mmf_sched *s, struct mmf_task *cur, struct mmf_task *next)
{
	struct mmf_fiber *from = cur ? cur->fiber : &s->host;
	struct mmf_fiber *to = next ? next->fiber : &s->host;

	/* All a task did so far happens before the host's work after the run
	 * (teardown checks, freeing, re-arming its stack), even if the task
	 * never runs again; tasks never acquire this, so it orders nothing
	 * between tasks. */
	if (cur)
		mmf_tsan_release(&s->tsan_join);
	SUSPEND_IGNORE(cur);
	tl_cur = next;
	__atomic_store_n(&s->running, next ? next->id : -1, __ATOMIC_RELAXED);
	if (s->flight)
		s->flight->running = next ? next->id : -1;
	if (cur && cur->state == MMF_T_EXITED)
		mmf_fiber_exit_to(from, to);
	mmf_fiber_switch(from, to);
	/* Switched back in: whoever chose us set tl_cur to us (here again,
	 * for thread-backed fibers, whose thread-locals are their own). */
	tl_cur = cur;
	tl_host = s;
	mmf__access_armed = cur && s->access_points;
	RESUME_IGNORE(cur);
}

void mmf_sched_forget_thread(void)
{
	tl_cur = NULL;
	tl_host = NULL;
	mmf__access_armed = false;
}

_Noreturn void mmf_end_run(void)
{
	struct mmf_task *t = tl_cur;
	if (!t)
		mmf_internal("mmf_end_run from the host");
	abandon_run(t->s, t);
}

static _Noreturn void abandon_run(struct mmf_sched *s, struct mmf_task *t)
{
	if (!t)
		mmf_internal("abandon_run from the host");
	mmf_tsan_release(&s->tsan_join);
	SUSPEND_IGNORE(t);
	tl_cur = NULL;
	mmf__access_armed = false;
	__atomic_store_n(&s->running, -1, __ATOMIC_RELAXED);
	if (s->flight)
		s->flight->running = -1;
	mmf_fiber_exit_to(t->fiber, &s->host);
}

/* The heart: pick the next task at a scheduling point of 'cur' (NULL at
 * run start).  Returns when 'cur' is chosen to run again. */
static void log_step(struct mmf_sched *s, struct mmf_task *cur)
{
	struct mmf_steplog *l = &s->log;
	if (l->n == l->cap) {
		if (l->fixed) {
			l->truncated = true;
			return;
		}
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct mmf_step *e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			mmf_internal("out of memory growing the step log");
		l->e = e;
		l->cap = cap;
	}
	l->e[l->n] = (struct mmf_step){
		.step = s->steps + 1, .task = (uint8_t)cur->id,
		.kind = cur->state == MMF_T_EXITED ? MMF_STEP_EXIT :
			cur->state == MMF_T_BLOCKED ? MMF_STEP_BLOCK : MMF_STEP_POINT,
		.site = cur->state == MMF_T_BLOCKED ? cur->wait_site : cur->site,
		.desc = cur->state == MMF_T_BLOCKED ? cur->wait_desc : NULL,
		.phase = cur->phase,
	};
	__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
	if (l->pub)
		__atomic_store_n(l->pub, l->n, __ATOMIC_RELEASE);
}

/* A site's identity from its contents (file name, line, operation), never
 * its address or the build directory: addresses move with ASLR, and a
 * feature that moves makes the same input give different coverage in two
 * processes, so a fixed engine seed would not repeat its campaign. */
#define site_hash mmf__site_hash

/* (site the stopping task stands at, site the next one resumes at, how
 * it stopped), hashed: one interleaving feature. */
MMF_WRAPS
static uint32_t switch_feature(struct mmf_sched *s, struct mmf_task *cur, struct mmf_task *next,
			       bool preempt)
{
	(void)s;
	const struct mmf_site *from = NULL;
	if (cur)
		from = cur->state == MMF_T_BLOCKED ? cur->wait_site : cur->site;
	uint64_t h = site_hash(from) * 0x9e3779b97f4a7c15ull;
	h ^= site_hash(next->site) * 0xc2b2ae3d27d4eb4full;
	h ^= cur ? (preempt ? 1 : cur->state == MMF_T_EXITED ? 2 : 3) : 4;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

static void reschedule(struct mmf_sched *s, struct mmf_task *cur)
{
	struct mmf_choice c;

	if (s->opts.log && cur)
		log_step(s, cur);

	for (;;) {
		if (++s->steps > s->opts.max_steps && cur) {
			char buf[MMF_REPORT_LEN];
			size_t off = append(buf, sizeof(buf), 0,
					    "hang: no completion within %llu scheduling points",
					    (unsigned long long)s->opts.max_steps);
			mmf__describe_tasks(s, buf, sizeof(buf), off);
			mmf_fail(MMF_FAIL_HANG, NULL, cur->site, "%s", buf);
		}
		build_choice(s, cur, &c);
		if (c.n == 0) {
			bool workers = false, daemons = false;
			for (int i = 0; i < s->ntasks; i++) {
				struct mmf_task *t = &s->tasks[i];
				if (t->state == MMF_T_EXITED)
					continue;
				if (t->flags & MMF_TASK_DAEMON)
					daemons = true;
				else
					workers = true;
			}
			if (workers)
				report_deadlock(s, cur);
			if (daemons) {
				/* Workers are done: stop the kernel threads. */
				bool progressed = false;
				for (int i = 0; i < s->ntasks; i++) {
					struct mmf_task *t = &s->tasks[i];
					if (t->state == MMF_T_EXITED || !(t->flags & MMF_TASK_DAEMON))
						continue;
					if (!t->should_stop) {
						t->should_stop = true;
						progressed = true;
					}
					if (t->state == MMF_T_BLOCKED && t->kthread_idle) {
						t->state = MMF_T_RUNNABLE;
						progressed = true;
					}
				}
				if (!progressed)
					report_deadlock(s, cur);
				continue;
			}
			/* Every task exited: the run is over. */
			switch_to(s, cur, NULL);
			mmf_internal("finished run resumed a task");
		}

		s->dec->at = cur ? cur->site : NULL;
		s->dec->at_task = cur ? (uint8_t)cur->id : 255;
		s->dec->at_obj = cur ? cur->point_obj : NULL;
		int idx = c.n == 1 ? 0 : s->dec->ops->pick(s->dec, &c);
		if (s->dec->forced != MMF_RUN_CLEAN) {
			/* The replay source refused: stop the run. */
			s->status = s->dec->forced;
			if (cur)
				abandon_run(s, cur);
			return;
		}
		if (idx < 0 || idx >= c.n)
			mmf_internal("decision source %s picked %d of %d", s->dec->ops->name, idx, c.n);
		int id = c.ids[idx];
		bool preempt = c.cur >= 0 && idx != c.cur;
		/* The streak counts the decisions where another task could have
		 * run; one where only cur could (it keeps its CPU busy and the
		 * others share it) neither counts nor ends the streak. */
		if (cur && c.cur >= 0 && idx == c.cur) {
			if (c.n > 1)
				cur->streak++;
		} else if (cur) {
			cur->streak = 0;
		}
		if (c.n > 1) {
			if (s->opts.record) {
				struct mmf_decision d = {
					.kind = MMF_DEC_PICK, .task = cur ? (uint8_t)cur->id : 255,
					.chosen = (uint8_t)id, .preempt = preempt, .set = c.set,
					.site = cur ? cur->site : NULL, .dflt = c.ids[c.dflt],
					.key = mmf_choice_key(&c),
				};
				mmf_trace_push(&s->trace, &d);
			}
			s->preemptions += preempt;
		}
		if (s->opts.feature && (!s->opts.feedback_kinds || (s->opts.feedback_kinds & MMF_FB_SWITCH)) &&
		    id != MMF_TICK && (!cur || id != cur->id))
			s->opts.feature(s->opts.feature_ctx, switch_feature(s, cur, &s->tasks[id], preempt));
		if (id == MMF_TICK) {
			uint64_t next;
			if (mmf__time_pending(s, &next))
				advance_time(s, next);
			continue;
		}
		struct mmf_task *next = &s->tasks[id];
		if ((next->flags & MMF_TASK_IRQ) && !next->started && holds_cpu(s, cur) &&
		    !(cur->flags & MMF_TASK_IRQ)) {
			next->interrupted = cur;
			next->cpu = cur->cpu;
			cur->irq_top = next;
		} else if ((next->flags & MMF_TASK_IRQ) && !next->started && s->ncpus) {
			const struct mmf_task *pin[MMF_NR_CPUS];
			bool pinned = pinned_cpus(s, pin);
			int c = idle_cpu(s, pin, pinned);
			if (c < 0)
				mmf_internal("an interrupt started with every CPU busy");
			next->cpu = c;
		}
		if (next == cur)
			return;
		switch_to(s, cur, next);
		return;
	}
}

enum mmf_run_status mmf_sched_run(struct mmf_sched *s)
{
	if (s->opts.mode == MMF_MODE_THREADS)
		return mmf_threads_run(s);
	MMF_SCHED_ENTER();
	tl_host = s;
	tl_cur = NULL;
	mmf__access_armed = false;
	if (s->ntasks)
		reschedule(s, NULL);
	tl_cur = NULL;
	mmf__access_armed = false;
	mmf_tsan_acquire(&s->tsan_join);
	if (s->dec->forced != MMF_RUN_CLEAN)
		s->status = s->dec->forced;
	if (s->dec->ops->end)
		s->dec->ops->end(s->dec, s->status);
	/* A replay that ran out of step is a divergence even if it failed:
	 * the failure would not be the recorded one. */
	if (s->dec->forced != MMF_RUN_CLEAN)
		s->status = s->dec->forced;
	MMF_SCHED_LEAVE();
	return s->status;
}

/* ---- scheduling points and blocking ------------------------------------ */

void mmf_point(enum mmf_point_kind kind, const void *obj, const struct mmf_site *site)
{
	struct mmf_task *t = tl_cur;
	(void)obj;
	(void)kind;
	if (!t)
		return;
	t->site = site;
	t->point_obj = obj;
	t->point_kind = (uint8_t)kind;
	if (t->s->opts.mode == MMF_MODE_THREADS) {
		mmf_threads_point(t->s, t);
		return;
	}
	MMF_SCHED_ENTER();
	reschedule(t->s, t);
	if (t->s->opts.feature && t->s->opts.feedback_kinds > MMF_FB_SWITCH)
		mmf__fb_access(t->s, t, kind, obj, site);
	MMF_SCHED_LEAVE();
}

/* Could a task other than cur be picked at a point of cur now?  A
 * runnable one free to run on its CPU, or an interrupt that may fire on
 * cur.  (Time alone is left out: it can advance at the next point.)
 * No means the point would have one candidate and no decision. */
static bool another_could_run(struct mmf_sched *s, struct mmf_task *cur)
{
	const struct mmf_task *pin[MMF_NR_CPUS];
	bool pinned = pinned_cpus(s, pin);
	bool irq_ok = !(cur->flags & MMF_TASK_IRQ) && cur->irqs_off == 0;
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *t = &s->tasks[i];
		if (t == cur || t->state != MMF_T_RUNNABLE || t->irq_top)
			continue;
		if ((t->flags & MMF_TASK_IRQ) && !t->started) {
			if (irq_ok)
				return true;
			continue;
		}
		if (!pinned || eligible(pin, t))
			return true;
	}
	return false;
}

void mmf__access_point(const void *addr, bool write, const void *pc)
{
	struct mmf_task *t = tl_cur;
	if (!t || !another_could_run(t->s, t))
		return;
	/* Disarmed while the point is taken: nothing it runs is a point. */
	mmf__access_armed = false;
	mmf_point(MMF_PT_PLAIN, addr, mmf__access_site(pc, write));
	mmf__access_armed = true;
}

void mmf_might_sleep(const struct mmf_site *site)
{
	struct mmf_task *t = tl_cur;
	if (!t)
		return;
	if (t->flags & MMF_TASK_IRQ)
		mmf_fail(MMF_FAIL_ATOMIC_SLEEP, NULL, site,
			 "BUG: sleeping function called from interrupt context (%s)",
			 site && site->what ? site->what : "?");
	if (t->atomic)
		mmf_fail(MMF_FAIL_ATOMIC_SLEEP, NULL, site,
			 "BUG: sleeping function called with a spinlock held (%s)",
			 site && site->what ? site->what : "?");
	if (t->irqs_off)
		mmf_fail(MMF_FAIL_ATOMIC_SLEEP, NULL, site,
			 "BUG: sleeping function called with interrupts disabled (%s)",
			 site && site->what ? site->what : "?");
	if (t->preempt_off)
		mmf_fail(MMF_FAIL_ATOMIC_SLEEP, NULL, site,
			 "BUG: sleeping function called with preemption disabled (%s)",
			 site && site->what ? site->what : "?");
	if (t->rcu_nesting)
		mmf_fail(MMF_FAIL_ATOMIC_SLEEP, NULL, site,
			 "BUG: sleeping function called inside an RCU read-side section (%s)",
			 site && site->what ? site->what : "?");
}

void mmf_obj_lock(const void *obj)
{
	struct mmf_sched *s = mmf_current_sched();
	if (s && s->opts.mode == MMF_MODE_THREADS)
		mmf_threads_obj_lock(s, obj);
}

void mmf_obj_unlock(const void *obj)
{
	struct mmf_sched *s = mmf_current_sched();
	if (s && s->opts.mode == MMF_MODE_THREADS)
		mmf_threads_obj_unlock(s, obj);
}

void mmf__begin_wait(struct mmf_task *t, const void *obj, enum mmf_wait_kind kind,
		     const char *desc, const struct mmf_task *holder,
		     const struct mmf_site *site, uint64_t wake_at)
{
	if (kind == MMF_WAIT_SLEEP)
		mmf_might_sleep(site);
	t->wait_obj = obj;
	t->wait_kind = kind;
	t->wait_desc = desc;
	t->wait_holder = holder;
	t->wait_site = site;
	t->wake_at = wake_at;
	t->timed_out = false;
	t->site = site;
	t->point_obj = obj;
	t->point_kind = MMF_PT_WAIT;
}

static void block(struct mmf_task *t, const void *obj, enum mmf_wait_kind kind,
		  const char *desc, const struct mmf_task *holder,
		  const struct mmf_site *site, uint64_t wake_at)
{
	mmf__begin_wait(t, obj, kind, desc, holder, site, wake_at);
	t->state = MMF_T_BLOCKED;
	t->s->nr_timed += wake_at != 0;
	reschedule(t->s, t);
	t->s->nr_timed -= wake_at != 0;
	t->wait_obj = NULL;
	t->wait_site = NULL;
	t->wait_desc = NULL;
	t->wait_holder = NULL;
	t->wake_at = 0;
}

void mmf_obj_wait(const void *obj, enum mmf_wait_kind kind, const char *desc,
		  const struct mmf_task *holder, const struct mmf_site *site)
{
	struct mmf_task *t = tl_cur;
	if (!t)
		mmf_internal("the host context would block on %s %p at %s:%d", desc, obj,
			     mmf_site_file(site), site ? site->line : 0);
	MMF_SCHED_ENTER();
	if (t->s->opts.mode == MMF_MODE_THREADS)
		mmf_threads_wait(t->s, t, obj, kind, desc, holder, site, 0);
	else
		block(t, obj, kind, desc, holder, site, 0);
	MMF_SCHED_LEAVE();
}

bool mmf_obj_wait_timeout(const void *obj, const char *desc, uint64_t timeout,
			  const struct mmf_site *site)
{
	struct mmf_task *t = tl_cur;
	if (!t)
		mmf_internal("the host context would sleep on %s", desc);
	uint64_t at = t->s->vtime + (timeout ? timeout : 1);
	bool timed_out;
	MMF_SCHED_ENTER();
	if (t->s->opts.mode == MMF_MODE_THREADS) {
		timed_out = mmf_threads_wait(t->s, t, obj, MMF_WAIT_SLEEP, desc, NULL, site, at);
	} else {
		block(t, obj, MMF_WAIT_SLEEP, desc, NULL, site, at);
		timed_out = t->timed_out;
	}
	MMF_SCHED_LEAVE();
	return timed_out;
}

void mmf_obj_wake(const void *obj)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		return;
	if (s->opts.mode == MMF_MODE_THREADS) {
		mmf_threads_wake(s, obj);
		return;
	}
	for (int i = 0; i < s->ntasks; i++) {
		struct mmf_task *t = &s->tasks[i];
		if (t->state == MMF_T_BLOCKED && t->wait_obj == obj)
			t->state = MMF_T_RUNNABLE;
	}
}

/* ---- drawing values from the decision source --------------------------- */

static uint64_t decide_value(uint64_t bound, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || bound <= 1)
		return 0;
	if (s->opts.mode == MMF_MODE_THREADS)
		return mmf_threads_value(s, bound);
	s->dec->at = site;
	s->dec->at_task = tl_cur ? (uint8_t)tl_cur->id : 255;
	uint64_t v = s->dec->ops->value(s->dec, bound);
	if (!tl_cur)
		s->host_values++;
	if (v >= bound)
		mmf_internal("decision source %s gave %llu for bound %llu", s->dec->ops->name,
			     (unsigned long long)v, (unsigned long long)bound);
	if (s->opts.record) {
		struct mmf_decision d = {
			.kind = MMF_DEC_VALUE, .task = tl_cur ? (uint8_t)tl_cur->id : 255,
			.value = v, .bound = bound, .site = site,
		};
		mmf_trace_push(&s->trace, &d);
	}
	if (s->dec->forced != MMF_RUN_CLEAN && tl_cur)
		abandon_run(s, tl_cur);
	return v;
}

static bool decide_fault(unsigned rate, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || rate == 0)
		return false;
	if (s->opts.mode == MMF_MODE_THREADS)
		return mmf_threads_value(s, rate) == 0;
	s->dec->at = site;
	s->dec->at_task = tl_cur ? (uint8_t)tl_cur->id : 255;
	bool f = s->dec->ops->fault(s->dec, rate);
	if (s->opts.record) {
		struct mmf_decision d = {
			.kind = MMF_DEC_FAULT, .task = tl_cur ? (uint8_t)tl_cur->id : 255,
			.chosen = f, .bound = rate, .site = site,
		};
		mmf_trace_push(&s->trace, &d);
	}
	if (s->dec->forced != MMF_RUN_CLEAN && tl_cur)
		abandon_run(s, tl_cur);
	return f;
}

uint64_t mmf_decide_value(uint64_t bound, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	uint64_t v = decide_value(bound, site);
	MMF_SCHED_LEAVE();
	return v;
}

bool mmf_decide_fault(unsigned rate, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	bool f = decide_fault(rate, site);
	MMF_SCHED_LEAVE();
	return f;
}
