/* test_repro.c - the reproducer and trace text formats: a reproducer and a
 * trace built in memory survive write -> parse -> write unchanged; the
 * strict parsers reject the corruptions their header comments promise to
 * reject; and a deterministic mutation fuzzer (fixed seed, tens of
 * thousands of mutants of a valid file: bit flips, byte replacement,
 * deletion and duplication of ranges, every prefix, inserted, deleted and
 * swapped lines, other version numbers and counts) never gets anything but
 * "parsed into a valid, round-trippable result" or "-1 with a 'line N: ...'
 * error".  Under the asan preset every mutant sits in a buffer of exactly
 * its length, so a read past the end, a leak or an overflow fails the test.
 * Optional argv[2] overrides the number of mutants per format. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "harness.h"
#include "repro.h"
#include "trace.h"

#include <stdlib.h>
#include <time.h>

static unsigned long mutants_per_format = 100000;

/* ---- writing to memory ---------------------------------------------------- */

static char *write_repro(const struct mmf_repro *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int rc = mmf_repro_write(f, r);
	if (fclose(f) || rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *write_trace(const struct mmf_trace_hdr *h, const struct mmf_trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int rc = mmf_trace_write(f, h, t);
	if (fclose(f) || rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the valid files the mutants start from ------------------------------- */

static void make_repro(struct mmf_repro *r, uint8_t *bytes, size_t n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->program, sizeof(r->program), "mm");
	snprintf(r->params, sizeof(r->params), "bugs=none");
	snprintf(r->variants, sizeof(r->variants), "none");
	snprintf(r->build, sizeof(r->build), "mmfuzz 0.1.0 3f2a9c1 GNU 12.2.0 sanitizer=none");
	snprintf(r->result, sizeof(r->result), "leak");
	snprintf(r->signature, sizeof(r->signature), "leak|none|shadow.c:91 shadow_check|x");
	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)(i * 37 + 11);
	bytes[0] = 0x00;
	bytes[n - 1] = 0xff;
	r->input = bytes;
	r->len = n;
}

static const struct mmf_site site_a = {"sched/fake.c", 40, "lost_update_task", "atomic_read"};
static const struct mmf_site site_b = {"model/other.c", 7, "reclaim", NULL};

static void make_trace(struct mmf_trace_hdr *h, struct mmf_trace *t, bool sites)
{
	memset(h, 0, sizeof(*h));
	memset(t, 0, sizeof(*t));
	snprintf(h->program, sizeof(h->program), "toy-lost-update");
	snprintf(h->params, sizeof(h->params), "fixed=0 tasks=3");
	snprintf(h->source, sizeof(h->source), "random seed=1 run=0");
	snprintf(h->variants, sizeof(h->variants), "none");
	snprintf(h->result, sizeof(h->result), "invariant");
	h->steps = 57;
	const struct mmf_decision d[] = {
		{.kind = MMF_DEC_PICK, .task = 255, .chosen = 0, .set = 0x3},
		{.kind = MMF_DEC_PICK, .task = 0, .chosen = 1, .set = 0x7, .preempt = 1,
		 .site = sites ? &site_a : NULL},
		{.kind = MMF_DEC_PICK, .task = 1, .chosen = MMF_TICK, .set = 0x2u | 1u << MMF_TICK},
		{.kind = MMF_DEC_PICK, .task = 23, .chosen = 23, .set = 1u << 23 | 1u << 5},
		{.kind = MMF_DEC_VALUE, .task = 2, .value = 3, .bound = 8},
		{.kind = MMF_DEC_VALUE, .task = 255, .value = 0, .bound = 2, .site = sites ? &site_b : NULL},
		{.kind = MMF_DEC_VALUE, .task = 0, .value = UINT64_MAX - 1, .bound = UINT64_MAX},
		{.kind = MMF_DEC_FAULT, .task = 1, .chosen = 0, .bound = 64},
		{.kind = MMF_DEC_FAULT, .task = 255, .chosen = 1, .bound = 1,
		 .site = sites ? &site_a : NULL},
		{.kind = MMF_DEC_PICK, .task = 2, .chosen = 0, .set = 0x7},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		mmf_trace_push(t, &d[i]);
}

/* ---- comparing ------------------------------------------------------------ */

static bool same_repro(const struct mmf_repro *a, const struct mmf_repro *b)
{
	CHECK_STR(a->program, b->program);
	CHECK_STR(a->params, b->params);
	CHECK_STR(a->variants, b->variants);
	CHECK_STR(a->build, b->build);
	CHECK_STR(a->result, b->result);
	CHECK_STR(a->signature, b->signature);
	CHECK_EQ(a->len, b->len);
	CHECK(a->len == 0 || memcmp(a->input, b->input, a->len) == 0);
	return true;
}

/* The writer spells an empty source "-" and empty variants "none"; the
 * parser keeps what it reads, so compare through that spelling. */
static const char *or_dflt(const char *s, const char *dflt) { return s[0] ? s : dflt; }

static bool same_hdr(const struct mmf_trace_hdr *a, const struct mmf_trace_hdr *b)
{
	CHECK_STR(a->program, b->program);
	CHECK_STR(a->params, b->params);
	CHECK_STR(or_dflt(a->source, "-"), or_dflt(b->source, "-"));
	CHECK_STR(or_dflt(a->variants, "none"), or_dflt(b->variants, "none"));
	CHECK_STR(a->result, b->result);
	CHECK_EQ(a->steps, b->steps);
	return true;
}

static bool same_decisions(const struct mmf_trace *a, const struct mmf_trace *b)
{
	CHECK_EQ(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct mmf_decision *x = &a->d[i], *y = &b->d[i];
		if (x->kind != y->kind || x->task != y->task || x->chosen != y->chosen ||
		    x->set != y->set || x->value != y->value || x->bound != y->bound ||
		    !mmf_site_same(x->site, y->site)) {
			fprintf(stderr, "  decision %zu differs\n", i);
			return false;
		}
	}
	return true;
}

/* ---- round trips ---------------------------------------------------------- */

static bool test_repro_round_trip_keeps_every_field_and_byte(void)
{
	uint8_t bytes[70];
	struct mmf_repro r, p, q;
	char err[256] = "";
	size_t len1, len2;
	make_repro(&r, bytes, sizeof(bytes));

	char *t1 = write_repro(&r, &len1);
	CHECK(t1);
	CHECK(mmf_is_repro(t1, len1));
	CHECK(!mmf_is_trace(t1, len1));
	CHECK(strstr(t1, "\ninput 70\n"));
	/* 70 bytes: two full hex lines of 32 bytes and one of 6. */
	const char *hex = strstr(t1, "\ninput 70\n") + 10;
	CHECK(strcspn(hex, "\n") == 64 && strcspn(hex + 65, "\n") == 64);
	CHECK(strcspn(hex + 130, "\n") == 12 && !strcmp(hex + 142, "\nend\n"));
	if (mmf_repro_parse(t1, len1, &p, err, sizeof(err))) {
		fprintf(stderr, "  parse: %s\n", err);
		return false;
	}
	CHECK(p.input != r.input);
	CHECK(same_repro(&r, &p));

	char *t2 = write_repro(&p, &len2);
	CHECK(t2);
	CHECK_EQ(len2, len1);
	CHECK(memcmp(t1, t2, len1) == 0);

	/* Empty params and an empty input survive too ("params -", "input 0"). */
	r.params[0] = 0;
	r.len = 0;
	free(t2);
	t2 = write_repro(&r, &len2);
	CHECK(t2 && strstr(t2, "\nparams -\n") && strstr(t2, "\ninput 0\nend\n"));
	CHECK(mmf_repro_parse(t2, len2, &q, err, sizeof(err)) == 0);
	CHECK_STR(q.params, "");
	CHECK_EQ(q.len, 0);
	CHECK(same_repro(&r, &q));
	mmf_repro_free(&q);
	mmf_repro_free(&p);
	CHECK(p.input == NULL && p.len == 0);
	free(t1);
	free(t2);
	return true;
}

/* text without the "\t# ..." site comments the writer adds */
static char *strip_comments(const char *text, size_t len, size_t *out)
{
	char *s = malloc(len + 1);
	size_t n = 0;
	bool skip = false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			skip = false;
		else if (text[i] == '\t' && i + 1 < len && text[i + 1] == '#')
			skip = true;
		if (!skip)
			s[n++] = text[i];
	}
	s[n] = 0;
	*out = n;
	return s;
}

static bool test_trace_round_trip_keeps_header_and_decisions(void)
{
	struct mmf_trace_hdr h;
	struct mmf_trace t;
	struct mmf_trace_file p, q;
	char err[256] = "";
	size_t len1, len2, len3;
	make_trace(&h, &t, true);

	char *t1 = write_trace(&h, &t, &len1);
	CHECK(t1);
	CHECK(mmf_is_trace(t1, len1));
	CHECK(!mmf_is_repro(t1, len1));
	CHECK(!strncmp(t1, "mmfuzz-trace 2\n", 15));
	CHECK(strstr(t1, "\ndecisions 10\n"));
	CHECK(strstr(t1, "\np - 0 0,1 -\n"));
	CHECK(strstr(t1, "\np 1 t 1,t -\n"));
	CHECK(strstr(t1, "\np 0 1 0,1,2 fake.c:40:lost_update_task:atomic_read\t# preempt\n"));
	CHECK(strstr(t1, "\nf - 1 1 fake.c:40:lost_update_task:atomic_read\n"));
	if (mmf_trace_parse(t1, len1, &p, err, sizeof(err))) {
		fprintf(stderr, "  parse: %s\n", err);
		return false;
	}
	CHECK_EQ(p.version, 2);
	CHECK(same_hdr(&h, &p.h));
	CHECK(same_decisions(&t, &p.t));

	/* The sites are part of the format: the text read back is the
	 * first one without its comments (the preemption notes), and that
	 * text is a fixed point. */
	size_t slen;
	char *t2 = write_trace(&p.h, &p.t, &len2);
	char *stripped = strip_comments(t1, len1, &slen);
	CHECK(t2);
	CHECK_EQ(len2, slen);
	CHECK(memcmp(t2, stripped, slen) == 0);
	CHECK(mmf_trace_parse(t2, len2, &q, err, sizeof(err)) == 0);
	CHECK(same_hdr(&p.h, &q.h));
	CHECK(same_decisions(&p.t, &q.t));
	char *t3 = write_trace(&q.h, &q.t, &len3);
	CHECK(t3 && len3 == len2 && !memcmp(t2, t3, len2));
	free(t3);
	free(stripped);
	mmf_trace_file_free(&q);

	/* Version 1 (no site field) is still read, with no sites. */
	const char *v1 = "mmfuzz-trace 1\nprogram toy-lost-update\nparams fixed=0\nsource x\n"
			 "variants none\nresult clean\nsteps 3\ndecisions 2\np - 0 0,1\n"
			 "v 0 1 2\t# comment\nend\n";
	CHECK(mmf_trace_parse(v1, strlen(v1), &q, err, sizeof(err)) == 0);
	CHECK_EQ(q.version, 1);
	CHECK_EQ(q.t.n, 2);
	CHECK(q.t.d[0].site == NULL && q.t.d[1].site == NULL);
	mmf_trace_file_free(&q);

	/* Empty params are written as '-' and read back as empty. */
	struct mmf_trace plain;
	struct mmf_trace_hdr h2;
	make_trace(&h2, &plain, false);
	h2.params[0] = 0;
	char *t4 = write_trace(&h2, &plain, &len3);
	CHECK(t4 && strstr(t4, "\nparams -\n"));
	CHECK(mmf_trace_parse(t4, len3, &q, err, sizeof(err)) == 0);
	CHECK_STR(q.h.params, "");
	CHECK(same_decisions(&plain, &q.t));
	char *t5 = write_trace(&q.h, &q.t, &len2);
	char *s4 = strip_comments(t4, len3, &slen);
	CHECK(t5);
	CHECK_EQ(len2, slen);
	CHECK(memcmp(s4, t5, len2) == 0);
	free(s4);

	mmf_trace_file_free(&p);
	mmf_trace_file_free(&q);
	mmf_trace_free(&t);
	mmf_trace_free(&plain);
	free(t1);
	free(t2);
	free(t4);
	free(t5);
	return true;
}

/* ---- specific rejections -------------------------------------------------- */

static char *valid_repro(size_t *len)
{
	uint8_t bytes[70];
	struct mmf_repro r;
	make_repro(&r, bytes, sizeof(bytes));
	return write_repro(&r, len);
}

static char *valid_trace(size_t *len)
{
	struct mmf_trace_hdr h;
	struct mmf_trace t;
	make_trace(&h, &t, true);
	char *s = write_trace(&h, &t, len);
	mmf_trace_free(&t);
	return s;
}

/* text with the first 'from' replaced by 'to' (malloc'ed, exact length) */
static char *subst(const char *text, const char *from, const char *to, size_t *len)
{
	const char *p = strstr(text, from);
	if (!p)
		return NULL;
	size_t a = (size_t)(p - text), f = strlen(from), t = strlen(to), rest = strlen(p + f);
	char *s = malloc(a + t + rest + 1);
	memcpy(s, text, a);
	memcpy(s + a, to, t);
	memcpy(s + a + t, p + f, rest + 1);
	*len = a + t + rest;
	return s;
}

/* Parse text of *lenp bytes (owned; freed here); want a rejection that
 * mentions needle.  (A pointer: subst() sets the length in the same call.) */
static bool repro_rejects(char *text, const size_t *lenp, const char *needle)
{
	size_t len = *lenp;
	struct mmf_repro r;
	char err[256] = "";
	CHECK(text);
	int rc = mmf_repro_parse(text, len, &r, err, sizeof(err));
	if (rc == 0) {
		mmf_repro_free(&r);
		fprintf(stderr, "  accepted: '%.*s'\n", (int)len, text);
		free(text);
		return false;
	}
	bool ok = !strncmp(err, "line ", 5) && (!needle || strstr(err, needle));
	if (!ok)
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle ? needle : "line ");
	CHECK(r.input == NULL);
	free(text);
	return ok;
}

static bool trace_rejects(char *text, const size_t *lenp, const char *needle)
{
	size_t len = *lenp;
	struct mmf_trace_file tf;
	char err[256] = "";
	CHECK(text);
	int rc = mmf_trace_parse(text, len, &tf, err, sizeof(err));
	if (rc == 0) {
		mmf_trace_file_free(&tf);
		fprintf(stderr, "  accepted: '%.*s'\n", (int)len, text);
		free(text);
		return false;
	}
	bool ok = !strncmp(err, "line ", 5) && (!needle || strstr(err, needle));
	if (!ok)
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle ? needle : "line ");
	CHECK(tf.t.d == NULL);
	free(text);
	return ok;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n ? n : 1);
	memcpy(d, s, n);
	return d;
}

