/* mm_types.h - the model's structures: folios, page tables, address spaces,
 * anon_vma, swap devices and the model context.  Field comments say which
 * lock protects what; "__" functions expect that lock held.
 *
 * Lock order (outermost first), as in the kernel (the list at the top of
 * mm/rmap.c):
 *   mmap_lock -> folio lock -> anon_vma rwsem -> ptl -> swap_info lock ->
 *   cluster lock -> swap-cache lock -> lru_lock; a zswap tree's xa_lock ->
 *   zswap_lru_lock, both leaves otherwise.
 * A folio lock is only trylocked under the ptl (zap, do_wp_page), which
 * orders nothing.  The folio lock is a bit lock with a lock class of its
 * own, so the lock-order checker checks it with the others (sync.h).
 *
 * Kernel: the fields modelled follow Linux 6.12's struct folio,
 * swap_info_struct, swap_cluster_info, anon_vma and anon_vma_chain (one
 * anon_vma per fork family: rmap.c); zswap's structures (zswap.h) are
 * 6.12's too.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "mm_config.h"
#include "sync.h"
#include "variant.h"

/* ---- lists: list.h (checked as CONFIG_DEBUG_LIST checks them) -------------- */
#include "list.h"

/* ---- swap entries ------------------------------------------------------------
 * val 0 means "no entry": slot 0 of every device is its header. */
typedef struct {
	unsigned long val;
} swp_entry_t;
static inline swp_entry_t swp_entry(unsigned type, unsigned long offset)
{
	return (swp_entry_t){((unsigned long)type << 24) | offset};
}
static inline unsigned swp_type(swp_entry_t e) { return (unsigned)(e.val >> 24); }
static inline unsigned long swp_offset(swp_entry_t e) { return e.val & 0xffffff; }

/* ---- page flags (folio->flags, atomic bit operations) -------------------------- */
enum pageflags {
	PG_locked,      /* bit lock with waiters: lock_folio / folio_unlock */
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,         /* on an LRU list (lru_lock) */
	PG_active,      /* never set: activation is left out (swap.c); kept for the
			 * bad-page check's flag set, as the kernel's */
	PG_swapcache,   /* in the swap cache; folio->swap is valid */
	PG_writeback,
	PG_swapbacked,
	PG_partially_mapped, /* a large folio some of whose pages no pte maps:
			      * queued for a deferred split (split_queue_lock) */
};

/* ---- folios -------------------------------------------------------------------
 * A folio is 1, 2 or 4 pages; each page's data is its own allocation so
 * that sanitizers see use of a freed page.  The struct itself lives in the
 * frame table for the whole run, as struct page does in mem_map.  A folio
 * of n pages holds n frames: its own and n-1 tail frames (not contiguous:
 * the model has no buddy orders), which a split turns into folios of
 * their own, as the kernel's tail pages become folios. */
enum frame_state { FRAME_FREE, FRAME_ALLOCATED, FRAME_TAIL };

struct anon_vma;
struct folio {
	unsigned long flags;
	atomic_t _refcount;
	atomic_t _mapcount;             /* ptes mapping any page of the folio
					 * (6.12's _large_mapcount, from 0) */
	atomic_t _pmapcount[MM_MAX_FOLIO_PAGES]; /* ptes mapping each page
						  * (page->_mapcount, from 0) */
	swp_entry_t swap;               /* first entry, valid while PG_swapcache */
	struct anon_vma *anon_vma;      /* page->mapping: set while anon, kept after unmap */
	unsigned long index;            /* virtual page of the first page */
	struct list_head lru;           /* lru_lock */
	int nr_pages;
	int pfn;                        /* index in the frame table */
	int tail_pfn[MM_MAX_FOLIO_PAGES]; /* frames of pages 1..nr_pages-1 */
	struct list_head _deferred_list; /* split_queue_lock: on the split queue */
	uint8_t *data[MM_MAX_FOLIO_PAGES];
	/* allocator bookkeeping (zone lock) */
	enum frame_state state;
	const struct mmf_site *alloc_site;
	struct list_head buddy;         /* free list */
};

