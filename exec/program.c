/* program.c - the "exec" program: the user's main under the controlled
 * scheduler, one fresh child process per execution (see exec_rt.h), and the
 * entry that turns a program built with mmfuzz-cc into the mmfuzz front
 * end when `mmfuzz ... --exec` starts it. */
#define _GNU_SOURCE
#include "exec_rt.h"
#include "decide.h"
#include "flight.h"
#include "guard.h"
#include "params.h"
#include "program.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int __real_main(int argc, char **argv, char **envp);
int __real_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int __real_pthread_join(pthread_t, void **);
_Noreturn void __real__exit(int);
int mmf_cli_main(int argc, char **argv);        /* fuzz/mmfuzz.c's main */
/* LeakSanitizer, when the program is built with ASan (mmfuzz-cc in the
 * asan build): a leak check where the program would exit. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
extern const char *mmf_cli_self;

/* `mmfuzz --exec` looks for this before it starts a program. */
__attribute__((used)) const char mmf_exec_marker[] = "MMFUZZ_EXEC_RUNTIME_1";

/* The random source's mix in exec mode: 80% of runs schedule by random
 * priorities (POS), and of the rest half switch at every decision and half
 * rarely.  Measured on the exec benchmark's programs (docs/benchmarks.md):
 * this mix found 9 of 10 bugs in fewer executions than half uniform, half
 * rare, and the runs without priorities keep what uniform and rare
 * switching find (many switches, or one task off the CPU for a whole
 * operation). */
#define MMF_EXEC_RANDOM_PRIO 80
#define MMF_EXEC_RANDOM_UNIFORM 50

static char self_path[4096];
static char build_hash[17];

/* ---- parameters --------------------------------------------------------- */
static const char *const points_items[] = {"all", "sync", NULL};
static const struct mmf_param_spec exec_spec[] = {
	{"path", MMF_P_TEXT, 0, 0, NULL, "path=FILE (the program, %-encoded)"},
	{"args", MMF_P_TEXT, 0, 0, NULL, "args=N:ARG,... (its arguments, %-encoded)"},
	{"build", MMF_P_TEXT, 0, 0, NULL, "build=HASH (of the binary)"},
	{"points", MMF_P_LIST, 0, 0, points_items, "points=all|sync"},
	{"exitfail", MMF_P_INT, 0, 1, NULL, "exitfail=0|1"},
	{"lockdep", MMF_P_INT, 0, 1, NULL, "lockdep=0|1"},
	{"output", MMF_P_INT, 0, 1, NULL, "output=0|1"},
	{"steps", MMF_P_INT, 100, MMF_DEFAULT_MAX_STEPS, NULL, "steps=100..200000"},
	{NULL, 0, 0, 0, NULL, NULL},
};

#define MAX_ARGS 256
struct xparams {
	int argc;
	char *argv[MAX_ARGS + 2];
	char store[8192];
	bool access, exitfail, lockdep, output;
	uint64_t steps;                 /* the hang budget: scheduling points a run */
	char build[64];
};

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._/+:@-", c);
}

static size_t encode(const char *in, char *out, size_t len, size_t off)
{
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (off + 4 >= len)
			break;
		if (plain_char(*p))
			out[off++] = (char)*p;
		else
			off += (size_t)snprintf(out + off, len - off, "%%%02X", *p);
	}
	out[off < len ? off : len - 1] = 0;
	return off;
}

