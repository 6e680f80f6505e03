/* migrate.c - models mm/migrate.c for anonymous folios: isolate from the
 * LRU, lock, pin the anon_vma, unmap to migration entries, copy to a new
 * folio, move the swap-cache slot, remove_migration_ptes, put back.
 * Deviations: one folio at a time, no retries, the destination is any
 * free frame.
 *
 * Kernel: the 2.6.36 anon_vma rules (an unmapped folio outside the swap
 * cache is not migrated; an unmapped swap-cache folio is migrated but not
 * remapped) with folio_get_anon_vma's pinning (3.0 on), one folio at a
 * time as unmap_and_move did before 6.3; 6.12 batches unmap and move and
 * migrates any unmapped folio without remapping it.
 */
#define _GNU_SOURCE
#include "memory.h"

#include <errno.h>
#include <string.h>

/* Move f's identity to nf: data, flags, anon_vma, and its swap-cache
 * slots (migrate_folio_move / folio_migrate_mapping). Both are locked. */
static void move_to_new_folio(struct folio *nf, struct folio *f)
{
	for (int i = 0; i < f->nr_pages; i++)
		user_copy(nf->data[i], f->data[i]);
	__atomic_store_n(&nf->anon_vma, f->anon_vma, __ATOMIC_RELEASE);
	nf->index = f->index;
	static const int copied[] = {PG_dirty, PG_uptodate, PG_swapbacked, PG_referenced};
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (folio_test(f, copied[i]))
			folio_set(nf, copied[i]);
	if (folio_test(f, PG_swapcache)) {
		swp_entry_t e = f->swap;
		struct swap_info_struct *si = swp_swap_info(e);
		VM_BUG_ON_FOLIO(!si, f);
		spin_lock(&si->cache_lock);
		for (int i = 0; i < f->nr_pages; i++)
			si->cache[swp_offset(e) + (unsigned long)i] = nf;
		nf->swap = e;
		folio_set(nf, PG_swapcache);
		folio_clear(f, PG_swapcache);
		f->swap.val = 0;
		spin_unlock(&si->cache_lock);
		/* The cache's references move with it. */
		folio_ref_add(nf, f->nr_pages);
		folio_put_refs(f, f->nr_pages);
	}
}

/* The caller holds the isolation reference on f, and the folio is off
 * the LRU.  Returns 0 if migrated. */
static int unmap_and_move(struct folio *f)
{
	struct anon_vma *av = NULL;
	bool remap = true;
	int rc = -EAGAIN;

	struct folio *nf = folio_alloc(f->nr_pages, GFP_KERNEL);
	if (!nf) {
		folio_putback_lru(f);
		return -ENOMEM;
	}
	if (!folio_trylock(f))
		goto out_free;
	if (folio_test(f, PG_writeback))
		goto out_unlock;

	if (mm_variant(V_MIGRATE_SWAPCACHE_ANON_VMA_UAF)) {
		/* 2010 shape: PageAnon, then RCU; an unmapped page goes on
		 * if it is in the swap cache, with no anon_vma reference.
		 * (The walk below takes the anon_vma rwsem, so the RCU
		 * section ends here; in 2010 the lock was a spinlock.) */
		if (f->anon_vma) {
			rcu_read_lock();
			if (!folio_mapcount(f)) {
				if (!folio_test(f, PG_swapcache)) {
					rcu_read_unlock();
					goto out_unlock;
				}
			} else {
				av = f->anon_vma;
				get_anon_vma(av);
			}
			rcu_read_unlock();
		}
	} else {
		/* Pin the anon_vma under RCU while the folio is mapped; an
		 * unmapped swap-cache folio is migrated but never remapped,
		 * since nothing keeps its anon_vma alive. */
		av = folio_get_anon_vma(f);
		if (!av) {
			if (!folio_test(f, PG_swapcache))
				goto out_unlock;
			remap = false;
		}
	}

	if (folio_mapcount(f) && !try_to_unmap(f, TTU_MIGRATION)) {
		rc = -EAGAIN;
		goto out_restore;
	}
	/* The new folio is private to us until it is published. */
	__folio_set_locked(nf);
	move_to_new_folio(nf, f);
	if (remap)
		remove_migration_ptes(f, nf);
	folio_unlock(nf);
	folio_unlock(f);
	if (av)
		put_anon_vma(av);
	folio_putback_lru(nf);          /* our allocation reference */
	folio_put(f);                   /* isolation reference: frees it */
	return 0;

out_restore:
	if (remap)
		remove_migration_ptes(f, f);
	if (av)
		put_anon_vma(av);
out_unlock:
	folio_unlock(f);
out_free:
	folio_put(nf);
	folio_putback_lru(f);
	return rc;
}

/* Isolate f (we hold a reference on it) and migrate it. */
static bool migrate_one(struct folio *f)
{
	bool isolated = folio_isolate_lru(f);
	folio_put(f);
	return isolated && unmap_and_move(f) == 0;
}

int mm_migrate(int id, int first, int n)
{
	int moved = 0;
	for (int v = first; v < first + n && v < MM_VPAGES; v++) {
		struct folio *f = mm_get_folio(id, v, true);
		if (f)
			moved += migrate_one(f);
	}
	return moved;
}

/* Compaction's view: migrate the folios in frames [first, first+n),
 * whatever maps them (or nothing, for a swap-cache folio). */
int mm_migrate_pfns(int first, int n)
{
	struct mm_model *M = MM();
	int moved = 0;
	for (int pfn = first; pfn < first + n && pfn < M->nr_frames; pfn++) {
		/* A free frame has a zero count: try_get fails. */
		if (folio_try_get(&M->frames[pfn]))
			moved += migrate_one(&M->frames[pfn]);
	}
	return moved;
}
