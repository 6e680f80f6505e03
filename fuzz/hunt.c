/* hunt.c - the built-in engine on several cores; see hunt.h.
 *
 * The parent forks --jobs worker processes and supervises them (guard.h).
 * Workers claim execution numbers from a shared counter; three in four
 * use the random source at run k (the same run whichever worker takes it),
 * the fourth the worker's PCT source (docs/bugs.md: the random walk finds
 * the deep races, PCT some shapes sooner).  Each worker's scheduler records
 * into a flight record the parent mapped for it, so the execution in
 * progress is known to the parent at every moment.
 *
 * Findings: a failure whose signature (class, variant set, reporting site,
 * report line without numbers) is not yet in the shared de-duplication set
 * is written as a trace and fsync'd, and only then announced to the parent
 * through a pipe.  The set lives in shared memory, so it survives worker
 * restarts and spans workers.  An execution that ends the worker (a native
 * crash, a sanitizer report) is turned into a finding by the parent from
 * the worker's flight record: its decisions up to the end are the trace.
 * An execution that overruns --timeout-ms is stopped by the parent's
 * watchdog and confirmed by re-executing it in a fresh child under the
 * same limit.  The worker is then restarted while budget is left.  A worker
 * killed from outside (SIGKILL by a person or the OOM killer) is said to
 * be, and restarted; it is not a finding.
 *
 * The budget (--time, --execs) and SIGINT/SIGTERM stop the hunt: workers
 * finish the execution they are in and leave; one that does not within a
 * second is killed.  The parent keeps the distinct findings, prints a live
 * status line, and at the end a findings table and, with --json, a results
 * file. */
#define _GNU_SOURCE
#include "hunt.h"
#include "decide.h"
#include "flight.h"
#include "guard.h"
#include "harness.h"
#include "sanitizer.h"
#include "trace.h"
#include "variant.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64
#define SITE_BITS (1u << 14)
#define FEAT_BITS (1u << 16)
#define SCHED_BITS (1u << 23)
#define MAX_FINDINGS 256
#define SEEN_SLOTS 8192         /* de-duplication set: signatures seen */
/* How long workers get to finish the execution they are in once the hunt
 * stops, before they are killed; and a confirmation in progress. */
#define STOP_GRACE_MS 1000

struct shared {
	uint64_t next_exec;     /* claimed with an atomic add */
	uint64_t done;
	uint64_t steps;
	uint64_t failures;
	int stop;
	uint32_t nsites, nfeats, nscheds;
	uint64_t seen[SEEN_SLOTS];
	uint8_t sites[SITE_BITS / 8];
	uint8_t feats[FEAT_BITS / 8];
	uint8_t scheds[SCHED_BITS / 8];
};

/* Set bit b of map; count it if it was new. */
static void mark(uint8_t *map, uint32_t nbits, uint32_t b, uint32_t *count)
{
	b &= nbits - 1;
	uint8_t bit = (uint8_t)(1u << (b & 7));
	if (__atomic_load_n(&map[b >> 3], __ATOMIC_RELAXED) & bit)
		return;
	if (!(__atomic_fetch_or(&map[b >> 3], bit, __ATOMIC_RELAXED) & bit))
		__atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
}

MMF_WRAPS static uint32_t hash_ptr(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

MMF_WRAPS static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h | 1;   /* 0 marks an empty slot */
}

/* Add a signature to the shared set: true if it was not there (the caller
 * saves the finding), false if seen before or the set is full. */
