/* mm.h - the model's functions, grouped by the file that defines them.
 * Each states its locking rule; "__" means the caller holds the lock.
 *
 * Kernel: each function follows what its .c file's header says.
 */
#ifndef MM_H
#define MM_H

#include "kmem.h"
#include "mm_types.h"
#include "reftrack.h"

/* Page contents are user memory, moved by DMA and copy routines that the
 * kernel's race detectors do not watch either; their correctness is the
 * data shadow's job.  Copies of page contents go through these, which TSan
 * does not track (only the model's own structures are in its scope). */
#include "sanitizer.h"
#include <string.h>
static inline void user_copy(uint8_t *dst, const uint8_t *src)
{
	MMF_SCHED_ENTER();
	memcpy(dst, src, MM_PAGE_BYTES);
	MMF_SCHED_LEAVE();
}
static inline void user_clear(uint8_t *dst)
{
	MMF_SCHED_ENTER();
	memset(dst, 0, MM_PAGE_BYTES);
	MMF_SCHED_LEAVE();
}

/* The kernel's data_race(): an intentionally unlocked read, which the
 * race detector is told to ignore (TSan here, KCSAN there).  A potential
 * preemption point by rule, as READ_ONCE and WRITE_ONCE are. */
#define mm__racy_read(expr)                                                    \
	({                                                                     \
		MMF_SCHED_ENTER();                                             \
		__typeof__(expr) data_race_v_ = (expr);                        \
		MMF_SCHED_LEAVE();                                             \
		data_race_v_;                                                  \
	})
#define data_race(expr)                                                        \
	({                                                                     \
		mmf_point(MMF_PT_ACCESS, NULL, MMF_SITE("data_race"));         \
		mm__racy_read(expr);                                           \
	})

/* FOLL_PIN: a pin adds GUP_PIN_COUNTING_BIAS references (6.12 does so for
 * small folios; large ones count pins in _pincount, which the model folds
 * into the same bias).  folio_maybe_dma_pinned may say yes for a folio
 * with that many plain references, as the kernel's may. */
#define GUP_PIN_COUNTING_BIAS 1024

/* READ_ONCE(): a marked lockless read of a value others write under their
 * lock (the writers stay plain stores under that lock, as in the kernel). */
#define READ_ONCE(x)                                                           \
	({                                                                     \
		mmf_point(MMF_PT_ACCESS, &(x), MMF_SITE("READ_ONCE"));         \
		mm__racy_read(x);                                              \
	})
/* WRITE_ONCE(): the writer's side, under the writers' lock. */
#define WRITE_ONCE(x, val)                                                     \
	do {                                                                   \
		mmf_point(MMF_PT_ACCESS, &(x), MMF_SITE("WRITE_ONCE"));        \
		(x) = (val);                                                   \
	} while (0)

/* smp_store_release / smp_load_acquire: the marked accesses with their
 * ordering, which TSan sees as a release and an acquire on the location
 * (6.12's swap_range_free orders its cleanups before the inuse_pages
 * store with smp_wmb, and try_to_unuse reads it, then smp_mb). */
#define smp_store_release(p, v)                                                \
	do {                                                                   \
		mmf_point(MMF_PT_ACCESS, (p), MMF_SITE("smp_store_release"));  \
		mmf_tsan_release((void *)(p));                                 \
		__atomic_store_n((p), (v), __ATOMIC_RELEASE);                  \
	} while (0)
#define smp_load_acquire(p)                                                    \
	({                                                                     \
		mmf_point(MMF_PT_ACCESS, (p), MMF_SITE("smp_load_acquire"));   \
		__typeof__(*(p)) acq_v_ = __atomic_load_n((p), __ATOMIC_ACQUIRE); \
		mmf_tsan_acquire((void *)(p));                                 \
		acq_v_;                                                        \
	})

