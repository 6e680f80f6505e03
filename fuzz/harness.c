/* harness.c - see harness.h. */
#define _GNU_SOURCE
#include "harness.h"
#include "sanitizer.h"
#include "trace.h"
#include "variant.h"

#if MMF_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#ifndef MMF_BUILD_INFO
#define MMF_BUILD_INFO "mmfuzz (unknown build)"
#endif

const char *mmf_build_info(void) { return MMF_BUILD_INFO; }

int mmf_harness_init(struct mmf_harness *h, const char *program, const char *bugs,
		     const char *extra, char *err, size_t errlen)
{
	char bad[64];
	memset(h, 0, sizeof(*h));
	const struct mmf_program *p = mmf_program_find(program && *program ? program : "mm");
	if (!p) {
		snprintf(err, errlen, "unknown program '%s' (see 'mmfuzz list')", program);
		return -1;
	}
	bool mm = !strcmp(p->name, "mm");
	if (!mm && bugs && *bugs && strcmp(bugs, "none")) {
		snprintf(err, errlen, "bug variants apply to the mm program, not %s", p->name);
		return -1;
	}
	if (mm && bugs && mm_variants_parse(bugs, bad, sizeof(bad)) < 0) {
		snprintf(err, errlen, "unknown bug variant '%s' (see 'mmfuzz list')", bad);
		return -1;
	}
	if (!extra)
		extra = mm ? "" : p->default_params;
	int n = mm ? snprintf(h->params, sizeof(h->params), "%s%sbugs=%s", extra,
			      *extra ? " " : "", bugs && *bugs ? bugs : "none") :
		     snprintf(h->params, sizeof(h->params), "%s", extra);
	if (n < 0 || (size_t)n >= sizeof(h->params)) {
		snprintf(err, errlen, "program parameters too long");
		return -1;
	}
	return mmf_harness_init_params(h, p, h->params, err, errlen);
}

int mmf_harness_init_params(struct mmf_harness *h, const struct mmf_program *prog,
			    const char *params, char *err, size_t errlen)
{
	if (h->params != params) {
		memset(h, 0, sizeof(*h));
		if (strlen(params) >= sizeof(h->params)) {
			snprintf(err, errlen, "program parameters too long");
			return -1;
		}
		strcpy(h->params, params);
	}
	h->prog = prog;
	/* Set up once here (without running) so a bad parameter is a usage
	 * error, not a run. */
	mmf_input_src_init(&h->in, NULL, 0);
	struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS};
	mmf_sched_init(&h->s, &o, &h->in.base);
	char perr[256];
	if (mmf_setup_program(&h->s, h->prog, h->params, perr, sizeof(perr))) {
		snprintf(err, errlen, "%s", perr);
		mmf_sched_destroy(&h->s);
		return -1;
	}
	mmf_sched_reset(&h->s);
	return 0;
}

void mmf_harness_opts(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx,
		      bool record, bool log)
{
	h->s.opts.feature = feature;
	h->s.opts.feature_ctx = ctx;
	h->s.opts.record = record;
	h->s.opts.log = log;
}

enum mmf_run_status mmf_harness_run(struct mmf_harness *h, const uint8_t *data, size_t size)
{
	int bad;
	char err[256];
	if (size > MMF_INPUT_MAX)
		size = MMF_INPUT_MAX;
	struct mmf_pick_rec *rec = h->in.rec;
	uint32_t cap = h->in.rec_cap;
	mmf_input_src_init(&h->in, data, size);
	h->in.rec = rec;
	h->in.rec_cap = cap;
	enum mmf_run_status st = mmf_run_program(&h->s, h->prog, h->params, err, sizeof(err), &bad);
	if (bad)
		mmf_internal("harness: parameters stopped parsing: %s", err);
	return st;
}

void mmf_harness_shape(const struct mmf_harness *h, struct mmf_shape *shape)
{
	shape->picks = h->in.picks;
	shape->front = (uint32_t)h->in.front;
	shape->back = (uint32_t)(h->in.len - h->in.back);
}

size_t mmf_harness_study(struct mmf_harness *h, const uint8_t *data, size_t size,
			 struct mmf_shape *shape, struct mmf_mut_pick *out, size_t cap)
{
	static struct mmf_pick_rec rec[MMF_MUT_MAX_PICKS];
	void (*f)(void *, uint32_t) = h->s.opts.feature;
	h->s.opts.feature = NULL;
	h->in.rec = cap ? rec : NULL;
	h->in.rec_cap = cap ? MMF_MUT_MAX_PICKS : 0;
	mmf_harness_run(h, data, size);
	h->in.rec = NULL;
	h->in.rec_cap = 0;
	h->s.opts.feature = f;
	mmf_harness_shape(h, shape);
	size_t n = h->in.nrec < cap ? h->in.nrec : cap;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct mmf_mut_pick){rec[i].obj, rec[i].set, rec[i].task, rec[i].dflt,
					       rec[i].chosen};
	return n;
}

void mmf_harness_destroy(struct mmf_harness *h) { mmf_sched_destroy(&h->s); }

