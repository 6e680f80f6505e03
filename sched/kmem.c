/* kmem.c - the run-scoped checked heap; see kmem.h. */
#define _GNU_SOURCE
#include "kmem.h"
#include "kasan.h"
#include "sanitizer.h"
#include "sync.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

enum {
	LIVE = 1,
	FREED = 2,
	TSFREE = 3,     /* freed into its SLAB_TYPESAFE_BY_RCU cache: reusable */
};

struct ent {
	void *ptr;              /* NULL: empty slot; TOMB: deleted */
	size_t size;
	const char *type;
	const struct mmf_site *site, *free_site;
	int state;
	uint64_t seq;           /* allocation order: reports list objects in it */
};

struct mmf_kmem_cache {
	struct mmf_kmem_cache *next;    /* the run's caches */
	const char *name;               /* also the type of its objects */
	size_t size;
	unsigned flags;
	void (*ctor)(void *);
	const void **free;              /* SLAB_TYPESAFE_BY_RCU: freed objects, */
	size_t nfree, cap;              /* the most recently freed last */
};
#define TOMB ((void *)1)

struct mmf_kmem {
	struct ent *tab;        /* builds without MMF_KASAN */
	size_t cap, used, live;
	unsigned fail_rate;
	uint64_t seq;
	int slice;              /* MMF_KASAN: the run's slice of the arena */
	char *base;
	size_t top, hwm;        /* bump offset; highest since the shadow was cleared */
	struct mmf_kmem_cache *caches;
	int rcu_readers;        /* ASan: tasks inside an RCU read-side section */
};

static struct mmf_kmem *km(struct mmf_sched *s)
{
	if (!s->kmem) {
#ifdef M_TRIM_THRESHOLD
		/* Every run frees what it allocated; without this glibc gives
		 * the heap top back to the kernel each time and the next run
		 * faults it in again (half the time of a short run). */
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
		mallopt(M_TOP_PAD, 16 << 20);
#endif
		s->kmem = calloc(1, sizeof(*s->kmem));
		if (!s->kmem)
			mmf_internal("out of memory (kmem)");
#if MMF_KASAN
		s->kmem->slice = mmf_kasan_slice_get();
		s->kmem->base = mmf_kasan_slice_base(s->kmem->slice);
#endif
	}
	return s->kmem;
}

#define hash mmf__hash_ptr

static struct ent *find(struct mmf_kmem *k, const void *p)
{
	if (!k->cap)
		return NULL;
	for (size_t i = hash(p) & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
		if (!k->tab[i].ptr)
			return NULL;
		if (k->tab[i].ptr == p)
			return &k->tab[i];
	}
}

static void insert(struct mmf_kmem *k, const struct ent *e);

static void grow(struct mmf_kmem *k)
{
	struct ent *old = k->tab;
	size_t oldcap = k->cap;
	k->cap = k->cap ? k->cap * 2 : 256;
	k->tab = calloc(k->cap, sizeof(*k->tab));
	if (!k->tab)
		mmf_internal("out of memory (kmem table)");
	k->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].ptr && old[i].ptr != TOMB)
			insert(k, &old[i]);
	free(old);
}

static void insert(struct mmf_kmem *k, const struct ent *e)
{
	if ((k->used + 1) * 2 > k->cap)
		grow(k);
	for (size_t i = hash(e->ptr) & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
		if (!k->tab[i].ptr || k->tab[i].ptr == TOMB) {
			if (!k->tab[i].ptr)
				k->used++;
			k->tab[i] = *e;
			return;
		}
	}
}

void mmf_kmem_set_fail_rate(struct mmf_sched *s, unsigned rate) { km(s)->fail_rate = rate; }

static struct mmf_kmem *run_kmem(const char *what)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		mmf_internal("%s outside a run", what);
	return km(s);
}

/* An allocation's scheduling point and failslab: false when the decision
 * source injects a fault. */
static bool alloc_enter(struct mmf_kmem *k, enum mmf_gfp gfp, const struct mmf_site *site)
{
	if ((gfp & MMF_GFP_MODE) == GFP_KERNEL) {
		mmf_might_sleep(site);
		mmf_point(MMF_PT_ALLOC, NULL, site);
	}
	return (gfp & __GFP_NOFAIL) || !k->fail_rate || !mmf_decide_fault(k->fail_rate, site);
}