/* ---- page_alloc.c: frames, the allocator, reference counts --------------------- */
void mm_page_alloc_init(struct mm_model *M, int nr_frames);
/* Allocate a folio of nr_pages (1, 2 or 4), refcount 1.  GFP_KERNEL may sleep
 * (a scheduling point) and fails when the decision source injects a fault
 * at M->alloc_fail_rate.  Data is zeroed. */
struct folio *(folio_alloc)(int nr_pages, enum mmf_gfp gfp);
void (folio_get)(struct folio *f);
bool (folio_try_get)(struct folio *f);          /* fails on a zero count */
void (folio_ref_add)(struct folio *f, int nr);
void (folio_put)(struct folio *f);              /* final put frees */
void (folio_put_refs)(struct folio *f, int nr);
int folio_ref_count(struct folio *f);           /* a scheduling point */
int folio_mapcount(struct folio *f);
bool folio_maybe_dma_pinned(struct folio *f);
/* folio_ref_freeze/unfreeze: take the count from exactly 'count' to 0 (no
 * new reference can be had meanwhile: folio_try_get fails on 0), and set
 * it back.  The caller's accounting of which references those were stays
 * with the caller. */
bool folio_ref_freeze(struct folio *f, int count);
void folio_ref_unfreeze(struct folio *f, int count);
struct folio *pfn_folio(int pfn);
bool is_zero_folio(const struct folio *f);
/* The page allocator's free path with the kernel's bad-page checks; the
 * folio's count must already be zero. */
void (free_unref_folio)(struct folio *f);
int mm_nr_free_frames(struct mm_model *M);

/* folio lock (PG_locked bit lock, one lock class) and writeback */
void folio_lock(struct folio *f);
bool folio_trylock(struct folio *f);
/* Lock a new folio nobody else can see yet (no wait, no scheduling point). */
void __folio_set_locked(struct folio *f);
void folio_unlock(struct folio *f);
/* The caller passes its locked folio to the read, which unlocks it when it
 * is done (from the completion, in interrupt context): the caller no longer
 * holds the lock (sync.h, bit_lock_handoff). */
void folio_lock_handoff(struct folio *f);
void folio_wait_writeback(struct folio *f);
void folio_start_writeback(struct folio *f);
void folio_end_writeback(struct folio *f);
/* Page-flag operations: scheduling points by rule (sync.h), each at the
 * line that uses it. */
#define folio_test(f, bit) test_bit((bit), &(f)->flags)
#define folio_set(f, bit) set_bit((bit), (unsigned long *)&(f)->flags)
#define folio_clear(f, bit) clear_bit((bit), (unsigned long *)&(f)->flags)
#define VM_BUG_ON_FOLIO(cond, f)                                               \
	do {                                                                   \
		if (__builtin_expect(!!(cond), 0))                             \
			mmf_fail(MMF_FAIL_BUG, (f), MMF_SITE("VM_BUG_ON_FOLIO"), \
				 "kernel BUG: %s (folio pfn %d flags %#lx count %d map %d)", \
				 #cond, (f)->pfn, (f)->flags,                  \
				 __atomic_load_n(&(f)->_refcount.counter, __ATOMIC_RELAXED), \
				 __atomic_load_n(&(f)->_mapcount.counter, __ATOMIC_RELAXED)); \
	} while (0)

/* ---- swap.c: LRU lists ------------------------------------------------------------- */
void mm_lru_init(struct mm_model *M);
void folio_add_lru(struct folio *f);
void lru_add_drain(void);
void lru_add_drain_all(void);
/* Take f off the LRU for the caller, who holds a reference; on success
 * the LRU's claim becomes an extra reference the caller must put. */
bool (folio_isolate_lru)(struct folio *f);
void (folio_putback_lru)(struct folio *f);
/* Isolate up to nr folios from the head of the LRU; returns how many. */
int (isolate_lru_folios)(int nr, struct folio **out);

