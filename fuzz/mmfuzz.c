/* mmfuzz.c - the command-line tool: argument handling only; the work is in
 * runner.c (searching), table.c (replay output) and sched/.
 *
 * Exit codes: 0 clean, 1 bug found, 2 usage or input error. */
#define _GNU_SOURCE
#include "decide.h"
#include "harness.h"
#include "hunt.h"
#include "repro.h"
#include "minimize.h"
#include "program.h"
#include "thread_mode.h"
#include "sanitizer.h"
#include "table.h"
#include "trace.h"
#include "variant.h"
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CLEAN 0
#define EXIT_BUG 1
#define EXIT_USAGE 2

#if MMF_ASAN || MMF_TSAN
#include <sanitizer/common_interface_defs.h>
#endif

static const char *prog_name = "mmfuzz";
static const char *self = "mmfuzz"; /* how we were invoked, for replay hints */

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static uint64_t parse_u64_arg(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		usage_error("%s needs a number in %" PRIu64 "..%" PRIu64, opt, lo, hi);
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		usage_error("%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, s, lo, hi);
	return v;
}

static const struct mmf_program *need_program(const char *name)
{
	if (!name)
		usage_error("missing PROGRAM (see 'mmfuzz list')");
	const struct mmf_program *p = mmf_program_find(name);
	if (!p)
		usage_error("unknown program '%s' (see 'mmfuzz list')", name);
	return p;
}

/* ---- list ------------------------------------------------------------------- */

static int cmd_list(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: mmfuzz list\n  Print the programs, decision sources, workload operations, bug "
		       "variants (with the\n  failure classes they are caught as) and failure classes.\n");
		return EXIT_CLEAN;
	}
	if (argc > 1)
		usage_error("list takes no arguments");
	printf("programs:\n");
	for (int i = 0; mmf_programs[i]; i++)
		printf("  %-20s %s [%s]\n", mmf_programs[i]->name, mmf_programs[i]->summary,
		       mmf_programs[i]->params_help);
	printf("decision sources: random, pct, input, explore (and replay of a trace)\n");
	printf("operations of the mm workload (plan= and only=):");
	for (int k = 0; k < OP_NR; k++)
		printf(" %s", mm_op_names[k]);
	printf("\nbug variants of the mm model (bugs=a,b):\n");
	for (int v = 0; v < V_NR; v++)
		printf("  %-34s %s %s [caught as: %s]\n", mm_variants[v].name, mm_variants[v].year,
		       mm_variants[v].summary, mm_variants[v].classes);
	printf("failure classes:");
	for (int c = 1; c < MMF_FAIL_NR; c++)
		printf(" %s", mmf_fail_name((enum mmf_fail_class)c));
	printf("\n");
	return EXIT_CLEAN;
}

/* ---- shared option parsing for run/explore/stress ----------------------------- */

struct opts {
	const char *params;
	int src;
	uint64_t seed;
	int depth;
	int bound;
	uint64_t runs;
	const char *trace_out;
	const char *input_file;
	bool quiet;
	bool table;
	bool compact;
	unsigned yield_rate;
	unsigned timeout_ms;
	uint32_t want;
	const char *bugs;
	const char *out;
	int jobs;
	double time_limit;
	const char *json;
};

enum { O_PARAMS = 1, O_SOURCE, O_SEED, O_DEPTH, O_BOUND, O_RUNS, O_TRACE, O_INPUT, O_QUIET,
       O_TABLE, O_YIELD, O_TIMEOUT, O_WANT, O_BUGS, O_OUT, O_COMPACT, O_JOBS, O_TIME, O_EXECS, O_JSON,
       O_HELP };

static const struct option long_opts[] = {
	{"params", required_argument, 0, O_PARAMS}, {"source", required_argument, 0, O_SOURCE},
	{"seed", required_argument, 0, O_SEED},     {"depth", required_argument, 0, O_DEPTH},
	{"bound", required_argument, 0, O_BOUND},   {"runs", required_argument, 0, O_RUNS},
	{"trace", required_argument, 0, O_TRACE},   {"input", required_argument, 0, O_INPUT},
	{"quiet", no_argument, 0, O_QUIET},         {"table", no_argument, 0, O_TABLE},
	{"yield-rate", required_argument, 0, O_YIELD},
	{"timeout-ms", required_argument, 0, O_TIMEOUT},
	{"want", required_argument, 0, O_WANT},
	{"bugs", required_argument, 0, O_BUGS},
	{"out", required_argument, 0, O_OUT},
	{"compact", no_argument, 0, O_COMPACT},
	{"jobs", required_argument, 0, O_JOBS},     {"time", required_argument, 0, O_TIME},
	{"execs", required_argument, 0, O_EXECS},   {"json", required_argument, 0, O_JSON},
	{"help", no_argument, 0, O_HELP},           {0, 0, 0, 0},
};

static uint32_t parse_classes(const char *arg)
{
	char bad[64];
	long m = mmf_classes_parse(arg, bad, sizeof(bad));
	if (m < 0)
		usage_error("--want: '%s' is not a failure class (see 'mmfuzz list')", bad);
	return (uint32_t)m;
}

