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