static bool test_repro_parser_rejects_what_it_promises(void)
{
	size_t len, l = 0, zero = 0;
	char *good = valid_repro(&len);
	CHECK(good);

	CHECK(repro_rejects(subst(good, "mmfuzz-repro 1", "mmfuzz-repro 9", &l), &l,
			    "unsupported reproducer format version 9"));
	CHECK(repro_rejects(subst(good, "mmfuzz-repro 1", "mmfuzz-repro 0", &l), &l, "version"));
	CHECK(repro_rejects(subst(good, "mmfuzz-repro 1", "mmfuzz-repro 1x", &l), &l, "line 1:"));
	CHECK(repro_rejects(subst(good, "mmfuzz-repro 1", "mmfuzz-trace 1", &l), &l,
			    "not an mmfuzz reproducer"));
	CHECK(repro_rejects(dup_n("", 0), &zero, "line 0:"));
	/* Truncated: no "end", and at every shorter length.  Only the final
	 * newline is optional. */
	CHECK(repro_rejects(subst(good, "end\n", "", &l), &l, "missing 'end'"));
	for (size_t n = 0; n + 1 < len; n++)
		CHECK(repro_rejects(dup_n(good, n), &n, NULL));
	struct mmf_repro r;
	char err[256];
	CHECK(mmf_repro_parse(good, len - 1, &r, err, sizeof(err)) == 0);
	mmf_repro_free(&r);
	/* Trailing text after "end", even a blank line. */
	CHECK(repro_rejects(subst(good, "end\n", "end\njunk\n", &l), &l, "trailing text"));
	CHECK(repro_rejects(subst(good, "end\n", "end\n\n", &l), &l, "trailing text"));
	CHECK(repro_rejects(subst(good, "end\n", "end\nend\n", &l), &l, "trailing text"));
	/* Bad hex: a non-hex digit, an odd number of digits, an empty line. */
	CHECK(repro_rejects(subst(good, "\n00", "\n0g", &l), &l, "bad hex"));
	CHECK(repro_rejects(subst(good, "\n00", "\nzz", &l), &l, "bad hex"));
	CHECK(repro_rejects(subst(good, "\n00", "\n0", &l), &l, "bad input line"));
	CHECK(repro_rejects(subst(good, "\n00", "\n\n00", &l), &l, "bad input line"));
	CHECK(repro_rejects(subst(good, "ff\nend", "fz\nend", &l), &l, "bad hex"));
	/* Declared length against the bytes: more, fewer, negative, huge. */
	CHECK(repro_rejects(subst(good, "input 70", "input 71", &l), &l, "line 12: bad input line"));
	CHECK(repro_rejects(subst(good, "input 70", "input 1000", &l), &l, "line 12: bad input line"));
	char *longer = subst(good, "input 70", "input 71", &l);
	CHECK(repro_rejects(subst(longer, "end\n", "", &l), &l, "truncated: 70 of 71 input bytes"));
	free(longer);
	CHECK(repro_rejects(subst(good, "input 70", "input 69", &l), &l, "bad input line"));
	CHECK(repro_rejects(subst(good, "input 70", "input -70", &l), &l, "bad input length"));
	CHECK(repro_rejects(subst(good, "input 70", "input 70x", &l), &l, "bad input length"));
	CHECK(repro_rejects(subst(good, "input 70", "input 1048577", &l), &l, "bad input length"));
	CHECK(repro_rejects(subst(good, "input 70", "input 99999999999999999999999", &l), &l,
			    "bad input length"));
	/* Missing, unknown, misordered and empty header lines. */
	CHECK(repro_rejects(subst(good, "program mm\n", "", &l), &l, "expected 'program"));
	CHECK(repro_rejects(subst(good, "result leak", "result exploded", &l), &l, "unknown result"));
	CHECK(repro_rejects(subst(good, "result leak", "result ", &l), &l, "empty 'result'"));
	CHECK(repro_rejects(subst(good, "params bugs", "paramsbugs", &l), &l, "expected 'params"));
	CHECK(repro_rejects(subst(good, "variants none\nbuild", "build", &l), &l, "expected 'variants"));
	/* NUL bytes inside a header line or a hex line. */
	char *nul = dup_n(good, len);
	nul[strstr(good, "program mm") - good + 8] = 0;
	CHECK(repro_rejects(nul, &len, NULL));
	nul = dup_n(good, len);
	nul[strstr(good, "\n00") - good + 2] = 0;
	CHECK(repro_rejects(nul, &len, NULL));
	free(good);
	return true;
}

