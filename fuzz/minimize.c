/* minimize.c - see minimize.h.  Every run (the original, each candidate,
 * the result) executes in a supervised child (guard.h), so a candidate
 * that crashes or overruns the time limit is a run with that ending, not
 * the end of the minimizer; a crash or timeout is minimized like any other
 * class.  What a run did comes back in its flight record: its decisions,
 * each pick with the default it departed from and its canonical position,
 * from which the canonical description is read off. */
#define _GNU_SOURCE
#include "minimize.h"
#include "decide.h"
#include "flight.h"
#include "guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* ---- a run's canonical description, read off its decisions ------------------ */

/* What the recorder of a live run would have written: every value in
 * order, every pick that departed from the default at its position, every
 * injected fault by its ordinal.  (The picks of a run that died are in
 * order of occurrence: sorted here.) */
static void canon_from_trace(struct mmf_canon *c, const struct mmf_trace *t)
{
	canon_reset(c);
	uint32_t fk = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct mmf_decision *d = &t->d[i];
		switch (d->kind) {
		case MMF_DEC_VALUE:
			push_val(c, d->value);
			break;
		case MMF_DEC_PICK:
			if (d->chosen != d->dflt)
				push_pick(c, d->key, d->chosen);
			break;
		case MMF_DEC_FAULT:
			if (d->chosen)
				push_fault(c, fk);
			fk++;
			break;
		}
	}
	sort_picks(c);
}

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
	uint64_t key = mmf_choice_key(c);
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
	.value = play_value, .fault = play_fault, .size = sizeof(struct play_src),
};

/* ---- the search ---------------------------------------------------------------- */

struct mctx {
	struct mmf_minimize *q;
	const char *params;             /* the current run's params */
	char cand_params[1024];
	struct play_src play;
	struct mmf_canon cur, cand, out;
	uint64_t cost;          /* of cur */
	bool stop;              /* interrupted, or an internal error: give up */
	struct mmf_guard_end stop_end;
};

/* Smaller is simpler: preemptions first, then other non-default picks,
 * then steps. */
static uint64_t cost_of(const struct mmf_sched *s, size_t npick)
{
	uint64_t pre = 0;
	for (size_t i = 0; i < s->trace.n; i++)
		pre += s->trace.d[i].preempt;
	return (pre << 40) + ((uint64_t)npick << 24) + s->steps;
}

/* One run in a supervised child: params, with decisions from dec (the
 * child's copy of it); post becomes the run's post-mortem. */
struct run_ctx {
	const struct mmf_program *prog;
	const char *params;
	struct mmf_decider *dec;
	bool log;
	struct mmf_flight *f;
};

static void run_child(void *arg)
{
	struct run_ctx *c = arg;
	struct mmf_sched_opts o = {.mode = MMF_MODE_FIBERS, .record = true, .log = c->log};
	struct mmf_sched s;
	mmf_sched_init(&s, &o, c->dec);
	mmf_sched_use_flight(&s, c->f);
	int bad;
	char err[256];
	mmf_run_program(&s, c->prog, c->params, err, sizeof(err), &bad);
	if (bad)
		_exit(2);       /* an edited plan the program refuses */
}

/* 0: post holds the run; 1: the program refused the params; -1: stop
 * (interrupt, kill from outside, internal error: m->stop_end says). */
static int run_guarded(struct mctx *m, struct mmf_decider *dec, const char *params, bool log,
		       size_t ndec_hint, struct mmf_sched *post)
{
	struct run_ctx c = {m->q->prog, params, dec, log,
			    mmf_flight_new(ndec_hint + MMF_FLIGHT_CAP)};
	struct mmf_guard_end e;
	pid_t pid = mmf_guard_spawn(run_child, &c, -1);
	mmf_guard_wait(pid, c.f, m->q->timeout_ms, &e);
	int rc = 0;
	if (e.how == MMF_GUARD_KILLED || e.how == MMF_GUARD_INTERNAL) {
		m->stop = true;
		m->stop_end = e;
		rc = -1;
	} else if (e.how == MMF_GUARD_DONE && e.exit_code == 2) {
		rc = 1;
	}
	if (!rc)
		mmf_guard_adopt(c.f, post);
	mmf_flight_free(c.f);
	return rc;
}

/* Run the candidate; adopt it (as re-described from what it did) if it
 * fails with the class and is no more complex than the current run. */
