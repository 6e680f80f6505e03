/* rmap.c - models mm/rmap.c for anonymous memory: anon_vma lifetime
 * (refcount, a SLAB_TYPESAFE_BY_RCU cache), adding and removing mappings,
 * rmap_walk, try_to_unmap (to swap or migration entries) and
 * remove_migration_ptes.
 * Deviations: a family of forked address spaces shares one anon_vma and
 * every mapping of a folio sits at the same virtual page (no mremap), so
 * the walk visits folio->index in each linked mm.
 *
 * Kernel: Linux 6.12 (anon_vma_cachep with SLAB_TYPESAFE_BY_RCU and its
 * constructor, anon_vma_free freeing at once after waiting out a reader
 * that holds the rwsem, folio_get_anon_vma's and folio_lock_anon_vma_read's
 * lockless lookups with their re-checks, try_to_unmap and try_to_migrate,
 * remove_migration_ptes), with one anon_vma per fork family instead of one
 * per vma (so no anon_vma->root: the lock is the anon_vma's own).
 */
#define _GNU_SOURCE
#include "mm.h"

#include <errno.h>

/* anon_vma_ctor: runs once per slot, not per allocation.  A lockless
 * reader may hold a stale pointer to a freed anon_vma and try its count or
 * its lock at any time, so a reused one is never re-initialised: it comes
 * back with the zero count, the unlocked rwsem and the empty list its last
 * owner left. */
static void anon_vma_ctor(void *p)
{
	struct anon_vma *av = p;
	init_rwsem(&av->rwsem);
	atomic_set(&av->refcount, 0);
	INIT_LIST_HEAD(&av->head);
}

void anon_vma_init(struct mm_model *M)
{
	M->anon_vma_cachep = kmem_cache_create("anon_vma", sizeof(struct anon_vma),
					       SLAB_TYPESAFE_BY_RCU, anon_vma_ctor);
}

struct anon_vma *(anon_vma_alloc)(void)
{
	struct anon_vma *av = kmem_cache_alloc(MM()->anon_vma_cachep, GFP_KERNEL);
	/* Its last owner unlinked every member before the last put. */
	BUG_ON(av && !list_empty(&av->head));
	return av;
}

/* anon_vma_free: straight back to the cache, where the next
 * anon_vma_alloc may take it for another family before any grace period.
 * One reader needs more: folio_lock_anon_vma_read's fast path holds the
 * rwsem with no reference, having seen the folio mapped after taking the
 * lock; that lock is all that keeps the anon_vma from being freed under
 * its walk.  The count's last decrement is ordered before this look at
 * the lock (a full barrier in 6.12), so a reader that got the lock first
 * is seen here and waited for: take the lock for writing and drop it. */
void anon_vma_free(struct anon_vma *av)
{
	BUG_ON(atomic_read(&av->refcount));
	might_sleep();
	if (rwsem_is_locked(&av->rwsem)) {
		down_write(&av->rwsem);
		up_write(&av->rwsem);
	}
	kmem_cache_free(MM()->anon_vma_cachep, av);
}

void (get_anon_vma)(struct anon_vma *av)
{
	if (!atomic_inc_not_zero(&av->refcount))
		mmf_fail(MMF_FAIL_REFCOUNT, av, MMF_SITE("get_anon_vma"),
			 "get_anon_vma on a dying anon_vma %p", (void *)av);
}

void (put_anon_vma)(struct anon_vma *av)
{
	if (atomic_dec_and_test(&av->refcount))
		anon_vma_free(av);
}

int (anon_vma_link)(struct anon_vma *av, struct mm_struct *mm)
{
	struct anon_vma_chain *avc = kzalloc(sizeof(*avc), GFP_KERNEL, "anon_vma_chain");
	if (!avc)
		return -ENOMEM;
	avc->mm = mm;
	avc->anon_vma = av;
	atomic_inc(&av->refcount);
	down_write(&av->rwsem);
	/* At the tail: rmap_walk must visit a parent before its forks (see
	 * anon_vma_unlink). */
	list_add_tail(&avc->same_anon_vma, &av->head);
	up_write(&av->rwsem);
	mm->anon_vma = av;
	mm->avc = avc;
	return 0;
}

