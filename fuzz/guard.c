/* guard.c - supervised execution; see guard.h. */
#define _GNU_SOURCE
#include "guard.h"
#include "decide.h"
#include "harness.h"
#include "sanitizer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define TIMEOUT_SIGNAL SIGUSR2
#define TIMEOUT_EXIT 124

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
#define NFATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/* ---- fatal signals ---------------------------------------------------------------- */

static struct sigaction old_action[NFATAL];
static void (*fatal_note)(int sig, const void *addr);

static int fatal_index(int sig)
{
	for (size_t i = 0; i < NFATAL; i++)
		if (fatal_signals[i] == sig)
			return (int)i;
	return -1;
}

/* Note the crash, then let whoever handled the signal before us (a
 * sanitizer or an engine prints its report) or the default action end the
 * process. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	if (fatal_note)
		fatal_note(sig, si ? si->si_addr : NULL);
	int i = fatal_index(sig);
	if (i >= 0) {
		struct sigaction *o = &old_action[i];
		if ((o->sa_flags & SA_SIGINFO) && o->sa_sigaction)
			o->sa_sigaction(sig, si, uc);
		else if (!(o->sa_flags & SA_SIGINFO) && o->sa_handler != SIG_DFL &&
			 o->sa_handler != SIG_IGN)
			o->sa_handler(sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_timeout(int sig)
{
	(void)sig;
	mmf_flight_note_timeout();
	_exit(TIMEOUT_EXIT);
}

#if MMF_ASAN || MMF_TSAN
static char sanitizer_line[400];
#endif

#if MMF_ASAN
/* ASan hands us the report text before it ends the process: keep its
 * "ERROR: AddressSanitizer: ..." line for the finding's report. */
static void on_sanitizer_report(const char *text)
{
	const char *e = text ? strstr(text, "ERROR: ") : NULL;
	if (!e)
		return;
	e += 7;
	size_t n = strcspn(e, "\n");
	if (n >= sizeof(sanitizer_line))
		n = sizeof(sanitizer_line) - 1;
	memcpy(sanitizer_line, e, n);
	sanitizer_line[n] = 0;
}
#endif

#if MMF_ASAN || MMF_TSAN
static void on_sanitizer_death(void)
{
	mmf_flight_note_sanitizer(mmf_sanitizer_class(), sanitizer_line[0] ? sanitizer_line :
				  MMF_ASAN ? "AddressSanitizer ended the process (see its report)" :
					     "ThreadSanitizer ended the process (see its report)");
}
#endif

#if MMF_TSAN
/* Every TSan report is a finding of the execution that made it: after TSan
 * prints a report the child notes it in the flight record and ends, even
 * when the user's TSAN_OPTIONS say halt_on_error=0 (a report that only
 * prints would be lost, and later ones would no longer be tied to one
 * execution). */
static void on_tsan_report(void)
{
	snprintf(sanitizer_line, sizeof(sanitizer_line), "ThreadSanitizer: %s (its report is above)",
		 mmf_tsan_report_kind()[0] ? mmf_tsan_report_kind() : "report");
	on_sanitizer_death();
	_exit(66);      /* TSan's own exit code */
}

/* halt_on_error=1 as well, for reports outside a supervised child.
 * atexit_sleep_ms=0: each supervised child exits at once (TSan would wait
 * a second for stray reports). */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "halt_on_error=1:atexit_sleep_ms=0"; }
#endif

static void note_ubsan(const char *line) { mmf_flight_note_sanitizer("crash", line); }
static void (*ubsan_hook)(const char *line) = note_ubsan;

void mmf_guard_on_ubsan(void (*hook)(const char *line)) { ubsan_hook = hook; }

#if MMF_UBSAN
/* A UBSan report (fatal in these builds: -fno-sanitize-recover): note it
 * before the runtime ends the process. */
