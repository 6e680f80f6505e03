/* kmem.h - the run-scoped checked heap for model objects (kmalloc/kfree).
 *
 * Every object is its own allocation so sanitizers see misuse.  Under ASan
 * kfree() really frees and ASan catches use-after-free and double free.
 * Without ASan, kfree() poisons the object and keeps it in quarantine until
 * the run ends, so kmem_check() (called where the model dereferences an
 * object it does not own) and kfree() catch the same cases deterministically.
 * Everything still allocated when a run is reset is freed, so an abandoned
 * run (a failure stops tasks mid-way) leaks nothing into the next one; the
 * teardown audit lists live objects with their allocation sites first.
 */
#ifndef MMF_KMEM_H
#define MMF_KMEM_H

#include "scheduler.h"

#define MMF_POISON_FREE 0x6b   /* the kernel's POISON_FREE byte */

/* One of GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, optionally | __GFP_NOFAIL. */
enum mmf_gfp {
	GFP_KERNEL = 0,
	GFP_ATOMIC = 1,
	GFP_NOWAIT = 2,
	/* Never failed by fault injection, as failslab skips __GFP_NOFAIL:
	 * for memory that is not a kernel allocation that can fail (a
	 * page's contents, the swap device itself, the harness's state). */
	__GFP_NOFAIL = 0x10,
};
#define MMF_GFP_MODE 0x3

/* GFP_KERNEL may sleep: it is a scheduling point and a might_sleep check.
 * Any allocation without __GFP_NOFAIL fails (returns NULL) when the
 * decision source injects a fault at the run's rate (failslab; 0: never),
 * drawn from the same stream as the page allocator's faults.  The rate is
 * 0 at the start of every run: the program sets it. */
void *mmf_kmalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site);
void mmf_kfree(const void *p, const struct mmf_site *site);
void mmf_kmem_check(const void *p, const struct mmf_site *site);
void mmf_kmem_set_fail_rate(struct mmf_sched *s, unsigned rate);

/* ---- caches: kmem_cache_create() ----------------------------------------------
 * A cache hands out objects of one size and type.  Without flags it is
 * kmalloc under another name (the constructor runs on every object).
 *
 * SLAB_TYPESAFE_BY_RCU, as the kernel's flag means it: a freed object goes
 * back to its cache at once, and the next allocation from the cache gets it
 * again (the most recently freed first, as a per-CPU freelist would), with
 * its bytes as they were: the constructor runs only on a fresh slot.  The
 * memory stays an object of the cache's type while it is in the cache, so
 * a reader that found a pointer to it under rcu_read_lock() may still touch
 * it after the free (a try-get of a count that reads 0, a trylock) and must
 * then check that it still is the object it looked for.  Outside any RCU
 * read-side section a freed object is a use-after-free, as after kfree().
 * kmem_cache_shrink() takes the free objects out of the cache (a slab page
 * given back) and waits for a grace period: from then on every access is
 * a use-after-free.
 *
 * What each build checks of a freed object in the cache: the checked heap
 * (MMF_KASAN) every access, against the rule above; the plain heap (TSan,
 * -DMMF_KASAN=OFF) the kmem_check() calls, against the same rule.  ASan
 * sees one poison state for all tasks: the object is not given to free()
 * until it leaves the cache, and it is poisoned while no task at all is
 * inside an RCU read-side section, so an access then is ASan's
 * use-after-poison report (counted as a use-after-free); while some task
 * is inside one, no access to it is reported; after kmem_cache_shrink()
 * every access is ASan's heap-use-after-free.
 *
 * A cache lives for one run (created in it, gone when the run is reset),
 * like every object of the checked heap.  Locking: none for the caller;
 * every call may be made from any task. */
#define SLAB_TYPESAFE_BY_RCU 0x1u
struct mmf_kmem_cache;
struct mmf_kmem_cache *mmf_kmem_cache_create(const char *name, size_t size, unsigned flags,
					     void (*ctor)(void *));
/* NULL on an injected fault, as kmalloc. */
void *mmf_kmem_cache_alloc(struct mmf_kmem_cache *c, enum mmf_gfp gfp, const struct mmf_site *site);
void mmf_kmem_cache_free(struct mmf_kmem_cache *c, const void *p, const struct mmf_site *site);
/* Sleeps for a grace period if any object leaves the cache (might_sleep). */
void mmf_kmem_cache_shrink(struct mmf_kmem_cache *c, const struct mmf_site *site);
/* ASan builds: sync.c reports each outermost rcu_read_lock (+1) and
 * rcu_read_unlock (-1), which poison and unpoison (kmem.c). */
void mmf_kmem_rcu_readers(struct mmf_sched *s, int delta);
/* Free objects waiting in the cache for reuse. */
size_t mmf_kmem_cache_nr_free(const struct mmf_kmem_cache *c);
#define kmem_cache_create(name, size, flags, ctor) mmf_kmem_cache_create((name), (size), (flags), (ctor))
#define kmem_cache_alloc(c, gfp) mmf_kmem_cache_alloc((c), (gfp), MMF_SITE("kmem_cache_alloc"))
#define kmem_cache_free(c, p) mmf_kmem_cache_free((c), (p), MMF_SITE("kmem_cache_free"))
#define kmem_cache_shrink(c) mmf_kmem_cache_shrink((c), MMF_SITE("kmem_cache_shrink"))

struct mmf_kmem_obj {
	const void *ptr;
	size_t size;
	const char *type;
	const struct mmf_site *site;
};
/* Live objects, for the teardown audit: calls fn for each; returns count. */
size_t mmf_kmem_live(struct mmf_sched *s, void (*fn)(const struct mmf_kmem_obj *, void *),
		     void *arg);
void mmf_kmem_reset(struct mmf_sched *s);
void mmf_kmem_destroy(struct mmf_sched *s);

#define kmalloc(size, gfp, type) mmf_kmalloc((size), (gfp), (type), MMF_SITE("kmalloc"))
#define kzalloc(size, gfp, type) mmf_kzalloc((size), (gfp), (type), MMF_SITE("kzalloc"))
#define kfree(p) mmf_kfree((p), MMF_SITE("kfree"))
#define kmem_check(p) mmf_kmem_check((p), MMF_SITE("kmem_check"))
void *mmf_kzalloc(size_t size, enum mmf_gfp gfp, const char *type, const struct mmf_site *site);

#endif
