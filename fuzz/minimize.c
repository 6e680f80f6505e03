/* minimize.c - see minimize.h. */
#define _GNU_SOURCE
#include "minimize.h"
#include "decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	p = realloc(p, n * elem);
	if (!p)
		mmf_internal("out of memory in the minimizer");
	*cap = n;
	return p;
}

static void canon_reset(struct mmf_canon *c) { c->nval = c->npick = c->nfault = 0; }

static void push_val(struct mmf_canon *c, uint64_t v)
{
	c->val = grow(c->val, &c->cap_val, c->nval + 1, sizeof(*c->val));
	c->val[c->nval++] = v;
}

static void push_pick(struct mmf_canon *c, uint64_t at, uint8_t id)
{
	if (c->npick == c->cap_pick) {
		size_t cap = c->cap_pick;
		c->pick_key = grow(c->pick_key, &cap, c->npick + 1, sizeof(*c->pick_key));
		cap = c->cap_pick;
		c->pick_id = grow(c->pick_id, &cap, c->npick + 1, sizeof(*c->pick_id));
		c->cap_pick = cap;
	}
	c->pick_key[c->npick] = at;
	c->pick_id[c->npick++] = id;
}

static void push_fault(struct mmf_canon *c, uint32_t at)
{
	c->fault_at = grow(c->fault_at, &c->cap_fault, c->nfault + 1, sizeof(*c->fault_at));
	c->fault_at[c->nfault++] = at;
}

/* A pick's position: the task that was running, the phase it was in
 * (the workload's operation number) and how many decisions it had reached
 * in that phase, so that editing one task's schedule, or deleting an
 * operation, leaves the other positions where they were. */
#define KEY_TASK(k) ((int)((k) >> 48) - 1)
#define KEY_PHASE(k) ((uint32_t)((k) >> 32) & 0xffffu)
#define MAKE_KEY(task, phase, pts) \
	(((uint64_t)((task) + 1) << 48) | ((uint64_t)(phase) << 32) | (uint32_t)(pts))

static uint64_t pick_key(const struct mmf_choice *c)
{
	return MAKE_KEY(c->prev, c->prev_phase & 0xffffu, c->prev_phase_points);
}

static void sort_picks(struct mmf_canon *c)
{
	for (size_t i = 1; i < c->npick; i++) {
		uint64_t k = c->pick_key[i];
		uint8_t id = c->pick_id[i];
		size_t j = i;
		for (; j > 0 && c->pick_key[j - 1] > k; j--) {
			c->pick_key[j] = c->pick_key[j - 1];
			c->pick_id[j] = c->pick_id[j - 1];
		}
		c->pick_key[j] = k;
		c->pick_id[j] = id;
	}
}

static void canon_copy(struct mmf_canon *dst, const struct mmf_canon *src)
{
	canon_reset(dst);
	for (size_t i = 0; i < src->nval; i++)
		push_val(dst, src->val[i]);
	for (size_t i = 0; i < src->npick; i++)
		push_pick(dst, src->pick_key[i], src->pick_id[i]);
	for (size_t i = 0; i < src->nfault; i++)
		push_fault(dst, src->fault_at[i]);
}

void mmf_canon_free(struct mmf_canon *c)
{
	free(c->val);
	free(c->pick_key);
	free(c->pick_id);
	free(c->fault_at);
	memset(c, 0, sizeof(*c));
}

/* ---- the recorder: any decision source, described canonically ---------------- */

struct rec_src {
	struct mmf_decider base;
	struct mmf_decider *inner;
	struct mmf_canon out;
	uint32_t pk, fk;
};

static void rec_begin(struct mmf_decider *b)
{
	struct rec_src *d = (struct rec_src *)b;
	d->inner->ops->begin(d->inner);
	canon_reset(&d->out);
	d->pk = d->fk = 0;
	d->base.forced = MMF_RUN_CLEAN;
}

static void rec_forward(struct rec_src *d)
{
	if (d->inner->forced != MMF_RUN_CLEAN) {
		d->base.forced = d->inner->forced;
		memcpy(d->base.why, d->inner->why, sizeof(d->base.why));
	}
}

