/* runner.c - one execution of a program, and the program registry. */
#define _GNU_SOURCE
#include "program.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct mmf_program mmf_toy_lost_update, mmf_toy_abba, mmf_toy_uaf,
	mmf_toy_missed_wakeup, mmf_toy_race, mmf_toy_points, mmf_mm_program;

const struct mmf_program *const mmf_programs[] = {
	&mmf_mm_program,     &mmf_toy_lost_update, &mmf_toy_abba, &mmf_toy_uaf,
	&mmf_toy_missed_wakeup, &mmf_toy_race,     &mmf_toy_points, NULL,
};

const struct mmf_program *mmf_program_find(const char *name)
{
	for (int i = 0; mmf_programs[i]; i++)
		if (!strcmp(mmf_programs[i]->name, name))
			return mmf_programs[i];
	return NULL;
}

int mmf_param_int(const char *params, const char *key, long def, long lo, long hi, long *out,
		  char *err, size_t errlen)
{
	char buf[64];
	mmf_param(params ? params : "", key, buf, sizeof(buf));
	if (!buf[0]) {
		*out = def;
		return 0;
	}
	char *end;
	long v = strtol(buf, &end, 10);
	if (*end || v < lo || v > hi) {
		snprintf(err, errlen, "parameter %s=%s: expected an integer in %ld..%ld", key, buf,
			 lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

enum mmf_run_status mmf_run_program(struct mmf_sched *s, const struct mmf_program *p,
				    const char *params, char *err, size_t errlen, int *bad_params)
{
	*bad_params = 0;
	mmf_sched_reset(s);
	if (p->setup(s, params ? params : "", err, errlen)) {
		*bad_params = 1;
		return MMF_RUN_CLEAN;
	}
	enum mmf_run_status st = mmf_sched_run(s);
	if (st == MMF_RUN_CLEAN && p->finish) {
		p->finish(s);
		if (s->failed)
			st = MMF_RUN_FAILED;
	}
	return st;
}

int mmf_write_trace_file(const char *path, const struct mmf_sched *s, const char *source,
			 const char *program, const char *params, char *err, size_t errlen)
{
	struct mmf_trace_hdr h = {0};
	snprintf(h.program, sizeof(h.program), "%s", program);
	snprintf(h.params, sizeof(h.params), "%s", params ? params : "");
	snprintf(h.source, sizeof(h.source), "%s", source);
	/* The variant set in force is the program's bugs= parameter. */
	mmf_param(params ? params : "", "bugs", h.variants, sizeof(h.variants));
	if (!h.variants[0])
		snprintf(h.variants, sizeof(h.variants), "none");
	snprintf(h.result, sizeof(h.result), "%s",
		 s->failed ? mmf_fail_name(s->report.cls) : "clean");
	h.steps = s->steps;
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write trace '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = mmf_trace_write(f, &h, &s->trace);
	rc |= fflush(f);
	if (!rc)
		fsync(fileno(f));
	if (fclose(f) || rc) {
		snprintf(err, errlen, "error writing trace '%s'", path);
		return -1;
	}
	return 0;
}

/* ---- search ----------------------------------------------------------------- */
#include "decide.h"

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
	if (!list || !*list || !strcmp(list, "any"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
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
	*st = mmf_run_program(&q->s, q->prog, q->params, err, sizeof(err), &bad);
	if (bad) {
		snprintf(q->why, sizeof(q->why), "%s: %s", q->prog->name, err);
		return -1;
	}
	return 0;
}

double mmf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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

	q->runs = q->failures = q->other = q->other_at = 0;
	q->found = q->complete = q->diverged = false;
	q->why[0] = 0;
	switch (q->src) {
	case MMF_SRC_RANDOM:
		mmf_random_src_init(rnd, q->seed);
		dec = &rnd->base;
		snprintf(q->source_desc, sizeof(q->source_desc), "random seed=%llu",
			 (unsigned long long)q->seed);
		break;
	case MMF_SRC_PCT:
		mmf_pct_src_init(pct, q->seed, q->depth ? q->depth : 2);
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

	double t0 = mmf_now();
	while (q->runs < q->budget) {
		if (q->time_limit > 0 && (q->runs & 63) == 0 && mmf_now() - t0 >= q->time_limit)
			break;
		if (q->src == MMF_SRC_INPUT && !q->input)
			mmf_input_src_init(in, bytes, random_bytes(q->seed, q->runs, bytes, nbytes));
		/* PCT learns the expected run length from earlier runs; keep
		 * the state this run starts from so it can be re-executed. */
		if (q->src == MMF_SRC_PCT)
			q->pct_before = *pct;
		if (one(q, &st))
			return -1;
		q->runs++;
		if (st == MMF_RUN_DIVERGED) {
			q->diverged = true;
			snprintf(q->why, sizeof(q->why), "%s", dec->why);
			break;
		}
		if (st == MMF_RUN_FAILED && q->want && !(q->want >> q->s.report.cls & 1)) {
			if (!q->other++) {
				q->other_cls = q->s.report.cls;
				q->other_at = q->runs;
			}
			st = MMF_RUN_CLEAN;     /* not what we seek: go on */
		}
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
		if (q->src == MMF_SRC_RANDOM)
			mmf_random_src_at(rnd, q->found_at - 1);
		else if (q->src == MMF_SRC_PCT)
			*pct = q->pct_before;
		else if (!q->input)
			mmf_input_src_init(in, bytes,
					   random_bytes(q->seed, q->found_at - 1, bytes, nbytes));
		if (one(q, &st))
			return -1;
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
