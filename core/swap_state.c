/* swap_state.c - models mm/swap_state.c: the swap cache (add, delete,
 * lookup), freeing a folio's swap, and read_swap_cache_async.
 * Deviations: the cache is a per-device array under the device's cache
 * lock instead of an xarray; readahead windows of 4 pages, their kind
 * (none, cluster, VMA) drawn per fault instead of adapted to hits.
 *
 * Kernel: Linux 6.12 (__read_swap_cache_async: allocate,
 * swapcache_prepare, on -EEXIST sleep a jiffy and retry; add, delete,
 * folio_free_swap; swapin_readahead with swap_cluster_readahead and
 * swap_vma_readahead); the swapin-dead-entry variant restores the 1998
 * order.
 */
#define _GNU_SOURCE
#include "mm.h"

#include <errno.h>

int add_to_swap_cache(struct folio *f, swp_entry_t e)
{
	struct swap_info_struct *si = swp_swap_info(e);
	unsigned long off = swp_offset(e);

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(folio_test(f, PG_swapcache), f);
	BUG_ON(!si || off + (unsigned long)f->nr_pages > si->max);
	spin_lock(&si->cache_lock);
	for (int i = 0; i < f->nr_pages; i++) {
		if (si->cache[off + (unsigned long)i]) {
			spin_unlock(&si->cache_lock);
			return -EEXIST;
		}
	}
	for (int i = 0; i < f->nr_pages; i++)
		si->cache[off + (unsigned long)i] = f;
	si->nr_cached += (unsigned)f->nr_pages;
	f->swap = e;
	folio_set(f, PG_swapcache);
	spin_unlock(&si->cache_lock);
	/* The cache holds one reference per page. */
	folio_ref_add(f, f->nr_pages);
	return 0;
}

/* Caller holds the folio lock; the cache lock is taken here. */
void __delete_from_swap_cache(struct folio *f, swp_entry_t e)
{
	struct swap_info_struct *si = swp_swap_info(e);

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	VM_BUG_ON_FOLIO(folio_test(f, PG_writeback), f);
	VM_BUG_ON_FOLIO(!si, f);        /* a cached folio outlived its device */
	spin_lock(&si->cache_lock);
	__delete_from_swap_cache_locked(si, f, e);
	spin_unlock(&si->cache_lock);
}

/* The swap-cache lock is held. */
void __delete_from_swap_cache_locked(struct swap_info_struct *si, struct folio *f, swp_entry_t e)
{
	unsigned long off = swp_offset(e);
	for (int i = 0; i < f->nr_pages; i++) {
		VM_BUG_ON_FOLIO(si->cache[off + (unsigned long)i] != f, f);
		si->cache[off + (unsigned long)i] = NULL;
	}
	si->nr_cached -= (unsigned)f->nr_pages;
	folio_clear(f, PG_swapcache);
	f->swap.val = 0;
}

void (delete_from_swap_cache)(struct folio *f)
{
	swp_entry_t e = f->swap;
	__delete_from_swap_cache(f, e);
	put_swap_folio(f, e);
	folio_put_refs(f, f->nr_pages);
}

/* filemap_get_entry on the swap cache: lockless, under RCU.  The slot's
 * folio gets a reference only if its count is not zero (a folio being
 * freed, or frozen by reclaim, migration or a split, gives none: look
 * again), and only if the slot still holds it once the reference is taken
 * (it may have left the cache, and its frame even be a new folio, since
 * the load: drop that speculative reference and look again).  The folio's
 * memory stays a folio throughout (the frame table is never freed), as
 * struct page does. */
struct folio *(swap_cache_get_folio)(swp_entry_t e)
{
	struct swap_info_struct *si = swp_swap_info(e);
	const struct mmf_site *site = MMF_SITE("swap_cache_get_folio");
	struct folio *f;
	if (!si || swp_offset(e) >= si->max)
		return NULL;
	rcu_read_lock();
	for (;;) {
		f = READ_ONCE(si->cache[swp_offset(e)]);
		if (!f)
			break;
		if (!mm_folio_try_get_at(f, site)) {
			cpu_relax();    /* the freezer goes on elsewhere */
			continue;
		}
		if (f == READ_ONCE(si->cache[swp_offset(e)]))
			break;
		mm_folio_put_at(f, site);
	}
	rcu_read_unlock();
	return f;
}