/* The singular of a count's noun: "frames" -> "frame", "entries" ->
 * "entry"; a word that is not plural ("class", "status") is left. */
static void singular(char *w, size_t *n)
{
	size_t l = *n;
	if (l > 4 && !strncmp(w + l - 3, "ies", 3)) {
		w[l - 3] = 'y';
		*n = l - 2;
	} else if (l > 3 && w[l - 1] == 's' && w[l - 2] != 's' && w[l - 2] != 'u' &&
		   w[l - 2] != 'i') {
		*n = l - 1;
	}
}

void mmf_failure_signature(const struct mmf_sched *s, const char *params, char *buf, size_t len)
{
	char bugs[512], first[160];
	size_t n = 0;
	mmf_param(params ? params : "", "bugs", bugs, sizeof(bugs));
	/* The report's first line with numbers and addresses blanked, and the
	 * nouns a count governs made singular ("1 page frame" and "3 page
	 * frames" are one finding; "reaches" stays "reaches"), repeated list
	 * items collapsed (one slot and four in a list are one finding). */
	int after_count = 99;           /* words since the last number */
	const char *p = s->report.text;
	while (*p && *p != '\n' && n + 1 < sizeof(first)) {
		if (p[0] == '0' && p[1] == 'x') {
			first[n++] = '#';
			p += 2;
			while (isxdigit((unsigned char)*p))
				p++;
			after_count = 0;
		} else if (isdigit((unsigned char)*p)) {
			first[n++] = '#';
			while (isdigit((unsigned char)*p))
				p++;
			after_count = 0;
		} else if (isalpha((unsigned char)*p)) {
			char w[64];
			size_t l = 0;
			while ((isalnum((unsigned char)*p) || *p == '_' || *p == '-') && *p != '\n') {
				if (l + 1 < sizeof(w))
					w[l++] = *p;
				p++;
			}
			if (++after_count <= 2)
				singular(w, &l);
			for (size_t i = 0; i < l && n + 1 < sizeof(first); i++)
				first[n++] = w[i];
		} else {
			first[n++] = *p++;
		}
	}
	first[n] = 0;
	for (char *r; (r = strstr(first, " [#]=# [#]=#"));)
		memmove(r, r + 6, strlen(r + 6) + 1);
	const struct mmf_site *site = s->report.site;
	snprintf(buf, len, "%s|%s|%s:%d %s|%s", mmf_fail_name(s->report.cls),
		 bugs[0] ? bugs : "none", mmf_site_file(site), site ? site->line : 0,
		 site && site->func ? site->func : "?", first);
}

#if MMF_TSAN
/* TSan calls this after it prints each report, whether or not
 * halt_on_error will end the process: the report's kind is kept for the
 * finding's class, and the hook (fuzz/guard.c) makes it a finding. */
static char tsan_kind[64];
static void (*tsan_report_hook)(void);
int __tsan_get_report_data(void *report, const char **description, int *count, int *stack_count,
			   int *mop_count, int *loc_count, int *mutex_count, int *thread_count,
			   int *unique_tid_count, void **sleep_trace, unsigned long trace_size);
void __tsan_on_report(void *report);
void __tsan_on_report(void *report)
{
	const char *d = NULL;
	int c[7];
	void *trace[1];
	if (!__tsan_get_report_data(report, &d, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6],
				    trace, 0) || !d)
		d = "";
	snprintf(tsan_kind, sizeof(tsan_kind), "%s", d);
	if (tsan_report_hook)
		tsan_report_hook();
}

void mmf_on_tsan_report(void (*hook)(void)) { tsan_report_hook = hook; }
const char *mmf_tsan_report_kind(void) { return tsan_kind; }
#endif

const char *mmf_sanitizer_class(void)
{
#if MMF_ASAN
	const char *d = __asan_report_present() ? __asan_get_report_description() : NULL;
	/* use-after-poison: only the checked heap poisons by hand, for the
	 * freed objects of SLAB_TYPESAFE_BY_RCU caches (sched/kmem.h). */
	if (d && (strstr(d, "use-after-free") || strstr(d, "use-after-poison")))
		return "use-after-free";
	if (d && strstr(d, "double-free"))
		return "double-free";
	if (d && (strstr(d, "buffer-overflow") || strstr(d, "out-of-bounds")))
		return "out-of-bounds";
#endif
#if MMF_TSAN
	if (!strcmp(tsan_kind, "data-race"))
		return "data-race";
	if (strstr(tsan_kind, "use-after-free"))
		return "use-after-free";
#endif
	return "crash";
}

const char *mmf_sanitizer_death_signature(const char *params, char *buf, size_t len)
{
	const char *cls = mmf_sanitizer_class();
	char bugs[512];
	mmf_param(params ? params : "", "bugs", bugs, sizeof(bugs));
	const struct mmf_task *t = mmf_current();
	const struct mmf_site *site = t ? t->site : NULL;
	snprintf(buf, len, "%s|%s|sanitizer near %s:%d %s", cls, bugs[0] ? bugs : "none",
		 site ? mmf_site_file(site) : "?", site ? site->line : 0,
		 site && site->func ? site->func : "?");
	return cls;
}