static void parse_opts(int argc, char **argv, struct opts *o, const char *allowed,
		       void (*help)(void))
{
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":ho:", long_opts, NULL);
		if (c == -1)
			break;
		if (c == 'o')
			c = O_OUT;
		if (c == 'h' || c == O_HELP) {
			help();
			exit(EXIT_CLEAN);
		}
		if (c == '?')
			usage_error("%s: unknown option '%s' (see --help)", argv[0], argv[optind - 1]);
		if (c == ':')
			usage_error("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		if (!strchr(allowed, c)) {
			const char *name = "?";
			for (const struct option *lo = long_opts; lo->name; lo++)
				if (lo->val == c)
					name = lo->name;
			usage_error("%s: option '--%s' does not apply here (see --help)", argv[0], name);
		}
		switch (c) {
		case O_PARAMS: o->params = optarg; break;
		case O_SOURCE:
			o->src = mmf_src_from_name(optarg);
			if (o->src < 0)
				usage_error("--source: '%s' is not one of random, pct, input, explore", optarg);
			break;
		case O_SEED: o->seed = parse_u64_arg("--seed", optarg, 0, UINT64_MAX); break;
		case O_DEPTH: o->depth = (int)parse_u64_arg("--depth", optarg, 1, MMF_PCT_MAX_DEPTH); break;
		case O_BOUND: o->bound = (int)parse_u64_arg("--bound", optarg, 0, 64); break;
		case O_RUNS: o->runs = parse_u64_arg("--runs", optarg, 1, UINT64_MAX); break;
		case O_TRACE: o->trace_out = optarg; break;
		case O_INPUT: o->input_file = optarg; break;
		case O_QUIET: o->quiet = true; break;
		case O_TABLE: o->table = true; break;
		case O_YIELD: o->yield_rate = (unsigned)parse_u64_arg("--yield-rate", optarg, 0, 1u << 30); break;
		case O_WANT: o->want = parse_classes(optarg); break;
		case O_OUT: o->out = optarg; break;
		case O_COMPACT: o->compact = true; break;
		case O_JOBS: o->jobs = (int)parse_u64_arg("--jobs", optarg, 0, 64); break;
		case O_TIME: o->time_limit = (double)parse_u64_arg("--time", optarg, 1, 1u << 30); break;
		case O_EXECS: o->runs = parse_u64_arg("--execs", optarg, 1, UINT64_MAX); break;
		case O_JSON: o->json = optarg; break;
		case O_BUGS: {
			char bad[64];
			if (strcmp(optarg, "each") && mm_variants_parse(optarg, bad, sizeof(bad)) < 0)
				usage_error("--bugs: unknown bug variant '%s' (see 'mmfuzz list')", bad);
			o->bugs = optarg;
			break;
		}
		case O_TIMEOUT: o->timeout_ms = (unsigned)parse_u64_arg("--timeout-ms", optarg, 1, 1u << 30); break;
		}
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		usage_error("cannot open '%s': %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= (64u << 20))
				usage_error("'%s' is larger than 64 MiB", path);
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	if (!buf || ferror(f))
		usage_error("cannot read '%s'", path);
	fclose(f);
	*len = n;
	return buf;
}

static int write_trace(const char *path, const struct mmf_sched *s, const char *source,
		       const char *program, const char *params)
{
	char err[300];
	if (mmf_write_trace_file(path, s, source, program, params, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog_name, err);
		return -1;
	}
	return 0;
}

/* ---- a sanitizer ending run or stress: say after how many executions ------------ */

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
	       death.prog, death.params, wanted ? "found" : "ended by", cls, *death.done + 1,
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

/* ---- run ------------------------------------------------------------------------ */

static void run_help(void)
{
	printf("usage: mmfuzz run PROGRAM [options]\n"
	       "  Execute PROGRAM under the controlled scheduler until a failure or the budget.\n"
	       "  --params 'k=v ...'   program parameters (see 'mmfuzz list')\n"
	       "  --source S           random (default), pct, input or explore\n"
	       "  --seed N             seed for random/pct/input (default 1)\n"
	       "  --depth D            PCT bug depth (default 2)\n"
	       "  --bound K            explore: preemption bound (default 2)\n"
	       "  --input FILE         input source: these bytes, one execution\n"
	       "  --runs N             execution budget (default 10000, or none with --time)\n"
	       "  --time S             stop after S seconds\n"
	       "  --trace FILE         write the failing run's decision trace\n"
	       "  --table              print the interleaving table of the failure\n"
	       "  --quiet              only the summary line\n"
	       "  --want C1,C2         seek failures of these classes; others are counted\n"
	       "                       and passed over (classes: see 'mmfuzz list')\n"
	       "exit: 0 no failure within the budget, 1 failure found, 2 usage error\n");
}

