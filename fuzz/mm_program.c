/* mm_program.c - the generic mm workload as a runnable program.
 *   params: tasks= mms= frames= swap= zswap=0|1 ops= failrate= only=k1,k2
 *           bugs=variant,variant
 * Sizes left out are drawn from the decision source. */
#define _GNU_SOURCE
#include "program.h"
#include "trace.h"
#include "workload.h"

#include <stdio.h>
#include <string.h>

static int parse_only(const char *params, uint32_t *mask, char *err, size_t len)
{
	char buf[256], tmp[256];
	mmf_param(params, "only", buf, sizeof(buf));
	*mask = 0;
	if (!buf[0])
		return 0;
	strcpy(tmp, buf);
	for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int k;
		for (k = 0; k < OP_NR; k++)
			if (!strcmp(mm_op_names[k], tok))
				break;
		if (k == OP_NR) {
			snprintf(err, len, "parameter only=%s: unknown operation '%s'", buf, tok);
			return -1;
		}
		*mask |= 1u << k;
	}
	return 0;
}

int mm_program_params(const char *params, struct mm_workload_params *p, char *err, size_t len)
{
	long tasks, mms, frames, swap, zswap, ops, failrate;
	char bugs[512], bad[64];
	memset(p, 0, sizeof(*p));
	if (mmf_param_int(params, "tasks", 0, 0, MM_MAX_WORKERS, &tasks, err, len) ||
	    mmf_param_int(params, "mms", 0, 0, 3, &mms, err, len) ||
	    mmf_param_int(params, "frames", 0, 0, MM_MAX_FRAMES, &frames, err, len) ||
	    mmf_param_int(params, "swap", 0, 0, MM_MAX_SWAPFILES, &swap, err, len) ||
	    mmf_param_int(params, "zswap", -1, -1, 1, &zswap, err, len) ||
	    mmf_param_int(params, "ops", 0, 0, MM_MAX_OPS, &ops, err, len) ||
	    mmf_param_int(params, "failrate", 0, -1, 1 << 20, &failrate, err, len) ||
	    parse_only(params, &p->op_mask, err, len))
		return -1;
	if (tasks == 1) {
		snprintf(err, len, "parameter tasks=1: the workload needs 2..%d tasks", MM_MAX_WORKERS);
		return -1;
	}
	mmf_param(params, "bugs", bugs, sizeof(bugs));
	long v = mm_variants_parse(bugs, bad, sizeof(bad));
	if (v < 0) {
		snprintf(err, len, "unknown bug variant '%s' (see 'mmfuzz list')", bad);
		return -1;
	}
	p->tasks = (int)tasks;
	p->mms = (int)mms;
	p->frames = (int)frames;
	p->swapdevs = (int)swap;
	p->zswap = zswap < 0 ? 0 : zswap ? 1 : -1;
	p->ops = (int)ops;
	p->fail_rate = (int)failrate;
	p->variants = (unsigned long)v;
	return 0;
}

static int mm_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	struct mm_workload_params p;
	if (mm_program_params(params, &p, err, len))
		return -1;
	return mm_workload_setup(s, &p, err, len);
}

const struct mmf_program mmf_mm_program = {
	.name = "mm",
	.summary = "the generic mm workload: faults, fork, munmap, exit, reclaim, zswap, "
		   "swapon/off, migrate, pin",
	.params_help = "tasks=2..4 mms=1..3 frames= swap=1..2 zswap=0|1 ops= failrate= only=ops bugs=",
	.default_params = "",
	.expect = "clean",
	.setup = mm_setup,
	.finish = mm_audit,
};
