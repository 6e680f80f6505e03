/* vmscan.c - models mm/vmscan.c's shrink_folio_list for anonymous folios:
 * isolate from the LRU, add to swap, unmap to swap entries, page out (to
 * zswap or the device), and free a clean unreferenced folio from the swap
 * cache (__remove_mapping's reference freeze); a large folio is split
 * first if it is partially mapped, or if no run of free slots takes it
 * whole; then shrink_slab's deferred split shrinker.
 * Deviations: one LRU list (no active list, no aging), no dirty throttling,
 * one pass.
 *
 * Kernel: Linux 6.12 (shrink_folio_list and __remove_mapping for anonymous
 * folios, with add_to_swap's fallback to splitting, then shrink_slab's
 * deferred_split_scan), one pass.
 */
#define _GNU_SOURCE
#include "mm.h"

/* __remove_mapping: only the isolation reference and the cache's may
 * remain; freezing the count to zero under the cache lock keeps a lookup
 * from taking a new one. */
static bool remove_mapping(struct folio *f)
{
	swp_entry_t e = f->swap;
	struct swap_info_struct *si = swp_swap_info(e);
	VM_BUG_ON_FOLIO(!si, f);
	int expected = 1 + f->nr_pages;
	spin_lock(&si->cache_lock);
	if (atomic_cmpxchg(&f->_refcount, expected, 0) != expected) {
		spin_unlock(&si->cache_lock);
		return false;
	}
	__delete_from_swap_cache_locked(si, f, e);
	spin_unlock(&si->cache_lock);
	put_swap_folio(f, e);
	folio_unlock(f);
	/* Partially unmapped while we were at it: queued meanwhile. */
	folio_unqueue_deferred_split(f);
	free_unref_folio(f);
	return true;
}

/* add_to_swap: slots for the whole folio, and the swap cache. */
static bool add_to_swap(struct folio *f)
{
	swp_entry_t e = folio_alloc_swap(f);
	if (!e.val)
		return false;
	if (add_to_swap_cache(f, e)) {
		put_swap_folio(f, e);
		return false;
	}
	folio_set(f, PG_dirty);
	return true;
}

/* Returns true if the folio was freed; otherwise it goes back on the LRU.
 * A split adds the folio's other pages to the list, each to take its own
 * pass. */
static bool shrink_folio(struct folio *f, struct folio_list *list)
{
	if (!folio_trylock(f))
		goto keep;
	if (folio_test(f, PG_writeback))
		goto keep_locked;
	if (!folio_test(f, PG_swapcache)) {
		/* Unmapped and not in swap: its last users are about to free
		 * it (an unmap in progress, or an I/O pin). */
		if (!folio_mapcount(f))
			goto keep_locked;
		if (folio_maybe_dma_pinned(f))
			goto keep_locked;
		if (f->nr_pages > 1) {
			if (!can_split_folio(f, 1))
				goto keep_locked;
			/* Partially mapped: split now, and the unmapped pages
			 * are freed without any I/O. */
			if (data_race(!list_empty(&f->_deferred_list)) &&
			    folio_test(f, PG_partially_mapped) && split_folio_to_list(f, list))
				goto keep_locked;
		}
		if (!add_to_swap(f)) {
			/* No run of slots for the whole folio: swap its pages
			 * one by one. */
			if (f->nr_pages == 1 || split_folio_to_list(f, list) || !add_to_swap(f))
				goto keep_locked;
		}
	}
	if (folio_mapcount(f) && !try_to_unmap(f, TTU_SWAP))
		goto keep_locked;
	if (folio_test(f, PG_dirty)) {
		swap_writepage(f);      /* unlocks */
		if (!folio_trylock(f))
			goto keep;
		if (folio_test(f, PG_writeback) || folio_test(f, PG_dirty))
			goto keep_locked;
	}
	if (folio_mapcount(f))
		goto keep_locked;       /* faulted back in meanwhile */
	if (remove_mapping(f))
		return true;
keep_locked:
	folio_unlock(f);
keep:
	folio_putback_lru(f);
	return false;
}

int mm_reclaim(int nr)
{
	struct folio_list list;
	int freed = 0;
	if (nr > 8)
		nr = 8;
	lru_add_drain();        /* shrink_inactive_list: this CPU's batch first */
	list.n = isolate_lru_folios(nr, list.f);
	for (int i = 0; i < list.n; i++)
		freed += shrink_folio(list.f[i], &list);
	/* shrink_slab: the deferred split shrinker (zswap's runs from the
	 * allocator's slow path and its own operation). */
	deferred_split_scan(nr);
	return freed;
}
