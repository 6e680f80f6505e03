/* decide.c - the decision sources; see decide.h. */
#define _GNU_SOURCE
#include "decide.h"
#include "trace.h"
#include "sanitizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

/* ---- rng ------------------------------------------------------------------ */

MMF_WRAPS
uint64_t mmf_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void mmf_rng_seed(struct mmf_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		seed = mmf_mix64(seed);
		r->s[i] = seed;
	}
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

MMF_WRAPS
uint64_t mmf_rng_next(struct mmf_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t mmf_rng_below(struct mmf_rng *r, uint64_t bound)
{
	if (bound <= 1)
		return 0;
	/* Rejection keeps it unbiased; bounds here are small. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t v;
	do
		v = mmf_rng_next(r);
	while (v >= limit);
	return v % bound;
}

void mmf_set_format(uint32_t set, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < 32 && off < len; i++) {
		if (!(set & (1u << i)))
			continue;
		int n = i == MMF_TICK ? snprintf(buf + off, len - off, "%st", off ? "," : "")
				      : snprintf(buf + off, len - off, "%s%d", off ? "," : "", i);
		off += (size_t)n;
	}
}

/* ---- input ---------------------------------------------------------------- */

static int input_choose(struct mmf_input_src *d, const struct mmf_choice *c)
{
	if (!d->have) {
		if (d->back - d->front < 2)
			return c->dflt;
		d->skip = d->buf[d->front];
		d->who = d->buf[d->front + 1];
		d->front += 2;
		d->have = true;
	}
	if (d->skip) {
		d->skip--;
		return c->dflt;
	}
	d->have = false;
	int k = d->who % (c->n - 1);
	return k >= c->dflt ? k + 1 : k;
}

static int input_pick(struct mmf_decider *base, const struct mmf_choice *c)
{
	struct mmf_input_src *d = (struct mmf_input_src *)base;
	d->picks++;
	int idx = input_choose(d, c);
	if (d->rec && d->nrec < d->rec_cap)
		d->rec[d->nrec++] = (struct mmf_pick_rec){
			.obj = (uintptr_t)base->at_obj, .set = c->set, .task = base->at_task,
			.dflt = c->ids[c->dflt], .chosen = c->ids[idx],
		};
	return idx;
}

static uint64_t input_bytes(struct mmf_input_src *d, int nb)
{
	if (d->back - d->front < (size_t)nb)
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < nb; i++)
		v |= (uint64_t)d->buf[--d->back] << (8 * i);
	return v;
}

static uint64_t input_value(struct mmf_decider *base, uint64_t bound)
{
	struct mmf_input_src *d = (struct mmf_input_src *)base;
	int nb = bound <= 0x100 ? 1 : bound <= 0x10000 ? 2 : bound <= 0x100000000ull ? 4 : 8;
	return input_bytes(d, nb) % bound;
}

static bool input_fault(struct mmf_decider *base, unsigned rate)
{
	struct mmf_input_src *d = (struct mmf_input_src *)base;
	if (d->back == d->front)
		return false;
	return input_bytes(d, 1) % rate == 0;
}

static void input_begin(struct mmf_decider *base)
{
	struct mmf_input_src *d = (struct mmf_input_src *)base;
	d->front = 0;
	d->back = d->len;
	d->skip = 0;
	d->have = false;
	d->picks = 0;
	d->nrec = 0;
}

static const struct mmf_decider_ops input_ops = {
	.name = "input", .begin = input_begin, .pick = input_pick,
	.value = input_value, .fault = input_fault,
	.size = sizeof(struct mmf_input_src),
};

void mmf_input_src_init(struct mmf_input_src *d, const uint8_t *buf, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &input_ops;
	d->buf = buf;
	d->len = len;
	input_begin(&d->base);
}

/* ---- random ----------------------------------------------------------------- */

static const struct mmf_decider_ops random_ops;

static void random_begin(struct mmf_decider *base)
{
	struct mmf_random_src *d = (struct mmf_random_src *)base;
	mmf_rng_seed(&d->rng, mmf_mix64(d->seed) ^ d->run);
	d->run++;
	/* Each run draws how often it switches: every decision (uniform,
	 * the classic random walk) down to about once in 2^MMF_RANDOM_STICKY
	 * decisions, log-uniformly.  Rare switching lets a task that was
	 * preempted stay off the CPU for long stretches while the others do
	 * whole operations, which races such as "A sleeps in the allocator
	 * while B frees and reuses the slot" need. */
	d->stick_log = (unsigned)mmf_rng_below(&d->rng, MMF_RANDOM_STICKY + 1);
	d->prio_run = d->prio_pct && mmf_rng_below(&d->rng, 100) < d->prio_pct;
	d->has_prio = 0;
	d->early_time = MMF_EARLY_TIME_STEPS;
	if (d->uniform_pct && mmf_rng_below(&d->rng, 100) < d->uniform_pct)
		d->stick_log = 0;
}

void mmf_random_src_mix(struct mmf_decider *base, unsigned uniform_pct, unsigned prio_pct)
{
	if (base->ops != &random_ops)
		return;
	struct mmf_random_src *d = (struct mmf_random_src *)base;
	d->uniform_pct = uniform_pct > 100 ? 100 : uniform_pct;
	d->prio_pct = prio_pct > 100 ? 100 : prio_pct;
}

static uint64_t random_prio(struct mmf_random_src *d, int id)
{
	if (id == MMF_TICK && !d->early_time)
		return 0;       /* time passes only when no task can run */
	if (!(d->has_prio >> id & 1)) {
		d->prio[id] = mmf_rng_next(&d->rng);
		d->has_prio |= 1u << id;
	}
	return d->prio[id];
}

/* Whether a pending step only reads its object: plain and atomic loads
 * and the read primitives.  Two reads of one object do not conflict. */
static bool step_reads(const struct mmf_site *site)
{
	if (!site || !site->what)
		return false;
	const char *w = site->what;
	size_t n = strlen(w);
	return (n >= 4 && !strcmp(w + n - 4, "load")) || (n >= 5 && !strcmp(w + n - 5, "_read"));
}

static int random_prio_pick(struct mmf_random_src *d, const struct mmf_choice *c)
{
	/* A yield lets every other task go first: the yielder's step holds
	 * the lowest priority (a spin that yields cannot starve the task it
	 * waits for). */
	if (c->yield && c->cur >= 0) {
		d->prio[c->ids[c->cur]] = 0;
		d->has_prio |= 1u << c->ids[c->cur];
	}
	int best = 0;
	for (int i = 1; i < c->n; i++)
		if (random_prio(d, c->ids[i]) > random_prio(d, c->ids[best]))
			best = i;
	/* The chosen step runs: the task's next step draws anew, and so do
	 * the pending steps that conflict with it (same object, not both
	 * reads), as POS resets them, so that which of a racing pair goes
	 * first is drawn afresh each time one of them moves. */
	d->has_prio &= ~(1u << c->ids[best]);
	if (c->ids[best] == MMF_TICK && d->early_time)
		d->early_time--;
	if (c->obj[best]) {
		bool rd = step_reads(c->site[best]);
		for (int i = 0; i < c->n; i++)
			if (i != best && c->obj[i] == c->obj[best] && !(rd && step_reads(c->site[i])))
				d->has_prio &= ~(1u << c->ids[i]);
	}
	return best;
}

static int random_pick(struct mmf_decider *base, const struct mmf_choice *c)
{
	struct mmf_random_src *d = (struct mmf_random_src *)base;
	if (d->prio_run)
		return random_prio_pick(d, c);
	if (d->stick_log && c->cur >= 0 &&
	    mmf_rng_below(&d->rng, 1ull << d->stick_log) != 0)
		return c->cur;
	return (int)mmf_rng_below(&d->rng, (uint64_t)c->n);
}

static uint64_t random_value(struct mmf_decider *base, uint64_t bound)
{
	struct mmf_random_src *d = (struct mmf_random_src *)base;
	return mmf_rng_below(&d->rng, bound);
}

static bool random_fault(struct mmf_decider *base, unsigned rate)
{
	struct mmf_random_src *d = (struct mmf_random_src *)base;
	return mmf_rng_below(&d->rng, rate) == 0;
}

static const struct mmf_decider_ops random_ops = {
	.name = "random", .begin = random_begin, .pick = random_pick,
	.value = random_value, .fault = random_fault,
	.size = sizeof(struct mmf_random_src),
};

void mmf_random_src_init(struct mmf_random_src *d, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &random_ops;
	d->seed = seed;
}

void mmf_random_src_at(struct mmf_random_src *d, uint64_t run) { d->run = run; }

/* ---- PCT ---------------------------------------------------------------------- */

static void pct_begin(struct mmf_decider *base)
{
	struct mmf_pct_src *d = (struct mmf_pct_src *)base;
	mmf_rng_seed(&d->rng, mmf_mix64(d->seed ^ 0x5043540000000000ull) ^ d->run);
	d->run++;
	d->picks = 0;
	d->has_prio = 0;
	d->early_time = MMF_EARLY_TIME_STEPS;
	/* d-1 change points, uniform over the expected number of decisions. */
	for (int i = 0; i < d->depth - 1; i++)
		d->change[i] = 1 + mmf_rng_below(&d->rng, d->est_steps);
}

static void pct_end(struct mmf_decider *base, enum mmf_run_status st)
{
	struct mmf_pct_src *d = (struct mmf_pct_src *)base;
	(void)st;
	if (d->picks > d->est_steps)
		d->est_steps = d->picks;
}

static int64_t pct_prio(struct mmf_pct_src *d, int id)
{
	if (id == MMF_TICK && (!d->programs || !d->early_time))
		return INT64_MIN; /* time moves only when nothing else can */
	if (!(d->has_prio & (1u << id))) {
		/* Initial priorities are above every change-point priority
		 * (which are 0..d-2); distinct by construction. */
		d->prio[id] = (int64_t)(MMF_PCT_MAX_DEPTH +
					(mmf_rng_below(&d->rng, 1u << 20) << 5) + (uint64_t)id);
		d->has_prio |= 1u << id;
	}
	return d->prio[id];
}

static int pct_best(struct mmf_pct_src *d, const struct mmf_choice *c)
{
	int best = 0;
	for (int i = 1; i < c->n; i++)
		if (pct_prio(d, c->ids[i]) > pct_prio(d, c->ids[best]))
			best = i;
	return best;
}

static int pct_pick(struct mmf_decider *base, const struct mmf_choice *c)
{
	struct mmf_pct_src *d = (struct mmf_pct_src *)base;
	d->picks++;
	if (d->programs && c->yield && c->cur >= 0) {
		/* Exec mode: a yield drops the yielder below every task, as a
		 * yield on a real system goes to the back of the queue; fixed
		 * priorities would otherwise let two spinners that yield to
		 * each other starve the task they wait for. */
		int64_t low = pct_prio(d, c->ids[c->cur]);
		for (int i = 0; i < c->n; i++)
			if (c->ids[i] != MMF_TICK && pct_prio(d, c->ids[i]) < low)
				low = pct_prio(d, c->ids[i]);
		d->prio[c->ids[c->cur]] = low - 1;
	}
	int best = pct_best(d, c);
	for (int i = 0; i < d->depth - 1; i++) {
		if (d->change[i] == d->picks && c->ids[best] != MMF_TICK) {
			/* Change point i: the task about to run drops to priority
			 * d-2-i, below every initial priority. */
			d->prio[c->ids[best]] = d->depth - 2 - i;
			best = pct_best(d, c);
		}
	}
	if (c->ids[best] == MMF_TICK && d->early_time)
		d->early_time--;
	return best;
}

static uint64_t pct_value(struct mmf_decider *base, uint64_t bound)
{
	return mmf_rng_below(&((struct mmf_pct_src *)base)->rng, bound);
}

static bool pct_fault(struct mmf_decider *base, unsigned rate)
{
	return mmf_rng_below(&((struct mmf_pct_src *)base)->rng, rate) == 0;
}

static const struct mmf_decider_ops pct_ops;

void mmf_pct_src_programs(struct mmf_decider *base, bool on)
{
	if (base->ops == &pct_ops)
		((struct mmf_pct_src *)base)->programs = on;
}

static const struct mmf_decider_ops pct_ops = {
	.name = "pct", .begin = pct_begin, .pick = pct_pick,
	.value = pct_value, .fault = pct_fault, .end = pct_end,
	.size = sizeof(struct mmf_pct_src),
};

void mmf_pct_src_init(struct mmf_pct_src *d, uint64_t seed, int depth)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &pct_ops;
	d->seed = seed;
	d->depth = depth < 1 ? 1 : depth > MMF_PCT_MAX_DEPTH ? MMF_PCT_MAX_DEPTH : depth;
	d->est_steps = 32;
}