static bool test_trace_parser_rejects_what_it_promises(void)
{
	size_t len, l = 0, zero = 0;
	char *good = valid_trace(&len);
	CHECK(good);

	CHECK(trace_rejects(subst(good, "mmfuzz-trace 2", "mmfuzz-trace 9", &l), &l,
			    "unsupported trace format version 9"));
	CHECK(trace_rejects(subst(good, "mmfuzz-trace 2", "mmfuzz-trace 99999999999", &l), &l,
			    "bad trace format version '99999999999'"));
	CHECK(trace_rejects(subst(good, "mmfuzz-trace 2", "mmfuzz-trace 2x", &l), &l,
			    "bad trace format version"));
	CHECK(trace_rejects(subst(good, "mmfuzz-trace 2", "mmfuzz-repro 1", &l), &l,
			    "not an mmfuzz trace"));
	CHECK(trace_rejects(subst(good, "mmfuzz-trace 2", "mmfuzz-tracf 2", &l), &l,
			    "not an mmfuzz trace"));
	/* The variants line must repeat the params' bugs=. */
	CHECK(trace_rejects(subst(good, "variants none", "variants zswap-cas-state", &l), &l,
			    "does not match the params' bugs="));
	/* A line too long is said to be too long. */
	{
		char big[5000];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		char with[5100];
		snprintf(with, sizeof(with), "params fixed=0 x=%s", big);
		CHECK(trace_rejects(subst(good, "params fixed=0 tasks=3", with, &l), &l, "too long"));
	}
	CHECK(trace_rejects(dup_n("", 0), &zero, "empty file"));
	CHECK(trace_rejects(subst(good, "end\n", "", &l), &l, "expected 'end'"));
	for (size_t n = 0; n + 1 < len; n++)
		CHECK(trace_rejects(dup_n(good, n), &n, NULL));
	CHECK(trace_rejects(subst(good, "end\n", "end\njunk\n", &l), &l, "after 'end'"));
	CHECK(trace_rejects(subst(good, "decisions 10", "decisions 11", &l), &l, "bad decision 'end'"));
	CHECK(trace_rejects(subst(good, "decisions 10", "decisions 9", &l), &l, "expected 'end'"));
	CHECK(trace_rejects(subst(good, "decisions 10", "decisions -1", &l), &l, "bad decision count"));
	CHECK(trace_rejects(subst(good, "decisions 10", "decisions 1000000000", &l), &l,
			    "bad decision count"));
	CHECK(trace_rejects(subst(good, "steps 57", "steps 5x7", &l), &l, "bad step count"));
	CHECK(trace_rejects(subst(good, "steps 57", "steps 99999999999999999999", &l), &l,
			    "bad step count"));
	CHECK(trace_rejects(subst(good, "result invariant", "result exploded", &l), &l,
			    "unknown result"));
	CHECK(trace_rejects(subst(good, "result invariant", "result ok", &l), &l, "unknown result"));
	CHECK(trace_rejects(subst(good, "source random", "sauce random", &l), &l, "expected 'source'"));
	CHECK(trace_rejects(subst(good, "program toy-lost-update", "program ", &l), &l,
			    "empty program"));
	const char *bad[][2] = {
		{"p 1 t 1,t -", "p 1 t 1 -"},        /* set of one */
		{"p 1 t 1,t -", "p 1 0 1,t -"},      /* chosen not in the set */
		{"p 1 t 1,t -", "p 1 t 1,24 -"},     /* no task 24 */
		{"p 1 t 1,t -", "p 24 t 1,t -"},
		{"p 1 t 1,t -", "p 1 t 1,t - x"},
		{"p 1 t 1,t -", "p 1 t 1,t"},        /* no site */
		{"p 1 t 1,t -", "p 1 t -"},
		{"p 1 t 1,t -", "pp 1 t 1,t -"},
		{"p 1 t 1,t -", "x 1 t 1,t -"},
		{"p 1 t 1,t -", "p +1 t 1,t -"},
		{"p 1 t 1,t -", "p - t 1,t -"},      /* no task after the run began */
		{"p 1 t 1,t -", "p 1 t 1,t a.c:1:f"},        /* three site fields */
		{"p 1 t 1,t -", "p 1 t 1,t a.c:1:f:g:h"},    /* five */
		{"p 1 t 1,t -", "p 1 t 1,t a.c:01:f:g"},     /* a line that is no number */
		{"p 1 t 1,t -", "p 1 t 1,t a.c:x:f:g"},
		{"p 1 t 1,t -", "p 1 t 1,t a.c::f:g"},
		{"p 1 t 1,t -", "p 1 t 1,t a,c:1:f:g"},      /* a character sites never have */
		{"v 2 3 8 -", "v 2 8 8 -"},          /* value not below the bound */
		{"v 2 3 8 -", "v 2 0 1 -"},          /* bound below 2 */
		{"v 2 3 8 -", "v 2 -3 8 -"},
		{"f 1 0 64 -", "f 1 2 64 -"},
		{"f 1 0 64 -", "f 1 0 0 -"},
		{"f 1 0 64 -", "f 1 0 18446744073709551616 -"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!trace_rejects(subst(good, bad[i][0], bad[i][1], &l), &l, "bad decision")) {
			fprintf(stderr, "  case '%s'\n", bad[i][1]);
			return false;
		}
	}
	char *nul = dup_n(good, len);
	nul[strstr(good, "v 2 3") - good + 2] = 0;
	CHECK(trace_rejects(nul, &len, "NUL byte"));
	free(good);
	return true;
}

