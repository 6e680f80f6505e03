/* flight.c - the flight record; see flight.h. */
#define _GNU_SOURCE
#include "flight.h"
#include "access.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int64_t mmf_flight_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct mmf_flight *mmf_flight_new(size_t cap)
{
	/* The sites of plain-access points are made at run time, in the
	 * child: in a table shared from here on, so that the record's
	 * pointers to them stay readable here (access.h). */
	mmf_access_sites_init();
	size_t hdr = round_up(sizeof(struct mmf_flight), 64);
	size_t dec = round_up(cap * sizeof(struct mmf_decision), 64);
	size_t step = round_up(cap * sizeof(struct mmf_step), 64);
	size_t size = round_up(hdr + dec + step, 4096);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		mmf_internal("cannot map a flight record of %zu bytes", size);
	struct mmf_flight *f = p;
	f->map_size = size;
	f->cap_dec = cap;
	f->cap_step = cap;
	f->dec = (struct mmf_decision *)((char *)p + hdr);
	f->step = (struct mmf_step *)((char *)p + hdr + dec);
	f->running = -1;
	return f;
}

void mmf_flight_free(struct mmf_flight *f)
{
	if (f)
		munmap(f, f->map_size);
}

void mmf_sched_use_flight(struct mmf_sched *s, struct mmf_flight *f)
{
	mmf_trace_free(&s->trace);
	if (!s->log.fixed)
		free(s->log.e);
	s->trace = (struct mmf_trace){.d = f->dec, .cap = f->cap_dec, .fixed = true, .pub = &f->ndec};
	s->log = (struct mmf_steplog){.e = f->step, .cap = f->cap_step, .fixed = true,
				      .pub = &f->nstep};
	s->flight = f;
	s->opts.record = true;
}

/* The task table in short: enough for reports and the interleaving table. */
static void copy_tasks(struct mmf_flight *f, const struct mmf_sched *s)
{
	int n = s->ntasks;
	if (n < 0 || n > MMF_MAX_TASKS)
		n = 0;
	for (int i = 0; i < n; i++) {
		const struct mmf_task *t = &s->tasks[i];
		struct mmf_flight_task *ft = &f->tasks[i];
		memcpy(ft->name, t->name, sizeof(ft->name));
		ft->name[sizeof(ft->name) - 1] = 0;
		ft->flags = t->flags;
		ft->state = (uint8_t)t->state;
		ft->site = t->state == MMF_T_BLOCKED && t->wait_site ? t->wait_site : t->site;
	}
	f->ntasks = n;
	f->steps = s->steps;
	f->preemptions = s->preemptions;
	f->host_values = s->host_values;
	f->truncated = s->trace.truncated || s->log.truncated;
}

/* strncpy without its padding: this runs at every execution. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

void mmf_flight_begin(struct mmf_flight *f, const char *program, const char *params)
{
	f->ntasks = 0;
	f->end = MMF_FLIGHT_RUNNING;
	f->sig = 0;
	f->addr = 0;
	f->failed = 0;
	f->status = MMF_RUN_CLEAN;
	f->truncated = 0;
	memset(&f->report, 0, sizeof(f->report));
	copy_str(f->program, sizeof(f->program), program);
	copy_str(f->params, sizeof(f->params), params);
	f->start_ns = mmf_flight_now_ns();
	__atomic_store_n(&f->in_exec, 1, __ATOMIC_RELEASE);
}

void mmf_flight_end(struct mmf_flight *f, const struct mmf_sched *s, enum mmf_run_status st)
{
	copy_tasks(f, s);
	f->report = s->report;
	f->failed = s->failed;
	f->status = st;
	f->end = MMF_FLIGHT_RETURNED;
	__atomic_store_n(&f->in_exec, 0, __ATOMIC_RELEASE);
}

/* ---- async-signal-safe report writing -------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void put(struct sbuf *b, const char *s)
{
	while (s && *s && b->n + 1 < b->cap)
		b->p[b->n++] = *s++;
	b->p[b->n] = 0;
}

static void put_u(struct sbuf *b, unsigned long long v, unsigned base, int width)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && i < (int)sizeof(tmp));
	while (i < width && i < (int)sizeof(tmp))
		tmp[i++] = '0';
	char out[26];
	int o = 0;
	while (i)
		out[o++] = tmp[--i];
	out[o] = 0;
	put(b, out);
}

static const char *base_name(const char *path)
{
	const char *b = path;
	for (const char *p = path; p && *p; p++)
		if (*p == '/')
			b = p + 1;
	return b ? b : "?";
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	default: return "a fatal signal";
	}
}

static const char *sig_what(int sig)
{
	switch (sig) {
	case SIGSEGV: return "invalid memory access";
	case SIGBUS: return "bus error";
	case SIGFPE: return "arithmetic exception";
	case SIGILL: return "illegal instruction";
	case SIGABRT: return "abort";
	case SIGTRAP: return "trap";
	default: return "signal";
	}
}

/* The locks each live task holds and where it took them, in a signal
 * handler (only put and put_u): a loop that never reaches a scheduling
 * point (timeout) usually spins on something another holder keeps. */
