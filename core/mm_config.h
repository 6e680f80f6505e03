/* mm_config.h - every size limit of the mm model, each with its reason.
 * Workloads choose sizes below these at run time (from the decision
 * source); the limits only bound the fixed-size arrays.
 *
 * Kernel: none (the model's sizes).
 */
#ifndef MM_CONFIG_H
#define MM_CONFIG_H

/* Bytes of data per page.  Enough for an integrity stamp (mm, address,
 * version) plus a pattern; small so that copying costs nothing. */
#define MM_PAGE_BYTES 64

/* Folios the page allocator can hand out ("a few dozen frames"), plus
 * slack for a migration's target page while reclaim holds others. */
#define MM_MAX_FRAMES 48

/* Address spaces alive at once: 1-3 at start, each fork adds one. */
#define MM_MAX_MMS 8

/* Virtual pages per address space (one anonymous vma covers them all). */
#define MM_VPAGES 8

/* Swap devices (1-2) and slots per device.  Slot 0 is the header and is
 * never handed out, as in the kernel. */
#define MM_MAX_SWAPFILES 2
#define MM_SWAP_SLOTS 32
/* Slots per swap cluster (cluster_info entry, cluster lock). */
#define MM_CLUSTER 8

/* swap_map encoding, as the kernel's: the low bits count references from
 * page tables, SWAP_HAS_CACHE says a swap-cache folio owns the slot. */
#define SWAP_HAS_CACHE 0x40
#define SWAP_MAP_MAX 0x3e

/* Largest folio (pages): order 2.  A two-page folio is what the two-entry
 * free_swap_and_cache race needs; order 2 is the smallest anonymous folio
 * 6.12 queues for a deferred split when it is partially unmapped (an
 * order-1 folio has no room for the _deferred_list, deferred_split_folio). */
#define MM_MAX_FOLIO_PAGES 4

/* A GFP_KERNEL allocation takes the slow path (direct reclaim) about once
 * in this many, besides whenever free frames are below the watermark. */
#define MM_ALLOC_SLOWPATH_RATE 8

/* Folios a per-CPU LRU batch holds before it moves them to the LRU.  6.12's
 * folio_batch holds 31 (PAGEVEC_SIZE); the model's memory is 12-40 frames,
 * so its batches are scaled down with it, or reclaim would find the LRU
 * empty most of the time. */
#define MM_FOLIO_BATCH 4

/* task flags (mmf_task.model_flags) */
#define PF_MEMALLOC 0x1ul       /* in reclaim: allocations do not recurse */

#endif
