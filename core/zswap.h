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

/* The entry's references, tree lock held, reported to the reference
 * tracker (sched/reftrack.h) at the line that uses them: a leaked entry's
 * report shows how its references went; a put of an entry holding none is
 * an underflow with that history.  __zswap_entry_put is zswap.c's own
 * (static); the macro only adds the report of the put before it. */
#define zswap_entry_ref_init(e)                                                \
	((e)->refcount = 1,                                                    \
	 mmf_ref_new((e), "zswap_entry", 1, false, MMF_SITE("zswap entry: the tree's ref")))
#define zswap_entry_ref_inc(e)                                                 \
	((e)->refcount++, mmf_ref_get((e), "zswap_entry", 1, MMF_SITE("zswap entry get")))
#define zswap_entry_ref_dec(e) (mmf_ref_put((e), 1, MMF_SITE("zswap entry put")), (e)->refcount--)
#define __zswap_entry_put(t, e)                                                \
	(mmf_ref_put((e), 1, MMF_SITE("__zswap_entry_put")), (__zswap_entry_put)((t), (e)))

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