/* The order of av->head matters: rmap_walk must visit a parent before the
 * children forked from it.  fork links the child, then copies the
 * parent's ptes without the anon_vma lock.  Parent first,
 * remove_migration_ptes either restores the parent before the copy (the
 * child copies a present pte) or meets the copied migration entry in the
 * child later; child first, it can pass the child before the copy and
 * leave the copied entry behind for good.  Unlinking keeps the order. */
void anon_vma_unlink(struct mm_struct *mm)
{
	struct anon_vma *av = mm->anon_vma;
	struct anon_vma_chain *avc = mm->avc;
	if (!av)
		return;
	down_write(&av->rwsem);
	list_del_init(&avc->same_anon_vma);
	up_write(&av->rwsem);
	mm->anon_vma = NULL;
	mm->avc = NULL;
	kfree(avc);
	put_anon_vma(av);
}

/* folio_get_anon_vma: the folio lock does not pin the anon_vma, and
 * f->anon_vma stays set after the last unmap.  While f is mapped its
 * anon_vma cannot be freed; once it is not, the anon_vma may be freed and
 * its slot reused for another family's at any moment.  So: under RCU (the
 * slot stays an anon_vma), try-get the count (a freed one reads 0; a
 * reused one takes the reference on the other family's), then check that
 * f is still mapped, which proves the reference is on f's own. */
struct anon_vma *(folio_get_anon_vma)(struct folio *f)
{
	struct anon_vma *av = NULL;
	rcu_read_lock();
	struct anon_vma *p = __atomic_load_n(&f->anon_vma, __ATOMIC_ACQUIRE);
	if (!p || !folio_mapcount(f))
		goto out;
	if (!anon_vma_tryget(p))
		goto out;
	if (!folio_mapcount(f)) {
		/* Maybe someone else's now: drop it (outside RCU: the put
		 * may free it, which may sleep). */
		rcu_read_unlock();
		put_anon_vma(p);
		return NULL;
	}
	av = p;
out:
	rcu_read_unlock();
	return av;
}

void folio_add_new_anon_rmap(struct folio *f, struct mm_struct *mm, int vpage, int nr)
{
	__atomic_store_n(&f->anon_vma, mm->anon_vma, __ATOMIC_RELEASE);
	f->index = (unsigned long)vpage;
	folio_set(f, PG_swapbacked);
	for (int i = 0; i < nr; i++)
		atomic_inc(&f->_pmapcount[i]);
	atomic_add(nr, &f->_mapcount);
}

void folio_add_anon_rmap_pte(struct folio *f, struct mm_struct *mm, int vpage, int sub)
{
	/* A folio is mapped only where its anon_vma can find it. */
	VM_BUG_ON_FOLIO(f->anon_vma && f->anon_vma != mm->anon_vma, f);
	VM_BUG_ON_FOLIO(f->anon_vma && (int)f->index != vpage, f);
	if (!f->anon_vma) {
		/* A folio swapped in fresh: it joins the faulting family. */
		__atomic_store_n(&f->anon_vma, mm->anon_vma, __ATOMIC_RELEASE);
		f->index = (unsigned long)vpage;
	}
	atomic_inc(&f->_pmapcount[sub]);
	atomic_inc(&f->_mapcount);
}

void folio_dup_anon_rmap_pte(struct folio *f, int sub)
{
	atomic_inc(&f->_pmapcount[sub]);
	atomic_inc(&f->_mapcount);
}

/* __folio_remove_rmap: a page whose last pte goes while other pages of
 * the folio stay mapped leaves it partially mapped; an anonymous one is
 * queued for a deferred split, so that its unmapped pages can be freed
 * under memory pressure (deferred_split_scan). */
void folio_remove_rmap_pte(struct folio *f, int sub)
{
	int page_left = atomic_dec_return(&f->_pmapcount[sub]);
	int left = atomic_dec_return(&f->_mapcount);
	if (left < 0 || page_left < 0)
		VM_BUG_ON_FOLIO(1, f);
	if (!page_left && left && f->nr_pages > 1 && !folio_test(f, PG_partially_mapped))
		deferred_split_folio(f);
}

