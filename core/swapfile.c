/* swapfile.c - models mm/swapfile.c: swap devices, swap_map counts with
 * SWAP_HAS_CACHE, cluster info, the device's live-user reference
 * (get_swap_device/put_swap_device), swapon, and the entry lifecycle
 * (folio_alloc_swap, swapcache_prepare, swap_duplicate, swap_free,
 * put_swap_folio, free_swap_and_cache).
 * Counts drop under the cluster lock only, as 6.12's
 * lock_cluster_or_swap_info does; a slot left with nothing stays reserved
 * (SWAP_HAS_CACHE) while its zswap copy is dropped, then goes free under
 * si->lock (free_swap_slot, swapcache_free_entries).
 * Deviations: no priorities or swap slots cache (a freed slot goes back at
 * once, as 6.12 does while the cache is disabled), no count continuations
 * (counts stay below SWAP_MAP_MAX), one in-memory device per type, and
 * swap_info_struct is freed by swapoff (the kernel keeps it) so that a
 * stale user is a use-after-free the sanitizers see.  swapoff is in
 * swapoff.c beside try_to_unuse's page-table walk.
 *
 * Kernel: Linux 6.12 (free_swap_and_cache with get_swap_device, the 2024
 * fix; __swap_duplicate's nr form for swapcache_prepare and
 * swapcache_clear; otherwise one entry at a time, not the _nr batching),
 * without its mTHP cluster allocator (a first-fit scan).
 */
#define _GNU_SOURCE
#include "mm.h"
#include "zswap.h"

#include <errno.h>
#include <string.h>

static struct swap_cluster_info *lock_cluster(struct swap_info_struct *si, unsigned long off)
{
	struct swap_cluster_info *ci = &si->cluster_info[off / MM_CLUSTER];
	spin_lock(&ci->lock);
	return ci;
}

static void unlock_cluster(struct swap_cluster_info *ci) { spin_unlock(&ci->lock); }

static void swap_users_ref_free(struct percpu_ref *ref)
{
	struct swap_info_struct *si = (struct swap_info_struct *)((char *)ref -
					offsetof(struct swap_info_struct, users));
	complete(&si->comp);
}

int mm_swapon(int slots)
{
	struct mm_model *M = MM();
	int type = -1;

	BUG_ON(slots < 2 || slots > MM_SWAP_SLOTS);
	mutex_lock(&M->swapon_mutex);
	for (int i = 0; i < MM_MAX_SWAPFILES; i++) {
		if (!M->swap_info[i]) {
			type = i;
			break;
		}
	}
	if (type < 0) {
		mutex_unlock(&M->swapon_mutex);
		return -EPERM;
	}
	struct swap_info_struct *si = kzalloc(sizeof(*si), GFP_KERNEL, "swap_info_struct");
	unsigned char *map = kzalloc((size_t)slots, GFP_KERNEL, "swap_map");
	int ncl = (slots + MM_CLUSTER - 1) / MM_CLUSTER;
	struct swap_cluster_info *ci = kzalloc(sizeof(*ci) * (size_t)ncl, GFP_KERNEL,
					       "swap_cluster_info");
	/* The device itself, not a kernel allocation. */
	uint8_t *disk = kzalloc((size_t)slots * MM_PAGE_BYTES, GFP_KERNEL | __GFP_NOFAIL, "swap device");
	if (!si || !map || !ci || !disk) {
		kfree(si);
		kfree(map);
		kfree(ci);
		kfree(disk);
		mutex_unlock(&M->swapon_mutex);
		return -ENOMEM;
	}
	si->magic = SWAP_INFO_MAGIC;
	si->type = type;
	spin_lock_init(&si->lock);
	spin_lock_init(&si->cache_lock);
	for (int i = 0; i < ncl; i++)
		spin_lock_init(&ci[i].lock);
	si->swap_map = map;
	si->cluster_info = ci;
	si->disk = disk;
	si->max = (unsigned)slots;
	init_completion(&si->comp);
	percpu_ref_init(&si->users, swap_users_ref_free);
	if (M->zswap_enabled) {
		si->zswap = zswap_swapon(type);
		if (!si->zswap) {
			/* swapon fails as a whole, as 6.12's does. */
			kfree(si);
			kfree(map);
			kfree(ci);
			kfree(disk);
			mutex_unlock(&M->swapon_mutex);
			return -ENOMEM;
		}
	}
	si->flags = SWP_USED | SWP_WRITEOK;
	if (M->swap_sync_mask >> type & 1)
		si->flags |= SWP_SYNCHRONOUS_IO;
	/* Published under swap_lock (swapoff looks it up there) and with
	 * release order for the lockless RCU readers. */
	spin_lock(&M->swap_lock);
	__atomic_store_n(&M->swap_gen[type], M->swap_gen[type] + 1, __ATOMIC_RELAXED);
	rcu_assign_pointer(M->swap_info[type], si);
	spin_unlock(&M->swap_lock);
	mutex_unlock(&M->swapon_mutex);
	return type;
}

