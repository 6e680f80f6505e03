/* zswap.c - models mm/zswap.c: a per-device tree of compressed copies of
 * swap slots, with store, load, invalidate and writeback driven by a
 * shrinker.  Compression is zlib (Debian's zlib1g), level 1; each
 * compressed buffer is its own allocation so a leak or a use after free
 * is visible to the leak audit and the sanitizers.
 * Deviations: an array indexed by offset stands for the rbtree, one LRU
 * per tree, no pool limits (the shrinker runs when the workload asks).
 *
 * Kernel: the Linux 6.6/6.7 design (a tree per swap device under a tree
 * lock, refcounted entries with the 3.13 put-frees-at-zero rule, loads
 * that keep the entry, writeback from one LRU with the 2023 tree re-
 * check); a rejected store drops the slot's old copy as 6.12 does.  6.12
 * has an xarray per 64 MB of swap, no entry refcount (loads are exclusive,
 * writeback relies on the swap cache), a memcg-aware list_lru and
 * shrinker.
 */
#define _GNU_SOURCE
#include "zswap.h"
#include "mm.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

struct zswap_tree *zswap_swapon(int type)
{
	struct zswap_tree *t = kzalloc(sizeof(*t), GFP_KERNEL, "zswap_tree");
	if (!t)
		return NULL;
	spin_lock_init(&t->lock);
	INIT_LIST_HEAD(&t->lru);
	t->type = type;
	return t;
}

static void zswap_free_entry(struct zswap_entry *entry)
{
	struct mm_model *M = MM();
	atomic_long_add_return(-(long)entry->length, &M->zswap_pool_bytes);
	atomic_dec(&M->zswap_stored_pages);
	kfree(entry->handle);
	kfree(entry);
}

static void __zswap_unlink(struct zswap_tree *t, struct zswap_entry *entry)
{
	if (entry->linked) {
		t->slot[entry->offset] = NULL;
		entry->linked = false;
		t->nr--;
	}
	if (entry->on_lru) {
		list_del_init(&entry->lru);
		entry->on_lru = false;
	}
}

/* Drop a reference; at zero, unlink the entry if it is still linked and
 * free it (the 3.13 fix: every put may be the one that frees).
 * Returns true if it freed. */
static bool (__zswap_entry_put)(struct zswap_tree *t, struct zswap_entry *entry)
{
	BUG_ON(entry->refcount <= 0);
	if (--entry->refcount)
		return false;
	__zswap_unlink(t, entry);
	return true;
}

static void zswap_entry_put(struct zswap_tree *t, struct zswap_entry *entry)
{
	spin_lock(&t->lock);
	bool dead = __zswap_entry_put(t, entry);
	spin_unlock(&t->lock);
	if (dead)
		zswap_free_entry(entry);
}

/* CAS design, tree lock held: claim a linked entry for invalidation and
 * unlink it (0: the caller frees it), or -1 if another task holds it. */
static int zswap_cas_invalidate(struct zswap_tree *t, struct zswap_entry *entry)
{
	if (atomic_cmpxchg(&entry->pos, ZSWAP_POS_POOL, ZSWAP_POS_FLUSH) != ZSWAP_POS_POOL)
		return -1;
	__zswap_unlink(t, entry);
	return 0;
}

bool zswap_store(struct folio *f)
{
	struct mm_model *M = MM();
	struct swap_info_struct *si = swp_swap_info(f->swap);
	struct zswap_tree *t = si ? si->zswap : NULL;
	uint8_t buf[MM_PAGE_BYTES * 2];
	uLongf len = sizeof(buf);

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (!t || f->nr_pages != 1)
		return false;
	MMF_SCHED_ENTER();      /* page contents: see user_copy() */
	int zrc = compress2(buf, &len, f->data[0], MM_PAGE_BYTES, 1);
	MMF_SCHED_LEAVE();
	if (zrc != Z_OK)
		mmf_internal("zlib compress2 failed");
	struct zswap_entry *entry = kzalloc(sizeof(*entry), GFP_KERNEL, "zswap_entry");
	if (!entry)
		goto reject;
	/* zpool_malloc with __GFP_NORETRY | __GFP_KSWAPD_RECLAIM: no direct
	 * reclaim, so it does not sleep. */
	void *handle = kmalloc(len, GFP_NOWAIT, "zswap compressed page");
	if (!handle) {
		kfree(entry);
		goto reject;
	}
	memcpy(handle, buf, len);
	entry->handle = handle;
	entry->length = (unsigned)len;
	entry->offset = swp_offset(f->swap);
	zswap_entry_ref_init(entry);
	atomic_set(&entry->pos, ZSWAP_POS_POOL);
	INIT_LIST_HEAD(&entry->lru);
	atomic_inc(&M->zswap_stored_pages);
	atomic_long_add_return((long)len, &M->zswap_pool_bytes);

	struct zswap_entry *dup = NULL;
	spin_lock(&t->lock);
	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: a duplicate is freed only once it can be claimed
		 * for invalidation; the insert is retried, the tree lock held,
		 * until then. */
		while ((dup = t->slot[entry->offset])) {
			if (zswap_cas_invalidate(t, dup) == 0)
				zswap_free_entry(dup);
		}
	} else if (t->slot[entry->offset]) {
		/* A duplicate store: the slot was freed and reused while the
		 * old entry lingered; the new data replaces it. */
		dup = t->slot[entry->offset];
		__zswap_unlink(t, dup);
		if (!__zswap_entry_put(t, dup))
			dup = NULL;
	}
	t->slot[entry->offset] = entry;
	entry->linked = true;
	t->nr++;
	list_add_tail(&entry->lru, &t->lru);
	entry->on_lru = true;
	spin_unlock(&t->lock);
	if (dup)
		zswap_free_entry(dup);
	return true;

