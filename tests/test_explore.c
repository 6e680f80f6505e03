/* test_explore.c - the exhaustive source visits exactly the schedules that
 * combinatorics predicts, honours the preemption bound, and finds a bug at
 * bound 1 but not at bound 0 where that is the truth. */
#define _GNU_SOURCE
#include "check.h"
#include "program.h"
#include "search.h"
#include "sanitizer.h"

/* Independent count: interleavings of T tasks with seg[i] segments each
 * (a task with K scheduling points runs K+1 segments), where switching
 * away from a task that still has segments costs one preemption. */
static uint64_t count(int *seg, int t, int cur, int pre, int bound)
{
	bool any = false;
	uint64_t n = 0;
	for (int i = 0; i < t; i++) {
		if (!seg[i])
			continue;
		any = true;
		int cost = cur >= 0 && cur != i && seg[cur] > 0;
		if (bound >= 0 && pre + cost > bound)
			continue;
		seg[i]--;
		n += count(seg, t, i, pre + cost, bound);
		seg[i]++;
	}
	return any ? n : 1;
}

static bool explore_points(int tasks, int points, int bound, uint64_t *schedules)
{
	char params[64];
	snprintf(params, sizeof(params), "tasks=%d points=%d", tasks, points);
	struct mmf_search q = {
		.prog = mmf_program_find("toy-points"), .params = params, .src = MMF_SRC_EXPLORE,
		.bound = bound, .budget = 10000000,
	};
	CHECK(mmf_search_run(&q) == 0);
	CHECK(q.complete);
	CHECK(!q.found);
	*schedules = q.runs;
	mmf_search_free(&q);
	return true;
}

static bool test_two_tasks_two_points_is_twenty_schedules(void)
{
	uint64_t n;
	/* 3 segments each: C(6,3) = 20 interleavings. */
	CHECK(explore_points(2, 2, -1, &n));
	CHECK_EQ(n, 20);
	/* Bound 0: pick who runs first, then no preemption. */
	CHECK(explore_points(2, 2, 0, &n));
	CHECK_EQ(n, 2);
	return true;
}

static bool test_schedule_counts_match_combinatorics(void)
{
	static const int shapes[][2] = {{1, 3}, {2, 0}, {2, 1}, {2, 3}, {3, 1}, {3, 2}, {4, 1}};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int t = shapes[s][0], k = shapes[s][1];
		for (int bound = -1; bound <= 3; bound++) {
			int seg[8];
			for (int i = 0; i < t; i++)
				seg[i] = k + 1;
			uint64_t want = count(seg, t, -1, 0, bound), got;
			if (!explore_points(t, k, bound, &got)) {
				fprintf(stderr, "  tasks=%d points=%d bound=%d\n", t, k, bound);
				return false;
			}
			if (got != want) {
				fprintf(stderr, "  tasks=%d points=%d bound=%d: explored %" PRIu64
					", combinatorics says %" PRIu64 "\n", t, k, bound, got, want);
				return false;
			}
		}
	}
	return true;
}

static bool search(const char *prog, const char *params, int bound, struct mmf_search *out)
{
	*out = (struct mmf_search){
		.prog = mmf_program_find(prog), .params = params, .src = MMF_SRC_EXPLORE,
		.bound = bound, .budget = 1000000,
	};
	CHECK(mmf_search_run(out) == 0);
	CHECK(out->complete);
	return true;
}

static bool test_bound_0_vs_1_matches_the_truth(void)
{
	static const char *const needs_one[][2] = {
		{"toy-lost-update", "fixed=0"},
		{"toy-missed-wakeup", "fixed=0"},
#if !MMF_TSAN /* under TSan the race is TSan's to report */
		{"toy-race", "fixed=0"},
#endif
	};
	for (size_t i = 0; i < sizeof(needs_one) / sizeof(needs_one[0]); i++) {
		struct mmf_search q;
		CHECK(search(needs_one[i][0], needs_one[i][1], 0, &q));
		if (q.found)
			fprintf(stderr, "  %s found at bound 0\n", needs_one[i][0]);
		CHECK(!q.found);
		mmf_search_free(&q);
		CHECK(search(needs_one[i][0], needs_one[i][1], 1, &q));
		CHECK(q.found);
		CHECK_STR(mmf_fail_name(q.cls), mmf_program_find(needs_one[i][0])->expect);
		mmf_search_free(&q);
	}
#if !MMF_ASAN /* under ASan the catch is ASan's report, which ends the process */
	/* The use-after-free needs none: the owner may simply run first. */
	struct mmf_search u;
	CHECK(search("toy-uaf", "fixed=0", 0, &u));
	CHECK(u.found && u.cls == MMF_FAIL_USE_AFTER_FREE);
	mmf_search_free(&u);
#endif
	/* The AB-BA deadlock itself needs a preemption inside the first lock;
	 * the lock-order checker needs none. */
	struct mmf_search q;
	CHECK(search("toy-abba", "fixed=0 lockdep=0", 0, &q));
	CHECK(!q.found);
	mmf_search_free(&q);
	CHECK(search("toy-abba", "fixed=0 lockdep=0", 1, &q));
	CHECK(q.found && q.cls == MMF_FAIL_DEADLOCK);
	mmf_search_free(&q);
	CHECK(search("toy-abba", "fixed=0", 0, &q));
	CHECK(q.found && q.cls == MMF_FAIL_LOCK_ORDER);
	mmf_search_free(&q);
	return true;
}

static bool test_fixed_toys_clean_in_every_schedule(void)
{
	static const char *const fixed[][2] = {
		{"toy-lost-update", "fixed=1 tasks=3"}, {"toy-abba", "fixed=1"},
		{"toy-abba", "fixed=1 lockdep=0"},     {"toy-missed-wakeup", "fixed=1"},
		{"toy-race", "fixed=1 tasks=3"},       {"toy-uaf", "fixed=1"},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct mmf_search q;
		CHECK(search(fixed[i][0], fixed[i][1], -1, &q));
		if (q.found)
			fprintf(stderr, "  %s [%s]: %s\n", fixed[i][0], fixed[i][1], q.s.report.text);
		CHECK(!q.found);
		CHECK(q.runs > 1);
		mmf_search_free(&q);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_two_tasks_two_points_is_twenty_schedules),
		TEST(test_schedule_counts_match_combinatorics),
		TEST(test_bound_0_vs_1_matches_the_truth),
		TEST(test_fixed_toys_clean_in_every_schedule),
	};
	return RUN_TESTS(tests);
}
