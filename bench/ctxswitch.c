/* ctxswitch.c - what one transfer of control costs.  Four mechanisms are timed in one run, each
 * as a ping-pong between two contexts where one "switch" is one transfer of control (a round
 * trip counts as two): (a) mmf_fiber_switch() between the host and one fiber, (b) glibc
 * swapcontext() between main and a makecontext()ed coroutine on a 64 KiB stack, (c) a raw
 * FUTEX_WAIT_PRIVATE/FUTEX_WAKE_PRIVATE hand-off of a shared int between two real threads and
 * (d) a pthread mutex+condvar hand-off between two real threads, and (e) mmf_fiber_switch() with
 * thread-backed fibers (exec mode: each fiber an OS thread, so that thread-local storage is per
 * task; a switch hands a futex baton).  For each mechanism N is first
 * calibrated so that one repetition of N round trips takes about 0.2 s, then 7 repetitions are
 * timed with CLOCK_MONOTONIC and the median ns/switch is reported (with min and max).  Nothing
 * is pinned.  The targets checked are: mmf_fiber_switch at least 10x cheaper than swapcontext
 * and at least 50x cheaper than the futex hand-off; missing them is reported, not an error.
 * --out DIR also writes DIR/ctxswitch.md and DIR/ctxswitch.svg; --quick is a smoke run (< 2 s).
 */
#define _GNU_SOURCE
#include "fiber.h"

#include <errno.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MMF_BENCH_BUILD
#define MMF_BENCH_BUILD "unknown build"
#endif

#define PROG            "bench_ctxswitch"
#define STACK_SIZE      (64 * 1024)
#define MAX_REPS        7
#define TARGET_SWAPCTX  10.0    /* ours must be >= this many times cheaper than swapcontext */
#define TARGET_THREAD   50.0    /* ... and than the futex hand-off between threads */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Every runner does n round trips (2n switches) and returns the elapsed ns. */
typedef double (*run_fn)(unsigned long n);

/* ---- (a) mmf_fiber_switch: host <-> fiber ---- */

static struct {
	struct mmf_fiber host;
	struct mmf_fiber fib;
	volatile int stop;
} fb;

static void fib_entry(void *arg)
{
	(void)arg;
	for (;;) {
		mmf_fiber_switch(&fb.fib, &fb.host);
		if (fb.stop)
			mmf_fiber_exit_to(&fb.fib, &fb.host);
	}
}

static double run_fiber(unsigned long n)
{
	double t0, t1;

	fb.stop = 0;
	mmf_fiber_arm(&fb.fib, fib_entry, NULL, "bench");
	mmf_fiber_switch(&fb.host, &fb.fib);    /* start it; it is now parked in its loop */
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		mmf_fiber_switch(&fb.host, &fb.fib);
	t1 = now_ns();
	fb.stop = 1;
	mmf_fiber_switch(&fb.host, &fb.fib);    /* it sees stop and exits back to us */
	return t1 - t0;
}

/* ---- (b) swapcontext: main <-> coroutine on a 64 KiB stack ---- */

static struct {
	ucontext_t main_uc;
	ucontext_t co_uc;
	void *stack;
	volatile int stop;
} uc;

static void uc_entry(void)
{
	while (!uc.stop)
		swapcontext(&uc.co_uc, &uc.main_uc);
	/* Returning resumes uc_link, i.e. main after its last swapcontext(). */
}

static double run_ucontext(unsigned long n)
{
	double t0, t1;

	uc.stop = 0;
	getcontext(&uc.co_uc);
	uc.co_uc.uc_stack.ss_sp = uc.stack;
	uc.co_uc.uc_stack.ss_size = STACK_SIZE;
	uc.co_uc.uc_link = &uc.main_uc;
	makecontext(&uc.co_uc, uc_entry, 0);
	swapcontext(&uc.main_uc, &uc.co_uc);    /* start it */
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		swapcontext(&uc.main_uc, &uc.co_uc);
	t1 = now_ns();
	uc.stop = 1;
	swapcontext(&uc.main_uc, &uc.co_uc);    /* it returns through uc_link */
	return t1 - t0;
}

