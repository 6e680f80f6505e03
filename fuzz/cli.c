/* cli.c - see cli.h. */
#define _GNU_SOURCE
#include "cli.h"
#include "decide.h"
#include "variant.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mmf_cli_self = "mmfuzz";

_Noreturn void cli_usage(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line, whatever the message quotes */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	fflush(stdout);
	fprintf(stderr, "mmfuzz: %s\n", msg);
	exit(EXIT_USAGE);
}

uint64_t cli_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-' || *s == ' ')
		cli_usage("%s needs a number in %" PRIu64 "..%" PRIu64, opt, lo, hi);
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		cli_usage("%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, s, lo, hi);
	return v;
}

const struct mmf_program *cli_program(const char *name)
{
	if (!name)
		cli_usage("missing PROGRAM (see 'mmfuzz list')");
	const struct mmf_program *p = mmf_program_find(name);
	if (!p)
		cli_usage("unknown program '%s' (see 'mmfuzz list')", name);
	return p;
}

static const struct option long_opts[] = {
	{"params", required_argument, 0, O_PARAMS}, {"source", required_argument, 0, O_SOURCE},
	{"seed", required_argument, 0, O_SEED},     {"depth", required_argument, 0, O_DEPTH},
	{"bound", required_argument, 0, O_BOUND},   {"runs", required_argument, 0, O_RUNS},
	{"trace", required_argument, 0, O_TRACE},   {"input", required_argument, 0, O_INPUT},
	{"quiet", no_argument, 0, O_QUIET},         {"table", no_argument, 0, O_TABLE},
	{"yield-rate", required_argument, 0, O_YIELD},
	{"timeout-ms", required_argument, 0, O_TIMEOUT},
	{"want", required_argument, 0, O_WANT},     {"bugs", required_argument, 0, O_BUGS},
	{"out", required_argument, 0, O_OUT},       {"compact", no_argument, 0, O_COMPACT},
	{"jobs", required_argument, 0, O_JOBS},     {"time", required_argument, 0, O_TIME},
	{"execs", required_argument, 0, O_EXECS},   {"json", required_argument, 0, O_JSON},
	{"raw", no_argument, 0, O_RAW},             {"help", no_argument, 0, O_HELP},
	{"access-points", no_argument, 0, O_ACCESS},
	{0, 0, 0, 0},
};

static const char *opt_name(int id)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == id)
			return lo->name;
	return "?";
}

bool cli_given(const struct cli_opts *o, enum cli_opt opt) { return o->given & CLI_OPT(opt); }

static void check_list(const char *opt, const char *v)
{
	size_t n = strlen(v);
	if (!n)
		cli_usage("--%s: empty value", opt);
	if (v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,"))
		cli_usage("--%s: '%s' has an empty item", opt, v);
}

void cli_parse(int argc, char **argv, struct cli_opts *o, uint64_t allowed, void (*help)(void))
{
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":ho:t:", long_opts, NULL);
		if (c == -1)
			break;
		if (c == 'o')
			c = O_OUT;
		if (c == 't')
			c = O_TIMEOUT;          /* -t MS, as AFL++ */
		if (c == 'h' || c == O_HELP) {
			help();
			exit(EXIT_CLEAN);
		}
		if (c == '?')
			cli_usage("%s: unknown option '%s' (see --help)", argv[0], argv[optind - 1]);
		if (c == ':')
			cli_usage("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		if (!(allowed & CLI_OPT(c)))
			cli_usage("%s: option '--%s' does not apply here (see --help)", argv[0], opt_name(c));
		if (o->given & CLI_OPT(c))
			cli_usage("%s: option '--%s' given twice", argv[0], opt_name(c));
		o->given |= CLI_OPT(c);
		switch (c) {
		case O_PARAMS:
			o->params = optarg;
			break;
		case O_SOURCE:
			o->src = mmf_src_from_name(optarg);
			if (o->src < 0)
				cli_usage("--source: '%s' is not one of random, pct, input, explore", optarg);
			break;
		case O_SEED: o->seed = cli_u64("--seed", optarg, 0, UINT64_MAX); break;
		case O_DEPTH: o->depth = (int)cli_u64("--depth", optarg, 1, MMF_PCT_MAX_DEPTH); break;
		case O_BOUND: o->bound = (int)cli_u64("--bound", optarg, 0, 64); break;
		case O_RUNS: o->runs = cli_u64("--runs", optarg, 1, UINT64_MAX); break;
		case O_TRACE:
			if (!*optarg)
				cli_usage("--trace: empty path");
			o->trace_out = optarg;
			break;
		case O_INPUT: o->input_file = optarg; break;
		case O_QUIET: o->quiet = true; break;
		case O_TABLE: o->table = true; break;
		case O_RAW: o->raw = true; break;
		case O_ACCESS: o->access_points = true; break;
		case O_YIELD: o->yield_rate = (unsigned)cli_u64("--yield-rate", optarg, 0, 1u << 30); break;
		case O_WANT: {
			char bad[64];
			check_list("want", optarg);
			long m = mmf_classes_parse(optarg, bad, sizeof(bad));
			if (m < 0)
				cli_usage("--want: '%s' is not a failure class (see 'mmfuzz list')", bad);
			o->want = (uint32_t)m;
			break;
		}
		case O_OUT:
			if (!*optarg)
				cli_usage("%s: empty output path", argv[0]);
			o->out = optarg;
			break;
		case O_COMPACT: o->compact = true; break;
		case O_JOBS: o->jobs = (int)cli_u64("--jobs", optarg, 0, 64); break;
		case O_TIME: o->time_limit = (double)cli_u64("--time", optarg, 1, 1u << 30); break;
		case O_EXECS: o->runs = cli_u64("--execs", optarg, 1, UINT64_MAX); break;
		case O_JSON:
			if (!*optarg)
				cli_usage("--json: empty path");
			o->json = optarg;
			break;
		case O_BUGS: {
			char bad[64];
			check_list("bugs", optarg);
			if (strcmp(optarg, "each") && mm_variants_parse(optarg, bad, sizeof(bad)) < 0)
				cli_usage("--bugs: unknown bug variant '%s' (see 'mmfuzz list')", bad);
			o->bugs = optarg;
			break;
		}
		case O_TIMEOUT:
			o->timeout_ms = (unsigned)cli_u64("--timeout-ms", optarg, 0, 1u << 30);
			break;
		}
	}
}