/* try_to_free_swap: drop the swap copy of a locked folio no page table
 * still needs. */
bool folio_free_swap(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (!folio_test(f, PG_swapcache) || folio_test(f, PG_writeback) || folio_swapped(f))
		return false;
	delete_from_swap_cache(f);
	folio_set(f, PG_dirty);
	return true;
}

/* Used when a mapping of f goes away: if only the swap cache is left
 * and nobody maps it, drop the swap copy too. */
void free_swap_cache(struct folio *f)
{
	if (folio_test(f, PG_swapcache) && !folio_mapcount(f) && folio_trylock(f)) {
		folio_free_swap(f);
		folio_unlock(f);
	}
}

void (free_folio_and_swap_cache)(struct folio *f)
{
	if (!is_zero_folio(f))
		free_swap_cache(f);
	folio_put(f);
}

/* Modern shape: the slot is claimed with swapcache_prepare() before the
 * new folio is inserted, which fails for a dead entry (-ENOENT) and makes
 * a second adder wait for the first (-EEXIST). */
static struct folio *read_swap_cache_fixed(swp_entry_t e, bool *new_page, bool *nomem)
{
	struct swap_info_struct *si = get_swap_device(e);
	struct folio *f, *nf;

	*new_page = false;
	*nomem = false;
	if (!si)
		return NULL;
	for (;;) {
		f = swap_cache_get_folio(e);
		if (f)
			goto out;
		nf = folio_alloc(1, GFP_KERNEL);
		if (!nf) {
			*nomem = true;
			f = NULL;
			goto out;
		}
		int err = swapcache_prepare(e);
		if (!err)
			break;
		folio_put(nf);
		if (err != -EEXIST) {
			f = NULL;       /* the entry died while we allocated */
			goto out;
		}
		/* Another task is adding it: let it finish. */
		schedule_timeout(1);
	}
	/* A fresh folio nobody else can see yet: its lock is uncontended. */
	__folio_set_locked(nf);
	folio_set(nf, PG_swapbacked);
	if (add_to_swap_cache(nf, e)) {
		put_swap_folio(nf, e);
		folio_unlock(nf);
		folio_put(nf);
		f = NULL;
		goto out;
	}
	folio_add_lru(nf);
	*new_page = true;
	f = nf;
out:
	put_swap_device(si);
	return f;
}

/* 1998 shape: look up, allocate (may sleep), look up again, insert, and
 * only then take the swap-map reference for the cache.  A mix: the
 * reference is today's cache claim (2009's swapcache_prepare, the one
 * SWAP_HAS_CACHE bit), with 1998's swap_duplicate only for a dead entry.
 * In 1998 the cache's reference was one more count that any number of
 * holders could take; here -EEXIST (another task owns the bit) is ignored
 * and the folio sits in the cache unclaimed.  docs/bugs.md lists the
 * reports that come from this mix rather than from the 1998 race.  The
 * read that follows (swap_read_folio) refuses a dead slot as 1998's
 * rw_swap_page did and leaves the folio locked. */
static struct folio *read_swap_cache_historic(swp_entry_t e, bool *new_page, bool *nomem)
{
	struct folio *f, *nf;

	*new_page = false;
	*nomem = false;
	f = swap_cache_get_folio(e);
	if (f)
		return f;
	nf = folio_alloc(1, GFP_KERNEL);
	if (!nf) {
		*nomem = true;
		return NULL;
	}
	f = swap_cache_get_folio(e);
	if (f) {
		folio_put(nf);
		return f;
	}
	__folio_set_locked(nf);
	folio_set(nf, PG_swapbacked);
	if (add_to_swap_cache(nf, e)) {
		folio_unlock(nf);
		folio_put(nf);
		return swap_cache_get_folio(e);
	}
	/* "Account for the swap cache" (today: the SWAP_HAS_CACHE bit).  If
	 * the entry died while we slept in the allocator, the old code's
	 * swap_duplicate() on it complains and fails; the page stays in. */
	if (swapcache_prepare(e) == -ENOENT)
		swap_duplicate(e);
	folio_add_lru(nf);
	*new_page = true;
	return nf;
}

