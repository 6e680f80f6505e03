/* zswap.h - the compressed swap cache (models mm/zswap.c).
 *
 * Kernel: the Linux 6.6/6.7 zswap entry and tree (zswap.c).
 */
#ifndef MM_ZSWAP_H
#define MM_ZSWAP_H

#include "mm_types.h"

/* An entry: the compressed copy of one swap slot.  refcount and linked
 * are protected by the tree lock (as in the 3.13 design): the tree holds
 * the initial reference; load and writeback take their own. */
struct zswap_entry {
	unsigned long offset;
	int refcount;
	/* The unmerged 2013 design (variant zswap-cas-state) uses, instead of
	 * refcount, a state claimed by compare-and-swap: whoever moves it
	 * from POOL owns the entry until it moves it back (or frees it). */
	atomic_t pos;
	bool linked;                    /* in the tree */
	bool on_lru;
	void *handle;                   /* compressed buffer, its own allocation */
	unsigned length;
	struct list_head lru;           /* writeback order, oldest first */
};

enum { ZSWAP_POS_POOL = 1, ZSWAP_POS_LOAD, ZSWAP_POS_RECLAIM, ZSWAP_POS_FLUSH };

struct zswap_tree {
	spinlock_t lock;
	struct zswap_entry *slot[MM_SWAP_SLOTS]; /* offset -> entry (the rbtree) */
	struct list_head lru;
	int nr;
	int type;
};

struct zswap_tree *zswap_swapon(int type);
void zswap_swapoff(struct swap_info_struct *si);   /* frees every entry and the tree */
bool zswap_store(struct folio *f);                 /* folio locked, in swap cache */
bool zswap_load(struct folio *f);                  /* folio locked, in swap cache */
void zswap_invalidate(struct swap_info_struct *si, unsigned long offset);
/* The shrinker: write the oldest entry of device 'type' back to the swap
 * device.  0 on success, -errno when it could not. */
int zswap_writeback_one(int type);

#endif