static int rec_pick(struct mmf_decider *b, const struct mmf_choice *c)
{
	struct rec_src *d = (struct rec_src *)b;
	int idx = d->inner->ops->pick(d->inner, c);
	rec_forward(d);
	if (idx != c->dflt && idx >= 0 && idx < c->n)
		push_pick(&d->out, pick_key(c), c->ids[idx]);
	return idx;
}

static uint64_t rec_value(struct mmf_decider *b, uint64_t bound)
{
	struct rec_src *d = (struct rec_src *)b;
	uint64_t v = d->inner->ops->value(d->inner, bound);
	rec_forward(d);
	push_val(&d->out, v);
	return v;
}

static bool rec_fault(struct mmf_decider *b, unsigned rate)
{
	struct rec_src *d = (struct rec_src *)b;
	bool f = d->inner->ops->fault(d->inner, rate);
	rec_forward(d);
	if (f)
		push_fault(&d->out, d->fk);
	d->fk++;
	return f;
}

static void rec_end(struct mmf_decider *b, enum mmf_run_status st)
{
	struct rec_src *d = (struct rec_src *)b;
	if (d->inner->ops->end)
		d->inner->ops->end(d->inner, st);
	rec_forward(d);
	sort_picks(&d->out);
}

static const struct mmf_decider_ops rec_ops = {
	.name = "minimize", .begin = rec_begin, .pick = rec_pick,
	.value = rec_value, .fault = rec_fault, .end = rec_end,
};

/* ---- the player: a canonical description as a decision source ----------------- */

struct play_src {
	struct mmf_decider base;
	const struct mmf_canon *plan;
	uint32_t pk, vk, fk;
	size_t ip, ifa;
};

static void play_begin(struct mmf_decider *b)
{
	struct play_src *d = (struct play_src *)b;
	d->pk = d->vk = d->fk = 0;
	d->ip = d->ifa = 0;
}

static int play_pick(struct mmf_decider *b, const struct mmf_choice *c)
{
	struct play_src *d = (struct play_src *)b;
	const struct mmf_canon *p = d->plan;
	uint64_t key = pick_key(c);
	size_t lo = 0, hi = p->npick;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->pick_key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->npick && p->pick_key[lo] == key)
		for (int i = 0; i < c->n; i++)
			if (c->ids[i] == p->pick_id[lo])
				return i;
	return c->dflt;
}

static uint64_t play_value(struct mmf_decider *b, uint64_t bound)
{
	struct play_src *d = (struct play_src *)b;
	uint32_t ord = d->vk++;
	uint64_t v = ord < d->plan->nval ? d->plan->val[ord] : 0;
	return v < bound ? v : v % bound;
}

static bool play_fault(struct mmf_decider *b, unsigned rate)
{
	struct play_src *d = (struct play_src *)b;
	(void)rate;
	uint32_t ord = d->fk++;
	const struct mmf_canon *p = d->plan;
	while (d->ifa < p->nfault && p->fault_at[d->ifa] < ord)
		d->ifa++;
	return d->ifa < p->nfault && p->fault_at[d->ifa] == ord;
}

static const struct mmf_decider_ops play_ops = {
	.name = "canonical", .begin = play_begin, .pick = play_pick,
	.value = play_value, .fault = play_fault,
};

/* ---- the search ---------------------------------------------------------------- */

struct mctx {
	struct mmf_minimize *q;
	const char *params;             /* the current run's params */
	char cand_params[1024];
	struct rec_src rec;
	struct play_src play;
	struct mmf_canon cur, cand;
	uint64_t cost;          /* of cur */
};

/* Smaller is simpler: preemptions first, then other non-default picks,
 * then steps. */
static uint64_t cost_of(const struct mmf_sched *s, size_t npick)
{
	return (s->preemptions << 40) + ((uint64_t)npick << 24) + s->steps;
}

/* Run the candidate; adopt it (as re-described by the recorder) if it
 * fails with the class and is no more complex than the current run. */