static int cmd_run(int argc, char **argv)
{
	struct opts o = {.seed = 1, .bound = 2};
	parse_opts(argc, argv, &o, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0d\x12", run_help);
	if (!o.runs)
		o.runs = o.time_limit > 0 ? UINT64_MAX : 10000;
	if (optind + 1 != argc)
		usage_error("run: expected exactly one PROGRAM (see --help)");
	const struct mmf_program *p = need_program(argv[optind]);
	const char *params = o.params ? o.params : p->default_params;
	struct mmf_search q = {
		.prog = p, .params = params, .src = (enum mmf_src_kind)o.src, .seed = o.seed,
		.depth = o.depth, .bound = o.bound, .budget = o.runs, .keep_trace = true,
		.stop_at_failure = true, .want = o.want, .time_limit = o.time_limit,
	};
	uint8_t *bytes = NULL;
	if (o.input_file) {
		if (o.src != MMF_SRC_INPUT)
			usage_error("--input needs --source input");
		bytes = read_file(o.input_file, &q.input_len);
		q.input = bytes;
	}
	watch_death(p->name, params, &q.runs, o.want);
	int err = mmf_search_run(&q);
	death.done = NULL;
	if (err) {
		fprintf(stderr, "%s: %s\n", prog_name, q.why);
		mmf_search_free(&q);
		free(bytes);
		return EXIT_USAGE;
	}
	int rc = EXIT_CLEAN;
	if (q.other)
		printf("%s [%s]: passed over %" PRIu64 " failure%s of other classes (first: %s at "
		       "execution %" PRIu64 ")\n", p->name, params, q.other, q.other == 1 ? "" : "s",
		       mmf_fail_name(q.other_cls), q.other_at);
	if (q.found) {
		rc = EXIT_BUG;
		printf("%s [%s]: found %s after %" PRIu64 " execution%s (%s)\n", p->name, params,
		       mmf_fail_name(q.cls), q.found_at, q.found_at == 1 ? "" : "s", q.source_desc);
		if (!o.quiet)
			mmf_report_print(&q.s, stdout);
		if (o.table)
			mmf_table_print(stdout, &q.s, 0);
		if (o.trace_out && write_trace(o.trace_out, &q.s, q.source_desc, p->name, params) == 0)
			printf("trace: %s\nreplay: %s replay %s\n", o.trace_out, self, o.trace_out);
	} else {
		printf("%s [%s]: no failure in %" PRIu64 " executions (%s)%s\n", p->name, params,
		       q.runs, q.source_desc,
		       q.src == MMF_SRC_EXPLORE ? (q.complete ? ", search complete" :
						   ", search incomplete") : "");
	}
	mmf_search_free(&q);
	free(bytes);
	return rc;
}

/* ---- explore ----------------------------------------------------------------------- */

static void explore_help(void)
{
	printf("usage: mmfuzz explore PROGRAM|FILE [options]\n"
	       "  Depth-first search over every schedule with at most K preemptions.  With a\n"
	       "  reproducer or trace FILE: over the schedules of its workload (spelled out as a\n"
	       "  plan, variants included).\n"
	       "  --params 'k=v ...'   program parameters\n"
	       "  --bound K            preemption bound (default 2)\n"
	       "  --runs N             stop after N schedules (default 1000000)\n"
	       "  --trace FILE         write the first failing schedule's trace (and stop there)\n"
	       "  --want C1,C2         count only failures of these classes\n"
	       "  prints: schedules explored, failing schedules, and whether the search is complete\n"
	       "exit: 0 no failure, 1 failure found, 2 usage error\n");
}

static bool file_is_trace(const char *path);
static void load_as_trace(const char *path, const char *bugs, struct mmf_trace_file *tf);
static int describe_trace(const struct mmf_trace_file *tf, char *buf, size_t len);

static int cmd_explore(int argc, char **argv)
{
	struct opts o = {.runs = 1000000, .bound = 2};
	parse_opts(argc, argv, &o, "\x01\x05\x06\x07\x0d", explore_help);
	if (optind + 1 != argc)
		usage_error("explore: expected exactly one PROGRAM or reproducer FILE (see --help)");
	const struct mmf_program *p = mmf_program_find(argv[optind]);
	const char *params = o.params;
	char described[1024];
	if (!p && access(argv[optind], R_OK) == 0) {
		/* A reproducer: explore the schedules of its workload. */
		struct mmf_trace_file tf;
		load_as_trace(argv[optind], NULL, &tf);
		if (describe_trace(&tf, described, sizeof(described)))
			usage_error("explore: cannot spell out the workload of '%s'", argv[optind]);
		mmf_trace_file_free(&tf);
		if (o.params)
			usage_error("explore: --params and a reproducer FILE do not go together");
		p = mmf_program_find("mm");
		params = described;
		printf("explore %s: workload %s\n", argv[optind], params);
	}
	if (!p)
		p = need_program(argv[optind]);
	if (!params)
		params = p->default_params;
	struct mmf_search q = {
		.prog = p, .params = params, .src = MMF_SRC_EXPLORE, .bound = o.bound,
		.budget = o.runs, .keep_trace = o.trace_out != NULL, .stop_at_failure = o.trace_out != NULL,
		.want = o.want,
	};
	if (mmf_search_run(&q)) {
		fprintf(stderr, "%s: %s\n", prog_name, q.why);
		mmf_search_free(&q);
		return EXIT_USAGE;
	}
	printf("%s [%s]: explored %" PRIu64 " schedules with at most %d preemption%s: %s; "
	       "%" PRIu64 " failing",
	       p->name, params, q.runs, o.bound, o.bound == 1 ? "" : "s",
	       q.complete ? "complete" : (q.diverged ? "stopped (nondeterminism)" : "incomplete"),
	       q.failures);
	if (q.found)
		printf(", first %s at schedule %" PRIu64, mmf_fail_name(q.cls), q.found_at);
	printf("\n");
	if (q.diverged)
		fprintf(stderr, "%s: %s\n", prog_name, q.why);
	if (q.found && o.trace_out && write_trace(o.trace_out, &q.s, q.source_desc, p->name, params) == 0)
		printf("trace: %s\nreplay: %s replay %s\n", o.trace_out, self, o.trace_out);
	int rc = q.diverged ? EXIT_USAGE : q.found ? EXIT_BUG : EXIT_CLEAN;
	mmf_search_free(&q);
	return rc;
}

/* ---- replay ------------------------------------------------------------------------ */

/* params with key=value set (replacing the key's old value, if any). */
static void params_set(const char *params, const char *key, const char *value, char *out,
		       size_t len)
{
	size_t off = 0, klen = strlen(key);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", params);
	out[0] = 0;
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (!strncmp(t, key, klen) && t[klen] == '=')
			continue;
		off += (size_t)snprintf(out + off, off < len ? len - off : 0, "%s%s", off ? " " : "", t);
	}
	snprintf(out + off, off < len ? len - off : 0, "%s%s=%s", off ? " " : "", key, value);
}