void cli_check_source_options(const struct cli_opts *o)
{
	const char *src = mmf_src_name((enum mmf_src_kind)o->src);
	if (cli_given(o, O_DEPTH) && o->src != MMF_SRC_PCT)
		cli_usage("--depth applies to --source pct, not %s", src);
	if (cli_given(o, O_BOUND) && o->src != MMF_SRC_EXPLORE)
		cli_usage("--bound applies to --source explore, not %s", src);
	if (cli_given(o, O_INPUT) && o->src != MMF_SRC_INPUT)
		cli_usage("--input needs --source input");
	if (cli_given(o, O_SEED) && o->src == MMF_SRC_EXPLORE)
		cli_usage("--seed does not apply to --source explore (it draws nothing at random)");
	if (cli_given(o, O_SEED) && cli_given(o, O_INPUT))
		cli_usage("--seed does not apply with --input (the bytes are given)");
}

/* ---- outputs ------------------------------------------------------------------ */

void cli_check_out_file(const char *opt, const char *path)
{
	struct stat st;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		cli_usage("%s '%s': is a directory", opt, path);
	bool existed = !access(path, F_OK);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0)
		cli_usage("%s '%s': cannot be written: %s", opt, path, strerror(errno));
	close(fd);
	if (!existed)
		unlink(path);   /* written when there is something to write */
}

