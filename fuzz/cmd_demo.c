/* cmd_demo.c - mmfuzz demo: the toy bugs against every decision source, then the mm model's variants. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "sanitizer.h"
#include "variant.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void demo_help(void)
{
	printf("usage: mmfuzz demo [--runs N] [--trace DIR]\n"
	       "  Hunt every toy bug with every decision source, check the fixed versions run\n"
	       "  clean, then run the mm model's generic workload: the fixed model must stay\n"
	       "  clean and each historic variant is hunted (2N executions each).  Saves one\n"
	       "  trace per finding under DIR (default mmfuzz-out) and prints replay commands.\n"
	       "exit: 0 when every toy bug was found and every fixed program ran clean, 1 otherwise\n"
	       "(variants not found within the budget are reported, not counted as failures)\n");
}

int cmd_demo(int argc, char **argv)
{
	struct cli_opts o = {.runs = 20000};
	cli_parse(argc, argv, &o, CLI_OPT(O_RUNS) | CLI_OPT(O_TRACE), demo_help);
	if (optind != argc)
		cli_usage("demo takes no positional arguments (see --help)");
	const char *dir = o.trace_out ? o.trace_out : "mmfuzz-out";
	cli_check_out_dir("--trace", dir);
	mmf_guard_catch_interrupts();

	static const struct { const char *prog, *params; } bugs[] = {
		{"toy-lost-update", "fixed=0"}, {"toy-abba", "fixed=0"},
		{"toy-abba", "fixed=0 lockdep=0"}, {"toy-missed-wakeup", "fixed=0"},
		{"toy-race", "fixed=0"}, {"toy-uaf", "fixed=0"}, {"toy-crash", "fixed=0"},
		{"toy-spin", "fixed=0"},
	};
	/* Every search is supervised: a toy run takes microseconds, so a short
	 * per-execution limit finds the spinning toy quickly. */
	const unsigned toy_timeout_ms = 500;
	const enum mmf_src_kind srcs[] = {MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT, MMF_SRC_EXPLORE};
	int bad = 0, out_err = 0;

	printf("mmfuzz demo: toy bugs vs decision sources (execution budget %" PRIu64 ", seed 1)\n\n",
	       o.runs);
	printf("%-18s %-18s | %-17s| %-17s| %-17s| %-17s| fixed version\n", "program", "params",
	       "random", "pct", "input", "explore(K=2)");
	for (size_t b = 0; b < sizeof(bugs) / sizeof(bugs[0]); b++) {
		const struct mmf_program *p = mmf_program_find(bugs[b].prog);
		char trace[512] = "";
		printf("%-18s %-18s |", p->name, bugs[b].params);
		fflush(stdout);
		for (size_t k = 0; k < 4; k++) {
			struct mmf_search q = {
				.prog = p, .params = bugs[b].params, .src = srcs[k], .seed = 1,
				.bound = 2, .budget = o.runs, .keep_trace = k == 0,
				.stop_at_failure = true,
			};
			if (mmf_search_run_guarded(&q, toy_timeout_ms)) {
				printf("\n%s: %s\n", "mmfuzz", q.why);
				return EXIT_USAGE;
			}
			char cellbuf[64];
			if (q.found)
				snprintf(cellbuf, sizeof(cellbuf), "%s@%" PRIu64, mmf_fail_name(q.cls),
					 q.found_at);
			else
				snprintf(cellbuf, sizeof(cellbuf), "MISSED");
			bad += !q.found;
			printf(" %-17s|", cellbuf);
			fflush(stdout);
			if (k == 0 && q.found) {
				snprintf(trace, sizeof(trace), "%s/%s%s.trace", dir, p->name,
					 strstr(bugs[b].params, "lockdep=0") ? "-nolockdep" : "");
				if (cli_write_trace(trace, &q.s, q.source_desc, p->name, bugs[b].params)) {
					trace[0] = 0;
					out_err = 1;
				}
			}
			mmf_search_free(&q);
		}
		/* The fixed version must run clean under every source. */
		char fixed_params[128];
		snprintf(fixed_params, sizeof(fixed_params), "%s", bugs[b].params);
		char *f = strstr(fixed_params, "fixed=0");
		f[6] = '1';
		uint64_t clean_runs = 0;
		bool clean = true;
		for (size_t k = 0; k < 4 && clean; k++) {
			struct mmf_search q = {
				.prog = p, .params = fixed_params, .src = srcs[k], .seed = 1,
				.bound = 2, .budget = k == 3 ? o.runs : o.runs / 4, .stop_at_failure = true,
			};
			if (mmf_search_run_guarded(&q, toy_timeout_ms)) {
				printf("\n%s: %s\n", "mmfuzz", q.why);
				return EXIT_USAGE;
			}
			clean = !q.found;
			clean_runs += q.runs;
			mmf_search_free(&q);
		}
		printf(" %s (%" PRIu64 " runs)\n", clean ? "clean" : "FAILED", clean_runs);
		bad += !clean;
		if (trace[0])
			printf("%38s   replay: %s replay %s\n", "", mmf_cli_self, trace);
	}
	printf("\ncells: failure class @ executions until found.  The fixed column runs each\n"
	       "source (explore to completion at K=2) on the fixed version.\n");

	/* The mm model: the fixed kernel must stay clean; each historic
	 * variant is hunted from the generic workload (informational: the
	 * deepest ones need more than this budget today). */
	uint64_t mm_budget = o.runs * 2;
	printf("\nmm model, generic workload, random source seed 1, budget %" PRIu64 " executions:\n",
	       mm_budget);
	const struct mmf_program *mm = mmf_program_find("mm");
	struct mmf_search fq = {.prog = mm, .params = "", .src = MMF_SRC_RANDOM, .seed = 1,
				.budget = mm_budget, .stop_at_failure = true};
	if (mmf_search_run_guarded(&fq, MMF_DEFAULT_TIMEOUT_MS)) {
		printf("%s: %s\n", "mmfuzz", fq.why);
		return EXIT_USAGE;
	}
	printf("  %-34s %s\n", "fixed model (bugs=none)",
	       fq.found ? "FAILED: the fixed model reported a failure" : "clean");
	bad += fq.found;
	mmf_search_free(&fq);
	for (int v = 0; v < V_NR; v++) {
		char params[96], trace[512] = "";
		snprintf(params, sizeof(params), "bugs=%s", mm_variants[v].name);
		struct mmf_search q = {.prog = mm, .params = params, .src = MMF_SRC_RANDOM, .seed = 1,
				       .budget = mm_budget, .keep_trace = true,
				       .stop_at_failure = true,
				       .want = (uint32_t)mmf_classes_parse(mm_variants[v].classes, NULL, 0)};
		if (mmf_search_run_guarded(&q, MMF_DEFAULT_TIMEOUT_MS)) {
			printf("%s: %s\n", "mmfuzz", q.why);
			return EXIT_USAGE;
		}
		if (q.found) {
			snprintf(trace, sizeof(trace), "%s/mm-%s.trace", dir, mm_variants[v].name);
			if (cli_write_trace(trace, &q.s, q.source_desc, mm->name, params)) {
				trace[0] = 0;
				out_err = 1;
			}
		}
		char cell[96];
		if (q.found)
			snprintf(cell, sizeof(cell), "%s after %" PRIu64 " executions", mmf_fail_name(q.cls),
				 q.found_at);
		else
			snprintf(cell, sizeof(cell), "not found within the budget");
		printf("  %-34s %s\n", mm_variants[v].name, cell);
		if (trace[0])
			printf("  %-34s   replay: %s replay %s\n", "", mmf_cli_self, trace);
		mmf_search_free(&q);
	}
	printf("%s\n", bad ? "demo: SOME EXPECTATIONS FAILED" : "demo: every bug found, every fix clean");
	if (out_err)
		return EXIT_USAGE;      /* a trace could not be written */
	return bad ? EXIT_BUG : EXIT_CLEAN;
}

