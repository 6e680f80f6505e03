/* zswap.h - the compressed swap cache (models mm/zswap.c).
 *
 * Kernel: the Linux 6.12 entry, trees and LRU (zswap.c); simplified as
 * zswap.c's opening comment says.
 */
#ifndef MM_ZSWAP_H
#define MM_ZSWAP_H

#include "mm_types.h"

/* An entry: the compressed copy of one swap slot.  It has no reference
 * count (6.12): whoever erases it from its tree frees it, and a task that
 * found it elsewhere (the LRU) may dereference it only once it has seen
 * it in the tree again with the slot secured by a locked swap-cache folio.
 * swpentry and referenced are read and written under the LRU lock (after
 * the store published the entry). */
struct zswap_entry {
	swp_entry_t swpentry;
	unsigned int length;
	bool referenced;                /* second chance on the LRU */
	void *handle;                   /* compressed buffer (the zpool object) */
	struct list_head lru;           /* on M->zswap_lru, under M->zswap_lru_lock */
	/* The unmerged 2013 design (variant zswap-cas-state) has every task
	 * that uses an entry claim it first by compare-and-swap of this state
	 * away from POOL; the claimer owns it until it moves it back (or frees
	 * it).  Unused by the 6.12 path. */
	atomic_t pos;
};

enum { ZSWAP_POS_POOL = 1, ZSWAP_POS_LOAD, ZSWAP_POS_RECLAIM, ZSWAP_POS_FLUSH };

/* 6.12 keeps one xarray per SWAP_ADDRESS_SPACE_PAGES (1 << 14) slots of a
 * device (swap_zswap_tree()).  The model's devices are far smaller; its
 * span is chosen so that a full-size device (MM_SWAP_SLOTS) has two trees
 * and the keying is exercised. */
#define ZSWAP_TREE_SHIFT 4
#define ZSWAP_TREE_PAGES (1ul << ZSWAP_TREE_SHIFT)
#define ZSWAP_NR_TREES(nr_pages) (((nr_pages) + ZSWAP_TREE_PAGES - 1) / ZSWAP_TREE_PAGES)

/* The xarray's interior node: allocated (GFP_KERNEL, outside the lock, as
 * xas_nomem does) when the first entry goes in, freed with the last, so an
 * xa_store can fail with -ENOMEM as the kernel's can. */
struct zswap_xa_node {
	int nr;                         /* entries present */
};

/* One tree (the xarray): offset within the span -> entry, under xa_lock.
 * Lock order: xa_lock -> zswap_lru_lock; both are leaves otherwise. */
struct zswap_tree {
	spinlock_t xa_lock;
	struct zswap_xa_node *node;
	struct zswap_entry *slot[ZSWAP_TREE_PAGES];
};

/* Model context setup (6.12's zswap_setup: the LRU and its lock). */
void zswap_setup(struct mm_model *M);
/* The trees of device 'type' (si->zswap points to the first), or NULL. */
struct zswap_tree *zswap_swapon(int type);
/* After try_to_unuse emptied the device: frees the trees. */
void zswap_swapoff(struct swap_info_struct *si);
/* The tree of a device that keys e (the caller keeps the device alive). */
struct zswap_tree *swap_zswap_tree(struct swap_info_struct *si, swp_entry_t e);
bool zswap_store(struct folio *f);                 /* folio locked, in swap cache */
bool zswap_load(struct folio *f);                  /* folio locked; marks it uptodate */
/* The slot went free (si->lock held by the model's callers). */
void zswap_invalidate(struct swap_info_struct *si, unsigned long offset);
/* The shrink worker (shrink_worker/shrink_memcg, no memcgs): walk the LRU
 * until one entry is written back to its swap device.  0 on success,
 * -ENOENT when the LRU is empty, else the last writeback's -errno. */
int zswap_writeback_one(void);
/* The shrinker as shrink_slab() calls it from direct reclaim: scan one
 * LRU item.  Returns entries written back. */
unsigned long zswap_shrinker_scan(void);

#endif
