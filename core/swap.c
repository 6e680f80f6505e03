/* swap.c - models the LRU half of mm/swap.c and mm/vmscan.c's isolation:
 * folios reach the LRU list through per-CPU batches, and are isolated
 * from it under the LRU lock.
 * Deviations: activation is left out (PG_active is never set, there is no
 * active list and no aging: every folio is on the one list that reclaim
 * takes from the head, as the kernel's inactive list); only the lru_add
 * batch (no rotate, deactivate or activate batches); batches of
 * MM_FOLIO_BATCH; one lruvec, no memcg.
 *
 * Kernel: Linux 6.12 (folio_add_lru through cpu_fbatches.lru_add under the
 * local lock, with the batch's reference and PG_lru clear until the batch
 * moves; lru_add_drain, lru_add_drain_all; isolation with try-get and
 * test-and-clear of PG_lru; putback), without activation.
 */
#define _GNU_SOURCE
#include "mm.h"

void mm_lru_init(struct mm_model *M)
{
	spin_lock_init(&M->lru_lock);
	INIT_LIST_HEAD(&M->lru_list);
	M->nr_lru = 0;
	for (int c = 0; c < MMF_NR_CPUS; c++) {
		local_lock_init(&M->fbatch[c].lock);
		M->fbatch[c].nr = 0;
	}
}

/* folio_batch_move_lru for lru_add: put every folio of the batch on the
 * LRU (the LRU lock is taken with interrupts off: the final put of a folio
 * may come from interrupt context, an I/O user's unpin, and takes it too),
 * then drop the batch's references (folios_put), which may be the last.
 * The CPU's local lock is held. */
static void folio_batch_move_lru(struct mm_fbatch *fb)
{
	struct mm_model *M = MM();
	unsigned long irqf;
	int n = fb->nr;
	struct folio *moved[MM_FOLIO_BATCH];

	spin_lock_irqsave(&M->lru_lock, irqf);
	for (int i = 0; i < n; i++) {
		struct folio *f = fb->folios[i];
		list_add_tail(&f->lru, &M->lru_list);
		M->nr_lru++;
		folio_set(f, PG_lru);
		moved[i] = f;
	}
	spin_unlock_irqrestore(&M->lru_lock, irqf);
	fb->nr = 0;
	for (int i = 0; i < n; i++)
		folio_put(moved[i]);
}

/* folio_add_lru: the folio goes into this CPU's batch with a reference of
 * the batch's own; PG_lru stays clear (so isolation does not find it) until
 * the batch moves, when it is full or the folio is large. */
void folio_add_lru(struct folio *f)
{
	struct mm_model *M = MM();

	VM_BUG_ON_FOLIO(folio_test(f, PG_lru), f);
	folio_get(f);
	local_lock(&M->fbatch[smp_processor_id()].lock);
	struct mm_fbatch *fb = &M->fbatch[smp_processor_id()];
	fb->folios[fb->nr++] = f;
	if (fb->nr == MM_FOLIO_BATCH || f->nr_pages > 1)
		folio_batch_move_lru(fb);
	local_unlock(&fb->lock);
}

/* lru_add_drain: move this CPU's batch to the LRU. */
void lru_add_drain(void)
{
	struct mm_model *M = MM();
	local_lock(&M->fbatch[smp_processor_id()].lock);
	struct mm_fbatch *fb = &M->fbatch[smp_processor_id()];
	if (fb->nr)
		folio_batch_move_lru(fb);
	local_unlock(&fb->lock);
}

/* lru_add_drain_all: drain every CPU whose batch holds folios, each on its
 * own CPU (6.12 queues a work item there and flushes it; the model moves
 * the caller to that CPU for the drain, and back).  May sleep. */
void lru_add_drain_all(void)
{
	struct mm_model *M = MM();
	int home = smp_processor_id();
	might_sleep();
	for (int c = 0; c < MMF_NR_CPUS; c++) {
		if (!data_race(M->fbatch[c].nr))        /* cpu_needs_drain */
			continue;
		mmf_run_on_cpu(c, MMF_SITE("lru_add_drain_all: work on the CPU"));
		lru_add_drain();
	}
	mmf_run_on_cpu_done(home, MMF_SITE("lru_add_drain_all: back"));
}

bool (folio_isolate_lru)(struct folio *f)
{
	struct mm_model *M = MM();
	unsigned long irqf;
	bool got = false;

	spin_lock_irqsave(&M->lru_lock, irqf);
	if (test_and_clear_bit(PG_lru, &f->flags)) {
		list_del_init(&f->lru);
		M->nr_lru--;
		got = true;
	}
	spin_unlock_irqrestore(&M->lru_lock, irqf);
	if (got)
		folio_get(f);
	return got;
}

void (folio_putback_lru)(struct folio *f)
{
	folio_add_lru(f);
	folio_put(f);
}

int (isolate_lru_folios)(int nr, struct folio **out)
{
	struct mm_model *M = MM();
	unsigned long irqf;
	int n = 0;

	spin_lock_irqsave(&M->lru_lock, irqf);
	struct list_head *pos = M->lru_list.next, *next;
	for (; pos != &M->lru_list && n < nr; pos = next) {
		next = pos->next;
		struct folio *f = list_entry(pos, struct folio, lru);
		/* folio_try_get: the putter drops its count without this
		 * lock (it takes the lock only afterwards, to take the folio
		 * off), so a count seen non-zero here may reach zero before
		 * a plain increment: only an increment that is not from zero
		 * may claim the folio.  The lock holder may not sleep: an
		 * atomic that is no scheduling point. */
		int refs = __atomic_load_n(&f->_refcount.counter, __ATOMIC_RELAXED);
		while (refs && !__atomic_compare_exchange_n(&f->_refcount.counter, &refs, refs + 1,
							    false, __ATOMIC_SEQ_CST,
							    __ATOMIC_RELAXED))
			;
		if (refs == 0) {
			if (mm_variant(V_LRU_FREE_IRQ_DOUBLE_FREE)) {
				/* 2002 shrink_cache: a count-0 page was left here by
				 * a put that could not take this lock: free it. */
				clear_bit(PG_lru, &f->flags);
				list_del_init(&f->lru);
				M->nr_lru--;
				spin_unlock_irqrestore(&M->lru_lock, irqf);
				free_unref_folio(f);
				spin_lock_irqsave(&M->lru_lock, irqf);
				next = M->lru_list.next;
			}
			/* Today a folio whose count reached zero is being freed
			 * by its last putter; it is not ours to take. */
			continue;
		}
		if (!test_and_clear_bit(PG_lru, &f->flags)) {
			__atomic_fetch_sub(&f->_refcount.counter, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		list_del_init(&f->lru);
		M->nr_lru--;
		out[n++] = f;
	}
	spin_unlock_irqrestore(&M->lru_lock, irqf);
	return n;
}
