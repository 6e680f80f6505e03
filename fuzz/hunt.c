/* hunt.c - the built-in engine on several cores; see hunt.h.
 *
 * The parent forks --jobs worker processes and watches them.  Workers
 * claim execution numbers from a shared counter; three in four use the
 * random source at run k (the same run whichever worker takes it), the
 * fourth the worker's PCT source (docs/bugs.md: the random walk finds the
 * deep races, PCT some shapes sooner).  Every run records its decisions; a
 * failure whose signature (class, variant set, reporting site, report line
 * without numbers) the worker has not seen is written as a trace and
 * fsync'd, and only then announced to the parent through a pipe.  Under a
 * sanitizer that ends the process (ASan's use-after-free), a death callback
 * writes the partial trace of the current run first; the parent starts a
 * new worker in its place.  The parent keeps the distinct findings,
 * prints a live status line, and at the end a findings table and, with
 * --json, a results file. */
#define _GNU_SOURCE
#include "hunt.h"
#include "decide.h"
#include "harness.h"
#include "program.h"
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

#if MMF_ASAN || MMF_TSAN
#include <sanitizer/common_interface_defs.h>
#endif

#define MAX_JOBS 64
#define SITE_BITS (1u << 14)
#define FEAT_BITS (1u << 16)
#define SCHED_BITS (1u << 23)
#define MAX_FINDINGS 256

struct shared {
	uint64_t next_exec;     /* claimed with an atomic add */
	uint64_t done;
	uint64_t steps;
	uint64_t failures;
	int stop;
	uint32_t nsites, nfeats, nscheds;
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

/* ---- a worker ------------------------------------------------------------------ */

struct worker {
	int id;
	const struct mmf_hunt_opts *o;
	struct shared *sh;
	int fd;                 /* pipe to the parent */
	double t0;
	struct mmf_sched s;
	struct mmf_random_src rnd;
	struct mmf_pct_src pct;
	char params[1200];
	uint64_t k;             /* the execution being run */
	char seen[MAX_FINDINGS][512];
	int nseen;
};

static struct worker *current_worker;

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
	int n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%" PRIu64 "\t%.2f\t%s\n", sig, cls, bugs,
			 w->k + 1, mmf_now() - w->t0, path);
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
	if (mmf_write_trace_file(path, &w->s, source, "mm", w->params, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: hunt: %s\n", err);
		path[0] = 0;
	}
	announce(w, sig, cls, path);
}

#if MMF_ASAN || MMF_TSAN
/* The sanitizer is about to end the process: save what the run did. */
static void on_sanitizer_death(void)
{
	struct worker *w = current_worker;
	if (!w)
		return;
	current_worker = NULL;
	char sig[600];
	const char *cls = mmf_sanitizer_death_signature(w->params, sig, sizeof(sig));
	/* The trace records the run up to the sanitizer's report. */
	w->s.failed = true;
	int c = mmf_fail_from_name(cls);
	w->s.report.cls = c > 0 ? (enum mmf_fail_class)c : MMF_FAIL_BUG;
	save_finding(w, cls, sig);
}
#endif

static void worker_main(struct worker *w)
{
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
	const struct mmf_program *p = mmf_program_find("mm");
	current_worker = w;
#if MMF_ASAN || MMF_TSAN
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif
	for (;;) {
		if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED))
			break;
		if (o->time_limit > 0 && mmf_now() - w->t0 >= o->time_limit)
			break;
		w->k = __atomic_fetch_add(&sh->next_exec, 1, __ATOMIC_RELAXED);
		if (o->execs && w->k >= o->execs)
			break;
		snprintf(w->params, sizeof(w->params), "%s%sbugs=%s", o->params ? o->params : "",
			 o->params && *o->params ? " " : "", bugset_for(&bs, w->k));
		/* the source by round, not by k: with --bugs each, k picks the
		 * variant, and k % 4 would give some variants only PCT */
		uint64_t round = bs.n ? w->k / (uint64_t)bs.n : w->k;
		if (round % 4 != 3) {
			mmf_random_src_at(&w->rnd, w->k);
			w->s.dec = &w->rnd.base;
		} else {
			w->s.dec = &w->pct.base;
		}
		int bad;
		char err[256];
		enum mmf_run_status st = mmf_run_program(&w->s, p, w->params, err, sizeof(err), &bad);
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
		bool seen = false;
		for (int i = 0; i < w->nseen && !seen; i++)
			seen = !strncmp(w->seen[i], sig, sizeof(w->seen[0]) - 1);
		if (seen || w->nseen == MAX_FINDINGS) {
			announce(w, sig, mmf_fail_name(w->s.report.cls), "");   /* counted */
			continue;
		}
		snprintf(w->seen[w->nseen++], sizeof(w->seen[0]), "%s", sig);
		save_finding(w, mmf_fail_name(w->s.report.cls), sig);
	}
	current_worker = NULL;
	mmf_sched_destroy(&w->s);
	_exit(0);
}

