/* zswap.c - models mm/zswap.c: compressed copies of swap slots kept in
 * trees per swap device, one LRU for the pool, store, exclusive load,
 * invalidate, and writeback to the device driven by the shrink worker (the
 * workload's zswap-shrink operation) and by the shrinker (direct reclaim,
 * page_alloc.c).  Compression is zlib (Debian's zlib1g), level 1; each
 * compressed buffer is its own allocation so a leak or a use after free
 * is visible to the leak audit and the sanitizers.
 *
 * Kernel: Linux 6.12.  Followed: entries without a refcount
 * (zswap_entry_free frees), exclusive loads into the swap cache, trees
 * keyed as swap_zswap_tree() keys them (allocated by zswap_swapon, freed
 * by zswap_swapoff after try_to_unuse emptied them), the LRU on its own
 * lock with shrink_memcg_cb's rotate-then-drop-the-lock rule and second
 * chance, writeback secured by a locked swap-cache folio
 * (__read_swap_cache_async with skip_if_exists) and the tree re-check
 * (xa_cmpxchg) before the entry is touched, every store failure path with
 * check_old.  Simplified: an array per tree for the xarray (its node is one
 * allocation, see zswap.h) with a span of ZSWAP_TREE_PAGES; one list for
 * the list_lru (no NUMA nodes, no memcgs, so no memcg limits, reparenting
 * or per-memcg shrinking); zlib and kmalloc for crypto_acomp and zsmalloc
 * (no per-CPU compression contexts, no pool switching, so no pool
 * refcount); compression never fails and nothing compresses to 0 bytes;
 * no pool size limit (zswap_check_limits, the accept threshold and the
 * queued shrink worker) and no same-filled/zero pages (6.12's zeromap);
 * the shrinker scans one item per direct-reclaim pass instead of
 * shrink_slab's count/batch arithmetic.
 */
#define _GNU_SOURCE
#include "zswap.h"
#include "mm.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

/* 6.12's shrink_worker gives up after this many failed attempts. */
#define MAX_RECLAIM_RETRIES 16

void zswap_setup(struct mm_model *M)
{
	spin_lock_init(&M->zswap_lru_lock);
	INIT_LIST_HEAD(&M->zswap_lru);
}

/* ---- the trees (xarray operations) ------------------------------------------ */

struct zswap_tree *zswap_swapon(int type)
{
	/* 6.12 sizes the array from the device (zswap_swapon(type, nr_pages));
	 * the model's swapon passes only the type, so the trees cover the
	 * largest device. */
	unsigned long nr = ZSWAP_NR_TREES(MM_SWAP_SLOTS);
	struct zswap_tree *trees = kzalloc(sizeof(*trees) * nr, GFP_KERNEL, "zswap trees");
	if (!trees)
		return NULL;
	for (unsigned long i = 0; i < nr; i++)
		spin_lock_init(&trees[i].xa_lock);
	(void)type;
	return trees;
}

struct zswap_tree *swap_zswap_tree(struct swap_info_struct *si, swp_entry_t e)
{
	unsigned long i = swp_offset(e) >> ZSWAP_TREE_SHIFT;
	BUG_ON(!si->zswap || i >= ZSWAP_NR_TREES(MM_SWAP_SLOTS));
	return &si->zswap[i];
}

static struct zswap_entry **__xa_slot(struct zswap_tree *t, unsigned long offset)
{
	return &t->slot[offset & (ZSWAP_TREE_PAGES - 1)];
}

/* xa_lock held: the slot at offset becomes 'entry' (NULL: erased); the
 * node goes with the last entry. */
static struct zswap_entry *__xa_set(struct zswap_tree *t, unsigned long offset,
				    struct zswap_entry *entry, struct zswap_xa_node **dead)
{
	struct zswap_entry **slot = __xa_slot(t, offset);
	struct zswap_entry *old = *slot;
	*slot = entry;
	t->node->nr += (entry != NULL) - (old != NULL);
	if (!t->node->nr) {
		*dead = t->node;
		t->node = NULL;
	}
	return old;
}