static bool seen_insert(struct shared *sh, const char *sig)
{
	uint64_t h = hash_str(sig);
	for (uint32_t i = 0; i < SEEN_SLOTS; i++) {
		uint64_t *slot = &sh->seen[(h + i) & (SEEN_SLOTS - 1)];
		uint64_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
		if (v == h)
			return false;
		if (!v) {
			uint64_t zero = 0;
			if (__atomic_compare_exchange_n(slot, &zero, h, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return true;
			if (zero == h)
				return false;
		}
	}
	return false;
}

/* ---- the variants a run uses ------------------------------------------------ */

struct bugset {
	char list[V_NR][64];
	int n;                  /* 0: one fixed set in 'fixed' */
	char fixed[512];
};

static int bugset_parse(const char *bugs, struct bugset *b)
{
	char bad[64];
	memset(b, 0, sizeof(*b));
	if (bugs && !strcmp(bugs, "each")) {
		for (int v = 0; v < V_NR; v++)
			if (!mm_variants[v].experimental)
				snprintf(b->list[b->n++], sizeof(b->list[0]), "%s", mm_variants[v].name);
		return 0;
	}
	if (bugs && mm_variants_parse(bugs, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "mmfuzz: hunt: unknown bug variant '%s' (see 'mmfuzz list')\n", bad);
		return -1;
	}
	snprintf(b->fixed, sizeof(b->fixed), "%s", bugs && *bugs ? bugs : "none");
	return 0;
}

static const char *bugset_for(const struct bugset *b, uint64_t k)
{
	return b->n ? b->list[k % (uint64_t)b->n] : b->fixed;
}

/* The program parameters of execution k: the extra parameters, and for
 * the mm model the variant set of k. */
static void params_for(const struct mmf_hunt_opts *o, const struct bugset *bs, uint64_t k,
		       char *buf, size_t len)
{
	const char *extra = o->params ? o->params : o->prog->default_params;
	if (strcmp(o->prog->name, "mm")) {
		snprintf(buf, len, "%s", extra ? extra : "");
		return;
	}
	snprintf(buf, len, "%s%sbugs=%s", extra ? extra : "", extra && *extra ? " " : "",
		 bugset_for(bs, k));
}

/* Random for three rounds in four, PCT for the fourth; by round, not by k:
 * with --bugs each, k picks the variant, and k % 4 would give some
 * variants only PCT. */
static bool uses_pct(const struct bugset *bs, uint64_t k)
{
	uint64_t round = bs->n ? k / (uint64_t)bs->n : k;
	return round % 4 == 3;
}

/* ---- a worker ------------------------------------------------------------------ */

struct worker {
	int id;
	const struct mmf_hunt_opts *o;
	struct shared *sh;
	struct mmf_flight *f;
	int fd;                 /* pipe to the parent */
	double t0;
	struct mmf_sched s;
	struct mmf_random_src rnd;
	struct mmf_pct_src pct;
	char params[1200];
	uint64_t k;             /* the execution being run */
};

static void feature_hook(void *ctx, uint32_t f)
{
	struct shared *sh = ctx;
	mark(sh->feats, FEAT_BITS, f, &sh->nfeats);
}

/* One line to the parent: sig \t class \t variants \t exec \t seconds \t path
 * (no path: a repeat, only counted). */
static void announce(struct worker *w, const char *sig, const char *cls, const char *path)
{
	char bugs[512], line[2048];
	mmf_param(w->params, "bugs", bugs, sizeof(bugs));
	int n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%" PRIu64 "\t%.2f\t%s\n", sig, cls,
			 bugs[0] ? bugs : "-", w->k + 1, mmf_now() - w->t0, path);
	if (n > 0 && (size_t)n < sizeof(line) && write(w->fd, line, (size_t)n) < 0)
		_exit(3);
}

static void save_finding(struct worker *w, const char *cls, const char *sig)
{
	char path[1024], source[160], err[300];
	snprintf(path, sizeof(path), "%s/finding-%d-%" PRIu64 ".trace", w->o->out_dir, w->id,
		 w->k + 1);
	snprintf(source, sizeof(source), "hunt seed=%" PRIu64 " execution=%" PRIu64 " %s",
		 w->o->seed, w->k + 1, w->s.dec->ops->name);
	if (mmf_write_trace_file(path, &w->s, source, w->o->prog->name, w->params, err,
				 sizeof(err))) {
		fprintf(stderr, "mmfuzz: hunt: %s\n", err);
		path[0] = 0;
	}
	announce(w, sig, cls, path);
}

static void worker_main(void *arg)
{
	struct worker *w = arg;
	const struct mmf_hunt_opts *o = w->o;
	struct shared *sh = w->sh;
	struct bugset bs;
	if (bugset_parse(o->bugs, &bs))
		_exit(2);
	mmf_random_src_init(&w->rnd, o->seed);
	mmf_pct_src_init(&w->pct, o->seed * 1000003u + (uint64_t)w->id, 2);
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS, .record = true,
				    .feature = feature_hook, .feature_ctx = sh};
	mmf_sched_init(&w->s, &so, &w->rnd.base);
	mmf_sched_use_flight(&w->s, w->f);
	for (;;) {
		if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED))
			break;
		if (o->time_limit > 0 && mmf_now() - w->t0 >= o->time_limit)
			break;
		w->k = __atomic_fetch_add(&sh->next_exec, 1, __ATOMIC_RELAXED);
		if (o->execs && w->k >= o->execs)
			break;
		params_for(o, &bs, w->k, w->params, sizeof(w->params));
		if (!uses_pct(&bs, w->k)) {
			mmf_random_src_at(&w->rnd, w->k);
			w->s.dec = &w->rnd.base;
		} else {
			w->s.dec = &w->pct.base;
		}
		int bad;
		char err[256];
		w->f->exec_no = w->k;
		enum mmf_run_status st = mmf_run_program(&w->s, o->prog, w->params, err, sizeof(err),
							 &bad);
		if (bad) {
			fprintf(stderr, "mmfuzz: hunt: %s\n", err);
			_exit(2);
		}
		__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->steps, w->s.steps, __ATOMIC_RELAXED);
		/* coverage: the model lines where decisions were taken; the
		 * schedule: a hash of every pick */
		uint64_t hs = 0xcbf29ce484222325ull;
		for (size_t i = 0; i < w->s.trace.n; i++) {
			const struct mmf_decision *d = &w->s.trace.d[i];
			if (d->site)
				mark(sh->sites, SITE_BITS, hash_ptr(d->site), &sh->nsites);
			if (d->kind == MMF_DEC_PICK)
				hs = (hs ^ (d->chosen + 257u * d->set)) * 0x100000001b3ull;
		}
		mark(sh->scheds, SCHED_BITS, (uint32_t)(hs ^ (hs >> 32)), &sh->nscheds);
		if (st != MMF_RUN_FAILED)
			continue;
		__atomic_fetch_add(&sh->failures, 1, __ATOMIC_RELAXED);
		char sig[512];
		mmf_failure_signature(&w->s, w->params, sig, sizeof(sig));
		if (!seen_insert(sh, sig)) {
			announce(w, sig, mmf_fail_name(w->s.report.cls), "");   /* counted */
			continue;
		}
		save_finding(w, mmf_fail_name(w->s.report.cls), sig);
	}
	mmf_sched_destroy(&w->s);
}