/* ---- (c) futex hand-off between two threads ---- */

static struct {
	int word;               /* 0: main thread's turn, 1: partner's turn */
	int ready;
	unsigned long n;
	unsigned long partner_blocked;
	double last_blocked;     /* fraction of the last run's waits that slept in the kernel */
} fx;

static long futex(int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Counts the waits that really slept (FUTEX_WAIT returning 0 rather than EAGAIN or never being
 * called because the word had already flipped): on an otherwise idle multi-core machine the
 * hand-off can run in a mode where neither thread ever blocks. */
static void futex_wait_for(int *w, int want, unsigned long *blocked)
{
	int v;

	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		if (futex(w, FUTEX_WAIT_PRIVATE, v) == 0)
			++*blocked;
}

static void futex_give(int *w, int val)
{
	__atomic_store_n(w, val, __ATOMIC_RELEASE);
	futex(w, FUTEX_WAKE_PRIVATE, 1);
}

static void *futex_partner(void *arg)
{
	unsigned long blocked = 0;

	(void)arg;
	__atomic_store_n(&fx.ready, 1, __ATOMIC_RELEASE);
	for (unsigned long i = 0; i < fx.n; i++) {
		futex_wait_for(&fx.word, 1, &blocked);
		futex_give(&fx.word, 0);
	}
	fx.partner_blocked = blocked;           /* read after pthread_join() */
	return NULL;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), int *ready)
{
	int err = pthread_create(t, NULL, fn, NULL);

	if (err) {
		fprintf(stderr, PROG ": pthread_create: %s\n", strerror(err));
		exit(1);
	}
	while (!__atomic_load_n(ready, __ATOMIC_ACQUIRE))
		;       /* the partner is up; its thread start-up stays out of the timing */
}

static double run_futex(unsigned long n)
{
	unsigned long blocked = 0;
	pthread_t t;
	double t0, t1;

	fx.word = 0;
	fx.ready = 0;
	fx.n = n;
	start_thread(&t, futex_partner, &fx.ready);
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		futex_wait_for(&fx.word, 0, &blocked);
		futex_give(&fx.word, 1);
	}
	futex_wait_for(&fx.word, 0, &blocked);  /* the partner's last hand-back */
	t1 = now_ns();
	pthread_join(t, NULL);
	fx.last_blocked = (double)(blocked + fx.partner_blocked) / (2.0 * (double)n);
	return t1 - t0;
}

/* ---- (d) mutex+condvar hand-off between two threads ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond[2]; /* cond[i]: signalled when it becomes side i's turn */
	int turn;
	int ready;
	unsigned long n;
} cv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = { PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER },
};

static void cv_wait_for(int side)
{
	while (cv.turn != side)
		pthread_cond_wait(&cv.cond[side], &cv.lock);
}

static void cv_give(int side)
{
	cv.turn = side;
	pthread_cond_signal(&cv.cond[side]);
}

static void *cv_partner(void *arg)
{
	(void)arg;
	__atomic_store_n(&cv.ready, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&cv.lock);
	for (unsigned long i = 0; i < cv.n; i++) {
		cv_wait_for(1);
		cv_give(0);
	}
	pthread_mutex_unlock(&cv.lock);
	return NULL;
}

static double run_condvar(unsigned long n)
{
	pthread_t t;
	double t0, t1;

	cv.turn = 0;
	cv.ready = 0;
	cv.n = n;
	start_thread(&t, cv_partner, &cv.ready);
	t0 = now_ns();
	pthread_mutex_lock(&cv.lock);
	for (unsigned long i = 0; i < n; i++) {
		cv_wait_for(0);
		cv_give(1);
	}
	cv_wait_for(0);
	pthread_mutex_unlock(&cv.lock);
	t1 = now_ns();
	pthread_join(t, NULL);
	return t1 - t0;
}

/* ---- measurement ---- */

enum { M_FIBER, M_UCONTEXT, M_FUTEX, M_CONDVAR, M_EXEC, M_NR };

