/* harness.h - execute one fuzzer input.  The libFuzzer target, the AFL++
 * target and the mmfuzz CLI (replay of inputs, hunt) all go through
 * mmf_harness_run(), so an input means the same thing everywhere.
 *
 * Input format: one byte string is both the workload and the schedule.
 * The mm program draws every size and operation of the generic workload
 * with mmf_decide_value(), which the input source answers from the *back*
 * of the string (1 byte per small choice); the scheduler's picks come from
 * the *front* as 2-byte records (skip this many decisions, then switch to
 * that task).  Every string is valid; when the bytes run out, values are 0
 * (the smallest workload: 2 tasks, 2 reads...) and picks take the
 * non-preemptive default, so short inputs are small workloads with few
 * preemptions, and flipping one byte moves one preemption or changes one
 * operation.
 *
 * The variant set is not in the input: a campaign hunts in a fixed model,
 * chosen on the command line or with MMFUZZ_BUGS. */
#ifndef MMF_HARNESS_H
#define MMF_HARNESS_H

#include "decide.h"
#include "mutator.h"
#include "program.h"
#include "sanitizer.h"

#define MMF_INPUT_MAX 4096      /* bytes of an input that are used */
_Static_assert(MMF_INPUT_MAX == MMF_MUT_INPUT_MAX, "the mutator sees the bytes the harness reads");

struct mmf_harness {
	const struct mmf_program *prog;
	char params[1024];
	struct mmf_sched s;
	struct mmf_input_src in;
};

/* program: a registry name (NULL: mm, the model); bugs: the mm model's
 * variant list ("a,b", "none" or NULL: the fixed model); extra: more
 * program parameters (NULL: the program's defaults, for mm the generic
 * workload).  0, or -1 with a one-line reason in err. */
int mmf_harness_init(struct mmf_harness *h, const char *program, const char *bugs,
		     const char *extra, char *err, size_t errlen);
/* The same with the program's whole parameter string (from a reproducer). */
int mmf_harness_init_params(struct mmf_harness *h, const struct mmf_program *prog,
			    const char *params, char *err, size_t errlen);
/* Interleaving feedback (see mmf_sched_opts.feature); record/log: keep the
 * decision trace and the step log of each run (replay, reproducers). */
void mmf_harness_opts(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx,
		      bool record, bool log);
/* One execution; the report is in h->s.report when it fails. */
enum mmf_run_status mmf_harness_run(struct mmf_harness *h, const uint8_t *data, size_t size);
/* What the last run consumed: the shape of its input (mutator.h). */
void mmf_harness_shape(const struct mmf_harness *h, struct mmf_shape *shape);
/* Run an input quietly (no feature hook) for the mutator: its shape, and
 * (cap > 0) what each pick saw, into out; returns the picks recorded. */
size_t mmf_harness_study(struct mmf_harness *h, const uint8_t *data, size_t size,
			 struct mmf_shape *shape, struct mmf_mut_pick *out, size_t cap);
void mmf_harness_destroy(struct mmf_harness *h);

/* A failure's identity for de-duplication: the class, the variant set, the
 * reporting site and the report's first line with numbers and addresses
 * blanked.  Different interleavings of one bug share it. */
void mmf_failure_signature(const struct mmf_sched *s, const char *params, char *buf, size_t len);

/* The failure class of the sanitizer report in progress: "use-after-free"
 * or "double-free" from ASan's description, else "crash". */
const char *mmf_sanitizer_class(void);
#if MMF_TSAN
/* TSan builds: hook called after each TSan report is printed; its kind
 * ("data-race", "heap-use-after-free" ...). */
void mmf_on_tsan_report(void (*hook)(void));
const char *mmf_tsan_report_kind(void);
#endif

/* A sanitizer is about to end the process (its death callback): the
 * failure class of its report ("use-after-free", "double-free" or "crash")
 * and a signature like mmf_failure_signature's, with the site where the
 * running task last stood as the top frame. */
const char *mmf_sanitizer_death_signature(const char *params, char *buf, size_t len);

/* Build information recorded in reproducers: version, commit, compiler,
 * sanitizer. */
const char *mmf_build_info(void);

#endif
