/* mutator.c - see mutator.h.  Self-contained (libc only): the AFL++
 * custom mutator library is built from this file alone. */
#define _GNU_SOURCE
#include "mutator.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t mmf_mut_mix(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* splitmix64: the mutator's only source of chance. */
struct rng {
	uint64_t s;
};
static uint64_t rnext(struct rng *r)
{
	uint64_t z = mmf_mut_mix(r->s);
	r->s += 0x9e3779b97f4a7c15ull;
	return z;
}
static uint32_t rbelow(struct rng *r, uint32_t n) { return n ? (uint32_t)(rnext(r) % n) : 0; }

/* A schedule in absolute terms: deviation j happens at decision at[j]
 * (strictly increasing) and picks candidate who[j]. */
struct sched {
	size_t n;
	uint32_t at[MMF_MUT_MAX_RECORDS];
	uint8_t who[MMF_MUT_MAX_RECORDS];
};

/* Where the schedule ends and the workload begins in an input of this
 * size: the records its last run read and the value bytes it read. */
static void layout(size_t size, const struct mmf_shape *sh, size_t *nrec, size_t *nval)
{
	size_t r, v;
	if (sh) {
		r = sh->front / 2;
		if (2 * r > size)
			r = size / 2;
		v = sh->back;
		if (v > size - 2 * r)
			v = size - 2 * r;
	} else {
		r = size / 4;
		v = size - 2 * r;
	}
	if (r > MMF_MUT_MAX_RECORDS)
		r = MMF_MUT_MAX_RECORDS;
	*nrec = r;
	*nval = v;
}

size_t mmf_mut_records(size_t size, const struct mmf_shape *shape)
{
	size_t r, v;
	layout(size, shape, &r, &v);
	return r;
}

static void decode(const uint8_t *d, size_t nrec, struct sched *s)
{
	uint32_t pos = 0;
	s->n = nrec;
	for (size_t j = 0; j < nrec; j++) {
		s->at[j] = pos + d[2 * j];
		s->who[j] = d[2 * j + 1];
		pos = s->at[j] + 1;
	}
}

/* Records for s into out (2 bytes each); a gap over 255 decisions cannot
 * be said in one record, so that deviation comes as late as it can. */
static size_t encode(const struct sched *s, uint8_t *out)
{
	uint32_t pos = 0;
	for (size_t j = 0; j < s->n; j++) {
		uint32_t gap = s->at[j] >= pos ? s->at[j] - pos : 0;
		if (gap > 255)
			gap = 255;
		out[2 * j] = (uint8_t)gap;
		out[2 * j + 1] = s->who[j];
		pos += gap + 1;
	}
	return 2 * s->n;
}

/* An input (its first max bytes) as a schedule and a copy of its values;
 * returns how many values. */
static size_t load(const uint8_t *data, size_t size, size_t max, const struct mmf_shape *shape,
		   struct sched *s, uint8_t *val, size_t cap)
{
	size_t nrec, nval;
	if (size > max)
		size = max;
	layout(size, shape, &nrec, &nval);
	decode(data, nrec, s);
	if (nval > cap)
		nval = cap;
	memcpy(val, data + size - nval, nval);
	return nval;
}

static void sched_insert(struct sched *s, uint32_t at, uint8_t who)
{
	if (s->n >= MMF_MUT_MAX_RECORDS)
		return;
	size_t j = 0;
	while (j < s->n && s->at[j] < at)
		j++;
	if (j < s->n && s->at[j] == at) {
		s->who[j] = who;        /* already a deviation there: re-aim it */
		return;
	}
	memmove(&s->at[j + 1], &s->at[j], (s->n - j) * sizeof(s->at[0]));
	memmove(&s->who[j + 1], &s->who[j], s->n - j);
	s->at[j] = at;
	s->who[j] = who;
	s->n++;
}

static void sched_delete(struct sched *s, size_t j)
{
	memmove(&s->at[j], &s->at[j + 1], (s->n - j - 1) * sizeof(s->at[0]));
	memmove(&s->who[j], &s->who[j + 1], s->n - j - 1);
	s->n--;
}

/* How many decisions a run of this shape has to place preemptions in. */
static uint32_t horizon(const struct mmf_shape *sh)
{
	return sh && sh->picks ? sh->picks + 8 : 384;
}

/* A decision number for a new preemption: anywhere in the run, or (half
 * the time) near an existing one, where the interesting windows are. */