void mmf_pct_src_at(struct mmf_pct_src *d, uint64_t run) { d->run = run; }

/* ---- exhaustive ------------------------------------------------------------------
 * Stateless search by re-execution: the stack holds the decisions of the
 * current schedule; the next schedule replays a prefix and changes the
 * deepest decision that still has an untried alternative within the
 * preemption bound.  Alternatives are tried in the order dflt, dflt+1, ...
 * so the first schedule is the non-preemptive one. */
struct mmf_xnode {
	uint32_t n;                     /* alternatives */
	int32_t cur;                    /* index that does not preempt, or -1 */
	uint32_t dflt;
	uint32_t k;                     /* which alternative is being tried */
	int32_t pre;                    /* preemptions before this decision */
	int32_t tick;                   /* index of "advance time", or -1 */
	uint8_t kind;
};

static uint32_t xopt(const struct mmf_xnode *x, uint32_t k) { return (x->dflt + k) % x->n; }

/* What an alternative costs against the bound: running another task while
 * the current one could go on, letting time pass while some task could run
 * (the default only advances time when nothing can), and injecting a fault.
 * Without the second, a loop that sleeps a tick and retries while the task
 * it waits for stays runnable makes even bound 0 infinite; without the
 * third, an allocation that takes its slow path every time can starve a
 * fault forever (a schedule no source would produce). */