/* ---- mutation fuzzing ------------------------------------------------------ */

#define MUT_CAP 8192

struct mutant {
	char b[MUT_CAP];
	size_t n;
};

static const char interesting[] = {'\n', ' ', '0', 'f', 'g', '-', '\0', '9'};

static const char *const extra_lines[] = {
	"end\n", "\n", "input 3\n", "input 0\n", "00ff\n", "0g\n", "p 0 1 0,1\n", "v - 3 8\n",
	"f 1 0 64\n", "# comment\n", "program x\n", "result clean\n", "result crash\n",
	"decisions 0\n", "mmfuzz-repro 1\n", "mmfuzz-trace 2\n", "mmfuzz-trace 1\n", "p - t 0,t -\n",
	"p 0 1 0,1 a.c:3:f:lock\n", "\r\n", "\t\n",
};

static const char *const versions[] = {
	"0", "2", "9", "10", "-1", "01", "+1", " 1", "1 ", "", "1x", "x", "99999999999",
	"1\r", "\t1", "1.0",
};

static size_t rnd(struct mmf_rng *g, size_t bound) { return (size_t)mmf_rng_below(g, bound); }

/* Replace [at, at+del) with ins[0..ilen). False if it would not fit. */
static bool splice(struct mutant *m, size_t at, size_t del, const char *ins, size_t ilen)
{
	if (at > m->n || del > m->n - at || m->n - del + ilen > MUT_CAP)
		return false;
	memmove(m->b + at + ilen, m->b + at + del, m->n - at - del);
	memcpy(m->b + at, ins, ilen);
	m->n = m->n - del + ilen;
	return true;
}