/* xa_store: -ENOMEM if the tree had no node and none could be allocated. */
static int xa_store(struct zswap_tree *t, unsigned long offset, struct zswap_entry *entry,
		    struct zswap_entry **old)
{
	struct zswap_xa_node *node = NULL, *dead = NULL;
	spin_lock(&t->xa_lock);
	while (!t->node) {
		if (node) {
			t->node = node;
			node = NULL;
			break;
		}
		/* xas_nomem: allocate outside the lock and try again. */
		spin_unlock(&t->xa_lock);
		node = kzalloc(sizeof(*node), GFP_KERNEL, "xa_node");
		if (!node)
			return -ENOMEM;
		spin_lock(&t->xa_lock);
	}
	*old = __xa_set(t, offset, entry, &dead);
	spin_unlock(&t->xa_lock);
	kfree(node);
	kfree(dead);
	return 0;
}

/* xa_cmpxchg with NULL: erase the slot only if it holds 'expect'; returns
 * what the slot held. */
static struct zswap_entry *xa_cmpxchg_erase(struct zswap_tree *t, unsigned long offset,
					    struct zswap_entry *expect)
{
	struct zswap_xa_node *dead = NULL;
	spin_lock(&t->xa_lock);
	struct zswap_entry *cur = *__xa_slot(t, offset);
	if (cur && cur == expect)
		__xa_set(t, offset, NULL, &dead);
	spin_unlock(&t->xa_lock);
	kfree(dead);
	return cur;
}

static struct zswap_entry *xa_erase(struct zswap_tree *t, unsigned long offset)
{
	struct zswap_xa_node *dead = NULL;
	spin_lock(&t->xa_lock);
	struct zswap_entry *cur = *__xa_slot(t, offset);
	if (cur)
		__xa_set(t, offset, NULL, &dead);
	spin_unlock(&t->xa_lock);
	kfree(dead);
	return cur;
}

static struct zswap_entry *xa_load(struct zswap_tree *t, unsigned long offset)
{
	spin_lock(&t->xa_lock);
	struct zswap_entry *cur = *__xa_slot(t, offset);
	spin_unlock(&t->xa_lock);
	return cur;
}

/* CAS design: erase the entry at offset once it is claimed for 'pos';
 * retries (dropping the lock) while another task holds it.  Returns the
 * erased entry, now owned by the caller, or NULL if the slot is empty. */
static struct zswap_entry *zswap_cas_erase(struct zswap_tree *t, unsigned long offset, int pos)
{
	for (;;) {
		struct zswap_xa_node *dead = NULL;
		spin_lock(&t->xa_lock);
		struct zswap_entry *cur = *__xa_slot(t, offset);
		bool mine = cur && atomic_cmpxchg(&cur->pos, ZSWAP_POS_POOL, pos) == ZSWAP_POS_POOL;
		if (mine)
			__xa_set(t, offset, NULL, &dead);
		spin_unlock(&t->xa_lock);
		kfree(dead);
		if (!cur || mine)
			return cur;
	}
}

/* ---- entries and the LRU --------------------------------------------------- */

static void zswap_lru_add(struct zswap_entry *entry)
{
	struct mm_model *M = MM();
	spin_lock(&M->zswap_lru_lock);
	list_add_tail(&entry->lru, &M->zswap_lru);
	spin_unlock(&M->zswap_lru_lock);
}

static void zswap_lru_del(struct zswap_entry *entry)
{
	struct mm_model *M = MM();
	spin_lock(&M->zswap_lru_lock);
	if (!list_empty(&entry->lru))
		list_del_init(&entry->lru);
	spin_unlock(&M->zswap_lru_lock);
}

/* Free an entry nobody can find any more (erased from its tree): off the
 * LRU, buffer, accounting. */