static bool try_cand(struct mctx *m)
{
	struct mmf_minimize *q = m->q;
	if (q->runs >= q->budget)
		return false;
	q->runs++;
	m->play.plan = &m->cand;
	int bad;
	char err[256];
	const char *params = m->cand_params[0] ? m->cand_params : m->params;
	enum mmf_run_status st = mmf_run_program(&q->s, q->prog, params, err, sizeof(err), &bad);
	if (bad)
		return false;   /* an edited plan the program refuses */
	if (st != MMF_RUN_FAILED || q->s.report.cls != q->cls)
		return false;
	uint64_t c = cost_of(&q->s, m->rec.out.npick);
	if (c > m->cost)
		return false;
	bool progress = c < m->cost;
	canon_copy(&m->cur, &m->rec.out);
	m->cost = c;
	if (m->cand_params[0])
		snprintf(q->params_out, sizeof(q->params_out), "%s", m->cand_params);
	return progress;
}

/* Edit the plan= parameter of q->params_out: delete task 'task' (op < 0)
 * or its operation 'op'.  False if there is no such thing to delete (a
 * task's last operation goes with the task; the plan keeps two tasks). */
static bool plan_edit(const char *params, int task, int op, char *out, size_t len)
{
	const char *p = strstr(params, "plan=");
	if (!p || (p != params && p[-1] != ' '))
		return false;
	const char *v = p + 5;
	size_t vlen = strcspn(v, " ");
	char plan[1024], res[1024];
	if (vlen >= sizeof(plan))
		return false;
	memcpy(plan, v, vlen);
	plan[vlen] = 0;
	int ntasks = 1;
	for (char *c = plan; *c; c++)
		ntasks += *c == '/';
	size_t off = 0;
	bool done = false;
	int t = 0;
	res[0] = 0;
	for (char *save = NULL, *tk = strtok_r(plan, "/", &save); tk;
	     tk = strtok_r(NULL, "/", &save), t++) {
		char ops[1024];
		snprintf(ops, sizeof(ops), "%s", tk);
		int nops = 1;
		for (char *c = ops; *c; c++)
			nops += *c == ',';
		if (t == task && (op < 0 || nops == 1)) {
			if (ntasks <= 2)
				return false;
			done = true;
			continue;
		}
		off += (size_t)snprintf(res + off, sizeof(res) - off, "%s", off ? "/" : "");
		int i = 0;
		bool first = true;
		for (char *s2 = NULL, *o = strtok_r(ops, ",", &s2); o; o = strtok_r(NULL, ",", &s2), i++) {
			if (t == task && i == op) {
				done = true;
				continue;
			}
			off += (size_t)snprintf(res + off, sizeof(res) - off, "%s%s", first ? "" : ",", o);
			first = false;
		}
	}
	if (!done || off >= sizeof(res))
		return false;
	int n = snprintf(out, len, "%.*splan=%s%s", (int)(p - params), params, res, v + vlen);
	return n > 0 && (size_t)n < len;
}

/* The positions after deleting task 'task' (op < 0: the workers after it
 * and every later task move down one id) or its operation 'op' (phase
 * op+1: later phases move down one). */
static void remap_picks(struct mmf_canon *c, int task, int op)
{
	size_t n = 0;
	for (size_t i = 0; i < c->npick; i++) {
		uint64_t k = c->pick_key[i];
		int t = KEY_TASK(k);
		uint32_t ph = KEY_PHASE(k);
		uint8_t id = c->pick_id[i];
		if (op >= 0) {
			if (t == task && ph == (uint32_t)op + 1)
				continue;
			if (t == task && ph > (uint32_t)op + 1)
				k = MAKE_KEY(t, ph - 1, (uint32_t)k);
		} else {
			if (t == task || id == task)
				continue;
			if (t > task)
				k = MAKE_KEY(t - 1, ph, (uint32_t)k);
			if (id > task && id != MMF_TICK)
				id--;
		}
		c->pick_key[n] = k;
		c->pick_id[n++] = id;
	}
	c->npick = n;
	sort_picks(c);
}

/* Lower the numeric parameters of the described workload (sizes, and
 * fault injection off): a smaller machine, the same failure. */
