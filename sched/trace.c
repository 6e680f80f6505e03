/* trace.c - writing and strictly parsing traces; see trace.h. */
#define _GNU_SOURCE
#include "trace.h"
#include "decide.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DECISIONS 100000000ull

int mmf_trace_write(FILE *f, const struct mmf_trace_hdr *h, const struct mmf_trace *t)
{
	char set[128];
	fprintf(f, "mmfuzz-trace %d\n", MMF_TRACE_VERSION);
	fprintf(f, "program %s\n", h->program);
	fprintf(f, "params %s\n", h->params[0] ? h->params : "-");
	fprintf(f, "source %s\n", h->source[0] ? h->source : "-");
	fprintf(f, "variants %s\n", h->variants[0] ? h->variants : "none");
	fprintf(f, "result %s\n", h->result[0] ? h->result : "clean");
	fprintf(f, "steps %" PRIu64 "\n", h->steps);
	fprintf(f, "decisions %zu\n", t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct mmf_decision *d = &t->d[i];
		char task[8];
		if (d->task == 255)
			snprintf(task, sizeof(task), "-");
		else
			snprintf(task, sizeof(task), "%d", d->task);
		switch (d->kind) {
		case MMF_DEC_PICK:
			mmf_set_format(d->set, set, sizeof(set));
			if (d->chosen == MMF_TICK)
				fprintf(f, "p %s t %s", task, set);
			else
				fprintf(f, "p %s %d %s", task, d->chosen, set);
			break;
		case MMF_DEC_VALUE:
			fprintf(f, "v %s %" PRIu64 " %" PRIu64, task, d->value, d->bound);
			break;
		case MMF_DEC_FAULT:
			fprintf(f, "f %s %d %" PRIu64, task, d->chosen, d->bound);
			break;
		default:
			mmf_internal("trace entry %zu has kind %d", i, d->kind);
		}
		if (d->site)
			fprintf(f, "\t# %s:%d %s %s%s", mmf_site_file(d->site), d->site->line,
				d->site->func, d->site->what ? d->site->what : "",
				d->preempt ? " (preempt)" : "");
		fputc('\n', f);
	}
	fprintf(f, "end\n");
	return ferror(f) ? -1 : 0;
}

struct parser {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
};

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ps->err, ps->errlen, "line %d: ", ps->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Next line without its comment and trailing blanks; NULL at the end. */
static const char *next_line(struct parser *ps, char *buf, size_t len)
{
	for (;;) {
		if (ps->p >= ps->end)
			return NULL;
		const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
		size_t n = nl ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);
		ps->line++;
		const char *start = ps->p;
		ps->p = nl ? nl + 1 : ps->end;
		if (n >= len) {
			snprintf(buf, len, "%s", "\x01");   /* too long: flagged below */
			return buf;
		}
		memcpy(buf, start, n);
		buf[n] = 0;
		if (memchr(buf, 0, n))
			return strcpy(buf, "\x02");
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		size_t m = strlen(buf);
		while (m && (buf[m - 1] == ' ' || buf[m - 1] == '\t' || buf[m - 1] == '\r'))
			buf[--m] = 0;
		if (m)
			return buf;
	}
}

/* Exactly four fields separated by single spaces, each fitting its buffer. */
static int split4(const char *line, char *a, size_t al, char *b, size_t bl, char *c, size_t cl,
		  char *d, size_t dl)
{
	char *dst[4] = {a, b, c, d};
	size_t cap[4] = {al, bl, cl, dl};
	const char *p = line;
	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(p, " ");
		if (!n || n >= cap[i])
			return -1;
		memcpy(dst[i], p, n);
		dst[i][n] = 0;
		p += n;
		if (i < 3) {
			if (*p != ' ')
				return -1;
			p++;
		}
	}
	return *p ? -1 : 0;
}

int mmf_parse_magic(const char *line, const char *magic, int *version)
{
	size_t m = strlen(magic);
	if (strncmp(line, magic, m) || line[m] != ' ')
		return -1;
	const char *v = line + m + 1;
	size_t n = strspn(v, "0123456789");
	if (!n || n > 6 || v[n] || (v[0] == '0' && n > 1))
		return -1;
	*version = atoi(v);
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	/* canonical decimal only: what the writer writes */
	if (!*s || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
		return -1;
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || *e)
		return -1;
	*out = v;
	return 0;
}

