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

/* A site token's fields hold letters, digits, '_', '.' and '-' only; any
 * other character of a name ("teardown: drain I/O") is written as '_'. */
static char site_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			       c == '_' || c == '.' || c == '-' ? c : '_';
}

static size_t put_field(char *buf, size_t len, size_t off, const char *s)
{
	for (; *s && off + 1 < len; s++)
		buf[off++] = site_char(*s);
	buf[off < len ? off : len - 1] = 0;
	return off;
}

void mmf_site_token(const struct mmf_site *site, char *buf, size_t len)
{
	if (!site) {
		snprintf(buf, len, "-");
		return;
	}
	char line[16];
	snprintf(line, sizeof(line), ":%d:", site->line);
	size_t off = put_field(buf, len, 0, mmf_site_file(site));
	off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s", line);
	off = put_field(buf, len, off < len ? off : len - 1, site->func ? site->func : "?");
	if (off + 1 < len)
		buf[off++] = ':';
	buf[off < len ? off : len - 1] = 0;
	put_field(buf, len, off < len ? off : len - 1,
		  site->what && *site->what ? site->what : "-");
}

static bool same_text(const char *a, const char *b)
{
	a = a ? a : "";
	b = b ? b : "";
	for (; *a && *b; a++, b++)
		if (site_char(*a) != site_char(*b))
			return false;
	return !*a && !*b;
}

/* Lines may differ by the few lines a macro call spans: gcc numbers such a
 * call by its first line, clang by its last, and a trace recorded by one
 * build must replay in the other. */
#define SITE_LINE_SLACK 8

bool mmf_site_same(const struct mmf_site *a, const struct mmf_site *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->line - b->line > SITE_LINE_SLACK || b->line - a->line > SITE_LINE_SLACK)
		return false;
	const char *wa = a->what && *a->what ? a->what : "-";
	const char *wb = b->what && *b->what ? b->what : "-";
	return same_text(mmf_site_file(a), mmf_site_file(b)) && same_text(a->func, b->func) &&
	       same_text(wa, wb);
}

int mmf_trace_write(FILE *f, const struct mmf_trace_hdr *h, const struct mmf_trace *t)
{
	char set[128], site[512];
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
		mmf_site_token(d->site, site, sizeof(site));
		switch (d->kind) {
		case MMF_DEC_PICK:
			mmf_set_format(d->set, set, sizeof(set));
			if (d->chosen == MMF_TICK)
				fprintf(f, "p %s t %s %s", task, set, site);
			else
				fprintf(f, "p %s %d %s %s", task, d->chosen, set, site);
			if (d->preempt)
				fprintf(f, "\t# preempt");
			break;
		case MMF_DEC_VALUE:
			fprintf(f, "v %s %" PRIu64 " %" PRIu64 " %s", task, d->value, d->bound, site);
			break;
		case MMF_DEC_FAULT:
			fprintf(f, "f %s %d %" PRIu64 " %s", task, d->chosen, d->bound, site);
			break;
		default:
			mmf_internal("trace entry %zu has kind %d", i, d->kind);
		}
		fputc('\n', f);
	}
	fprintf(f, "end\n");
	return ferror(f) ? -1 : 0;
}

/* ---- sites read from a file: interned, owned by the trace file ---------------- */

struct pool_ent {
	struct mmf_site site;
	char *text;             /* the token, cut into file, func, what */
};
struct mmf_site_pool {
	struct pool_ent **e;            /* each its own allocation: sites stay put */
	size_t n, cap;
	uint32_t *hash;         /* open addressing: index + 1, 0 empty */
	size_t hcap;
};

MMF_WRAPS static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void pool_free(struct mmf_site_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i]->text);
		free(p->e[i]);
	}
	free(p->e);
	free(p->hash);
	free(p);
}

