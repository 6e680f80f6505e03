/* huge_memory.c - models the anonymous half of mm/huge_memory.c for the
 * model's large folios (2 and 4 pages, mTHP orders 1 and 2): splitting a
 * folio into small ones, and the deferred split queue of partially
 * unmapped folios with its shrinker.
 * Deviations: splits go to order 0 only (6.12 anonymous folios split to
 * order 0 or >= 2; the model's largest folio is order 2); no PMD mappings
 * (the model's large folios are pte-mapped mTHP, so no huge zero page and
 * no PMD split); no "underused" THP splitting (an order-2 folio never has
 * more than khugepaged_max_ptes_none zero pages); one queue (no memcg);
 * the unqueue before a free always takes the queue's lock (6.12 peeks
 * first: see folio_unqueue_deferred_split).
 *
 * Kernel: Linux 6.12 (can_split_folio; split_huge_page_to_list_to_order
 * and __split_huge_page for anonymous folios: the anon_vma pinned and
 * write-locked, unmap to migration entries, the count frozen under the
 * swap-cache lock and split_queue_lock, tails made folios under the LRU
 * lock, remap, tails unlocked and released; deferred_split_folio,
 * __folio_unqueue_deferred_split, deferred_split_scan with its held
 * previous folio).
 */
#define _GNU_SOURCE
#include "mm.h"

#include <errno.h>

void mm_split_queue_init(struct mm_model *M)
{
	spin_lock_init(&M->split_queue_lock);
	INIT_LIST_HEAD(&M->split_queue);
	M->split_queue_len = 0;
}

/* Racy: only the caller's pins, one reference per mapping pte and the
 * swap cache's one per page may be held. */
bool can_split_folio(struct folio *f, int caller_pins)
{
	int extra = folio_test(f, PG_swapcache) ? f->nr_pages : 0;
	return folio_mapcount(f) == folio_ref_count(f) - extra - caller_pins;
}

/* __split_huge_page: the count is frozen, the anon_vma write-locked, the
 * swap-cache lock held if f is cached (si).  Each tail page becomes a
 * folio of its own, locked, with the head's state; the swap cache points
 * at it; it goes next to the head on the LRU, or onto the caller's list.
 * Fills pages[] with the folio of each page. */
static void split_tails(struct folio *f, struct folio_list *list, struct swap_info_struct *si,
			struct folio **pages)
{
	struct mm_model *M = MM();
	const unsigned long kept = (1ul << PG_referenced) | (1ul << PG_swapbacked) |
				   (1ul << PG_swapcache) | (1ul << PG_uptodate) |
				   (1ul << PG_dirty) | (1ul << PG_active);
	int nr = f->nr_pages;
	bool cached = si != NULL;
	unsigned long irqf;

	pages[0] = f;
	/* The tail frames become folios (the allocator's bookkeeping). */
	spin_lock_irqsave(&M->zone_lock, irqf);
	for (int i = 1; i < nr; i++) {
		struct folio *t = &M->frames[f->tail_pfn[i]];
		BUG_ON(t->state != FRAME_TAIL);
		t->state = FRAME_ALLOCATED;
		pages[i] = t;
	}
	spin_unlock_irqrestore(&M->zone_lock, irqf);