struct mech {
	const char *name;
	const char *short_name;         /* chart label */
	run_fn run;
	unsigned long n;                /* round trips per repetition */
	double *last_blocked;           /* if set: fraction of waits that slept, last run */
	double ns[MAX_REPS];            /* ns/switch of each repetition, sorted */
	double raw[MAX_REPS];           /* ... in the order they ran */
	double blocked[MAX_REPS];       /* ... and *last_blocked after each of them */
	double median;
};

static struct mech mechs[M_NR] = {
	[M_FIBER] = {
		.name = "mmf_fiber_switch (host <-> fiber)", .short_name = "mmf_fiber_switch",
		.run = run_fiber,
	},
	[M_UCONTEXT] = {
		.name = "swapcontext (64 KiB stack)", .short_name = "swapcontext",
		.run = run_ucontext,
	},
	[M_FUTEX] = {
		.name = "futex hand-off (2 threads)", .short_name = "futex hand-off",
		.run = run_futex, .last_blocked = &fx.last_blocked,
	},
	[M_CONDVAR] = {
		.name = "mutex+condvar hand-off (2 threads)", .short_name = "mutex+condvar",
		.run = run_condvar,
	},
	/* last: it turns every fiber of the process into a thread */
	[M_EXEC] = {
		.name = "mmf_fiber_switch, thread-backed (exec mode)", .short_name = "exec-mode switch",
		.run = run_fiber,       /* (e): the same ping-pong once fibers are threads */
	},
};