static struct folio *read_swap_cache(swp_entry_t e, bool *new_page, bool *nomem)
{
	if (mm_variant(V_SWAPIN_DEAD_ENTRY))
		return read_swap_cache_historic(e, new_page, nomem);
	return read_swap_cache_fixed(e, new_page, nomem);
}

struct folio *read_swap_cache_async(swp_entry_t e, bool *new_page)
{
	bool nomem;
	return read_swap_cache(e, new_page, &nomem);
}

/* ---- swap readahead ------------------------------------------------------------------ */

#define SWAP_RA_PAGES 4         /* the window: 6.12's page_cluster is 3 (8 pages) */

/* Read one neighbour into the swap cache if nobody has it there yet, and
 * let go of it: it stays in the cache (and on the LRU) for a later fault,
 * or for reclaim to drop.  __read_swap_cache_async pins the device. */
static void swap_ra_one(swp_entry_t x)
{
	bool alloc;
	if (mm_variant(V_SWAPIN_DEAD_ENTRY)) {
		/* 1998's read-ahead (valid_swaphandles) took only slots in
		 * use: the historic path has no swapcache_prepare to refuse a
		 * free one. */
		struct swap_info_struct *si = swp_swap_info(x);
		if (!si || swp_offset(x) >= si->max || !data_race(si->swap_map[swp_offset(x)]))
			return;
	}
	struct folio *f = read_swap_cache_async(x, &alloc);
	if (!f)
		return;         /* dead, busy, or no memory: readahead gives up */
	if (alloc)
		swap_read_folio(f);
	folio_put(f);
}

/* swapin_readahead: before reading the faulting entry, read its
 * neighbours, by swap offset (swap_cluster_readahead: the aligned window of
 * slots around it on its device, which the caller keeps alive) or by
 * address (swap_vma_readahead: the swap ptes of the aligned window of pages
 * around v, read without the page-table lock, so an entry may be stale by
 * the time it is read: __read_swap_cache_async's device pin and
 * swapcache_prepare sort that out).  The decision source picks the kind,
 * or none (6.12 shrinks the window to one page when readahead stops
 * hitting; unit tests that build the model alone get none).  Returns e's folio as read_swap_cache_async does, with its
 * read issued if this call allocated it. */
struct folio *swapin_readahead(swp_entry_t e, struct mm_struct *mm, int v, bool *new_page,
			       bool *nomem)
{
	int kind = MM()->swap_readahead ? (int)mmf_decide_value(3, MMF_SITE("swapin_readahead")) : 0;
	if (kind == 1) {
		struct swap_info_struct *si = swp_swap_info(e);
		unsigned long start = swp_offset(e) & ~(unsigned long)(SWAP_RA_PAGES - 1);
		for (unsigned long off = start ? start : 1;
		     si && off < start + SWAP_RA_PAGES && off < si->max; off++)
			if (off != swp_offset(e))
				swap_ra_one(swp_entry(swp_type(e), off));
	} else if (kind == 2 && mm) {
		int start = v & ~(SWAP_RA_PAGES - 1);
		for (int w = start; w < start + SWAP_RA_PAGES && w < MM_VPAGES; w++) {
			pte_t p = data_race(mm->pte[w]);        /* ptep_get_lockless */
			if (w != v && pte_kind(p) == PTE_SWAP)
				swap_ra_one(pte_to_swp_entry(p));
		}
	}
	if (kind)
		lru_add_drain();        /* push the new folios onto the LRU now */
	struct folio *f = read_swap_cache(e, new_page, nomem);
	if (f && *new_page)
		swap_read_folio(f);
	return f;
}