/* Line k's start and length (with its newline); false if no such line. */
static bool line_at(const struct mutant *m, size_t k, size_t *start, size_t *len)
{
	size_t s = 0;
	for (size_t i = 0; i < k; i++) {
		const char *nl = memchr(m->b + s, '\n', m->n - s);
		if (!nl)
			return false;
		s = (size_t)(nl - m->b) + 1;
	}
	if (s >= m->n)
		return false;
	const char *nl = memchr(m->b + s, '\n', m->n - s);
	*start = s;
	*len = nl ? (size_t)(nl - m->b) + 1 - s : m->n - s;
	return true;
}

static size_t count_lines(const char *b, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += b[i] == '\n';
	return k + 1;
}

/* Position just after the first "\n<key> " (or 0 for the first line's
 * value), and the value's length up to the newline. */
static bool find_value(const struct mutant *m, const char *key, size_t *at, size_t *len)
{
	size_t k = strlen(key);
	for (size_t i = 0; i + k < m->n; i++) {
		if ((i == 0 || m->b[i - 1] == '\n') && !memcmp(m->b + i, key, k)) {
			*at = i + k;
			const char *nl = memchr(m->b + *at, '\n', m->n - *at);
			*len = nl ? (size_t)(nl - m->b) - *at : m->n - *at;
			return true;
		}
	}
	return false;
}