/* ---- swapfile.c: swap devices and swap_map ---------------------------------------------- */
int mm_swapon(int slots);                       /* returns type or -errno */
struct swap_info_struct *swp_swap_info(swp_entry_t e);  /* no reference taken */
struct swap_info_struct *(get_swap_device)(swp_entry_t e);
void (put_swap_device)(struct swap_info_struct *si);
swp_entry_t folio_alloc_swap(struct folio *f);  /* HAS_CACHE set on each slot */
int swapcache_prepare(swp_entry_t e);           /* 0, -EEXIST, -ENOENT */
int swapcache_prepare_nr(swp_entry_t e, int nr);
void swapcache_clear(struct swap_info_struct *si, swp_entry_t e, int nr);
int swap_duplicate(swp_entry_t e);              /* +1 pte reference */
void swap_free(swp_entry_t e);                  /* -1 pte reference */
void put_swap_folio(struct folio *f, swp_entry_t e); /* drop HAS_CACHE */
int __swap_count(swp_entry_t e);                /* pte references (no cache bit) */
bool folio_swapped(struct folio *f);            /* any slot of f still referenced */
int free_swap_and_cache(swp_entry_t e);
void swap_write_slot(swp_entry_t e, const uint8_t *data);
void swap_read_slot(swp_entry_t e, uint8_t *data);

/* ---- swap_state.c: the swap cache ---------------------------------------------------------- */
int add_to_swap_cache(struct folio *f, swp_entry_t e);
void __delete_from_swap_cache(struct folio *f, swp_entry_t e);
void __delete_from_swap_cache_locked(struct swap_info_struct *si, struct folio *f, swp_entry_t e);
void (delete_from_swap_cache)(struct folio *f); /* folio locked */
struct folio *(swap_cache_get_folio)(swp_entry_t e); /* with a reference, or NULL */
bool folio_free_swap(struct folio *f);          /* folio locked */
void free_swap_cache(struct folio *f);
void (free_folio_and_swap_cache)(struct folio *f);
/* Find or create the swap-cache folio for e.  A new folio comes back
 * locked with *new_page set; the caller starts the read. */
struct folio *read_swap_cache_async(swp_entry_t e, bool *new_page);
/* The faulting entry's folio after reading its neighbours (by swap offset,
 * or by the ptes around page v of mm), its read issued if new.  NULL with
 * *nomem set: no memory for it; NULL otherwise: the entry is dead. */
struct folio *swapin_readahead(swp_entry_t e, struct mm_struct *mm, int v, bool *new_page,
			       bool *nomem);

/* ---- vmscan.c: reclaim ------------------------------------------------------------------ */
/* Reclaim up to nr folios from the LRU: add to swap, unmap,
 * write out (zswap or the device), free.  Returns folios freed. */
int mm_reclaim(int nr);

/* ---- swapoff.c ------------------------------------------------------------------------------ */
int mm_swapoff(int type);                       /* 0, -EINVAL, -EINTR */

/* ---- migrate.c ------------------------------------------------------------------------------ */
/* Migrate the folios mapped (or swap-cached) at [first, first+n) of mm. */
int mm_migrate(int id, int first, int n);
/* Migrate the folios in page frames [first, first+n) (compaction). */
int mm_migrate_pfns(int first, int n);

/* ---- page_io.c: swap I/O on the in-memory device --------------------------------------
 * Completions run as interrupts: the write ends the folio's writeback, the
 * read marks it uptodate and unlocks it. */
void swap_writepage(struct folio *f);           /* locked, dirty, in swap cache */
void swap_writepage_nozswap(struct folio *f);
void swap_read_folio(struct folio *f);          /* locked, new in the swap cache */

