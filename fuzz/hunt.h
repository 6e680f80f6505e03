/* hunt.h - the main job: the built-in engine over a program's generic
 * workload on several cores, with a live status line, de-duplicated
 * findings saved as reproducers the moment they happen (crashes and
 * timeouts included), a findings table and JSON results. */
#ifndef MMF_HUNT_H
#define MMF_HUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "program.h"

struct mmf_hunt_opts {
	const struct mmf_program *prog; /* mm unless another is named */
	const char *bugs;       /* mm: variant list, "none", or "each": the
				 * historic variants one per execution, in turn */
	const char *params;     /* extra workload parameters (NULL: generic) */
	int jobs;               /* worker processes (>= 1) */
	double time_limit;      /* seconds (0: none) */
	uint64_t execs;         /* executions in all (0: none) */
	uint64_t seed;
	unsigned timeout_ms;    /* per execution (0: none) */
	const char *out_dir;    /* reproducers go here */
	const char *json;       /* machine-readable results (NULL: none) */
	bool quiet;             /* no status line */
	const char *self;       /* argv[0], for the replay commands printed */
};

/* Exit codes of hunt: */
#define MMF_HUNT_INTERRUPTED 130        /* SIGINT/SIGTERM and no finding */

/* Returns the exit code: 0 no finding, 1 findings, 2 usage error (a
 * one-line message already printed), 130 interrupted without findings. */
int mmf_hunt(const struct mmf_hunt_opts *o);

#endif
