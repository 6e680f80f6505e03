/* repro.c - reproducer files; see repro.h. */
#define _GNU_SOURCE
#include "repro.h"
#include "scheduler.h"
#include "trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Append without stdio or allocation (the signal path uses this). */
struct out {
	char *b;
	size_t n, cap;
	bool full;
};

static void put(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (o->n + 1 >= o->cap) {
			o->full = true;
			return;
		}
		o->b[o->n++] = *s;
	}
}

static void put_u(struct out *o, unsigned long long v)
{
	char t[24];
	int i = 0;
	do
		t[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < 23);
	char r[24];
	int k = 0;
	while (i)
		r[k++] = t[--i];
	r[k] = 0;
	put(o, r);
}

size_t mmf_repro_format(char *buf, size_t cap, const struct mmf_repro *r)
{
	static const char hex[] = "0123456789abcdef";
	struct out o = {buf, 0, cap, false};
	put(&o, "mmfuzz-repro ");
	put_u(&o, MMF_REPRO_VERSION);
	put(&o, "\nprogram ");
	put(&o, r->program);
	put(&o, "\nparams ");
	put(&o, r->params[0] ? r->params : "-");
	put(&o, "\nvariants ");
	put(&o, r->variants[0] ? r->variants : "none");
	put(&o, "\nbuild ");
	put(&o, r->build[0] ? r->build : "-");
	put(&o, "\nresult ");
	put(&o, r->result[0] ? r->result : "clean");
	put(&o, "\nsignature ");
	put(&o, r->signature[0] ? r->signature : "-");
	put(&o, "\ninput ");
	put_u(&o, r->len);
	put(&o, "\n");
	for (size_t i = 0; i < r->len; i++) {
		char x[4] = {hex[r->input[i] >> 4], hex[r->input[i] & 15], 0, 0};
		if (i % 32 == 31 || i + 1 == r->len)
			x[2] = '\n';
		put(&o, x);
	}
	put(&o, "end\n");
	if (cap)
		buf[o.n < cap ? o.n : cap - 1] = 0;
	return o.full ? 0 : o.n;
}

size_t mmf_repro_size(const struct mmf_repro *r)
{
	return 3 * sizeof(*r) + 2 * r->len + r->len / 32 + 64;
}

int mmf_repro_write(FILE *f, const struct mmf_repro *r)
{
	size_t cap = mmf_repro_size(r);
	char *buf = malloc(cap);
	if (!buf)
		mmf_internal("out of memory writing a reproducer");
	size_t n = mmf_repro_format(buf, cap, r);
	if (!n)
		mmf_internal("reproducer buffer too small");
	fwrite(buf, 1, n, f);
	free(buf);
	return ferror(f) ? -1 : 0;
}

struct rp {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
};

static int rerr(struct rp *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rerr(struct rp *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "line %d: %s", ps->line, msg);
	return -1;
}

/* The next line without its newline; NULL at the end or if too long. */
static bool line(struct rp *ps, char *buf, size_t len, bool *too_long)
{
	*too_long = false;
	if (ps->p >= ps->end)
		return false;
	const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	const char *e = nl ? nl : ps->end;
	size_t n = (size_t)(e - ps->p);
	ps->line++;
	if (n >= len || memchr(ps->p, 0, n)) {
		*too_long = true;
		ps->p = nl ? nl + 1 : ps->end;
		return true;
	}
	memcpy(buf, ps->p, n);
	buf[n] = 0;
	ps->p = nl ? nl + 1 : ps->end;
	return true;
}