static void zswap_entry_free(struct zswap_entry *entry)
{
	struct mm_model *M = MM();
	zswap_lru_del(entry);
	atomic_long_add_return(-(long)entry->length, &M->zswap_pool_bytes);
	kfree(entry->handle);
	kfree(entry);
	atomic_dec(&M->zswap_stored_pages);
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

/* ---- store, load, invalidate ----------------------------------------------- */

bool zswap_store(struct folio *f)
{
	struct mm_model *M = MM();
	swp_entry_t swp = f->swap;
	unsigned long off = swp_offset(swp);
	/* The folio holds the slot (SWAP_HAS_CACHE): the device stays. */
	struct swap_info_struct *si = swp_swap_info(swp);
	uint8_t buf[MM_PAGE_BYTES * 2];
	uLongf len = sizeof(buf);
	struct zswap_entry *entry, *old;

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	VM_BUG_ON_FOLIO(!si, f);        /* a cached folio outlived its device */
	/* Large folios are not supported (before check_old, as in 6.12: no
	 * slot of a large folio can have an entry). */
	if (f->nr_pages != 1)
		return false;
	if (!si->zswap)
		return false;           /* zswap was off at swapon: no trees */
	struct zswap_tree *tree = swap_zswap_tree(si, swp);

	entry = kzalloc(sizeof(*entry), GFP_KERNEL, "zswap_entry");
	if (!entry)
		goto reject;            /* zswap_reject_kmemcache_fail */
	MMF_SCHED_ENTER();      /* page contents: see user_copy() */
	int zrc = compress2(buf, &len, f->data[0], MM_PAGE_BYTES, 1);
	MMF_SCHED_LEAVE();
	if (zrc != Z_OK)
		mmf_internal("zlib compress2 failed");
	/* zpool_malloc with __GFP_NORETRY | __GFP_KSWAPD_RECLAIM: no direct
	 * reclaim, so it does not sleep.  Its failure is zswap_compress's. */
	void *handle = kmalloc(len, GFP_NOWAIT, "zswap compressed page");
	if (!handle)
		goto freepage;          /* zswap_reject_alloc_fail */
	memcpy(handle, buf, len);
	atomic_long_add_return((long)len, &M->zswap_pool_bytes);
	entry->handle = handle;
	entry->length = (unsigned)len;
	entry->swpentry = swp;
	entry->referenced = true;
	INIT_LIST_HEAD(&entry->lru);
	atomic_set(&entry->pos, ZSWAP_POS_POOL);

	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: an older copy is replaced only once it can be
		 * claimed; a writeback holding it must let go first. */
		old = zswap_cas_erase(tree, off, ZSWAP_POS_FLUSH);
		if (old)
			zswap_entry_free(old);
	}
	if (xa_store(tree, off, entry, &old))
		goto store_failed;      /* zswap_reject_alloc_fail */
	/* The slot was redirtied and swapped out again: its older copy is
	 * stale. */
	if (old)
		zswap_entry_free(old);
	/* Published in the tree before it is on the LRU: stores and
	 * invalidations of this slot are excluded by the folio lock, and
	 * writeback only finds entries on the LRU. */
	zswap_lru_add(entry);
	atomic_inc(&M->zswap_stored_pages);
	return true;

store_failed:
	atomic_long_add_return(-(long)entry->length, &M->zswap_pool_bytes);
	kfree(entry->handle);
freepage:
	kfree(entry);
reject:
	/* check_old: the folio goes to the device instead; an older copy of
	 * this slot must not stay, or a load or a writeback would bring the
	 * old data back over the new. */
	zswap_invalidate(si, off);
	return false;
}

bool zswap_load(struct folio *f)
{
	struct mm_model *M = MM();
	swp_entry_t swp = f->swap;
	unsigned long off = swp_offset(swp);
	bool swapcache = folio_test(f, PG_swapcache);
	struct zswap_entry *entry;

	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (!M->zswap_enabled)
		return false;           /* zswap_never_enabled() */
	/* Refused: returns true without uptodate so the fault sees an I/O
	 * error (the model never reads large folios). */
	if (WARN_ON(f->nr_pages != 1))
		return true;
	struct swap_info_struct *si = swp_swap_info(swp);
	if (!si || !si->zswap)
		return false;
	struct zswap_tree *tree = swap_zswap_tree(si, swp);

	/* Into the swap cache the load is exclusive: the folio becomes the
	 * only copy (and is dirty: it must be written again before it can be
	 * dropped).  Without the swap cache (6.12's SWP_SYNCHRONOUS_IO
	 * singleton fault, memory.c's direct swap-in) zswap keeps the copy. */
	if (mm_variant(V_ZSWAP_CAS_STATE))
		entry = swapcache ? zswap_cas_erase(tree, off, ZSWAP_POS_LOAD) : xa_load(tree, off);
	else
		entry = swapcache ? xa_erase(tree, off) : xa_load(tree, off);
	if (!entry)
		return false;
	decompress(entry, f->data[0]);
	if (swapcache) {
		zswap_entry_free(entry);
		folio_set(f, PG_dirty);
	}
	folio_set(f, PG_uptodate);
	return true;
}

