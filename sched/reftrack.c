/* reftrack.c - the run-scoped reference tracker; see reftrack.h. */
#define _GNU_SOURCE
#include "reftrack.h"
#include "sanitizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ev_op { EV_NEW, EV_GET, EV_PUT, EV_FREE, EV_KILL };
static const char *const ev_name[] = {"new", "get", "put", "free", "kill"};

struct who {
	int task;               /* -1: the host */
	char name[24];           /* as struct mmf_task's */
};

struct holder {
	const struct mmf_site *site, *via;
	struct who who;
	int nr;
	bool base;
};

struct event {
	const struct mmf_site *site, *via;
	struct who who;
	uint8_t op;             /* enum ev_op */
	int nr;
	int count;              /* tracked references after it */
};

struct ent {
	const void *obj;
	uint32_t gen;           /* valid only in the run of this generation */
	const char *type;
	int count;              /* references held: the holders' plus overflow */
	int overflow;           /* held but not attributed (holder table full) */
	bool partial;           /* first seen at a get: earlier references unknown */
	bool draining;          /* killed, references still held */
	struct who killer;
	const struct mmf_site *kill_site;
	int nholders;           /* in the order first taken */
	struct holder h[MMF_REF_HOLDERS];
	unsigned nev;           /* events so far; the ring keeps the last ones */
	struct event ev[MMF_REF_HISTORY];
};

struct mmf_reftrack {
	struct ent *tab;
	size_t cap, used;
	uint32_t gen;
	/* mmf_ref_outer: per task, the host last */
	const struct mmf_site *outer[MMF_MAX_TASKS + 1];
};

static struct mmf_reftrack *rt_of(struct mmf_sched *s)
{
	if (!s->refs) {
		s->refs = calloc(1, sizeof(*s->refs));
		if (!s->refs)
			mmf_internal("out of memory (reftrack)");
		s->refs->gen = 1;
	}
	return s->refs;
}

#define hash mmf__hash_ptr

static bool grow(struct mmf_reftrack *rt)
{
	size_t cap = rt->cap ? rt->cap * 2 : 256;
	struct ent *tab = calloc(cap, sizeof(*tab));
	if (!tab)
		mmf_internal("out of memory (reftrack table)");
	for (size_t i = 0; i < rt->cap; i++) {
		struct ent *e = &rt->tab[i];
		if (e->gen != rt->gen)
			continue;
		size_t j = hash(e->obj) & (cap - 1);
		while (tab[j].gen == rt->gen)
			j = (j + 1) & (cap - 1);
		tab[j] = *e;
	}
	free(rt->tab);
	rt->tab = tab;
	rt->cap = cap;
	return true;
}

/* The entry of obj in this run; with create, a new empty one if none (NULL
 * beyond MMF_REF_MAX_OBJS).  *fresh says it was just made. */
static struct ent *lookup(struct mmf_reftrack *rt, const void *obj, bool create, bool *fresh)
{
	if (fresh)
		*fresh = false;
	if (!rt->cap) {
		if (!create)
			return NULL;
		grow(rt);
	}
	for (;;) {
		for (size_t i = hash(obj) & (rt->cap - 1);; i = (i + 1) & (rt->cap - 1)) {
			struct ent *e = &rt->tab[i];
			if (e->gen == rt->gen && e->obj == obj)
				return e;
			if (e->gen == rt->gen)
				continue;
			if (!create || rt->used >= MMF_REF_MAX_OBJS)
				return NULL;
			if ((rt->used + 1) * 2 > rt->cap)
				break;          /* grow, then probe again */
			memset(e, 0, offsetof(struct ent, h));
			e->nholders = 0;
			e->nev = 0;
			e->obj = obj;
			e->gen = rt->gen;
			rt->used++;
			if (fresh)
				*fresh = true;
			return e;
		}
		grow(rt);
	}
}

static const struct mmf_site **outer_of(struct mmf_reftrack *rt)
{
	const struct mmf_task *t = mmf_current();
	return &rt->outer[t ? t->id : MMF_MAX_TASKS];
}

/* Who acts, and where: the site, or the current task's outer site with
 * the site as "via". */