static void replay_help(void)
{
	printf("usage: mmfuzz replay FILE [--bugs LIST] [--trace OUT] [--compact] [--quiet]\n"
	       "  Re-execute a run and print the interleaving table: one column per task, one\n"
	       "  row per scheduling step, each naming the model function and line; the failure\n"
	       "  is marked.  FILE is a decision trace (mmfuzz-trace), a reproducer\n"
	       "  (mmfuzz-repro: header + input), or a raw fuzzer input (a libFuzzer or AFL++\n"
	       "  crash file; the variant set then comes from --bugs or MMFUZZ_BUGS).\n"
	       "  --bugs LIST   replay under these bug variants instead of the recorded ones\n"
	       "                ('none': the fixed model), to check a fix: the run follows the\n"
	       "                recorded schedule while it fits, then takes default decisions\n"
	       "  --trace OUT   write the re-executed run's trace\n"
	       "  --compact     one row per stretch a task ran (steps, where it was switched out)\n"
	       "  --quiet       no table\n"
	       "exit: 1 the run fails, 0 it runs clean, 2 bad trace file or divergence\n");
}

/* A reproducer (header + input) or a raw input (a libFuzzer/AFL++ crash
 * file): load it and set a harness up for it.  The variant set: --bugs,
 * else the reproducer's, else MMFUZZ_BUGS, else none. */
struct input_file {
	struct mmf_repro r;
	bool is_repro;
	uint8_t *raw;
	const uint8_t *data;
	size_t len;
	char params[1200];
};

static void load_input_file(const char *path, const char *bugs, struct input_file *in,
			    struct mmf_harness *h)
{
	char err[512];
	size_t len;
	memset(in, 0, sizeof(*in));
	in->raw = read_file(path, &len);
	if (mmf_is_repro((const char *)in->raw, len)) {
		if (mmf_repro_parse((const char *)in->raw, len, &in->r, err, sizeof(err)))
			usage_error("bad reproducer '%s': %s", path, err);
		if (strcmp(in->r.program, "mm"))
			usage_error("bad reproducer '%s': unknown program '%s'", path, in->r.program);
		in->is_repro = true;
		in->data = in->r.input;
		in->len = in->r.len;
		if (bugs)
			params_set(in->r.params, "bugs", bugs, in->params, sizeof(in->params));
		else
			snprintf(in->params, sizeof(in->params), "%s", in->r.params);
	} else {
		const char *extra = getenv("MMFUZZ_PARAMS");
		if (!bugs)
			bugs = getenv("MMFUZZ_BUGS");
		snprintf(in->params, sizeof(in->params), "%s%sbugs=%s", extra ? extra : "",
			 extra && *extra ? " " : "", bugs && *bugs ? bugs : "none");
		in->data = in->raw;
		in->len = len;
	}
	if (mmf_harness_init_params(h, in->params, err, sizeof(err)))
		usage_error("'%s': %s", path, err);
	mmf_harness_opts(h, NULL, NULL, true, true);
}

static void free_input_file(struct input_file *in)
{
	mmf_repro_free(&in->r);
	free(in->raw);
}