	spin_lock_irqsave(&M->lru_lock, irqf);
	unsigned long flags = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	bool on_lru = flags & (1ul << PG_lru);
	VM_BUG_ON_FOLIO(!on_lru && !list, f);
	for (int i = nr - 1; i >= 1; i--) {
		struct folio *t = pages[i];
		t->flags = flags & kept;
		t->nr_pages = 1;
		t->data[0] = f->data[i];
		f->data[i] = NULL;
		t->anon_vma = f->anon_vma;
		t->index = f->index + (unsigned long)i;
		t->swap.val = cached ? f->swap.val + (unsigned long)i : 0;
		t->alloc_site = f->alloc_site;
		__atomic_store_n(&t->_mapcount.counter, 0, __ATOMIC_RELAXED);
		for (int k = 0; k < MM_MAX_FOLIO_PAGES; k++)
			__atomic_store_n(&t->_pmapcount[k].counter, 0, __ATOMIC_RELAXED);
		/* Locked like the head until the split is done: nobody can
		 * see it yet (its count is zero, the cache still points at
		 * the head). */
		__folio_set_locked(t);
		if (cached)
			si->cache[swp_offset(f->swap) + (unsigned long)i] = t;
		/* One reference to drop once the split is done, and the
		 * cache's for its page. */
		int refs = 1 + (cached ? 1 : 0);
		if (list) {
			/* Reclaim splits an isolated folio: the tail joins its
			 * list, isolated, with the list's reference. */
			refs++;
			BUG_ON(list->n >= (int)(sizeof(list->f) / sizeof(list->f[0])));
			list->f[list->n++] = t;
		} else {
			list_add(&t->lru, &f->lru);
			M->nr_lru++;
			set_bit(PG_lru, &t->flags);
		}
		__atomic_store_n(&t->_refcount.counter, refs, __ATOMIC_RELEASE);
		mmf_ref_new(t, "folio", refs, false, MMF_SITE("__split_huge_page_tail"));
	}
	f->nr_pages = 1;
	spin_unlock_irqrestore(&M->lru_lock, irqf);
	/* The head keeps the caller's reference and the cache's for its
	 * own page; the cache's others went with the tails. */
	folio_ref_unfreeze(f, 1 + (cached ? 1 : 0));
	if (cached)
		mmf_ref_put(f, nr - 1, MMF_SITE("__split_huge_page: the tails' cache refs"));
}

int split_folio_to_list(struct folio *f, struct folio_list *list)
{
	struct mm_model *M = MM();
	int nr = f->nr_pages;

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(nr < 2, f);
	if (folio_test(f, PG_writeback))
		return -EBUSY;
	/* Nothing the caller holds keeps the anon_vma alive: pin it while
	 * the folio is mapped, and lock it for writing against other
	 * splits and rmap walks. */
	struct anon_vma *av = folio_get_anon_vma(f);
	if (!av)
		return -EBUSY;
	down_write(&av->rwsem);
	int ret = -EAGAIN;
	if (!can_split_folio(f, 1))
		goto out;
	try_to_migrate_locked(f, av);

	struct swap_info_struct *si = NULL;
	bool cached = folio_test(f, PG_swapcache);
	if (cached) {
		si = swp_swap_info(f->swap);
		VM_BUG_ON_FOLIO(!si, f);
		spin_lock(&si->cache_lock);
	}
	unsigned long irqf;
	spin_lock_irqsave(&M->split_queue_lock, irqf);
	if (!folio_ref_freeze(f, 1 + (cached ? nr : 0))) {
		/* A reference appeared (a lookup, a pin): put the ptes back. */
		spin_unlock_irqrestore(&M->split_queue_lock, irqf);
		if (cached)
			spin_unlock(&si->cache_lock);
		struct folio *same[MM_MAX_FOLIO_PAGES];
		int subs[MM_MAX_FOLIO_PAGES];
		for (int i = 0; i < nr; i++) {
			same[i] = f;
			subs[i] = i;
		}
		remap_split_ptes(f, same, subs, nr);
		goto out;
	}
	/* Off the deferred split queue (the scan's private list too: the
	 * scan is then the caller, whose reference was the one expected). */
	if (!list_empty(&f->_deferred_list)) {
		M->split_queue_len--;
		folio_clear(f, PG_partially_mapped);
		list_del_init(&f->_deferred_list);
	}
	spin_unlock_irqrestore(&M->split_queue_lock, irqf);

	struct folio *pages[MM_MAX_FOLIO_PAGES];
	int subs[MM_MAX_FOLIO_PAGES] = {0};
	split_tails(f, list, si, pages);
	if (cached)
		spin_unlock(&si->cache_lock);
	/* remap_page: each page's migration entries now map its own folio. */
	remap_split_ptes(f, pages, subs, nr);
	/* The caller keeps the head locked with its reference; the tails are
	 * unlocked and their split reference dropped, which frees a tail no
	 * pte maps (with its swap slot, if only the cache holds that). */
	for (int i = 1; i < nr; i++) {
		folio_unlock(pages[i]);
		free_folio_and_swap_cache(pages[i]);
	}
	ret = 0;
out:
	up_write(&av->rwsem);
	put_anon_vma(av);
	return ret;
}

/* A large anonymous folio some of whose pages no pte maps any more: queue
 * it, so that the shrinker can split it and free those pages.  Order 1
 * has no room for the list and is never queued; a folio in the swap cache
 * is reclaim's already. */