static void put_holds(struct sbuf *b, const struct mmf_sched *s)
{
	for (int i = 0; i < s->ntasks && i < MMF_MAX_TASKS; i++) {
		const struct mmf_task *t = &s->tasks[i];
		if (t->state == MMF_T_EXITED || t->state == MMF_T_UNUSED)
			continue;
		for (int h = 0; h < t->nheld && h < MMF_MAX_HELD_LOCKS; h++) {
			const struct mmf_held *hl = &t->held[h];
			put(b, "\n  task ");
			put_u(b, (unsigned)t->id, 10, 1);
			put(b, " holds ");
			put(b, hl->name ? hl->name : "?");
			if (hl->site) {
				put(b, " (taken at ");
				put(b, base_name(hl->site->file));
				put(b, ":");
				put_u(b, (unsigned)hl->site->line, 10, 1);
				put(b, ", step ");
				put_u(b, hl->step, 10, 1);
				put(b, ")");
			}
		}
	}
}

/* Fill the report of the current thread's run: class, the running task
 * and where it last stood, and a first line already in buf. */
static void note_report(struct mmf_flight *f, struct mmf_sched *s, enum mmf_fail_class cls,
			struct sbuf *b)
{
	struct mmf_task *t = mmf_current();
	const struct mmf_site *site = t ? t->site : NULL;
	if (t) {
		put(b, "\n  in task ");
		put_u(b, (unsigned)t->id, 10, 1);
		put(b, " '");
		put(b, t->name);
		put(b, (t->flags & MMF_TASK_IRQ) ? "' [irq]" : "'");
		if (site) {
			put(b, "\n  its last scheduling point: ");
			put(b, base_name(site->file));
			put(b, ":");
			put_u(b, (unsigned)site->line, 10, 1);
			put(b, " ");
			put(b, site->func);
			put(b, "()");
		}
	} else {
		put(b, "\n  in the host context (program setup or end-state checks)");
	}
	put(b, ", step ");
	put_u(b, s->steps, 10, 1);
	put_holds(b, s);
	f->report.cls = cls;
	f->report.task = t ? t->id : -1;
	f->report.step = s->steps;
	f->report.site = site;
	f->report.obj = NULL;
	f->failed = 1;
	f->status = MMF_RUN_FAILED;
	copy_tasks(f, s);
	f->running = t ? t->id : -1;
	f->end = MMF_FLIGHT_DIED;
}

static struct mmf_flight *noting(void)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !s->flight || s->flight->end == MMF_FLIGHT_DIED)
		return NULL;
	return s->flight;
}

void mmf_flight_note_signal(int sig, const void *addr)
{
	struct mmf_flight *f = noting();
	if (!f)
		return;
	struct sbuf b = {f->report.text, 0, sizeof(f->report.text)};
	put(&b, "crash: ");
	put(&b, sig_name(sig));
	put(&b, " (");
	put(&b, sig_what(sig));
	if (sig == SIGSEGV || sig == SIGBUS) {
		put(&b, " at 0x");
		put_u(&b, (uintptr_t)addr, 16, 1);
	}
	put(&b, ")");
	f->sig = sig;
	f->addr = (uintptr_t)addr;
	note_report(f, mmf_current_sched(), MMF_FAIL_CRASH, &b);
}