static void who_now(struct mmf_reftrack *rt, struct who *w, const struct mmf_site **site,
		    const struct mmf_site **via)
{
	const struct mmf_task *t = mmf_current();
	w->task = t ? t->id : -1;
	_Static_assert(sizeof(w->name) == sizeof(t->name), "task names copy whole");
	if (t)
		memcpy(w->name, t->name, sizeof(w->name));
	else
		w->name[0] = 0;
	const struct mmf_site *o = *outer_of(rt);
	*via = o ? *site : NULL;
	if (o)
		*site = o;
}

static void add_event(struct ent *e, enum ev_op op, int nr, const struct mmf_site *site,
		      const struct mmf_site *via, const struct who *w)
{
	struct event *v = &e->ev[e->nev++ % MMF_REF_HISTORY];
	*v = (struct event){site, via, *w, (uint8_t)op, nr, e->count};
}

static void add_holder(struct ent *e, int nr, bool base, const struct mmf_site *site,
		       const struct mmf_site *via, const struct who *w)
{
	e->count += nr;
	for (int i = 0; i < e->nholders; i++) {
		struct holder *h = &e->h[i];
		if (h->site == site && h->via == via && h->who.task == w->task && h->base == base &&
		    !strcmp(h->who.name, w->name)) {
			h->nr += nr;
			return;
		}
	}
	if (e->nholders == MMF_REF_HOLDERS) {
		e->overflow += nr;
		return;
	}
	e->h[e->nholders++] = (struct holder){site, via, *w, nr, base};
}

static void take_from(struct ent *e, int i, int nr)
{
	e->count -= nr;
	if ((e->h[i].nr -= nr) > 0)
		return;
	memmove(&e->h[i], &e->h[i + 1], (size_t)(e->nholders - i - 1) * sizeof(e->h[0]));
	e->nholders--;
}

/* The holder record one put by w at site drops (reftrack.h): -1 for none.
 * (__func__ is one object per function: equal pointers, same function.) */
static int pick(const struct ent *e, const struct who *w, const struct mmf_site *site)
{
	for (int i = e->nholders - 1; i >= 0; i--)
		if (!e->h[i].base && e->h[i].who.task == w->task && e->h[i].site->func == site->func)
			return i;
	for (int i = e->nholders - 1; i >= 0; i--)
		if (!e->h[i].base && e->h[i].who.task == w->task &&
		    !strcmp(e->h[i].site->file, site->file))
			return i;
	for (int i = 0; i < e->nholders; i++)
		if (!e->h[i].base && !strcmp(e->h[i].site->file, site->file))
			return i;
	for (int i = e->nholders - 1; i >= 0; i--)
		if (!e->h[i].base && e->h[i].who.task == w->task)
			return i;
	for (int i = 0; i < e->nholders; i++)
		if (!e->h[i].base)
			return i;
	return -1;
}

#define append mmf__append

static size_t put_who(char *buf, size_t len, size_t off, const struct who *w)
{
	if (w->task < 0)
		return append(buf, len, off, "the host");
	return append(buf, len, off, "task %d '%s'", w->task, w->name);
}

static size_t put_site(char *buf, size_t len, size_t off, const struct mmf_site *site,
		       const struct mmf_site *via)
{
	if (!site)
		return append(buf, len, off, "?");
	off = append(buf, len, off, "%s at %s:%d %s()", site->what ? site->what : "?",
		     mmf_site_file(site), site->line, site->func ? site->func : "?");
	if (via)
		off = append(buf, len, off, " via %s at %s:%d", via->what ? via->what : "?",
			     mmf_site_file(via), via->line);
	return off;
}

static size_t put_holders(const struct ent *e, const char *indent, char *buf, size_t len,
			  size_t off)
{
	for (int i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->h[i];
		off = append(buf, len, off, "\n%s", indent);
		off = put_who(buf, len, off, &h->who);
		off = append(buf, len, off, " holds %d%s: ", h->nr, h->base ? " (its own)" : "");
		off = put_site(buf, len, off, h->site, h->via);
	}
	if (e->overflow)
		off = append(buf, len, off, "\n%s%d more not attributed (holder table full)", indent,
			     e->overflow);
	return off;
}

