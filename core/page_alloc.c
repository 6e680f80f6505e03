/* page_alloc.c - models mm/page_alloc.c and the refcount helpers of
 * include/linux/mm.h: a fixed frame table with a free list, allocation that
 * may sleep and may fail, and the free path's bad-page checks.
 * Deviations: no zones, buddy orders or per-cpu lists; a folio of n pages
 * takes n frames off the free list (its own and n-1 tail frames, not
 * contiguous), each page's data separately allocated.
 *
 * Kernel: Linux 6.12 (folio refcounts, __folio_put taking the folio off
 * the LRU and the deferred split queue, free_unref_folio's bad-page
 * checks), simplified as above.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "zswap.h"

#include <string.h>

void mm_page_alloc_init(struct mm_model *M, int nr_frames)
{
	spin_lock_init(&M->zone_lock);
	INIT_LIST_HEAD(&M->free_list);
	M->nr_frames = nr_frames;
	M->nr_free = nr_frames;
	for (int i = 0; i < nr_frames; i++) {
		struct folio *f = &M->frames[i];
		memset(f, 0, sizeof(*f));
		f->pfn = i;
		f->state = FRAME_FREE;
		INIT_LIST_HEAD(&f->lru);
		INIT_LIST_HEAD(&f->_deferred_list);
		list_add_tail(&f->buddy, &M->free_list);
	}
	struct folio *z = &M->zero_folio;
	memset(z, 0, sizeof(*z));
	z->pfn = MM_MAX_FRAMES;
	z->nr_pages = 1;
	z->state = FRAME_ALLOCATED;
	atomic_set(&z->_refcount, 1);
	INIT_LIST_HEAD(&z->lru);
	INIT_LIST_HEAD(&z->_deferred_list);
	z->data[0] = kzalloc(MM_PAGE_BYTES, GFP_ATOMIC | __GFP_NOFAIL, "zero page");
}

bool folio_maybe_dma_pinned(struct folio *f)
{
	return atomic_read(&f->_refcount) >= GUP_PIN_COUNTING_BIAS;
}

struct folio *pfn_folio(int pfn)
{
	struct mm_model *M = MM();
	if (pfn == MM_MAX_FRAMES)
		return &M->zero_folio;
	BUG_ON(pfn < 0 || pfn >= M->nr_frames);
	return &M->frames[pfn];
}

bool is_zero_folio(const struct folio *f) { return f == &MM()->zero_folio; }

int mm_nr_free_frames(struct mm_model *M) { return M->nr_free; }

struct folio *(folio_alloc)(int nr_pages, enum mmf_gfp gfp)
{
	struct mm_model *M = MM();
	const struct mmf_site *site = MMF_SITE("folio_alloc");

	BUG_ON(nr_pages < 1 || nr_pages > MM_MAX_FOLIO_PAGES);
	if ((gfp & MMF_GFP_MODE) == GFP_KERNEL) {
		mmf_might_sleep(site);
		mmf_point(MMF_PT_ALLOC, M, site);
		/* The slow path: below the low watermark, or when the fast
		 * path misses (the decision source says when: per-cpu lists
		 * empty, a zone locked; only while allocator perturbation is
		 * on, as fault injection is), the allocating task reclaims for
		 * itself first, as __alloc_pages_direct_reclaim does.  A task
		 * already reclaiming does not recurse (PF_MEMALLOC).  This is
		 * the long "blocked in the page allocator" window. */
		struct mmf_task *t = mmf_current();
		if (!(t->model_flags & PF_MEMALLOC) &&
		    (data_race(M->nr_free) <= M->nr_frames / 8 ||
		     (M->alloc_fail_rate &&
		      mmf_decide_fault(MM_ALLOC_SLOWPATH_RATE, MMF_SITE("folio_alloc slow path"))))) {
			t->model_flags |= PF_MEMALLOC;
			mm_reclaim(2);
			/* shrink_slab: the zswap shrinker writes back. */
			zswap_shrinker_scan();
			t->model_flags &= ~PF_MEMALLOC;
		}
	}
	if (M->alloc_fail_rate && mmf_decide_fault(M->alloc_fail_rate, site))
		return NULL;
	/* IRQ-safe: the last put of a folio may come from an interrupt. */
	unsigned long irqf;
	spin_lock_irqsave(&M->zone_lock, irqf);
	if (M->nr_free < nr_pages) {
		spin_unlock_irqrestore(&M->zone_lock, irqf);
		return NULL;
	}
	struct folio *f = NULL;
	for (int i = 0; i < nr_pages; i++) {
		struct folio *p = list_entry(M->free_list.next, struct folio, buddy);
		list_del_init(&p->buddy);
		M->nr_free--;
		if (!i) {
			f = p;
			f->state = FRAME_ALLOCATED;
		} else {
			p->state = FRAME_TAIL;
			f->tail_pfn[i] = p->pfn;
		}
	}
	spin_unlock_irqrestore(&M->zone_lock, irqf);

	f->flags = 0;
	f->nr_pages = nr_pages;
	f->swap.val = 0;
	f->anon_vma = NULL;
	f->index = 0;
	f->alloc_site = site;
	for (int i = 0; i < nr_pages; i++)
		/* The frame's own memory, not a slab object: cannot fail. */
		f->data[i] = kzalloc(MM_PAGE_BYTES, GFP_ATOMIC | __GFP_NOFAIL, "page data");
	__atomic_store_n(&f->_mapcount.counter, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < MM_MAX_FOLIO_PAGES; i++)
		__atomic_store_n(&f->_pmapcount[i].counter, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->_refcount.counter, 1, __ATOMIC_RELEASE);
	return f;
}