enum { OP_FLIP, OP_RANDOM, OP_INTERESTING, OP_INSERT_CHAR, OP_DELETE, OP_DUPLICATE, OP_TRUNCATE,
       OP_INSERT_LINE, OP_DELETE_LINE, OP_SWAP_LINES, OP_VERSION, OP_COUNT, OP_LONG_RUN, OP_NR };

/* Run lengths around the parsers' line and field buffers. */
static const size_t long_runs[] = {31, 63, 64, 255, 511, 512, 1023, 1024, 2046, 2047, 2048, 4095, 4096};

static void mutate_once(struct mutant *m, struct mmf_rng *g, const char *count_key)
{
	size_t i, k, a, al, b, bl;
	char tmp[64];
	if (!m->n)
		m->b[m->n++] = (char)rnd(g, 256);
	/* No two rnd() calls unsequenced: the same mutants from every compiler. */
	switch (rnd(g, OP_NR)) {
	case OP_FLIP:
		i = rnd(g, m->n);
		m->b[i] ^= (char)(1u << rnd(g, 8));
		break;
	case OP_RANDOM:
		i = rnd(g, m->n);
		m->b[i] = (char)rnd(g, 256);
		break;
	case OP_INTERESTING:
		i = rnd(g, m->n);
		m->b[i] = interesting[rnd(g, sizeof(interesting))];
		break;
	case OP_INSERT_CHAR:
		i = rnd(g, m->n + 1);
		splice(m, i, 0, &interesting[rnd(g, sizeof(interesting))], 1);
		break;
	case OP_DELETE:
		i = rnd(g, m->n);
		k = 1 + rnd(g, rnd(g, 2) ? 8 : m->n - i);
		splice(m, i, k < m->n - i ? k : m->n - i, "", 0);
		break;
	case OP_DUPLICATE: {
		i = rnd(g, m->n);
		k = 1 + rnd(g, rnd(g, 2) ? 16 : m->n - i);
		if (k > m->n - i)
			k = m->n - i;
		char copy[MUT_CAP];
		memcpy(copy, m->b + i, k);
		i = rnd(g, m->n + 1);
		splice(m, i, 0, copy, k);
		break;
	}
	case OP_TRUNCATE:
		m->n = rnd(g, m->n);
		break;
	case OP_INSERT_LINE: {
		size_t lines = count_lines(m->b, m->n);
		if (!line_at(m, rnd(g, lines), &a, &al))
			a = m->n;
		if (rnd(g, 3) == 0 && line_at(m, rnd(g, lines), &b, &bl)) {
			char copy[MUT_CAP];
			memcpy(copy, m->b + b, bl);
			splice(m, a, 0, copy, bl);
		} else {
			const char *s = extra_lines[rnd(g, sizeof(extra_lines) / sizeof(extra_lines[0]))];
			splice(m, a, 0, s, strlen(s));
		}
		break;
	}
	case OP_DELETE_LINE:
		if (line_at(m, rnd(g, count_lines(m->b, m->n)), &a, &al))
			splice(m, a, al, "", 0);
		break;
	case OP_SWAP_LINES: {
		size_t lines = count_lines(m->b, m->n);
		size_t x = rnd(g, lines), y = rnd(g, lines);
		if (x > y) {
			size_t t = x;
			x = y;
			y = t;
		}
		if (x == y || !line_at(m, x, &a, &al) || !line_at(m, y, &b, &bl))
			break;
		/* [a, a+al) ... [b, b+bl) with a+al <= b */
		char copy[MUT_CAP];
		size_t mid = b - (a + al), n = 0;
		memcpy(copy + n, m->b + b, bl), n += bl;
		memcpy(copy + n, m->b + a + al, mid), n += mid;
		memcpy(copy + n, m->b + a, al), n += al;
		memcpy(m->b + a, copy, n);
		break;
	}
	case OP_VERSION:
		if (find_value(m, "mmfuzz-repro ", &a, &al) || find_value(m, "mmfuzz-trace ", &a, &al)) {
			const char *v = versions[rnd(g, sizeof(versions) / sizeof(versions[0]))];
			splice(m, a, al, v, strlen(v));
		}
		break;
	case OP_COUNT:
		if (find_value(m, count_key, &a, &al)) {
			size_t c = al < sizeof(tmp) ? al : 0;
			memcpy(tmp, m->b + a, c);
			tmp[c] = 0;
			unsigned long long n = strtoull(tmp, NULL, 10);
			switch (rnd(g, 8)) {
			case 0: snprintf(tmp, sizeof(tmp), "%llu", n + 1); break;
			case 1: snprintf(tmp, sizeof(tmp), "%llu", n ? n - 1 : 0); break;
			case 2: snprintf(tmp, sizeof(tmp), "0"); break;
			case 3: snprintf(tmp, sizeof(tmp), "%llu", n * 2); break;
			case 4: snprintf(tmp, sizeof(tmp), "%zu", rnd(g, 200)); break;
			case 5: snprintf(tmp, sizeof(tmp), "-%llu", n); break;
			case 6: snprintf(tmp, sizeof(tmp), "18446744073709551615"); break;
			default: snprintf(tmp, sizeof(tmp), "%s%llu", rnd(g, 2) ? "+" : "0", n); break;
			}
			splice(m, a, al, tmp, strlen(tmp));
		}
		break;
	case OP_LONG_RUN: {
		static char run[4096];
		k = long_runs[rnd(g, sizeof(long_runs) / sizeof(long_runs[0]))];
		memset(run, "0fa #,1"[rnd(g, 7)], k);
		i = rnd(g, m->n + 1);
		splice(m, i, 0, run, k);
		break;
	}
	}
}

