/* lockdep.c - held-lock tracking and lock-order checking; see lockdep.h.
 * Runs on behalf of the current task; in thread mode the graph is guarded
 * by mmf_obj_lock(), a futex lock invisible to TSan (a pthread mutex here
 * would give TSan happens-before edges between every two lock users). */
#define _GNU_SOURCE
#include "lockdep.h"
#include "feedback.h"
#include "sanitizer.h"
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS ((MMF_MAX_LOCK_CLASSES + 63) / 64)
#define MAX_EDGES 512

struct edge_info {
	int from, to;
	int task;
	const struct mmf_site *from_site, *to_site;
};

struct lock_class {
	const struct mmf_site *key;
	const char *name;
	const struct mmf_site *irq_site;     /* first taken in irq context */
	const struct mmf_site *irqs_on_site; /* first taken with irqs on */
};

struct mmf_lockdep {
	int nclasses;
	struct lock_class cls[MMF_MAX_LOCK_CLASSES];
	uint64_t adj[MMF_MAX_LOCK_CLASSES][WORDS];
	int nedges;
	struct edge_info edges[MAX_EDGES];
	bool full_warned;
	/* key -> class + 1, direct-mapped: class_of() runs for every lock
	 * taken and every lock held. */
	struct { const struct mmf_site *key; int cls; } cache[256];
};

struct mmf_lockdep *mmf_lockdep_new(void)
{
	struct mmf_lockdep *ld = calloc(1, sizeof(*ld));
	if (!ld)
		mmf_internal("out of memory (lockdep)");
	return ld;
}

void mmf_lockdep_free(struct mmf_lockdep *ld)
{
	free(ld);
}

void mmf_lockdep_reset(struct mmf_lockdep *ld)
{
	for (int i = 0; i < ld->nclasses; i++)
		memset(ld->adj[i], 0, sizeof(ld->adj[i]));
	memset(ld->cls, 0, sizeof(ld->cls[0]) * (size_t)ld->nclasses);
	memset(ld->cache, 0, sizeof(ld->cache));
	ld->nclasses = 0;
	ld->nedges = 0;
	ld->full_warned = false;
}

static int class_of(struct mmf_lockdep *ld, const struct mmf_site *key, const char *name)
{
	unsigned slot = (unsigned)((uintptr_t)key >> 4) & 255u;
	if (ld->cache[slot].key == key)
		return ld->cache[slot].cls;
	int c = -1;
	for (int i = 0; i < ld->nclasses && c < 0; i++)
		if (ld->cls[i].key == key)
			c = i;
	if (c < 0) {
		if (ld->nclasses == MMF_MAX_LOCK_CLASSES)
			return -1;
		ld->cls[ld->nclasses].key = key;
		ld->cls[ld->nclasses].name = name;
		c = ld->nclasses++;
	}
	ld->cache[slot].key = key;
	ld->cache[slot].cls = c;
	return c;
}

static bool has_edge(const struct mmf_lockdep *ld, int a, int b)
{
	return ld->adj[a][b / 64] >> (b % 64) & 1;
}

/* Is there a path from 'from' to 'to'? Iterative DFS over the bit matrix. */
static bool reaches(const struct mmf_lockdep *ld, int from, int to)
{
	uint64_t seen[WORDS] = {0};
	int stack[MMF_MAX_LOCK_CLASSES];
	int sp = 0;
	stack[sp++] = from;
	seen[from / 64] |= 1ull << (from % 64);
	while (sp) {
		int c = stack[--sp];
		if (c == to)
			return true;
		for (int n = 0; n < ld->nclasses; n++) {
			if (has_edge(ld, c, n) && !(seen[n / 64] >> (n % 64) & 1)) {
				seen[n / 64] |= 1ull << (n % 64);
				stack[sp++] = n;
			}
		}
	}
	return false;
}

static const struct edge_info *find_edge(const struct mmf_lockdep *ld, int a, int b)
{
	for (int i = 0; i < ld->nedges; i++)
		if (ld->edges[i].from == a && ld->edges[i].to == b)
			return &ld->edges[i];
	return NULL;
}

/* Called with the graph locked; returns a report to raise after unlocking. */
static bool check_order(struct mmf_lockdep *ld, struct mmf_task *t, int c,
			const struct mmf_site *site, char *msg, size_t len)
{
	for (int h = 0; h < t->nheld; h++) {
		const struct mmf_held *held = &t->held[h];
		if (!held->cls)
			continue;
		int hc = class_of(ld, held->cls, held->name);
		if (hc < 0 || hc == c || has_edge(ld, hc, c))
			continue;
		if (reaches(ld, c, hc)) {
			const struct edge_info *rev = find_edge(ld, c, hc);
			int n = snprintf(msg, len,
				"possible circular locking dependency: task %d '%s' takes %s at %s:%d "
				"while holding %s (taken at %s:%d, step %llu)",
				t->id, t->name, ld->cls[c].name, mmf_site_file(site), site->line,
				held->name, mmf_site_file(held->site), held->site->line,
				(unsigned long long)held->step);
			if (rev && n > 0 && (size_t)n < len)
				snprintf(msg + n, len - (size_t)n,
					 "; the reverse order was taken by task %d: %s at %s:%d, then %s at %s:%d",
					 rev->task, ld->cls[c].name, mmf_site_file(rev->from_site),
					 rev->from_site->line, ld->cls[hc].name,
					 mmf_site_file(rev->to_site), rev->to_site->line);
			else if (n > 0 && (size_t)n < len)
				snprintf(msg + n, len - (size_t)n,
					 "; %s already reaches %s through a chain of locks",
					 ld->cls[c].name, ld->cls[hc].name);
			return true;
		}
		ld->adj[hc][c / 64] |= 1ull << (c % 64);
		if (ld->nedges < MAX_EDGES)
			ld->edges[ld->nedges++] = (struct edge_info){
				hc, c, t->id, held->site, site};
	}
	return false;
}