static bool lower_params(struct mctx *m)
{
	/* key, and the smallest value that still means "this size" (0 would
	 * mean "draw it"; failrate=-1 turns fault injection off) */
	static const struct { const char *key; long min; } keys[] = {
		{"mms", 1}, {"swap", 1}, {"zswap", 0}, {"frames", 8}, {"failrate", -1},
	};
	bool any = false;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char val[32], key[16];
		snprintf(key, sizeof(key), "%s=", keys[k].key);
		const char *p = strstr(m->q->params_out, key);
		if (!p || (p != m->q->params_out && p[-1] != ' '))
			continue;
		long v = strtol(p + strlen(key), NULL, 10);
		long lo = keys[k].min;
		long tries[3] = {lo, v / 2 > lo ? v / 2 : lo, v - 1 > lo ? v - 1 : lo};
		for (int i = 0; i < 3 && m->q->runs < m->q->budget; i++) {
			if (tries[i] >= v || (i && tries[i] <= tries[i - 1]) || (lo < 0 && (v < 0 || i)))
				continue;
			snprintf(val, sizeof(val), "%ld", tries[i]);
			size_t vl = strcspn(p + strlen(key), " ");
			snprintf(m->cand_params, sizeof(m->cand_params), "%.*s%s%s",
				 (int)(p - m->q->params_out + (long)strlen(key)), m->q->params_out, val,
				 p + strlen(key) + vl);
			canon_copy(&m->cand, &m->cur);
			bool ok = try_cand(m);
			m->cand_params[0] = 0;
			if (ok) {
				any = true;
				break;
			}
		}
	}
	return any;
}

static bool drop_ops(struct mctx *m)
{
	bool any = false;
	for (int task = 0; task < 8 && m->q->runs < m->q->budget; task++) {
		/* the whole task, then its operations one by one */
		for (int op = -1; op < 16 && m->q->runs < m->q->budget;) {
			if (op == -2) {         /* the task went: the next one is here now */
				op = -1;
				continue;
			}
			char next[1024];
			if (!plan_edit(m->q->params_out, task, op, next, sizeof(next))) {
				op++;
				continue;
			}
			snprintf(m->cand_params, sizeof(m->cand_params), "%s", next);
			canon_copy(&m->cand, &m->cur);
			remap_picks(&m->cand, task, op);
			bool ok = try_cand(m);
			m->cand_params[0] = 0;
			if (ok) {
				any = true;
				if (op < 0)
					op = -2;
			} else {
				op++;
			}
		}
	}
	m->params = m->q->params_out;
	return any;
}

static bool drop_picks(struct mctx *m)
{
	bool any = false;
	for (size_t chunk = m->cur.npick / 2 ? m->cur.npick / 2 : 1; chunk >= 1; chunk /= 2) {
		for (size_t start = 0; start < m->cur.npick;) {
			canon_copy(&m->cand, &m->cur);
			size_t end = start + chunk < m->cand.npick ? start + chunk : m->cand.npick;
			memmove(m->cand.pick_key + start, m->cand.pick_key + end,
				(m->cand.npick - end) * sizeof(*m->cand.pick_key));
			memmove(m->cand.pick_id + start, m->cand.pick_id + end,
				(m->cand.npick - end) * sizeof(*m->cand.pick_id));
			m->cand.npick -= end - start;
			if (try_cand(m))
				any = true;     /* cur changed: same start, new entries */
			else
				start += chunk;
			if (m->q->runs >= m->q->budget)
				return any;
		}
		if (chunk == 1)
			break;
	}
	return any;
}

static bool drop_faults(struct mctx *m)
{
	bool any = false;
	for (size_t i = 0; i < m->cur.nfault && m->q->runs < m->q->budget;) {
		canon_copy(&m->cand, &m->cur);
		memmove(m->cand.fault_at + i, m->cand.fault_at + i + 1,
			(m->cand.nfault - i - 1) * sizeof(*m->cand.fault_at));
		m->cand.nfault--;
		if (try_cand(m))
			any = true;
		else
			i++;
	}
	return any;
}

static bool lower_values(struct mctx *m)
{
	bool any = false;
	for (size_t i = 0; i < m->cur.nval && m->q->runs < m->q->budget; i++) {
		uint64_t v = m->cur.val[i];
		uint64_t tries[3] = {0, v / 2, v - 1};
		for (int k = 0; k < 3 && v; k++) {
			if (tries[k] >= v || (k && tries[k] == tries[k - 1]))
				continue;
			canon_copy(&m->cand, &m->cur);
			m->cand.val[i] = tries[k];
			if (try_cand(m)) {
				any = true;
				break;
			}
		}
	}
	return any;
}