static int replay_input(const char *path, const struct opts *o)
{
	struct input_file in;
	static struct mmf_harness h;
	load_input_file(path, o->bugs, &in, &h);
	enum mmf_run_status st = mmf_harness_run(&h, in.data, in.len);
	const char *now = h.s.failed ? mmf_fail_name(h.s.report.cls) : "clean";
	printf("replay %s: %s [%s], input %zu bytes%s, %" PRIu64 " steps, %zu decisions\n", path,
	       h.prog->name, h.params, in.len, in.len > MMF_INPUT_MAX ? " (the rest unused)" : "",
	       h.s.steps, h.s.trace.n);
	if (in.is_repro)
		printf("recorded by: %s\n", in.r.build);
	else
		printf("raw input: replayed with bugs=%s (--bugs or MMFUZZ_BUGS to change)\n",
		       o->bugs ? o->bugs : getenv("MMFUZZ_BUGS") ? getenv("MMFUZZ_BUGS") : "none");
	if (!o->quiet && o->compact)
		mmf_table_print_runs(stdout, &h.s);
	else if (!o->quiet)
		mmf_table_print(stdout, &h.s, 0);
	if (h.s.failed)
		mmf_report_print(&h.s, stdout);
	if (in.is_repro && !o->bugs && strcmp(now, in.r.result))
		printf("note: the reproducer recorded '%s', this run gives '%s'\n", in.r.result, now);
	else if (in.is_repro && !o->bugs)
		printf("reproduced: %s\n", now);
	else
		printf("result: %s\n", now);
	int rc = st == MMF_RUN_FAILED ? EXIT_BUG : EXIT_CLEAN;
	if (o->trace_out) {
		char source[1100];
		snprintf(source, sizeof(source), "input %.1000s", path);
		if (write_trace(o->trace_out, &h.s, source, h.prog->name, h.params))
			rc = EXIT_USAGE;
	}
	mmf_harness_destroy(&h);
	free_input_file(&in);
	return rc;
}

/* Any run file as a trace: a trace as it is; a reproducer or raw input
 * run once with its decisions recorded. */
static void load_as_trace(const char *path, const char *bugs, struct mmf_trace_file *tf)
{
	char err[512];
	memset(tf, 0, sizeof(*tf));
	if (file_is_trace(path)) {
		if (mmf_trace_load(path, tf, err, sizeof(err)))
			usage_error("bad trace '%s': %s", path, err);
		if (!mmf_program_find(tf->h.program)) {
			mmf_trace_file_free(tf);
			usage_error("bad trace '%s': unknown program '%s'", path, tf->h.program);
		}
		if (bugs) {
			char p2[sizeof(tf->h.params)];
			params_set(tf->h.params, "bugs", bugs, p2, sizeof(p2));
			snprintf(tf->h.params, sizeof(tf->h.params), "%s", p2);
		}
		return;
	}
	struct input_file in;
	static struct mmf_harness h;
	load_input_file(path, bugs, &in, &h);
	mmf_harness_run(&h, in.data, in.len);
	snprintf(tf->h.program, sizeof(tf->h.program), "%s", h.prog->name);
	snprintf(tf->h.params, sizeof(tf->h.params), "%s", h.params);
	snprintf(tf->h.source, sizeof(tf->h.source), "input %.100s", path);
	snprintf(tf->h.result, sizeof(tf->h.result), "%s",
		 h.s.failed ? mmf_fail_name(h.s.report.cls) : "clean");
	tf->h.steps = h.s.steps;
	tf->t = h.s.trace;              /* take the decisions over */
	memset(&h.s.trace, 0, sizeof(h.s.trace));
	mmf_harness_destroy(&h);
	free_input_file(&in);
}

/* The explicit workload of a trace's run (the program's describe hook). */
static int describe_trace(const struct mmf_trace_file *tf, char *buf, size_t len)
{
	const struct mmf_program *p = mmf_program_find(tf->h.program);
	if (!p || !p->describe)
		return -1;
	struct mmf_replay_src rs;
	mmf_replay_src_init(&rs, tf->t.d, tf->t.n);
	rs.lenient = true;
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, &rs.base);
	int bad;
	char err[256];
	mmf_run_program(&s, p, tf->h.params, err, sizeof(err), &bad);
	int rc = bad ? -1 : p->describe(&s, buf, len);
	mmf_sched_destroy(&s);
	return rc;
}

static bool file_is_trace(const char *path)
{
	char head[16] = {0};
	FILE *f = fopen(path, "rb");
	if (!f)
		usage_error("cannot open '%s': %s", path, strerror(errno));
	size_t n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return mmf_is_trace(head, n);
}