/* ---- the parent ------------------------------------------------------------------ */

struct finding {
	char sig[512], cls[32], bugs[512], path[1024], note[128];
	uint64_t exec;
	double secs;
	uint64_t count;
};

enum slot_state { SLOT_IDLE, SLOT_RUN, SLOT_CONFIRM };

struct slot {
	enum slot_state st;
	pid_t pid;
	int fd;
	char buf[8192];
	size_t blen;
	struct mmf_flight *f;
	bool timed_out;         /* the watchdog signalled this worker */
	int64_t kill_at;
	bool killed_by_us;      /* at the stop: not "from outside" */
	/* a timeout being confirmed */
	struct mmf_repro_job job;
	struct mmf_sched died;
	uint64_t died_k;
	char died_params[1200];
};

struct hunt {
	const struct mmf_hunt_opts *o;
	struct bugset bs;
	struct shared *sh;
	struct slot slot[MAX_JOBS];
	struct finding f[MAX_FINDINGS];
	int nf;
	double t0;
	int64_t stop_at;        /* when the stop began (0: running) */
	int restarts, killed_outside, timeouts_passed_over, interrupted, stopped_at_end;
	bool internal;
	char internal_why[300];
	bool bad_params;
};

static void take_finding(struct hunt *h, const char *sig, const char *cls, const char *bugs,
			 uint64_t exec, double secs, const char *path, const char *note)
{
	for (int i = 0; i < h->nf; i++) {
		if (!strcmp(h->f[i].sig, sig)) {
			h->f[i].count++;
			/* keep the earliest execution as the finding */
			if (exec < h->f[i].exec && path && *path) {
				h->f[i].exec = exec;
				h->f[i].secs = secs;
				snprintf(h->f[i].path, sizeof(h->f[i].path), "%s", path);
			}
			return;
		}
	}
	if (h->nf == MAX_FINDINGS)
		return;
	struct finding *x = &h->f[h->nf++];
	snprintf(x->sig, sizeof(x->sig), "%s", sig);
	snprintf(x->cls, sizeof(x->cls), "%s", cls);
	snprintf(x->bugs, sizeof(x->bugs), "%s", bugs);
	snprintf(x->note, sizeof(x->note), "%s", note ? note : "");
	x->exec = exec;
	x->secs = secs;
	snprintf(x->path, sizeof(x->path), "%s", path ? path : "");
	x->count = 1;
	if (!h->o->quiet)
		fprintf(stderr, "%snew finding: %s (%s) at execution %" PRIu64 ", %.1f s: %s%s%s\n",
			isatty(2) ? "\r\033[K" : "", x->cls, x->bugs, x->exec, x->secs, x->path,
			x->note[0] ? " " : "", x->note);
}