void deferred_split_folio(struct folio *f)
{
	struct mm_model *M = MM();
	unsigned long irqf;

	if (f->nr_pages <= 2 || folio_test(f, PG_swapcache))
		return;
	spin_lock_irqsave(&M->split_queue_lock, irqf);
	if (!folio_test(f, PG_partially_mapped))
		folio_set(f, PG_partially_mapped);
	if (list_empty(&f->_deferred_list)) {
		list_add_tail(&f->_deferred_list, &M->split_queue);
		M->split_queue_len++;
	}
	spin_unlock_irqrestore(&M->split_queue_lock, irqf);
}

/* The folio's count reached zero: off the queue before it is freed.  Not
 * earlier: while the count is up the entry may be on the scan's private
 * list, which only the scan may walk.  6.12 first peeks at the list
 * without the lock (data_race) and returns if it is empty; but a scan that
 * lost the race with this put unqueues the folio (and clears
 * PG_partially_mapped) under the lock, and the peek does not order the free
 * after those writes: TSan reports the scan's clear_bit against the free's
 * reset of the flags.  The model takes the lock every time. */
void folio_unqueue_deferred_split(struct folio *f)
{
	struct mm_model *M = MM();
	unsigned long irqf;

	if (f->nr_pages <= 2)
		return;
	VM_BUG_ON_FOLIO(folio_ref_count(f) != 0, f);
	spin_lock_irqsave(&M->split_queue_lock, irqf);
	if (!list_empty(&f->_deferred_list)) {
		M->split_queue_len--;
		folio_clear(f, PG_partially_mapped);
		list_del_init(&f->_deferred_list);
	}
	spin_unlock_irqrestore(&M->split_queue_lock, irqf);
}

int deferred_split_scan(int nr)
{
	struct mm_model *M = MM();
	struct list_head list;
	struct folio *prev = NULL;
	unsigned long irqf;
	int split = 0, removed = 0;

	if (!READ_ONCE(M->split_queue_len))     /* deferred_split_count */
		return 0;
	INIT_LIST_HEAD(&list);
	/* Take a reference on each queued folio, so that none is freed
	 * under the scan; one whose count already reached zero is its last
	 * putter's to unqueue and free. */
	spin_lock_irqsave(&M->split_queue_lock, irqf);
	while (!list_empty(&M->split_queue) && nr-- > 0) {
		struct folio *f = list_first_entry(&M->split_queue, struct folio, _deferred_list);
		if (folio_try_get(f)) {
			list_move_tail(&f->_deferred_list, &list);
		} else {
			folio_clear(f, PG_partially_mapped);
			list_del_init(&f->_deferred_list);
			M->split_queue_len--;
		}
	}
	spin_unlock_irqrestore(&M->split_queue_lock, irqf);

	/* Every folio not yet visited holds the scan's reference, so the
	 * next one cannot leave the private list under the walk. */
	for (struct list_head *pos = list.next, *next; pos != &list; pos = next) {
		next = pos->next;
		struct folio *f = list_entry(pos, struct folio, _deferred_list);
		bool did_split = false;
		/* Partially mapped folios only (no underused THPs here). */
		if (folio_test(f, PG_partially_mapped) && folio_trylock(f)) {
			did_split = !split_folio_to_list(f, NULL);
			split += did_split;
			folio_unlock(f);
		}
		if (did_split) {
			;       /* the split took it off the list */
		} else if (!folio_test(f, PG_partially_mapped)) {
			list_del_init(&f->_deferred_list);
			removed++;
		} else {
			/* Left on the private list for the splice below.  Keep
			 * this one's reference until then, so that the next
			 * unlocked unlink has a neighbour that cannot go away
			 * (a final put unqueues its folio under the lock). */
			struct folio *t = prev;
			prev = f;
			f = t;
		}
		if (f)
			folio_put(f);
	}
	/* list_splice_tail: what is left goes back to the queue. */
	spin_lock_irqsave(&M->split_queue_lock, irqf);
	while (!list_empty(&list))
		list_move_tail(list.next, &M->split_queue);
	M->split_queue_len -= removed;
	spin_unlock_irqrestore(&M->split_queue_lock, irqf);
	if (prev)
		folio_put(prev);
	return split;
}