/* ---- rmap.c: anon_vma and reverse mapping ----------------------------------------------------- */
/* The model's anon_vma cache (6.12's anon_vma_init), before any alloc. */
void anon_vma_init(struct mm_model *M);
struct anon_vma *(anon_vma_alloc)(void);         /* NULL: no memory */
/* Back to the cache at once (refcount 0; may sleep for a reader's lock). */
void anon_vma_free(struct anon_vma *av);
/* Link mm to av (mm's mmap_lock held for writing): 0 or -ENOMEM. */
int (anon_vma_link)(struct anon_vma *av, struct mm_struct *mm);
void anon_vma_unlink(struct mm_struct *mm);
void (get_anon_vma)(struct anon_vma *av);
void (put_anon_vma)(struct anon_vma *av);
/* Under RCU: a reference on the anon_vma of a mapped folio, or NULL. */
struct anon_vma *(folio_get_anon_vma)(struct folio *f);
/* Mapcounts (the caller holds the page-table lock): a new folio mapped at
 * vpage (its first page) in nr ptes, one per page; one more pte of page
 * sub (folio_add_anon_rmap_pte; fork: folio_dup_anon_rmap_pte); one pte
 * of page sub gone (a large folio left partly mapped is queued for a
 * deferred split). */
void folio_add_new_anon_rmap(struct folio *f, struct mm_struct *mm, int vpage, int nr);
void folio_add_anon_rmap_pte(struct folio *f, struct mm_struct *mm, int vpage, int sub);
void folio_dup_anon_rmap_pte(struct folio *f, int sub);
void folio_remove_rmap_pte(struct folio *f, int sub);
int folio_page_mapcount(struct folio *f, int sub);
/* Visit every (mm, vpage) that may map a page of f, anon_vma lock held. */
void rmap_walk(struct folio *f, void (*fn)(struct folio *, struct mm_struct *, int, void *),
	       void *arg);
enum ttu_mode { TTU_SWAP, TTU_MIGRATION };
/* Replace f's ptes by swap entries (f in swap cache) or migration entries.
 * Returns true if f is no longer mapped. */
bool try_to_unmap(struct folio *f, enum ttu_mode mode);
void try_to_migrate_locked(struct folio *f, struct anon_vma *av); /* av locked */
void remove_migration_ptes(struct folio *src, struct folio *dst);
/* After a split (or one given up), anon_vma held for writing: each
 * migration entry of page i of the folio at head's frame maps page
 * subs[i] of pages[i]. */
void remap_split_ptes(struct folio *head, struct folio *const *pages, const int *subs, int nr);
void mm_split_queue_init(struct mm_model *M);

/* ---- huge_memory.c: splitting large folios, the deferred split queue ------------------- */
/* Would a split of f (locked) find only the caller's caller_pins, its
 * mappings' and the swap cache's references? */
bool can_split_folio(struct folio *f, int caller_pins);
/* split_folio_to_list: f (locked, large, with the caller's reference)
 * becomes nr_pages small folios; f keeps the caller's reference and lock.
 * The others go to the LRU, or, with a list, onto it (isolated, with a
 * reference each for the list's owner).  0, -EBUSY or -EAGAIN. */
struct folio_list {
	int n;
	struct folio *f[32];
};
int split_folio_to_list(struct folio *f, struct folio_list *list);
void deferred_split_folio(struct folio *f);     /* partially mapped */
void folio_unqueue_deferred_split(struct folio *f); /* count zero */
/* The deferred split shrinker: split up to nr queued folios.  Returns
 * how many it split. */
int deferred_split_scan(int nr);
static inline unsigned long page_number(const struct folio *f, int sub)
{
	return (unsigned long)f->pfn * MM_MAX_FOLIO_PAGES + (unsigned long)sub;
}
struct folio *pte_folio(pte_t p, int *sub);

/* ---- reference tracking (sched/reftrack.h) ------------------------------------------------
 * Every get and put of a folio, an anon_vma and a swap device's users ref
 * is reported to the tracker with the site of the model code that asked
 * for it, so leak, hang and underflow reports name who took a reference.
 * The functions above keep their names (the traces record them as
 * decision sites); these macros wrap them.  Gets are reported after the
 * count went up, puts before it goes down (reftrack.h).  The zero folio's
 * count is not kept (folio_put ignores it) and is not tracked. */
