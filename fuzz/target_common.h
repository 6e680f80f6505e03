/* target_common.h - what the libFuzzer and AFL++ targets share around the
 * harness: the variant set from the environment, the interleaving
 * feedback switch, and saving a reproducer when an input fails (also when a
 * sanitizer is about to end the process).
 *
 * Environment:
 *   MMFUZZ_PROGRAM=name    the program (default: mm, the model; the toys too)
 *   MMFUZZ_BUGS=a,b        the variant set (default: none, the fixed model)
 *   MMFUZZ_PARAMS='k=v'    extra workload parameters (default: generic)
 *   MMFUZZ_FEEDBACK=K      interleaving feedback: 0 (none: the default for
 *                          mm), 1 (all kinds: the default for the toys) or
 *                          a list of switch, rf, lock, order, all
 *                          (sched/feedback.h)
 *   MMFUZZ_MUTATOR=0       no decision-space mutation (mutator.h): the
 *                          engine's own byte mutations only
 *   MMFUZZ_SHAPE_FILE=F    where runs publish their inputs' shapes for an
 *                          AFL++ custom mutator in another process
 *   MMFUZZ_WANT=c1,c2      only failures of these classes are crashes; the
 *                          others the model's checks find are passed over
 *                          (default: every class); a sanitizer's report
 *                          ends the process whatever its class
 *   MMFUZZ_REPRO_DIR=DIR   where reproducers go (default: the current
 *                          directory); MMFUZZ_REPRO_DIR=- turns them off
 *   MMFUZZ_TIMEOUT_MS=MS   an input running longer is saved as a timeout
 *                          and the process aborts (default 2000; 0: off);
 *                          keep the engine's own limit above it
 * Every input that ends the process (model check, sanitizer report, fatal
 * signal, timeout) leaves DIR/mmfuzz-<hash>.repro, written before the end. */
#ifndef MMF_TARGET_COMMON_H
#define MMF_TARGET_COMMON_H

#include "harness.h"
#include "mutator.h"

/* The feedback kinds without MMFUZZ_FEEDBACK for the mm model: none.
 * Measured on the historic variants (docs/benchmarks.md), no kind made
 * the engines need fewer executions, and every kind costs throughput
 * (corpus growth); MMFUZZ_FEEDBACK=1 turns them all on.  Other programs
 * (the toys) have no edge coverage of their own (only core/ is
 * instrumented), so there the interleaving features are the only signal
 * and all kinds are on. */
#define MMF_TARGET_FEEDBACK_DEFAULT 0u

/* Set the harness up from the environment; exits with 2 on a bad
 * setting.  feature: where interleaving features go (NULL: none). */
void mmf_target_init(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx);
/* The feedback kinds MMFUZZ_FEEDBACK asks for (MMF_FB_*; 0: none), or the
 * program's default; exits with 2 on a bad setting. */
unsigned mmf_target_feedback(const char *program);
/* Whether MMFUZZ_MUTATOR leaves the decision-space mutator on. */
bool mmf_target_mutator(void);
/* What a run of this input consumes: from the shape table, or by running
 * it (quietly, without feedback) when it is not there. */
void mmf_target_shape(struct mmf_harness *h, const uint8_t *data, size_t size,
		      struct mmf_shape *shape);
/* Run an input (quietly) recording what each pick saw, for the reverse
 * mutation; returns the picks recorded (at most cap). */
size_t mmf_target_study(struct mmf_harness *h, const uint8_t *data, size_t size,
			struct mmf_shape *shape, struct mmf_mut_pick *out, size_t cap);
/* Run one input; on a failure, print the report, save a reproducer and
 * return true (the caller aborts so the engine records the crash). */
bool mmf_target_run(struct mmf_harness *h, const uint8_t *data, size_t size);

#endif