static int parse(const char *params, struct xparams *x, char *err, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	char buf[8192], val[16];
	size_t used = 0;
	mmf_param(params, "path", buf, sizeof(buf));
	int n = mmf_pct_decode(buf, buf + strlen(buf), x->store, sizeof(x->store));
	if (n < 0) {
		snprintf(err, errlen, "parameter path=: bad %%-encoding");
		return -1;
	}
	x->argv[0] = x->store[0] ? x->store : self_path;
	used = (size_t)n + 1;
	mmf_param(params, "args", buf, sizeof(buf));
	if (buf[0]) {
		char *colon;
		long cnt = strtol(buf, &colon, 10);
		if (*colon != ':' || cnt < 1 || cnt > MAX_ARGS) {
			snprintf(err, errlen, "parameter args=: expected COUNT:ARG,... (1..%d arguments)",
				 MAX_ARGS);
			return -1;
		}
		const char *p = colon + 1;
		for (long i = 0; i < cnt; i++) {
			const char *e = strchr(p, ',');
			if (!e)
				e = p + strlen(p);
			if (i == cnt - 1 && *e) {
				snprintf(err, errlen, "parameter args=: more arguments than its count %ld", cnt);
				return -1;
			}
			if (i < cnt - 1 && !*e) {
				snprintf(err, errlen, "parameter args=: fewer arguments than its count %ld", cnt);
				return -1;
			}
			int k = mmf_pct_decode(p, e, x->store + used, sizeof(x->store) - used);
			if (k < 0) {
				snprintf(err, errlen, "parameter args=: bad %%-encoding or too long");
				return -1;
			}
			x->argv[1 + i] = x->store + used;
			used += (size_t)k + 1;
			p = *e ? e + 1 : e;
		}
		x->argc = 1 + (int)cnt;
	} else {
		x->argc = 1;
	}
	x->argv[x->argc] = NULL;
	mmf_param(params, "points", val, sizeof(val));
	x->access = strcmp(val, "sync") != 0;
	mmf_param(params, "exitfail", val, sizeof(val));
	x->exitfail = !strcmp(val, "1");
	mmf_param(params, "lockdep", val, sizeof(val));
	x->lockdep = !strcmp(val, "1");
	mmf_param(params, "output", val, sizeof(val));
	x->output = !strcmp(val, "1");
	mmf_param(params, "build", x->build, sizeof(x->build));
	mmf_param(params, "steps", val, sizeof(val));
	x->steps = val[0] ? strtoull(val, NULL, 10) : MMF_DEFAULT_MAX_STEPS;
	return 0;
}

static int exec_setup(struct mmf_sched *s, const char *params, char *err, size_t errlen)
{
	(void)s;
	struct xparams x;
	return parse(params, &x, err, errlen);
}

/* ---- the decision log: the child's decisions, for the parent's source ---- */
struct xlog_ent {
	uint8_t op;                     /* 'p' pick, 'v' value, 'f' fault */
	uint8_t at_task;
	const struct mmf_site *at;
	const void *at_obj;
	uint64_t arg, res;
	struct mmf_choice c;
};

/* The child's decisions for the parent's source; the run's result goes in
 * the flight record (mmf_flight_end), as for any supervised execution. */
struct xshared {
	size_t nlog, caplog;
	int overflow;
	struct xlog_ent log[];
};

static struct xshared *sh;
static struct mmf_flight *own_flight;

static void log_push(const struct xlog_ent *e)
{
	if (sh->nlog == sh->caplog) {
		sh->overflow = 1;
		return;
	}
	sh->log[sh->nlog] = *e;
	__atomic_store_n(&sh->nlog, sh->nlog + 1, __ATOMIC_RELEASE);
}

struct proxy {
	struct mmf_decider base;
	struct mmf_decider *real;
};

static void pass_at(struct proxy *p)
{
	p->real->at = p->base.at;
	p->real->at_task = p->base.at_task;
	p->real->at_obj = p->base.at_obj;
}

static void take_forced(struct proxy *p)
{
	p->base.forced = p->real->forced;
	if (p->real->forced != MMF_RUN_CLEAN)
		memcpy(p->base.why, p->real->why, sizeof(p->base.why));
}

