/* cmd_explore.c - mmfuzz explore: bounded exhaustive search over schedules,
 * of a program or of the workload a run file recorded; supervised. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void explore_help(void)
{
	printf("usage: mmfuzz explore PROGRAM|FILE [options]\n"
	       "  Depth-first search over every schedule with at most K preemptions.  With a\n"
	       "  trace or reproducer FILE: over the schedules of its workload (spelled out as\n"
	       "  a plan, variants included).\n"
	       "  --params 'k=v ...'   program parameters (with PROGRAM)\n"
	       "  --bound K            preemption bound (default 2)\n"
	       "  --runs N             stop after N schedules (default 1000000)\n"
	       "  -t, --timeout-ms MS  wall-clock limit of one schedule (default %d; 0: none)\n"
	       "  --trace FILE         write the first failing schedule's trace (and stop there)\n"
	       "  --want C1,C2         count only failures of these classes\n"
	       "  --raw                FILE is a raw fuzzer input (variants: --bugs, MMFUZZ_BUGS)\n"
	       "  --bugs LIST          the variants of a raw input, or instead of a FILE's\n"
	       "  --access-points      mm: plain loads and stores of the model are scheduling\n"
	       "                       points too (params points=all; a FILE recorded with\n"
	       "                       them keeps them)\n"
	       "  prints: schedules explored, failing schedules, and whether the search is\n"
	       "  complete.  A schedule that crashes or overruns the limit ends the search\n"
	       "  there (incomplete) as a finding.\n"
	       "exit: 0 no failure, 1 failure found, 2 usage error, 130 interrupted\n",
	       MMF_DEFAULT_TIMEOUT_MS);
}

/* The workload a run file's run builds, spelled out (the program's
 * describe hook after setup, which draws the same values as the run). */
static void describe_file(const struct run_file *rf, char *buf, size_t len)
{
	if (!rf->prog->describe)
		cli_usage("explore: program %s cannot spell out the workload of '%s'", rf->prog->name,
			  rf->path);
	struct mmf_replay_src rs;
	struct mmf_input_src in;
	struct mmf_decider *dec;
	if (rf->kind == RUN_TRACE) {
		mmf_replay_src_init(&rs, rf->tf.t.d, rf->tf.t.n);
		rs.lenient = true;
		dec = &rs.base;
	} else {
		mmf_input_src_init(&in, rf->data, rf->len > MMF_INPUT_MAX ? MMF_INPUT_MAX : rf->len);
		dec = &in.base;
	}
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, dec);
	char err[300];
	if (mmf_setup_program(&s, rf->prog, rf->params, err, sizeof(err)))
		cli_usage("explore: '%s': %s", rf->path, err);
	int rc = rf->prog->describe(&s, buf, len);
	mmf_sched_destroy(&s);
	if (rc)
		cli_usage("explore: cannot spell out the workload of '%s'", rf->path);
}

int cmd_explore(int argc, char **argv)
{
	struct cli_opts o = {.runs = 1000000, .bound = 2, .timeout_ms = MMF_DEFAULT_TIMEOUT_MS};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_PARAMS) | CLI_OPT(O_BOUND) | CLI_OPT(O_RUNS) | CLI_OPT(O_TRACE) |
			  CLI_OPT(O_WANT) | CLI_OPT(O_TIMEOUT) | CLI_OPT(O_RAW) | CLI_OPT(O_BUGS) |
			  CLI_OPT(O_ACCESS),
		  explore_help);
	if (optind + 1 != argc)
		cli_usage("explore: expected exactly one PROGRAM or trace FILE (see --help)");
	const char *arg = argv[optind];
	const struct mmf_program *p = o.raw ? NULL : mmf_program_find(arg);
	const char *params = o.params;
	char described[1024];
	if (p && (o.raw || o.bugs))
		cli_usage("explore: --raw and --bugs go with a FILE, not a PROGRAM (use --params)");
	if (!p && access(arg, F_OK) == 0) {
		if (o.params)
			cli_usage("explore: --params and a FILE do not go together");
		struct run_file rf;
		cli_load_run_file(arg, o.raw, o.bugs, &rf);
		describe_file(&rf, described, sizeof(described));
		p = rf.prog;
		cli_free_run_file(&rf);
		params = described;
		printf("explore %s: workload %s\n", arg, params);
	}
	if (!p) {
		if (o.raw)
			cli_usage("cannot open '%s'", arg);
		p = cli_program(arg);
	}
	if (!params)
		params = p->default_params;
	char pbuf[1200];
	params = cli_access_params(&o, p, params, pbuf, sizeof(pbuf));
	if (o.trace_out)
		cli_check_out_file("--trace", o.trace_out);
	char perr[300];
	if (mmf_check_params(p, params, perr, sizeof(perr)))
		cli_usage("%s: %s", p->name, perr);
	struct mmf_search q = {
		.prog = p, .params = params, .src = MMF_SRC_EXPLORE, .bound = o.bound,
		.budget = o.runs, .keep_trace = o.trace_out != NULL,
		.stop_at_failure = o.trace_out != NULL, .want = o.want,
	};
	mmf_guard_catch_interrupts();
	if (mmf_search_run_guarded(&q, o.timeout_ms)) {
		fprintf(stderr, "mmfuzz: %s\n", q.why);
		mmf_search_free(&q);
		return EXIT_USAGE;
	}
	if (q.other)
		printf("%s [%s]: passed over %" PRIu64 " failure%s of other classes (first: %s at "
		       "schedule %" PRIu64 ")%s\n", p->name, cli_params_shown(params), q.other,
		       q.other == 1 ? "" : "s", mmf_fail_name(q.other_cls), q.other_at,
		       q.other_cls == MMF_FAIL_CRASH || q.other_cls == MMF_FAIL_TIMEOUT ?
			       ": it ended its process, so the search stops there" : "");
	const char *state = q.complete ? "complete" :
			    q.diverged ? "stopped (nondeterminism)" :
			    q.interrupted ? "interrupted" :
			    q.found && (q.cls == MMF_FAIL_CRASH || q.cls == MMF_FAIL_TIMEOUT) ?
				    "stopped at the crash (incomplete)" : "incomplete";
	printf("%s [%s]: explored %" PRIu64 " schedules with at most %d preemption%s: %s; "
	       "%" PRIu64 " failing",
	       p->name, cli_params_shown(params), q.runs, o.bound, o.bound == 1 ? "" : "s", state, q.failures);
	if (q.found)
		printf(", first %s at schedule %" PRIu64, mmf_fail_name(q.cls), q.found_at);
	printf("\n");
	if (q.found && (q.cls == MMF_FAIL_CRASH || q.cls == MMF_FAIL_TIMEOUT))
		mmf_report_print(&q.s, stdout);
	if (q.diverged)
		fprintf(stderr, "mmfuzz: %s\n", q.why);
	int rc = q.diverged ? EXIT_USAGE : q.found ? EXIT_BUG :
		 q.interrupted ? EXIT_INTERRUPTED : EXIT_CLEAN;
	if (q.found && o.trace_out) {
		if (cli_write_trace(o.trace_out, &q.s, q.source_desc, p->name, params))
			rc = EXIT_USAGE;
		else
			printf("trace: %s\nreplay: %s replay %s\n", o.trace_out, mmf_cli_self, o.trace_out);
	}
	mmf_search_free(&q);
	return rc;
}
