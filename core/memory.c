/* memory.c - models mm/memory.c for anonymous memory: user access with
 * faults (do_anonymous_page, do_swap_page, do_wp_page, migration-entry
 * waits), fork's page-table copy (copy_pte_range with swap_duplicate),
 * and zap (munmap, MADV_DONTNEED, exit: free_swap_and_cache, page
 * release); plus the
 * address-space lifecycle of kernel/fork.c and mm/mmap.c.
 * Deviations: one vma per mm covering MM_VPAGES pages (munmap takes pages
 * out of it for good, no mmap puts them back), one page-table lock
 * per mm, no TLB batching (pages are released right after the lock drops),
 * read faults on an empty pte map the shared zero page.
 *
 * Kernel: Linux 6.12 (do_anonymous_page with the pte re-check and mTHP,
 * do_swap_page, copy_pte_range, munmap's write lock and downgrade,
 * exit_mmap); do_wp_page reuses by 6.12's refcount rule for small folios
 * (wp_can_reuse_anon_folio) without the PG_anon_exclusive fast path;
 * no per-VMA locks.  do_swap_page skips the swap cache on a
 * SWP_SYNCHRONOUS_IO device for an entry only one pte holds, reading into
 * a private folio claimed through SWAP_HAS_CACHE (swapcache_prepare, the
 * 2024 fix against entry reuse), order 1 when zswap was never enabled and
 * the aligned pair of ptes holds the folio's two slots (alloc_swap_folio,
 * can_swapin_thp), as 6.12 does.
 */
#define _GNU_SOURCE
#include "memory.h"
#include "shadow.h"

#include <errno.h>
#include <string.h>

enum { FAULT_DONE, FAULT_RETRY, FAULT_OOM };

static struct mm_struct *get_mm(int id)
{
	struct mm_model *M = MM();
	BUG_ON(id < 0 || id >= __atomic_load_n(&M->nr_mm, __ATOMIC_ACQUIRE));
	return &M->mm[id];
}

/* ---- address spaces ---------------------------------------------------------- */

static void mm_init_struct(struct mm_struct *mm, int id, int parent)
{
	memset(mm, 0, sizeof(*mm));
	mm->id = id;
	mm->parent = parent;
	init_rwsem(&mm->mmap_lock);
	spin_lock_init(&mm->ptl);
}

/* Hand out an address-space slot, initialised before other tasks (which
 * walk mm[0..nr_mm)) can see it; it is not live until its creator says. */