struct swap_info_struct *swp_swap_info(swp_entry_t e)
{
	unsigned type = swp_type(e);
	if (type >= MM_MAX_SWAPFILES)
		return NULL;
	return rcu_dereference(MM()->swap_info[type]);
}

/* Pin the device of e against swapoff: the live-user reference plus an
 * offset check.  The device pointer is read under RCU because swapoff
 * unpublishes it and frees the structure after a grace period. */
struct swap_info_struct *(get_swap_device)(swp_entry_t e)
{
	struct mm_model *M = MM();
	unsigned type = swp_type(e);

	if (!e.val || type >= MM_MAX_SWAPFILES)
		return NULL;
	rcu_read_lock();
	struct swap_info_struct *si = rcu_dereference(M->swap_info[type]);
	bool live = si && percpu_ref_tryget_live(&si->users);
	rcu_read_unlock();
	if (!live)
		return NULL;
	if (swp_offset(e) == 0 || swp_offset(e) >= si->max) {
		percpu_ref_put(&si->users);
		return NULL;
	}
	return si;
}

void (put_swap_device)(struct swap_info_struct *si) { percpu_ref_put(&si->users); }

/* A slot whose count and cache bit are both gone goes back to the device
 * (free_swap_slot, then swapcache_free_entries -> swap_entry_range_free and
 * swap_range_free): its zswap copy is dropped while the slot is still
 * reserved (SWAP_HAS_CACHE, count 0), so the allocator cannot hand it out
 * with the old copy still in the tree; then, under si->lock, the map byte
 * goes to 0, the cluster and inuse_pages count it free. */
static void swap_slot_release(struct swap_info_struct *si, unsigned long off)
{
	if (si->zswap)
		zswap_invalidate(si, off);
	spin_lock(&si->lock);
	struct swap_cluster_info *ci = lock_cluster(si, off);
	BUG_ON(si->swap_map[off] != SWAP_HAS_CACHE);
	si->swap_map[off] = 0;
	ci->count--;
	unlock_cluster(ci);
	user_clear(si->disk + off * MM_PAGE_BYTES);
	BUG_ON(!si->inuse_pages);
	/* Cleanups before the count (swap_range_free's smp_wmb). */
	smp_store_release(&si->inuse_pages, si->inuse_pages - 1);
	spin_unlock(&si->lock);
}

/* Drop 'usage' (1: a page-table reference, SWAP_HAS_CACHE: the cache's)
 * from a slot under its cluster lock only (lock_cluster_or_swap_info,
 * __swap_entry_free_locked); returns the map value after it, -1 if the
 * slot held no such usage.  A slot left with nothing stays reserved
 * (SWAP_HAS_CACHE) until swap_slot_release gives it back. */
static int swap_map_drop(struct swap_info_struct *si, unsigned long off, unsigned char usage,
			 const char *what)
{
	struct swap_cluster_info *ci = lock_cluster(si, off);
	unsigned char map = si->swap_map[off];
	bool ok = usage == SWAP_HAS_CACHE ? (map & SWAP_HAS_CACHE) : (map & ~SWAP_HAS_CACHE);
	if (!ok) {
		unlock_cluster(ci);
		return -1;
	}
	map = (unsigned char)(map - usage);
	si->swap_map[off] = map ? map : SWAP_HAS_CACHE;
	unlock_cluster(ci);
	if (!map)
		swap_slot_release(si, off);
	(void)what;
	return map;
}

swp_entry_t folio_alloc_swap(struct folio *f)
{
	struct mm_model *M = MM();
	int nr = f->nr_pages;

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	for (int type = 0; type < MM_MAX_SWAPFILES; type++) {
		swp_entry_t e = {0};
		rcu_read_lock();
		struct swap_info_struct *si = rcu_dereference(M->swap_info[type]);
		if (si) {
			spin_lock(&si->lock);
			if (si->flags & SWP_WRITEOK) {
				/* First run of nr free slots, aligned to nr and
				 * inside one cluster. */
				for (unsigned off = (unsigned)nr; off + (unsigned)nr <= si->max;
				     off += (unsigned)nr) {
					if ((off % MM_CLUSTER) + (unsigned)nr > MM_CLUSTER)
						continue;
					/* Counts change under the cluster lock. */
					struct swap_cluster_info *ci = lock_cluster(si, off);
					bool free = true;
					for (int i = 0; i < nr; i++)
						free &= si->swap_map[off + (unsigned)i] == 0;
					if (free) {
						for (int i = 0; i < nr; i++)
							si->swap_map[off + (unsigned)i] = SWAP_HAS_CACHE;
						ci->count += (unsigned)nr;
					}
					unlock_cluster(ci);
					if (!free)
						continue;
					WRITE_ONCE(si->inuse_pages, si->inuse_pages + (unsigned)nr);
					e = swp_entry((unsigned)type, off);
					break;
				}
			}
			spin_unlock(&si->lock);
		}
		rcu_read_unlock();
		if (e.val)
			return e;
	}
	return (swp_entry_t){0};
}