int folio_page_mapcount(struct folio *f, int sub) { return atomic_read(&f->_pmapcount[sub]); }

static void walk_mms(struct anon_vma *av, struct folio *f,
		     void (*fn)(struct folio *, struct mm_struct *, int, void *), void *arg)
{
	for (struct list_head *p = av->head.next; p != &av->head; p = p->next) {
		struct anon_vma_chain *avc = list_entry(p, struct anon_vma_chain, same_anon_vma);
		fn(f, avc->mm, (int)f->index, arg);
	}
}

/* The caller keeps f's anon_vma alive (it holds a reference). */
void rmap_walk(struct folio *f, void (*fn)(struct folio *, struct mm_struct *, int, void *),
	       void *arg)
{
	struct anon_vma *av = __atomic_load_n(&f->anon_vma, __ATOMIC_ACQUIRE);
	if (!av)
		return;
	kmem_check(av);
	down_read(&av->rwsem);
	walk_mms(av, f, fn, arg);
	up_read(&av->rwsem);
}

/* folio_lock_anon_vma_read: nothing but a mapping keeps the anon_vma of
 * a folio alive, and the slot may be reused the moment it is freed (see
 * folio_get_anon_vma).  Returns f's anon_vma read-locked, with no
 * reference: the lock keeps it (anon_vma_free waits for it); or NULL if f
 * is no longer mapped.
 *   - Fast path, under RCU: trylock whatever the slot is now, then check
 *     that f still points at it and is still mapped; only then is it f's.
 *   - Slow path: pin it with a try-get, check f is still mapped, leave RCU
 *     and sleep for the lock; re-check that f still points at it; then the
 *     lock holds it and the reference goes (the last one frees it: then f
 *     has no anon_vma worth walking). */
static struct anon_vma *folio_lock_anon_vma_read(struct folio *f)
{
	struct anon_vma *av;
retry:
	rcu_read_lock();
	av = __atomic_load_n(&f->anon_vma, __ATOMIC_ACQUIRE);
	if (!av || !folio_mapcount(f)) {
		av = NULL;
		goto out;
	}
	if (down_read_trylock(&av->rwsem)) {
		if (__atomic_load_n(&f->anon_vma, __ATOMIC_ACQUIRE) != av) {
			up_read(&av->rwsem);
			rcu_read_unlock();
			goto retry;
		}
		if (!folio_mapcount(f)) {
			up_read(&av->rwsem);
			av = NULL;
		}
		goto out;
	}
	if (!anon_vma_tryget(av)) {
		av = NULL;
		goto out;
	}
	if (!folio_mapcount(f)) {
		rcu_read_unlock();
		put_anon_vma(av);
		return NULL;
	}
	rcu_read_unlock();
	down_read(&av->rwsem);
	if (__atomic_load_n(&f->anon_vma, __ATOMIC_ACQUIRE) != av) {
		up_read(&av->rwsem);
		put_anon_vma(av);
		goto retry;
	}
	/* Not put_anon_vma: freeing under our own read lock would wait for
	 * ourselves in anon_vma_free. */
	mmf_ref_put(av, 1, MMF_SITE("folio_lock_anon_vma_read"));
	if (atomic_dec_and_test(&av->refcount)) {
		up_read(&av->rwsem);
		anon_vma_free(av);
		return NULL;
	}
	return av;
out:
	rcu_read_unlock();
	return av;
}

struct folio *pte_folio(pte_t p, int *sub)
{
	unsigned long pn = pte_payload(p);
	if (sub)
		*sub = (int)(pn % MM_MAX_FOLIO_PAGES);
	return pfn_folio((int)(pn / MM_MAX_FOLIO_PAGES));
}

