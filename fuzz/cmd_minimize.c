/* cmd_minimize.c - mmfuzz minimize: shrink a failing run while it keeps its
 * failure class (crash and timeout included); every run supervised. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "minimize.h"
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void minimize_help(void)
{
	printf("usage: mmfuzz minimize FILE -o OUT [--bugs LIST] [--runs N] [--quiet] [--raw]\n"
	       "                      [--timeout-ms MS]\n"
	       "  FILE: a trace or a reproducer; with --raw a raw fuzzer input (--bugs or\n"
	       "  MMFUZZ_BUGS give its variants).  The output is a trace.\n"
	       "  Shrink a failing run while it keeps its failure class: fewer preemptions\n"
	       "  first, then fewer other non-default scheduling choices, then fewer steps\n"
	       "  (smaller workload values: fewer tasks, fewer and simpler operations).  Each\n"
	       "  run executes in a supervised child: a crash or timeout is minimized like any\n"
	       "  other class.\n"
	       "  -o, --out OUT        write the minimized trace here\n"
	       "  --runs N             execution budget (default 5000)\n"
	       "  -t, --timeout-ms MS  wall-clock limit of one execution (default %d; 0: none)\n"
	       "  --quiet              no interleaving table\n"
	       "exit: 1 minimized (the failure kept), 2 bad file, or its run does not fail,\n"
	       "      130 interrupted\n", MMF_DEFAULT_TIMEOUT_MS);
}

int cmd_minimize(int argc, char **argv)
{
	struct cli_opts o = {.runs = 5000, .timeout_ms = MMF_DEFAULT_TIMEOUT_MS};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_RUNS) | CLI_OPT(O_QUIET) | CLI_OPT(O_BUGS) | CLI_OPT(O_OUT) |
			  CLI_OPT(O_RAW) | CLI_OPT(O_TIMEOUT),
		  minimize_help);
	if (optind + 1 != argc)
		cli_usage("minimize: expected exactly one FILE (see --help)");
	if (!o.out)
		cli_usage("minimize: give the output file with -o OUT");
	if (o.bugs && !strcmp(o.bugs, "each"))
		cli_usage("--bugs each applies to hunt");
	const char *path = argv[optind];
	struct run_file rf;
	cli_load_run_file(path, o.raw, o.bugs, &rf);
	cli_check_out_file("--out", o.out);
	mmf_guard_catch_interrupts();

	/* The decisions to start from: the trace's, or those of a reproducer's
	 * or raw input's run, recorded once. */
	struct run_result first;
	bool have_first = false;
	struct mmf_minimize q = {.prog = rf.prog, .params = rf.params, .budget = o.runs,
				 .timeout_ms = o.timeout_ms};
	const char *source_of = rf.kind == RUN_TRACE ? rf.tf.h.source : path;
	if (rf.kind == RUN_TRACE) {
		q.trace = rf.tf.t.d;
		q.ntrace = rf.tf.t.n;
		q.check_sites = rf.tf.version >= 2 && !rf.bugs_changed;
		if (rf.bugs_changed) {
			/* another variant set: start from the run it gives */
			cli_execute(&rf, o.timeout_ms, &first);
			cli_exit_on_abnormal(&first.end, "minimize");
			have_first = true;
			q.trace = first.s.trace.d;
			q.ntrace = first.s.trace.n;
			q.check_sites = true;
		}
	} else {
		cli_execute(&rf, o.timeout_ms, &first);
		cli_exit_on_abnormal(&first.end, "minimize");
		have_first = true;
		q.trace = first.s.trace.d;
		q.ntrace = first.s.trace.n;
		q.check_sites = true;
	}
	if (mmf_minimize_run(&q)) {
		int rc = q.interrupted ? EXIT_INTERRUPTED : EXIT_USAGE;
		fprintf(stderr, "mmfuzz: %s: %s\n", path, q.why);
		mmf_minimize_free(&q);
		if (have_first)
			cli_free_result(&first);
		cli_free_run_file(&rf);
		return rc;
	}
	printf("minimize %s: %s kept over %" PRIu64 " executions: preemptions %" PRIu64
	       " -> %" PRIu64 ", other choices %zu -> %zu, steps %" PRIu64 " -> %" PRIu64 "\n",
	       path, mmf_fail_name(q.cls), q.runs, q.preempt_before, q.preempt_after,
	       q.picks_before - (size_t)q.preempt_before < q.picks_before ?
		       q.picks_before - (size_t)q.preempt_before : 0,
	       q.picks_after - (size_t)q.preempt_after < q.picks_after ?
		       q.picks_after - (size_t)q.preempt_after : 0,
	       q.steps_before, q.steps_after);
	if (strcmp(q.params_out, rf.params))
		printf("workload: %s\n", q.params_out);
	if (!o.quiet)
		mmf_table_print(stdout, &q.s, 0);
	mmf_report_print(&q.s, stdout);
	char source[600];
	snprintf(source, sizeof(source), "minimized; found by %.500s", source_of);
	int rc = EXIT_BUG;
	if (cli_write_trace(o.out, &q.s, source, rf.prog->name, q.params_out))
		rc = EXIT_USAGE;
	else
		printf("trace: %s\nreplay: %s replay %s\n", o.out, mmf_cli_self, o.out);
	mmf_minimize_free(&q);
	if (have_first)
		cli_free_result(&first);
	cli_free_run_file(&rf);
	return rc;
}