static int proxy_pick(struct mmf_decider *d, const struct mmf_choice *c)
{
	struct proxy *p = (struct proxy *)d;
	pass_at(p);
	int r = p->real->ops->pick(p->real, c);
	take_forced(p);
	log_push(&(struct xlog_ent){.op = 'p', .at_task = d->at_task, .at = d->at, .at_obj = d->at_obj,
				    .res = (uint64_t)r, .c = *c});
	return r;
}

static uint64_t proxy_value(struct mmf_decider *d, uint64_t bound)
{
	struct proxy *p = (struct proxy *)d;
	pass_at(p);
	uint64_t r = p->real->ops->value(p->real, bound);
	take_forced(p);
	log_push(&(struct xlog_ent){.op = 'v', .at_task = d->at_task, .at = d->at, .at_obj = d->at_obj,
				    .arg = bound, .res = r});
	return r;
}

static bool proxy_fault(struct mmf_decider *d, unsigned rate)
{
	struct proxy *p = (struct proxy *)d;
	pass_at(p);
	bool r = p->real->ops->fault(p->real, rate);
	take_forced(p);
	log_push(&(struct xlog_ent){.op = 'f', .at_task = d->at_task, .at = d->at, .at_obj = d->at_obj,
				    .arg = rate, .res = r});
	return r;
}

static const struct mmf_decider_ops proxy_ops = {
	.name = "exec-child", .pick = proxy_pick, .value = proxy_value, .fault = proxy_fault,
};

/* The parent's source answers the child's questions again, in order: it
 * ends in the state the child's copy ended in. */
static void refeed(struct mmf_decider *d)
{
	size_t n = __atomic_load_n(&sh->nlog, __ATOMIC_ACQUIRE);
	for (size_t i = 0; i < n; i++) {
		const struct xlog_ent *e = &sh->log[i];
		d->at = e->at;
		d->at_task = e->at_task;
		d->at_obj = e->at_obj;
		uint64_t r;
		switch (e->op) {
		case 'p':
			r = (uint64_t)d->ops->pick(d, &e->c);
			break;
		case 'v':
			r = d->ops->value(d, e->arg);
			break;
		default:
			r = d->ops->fault(d, (unsigned)e->arg);
			break;
		}
		if (r != e->res)
			mmf_internal("exec: decision source '%s' answered decision %zu differently in "
				     "the parent (%llu, child %llu)%s%s",
				     d->ops->name, i, (unsigned long long)r, (unsigned long long)e->res,
				     d->forced ? ": " : "", d->forced ? d->why : "");
	}
}

/* ---- one execution ------------------------------------------------------- */
static struct xparams cur;

static void main_task(void *arg)
{
	(void)arg;
	extern char **environ;
	mmf_exec_main_task(__real_main, cur.argc, cur.argv, environ);
}

/* The program's side of an execution's start: its stdout (kept only with
 * output=1) and its points. */
static void begin_program(void)
{
	if (!cur.output) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 1);
			close(fd);
		}
	}
	mmf_exec_access_points = cur.access;
	mmf_exec_threads_reset();
}

/* The checks where the program has exited: a leak (LeakSanitizer, in an
 * ASan build) and, when asked, a non-zero exit status. */
static enum mmf_run_status after_run(struct mmf_sched *s, enum mmf_run_status st)
{
	if (st == MMF_RUN_CLEAN && !s->failed && __lsan_do_recoverable_leak_check) {
		/* the program has exited: what it allocated and can no longer
		 * reach is a leak, as LSan would say at a real exit */
		fflush(NULL);
		if (__lsan_do_recoverable_leak_check()) {
			mmf_fail(MMF_FAIL_LEAK, NULL, NULL,
				 "LeakSanitizer: the program leaked memory (its report is above)");
			st = MMF_RUN_FAILED;
		}
	}
	if (st == MMF_RUN_CLEAN && !s->failed && cur.exitfail && mmf_exec_exit_code > 0) {
		mmf_fail(MMF_FAIL_EXIT, NULL, NULL, "exit-status: the program exited with status %d",
			 mmf_exec_exit_code);
		st = MMF_RUN_FAILED;
	}
	return st;
}

