/* target_afl.c - the AFL++ persistent-mode target: shared-memory test
 * cases and __AFL_LOOP, the model reset by every run of the harness.  The
 * interleaving feedback goes into AFL's map through guard slots reserved
 * with __sanitizer_cov_trace_pc_guard_init (afl-clang-fast's PCGUARD
 * instrumentation hands out their map indices).  Built by the 'afl'
 * preset (afl-clang-fast, Debian package afl++).  Outside afl-fuzz it runs
 * the files named on its command line once each. */
#include "target_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

#define NGUARDS (1u << 12)
static uint32_t guards[NGUARDS];
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);

__attribute__((constructor(200))) static void reserve_guards(void)
{
	/* Our feature buckets become ordinary coverage slots of AFL's map. */
	__sanitizer_cov_trace_pc_guard_init(guards, guards + NGUARDS);
}

static void feature(void *ctx, uint32_t f)
{
	(void)ctx;
	__sanitizer_cov_trace_pc_guard(&guards[f & (NGUARDS - 1)]);
}

static struct mmf_harness harness;

__attribute__((unused)) static int run_file(const char *path)
{
	static uint8_t buf[MMF_INPUT_MAX];
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "mmfuzz-afl: cannot open %s\n", path);
		return 2;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (mmf_target_run(&harness, buf, n))
		abort();
	return 0;
}

int main(int argc, char **argv)
{
	mmf_target_init(&harness, feature, NULL);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	__AFL_INIT();
	unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		if (mmf_target_run(&harness, buf, len))
			abort();
	}
	(void)argc;
	(void)argv;
	return 0;
#else
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= run_file(argv[i]);
	return rc;
#endif
}
