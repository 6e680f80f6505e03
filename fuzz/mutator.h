/* mutator.h - mutation in decision space for the engine targets.
 *
 * An engine input is a workload plus a schedule (sched/decide.h, the
 * "input" source): the schedule is read from the front as 2-byte records
 * (skip, who), each one a deviation from the default pick after 'skip'
 * default decisions; the workload's values are read from the back.  The
 * byte-level mutators of libFuzzer and AFL++ know none of this: one
 * inserted byte shifts every later record, and so moves every preemption
 * after it.  This mutator decodes the schedule into absolute decision
 * numbers, edits it there and encodes it again:
 *
 *   pick     change which task one preemption switches to
 *   move     move one preemption to another decision
 *   insert   add one preemption at a decision the run reaches
 *   delete   remove one preemption; the later ones keep their decisions
 *   value    change one workload value (a byte of the back); the schedule
 *            keeps its decision numbers
 *   fresh    a new random workload with a new schedule (as reschedule)
 *   reschedule  the same workload, a new schedule: with the default cap
 *            (none) like one run of the random source, a switch rate
 *            drawn log-uniformly and deviations at random gaps; with a
 *            PCT-like cap, one to three preemptions anywhere
 *   splice   (crossover) A's workload and A's preemptions before decision
 *            N, B's from N on
 *
 * Like PCT, it keeps the preemption count low: above MMF_MUT_PREEMPT_CAP
 * it deletes more than it inserts.
 *
 * The mutator works best knowing the input's shape from its last run: how
 * many decisions the run took and how many bytes it read from each end.
 * The targets record every run's shape in a table keyed by a hash of the
 * input (in-process for libFuzzer; a file both processes map for AFL++,
 * named by MMFUZZ_SHAPE_FILE).  Without a shape it guesses: records from
 * the first half, values from the second.
 *
 * Every output is a valid input (every byte string is) of at most max
 * bytes, and the output is a pure function of (input, shape, seed). */
#ifndef MMF_MUTATOR_H
#define MMF_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMF_MUT_PREEMPT_CAP 3   /* PCT-like: depth <= cap + 1 (MMFUZZ_MUT_CAP=3) */
#define MMF_MUT_NO_CAP 0xffffffffu
#define MMF_MUT_MAX_RECORDS 512
#define MMF_MUT_MAX_PICKS 4096  /* picks of one run the reverse operation looks at */
#define MMF_MUT_INPUT_MAX 4096  /* bytes of an input a run reads (= MMF_INPUT_MAX) */

/* An input's or a buffer's size cut to the bytes a run reads. */
static inline size_t mmf_mut_fit(size_t n) { return n < MMF_MUT_INPUT_MAX ? n : MMF_MUT_INPUT_MAX; }
/* splitmix64's step: the mutators' way to spread a seed. */
uint64_t mmf_mut_mix(uint64_t x);

/* What one run of an input consumed. */
struct mmf_shape {
	uint32_t picks;         /* decisions with a choice (the "input" source's picks) */
	uint32_t front;         /* schedule bytes read (2 per record) */
	uint32_t back;          /* workload bytes read from the end */
};

enum mmf_mut_op {
	MMF_MUT_PICK, MMF_MUT_MOVE, MMF_MUT_INSERT, MMF_MUT_DELETE, MMF_MUT_VALUE,
	MMF_MUT_FRESH, MMF_MUT_RESCHED, MMF_MUT_NR
};

/* Mutate data[0..size) in place (data has room for max bytes); returns the
 * new size (>= 1 when max >= 1).  op < 0: chosen from the seed. */
size_t mmf_mutate(uint8_t *data, size_t size, size_t max, uint64_t seed,
		  const struct mmf_shape *shape, int op);
/* What the run saw at each of its picks (sched/decide.h's record, kept
 * here in the mutator's own terms so the AFL++ library needs no sched/). */
struct mmf_mut_pick {
	uintptr_t obj;          /* the object the running task acts on next */
	uint32_t set;           /* runnable task ids */
	uint8_t task, dflt, chosen;
};
/* reverse: find two tasks about to act on one object in a known run (task
 * A at decision d, task B later), and insert a preemption at d that
 * switches to B, so B's access comes first: the reversal of a conflicting
 * pair (a reads-from or lock order flipped).  0 when the run has no such
 * pair; else the new size. */
size_t mmf_mutate_reverse(uint8_t *data, size_t size, size_t max, uint64_t seed,
			  const struct mmf_shape *shape, const struct mmf_mut_pick *rec, size_t nrec);

/* The soft cap on preemptions (MMF_MUT_NO_CAP: none, the default). */
void mmf_mut_set_cap(unsigned cap);
/* The settings from the environment, read once by each engine's side:
 * MMFUZZ_MUT_CAP ("none" or a number up to 1000) and MMFUZZ_MUT_REVERSE
 * (the percentage of libFuzzer's mutations that reverse a conflicting
 * pair, 0 to 100).  NULL, or a one-line reason naming the variable. */
const char *mmf_mut_env(void);
unsigned mmf_mut_reverse_pct(void);
/* Splice two inputs at one decision into out (room for max bytes). */
size_t mmf_crossover(const uint8_t *a, size_t asize, const struct mmf_shape *sa,
		     const uint8_t *b, size_t bsize, const struct mmf_shape *sb,
		     uint8_t *out, size_t max, uint64_t seed);
/* How many preemption records the schedule part holds (for tests and
 * statistics): the records a run of this shape read, or the guess. */
size_t mmf_mut_records(size_t size, const struct mmf_shape *shape);

/* ---- the shape table -------------------------------------------------------- */
uint64_t mmf_input_hash(const uint8_t *data, size_t size);
/* Attach the table: path NULL or "" gives a private one; otherwise a file
 * of that name is created or opened and mapped shared.  0, or -1. */
int mmf_shape_open(const char *path);
/* Record a run's shape (the recent table: overwritten as runs go on). */
void mmf_shape_put(uint64_t key, const struct mmf_shape *s);
/* Keep a shape the mutator needs (the pinned table, this process only). */
void mmf_shape_pin(uint64_t key, const struct mmf_shape *s);
/* Look a shape up: pinned first, then recent (and pin it then). */
bool mmf_shape_get(uint64_t key, struct mmf_shape *s);

#endif
