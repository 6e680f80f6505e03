/* search.c - one decision source against a program until a failure or the
 * budget; in-process or supervised.  See search.h. */
#define _GNU_SOURCE
#include "search.h"
#include "flight.h"
#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char *const src_names[] = {"random", "pct", "input", "explore"};

const char *mmf_src_name(enum mmf_src_kind k) { return src_names[k]; }

int mmf_src_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(src_names[i], name))
			return i;
	return -1;
}

long mmf_classes_parse(const char *list, char *bad, size_t badlen)
{
	char buf[256];
	long m = 0;
	if (bad && badlen)
		bad[0] = 0;
	if (list && !strcmp(list, "any"))
		return 0;
	size_t n = list ? strlen(list) : 0;
	if (!n || n >= sizeof(buf) || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		return -1;      /* empty, or an empty item: bad stays "" */
	memcpy(buf, list, n + 1);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int c = mmf_fail_from_name(t);
		if (c <= 0) {
			if (bad)
				snprintf(bad, badlen, "%s", t);
			return -1;
		}
		m |= 1l << c;
	}
	return m;
}

/* What a supervised search's child tells its parent, and where a new child
 * resumes after one died. */
struct mmf_search_shared {
	/* results */
	int finished;                   /* the child's search returned */
	int rc;
	uint64_t runs, other, other_at, found_at, failures;
	int other_cls, found, cls, complete, diverged;
	char why[512];
	char source_desc[128];
	/* the resume point: runs done, and PCT's state before the run */
	uint64_t resume_runs;
	struct mmf_pct_src pct_before;
	int have_pct;
};

/* The blackbox input source: random byte strings, 0-64 bytes, run by run. */
static size_t random_bytes(uint64_t seed, uint64_t run, uint8_t *buf, size_t cap)
{
	struct mmf_rng r;
	mmf_rng_seed(&r, mmf_mix64(seed) ^ mmf_mix64(run + 1));
	size_t n = (size_t)mmf_rng_below(&r, cap + 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)mmf_rng_next(&r);
	return n;
}

static int one(struct mmf_search *q, enum mmf_run_status *st)
{
	int bad;
	char err[256];
	if (q->flight)
		q->flight->exec_no = q->runs;
	*st = mmf_run_program(&q->s, q->prog, q->params, err, sizeof(err), &bad);
	if (bad) {
		snprintf(q->why, sizeof(q->why), "%s: %s", q->prog->name, err);
		return -1;
	}
	return 0;
}

/* Count a failure of a class not sought; true if it was one. */
static bool passed_over(struct mmf_search *q, enum mmf_fail_class cls)
{
	if (!q->want || (q->want >> cls & 1))
		return false;
	if (!q->other++) {
		q->other_cls = cls;
		q->other_at = q->runs;
	}
	return true;
}