static struct swap_info_struct *entry_info(swp_entry_t e, const char *what)
{
	struct swap_info_struct *si = swp_swap_info(e);
	if (!si || swp_offset(e) == 0 || swp_offset(e) >= si->max) {
		mmf_fail(MMF_FAIL_WARN, NULL, MMF_SITE("swap entry"),
			 "WARNING: %s: bad swap entry %#lx", what, e.val);
		return NULL;
	}
	return si;
}

/* __swap_duplicate(e, SWAP_HAS_CACHE, nr): claim the cache bit of nr
 * slots from e (aligned, inside one cluster) for whoever is about to add
 * them to the swap cache or, skipping it, to read them into a private
 * folio.  Every slot is checked before any is claimed. */
int swapcache_prepare_nr(swp_entry_t e, int nr)
{
	struct swap_info_struct *si = entry_info(e, "swapcache_prepare");
	if (!si)
		return -EINVAL;
	unsigned long off = swp_offset(e);
	BUG_ON(nr < 1 || off + (unsigned long)nr > si->max ||
	       off / MM_CLUSTER != (off + (unsigned long)nr - 1) / MM_CLUSTER);
	struct swap_cluster_info *ci = lock_cluster(si, off);
	int err = 0;
	for (int i = 0; i < nr && !err; i++) {
		unsigned char map = si->swap_map[off + (unsigned long)i];
		if (map & SWAP_HAS_CACHE)
			err = -EEXIST;  /* someone else is adding it */
		else if (!map)
			err = -ENOENT;  /* the entry died */
	}
	for (int i = 0; i < nr && !err; i++)
		si->swap_map[off + (unsigned long)i] |= SWAP_HAS_CACHE;
	unlock_cluster(ci);
	return err;
}

int swapcache_prepare(swp_entry_t e) { return swapcache_prepare_nr(e, 1); }

/* Drop the cache bits a swap-in that skipped the swap cache claimed. */
void swapcache_clear(struct swap_info_struct *si, swp_entry_t e, int nr)
{
	for (int i = 0; i < nr; i++) {
		unsigned long off = swp_offset(e) + (unsigned long)i;
		if (swap_map_drop(si, off, SWAP_HAS_CACHE, "swapcache_clear") < 0)
			mmf_fail(MMF_FAIL_BUG, si, MMF_SITE("swapcache_clear"),
				 "kernel BUG: swapcache_clear: slot %#lx has no cache bit", off);
	}
}

int swap_duplicate(swp_entry_t e)
{
	struct swap_info_struct *si = entry_info(e, "swap_duplicate");
	if (!si)
		return -EINVAL;
	unsigned long off = swp_offset(e);
	struct swap_cluster_info *ci = lock_cluster(si, off);
	unsigned char map = si->swap_map[off];
	unsigned char count = map & ~SWAP_HAS_CACHE;
	if (!map) {
		unlock_cluster(ci);
		mmf_fail(MMF_FAIL_WARN, si, MMF_SITE("swap_duplicate"),
			 "WARNING: swap_duplicate: Unused swap offset entry %#lx", e.val);
		return -ENOENT;
	}
	if (count >= SWAP_MAP_MAX) {
		unlock_cluster(ci);
		mmf_fail(MMF_FAIL_BUG, si, MMF_SITE("swap_duplicate"),
			 "kernel BUG: swap count overflow on %#lx (no continuations modelled)", e.val);
		return -EINVAL;
	}
	si->swap_map[off] = map + 1;
	unlock_cluster(ci);
	return 0;
}

/* Drop one page-table reference; returns the map value after it. */
static unsigned char __swap_entry_free(struct swap_info_struct *si, swp_entry_t e)
{
	int map = swap_map_drop(si, swp_offset(e), 1, "swap_free");
	if (map < 0) {
		mmf_fail(MMF_FAIL_WARN, si, MMF_SITE("swap_free"),
			 "WARNING: swap_free: Unused swap offset entry %#lx", e.val);
		return 0;
	}
	return (unsigned char)map;
}