void zswap_invalidate(struct swap_info_struct *si, unsigned long offset)
{
	swp_entry_t swp = swp_entry((unsigned)si->type, offset);
	struct zswap_tree *tree = swap_zswap_tree(si, swp);
	struct zswap_entry *entry;

	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: retries until a load or writeback holding the
		 * entry lets go.  (The callers hold the device's locks.) */
		entry = zswap_cas_erase(tree, offset, ZSWAP_POS_FLUSH);
	} else {
		entry = xa_erase(tree, offset);
	}
	if (!entry)
		return;
	if (mm_variant(V_ZSWAP_WRITEBACK_INVALIDATE_LEAK)) {
		/* 2013: an entry off the LRU is in a writeback's hands; leave
		 * the free to it. */
		struct mm_model *M = MM();
		spin_lock(&M->zswap_lru_lock);
		bool in_writeback = list_empty(&entry->lru);
		spin_unlock(&M->zswap_lru_lock);
		if (in_writeback)
			return;
	}
	zswap_entry_free(entry);
}

void zswap_swapoff(struct swap_info_struct *si)
{
	struct zswap_tree *trees = si->zswap;
	if (!trees)
		return;
	/* try_to_unuse freed every slot, and with it every entry; 6.12 warns
	 * if one is left.  Only a broken try_to_unuse leaves one here (slots
	 * still in use): the model frees them so that what the shadow reports
	 * next (the lost data) is not masked by a leak report. */
	for (unsigned long i = 0; i < ZSWAP_NR_TREES(MM_SWAP_SLOTS); i++) {
		/* Unpublished: nobody else can reach the trees any more. */
		if (!trees[i].node)
			continue;
		for (unsigned long off = i * ZSWAP_TREE_PAGES; off < (i + 1) * ZSWAP_TREE_PAGES; off++)
			zswap_invalidate(si, off);
		BUG_ON(trees[i].node);
	}
	si->zswap = NULL;
	kfree(trees);
}

/* ---- writeback ------------------------------------------------------------- */

/* __read_swap_cache_async(..., skip_if_exists=true): a new locked folio
 * in the swap cache for e, or -EEXIST if the slot is cached or being added
 * (never waits: the caller may itself hold a swap-cache folio lock),
 * -ENOENT if the entry is dead, -ENOMEM if no page, -ENODEV if the device
 * is going away.  The device is pinned only for the call: afterwards the
 * locked folio, holding SWAP_HAS_CACHE, keeps swapoff's try_to_unuse from
 * finishing (it locks every cached folio of the device and loops while a
 * slot is in use), and so keeps the device and its trees alive. */
static int zswap_swap_cache_secure(swp_entry_t e, struct folio **out)
{
	struct swap_info_struct *si = get_swap_device(e);
	struct folio *f;
	int err;

	if (!si)
		return -ENODEV;
	f = swap_cache_get_folio(e);
	if (f) {
		folio_put(f);
		err = -EEXIST;
		goto out;
	}
	f = folio_alloc(1, GFP_KERNEL);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	err = swapcache_prepare(e);
	if (err) {
		folio_put(f);
		goto out;
	}
	__folio_set_locked(f);
	folio_set(f, PG_swapbacked);
	if (add_to_swap_cache(f, e)) {
		put_swap_folio(f, e);
		folio_unlock(f);
		folio_put(f);
		err = -EEXIST;
		goto out;
	}
	*out = f;
out:
	put_swap_device(si);
	return err;
}

/* zswap_writeback_entry: 'entry' was seen on the LRU for slot swp, and
 * may have been freed since (no refcount); it is dereferenced only after
 * the tree, with the slot secured, still maps swp to it. */
static int zswap_writeback_entry(struct zswap_entry *entry, swp_entry_t swp)
{
	unsigned long off = swp_offset(swp);
	struct folio *f = NULL;

	int ret = zswap_swap_cache_secure(swp, &f);
	if (ret)
		return ret;
	struct zswap_tree *tree = swap_zswap_tree(swp_swap_info(swp), swp);
	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: the claim kept every other user out. */
		BUG_ON(xa_cmpxchg_erase(tree, off, entry) != entry);
	} else if (!mm_variant(V_ZSWAP_WRITEBACK_STALE_DATA)) {
		/* The slot may have been freed and reused, the entry
		 * invalidated, loaded or replaced while we allocated: then it
		 * may be freed memory, and its data would overwrite newer
		 * data.  Take it out of the tree only if it is still there. */
		if (xa_cmpxchg_erase(tree, off, entry) != entry) {
			delete_from_swap_cache(f);
			folio_unlock(f);
			folio_put(f);
			return -ENOMEM;
		}
	}
	decompress(entry, f->data[0]);
	if (mm_variant(V_ZSWAP_WRITEBACK_STALE_DATA))
		/* 2013: unlinked only now, and only if still linked. */
		xa_cmpxchg_erase(tree, off, entry);
	zswap_entry_free(entry);
	folio_set(f, PG_uptodate);
	folio_set(f, PG_dirty);
	folio_add_lru(f);
	/* Write it to the device; the I/O unlocks the folio. */
	swap_writepage_nozswap(f);
	folio_put(f);
	return 0;
}