reject:
	/* The folio goes to the device instead.  An older copy of this slot
	 * must not stay in the tree, or a load or a writeback would bring the
	 * old data back over the new (6.12's check_old). */
	zswap_invalidate(si, swp_offset(f->swap));
	return false;
}

static void decompress(struct zswap_entry *entry, uint8_t *dst)
{
	uLongf dlen = MM_PAGE_BYTES;
	MMF_SCHED_ENTER();      /* page contents: see user_copy() */
	int zrc = uncompress(dst, &dlen, entry->handle, entry->length);
	MMF_SCHED_LEAVE();
	if (zrc != Z_OK || dlen != MM_PAGE_BYTES)
		mmf_internal("zlib uncompress failed on a zswap entry");
}

bool zswap_load(struct folio *f)
{
	struct swap_info_struct *si = swp_swap_info(f->swap);
	struct zswap_tree *t = si ? si->zswap : NULL;
	unsigned long off = swp_offset(f->swap);

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (!t)
		return false;
	struct zswap_entry *entry;
	for (;;) {
		spin_lock(&t->lock);
		entry = t->slot[off];
		if (!entry) {
			spin_unlock(&t->lock);
			return false;
		}
		if (!mm_variant(V_ZSWAP_CAS_STATE)) {
			zswap_entry_ref_inc(entry);
			spin_unlock(&t->lock);
			break;
		}
		/* CAS design: claim it for loading, or retry until whoever
		 * holds it lets go. */
		bool mine = atomic_cmpxchg(&entry->pos, ZSWAP_POS_POOL, ZSWAP_POS_LOAD) ==
			    ZSWAP_POS_POOL;
		spin_unlock(&t->lock);
		if (mine)
			break;
	}
	decompress(entry, f->data[0]);
	if (mm_variant(V_ZSWAP_CAS_STATE))
		BUG_ON(atomic_cmpxchg(&entry->pos, ZSWAP_POS_LOAD, ZSWAP_POS_POOL) !=
		       ZSWAP_POS_LOAD);
	else
		zswap_entry_put(t, entry);
	return true;
}

void zswap_invalidate(struct swap_info_struct *si, unsigned long offset)
{
	struct zswap_tree *t = si->zswap;
	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: retry until a writeback or load holding the
		 * entry ends.  (The callers hold the device's locks.) */
		for (;;) {
			spin_lock(&t->lock);
			struct zswap_entry *entry = t->slot[offset];
			int r = entry ? zswap_cas_invalidate(t, entry) : 0;
			spin_unlock(&t->lock);
			if (r == 0) {
				if (entry)
					zswap_free_entry(entry);
				return;
			}
		}
	}
	spin_lock(&t->lock);
	struct zswap_entry *entry = t->slot[offset];
	if (!entry) {
		spin_unlock(&t->lock);
		return;
	}
	__zswap_unlink(t, entry);
	/* Drop the initial reference; a writeback in progress may hold
	 * another and then frees it. */
	bool dead = __zswap_entry_put(t, entry);
	spin_unlock(&t->lock);
	if (dead)
		zswap_free_entry(entry);
}

void zswap_swapoff(struct swap_info_struct *si)
{
	struct zswap_tree *t = si->zswap;
	if (!t)
		return;
	for (unsigned long off = 0; off < MM_SWAP_SLOTS; off++)
		if (t->slot[off])
			zswap_invalidate(si, off);
	si->zswap = NULL;
	kfree(t);
}

/* Secure a locked swap-cache folio for e, as __read_swap_cache_async does:
 * -EEXIST if the slot is already cached, -ENOENT if the entry is gone,
 * -ENOMEM if no page. */
