/* page_io.c - models mm/page_io.c: swap writeback and read on an
 * in-memory device, with completion in interrupt context (the bio's
 * end_io).  Deviations: no bios or plugging; the write copies the data at
 * submission (a device that DMAs at once), the read copies at completion. */
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
	folio_get(f);
	folio_unlock(f);
	mmf_point(MMF_PT_IO, f, MMF_SITE("submit_bio write"));
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

void swap_read_folio(struct folio *f)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	VM_BUG_ON_FOLIO(folio_test(f, PG_uptodate), f);
	/* From here the read owns the lock: it unlocks when done. */
	folio_lock_handoff(f);
	if (zswap_load(f)) {
		folio_set(f, PG_uptodate);
		folio_unlock(f);
		return;
	}
	folio_get(f);
	mmf_point(MMF_PT_IO, f, MMF_SITE("submit_bio read"));
	mmf_raise_irq("end_swap_bio_read", end_swap_bio_read, f);
}