static int xcost(const struct mmf_xnode *x, uint32_t o)
{
	if (x->kind == MMF_DEC_FAULT)
		return o == 1;
	if (x->cur >= 0 && o != (uint32_t)x->cur)
		return 1;
	return x->tick >= 0 && o == (uint32_t)x->tick && o != x->dflt;
}

static uint32_t explore_decide(struct mmf_explore_src *d, uint8_t kind, uint32_t n,
			       int32_t cur, uint32_t dflt, int32_t tick)
{
	struct mmf_xnode *x;
	if (d->pos < d->depth) {
		x = &d->stack[d->pos];
		if (x->n != n || x->kind != kind || x->cur != cur) {
			/* The same prefix must give the same choices. */
			d->nondeterministic = true;
			d->base.forced = MMF_RUN_DIVERGED;
			snprintf(d->base.why, sizeof(d->base.why),
				 "explore: decision %zu offered %u choices, %u before: the program is "
				 "not deterministic under the scheduler", d->pos, n, x->n);
			return 0;
		}
	} else {
		if (d->depth == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 256;
			d->stack = realloc(d->stack, d->cap * sizeof(*d->stack));
			if (!d->stack)
				mmf_internal("out of memory (explore stack)");
		}
		x = &d->stack[d->depth++];
		*x = (struct mmf_xnode){n, cur, dflt, 0, d->pre_now, tick, kind};
	}
	d->pos++;
	uint32_t o = xopt(x, x->k);
	d->pre_now += xcost(x, o);
	return o;
}