static uint32_t where(struct rng *r, const struct sched *s, uint32_t h)
{
	if (s->n && rbelow(r, 2)) {
		uint32_t base = s->at[rbelow(r, (uint32_t)s->n)];
		int32_t off = (int32_t)rbelow(r, 33) - 16;
		return (int32_t)base + off < 0 ? 0 : (uint32_t)((int32_t)base + off);
	}
	return rbelow(r, h);
}

/* Assemble records + values into out; values keep their distance from the
 * end (so the workload reads them in the same order). */
static size_t assemble(const struct sched *s, const uint8_t *val, size_t nval, uint8_t *out,
		       size_t max)
{
	uint8_t rec[2 * MMF_MUT_MAX_RECORDS];
	size_t nr = encode(s, rec);
	if (nval > max) {
		val += nval - max;              /* keep the values read first (the end) */
		nval = max;
	}
	if (nr + nval > max)
		nr = (max - nval) & ~(size_t)1;
	memmove(out + nr, val, nval);
	memcpy(out, rec, nr);
	if (nr + nval == 0 && max) {
		out[0] = 0;
		return 1;
	}
	return nr + nval;
}

static unsigned mut_cap = MMF_MUT_NO_CAP;
static unsigned mut_reverse_pct;
/* op weights: pick move insert delete value fresh reschedule */
static const unsigned mut_w[MMF_MUT_NR] = {8, 12, 12, 8, 20, 10, 30};

/* A schedule like the PCT source's (one to three preemptions anywhere)
 * when the cap asks for few; otherwise like one of the random source's
 * runs: a switch rate drawn log-uniformly from every decision to one in
 * 2^8, deviations at random gaps of that mean. */
static void random_walk(struct rng *r, struct sched *s, uint32_t h)
{
	s->n = 0;
	if (mut_cap <= MMF_MUT_PREEMPT_CAP) {
		unsigned k = 1 + rbelow(r, 3);
		for (unsigned i = 0; i < k; i++)
			sched_insert(s, rbelow(r, h), (uint8_t)rnext(r));
		return;
	}
	uint32_t mean = 1u << rbelow(r, 9);
	for (uint32_t at = 0; s->n < MMF_MUT_MAX_RECORDS;) {
		at += rbelow(r, 2 * mean);
		if (at >= h)
			break;
		sched_insert(s, at, (uint8_t)rnext(r));
		at++;
	}
}

void mmf_mut_set_cap(unsigned cap) { mut_cap = cap; }
unsigned mmf_mut_reverse_pct(void) { return mut_reverse_pct; }

/* A decimal number up to max, nothing else. */
static bool number(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned long)(*s - '0')) > max)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

const char *mmf_mut_env(void)
{
	const char *c = getenv("MMFUZZ_MUT_CAP"), *r = getenv("MMFUZZ_MUT_REVERSE");
	unsigned v;
	if (c && strcmp(c, "none")) {
		if (!number(c, 1000, &v))
			return "MMFUZZ_MUT_CAP: not 'none' or a number of preemptions up to 1000";
		mut_cap = v;
	}
	if (r) {
		if (!number(r, 100, &v))
			return "MMFUZZ_MUT_REVERSE: not a percentage (0 to 100)";
		mut_reverse_pct = v;
	}
	return NULL;
}