void __ubsan_on_report(void);
void __ubsan_on_report(void)
{
	const char *kind = "", *msg = "", *file = "";
	unsigned line = 0, col = 0;
	char *addr = NULL;
	__ubsan_get_current_report_data(&kind, &msg, &file, &line, &col, &addr);
	char text[400];
	const char *base = file ? strrchr(file, '/') : NULL;
	snprintf(text, sizeof(text), "UndefinedBehaviorSanitizer: %s: %s at %s:%u", kind, msg,
		 base ? base + 1 : file ? file : "?", line);
	if (ubsan_hook)
		ubsan_hook(text);
}
#endif

void mmf_guard_catch_fatal(void (*note)(int sig, const void *addr))
{
	/* Handlers run on their own stack: a fiber's stack overflow hits its
	 * guard page with no stack left to run on. */
	static char altstack[64 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	sigaltstack(&ss, NULL);
	fatal_note = note;
	for (size_t i = 0; i < NFATAL; i++) {
		struct sigaction sa = {0};
		sa.sa_sigaction = on_fatal;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, &old_action[i]);
	}
}

/* ---- the child's side ---------------------------------------------------------- */

void mmf_guard_child_init(void)
{
	mmf_guard_catch_fatal(mmf_flight_note_signal);
	struct sigaction to = {0};
	to.sa_handler = on_timeout;
	to.sa_flags = SA_ONSTACK;
	sigemptyset(&to.sa_mask);
	sigaction(TIMEOUT_SIGNAL, &to, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
#if MMF_ASAN
	__asan_set_error_report_callback(on_sanitizer_report);
#endif
#if MMF_ASAN || MMF_TSAN
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif
#if MMF_TSAN
	mmf_on_tsan_report(on_tsan_report);
#endif
}

pid_t mmf_guard_spawn(void (*fn)(void *), void *ctx, int stderr_fd)
{
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		mmf_internal("fork failed: %s", strerror(errno));
	if (pid)
		return pid;
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
#else
	(void)parent;
#endif
	if (stderr_fd >= 0)
		dup2(stderr_fd, 2);
	mmf_guard_child_init();
	fn(ctx);
	fflush(NULL);
	_exit(0);
}

/* ---- the parent's side ---------------------------------------------------------- */

bool mmf_guard_overdue(const struct mmf_flight *f, unsigned timeout_ms, int64_t now)
{
	if (!timeout_ms || !__atomic_load_n(&f->in_exec, __ATOMIC_ACQUIRE))
		return false;
	return now - f->start_ns > (int64_t)timeout_ms * 1000000;
}

int64_t mmf_guard_signal_timeout(pid_t pid, struct mmf_flight *f, unsigned timeout_ms)
{
	f->timeout_ms = timeout_ms;
	kill(pid, TIMEOUT_SIGNAL);
	return mmf_flight_now_ns() + (int64_t)MMF_GUARD_GRACE_MS * 1000000;
}

static bool outside_kill(int sig)
{
	return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
	       sig == SIGQUIT || sig == SIGUSR1 || sig == SIGALRM || sig == SIGPIPE;
}

/* The last place the task stood, from the step log. */
static const struct mmf_site *last_site(const struct mmf_flight *f, int task, uint64_t *step)
{
	size_t n = __atomic_load_n(&f->nstep, __ATOMIC_ACQUIRE);
	for (size_t i = n; i-- > 0;)
		if (task < 0 || f->step[i].task == task) {
			*step = f->step[i].step;
			return f->step[i].site;
		}
	return NULL;
}

/* The child died without writing its report: write what we know. */
static void fill_report(struct mmf_flight *f, enum mmf_fail_class cls, const char *line)
{
	int task = f->running;
	uint64_t step = 0;
	const struct mmf_site *site = task >= 0 ? last_site(f, task, &step) : NULL;
	if (task >= 0 && task < f->ntasks && !site)
		site = f->tasks[task].site;
	struct mmf_report *r = &f->report;
	memset(r, 0, sizeof(*r));
	r->cls = cls;
	r->task = task;
	r->site = site;
	r->step = step;
	int n = snprintf(r->text, sizeof(r->text), "%s", line);
	if (task >= 0 && n >= 0 && (size_t)n < sizeof(r->text))
		n += snprintf(r->text + n, sizeof(r->text) - (size_t)n, "\n  in task %d '%s'", task,
			      task < f->ntasks ? f->tasks[task].name : "?");
	if (site && n >= 0 && (size_t)n < sizeof(r->text))
		snprintf(r->text + n, sizeof(r->text) - (size_t)n,
			 "\n  its last scheduling point: %s:%d %s(), step %llu", mmf_site_file(site),
			 site->line, site->func, (unsigned long long)step);
	f->failed = 1;
	f->status = MMF_RUN_FAILED;
	f->end = MMF_FLIGHT_DIED;
}

void mmf_guard_classify(int status, struct mmf_flight *f, bool we_timed_out,
			struct mmf_guard_end *e)
{
	memset(e, 0, sizeof(*e));
	bool in_exec = __atomic_load_n(&f->in_exec, __ATOMIC_ACQUIRE);
	bool noted = f->end == MMF_FLIGHT_DIED;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	e->sig = sig;
	if (f->internal) {
		e->how = MMF_GUARD_INTERNAL;
		snprintf(e->why, sizeof(e->why), "internal error in a child process (its message is above)");
		return;
	}
	if (we_timed_out) {
		e->how = MMF_GUARD_FAILED;
		e->timeout = true;
		if (!noted || f->report.cls != MMF_FAIL_TIMEOUT) {
			char line[160];
			snprintf(line, sizeof(line), "timeout: the execution ran longer than %u ms and did "
				 "not answer the watchdog", f->timeout_ms);
			fill_report(f, MMF_FAIL_TIMEOUT, line);
		}
		return;
	}
	if (sig && outside_kill(sig) && !noted) {
		e->how = MMF_GUARD_KILLED;
		snprintf(e->why, sizeof(e->why), "killed from outside by signal %d (%s)%s", sig,
			 strsignal(sig), sig == SIGKILL ? ": a person or the OOM killer" : "");
		return;
	}
	if (sig) {
		if (noted || in_exec) {
			e->how = MMF_GUARD_FAILED;
			if (!noted) {
				char line[160];
				snprintf(line, sizeof(line), "crash: signal %d (%s); the process died "
					 "before it could note where", sig, strsignal(sig));
				fill_report(f, MMF_FAIL_CRASH, line);
			}
			return;
		}
		e->how = MMF_GUARD_INTERNAL;
		snprintf(e->why, sizeof(e->why), "a child process died of signal %d (%s) outside any "
			 "execution", sig, strsignal(sig));
		return;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	e->exit_code = code;
	if (noted) {
		e->how = MMF_GUARD_FAILED;      /* a sanitizer's report, then its exit */
		return;
	}
	if (in_exec) {
		char line[160];
		snprintf(line, sizeof(line), "crash: the process exited with status %d in the middle "
			 "of an execution", code);
		fill_report(f, MMF_FAIL_CRASH, line);
		e->how = MMF_GUARD_FAILED;
		return;
	}
	e->how = MMF_GUARD_DONE;
}

/* ---- interrupts ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) { interrupted = sig; }

void mmf_guard_catch_interrupts(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int mmf_guard_interrupted(void) { return interrupted; }

/* ---- waiting ---------------------------------------------------------------------- */

static void nap(int64_t ns)
{
	struct timespec ts = {ns / 1000000000, ns % 1000000000};
	nanosleep(&ts, NULL);
}

void mmf_guard_wait(pid_t pid, struct mmf_flight *f, unsigned timeout_ms, struct mmf_guard_end *e)
{
	bool timed_out = false;
	int64_t kill_at = 0, pause = 20000;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			mmf_guard_classify(st, f, timed_out, e);
			return;
		}
		if (r < 0 && errno != EINTR)
			mmf_internal("waitpid: %s", strerror(errno));
		if (interrupted) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			memset(e, 0, sizeof(*e));
			e->how = MMF_GUARD_KILLED;
			snprintf(e->why, sizeof(e->why), "interrupted");
			return;
		}
		int64_t now = mmf_flight_now_ns();
		if (!timed_out && mmf_guard_overdue(f, timeout_ms, now)) {
			kill_at = mmf_guard_signal_timeout(pid, f, timeout_ms);
			timed_out = true;
		} else if (timed_out && now > kill_at) {
			kill(pid, SIGKILL);
		}
		nap(pause);
		if (pause < 5000000)
			pause *= 2;
	}
}

