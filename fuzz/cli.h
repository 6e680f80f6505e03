/* cli.h - what the mmfuzz commands (cmd_*.c) share: usage errors (one line,
 * exit 2), option parsing that rejects options which do not apply, output
 * paths checked before any work starts, and run files: traces,
 * reproducers, and raw engine inputs (only with --raw), executed under
 * supervision (guard.h).
 *
 * Exit codes of every command: 0 clean, 1 bug found, 2 usage or input
 * error (an output that cannot be written included), 130 interrupted
 * (SIGINT/SIGTERM) before anything was found. */
#ifndef MMF_CLI_H
#define MMF_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "guard.h"
#include "harness.h"
#include "program.h"
#include "repro.h"
#include "search.h"
#include "trace.h"

#define EXIT_CLEAN 0
#define EXIT_BUG 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

extern const char *mmf_cli_self;        /* argv[0], for the commands we print */

_Noreturn void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options.  Each command names the ones it takes; another one, or one that
 * does not apply to the chosen decision source, is a usage error. */
enum cli_opt {
	O_PARAMS = 1, O_SOURCE, O_SEED, O_DEPTH, O_BOUND, O_RUNS, O_TRACE, O_INPUT, O_QUIET,
	O_TABLE, O_YIELD, O_TIMEOUT, O_WANT, O_BUGS, O_OUT, O_COMPACT, O_JOBS, O_TIME, O_EXECS,
	O_JSON, O_RAW, O_HELP, O_ACCESS, O_NR
};
#define CLI_OPT(o) (1ull << (o))

struct cli_opts {
	uint64_t given;                 /* CLI_OPT bits of the options given */
	const char *params;
	int src;
	uint64_t seed;
	int depth;
	int bound;
	uint64_t runs;
	const char *trace_out;
	const char *input_file;
	bool quiet, table, compact, raw;
	bool access_points;             /* --access-points */
	unsigned yield_rate;
	unsigned timeout_ms;
	uint32_t want;
	const char *bugs;
	const char *out;
	int jobs;
	double time_limit;
	const char *json;
};

/* Parse argv (argv[0] is the command) into o.  allowed: CLI_OPT bits. */
void cli_parse(int argc, char **argv, struct cli_opts *o, uint64_t allowed, void (*help)(void));
bool cli_given(const struct cli_opts *o, enum cli_opt opt);
/* --seed, --depth, --bound and --input only with a source they belong to. */
void cli_check_source_options(const struct cli_opts *o);
uint64_t cli_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi);
const struct mmf_program *cli_program(const char *name);

/* Outputs, before the work: a file that can be written (not created if
 * missing), a directory that exists or can be made and can be written. */
void cli_check_out_file(const char *opt, const char *path);
void cli_check_out_dir(const char *opt, const char *dir);

/* The whole file (at most 64 MiB), or a usage error. */
uint8_t *cli_read_file(const char *path, size_t *len);

/* Write a trace file; 0, or -1 after a one-line message. */
int cli_write_trace(const char *path, const struct mmf_sched *s, const char *source,
		    const char *program, const char *params);

/* How params are shown in a summary line (never an empty "[]"). */
const char *cli_params_shown(const char *params);

/* The params to run with --access-points: params with points=all (the mm
 * program's key, sched/access.h) into buf when it was given, else params
 * unchanged; a usage error for a program without plain-access points. */
const char *cli_access_params(const struct cli_opts *o, const struct mmf_program *p,
			      const char *params, char *buf, size_t len);

/* params with key=value set (replacing the key's old value, if any). */
void cli_params_set(const char *params, const char *key, const char *value, char *out,
		    size_t len);

/* ---- run files ------------------------------------------------------------------ */

enum run_kind { RUN_TRACE, RUN_REPRO, RUN_RAW };

struct run_file {
	enum run_kind kind;
	const char *path;
	const struct mmf_program *prog;
	char params[1200];              /* with --bugs applied */
	bool bugs_changed;              /* --bugs: lenient replay */
	struct mmf_trace_file tf;       /* trace */
	struct mmf_repro r;             /* reproducer */
	uint8_t *raw;                   /* file bytes (reproducer text, raw input) */
	const uint8_t *data;            /* reproducer / raw: the input bytes */
	size_t len;
};

/* Load FILE: a trace ("mmfuzz-trace N"), a reproducer ("mmfuzz-repro N"),
 * or with raw a fuzzer input taken as bytes.  Anything else (an empty
 * file, a damaged header) is a usage error.  bugs: --bugs (NULL: the
 * file's; a raw input's come from --bugs, else MMFUZZ_BUGS, else none). */
void cli_load_run_file(const char *path, bool raw, const char *bugs, struct run_file *rf);
void cli_free_run_file(struct run_file *rf);

/* What a supervised execution of a run file came to. */
struct run_result {
	struct mmf_sched s;             /* post-mortem: report, trace, step log */
	struct mmf_guard_end end;
	bool diverged;                  /* strict replay left the recording */
	char why[256];                  /* ... where and why */
	bool off;                       /* lenient replay left the recording ... */
	size_t off_at;                  /* ... at this decision */
	char off_why[256];
	int child_exit;                 /* the run ended normally but the child then
					 * exited with this status (a sanitizer that
					 * reports without halting) */
};

/* Execute a run file once in a supervised child, with the step log. */
void cli_execute(const struct run_file *rf, unsigned timeout_ms, struct run_result *res);
void cli_free_result(struct run_result *res);

/* The ending of a supervised run that is not a result: an interrupt
 * (exit 130), a kill from outside (exit 2), an internal error (abort). */
void cli_exit_on_abnormal(const struct mmf_guard_end *e, const char *what);

#endif
