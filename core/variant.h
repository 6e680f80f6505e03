/* variant.h - historic bug variants: runtime switches that restore a
 * historic code path at the place the seed thread names.  Only model code
 * paths test them; no check, oracle or detector does.
 *
 * Kernel: none (the variants' switches; each restores the historic code
 * its seed thread names).
 */
#ifndef MM_VARIANT_H
#define MM_VARIANT_H

#include <stdbool.h>
#include <stddef.h>

enum mm_variant {
	V_SWAPIN_DEAD_ENTRY,            /* 1998: swap ref taken after add_to_swap_cache */
	V_ANON_FAULT_DOUBLE_ALLOC,      /* 1998: no pte re-check after allocating */
	V_SWAPOFF_SINGLE_PASS,          /* 1998: try_to_unuse makes one pass */
	V_LRU_FREE_IRQ_DOUBLE_FREE,     /* 2002: count-0 page left on the LRU for reclaim */
	V_MIGRATE_SWAPCACHE_ANON_VMA_UAF, /* 2010: remap of an unmapped swap-cache page */
	V_ZSWAP_WRITEBACK_INVALIDATE_LEAK, /* 2013: failure path only drops its ref */
	V_ZSWAP_WRITEBACK_STALE_DATA,   /* 2013: no tree re-check after swapcache step */
	V_FREE_SWAP_AND_CACHE_SWAPOFF_UAF, /* 2024: no get_swap_device() */
	V_ZSWAP_CAS_STATE,              /* 2013, unmerged: CAS-claimed entry state */
	V_NR
};

struct mm_variant_info {
	const char *name;
	const char *year;
	const char *summary;
	bool experimental;              /* a proposed design, not a historic kernel */
	/* The failure classes BUGS.md names for it ("a,b"): what a hunt for
	 * it looks for.  Documentation for tests and reports; no check reads
	 * it. */
	const char *classes;
	/* Other classes a hunt of the variant reports as well: side effects of
	 * the same broken state, reached by other paths (measured with
	 * `mmfuzz hunt --bugs each --jobs 2 --execs 4000000`, gcc build; "":
	 * none seen).  Documentation only, like classes. */
	const char *also;
};
extern const struct mm_variant_info mm_variants[V_NR];

/* Parse "a,b,c" (or "none"/""): returns the bit set, or -1 with the
 * unknown name copied to bad. */
long mm_variants_parse(const char *list, char *bad, size_t badlen);
/* Format a bit set as "a,b" or "none". */
void mm_variants_format(unsigned long set, char *buf, size_t len);

#endif
