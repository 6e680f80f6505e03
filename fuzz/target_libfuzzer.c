/* target_libfuzzer.c - the libFuzzer target: LLVMFuzzerTestOneInput over
 * the shared harness, with the interleaving feedback in libFuzzer's extra
 * counters (a byte per feature bucket, saturating).  Configure with the
 * 'libfuzzer' preset; settings come from the environment (see
 * target_common.h). */
#include "target_common.h"

#include <stdlib.h>

#define NCOUNTERS (1u << 16)
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t counters[NCOUNTERS];

static struct mmf_harness harness;

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
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mmf_target_run(&harness, data, size))
		abort();        /* libFuzzer saves the input as a crash */
	return 0;
}