static void pool_rehash(struct mmf_site_pool *p)
{
	size_t cap = p->hcap ? p->hcap * 2 : 256;
	uint32_t *h = calloc(cap, sizeof(*h));
	if (!h)
		mmf_internal("out of memory reading a trace");
	for (size_t i = 0; i < p->n; i++) {
		char tok[600];
		mmf_site_token(&p->e[i]->site, tok, sizeof(tok));
		size_t k = str_hash(tok) & (cap - 1);
		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = (uint32_t)i + 1;
	}
	free(p->hash);
	p->hash = h;
	p->hcap = cap;
}

/* The site a token names (NULL for '-'), or -1 in *bad if malformed. */
static const struct mmf_site *pool_site(struct mmf_site_pool *p, const char *tok, int *bad)
{
	*bad = 0;
	if (!strcmp(tok, "-"))
		return NULL;
	if (p->hcap) {
		size_t k = str_hash(tok) & (p->hcap - 1);
		for (; p->hash[k]; k = (k + 1) & (p->hcap - 1)) {
			char have[600];
			const struct pool_ent *e = p->e[p->hash[k] - 1];
			mmf_site_token(&e->site, have, sizeof(have));
			if (!strcmp(have, tok))
				return &e->site;
		}
	}
	/* file:line:func:what, each non-empty, the line a canonical number */
	char *text = strdup(tok);
	if (!text)
		mmf_internal("out of memory reading a trace");
	char *f[4];
	int n = 0;
	f[n++] = text;
	for (char *c = text; *c && n < 5; c++)
		if (*c == ':') {
			*c = 0;
			if (n == 4) {
				n = 5;
				break;
			}
			f[n++] = c + 1;
		}
	uint64_t line = 0;
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	bool ok = n == 4 && *f[0] && *f[2] && *f[3] && strspn(f[1], "0123456789") == strlen(f[1]) &&
		  *f[1] && !(f[1][0] == '0' && f[1][1]) && strlen(f[1]) < 9 &&
		  strspn(f[0], chars) == strlen(f[0]) && strspn(f[2], chars) == strlen(f[2]) &&
		  strspn(f[3], chars) == strlen(f[3]);
	if (ok)
		line = strtoull(f[1], NULL, 10);
	if (!ok) {
		free(text);
		*bad = 1;
		return NULL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct pool_ent **e = realloc(p->e, cap * sizeof(*e));
		if (!e)
			mmf_internal("out of memory reading a trace");
		p->e = e;
		p->cap = cap;
	}
	struct pool_ent *e = malloc(sizeof(*e));
	if (!e)
		mmf_internal("out of memory reading a trace");
	p->e[p->n++] = e;
	e->text = text;
	e->site = (struct mmf_site){f[0], (int)line, f[2], strcmp(f[3], "-") ? f[3] : NULL};
	if (p->n * 2 > p->hcap)
		pool_rehash(p);
	else {
		size_t k = str_hash(tok) & (p->hcap - 1);
		while (p->hash[k])
			k = (k + 1) & (p->hcap - 1);
		p->hash[k] = (uint32_t)p->n;
	}
	return &e->site;
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

/* Exactly nf fields separated by single spaces, each fitting its buffer. */
static int split_fields(const char *line, int nf, char *const *dst, const size_t *cap)
{
	const char *p = line;
	for (int i = 0; i < nf; i++) {
		size_t n = strcspn(p, " ");
		if (!n || n >= cap[i])
			return -1;
		memcpy(dst[i], p, n);
		dst[i][n] = 0;
		p += n;
		if (i < nf - 1) {
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
		return -2;
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
	if (buf[0] == 1)
		return perr(ps, "line too long (more than %zu bytes)", len - 1);
	if (buf[0] == 2)
		return perr(ps, "NUL byte in the '%s' line", key);
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
	int version = 0;
	int m = buf[0] == 1 ? -1 : mmf_parse_magic(buf, "mmfuzz-trace", &version);
	if (m == -1)
		return perr(&ps, "not an mmfuzz trace (first line must be 'mmfuzz-trace %d')",
			    MMF_TRACE_VERSION);
	if (m == -2)
		return perr(&ps, "bad trace format version '%.20s' (this build reads versions 1 and %d)",
			    buf + strlen("mmfuzz-trace "), MMF_TRACE_VERSION);
	if (version != MMF_TRACE_VERSION && version != 1)
		return perr(&ps, "unsupported trace format version %d (this build reads versions 1 "
			    "and %d)", version, MMF_TRACE_VERSION);
	out->version = version;
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
	if (strcmp(h->result, "clean") && mmf_fail_from_name(h->result) <= 0)
		return perr(&ps, "unknown result '%s'", h->result);
	/* The variants line repeats the params' bugs= (the writer takes it
	 * from there): a file where they differ was edited or damaged. */
	char bugs[256];
	mmf_param(h->params, "bugs", bugs, sizeof(bugs));
	if (strcmp(h->variants, bugs[0] ? bugs : "none"))
		return perr(&ps, "'variants %.60s' does not match the params' bugs=%.60s", h->variants,
			    bugs[0] ? bugs : "(none)");
	if (header(&ps, buf, sizeof(buf), "steps", val, sizeof(val)))
		return -1;
	if (parse_u64(val, &h->steps))
		return perr(&ps, "bad step count '%s'", val);
	if (header(&ps, buf, sizeof(buf), "decisions", val, sizeof(val)))
		return -1;
	if (parse_u64(val, &n) || n > MAX_DECISIONS)
		return perr(&ps, "bad decision count '%s'", val);

	out->sites = calloc(1, sizeof(*out->sites));
	if (!out->sites)
		mmf_internal("out of memory reading a trace");
	bool picked = false;
	for (uint64_t i = 0; i < n; i++) {
		if (!next_line(&ps, buf, sizeof(buf))) {
			mmf_trace_file_free(out);
			return perr(&ps, "truncated: %" PRIu64 " of %" PRIu64 " decisions", i, n);
		}
		char k[4], a[32], b[64], c[256], st[256];
		char *dst[5] = {k, a, b, c, st};
		const size_t cap[5] = {sizeof(k), sizeof(a), sizeof(b), sizeof(c), sizeof(st)};
		struct mmf_decision d = {0};
		int bad = buf[0] == 1 || buf[0] == 2 ||
			  split_fields(buf, version == 1 ? 4 : 5, dst, cap) || strlen(k) != 1;
		const char *why = NULL;
		if (!bad) {
			d.kind = (uint8_t)k[0];
			bad = parse_task(a, &d.task);
		}
		if (!bad && version >= 2) {
			d.site = pool_site(out->sites, st, &bad);
			if (bad)
				why = "bad site (file:line:function:operation or -)";
		}
		/* Only the first pick of a run is taken with no task running
		 * (the run's start); every later one is taken in a task. */
		if (!bad && d.kind == MMF_DEC_PICK && d.task == 255 && picked) {
			bad = 1;
			why = "a pick with no running task after the run started";
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
			mmf_trace_file_free(out);
			if (buf[0] == 1)
				return perr(&ps, "line too long (more than %zu bytes)", sizeof(buf) - 1);
			if (why)
				return perr(&ps, "bad decision '%.60s': %s", buf, why);
			return perr(&ps, "bad decision '%.60s'", buf[0] == 2 ? "(NUL byte)" : buf);
		}
		picked |= d.kind == MMF_DEC_PICK;
		mmf_trace_push(&out->t, &d);
	}
	const char *e = next_line(&ps, buf, sizeof(buf));
	if (!e || strcmp(buf, "end")) {
		mmf_trace_file_free(out);
		if (e && buf[0] == 1)
			return perr(&ps, "line too long (more than %zu bytes)", sizeof(buf) - 1);
		return perr(&ps, "truncated or overlong: expected 'end' after %" PRIu64 " decisions", n);
	}
	if (next_line(&ps, buf, sizeof(buf))) {
		mmf_trace_file_free(out);
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

void mmf_trace_file_free(struct mmf_trace_file *tf)
{
	mmf_trace_free(&tf->t);
	pool_free(tf->sites);
	tf->sites = NULL;
}

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