/* A fresh object of the heap. */
static void *carve(struct mmf_kmem *k, size_t size, const char *type, const struct mmf_site *site)
{
#if MMF_KASAN
	const struct mmf_task *t = mmf_current();
	mmf_obj_lock(k);
	void *p = mmf_kasan_alloc(k->base, &k->top, size, type, site, t ? t->id : -1, ++k->seq);
	if (k->top > k->hwm)
		k->hwm = k->top;
	if (p)
		k->live++;
	mmf_obj_unlock(k);
	if (!p)
		mmf_internal("checked heap: a run allocated more than %zu MiB (kmalloc %zu)",
			     mmf_kasan_slice_size() >> 20, size);
	return p;
#else
	void *p = malloc(size ? size : 1);
	if (!p)
		mmf_internal("out of memory (kmalloc %zu)", size);
	mmf_obj_lock(k);
	struct ent e = {p, size, type, site, NULL, LIVE, ++k->seq};
	insert(k, &e);
	k->live++;
	mmf_obj_unlock(k);
	return p;
#endif
}

static void *__kmalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site)
{
	struct mmf_kmem *k = run_kmem("kmalloc");
	return alloc_enter(k, gfp, site) ? carve(k, size, type, site) : NULL;
}

void *mmf_kzalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site)
{
	void *p = mmf_kmalloc(size, gfp, type, site);
	if (p)
		memset(p, 0, size);
	return p;
}

static void cache_push(struct mmf_kmem_cache *c, const void *p)
{
	if (c->nfree == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->free = realloc(c->free, c->cap * sizeof(*c->free));
		if (!c->free)
			mmf_internal("out of memory (kmem_cache %s)", c->name);
	}
	c->free[c->nfree++] = p;
}

#if MMF_ASAN
/* ASan knows only whether memory is poisoned, not who touches it: the
 * freed objects of typesafe caches are poisoned while no task is inside an
 * RCU read-side section (one state for every task: while any task is
 * inside one, a task outside one goes unreported). */
static void asan_poison(const void *p, size_t size, bool poison)
{
	if (poison)
		ASAN_POISON_MEMORY_REGION(p, size);
	else
		ASAN_UNPOISON_MEMORY_REGION(p, size);
}

static void poison_cached(struct mmf_kmem *k, bool poison)
{
	for (struct mmf_kmem_cache *c = k->caches; c; c = c->next)
		for (size_t i = 0; i < c->nfree; i++)
			asan_poison(c->free[i], c->size, poison);
}

void mmf_kmem_rcu_readers(struct mmf_sched *s, int delta)
{
	MMF_SCHED_ENTER();
	struct mmf_kmem *k = km(s);
	mmf_obj_lock(k);
	bool before = k->rcu_readers > 0;
	k->rcu_readers += delta;
	if (before != (k->rcu_readers > 0))
		poison_cached(k, k->rcu_readers == 0);
	mmf_obj_unlock(k);
	MMF_SCHED_LEAVE();
}
#else
#define asan_poison(p, size, poison) ((void)0)
void mmf_kmem_rcu_readers(struct mmf_sched *s, int delta)
{
	(void)s;
	(void)delta;
}
#endif

static void wrong_cache(struct mmf_kmem_cache *c, const void *p, const char *type,
			const struct mmf_site *site)
{
	mmf_fail(MMF_FAIL_BUG, p, site, "kernel BUG: kmem_cache_free of %s %p to cache %s",
		 type ? type : "object", p, c->name);
}