static size_t put_history(const struct ent *e, const char *indent, char *buf, size_t len,
			  size_t off)
{
	unsigned first = e->nev > MMF_REF_HISTORY ? e->nev - MMF_REF_HISTORY : 0;
	off = append(buf, len, off, "\n%s%slast %u of %u gets and puts, oldest first:", indent,
		     e->count ? "" : "no reference held; ", e->nev - first, e->nev);
	for (unsigned i = first; i < e->nev; i++) {
		const struct event *v = &e->ev[i % MMF_REF_HISTORY];
		if (v->op == EV_GET || v->op == EV_PUT || v->op == EV_NEW)
			off = append(buf, len, off, "\n%s  %s %d by ", indent, ev_name[v->op], v->nr);
		else
			off = append(buf, len, off, "\n%s  %s by ", indent, ev_name[v->op]);
		off = put_who(buf, len, off, &v->who);
		off = append(buf, len, off, ": ");
		off = put_site(buf, len, off, v->site, v->via);
		off = append(buf, len, off, " -> %d held", v->count);
	}
	return off;
}

/* ---- operations ---------------------------------------------------------------- */

static void __ref_new(const void *obj, const char *type, int nr, bool base,
		      const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !obj)
		return;
	struct mmf_reftrack *rt = rt_of(s);
	struct who w;
	const struct mmf_site *via;
	mmf_obj_lock(rt);
	who_now(rt, &w, &site, &via);
	struct ent *e = lookup(rt, obj, true, NULL);
	if (e) {
		memset(e, 0, offsetof(struct ent, h));
		e->obj = obj;
		e->gen = rt->gen;
		e->type = type;
		e->nholders = 0;
		e->nev = 0;
		if (nr)
			add_holder(e, nr, base, site, via, &w);
		add_event(e, EV_NEW, nr, site, via, &w);
	}
	mmf_obj_unlock(rt);
}

static void __ref_get(const void *obj, const char *type, int nr, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !obj || nr <= 0)
		return;
	struct mmf_reftrack *rt = rt_of(s);
	struct who w;
	const struct mmf_site *via;
	mmf_obj_lock(rt);
	who_now(rt, &w, &site, &via);
	bool fresh;
	struct ent *e = lookup(rt, obj, true, &fresh);
	if (e) {
		if (fresh) {
			e->partial = true;
			e->type = type;
		}
		add_holder(e, nr, false, site, via, &w);
		add_event(e, EV_GET, nr, site, via, &w);
	}
	mmf_obj_unlock(rt);
}

static void __ref_put(const void *obj, int nr, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !obj || !s->refs || nr <= 0)
		return;
	struct mmf_reftrack *rt = s->refs;
	struct who w;
	const struct mmf_site *via, *at = site;
	mmf_obj_lock(rt);
	who_now(rt, &w, &at, &via);
	struct ent *e = lookup(rt, obj, false, NULL);
	if (!e) {
		mmf_obj_unlock(rt);
		return;
	}
	int missing = 0;
	for (int k = 0; k < nr; k++) {
		int i = pick(e, &w, at);
		if (i >= 0) {
			take_from(e, i, 1);
		} else if (e->overflow) {
			e->overflow--;
			e->count--;
		} else {
			missing++;
		}
	}
	add_event(e, EV_PUT, nr, at, via, &w);
	if (!e->count)
		e->draining = false;
	bool bad = missing && !e->partial;
	const char *type = e->type ? e->type : "object";
	bool own = e->nholders > 0;
	mmf_obj_unlock(rt);
	/* The report appends the object's history (scheduler.c). */
	if (bad)
		mmf_fail(MMF_FAIL_REFCOUNT, obj, site,
			 "refcount underflow: put of %s %p, which holds %s reference", type, obj,
			 own ? "no other than its own" : "no");
}

static void __ref_free(const void *obj, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !obj || !s->refs)
		return;
	struct mmf_reftrack *rt = s->refs;
	struct who w;
	const struct mmf_site *via;
	mmf_obj_lock(rt);
	who_now(rt, &w, &site, &via);
	struct ent *e = lookup(rt, obj, false, NULL);
	if (e) {
		int had = e->count;
		e->count = e->overflow = e->nholders = 0;
		e->draining = false;
		add_event(e, EV_FREE, had, site, via, &w);
	}
	mmf_obj_unlock(rt);
}

