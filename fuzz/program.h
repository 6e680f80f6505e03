/* program.h - what the runner runs: a named program that spawns its tasks
 * into a fresh run, and checks the end state when every task has exited.
 * The toy programs (toys.c) are the scheduler's own test bed; the mm model
 * workloads register here too. */
#ifndef MMF_PROGRAM_H
#define MMF_PROGRAM_H

#include <stddef.h>

#include "decide.h"
#include "scheduler.h"

struct mmf_program {
	const char *name;
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
};

const struct mmf_program *mmf_program_find(const char *name);
extern const struct mmf_program *const mmf_programs[];

/* One execution: reset, setup, run, finish.  Returns the status; the
 * report is in s->report.  -1 in *setup_failed if params were bad. */
enum mmf_run_status mmf_run_program(struct mmf_sched *s, const struct mmf_program *p,
				    const char *params, char *err, size_t errlen, int *bad_params);

/* Write s's decision trace with a header; fsync'd.  0, or -1 with err. */
int mmf_write_trace_file(const char *path, const struct mmf_sched *s, const char *source,
			 const char *program, const char *params, char *err, size_t errlen);

/* Integer param with a range check; returns -1 and sets err if bad. */
int mmf_param_int(const char *params, const char *key, long def, long lo, long hi, long *out,
		  char *err, size_t errlen);


/* ---- searching a program for a failure with one decision source ---------- */
enum mmf_src_kind { MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT, MMF_SRC_EXPLORE };
const char *mmf_src_name(enum mmf_src_kind k);
int mmf_src_from_name(const char *name); /* -1 if unknown */

struct mmf_search {
	/* in */
	const struct mmf_program *prog;
	const char *params;
	enum mmf_src_kind src;
	uint64_t seed;                  /* random, pct, input (random bytes) */
	int depth;                      /* pct */
	int bound;                      /* explore: preemption bound, <0 none */
	uint64_t budget;                /* executions at most */
	double time_limit;              /* seconds at most (0: no limit) */
	const uint8_t *input;           /* input: these bytes for one run */
	size_t input_len;
	bool keep_trace;                /* record the failing run's trace+log */
	bool stop_at_failure;           /* explore: stop at the first failure */
	/* Failure classes sought (bit per enum mmf_fail_class; 0: any).  A
	 * failure of another class is counted in 'other' and the search goes
	 * on, as a campaign would: it says nothing about which check fired. */
	uint32_t want;
	/* out */
	uint64_t other;                 /* failures of classes not wanted */
	enum mmf_fail_class other_cls;  /* the first of them */
	uint64_t other_at;
	uint64_t runs;
	bool found;
	enum mmf_fail_class cls;
	uint64_t found_at;              /* 1-based execution number */
	uint64_t failures;              /* explore: failing schedules seen */
	bool complete;                  /* explore: the space was exhausted */
	bool diverged;
	char why[512];                  /* divergence or error */
	struct mmf_sched s;             /* the failing run's state, trace and log */
	char source_desc[128];
	/* the decision sources, owned here so s stays usable after the search */
	struct mmf_random_src rnd;
	struct mmf_pct_src pct, pct_before;
	struct mmf_input_src in;
	struct mmf_explore_src ex;
	uint8_t bytes[64];
};
/* "use-after-free,leak" -> a bit per class; "any" or "" -> 0 (any class).
 * -1 with the bad name in bad (if given). */
long mmf_classes_parse(const char *list, char *bad, size_t badlen);

/* Returns 0, or -1 with q->why set (bad params, nondeterminism). */
int mmf_search_run(struct mmf_search *q);

/* Seconds on the monotonic clock (for time budgets and reports). */
double mmf_now(void);
void mmf_search_free(struct mmf_search *q);

#endif
