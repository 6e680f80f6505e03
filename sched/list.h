/* list.h - the kernel's doubly linked list (include/linux/list.h), with the
 * integrity checks of CONFIG_DEBUG_LIST always on.
 *
 * Every operation that links or unlinks an entry first checks the
 * neighbours it is about to rewrite, so a corrupted list is reported at the
 * operation that would corrupt it further (the caller's file:line), not at
 * a crash much later.  Checks, as lib/list_debug.c makes them, plus two the
 * kernel cannot afford:
 *   - add: prev->next == next and next->prev == prev; the entry is neither
 *     of them (a double add next to itself);
 *   - add (stricter): the entry is on no list: self-linked (INIT_LIST_HEAD,
 *     list_del_init), poisoned (list_del) or zeroed (kzalloc).  An entry
 *     whose neighbours point back at it is on a list: adding it again is
 *     the double add the kernel only sees when it corrupts a neighbour;
 *   - del: the entry is not poisoned (deleted twice) nor zeroed (never
 *     added), and entry->prev->next == entry->next->prev == entry;
 *   - list_del of a self-linked entry (on no list) is reported: whoever
 *     calls list_del believes the entry is linked.  list_del_init of one
 *     is the kernel's harmless no-op and stays allowed.
 * list_del poisons next and prev with LIST_POISON1/2 (addresses in the
 * unmapped first page, so following them faults); list_del_init re-inits.
 * A violation is a kernel BUG (MMF_FAIL_BUG) naming the operation, its
 * site, the entry and the neighbours seen.
 *
 * Cost: a few compares and two loads per operation, inline; the report is
 * out of line (list_debug.c).
 *
 * Kernel: follows Linux 6.12's list.h for the operations modelled; the
 * RCU, hlist and splice variants are left out (the model uses none).
 */
#ifndef MMF_LIST_H
#define MMF_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "scheduler.h"

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_POISON1 ((struct list_head *)0x100)
#define LIST_POISON2 ((struct list_head *)0x122)

/* Out of line: report a list corruption at site (never returns in a task). */
void mmf__list_corrupt(const char *op, const struct list_head *entry,
		       const struct list_head *prev, const struct list_head *next,
		       const struct mmf_site *site, const char *why);

static inline bool mmf__list_ptr_bad(const struct list_head *p)
{
	return !p || p == LIST_POISON1 || p == LIST_POISON2;
}

static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l->prev = l; }
static inline bool list_empty(const struct list_head *l) { return l->next == l; }

/* The reason the link of n between prev and next would corrupt the
 * list, or NULL. */
static inline const char *mmf__list_add_bad(const struct list_head *n,
					    const struct list_head *prev,
					    const struct list_head *next)
{
	if (mmf__list_ptr_bad(prev) || mmf__list_ptr_bad(next))
		return "the list head is uninitialised or poisoned";
	if (next->prev != prev)
		return "next->prev should be prev, but is not";
	if (prev->next != next)
		return "prev->next should be next, but is not";
	if (n == prev || n == next)
		return "double add: the new entry is already next to itself";
	if (n->next != n && n->next && n->next != LIST_POISON1)
		return "double add: the new entry is already on a list";
	return NULL;
}

/* Link n between prev and next after checking all three. */
static inline void mmf__list_add(struct list_head *n, struct list_head *prev,
				 struct list_head *next, const char *op,
				 const struct mmf_site *site)
{
	const char *why = mmf__list_add_bad(n, prev, next);
	if (__builtin_expect(why != NULL, 0)) {
		mmf__list_corrupt(op, n, prev, next, site, why);
		return;
	}
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void mmf_list_add(struct list_head *n, struct list_head *h,
				const struct mmf_site *site)
{
	mmf__list_add(n, h, h->next, "list_add", site);
}

static inline void mmf_list_add_tail(struct list_head *n, struct list_head *h,
				     const struct mmf_site *site)
{
	mmf__list_add(n, h->prev, h, "list_add_tail", site);
}

/* Unlink n after checking it and its neighbours; false if it was on no
 * list and that is allowed (list_del_init of a self-linked entry). */
static inline bool mmf__list_del(struct list_head *n, bool init, const char *op,
				 const struct mmf_site *site)
{
	struct list_head *prev = n->prev, *next = n->next;
	if (__builtin_expect(next == LIST_POISON1 || prev == LIST_POISON2, 0)) {
		mmf__list_corrupt(op, n, prev, next, site,
				  "the entry was deleted already (its pointers are poisoned)");
		return false;
	}
	if (__builtin_expect(!next || !prev, 0)) {
		mmf__list_corrupt(op, n, prev, next, site,
				  "the entry was never initialised or added (NULL pointers)");
		return false;
	}
	if (next == n && prev == n) {
		if (!init)
			mmf__list_corrupt(op, n, prev, next, site,
					  "the entry is on no list (self-linked)");
		return false;
	}
	if (__builtin_expect(mmf__list_ptr_bad(prev->next) || prev->next != n, 0)) {
		mmf__list_corrupt(op, n, prev, next, site, "prev->next should be the entry, but is not");
		return false;
	}
	if (__builtin_expect(mmf__list_ptr_bad(next->prev) || next->prev != n, 0)) {
		mmf__list_corrupt(op, n, prev, next, site, "next->prev should be the entry, but is not");
		return false;
	}
	next->prev = prev;
	prev->next = next;
	return true;
}

static inline void mmf_list_del(struct list_head *n, const struct mmf_site *site)
{
	if (mmf__list_del(n, false, "list_del", site)) {
		n->next = LIST_POISON1;
		n->prev = LIST_POISON2;
	}
}

static inline void mmf_list_del_init(struct list_head *n, const struct mmf_site *site)
{
	if (mmf__list_del(n, true, "list_del_init", site))
		INIT_LIST_HEAD(n);
}

static inline void mmf_list_move_tail(struct list_head *n, struct list_head *h,
				      const struct mmf_site *site)
{
	if (mmf__list_del(n, false, "list_move_tail", site)) {
		INIT_LIST_HEAD(n);
		mmf__list_add(n, h->prev, h, "list_move_tail", site);
	}
}

/* The site of each call is the caller's line, for the report. */
#define list_add(n, h) mmf_list_add((n), (h), MMF_SITE("list_add"))
#define list_add_tail(n, h) mmf_list_add_tail((n), (h), MMF_SITE("list_add_tail"))
#define list_del(n) mmf_list_del((n), MMF_SITE("list_del"))
#define list_del_init(n) mmf_list_del_init((n), MMF_SITE("list_del_init"))
#define list_move_tail(n, h) mmf_list_move_tail((n), (h), MMF_SITE("list_move_tail"))
#define list_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

/* A whole-list walk for quiescent points (teardown audits): every link
 * is checked both ways and the entries counted.  Returns the count, or -1
 * after reporting the first broken link (MMF_FAIL_INVARIANT, at site). */
long mmf_list_check(const struct list_head *h, const char *name, const struct mmf_site *site);

#endif
