/* test_trace.c - record -> serialize -> parse -> replay reproduces the run
 * step for step for every decision source; replay of a replay is the same
 * again; the parser rejects corrupt, truncated and wrong-version traces;
 * a replay whose runnable set differs stops with a divergence. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "program.h"
#include "search.h"
#include "sanitizer.h"
#include "trace.h"

#include <stdlib.h>

static char *serialize(struct mmf_sched *s, const char *prog, const char *params, size_t *len)
{
	struct mmf_trace_hdr h = {0};
	snprintf(h.program, sizeof(h.program), "%s", prog);
	snprintf(h.params, sizeof(h.params), "%s", params);
	snprintf(h.result, sizeof(h.result), "%s", s->failed ? mmf_fail_name(s->report.cls) : "clean");
	h.steps = s->steps;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (mmf_trace_write(f, &h, &s->trace))
		return NULL;
	fclose(f);
	return buf;
}

static bool same_decisions(const struct mmf_trace *a, const struct mmf_trace *b)
{
	CHECK_EQ(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct mmf_decision *x = &a->d[i], *y = &b->d[i];
		if (x->kind != y->kind || x->task != y->task || x->chosen != y->chosen ||
		    x->set != y->set || x->value != y->value || x->bound != y->bound) {
			fprintf(stderr, "  decision %zu differs\n", i);
			return false;
		}
	}
	return true;
}

static bool same_steps(const struct mmf_steplog *a, const struct mmf_steplog *b)
{
	CHECK_EQ(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		CHECK(a->e[i].task == b->e[i].task && a->e[i].site == b->e[i].site &&
		      a->e[i].kind == b->e[i].kind && a->e[i].step == b->e[i].step);
	return true;
}

/* Replay text; leaves the run in *s (caller destroys). */
static enum mmf_run_status replay(const char *text, size_t len, struct mmf_sched *s,
				  struct mmf_trace_file *tf, struct mmf_replay_src *rs)
{
	char err[256];
	if (mmf_trace_parse(text, len, tf, err, sizeof(err))) {
		fprintf(stderr, "  parse: %s\n", err);
		return MMF_RUN_DIVERGED;
	}
	mmf_replay_src_init(rs, tf->t.d, tf->t.n);
	struct mmf_sched_opts o = {.record = true, .log = true};
	mmf_sched_init(s, &o, &rs->base);
	int bad;
	return mmf_run_program(s, mmf_program_find(tf->h.program), tf->h.params, err, sizeof(err),
			       &bad);
}

static bool round_trip(const char *prog, const char *params, enum mmf_src_kind src, bool want_fail)
{
	struct mmf_search q = {
		.prog = mmf_program_find(prog), .params = params, .src = src, .seed = 3, .depth = 2,
		.bound = 2, .budget = 3000, .keep_trace = true, .stop_at_failure = true,
	};
	CHECK(mmf_search_run(&q) == 0);
	CHECK_EQ(q.found, want_fail);
	if (!want_fail) {
		/* A clean run: re-execute the last one with recording on. */
		q.s.opts.record = q.s.opts.log = true;
		char err[128];
		int bad;
		mmf_run_program(&q.s, q.prog, params, err, sizeof(err), &bad);
	}
	size_t len;
	char *text = serialize(&q.s, prog, params, &len);
	CHECK(text);

	struct mmf_sched r1, r2;
	struct mmf_trace_file tf1, tf2;
	struct mmf_replay_src rs1, rs2;
	enum mmf_run_status st = replay(text, len, &r1, &tf1, &rs1);
	if (st == MMF_RUN_DIVERGED)
		fprintf(stderr, "  %s %s: %s\n", prog, mmf_src_name(src), rs1.base.why);
	CHECK_EQ(st, want_fail ? MMF_RUN_FAILED : MMF_RUN_CLEAN);
	CHECK_EQ(r1.failed, q.s.failed);
	if (want_fail)
		CHECK_EQ(r1.report.cls, q.s.report.cls);
	CHECK_EQ(r1.steps, q.s.steps);
	CHECK(same_decisions(&r1.trace, &q.s.trace));
	CHECK(same_steps(&r1.log, &q.s.log));

	/* The replay's own trace serializes to the same text. */
	size_t len2;
	char *text2 = serialize(&r1, prog, params, &len2);
	CHECK(text2);
	CHECK_EQ(len2, len);
	CHECK(memcmp(text, text2, len) == 0);
	CHECK_EQ(replay(text2, len2, &r2, &tf2, &rs2), st);
	CHECK(same_steps(&r2.log, &r1.log));

	mmf_sched_destroy(&r1);
	mmf_sched_destroy(&r2);
	mmf_trace_file_free(&tf1);
	mmf_trace_file_free(&tf2);
	free(text);
	free(text2);
	mmf_search_free(&q);
	return true;
}