struct outcomes {
	unsigned long mutants, accepted, rejected;
};

/* "line N: ..." with N a line the text has (or one past its end). */
static bool good_error(const char *err, size_t errlen, const char *text, size_t len)
{
	CHECK(memchr(err, 0, errlen));
	CHECK(!strncmp(err, "line ", 5));
	if (errlen > 64) {
		char *e;
		unsigned long ln = strtoul(err + 5, &e, 10);
		CHECK(e > err + 5 && *e == ':');
		CHECK(ln <= count_lines(text, len) + 1);
		CHECK(e[1] == ' ' && e[2]);
	}
	return true;
}

static bool valid_result(const char *res, bool crash_ok)
{
	return !strcmp(res, "clean") || (crash_ok && !strcmp(res, "crash")) ||
	       mmf_fail_from_name(res) >= 0;
}

/* One mutant in a buffer of exactly its length: either rejected with a
 * proper error, or accepted as a valid reproducer that round-trips. */
static bool check_repro_mutant(const char *text, size_t len, size_t errlen, struct outcomes *o)
{
	char err[320];
	struct mmf_repro r, q;
	memset(err, 0x5a, sizeof(err));
	o->mutants++;
	if (mmf_repro_parse(text, len, &r, err, errlen)) {
		o->rejected++;
		CHECK(good_error(err, errlen, text, len));
		for (size_t i = errlen; i < sizeof(err); i++)
			CHECK(err[i] == 0x5a);
		CHECK(r.input == NULL);
		return true;
	}
	o->accepted++;
	CHECK(r.len <= MMF_REPRO_MAX_INPUT);
	CHECK(r.input != NULL);
	CHECK(valid_result(r.result, true));
	CHECK(r.program[0] && r.variants[0] && r.build[0] && r.signature[0]);
	size_t l1, l2;
	char *t1 = write_repro(&r, &l1);
	CHECK(t1);
	if (mmf_repro_parse(t1, l1, &q, err, sizeof(err))) {
		fprintf(stderr, "  rewritten mutant rejected: %s\n  mutant: '%.*s'\n", err, (int)len, text);
		return false;
	}
	CHECK(same_repro(&r, &q));
	char *t2 = write_repro(&q, &l2);
	CHECK(t2 && l2 == l1 && !memcmp(t1, t2, l1));
	mmf_repro_free(&r);
	mmf_repro_free(&q);
	free(t1);
	free(t2);
	return true;
}

static bool valid_decision(const struct mmf_decision *d)
{
	CHECK(d->task < MMF_MAX_TASKS || d->task == 255);
	switch (d->kind) {
	case MMF_DEC_PICK:
		CHECK(d->chosen < MMF_MAX_TASKS || d->chosen == MMF_TICK);
		CHECK(d->set & (1u << d->chosen));
		CHECK(d->set & (d->set - 1));
		CHECK(!(d->set & ~((1u << MMF_MAX_TASKS) - 1) & ~(1u << MMF_TICK)));
		return true;
	case MMF_DEC_VALUE:
		CHECK(d->bound >= 2 && d->value < d->bound);
		return true;
	case MMF_DEC_FAULT:
		CHECK(d->chosen <= 1 && d->bound >= 1);
		return true;
	}
	return false;
}

static bool check_trace_mutant(const char *text, size_t len, size_t errlen, struct outcomes *o)
{
	char err[320];
	struct mmf_trace_file r, q;
	memset(err, 0x5a, sizeof(err));
	o->mutants++;
	if (mmf_trace_parse(text, len, &r, err, errlen)) {
		o->rejected++;
		CHECK(good_error(err, errlen, text, len));
		for (size_t i = errlen; i < sizeof(err); i++)
			CHECK(err[i] == 0x5a);
		CHECK(r.t.d == NULL && r.t.n == 0);
		return true;
	}
	o->accepted++;
	CHECK(r.h.program[0]);
	CHECK(valid_result(r.h.result, false));
	for (size_t i = 0; i < r.t.n; i++)
		CHECK(valid_decision(&r.t.d[i]));
	size_t l1, l2;
	char *t1 = write_trace(&r.h, &r.t, &l1);
	CHECK(t1);
	if (mmf_trace_parse(t1, l1, &q, err, sizeof(err))) {
		fprintf(stderr, "  rewritten mutant rejected: %s\n  mutant: '%.*s'\n", err, (int)len, text);
		return false;
	}
	CHECK(same_hdr(&r.h, &q.h));
	CHECK(same_decisions(&r.t, &q.t));
	char *t2 = write_trace(&q.h, &q.t, &l2);
	CHECK(t2 && l2 == l1 && !memcmp(t1, t2, l1));
	mmf_trace_file_free(&r);
	mmf_trace_file_free(&q);
	free(t1);
	free(t2);
	return true;
}

