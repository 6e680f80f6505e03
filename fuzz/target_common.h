/* target_common.h - what the libFuzzer and AFL++ targets share around the
 * harness: the variant set from the environment, the interleaving
 * feedback switch, and saving a reproducer when an input fails (also when a
 * sanitizer is about to end the process).
 *
 * Environment:
 *   MMFUZZ_PROGRAM=name    the program (default: mm, the model; the toys too)
 *   MMFUZZ_BUGS=a,b        the variant set (default: none, the fixed model)
 *   MMFUZZ_PARAMS='k=v'    extra workload parameters (default: generic)
 *   MMFUZZ_FEEDBACK=0      turn the interleaving feedback off
 *   MMFUZZ_WANT=c1,c2      only failures of these classes are crashes; the
 *                          others are passed over (default: every class)
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

/* Set the harness up from the environment; exits with 2 on a bad
 * setting.  feature: where interleaving features go (NULL: none). */
void mmf_target_init(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx);
/* Whether MMFUZZ_FEEDBACK asks for the interleaving feedback. */
bool mmf_target_feedback(void);
/* Run one input; on a failure, print the report, save a reproducer and
 * return true (the caller aborts so the engine records the crash). */
bool mmf_target_run(struct mmf_harness *h, const uint8_t *data, size_t size);

#endif