void swap_free(swp_entry_t e)
{
	struct swap_info_struct *si = entry_info(e, "swap_free");
	if (si)
		__swap_entry_free(si, e);
}

void put_swap_folio(struct folio *f, swp_entry_t e)
{
	struct swap_info_struct *si = entry_info(e, "put_swap_folio");
	if (!si)
		return;
	for (int i = 0; i < f->nr_pages; i++) {
		unsigned long off = swp_offset(e) + (unsigned long)i;
		if (swap_map_drop(si, off, SWAP_HAS_CACHE, "put_swap_folio") < 0) {
			mmf_fail(MMF_FAIL_BUG, f, MMF_SITE("put_swap_folio"),
				 "kernel BUG: put_swap_folio: slot %#lx has no cache bit", off);
			return;
		}
	}
}

static int count_of(struct swap_info_struct *si, unsigned long off)
{
	struct swap_cluster_info *ci = lock_cluster(si, off);
	int count = si->swap_map[off] & ~SWAP_HAS_CACHE;
	unlock_cluster(ci);
	return count;
}

int __swap_count(swp_entry_t e)
{
	struct swap_info_struct *si = entry_info(e, "__swap_count");
	return si ? count_of(si, swp_offset(e)) : 0;
}

/* swap_page_trans_huge_swapped: does any slot of the folio still have a
 * page-table reference?  The caller keeps the device alive. */
static bool swapped_on(struct swap_info_struct *si, swp_entry_t first, int nr)
{
	for (int i = 0; i < nr; i++)
		if (count_of(si, swp_offset(first) + (unsigned long)i))
			return true;
	return false;
}

bool folio_swapped(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	struct swap_info_struct *si = entry_info(f->swap, "folio_swapped");
	return si && swapped_on(si, f->swap, f->nr_pages);
}

/* __try_to_reclaim_swap(si, off, TTRS_UNMAPPED | TTRS_FULL): the folio
 * caching slot off, if unmapped, leaves the swap cache when none of its own
 * slots (as many as its order has) still has a page-table reference
 * (folio_free_swap's check).  The cache is reached through the device
 * (swap_address_space(entry)).  Returns the folio's size if it freed it,
 * minus that if it found it and kept it, 0 if no folio caches the slot. */
static int __try_to_reclaim_swap(struct swap_info_struct *si, unsigned long off)
{
	spin_lock(&si->cache_lock);
	struct folio *f = si->cache[off];
	if (f)
		folio_get(f);   /* the cache's references keep it above zero */
	spin_unlock(&si->cache_lock);
	if (!f)
		return 0;
	int ret = -f->nr_pages;
	if (folio_trylock(f)) {
		if (folio_test(f, PG_swapcache) && !folio_mapcount(f) && folio_free_swap(f))
			ret = f->nr_pages;
		folio_unlock(f);
	}
	folio_put(f);
	return ret;
}

/* free_swap_and_cache_nr(e, 1): the zap of a swap pte.  Drop its
 * reference; if the slot is left with only the cache's, try to free the
 * folio caching it (its own size decides which slots must be unused).
 * The device is pinned throughout: holding the page-table lock does not
 * keep swapoff from freeing swap_map once the count is dropped (the 2024
 * fix). */
int free_swap_and_cache(swp_entry_t e)
{
	struct swap_info_struct *si;
	unsigned long off = swp_offset(e);

	if (mm_variant(V_FREE_SWAP_AND_CACHE_SWAPOFF_UAF)) {
		/* Before 2024: the page-table lock was thought to keep the
		 * device alive; nothing does once the count is dropped. */
		si = swp_swap_info(e);
		if (!si)
			return 0;
	} else {
		si = get_swap_device(e);
		if (!si)
			return 0;
		if (WARN_ON(!data_race(si->swap_map[off]))) {
			put_swap_device(si);
			return 0;
		}
	}
	unsigned char map = __swap_entry_free(si, e);
	if (map == SWAP_HAS_CACHE && READ_ONCE(si->swap_map[off]) == SWAP_HAS_CACHE)
		__try_to_reclaim_swap(si, off);
	if (!mm_variant(V_FREE_SWAP_AND_CACHE_SWAPOFF_UAF))
		put_swap_device(si);
	return 1;
}

void swap_write_slot(swp_entry_t e, const uint8_t *data)
{
	struct swap_info_struct *si = swp_swap_info(e);
	BUG_ON(!si);
	user_copy(si->disk + swp_offset(e) * MM_PAGE_BYTES, data);
}

void swap_read_slot(swp_entry_t e, uint8_t *data)
{
	struct swap_info_struct *si = swp_swap_info(e);
	BUG_ON(!si);
	user_copy(data, si->disk + swp_offset(e) * MM_PAGE_BYTES);
}