static void __ref_kill(const void *obj, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !obj || !s->refs)
		return;
	struct mmf_reftrack *rt = s->refs;
	struct who w;
	const struct mmf_site *via;
	mmf_obj_lock(rt);
	who_now(rt, &w, &site, &via);
	struct ent *e = lookup(rt, obj, false, NULL);
	if (e) {
		for (int i = e->nholders - 1; i >= 0; i--) {
			if (e->h[i].base) {
				take_from(e, i, 1);
				break;
			}
		}
		e->killer = w;
		e->kill_site = site;
		e->draining = e->count > 0;
		add_event(e, EV_KILL, 1, site, via, &w);
	}
	mmf_obj_unlock(rt);
}

static const struct mmf_site *__ref_outer(const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		return NULL;
	struct mmf_reftrack *rt = rt_of(s);
	mmf_obj_lock(rt);
	const struct mmf_site **o = outer_of(rt), *prev = *o;
	*o = site;
	mmf_obj_unlock(rt);
	return prev;
}

/* ---- reports ---------------------------------------------------------------------- */

int mmf_ref_held(const void *obj)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s || !s->refs)
		return 0;
	MMF_SCHED_ENTER();
	mmf_obj_lock(s->refs);
	struct ent *e = lookup(s->refs, obj, false, NULL);
	int n = e ? e->count : 0;
	mmf_obj_unlock(s->refs);
	MMF_SCHED_LEAVE();
	return n;
}

size_t mmf_ref_describe(struct mmf_sched *s, const void *obj, bool history, const char *indent,
			char *buf, size_t len, size_t off)
{
	if (!s->refs)
		return off;
	MMF_SCHED_ENTER();
	struct ent *e = lookup(s->refs, obj, false, NULL);
	if (e && e->count)
		off = put_holders(e, indent, buf, len, off);
	if (e && (history || !e->count))
		off = put_history(e, indent, buf, len, off);
	MMF_SCHED_LEAVE();
	return off;
}

size_t mmf_ref_describe_awaited(const struct mmf_sched *s, int task, char *buf, size_t len,
				size_t off)
{
	const struct mmf_reftrack *rt = s->refs;
	if (!rt)
		return off;
	for (size_t i = 0; i < rt->cap; i++) {
		const struct ent *e = &rt->tab[i];
		if (e->gen != rt->gen || !e->draining || e->killer.task != task || !e->count)
			continue;
		off = append(buf, len, off,
			     "\n      waits for %s %p to drain (killed at %s:%d %s()); %d reference%s "
			     "still held:", e->type ? e->type : "object", e->obj,
			     mmf_site_file(e->kill_site), e->kill_site->line, e->kill_site->func,
			     e->count, e->count == 1 ? "" : "s");
		off = put_holders(e, "        ", buf, len, off);
	}
	return off;
}

void mmf_ref_reset(struct mmf_sched *s)
{
	if (!s->refs)
		return;
	/* A new generation empties every slot without touching the table. */
	if (++s->refs->gen == 0) {
		memset(s->refs->tab, 0, s->refs->cap * sizeof(*s->refs->tab));
		s->refs->gen = 1;
	}
	s->refs->used = 0;
	memset(s->refs->outer, 0, sizeof(s->refs->outer));
}

void mmf_ref_destroy(struct mmf_sched *s)
{
	if (!s->refs)
		return;
	free(s->refs->tab);
	free(s->refs);
	s->refs = NULL;
}

/* ---- entry points: outside the race detector's view, as kmem.c's -------------------- */

void mmf_ref_new(const void *obj, const char *type, int nr, bool base,
		 const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__ref_new(obj, type, nr, base, site);
	MMF_SCHED_LEAVE();
}

void mmf_ref_get(const void *obj, const char *type, int nr, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__ref_get(obj, type, nr, site);
	MMF_SCHED_LEAVE();
}

void mmf_ref_put(const void *obj, int nr, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__ref_put(obj, nr, site);
	MMF_SCHED_LEAVE();
}

void mmf_ref_free(const void *obj, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__ref_free(obj, site);
	MMF_SCHED_LEAVE();
}

void mmf_ref_kill(const void *obj, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__ref_kill(obj, site);
	MMF_SCHED_LEAVE();
}

const struct mmf_site *mmf_ref_outer(const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	const struct mmf_site *prev = __ref_outer(site);
	MMF_SCHED_LEAVE();
	return prev;
}