static bool try_cand(struct mctx *m)
{
	struct mmf_minimize *q = m->q;
	if (q->runs >= q->budget || m->stop)
		return false;
	q->runs++;
	m->play.plan = &m->cand;
	const char *params = m->cand_params[0] ? m->cand_params : m->params;
	struct mmf_sched post;
	if (run_guarded(m, &m->play.base, params, false, 0, &post))
		return false;
	bool keep = post.failed && post.status == MMF_RUN_FAILED && post.report.cls == q->cls;
	bool progress = false;
	if (keep) {
		canon_from_trace(&m->out, &post.trace);
		uint64_t c = cost_of(&post, m->out.npick);
		keep = c <= m->cost;
		progress = c < m->cost;
		if (keep) {
			canon_copy(&m->cur, &m->out);
			m->cost = c;
			if (m->cand_params[0])
				snprintf(q->params_out, sizeof(q->params_out), "%s", m->cand_params);
		}
	}
	mmf_sched_destroy(&post);
	return keep && progress;
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
		{"mms", 1}, {"swap", 1}, {"zswap", 0}, {"syncio", -1}, {"thp", -1}, {"frames", 8}, {"failrate", -1},
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

static void stop_why(struct mctx *m)
{
	struct mmf_minimize *q = m->q;
	if (m->stop_end.how == MMF_GUARD_INTERNAL)
		mmf_internal("minimize: %s", m->stop_end.why);
	q->interrupted = !strcmp(m->stop_end.why, "interrupted");
	snprintf(q->why, sizeof(q->why), "%s", q->interrupted ? "interrupted" : m->stop_end.why);
}

int mmf_minimize_run(struct mmf_minimize *q)
{
	struct mctx *m = calloc(1, sizeof(*m));
	if (!m)
		mmf_internal("out of memory in the minimizer");
	m->q = q;
	q->runs = 0;
	q->why[0] = 0;
	q->interrupted = false;
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS};
	mmf_sched_init(&q->s, &so, NULL);
	int rc = -1;

	/* The original run, replayed (its verdict in shared memory, so it
	 * outlives the child) and described canonically. */
	struct mmf_replay_src *rp = mmap(NULL, sizeof(*rp), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rp == MAP_FAILED)
		mmf_internal("cannot map shared memory");
	mmf_replay_src_init(rp, q->trace, q->ntrace);
	rp->check_sites = q->check_sites;
	struct mmf_sched orig;
	int r = run_guarded(m, &rp->base, q->params, false, q->ntrace, &orig);
	if (r) {
		if (r > 0)
			snprintf(q->why, sizeof(q->why), "the program refuses the trace's params");
		else
			stop_why(m);
		munmap(rp, sizeof(*rp));
		goto out;
	}
	if (orig.status == MMF_RUN_DIVERGED) {
		snprintf(q->why, sizeof(q->why), "%s", rp->base.why);
		munmap(rp, sizeof(*rp));
		mmf_sched_destroy(&orig);
		goto out;
	}
	munmap(rp, sizeof(*rp));
	if (!orig.failed) {
		snprintf(q->why, sizeof(q->why), "the trace's run does not fail: nothing to keep");
		mmf_sched_destroy(&orig);
		goto out;
	}
	q->cls = orig.report.cls;
	q->steps_before = orig.steps;
	canon_from_trace(&m->cur, &orig.trace);
	q->picks_before = m->cur.npick;
	m->cost = cost_of(&orig, m->cur.npick);
	q->preempt_before = m->cost >> 40;
	m->params = q->params;
	snprintf(q->params_out, sizeof(q->params_out), "%s", q->params);
	uint64_t nsetup = orig.host_values;
	mmf_sched_destroy(&orig);

	/* From here on the canonical player drives the runs. */
	m->play.base.ops = &play_ops;

	/* The workload spelled out: the same run without the values setup
	 * drew (they come first), if the program can describe it.  Setup
	 * alone (no task runs) builds the workload to describe, here. */
	bool described = false;
	char desc[1024];
	if (q->prog->describe && nsetup <= m->cur.nval) {
		struct mmf_sched ss;
		char err[256];
		m->play.plan = &m->cur;
		mmf_sched_init(&ss, &so, &m->play.base);
		bool ok = !mmf_setup_program(&ss, q->prog, q->params, err, sizeof(err)) &&
			  q->prog->describe(&ss, desc, sizeof(desc)) == 0;
		mmf_sched_destroy(&ss);
		if (ok) {
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
	}

	for (int pass = 0; pass < 8 && q->runs < q->budget && !m->stop; pass++) {
		bool any = described && drop_ops(m);
		any |= described && lower_params(m);
		any |= drop_picks(m);
		any |= drop_faults(m);
		any |= lower_values(m);
		if (!any)
			break;
	}
	if (m->stop) {
		stop_why(m);
		goto out;
	}

	/* The minimized run once more, with its trace and step log. */
	canon_copy(&m->cand, &m->cur);
	m->play.plan = &m->cand;
	mmf_sched_destroy(&q->s);
	r = run_guarded(m, &m->play.base, m->params, true, 0, &q->s);
	if (r) {
		mmf_sched_init(&q->s, &so, NULL);
		if (r < 0)
			stop_why(m);
		else
			snprintf(q->why, sizeof(q->why), "the program refuses the minimized params");
		goto out;
	}
	if (!q->s.failed || q->s.report.cls != q->cls) {
		if (q->cls != MMF_FAIL_TIMEOUT)
			mmf_internal("minimize: the minimized run does not fail the same way again");
		snprintf(q->why, sizeof(q->why), "the minimized run did not overrun the limit again "
			 "(a timeout that depends on the machine's load?)");
		goto out;
	}
	q->steps_after = q->s.steps;
	q->preempt_after = cost_of(&q->s, 0) >> 40;
	q->picks_after = m->cur.npick;
	rc = 0;
out:
	q->priv = m;
	return rc;
}

void mmf_minimize_free(struct mmf_minimize *q)
{
	struct mctx *m = q->priv;
	mmf_sched_destroy(&q->s);
	if (m) {
		mmf_canon_free(&m->cur);
		mmf_canon_free(&m->cand);
		mmf_canon_free(&m->out);
		free(m);
	}
	q->priv = NULL;
}