static bool check_irq_usage(struct mmf_lockdep *ld, struct mmf_task *t, int c,
			    const struct mmf_site *site, char *msg, size_t len)
{
	struct lock_class *k = &ld->cls[c];
	if (t->flags & MMF_TASK_IRQ) {
		if (!k->irq_site)
			k->irq_site = site;
	} else if (!t->irqs_off) {
		if (!k->irqs_on_site)
			k->irqs_on_site = site;
	}
	if (k->irq_site && k->irqs_on_site) {
		snprintf(msg, len,
			 "inconsistent lock state: %s is taken in interrupt context (at %s:%d) "
			 "and with interrupts enabled (at %s:%d); an interrupt arriving while it "
			 "is held deadlocks its CPU",
			 k->name, mmf_site_file(k->irq_site), k->irq_site->line,
			 mmf_site_file(k->irqs_on_site), k->irqs_on_site->line);
		return true;
	}
	return false;
}

static void lock_acquired(struct mmf_task *t, const void *lock, int bit,
			  const struct mmf_site *cls, const char *name,
			  const struct mmf_site *site, bool trylock)
{
	struct mmf_sched *s = t->s;
	char msg[768];
	bool bad = false;

	if (cls && !s->opts.no_lockdep) {
		struct mmf_lockdep *ld = s->lockdep;
		mmf_obj_lock(ld);
		int c = class_of(ld, cls, name);
		if (c >= 0) {
			/* A trylock cannot deadlock, so it adds no ordering. */
			if (!trylock)
				bad = check_order(ld, t, c, site, msg, sizeof(msg));
			if (!bad)
				bad = check_irq_usage(ld, t, c, site, msg, sizeof(msg));
		}
		mmf_obj_unlock(ld);
	}
	if (t->nheld == MMF_MAX_HELD_LOCKS)
		mmf_fail(MMF_FAIL_LOCKING, lock, site,
			 "task '%s' holds more than %d locks", t->name, MMF_MAX_HELD_LOCKS);
	t->held[t->nheld++] = (struct mmf_held){lock, bit, cls, site, name, s->steps};
	if (bad)
		mmf_fail(MMF_FAIL_LOCK_ORDER, lock, site, "%s", msg);
}

static int held_index(const struct mmf_task *t, const void *lock, int bit)
{
	for (int i = t->nheld - 1; i >= 0; i--)
		if (t->held[i].lock == lock && t->held[i].bit == bit)
			return i;
	return -1;
}

static void lock_released(struct mmf_task *t, const void *lock, int bit,
			  const struct mmf_site *site)
{
	int i = held_index(t, lock, bit);
	if (i >= 0) {
		memmove(&t->held[i], &t->held[i + 1], sizeof(t->held[0]) * (size_t)(t->nheld - i - 1));
		t->nheld--;
		return;
	}
	mmf_fail(MMF_FAIL_LOCKING, lock, site,
		 "task '%s' releases lock %p that it does not hold", t->name, lock);
}

void mmf__lock_acquired(const void *lock, const struct mmf_site *cls, const char *name,
			const struct mmf_site *site, bool trylock)
{
	struct mmf_task *t = mmf_current();
	if (!t)
		return;
	MMF_SCHED_ENTER();
	lock_acquired(t, lock, 0, cls, name, site, trylock);
	mmf__fb_lock(t->s, t, lock, false, site);
	MMF_SCHED_LEAVE();
}

void mmf__lock_released(const void *lock, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	if (!t)
		return;
	MMF_SCHED_ENTER();
	lock_released(t, lock, 0, site);
	mmf__fb_lock(t->s, t, lock, true, site);
	MMF_SCHED_LEAVE();
}

void mmf__lock_downgraded(const void *lock, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	if (!t)
		return;
	MMF_SCHED_ENTER();
	/* The checker does not tell read from write holds, so the held entry
	 * (class, where it was taken) stands as it is; it must be there. */
	bool held = held_index(t, lock, 0) >= 0;
	MMF_SCHED_LEAVE();
	if (!held)
		mmf_fail(MMF_FAIL_LOCKING, lock, site,
			 "task '%s' downgrades lock %p that it does not hold", t->name, lock);
}

/* A bit lock's key in the feedback table: one per (word, bit). */
static const void *bit_key(const unsigned long *word, int nr)
{
	return (const void *)((uintptr_t)word << 6 | (uintptr_t)(nr & 63));
}

/* Bit locks: the class is the site of their MMF_BIT_CLASS definition, so
 * every folio's PG_locked is one class, as lockdep has one per lock type. */
void mmf__bitlock_acquired(const unsigned long *word, int nr, const struct mmf_site *cls,
			   const char *name, const struct mmf_site *site, bool trylock)
{
	struct mmf_task *t = mmf_current();
	if (!t)
		return;
	MMF_SCHED_ENTER();
	lock_acquired(t, word, nr + 1, cls, name, site, trylock);
	mmf__fb_lock(t->s, t, bit_key(word, nr), false, site);
	MMF_SCHED_LEAVE();
}

void mmf__bitlock_released(const unsigned long *word, int nr, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	if (!t)
		return;
	MMF_SCHED_ENTER();
	lock_released(t, word, nr + 1, site);
	mmf__fb_lock(t->s, t, bit_key(word, nr), true, site);
	MMF_SCHED_LEAVE();
}

bool mmf__bitlock_held_by_current(const unsigned long *word, int nr)
{
	struct mmf_task *t = mmf_current();
	return t && held_index(t, word, nr + 1) >= 0;
}
