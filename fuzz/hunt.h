/* hunt.h - the main job: the built-in engine over the generic workload on
 * several cores, with a live status line, de-duplicated findings saved as
 * reproducers the moment they happen, a findings table and JSON results. */
#ifndef MMF_HUNT_H
#define MMF_HUNT_H

#include <stdbool.h>
#include <stdint.h>

struct mmf_hunt_opts {
	const char *bugs;       /* variant list, "none", or "each": the historic
				 * variants one per execution, in turn */
	const char *params;     /* extra workload parameters (NULL: generic) */
	int jobs;               /* worker processes (>= 1) */
	double time_limit;      /* seconds (0: none) */
	uint64_t execs;         /* executions in all (0: none) */
	uint64_t seed;
	const char *out_dir;    /* reproducers go here */
	const char *json;       /* machine-readable results (NULL: none) */
	bool quiet;             /* no status line */
	const char *self;       /* argv[0], for the replay commands printed */
};

/* Returns the exit code: 0 no finding, 1 findings, 2 usage error (a
 * one-line message already printed). */
int mmf_hunt(const struct mmf_hunt_opts *o);

#endif