static void take_line(struct hunt *h, char *line)
{
	char *f[6];
	int n = 0;
	for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && n < 6;
	     t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	if (n < 5)
		return;
	take_finding(h, f[0], f[1], f[2], strtoull(f[3], NULL, 10), strtod(f[4], NULL),
		     n == 6 ? f[5] : "", NULL);
}

static void drain(struct hunt *h, struct slot *sl)
{
	while (sl->fd >= 0) {
		ssize_t r = read(sl->fd, sl->buf + sl->blen, sizeof(sl->buf) - 1 - sl->blen);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			close(sl->fd);
			sl->fd = -1;
			return;
		}
		sl->blen += (size_t)r;
		sl->buf[sl->blen] = 0;
		char *nl;
		while ((nl = strchr(sl->buf, '\n'))) {
			*nl = 0;
			take_line(h, sl->buf);
			size_t used = (size_t)(nl + 1 - sl->buf);
			memmove(sl->buf, nl + 1, sl->blen - used + 1);
			sl->blen -= used;
		}
		struct pollfd pf = {sl->fd, POLLIN, 0};
		if (poll(&pf, 1, 0) <= 0 || !(pf.revents & (POLLIN | POLLHUP)))
			return;
	}
}

static void spawn(struct hunt *h, int id)
{
	struct slot *sl = &h->slot[id];
	int p[2];
	if (pipe(p))
		mmf_internal("hunt: pipe: %s", strerror(errno));
	static struct worker w;
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.o = h->o;
	w.sh = h->sh;
	w.f = sl->f;
	w.fd = p[1];
	w.t0 = h->t0;
	sl->f->in_exec = 0;
	sl->f->internal = 0;
	sl->f->end = MMF_FLIGHT_RUNNING;
	/* The child must not hold the other workers' pipes open. */
	for (int i = 0; i < h->o->jobs; i++)
		if (h->slot[i].fd >= 0)
			fcntl(h->slot[i].fd, F_SETFD, FD_CLOEXEC);
	sl->pid = mmf_guard_spawn(worker_main, &w, -1);
	close(p[1]);
	sl->fd = p[0];
	fcntl(sl->fd, F_SETFD, FD_CLOEXEC);
	sl->blen = 0;
	sl->st = SLOT_RUN;
	sl->timed_out = false;
	sl->killed_by_us = false;
}

static bool budget_left(struct hunt *h)
{
	const struct mmf_hunt_opts *o = h->o;
	return !h->stop_at && (!o->time_limit || mmf_now() - h->t0 < o->time_limit) &&
	       (!o->execs || __atomic_load_n(&h->sh->next_exec, __ATOMIC_RELAXED) < o->execs);
}

static void restart(struct hunt *h, int id)
{
	if (budget_left(h)) {
		h->restarts++;
		spawn(h, id);
	} else {
		h->slot[id].st = SLOT_IDLE;
	}
}

