/* target_parse.c - libFuzzer target for the two strict text parsers: every
 * input goes to mmf_repro_parse and to mmf_trace_parse.  A parse must never
 * crash, leak or read past the input (the libfuzzer preset has ASan and
 * UBSan on); a rejection must come with a "line N: ..." error and leave
 * nothing allocated; an accepted file must be valid (a known result, the
 * input within MMF_REPRO_MAX_INPUT, decisions that replay could use) and
 * must survive write -> parse with the same fields, the second write being
 * identical to the first.  Anything else abort()s, so libFuzzer keeps the
 * input as a crash.  Built and smoke-tested by fuzz/extra_targets.cmake;
 * seeds in corpus/parsers/. */
#define _GNU_SOURCE
#include "repro.h"
#include "trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *fmt, ...)
{
	va_list ap;
	fputs("target_parse: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void check_error(const char *what, const char *err)
{
	if (strncmp(err, "line ", 5) || !err[5])
		fail("%s rejected without a 'line N: reason' error: '%s'", what, err);
}

static bool known_result(const char *res, bool crash_ok)
{
	return !strcmp(res, "clean") || (crash_ok && !strcmp(res, "crash")) ||
	       mmf_fail_from_name(res) >= 0;
}

/* ---- reproducers ---------------------------------------------------------- */

static char *repro_text(const struct mmf_repro *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		fail("open_memstream failed");
	int rc = mmf_repro_write(f, r);
	if (fclose(f) || rc)
		fail("mmf_repro_write failed");
	return buf;
}

static void same_repro(const struct mmf_repro *a, const struct mmf_repro *b)
{
	if (strcmp(a->program, b->program) || strcmp(a->params, b->params) ||
	    strcmp(a->variants, b->variants) || strcmp(a->build, b->build) ||
	    strcmp(a->result, b->result) || strcmp(a->signature, b->signature))
		fail("reproducer header changed in a round trip");
	if (a->len != b->len || (a->len && memcmp(a->input, b->input, a->len)))
		fail("reproducer input changed in a round trip (%zu -> %zu bytes)", a->len, b->len);
}

static void fuzz_repro(const char *text, size_t len)
{
	struct mmf_repro r, q;
	char err[256] = "";
	if (mmf_repro_parse(text, len, &r, err, sizeof(err))) {
		check_error("reproducer", err);
		if (r.input)
			fail("rejected reproducer left its input allocated");
		return;
	}
	if (r.len > MMF_REPRO_MAX_INPUT || !r.input)
		fail("accepted reproducer with input length %zu", r.len);
	if (!known_result(r.result, true))
		fail("accepted reproducer with result '%s'", r.result);
	if (!r.program[0] || !r.variants[0] || !r.build[0] || !r.signature[0])
		fail("accepted reproducer with an empty header value");

	size_t l1, l2;
	char *t1 = repro_text(&r, &l1);
	if (mmf_repro_parse(t1, l1, &q, err, sizeof(err)))
		fail("rewritten reproducer rejected: %s", err);
	same_repro(&r, &q);
	char *t2 = repro_text(&q, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1))
		fail("reproducer text changed on the second write");
	mmf_repro_free(&r);
	mmf_repro_free(&q);
	free(t1);
	free(t2);
}

/* ---- traces --------------------------------------------------------------- */

static char *trace_text(const struct mmf_trace_file *tf, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		fail("open_memstream failed");
	int rc = mmf_trace_write(f, &tf->h, &tf->t);
	if (fclose(f) || rc)
		fail("mmf_trace_write failed");
	return buf;
}

static void check_decision(const struct mmf_decision *d, size_t i)
{
	bool ok = d->task < MMF_MAX_TASKS || d->task == 255;
	switch (d->kind) {
	case MMF_DEC_PICK:
		ok = ok && (d->chosen < MMF_MAX_TASKS || d->chosen == MMF_TICK) &&
		     (d->set & (1u << d->chosen)) && (d->set & (d->set - 1)) &&
		     !(d->set & ~((1u << MMF_MAX_TASKS) - 1) & ~(1u << MMF_TICK));
		break;
	case MMF_DEC_VALUE:
		ok = ok && d->bound >= 2 && d->value < d->bound;
		break;
	case MMF_DEC_FAULT:
		ok = ok && d->chosen <= 1 && d->bound >= 1;
		break;
	default:
		ok = false;
	}
	if (!ok)
		fail("accepted trace with an impossible decision %zu (kind %d)", i, d->kind);
}

/* The writer spells an empty source "-" and empty variants "none"; the
 * parser keeps an empty value, so compare through that spelling. */
static const char *or_dflt(const char *s, const char *dflt) { return s[0] ? s : dflt; }

static void same_trace(const struct mmf_trace_file *a, const struct mmf_trace_file *b)
{
	if (strcmp(a->h.program, b->h.program) || strcmp(a->h.params, b->h.params) ||
	    strcmp(or_dflt(a->h.source, "-"), or_dflt(b->h.source, "-")) ||
	    strcmp(or_dflt(a->h.variants, "none"), or_dflt(b->h.variants, "none")) ||
	    strcmp(a->h.result, b->h.result) || a->h.steps != b->h.steps)
		fail("trace header changed in a round trip");
	if (a->t.n != b->t.n)
		fail("trace lost decisions in a round trip (%zu -> %zu)", a->t.n, b->t.n);
	for (size_t i = 0; i < a->t.n; i++) {
		const struct mmf_decision *x = &a->t.d[i], *y = &b->t.d[i];
		if (x->kind != y->kind || x->task != y->task || x->chosen != y->chosen ||
		    x->set != y->set || x->value != y->value || x->bound != y->bound)
			fail("trace decision %zu changed in a round trip", i);
	}
}

static void fuzz_trace(const char *text, size_t len)
{
	struct mmf_trace_file r, q;
	char err[256] = "";
	if (mmf_trace_parse(text, len, &r, err, sizeof(err))) {
		check_error("trace", err);
		if (r.t.d || r.t.n)
			fail("rejected trace left decisions allocated");
		return;
	}
	if (!r.h.program[0])
		fail("accepted trace without a program");
	if (!known_result(r.h.result, false))
		fail("accepted trace with result '%s'", r.h.result);
	for (size_t i = 0; i < r.t.n; i++)
		check_decision(&r.t.d[i], i);

	size_t l1, l2;
	char *t1 = trace_text(&r, &l1);
	if (mmf_trace_parse(t1, l1, &q, err, sizeof(err)))
		fail("rewritten trace rejected: %s", err);
	same_trace(&r, &q);
	char *t2 = trace_text(&q, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1))
		fail("trace text changed on the second write");
	mmf_trace_file_free(&r);
	mmf_trace_file_free(&q);
	free(t1);
	free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	fuzz_repro(text, size);
	fuzz_trace(text, size);
	return 0;
}