static int parse_task(const char *s, uint8_t *out)
{
	uint64_t v;
	if (!strcmp(s, "-")) {
		*out = 255;
		return 0;
	}
	if (parse_u64(s, &v) || v >= MMF_MAX_TASKS)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static int parse_set(const char *s, uint32_t *out)
{
	uint32_t set = 0;
	char buf[256];
	size_t n = strlen(s);
	if (n >= sizeof(buf) || !n || s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
		return -1;
	strcpy(buf, s);
	int last = -1;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		if (!strcmp(tok, "t"))
			v = MMF_TICK;
		else if (parse_u64(tok, &v) || v >= MMF_MAX_TASKS)
			return -1;
		if ((int)v <= last)     /* ascending, as written */
			return -1;
		last = (int)v;
		set |= 1u << v;
	}
	if (!set)
		return -1;
	*out = set;
	return 0;
}

static int header(struct parser *ps, char *buf, size_t len, const char *key, char *val,
		  size_t vlen)
{
	if (!next_line(ps, buf, len))
		return perr(ps, "truncated: expected '%s'", key);
	size_t k = strlen(key);
	if (strncmp(buf, key, k) || (buf[k] != ' ' && buf[k] != 0))
		return perr(ps, "expected '%s', found '%.40s'", key, buf);
	const char *v = buf + k;
	while (*v == ' ')
		v++;
	if (!*v)
		return perr(ps, "empty %s", key);
	if (strlen(v) >= vlen)
		return perr(ps, "'%s' value too long", key);
	strcpy(val, v);
	return 0;
}

int mmf_trace_parse(const char *text, size_t len, struct mmf_trace_file *out, char *err,
		    size_t errlen)
{
	struct parser ps = {text, text + len, 0, err, errlen};
	char buf[4096], val[512];
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if (!next_line(&ps, buf, sizeof(buf)))
		return perr(&ps, "empty file, not an mmfuzz trace");
	int version;
	char extra;
	if (sscanf(buf, "mmfuzz-trace %d%c", &version, &extra) != 1)
		return perr(&ps, "not an mmfuzz trace (first line must be 'mmfuzz-trace %d')",
			    MMF_TRACE_VERSION);
	if (version != MMF_TRACE_VERSION)
		return perr(&ps, "unsupported trace format version %d (this build reads version %d)",
			    version, MMF_TRACE_VERSION);
	struct mmf_trace_hdr *h = &out->h;
	if (header(&ps, buf, sizeof(buf), "program", h->program, sizeof(h->program)) ||
	    header(&ps, buf, sizeof(buf), "params", h->params, sizeof(h->params)) ||
	    header(&ps, buf, sizeof(buf), "source", h->source, sizeof(h->source)) ||
	    header(&ps, buf, sizeof(buf), "variants", h->variants, sizeof(h->variants)) ||
	    header(&ps, buf, sizeof(buf), "result", h->result, sizeof(h->result)))
		return -1;
	if (!strcmp(h->params, "-"))
		h->params[0] = 0;
	if (!h->program[0])
		return perr(&ps, "empty program name");
	if (strcmp(h->result, "clean") && mmf_fail_from_name(h->result) < 0)
		return perr(&ps, "unknown result '%s'", h->result);
	if (header(&ps, buf, sizeof(buf), "steps", val, sizeof(val)))
		return -1;
	if (parse_u64(val, &h->steps))
		return perr(&ps, "bad step count '%s'", val);
	if (header(&ps, buf, sizeof(buf), "decisions", val, sizeof(val)))
		return -1;
	if (parse_u64(val, &n) || n > MAX_DECISIONS)
		return perr(&ps, "bad decision count '%s'", val);

	for (uint64_t i = 0; i < n; i++) {
		if (!next_line(&ps, buf, sizeof(buf))) {
			mmf_trace_free(&out->t);
			return perr(&ps, "truncated: %" PRIu64 " of %" PRIu64 " decisions", i, n);
		}
		char k[4], a[32], b[64], c[256];
		struct mmf_decision d = {0};
		int bad = buf[0] == 1 || buf[0] == 2 ||
			  split4(buf, k, sizeof(k), a, sizeof(a), b, sizeof(b), c, sizeof(c)) ||
			  strlen(k) != 1;
		if (!bad) {
			d.kind = (uint8_t)k[0];
			bad = parse_task(a, &d.task);
		}
		if (!bad) {
			uint64_t x;
			switch (d.kind) {
			case MMF_DEC_PICK:
				if (!strcmp(b, "t"))
					d.chosen = MMF_TICK;
				else if (parse_u64(b, &x) || x >= MMF_MAX_TASKS)
					bad = 1;
				else
					d.chosen = (uint8_t)x;
				bad = bad || parse_set(c, &d.set) || !(d.set & (1u << d.chosen)) ||
				      !(d.set & (d.set - 1));
				break;
			case MMF_DEC_VALUE:
				bad = parse_u64(b, &d.value) || parse_u64(c, &d.bound) ||
				      d.bound < 2 || d.value >= d.bound;
				break;
			case MMF_DEC_FAULT:
				bad = parse_u64(b, &x) || x > 1 || parse_u64(c, &d.bound) || !d.bound;
				d.chosen = bad ? 0 : (uint8_t)x;
				break;
			default:
				bad = 1;
			}
		}
		if (bad) {
			mmf_trace_free(&out->t);
			if (buf[0] == 1)
				return perr(&ps, "line too long");
			return perr(&ps, "bad decision '%.60s'", buf[0] == 2 ? "(NUL byte)" : buf);
		}
		mmf_trace_push(&out->t, &d);
	}
	if (!next_line(&ps, buf, sizeof(buf)) || strcmp(buf, "end")) {
		mmf_trace_free(&out->t);
		return perr(&ps, "truncated or overlong: expected 'end' after %" PRIu64 " decisions", n);
	}
	if (next_line(&ps, buf, sizeof(buf))) {
		mmf_trace_free(&out->t);
		return perr(&ps, "unexpected text after 'end'");
	}
	return 0;
}

int mmf_trace_load(const char *path, struct mmf_trace_file *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	for (;;) {
		if (!text) {
			fclose(f);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		size_t got = fread(text + len, 1, cap - len, f);
		len += got;
		if (len < cap)
			break;
		if (cap >= (1u << 30)) {
			free(text);
			fclose(f);
			snprintf(err, errlen, "file larger than 1 GiB");
			return -1;
		}
		cap *= 2;
		text = realloc(text, cap);
	}
	int rd_err = ferror(f);
	fclose(f);
	if (rd_err) {
		free(text);
		snprintf(err, errlen, "read error");
		return -1;
	}
	int rc = mmf_trace_parse(text, len, out, err, errlen);
	free(text);
	return rc;
}

void mmf_trace_file_free(struct mmf_trace_file *tf) { mmf_trace_free(&tf->t); }

const char *mmf_param(const char *params, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);
	const char *p = params;
	buf[0] = 0;
	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, k) && p[k] == '=') {
			const char *v = p + k + 1;
			size_t n = strcspn(v, " ");
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = 0;
			return buf;
		}
		p += strcspn(p, " ");
	}
	return buf;
}
