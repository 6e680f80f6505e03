/* seedgen.c - PCT-like seed inputs for the engine targets:
 *
 *   mmfuzz_seedgen DIR [COUNT [SEED]]
 *
 * Each seed is a random generic workload (the mutator's "fresh" values)
 * with one to three preemptions in good places: each one is the reverse
 * mutation (mutator.h) of a run, a switch at a decision where the running
 * task is about to act on an object another task acts on soon after.  A
 * candidate is kept only if it runs clean on the fixed model and under
 * every bug variant, so a campaign from these seeds finds the variants on
 * its own (tests/seeds_test.sh checks that).  Files are named
 * sched-NN-<preemptions>p; the same arguments give the same files. */
#include "harness.h"
#include "mutator.h"
#include "variant.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mmf_mut_pick picks[MMF_MUT_MAX_PICKS];

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: mmfuzz_seedgen DIR [COUNT [SEED]]\n");
		return 2;
	}
	char *end;
	unsigned long count = argc > 2 ? strtoul(argv[2], &end, 10) : 16;
	if (argc > 2 && (*end || !count || count > 999)) {
		fprintf(stderr, "mmfuzz_seedgen: COUNT must be 1 to 999\n");
		return 2;
	}
	unsigned long long seed = argc > 3 ? strtoull(argv[3], &end, 10) : 1;
	if (argc > 3 && *end) {
		fprintf(stderr, "mmfuzz_seedgen: SEED must be a number\n");
		return 2;
	}
	static struct mmf_harness fixed, each[V_NR];
	char err[256];
	if (mmf_harness_init(&fixed, "mm", "none", NULL, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz_seedgen: %s\n", err);
		return 1;
	}
	for (int v = 0; v < V_NR; v++)
		if (mmf_harness_init(&each[v], "mm", mm_variants[v].name, NULL, err, sizeof(err))) {
			fprintf(stderr, "mmfuzz_seedgen: %s\n", err);
			return 1;
		}
	mmf_mut_set_cap(MMF_MUT_PREEMPT_CAP);        /* fresh: 1-3 preemptions */
	static uint8_t buf[MMF_INPUT_MAX];
	unsigned long made = 0;
	for (uint64_t k = 0; made < count && k < 100000; k++) {
		uint64_t s = seed * 1000003u + k;
		size_t n = mmf_mutate(buf, 0, 256, s, NULL, MMF_MUT_FRESH);
		struct mmf_shape sh;
		size_t np = mmf_harness_study(&fixed, buf, n, &sh, picks, MMF_MUT_MAX_PICKS);
		/* the fresh schedule's preemptions, replaced by 1-3 reversals */
		size_t nrec = mmf_mut_records(n, &sh);
		memmove(buf, buf + 2 * nrec, n - 2 * nrec);
		n -= 2 * nrec;
		sh.front = 0;
		unsigned want = 1 + (unsigned)(s % 3), got = 0;
		for (unsigned i = 0; i < want; i++) {
			size_t m = mmf_mutate_reverse(buf, n, 256, s * 31 + i, &sh, picks, np);
			if (!m)
				break;
			n = m;
			got++;
			np = mmf_harness_study(&fixed, buf, n, &sh, picks, MMF_MUT_MAX_PICKS);
		}
		if (!got)
			continue;
		bool clean = mmf_harness_run(&fixed, buf, n) == MMF_RUN_CLEAN;
		for (int v = 0; clean && v < V_NR; v++)
			clean = mmf_harness_run(&each[v], buf, n) == MMF_RUN_CLEAN;
		if (!clean)
			continue;
		char path[4200];
		snprintf(path, sizeof(path), "%s/sched-%02lu-%up", argv[1], made, got);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
			fprintf(stderr, "mmfuzz_seedgen: cannot write %s: %s\n", path, strerror(errno));
			return 2;
		}
		made++;
	}
	printf("mmfuzz_seedgen: %lu seeds in %s\n", made, argv[1]);
	return made == count ? 0 : 1;
}
