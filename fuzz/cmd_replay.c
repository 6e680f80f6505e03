/* cmd_replay.c - mmfuzz replay: re-execute a trace, a reproducer or (with
 * --raw) a raw engine input, supervised, and print the interleaving. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void replay_help(void)
{
	printf("usage: mmfuzz replay FILE [--bugs LIST] [--trace OUT] [--compact] [--quiet] [--raw]\n"
	       "                    [--timeout-ms MS]\n"
	       "  Re-execute a run and print the interleaving table: one column per task, one\n"
	       "  row per scheduling step, each naming the model function and line; the failure\n"
	       "  is marked.  FILE is a decision trace (mmfuzz-trace) or a reproducer\n"
	       "  (mmfuzz-repro: header + input); with --raw, a raw fuzzer input (a libFuzzer or\n"
	       "  AFL++ crash file; its variant set comes from --bugs or MMFUZZ_BUGS).\n"
	       "  A trace replays strictly: each decision must be taken in the recorded task, at\n"
	       "  the recorded site, among the recorded runnable tasks; a model changed since the\n"
	       "  recording is reported at the first decision that moved (exit 2).\n"
	       "  --bugs LIST   replay under these bug variants instead of the recorded ones\n"
	       "                ('none': the fixed model), to check a fix: the run follows the\n"
	       "                recorded schedule while it fits, then takes default decisions\n"
	       "  --trace OUT   write the re-executed run's trace\n"
	       "  --compact     one row per stretch a task ran (steps, where it was switched out)\n"
	       "  --quiet       no table\n"
	       "  --raw         FILE is a raw fuzzer input, not a trace or reproducer\n"
	       "  -t, --timeout-ms MS  wall-clock limit of the execution (default %d; 0: none)\n"
	       "  A run that crashes (SIGSEGV...) or overruns the limit is reported as the\n"
	       "  failure it is (class crash or timeout), with the table.\n"
	       "exit: 1 the run fails, 0 it runs clean, 2 bad file or divergence, 130 interrupted\n",
	       MMF_DEFAULT_TIMEOUT_MS);
}

int cmd_replay(int argc, char **argv)
{
	struct cli_opts o = {.timeout_ms = MMF_DEFAULT_TIMEOUT_MS};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_TRACE) | CLI_OPT(O_QUIET) | CLI_OPT(O_BUGS) | CLI_OPT(O_COMPACT) |
			  CLI_OPT(O_RAW) | CLI_OPT(O_TIMEOUT),
		  replay_help);
	if (optind + 1 != argc)
		cli_usage("replay: expected exactly one FILE (see --help)");
	const char *path = argv[optind];
	if (o.bugs && !strcmp(o.bugs, "each"))
		cli_usage("--bugs each applies to hunt");
	struct run_file rf;
	cli_load_run_file(path, o.raw, o.bugs, &rf);
	if (o.trace_out)
		cli_check_out_file("--trace", o.trace_out);
	mmf_guard_catch_interrupts();
	struct run_result res;
	cli_execute(&rf, o.timeout_ms, &res);
	cli_exit_on_abnormal(&res.end, "replay");
	struct mmf_sched *s = &res.s;
	if (res.diverged) {
		fprintf(stderr, "mmfuzz: %s: %s\n", path, res.why);
		cli_free_result(&res);
		cli_free_run_file(&rf);
		return EXIT_USAGE;
	}
	const char *now = s->failed ? mmf_fail_name(s->report.cls) : "clean";
	if (rf.kind == RUN_TRACE)
		printf("replay %s: %s [%s], %" PRIu64 " steps, %zu decisions\n", path, rf.prog->name,
		       rf.params, s->steps, s->trace.n);
	else
		printf("replay %s: %s [%s], input %zu bytes%s, %" PRIu64 " steps, %zu decisions\n", path,
		       rf.prog->name, rf.params, rf.len,
		       rf.len > MMF_INPUT_MAX ? " (the rest unused)" : "", s->steps, s->trace.n);
	if (rf.kind == RUN_REPRO)
		printf("recorded by: %s\n", rf.r.build);
	else if (rf.kind == RUN_RAW)
		printf("raw input: replayed with %s (--bugs or MMFUZZ_BUGS to change)\n", rf.params);
	if (!o.quiet && o.compact)
		mmf_table_print_runs(stdout, s);
	else if (!o.quiet)
		mmf_table_print(stdout, s, 0);
	if (s->failed)
		mmf_report_print(s, stdout);
	if (res.off)
		printf("left the recorded schedule at decision %zu (%s); default decisions from there\n",
		       res.off_at, res.off_why);
	const char *recorded = rf.kind == RUN_TRACE ? rf.tf.h.result :
			       rf.kind == RUN_REPRO ? rf.r.result : NULL;
	if (!recorded)
		printf("result: %s\n", now);   /* a raw input records nothing */
	else if (o.bugs)
		printf("under bugs=%s: %s (recorded: %s)\n", o.bugs, now, recorded);
	else if (strcmp(now, recorded))
		printf("note: the %s recorded '%s', this run gives '%s'\n",
		       rf.kind == RUN_TRACE ? "trace" : "reproducer", recorded, now);
	else
		printf("reproduced: %s\n", now);
	int rc = s->failed ? EXIT_BUG : EXIT_CLEAN;
	if (res.child_exit) {
		printf("note: the run ended, then its process exited with status %d: a sanitizer "
		       "reported an error without stopping the run (see its report above; with "
		       "halt_on_error=1 it is a finding of its own)\n", res.child_exit);
		rc = EXIT_BUG;
	}
	if (o.trace_out) {
		char source[1100];
		snprintf(source, sizeof(source), "replay %.1000s", path);
		if (cli_write_trace(o.trace_out, s, source, rf.prog->name, rf.params))
			rc = EXIT_USAGE;
	}
	cli_free_result(&res);
	cli_free_run_file(&rf);
	return rc;
}