void mmf_guard_adopt(const struct mmf_flight *f, struct mmf_sched *s)
{
	struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS, .record = true, .log = true};
	mmf_sched_init(s, &o, NULL);
	mmf_flight_adopt(f, s);
}

struct repro_ctx {
	const struct mmf_program *p;
	char params[1200];
	const struct mmf_decision *d;
	size_t n;
	struct mmf_flight *f;
};

static void repro_child(void *arg)
{
	struct repro_ctx *c = arg;
	struct mmf_replay_src rs;
	mmf_replay_src_init(&rs, c->d, c->n);
	struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS, .record = true, .log = true};
	struct mmf_sched s;
	mmf_sched_init(&s, &o, &rs.base);
	mmf_sched_use_flight(&s, c->f);
	int bad;
	char err[256];
	mmf_run_program(&s, c->p, c->params, err, sizeof(err), &bad);
	if (bad)
		_exit(2);
	/* a re-execution that left the recorded decisions says why */
	if (s.status == MMF_RUN_DIVERGED)
		snprintf(c->f->report.text, sizeof(c->f->report.text), "%s", rs.base.why);
}

void mmf_guard_reproduce_start(struct mmf_repro_job *j, const struct mmf_program *p,
			       const char *params, const struct mmf_decision *d, size_t n,
			       unsigned timeout_ms, int stderr_fd)
{
	memset(j, 0, sizeof(*j));
	struct repro_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		mmf_internal("out of memory");
	j->f = mmf_flight_new(n + MMF_FLIGHT_CAP);
	c->p = p;
	snprintf(c->params, sizeof(c->params), "%s", params ? params : "");
	c->d = d;
	c->n = n;
	c->f = j->f;
	j->ctx = c;
	j->timeout_ms = timeout_ms;
	j->pid = mmf_guard_spawn(repro_child, c, stderr_fd);
}