int mmf_search_run(struct mmf_search *q)
{
	struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS};
	struct mmf_random_src *rnd = &q->rnd;
	struct mmf_pct_src *pct = &q->pct;
	struct mmf_input_src *in = &q->in;
	struct mmf_explore_src *ex = &q->ex;
	uint8_t *bytes = q->bytes;
	const size_t nbytes = sizeof(q->bytes);
	struct mmf_decider *dec;
	enum mmf_run_status st;
	struct mmf_search_shared *sh = q->sh;
	uint64_t start = sh ? sh->resume_runs : 0;

	q->runs = start;
	q->failures = 0;
	if (!start)
		q->other = q->other_at = 0;
	q->found = q->complete = q->diverged = false;
	q->why[0] = 0;
	switch (q->src) {
	case MMF_SRC_RANDOM:
		mmf_random_src_init(rnd, q->seed);
		mmf_random_src_at(rnd, start);
		dec = &rnd->base;
		snprintf(q->source_desc, sizeof(q->source_desc), "random seed=%llu",
			 (unsigned long long)q->seed);
		break;
	case MMF_SRC_PCT:
		mmf_pct_src_init(pct, q->seed, q->depth ? q->depth : 2);
		if (sh && sh->have_pct) {
			/* resume after the run that died: its state, one run on */
			*pct = sh->pct_before;
			pct->run++;
		}
		dec = &pct->base;
		snprintf(q->source_desc, sizeof(q->source_desc), "pct seed=%llu depth=%d",
			 (unsigned long long)q->seed, pct->depth);
		break;
	case MMF_SRC_INPUT:
		mmf_input_src_init(in, q->input, q->input_len);
		dec = &in->base;
		if (q->input)
			snprintf(q->source_desc, sizeof(q->source_desc), "input bytes=%zu", q->input_len);
		else
			snprintf(q->source_desc, sizeof(q->source_desc), "input random-bytes seed=%llu",
				 (unsigned long long)q->seed);
		break;
	case MMF_SRC_EXPLORE:
		mmf_explore_src_init(ex, q->bound);
		dec = &ex->base;
		o.record = o.log = q->keep_trace;
		snprintf(q->source_desc, sizeof(q->source_desc), "explore bound=%d", q->bound);
		break;
	default:
		mmf_internal("bad source kind %d", q->src);
	}
	mmf_sched_init(&q->s, &o, dec);
	if (q->flight)
		mmf_sched_use_flight(&q->s, q->flight);
	if (sh)
		memcpy(sh->source_desc, q->source_desc, sizeof(sh->source_desc));

	double t0 = q->t0 ? q->t0 : mmf_now();
	while (q->runs < q->budget) {
		if (q->time_limit > 0 && ((q->runs - start) & 63) == 0 &&
		    mmf_now() - t0 >= q->time_limit)
			break;
		if (q->src == MMF_SRC_INPUT && !q->input)
			mmf_input_src_init(in, bytes, random_bytes(q->seed, q->runs, bytes, nbytes));
		/* PCT learns the expected run length from earlier runs; keep
		 * the state this run starts from so it can be re-executed. */
		if (q->src == MMF_SRC_PCT) {
			q->pct_before = *pct;
			if (sh) {
				sh->pct_before = *pct;
				sh->have_pct = 1;
			}
		}
		if (sh) {
			sh->runs = q->runs;
			sh->other = q->other;
			sh->other_at = q->other_at;
			sh->other_cls = q->other_cls;
			sh->failures = q->failures;
		}
		if (one(q, &st))
			return -1;
		q->runs++;
		if (st == MMF_RUN_DIVERGED) {
			q->diverged = true;
			snprintf(q->why, sizeof(q->why), "%s", dec->why);
			break;
		}
		if (st == MMF_RUN_FAILED && passed_over(q, q->s.report.cls))
			st = MMF_RUN_CLEAN;     /* not what we seek: go on */
		if (st == MMF_RUN_FAILED) {
			q->failures++;
			if (!q->found) {
				q->found = true;
				q->cls = q->s.report.cls;
				q->found_at = q->runs;
			}
			if (q->src != MMF_SRC_EXPLORE || q->stop_at_failure)
				break;
		}
		if (q->src == MMF_SRC_EXPLORE && !mmf_explore_next(ex)) {
			q->complete = true;
			break;
		}
		if (q->src == MMF_SRC_INPUT && q->input)
			break;
	}

	/* Re-execute the failing run with the trace and step log on: the
	 * same decisions must give the same failure, or the program is not
	 * deterministic under the scheduler. */
	if (q->found && q->keep_trace && q->src != MMF_SRC_EXPLORE) {
		char first[300];
		snprintf(first, sizeof(first), "%.290s", q->s.report.text);
		q->s.opts.record = q->s.opts.log = true;
		uint64_t runs = q->runs;
		q->runs = q->found_at - 1;
		if (q->src == MMF_SRC_RANDOM)
			mmf_random_src_at(rnd, q->found_at - 1);
		else if (q->src == MMF_SRC_PCT)
			*pct = q->pct_before;
		else if (!q->input)
			mmf_input_src_init(in, bytes,
					   random_bytes(q->seed, q->found_at - 1, bytes, nbytes));
		if (one(q, &st))
			return -1;
		q->runs = runs;
		if (st != MMF_RUN_FAILED || q->s.report.cls != q->cls) {
			snprintf(q->why, sizeof(q->why),
				 "internal: re-running execution %llu gave %s instead of %s: the "
				 "program is not deterministic under the scheduler (first run: %s)",
				 (unsigned long long)q->found_at,
				 st == MMF_RUN_FAILED ? mmf_fail_name(q->s.report.cls) : "a clean run",
				 mmf_fail_name(q->cls), first);
			return -1;
		}
	}
	return 0;
}

void mmf_search_free(struct mmf_search *q)
{
	mmf_sched_destroy(&q->s);
	if (q->src == MMF_SRC_EXPLORE)
		mmf_explore_src_free(&q->ex);
}

/* ---- supervised ------------------------------------------------------------------ */

static void search_child(void *arg)
{
	struct mmf_search *q = arg;
	struct mmf_search_shared *sh = q->sh;
	int rc = mmf_search_run(q);
	sh->rc = rc;
	sh->runs = q->runs;
	sh->other = q->other;
	sh->other_at = q->other_at;
	sh->other_cls = q->other_cls;
	sh->found = q->found;
	sh->cls = q->cls;
	sh->found_at = q->found_at;
	sh->failures = q->failures;
	sh->complete = q->complete;
	sh->diverged = q->diverged;
	memcpy(sh->why, q->why, sizeof(sh->why));
	memcpy(sh->source_desc, q->source_desc, sizeof(sh->source_desc));
	sh->finished = 1;
}