static bool test_round_trip_is_identical_for_every_source(void)
{
	const enum mmf_src_kind srcs[] = {MMF_SRC_RANDOM, MMF_SRC_PCT, MMF_SRC_INPUT, MMF_SRC_EXPLORE};
	for (size_t k = 0; k < 4; k++) {
		if (!round_trip("toy-lost-update", "fixed=0 tasks=3 iters=2", srcs[k], true) ||
		    !round_trip("toy-missed-wakeup", "fixed=0", srcs[k], true) ||
		    !round_trip("toy-abba", "fixed=0 lockdep=0", srcs[k], true) ||
		    !round_trip("toy-lost-update", "fixed=1 tasks=3 iters=2", srcs[k], false)) {
			fprintf(stderr, "  source %s\n", mmf_src_name(srcs[k]));
			return false;
		}
	}
	return true;
}

static const char good[] =
	"mmfuzz-trace 1\nprogram toy-lost-update\nparams fixed=0\nsource random seed=1\n"
	"variants none\nresult invariant\nsteps 7\ndecisions 5\n"
	"p - 0 0,1\np 0 1 0,1\t# comment\np 1 0 0,1\np 0 1 0,1\np 1 1 0,1\nend\n";

static bool parse_fails(const char *text, size_t len, const char *needle)
{
	struct mmf_trace_file tf;
	char err[256] = "";
	int rc = mmf_trace_parse(text, len, &tf, err, sizeof(err));
	if (rc == 0) {
		mmf_trace_file_free(&tf);
		fprintf(stderr, "  accepted: %.60s\n", text);
		return false;
	}
	if (needle && !strstr(err, needle)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle);
		return false;
	}
	return true;
}

static char *replace(const char *from, const char *to)
{
	static char buf[1024];
	const char *p = strstr(good, from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	return buf;
}

static bool test_parser_rejects_bad_traces(void)
{
	struct mmf_trace_file tf;
	char err[256];
	CHECK(mmf_trace_parse(good, sizeof(good) - 1, &tf, err, sizeof(err)) == 0);
	CHECK_EQ(tf.t.n, 5);
	mmf_trace_file_free(&tf);

	CHECK(parse_fails("", 0, "empty"));
	CHECK(parse_fails("\x7f" "ELF\x02\x01", 6, "not an mmfuzz trace"));
	CHECK(parse_fails(replace("mmfuzz-trace 1", "mmfuzz-trace 3"), strlen(replace("mmfuzz-trace 1", "mmfuzz-trace 3")),
			  "unsupported trace format version 3"));
	/* Truncated at every length short of the whole file. */
	for (size_t n = 0; n < sizeof(good) - 2; n++)
		CHECK(parse_fails(good, n, NULL));
	const char *bad_lines[][2] = {
		{"p 1 0 0,1", "p 1 9 0,1"},      /* chosen not in set */
		{"p 1 0 0,1", "p 1 0 0"},        /* set of one */
		{"p 1 0 0,1", "p 1 0 0,1 extra"},
		{"p 1 0 0,1", "q 1 0 0,1"},
		{"p 1 0 0,1", "p 99 0 0,1"},
		{"p 1 0 0,1", "v 1 5 5"},        /* value not below bound */
		{"p 1 0 0,1", "f 1 2 64"},
		{"decisions 5", "decisions 6"},
		{"decisions 5", "decisions -1"},
		{"steps 7", "steps x"},
		{"result invariant", "result exploded"},
		{"program toy-lost-update", "programme toy"},
		{"end\n", "end\njunk\n"},
	};
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const char *t = replace(bad_lines[i][0], bad_lines[i][1]);
		CHECK(parse_fails(t, strlen(t), "line"));
	}
	/* NUL bytes inside a line. */
	char nul[sizeof(good)];
	memcpy(nul, good, sizeof(good));
	nul[strstr(good, "p 1 0") - good + 2] = 0;
	CHECK(parse_fails(nul, sizeof(good) - 1, NULL));
	return true;
}

static bool test_replay_stops_on_a_different_runnable_set(void)
{
	/* Record a 3-task run, then claim task 2 was not runnable. */
	struct mmf_search q = {
		.prog = mmf_program_find("toy-lost-update"), .params = "fixed=0 tasks=3",
		.src = MMF_SRC_RANDOM, .seed = 1, .budget = 100, .keep_trace = true,
		.stop_at_failure = true,
	};
	CHECK(mmf_search_run(&q) == 0 && q.found);
	CHECK(q.s.trace.n > 0 && q.s.trace.d[0].set == 0x7);
	q.s.trace.d[0].set = 0x3;
	if (q.s.trace.d[0].chosen == 2)
		q.s.trace.d[0].chosen = 0;
	size_t len;
	char *text = serialize(&q.s, "toy-lost-update", "fixed=0 tasks=3", &len);
	struct mmf_sched r;
	struct mmf_trace_file tf;
	struct mmf_replay_src rs;
	CHECK_EQ(replay(text, len, &r, &tf, &rs), MMF_RUN_DIVERGED);
	CHECK(strstr(rs.base.why, "recorded runnable set {0,1}, now {0,1,2}"));
	mmf_sched_destroy(&r);
	mmf_trace_file_free(&tf);
	free(text);
	mmf_search_free(&q);
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_round_trip_is_identical_for_every_source),
		TEST(test_parser_rejects_bad_traces),
		TEST(test_replay_stops_on_a_different_runnable_set),
	};
	return RUN_TESTS(tests);
}