static _Noreturn void child(struct mmf_sched *s, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		__real__exit(0);
	begin_program();
	s->opts.no_lockdep = !cur.lockdep;
	/* The child answers with a copy of the parent's source, in memory of
	 * its own even where the parent keeps its source in shared memory. */
	size_t size = s->dec->ops->size;
	if (!size)
		mmf_internal("exec: decision source '%s' cannot drive exec mode", s->dec->ops->name);
	struct mmf_decider *copy = malloc(size);
	if (!copy)
		mmf_internal("exec: out of memory");
	memcpy(copy, s->dec, size);
	struct proxy p = {.base = {.ops = &proxy_ops}, .real = copy};
	s->dec = &p.base;
	mmf_spawn(s, "main", 0, main_task, NULL);
	enum mmf_run_status st = after_run(s, mmf_sched_run(s));
	mmf_flight_end(s->flight, s, st);
	fflush(NULL);
	__real__exit(0);
}

static enum mmf_run_status exec_run(struct mmf_sched *s, const char *params, char *err,
				    size_t errlen, int *bad)
{
	if (parse(params, &cur, err, errlen)) {
		*bad = 1;
		return MMF_RUN_CLEAN;
	}
	static bool warned;
	if (!warned && cur.build[0] && strcmp(cur.build, build_hash)) {
		warned = true;
		fprintf(stderr, "mmfuzz: warning: the run was recorded with build %s of the program; "
				"this is build %s (sites and decisions may differ)\n",
			cur.build, build_hash);
	}
	if (!sh) {
		size_t cap = MMF_FLIGHT_CAP;
		size_t size = sizeof(*sh) + cap * sizeof(struct xlog_ent);
		void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (m == MAP_FAILED)
			mmf_internal("exec: cannot map the decision log");
		sh = m;
		sh->caplog = cap;
	}
	if (!s->flight) {
		/* the child records where this process can read it */
		if (!own_flight)
			own_flight = mmf_flight_new(MMF_FLIGHT_CAP);
		if (!own_flight)
			mmf_internal("exec: cannot map a flight record");
		mmf_sched_use_flight(s, own_flight);
	}
	struct mmf_flight *f = s->flight;
	mmf_random_src_mix(s->dec, MMF_EXEC_RANDOM_UNIFORM, MMF_EXEC_RANDOM_PRIO);
	mmf_pct_src_programs(s->dec, true);
	s->opts.max_steps = cur.steps;
	mmf_sched_reset(s);
	mmf_flight_begin(f, "exec", params);
	sh->nlog = 0;
	sh->overflow = 0;
	fflush(stdout);
	fflush(stderr);
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0)
		mmf_internal("exec: fork: %s", strerror(errno));
	if (pid == 0)
		child(s, self);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			mmf_internal("exec: waitpid: %s", strerror(errno));
	if (sh->overflow)
		mmf_internal("exec: the decision log overflowed");
	refeed(s->dec);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && f->end == MMF_FLIGHT_RETURNED)) {
		/* The execution ended its process: a crash, a sanitizer's
		 * report, the watchdog.  The child noted it in the flight
		 * record; this process ends the same way, for its supervisor. */
		if (WIFSIGNALED(st)) {
			signal(WTERMSIG(st), SIG_DFL);
			raise(WTERMSIG(st));
		}
		if (f->end == MMF_FLIGHT_DIED || (WIFEXITED(st) && WEXITSTATUS(st)))
			__real__exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
		mmf_internal("exec: the execution's process ended (status %#x) without a result", st);
	}
	/* the run as the child left it in the flight record */
	s->failed = f->failed;
	s->report = f->report;
	s->steps = f->steps;
	s->preemptions = f->preemptions;
	s->ntasks = f->ntasks;
	for (int i = 0; i < f->ntasks; i++) {
		struct mmf_task *t = &s->tasks[i];
		memset(t, 0, sizeof(*t));
		t->id = i;
		t->s = s;
		memcpy(t->name, f->tasks[i].name, sizeof(t->name));
		t->flags = f->tasks[i].flags;
		t->state = (enum mmf_task_state)f->tasks[i].state;
	}
	s->trace.n = f->ndec;
	s->trace.truncated = f->truncated;
	s->log.n = f->nstep;
	enum mmf_run_status out = (enum mmf_run_status)f->status;
	if (s->dec->forced != MMF_RUN_CLEAN)
		out = s->dec->forced;
	if (s->dec->ops->end)
		s->dec->ops->end(s->dec, out);
	if (s->dec->forced != MMF_RUN_CLEAN)
		out = s->dec->forced;
	s->status = out;
	mmf_flight_end(f, s, out);
	return out;
}