static int cmd_replay(int argc, char **argv)
{
	struct opts o = {0};
	parse_opts(argc, argv, &o, "\x07\x09\x0e\x10", replay_help);
	if (optind + 1 != argc)
		usage_error("replay: expected exactly one FILE (see --help)");
	const char *path = argv[optind];
	if (!file_is_trace(path))
		return replay_input(path, &o);
	struct mmf_trace_file tf;
	char err[512];
	if (mmf_trace_load(path, &tf, err, sizeof(err)))
		usage_error("bad trace '%s': %s", path, err);
	const struct mmf_program *p = mmf_program_find(tf.h.program);
	if (!p) {
		mmf_trace_file_free(&tf);
		usage_error("bad trace '%s': unknown program '%s'", path, tf.h.program);
	}
	struct mmf_replay_src rs;
	mmf_replay_src_init(&rs, tf.t.d, tf.t.n);
	const char *params = tf.h.params;
	char with_bugs[sizeof(tf.h.params) + 96];
	if (o.bugs) {
		/* Another variant set: the same workload, the bugs= parameter
		 * replaced; the schedule is followed as far as it fits. */
		params_set(tf.h.params, "bugs", o.bugs, with_bugs, sizeof(with_bugs));
		params = with_bugs;
		rs.lenient = true;
	}
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS, .record = true, .log = true};
	struct mmf_sched s;
	mmf_sched_init(&s, &so, &rs.base);
	int bad;
	enum mmf_run_status st = mmf_run_program(&s, p, params, err, sizeof(err), &bad);
	if (bad) {
		mmf_sched_destroy(&s);
		mmf_trace_file_free(&tf);
		usage_error("bad trace '%s': %s", path, err);
	}
	int rc;
	if (st == MMF_RUN_DIVERGED) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, rs.base.why);
		rc = EXIT_USAGE;
	} else {
		const char *now = s.failed ? mmf_fail_name(s.report.cls) : "clean";
		printf("replay %s: %s [%s], %" PRIu64 " steps, %zu decisions\n", path, p->name,
		       params, s.steps, s.trace.n);
		if (!o.quiet && o.compact)
			mmf_table_print_runs(stdout, &s);
		else if (!o.quiet)
			mmf_table_print(stdout, &s, 0);
		if (s.failed)
			mmf_report_print(&s, stdout);
		if (rs.off)
			printf("left the recorded schedule at decision %zu (%s); default decisions "
			       "from there\n", rs.off_at, rs.off_why);
		if (o.bugs)
			printf("under bugs=%s: %s (recorded: %s)\n", o.bugs, now, tf.h.result);
		else if (strcmp(now, tf.h.result))
			printf("note: the trace recorded '%s', this run gives '%s'\n", tf.h.result, now);
		else
			printf("reproduced: %s\n", now);
		rc = s.failed ? EXIT_BUG : EXIT_CLEAN;
		if (o.trace_out) {
			char source[160];
			snprintf(source, sizeof(source), "replay %s", path);
			if (write_trace(o.trace_out, &s, source, p->name, params))
				rc = EXIT_USAGE;
		}
	}
	mmf_sched_destroy(&s);
	mmf_trace_file_free(&tf);
	return rc;
}

/* ---- hunt ------------------------------------------------------------------------ */

static void hunt_help(void)
{
	printf("usage: mmfuzz hunt [--bugs LIST|each|none] [--jobs N] [--time S] [--execs N]\n"
	       "                   [--seed N] [--params 'k=v ...'] [--out DIR] [--json FILE] [--quiet]\n"
	       "  The main job: the built-in engine (random and PCT sources, alternating) over the\n"
	       "  generic workload on N cores, until the time or execution budget.  A live status\n"
	       "  line shows execs/s, distinct schedules, coverage (model lines where decisions\n"
	       "  were taken), interleaving features and findings.  Findings are de-duplicated by\n"
	       "  class, variant set, reporting site and report text; each is saved as a trace the\n"
	       "  moment it happens.  At the end: a table of distinct findings with replay commands.\n"
	       "  --bugs LIST   variants in force (default: none, the fixed model; env MMFUZZ_BUGS);\n"
	       "                'each': every historic variant in turn, one per execution\n"
	       "  --jobs N      worker processes (default 1; 0: one per core)\n"
	       "  --time S      stop after S seconds (default 60 unless --execs is given)\n"
	       "  --execs N     stop after N executions in all\n"
	       "  --seed N      campaign seed (default 1)\n"
	       "  --out DIR     where reproducers go (default mmfuzz-out)\n"
	       "  --json FILE   machine-readable results\n"
	       "  --quiet       no status line\n"
	       "exit: 0 no finding, 1 findings, 2 usage error\n");
}

static int cmd_hunt(int argc, char **argv)
{
	struct opts o = {.seed = 1, .jobs = 1};
	parse_opts(argc, argv, &o, "\x01\x03\x09\x0e\x0f\x11\x12\x13\x14", hunt_help);
	if (optind != argc)
		usage_error("hunt: unexpected argument '%s' (see --help)", argv[optind]);
	const char *bugs = o.bugs ? o.bugs : getenv("MMFUZZ_BUGS");
	if (bugs && strcmp(bugs, "each")) {
		char bad[64];
		if (mm_variants_parse(bugs, bad, sizeof(bad)) < 0)
			usage_error("hunt: unknown bug variant '%s' (see 'mmfuzz list')", bad);
	}
	if (!o.jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o.jobs = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
	}
	struct mmf_hunt_opts h = {
		.bugs = bugs ? bugs : "none", .params = o.params, .jobs = o.jobs,
		.time_limit = o.time_limit, .execs = o.runs, .seed = o.seed,
		.out_dir = o.out ? o.out : "mmfuzz-out", .json = o.json, .quiet = o.quiet, .self = self,
	};
	if (!h.time_limit && !h.execs)
		h.time_limit = 60;
	return mmf_hunt(&h);
}

/* ---- minimize --------------------------------------------------------------------- */

static void minimize_help(void)
{
	printf("usage: mmfuzz minimize FILE -o OUT [--bugs LIST] [--runs N] [--quiet]\n"
	       "  FILE: a trace, a reproducer or a raw fuzzer input (--bugs or MMFUZZ_BUGS give\n"
	       "  a raw input's variants).  The output is a trace.\n"
	       "  Shrink a failing run while it keeps its failure class: fewer preemptions\n"
	       "  first, then fewer other non-default scheduling choices, then fewer steps\n"
	       "  (smaller workload values: fewer tasks, fewer and simpler operations).\n"
	       "  -o, --out OUT   write the minimized trace here\n"
	       "  --runs N        execution budget (default 5000)\n"
	       "  --quiet         no interleaving table\n"
	       "exit: 1 minimized (the failure kept), 2 bad trace, or its run does not fail\n");
}