/* Grow n until a run takes 1/8 of the target, then scale it to the target. */
static unsigned long calibrate(run_fn run, double target_ns)
{
	unsigned long n = 16;

	for (;;) {
		double t = run(n);

		if (t < 1)
			t = 1;
		if (t >= target_ns / 8 || n >= (1UL << 36)) {
			double scaled = (double)n * target_ns / t;

			return scaled < 16 ? 16 : (unsigned long)scaled;
		}
		n *= 4;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(struct mech *m, int reps, double target_ns)
{
	m->n = calibrate(m->run, target_ns);
	for (int r = 0; r < reps; r++) {
		m->raw[r] = m->ns[r] = m->run(m->n) / (2.0 * (double)m->n);
		m->blocked[r] = m->last_blocked ? *m->last_blocked : -1;
	}
	qsort(m->ns, reps, sizeof(m->ns[0]), cmp_double);
	m->median = reps % 2 ? m->ns[reps / 2] : (m->ns[reps / 2 - 1] + m->ns[reps / 2]) / 2;
}

/* ---- reporting ---- */

struct info {
	char cpu[256];
	long cores;
	char compiler[128];
	char date[64];
	const char *fiber_impl;
	int reps;
	int quick;
	double ratio_uc, ratio_futex, ratio_cv;
	int met_uc, met_futex;
};

static void read_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon;

		if (strncmp(line, "model name", 10) || !(colon = strchr(line, ':')))
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static void gather_info(struct info *in, int reps, int quick)
{
	time_t t = time(NULL);
	struct tm tm;

	read_cpu_model(in->cpu, sizeof(in->cpu));
	in->cores = sysconf(_SC_NPROCESSORS_ONLN);
#if defined(__clang__)
	snprintf(in->compiler, sizeof(in->compiler), "%s", __VERSION__);    /* "... Clang x.y" */
#elif defined(__GNUC__)
	snprintf(in->compiler, sizeof(in->compiler), "gcc %s", __VERSION__);
#else
	snprintf(in->compiler, sizeof(in->compiler), "%s", __VERSION__);
#endif
	gmtime_r(&t, &tm);
	strftime(in->date, sizeof(in->date), "%Y-%m-%d %H:%M:%S UTC", &tm);
#ifdef MMF_FIBER_UCONTEXT
	in->fiber_impl = "ucontext fallback (MMF_FIBER_UCONTEXT)";
#else
	in->fiber_impl = "assembly";
#endif
	in->reps = reps;
	in->quick = quick;
	in->ratio_uc = mechs[M_UCONTEXT].median / mechs[M_FIBER].median;
	in->ratio_futex = mechs[M_FUTEX].median / mechs[M_FIBER].median;
	in->ratio_cv = mechs[M_CONDVAR].median / mechs[M_FIBER].median;
	in->met_uc = in->ratio_uc >= TARGET_SWAPCTX;
	in->met_futex = in->ratio_futex >= TARGET_THREAD;
}

/* Per-repetition detail where it matters: every mechanism that reports blocking, and every
 * one whose repetitions spread by more than 2x (then the median may hide a bimodal result). */
static void write_notes(FILE *f, const struct info *in, const char *bullet)
{
	for (int i = 0; i < M_NR; i++) {
		const struct mech *m = &mechs[i];
		int wide = m->ns[in->reps - 1] > 2 * m->ns[0];

		if (!wide && !m->last_blocked)
			continue;
		fprintf(f, "%s%s%s: per repetition, in run order, ns/switch%s: ", bullet,
			wide ? "unstable: " : "", m->name,
			m->last_blocked ? " (share of waits that slept in the kernel)" : "");
		for (int r = 0; r < in->reps; r++) {
			fprintf(f, "%s%.0f", r ? ", " : "", m->raw[r]);
			if (m->blocked[r] >= 0)
				fprintf(f, " (%.0f%%)", 100 * m->blocked[r]);
		}
		fprintf(f, "%s\n", wide ? "; the median may not be representative" : "");
	}
}

static void print_table(const struct info *in)
{
	printf("\n%-36s %12s %10s %10s %10s %12s\n", "mechanism", "ns/switch", "min", "max",
	       "vs ours", "N (trips)");
	for (int i = 0; i < M_NR; i++) {
		const struct mech *m = &mechs[i];

		printf("%-36s %12.2f %10.2f %10.2f %9.1fx %12lu\n", m->name, m->median, m->ns[0],
		       m->ns[in->reps - 1], m->median / mechs[M_FIBER].median, m->n);
	}
	printf("\n(median of %d repetitions; one switch = one transfer of control)\n\n", in->reps);
	write_notes(stdout, in, "");
	printf("\ntargets:\n");
	printf("  mmf_fiber_switch >= %2.0fx cheaper than swapcontext:     %9.1fx  %s\n",
	       TARGET_SWAPCTX, in->ratio_uc, in->met_uc ? "met" : "MISSED");
	printf("  mmf_fiber_switch >= %2.0fx cheaper than futex hand-off:  %9.1fx  %s\n",
	       TARGET_THREAD, in->ratio_futex, in->met_futex ? "met" : "MISSED");
	printf("  (info) mmf_fiber_switch vs mutex+condvar hand-off:  %9.1fx\n", in->ratio_cv);
	printf("\ncpu: %s, %ld cores; %s; build: %s; fiber: %s\n", in->cpu, in->cores, in->compiler,
	       MMF_BENCH_BUILD, in->fiber_impl);
}

static int write_md(const char *path, const struct info *in)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "## Context-switch cost\n\n");
	fprintf(f, "Generated by `bench/ctxswitch.c` (`bench_ctxswitch%s`) on %s.\n"
		   "One switch is one transfer of control (a ping-pong round trip is two); "
		   "each row is the median ns/switch of %d repetitions of N round trips, "
		   "N calibrated to about %s per repetition; nothing is pinned.\n\n",
		in->quick ? " --quick" : "", in->date, in->reps, in->quick ? "30 ms" : "0.2 s");
	if (in->quick)
		fprintf(f, "**Quick run: short repetitions, numbers are rough.**\n\n");
	fprintf(f, "| mechanism | ns/switch (median) | min | max | vs mmf_fiber_switch |\n");
	fprintf(f, "|---|---:|---:|---:|---:|\n");
	for (int i = 0; i < M_NR; i++) {
		const struct mech *m = &mechs[i];

		fprintf(f, "| %s | %.2f | %.2f | %.2f | %.1fx |\n", m->name, m->median, m->ns[0],
			m->ns[in->reps - 1], m->median / mechs[M_FIBER].median);
	}
	fprintf(f, "\n");
	write_notes(f, in, "- ");
	fprintf(f, "\n![ns per switch, log scale](ctxswitch.svg)\n\n");
	fprintf(f, "Targets:\n\n");
	fprintf(f, "- mmf_fiber_switch at least %.0fx cheaper than swapcontext: %.1fx, **%s**\n",
		TARGET_SWAPCTX, in->ratio_uc, in->met_uc ? "met" : "missed");
	fprintf(f, "- mmf_fiber_switch at least %.0fx cheaper than a real-thread (futex) "
		   "hand-off: %.1fx, **%s**\n",
		TARGET_THREAD, in->ratio_futex, in->met_futex ? "met" : "missed");
	fprintf(f, "- (for information) vs a mutex+condvar hand-off: %.1fx\n\n", in->ratio_cv);
	fprintf(f, "Machine and build:\n\n");
	fprintf(f, "- CPU: %s, %ld online cores\n", in->cpu, in->cores);
	fprintf(f, "- Compiler: %s\n", in->compiler);
	fprintf(f, "- Build: %s; fiber switch: %s\n", MMF_BENCH_BUILD, in->fiber_impl);
	return fclose(f) ? -1 : 0;
}