static int field(struct rp *ps, const char *key, char *val, size_t len)
{
	char buf[2048];
	bool long_line;
	if (!line(ps, buf, sizeof(buf), &long_line))
		return rerr(ps, "truncated: expected '%s'", key);
	if (long_line)
		return rerr(ps, "line too long or with a NUL byte (expected '%s ...')", key);
	size_t k = strlen(key);
	if (strncmp(buf, key, k) || buf[k] != ' ')
		return rerr(ps, "expected '%s ...'", key);
	if (strlen(buf + k + 1) >= len)
		return rerr(ps, "'%s' value too long", key);
	strcpy(val, buf + k + 1);
	if (!val[0])
		return rerr(ps, "empty '%s'", key);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool mmf_is_repro(const char *text, size_t len)
{
	return len >= 13 && !memcmp(text, "mmfuzz-repro ", 13);
}

bool mmf_is_trace(const char *text, size_t len)
{
	return len >= 13 && !memcmp(text, "mmfuzz-trace ", 13);
}

int mmf_repro_parse(const char *text, size_t len, struct mmf_repro *r, char *err, size_t errlen)
{
	struct rp ps = {text, text + len, 0, err, errlen};
	char buf[2048], num[32];
	bool long_line;
	int version;

	memset(r, 0, sizeof(*r));
	int m = !line(&ps, buf, sizeof(buf), &long_line) || long_line ? -1 :
		mmf_parse_magic(buf, "mmfuzz-repro", &version);
	if (m == -1)
		return rerr(&ps, "not an mmfuzz reproducer (first line must be 'mmfuzz-repro %d')",
			    MMF_REPRO_VERSION);
	if (m == -2)
		return rerr(&ps, "bad reproducer format version '%.20s' (this build reads version %d)",
			    buf + strlen("mmfuzz-repro "), MMF_REPRO_VERSION);
	if (version != MMF_REPRO_VERSION)
		return rerr(&ps, "unsupported reproducer format version %d (this build reads "
			    "version %d)", version, MMF_REPRO_VERSION);
	if (field(&ps, "program", r->program, sizeof(r->program)) ||
	    field(&ps, "params", r->params, sizeof(r->params)) ||
	    field(&ps, "variants", r->variants, sizeof(r->variants)) ||
	    field(&ps, "build", r->build, sizeof(r->build)) ||
	    field(&ps, "result", r->result, sizeof(r->result)) ||
	    field(&ps, "signature", r->signature, sizeof(r->signature)) ||
	    field(&ps, "input", num, sizeof(num)))
		return -1;
	if (!strcmp(r->params, "-"))
		r->params[0] = 0;
	if (strcmp(r->result, "clean") && mmf_fail_from_name(r->result) <= 0)
		return rerr(&ps, "unknown result '%s'", r->result);
	/* the variants line repeats the params' bugs= */
	char bugs[512];
	mmf_param(r->params, "bugs", bugs, sizeof(bugs));
	if (strcmp(r->variants, bugs[0] ? bugs : "none"))
		return rerr(&ps, "'variants %.60s' does not match the params' bugs=%.60s", r->variants,
			    bugs[0] ? bugs : "(none)");
	char *endp;
	unsigned long long n = strtoull(num, &endp, 10);
	if (*endp || num[0] == '-' || n > MMF_REPRO_MAX_INPUT)
		return rerr(&ps, "bad input length '%s' (at most %u bytes)", num, MMF_REPRO_MAX_INPUT);
	r->len = (size_t)n;
	r->input = malloc(r->len ? r->len : 1);
	if (!r->input)
		mmf_internal("out of memory reading a reproducer");
	size_t got = 0;
	while (got < r->len) {
		if (!line(&ps, buf, sizeof(buf), &long_line)) {
			mmf_repro_free(r);
			return rerr(&ps, "truncated: %zu of %zu input bytes", got, (size_t)n);
		}
		size_t l = strlen(buf);
		if (long_line) {
			mmf_repro_free(r);
			return rerr(&ps, "line too long or with a NUL byte in the input");
		}
		if (!l || l % 2 || got + l / 2 > r->len) {
			mmf_repro_free(r);
			return rerr(&ps, "bad input line (hex, at most the declared length)");
		}
		for (size_t i = 0; i < l; i += 2) {
			int hi = hexval(buf[i]), lo = hexval(buf[i + 1]);
			if (hi < 0 || lo < 0) {
				mmf_repro_free(r);
				return rerr(&ps, "bad hex digit in the input");
			}
			r->input[got++] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (!line(&ps, buf, sizeof(buf), &long_line) || long_line || strcmp(buf, "end")) {
		mmf_repro_free(r);
		return rerr(&ps, "truncated: missing 'end'");
	}
	if (ps.p != ps.end) {
		mmf_repro_free(r);
		ps.line++;
		return rerr(&ps, "trailing text after 'end'");
	}
	return 0;
}

void mmf_repro_free(struct mmf_repro *r)
{
	free(r->input);
	r->input = NULL;
	r->len = 0;
}
