/* target_libfuzzer.c - the libFuzzer target: LLVMFuzzerTestOneInput over
 * the shared harness, with the interleaving feedback in libFuzzer's extra
 * counters (a byte per feature bucket, saturating), and the decision-space
 * mutator (mutator.h) as LLVMFuzzerCustomMutator/CustomCrossOver.
 * Configure with the 'libfuzzer' preset; settings come from the
 * environment (see target_common.h). */
#include "target_common.h"

#include <stdlib.h>
#include <string.h>

#define NCOUNTERS (1u << 16)
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t counters[NCOUNTERS];

static struct mmf_harness harness;
static bool mutator_on;

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static void feature(void *ctx, uint32_t f)
{
	uint8_t *c = &counters[f & (NCOUNTERS - 1)];
	(void)ctx;
	if (*c != 255)
		++*c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mmf_target_init(&harness, feature, NULL);
	mutator_on = mmf_target_mutator();
	return 0;
}

/* One mutation in ten stays libFuzzer's own (byte-level, with its
 * dictionary and compare tables); the rest edit the schedule or the
 * workload in decision space. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint64_t r = mmf_input_hash((const uint8_t *)&seed, sizeof(seed));
	if (!mutator_on || r % 10 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	size = mmf_mut_fit(size);
	max_size = mmf_mut_fit(max_size);
	struct mmf_shape sh;
	unsigned reverse_pct = mmf_mut_reverse_pct();
	if (reverse_pct && (r >> 8) % 100 < reverse_pct) {
		static struct mmf_mut_pick rec[MMF_MUT_MAX_PICKS];
		size_t n = mmf_target_study(&harness, data, size, &sh, rec, MMF_MUT_MAX_PICKS);
		size_t m = mmf_mutate_reverse(data, size, max_size, r >> 16, &sh, rec, n);
		if (m)
			return m;
	} else {
		mmf_target_shape(&harness, data, size, &sh);
	}
	return mmf_mutate(data, size, max_size, r, &sh, -1);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *a, size_t asize, const uint8_t *b, size_t bsize,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	asize = mmf_mut_fit(asize);
	bsize = mmf_mut_fit(bsize);
	max_out = mmf_mut_fit(max_out);
	if (!mutator_on) {
		/* byte-level: a prefix of a, then the rest of b */
		size_t i = asize ? seed % (asize + 1) : 0, j = bsize ? (seed >> 12) % (bsize + 1) : 0;
		if (i > max_out)
			i = max_out;
		size_t n = bsize - j < max_out - i ? bsize - j : max_out - i;
		memcpy(out, a, i);
		memcpy(out + i, b + j, n);
		return i + n;
	}
	struct mmf_shape sa, sb;
	mmf_target_shape(&harness, a, asize, &sa);
	mmf_target_shape(&harness, b, bsize, &sb);
	return mmf_crossover(a, asize, &sa, b, bsize, &sb, out, max_out, seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mmf_target_run(&harness, data, size))
		abort();        /* libFuzzer saves the input as a crash */
	return 0;
}