typedef bool (*check_fn)(const char *, size_t, size_t, struct outcomes *);

/* Every prefix, then mutants_per_format stacked mutants of seed. */
static bool fuzz(const char *name, const char *seed, size_t len, const char *count_key,
		 check_fn check, uint64_t rng_seed, struct outcomes *o)
{
	struct mmf_rng g;
	static struct mutant m;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mmf_rng_seed(&g, rng_seed);
	memset(o, 0, sizeof(*o));
	for (size_t n = 0; n <= len; n++) {
		char *p = dup_n(seed, n);
		bool ok = check(p, n, 256, o);
		free(p);
		if (!ok) {
			fprintf(stderr, "  %s prefix of %zu bytes\n", name, n);
			return false;
		}
	}
	CHECK_EQ(o->accepted, 2);       /* the whole file, and without its last newline */
	for (unsigned long i = 0; i < mutants_per_format; i++) {
		memcpy(m.b, seed, len);
		m.n = len;
		size_t ops = rnd(&g, 4) ? 1 + rnd(&g, 2) : 3 + rnd(&g, 6);
		for (size_t k = 0; k < ops; k++)
			mutate_once(&m, &g, count_key);
		/* A short error buffer now and then: truncated, never overrun. */
		size_t errlen = i % 7 == 3 ? 6 + rnd(&g, 20) : 256;
		char *p = dup_n(m.b, m.n);
		bool ok = check(p, m.n, errlen, o);
		if (!ok)
			fprintf(stderr, "  %s mutant %lu (%zu bytes): '%.*s'\n", name, i, m.n, (int)m.n, p);
		free(p);
		if (!ok)
			return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  %s: %lu mutants (%zu prefixes), %lu accepted, %lu rejected, %.2f s\n", name,
	       o->mutants, len + 1, o->accepted, o->rejected,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return true;
}

static bool test_repro_mutants_parse_cleanly_or_fail_with_a_line(void)
{
	size_t len;
	struct outcomes o;
	char *good = valid_repro(&len);
	CHECK(good);
	bool ok = fuzz("repro", good, len, "input ", check_repro_mutant, 0x7265707230ull, &o);
	free(good);
	CHECK(ok);
	CHECK(o.mutants >= mutants_per_format);
	/* Neither trivially permissive nor trivially strict. */
	CHECK(o.accepted >= mutants_per_format / 100);
	CHECK(o.rejected >= mutants_per_format / 2);
	return true;
}

static bool test_trace_mutants_parse_cleanly_or_fail_with_a_line(void)
{
	size_t len;
	struct outcomes o;
	char *good = valid_trace(&len);
	CHECK(good);
	bool ok = fuzz("trace", good, len, "decisions ", check_trace_mutant, 0x7472616365ull, &o);
	free(good);
	CHECK(ok);
	CHECK(o.mutants >= mutants_per_format);
	CHECK(o.accepted >= mutants_per_format / 100);
	CHECK(o.rejected >= mutants_per_format / 2);
	return true;
}

/* ---- finding signatures ------------------------------------------------------ */

static void signature_of(const char *text, char *sig, size_t len)
{
	static struct mmf_sched s;
	static const struct mmf_site site = {"core/x.c", 7, "f", "w"};
	memset(&s, 0, sizeof(s));
	s.failed = true;
	s.report.cls = MMF_FAIL_LEAK;
	s.report.site = &site;
	snprintf(s.report.text, sizeof(s.report.text), "%s", text);
	mmf_failure_signature(&s, "bugs=none", sig, len);
}

static bool test_signatures_fold_counts_not_words(void)
{
	char a[512], b[512], c[512];
	/* a count's noun is folded: one finding */
	signature_of("leak: 1 page frame still allocated at 0x7f01", a, sizeof(a));
	signature_of("leak: 3 page frames still allocated at 0x55aa", b, sizeof(b));
	CHECK_STR(a, b);
	signature_of("2 zswap entries left", a, sizeof(a));
	signature_of("1 zswap entry left", b, sizeof(b));
	CHECK_STR(a, b);
	/* words that merely end in s are left alone */
	signature_of("found zeroes where the loop reaches its class", c, sizeof(c));
	CHECK(strstr(c, "zeroes") && strstr(c, "reaches") && strstr(c, "class"));
	CHECK(!strstr(c, "zeroe ") && !strstr(c, "reache "));
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_repro_round_trip_keeps_every_field_and_byte),
		TEST(test_trace_round_trip_keeps_header_and_decisions),
		TEST(test_repro_parser_rejects_what_it_promises),
		TEST(test_trace_parser_rejects_what_it_promises),
		TEST(test_repro_mutants_parse_cleanly_or_fail_with_a_line),
		TEST(test_trace_mutants_parse_cleanly_or_fail_with_a_line),
		TEST(test_signatures_fold_counts_not_words),
	};
	if (argc > 2)
		mutants_per_format = strtoul(argv[2], NULL, 10);
	return RUN_TESTS(tests);
}