/* kfree (c NULL) or kmem_cache_free to c. */
static void __kfree(const void *p, struct mmf_kmem_cache *c, const struct mmf_site *site)
{
	if (!p)
		return;
	struct mmf_kmem *k = run_kmem("kfree");
	bool typesafe = c && (c->flags & SLAB_TYPESAFE_BY_RCU);
#if MMF_KASAN
	struct mmf_sched *s = mmf_current_sched();
	const struct mmf_task *t = mmf_current();
	struct mmf_kasan_obj o;
	mmf_obj_lock(k);
	int r = mmf_kasan_free(p, site, t ? t->id : -1, typesafe, &o);
	k->live -= r == 0;
	if (r == 0 && typesafe && o.type == c->name)
		cache_push(c, p);
	mmf_obj_unlock(k);
	if (r == 0 && c && o.type != c->name)
		wrong_cache(c, p, o.type, site);
	else if (r == 1)
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site,
			 "double free of %s %p (allocated at %s:%d, first freed at %s:%d%s%s%s)",
			 o.type, p, mmf_site_file(o.site), o.site->line, mmf_site_file(o.free_site),
			 o.free_site->line, o.free_task >= 0 ? " by task '" : "",
			 o.free_task >= 0 ? s->tasks[o.free_task].name : "", o.free_task >= 0 ? "'" : "");
	else if (r == 2)
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site, "kfree of %p, which kmalloc did not return%s", p,
			 mmf_kasan_owns(p) ? " (it points into the checked heap, not at an object's start)"
					   : "");
	return;
#endif
	mmf_obj_lock(k);
	struct ent *e = find(k, p);
	if (!e) {
		mmf_obj_unlock(k);
#if MMF_ASAN
		/* Freed before (and dropped from the table): let ASan say so. */
		free((void *)p);
#endif
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site, "kfree of %p, which kmalloc did not return "
			 "or which was already freed", p);
		return;
	}
	if (e->state == FREED || e->state == TSFREE) {
		const struct ent copy = *e;
		mmf_obj_unlock(k);
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site,
			 "double free of %s %p (allocated at %s:%d, first freed at %s:%d)",
			 copy.type, p, mmf_site_file(copy.site), copy.site->line,
			 mmf_site_file(copy.free_site), copy.free_site->line);
		return;
	}
	if (c && e->type != c->name) {
		const char *type = e->type;
		mmf_obj_unlock(k);
		wrong_cache(c, p, type, site);
		return;
	}
	k->live--;
	if (typesafe) {
		/* Kept, bytes and all, for the next allocation from c; ASan
		 * sees allocated memory until the object leaves the cache. */
		e->state = TSFREE;
		e->free_site = site;
		cache_push(c, p);
		asan_poison(p, c->size, k->rcu_readers == 0);
		mmf_obj_unlock(k);
		/* The next owner's accesses come after the freer's. */
		mmf_tsan_release(p);
		return;
	}
#if MMF_ASAN
	e->ptr = TOMB;
	mmf_obj_unlock(k);
	free((void *)p);
#else
	e->state = FREED;
	e->free_site = site;
	memset((void *)p, MMF_POISON_FREE, e->size);
	mmf_obj_unlock(k);
#endif
}

static void __kmem_check(const void *p, const struct mmf_site *site)
{
#if MMF_ASAN
	/* ASan checks the access itself. */
	(void)p;
	(void)site;
#elif MMF_KASAN
	if (!p)
		return;
	if (!mmf_kasan_owns(p))
		mmf_fail(MMF_FAIL_BUG, p, site, "kernel BUG: %p is not a kmalloc'd object", p);
	else
		mmf_kasan_check(p, 1, false, site);
#else
	struct mmf_sched *s = mmf_current_sched();
	if (!p || !s)
		return;
	struct mmf_kmem *k = km(s);
	mmf_obj_lock(k);
	struct ent *e = find(k, p);
	struct ent copy = e ? *e : (struct ent){0};
	mmf_obj_unlock(k);
	if (!e)
		mmf_fail(MMF_FAIL_BUG, p, site, "kernel BUG: %p is not a kmalloc'd object", p);
	else if (copy.state == FREED || (copy.state == TSFREE && !mmf_rcu_read_lock_held()))
		mmf_fail(MMF_FAIL_USE_AFTER_FREE, p, site,
			 "use-after-free of %s %p (allocated at %s:%d, freed at %s:%d)%s", copy.type, p,
			 mmf_site_file(copy.site), copy.site->line, mmf_site_file(copy.free_site),
			 copy.free_site->line, copy.state == TSFREE ? " (in its SLAB_TYPESAFE_BY_RCU "
			 "cache: touched outside any RCU read-side section)" : "");
#endif
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = (*(const struct ent *const *)a)->seq, y = (*(const struct ent *const *)b)->seq;
	return x < y ? -1 : x > y;
}

