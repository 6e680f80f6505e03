/* page_io.c - models mm/page_io.c: swap writeback and read on an
 * in-memory device, with completion in interrupt context (the bio's
 * end_io).  Deviations: no bios or plugging; the write copies the data at
 * submission (a device that DMAs at once), the read copies at completion.
 * The swapin-dead-entry variant restores 1998's refusal to read a dead
 * slot (rw_swap_page), which left the page locked.
 *
 * Kernel: Linux 6.12 (zswap first on write and read; the read's completion
 * marks uptodate and unlocks; on a SWP_SYNCHRONOUS_IO device the task
 * waits for its bio and completes it itself, as swap_writepage_bdev_sync
 * and swap_read_folio_bdev_sync do, and a read may fill a private folio
 * outside the swap cache).
 */
#define _GNU_SOURCE
#include "mm.h"
#include "zswap.h"

static void end_swap_bio_write(void *arg)
{
	struct folio *f = arg;
	folio_end_writeback(f);
	folio_put(f);                   /* the bio's reference */
}

void swap_writepage_nozswap(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	folio_clear(f, PG_dirty);
	folio_start_writeback(f);
	for (int i = 0; i < f->nr_pages; i++)
		swap_write_slot((swp_entry_t){f->swap.val + (unsigned long)i}, f->data[i]);
	/* The folio is locked in the swap cache: the device stays. */
	bool sync = data_race(swp_swap_info(f->swap)->flags & SWP_SYNCHRONOUS_IO);
	folio_get(f);
	folio_unlock(f);
	mmf_point(MMF_PT_IO, f, MMF_SITE("submit_bio write"));
	if (sync)
		end_swap_bio_write(f);  /* submit_bio_wait, then complete here */
	else
		mmf_raise_irq("end_swap_bio_write", end_swap_bio_write, f);
}

void swap_writepage(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (zswap_store(f)) {
		/* The compressed copy stands for the write. */
		folio_clear(f, PG_dirty);
		folio_unlock(f);
		return;
	}
	swap_writepage_nozswap(f);
}

static void end_swap_bio_read(void *arg)
{
	struct folio *f = arg;
	for (int i = 0; i < f->nr_pages; i++)
		swap_read_slot((swp_entry_t){f->swap.val + (unsigned long)i}, f->data[i]);
	folio_set(f, PG_uptodate);
	folio_unlock(f);
	folio_put(f);                   /* the bio's reference */
}

/* 1998's rw_swap_page refused to read a slot whose swap_map count was 0
 * and returned at once, without unlocking the page or marking it uptodate:
 * "Trying to swap in unused swap-page".  A folio read for a dead entry
 * stays locked, and the next lock_page on it sleeps forever.  (The message
 * is not raised as a failure: a check only on the historic path would be a
 * detector that knows the variant.  The general checks catch what follows:
 * the earlier swap_duplicate warning, a task sleeping on the lock nobody
 * will release, the locked frame the leak audit finds.) */
static bool swap_read_refused(struct folio *f)
{
	struct swap_info_struct *si = swp_swap_info(f->swap);
	if (!si)
		return true;
	for (int i = 0; i < f->nr_pages; i++)
		if (!data_race(si->swap_map[swp_offset(f->swap) + (unsigned long)i]))
			return true;
	return false;
}

void swap_read_folio(struct folio *f)
{
	/* The caller holds the device (a swap-cache claim or a reference). */
	struct swap_info_struct *si = swp_swap_info(f->swap);
	bool sync = si && data_race(si->flags & SWP_SYNCHRONOUS_IO);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache) && !sync, f);
	VM_BUG_ON_FOLIO(folio_test(f, PG_uptodate), f);
	/* From here the read owns the lock: it unlocks when done. */
	folio_lock_handoff(f);
	if (mm_variant(V_SWAPIN_DEAD_ENTRY) && swap_read_refused(f))
		return;
	if (zswap_load(f)) {
		/* zswap_load marked it uptodate (or refused it: an I/O error). */
		folio_unlock(f);
		return;
	}
	folio_get(f);
	mmf_point(MMF_PT_IO, f, MMF_SITE("submit_bio read"));
	if (sync)
		end_swap_bio_read(f);   /* submit_bio_wait, then complete here */
	else
		mmf_raise_irq("end_swap_bio_read", end_swap_bio_read, f);
}
