/* cmd_hunt.c - mmfuzz hunt: the main job (hunt.c), its options checked and
 * its outputs made sure of before anything runs. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "hunt.h"
#include "variant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hunt_help(void)
{
	printf("usage: mmfuzz hunt [PROGRAM] [--bugs LIST|each|none] [--jobs N] [--time S]\n"
	       "                   [--execs N] [--seed N] [--params 'k=v ...'] [--out DIR]\n"
	       "                   [--json FILE] [--timeout-ms MS] [--quiet] [--access-points]\n"
	       "  The main job: the built-in engine (random and PCT sources, alternating) over the\n"
	       "  generic workload of PROGRAM (default mm: the model) on N cores, until the time\n"
	       "  or execution budget.  A live status line shows execs/s, distinct schedules,\n"
	       "  coverage (model lines where decisions were taken), interleaving features and\n"
	       "  findings.  Findings are de-duplicated by class, variant set, reporting site and\n"
	       "  report text; each is saved as a trace the moment it happens, including an\n"
	       "  execution that crashes (class crash, with the signal), that a sanitizer ends,\n"
	       "  or that overruns the per-execution limit (class timeout, confirmed by a\n"
	       "  re-execution).  At the end: a table of distinct findings with replay commands.\n"
	       "  --bugs LIST   mm: variants in force (default: none, the fixed model; env\n"
	       "                MMFUZZ_BUGS); 'each': every historic variant in turn\n"
	       "  --jobs N      worker processes (default 1; 0: one per core)\n"
	       "  --time S      stop after S seconds (default 60 unless --execs is given)\n"
	       "  --execs N     stop after N executions in all\n"
	       "  -t, --timeout-ms MS  wall-clock limit of one execution (default %d; 0: none)\n"
	       "  --seed N      campaign seed (default 1)\n"
	       "  --out DIR     where reproducers go (default mmfuzz-out; created if missing)\n"
	       "  --json FILE   machine-readable results\n"
	       "  --quiet       no status line\n"
	       "  --access-points  mm: plain loads and stores of the model are scheduling points\n"
	       "                too (params points=all, recorded in every reproducer)\n"
	       "  The budget ends the hunt within about a second whatever the program does;\n"
	       "  SIGINT (Ctrl-C) or SIGTERM stops it the same way, and the findings table and\n"
	       "  the JSON are still written.  A worker killed from outside (SIGKILL by a person\n"
	       "  or the OOM killer) is reported and restarted; it is not a finding.\n"
	       "exit: 0 no finding, 1 findings, 2 usage error, 130 interrupted without findings\n",
	       MMF_DEFAULT_TIMEOUT_MS);
}

int cmd_hunt(int argc, char **argv)
{
	struct cli_opts o = {.seed = 1, .jobs = 1, .timeout_ms = MMF_DEFAULT_TIMEOUT_MS};
	cli_parse(argc, argv, &o,
		  CLI_OPT(O_PARAMS) | CLI_OPT(O_SEED) | CLI_OPT(O_QUIET) | CLI_OPT(O_BUGS) |
			  CLI_OPT(O_OUT) | CLI_OPT(O_JOBS) | CLI_OPT(O_TIME) | CLI_OPT(O_EXECS) |
			  CLI_OPT(O_JSON) | CLI_OPT(O_TIMEOUT) | CLI_OPT(O_ACCESS),
		  hunt_help);
	if (optind + 1 < argc)
		cli_usage("hunt: unexpected argument '%s' (see --help)", argv[optind + 1]);
	const struct mmf_program *p = cli_program(optind < argc ? argv[optind] : "mm");
	bool mm = !strcmp(p->name, "mm");
	const char *bugs = o.bugs;
	if (!bugs && mm) {
		bugs = getenv("MMFUZZ_BUGS");
		if (bugs && !*bugs)
			bugs = NULL;
		if (bugs && strcmp(bugs, "each")) {
			char bad[64];
			if (mm_variants_parse(bugs, bad, sizeof(bad)) < 0)
				cli_usage("hunt: MMFUZZ_BUGS: unknown bug variant '%s' (see 'mmfuzz list')",
					  bad);
		}
	}
	if (o.bugs && !mm)
		cli_usage("hunt: --bugs applies to the mm program, not %s", p->name);
	if (!o.jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o.jobs = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
	}
	char pbuf[1200];
	const char *params = o.access_points ? cli_access_params(&o, p, o.params, pbuf, sizeof(pbuf)) :
			     o.params;
	const char *out = o.out ? o.out : "mmfuzz-out";
	cli_check_out_dir("--out", out);
	if (o.json)
		cli_check_out_file("--json", o.json);
	struct mmf_hunt_opts h = {
		.prog = p, .bugs = mm ? (bugs ? bugs : "none") : NULL, .params = params,
		.jobs = o.jobs, .time_limit = o.time_limit, .execs = o.runs, .seed = o.seed,
		.timeout_ms = o.timeout_ms, .out_dir = out, .json = o.json, .quiet = o.quiet,
		.self = mmf_cli_self,
	};
	if (!h.time_limit && !h.execs)
		h.time_limit = 60;
	return mmf_hunt(&h);
}