static inline bool mm_folio_tracked(const struct folio *f) { return f->pfn != MM_MAX_FRAMES; }
static inline bool mm_ref_got(const void *obj, const char *type, bool got,
			      const struct mmf_site *at)
{
	if (got)
		mmf_ref_get(obj, type, 1, at);
	return got;
}
static inline struct folio *mm_folio_alloc_at(int nr, enum mmf_gfp gfp, const struct mmf_site *at)
{
	struct folio *f = (folio_alloc)(nr, gfp);
	if (f)
		mmf_ref_new(f, "folio", 1, false, at);
	return f;
}
static inline void mm_folio_ref_add_at(struct folio *f, int nr, const struct mmf_site *at)
{
	(folio_ref_add)(f, nr);
	if (mm_folio_tracked(f))
		mmf_ref_get(f, "folio", nr, at);
}
static inline bool mm_folio_try_get_at(struct folio *f, const struct mmf_site *at)
{
	bool got = (folio_try_get)(f);
	if (got && mm_folio_tracked(f))
		mmf_ref_get(f, "folio", 1, at);
	return got;
}
static inline void mm_folio_put_refs_at(struct folio *f, int nr, const struct mmf_site *at)
{
	if (mm_folio_tracked(f))
		mmf_ref_put(f, nr, at);
	(folio_put_refs)(f, nr);
}
static inline void mm_folio_put_at(struct folio *f, const struct mmf_site *at)
{
	if (mm_folio_tracked(f))
		mmf_ref_put(f, 1, at);
	(folio_put)(f);
}
static inline void mm_free_unref_folio_at(struct folio *f, const struct mmf_site *at)
{
	mmf_ref_free(f, at);
	(free_unref_folio)(f);
}
static inline void mm_folio_get_at(struct folio *f, const struct mmf_site *at)
{
	(folio_get)(f);
	if (mm_folio_tracked(f))
		mmf_ref_get(f, "folio", 1, at);
}
static inline int mm_isolate_lru_folios_at(int nr, struct folio **out, const struct mmf_site *at)
{
	int n = (isolate_lru_folios)(nr, out);
	for (int i = 0; i < n; i++)
		mmf_ref_get(out[i], "folio", 1, at);
	return n;
}
#define folio_alloc(nr, gfp) mm_folio_alloc_at((nr), (gfp), MMF_SITE("folio_alloc"))
#define folio_get(f) mm_folio_get_at((f), MMF_SITE("folio_get"))
#define folio_try_get(f) mm_folio_try_get_at((f), MMF_SITE("folio_try_get"))
#define folio_ref_add(f, nr) mm_folio_ref_add_at((f), (nr), MMF_SITE("folio_ref_add"))
#define folio_put(f) mm_folio_put_at((f), MMF_SITE("folio_put"))
#define folio_put_refs(f, nr) mm_folio_put_refs_at((f), (nr), MMF_SITE("folio_put_refs"))
#define free_unref_folio(f) mm_free_unref_folio_at((f), MMF_SITE("free_unref_folio"))
#define isolate_lru_folios(nr, out)                                            \
	mm_isolate_lru_folios_at((nr), (out), MMF_SITE("isolate_lru_folios"))
/* The LRU's helpers take and drop their reference for the caller, as
 * free_folio_and_swap_cache drops the caller's page-table reference; the
 * swap cache's own references are recorded in swap_state.c, whoever
 * deletes (a put prefers a reference taken in its own file: reftrack.h). */
static inline void mm_free_folio_and_swap_cache_at(struct folio *f, const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	(free_folio_and_swap_cache)(f);
	mmf_ref_outer(outer);
}
static inline void mm_delete_from_swap_cache_at(struct folio *f)
{
	const struct mmf_site *outer = mmf_ref_outer(NULL);
	(delete_from_swap_cache)(f);
	mmf_ref_outer(outer);
}
#define free_folio_and_swap_cache(f)                                           \
	mm_free_folio_and_swap_cache_at((f), MMF_SITE("free_folio_and_swap_cache"))