static void job_free(struct mmf_repro_job *j)
{
	mmf_flight_free(j->f);
	free(j->ctx);
	j->f = NULL;
	j->ctx = NULL;
	j->pid = 0;
}

bool mmf_guard_reproduce_poll(struct mmf_repro_job *j, struct mmf_sched *s,
			      struct mmf_guard_end *e)
{
	int st;
	pid_t r = waitpid(j->pid, &st, WNOHANG);
	if (r == j->pid) {
		mmf_guard_classify(st, j->f, j->timed_out, e);
		mmf_guard_adopt(j->f, s);
		job_free(j);
		return true;
	}
	int64_t now = mmf_flight_now_ns();
	if (!j->timed_out && mmf_guard_overdue(j->f, j->timeout_ms, now)) {
		j->kill_at = mmf_guard_signal_timeout(j->pid, j->f, j->timeout_ms);
		j->timed_out = true;
	} else if (j->timed_out && now > j->kill_at) {
		kill(j->pid, SIGKILL);
	}
	return false;
}

void mmf_guard_reproduce_cancel(struct mmf_repro_job *j)
{
	if (!j->pid)
		return;
	kill(j->pid, SIGKILL);
	waitpid(j->pid, NULL, 0);
	job_free(j);
}

void mmf_guard_reproduce(const struct mmf_program *p, const char *params,
			 const struct mmf_decision *d, size_t n, unsigned timeout_ms, int stderr_fd,
			 struct mmf_sched *s, struct mmf_guard_end *e)
{
	struct mmf_repro_job j;
	mmf_guard_reproduce_start(&j, p, params, d, n, timeout_ms, stderr_fd);
	mmf_guard_wait(j.pid, j.f, timeout_ms, e);
	mmf_guard_adopt(j.f, s);
	job_free(&j);
}