static const struct mmf_program exec_program = {
	.name = "exec",
	.param_spec = exec_spec,
	.summary = "a program built with mmfuzz-cc (mmfuzz CMD ... --exec PROG ARGS)",
	.params_help = "points=all|sync exitfail=0|1 lockdep=0|1 output=0|1 steps=100..200000",
	.default_params = "",
	.expect = NULL,
	.setup = exec_setup,
	.run = exec_run,
};

/* ---- the entry ------------------------------------------------------------ */

/* FNV-1a over the binary: the build in a reproducer's header. */
static void hash_self(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		unsigned char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++)
				h = (h ^ buf[i]) * 0x100000001b3ull;
		close(fd);
	}
	snprintf(build_hash, sizeof(build_hash), "%016llx", (unsigned long long)h);
}

static bool takes_program(const char *cmd)
{
	return !strcmp(cmd, "run") || !strcmp(cmd, "explore") || !strcmp(cmd, "hunt");
}

static void set_up(bool one)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0) {
		fprintf(stderr, "mmfuzz: cannot read /proc/self/exe\n");
		exit(2);
	}
	self_path[n] = 0;
	if (!one)
		hash_self();
	else
		snprintf(build_hash, sizeof(build_hash), "-");
	mmf_exec_sites_init(!one);
	mmf_fiber_use_threads((mmf_thread_create_fn)__real_pthread_create,
			      (mmf_thread_join_fn)__real_pthread_join, MMF_EXEC_STACK, true,
			      mmf_sched_forget_thread);
	mmf_extra_program = &exec_program;
}

/* The program's own parameters: where it is, its arguments, its build. */
static char *my_params(int argc, char **argv)
{
	static char mine[16384];
	size_t off = (size_t)snprintf(mine, sizeof(mine), "path=");
	off = encode(self_path, mine, sizeof(mine), off);
	off += (size_t)snprintf(mine + off, sizeof(mine) - off, " build=%s", build_hash);
	if (argc > 1) {
		off += (size_t)snprintf(mine + off, sizeof(mine) - off, " args=%d:", argc - 1);
		for (int i = 1; i < argc; i++) {
			off = encode(argv[i], mine, sizeof(mine), off);
			if (i < argc - 1 && off + 1 < sizeof(mine))
				mine[off++] = ',', mine[off] = 0;
		}
	}
	return mine;
}

/* MMFUZZ_EXEC_INPUT=FILE (or - for stdin): one execution whose decisions
 * come from the file's bytes (the input source), for a fuzzer's own fork
 * server (AFL++: the bytes on stdin are the decision stream).  A failure
 * ends the process with SIGABRT after its report, as a crash would. */