/* Write a finding the parent made from a post-mortem. */
static void save_dead(struct hunt *h, int id, struct mmf_sched *s, uint64_t k,
		      const char *params, const char *note)
{
	char sig[512], path[1024], source[200], err[300], bugs[512];
	mmf_failure_signature(s, params, sig, sizeof(sig));
	mmf_param(params, "bugs", bugs, sizeof(bugs));
	const char *cls = mmf_fail_name(s->report.cls);
	double secs = mmf_now() - h->t0;
	if (!seen_insert(h->sh, sig)) {
		take_finding(h, sig, cls, bugs[0] ? bugs : "-", k + 1, secs, "", NULL);
		return;
	}
	snprintf(path, sizeof(path), "%s/finding-%d-%" PRIu64 ".trace", h->o->out_dir, id, k + 1);
	snprintf(source, sizeof(source), "hunt seed=%" PRIu64 " execution=%" PRIu64 " %s",
		 h->o->seed, k + 1, uses_pct(&h->bs, k) ? "pct" : "random");
	if (mmf_write_trace_file(path, s, source, h->o->prog->name, params, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: hunt: %s\n", err);
		path[0] = 0;
	}
	take_finding(h, sig, cls, bugs[0] ? bugs : "-", k + 1, secs, path, note);
}

static void worker_ended(struct hunt *h, int id, int status)
{
	struct slot *sl = &h->slot[id];
	drain(h, sl);
	struct mmf_guard_end e;
	mmf_guard_classify(status, sl->f, sl->timed_out, &e);
	sl->pid = 0;
	switch (e.how) {
	case MMF_GUARD_DONE:
		if (e.exit_code == 2) {
			h->bad_params = true;
			__atomic_store_n(&h->sh->stop, 1, __ATOMIC_RELAXED);
		} else if (e.exit_code) {
			/* every execution returned, then the process exited with a
			 * status: a sanitizer that reports without halting */
			fprintf(stderr, "%smmfuzz: hunt: worker %d exited with status %d after its "
				"executions: a sanitizer reported errors without stopping them (see "
				"above; halt_on_error=1 makes each one a finding)\n",
				isatty(2) ? "\r\033[K" : "", id, e.exit_code);
		}
		sl->st = SLOT_IDLE;
		return;
	case MMF_GUARD_KILLED:
		if (sl->killed_by_us) {
			sl->st = SLOT_IDLE;     /* stopped at the end of the hunt */
			return;
		}
		h->killed_outside++;
		fprintf(stderr, "%smmfuzz: hunt: worker %d was %s; not a finding%s\n",
			isatty(2) ? "\r\033[K" : "", id, e.why,
			budget_left(h) ? ", restarting it" : "");
		restart(h, id);
		return;
	case MMF_GUARD_INTERNAL:
		h->internal = true;
		snprintf(h->internal_why, sizeof(h->internal_why), "worker %d: %s", id, e.why);
		sl->st = SLOT_IDLE;
		return;
	case MMF_GUARD_FAILED:
		break;
	}
	/* An execution ended the worker: its decisions are the trace. */
	__atomic_fetch_add(&h->sh->done, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->sh->failures, 1, __ATOMIC_RELAXED);
	uint64_t k = sl->f->exec_no;
	char params[1200];
	snprintf(params, sizeof(params), "%s", sl->f->params);
	mmf_guard_adopt(sl->f, &sl->died);
	if (!e.timeout) {
		save_dead(h, id, &sl->died, k, params, NULL);
		mmf_sched_destroy(&sl->died);
		restart(h, id);
		return;
	}
	/* A timeout: seen before, or confirmed by a re-execution under the
	 * same limit (a busy machine must not make findings). */
	char sig[512];
	mmf_failure_signature(&sl->died, params, sig, sizeof(sig));
	for (int i = 0; i < h->nf; i++) {
		if (!strcmp(h->f[i].sig, sig)) {
			take_finding(h, sig, h->f[i].cls, h->f[i].bugs, k + 1, mmf_now() - h->t0, "",
				     NULL);
			mmf_sched_destroy(&sl->died);
			restart(h, id);
			return;
		}
	}
	sl->died_k = k;
	snprintf(sl->died_params, sizeof(sl->died_params), "%s", params);
	mmf_guard_reproduce_start(&sl->job, h->o->prog, sl->died_params, sl->died.trace.d,
				  sl->died.trace.n, h->o->timeout_ms, -1);
	sl->st = SLOT_CONFIRM;
}

static void confirm_ended(struct hunt *h, int id, struct mmf_sched *re, struct mmf_guard_end *e)
{
	struct slot *sl = &h->slot[id];
	if (e->how == MMF_GUARD_FAILED && re->report.cls == MMF_FAIL_TIMEOUT) {
		save_dead(h, id, re, sl->died_k, sl->died_params, NULL);
	} else if (e->how == MMF_GUARD_INTERNAL) {
		h->internal = true;
		snprintf(h->internal_why, sizeof(h->internal_why), "%s", e->why);
	} else {
		h->timeouts_passed_over++;
		fprintf(stderr, "%smmfuzz: hunt: execution %" PRIu64 " overran %u ms once but not when "
			"re-executed: passed over\n", isatty(2) ? "\r\033[K" : "", sl->died_k + 1,
			h->o->timeout_ms);
	}
	mmf_sched_destroy(re);
	mmf_sched_destroy(&sl->died);
	restart(h, id);
}

static void status(struct hunt *h, bool final)
{
	struct shared *sh = h->sh;
	double t = mmf_now() - h->t0;
	uint64_t done = __atomic_load_n(&sh->done, __ATOMIC_RELAXED);
	bool tty = isatty(2);
	if (final) {
		/* the summary on stdout says it all: just end the live line */
		if (tty)
			fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "%s[%6.1fs] execs %" PRIu64 " (%.0f/s)  schedules %u  coverage %u sites  "
		"features %u  failures %" PRIu64 "  findings %d%s",
		tty ? "\r\033[K" : "", t, done, t > 0 ? (double)done / t : 0.0, sh->nscheds,
		sh->nsites, sh->nfeats, __atomic_load_n(&sh->failures, __ATOMIC_RELAXED), h->nf,
		tty ? "" : "\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int write_json(struct hunt *h, double secs)
{
	const struct mmf_hunt_opts *o = h->o;
	struct shared *sh = h->sh;
	FILE *f = fopen(o->json, "w");
	if (!f) {
		fprintf(stderr, "mmfuzz: hunt: cannot write '%s': %s\n", o->json, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"tool\": \"mmfuzz hunt\",\n  \"build\": ");
	json_str(f, mmf_build_info());
	fprintf(f, ",\n  \"program\": ");
	json_str(f, o->prog->name);
	fprintf(f, ",\n  \"bugs\": ");
	json_str(f, o->bugs ? o->bugs : "none");
	fprintf(f, ",\n  \"jobs\": %d,\n  \"seed\": %" PRIu64 ",\n  \"seconds\": %.2f,\n", o->jobs,
		o->seed, secs);
	uint64_t done = sh->done;
	fprintf(f, "  \"executions\": %" PRIu64 ",\n  \"executions_per_second\": %.1f,\n", done,
		secs > 0 ? (double)done / secs : 0.0);
	fprintf(f, "  \"timeout_ms\": %u,\n  \"interrupted\": %s,\n", o->timeout_ms,
		h->interrupted ? "true" : "false");
	fprintf(f, "  \"steps\": %" PRIu64 ",\n  \"schedules\": %u,\n  \"coverage_sites\": %u,\n"
		"  \"features\": %u,\n  \"failures\": %" PRIu64 ",\n  \"worker_restarts\": %d,\n"
		"  \"workers_killed_from_outside\": %d,\n  \"timeouts_passed_over\": %d,\n"
		"  \"stopped_at_end\": %d,\n",
		sh->steps, sh->nscheds, sh->nsites, sh->nfeats, sh->failures, h->restarts,
		h->killed_outside, h->timeouts_passed_over, h->stopped_at_end);
	fprintf(f, "  \"findings\": [");
	for (int i = 0; i < h->nf; i++) {
		struct finding *x = &h->f[i];
		fprintf(f, "%s\n    {\"class\": ", i ? "," : "");
		json_str(f, x->cls);
		fprintf(f, ", \"variants\": ");
		json_str(f, x->bugs);
		fprintf(f, ", \"first_execution\": %" PRIu64 ", \"seconds\": %.2f, \"count\": %" PRIu64
			", \"signature\": ", x->exec, x->secs, x->count);
		json_str(f, x->sig);
		fprintf(f, ", \"reproducer\": ");
		json_str(f, x->path);
		if (x->note[0]) {
			fprintf(f, ", \"note\": ");
			json_str(f, x->note);
		}
		fprintf(f, "}");
	}
	fprintf(f, "%s]\n}\n", h->nf ? "\n  " : "");
	if (fclose(f)) {
		fprintf(stderr, "mmfuzz: hunt: error writing '%s'\n", o->json);
		return -1;
	}
	return 0;
}

static int by_exec(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	return x->exec < y->exec ? -1 : x->exec > y->exec;
}

/* The hunt is over (budget or interrupt): let workers finish the execution
 * they are in, then kill what is left. */
static void begin_stop(struct hunt *h)
{
	if (h->stop_at)
		return;
	h->stop_at = mmf_flight_now_ns();
	__atomic_store_n(&h->sh->stop, 1, __ATOMIC_RELAXED);
}

/* A child's end wakes the loop at once (a self-pipe written on SIGCHLD):
 * a hunt of a program that crashes often restarts workers without delay. */
static int chld_pipe[2] = {-1, -1};

static void on_sigchld(int sig)
{
	(void)sig;
	int e = errno;
	if (write(chld_pipe[1], "c", 1) < 0) {
		/* full: the loop wakes anyway */
	}
	errno = e;
}

static void supervise(struct hunt *h)
{
	const struct mmf_hunt_opts *o = h->o;
	double last = 0;
	if (pipe(chld_pipe))
		mmf_internal("hunt: pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++)
		fcntl(chld_pipe[i], F_SETFL, O_NONBLOCK), fcntl(chld_pipe[i], F_SETFD, FD_CLOEXEC);
	struct sigaction sa = {0};
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		struct pollfd pf[MAX_JOBS + 1];
		int map[MAX_JOBS], n = 0, live = 0;
		for (int i = 0; i < o->jobs; i++) {
			live += h->slot[i].st != SLOT_IDLE;
			if (h->slot[i].st == SLOT_RUN && h->slot[i].fd >= 0) {
				pf[n] = (struct pollfd){h->slot[i].fd, POLLIN, 0};
				map[n++] = i;
			}
		}
		if (!live)
			break;
		pf[n] = (struct pollfd){chld_pipe[0], POLLIN, 0};
		poll(pf, (nfds_t)n + 1, 50);
		char junk[64];
		while (read(chld_pipe[0], junk, sizeof(junk)) > 0)
			;
		for (int j = 0; j < n; j++)
			if (pf[j].revents & (POLLIN | POLLHUP | POLLERR))
				drain(h, &h->slot[map[j]]);
		if (mmf_guard_interrupted() && !h->interrupted) {
			h->interrupted = mmf_guard_interrupted();
			begin_stop(h);
		}
		if (!h->stop_at && (!budget_left(h) || h->internal || h->bad_params))
			begin_stop(h);
		int64_t now = mmf_flight_now_ns();
		bool grace_over = h->stop_at && now - h->stop_at > (int64_t)STOP_GRACE_MS * 1000000;
		for (int i = 0; i < o->jobs; i++) {
			struct slot *sl = &h->slot[i];
			if (sl->st == SLOT_RUN) {
				int stt;
				if (waitpid(sl->pid, &stt, WNOHANG) == sl->pid) {
					worker_ended(h, i, stt);
					continue;
				}
				if (!sl->timed_out && mmf_guard_overdue(sl->f, o->timeout_ms, now)) {
					sl->kill_at = mmf_guard_signal_timeout(sl->pid, sl->f, o->timeout_ms);
					sl->timed_out = true;
				} else if (sl->timed_out && now > sl->kill_at) {
					kill(sl->pid, SIGKILL);
				} else if (grace_over && !sl->timed_out && !sl->killed_by_us) {
					/* the hunt is over and this execution has not
					 * reached the limit: stopped, not a finding */
					sl->killed_by_us = true;
					h->stopped_at_end += __atomic_load_n(&sl->f->in_exec, __ATOMIC_ACQUIRE);
					kill(sl->pid, SIGKILL);
				}
			} else if (sl->st == SLOT_CONFIRM) {
				struct mmf_sched re;
				struct mmf_guard_end e;
				if (mmf_guard_reproduce_poll(&sl->job, &re, &e)) {
					confirm_ended(h, i, &re, &e);
				} else if (grace_over && now - h->stop_at >
					   (int64_t)(STOP_GRACE_MS + o->timeout_ms) * 1000000) {
					/* the hunt is over: keep the worker's own record
					 * rather than lose it */
					mmf_guard_reproduce_cancel(&sl->job);
					save_dead(h, i, &sl->died, sl->died_k, sl->died_params,
						  "(not confirmed: the hunt ended first)");
					mmf_sched_destroy(&sl->died);
					sl->st = SLOT_IDLE;
				}
			}
		}
		double t = mmf_now() - h->t0;
		if (!o->quiet && t - last >= (isatty(2) ? 0.5 : 10.0)) {
			status(h, false);
			last = t;
		}
	}
	signal(SIGCHLD, SIG_DFL);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
}

int mmf_hunt(const struct mmf_hunt_opts *o)
{
	static struct hunt h;
	memset(&h, 0, sizeof(h));
	h.o = o;
	if (bugset_parse(o->bugs, &h.bs))
		return 2;
	if (o->jobs < 1 || o->jobs > MAX_JOBS) {
		fprintf(stderr, "mmfuzz: hunt: --jobs must be 1..%d\n", MAX_JOBS);
		return 2;
	}
	/* The parameters must hold before anything starts (setup only: a
	 * run could crash this process, which supervises). */
	{
		char params[1200], err[300];
		params_for(o, &h.bs, 0, params, sizeof(params));
		if (mmf_check_params(o->prog, params, err, sizeof(err))) {
			fprintf(stderr, "mmfuzz: hunt: %s\n", err);
			return 2;
		}
	}
	if (mkdir(o->out_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "mmfuzz: hunt: cannot create '%s': %s\n", o->out_dir, strerror(errno));
		return 2;
	}
	h.sh = mmap(NULL, sizeof(*h.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h.sh == MAP_FAILED)
		mmf_internal("hunt: mmap of the shared counters failed");
	signal(SIGPIPE, SIG_IGN);
	mmf_guard_catch_interrupts();
	h.t0 = mmf_now();
	for (int i = 0; i < o->jobs; i++) {
		h.slot[i].fd = -1;
		h.slot[i].f = mmf_flight_new(MMF_FLIGHT_CAP);
	}
	if (!o->quiet) {
		char lim[96] = "";
		if (o->time_limit > 0)
			snprintf(lim, sizeof(lim), ", %.0f s", o->time_limit);
		if (o->execs)
			snprintf(lim + strlen(lim), sizeof(lim) - strlen(lim), ", %" PRIu64 " executions",
				 o->execs);
		if (o->timeout_ms)
			snprintf(lim + strlen(lim), sizeof(lim) - strlen(lim), ", %u ms per execution",
				 o->timeout_ms);
		fprintf(stderr, "mmfuzz hunt: %s, %d job%s, bugs=%s%s, reproducers in %s/\n",
			o->prog->name, o->jobs, o->jobs == 1 ? "" : "s", o->bugs ? o->bugs : "-", lim,
			o->out_dir);
	}
	for (int i = 0; i < o->jobs; i++)
		spawn(&h, i);
	supervise(&h);
	double secs = mmf_now() - h.t0;
	if (!o->quiet)
		status(&h, true);
	if (h.bad_params)
		return 2;

	qsort(h.f, (size_t)h.nf, sizeof(h.f[0]), by_exec);
	struct shared *sh = h.sh;
	printf("mmfuzz hunt: %" PRIu64 " executions in %.1f s (%.0f/s, %d job%s), %u schedules, %u "
	       "sites, %u interleaving features, %" PRIu64 " failing runs, %d distinct finding%s%s\n",
	       sh->done, secs, secs > 0 ? (double)sh->done / secs : 0.0, o->jobs,
	       o->jobs == 1 ? "" : "s", sh->nscheds, sh->nsites, sh->nfeats, sh->failures, h.nf,
	       h.nf == 1 ? "" : "s", h.interrupted ? " (interrupted)" : "");
	if (h.nf) {
		printf("\n  %-16s %-33s %10s %8s %6s  %s\n", "class", "variants", "first exec", "time",
		       "runs", "reproducer");
		for (int i = 0; i < h.nf; i++) {
			struct finding *x = &h.f[i];
			printf("  %-16s %-33s %10" PRIu64 " %7.1fs %6" PRIu64 "  %s%s%s\n", x->cls, x->bugs,
			       x->exec, x->secs, x->count, x->path, x->note[0] ? " " : "", x->note);
		}
		if (h.bs.n && !strcmp(o->prog->name, "mm")) {
			/* --bugs each: which variants showed up at all */
			int found = 0;
			char missing[1024] = "";
			for (int v = 0; v < h.bs.n; v++) {
				bool hit = false;
				for (int i = 0; i < h.nf && !hit; i++)
					hit = !strcmp(h.f[i].bugs, h.bs.list[v]);
				found += hit;
				if (!hit)
					snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
						 " %s", h.bs.list[v]);
			}
			printf("\nvariants found: %d of %d%s%s\n", found, h.bs.n,
			       found < h.bs.n ? "; not yet:" : "", missing);
		}
		printf("\nreplay one:  %s replay %s\n", o->self, h.f[0].path);
		if (!strcmp(o->prog->name, "mm"))
			printf("check a fix: %s replay %s --bugs none\n", o->self, h.f[0].path);
	}
	if (h.killed_outside)
		printf("%d worker%s killed from outside (not findings)\n", h.killed_outside,
		       h.killed_outside == 1 ? " was" : "s were");
	if (h.stopped_at_end)
		printf("%d execution%s still running when the hunt ended %s stopped (under the "
		       "%u ms limit: not findings)\n", h.stopped_at_end, h.stopped_at_end == 1 ? "" : "s",
		       h.stopped_at_end == 1 ? "was" : "were", o->timeout_ms);
	if (h.timeouts_passed_over)
		printf("%d timeout%s not confirmed by re-execution (passed over)\n",
		       h.timeouts_passed_over, h.timeouts_passed_over == 1 ? "" : "s");
	int rc = h.nf ? 1 : h.interrupted ? MMF_HUNT_INTERRUPTED : 0;
	if (o->json && write_json(&h, secs))
		rc = 2;
	for (int i = 0; i < o->jobs; i++)
		mmf_flight_free(h.slot[i].f);
	munmap(h.sh, sizeof(*h.sh));
	if (h.internal)
		mmf_internal("hunt: %s", h.internal_why);
	return rc;
}
