/* swapoff.c - models swapoff and try_to_unuse from mm/swapfile.c: stop
 * allocation, bring every swapped page of the device back into the page
 * tables and out of the swap cache, then drain the device's live users
 * and free swap_map, cluster info, the device and its zswap tree.
 * Deviation: the walk visits address spaces in creation order (the
 * kernel's mmlist); a fork's child is always after its parent.
 *
 * Kernel: Linux 6.12's swapoff order, except that try_to_unuse gives up
 * after MAX_PASSES passes with -EBUSY and puts the device back (Bill
 * Hawes' 1998 patch); 6.12 retries until inuse_pages is 0 and fails only
 * with -EINTR on a signal.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "zswap.h"

#include <errno.h>

#define MAX_PASSES 16

/* Replace one swap pte of the device by its page (unuse_pte). */
static void unuse_one(struct mm_struct *mm, int v, pte_t orig)
{
	swp_entry_t e = pte_to_swp_entry(orig);
	bool new_page;
	struct folio *f = swap_cache_get_folio(e);
	if (!f) {
		f = read_swap_cache_async(e, &new_page);
		if (!f)
			return;         /* freed meanwhile, or no memory: next pass */
		if (new_page)
			swap_read_folio(f);
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
			folio_add_anon_rmap(f, mm, v - sub);
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
	if (mm->live) {
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

static int try_to_unuse(struct swap_info_struct *si)
{
	struct mm_model *M = MM();
	for (int pass = 0;; pass++) {
		spin_lock(&M->mmlist_lock);
		int nr_mm = M->nr_mm;
		spin_unlock(&M->mmlist_lock);
		for (int id = 0; id < nr_mm; id++)
			unuse_mm(&M->mm[id], si->type);
		unuse_swap_cache(si);
		if (mm_variant(V_SWAPOFF_SINGLE_PASS))
			return 0;       /* 1998: one pass, then tear down anyway */
		spin_lock(&si->lock);
		unsigned inuse = si->inuse_pages;
		spin_unlock(&si->lock);
		if (!inuse)
			return 0;
		if (pass + 1 == MAX_PASSES)
			return -EBUSY;
		/* In-flight users (a swap-out that allocated its slot before
		 * we stopped allocation, a swap-in) finish meanwhile. */
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
		/* Put the device back in service. */
		spin_lock(&si->lock);
		si->flags |= SWP_WRITEOK;
		spin_unlock(&si->lock);
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
