/* runner.c - one execution of a program, and the program registry. */
#define _GNU_SOURCE
#include "decide.h"
#include "flight.h"
#include "params.h"
#include "program.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct mmf_program mmf_toy_lost_update, mmf_toy_abba, mmf_toy_uaf,
	mmf_toy_missed_wakeup, mmf_toy_race, mmf_toy_points, mmf_toy_crash, mmf_toy_spin,
	mmf_mm_program;

const struct mmf_program *const mmf_programs[] = {
	&mmf_mm_program,        &mmf_toy_lost_update, &mmf_toy_abba,  &mmf_toy_uaf,
	&mmf_toy_missed_wakeup, &mmf_toy_race,        &mmf_toy_crash, &mmf_toy_spin,
	&mmf_toy_points,        NULL,
};

const struct mmf_program *mmf_extra_program;

const struct mmf_program *mmf_program_find(const char *name)
{
	if (mmf_extra_program && !strcmp(mmf_extra_program->name, name))
		return mmf_extra_program;
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
	if (mmf_params_check(params, p->param_spec, err, errlen)) {
		*bad_params = 1;
		return MMF_RUN_CLEAN;
	}
	if (p->run)
		return p->run(s, params ? params : "", err, errlen, bad_params);
	mmf_sched_reset(s);
	/* From here the execution is under way: a supervisor reading the
	 * flight record sees its decisions (setup draws some) and its start. */
	if (s->flight)
		mmf_flight_begin(s->flight, p->name, params);
	if (p->setup(s, params ? params : "", err, errlen)) {
		*bad_params = 1;
		if (s->flight)
			mmf_flight_end(s->flight, s, MMF_RUN_CLEAN);
		return MMF_RUN_CLEAN;
	}
	enum mmf_run_status st = mmf_sched_run(s);
	if (st == MMF_RUN_CLEAN && p->finish) {
		p->finish(s);
		if (s->failed)
			st = MMF_RUN_FAILED;
	}
	if (s->flight)
		mmf_flight_end(s->flight, s, st);
	return st;
}

int mmf_setup_program(struct mmf_sched *s, const struct mmf_program *p, const char *params,
		      char *err, size_t errlen)
{
	if (mmf_params_check(params, p->param_spec, err, errlen))
		return -1;
	mmf_sched_reset(s);
	return p->setup(s, params ? params : "", err, errlen) ? -1 : 0;
}

int mmf_check_params(const struct mmf_program *p, const char *params, char *err, size_t errlen)
{
	struct mmf_input_src in;
	mmf_input_src_init(&in, NULL, 0);
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, &in.base);
	int rc = mmf_setup_program(&s, p, params, err, errlen);
	mmf_sched_destroy(&s);
	return rc;
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

double mmf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