size_t mmf_kmem_live(struct mmf_sched *s, void (*fn)(const struct mmf_kmem_obj *, void *),
		     void *arg)
{
	struct mmf_kmem *k = km(s);
	size_t n = 0;
#if MMF_KASAN
	/* The arena is in allocation order already. */
	struct mmf_kasan_obj o;
	for (size_t off = 0; mmf_kasan_next(k->base, k->top, &off, &o);) {
		if (o.freed)
			continue;
		n++;
		if (fn) {
			struct mmf_kmem_obj ko = {o.ptr, o.size, o.type, o.site};
			fn(&ko, arg);
		}
	}
	return n;
#endif
	for (size_t i = 0; i < k->cap; i++) {
		struct ent *e = &k->tab[i];
		n += e->ptr && e->ptr != TOMB && e->state == LIVE;
	}
	if (!fn || !n)
		return n;
	/* In allocation order, not table (address) order: reports must not
	 * depend on where the allocator put things. */
	const struct ent **v = malloc(n * sizeof(*v));
	if (!v)
		mmf_internal("kmem: out of memory listing live objects");
	size_t m = 0;
	for (size_t i = 0; i < k->cap; i++) {
		struct ent *e = &k->tab[i];
		if (e->ptr && e->ptr != TOMB && e->state == LIVE)
			v[m++] = e;
	}
	qsort(v, m, sizeof(*v), by_seq);
	for (size_t i = 0; i < m; i++) {
		struct mmf_kmem_obj o = {v[i]->ptr, v[i]->size, v[i]->type, v[i]->site};
		fn(&o, arg);
	}
	free(v);
	return n;
}

static void __kmem_reset(struct mmf_sched *s)
{
	if (!s->kmem)
		return;
	struct mmf_kmem *k = s->kmem;
#if MMF_KASAN
	mmf_kasan_clear(k->base, k->hwm);
	k->top = k->hwm = 0;
#endif
#if MMF_ASAN
	poison_cached(k, false);
#endif
	k->rcu_readers = 0;
	for (size_t i = 0; i < k->cap; i++) {
		struct ent *e = &k->tab[i];
		if (e->ptr && e->ptr != TOMB)
			free(e->ptr);
	}
	if (k->cap)
		memset(k->tab, 0, k->cap * sizeof(*k->tab));
	k->used = k->live = 0;
	while (k->caches) {
		struct mmf_kmem_cache *c = k->caches;
		k->caches = c->next;
		free(c->free);
		free(c);
	}
	k->fail_rate = 0;       /* each run's program opts in */
}

void mmf_kmem_destroy(struct mmf_sched *s)
{
	if (!s->kmem)
		return;
	mmf_kmem_reset(s);
#if MMF_KASAN
	mmf_kasan_slice_put(s->kmem->slice);
#endif
	free(s->kmem->tab);
	free(s->kmem);
	s->kmem = NULL;
}

void *mmf_kmalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	void *r = __kmalloc(size, gfp, type, site);
	MMF_SCHED_LEAVE();
	return r;
}

void mmf_kfree(const void *p, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__kfree(p, NULL, site);
	MMF_SCHED_LEAVE();
}

/* ---- caches ------------------------------------------------------------------------ */

struct mmf_kmem_cache *mmf_kmem_cache_create(const char *name, size_t size, unsigned flags,
					     void (*ctor)(void *))
{
	MMF_SCHED_ENTER();
	struct mmf_kmem *k = run_kmem("kmem_cache_create");
	struct mmf_kmem_cache *c = calloc(1, sizeof(*c));
	if (!c)
		mmf_internal("out of memory (kmem_cache %s)", name);
	*c = (struct mmf_kmem_cache){.name = name, .size = size, .flags = flags, .ctor = ctor};
	mmf_obj_lock(k);
	c->next = k->caches;
	k->caches = c;
	mmf_obj_unlock(k);
	MMF_SCHED_LEAVE();
	return c;
}

