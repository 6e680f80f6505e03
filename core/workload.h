/* workload.h - the generic workload: a few tasks each running a short list
 * of mm operations on a few address spaces, with every size and choice
 * drawn from the decision source, then a teardown task that verifies all
 * data, exits every mm, swaps off every device and drains RCU; then the
 * leak audit.
 *
 * Kernel: none.
 */
#ifndef MM_WORKLOAD_H
#define MM_WORKLOAD_H

#include "mm.h"

enum mm_op_kind {
	OP_READ, OP_WRITE, OP_FORK, OP_MUNMAP, OP_EXIT, OP_RECLAIM, OP_ZSWAP_SHRINK,
	OP_SWAPON, OP_SWAPOFF, OP_MIGRATE, OP_PIN, OP_DONTNEED, OP_EXEC, OP_NR
};
extern const char *const mm_op_names[OP_NR];

struct mm_op {
	uint8_t kind;
	uint8_t mm;                     /* index, taken modulo the live mms at run time */
	uint8_t v;                      /* virtual page */
	uint8_t n;                      /* pages, or folios to reclaim */
};

#define MM_MAX_WORKERS 4
#define MM_MAX_OPS 16

struct mm_workload {
	int tasks, mms, frames, swapdevs, ops;
	bool zswap;
	unsigned sync_mask;             /* bit t: swap type t is SWP_SYNCHRONOUS_IO */
	unsigned thp_mask;              /* mTHP sizes enabled: 1 two pages, 2 four */
	unsigned fail_rate;
	unsigned long variants;
	struct mm_op op[MM_MAX_WORKERS][MM_MAX_OPS];
	int nops[MM_MAX_WORKERS];
};

/* Limits a caller may force (0: draw from the decision source). */
struct mm_workload_params {
	int tasks, mms, frames, swapdevs, ops, zswap, fail_rate;
	/* which swap types are SWP_SYNCHRONOUS_IO: a mask 1..3, -1 none,
	 * 0 drawn */
	int syncio;
	/* which mTHP sizes are enabled: a mask 1..3 (1: two pages, 2: four
	 * pages), -1 none, 0 drawn */
	int thp;
	unsigned long variants;
	/* restrict the drawn operations to these kinds (0: all) */
	uint32_t op_mask;
	/* a fixed plan instead of drawn operations (plan_tasks > 0) */
	int plan_tasks;
	int plan_n[MM_MAX_WORKERS];
	struct mm_op plan[MM_MAX_WORKERS][MM_MAX_OPS];
};

/* Host context: draw the workload, build the model, spawn the tasks.
 * The model becomes the run's program state (MM()). */
int mm_workload_setup(struct mmf_sched *s, const struct mm_workload_params *p,
		      char *err, size_t errlen);
/* For tests: the model alone (no workload tasks); 0 sizes are not drawn;
 * two-page folios only (M->thp_orders, which a test may change).  Host
 * context.  Returns the model (also MM() from now on). */
struct mm_model *mm_model_setup(struct mmf_sched *s, int frames, int mms, int swapdevs,
				bool zswap, unsigned long variants);
/* Task context: the generic teardown (verify, exit, swapoff, drain). */
void mm_teardown(void);
/* Host context after a clean run: the teardown audit. */
void mm_audit(struct mmf_sched *s);
const struct mm_workload *mm_workload_of(struct mmf_sched *s);

#endif