static int choose_op(struct rng *r, size_t n)
{
	unsigned w[MMF_MUT_NR];
	memcpy(w, mut_w, sizeof(w));
	if (n == 0)
		w[MMF_MUT_PICK] = w[MMF_MUT_MOVE] = w[MMF_MUT_DELETE] = 0;
	if (n > mut_cap) {
		w[MMF_MUT_INSERT] = 4;
		w[MMF_MUT_DELETE] = 30;
	}
	unsigned tot = 0;
	for (int i = 0; i < MMF_MUT_NR; i++)
		tot += w[i];
	unsigned x = rbelow(r, tot);
	for (int i = 0; i < MMF_MUT_NR; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return MMF_MUT_VALUE;
}

size_t mmf_mutate(uint8_t *data, size_t size, size_t max, uint64_t seed,
		  const struct mmf_shape *shape, int op)
{
	struct rng r = {seed ^ 0x6d6d66757a7aull};
	static __thread struct sched s;
	static __thread uint8_t val[1u << 16];
	size_t nval;
	if (max == 0)
		return 0;
	nval = load(data, size, max, shape, &s, val, sizeof(val));
	uint32_t h = horizon(shape);
	if (op < 0 || op >= MMF_MUT_NR)
		op = choose_op(&r, s.n);
	if (s.n == 0 && (op == MMF_MUT_PICK || op == MMF_MUT_MOVE || op == MMF_MUT_DELETE))
		op = MMF_MUT_INSERT;

	switch (op) {
	case MMF_MUT_PICK: {
		size_t j = rbelow(&r, (uint32_t)s.n);
		s.who[j] = (uint8_t)(s.who[j] + 1 + rbelow(&r, 255));
		break;
	}
	case MMF_MUT_MOVE: {
		size_t j = rbelow(&r, (uint32_t)s.n);
		uint32_t lo = j ? s.at[j - 1] + 1 : 0;
		uint32_t hi = j + 1 < s.n ? s.at[j + 1] - 1 : (s.at[j] + 64 > h ? s.at[j] + 64 : h);
		uint32_t to;
		if (rbelow(&r, 3)) {            /* a small step: the next or an earlier point */
			int32_t d = (int32_t)rbelow(&r, 9) - 4;
			if (d == 0)
				d = 1;
			to = (int32_t)s.at[j] + d < (int32_t)lo ? lo : (uint32_t)((int32_t)s.at[j] + d);
		} else {
			to = lo + rbelow(&r, hi >= lo ? hi - lo + 1 : 1);
		}
		if (to > hi)
			to = hi;
		uint8_t who = s.who[j];
		sched_delete(&s, j);
		sched_insert(&s, to, who);
		break;
	}
	case MMF_MUT_INSERT:
		sched_insert(&s, where(&r, &s, h), (uint8_t)rnext(&r));
		break;
	case MMF_MUT_DELETE:
		sched_delete(&s, rbelow(&r, (uint32_t)s.n));
		break;
	case MMF_MUT_VALUE: {
		unsigned how = rbelow(&r, 10);
		if (nval == 0 || (how >= 8 && nval < sizeof(val))) {
			/* one more value, read after all the others */
			memmove(val + 1, val, nval);
			val[0] = (uint8_t)rnext(&r);
			nval++;
		} else {
			/* values near the end are read first and shape the most */
			size_t i = nval - 1 - (rbelow(&r, 2) ? rbelow(&r, nval < 16 ? (uint32_t)nval : 16)
						      : rbelow(&r, (uint32_t)nval));
			if (how < 6)
				val[i] = (uint8_t)rnext(&r);
			else
				val[i] = (uint8_t)(val[i] + (rbelow(&r, 2) ? 1 : -1));
		}
		break;
	}
	case MMF_MUT_FRESH:
		/* a new workload, and a new schedule for it */
		nval = 16 + rbelow(&r, 113);
		for (size_t i = 0; i < nval; i++)
			val[i] = (uint8_t)rnext(&r);
		/* fall through */
	case MMF_MUT_RESCHED:
		random_walk(&r, &s, h);
		break;
	}
	return assemble(&s, val, nval, data, max);
}

size_t mmf_mutate_reverse(uint8_t *data, size_t size, size_t max, uint64_t seed,
			  const struct mmf_shape *shape, const struct mmf_mut_pick *rec, size_t nrec)
{
	struct rng r = {seed ^ 0x7265766572736500ull};
	static __thread struct sched s;
	static __thread uint8_t val[1u << 16];
	size_t nval, seen = 0, pick_d = 0;
	uint8_t pick_b = 0;
	if (max == 0 || !nrec)
		return 0;
	/* Reservoir-sample one pair (d, B): A = rec[d].task acts on O next,
	 * B acts on O at a later pick within the window, and B can run at d. */
	for (size_t d = 0; d < nrec; d++) {
		uintptr_t o = rec[d].obj;
		if (!o || rec[d].task == 255)
			continue;
		for (size_t e = d + 1; e < nrec && e <= d + 96; e++) {
			if (rec[e].obj != o || rec[e].task == rec[d].task || rec[e].task >= 32)
				continue;
			if (rec[d].set >> rec[e].task & 1 && rbelow(&r, (uint32_t)++seen) == 0) {
				pick_d = d;
				pick_b = rec[e].task;
			}
			break;
		}
	}
	if (!seen)
		return 0;
	/* who: B's place among the non-default candidates (ids ascending). */
	const struct mmf_mut_pick *p = &rec[pick_d];
	int n = 0, ib = -1, idf = -1;
	for (int id = 0; id < 32; id++) {
		if (!(p->set >> id & 1))
			continue;
		if (id == pick_b)
			ib = n;
		if (id == p->dflt)
			idf = n;
		n++;
	}
	if (ib < 0 || idf < 0 || ib == idf || n < 2)
		return 0;
	uint8_t who = (uint8_t)(ib > idf ? ib - 1 : ib);
	nval = load(data, size, max, shape, &s, val, sizeof(val));
	/* The run after d changes: deviations there aimed at tasks that may
	 * now stand elsewhere.  Keep those before d, and half the time drop
	 * the rest (PCT-like: few preemptions). */
	size_t keep = 0;
	while (keep < s.n && s.at[keep] < pick_d)
		keep++;
	if (rbelow(&r, 2))
		s.n = keep;
	sched_insert(&s, (uint32_t)pick_d, who);
	return assemble(&s, val, nval, data, max);
}

size_t mmf_crossover(const uint8_t *a, size_t asize, const struct mmf_shape *sa,
		     const uint8_t *b, size_t bsize, const struct mmf_shape *sb,
		     uint8_t *out, size_t max, uint64_t seed)
{
	struct rng r = {seed ^ 0x73706c6963650000ull};
	static __thread struct sched x, y;
	static __thread uint8_t val[1u << 16];
	size_t av, br, bv;
	if (max == 0)
		return 0;
	av = load(a, asize, asize, sa, &x, val, sizeof(val));
	layout(bsize, sb, &br, &bv);
	decode(b, br, &y);
	uint32_t ha = horizon(sa), hb = horizon(sb);
	uint32_t cut = rbelow(&r, ha > hb ? ha : hb);
	size_t keep = 0;
	while (keep < x.n && x.at[keep] < cut)
		keep++;
	x.n = keep;
	for (size_t j = 0; j < y.n && x.n < MMF_MUT_MAX_RECORDS; j++)
		if (y.at[j] >= cut)
			sched_insert(&x, y.at[j], y.who[j]);
	return assemble(&x, val, av, out, max);
}

/* ---- the shape table ------------------------------------------------------- */

uint64_t mmf_input_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull ^ size;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

#define SHAPE_SLOTS (1u << 15)   /* recent runs (shared with the target) */
#define PIN_SLOTS (1u << 16)     /* inputs the mutator has asked about */
struct shape_slot {
	uint64_t key;
	struct mmf_shape s;
	uint32_t check;
};
static struct shape_slot *table, *pinned;

int mmf_shape_open(const char *path)
{
	size_t bytes = SHAPE_SLOTS * sizeof(struct shape_slot);
	void *p;
	if (!pinned) {
		p = mmap(NULL, PIN_SLOTS * sizeof(struct shape_slot), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		pinned = p;
	}
	if (!path || !*path) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		struct stat st;
		if (fstat(fd, &st) || ((size_t)st.st_size < bytes && ftruncate(fd, (off_t)bytes))) {
			close(fd);
			return -1;
		}
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
	}
	if (p == MAP_FAILED)
		return -1;
	table = p;
	return 0;
}

static uint32_t check_of(uint64_t key, const struct mmf_shape *s)
{
	return (uint32_t)(key >> 32) ^ s->picks * 0x9e3779b1u ^ s->front * 0x85ebca6bu ^
	       s->back * 0xc2b2ae35u;
}

/* One writer per process; a reader in another process may see a slot
 * half written, which the check word turns into a miss. */
static void put(struct shape_slot *t, unsigned slots, uint64_t key, const struct mmf_shape *s)
{
	struct shape_slot *e = &t[key & (slots - 1)];
	__atomic_store_n(&e->key, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->s = *s;
	e->check = check_of(key, s);
	__atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
}

static bool get(const struct shape_slot *t, unsigned slots, uint64_t key, struct mmf_shape *s)
{
	const struct shape_slot *e = &t[key & (slots - 1)];
	if (__atomic_load_n(&e->key, __ATOMIC_ACQUIRE) != key)
		return false;
	*s = e->s;
	uint32_t c = e->check;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&e->key, __ATOMIC_RELAXED) == key && c == check_of(key, s);
}

void mmf_shape_put(uint64_t key, const struct mmf_shape *s)
{
	if (table)
		put(table, SHAPE_SLOTS, key, s);
}

void mmf_shape_pin(uint64_t key, const struct mmf_shape *s)
{
	if (pinned)
		put(pinned, PIN_SLOTS, key, s);
}

/* Runs overwrite the recent table within seconds; an input the mutator
 * asked about is kept in the pinned one, since engines come back to the
 * same corpus entries again and again. */
bool mmf_shape_get(uint64_t key, struct mmf_shape *s)
{
	if (pinned && get(pinned, PIN_SLOTS, key, s))
		return true;
	if (!table || !get(table, SHAPE_SLOTS, key, s))
		return false;
	mmf_shape_pin(key, s);
	return true;
}