int mmf_search_run_guarded(struct mmf_search *q, unsigned timeout_ms)
{
	struct mmf_search_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		mmf_internal("cannot map the search's shared state");
	memset(sh, 0, sizeof(*sh));
	struct mmf_flight *f = mmf_flight_new(MMF_FLIGHT_CAP);
	q->sh = sh;
	q->flight = f;
	q->t0 = mmf_now();
	q->other = q->other_at = 0;
	int rc = 0;
	bool have_s = false;
	for (;;) {
		sh->finished = 0;
		f->in_exec = 0;
		f->internal = 0;
		pid_t pid = mmf_guard_spawn(search_child, q, -1);
		struct mmf_guard_end e;
		mmf_guard_wait(pid, f, timeout_ms, &e);
		q->runs = sh->runs;
		q->other = sh->other;
		q->other_at = sh->other_at;
		q->other_cls = (enum mmf_fail_class)sh->other_cls;
		q->failures = sh->failures;
		memcpy(q->source_desc, sh->source_desc, sizeof(q->source_desc));
		if (e.how == MMF_GUARD_DONE) {
			if (!sh->finished) {
				snprintf(q->why, sizeof(q->why), "the search process exited with status %d",
					 e.exit_code);
				rc = -1;
				break;
			}
			rc = sh->rc;
			q->found = sh->found;
			q->cls = (enum mmf_fail_class)sh->cls;
			q->found_at = sh->found_at;
			q->complete = sh->complete;
			q->diverged = sh->diverged;
			memcpy(q->why, sh->why, sizeof(q->why));
			/* the last execution is the failing one, re-run with its log */
			if (q->found && (q->keep_trace || q->src == MMF_SRC_EXPLORE)) {
				mmf_guard_adopt(f, &q->s);
				have_s = true;
			}
			break;
		}
		if (e.how == MMF_GUARD_INTERNAL)
			mmf_internal("%s", e.why);
		if (e.how == MMF_GUARD_KILLED) {
			if (!strcmp(e.why, "interrupted"))
				q->interrupted = mmf_guard_interrupted();
			else {
				snprintf(q->why, sizeof(q->why), "the search process was %s", e.why);
				rc = -1;
			}
			break;
		}
		/* An execution ended the process.  Its decisions lead there
		 * again: re-execute them with the step log on, for the table. */
		uint64_t k = f->exec_no;
		size_t n = __atomic_load_n(&f->ndec, __ATOMIC_ACQUIRE);
		struct mmf_sched died;
		mmf_guard_adopt(f, &died);
		if (have_s)
			mmf_sched_destroy(&q->s);
		struct mmf_guard_end re;
		mmf_guard_reproduce(q->prog, q->params, f->dec, n, timeout_ms, -1, &q->s, &re);
		have_s = true;
		bool same = re.how == MMF_GUARD_FAILED && q->s.report.cls == died.report.cls;
		if (!same) {
			/* It ended that way once: keep the first record (no table)
			 * rather than lose it, and say so. */
			q->not_reproduced = true;
			mmf_sched_destroy(&q->s);
			q->s = died;
			if (e.timeout) {
				/* a timeout that the re-execution does not repeat is a
				 * busy machine, not a finding */
				fprintf(stderr, "mmfuzz: execution %llu overran %u ms once but not when "
					"re-executed: passed over\n", (unsigned long long)k + 1,
					timeout_ms);
				mmf_sched_destroy(&q->s);
				have_s = false;
				goto resume;
			}
		} else {
			mmf_sched_destroy(&died);
		}
		q->runs = k + 1;
		if (q->want && !(q->want >> q->s.report.cls & 1)) {
			if (!q->other++) {
				q->other_cls = q->s.report.cls;
				q->other_at = k + 1;
			}
			mmf_sched_destroy(&q->s);
			have_s = false;
			goto resume;
		}
		q->found = true;
		q->cls = q->s.report.cls;
		q->found_at = k + 1;
		q->failures++;
		break;
	resume:
		if (q->src == MMF_SRC_EXPLORE || (q->src == MMF_SRC_INPUT && q->input) ||
		    k + 1 >= q->budget || (q->time_limit > 0 && mmf_now() - q->t0 >= q->time_limit)) {
			q->runs = k + 1;
			break;  /* explore cannot resume: the search is incomplete */
		}
		sh->resume_runs = k + 1;
		sh->other = q->other;
		sh->other_at = q->other_at;
		sh->other_cls = q->other_cls;
	}
	if (!have_s) {
		struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS};
		mmf_sched_init(&q->s, &o, NULL);
	}
	mmf_flight_free(f);
	munmap(sh, sizeof(*sh));
	q->sh = NULL;
	q->flight = NULL;
	/* the child's decision sources are gone with it */
	memset(&q->ex, 0, sizeof(q->ex));
	return rc;
}
