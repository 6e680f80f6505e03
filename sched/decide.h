/* decide.h - the decision sources behind struct mmf_decider.  Each one
 * answers every choice of a run: which runnable task goes next, fault
 * injection, and any "random" value the model or workload draws.
 *
 *   input      fuzzer bytes: picks from the front, values from the back;
 *              short inputs mean few preemptions; exhausted bytes fall
 *              back to the non-preemptive default.
 *   random     seeded random walk: each run draws a switch rate, from a
 *              uniform choice at every decision to about 1 in 256.
 *   pct        Probabilistic Concurrency Testing: random task priorities
 *              plus d-1 priority change points (Burckhardt et al. 2010).
 *   explore    depth-first over every schedule with at most K preemptions;
 *              counts schedules and says whether the search completed.
 *   replay     a recorded trace; stops the run if the runnable set differs
 *              (lenient: goes on with default decisions).
 */
#ifndef MMF_DECIDE_H
#define MMF_DECIDE_H

#include "scheduler.h"

/* xoshiro256** seeded by splitmix64: small, fast, reproducible. */
struct mmf_rng {
	uint64_t s[4];
};
void mmf_rng_seed(struct mmf_rng *r, uint64_t seed);
uint64_t mmf_rng_next(struct mmf_rng *r);
uint64_t mmf_rng_below(struct mmf_rng *r, uint64_t bound);
uint64_t mmf_mix64(uint64_t x);

/* What the input source saw at one pick, when asked to record them (the
 * decision-space mutator's reverse operation, fuzz/mutator.h). */
struct mmf_pick_rec {
	uintptr_t obj;          /* the object the running task acts on next (0: none) */
	uint32_t set;           /* runnable ids */
	uint8_t task;           /* the running task (255: none) */
	uint8_t dflt;           /* the default pick's id */
	uint8_t chosen;         /* the id picked */
};

/* ---- input ---------------------------------------------------------------
 * Picks: each 2-byte record (skip, who) lets 'skip' choices take the
 * default, then deviates to a non-default candidate (who mod n-1).  Values:
 * little-endian bytes taken from the end of the buffer (1 byte for bounds
 * up to 256, 2 up to 65536, then 4 or 8).  Faults: one byte from the end,
 * a fault when it is 0 mod rate.  Every byte string is valid. */
struct mmf_input_src {
	struct mmf_decider base;
	struct mmf_pick_rec *rec;       /* NULL, or room for rec_cap records */
	uint32_t rec_cap, nrec;
	const uint8_t *buf;
	size_t len, front, back;
	unsigned skip;
	bool have;
	uint8_t who;
	uint32_t picks;                 /* decisions with a choice so far this run */
};
void mmf_input_src_init(struct mmf_input_src *d, const uint8_t *buf, size_t len);

/* ---- random ---------------------------------------------------------------
 * Run i uses the stream seeded by (seed, i), so run i of a campaign can be
 * redone on its own with mmf_random_src_init(seed) + mmf_random_src_at(i). */
struct mmf_random_src {
	struct mmf_decider base;
	uint64_t seed, run;
	struct mmf_rng rng;
	unsigned stick_log;             /* this run switches ~1 in 2^stick_log */
	unsigned uniform_pct;           /* share of runs that switch uniformly (0: 1 in 9) */
	unsigned prio_pct;              /* share of runs by random priorities (0: none) */
	bool prio_run;                  /* this run is one of them */
	uint32_t has_prio;              /* task ids with a priority this run */
	uint64_t prio[MMF_TICK + 1];
	unsigned early_time;            /* time steps left that may come early */
};
/* Random-priority runs and PCT with time steps let time pass while tasks
 * could run at most this often in a run; then only when none can.
 * Unbounded, a loop that retries a timed wait would keep the waiter
 * runnable for ever in front of a thread whose fixed priority is lower
 * (PCT, or a low draw), and a correct program would "hang". */
