/* test_threads.c - the real-thread mode runs the same programs and
 * primitives on pthreads: fixed programs stay clean, the lock-order
 * checker still reports an inversion, and the watchdog reports a true
 * deadlock.  A failed thread-mode run strands its threads, so each failing
 * case is its own ctest entry (argv[1] selects it). */
#define _GNU_SOURCE
#include "check.h"
#include "program.h"
#include "sync.h"

static struct mmf_random_src unused;

static bool stress(const char *prog, const char *params, int runs, enum mmf_run_status *st,
		   struct mmf_sched *s)
{
	struct mmf_sched_opts o = {.mode = MMF_MODE_THREADS, .thread_yield_rate = 4,
				   .thread_timeout_ms = 20000};
	mmf_random_src_init(&unused, 0);
	mmf_sched_init(s, &o, &unused.base);
	for (int i = 0; i < runs; i++) {
		char err[256];
		int bad;
		*st = mmf_run_program(s, mmf_program_find(prog), params, err, sizeof(err), &bad);
		CHECK(!bad);
		if (*st != MMF_RUN_CLEAN)
			return true;
	}
	return true;
}

static bool test_fixed_programs_run_clean_on_threads(void)
{
	static const char *const fixed[][2] = {
		{"toy-lost-update", "fixed=1 tasks=4 iters=100"}, {"toy-abba", "fixed=1"},
		{"toy-missed-wakeup", "fixed=1"},                {"toy-race", "fixed=1 tasks=4"},
		{"toy-uaf", "fixed=1"},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct mmf_sched s;
		enum mmf_run_status st;
		CHECK(stress(fixed[i][0], fixed[i][1], 50, &st, &s));
		if (st != MMF_RUN_CLEAN)
			fprintf(stderr, "  %s: %s\n", fixed[i][0], s.report.text);
		CHECK_EQ(st, MMF_RUN_CLEAN);
		mmf_sched_destroy(&s);
	}
	return true;
}

static bool test_lock_order_inversion_reported_on_threads(void)
{
	/* A failed run strands its threads: its state stays reachable. */
	static struct mmf_sched s;
	enum mmf_run_status st;
	CHECK(stress("toy-abba", "fixed=0", 200, &st, &s));
	CHECK_EQ(st, MMF_RUN_FAILED);
	/* Lockdep reports the inversion unless the run truly deadlocked first. */
	CHECK(s.report.cls == MMF_FAIL_LOCK_ORDER || s.report.cls == MMF_FAIL_DEADLOCK);
	return true;
}

static struct completion never;
static void stuck(void *arg) { wait_for_completion(&never); }
static int stuck_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	init_completion(&never);
	mmf_spawn(s, "stuck", 0, stuck, NULL);
	return 0;
}
static const struct mmf_program stuck_prog = {.name = "stuck", .setup = stuck_setup};

static bool test_watchdog_reports_a_deadlock_on_threads(void)
{
	static struct mmf_sched s;
	struct mmf_sched_opts o = {.mode = MMF_MODE_THREADS, .thread_timeout_ms = 20000};
	mmf_random_src_init(&unused, 0);
	mmf_sched_init(&s, &o, &unused.base);
	char err[64];
	int bad;
	CHECK_EQ(mmf_run_program(&s, &stuck_prog, "", err, sizeof(err), &bad), MMF_RUN_FAILED);
	CHECK_EQ(s.report.cls, MMF_FAIL_DEADLOCK);
	CHECK(strstr(s.report.text, "completion"));
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_fixed_programs_run_clean_on_threads),
		TEST(test_lock_order_inversion_reported_on_threads),
		TEST(test_watchdog_reports_a_deadlock_on_threads),
	};
	return RUN_TESTS(tests);
}