static int cmd_minimize(int argc, char **argv)
{
	struct opts o = {.runs = 5000};
	parse_opts(argc, argv, &o, "\x06\x09\x0e\x0f", minimize_help);
	if (optind + 1 != argc)
		usage_error("minimize: expected exactly one FILE (see --help)");
	if (!o.out)
		usage_error("minimize: give the output file with -o OUT");
	const char *path = argv[optind];
	struct mmf_trace_file tf;
	load_as_trace(path, o.bugs, &tf);
	const struct mmf_program *p = mmf_program_find(tf.h.program);
	struct mmf_minimize q = {.prog = p, .params = tf.h.params, .trace = tf.t.d,
				 .ntrace = tf.t.n, .budget = o.runs};
	if (mmf_minimize_run(&q)) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, path, q.why);
		mmf_minimize_free(&q);
		mmf_trace_file_free(&tf);
		return EXIT_USAGE;
	}
	printf("minimize %s: %s kept over %" PRIu64 " executions: preemptions %" PRIu64
	       " -> %" PRIu64 ", other choices %zu -> %zu, steps %" PRIu64 " -> %" PRIu64 "\n",
	       path, mmf_fail_name(q.cls), q.runs, q.preempt_before, q.preempt_after,
	       q.picks_before - (size_t)q.preempt_before < q.picks_before ?
		       q.picks_before - (size_t)q.preempt_before : 0,
	       q.picks_after - (size_t)q.preempt_after < q.picks_after ?
		       q.picks_after - (size_t)q.preempt_after : 0,
	       q.steps_before, q.steps_after);
	if (strcmp(q.params_out, tf.h.params))
		printf("workload: %s\n", q.params_out);
	if (!o.quiet)
		mmf_table_print(stdout, &q.s, 0);
	mmf_report_print(&q.s, stdout);
	char source[600];
	snprintf(source, sizeof(source), "minimized; found by %s", tf.h.source);
	int rc = EXIT_BUG;
	if (write_trace(o.out, &q.s, source, p->name, q.params_out))
		rc = EXIT_USAGE;
	else
		printf("trace: %s\nreplay: %s replay %s\n", o.out, self, o.out);
	mmf_minimize_free(&q);
	mmf_trace_file_free(&tf);
	return rc;
}

/* ---- stress ---------------------------------------------------------------------- */

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

static int cmd_stress(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 10000};
	parse_opts(argc, argv, &o, "\x01\x03\x06\x0b\x0c\x0d\x12", stress_help);
	if (optind + 1 != argc)
		usage_error("stress: expected exactly one PROGRAM (see --help)");
	if (!o.runs)
		o.runs = o.time_limit > 0 ? UINT64_MAX : 1000;
	const struct mmf_program *p = need_program(argv[optind]);
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
	watch_death(p->name, params, &i, o.want);
	for (i = 0; i < o.runs; i++) {
		if (o.time_limit > 0 && secs >= o.time_limit)
			break;
		char err[256];
		int bad;
		enum mmf_run_status st = mmf_run_program(&s, p, params, err, sizeof(err), &bad);
		if (bad)
			usage_error("%s: %s", p->name, err);
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
				       p->name, params, mmf_fail_name(s.report.cls), i + 1, secs);
			else
				printf("%s [%s]: stress passed over %s after %" PRIu64 " executions "
				       "(%.2f s) and stopped: a failed run's threads cannot be reclaimed\n",
				       p->name, params, mmf_fail_name(s.report.cls), i + 1, secs);
			mmf_report_print(&s, stdout);
			if (passed)
				printf("passed over %" PRIu64 " earlier failure%s of other classes (first: %s)\n",
				       passed, passed == 1 ? "" : "s", first_other);
			fflush(stdout);
			/* Threads of a failed run may be stuck: leave now. */
			_Exit(wanted ? EXIT_BUG : EXIT_CLEAN);
		}
	}
	printf("%s [%s]: stress ran %" PRIu64 " executions clean (%.2f s)\n", p->name, params, i,
	       secs);
	if (passed)
		printf("passed over %" PRIu64 " failure%s of other classes (first: %s)\n", passed,
		       passed == 1 ? "" : "s", first_other);
	mmf_sched_destroy(&s);
	return EXIT_CLEAN;
}

/* ---- demo (the main job for now) --------------------------------------------------- */

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

