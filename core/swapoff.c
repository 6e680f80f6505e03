/* swapoff.c - models swapoff and try_to_unuse from mm/swapfile.c: stop
 * allocation, bring every swapped page of the device back into the page
 * tables and out of the swap cache, then drain the device's live users
 * and free swap_map, cluster info, the device and its zswap tree.
 * Deviation: the walk visits address spaces in creation order (the
 * kernel's mmlist); a fork's child is always after its parent.
 *
 * Kernel: Linux 6.12 (swapoff, try_to_unuse: walk the mms, then the swap
 * cache, and retry while inuse_pages is not 0, with no limit on passes;
 * only a pending signal ends it, with -ERESTARTSYS (-EINTR to the user),
 * and the device goes back in service).  Simplified: between passes the
 * model sleeps a jiffy where 6.12 only calls cond_resched() (a strict
 * priority schedule would otherwise let a spinning swapoff starve the
 * task it waits for, which the kernel's time slicing prevents); no shmem;
 * a signal reaches a worker's swapoff when the decision source says so,
 * and the teardown's after 8 passes that freed nothing.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "zswap.h"

#include <errno.h>

/* Replace one swap pte of the device by its page (unuse_pte). */
static void unuse_one(struct mm_struct *mm, int v, pte_t orig)
{
	swp_entry_t e = pte_to_swp_entry(orig);
	bool new_page, nomem;
	struct folio *f = swap_cache_get_folio(e);
	if (!f) {
		f = swapin_readahead(e, mm, v, &new_page, &nomem);
		if (!f)
			return;         /* freed meanwhile, or no memory: next pass */
	}
	folio_lock(f);
	folio_wait_writeback(f);
	unsigned long off = swp_offset(e);
	if (folio_test(f, PG_swapcache) && swp_type(f->swap) == swp_type(e) &&
	    off >= swp_offset(f->swap) && off < swp_offset(f->swap) + (unsigned long)f->nr_pages) {
		int sub = (int)(off - swp_offset(f->swap));
		spin_lock(&mm->ptl);
		if (mm->pte[v] == orig) {
			swap_free(e);
			folio_get(f);   /* the pte's reference */
			folio_add_anon_rmap_pte(f, mm, v - sub, sub);
			mm->pte[v] = mk_pte(PTE_PRESENT, page_number(f, sub), false);
		}
		spin_unlock(&mm->ptl);
		folio_free_swap(f);
	}
	folio_unlock(f);
	folio_put(f);
}

static void unuse_mm(struct mm_struct *mm, int type)
{
	down_read(&mm->mmap_lock);
	if (mm_live(mm)) {
		for (int v = 0; v < MM_VPAGES; v++) {
			spin_lock(&mm->ptl);
			pte_t p = mm->pte[v];
			spin_unlock(&mm->ptl);
			if (pte_kind(p) == PTE_SWAP && swp_type(pte_to_swp_entry(p)) == (unsigned)type)
				unuse_one(mm, v, p);
		}
	}
	up_read(&mm->mmap_lock);
}

/* Free what only the swap cache still holds. */
static void unuse_swap_cache(struct swap_info_struct *si)
{
	for (unsigned off = 1; off < si->max; off++) {
		struct folio *f = swap_cache_get_folio(swp_entry((unsigned)si->type, off));
		if (!f)
			continue;
		folio_lock(f);
		folio_wait_writeback(f);
		if (folio_test(f, PG_swapcache) && swp_type(f->swap) == (unsigned)si->type)
			folio_free_swap(f);
		folio_unlock(f);
		folio_put(f);
	}
}

/* signal_pending(current) for swapoff.  A worker of the generic workload
 * may be interrupted at any retry (the decision source says when).  The
 * teardown plays the administrator: every worker is done, so a swapoff
 * that frees nothing over STALL_PASSES passes never will, and it is
 * interrupted (a leaked swap reference then shows in the audit as the
 * device still in service, with its swap_map).  Unit tests' tasks are never
 * interrupted. */
#define STALL_PASSES 8

static bool swapoff_signal_pending(int stalled)
{
	struct mm_model *M = MM();
	if (M->in_teardown)
		return stalled >= STALL_PASSES;
	if (!M->swapoff_signals)
		return false;
	return mmf_decide_value(8, MMF_SITE("swapoff: signal_pending")) == 0;
}

static int try_to_unuse(struct swap_info_struct *si)
{
	struct mm_model *M = MM();
	/* Acquire: what a slot's release did before its count fell is seen
	 * by swapoff's cleanups (try_to_unuse's smp_mb). */
	unsigned last = smp_load_acquire(&si->inuse_pages);
	int stalled = 0;
	if (!last)
		return 0;
	for (;;) {
		spin_lock(&M->mmlist_lock);
		int nr_mm = M->nr_mm;
		spin_unlock(&M->mmlist_lock);
		for (int id = 0; id < nr_mm && READ_ONCE(si->inuse_pages); id++) {
			unuse_mm(&M->mm[id], si->type);
			cond_resched();
		}
		unuse_swap_cache(si);
		if (mm_variant(V_SWAPOFF_SINGLE_PASS))
			return 0;       /* 1998: one pass, then tear down anyway */
		/* Slots may have come back into page tables behind the walk
		 * (an in-flight swap-out that allocated its slot before we
		 * stopped allocation, a fork copying a swap pte): retry, with
		 * no limit, until none is left or a signal arrives. */
		unsigned inuse = smp_load_acquire(&si->inuse_pages);
		if (!inuse)
			return 0;
		stalled = inuse < last ? 0 : stalled + 1;
		last = inuse;
		if (swapoff_signal_pending(stalled))
			return -EINTR;
		msleep(1);
	}
}

int mm_swapoff(int type)
{
	struct mm_model *M = MM();

	if (type < 0 || type >= MM_MAX_SWAPFILES)
		return -EINVAL;
	spin_lock(&M->swap_lock);
	struct swap_info_struct *si = M->swap_info[type];
	if (!si || !(si->flags & SWP_WRITEOK)) {
		spin_unlock(&M->swap_lock);
		return -EINVAL;
	}
	spin_lock(&si->lock);
	si->flags &= ~SWP_WRITEOK;
	spin_unlock(&si->lock);
	spin_unlock(&M->swap_lock);

	int err = try_to_unuse(si);
	if (err) {
		/* Put the device back in service (reinsert_swap_info: under
		 * swap_lock, where swapoff and swapon look it up, and si->lock). */
		spin_lock(&M->swap_lock);
		spin_lock(&si->lock);
		si->flags |= SWP_WRITEOK;
		spin_unlock(&si->lock);
		spin_unlock(&M->swap_lock);
		return err;
	}
	/* No new users; wait for the ones inside get_swap_device(). */
	percpu_ref_kill(&si->users);
	synchronize_rcu();
	wait_for_completion(&si->comp);

	mutex_lock(&M->swapon_mutex);
	spin_lock(&M->swap_lock);
	rcu_assign_pointer(M->swap_info[type], NULL);
	spin_unlock(&M->swap_lock);
	/* Readers that found the pointer under RCU are gone after this. */
	synchronize_rcu();
	zswap_swapoff(si);
	kfree(si->swap_map);
	kfree(si->cluster_info);
	kfree(si->disk);
	si->magic = 0;
	kfree(si);
	mutex_unlock(&M->swapon_mutex);
	return 0;
}