/* The kernel's free_pages_check: what a folio must look like when its
 * last reference goes. */
#define FLAGS_CHECK_AT_FREE                                                    \
	((1ul << PG_locked) | (1ul << PG_lru) | (1ul << PG_active) |          \
	 (1ul << PG_swapcache) | (1ul << PG_writeback) | (1ul << PG_partially_mapped))

void (free_unref_folio)(struct folio *f)
{
	struct mm_model *M = MM();
	const struct mmf_site *site = MMF_SITE("free_unref_folio");

	if (is_zero_folio(f)) {
		mmf_fail(MMF_FAIL_BUG, f, site, "kernel BUG: freeing the zero page");
		return;
	}
	unsigned long irqf;
	spin_lock_irqsave(&M->zone_lock, irqf);
	if (f->state != FRAME_ALLOCATED) {
		spin_unlock_irqrestore(&M->zone_lock, irqf);
		mmf_fail(MMF_FAIL_DOUBLE_FREE, f, site, "%s of folio pfn %d",
			 f->state == FRAME_FREE ? "double free" : "free of a tail page", f->pfn);
		return;
	}
	int refs = __atomic_load_n(&f->_refcount.counter, __ATOMIC_RELAXED);
	int maps = __atomic_load_n(&f->_mapcount.counter, __ATOMIC_RELAXED);
	for (int i = 0; i < f->nr_pages; i++)
		maps |= __atomic_load_n(&f->_pmapcount[i].counter, __ATOMIC_RELAXED);
	unsigned long flags = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	/* Racy, as the kernel's check is: a scan that found the count zero
	 * unqueues the folio under its own lock. */
	bool queued = mm__racy_read(!list_empty(&f->_deferred_list));
	if (refs || maps || (flags & FLAGS_CHECK_AT_FREE) || f->swap.val || queued) {
		spin_unlock_irqrestore(&M->zone_lock, irqf);
		mmf_fail(MMF_FAIL_BAD_PAGE, f, site,
			 "BUG: Bad page state: pfn %d count %d mapcount %d flags %#lx swap %#lx%s",
			 f->pfn, refs, maps, flags, f->swap.val,
			 queued ? " (still on the deferred split queue)" : "");
		return;
	}
	f->state = FRAME_FREE;
	f->flags = 0;
	f->anon_vma = NULL;
	for (int i = 0; i < f->nr_pages; i++) {
		kfree(f->data[i]);
		f->data[i] = NULL;
		if (i) {
			struct folio *t = &M->frames[f->tail_pfn[i]];
			t->state = FRAME_FREE;
			list_add_tail(&t->buddy, &M->free_list);
			M->nr_free++;
		}
	}
	list_add_tail(&f->buddy, &M->free_list);
	M->nr_free++;
	spin_unlock_irqrestore(&M->zone_lock, irqf);
}

