/* kmem.c - the run-scoped checked heap; see kmem.h. */
#define _GNU_SOURCE
#include "kmem.h"
#include "kasan.h"
#include "sanitizer.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

enum { LIVE = 1, FREED = 2 };

struct ent {
	void *ptr;              /* NULL: empty slot; TOMB: deleted */
	size_t size;
	const char *type;
	const struct mmf_site *site, *free_site;
	int state;
	uint64_t seq;           /* allocation order: reports list objects in it */
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

static void *__kmalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		mmf_internal("kmalloc outside a run");
	struct mmf_kmem *k = km(s);
	if ((gfp & MMF_GFP_MODE) == GFP_KERNEL) {
		mmf_might_sleep(site);
		mmf_point(MMF_PT_ALLOC, NULL, site);
	}
	if (!(gfp & __GFP_NOFAIL) && k->fail_rate && mmf_decide_fault(k->fail_rate, site))
		return NULL;
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

void *mmf_kzalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site)
{
	void *p = mmf_kmalloc(size, gfp, type, site);
	if (p)
		memset(p, 0, size);
	return p;
}

static void __kfree(const void *p, const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!p)
		return;
	if (!s)
		mmf_internal("kfree outside a run");
	struct mmf_kmem *k = km(s);
#if MMF_KASAN
	const struct mmf_task *t = mmf_current();
	struct mmf_kasan_obj o;
	mmf_obj_lock(k);
	int r = mmf_kasan_free(p, site, t ? t->id : -1, &o);
	k->live -= r == 0;
	mmf_obj_unlock(k);
	if (r == 1)
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
	if (e->state == FREED) {
		const struct ent copy = *e;
		mmf_obj_unlock(k);
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site,
			 "double free of %s %p (allocated at %s:%d, first freed at %s:%d)",
			 copy.type, p, mmf_site_file(copy.site), copy.site->line,
			 mmf_site_file(copy.free_site), copy.free_site->line);
		return;
	}
	k->live--;
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
	else if (copy.state == FREED)
		mmf_fail(MMF_FAIL_USE_AFTER_FREE, p, site,
			 "use-after-free of %s %p (allocated at %s:%d, freed at %s:%d)", copy.type, p,
			 mmf_site_file(copy.site), copy.site->line, mmf_site_file(copy.free_site),
			 copy.free_site->line);
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
	for (size_t i = 0; i < k->cap; i++) {
		struct ent *e = &k->tab[i];
		if (e->ptr && e->ptr != TOMB)
			free(e->ptr);
	}
	if (k->cap)
		memset(k->tab, 0, k->cap * sizeof(*k->tab));
	k->used = k->live = 0;
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
	__kfree(p, site);
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