static void explore_begin(struct mmf_decider *base)
{
	struct mmf_explore_src *d = (struct mmf_explore_src *)base;
	d->pos = 0;
	d->pre_now = 0;
}

static int explore_pick(struct mmf_decider *base, const struct mmf_choice *c)
{
	int32_t tick = c->ids[c->n - 1] == MMF_TICK ? c->n - 1 : -1;
	return (int)explore_decide((struct mmf_explore_src *)base, MMF_DEC_PICK, (uint32_t)c->n,
				   c->cur, (uint32_t)c->dflt, tick);
}

static uint64_t explore_value(struct mmf_decider *base, uint64_t bound)
{
	if (bound > 1u << 16)
		mmf_internal("explore: value bound %llu is too wide to enumerate",
			     (unsigned long long)bound);
	return explore_decide((struct mmf_explore_src *)base, MMF_DEC_VALUE, (uint32_t)bound, -1, 0, -1);
}

static bool explore_fault(struct mmf_decider *base, unsigned rate)
{
	(void)rate;
	return explore_decide((struct mmf_explore_src *)base, MMF_DEC_FAULT, 2, -1, 0, -1) == 1;
}

static void explore_end(struct mmf_decider *base, enum mmf_run_status st)
{
	struct mmf_explore_src *d = (struct mmf_explore_src *)base;
	(void)st;
	d->schedules++;
	if (d->pos < d->depth && st != MMF_RUN_DIVERGED) {
		d->nondeterministic = true;
		snprintf(d->base.why, sizeof(d->base.why),
			 "explore: run ended after %zu of %zu replayed decisions", d->pos, d->depth);
	}
	/* Decisions past the end of this run belong to no schedule. */
	if (d->pos < d->depth)
		d->depth = d->pos;
}

