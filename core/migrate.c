/* migrate.c - models mm/migrate.c for anonymous folios: isolate from the
 * LRU, lock, pin the anon_vma, unmap to migration entries, copy to a new
 * folio, move the swap-cache slot, remove_migration_ptes, put back.
 * Deviations: one folio at a time, no retries, the destination is any
 * free frames; a large folio with no large destination is split and its
 * pages migrate one by one, as 6.12 does.
 *
 * Kernel: Linux 6.12's rules (folio_get_anon_vma pins the anon_vma of a
 * mapped folio; any unmapped folio is migrated without an rmap walk; the
 * expected-reference check, and folio_ref_freeze under the swap-cache lock
 * while the slots move), one folio at a time (6.12 batches unmap and move
 * in migrate_pages_batch, which changes the order of steps between folios,
 * not within one).
 */
#define _GNU_SOURCE
#include "memory.h"

#include <errno.h>
#include <string.h>

/* migrate_folio (__migrate_folio, __folio_migrate_mapping): move f's
 * identity to nf (both locked).  f may hold only the references migration
 * expects: ours (isolation) and the swap cache's.  Any other (a pin, a
 * lookup that got it speculatively) and migration gives up with -EAGAIN;
 * for a swap-cache folio the count is frozen at the expected value under
 * the cache lock while the slots move, so no lookup can take a new
 * reference to the old folio meanwhile. */
static int move_to_new_folio(struct folio *nf, struct folio *f)
{
	int cache = folio_test(f, PG_swapcache) ? f->nr_pages : 0;
	int expected = 1 + cache;
	if (folio_ref_count(f) != expected)
		return -EAGAIN;
	for (int i = 0; i < f->nr_pages; i++)
		user_copy(nf->data[i], f->data[i]);
	if (cache) {
		swp_entry_t e = f->swap;
		struct swap_info_struct *si = swp_swap_info(e);
		VM_BUG_ON_FOLIO(!si, f);
		spin_lock(&si->cache_lock);
		if (!folio_ref_freeze(f, expected)) {
			spin_unlock(&si->cache_lock);
			return -EAGAIN;
		}
		/* No turning back from here. */
		for (int i = 0; i < f->nr_pages; i++)
			si->cache[swp_offset(e) + (unsigned long)i] = nf;
		nf->swap = e;
		folio_set(nf, PG_swapcache);
		folio_clear(f, PG_swapcache);
		f->swap.val = 0;
		/* The cache's references move with it. */
		folio_ref_add(nf, cache);
		folio_ref_unfreeze(f, expected - cache);
		mmf_ref_put(f, cache, MMF_SITE("folio_migrate_mapping: the cache's refs"));
		spin_unlock(&si->cache_lock);
	}
	/* folio_migrate_flags, and the anon mapping */
	__atomic_store_n(&nf->anon_vma, f->anon_vma, __ATOMIC_RELEASE);
	nf->index = f->index;
	static const int copied[] = {PG_dirty, PG_uptodate, PG_swapbacked, PG_referenced};
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (folio_test(f, copied[i]))
			folio_set(nf, copied[i]);
	return 0;
}

static int unmap_and_move(struct folio *f);

/* migrate_pages_batch's fallback when no large destination can be had:
 * split the folio (try_split_folio) and migrate its pages one by one.  The
 * caller's isolation reference stays with f; each other page comes off
 * the split isolated, with a reference of its own. */
static int split_and_move(struct folio *f)
{
	struct folio_list list = {.n = 0};
	int rc = -ENOMEM;
	if (folio_trylock(f)) {
		if (!split_folio_to_list(f, &list))
			rc = 0;
		folio_unlock(f);
	}
	if (rc) {
		folio_putback_lru(f);
		return rc;
	}
	int moved = unmap_and_move(f) == 0;
	for (int i = 0; i < list.n; i++)
		moved += unmap_and_move(list.f[i]) == 0;
	return moved ? 0 : -EAGAIN;
}

/* The caller holds the isolation reference on f, and the folio is off
 * the LRU.  Returns 0 if migrated.  6.12 (migrate_folio_unmap, then
 * migrate_folio_move): pin the anon_vma if the folio is mapped, unmap it to
 * migration entries, move it, and restore the ptes only if it was mapped;
 * an unmapped folio is migrated without any rmap walk. */
static int unmap_and_move(struct folio *f)
{
	struct anon_vma *av = NULL;
	bool remap;
	int rc = -EAGAIN;

	struct folio *nf = folio_alloc(f->nr_pages, GFP_KERNEL);
	if (!nf) {
		if (f->nr_pages > 1)
			return split_and_move(f);
		folio_putback_lru(f);
		return -ENOMEM;
	}
	if (!folio_trylock(f))
		goto out_free;
	if (folio_test(f, PG_writeback))
		goto out_unlock;

	if (mm_variant(V_MIGRATE_SWAPCACHE_ANON_VMA_UAF)) {
		/* 2010 shape: PageAnon, then RCU; an unmapped page goes on
		 * if it is in the swap cache, with no anon_vma reference,
		 * and is remapped all the same.  (The walk below takes the
		 * anon_vma rwsem, so the RCU section ends here; in 2010 the
		 * lock was a spinlock.  The walk then touches an anon_vma
		 * that may be free in its type-safe cache, outside RCU:
		 * docs/bugs.md.) */
		remap = true;
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
		/* folio_get_anon_vma pins it only while the folio is mapped;
		 * under our folio lock no new mapping appears, so without a
		 * pin there is nothing to unmap or restore. */
		if (f->anon_vma)
			av = folio_get_anon_vma(f);
		remap = av != NULL;
	}

	if (folio_mapcount(f) && (!av || !try_to_unmap(f, TTU_MIGRATION))) {
		rc = -EAGAIN;
		goto out_restore;
	}
	/* The new folio is private to us until it is published. */
	__folio_set_locked(nf);
	rc = move_to_new_folio(nf, f);
	if (rc) {
		folio_unlock(nf);
		goto out_restore;
	}
	if (remap)
		remove_migration_ptes(f, nf);
	/* The copy is as partially mapped as the original was. */
	if (folio_test(f, PG_partially_mapped))
		deferred_split_folio(nf);
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
	/* migrate_pages/move_pages: lru_cache_disable drains every CPU's
	 * batch, so that the folios can be isolated. */
	lru_add_drain_all();
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
	/* Proactive compaction and the compact_memory sysctl drain every
	 * CPU first (lru_add_drain_all); compact_zone alone drains only its
	 * own CPU. */
	lru_add_drain_all();
	for (int pfn = first; pfn < first + n && pfn < M->nr_frames; pfn++) {
		/* A free frame has a zero count: try_get fails. */
		if (folio_try_get(&M->frames[pfn]))
			moved += migrate_one(&M->frames[pfn]);
	}
	return moved;
}