void cli_check_out_dir(const char *opt, const char *dir)
{
	struct stat st;
	if (stat(dir, &st)) {
		if (mkdir(dir, 0777))
			cli_usage("%s '%s': cannot create it: %s", opt, dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		cli_usage("%s '%s': not a directory", opt, dir);
	}
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/.mmfuzz-write-test-%d", dir, (int)getpid());
	int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		cli_usage("%s '%s': cannot write in it: %s", opt, dir, strerror(errno));
	close(fd);
	unlink(probe);
}

int cli_write_trace(const char *path, const struct mmf_sched *s, const char *source,
		    const char *program, const char *params)
{
	char err[300];
	if (mmf_write_trace_file(path, s, source, program, params, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: %s\n", err);
		return -1;
	}
	return 0;
}

const char *cli_access_params(const struct cli_opts *o, const struct mmf_program *p,
			      const char *params, char *buf, size_t len)
{
	if (!o->access_points)
		return params;
	if (strcmp(p->name, "mm"))
		cli_usage("--access-points applies to the mm program, not %s%s", p->name,
			  p->run ? " (exec programs take --params points=all|sync)" : "");
	/* A contradiction is the user's whatever the build. */
	char v[16];
	if (strcmp(mmf_param(params ? params : "", "points", v, sizeof(v)), "") && strcmp(v, "all"))
		cli_usage("--access-points and --params points=%s contradict", v);
	if (!mmf_access_points_built())
		cli_usage("--access-points: this build has no plain-access points (builds with the "
			  "checked heap have them, ASan builds with -DMMF_ACCESS_SANCOV=ON; TSan does not)");
	cli_params_set(params ? params : "", "points", "all", buf, len);
	return buf;
}

void cli_params_set(const char *params, const char *key, const char *value, char *out,
		    size_t len)
{
	size_t off = 0, klen = strlen(key);
	char buf[1200];
	snprintf(buf, sizeof(buf), "%s", params);
	out[0] = 0;
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (!strncmp(t, key, klen) && t[klen] == '=')
			continue;
		off += (size_t)snprintf(out + off, off < len ? len - off : 0, "%s%s", off ? " " : "", t);
	}
	snprintf(out + off, off < len ? len - off : 0, "%s%s=%s", off ? " " : "", key, value);
}

/* ---- run files ------------------------------------------------------------------ */

uint8_t *cli_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		cli_usage("cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode))
		cli_usage("'%s' is a directory", path);
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= (64u << 20))
				cli_usage("'%s' is larger than 64 MiB", path);
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	if (!buf || ferror(f))
		cli_usage("cannot read '%s'", path);
	fclose(f);
	*len = n;
	return buf;
}

void cli_load_run_file(const char *path, bool raw, const char *bugs, struct run_file *rf)
{
	char err[512];
	size_t len;
	memset(rf, 0, sizeof(*rf));
	rf->path = path;
	rf->raw = cli_read_file(path, &len);
	const char *text = (const char *)rf->raw;
	if (raw) {
		const char *extra = getenv("MMFUZZ_PARAMS");
		if (!bugs)
			bugs = getenv("MMFUZZ_BUGS");
		if (bugs && *bugs) {
			char bad[64];
			if (mm_variants_parse(bugs, bad, sizeof(bad)) < 0)
				cli_usage("unknown bug variant '%s' (see 'mmfuzz list')", bad);
		}
		rf->kind = RUN_RAW;
		const char *prog = getenv("MMFUZZ_PROGRAM");
		rf->prog = mmf_program_find(prog && *prog ? prog : "mm");
		if (!rf->prog)
			cli_usage("MMFUZZ_PROGRAM=%s: unknown program (see 'mmfuzz list')", prog);
		if (strcmp(rf->prog->name, "mm") && bugs && *bugs && strcmp(bugs, "none"))
			cli_usage("--bugs applies to the mm program, not %s", rf->prog->name);
		if (strcmp(rf->prog->name, "mm"))
			snprintf(rf->params, sizeof(rf->params), "%s",
				 extra ? extra : rf->prog->default_params);
		else
			snprintf(rf->params, sizeof(rf->params), "%s%sbugs=%s", extra ? extra : "",
				 extra && *extra ? " " : "", bugs && *bugs ? bugs : "none");
		rf->data = rf->raw;
		rf->len = len;
	} else if (!len) {
		cli_usage("'%s' is empty: not an mmfuzz trace or reproducer (a raw fuzzer input needs "
			  "--raw)", path);
	} else if (mmf_is_trace(text, len)) {
		rf->kind = RUN_TRACE;
		if (mmf_trace_parse(text, len, &rf->tf, err, sizeof(err)))
			cli_usage("bad trace '%s': %s", path, err);
		rf->prog = mmf_program_find(rf->tf.h.program);
		if (!rf->prog)
			cli_usage("bad trace '%s': unknown program '%s'", path, rf->tf.h.program);
		snprintf(rf->params, sizeof(rf->params), "%s", rf->tf.h.params);
	} else if (mmf_is_repro(text, len)) {
		rf->kind = RUN_REPRO;
		if (mmf_repro_parse(text, len, &rf->r, err, sizeof(err)))
			cli_usage("bad reproducer '%s': %s", path, err);
		rf->prog = mmf_program_find(rf->r.program);
		if (!rf->prog)
			cli_usage("bad reproducer '%s': unknown program '%s'", path, rf->r.program);
		snprintf(rf->params, sizeof(rf->params), "%s", rf->r.params);
		rf->data = rf->r.input;
		rf->len = rf->r.len;
	} else {
		cli_usage("'%s' is not an mmfuzz trace or reproducer (the first line must be "
			  "'mmfuzz-trace %d' or 'mmfuzz-repro %d'; a raw fuzzer input needs --raw)", path,
			  MMF_TRACE_VERSION, MMF_REPRO_VERSION);
	}
	if (bugs && !raw) {
		if (strcmp(rf->prog->name, "mm"))
			cli_usage("--bugs applies to the mm program, not %s", rf->prog->name);
		char p2[sizeof(rf->params)];
		cli_params_set(rf->params, "bugs", bugs, p2, sizeof(p2));
		snprintf(rf->params, sizeof(rf->params), "%s", p2);
		rf->bugs_changed = true;
	}
	/* The parameters must hold before anything runs. */
	if (mmf_check_params(rf->prog, rf->params, err, sizeof(err)))
		cli_usage("bad %s '%s': %s",
			  rf->kind == RUN_TRACE ? "trace" : rf->kind == RUN_REPRO ? "reproducer" :
			  "parameters for the raw input", path, err);
}

