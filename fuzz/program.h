/* program.h - what the runner runs: a named program that spawns its tasks
 * into a fresh run, and checks the end state when every task has exited.
 * The toy programs (toys.c) are the scheduler's own test bed; the mm model
 * workloads register here too. */
#ifndef MMF_PROGRAM_H
#define MMF_PROGRAM_H

#include <stddef.h>

#include "decide.h"
#include "scheduler.h"

struct mmf_param_spec;

struct mmf_program {
	const char *name;
	/* The keys its params take (params.h): checked before setup runs. */
	const struct mmf_param_spec *param_spec;
	const char *summary;            /* one line for `mmfuzz list` */
	const char *params_help;        /* "fixed=0|1 tasks=2..4" */
	const char *default_params;
	/* Fail class a buggy configuration is expected to show (for demos
	 * and tests; never read by any check). */
	const char *expect;
	/* Parse params and spawn the tasks.  Returns 0, or -1 with a one-line
	 * reason in err (bad params: a usage error). */
	int (*setup)(struct mmf_sched *s, const char *params, char *err, size_t errlen);
	/* Host context, after a clean run: end-state checks (mmf_fail records). */
	void (*finish)(struct mmf_sched *s);
	/* Optional, after setup: params that build the same workload without
	 * drawing anything (every size and operation spelled out), for the
	 * minimizer to edit.  0, or -1 if it does not fit in len. */
	int (*describe)(struct mmf_sched *s, char *buf, size_t len);
	/* Optional: a program whose executions run elsewhere (exec mode runs
	 * each in a fresh child process) does the whole execution here in
	 * place of reset, setup, run and finish, flight record included, and
	 * leaves s as if it had run in place.  Params are checked before. */
	enum mmf_run_status (*run)(struct mmf_sched *s, const char *params, char *err,
				   size_t errlen, int *bad_params);
};

/* A program that is not built in (exec mode's), found by name too. */
extern const struct mmf_program *mmf_extra_program;

const struct mmf_program *mmf_program_find(const char *name);
extern const struct mmf_program *const mmf_programs[];

/* One execution: reset, setup, run, finish.  Returns the status; the
 * report is in s->report.  -1 in *setup_failed if params were bad. */
enum mmf_run_status mmf_run_program(struct mmf_sched *s, const struct mmf_program *p,
				    const char *params, char *err, size_t errlen, int *bad_params);

/* Reset and set the program up without running it (parameter checks, and
 * the program's describe hook reads the workload); 0, or -1 with err.
 * The next reset discards what setup made. */
int mmf_setup_program(struct mmf_sched *s, const struct mmf_program *p, const char *params,
		      char *err, size_t errlen);

/* Whether params hold for p: set up once (nothing runs, so nothing can
 * crash the caller) in a scheduler of its own.  0, or -1 with err. */
int mmf_check_params(const struct mmf_program *p, const char *params, char *err, size_t errlen);

/* Write s's decision trace with a header; fsync'd.  0, or -1 with err. */
int mmf_write_trace_file(const char *path, const struct mmf_sched *s, const char *source,
			 const char *program, const char *params, char *err, size_t errlen);

/* Integer param with a range check; returns -1 and sets err if bad. */
int mmf_param_int(const char *params, const char *key, long def, long lo, long hi, long *out,
		  char *err, size_t errlen);


/* Seconds on the monotonic clock (for time budgets and reports). */
double mmf_now(void);

#endif