void (folio_get)(struct folio *f) { atomic_inc(&f->_refcount); }

bool (folio_try_get)(struct folio *f) { return atomic_inc_not_zero(&f->_refcount); }

void (folio_ref_add)(struct folio *f, int nr) { atomic_add(nr, &f->_refcount); }

int folio_ref_count(struct folio *f) { return atomic_read(&f->_refcount); }

int folio_mapcount(struct folio *f) { return atomic_read(&f->_mapcount); }

bool folio_ref_freeze(struct folio *f, int count)
{
	return atomic_cmpxchg(&f->_refcount, count, 0) == count;
}

void folio_ref_unfreeze(struct folio *f, int count)
{
	VM_BUG_ON_FOLIO(atomic_read(&f->_refcount) != 0, f);
	atomic_set(&f->_refcount, count);
}

/* The last reference is gone: take the folio off the LRU and free it.
 * This may run in interrupt context (an I/O user's final put). */
static void __folio_put(struct folio *f)
{
	struct mm_model *M = MM();

	if (f->nr_pages > 2)
		folio_unqueue_deferred_split(f);

	/* A racy flag read (a point by rule): another CPU may be isolating
	 * the folio. */
	if (folio_test(f, PG_lru)) {
		if (mm_variant(V_LRU_FREE_IRQ_DOUBLE_FREE)) {
			/* 2002: the LRU lock is not IRQ-safe, so leave the
			 * count-0 page on the LRU for shrink_cache to free. */
			return;
		}
		unsigned long irqf;
		spin_lock_irqsave(&M->lru_lock, irqf);
		if (test_and_clear_bit(PG_lru, &f->flags)) {
			list_del_init(&f->lru);
			M->nr_lru--;
		}
		spin_unlock_irqrestore(&M->lru_lock, irqf);
	}
	free_unref_folio(f);
}

void (folio_put)(struct folio *f)
{
	if (is_zero_folio(f))
		return;
	if (atomic_dec_and_test(&f->_refcount))
		__folio_put(f);
}

void (folio_put_refs)(struct folio *f, int nr)
{
	if (is_zero_folio(f))
		return;
	if (atomic_add_return(-nr, &f->_refcount) == 0)
		__folio_put(f);
}

/* ---- folio lock and writeback ------------------------------------------------------- */

/* Every folio's PG_locked is one lock class for the lock-order checker. */
static MMF_BIT_CLASS(folio_lock_class, "folio lock");

void folio_lock(struct folio *f) { bit_lock(PG_locked, &f->flags, &folio_lock_class); }

bool folio_trylock(struct folio *f) { return bit_trylock(PG_locked, &f->flags, &folio_lock_class); }

void __folio_set_locked(struct folio *f) { __bit_lock(PG_locked, &f->flags, &folio_lock_class); }

void folio_lock_handoff(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	bit_lock_handoff(PG_locked, &f->flags);
}

void folio_unlock(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	bit_unlock(PG_locked, &f->flags);
}

void folio_wait_writeback(struct folio *f) { bit_wait(PG_writeback, &f->flags, "folio writeback"); }

void folio_start_writeback(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(test_and_set_bit(PG_writeback, &f->flags), f);
}

void folio_end_writeback(struct folio *f)
{
	/* Clears PG_writeback and wakes its waiters. */
	bit_clear_wake(PG_writeback, &f->flags);
}