void cli_free_run_file(struct run_file *rf)
{
	mmf_trace_file_free(&rf->tf);
	mmf_repro_free(&rf->r);
	free(rf->raw);
	rf->raw = NULL;
}

/* ---- executing a run file, supervised ------------------------------------------ */

struct exec_ctx {
	const struct run_file *rf;
	struct mmf_flight *f;
	struct mmf_replay_src *rs;      /* in shared memory: its verdict outlives the child */
};

static void exec_child(void *arg)
{
	struct exec_ctx *c = arg;
	const struct run_file *rf = c->rf;
	if (rf->kind == RUN_TRACE) {
		struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS, .record = true, .log = true};
		struct mmf_sched s;
		mmf_sched_init(&s, &o, &c->rs->base);
		mmf_sched_use_flight(&s, c->f);
		int bad;
		char err[256];
		mmf_run_program(&s, rf->prog, rf->params, err, sizeof(err), &bad);
		return;
	}
	static struct mmf_harness h;
	char err[300];
	if (mmf_harness_init_params(&h, rf->prog, rf->params, err, sizeof(err)))
		_exit(2);
	mmf_harness_opts(&h, NULL, NULL, true, true);
	mmf_sched_use_flight(&h.s, c->f);
	mmf_harness_run(&h, rf->data, rf->len);
}

void cli_execute(const struct run_file *rf, unsigned timeout_ms, struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	struct mmf_replay_src *rs = mmap(NULL, sizeof(*rs), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rs == MAP_FAILED)
		mmf_internal("cannot map shared memory");
	if (rf->kind == RUN_TRACE) {
		mmf_replay_src_init(rs, rf->tf.t.d, rf->tf.t.n);
		rs->check_sites = rf->tf.version >= 2;
		rs->lenient = rf->bugs_changed;
	}
	size_t n = rf->kind == RUN_TRACE ? rf->tf.t.n : 0;
	struct exec_ctx c = {rf, mmf_flight_new(n + MMF_FLIGHT_CAP), rs};
	pid_t pid = mmf_guard_spawn(exec_child, &c, -1);
	mmf_guard_wait(pid, c.f, timeout_ms, &res->end);
	mmf_guard_adopt(c.f, &res->s);
	if (res->end.how == MMF_GUARD_DONE && res->end.exit_code == 2)
		mmf_internal("replaying '%s': the child refused its parameters", rf->path);
	if (res->end.how == MMF_GUARD_DONE)
		res->child_exit = res->end.exit_code;
	if (rf->kind == RUN_TRACE) {
		res->diverged = res->s.status == MMF_RUN_DIVERGED;
		snprintf(res->why, sizeof(res->why), "%s", rs->base.why);
		res->off = rs->off;
		res->off_at = rs->off_at;
		snprintf(res->off_why, sizeof(res->off_why), "%s", rs->off_why);
	}
	mmf_flight_free(c.f);
	munmap(rs, sizeof(*rs));
}

void cli_free_result(struct run_result *res) { mmf_sched_destroy(&res->s); }

void cli_exit_on_abnormal(const struct mmf_guard_end *e, const char *what)
{
	if (e->how == MMF_GUARD_KILLED && !strcmp(e->why, "interrupted")) {
		fflush(stdout);
		fprintf(stderr, "mmfuzz: %s: interrupted\n", what);
		exit(EXIT_INTERRUPTED);
	}
	if (e->how == MMF_GUARD_KILLED)
		cli_usage("%s: the process running it was %s", what, e->why);
	if (e->how == MMF_GUARD_INTERNAL)
		mmf_internal("%s: %s", what, e->why);
}

const char *cli_params_shown(const char *params)
{
	return params && *params ? params : "no parameters: the generic workload";
}
