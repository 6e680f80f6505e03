/* cmd_run.c - mmfuzz run: one decision source against a program until a
 * failure or the budget, supervised (a crash or an overrun execution is a
 * finding like any other). */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_help(void)
{
	printf("usage: mmfuzz run PROGRAM [options]\n"
	       "  Execute PROGRAM under the controlled scheduler until a failure or the budget.\n"
	       "  --params 'k=v ...'   program parameters (see 'mmfuzz list')\n"
	       "  --source S           random (default), pct, input or explore\n"
	       "  --seed N             seed for random, pct and input without --input (default 1)\n"
	       "  --depth D            pct only: bug depth (default 2)\n"
	       "  --bound K            explore only: preemption bound (default 2)\n"
	       "  --input FILE         input only: these bytes, one execution\n"
	       "  --runs N             execution budget (default 10000, or none with --time)\n"
	       "  --time S             stop after S seconds\n"
	       "  -t, --timeout-ms MS  wall-clock limit of one execution (default %d; 0: none);\n"
	       "                       an execution over it is a 'timeout' finding\n"
	       "  --trace FILE         write the failing run's decision trace\n"
	       "  --table              print the interleaving table of the failure\n"
	       "  --quiet              only the summary line\n"
	       "  --want C1,C2         seek failures of these classes; others are counted\n"
	       "                       and passed over (classes: see 'mmfuzz list')\n"
	       "  --access-points      mm: plain loads and stores of the model are scheduling\n"
	       "                       points too (params points=all, recorded in traces)\n"
	       "  A native crash (SIGSEGV...) or a sanitizer report is a 'crash' (or the\n"
	       "  sanitizer's class) finding with its re-executed run, like any other failure.\n"
	       "exit: 0 no failure within the budget, 1 failure found, 2 usage error,\n"
	       "      130 interrupted\n", MMF_DEFAULT_TIMEOUT_MS);
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o = {.seed = 1, .bound = 2, .timeout_ms = MMF_DEFAULT_TIMEOUT_MS};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_PARAMS) | CLI_OPT(O_SOURCE) | CLI_OPT(O_SEED) | CLI_OPT(O_DEPTH) |
			  CLI_OPT(O_BOUND) | CLI_OPT(O_RUNS) | CLI_OPT(O_TRACE) | CLI_OPT(O_INPUT) |
			  CLI_OPT(O_QUIET) | CLI_OPT(O_TABLE) | CLI_OPT(O_WANT) | CLI_OPT(O_TIME) |
			  CLI_OPT(O_TIMEOUT) | CLI_OPT(O_ACCESS),
		  run_help);
	if (optind + 1 != argc)
		cli_usage("run: expected exactly one PROGRAM (see --help)");
	cli_check_source_options(&o);
	if (!o.runs)
		o.runs = o.time_limit > 0 ? UINT64_MAX : 10000;
	const struct mmf_program *p = cli_program(argv[optind]);
	char pbuf[1200];
	const char *params = cli_access_params(&o, p, o.params ? o.params : p->default_params, pbuf,
					       sizeof(pbuf));
	if (o.trace_out)
		cli_check_out_file("--trace", o.trace_out);
	struct mmf_search q = {
		.prog = p, .params = params, .src = (enum mmf_src_kind)o.src, .seed = o.seed,
		.depth = o.depth, .bound = o.bound, .budget = o.runs, .keep_trace = true,
		.stop_at_failure = true, .want = o.want, .time_limit = o.time_limit,
	};
	uint8_t *bytes = NULL;
	if (o.input_file) {
		bytes = cli_read_file(o.input_file, &q.input_len);
		q.input = bytes;
	}
	/* The parameters must hold before anything runs. */
	char perr[300];
	if (mmf_check_params(p, params, perr, sizeof(perr)))
		cli_usage("%s: %s", p->name, perr);
	mmf_guard_catch_interrupts();
	int err = mmf_search_run_guarded(&q, o.timeout_ms);
	if (err) {
		fprintf(stderr, "mmfuzz: %s\n", q.why);
		mmf_search_free(&q);
		free(bytes);
		return EXIT_USAGE;
	}
	int rc = EXIT_CLEAN;
	if (q.other)
		printf("%s [%s]: passed over %" PRIu64 " failure%s of other classes (first: %s at "
		       "execution %" PRIu64 ")\n", p->name, cli_params_shown(params), q.other, q.other == 1 ? "" : "s",
		       mmf_fail_name(q.other_cls), q.other_at);
	if (q.found) {
		rc = EXIT_BUG;
		printf("%s [%s]: found %s after %" PRIu64 " execution%s (%s)\n", p->name, cli_params_shown(params),
		       mmf_fail_name(q.cls), q.found_at, q.found_at == 1 ? "" : "s", q.source_desc);
		if (q.not_reproduced)
			printf("note: the execution ended this way once but not when re-executed: the "
			       "trace is its record up to the end, without the table\n");
		if (!o.quiet)
			mmf_report_print(&q.s, stdout);
		if (o.table)
			mmf_table_print(stdout, &q.s, 0);
		if (o.trace_out) {
			if (cli_write_trace(o.trace_out, &q.s, q.source_desc, p->name, params))
				rc = EXIT_USAGE;
			else
				printf("trace: %s\nreplay: %s replay %s\n", o.trace_out, mmf_cli_self,
				       o.trace_out);
		}
	} else {
		printf("%s [%s]: no failure in %" PRIu64 " executions (%s)%s%s\n", p->name, cli_params_shown(params),
		       q.runs, q.source_desc,
		       q.src == MMF_SRC_EXPLORE ? (q.complete ? ", search complete" :
						   ", search incomplete") : "",
		       q.interrupted ? ", interrupted" : "");
		if (q.interrupted)
			rc = EXIT_INTERRUPTED;
	}
	mmf_search_free(&q);
	free(bytes);
	return rc;
}
