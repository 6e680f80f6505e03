/* mm_program.c - the generic mm workload as a runnable program.
 *   params: tasks= mms= frames= swap= zswap=0|1 syncio=-1|1..3 thp=-1|1..3 ops= failrate=
 *           only=k1,k2
 *           bugs=variant,variant  points=sync|all
 *           plan=op[:mm[:page[:n]]],.../...   fixed operations per task
 *           ('/' separates tasks), instead of drawn ones
 * Sizes left out are drawn from the decision source.  points=all makes the
 * model's plain loads and stores to the checked heap scheduling points too
 * (sched/access.h; the CLI's --access-points); sync, the default, keeps
 * them out. */
#define _GNU_SOURCE
#include "params.h"
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

/* A plain decimal in [lo, hi] (no sign, no leading zero, no other text). */
static bool plan_num(const char *s, size_t n, unsigned lo, unsigned hi, unsigned *out)
{
	if (!n || n > 3 || (s[0] == '0' && n > 1))
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return v >= lo && v <= hi;
}

/* plan=TASK/TASK/...; TASK=OP,OP,...; OP=name[:mm[:page[:n]]] with mm in
 * 0..MM_MAX_MMS-1, page in 0..MM_VPAGES-1, n in 1..8 (exactly what
 * docs/model.md describes: no empty fields, no fifth field). */
static int parse_plan(const char *params, struct mm_workload_params *p, char *err, size_t len)
{
	char buf[1024];
	mmf_param(params, "plan", buf, sizeof(buf));
	if (!buf[0])
		return 0;
	const char *s = buf;
	for (;;) {
		if (p->plan_tasks == MM_MAX_WORKERS) {
			snprintf(err, len, "parameter plan: more than %d tasks", MM_MAX_WORKERS);
			return -1;
		}
		int t = p->plan_tasks++;
		for (;;) {
			size_t n = strcspn(s, ",/");
			if (p->plan_n[t] == MM_MAX_OPS) {
				snprintf(err, len, "parameter plan: more than %d operations in task %d",
					 MM_MAX_OPS, t);
				return -1;
			}
			/* name, then up to three numbers, ':'-separated */
			const char *f[4];
			size_t fl[4];
			int nf = 0;
			for (const char *q = s; nf < 5;) {
				size_t l = strcspn(q, ":,/");
				if (nf < 4) {
					f[nf] = q;
					fl[nf] = l;
				}
				nf++;
				q += l;
				if (*q != ':' || q >= s + n)
					break;
				q++;
			}
			unsigned a[3] = {0, 0, 1};
			int k = OP_NR;
			bool ok = nf >= 1 && nf <= 4;
			if (ok)
				for (k = 0; k < OP_NR; k++)
					if (strlen(mm_op_names[k]) == fl[0] && !strncmp(mm_op_names[k], f[0], fl[0]))
						break;
			ok = ok && k < OP_NR;
			static const unsigned lo[3] = {0, 0, 1}, hi[3] = {MM_MAX_MMS - 1, MM_VPAGES - 1, 8};
			for (int i = 1; ok && i < nf; i++)
				ok = plan_num(f[i], fl[i], lo[i - 1], hi[i - 1], &a[i - 1]);
			if (!ok) {
				snprintf(err, len, "parameter plan: bad operation '%.*s' (op[:mm[:page[:n]]], "
					 "mm 0..%d, page 0..%d, n 1..8; operations: see 'mmfuzz list')",
					 (int)n, s, MM_MAX_MMS - 1, MM_VPAGES - 1);
				return -1;
			}
			p->plan[t][p->plan_n[t]++] = (struct mm_op){(uint8_t)k, (uint8_t)a[0],
								   (uint8_t)a[1], (uint8_t)a[2]};
			s += n;
			if (*s != ',')
				break;
			s++;
		}
		if (!*s)
			break;
		s++;    /* '/' */
	}
	if (p->plan_tasks < 2) {
		snprintf(err, len, "parameter plan: give at least 2 tasks ('/' separates them)");
		return -1;
	}
	return 0;
}