/* ---- page table entries -----------------------------------------------------------
 * One unsigned long: kind in bits 0-1, writable in bit 2, payload from bit
 * 8: a page number (pfn * 2 + subpage) or a swap entry value. */
enum pte_kind { PTE_NONE, PTE_PRESENT, PTE_SWAP, PTE_MIGRATION };
typedef unsigned long pte_t;
#define PTE_WRITE 0x4ul
static inline enum pte_kind pte_kind(pte_t p) { return (enum pte_kind)(p & 3); }
static inline unsigned long pte_payload(pte_t p) { return p >> 8; }
static inline pte_t mk_pte(enum pte_kind k, unsigned long payload, bool write)
{
	return (payload << 8) | (write ? PTE_WRITE : 0) | (unsigned long)k;
}
static inline bool pte_write(pte_t p) { return p & PTE_WRITE; }
static inline swp_entry_t pte_to_swp_entry(pte_t p) { return (swp_entry_t){pte_payload(p)}; }

/* ---- anon_vma ----------------------------------------------------------------------
 * One per family of address spaces (a parent and its forks share it, a
 * simplification of the kernel's per-vma anon_vmas).  Each member is
 * linked to it by an anon_vma_chain, which fork allocates (and may fail to)
 * as anon_vma_fork allocates the child's chains and anon_vma.  It comes
 * from a SLAB_TYPESAFE_BY_RCU cache (anon_vma_cachep, as 6.12's): freed at
 * once when its refcount drops to zero, and the slot may be handed to
 * another anon_vma at once, so a reader that found it under RCU must
 * re-check that it is still its folio's (rmap.c). */
struct mm_struct;
struct anon_vma_chain {
	struct mm_struct *mm;           /* its one vma */
	struct anon_vma *anon_vma;
	struct list_head same_anon_vma; /* anon_vma->rwsem */
};
/* The constructor sets every field once per slot: a reused anon_vma keeps
 * its rwsem, its empty list and its zero count from its last life. */
struct anon_vma {
	struct rw_semaphore rwsem;      /* protects head */
	atomic_t refcount;              /* one per linked mm + external holds */
	struct list_head head;          /* chains in link order: a parent before its forks */
};

/* ---- address spaces ------------------------------------------------------------------ */
struct mm_struct {
	int id;
	bool live;                      /* set by fork under mmap_lock or by mm_create (release), cleared by exit; read with acquire */
	struct rw_semaphore mmap_lock;
	/* The vma: one anonymous range over every page at first; munmap
	 * detaches pages from it for good (mmap_lock for writing). */
	bool unmapped[MM_VPAGES];
	spinlock_t ptl;                 /* protects pte[] */
	pte_t pte[MM_VPAGES];
	struct anon_vma *anon_vma;      /* mmap_lock */
	struct anon_vma_chain *avc;     /* mmap_lock */
	int parent;                     /* forked from, -1 for none */
};

/* ---- swap devices ---------------------------------------------------------------------- */
#define SWP_USED 0x1ul
#define SWP_WRITEOK 0x2ul
/* A device whose I/O completes in the submitting task (zram-like): reads
 * and writes are synchronous, and a fault on an entry no other pte shares
 * reads into a private folio, skipping the swap cache (do_swap_page). */
#define SWP_SYNCHRONOUS_IO 0x4ul
#define SWAP_INFO_MAGIC 0x5a9f11e0u

struct swap_cluster_info {
	spinlock_t lock;                /* protects the cluster's swap_map bytes */
	unsigned count;                 /* slots in use */
};