static void xml_puts(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%g ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%g \xc2\xb5s", ns / 1e3);
	else
		snprintf(buf, len, "%g ms", ns / 1e6);
}

static void fmt_value(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.1f ns", ns);
	else
		snprintf(buf, len, "%.1f \xc2\xb5s", ns / 1e3);
}

/* Horizontal bars (medians) with min-max whiskers; the log-scale x axis spans whole decades
 * around every repetition's value. */
static int write_svg(const char *path, const struct info *in)
{
	const int width = 860, label_w = 230, plot_w = 470, top = 62, bar_h = 26, gap = 14;
	const int plot_h = M_NR * (bar_h + gap) + gap, height = top + plot_h + 56;
	double vmin = mechs[0].ns[0], vmax = mechs[0].ns[in->reps - 1];
	FILE *f = fopen(path, "w");
	char buf[64];

	if (!f)
		return -1;
	for (int i = 1; i < M_NR; i++) {
		vmin = fmin(vmin, mechs[i].ns[0]);
		vmax = fmax(vmax, mechs[i].ns[in->reps - 1]);
	}
	int dlo = (int)floor(log10(vmin)), dhi = (int)ceil(log10(vmax));
	if (log10(vmin) - dlo < 0.3)
		dlo--;          /* keep the shortest bar visibly long */
	if (dhi <= dlo)
		dhi = dlo + 1;
#define XPOS(v) (label_w + plot_w * (log10(v) - dlo) / (double)(dhi - dlo))

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n",
		width, height, width, height);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">"
		   "Cost of one context switch (ns, log scale; median of %d%s)</text>\n",
		16, in->reps, in->quick ? ", quick run" : "");
	fprintf(f, "<text x=\"16\" y=\"44\" font-size=\"11\" fill=\"#555\">");
	xml_puts(f, in->cpu);
	fprintf(f, ", %ld cores; %s; ", in->cores, in->compiler);
	xml_puts(f, MMF_BENCH_BUILD);
	fprintf(f, "; %s</text>\n", in->date);

	/* Grid: major lines at decades, minor at 2..9 times each decade. */
	for (int d = dlo; d <= dhi; d++) {
		double v = pow(10, d);
		double x = XPOS(v);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#bbb\"/>\n",
			x, top, x, top + plot_h);
		fmt_ns(buf, sizeof(buf), v);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
			   "fill=\"#333\">%s</text>\n", x, top + plot_h + 18, buf);
		for (int k = 2; d < dhi && k <= 9; k++) {
			x = XPOS(v * k);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				   "stroke=\"#eee\"/>\n", x, top, x, top + plot_h);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">"
		   "ns per switch (log scale); bar = median, whisker = min..max</text>\n",
		label_w + plot_w / 2, top + plot_h + 40);

	for (int i = 0; i < M_NR; i++) {
		const struct mech *m = &mechs[i];
		int y = top + gap + i * (bar_h + gap);
		double x0 = XPOS(pow(10, dlo)), x1 = XPOS(m->median);

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 10,
			y + bar_h / 2 + 5);
		xml_puts(f, m->short_name);
		fprintf(f, "</text>\n");
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
			x0, y, fmax(x1 - x0, 1.0), bar_h, i == M_FIBER ? "#2b8a3e" : "#4a6fa5");
		/* Whisker: the spread of the repetitions, min to max. */
		double wlo = XPOS(m->ns[0]), whi = XPOS(m->ns[in->reps - 1]);
		int ym = y + bar_h / 2;
		fprintf(f, "<path d=\"M%.1f %dV%dM%.1f %dH%.1fM%.1f %dV%d\" stroke=\"#222\" "
			   "fill=\"none\"/>\n",
			wlo, ym - 5, ym + 5, wlo, ym, whi, whi, ym - 5, ym + 5);
		fmt_value(buf, sizeof(buf), m->median);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\">%s", fmax(x1, whi) + 6, ym + 5, buf);
		if (i != M_FIBER)
			fprintf(f, " (%.0fx)", m->median / mechs[M_FIBER].median);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		label_w, top + plot_h, label_w + plot_w, top + plot_h);
	fprintf(f, "</svg>\n");