int mmf_minimize_run(struct mmf_minimize *q)
{
	struct mctx *m = calloc(1, sizeof(*m));
	if (!m)
		mmf_internal("out of memory in the minimizer");
	m->q = q;
	q->runs = 0;
	q->why[0] = 0;

	/* The original run, replayed and described canonically. */
	struct mmf_replay_src rp;
	mmf_replay_src_init(&rp, q->trace, q->ntrace);
	m->rec.base.ops = &rec_ops;
	m->rec.inner = &rp.base;
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS};
	mmf_sched_init(&q->s, &so, &m->rec.base);
	int bad;
	char err[256];
	enum mmf_run_status st = mmf_run_program(&q->s, q->prog, q->params, err, sizeof(err), &bad);
	int rc = -1;
	if (bad) {
		snprintf(q->why, sizeof(q->why), "%s", err);
		goto out;
	}
	if (st == MMF_RUN_DIVERGED) {
		snprintf(q->why, sizeof(q->why), "%s", m->rec.base.why);
		goto out;
	}
	if (st != MMF_RUN_FAILED) {
		snprintf(q->why, sizeof(q->why), "the trace's run does not fail: nothing to keep");
		goto out;
	}
	q->cls = q->s.report.cls;
	q->steps_before = q->s.steps;
	q->preempt_before = q->s.preemptions;
	canon_copy(&m->cur, &m->rec.out);
	q->picks_before = m->cur.npick;
	m->cost = cost_of(&q->s, m->cur.npick);
	m->params = q->params;
	snprintf(q->params_out, sizeof(q->params_out), "%s", q->params);

	/* From here on the canonical player drives the runs. */
	m->play.base.ops = &play_ops;
	m->rec.inner = &m->play.base;

	/* The workload spelled out: the same run without the values setup
	 * drew (they come first), if the program can describe it. */
	bool described = false;
	uint64_t nsetup = q->s.host_values;
	char desc[1024];
	if (q->prog->describe && nsetup <= m->cur.nval &&
	    q->prog->describe(&q->s, desc, sizeof(desc)) == 0) {
		canon_copy(&m->cand, &m->cur);
		memmove(m->cand.val, m->cand.val + nsetup,
			(m->cand.nval - nsetup) * sizeof(*m->cand.val));
		m->cand.nval -= nsetup;
		snprintf(m->cand_params, sizeof(m->cand_params), "%s", desc);
		uint64_t cost = m->cost;
		m->cost = UINT64_MAX;   /* the same run: adopt it at equal cost */
		described = try_cand(m);
		m->cand_params[0] = 0;
		if (described)
			m->params = q->params_out;
		else
			m->cost = cost;
	}

	for (int pass = 0; pass < 8 && q->runs < q->budget; pass++) {
		bool any = described && drop_ops(m);
		any |= described && lower_params(m);
		any |= drop_picks(m);
		any |= drop_faults(m);
		any |= lower_values(m);
		if (!any)
			break;
	}

	/* The minimized run once more, with its trace and step log. */
	canon_copy(&m->cand, &m->cur);
	m->play.plan = &m->cand;
	q->s.opts.record = q->s.opts.log = true;
	st = mmf_run_program(&q->s, q->prog, m->params, err, sizeof(err), &bad);
	if (st != MMF_RUN_FAILED || q->s.report.cls != q->cls)
		mmf_internal("minimize: the minimized run does not fail the same way again");
	q->steps_after = q->s.steps;
	q->preempt_after = q->s.preemptions;
	q->picks_after = m->cur.npick;
	rc = 0;
out:
	q->priv = m;            /* the run's decision source: freed with q */
	return rc;
}

void mmf_minimize_free(struct mmf_minimize *q)
{
	struct mctx *m = q->priv;
	mmf_sched_destroy(&q->s);
	if (m) {
		mmf_canon_free(&m->cur);
		mmf_canon_free(&m->cand);
		mmf_canon_free(&m->rec.out);
		free(m);
	}
	q->priv = NULL;
}
