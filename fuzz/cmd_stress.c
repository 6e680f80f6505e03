/* cmd_stress.c - mmfuzz stress: the real-thread baseline (the same program and primitives on pthreads). */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "harness.h"
#include "sanitizer.h"
#include "thread_mode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MMF_ASAN || MMF_TSAN
#include <sanitizer/common_interface_defs.h>
#endif

/* A sanitizer ending the process: say after how many executions (real threads
 * cannot be supervised execution by execution as fibers are). */

static struct {
	const char *prog, *params;
	const uint64_t *done;   /* executions finished before the dying one */
	uint32_t want;
	double t0;
} death;

#if MMF_ASAN || MMF_TSAN
static void on_death(void)
{
	if (!death.done)
		return;
	char sig[600];
	const char *cls = mmf_sanitizer_death_signature(death.params, sig, sizeof(sig));
	int c = mmf_fail_from_name(cls);
	bool wanted = !death.want || (c > 0 && (death.want >> c & 1));
	printf("%s [%s]: %s %s after %" PRIu64 " executions (%.2f s, reported by the sanitizer)\n",
	       death.prog, cli_params_shown(death.params), wanted ? "found" : "ended by", cls, *death.done + 1,
	       mmf_now() - death.t0);
	fflush(stdout);
}
#endif

static void watch_death(const char *prog, const char *params, const uint64_t *done, uint32_t want)
{
	death.prog = prog;
	death.params = params;
	death.done = done;
	death.want = want;
	death.t0 = mmf_now();
#if MMF_ASAN || MMF_TSAN
	__sanitizer_set_death_callback(on_death);
#endif
}

static void stress_help(void)
{
	printf("usage: mmfuzz stress PROGRAM [options]\n"
	       "  The real-thread baseline: the same program and primitives on pthreads,\n"
	       "  no controlled scheduler, repeated until a failure or the budget.\n"
	       "  --params 'k=v ...'   program parameters\n"
	       "  --runs N             executions (default 1000, or none with --time)\n"
	       "  --time S             stop after S seconds\n"
	       "  --seed N             seed of the workload's values (default: the clock)\n"
	       "  --want C1,C2         seek failures of these classes; others are passed over\n"
	       "                       (one that leaves threads stuck ends the process, exit 0)\n"
	       "  --yield-rate R       sched_yield() at 1 in R scheduling points (default 0: never)\n"
	       "  --timeout-ms T       wall-clock limit of one execution (default 10000)\n"
	       "exit: 0 no failure (of the classes sought), 1 failure found, 2 usage error\n");
}

int cmd_stress(int argc, char **argv)
{
	struct cli_opts o = {.timeout_ms = 10000};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_PARAMS) | CLI_OPT(O_SEED) | CLI_OPT(O_RUNS) | CLI_OPT(O_YIELD) |
			  CLI_OPT(O_TIMEOUT) | CLI_OPT(O_WANT) | CLI_OPT(O_TIME),
		  stress_help);
	if (optind + 1 != argc)
		cli_usage("stress: expected exactly one PROGRAM (see --help)");
	if (!o.timeout_ms)
		cli_usage("stress: --timeout-ms must be at least 1 (real threads cannot run unwatched)");
	if (!o.runs)
		o.runs = o.time_limit > 0 ? UINT64_MAX : 1000;
	const struct mmf_program *p = cli_program(argv[optind]);
	const char *params = o.params ? o.params : p->default_params;
	struct mmf_random_src unused;
	mmf_random_src_init(&unused, 0);
	struct mmf_sched_opts so = {.mode = MMF_MODE_THREADS, .thread_yield_rate = o.yield_rate,
				    .thread_timeout_ms = o.timeout_ms, .thread_seed = o.seed};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, &unused.base);
	double t0 = mmf_now();
	static uint64_t i;
	uint64_t passed = 0;
	const char *first_other = NULL;
	double secs = 0;
	watch_death(p->name, cli_params_shown(params), &i, o.want);
	for (i = 0; i < o.runs; i++) {
		if (o.time_limit > 0 && secs >= o.time_limit)
			break;
		char err[256];
		int bad;
		enum mmf_run_status st = mmf_run_program(&s, p, params, err, sizeof(err), &bad);
		if (bad)
			cli_usage("%s: %s", p->name, err);
		secs = mmf_now() - t0;
		if (st == MMF_RUN_FAILED) {
			bool wanted = !o.want || (o.want >> s.report.cls & 1);
			if (!wanted && !mmf_threads_abandoned(&s)) {
				/* Failed after its threads were joined (the teardown
				 * audit): pass over it and go on. */
				passed++;
				if (!first_other)
					first_other = mmf_fail_name(s.report.cls);
				continue;
			}
			if (wanted)
				printf("%s [%s]: stress found %s after %" PRIu64 " executions (%.2f s)\n",
				       p->name, cli_params_shown(params), mmf_fail_name(s.report.cls), i + 1, secs);
			else
				printf("%s [%s]: stress passed over %s after %" PRIu64 " executions "
				       "(%.2f s) and stopped: a failed run's threads cannot be reclaimed\n",
				       p->name, cli_params_shown(params), mmf_fail_name(s.report.cls), i + 1, secs);
			mmf_report_print(&s, stdout);
			if (passed)
				printf("passed over %" PRIu64 " earlier failure%s of other classes (first: %s)\n",
				       passed, passed == 1 ? "" : "s", first_other);
			fflush(stdout);
			/* Threads of a failed run may be stuck: leave now. */
			_Exit(wanted ? EXIT_BUG : EXIT_CLEAN);
		}
	}
	printf("%s [%s]: stress ran %" PRIu64 " executions clean (%.2f s)\n", p->name, cli_params_shown(params), i,
	       secs);
	if (passed)
		printf("passed over %" PRIu64 " failure%s of other classes (first: %s)\n", passed,
		       passed == 1 ? "" : "s", first_other);
	mmf_sched_destroy(&s);
	return EXIT_CLEAN;
}

