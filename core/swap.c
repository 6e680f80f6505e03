/* swap.c - models the LRU half of mm/swap.c and mm/vmscan.c's isolation:
 * folios on one LRU list under the LRU lock.
 * Deviations: activation is left out (PG_active is never set, there is no
 * active list and no aging: every folio is on the one list that reclaim
 * takes from the head, as the kernel's inactive list); no per-cpu batches
 * (folio_add_lru puts the folio on the list at once); one lruvec, no
 * memcg.
 *
 * Kernel: Linux 6.12 (add, isolate with try-get and test-and-clear of
 * PG_lru, putback), without its per-CPU LRU batches and without
 * activation.
 */
#define _GNU_SOURCE
#include "mm.h"

void mm_lru_init(struct mm_model *M)
{
	spin_lock_init(&M->lru_lock);
	INIT_LIST_HEAD(&M->lru_list);
	M->nr_lru = 0;
}

/* The LRU lock is taken with interrupts off: the final put of a folio may
 * come from interrupt context (an I/O user's unpin) and takes it too. */
void folio_add_lru(struct folio *f)
{
	struct mm_model *M = MM();
	unsigned long irqf;

	VM_BUG_ON_FOLIO(folio_test(f, PG_lru), f);
	spin_lock_irqsave(&M->lru_lock, irqf);
	folio_set(f, PG_lru);
	list_add_tail(&f->lru, &M->lru_list);
	M->nr_lru++;
	spin_unlock_irqrestore(&M->lru_lock, irqf);
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
