/* search.h - searching a program for a failure with one decision source
 * (random, PCT, input bytes, bounded exhaustive), in-process or supervised.
 *
 * The supervised search (mmf_search_run_guarded) runs the same loop in a
 * child process (guard.h): an execution that crashes, that a sanitizer
 * ends, or that overruns the per-execution time limit becomes a finding of
 * class crash or timeout with its re-executed run in q->s, like any other
 * failure.  A crash of a class the search does not seek (want) is passed
 * over and the search goes on in a new child from the next execution
 * (random, PCT and input sources; explore stops there, incomplete). */
#ifndef MMF_SEARCH_H
#define MMF_SEARCH_H

#include "decide.h"
#include "program.h"

enum mmf_src_kind { MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT, MMF_SRC_EXPLORE };
const char *mmf_src_name(enum mmf_src_kind k);
int mmf_src_from_name(const char *name); /* -1 if unknown */

struct mmf_search_shared;
struct mmf_flight;

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
	int interrupted;                /* guarded: SIGINT/SIGTERM stopped it */
	bool not_reproduced;            /* guarded: the failing run ended that way
					 * once but not when re-executed */
	char why[512];                  /* divergence or error */
	struct mmf_sched s;             /* the failing run's state, trace and log */
	char source_desc[128];
	/* the decision sources, owned here so s stays usable after the search */
	struct mmf_random_src rnd;
	struct mmf_pct_src pct, pct_before;
	struct mmf_input_src in;
	struct mmf_explore_src ex;
	uint8_t bytes[64];
	/* supervision (guarded runs only) */
	struct mmf_search_shared *sh;
	struct mmf_flight *flight;
	double t0;
};
/* "use-after-free,leak" -> a bit per class; "any" -> 0 (any class).  -1
 * with the bad name in bad (if given): an unknown class, an empty list or
 * an empty item. */
long mmf_classes_parse(const char *list, char *bad, size_t badlen);

/* In-process.  Returns 0, or -1 with q->why set (bad params,
 * nondeterminism). */
int mmf_search_run(struct mmf_search *q);

/* Supervised (see above), with a per-execution limit of timeout_ms (0:
 * none).  Returns as mmf_search_run; q->interrupted says an interrupt
 * stopped it (the results so far are in q). */
int mmf_search_run_guarded(struct mmf_search *q, unsigned timeout_ms);

void mmf_search_free(struct mmf_search *q);

#endif
