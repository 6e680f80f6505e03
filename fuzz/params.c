/* params.c - see params.h. */
#define _GNU_SOURCE
#include "params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mmf_param_spec *find(const struct mmf_param_spec *spec, const char *key,
					 size_t klen)
{
	for (; spec && spec->key; spec++)
		if (strlen(spec->key) == klen && !strncmp(spec->key, key, klen))
			return spec;
	return NULL;
}

static void keys(const struct mmf_param_spec *spec, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (; spec && spec->key && off < len; spec++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", spec->key);
	if (!off)
		snprintf(buf, len, "(none)");
}

static int check_int(const struct mmf_param_spec *sp, const char *v, char *err, size_t len)
{
	const char *d = v + (*v == '-');
	bool canon = *d && strspn(d, "0123456789") == strlen(d) && !(d[0] == '0' && d[1]) &&
		     !(*v == '-' && d[0] == '0') && strlen(d) < 12;
	long x = 0;
	if (canon) {
		errno = 0;
		x = strtol(v, NULL, 10);
		canon = !errno;
	}
	if (!canon || x < sp->lo || x > sp->hi) {
		snprintf(err, len, "parameter %s=%s: expected an integer in %ld..%ld", sp->key, v, sp->lo,
			 sp->hi);
		return -1;
	}
	return 0;
}

static int check_list(const struct mmf_param_spec *sp, const char *v, char *err, size_t len)
{
	size_t n = strlen(v);
	if (v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,")) {
		snprintf(err, len, "parameter %s=%s: an empty item in the list", sp->key, v);
		return -1;
	}
	if (!sp->items)
		return 0;
	for (const char *p = v; *p;) {
		size_t l = strcspn(p, ",");
		bool ok = false;
		for (const char *const *it = sp->items; *it && !ok; it++)
			ok = strlen(*it) == l && !strncmp(*it, p, l);
		if (!ok) {
			snprintf(err, len, "parameter %s=%s: unknown item '%.*s'", sp->key, v, (int)l, p);
			return -1;
		}
		p += l + (p[l] == ',');
	}
	return 0;
}

int mmf_params_check(const char *params, const struct mmf_param_spec *spec, char *err,
		     size_t len)
{
	const char *seen[64];
	size_t seenlen[64];
	int nseen = 0;
	char val[1024], names[256];
	for (const char *p = params ? params : ""; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t w = strcspn(p, " ");
		const char *eq = memchr(p, '=', w);
		if (!eq) {
			snprintf(err, len, "parameter '%.*s' has no value (write key=value)", (int)w, p);
			return -1;
		}
		size_t klen = (size_t)(eq - p);
		if (!klen) {
			snprintf(err, len, "parameter '%.*s' has no key", (int)w, p);
			return -1;
		}
		const struct mmf_param_spec *sp = find(spec, p, klen);
		if (!sp) {
			keys(spec, names, sizeof(names));
			snprintf(err, len, "unknown parameter '%.*s' (this program takes: %s)", (int)klen,
				 p, names);
			return -1;
		}
		for (int i = 0; i < nseen; i++)
			if (seenlen[i] == klen && !strncmp(seen[i], p, klen)) {
				snprintf(err, len, "parameter %s given twice", sp->key);
				return -1;
			}
		if (nseen < 64) {
			seen[nseen] = p;
			seenlen[nseen++] = klen;
		}
		size_t vlen = w - klen - 1;
		if (!vlen) {
			snprintf(err, len, "parameter %s= has no value", sp->key);
			return -1;
		}
		if (vlen >= sizeof(val)) {
			snprintf(err, len, "parameter %s: value too long", sp->key);
			return -1;
		}
		memcpy(val, eq + 1, vlen);
		val[vlen] = 0;
		if (sp->type == MMF_P_INT && check_int(sp, val, err, len))
			return -1;
		if (sp->type == MMF_P_LIST && check_list(sp, val, err, len))
			return -1;
		p += w;
	}
	return 0;
}

bool mmf_param_given(const char *params, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = params ? params : ""; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, k) && p[k] == '=')
			return true;
		p += strcspn(p, " ");
	}
	return false;
}

int mmf_pct_decode(const char *p, const char *end, char *out, size_t room)
{
	size_t n = 0;
	while (p < end) {
		if (n + 1 >= room)
			return -1;
		if (*p == '%') {
			unsigned v;
			if (end - p < 3 || sscanf(p + 1, "%2x", &v) != 1)
				return -1;
			out[n++] = (char)v;
			p += 3;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	return (int)n;
}