static int get_swap_cache_folio(swp_entry_t e, struct folio **out)
{
	struct folio *f = swap_cache_get_folio(e);
	if (f) {
		folio_put(f);
		return -EEXIST;
	}
	f = folio_alloc(1, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	int err = swapcache_prepare(e);
	if (err) {
		folio_put(f);
		return err;
	}
	__folio_set_locked(f);
	folio_set(f, PG_swapbacked);
	if (add_to_swap_cache(f, e)) {
		put_swap_folio(f, e);
		folio_unlock(f);
		folio_put(f);
		return -EEXIST;
	}
	*out = f;
	return 0;
}

int zswap_writeback_one(int type)
{
	struct mm_model *M = MM();
	struct folio *f = NULL;
	int ret;

	if (type < 0 || type >= MM_MAX_SWAPFILES)
		return -EINVAL;
	/* The shrinker works on a device that stays alive while it runs. */
	swp_entry_t probe = swp_entry((unsigned)type, 1);
	struct swap_info_struct *si = get_swap_device(probe);
	if (!si)
		return -ENODEV;
	struct zswap_tree *t = si->zswap;
	if (!t) {
		put_swap_device(si);
		return -ENOENT;
	}
	spin_lock(&t->lock);
	if (list_empty(&t->lru)) {
		spin_unlock(&t->lock);
		put_swap_device(si);
		return -ENOENT;
	}
	struct zswap_entry *entry = list_entry(t->lru.next, struct zswap_entry, lru);
	if (mm_variant(V_ZSWAP_CAS_STATE) &&
	    atomic_cmpxchg(&entry->pos, ZSWAP_POS_POOL, ZSWAP_POS_RECLAIM) != ZSWAP_POS_POOL) {
		/* CAS design: a load or invalidate holds it; give up. */
		spin_unlock(&t->lock);
		put_swap_device(si);
		return -EAGAIN;
	}
	list_del_init(&entry->lru);
	entry->on_lru = false;
	zswap_entry_ref_inc(entry);     /* our reference (unused by the CAS design) */
	unsigned long off = entry->offset;
	spin_unlock(&t->lock);

	swp_entry_t e = swp_entry((unsigned)type, off);
	ret = get_swap_cache_folio(e, &f);
	if (ret)
		goto fail;

	if (!mm_variant(V_ZSWAP_WRITEBACK_STALE_DATA) && !mm_variant(V_ZSWAP_CAS_STATE)) {
		/* The slot may have been freed and reused, and a new store
		 * may have replaced our entry while we allocated: then our
		 * data is stale and must not reach the swap cache. */
		spin_lock(&t->lock);
		bool same = t->slot[off] == entry;
		spin_unlock(&t->lock);
		if (!same) {
			delete_from_swap_cache(f);
			folio_unlock(f);
			folio_put(f);
			ret = -ENOMEM;
			goto fail;
		}
	}
	decompress(entry, f->data[0]);
	folio_set(f, PG_uptodate);
	folio_set(f, PG_dirty);
	folio_add_lru(f);
	/* Write it to the device; the I/O unlocks the folio. */
	swap_writepage_nozswap(f);

	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: we hold the entry, so nobody else can have
		 * freed it; unlink and free. */
		spin_lock(&t->lock);
		__zswap_unlink(t, entry);
		spin_unlock(&t->lock);
		zswap_free_entry(entry);
		folio_put(f);
		put_swap_device(si);
		return 0;
	}
	/* Success: drop our reference and the tree's, if still linked. */
	spin_lock(&t->lock);
	bool dead = __zswap_entry_put(t, entry);
	if (!dead && t->slot[off] == entry)
		dead = __zswap_entry_put(t, entry);
	spin_unlock(&t->lock);
	if (dead)
		zswap_free_entry(entry);
	folio_put(f);
	put_swap_device(si);
	return 0;

fail:
	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: give the entry back to the pool.  (zbud put it
		 * back on its own LRU under its own lock; the model leaves it
		 * off the LRU, which only spares it further writeback.) */
		BUG_ON(atomic_cmpxchg(&entry->pos, ZSWAP_POS_RECLAIM, ZSWAP_POS_POOL) !=
		       ZSWAP_POS_RECLAIM);
	} else if (mm_variant(V_ZSWAP_WRITEBACK_INVALIDATE_LEAK)) {
		/* 2013: the failure path only drops its reference; if an
		 * invalidate left the free to us, nobody frees. */
		spin_lock(&t->lock);
		zswap_entry_ref_dec(entry);
		if (entry->linked && !entry->on_lru) {
			list_add_tail(&entry->lru, &t->lru);
			entry->on_lru = true;
		}
		spin_unlock(&t->lock);
	} else {
		spin_lock(&t->lock);
		bool dead = __zswap_entry_put(t, entry);
		if (!dead && entry->linked && !entry->on_lru) {
			list_add_tail(&entry->lru, &t->lru);
			entry->on_lru = true;
		}
		spin_unlock(&t->lock);
		if (dead)
			zswap_free_entry(entry);
	}
	put_swap_device(si);
	(void)M;
	return ret;
}