#define delete_from_swap_cache(f) mm_delete_from_swap_cache_at(f)
static inline bool mm_folio_isolate_lru_at(struct folio *f, const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	bool got = (folio_isolate_lru)(f);
	mmf_ref_outer(outer);
	return got;
}
static inline void mm_folio_putback_lru_at(struct folio *f, const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	(folio_putback_lru)(f);
	mmf_ref_outer(outer);
}
#define folio_isolate_lru(f) mm_folio_isolate_lru_at((f), MMF_SITE("folio_isolate_lru"))
#define folio_putback_lru(f) mm_folio_putback_lru_at((f), MMF_SITE("folio_putback_lru"))

/* A swap device's users: percpu_ref tracks its own gets and puts (sync.h);
 * these record them on behalf of the caller of get/put_swap_device. */
static inline struct swap_info_struct *mm_get_swap_device_at(swp_entry_t e,
							     const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	struct swap_info_struct *si = (get_swap_device)(e);
	mmf_ref_outer(outer);
	return si;
}
static inline void mm_put_swap_device_at(struct swap_info_struct *si, const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	(put_swap_device)(si);
	mmf_ref_outer(outer);
}
#define get_swap_device(e) mm_get_swap_device_at((e), MMF_SITE("get_swap_device"))
#define put_swap_device(si) mm_put_swap_device_at((si), MMF_SITE("put_swap_device"))

static inline struct anon_vma *mm_anon_vma_alloc_at(const struct mmf_site *at)
{
	struct anon_vma *av = (anon_vma_alloc)();
	if (av)
		mmf_ref_new(av, "anon_vma", 0, false, at);
	return av;
}
static inline int mm_anon_vma_link_at(struct anon_vma *av, struct mm_struct *mm,
				      const struct mmf_site *at)
{
	int err = (anon_vma_link)(av, mm);
	mm_ref_got(av, "anon_vma", !err, at);
	return err;
}
static inline void mm_put_anon_vma_at(struct anon_vma *av, const struct mmf_site *at)
{
	mmf_ref_put(av, 1, at);
	(put_anon_vma)(av);
}
static inline void mm_get_anon_vma_at(struct anon_vma *av, const struct mmf_site *at)
{
	(get_anon_vma)(av);
	mmf_ref_get(av, "anon_vma", 1, at);
}
static inline struct anon_vma *mm_folio_get_anon_vma_at(struct folio *f,
							const struct mmf_site *at)
{
	const struct mmf_site *outer = mmf_ref_outer(at);
	struct anon_vma *av = (folio_get_anon_vma)(f);
	mmf_ref_outer(outer);
	return av;
}
/* atomic_inc_not_zero of an anon_vma's count, tracked; the atomic's site
 * stays the line that uses this (the trace records it), so this is a macro
 * and av is evaluated twice. */
#define anon_vma_tryget(av)                                                    \
	mm_ref_got((av), "anon_vma", atomic_inc_not_zero(&(av)->refcount),     \
		   MMF_SITE("anon_vma_tryget"))
#define anon_vma_alloc() mm_anon_vma_alloc_at(MMF_SITE("anon_vma_alloc"))
#define anon_vma_link(av, mm) mm_anon_vma_link_at((av), (mm), MMF_SITE("anon_vma_link"))
#define get_anon_vma(av) mm_get_anon_vma_at((av), MMF_SITE("get_anon_vma"))
#define put_anon_vma(av) mm_put_anon_vma_at((av), MMF_SITE("put_anon_vma"))
#define folio_get_anon_vma(f) mm_folio_get_anon_vma_at((f), MMF_SITE("folio_get_anon_vma"))

/* Whether an address space is live.  An mm created mid-run (exec) is
 * published by a release store of ->live once its anon_vma is linked, and
 * other tasks reach it by index, not through a lock its creator held:
 * every check is this acquire load, before anything else of the mm. */
static inline bool mm_live(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->live, __ATOMIC_ACQUIRE);
}

#endif