static int mm_slot(int parent)
{
	struct mm_model *M = MM();
	spin_lock(&M->mmlist_lock);
	int id = M->nr_mm < MM_MAX_MMS ? M->nr_mm : -1;
	if (id >= 0) {
		mm_init_struct(&M->mm[id], id, parent);
		/* Lockless readers (get_mm) see the slot only once initialised. */
		__atomic_store_n(&M->nr_mm, id + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&M->mmlist_lock);
	return id;
}

int mm_create(void)
{
	struct mm_model *M = MM();
	int id = mm_slot(-1);
	if (id < 0)
		return -ENOMEM;
	struct mm_struct *mm = &M->mm[id];
	struct anon_vma *av = anon_vma_alloc();
	if (!av)
		return -ENOMEM;         /* the slot stays, never live */
	if (anon_vma_link(av, mm)) {
		anon_vma_free(av);
		return -ENOMEM;
	}
	__atomic_store_n(&mm->live, true, __ATOMIC_RELEASE);
	return id;
}

bool mm_is_live(int id)
{
	struct mm_model *M = MM();
	return id >= 0 && id < __atomic_load_n(&M->nr_mm, __ATOMIC_ACQUIRE) &&
	       mm_live(&M->mm[id]);
}

/* ---- faults -------------------------------------------------------------------- */

/* A new anon folio nobody else maps goes into its nr ptes from first,
 * writable and dirty, with one reference per pte (ptl held). */
static void map_new_anon_folio(struct mm_struct *mm, struct folio *f, int first)
{
	int nr = f->nr_pages;
	folio_ref_add(f, nr - 1);
	folio_add_new_anon_rmap(f, mm, first, nr);
	for (int i = 0; i < nr; i++)
		mm->pte[first + i] = mk_pte(PTE_PRESENT, page_number(f, i), true);
	folio_set(f, PG_dirty);
}

static int do_anonymous_page(struct mm_struct *mm, int v, bool write)
{
	struct mm_model *M = MM();

	if (!write) {
		/* A read of untouched memory maps the shared zero page. */
		spin_lock(&mm->ptl);
		if (pte_kind(mm->pte[v]) == PTE_NONE)
			mm->pte[v] = mk_pte(PTE_PRESENT, page_number(&M->zero_folio, 0), false);
		spin_unlock(&mm->ptl);
		return FAULT_RETRY;
	}
	/* alloc_anon_folio (mTHP): the possible orders are those whose
	 * aligned range lies in the vma with every pte empty; the decision
	 * source picks the largest to try (which orders are enabled), and a
	 * failed allocation falls back to the next possible order down. */
	unsigned orders = 1;
	spin_lock(&mm->ptl);
	for (int n = 2; n <= MM_MAX_FOLIO_PAGES; n *= 2) {
		int first = v & ~(n - 1);
		bool empty = (M->thp_orders & (unsigned)n) && first + n <= MM_VPAGES;
		for (int i = 0; empty && i < n; i++)
			empty = !mm->unmapped[first + i] && pte_kind(mm->pte[first + i]) == PTE_NONE;
		if (empty)
			orders |= (unsigned)n;
	}
	spin_unlock(&mm->ptl);
	int nr = 1;
	if (orders > 1)
		nr = 1 << mmf_decide_value((uint64_t)(32 - __builtin_clz(orders)),
					   MMF_SITE("anon folio order"));
	struct folio *f = NULL;
	for (; nr > 1 && !f; nr /= 2)
		if ((orders & (unsigned)nr) && (f = folio_alloc(nr, GFP_KERNEL)))
			break;
	if (!f)
		f = folio_alloc(1, GFP_KERNEL);
	if (!f)
		return FAULT_OOM;
	int first = v & ~(nr - 1);

	spin_lock(&mm->ptl);
	if (!mm_variant(V_ANON_FAULT_DOUBLE_ALLOC)) {
		/* The allocation may have slept: another thread may have
		 * filled the pte meanwhile.  Install only over empty ptes. */
		for (int i = 0; i < nr; i++) {
			if (pte_kind(mm->pte[first + i]) != PTE_NONE) {
				spin_unlock(&mm->ptl);
				folio_put(f);
				return FAULT_RETRY;
			}
		}
	}
	folio_set(f, PG_uptodate);
	map_new_anon_folio(mm, f, first);
	folio_add_lru(f);
	spin_unlock(&mm->ptl);
	return FAULT_RETRY;
}

/* alloc_swap_folio's choice of order for a swap-in that skips the swap
 * cache: the decision source picks the largest order to try (mTHP
 * enabled); an order is possible when zswap was never enabled (it cannot
 * load a large folio), the aligned range of ptes lies in the vma and holds
 * contiguous slots starting at an offset aligned as the address
 * (can_swapin_thp), and none of the slots is cached (non_swapcache_batch). */
static bool swapin_range_ok(struct mm_struct *mm, int first, int nr, swp_entry_t e0,
			    struct swap_info_struct *si)
{
	unsigned long off0 = swp_offset(e0);
	if (first + nr > MM_VPAGES || off0 % (unsigned long)nr || off0 + (unsigned long)nr > si->max)
		return false;
	bool ok = true;
	spin_lock(&mm->ptl);
	for (int i = 0; ok && i < nr; i++)
		ok = !mm->unmapped[first + i] &&
		     mm->pte[first + i] ==
			     mk_pte(PTE_SWAP, swp_entry(swp_type(e0), off0 + (unsigned long)i).val, false);
	spin_unlock(&mm->ptl);
	for (int i = 0; ok && i < nr; i++)
		ok = !(data_race(si->swap_map[off0 + (unsigned long)i]) & SWAP_HAS_CACHE);
	return ok;
}

static int swapin_order(struct mm_struct *mm, int v, pte_t orig, struct swap_info_struct *si)
{
	swp_entry_t e = pte_to_swp_entry(orig);
	if (MM()->zswap_enabled)
		return 1;
	unsigned orders = 1;
	for (int n = 2; n <= MM_MAX_FOLIO_PAGES; n *= 2) {
		int first = v & ~(n - 1);
		if (!(MM()->thp_orders & (unsigned)n) || swp_offset(e) < (unsigned long)(v - first))
			continue;
		swp_entry_t e0 = swp_entry(swp_type(e), swp_offset(e) - (unsigned long)(v - first));
		if (swapin_range_ok(mm, first, n, e0, si))
			orders |= (unsigned)n;
	}
	if (orders == 1)
		return 1;
	int nr = 1 << mmf_decide_value((uint64_t)(32 - __builtin_clz(orders)),
				       MMF_SITE("swapin folio order"));
	while (nr > 1 && !(orders & (unsigned)nr))
		nr /= 2;
	return nr;
}

/* do_swap_page without the swap cache (SWP_SYNCHRONOUS_IO, one pte holds
 * the entry): read into a private folio.  The slots' SWAP_HAS_CACHE is
 * claimed first so that no other swap-in of them proceeds meanwhile; else
 * a racing swap-in could finish, free the entry, and a swap-out reuse it
 * for other data, which the pte comparison below could not tell apart. */
static int do_swap_page_direct(struct mm_struct *mm, int v, pte_t orig, bool write,
			       struct swap_info_struct *si)
{
	int nr = swapin_order(mm, v, orig, si);
	int first = v & ~(nr - 1);
	swp_entry_t e = pte_to_swp_entry(orig);
	e = swp_entry(swp_type(e), swp_offset(e) - (unsigned long)(v - first));
	struct folio *f = folio_alloc(nr, GFP_KERNEL);
	if (!f) {
		spin_lock(&mm->ptl);
		bool same = mm->pte[v] == orig;
		spin_unlock(&mm->ptl);
		put_swap_device(si);
		return same ? FAULT_OOM : FAULT_RETRY;
	}
	/* Nobody else can see the new folio yet: its lock is uncontended. */
	__folio_set_locked(f);
	folio_set(f, PG_swapbacked);
	if (swapcache_prepare_nr(e, nr)) {
		/* Another swap-in of these slots runs (or the entry died):
		 * relax a jiffy and let the fault retry. */
		schedule_timeout(1);
		folio_unlock(f);
		folio_put(f);
		put_swap_device(si);
		return FAULT_RETRY;
	}
	folio_add_lru(f);
	f->swap = e;                    /* for the read only */
	swap_read_folio(f);             /* synchronous: unlocks when done */
	f->swap.val = 0;
	folio_lock(f);

	int ok = 1;
	spin_lock(&mm->ptl);
	for (int i = 0; i < nr; i++)
		ok &= mm->pte[first + i] ==
		      mk_pte(PTE_SWAP, swp_entry(swp_type(e), swp_offset(e) + (unsigned long)i).val,
			     false);
	if (ok) {
		VM_BUG_ON_FOLIO(!folio_test(f, PG_uptodate), f);
		/* A fresh folio nobody else saw: exclusive, so writable.  The
		 * slots are freed below, so this folio is the only copy. */
		for (int i = 0; i < nr; i++)
			swap_free(swp_entry(swp_type(e), swp_offset(e) + (unsigned long)i));
		map_new_anon_folio(mm, f, first);
	}
	folio_unlock(f);
	spin_unlock(&mm->ptl);
	if (!ok)
		folio_put(f);   /* somebody else faulted the pte in: back out */
	/* Clear the claim only now, after the page-table lock. */
	swapcache_clear(si, e, nr);
	put_swap_device(si);
	(void)write;
	return FAULT_RETRY;
}

static int do_swap_page(struct mm_struct *mm, int v, pte_t orig, bool write)
{
	swp_entry_t e = pte_to_swp_entry(orig);
	unsigned type = swp_type(e) < MM_MAX_SWAPFILES ? swp_type(e) : 0;
	unsigned long gen = __atomic_load_n(&MM()->swap_gen[type], __ATOMIC_RELAXED);
	struct swap_info_struct *si = get_swap_device(e);
	struct folio *f;
	bool new_page = false;

	if (!si) {
		/* The kernel retries the fault.  The oracle: if the pte still
		 * holds the entry of the device that went away (not the same
		 * value on a device swapped on since: a swapoff, a swapon of
		 * that type and a new swap-out may come between), swapoff left
		 * it behind and its data is lost. */
		spin_lock(&mm->ptl);
		bool same = mm->pte[v] == orig &&
			    __atomic_load_n(&MM()->swap_gen[type], __ATOMIC_RELAXED) == gen;
		spin_unlock(&mm->ptl);
		if (same)
			mmf_fail(MMF_FAIL_DATA, mm, MMF_SITE("do_swap_page"),
				 "lost data: mm %d page %d maps swap entry %#lx of a device that "
				 "is gone", mm->id, v, e.val);
		return FAULT_RETRY;
	}
	f = swap_cache_get_folio(e);
	if (!f && data_race(si->flags & SWP_SYNCHRONOUS_IO) && __swap_count(e) == 1)
		return do_swap_page_direct(mm, v, orig, write, si);
	if (!f) {
		bool nomem;
		f = swapin_readahead(e, mm, v, &new_page, &nomem);
		if (!f) {
			spin_lock(&mm->ptl);
			bool same = mm->pte[v] == orig;
			spin_unlock(&mm->ptl);
			put_swap_device(si);
			/* Gone (another fault or swapoff got it): retry.  Still
			 * there: the allocator failed, or the entry died and the
			 * page went out to the same slot again since (an ABA
			 * pte_same cannot see).  6.12 returns VM_FAULT_OOM for
			 * both, and its fault handler retries
			 * (pagefault_out_of_memory); the model ends the access
			 * with -ENOMEM only when memory really ran out. */
			return same && nomem ? FAULT_OOM : FAULT_RETRY;
		}
	}
	folio_lock(f);
	/* While we slept, the folio may have left the swap cache or been
	 * reused for another entry. */
	unsigned long off = swp_offset(e);
	if (!folio_test(f, PG_swapcache) || swp_type(f->swap) != swp_type(e) ||
	    off < swp_offset(f->swap) || off >= swp_offset(f->swap) + (unsigned long)f->nr_pages) {
		folio_unlock(f);
		folio_put(f);
		put_swap_device(si);
		return FAULT_RETRY;
	}
	int sub = (int)(off - swp_offset(f->swap));
	/* To map it writable the count must show we are its only user. */
	if (write && !folio_test(f, PG_lru))
		lru_add_drain();
	spin_lock(&mm->ptl);
	if (mm->pte[v] != orig) {
		spin_unlock(&mm->ptl);
		folio_unlock(f);
		folio_put(f);
		put_swap_device(si);
		return FAULT_RETRY;
	}
	VM_BUG_ON_FOLIO(!folio_test(f, PG_uptodate), f);
	/* The pte's reference moves from the swap slot to the folio (the
	 * lookup reference becomes the pte's). */
	swap_free(e);
	folio_add_anon_rmap_pte(f, mm, v - sub, sub);
	bool exclusive = folio_mapcount(f) == 1 && !folio_swapped(f);
	bool writable = write && exclusive;
	mm->pte[v] = mk_pte(PTE_PRESENT, page_number(f, sub), writable);
	if (writable) {
		/* Written from now on: the swap copy goes stale, drop it. */
		folio_set(f, PG_dirty);
		folio_free_swap(f);
	}
	/* Unlock before the page-table lock goes, as the kernel does: our
	 * reference is the pte's now, and once the lock is dropped a zap
	 * may put it and free the folio (a locked one, if we were late). */
	folio_unlock(f);
	spin_unlock(&mm->ptl);
	put_swap_device(si);
	return FAULT_RETRY;
}

static int do_wp_page(struct mm_struct *mm, int v, pte_t orig)
{
	struct mm_model *M = MM();
	int sub;
	struct folio *old = pte_folio(orig, &sub);

	spin_lock(&mm->ptl);
	if (mm->pte[v] != orig) {
		spin_unlock(&mm->ptl);
		return FAULT_RETRY;
	}
	/* A reference a CPU's LRU batch holds would spoil the count:
	 * drain this CPU's (wp_can_reuse_anon_folio). */
	if (!is_zero_folio(old) && !folio_test(old, PG_lru))
		lru_add_drain();
	if (!is_zero_folio(old) && folio_trylock(old)) {
		/* Reuse: we are the only mapping and no swap slot or other
		 * user shares the page.  Never a page of a large folio (6.12
		 * gives those back sooner by copying). */
		int cache = folio_test(old, PG_swapcache) ? old->nr_pages : 0;
		bool reuse = old->nr_pages == 1 && folio_mapcount(old) == 1 &&
			     folio_ref_count(old) == 1 + cache &&
			     (!cache || !folio_swapped(old));
		if (reuse) {
			if (cache)
				folio_free_swap(old);
			mm->pte[v] = orig | PTE_WRITE;
			folio_set(old, PG_dirty);
			folio_unlock(old);
			spin_unlock(&mm->ptl);
			return FAULT_RETRY;
		}
		folio_unlock(old);
	}
	/* Hold the old page while copying it (the zero page needs no hold). */
	if (!is_zero_folio(old))
		folio_get(old);
	spin_unlock(&mm->ptl);

	struct folio *nf = folio_alloc(1, GFP_KERNEL);
	if (!nf) {
		folio_put(old);
		return FAULT_OOM;
	}
	user_copy(nf->data[0], old->data[sub]);
	folio_set(nf, PG_uptodate);

	spin_lock(&mm->ptl);
	if (mm->pte[v] != orig) {
		spin_unlock(&mm->ptl);
		folio_put(nf);
		folio_put(old);
		return FAULT_RETRY;
	}
	folio_add_new_anon_rmap(nf, mm, v, 1);
	folio_set(nf, PG_dirty);
	folio_add_lru(nf);
	mm->pte[v] = mk_pte(PTE_PRESENT, page_number(nf, 0), true);
	if (!is_zero_folio(old))
		folio_remove_rmap_pte(old, sub);
	spin_unlock(&mm->ptl);
	if (!is_zero_folio(old))
		free_folio_and_swap_cache(old); /* the old pte's reference */
	folio_put(old);                         /* ours */
	(void)M;
	return FAULT_RETRY;
}

/* Wait until the folio under migration is unlocked, then retry. */
static int migration_entry_wait(struct mm_struct *mm, int v, pte_t orig)
{
	struct folio *f = pte_folio(orig, NULL);
	spin_lock(&mm->ptl);
	bool same = mm->pte[v] == orig;
	spin_unlock(&mm->ptl);
	/* 6.12 (migration_entry_wait_on_locked): no reference (a frozen count
	 * gives none), the frame stays a folio; wait for the unlock, retry. */
	if (same)
		bit_wait(PG_locked, &f->flags, "folio under migration");
	return FAULT_RETRY;
}

static int handle_pte_fault(struct mm_struct *mm, int v, bool write, pte_t orig)
{
	switch (pte_kind(orig)) {
	case PTE_NONE:
		return do_anonymous_page(mm, v, write);
	case PTE_SWAP:
		return do_swap_page(mm, v, orig, write);
	case PTE_MIGRATION:
		return migration_entry_wait(mm, v, orig);
	case PTE_PRESENT:
		return write ? do_wp_page(mm, v, orig) : FAULT_RETRY;
	}
	return FAULT_RETRY;
}

int mm_access(int id, int v, bool write)
{
	struct mm_model *M = MM();
	struct mm_struct *mm = get_mm(id);

	BUG_ON(v < 0 || v >= MM_VPAGES);
	for (;;) {
		down_read(&mm->mmap_lock);
		if (!mm_live(mm) || mm->unmapped[v]) {
			up_read(&mm->mmap_lock);
			return -EFAULT;         /* no vma: SIGSEGV */
		}
		spin_lock(&mm->ptl);
		pte_t p = mm->pte[v];
		if (pte_kind(p) == PTE_PRESENT && (!write || pte_write(p))) {
			int sub;
			struct folio *f = pte_folio(p, &sub);
			if (write)
				shadow_write(M->shadow, id, v, f->data[sub]);
			else
				shadow_check(M->shadow, id, v, f->data[sub], "read");
			spin_unlock(&mm->ptl);
			up_read(&mm->mmap_lock);
			return 0;
		}
		spin_unlock(&mm->ptl);
		int r = handle_pte_fault(mm, v, write, p);
		up_read(&mm->mmap_lock);
		if (r == FAULT_OOM)
			return -ENOMEM;
		cond_resched();
	}
}

/* ---- fork ---------------------------------------------------------------------- */

static void zap_range(struct mm_struct *mm, int first, int n);


int mm_fork(int parent_id)
{
	struct mm_model *M = MM();
	struct mm_struct *parent = get_mm(parent_id);

	down_write(&parent->mmap_lock);
	if (!mm_live(parent)) {
		up_write(&parent->mmap_lock);
		return -EFAULT;
	}
	int id = mm_slot(parent_id);
	if (id < 0) {
		up_write(&parent->mmap_lock);
		return -ENOMEM;
	}
	struct mm_struct *child = &M->mm[id];
	down_write(&child->mmap_lock);
	memcpy(child->unmapped, parent->unmapped, sizeof(child->unmapped)); /* dup_mmap's vmas */
	if (anon_vma_link(parent->anon_vma, child)) {
		/* dup_mmap fails with -ENOMEM before any pte is copied; the
		 * kernel frees the new mm, the model's slot stays, never
		 * live, like an exited one. */
		up_write(&child->mmap_lock);
		up_write(&parent->mmap_lock);
		return -ENOMEM;
	}

	struct folio *prealloc = NULL;
	int v = 0;
again:
	spin_lock(&parent->ptl);
	spin_lock(&child->ptl);
	for (; v < MM_VPAGES; v++) {
		pte_t p = parent->pte[v];
		switch (pte_kind(p)) {
		case PTE_NONE:
			break;
		case PTE_PRESENT: {
			int sub;
			struct folio *f = pte_folio(p, &sub);
			if (!is_zero_folio(f) && folio_mapcount(f) == 1 &&
			    folio_maybe_dma_pinned(f)) {
				/* The parent's page may be a DMA target: it stays
				 * the parent's, writable as it was, and the child
				 * gets its own copy now (copy_present_page).  The
				 * copy is allocated with the locks dropped, then
				 * this pte is looked at again. */
				if (!prealloc) {
					spin_unlock(&child->ptl);
					spin_unlock(&parent->ptl);
					prealloc = folio_alloc(1, GFP_KERNEL);
					if (!prealloc)
						goto fail_copy;
					goto again;
				}
				struct folio *nf = prealloc;
				prealloc = NULL;
				user_copy(nf->data[0], f->data[sub]);
				folio_set(nf, PG_uptodate);
				folio_set(nf, PG_dirty);
				folio_add_new_anon_rmap(nf, child, v, 1);
				folio_add_lru(nf);
				child->pte[v] = mk_pte(PTE_PRESENT, page_number(nf, 0), true);
				break;
			}
			if (!is_zero_folio(f)) {
				folio_get(f);
				folio_dup_anon_rmap_pte(f, sub);
			}
			/* Both sides copy on write from now on. */
			p &= ~PTE_WRITE;
			parent->pte[v] = p;
			child->pte[v] = p;
			break;
		}
		case PTE_SWAP:
			if (swap_duplicate(pte_to_swp_entry(p)) < 0)
				break;
			child->pte[v] = p;
			break;
		case PTE_MIGRATION:
			p &= ~PTE_WRITE;
			parent->pte[v] = p;
			child->pte[v] = p;
			break;
		}
	}
	shadow_fork(M->shadow, parent_id, id);
	spin_unlock(&child->ptl);
	spin_unlock(&parent->ptl);
	if (prealloc)
		folio_put(prealloc);    /* the pte changed meanwhile: unused */
	__atomic_store_n(&child->live, true, __ATOMIC_RELEASE);
	up_write(&child->mmap_lock);
	up_write(&parent->mmap_lock);
	return id;

fail_copy:
	/* dup_mmap fails: the half-copied child is torn down as exit_mmap
	 * would (its slot stays, never live). */
	zap_range(child, 0, MM_VPAGES);
	anon_vma_unlink(child);
	up_write(&child->mmap_lock);
	up_write(&parent->mmap_lock);
	return -ENOMEM;
}

/* ---- zap: munmap and exit -------------------------------------------------------- */

/* Caller holds mmap_lock for reading: as munmap (after downgrading) and
 * exit_mmap do, the zap runs concurrently with faults,
 * swapoff's unuse walk and other readers; the page-table lock orders it
 * against them pte by pte. */
static void zap_range(struct mm_struct *mm, int first, int n)
{
	struct mm_model *M = MM();
	struct folio *release[MM_VPAGES];
	int nrel = 0;

	spin_lock(&mm->ptl);
	for (int v = first; v < first + n && v < MM_VPAGES; v++) {
		pte_t p = mm->pte[v];
		mm->pte[v] = 0;
		shadow_forget(M->shadow, mm->id, v);
		switch (pte_kind(p)) {
		case PTE_NONE:
		case PTE_MIGRATION:     /* the migrating task holds the folio */
			break;
		case PTE_PRESENT: {
			int sub;
			struct folio *f = pte_folio(p, &sub);
			if (is_zero_folio(f))
				break;
			if (pte_write(p))
				folio_set(f, PG_dirty);
			folio_remove_rmap_pte(f, sub);
			release[nrel++] = f;
			break;
		}
		case PTE_SWAP:
			free_swap_and_cache(pte_to_swp_entry(p));
			break;
		}
	}
	spin_unlock(&mm->ptl);
	if (nrel)
		lru_add_drain();        /* free_pages_and_swap_cache */
	for (int i = 0; i < nrel; i++)
		free_folio_and_swap_cache(release[i]);
}

/* munmap (do_vmi_align_munmap): under the write lock detach the range from
 * the vma, so that no fault or lookup finds it again (an access there is a
 * SIGSEGV from now on); then downgrade to the read lock and zap the ptes
 * while faults elsewhere in the mm and swapoff's walk go on. */
void mm_munmap(int id, int first, int n)
{
	struct mm_struct *mm = get_mm(id);
	down_write(&mm->mmap_lock);
	if (!mm_live(mm)) {
		up_write(&mm->mmap_lock);
		return;
	}
	for (int v = first; v < first + n && v < MM_VPAGES; v++)
		mm->unmapped[v] = true;
	downgrade_write(&mm->mmap_lock);
	zap_range(mm, first, n);
	up_read(&mm->mmap_lock);
}

/* madvise(MADV_DONTNEED) (madvise_dontneed_single_vma): the range stays
 * mapped; its ptes are zapped under the read lock only, concurrently with
 * faults in the same mm, and a later access faults in new memory. */
void mm_madvise_dontneed(int id, int first, int n)
{
	struct mm_struct *mm = get_mm(id);
	down_read(&mm->mmap_lock);
	/* Each mapped stretch of the range is zapped; holes are skipped
	 * (the kernel returns -ENOMEM for them after zapping the rest). */
	for (int v = first; mm_live(mm) && v < first + n && v < MM_VPAGES;) {
		int end = v;
		while (end < first + n && end < MM_VPAGES && !mm->unmapped[end])
			end++;
		if (end > v)
			zap_range(mm, v, end - v);
		v = end + 1;
	}
	up_read(&mm->mmap_lock);
}

/* exit_mmap: no new faults once the mm is dead (the write lock orders
 * that against every reader that checks mm->live); the zap runs under
 * the read lock; the anon_vma goes under the write lock again. */
bool mm_exit(int id)
{
	struct mm_struct *mm = get_mm(id);
	down_write(&mm->mmap_lock);
	bool was_live = mm_live(mm);
	__atomic_store_n(&mm->live, false, __ATOMIC_RELEASE);
	up_write(&mm->mmap_lock);
	if (!was_live)
		return false;
	down_read(&mm->mmap_lock);
	zap_range(mm, 0, MM_VPAGES);
	up_read(&mm->mmap_lock);
	down_write(&mm->mmap_lock);
	anon_vma_unlink(mm);
	up_write(&mm->mmap_lock);
	return true;
}

/* ---- looking up a page by address --------------------------------------------- */

struct folio *mm_get_folio(int id, int v, bool swapcache)
{
	struct mm_struct *mm = get_mm(id);
	struct folio *f = NULL;
	down_read(&mm->mmap_lock);
	if (mm_live(mm) && !mm->unmapped[v]) {
		spin_lock(&mm->ptl);
		pte_t p = mm->pte[v];
		if (pte_kind(p) == PTE_PRESENT) {
			f = pte_folio(p, NULL);
			/* Mapped: the pte's reference keeps the count up. */
			if (is_zero_folio(f) || !folio_try_get(f))
				f = NULL;
		}
		spin_unlock(&mm->ptl);
		if (swapcache && pte_kind(p) == PTE_SWAP) {
			/* The pte lock is dropped: only a device reference keeps
			 * swapoff from freeing the cache under the lookup. */
			swp_entry_t e = pte_to_swp_entry(p);
			struct swap_info_struct *si = get_swap_device(e);
			if (si) {
				f = swap_cache_get_folio(e);
				put_swap_device(si);
			}
		}
	}
	up_read(&mm->mmap_lock);
	return f;
}

/* pin_user_pages (FOLL_PIN) of one mapped page: a lookup reference plus
 * the rest of the pin bias.  Simplified: a pin of a page shared with a
 * fork does not unshare it first (6.12's gup_must_unshare). */
struct folio *mm_pin(int id, int v)
{
	struct folio *f = mm_get_folio(id, v, false);
	if (f)
		folio_ref_add(f, GUP_PIN_COUNTING_BIAS - 1);
	return f;
}

/* exec (begin_new_exec -> exec_mmap): the task leaves its address space,
 * which goes as at exit (mmput -> exit_mmap), and goes on in a new one
 * whose anon_vma comes from the cache.  The kernel allocates that at the
 * new mm's first anonymous fault (anon_vma_prepare), after the old mm is
 * gone; the model allocates it with the mm, the same order.  So the slot
 * of the anon_vma that died with the old family, if it did, may come
 * back at once as the new one while folios of the old family (unmapped,
 * in the swap cache or on the LRU) still point at it: what
 * SLAB_TYPESAFE_BY_RCU readers must cope with.  -ENOMEM when no slot or
 * no anon_vma is left (the old address space is gone all the same).
 * Other tasks may reach the new mm at once (the workload names address
 * spaces by index): mm_create publishes it by a release store of ->live
 * after its anon_vma is linked, and every user checks mm_live() first. */
int mm_exec(int id)
{
	if (!mm_exit(id))
		return -EFAULT;
	return mm_create();
}