#define MMF_EARLY_TIME_STEPS 8
#define MMF_RANDOM_STICKY 8
void mmf_random_src_init(struct mmf_random_src *d, uint64_t seed);
void mmf_random_src_at(struct mmf_random_src *d, uint64_t run);
/* If d is a random source: prio_pct% of its runs (drawn before the
 * uniform share) schedule by random priorities, as partial order sampling
 * (POS, Yuan et al., CAV 2018) does: every task's next step holds a random
 * priority, the highest runs, and a step that runs gives its task a new
 * draw and resets the steps pending on the same object that conflict with
 * it (not both reads).  Time passing is a step like the others.  A task
 * whose step drew low stays stopped where it is while the others run many
 * steps, threads created meanwhile included, which order violations need
 * and uniform switching rarely gives.  Of the other runs, uniform_pct%
 * switch at every decision (stick_log 0) and the rest draw a switch rate.
 * Exec mode sets both; the model keeps 0, 0 (1 run in 9 uniform). */
void mmf_random_src_mix(struct mmf_decider *d, unsigned uniform_pct, unsigned prio_pct);

/* ---- PCT ------------------------------------------------------------------ */
#define MMF_PCT_MAX_DEPTH 8
struct mmf_pct_src {
	struct mmf_decider base;
	uint64_t seed, run;
	struct mmf_rng rng;
	int depth;                      /* d: bugs of depth d are found w.p. >= 1/(n k^(d-1)) */
	uint64_t est_steps;             /* k: decisions per run, learnt from past runs */
	uint64_t change[MMF_PCT_MAX_DEPTH];
	uint64_t picks;
	int64_t prio[MMF_TICK + 1];
	uint32_t has_prio;
	bool programs;                  /* user programs' rules (mmf_pct_src_programs) */
	unsigned early_time;            /* time steps that may still come early */
};
void mmf_pct_src_init(struct mmf_pct_src *d, uint64_t seed, int depth);
void mmf_pct_src_at(struct mmf_pct_src *d, uint64_t run);
/* If d is a PCT source: the rules for user programs (exec mode) on or off
 * (the default, the model's).  On: letting virtual time pass gets a random
 * priority like a task, so a sleeper may wake while others could still run
 * (up to MMF_EARLY_TIME_STEPS times a run), which a program's sleep-based
 * ordering needs to be tested at all; and a task that yields drops below
 * every task, as a yield on a real system goes to the back of the queue. */
void mmf_pct_src_programs(struct mmf_decider *d, bool on);

/* ---- exhaustive ------------------------------------------------------------ */
struct mmf_xnode;
struct mmf_explore_src {
	struct mmf_decider base;
	int bound;                      /* preemption bound K; <0: unbounded */
	struct mmf_xnode *stack;
	size_t depth, cap, pos;
	int pre_now;
	uint64_t schedules;             /* runs completed so far */
	bool nondeterministic;          /* a replayed prefix saw a different choice */
};
void mmf_explore_src_init(struct mmf_explore_src *d, int bound);
void mmf_explore_src_free(struct mmf_explore_src *d);
/* After a run: move to the next schedule.  False when the space is done. */
bool mmf_explore_next(struct mmf_explore_src *d);

/* ---- replay ---------------------------------------------------------------- */
struct mmf_replay_src {
	struct mmf_decider base;
	const struct mmf_decision *d;
	size_t n, pos;
	/* Lenient replay (checking a fix under another variant set): at the
	 * first decision that does not fit, note it and take the default
	 * decision (the running task, value 0, no fault) from then on instead
	 * of stopping the run. */
	bool lenient;
	/* Strict replay also checks where each decision is taken: in the
	 * recorded task and (check_sites: the recording has sites) at the
	 * recorded site, so that a model changed since the recording is
	 * reported at the first decision that moved. */
	bool check_sites;
	bool off;                       /* lenient and past the divergence */
	size_t off_at;                  /* decision number where it left the trace */
	char off_why[256];
};
void mmf_replay_src_init(struct mmf_replay_src *d, const struct mmf_decision *dec, size_t n);

/* Format a runnable set as "0,1,t". */
void mmf_set_format(uint32_t set, char *buf, size_t len);

#endif