/* ---- the parent ------------------------------------------------------------------ */

struct finding {
	char sig[512], cls[32], bugs[512], path[1024];
	uint64_t exec;
	double secs;
	uint64_t count;
};

struct hunt {
	const struct mmf_hunt_opts *o;
	struct shared *sh;
	pid_t pid[MAX_JOBS];
	int fd[MAX_JOBS];
	char buf[MAX_JOBS][8192];
	size_t blen[MAX_JOBS];
	struct finding f[MAX_FINDINGS];
	int nf;
	double t0;
	int restarts;
};

static int spawn(struct hunt *h, int id)
{
	int p[2];
	if (pipe(p))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		for (int i = 0; i < h->o->jobs; i++)
			if (i != id && h->fd[i] >= 0)
				close(h->fd[i]);
		static struct worker w;
		memset(&w, 0, sizeof(w));
		w.id = id;
		w.o = h->o;
		w.sh = h->sh;
		w.fd = p[1];
		w.t0 = h->t0;
		worker_main(&w);
	}
	close(p[1]);
	h->pid[id] = pid;
	h->fd[id] = p[0];
	h->blen[id] = 0;
	return 0;
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
	for (int i = 0; i < h->nf; i++) {
		if (!strcmp(h->f[i].sig, f[0])) {
			h->f[i].count++;
			/* keep the earliest execution as the finding */
			uint64_t e = strtoull(f[3], NULL, 10);
			if (e < h->f[i].exec && n == 6) {
				h->f[i].exec = e;
				h->f[i].secs = strtod(f[4], NULL);
				snprintf(h->f[i].path, sizeof(h->f[i].path), "%s", f[5]);
			}
			return;
		}
	}
	if (h->nf == MAX_FINDINGS)
		return;
	struct finding *x = &h->f[h->nf++];
	snprintf(x->sig, sizeof(x->sig), "%s", f[0]);
	snprintf(x->cls, sizeof(x->cls), "%s", f[1]);
	snprintf(x->bugs, sizeof(x->bugs), "%s", f[2]);
	x->exec = strtoull(f[3], NULL, 10);
	x->secs = strtod(f[4], NULL);
	snprintf(x->path, sizeof(x->path), "%s", n == 6 ? f[5] : "");
	x->count = 1;
	if (!h->o->quiet)
		fprintf(stderr, "%snew finding: %s (%s) at execution %" PRIu64 ", %.1f s: %s\n",
			isatty(2) ? "\r\033[K" : "", x->cls, x->bugs, x->exec, x->secs, x->path);
}

static void drain(struct hunt *h, int id)
{
	for (;;) {
		ssize_t r = read(h->fd[id], h->buf[id] + h->blen[id],
				 sizeof(h->buf[id]) - 1 - h->blen[id]);
		if (r <= 0) {
			close(h->fd[id]);
			h->fd[id] = -1;
			return;
		}
		h->blen[id] += (size_t)r;
		h->buf[id][h->blen[id]] = 0;
		char *nl;
		while ((nl = strchr(h->buf[id], '\n'))) {
			*nl = 0;
			take_line(h, h->buf[id]);
			size_t used = (size_t)(nl + 1 - h->buf[id]);
			memmove(h->buf[id], nl + 1, h->blen[id] - used + 1);
			h->blen[id] -= used;
		}
		struct pollfd pf = {h->fd[id], POLLIN, 0};
		if (poll(&pf, 1, 0) <= 0 || !(pf.revents & (POLLIN | POLLHUP)))
			return;
	}
}