static int cmd_demo(int argc, char **argv)
{
	struct opts o = {.runs = 20000};
	parse_opts(argc, argv, &o, "\x06\x07", demo_help);
	if (optind != argc)
		usage_error("demo takes no positional arguments (see --help)");
	const char *dir = o.trace_out ? o.trace_out : "mmfuzz-out";
	if (mkdir(dir, 0777) && errno != EEXIST)
		usage_error("cannot create '%s': %s", dir, strerror(errno));

	static const struct { const char *prog, *params; } bugs[] = {
		{"toy-lost-update", "fixed=0"}, {"toy-abba", "fixed=0"},
		{"toy-abba", "fixed=0 lockdep=0"}, {"toy-missed-wakeup", "fixed=0"},
		{"toy-race", "fixed=0"}, {"toy-uaf", "fixed=0"},
	};
	const enum mmf_src_kind srcs[] = {MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT, MMF_SRC_EXPLORE};
	int bad = 0;

	printf("mmfuzz demo: toy bugs vs decision sources (execution budget %" PRIu64 ", seed 1)\n\n",
	       o.runs);
	printf("%-18s %-18s | %-17s| %-17s| %-17s| %-17s| fixed version\n", "program", "params",
	       "random", "pct", "input", "explore(K=2)");
	for (size_t b = 0; b < sizeof(bugs) / sizeof(bugs[0]); b++) {
		const struct mmf_program *p = mmf_program_find(bugs[b].prog);
		char trace[512] = "";
		printf("%-18s %-18s |", p->name, bugs[b].params);
		fflush(stdout);
		if (MMF_ASAN && !strcmp(p->name, "toy-uaf")) {
			/* Under ASan the catch is ASan's own report, which ends the
			 * process; show that with 'mmfuzz run toy-uaf'. */
			printf(" (ASan build: run 'mmfuzz run toy-uaf' to see ASan catch it)\n");
			continue;
		}
		for (size_t k = 0; k < 4; k++) {
			struct mmf_search q = {
				.prog = p, .params = bugs[b].params, .src = srcs[k], .seed = 1,
				.bound = 2, .budget = o.runs, .keep_trace = k == 0,
				.stop_at_failure = true,
			};
			if (mmf_search_run(&q)) {
				printf("\n%s: %s\n", prog_name, q.why);
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
				if (write_trace(trace, &q.s, q.source_desc, p->name, bugs[b].params))
					trace[0] = 0;
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
			if (mmf_search_run(&q)) {
				printf("\n%s: %s\n", prog_name, q.why);
				return EXIT_USAGE;
			}
			clean = !q.found;
			clean_runs += q.runs;
			mmf_search_free(&q);
		}
		printf(" %s (%" PRIu64 " runs)\n", clean ? "clean" : "FAILED", clean_runs);
		bad += !clean;
		if (trace[0])
			printf("%38s   replay: %s replay %s\n", "", self, trace);
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
	if (mmf_search_run(&fq)) {
		printf("%s: %s\n", prog_name, fq.why);
		return EXIT_USAGE;
	}
	printf("  %-34s %s\n", "fixed model (today's kernel)",
	       fq.found ? "FAILED: the fixed model reported a failure" : "clean");
	bad += fq.found;
	mmf_search_free(&fq);
	for (int v = 0; v < V_NR; v++) {
		char params[96], trace[512] = "";
		snprintf(params, sizeof(params), "bugs=%s", mm_variants[v].name);
		struct mmf_search q = {.prog = mm, .params = params, .src = MMF_SRC_RANDOM, .seed = 1,
				       .budget = mm_budget, .keep_trace = !MMF_ASAN,
				       .stop_at_failure = true,
				       .want = (uint32_t)mmf_classes_parse(mm_variants[v].classes, NULL, 0)};
		if (mmf_search_run(&q)) {
			printf("%s: %s\n", prog_name, q.why);
			return EXIT_USAGE;
		}
		if (q.found && !MMF_ASAN) {
			snprintf(trace, sizeof(trace), "%s/mm-%s.trace", dir, mm_variants[v].name);
			if (write_trace(trace, &q.s, q.source_desc, mm->name, params))
				trace[0] = 0;
		}
		char cell[96];
		if (q.found)
			snprintf(cell, sizeof(cell), "%s after %" PRIu64 " executions", mmf_fail_name(q.cls),
				 q.found_at);
		else
			snprintf(cell, sizeof(cell), "not found within the budget");
		printf("  %-34s %s\n", mm_variants[v].name, cell);
		if (trace[0])
			printf("  %-34s   replay: %s replay %s\n", "", self, trace);
		mmf_search_free(&q);
	}
	printf("%s\n", bad ? "demo: SOME EXPECTATIONS FAILED" : "demo: every bug found, every fix clean");
	return bad ? EXIT_BUG : EXIT_CLEAN;
}

/* ---- main ----------------------------------------------------------------------------- */

static void main_help(void)
{
	printf("usage: mmfuzz COMMAND [options]     (mmfuzz COMMAND --help for details)\n"
	       "  hunt      the main job: the built-in engine over the generic workload\n"
	       "  demo      hunt the toy bugs with every decision source, then the mm variants\n"
	       "  list      programs and decision sources\n"
	       "  run       execute a program until a failure, with one decision source\n"
	       "  explore   bounded exhaustive search over schedules\n"
	       "  replay    re-execute a trace and print the interleaving table\n"
	       "  minimize  shrink a failing trace, keeping its failure class\n"
	       "  stress    the real-thread baseline (no controlled scheduler)\n"
	       "exit codes: 0 clean, 1 bug found, 2 usage or input error\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	self = argv[0];
	if (argc < 2)
		usage_error("missing COMMAND (see 'mmfuzz --help')");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		main_help();
		return EXIT_CLEAN;
	}
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{"demo", cmd_demo},       {"list", cmd_list},     {"run", cmd_run},
		{"explore", cmd_explore}, {"replay", cmd_replay}, {"stress", cmd_stress},
		{"minimize", cmd_minimize}, {"hunt", cmd_hunt},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	usage_error("unknown command '%s' (see 'mmfuzz --help')", cmd);
}