void mmf_flight_note_timeout(void)
{
	struct mmf_flight *f = noting();
	if (!f)
		return;
	struct sbuf b = {f->report.text, 0, sizeof(f->report.text)};
	put(&b, "timeout: the execution ran longer than ");
	put_u(&b, f->timeout_ms, 10, 1);
	put(&b, " ms (a loop that reaches no scheduling point?)");
	note_report(f, mmf_current_sched(), MMF_FAIL_TIMEOUT, &b);
}

void mmf_flight_note_sanitizer(const char *cls, const char *line)
{
	struct mmf_flight *f = noting();
	if (!f)
		return;
	int c = mmf_fail_from_name(cls);
	struct sbuf b = {f->report.text, 0, sizeof(f->report.text)};
	put(&b, cls);
	put(&b, ": ");
	put(&b, line && *line ? line : "a sanitizer ended the process");
	note_report(f, mmf_current_sched(), c > 0 ? (enum mmf_fail_class)c : MMF_FAIL_CRASH, &b);
}

void mmf_flight_note_internal(void)
{
	struct mmf_sched *s = mmf_current_sched();
	if (s && s->flight)
		s->flight->internal = 1;
}

/* ---- the supervisor's side -------------------------------------------------- */

void mmf_flight_adopt(const struct mmf_flight *f, struct mmf_sched *s)
{
	size_t nd = __atomic_load_n(&f->ndec, __ATOMIC_ACQUIRE);
	size_t ns = __atomic_load_n(&f->nstep, __ATOMIC_ACQUIRE);
	if (nd > f->cap_dec)
		nd = f->cap_dec;
	if (ns > f->cap_step)
		ns = f->cap_step;
	mmf_trace_reset(&s->trace);
	for (size_t i = 0; i < nd; i++)
		mmf_trace_push(&s->trace, &f->dec[i]);
	s->log.n = 0;
	for (size_t i = 0; i < ns; i++) {
		if (s->log.n == s->log.cap) {
			size_t cap = s->log.cap ? s->log.cap * 2 : 256;
			struct mmf_step *e = realloc(s->log.e, cap * sizeof(*e));
			if (!e)
				mmf_internal("out of memory adopting a step log");
			s->log.e = e;
			s->log.cap = cap;
		}
		s->log.e[s->log.n++] = f->step[i];
	}
	/* Task names: from the end state if one was written; else the
	 * record only knows the ids seen in the log and the decisions. */
	int n = f->ntasks;
	for (size_t i = 0; i < ns; i++)
		if (f->step[i].task + 1 > n)
			n = f->step[i].task + 1;
	for (size_t i = 0; i < nd; i++)
		if (f->dec[i].task != 255 && f->dec[i].task + 1 > n)
			n = f->dec[i].task + 1;
	if (n > MMF_MAX_TASKS)
		n = MMF_MAX_TASKS;
	for (int i = 0; i < n; i++) {
		struct mmf_task *t = &s->tasks[i];
		memset(t, 0, sizeof(*t));
		t->id = i;
		t->s = s;
		if (i < f->ntasks) {
			memcpy(t->name, f->tasks[i].name, sizeof(t->name));
			t->flags = f->tasks[i].flags;
			t->state = (enum mmf_task_state)f->tasks[i].state;
			t->site = f->tasks[i].site;
		} else {
			snprintf(t->name, sizeof(t->name), "task");
			t->state = MMF_T_RUNNABLE;
		}
	}
	s->ntasks = n;
	s->report = f->report;
	s->failed = f->failed;
	s->status = (enum mmf_run_status)f->status;
	s->steps = f->steps;
	if (!s->steps && ns)
		s->steps = f->step[ns - 1].step;
	s->preemptions = f->preemptions;
	s->host_values = f->host_values;
}