int mm_program_params(const char *params, struct mm_workload_params *p, char *err, size_t len)
{
	long tasks, mms, frames, swap, zswap, syncio, thp, ops, failrate;
	char bugs[512], bad[64];
	memset(p, 0, sizeof(*p));
	if (mmf_param_int(params, "tasks", 0, 0, MM_MAX_WORKERS, &tasks, err, len) ||
	    mmf_param_int(params, "mms", 0, 0, 3, &mms, err, len) ||
	    mmf_param_int(params, "frames", 0, 0, MM_MAX_FRAMES, &frames, err, len) ||
	    mmf_param_int(params, "swap", 0, 0, MM_MAX_SWAPFILES, &swap, err, len) ||
	    mmf_param_int(params, "zswap", -1, -1, 1, &zswap, err, len) ||
	    mmf_param_int(params, "syncio", 0, -1, 3, &syncio, err, len) ||
	    mmf_param_int(params, "thp", 0, -1, 3, &thp, err, len) ||
	    mmf_param_int(params, "ops", 0, 0, MM_MAX_OPS, &ops, err, len) ||
	    mmf_param_int(params, "failrate", 0, -1, 1 << 20, &failrate, err, len) ||
	    parse_only(params, &p->op_mask, err, len) || parse_plan(params, p, err, len))
		return -1;
	if (tasks == 1) {
		snprintf(err, len, "parameter tasks=1: the workload needs 2..%d tasks", MM_MAX_WORKERS);
		return -1;
	}
	/* A plan fixes the tasks and their operations: the keys that draw
	 * them cannot say otherwise. */
	if (p->plan_tasks && tasks && tasks != p->plan_tasks) {
		snprintf(err, len, "parameters tasks=%ld and plan= contradict: the plan has %d tasks",
			 tasks, p->plan_tasks);
		return -1;
	}
	if (p->plan_tasks && mmf_param_given(params, "ops")) {
		snprintf(err, len, "parameters ops= and plan= contradict: the plan fixes every task's "
			 "operations");
		return -1;
	}
	if (p->plan_tasks && p->op_mask) {
		snprintf(err, len, "parameters only= and plan= contradict: the plan fixes every task's "
			 "operations");
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
	p->syncio = (int)syncio;
	p->thp = (int)thp;
	p->ops = (int)ops;
	p->fail_rate = (int)failrate;
	p->variants = (unsigned long)v;
	return 0;
}

/* points=sync|all: whether plain loads and stores are points (access.h). */
static int set_points(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	char v[16];
	mmf_param(params, "points", v, sizeof(v));
	if (!v[0] || !strcmp(v, "sync"))
		return 0;
	if (strcmp(v, "all")) {
		snprintf(err, len, "parameter points=%s: expected sync or all", v);
		return -1;
	}
	if (s->opts.mode != MMF_MODE_FIBERS) {
		snprintf(err, len, "parameter points=all: plain-access points need the controlled "
			 "scheduler, not real threads");
		return -1;
	}
	if (!mmf_sched_set_access_points(s, true)) {
		snprintf(err, len, "parameter points=all: this build has no plain-access points (builds "
			 "with the checked heap have them, ASan builds with -DMMF_ACCESS_SANCOV=ON; "
			 "TSan does not)");
		return -1;
	}
	return 0;
}

static int mm_setup(struct mmf_sched *s, const char *params, char *err, size_t len)
{
	struct mm_workload_params p;
	if (mm_program_params(params, &p, err, len) || set_points(s, params, err, len))
		return -1;
	return mm_workload_setup(s, &p, err, len);
}

static int mm_describe(struct mmf_sched *s, char *buf, size_t len)
{
	const struct mm_workload *w = mm_workload_of(s);
	char bugs[512];
	size_t off = 0;
	mm_variants_format(w->variants, bugs, sizeof(bugs));
	off += (size_t)snprintf(buf + off, len - off, "mms=%d frames=%d swap=%d zswap=%d syncio=%d "
				"thp=%d failrate=%d plan=", w->mms, w->frames, w->swapdevs,
				w->zswap ? 1 : 0, w->sync_mask ? (int)w->sync_mask : -1,
				w->thp_mask ? (int)w->thp_mask : -1,
				w->fail_rate ? (int)w->fail_rate : -1);
	for (int t = 0; t < w->tasks && off < len; t++) {
		for (int i = 0; i < w->nops[t] && off < len; i++) {
			const struct mm_op *op = &w->op[t][i];
			off += (size_t)snprintf(buf + off, len - off, "%s%s:%u:%u:%u", i ? "," : "",
						mm_op_names[op->kind], op->mm, op->v, op->n);
		}
		/* A task with no operations still counts: give it a read. */
		if (!w->nops[t] && off < len)
			off += (size_t)snprintf(buf + off, len - off, "read:0:0:1");
		if (t + 1 < w->tasks && off < len)
			off += (size_t)snprintf(buf + off, len - off, "/");
	}
	if (off < len && strcmp(bugs, "none"))
		off += (size_t)snprintf(buf + off, len - off, " bugs=%s", bugs);
	if (off < len && s->access_points)
		off += (size_t)snprintf(buf + off, len - off, " points=all");
	return off < len ? 0 : -1;
}

static const struct mmf_param_spec mm_param_spec[] = {
	{"tasks", MMF_P_INT, 0, MM_MAX_WORKERS, NULL, "tasks=2..4"},
	{"mms", MMF_P_INT, 0, 3, NULL, "mms=1..3"},
	{"frames", MMF_P_INT, 0, MM_MAX_FRAMES, NULL, "frames="},
	{"swap", MMF_P_INT, 0, MM_MAX_SWAPFILES, NULL, "swap=1..2"},
	{"zswap", MMF_P_INT, -1, 1, NULL, "zswap=0|1"},
	{"syncio", MMF_P_INT, -1, 3, NULL, "syncio=-1|1..3"},
	{"thp", MMF_P_INT, -1, 3, NULL, "thp=-1|1..3"},
	{"ops", MMF_P_INT, 0, MM_MAX_OPS, NULL, "ops="},
	{"failrate", MMF_P_INT, -1, 1 << 20, NULL, "failrate="},
	{"only", MMF_P_LIST, 0, 0, NULL, "only=op,op"},
	{"plan", MMF_P_TEXT, 0, 0, NULL, "plan=op:mm:page:n,.../..."},
	{"bugs", MMF_P_LIST, 0, 0, NULL, "bugs=variant,..."},
	{"points", MMF_P_TEXT, 0, 0, NULL, "points=sync|all"},
	{NULL, 0, 0, 0, NULL, NULL},
};

const struct mmf_program mmf_mm_program = {
	.name = "mm",
	.param_spec = mm_param_spec,
	.summary = "the generic mm workload: faults, fork, munmap, exit, reclaim, zswap, "
		   "swapon/off, migrate, pin",
	.params_help = "tasks=2..4 mms=1..3 frames= swap=1..2 zswap=0|1 syncio=-1|1..3 thp=-1|1..3 ops= "
		       "failrate= "
		       "only=ops plan=op:mm:page:n,.../... bugs= points=sync|all",
	.default_params = "",
	.expect = "clean",
	.setup = mm_setup,
	.finish = mm_audit,
	.describe = mm_describe,
};
