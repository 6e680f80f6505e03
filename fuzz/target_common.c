/* target_common.c - see target_common.h.
 *
 * A reproducer for every way an input can end the process, written before
 * it ends:
 *   - a model check: mmf_target_run saves it, the caller aborts;
 *   - an AddressSanitizer report (SEGV under ASan included): ASan's report
 *     callback, which neither libFuzzer nor AFL++ takes over (libFuzzer
 *     replaces the death callback, so that one cannot be used);
 *   - a native fatal signal: handlers installed at the first input, after
 *     the engine's own, which they chain to;
 *   - an input that runs longer than MMFUZZ_TIMEOUT_MS: a watchdog thread
 *     saves it as a timeout and aborts, so the engine keeps the input too.
 * The signal and watchdog paths write with write(2) only (no stdio, no
 * allocation). */
#define _GNU_SOURCE
#include "target_common.h"
#include "guard.h"
#include "mutator.h"
#include "repro.h"
#include "search.h"
#include "sanitizer.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if MMF_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define DEFAULT_TIMEOUT_MS 2000

static struct mmf_harness *cur_h;
static uint32_t want;           /* MMFUZZ_WANT: classes that count (0: all) */
static const uint8_t *volatile cur_data;
static volatile size_t cur_size;
static int64_t exec_start;      /* ns; 0: no input running */
static unsigned timeout_ms = DEFAULT_TIMEOUT_MS;
static volatile int saved;      /* this input's reproducer is written */
static char repro_dir[4096] = ".";
static bool repro_off;
static uint64_t stat_execs, stat_steps;  /* for MMFUZZ_STATS_FILE, since the last line */
static uint64_t stat_shape_runs;         /* runs the mutator made to learn a shape */
static const char *stats_path;

/* MMFUZZ_STATS_FILE: append "executions scheduling-points shape-runs"
 * (shape runs: the mutator's own runs of inputs whose shape it did not
 * know, see mmf_target_shape) done since the
 * last line, every 512 executions, before a failure ends the process and at exit (the benchmark's
 * scheduling points per second under the engines, afl.sh's progress line:
 * AFL++ runs many processes and updates its own counts once a minute;
 * every line adds up). */
