/* vmscan.c - models mm/vmscan.c's shrink_folio_list for anonymous folios:
 * isolate from the LRU, add to swap, unmap to swap entries, page out (to
 * zswap or the device), and free a clean unreferenced folio from the swap
 * cache (__remove_mapping's reference freeze).
 * Deviations: one LRU list (no active list, no aging), no dirty throttling,
 * one pass.
 *
 * Kernel: Linux 6.12 (shrink_folio_list and __remove_mapping for anonymous
 * folios), one pass.
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
	free_unref_folio(f);
	return true;
}

/* Returns true if the folio was freed; otherwise it goes back on the LRU. */
static bool shrink_folio(struct folio *f)
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
		swp_entry_t e = folio_alloc_swap(f);
		if (!e.val)
			goto keep_locked;
		if (add_to_swap_cache(f, e)) {
			put_swap_folio(f, e);
			goto keep_locked;
		}
		folio_set(f, PG_dirty);
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
	struct folio *list[8];
	int freed = 0;
	if (nr > 8)
		nr = 8;
	lru_add_drain();        /* shrink_inactive_list: this CPU's batch first */
	int n = isolate_lru_folios(nr, list);
	for (int i = 0; i < n; i++)
		freed += shrink_folio(list[i]);
	return freed;
}