bool mmf_explore_next(struct mmf_explore_src *d)
{
	while (d->depth > 0) {
		struct mmf_xnode *x = &d->stack[d->depth - 1];
		for (uint32_t k = x->k + 1; k < x->n; k++) {
			if (d->bound < 0 || x->pre + xcost(x, xopt(x, k)) <= d->bound) {
				x->k = k;
				return true;
			}
		}
		d->depth--;
	}
	return false;
}

static const struct mmf_decider_ops explore_ops = {
	.name = "explore", .begin = explore_begin, .pick = explore_pick,
	.value = explore_value, .fault = explore_fault, .end = explore_end,
	.size = sizeof(struct mmf_explore_src),
};

void mmf_explore_src_init(struct mmf_explore_src *d, int bound)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &explore_ops;
	d->bound = bound;
}

void mmf_explore_src_free(struct mmf_explore_src *d)
{
	free(d->stack);
	d->stack = NULL;
}

/* ---- replay ------------------------------------------------------------------------- */

/* The run left the trace: strict replay stops it; lenient replay notes
 * where and goes on with default decisions. */
static void replay_diverge(struct mmf_replay_src *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void replay_diverge(struct mmf_replay_src *d, const char *fmt, ...)
{
	va_list ap;
	if (d->base.forced != MMF_RUN_CLEAN)
		return;         /* the first divergence is the one to report */
	va_start(ap, fmt);
	if (d->lenient) {
		vsnprintf(d->off_why, sizeof(d->off_why), fmt, ap);
		d->off = true;
		d->off_at = d->pos;
	} else {
		vsnprintf(d->base.why, sizeof(d->base.why), fmt, ap);
		d->base.forced = MMF_RUN_DIVERGED;
	}
	va_end(ap);
}

static const struct mmf_decision *replay_next(struct mmf_replay_src *d, uint8_t kind,
					      const char *what)
{
	if (d->off || d->base.forced != MMF_RUN_CLEAN)
		return NULL;
	if (d->pos >= d->n) {
		replay_diverge(d, "replay diverged: the trace ended after %zu decisions but the run "
			       "asks for another (%s)", d->n, what);
		return NULL;
	}
	const struct mmf_decision *e = &d->d[d->pos];
	if (e->kind != kind) {
		replay_diverge(d, "replay diverged at decision %zu: recorded a '%c' decision, the "
			       "run asks for '%c' (%s)", d->pos + 1, e->kind, kind, what);
		return NULL;
	}
	if (!d->lenient && e->task != d->base.at_task) {
		char a[8] = "-", b[8] = "-";
		if (e->task != 255)
			snprintf(a, sizeof(a), "T%d", e->task);
		if (d->base.at_task != 255)
			snprintf(b, sizeof(b), "T%d", d->base.at_task);
		replay_diverge(d, "replay diverged at decision %zu: recorded in task %s, now in task %s",
			       d->pos + 1, a, b);
		return NULL;
	}
	if (!d->lenient && d->check_sites && !mmf_site_same(e->site, d->base.at)) {
		char a[300], b[300];
		mmf_site_token(e->site, a, sizeof(a));
		mmf_site_token(d->base.at, b, sizeof(b));
		replay_diverge(d, "replay diverged at decision %zu: recorded at %s, now at %s",
			       d->pos + 1, a, b);
		return NULL;
	}
	d->pos++;
	return e;
}

static int replay_pick(struct mmf_decider *base, const struct mmf_choice *c)
{
	struct mmf_replay_src *d = (struct mmf_replay_src *)base;
	const struct mmf_decision *e = replay_next(d, MMF_DEC_PICK, "a task pick");
	if (!e)
		return c->dflt;
	if (e->set != c->set) {
		char a[80], b[80];
		mmf_set_format(e->set, a, sizeof(a));
		mmf_set_format(c->set, b, sizeof(b));
		replay_diverge(d, "replay diverged at decision %zu: recorded runnable set {%s}, now "
			       "{%s}", d->pos, a, b);
		return c->dflt;
	}
	for (int i = 0; i < c->n; i++)
		if (c->ids[i] == e->chosen)
			return i;
	replay_diverge(d, "replay diverged at decision %zu: recorded choice %d is not runnable",
		       d->pos, e->chosen);
	return c->dflt;
}

static uint64_t replay_value(struct mmf_decider *base, uint64_t bound)
{
	struct mmf_replay_src *d = (struct mmf_replay_src *)base;
	const struct mmf_decision *e = replay_next(d, MMF_DEC_VALUE, "a value");
	if (!e)
		return 0;
	if (e->bound != bound || e->value >= bound) {
		replay_diverge(d, "replay diverged at decision %zu: recorded a value below %llu, the "
			       "run asks for one below %llu", d->pos, (unsigned long long)e->bound,
			       (unsigned long long)bound);
		return 0;
	}
	return e->value;
}

static bool replay_fault(struct mmf_decider *base, unsigned rate)
{
	struct mmf_replay_src *d = (struct mmf_replay_src *)base;
	const struct mmf_decision *e = replay_next(d, MMF_DEC_FAULT, "a fault decision");
	if (!e)
		return false;
	if (e->bound != rate) {
		replay_diverge(d, "replay diverged at decision %zu: recorded fault rate %llu, now %u",
			       d->pos, (unsigned long long)e->bound, rate);
		return false;
	}
	return e->chosen != 0;
}

static void replay_begin(struct mmf_decider *base)
{
	struct mmf_replay_src *d = (struct mmf_replay_src *)base;
	d->pos = 0;
	d->off = false;
	d->off_at = 0;
	d->off_why[0] = 0;
}

static void replay_end(struct mmf_decider *base, enum mmf_run_status st)
{
	struct mmf_replay_src *d = (struct mmf_replay_src *)base;
	if (st != MMF_RUN_DIVERGED && !d->off && d->pos < d->n &&
	    d->base.forced == MMF_RUN_CLEAN)
		replay_diverge(d, "replay diverged: the run ended after %zu of the trace's %zu "
			       "decisions", d->pos, d->n);
}

static const struct mmf_decider_ops replay_ops = {
	.name = "replay", .begin = replay_begin, .pick = replay_pick,
	.value = replay_value, .fault = replay_fault, .end = replay_end,
	.size = sizeof(struct mmf_replay_src),
};

void mmf_replay_src_init(struct mmf_replay_src *d, const struct mmf_decision *dec, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &replay_ops;
	d->d = dec;
	d->n = n;
	d->check_sites = true;
}