#undef XPOS
	return fclose(f) ? -1 : 0;
}

static int write_outputs(const char *dir, const struct info *in)
{
	char path[4096];

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ctxswitch.md", dir);
	if (write_md(path, in)) {
		fprintf(stderr, PROG ": writing %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("wrote %s\n", path);
	snprintf(path, sizeof(path), "%s/ctxswitch.svg", dir);
	if (write_svg(path, in)) {
		fprintf(stderr, PROG ": writing %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("wrote %s\n", path);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--quick] [--out DIR]\n"
		   "  --quick    short repetitions (well under 2 s in all), for smoke tests\n"
		   "  --out DIR  also write DIR/ctxswitch.md and DIR/ctxswitch.svg\n");
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	int quick = 0, reps;
	double target_ns;
	struct info in;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--out")) {
			if (++i >= argc) {
				fprintf(stderr, PROG ": --out needs a directory\n");
				return 2;
			}
			out = argv[i];
		} else if (!strncmp(argv[i], "--out=", 6) && argv[i][6]) {
			out = argv[i] + 6;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, PROG ": unknown argument '%s' (try --help)\n", argv[i]);
			return 2;
		}
	}
	reps = quick ? 3 : MAX_REPS;
	target_ns = quick ? 30e6 : 200e6;

	mmf_fiber_init_host(&fb.host);
	if (mmf_fiber_create(&fb.fib, STACK_SIZE)) {
		fprintf(stderr, PROG ": mmf_fiber_create: out of memory\n");
		return 1;
	}
	uc.stack = malloc(STACK_SIZE);
	if (!uc.stack) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}

	printf(PROG ": %d repetitions of ~%.0f ms per mechanism%s\n", reps, target_ns / 1e6,
	       quick ? " (quick)" : "");
	for (int i = 0; i < M_NR; i++) {
		if (i == M_EXEC) {
			mmf_fiber_destroy(&fb.fib);
			mmf_fiber_use_threads((mmf_thread_create_fn)pthread_create, (mmf_thread_join_fn)pthread_join,
					      STACK_SIZE * 4, false, NULL);
			mmf_fiber_init_host(&fb.host);
			if (mmf_fiber_create(&fb.fib, STACK_SIZE)) {
				fprintf(stderr, PROG ": mmf_fiber_create: out of memory\n");
				return 1;
			}
		}
		printf("  measuring %s ...\n", mechs[i].name);
		fflush(stdout);
		measure(&mechs[i], reps, target_ns);
	}
	mmf_fiber_destroy(&fb.fib);
	free(uc.stack);

	gather_info(&in, reps, quick);
	print_table(&in);
	if (out && write_outputs(out, &in))
		return 1;
	return 0;
}