static void unmap_one(struct folio *f, struct mm_struct *mm, int vpage, void *arg)
{
	enum ttu_mode mode = *(enum ttu_mode *)arg;
	spin_lock(&mm->ptl);
	for (int i = 0; i < f->nr_pages; i++) {
		int v = vpage + i;
		if (v >= MM_VPAGES)
			break;
		pte_t p = mm->pte[v];
		if (pte_kind(p) != PTE_PRESENT || pte_payload(p) != page_number(f, i))
			continue;
		if (mode == TTU_MIGRATION) {
			mm->pte[v] = mk_pte(PTE_MIGRATION, page_number(f, i), pte_write(p));
		} else {
			swp_entry_t e = {f->swap.val + (unsigned long)i};
			if (swap_duplicate(e) < 0)
				continue;
			if (pte_write(p))
				folio_set(f, PG_dirty);
			mm->pte[v] = mk_pte(PTE_SWAP, e.val, false);
		}
		folio_remove_rmap_pte(f, i);
		folio_put(f);           /* the pte's reference */
	}
	spin_unlock(&mm->ptl);
}

bool try_to_unmap(struct folio *f, enum ttu_mode mode)
{
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	if (mode == TTU_SWAP)
		VM_BUG_ON_FOLIO(!folio_test(f, PG_swapcache), f);
	/* A pinned page only this mm maps stays mapped (6.12: its exclusive
	 * marker cannot be cleared while it may be pinned,
	 * folio_try_share_anon_rmap_pte). */
	if (folio_mapcount(f) == 1 && folio_maybe_dma_pinned(f))
		return false;
	struct anon_vma *av = folio_lock_anon_vma_read(f);
	if (av) {
		walk_mms(av, f, unmap_one, &mode);
		up_read(&av->rwsem);
	}
	return folio_mapcount(f) == 0;
}

/* try_to_migrate with the anon_vma already locked (TTU_RMAP_LOCKED), as
 * a split holds it for writing. */
void try_to_migrate_locked(struct folio *f, struct anon_vma *av)
{
	enum ttu_mode mode = TTU_MIGRATION;
	VM_BUG_ON_FOLIO(!folio_test(f, PG_locked), f);
	walk_mms(av, f, unmap_one, &mode);
}

/* Migration entries of src's pages: page i now is page subs[i] of
 * pages[i] (the migration's new folio, or after a split the folio each
 * page became, or src itself when the move or split was given up). */
struct remap {
	struct folio *src;
	struct folio *const *pages;
	const int *subs;
	int nr;
};

static void remove_migration_pte(struct folio *f, struct mm_struct *mm, int vpage, void *arg)
{
	struct remap *r = arg;
	(void)f;
	spin_lock(&mm->ptl);
	for (int i = 0; i < r->nr; i++) {
		int v = vpage + i;
		if (v >= MM_VPAGES)
			break;
		pte_t p = mm->pte[v];
		if (pte_kind(p) != PTE_MIGRATION || pte_payload(p) != page_number(r->src, i))
			continue;
		struct folio *nf = r->pages[i];
		int sub = r->subs[i];
		folio_get(nf);
		folio_add_anon_rmap_pte(nf, mm, v - sub, sub);
		mm->pte[v] = mk_pte(PTE_PRESENT, page_number(nf, sub), pte_write(p));
	}
	spin_unlock(&mm->ptl);
}

/* Point every migration entry of src at dst.  Walks dst's rmap: dst has
 * taken over src's anon_vma and index. */
void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct folio *pages[MM_MAX_FOLIO_PAGES];
	int subs[MM_MAX_FOLIO_PAGES];
	for (int i = 0; i < src->nr_pages; i++) {
		pages[i] = dst;
		subs[i] = i;
	}
	struct remap r = {src, pages, subs, src->nr_pages};
	rmap_walk(dst, remove_migration_pte, &r);
}

/* remap_page for a split, done or given up: the caller holds the anon_vma
 * locked (for writing) and the folios locked; the migration entries still
 * name the pages by the head's frame.  Page i is now page subs[i] of
 * pages[i]. */
void remap_split_ptes(struct folio *head, struct folio *const *pages, const int *subs, int nr)
{
	struct remap r = {head, pages, subs, nr};
	walk_mms(__atomic_load_n(&head->anon_vma, __ATOMIC_ACQUIRE), head, remove_migration_pte, &r);
}
