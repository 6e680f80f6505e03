/* kmem.c - the run-scoped checked heap; see kmem.h. */
#define _GNU_SOURCE
#include "kmem.h"
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
	struct ent *tab;
	size_t cap, used, live;
	unsigned fail_rate;
	uint64_t seq;
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
	}
	return s->kmem;
}

MMF_WRAPS
static size_t hash(const void *p)
{
	uint64_t h = (uintptr_t)p;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

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
	void *p = malloc(size ? size : 1);
	if (!p)
		mmf_internal("out of memory (kmalloc %zu)", size);
	mmf_obj_lock(k);
	struct ent e = {p, size, type, site, NULL, LIVE, ++k->seq};
	insert(k, &e);
	k->live++;
	mmf_obj_unlock(k);
	return p;
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