static int one_input(const char *file, int argc, char **argv)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "mmfuzz: MMFUZZ_EXEC_INPUT=%s: %s\n", file, strerror(errno));
		return 2;
	}
	static uint8_t buf[1 << 16];
	size_t len = fread(buf, 1, sizeof(buf), f);
	if (f != stdin)
		fclose(f);
	char params[20000];
	const char *extra = getenv("MMFUZZ_PARAMS");
	snprintf(params, sizeof(params), "%s%s%s", my_params(argc, argv), extra ? " " : "",
		 extra ? extra : "");
	char err[300];
	if (mmf_params_check(params, exec_spec, err, sizeof(err)) ||
	    parse(params, &cur, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: %s\n", err);
		return 2;
	}
	/* The fuzzer forked this process for this one execution: it runs
	 * here, with no child of its own.  A crash ends the process itself. */
	struct mmf_input_src in;
	mmf_input_src_init(&in, buf, len);
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS, .no_lockdep = !cur.lockdep,
				    .max_steps = cur.steps};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, &in.base);
	mmf_sched_reset(&s);
	begin_program();
	mmf_spawn(&s, "main", 0, main_task, NULL);
	enum mmf_run_status st = mmf_sched_run(&s);
	st = after_run(&s, st);
	if (st == MMF_RUN_FAILED || s.failed) {
		mmf_report_print(&s, stderr);
		fflush(stderr);
		abort();
	}
	fflush(NULL);
	__real__exit(0);
}

int __wrap_main(int argc, char **argv, char **envp)
{
	const char *input = getenv("MMFUZZ_EXEC_INPUT");
	const char *front = getenv("MMFUZZ_EXEC_FRONT");
	if (input && !front) {
		set_up(true);
		return one_input(input, argc, argv);
	}
	if (!front)
		return __real_main(argc, argv, envp);   /* started on its own: runs natively */
	/* kept reachable: LeakSanitizer looks at this process's exit too */
	static char *copy, **fargv, **nargv;
	copy = strdup(front);
	unsetenv("MMFUZZ_EXEC_FRONT");
	if (!copy) {
		fprintf(stderr, "mmfuzz: out of memory\n");
		return 2;
	}
	set_up(false);

	/* the front end's words, separated by 0x1f */
	int fargc = 0;
	fargv = calloc(strlen(copy) + 2, sizeof(char *));
	if (!fargv)
		return 2;
	for (char *p = copy;;) {
		char *e = strchr(p, '\x1f');
		fargv[fargc++] = p;
		if (!e)
			break;
		*e = 0;
		p = e + 1;
	}
	if (fargc == 1 && !fargv[0][0])
		fargc = 0;
	char *mine = my_params(argc, argv);
	nargv = calloc((size_t)fargc + 6, sizeof(char *));
	if (!nargv)
		return 2;
	int k = 0;
	nargv[k++] = "mmfuzz";
	bool prog = fargc > 0 && takes_program(fargv[0]);
	bool merged = false;
	for (int i = 0; i < fargc; i++) {
		nargv[k++] = fargv[i];
		if (i == 0 && prog)
			nargv[k++] = "exec";
		if (prog && i > 0 && !strcmp(fargv[i], "--params") && i + 1 < fargc) {
			size_t len = strlen(fargv[i + 1]) + strlen(mine) + 2;
			static char *m;
			m = malloc(len);
			if (!m)
				return 2;
			snprintf(m, len, "%s %s", mine, fargv[i + 1]);
			nargv[k++] = m;
			i++;
			merged = true;
		}
	}
	if (prog && !merged) {
		nargv[k++] = "--params";
		nargv[k++] = mine;
	}
	nargv[k] = NULL;
	if (fargc > 0 && !strcmp(fargv[0], "stress")) {
		fprintf(stderr, "mmfuzz: stress: not available with --exec (it runs the model on "
				"real threads without the controlled scheduler)\n");
		return 2;
	}
	return mmf_cli_main(k, nargv);
}

/* _exit and _Exit from the program end its run like exit. */
_Noreturn void __wrap__exit(int code)
{
	if (!mmf_exec_active())
		__real__exit(code);
	mmf_exec_exit_code = code & 0xff;
	mmf_end_run();
}
