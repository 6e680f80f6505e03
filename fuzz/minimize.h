/* minimize.h - shrinking a failing run to the fewest preemptions and steps
 * while it keeps its failure class.
 *
 * A run is described canonically (struct mmf_canon): the drawn values in
 * order, the picks that differ from the scheduler's default (keyed by the
 * running task and its own decision count), and the injected faults (by ordinal fault number).  Every
 * other pick takes the default: keep running the current task, or the
 * scheduler's first choice when it blocks.  Any canonical description is a
 * valid run (a position that no longer occurs is simply not used), so
 * the minimizer edits it freely: it lowers values (smaller
 * workloads: fewer tasks, fewer and simpler operations), drops non-default
 * picks and faults (delta debugging), and, for a program that can spell
 * its drawn workload out as a plan= parameter (mmf_program.describe),
 * deletes tasks and operations from that plan; it keeps an edit when the run still
 * fails with the same class.  Each accepted run is re-described from what
 * it actually did. */
#ifndef MMF_MINIMIZE_H
#define MMF_MINIMIZE_H

#include "program.h"

struct mmf_canon {
	uint64_t *val;          /* every drawn value, in order */
	size_t nval;
	uint64_t *pick_key;     /* positions of the non-default picks, ascending:
				 * (running task + 1) << 32 | its decision count */
	uint8_t *pick_id;       /* the task (or tick) chosen there */
	size_t npick;
	uint32_t *fault_at;     /* ordinal fault decisions that injected a fault */
	size_t nfault;
	size_t cap_val, cap_pick, cap_fault;
};
void mmf_canon_free(struct mmf_canon *c);

struct mmf_minimize {
	/* in */
	const struct mmf_program *prog;
	const char *params;
	const struct mmf_decision *trace; /* the failing run's decisions */
	size_t ntrace;
	uint64_t budget;                /* executions at most */
	bool check_sites;               /* the trace records decision sites */
	unsigned timeout_ms;            /* per execution (0: none) */
	/* out */
	char params_out[1024];          /* the minimized run's params: the program's
					 * explicit description of its workload,
					 * shrunk, when it has one */
	enum mmf_fail_class cls;        /* the class kept */
	uint64_t runs;
	uint64_t steps_before, steps_after;
	uint64_t preempt_before, preempt_after;
	size_t picks_before, picks_after; /* non-default picks */
	struct mmf_sched s;             /* the minimized run (trace recorded, step log) */
	char why[256];
	bool interrupted;               /* SIGINT/SIGTERM stopped it */
	void *priv;
};
/* Returns 0 with q->s holding the minimized run, or -1 with q->why (the
 * trace does not replay, or its run does not fail). */
int mmf_minimize_run(struct mmf_minimize *q);
void mmf_minimize_free(struct mmf_minimize *q);

#endif
