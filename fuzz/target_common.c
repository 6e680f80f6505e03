/* target_common.c - see target_common.h. */
#define _GNU_SOURCE
#include "target_common.h"
#include "repro.h"
#include "sanitizer.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if MMF_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

static struct mmf_harness *cur_h;
static uint32_t want;           /* MMFUZZ_WANT: classes that count (0: all) */
static const uint8_t *cur_data;
static size_t cur_size;
static uint64_t stat_execs, stat_steps;  /* for MMFUZZ_STATS_FILE */

/* MMFUZZ_STATS_FILE: at exit, append "executions scheduling-points" of this
 * process (the benchmark's scheduling points per second under the engines;
 * AFL++ runs many processes, so lines add up). */
static void write_stats(void)
{
	const char *path = getenv("MMFUZZ_STATS_FILE");
	FILE *f = path && *path ? fopen(path, "a") : NULL;
	if (!f)
		return;
	fprintf(f, "%llu %llu\n", (unsigned long long)stat_execs, (unsigned long long)stat_steps);
	fclose(f);
}

MMF_WRAPS static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void save(struct mmf_harness *h, const char *result, const char *sig)
{
	const char *dir = getenv("MMFUZZ_REPRO_DIR");
	if (dir && !strcmp(dir, "-"))
		return;
	struct mmf_repro r = {0};
	snprintf(r.program, sizeof(r.program), "%s", h->prog->name);
	snprintf(r.params, sizeof(r.params), "%s", h->params);
	mmf_param(h->params, "bugs", r.variants, sizeof(r.variants));
	snprintf(r.build, sizeof(r.build), "%s", mmf_build_info());
	snprintf(r.result, sizeof(r.result), "%s", result);
	snprintf(r.signature, sizeof(r.signature), "%s", sig);
	r.input = (uint8_t *)cur_data;
	r.len = cur_size > MMF_INPUT_MAX ? MMF_INPUT_MAX : cur_size;
	char path[1024];
	snprintf(path, sizeof(path), "%s/mmfuzz-%016llx.repro", dir && *dir ? dir : ".",
		 (unsigned long long)fnv(r.input, r.len));
	FILE *f = fopen(path, "w");
	if (!f || mmf_repro_write(f, &r) || fflush(f) || (fsync(fileno(f)), 0) || fclose(f)) {
		fprintf(stderr, "mmfuzz: cannot write reproducer %s\n", path);
		return;
	}
	fprintf(stderr, "mmfuzz: reproducer: %s\nmmfuzz: replay: mmfuzz replay %s\n", path, path);
}

#if MMF_ASAN
static void on_death(void)
{
	if (!cur_h || !cur_data)
		return;
	char sig[600];
	const char *cls = mmf_sanitizer_death_signature(cur_h->params, sig, sizeof(sig));
	save(cur_h, cls, sig);
}
#endif

bool mmf_target_feedback(void)
{
	const char *f = getenv("MMFUZZ_FEEDBACK");
	return !f || strcmp(f, "0");
}

void mmf_target_init(struct mmf_harness *h, void (*feature)(void *, uint32_t), void *ctx)
{
	char err[300];
	const char *bugs = getenv("MMFUZZ_BUGS");
	if (mmf_harness_init(h, bugs && *bugs ? bugs : "none", getenv("MMFUZZ_PARAMS"), err,
			     sizeof(err))) {
		fprintf(stderr, "mmfuzz: %s\n", err);
		exit(2);
	}
	mmf_harness_opts(h, mmf_target_feedback() ? feature : NULL, ctx, false, false);
	const char *w = getenv("MMFUZZ_WANT");
	if (w && *w) {
		long m = mmf_classes_parse(w, NULL, 0);
		if (m < 0) {
			fprintf(stderr, "mmfuzz: MMFUZZ_WANT=%s: not a list of failure classes\n", w);
			exit(2);
		}
		want = (uint32_t)m;
	}
	cur_h = h;
	if (getenv("MMFUZZ_STATS_FILE"))
		atexit(write_stats);
#if MMF_ASAN
	__sanitizer_set_death_callback(on_death);
#endif
}

bool mmf_target_run(struct mmf_harness *h, const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	enum mmf_run_status st = mmf_harness_run(h, data, size);
	stat_execs++;
	stat_steps += h->s.steps;
	if (st != MMF_RUN_FAILED || (want && !(want >> h->s.report.cls & 1))) {
		cur_data = NULL;
		return false;   /* clean, or a class this campaign passes over */
	}
	char sig[600];
	mmf_failure_signature(&h->s, h->params, sig, sizeof(sig));
	mmf_report_print(&h->s, stderr);
	save(h, mmf_fail_name(h->s.report.cls), sig);
	cur_data = NULL;
	return true;
}