static void write_stats(void)
{
	if (!stats_path || !stat_execs)
		return;
	int fd = open(stats_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	char line[96];
	int n = snprintf(line, sizeof(line), "%llu %llu %llu\n", (unsigned long long)stat_execs,
			 (unsigned long long)stat_steps, (unsigned long long)stat_shape_runs);
	if (n > 0 && write(fd, line, (size_t)n) == n)
		stat_execs = stat_steps = stat_shape_runs = 0;
	close(fd);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

MMF_WRAPS static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void say(const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	for (int i = 0; i < 3; i++)
		if (parts[i] && write(2, parts[i], strlen(parts[i])) < 0)
			return;
}

/* Write this input's reproducer (once per input): async-signal-safe. */
static void save(const char *result, const char *sig)
{
	struct mmf_harness *h = cur_h;
	const uint8_t *data = cur_data;
	if (repro_off || !h || !data || __atomic_exchange_n(&saved, 1, __ATOMIC_ACQ_REL))
		return;
	static struct mmf_repro r;
	memset(&r, 0, sizeof(r));
	snprintf(r.program, sizeof(r.program), "%s", h->prog->name);
	snprintf(r.params, sizeof(r.params), "%s", h->params);
	mmf_param(h->params, "bugs", r.variants, sizeof(r.variants));
	snprintf(r.build, sizeof(r.build), "%s", mmf_build_info());
	snprintf(r.result, sizeof(r.result), "%s", result);
	snprintf(r.signature, sizeof(r.signature), "%s", sig);
	for (char *c = r.signature; *c; c++)
		if (*c == '\n')
			*c = ' ';
	r.input = (uint8_t *)data;
	r.len = cur_size > MMF_INPUT_MAX ? MMF_INPUT_MAX : cur_size;
	static char text[3 * sizeof(struct mmf_repro) + 2 * MMF_INPUT_MAX + MMF_INPUT_MAX / 32 + 64];
	size_t n = mmf_repro_format(text, sizeof(text), &r);
	static char path[4200];
	static const char hex[] = "0123456789abcdef";
	uint64_t x = fnv(r.input, r.len);
	char name[40] = "/mmfuzz-";
	for (int i = 0; i < 16; i++)
		name[8 + i] = hex[(x >> (60 - 4 * i)) & 15];
	memcpy(name + 24, ".repro", 7);
	size_t dl = strlen(repro_dir);
	memcpy(path, repro_dir, dl);
	memcpy(path + dl, name, strlen(name) + 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || !n || write(fd, text, n) != (ssize_t)n || fsync(fd)) {
		say("mmfuzz: cannot write reproducer ", path, "\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	say("mmfuzz: reproducer: ", path, "\n");
	say("mmfuzz: replay: mmfuzz replay ", path, "\n");
}

/* ---- sanitizer reports ----------------------------------------------------------- */

#if MMF_ASAN
static void on_asan_report(const char *text)
{
	(void)text;
	char sig[600];
	const char *cls = mmf_sanitizer_death_signature(cur_h ? cur_h->params : "", sig, sizeof(sig));
	save(cls, sig);
}
#endif

static void on_ubsan(const char *line)
{
	char sig[600], bugs[256];
	mmf_param(cur_h ? cur_h->params : "", "bugs", bugs, sizeof(bugs));
	const struct mmf_task *t = mmf_current();
	const struct mmf_site *site = t ? t->site : NULL;
	snprintf(sig, sizeof(sig), "crash|%s|%s:%d %s|%s", bugs[0] ? bugs : "none",
		 site ? mmf_site_file(site) : "?", site ? site->line : 0,
		 site && site->func ? site->func : "?", line);
	save("crash", sig);
}

/* ---- native signals -------------------------------------------------------------- */

static void note_fatal(int sig, const void *addr)
{
	(void)addr;
	/* An abort of our own (a model failure already saved) is not news. */
	if (cur_data) {
		char s[600], bugs[256];
		mmf_param(cur_h ? cur_h->params : "", "bugs", bugs, sizeof(bugs));
		const struct mmf_task *t = mmf_current();
		const struct mmf_site *site = t ? t->site : NULL;
		snprintf(s, sizeof(s), "crash|%s|%s:%d %s|crash: signal %d", bugs[0] ? bugs : "none",
			 site ? mmf_site_file(site) : "?", site ? site->line : 0,
			 site && site->func ? site->func : "?", sig);
		save("crash", s);
	}
}

/* ---- the watchdog ------------------------------------------------------------------ */

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
		int64_t t0 = __atomic_load_n(&exec_start, __ATOMIC_ACQUIRE);
		if (!t0 || now_ns() - t0 <= (int64_t)timeout_ms * 1000000)
			continue;
		struct mmf_harness *h = cur_h;
		char s[600], bugs[256];
		mmf_param(h->params, "bugs", bugs, sizeof(bugs));
		int id = __atomic_load_n(&h->s.running, __ATOMIC_RELAXED);
		const struct mmf_site *site = id >= 0 && id < MMF_MAX_TASKS ? h->s.tasks[id].site : NULL;
		snprintf(s, sizeof(s), "timeout|%s|%s:%d %s|timeout: the execution ran longer than # ms",
			 bugs[0] ? bugs : "none", site ? mmf_site_file(site) : "?", site ? site->line : 0,
			 site && site->func ? site->func : "?");
		say("mmfuzz: an execution ran longer than MMFUZZ_TIMEOUT_MS: saving it as a timeout\n",
		    NULL, NULL);
		save("timeout", s);
		abort();        /* the engine keeps the input as a crash */
	}
	return NULL;
}

/* At the first input: the engine's handlers are in place by now. */
static void arm(void)
{
	static bool armed;
	if (armed)
		return;
	armed = true;
	mmf_guard_catch_fatal(note_fatal);
	if (timeout_ms) {
		pthread_t t;
		if (pthread_create(&t, NULL, watchdog, NULL) == 0)
			pthread_detach(t);
	}
}

static _Noreturn void bad_env(const char *what, const char *why)
{
	fprintf(stderr, "mmfuzz: %s: %s\n", what, why);
	exit(2);
}

static const struct {
	const char *name;
	unsigned kinds;
} fb_names[] = {
	{"switch", MMF_FB_SWITCH}, {"rf", MMF_FB_RF}, {"lock", MMF_FB_LOCK},
	{"order", MMF_FB_ORDER}, {"all", MMF_FB_ALL},
	{"1", MMF_FB_ALL}, {"on", MMF_FB_ALL},
	{"0", 0}, {"off", 0}, {"none", 0},
};

unsigned mmf_target_feedback(const char *program)
{
	const char *f = getenv("MMFUZZ_FEEDBACK");
	if (!f)
		return program && strcmp(program, "mm") ? MMF_FB_ALL : MMF_TARGET_FEEDBACK_DEFAULT;
	unsigned kinds = 0;
	const char *p = f;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t i = 0;
		while (i < sizeof(fb_names) / sizeof(fb_names[0]) &&
		       (strlen(fb_names[i].name) != n || strncmp(fb_names[i].name, p, n)))
			i++;
		if (i == sizeof(fb_names) / sizeof(fb_names[0]))
			bad_env("MMFUZZ_FEEDBACK", "not 1, 0 or a list of switch, rf, lock, order, all");
		kinds |= fb_names[i].kinds;
		if (!p[n])
			break;
		p += n + 1;
	}
	return kinds;
}

bool mmf_target_mutator(void)
{
	const char *m = getenv("MMFUZZ_MUTATOR");
	if (!m || !strcmp(m, "1"))
		return true;
	if (!strcmp(m, "0"))
		return false;
	bad_env("MMFUZZ_MUTATOR", "not 0 or 1");
}

size_t mmf_target_study(struct mmf_harness *h, const uint8_t *data, size_t size,
			struct mmf_shape *shape, struct mmf_mut_pick *out, size_t cap)
{
	size_t n = mmf_harness_study(h, data, size, shape, out, cap);
	mmf_shape_pin(mmf_input_hash(data, size), shape);
	stat_shape_runs++;
	return n;
}

void mmf_target_shape(struct mmf_harness *h, const uint8_t *data, size_t size,
		      struct mmf_shape *shape)
{
	/* Not run in this process yet (or pushed out of the table): run it,
	 * quietly, to learn what it consumes. */
	if (!mmf_shape_get(mmf_input_hash(data, size), shape))
		mmf_target_study(h, data, size, shape, NULL, 0);
}

void mmf_target_init(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx)
{
	char err[300];
	const char *bugs = getenv("MMFUZZ_BUGS");
	if (mmf_harness_init(h, getenv("MMFUZZ_PROGRAM"), bugs && *bugs ? bugs : NULL,
			     getenv("MMFUZZ_PARAMS"), err, sizeof(err)))
		bad_env("environment", err);
	unsigned kinds = mmf_target_feedback(h->prog->name);
	mmf_harness_opts(h, kinds ? feature : NULL, ctx, false, false);
	h->s.opts.feedback_kinds = kinds;
	(void)mmf_target_mutator();     /* a bad setting is an error even where unused */
	const char *merr = mmf_mut_env();       /* "VARIABLE: reason" */
	if (merr) {
		fprintf(stderr, "mmfuzz: %s\n", merr);
		exit(2);
	}
	if (mmf_shape_open(getenv("MMFUZZ_SHAPE_FILE")))
		bad_env("MMFUZZ_SHAPE_FILE", "cannot be created or mapped");
	const char *w = getenv("MMFUZZ_WANT");
	if (w && *w) {
		long m = mmf_classes_parse(w, NULL, 0);
		if (m < 0)
			bad_env("MMFUZZ_WANT", "not a list of failure classes");
		want = (uint32_t)m;
	}
	const char *t = getenv("MMFUZZ_TIMEOUT_MS");
	if (t && *t) {
		char *end;
		unsigned long v = strtoul(t, &end, 10);
		if (*end || *t == '-' || v > (1ul << 30))
			bad_env("MMFUZZ_TIMEOUT_MS", "not a number of milliseconds");
		timeout_ms = (unsigned)v;
	}
	const char *dir = getenv("MMFUZZ_REPRO_DIR");
	if (dir && !strcmp(dir, "-"))
		repro_off = true;
	else if (dir && *dir) {
		if (strlen(dir) >= sizeof(repro_dir) - 64)
			bad_env("MMFUZZ_REPRO_DIR", "path too long");
		snprintf(repro_dir, sizeof(repro_dir), "%s", dir);
		if (access(dir, W_OK | X_OK))
			bad_env("MMFUZZ_REPRO_DIR", "not a writable directory");
	}
	cur_h = h;
	stats_path = getenv("MMFUZZ_STATS_FILE");
	if (stats_path && *stats_path)
		atexit(write_stats);
	else
		stats_path = NULL;
#if MMF_ASAN
	__asan_set_error_report_callback(on_asan_report);
#endif
	mmf_guard_on_ubsan(on_ubsan);
}

bool mmf_target_run(struct mmf_harness *h, const uint8_t *data, size_t size)
{
	arm();
	cur_size = size;
	cur_data = data;
	saved = 0;
	__atomic_store_n(&exec_start, now_ns(), __ATOMIC_RELEASE);
	enum mmf_run_status st = mmf_harness_run(h, data, size);
	__atomic_store_n(&exec_start, 0, __ATOMIC_RELEASE);
	stat_execs++;
	stat_steps += h->s.steps;
	struct mmf_shape shape;
	mmf_harness_shape(h, &shape);
	mmf_shape_put(mmf_input_hash(data, mmf_mut_fit(size)), &shape);
	if (stats_path && stat_execs >= 512)
		write_stats();
	if (st != MMF_RUN_FAILED || (want && !(want >> h->s.report.cls & 1))) {
		cur_data = NULL;
		return false;   /* clean, or a class this campaign passes over */
	}
	char sig[600];
	mmf_failure_signature(&h->s, h->params, sig, sizeof(sig));
	mmf_report_print(&h->s, stderr);
	save(mmf_fail_name(h->s.report.cls), sig);
	write_stats();          /* the caller's abort skips atexit */
	cur_data = NULL;        /* the caller's abort is not a crash of its own */
	return true;
}