/* *fresh: a new slot, which the caller constructs. */
static void *__cache_alloc(struct mmf_kmem_cache *c, enum mmf_gfp gfp, const struct mmf_site *site,
			   bool *fresh)
{
	struct mmf_kmem *k = run_kmem("kmem_cache_alloc");
	*fresh = true;
	if (!alloc_enter(k, gfp, site))
		return NULL;
	if (c->flags & SLAB_TYPESAFE_BY_RCU) {
		mmf_obj_lock(k);
		if (c->nfree) {
			const void *p = c->free[--c->nfree];
#if MMF_KASAN
			const struct mmf_task *t = mmf_current();
			mmf_kasan_revive(p, site, t ? t->id : -1, ++k->seq);
#else
			struct ent *e = find(k, p);
			if (!e || e->state != TSFREE)
				mmf_internal("kmem_cache %s: freed object %p lost", c->name, p);
			e->state = LIVE;
			e->site = site;
			e->free_site = NULL;
			e->seq = ++k->seq;
			asan_poison(p, c->size, false);
#endif
			k->live++;
			mmf_obj_unlock(k);
			mmf_tsan_acquire(p);
			*fresh = false;
			return (void *)p;
		}
		mmf_obj_unlock(k);
	}
	void *p = carve(k, c->size, c->name, site);
	memset(p, 0, c->size);
	return p;
}

void *mmf_kmem_cache_alloc(struct mmf_kmem_cache *c, enum mmf_gfp gfp, const struct mmf_site *site)
{
	bool fresh;
	MMF_SCHED_ENTER();
	void *p = __cache_alloc(c, gfp, site, &fresh);
	MMF_SCHED_LEAVE();
	/* Model code, outside the scheduler's own section: it may use the
	 * primitives. */
	if (p && fresh && c->ctor)
		c->ctor(p);
	return p;
}

void mmf_kmem_cache_free(struct mmf_kmem_cache *c, const void *p, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__kfree(p, c, site);
	MMF_SCHED_LEAVE();
}

size_t mmf_kmem_cache_nr_free(const struct mmf_kmem_cache *c) { return c->nfree; }

void mmf_kmem_cache_shrink(struct mmf_kmem_cache *c, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	struct mmf_kmem *k = run_kmem("kmem_cache_shrink");
	mmf_might_sleep(site);
	mmf_obj_lock(k);
	size_t n = c->nfree;
	const void **gone = n ? malloc(n * sizeof(*gone)) : NULL;
	if (n && !gone)
		mmf_internal("out of memory (kmem_cache_shrink)");
	if (n)
		memcpy(gone, c->free, n * sizeof(*gone));
	c->nfree = 0;
	mmf_obj_unlock(k);
	MMF_SCHED_LEAVE();
	if (!n)
		return;
	/* The slab page goes back to the page allocator only after every
	 * reader that could have seen its objects is done. */
	mmf_synchronize_rcu(site);
	MMF_SCHED_ENTER();
	mmf_obj_lock(k);
	for (size_t i = 0; i < n; i++) {
#if MMF_KASAN
		mmf_kasan_release(gone[i]);
#else
		struct ent *e = find(k, gone[i]);
		if (!e || e->state != TSFREE)
			mmf_internal("kmem_cache %s: freed object %p lost", c->name, gone[i]);
		e->state = FREED;
#if MMF_ASAN
		e->ptr = TOMB;
		asan_poison(gone[i], c->size, false);
		free((void *)gone[i]);
#else
		memset((void *)gone[i], MMF_POISON_FREE, e->size);
#endif
#endif
	}
	mmf_obj_unlock(k);
	free(gone);
	MMF_SCHED_LEAVE();
}

void mmf_kmem_check(const void *p, const struct mmf_site *site)
{
	MMF_SCHED_ENTER();
	__kmem_check(p, site);
	MMF_SCHED_LEAVE();
}

void mmf_kmem_reset(struct mmf_sched *s)
{
	MMF_SCHED_ENTER();
	__kmem_reset(s);
	MMF_SCHED_LEAVE();
}

#if MMF_ASAN
/* ASan's defaults (ASAN_OPTIONS still overrides them): a run allocates far
 * less than 16 MiB and frees it all at the next reset, so a 16 MiB
 * quarantine still catches every use after free within a run, with an
 * eighth of the default's memory and page faults (docs/fuzzing.md). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }
#endif