static void status(struct hunt *h, bool final)
{
	struct shared *sh = h->sh;
	double t = mmf_now() - h->t0;
	uint64_t done = __atomic_load_n(&sh->done, __ATOMIC_RELAXED);
	fprintf(stderr, "%s[%6.1fs] execs %" PRIu64 " (%.0f/s)  schedules %u  coverage %u sites  "
		"features %u  failures %" PRIu64 "  findings %d%s",
		isatty(2) ? "\r\033[K" : "", t, done, t > 0 ? (double)done / t : 0.0, sh->nscheds,
		sh->nsites, sh->nfeats, __atomic_load_n(&sh->failures, __ATOMIC_RELAXED), h->nf,
		isatty(2) && !final ? "" : "\n");
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
	fprintf(f, ",\n  \"bugs\": ");
	json_str(f, o->bugs ? o->bugs : "none");
	fprintf(f, ",\n  \"jobs\": %d,\n  \"seed\": %" PRIu64 ",\n  \"seconds\": %.2f,\n", o->jobs,
		o->seed, secs);
	uint64_t done = sh->done;
	fprintf(f, "  \"executions\": %" PRIu64 ",\n  \"executions_per_second\": %.1f,\n", done,
		secs > 0 ? (double)done / secs : 0.0);
	fprintf(f, "  \"steps\": %" PRIu64 ",\n  \"schedules\": %u,\n  \"coverage_sites\": %u,\n"
		"  \"features\": %u,\n  \"failures\": %" PRIu64 ",\n  \"worker_restarts\": %d,\n",
		sh->steps, sh->nscheds, sh->nsites, sh->nfeats, sh->failures, h->restarts);
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

int mmf_hunt(const struct mmf_hunt_opts *o)
{
	static struct hunt h;
	struct bugset bs;
	memset(&h, 0, sizeof(h));
	h.o = o;
	if (bugset_parse(o->bugs, &bs))
		return 2;
	if (o->jobs < 1 || o->jobs > MAX_JOBS) {
		fprintf(stderr, "mmfuzz: hunt: --jobs must be 1..%d\n", MAX_JOBS);
		return 2;
	}
	/* The parameters must parse before anything starts. */
	struct mmf_harness probe;
	char err[300];
	if (mmf_harness_init(&probe, bs.n ? bs.list[0] : bs.fixed, o->params, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: hunt: %s\n", err);
		return 2;
	}
	mmf_harness_destroy(&probe);
	if (mkdir(o->out_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "mmfuzz: hunt: cannot create '%s': %s\n", o->out_dir, strerror(errno));
		return 2;
	}
	h.sh = mmap(NULL, sizeof(*h.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h.sh == MAP_FAILED)
		mmf_internal("hunt: mmap of the shared counters failed");
	signal(SIGPIPE, SIG_IGN);
	h.t0 = mmf_now();
	for (int i = 0; i < o->jobs; i++)
		h.fd[i] = -1;
	for (int i = 0; i < o->jobs; i++)
		if (spawn(&h, i))
			mmf_internal("hunt: cannot start a worker: %s", strerror(errno));

	if (!o->quiet) {
		char lim[64] = "";
		if (o->time_limit > 0)
			snprintf(lim, sizeof(lim), ", %.0f s", o->time_limit);
		if (o->execs)
			snprintf(lim + strlen(lim), sizeof(lim) - strlen(lim), ", %" PRIu64 " executions",
				 o->execs);
		fprintf(stderr, "mmfuzz hunt: %d job%s, bugs=%s%s, reproducers in %s/\n", o->jobs,
			o->jobs == 1 ? "" : "s", o->bugs ? o->bugs : "none", lim, o->out_dir);
	}
	double last = 0;
	int alive = o->jobs;
	while (alive) {
		struct pollfd pf[MAX_JOBS];
		int map[MAX_JOBS], n = 0;
		for (int i = 0; i < o->jobs; i++)
			if (h.fd[i] >= 0) {
				pf[n] = (struct pollfd){h.fd[i], POLLIN, 0};
				map[n++] = i;
			}
		if (n)
			poll(pf, (nfds_t)n, 200);
		else
			usleep(200000);
		for (int j = 0; j < n; j++)
			if (pf[j].revents & (POLLIN | POLLHUP | POLLERR))
				drain(&h, map[j]);
		/* Workers that ended: done, or killed by a sanitizer mid-run
		 * (restart it while there is budget left). */
		for (int i = 0; i < o->jobs; i++) {
			int stt;
			if (h.pid[i] <= 0 || waitpid(h.pid[i], &stt, WNOHANG) != h.pid[i])
				continue;
			if (h.fd[i] >= 0)
				drain(&h, i);
			h.pid[i] = 0;
			bool clean = WIFEXITED(stt) && WEXITSTATUS(stt) == 0;
			if (WIFEXITED(stt) && WEXITSTATUS(stt) == 2) {
				__atomic_store_n(&h.sh->stop, 1, __ATOMIC_RELAXED);
				alive--;
				continue;
			}
			bool more = (!o->time_limit || mmf_now() - h.t0 < o->time_limit) &&
				    (!o->execs || __atomic_load_n(&h.sh->next_exec, __ATOMIC_RELAXED) <
						  o->execs) &&
				    !__atomic_load_n(&h.sh->stop, __ATOMIC_RELAXED);
			if (!clean)
				__atomic_fetch_add(&h.sh->failures, 1, __ATOMIC_RELAXED);
			if (!clean && more) {
				/* the crashed run is counted; go on past it */
				__atomic_fetch_add(&h.sh->done, 1, __ATOMIC_RELAXED);
				h.restarts++;
				if (spawn(&h, i))
					mmf_internal("hunt: cannot restart a worker");
				continue;
			}
			if (!clean)
				__atomic_fetch_add(&h.sh->done, 1, __ATOMIC_RELAXED);
			alive--;
		}
		double t = mmf_now() - h.t0;
		if (!o->quiet && t - last >= (isatty(2) ? 0.5 : 10.0)) {
			status(&h, false);
			last = t;
		}
	}
	double secs = mmf_now() - h.t0;
	if (!o->quiet)
		status(&h, true);

	qsort(h.f, (size_t)h.nf, sizeof(h.f[0]), by_exec);
	struct shared *sh = h.sh;
	printf("mmfuzz hunt: %" PRIu64 " executions in %.1f s (%.0f/s, %d job%s), %u schedules, %u "
	       "sites, %u interleaving features, %" PRIu64 " failing runs, %d distinct finding%s\n",
	       sh->done, secs, secs > 0 ? (double)sh->done / secs : 0.0, o->jobs,
	       o->jobs == 1 ? "" : "s", sh->nscheds, sh->nsites, sh->nfeats, sh->failures, h.nf,
	       h.nf == 1 ? "" : "s");
	if (h.nf) {
		printf("\n  %-16s %-33s %10s %8s %6s  %s\n", "class", "variants", "first exec", "time",
		       "runs", "reproducer");
		for (int i = 0; i < h.nf; i++) {
			struct finding *x = &h.f[i];
			printf("  %-16s %-33s %10" PRIu64 " %7.1fs %6" PRIu64 "  %s\n", x->cls, x->bugs,
			       x->exec, x->secs, x->count, x->path);
		}
		if (bs.n) {
			/* --bugs each: which variants showed up at all */
			int found = 0;
			char missing[1024] = "";
			for (int v = 0; v < bs.n; v++) {
				bool hit = false;
				for (int i = 0; i < h.nf && !hit; i++)
					hit = !strcmp(h.f[i].bugs, bs.list[v]);
				found += hit;
				if (!hit)
					snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
						 " %s", bs.list[v]);
			}
			printf("\nvariants found: %d of %d%s%s\n", found, bs.n,
			       found < bs.n ? "; not yet:" : "", missing);
		}
		printf("\nreplay one:  %s replay %s\n", o->self, h.f[0].path);
		printf("check a fix: %s replay %s --bugs none\n", o->self, h.f[0].path);
	}
	int rc = h.nf ? 1 : 0;
	if (o->json && write_json(&h, secs))
		rc = 2;
	munmap(h.sh, sizeof(*h.sh));
	return rc;
}