/* The historic writeback failure path (variant zswap-writeback-invalidate-
 * leak): back on the LRU if the tree still has it; otherwise it assumes
 * whoever took it out of the tree freed it.  The device is pinned. */
static void zswap_writeback_putback_2013(struct swap_info_struct *si, struct zswap_entry *entry,
					 swp_entry_t swp)
{
	struct mm_model *M = MM();
	struct zswap_tree *tree = swap_zswap_tree(si, swp);
	spin_lock(&tree->xa_lock);
	if (*__xa_slot(tree, swp_offset(swp)) == entry) {
		spin_lock(&M->zswap_lru_lock);
		list_add_tail(&entry->lru, &M->zswap_lru);
		spin_unlock(&M->zswap_lru_lock);
	}
	spin_unlock(&tree->xa_lock);
}

/* shrink_memcg (one LRU item, shrink_memcg_cb): 0 if an entry was written
 * back, -ENOENT if the LRU is empty, else -EAGAIN or the writeback's
 * -errno. */
static int zswap_shrink_one(void)
{
	struct mm_model *M = MM();
	struct swap_info_struct *pinned = NULL;

	spin_lock(&M->zswap_lru_lock);
	if (list_empty(&M->zswap_lru)) {
		spin_unlock(&M->zswap_lru_lock);
		return -ENOENT;
	}
	struct zswap_entry *entry = list_entry(M->zswap_lru.next, struct zswap_entry, lru);
	/* Second chance. */
	if (entry->referenced) {
		entry->referenced = false;
		list_move_tail(&entry->lru, &M->zswap_lru);
		spin_unlock(&M->zswap_lru_lock);
		return -EAGAIN;
	}
	/* Once the lock is dropped the entry may be freed by a concurrent
	 * invalidation, load or store: keep its slot on the stack and rotate
	 * it now, since afterwards nothing says it is still alive to be put
	 * back; the free path takes it off the LRU. */
	swp_entry_t swp = entry->swpentry;
	if (mm_variant(V_ZSWAP_CAS_STATE)) {
		/* CAS design: claim it first (a load or invalidate holds it:
		 * try another one). */
		if (atomic_cmpxchg(&entry->pos, ZSWAP_POS_POOL, ZSWAP_POS_RECLAIM) !=
		    ZSWAP_POS_POOL) {
			list_move_tail(&entry->lru, &M->zswap_lru);
			spin_unlock(&M->zswap_lru_lock);
			return -EAGAIN;
		}
		list_move_tail(&entry->lru, &M->zswap_lru);
	} else if (mm_variant(V_ZSWAP_WRITEBACK_INVALIDATE_LEAK)) {
		/* 2013: the writeback pins the device and takes the entry off
		 * the LRU while it works on it. */
		pinned = get_swap_device(swp);
		if (!pinned) {
			list_move_tail(&entry->lru, &M->zswap_lru);
			spin_unlock(&M->zswap_lru_lock);
			return -ENODEV;
		}
		list_del_init(&entry->lru);
	} else {
		list_move_tail(&entry->lru, &M->zswap_lru);
	}
	spin_unlock(&M->zswap_lru_lock);

	int ret = zswap_writeback_entry(entry, swp);

	if (ret && mm_variant(V_ZSWAP_CAS_STATE))
		BUG_ON(atomic_cmpxchg(&entry->pos, ZSWAP_POS_RECLAIM, ZSWAP_POS_POOL) !=
		       ZSWAP_POS_RECLAIM);
	if (pinned) {
		if (ret)
			zswap_writeback_putback_2013(pinned, entry, swp);
		put_swap_device(pinned);
	}
	return ret;
}

int zswap_writeback_one(void)
{
	int ret;
	for (int failures = 0;;) {
		ret = zswap_shrink_one();
		if (!ret || ret == -ENOENT)
			return ret;
		if (++failures == MAX_RECLAIM_RETRIES)
			return ret;
	}
}

unsigned long zswap_shrinker_scan(void)
{
	struct mm_model *M = MM();
	if (!M->zswap_enabled)
		return 0;
	return zswap_shrink_one() == 0;
}
