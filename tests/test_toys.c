/* test_toys.c - every decision source finds every toy bug within a stated
 * execution budget with a fixed seed, and the fixed versions run clean.
 *
 * Budgets: BUG_BUDGET executions per source per bug (seed 1); the fixed
 * versions run FIXED_BUDGET executions per source, explore to completion
 * at preemption bound 2. */
#define _GNU_SOURCE
#include "check.h"
#include "program.h"
#include "search.h"
#include "sanitizer.h"

#define BUG_BUDGET 2000
#define FIXED_BUDGET 500

static const struct {
	const char *prog, *params;
} bugs[] = {
	{"toy-lost-update", "fixed=0"},
	{"toy-abba", "fixed=0"},
	{"toy-abba", "fixed=0 lockdep=0"},
	{"toy-missed-wakeup", "fixed=0"},
#if !MMF_TSAN
	/* Under TSan the race is TSan's to report (tests/CMakeLists.txt). */
	{"toy-race", "fixed=0"},
#endif
#if !MMF_ASAN
	/* Under ASan the use-after-free is ASan's to report. */
	{"toy-uaf", "fixed=0"},
#endif
};

static const enum mmf_src_kind srcs[] = {MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT,
					 MMF_SRC_EXPLORE};

static const char *expected(const char *prog, const char *params)
{
	if (strstr(params, "lockdep=0"))
		return "deadlock";
	return mmf_program_find(prog)->expect;
}

static bool test_every_source_finds_every_toy_bug(void)
{
	for (size_t b = 0; b < sizeof(bugs) / sizeof(bugs[0]); b++) {
		for (size_t k = 0; k < 4; k++) {
			struct mmf_search q = {
				.prog = mmf_program_find(bugs[b].prog), .params = bugs[b].params,
				.src = srcs[k], .seed = 1, .depth = 2, .bound = 2,
				.budget = BUG_BUDGET, .stop_at_failure = true,
			};
			CHECK(mmf_search_run(&q) == 0);
			printf("  %-18s %-18s %-8s %s after %" PRIu64 "\n", bugs[b].prog, bugs[b].params,
			       mmf_src_name(srcs[k]), q.found ? mmf_fail_name(q.cls) : "NOT FOUND",
			       q.runs);
			CHECK(q.found);
			CHECK_STR(mmf_fail_name(q.cls), expected(bugs[b].prog, bugs[b].params));
			mmf_search_free(&q);
		}
	}
	return true;
}

static bool test_fixed_toys_run_clean_under_every_source(void)
{
	for (size_t b = 0; b < sizeof(bugs) / sizeof(bugs[0]); b++) {
		char params[128];
		snprintf(params, sizeof(params), "%s", bugs[b].params);
		strstr(params, "fixed=0")[6] = '1';
		for (size_t k = 0; k < 4; k++) {
			struct mmf_search q = {
				.prog = mmf_program_find(bugs[b].prog), .params = params,
				.src = srcs[k], .seed = 1, .depth = 2, .bound = 2,
				.budget = srcs[k] == MMF_SRC_EXPLORE ? 1000000 : FIXED_BUDGET,
				.stop_at_failure = true,
			};
			CHECK(mmf_search_run(&q) == 0);
			if (q.found)
				fprintf(stderr, "  %s [%s] %s: %s\n", bugs[b].prog, params,
					mmf_src_name(srcs[k]), q.s.report.text);
			CHECK(!q.found);
			if (srcs[k] == MMF_SRC_EXPLORE)
				CHECK(q.complete);
			else
				CHECK_EQ(q.runs, FIXED_BUDGET);
			mmf_search_free(&q);
		}
	}
	return true;
}

static bool test_same_seed_same_result(void)
{
	/* Determinism: the same seed finds the same bug at the same execution
	 * with the same number of scheduling steps. */
	for (size_t k = 0; k < 3; k++) {
		uint64_t at[2], steps[2];
		for (int rep = 0; rep < 2; rep++) {
			struct mmf_search q = {
				.prog = mmf_program_find("toy-lost-update"), .params = "fixed=0 tasks=3 iters=3",
				.src = srcs[k], .seed = 7, .depth = 3, .budget = BUG_BUDGET,
				.keep_trace = true, .stop_at_failure = true,
			};
			CHECK(mmf_search_run(&q) == 0);
			CHECK(q.found);
			at[rep] = q.found_at;
			steps[rep] = q.s.steps;
			mmf_search_free(&q);
		}
		CHECK_EQ(at[0], at[1]);
		CHECK_EQ(steps[0], steps[1]);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_every_source_finds_every_toy_bug),
		TEST(test_fixed_toys_run_clean_under_every_source),
		TEST(test_same_seed_same_result),
	};
	return RUN_TESTS(tests);
}
