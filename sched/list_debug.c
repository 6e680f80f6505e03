/* list_debug.c - the reports of list.h's integrity checks (the kernel's
 * lib/list_debug.c: checks there, reports here, out of the inline path). */
#define _GNU_SOURCE
#include "list.h"

#include <stdio.h>

void mmf__list_corrupt(const char *op, const struct list_head *entry,
		       const struct list_head *prev, const struct list_head *next,
		       const struct mmf_site *site, const char *why)
{
	mmf_fail(MMF_FAIL_BUG, entry, site,
		 "kernel BUG: %s corruption: %s (entry %p, prev %p, next %p)", op, why,
		 (const void *)entry, (const void *)prev, (const void *)next);
}

long mmf_list_check(const struct list_head *h, const char *name, const struct mmf_site *site)
{
	long n = 0;
	const struct list_head *p = h;
	do {
		const struct list_head *next = p->next;
		if (mmf__list_ptr_bad(next) || mmf__list_ptr_bad(next->prev) || next->prev != p) {
			mmf_fail(MMF_FAIL_INVARIANT, p, site, "list %s %p is corrupt after %ld entries: "
				 "entry %p has next %p, whose prev is %p", name, (const void *)h, n,
				 (const void *)p, (const void *)next,
				 mmf__list_ptr_bad(next) ? NULL : (const void *)next->prev);
			return -1;
		}
		p = next;
		n += p != h;
	} while (p != h);
	return n;
}