struct zswap_tree;
struct swap_info_struct {
	unsigned magic;
	unsigned long flags;            /* si->lock */
	int type;
	spinlock_t lock;
	unsigned char *swap_map;        /* separate allocation, freed by swapoff */
	struct swap_cluster_info *cluster_info; /* separate allocation */
	unsigned max;                   /* slots, slot 0 is the header */
	unsigned inuse_pages;           /* si->lock; READ_ONCE outside */
	struct percpu_ref users;        /* get_swap_device / put_swap_device */
	struct completion comp;
	uint8_t *disk;                  /* the in-memory device: max * MM_PAGE_BYTES */
	/* The swap cache of this device (the kernel's swapper_space). */
	spinlock_t cache_lock;
	struct folio *cache[MM_SWAP_SLOTS];
	unsigned nr_cached;
	struct zswap_tree *zswap;
};

/* ---- the model context ---------------------------------------------------------------------- */
struct mm_shadow;
struct mm_model {
	unsigned long variants;         /* bit set of enum mm_variant */
	/* page allocator (zone lock) */
	spinlock_t zone_lock;
	struct folio frames[MM_MAX_FRAMES];
	int nr_frames;                  /* frames in use by this run's workload */
	struct list_head free_list;
	int nr_free;
	unsigned alloc_fail_rate;       /* fault injection: 1 in N, 0 never */
	struct folio zero_folio;        /* the shared zero page of read faults */
	/* LRU, and the per-CPU batches of folios on their way to it
	 * (cpu_fbatches.lru_add under cpu_fbatches.lock) */
	struct mm_fbatch {
		local_lock_t lock;
		int nr;
		struct folio *folios[MM_FOLIO_BATCH];
	} fbatch[MMF_NR_CPUS];
	spinlock_t lru_lock;
	struct list_head lru_list;      /* one list: no active list (swap.c) */
	int nr_lru;
	/* the deferred split queue of partially unmapped large folios
	 * (huge_memory.c; one node, no memcg) */
	spinlock_t split_queue_lock;
	struct list_head split_queue;
	int split_queue_len;
	/* swap devices: pointers published with rcu_assign_pointer */
	struct mutex swapon_mutex;
	spinlock_t swap_lock;
	struct swap_info_struct *swap_info[MM_MAX_SWAPFILES];
	/* swapons of each type so far (under swap_lock): an oracle's means to
	 * tell a swap entry of a device from the same entry value of a later
	 * device of that type (the kernel has no such counter) */
	unsigned long swap_gen[MM_MAX_SWAPFILES];
	/* address spaces */
	struct mm_struct mm[MM_MAX_MMS];
	int nr_mm;                      /* slots handed out (fork) */
	spinlock_t mmlist_lock;         /* nr_mm, mm[].live for swapoff's walk */
	struct mmf_kmem_cache *anon_vma_cachep; /* rmap.c: SLAB_TYPESAFE_BY_RCU */
	/* zswap */
	bool zswap_enabled;
	unsigned swap_sync_mask;        /* bit t: swapon of type t is SWP_SYNCHRONOUS_IO */
	/* mTHP sizes enabled (/sys/kernel/mm/transparent_hugepage/
	 * hugepages-*kB/enabled): bit n allows folios of n pages (2, 4) for
	 * anonymous faults and swap-ins */
	unsigned thp_orders;
	atomic_t zswap_stored_pages;
	atomic_long_t zswap_pool_bytes;
	/* 6.12's zswap_list_lru (one node, no memcgs): every device's entries,
	 * oldest first, under its own lock. */
	spinlock_t zswap_lru_lock;
	struct list_head zswap_lru;
	/* oracles */
	struct mm_shadow *shadow;
	bool swapoff_signals;           /* the workload's swapoffs may be interrupted */
	bool swap_readahead;            /* swap-ins read neighbours (the workload's) */
	bool in_teardown;               /* the teardown task runs */
};

/* The model of the current run (the program state of the scheduler). */
static inline struct mm_model *MM(void) { return (struct mm_model *)mmf_current_sched()->prog; }
static inline bool mm_variant(enum mm_variant v) { return MM()->variants >> v & 1; }

#endif
