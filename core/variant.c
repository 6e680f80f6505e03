/* variant.c - names of the historic bug variants.
 *
 * Kernel: none (the variant table).
 */
#define _GNU_SOURCE
#include "variant.h"

#include <stdio.h>
#include <string.h>

#define VARIANT(id, n, y, what, cls, more)                                       \
	[id] = {.name = n, .year = y, .summary = what, .classes = cls, .also = more}

const struct mm_variant_info mm_variants[V_NR] = {
	VARIANT(V_SWAPIN_DEAD_ENTRY, "swapin-dead-entry", "1998",
		"read_swap_cache_async references the entry after inserting the page",
		"deadlock,warning", "bug,use-after-free,leak"),
	VARIANT(V_ANON_FAULT_DOUBLE_ALLOC, "anon-fault-double-alloc", "1998",
		"do_anonymous_page installs its page without re-checking the pte",
		"data-corruption,leak", "use-after-free"),
	VARIANT(V_SWAPOFF_SINGLE_PASS, "swapoff-single-pass", "1998",
		"try_to_unuse makes one pass and swapoff tears down anyway",
		"use-after-free,data-corruption", "warning,bug,crash,hang"),
	VARIANT(V_LRU_FREE_IRQ_DOUBLE_FREE, "lru-free-irq-double-free", "2002",
		"a count-0 page is left on the LRU for shrink_cache to free", "double-free",
		"bad-page"),
	VARIANT(V_MIGRATE_SWAPCACHE_ANON_VMA_UAF, "migrate-swapcache-anon-vma-uaf", "2010",
		"migration remaps an unmapped swap-cache page through a dead anon_vma",
		"use-after-free", "refcount"),
	VARIANT(V_ZSWAP_WRITEBACK_INVALIDATE_LEAK, "zswap-writeback-invalidate-leak", "2013",
		"writeback's failure path drops its reference without freeing", "leak", ""),
	/* In 2013 (refcounted entries) the missing re-check wrote stale data;
	 * in the 6.12 model (no refcount) the entry it decompresses may be
	 * freed: a use after free (docs/bugs.md). */
	VARIANT(V_ZSWAP_WRITEBACK_STALE_DATA, "zswap-writeback-stale-data", "2013",
		"writeback does not re-check the tree after securing the swap-cache page",
		"use-after-free", ""),
	VARIANT(V_FREE_SWAP_AND_CACHE_SWAPOFF_UAF, "free-swap-and-cache-swapoff-uaf", "2024",
		"free_swap_and_cache runs without get_swap_device()", "use-after-free", ""),
	[V_ZSWAP_CAS_STATE] = {.name = "zswap-cas-state", .year = "2013",
		.summary = "experimental: the unmerged design in which a CAS-claimed state "
			   "replaces the zswap entry refcount",
		.experimental = true, .classes = "any", .also = ""},
};

long mm_variants_parse(const char *list, char *bad, size_t badlen)
{
	long set = 0;
	char buf[512];
	if (!list || !*list || !strcmp(list, "none"))
		return 0;
	if (strlen(list) >= sizeof(buf)) {
		snprintf(bad, badlen, "%.40s...", list);
		return -1;
	}
	strcpy(buf, list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = -1;
		for (int i = 0; i < V_NR; i++)
			if (!strcmp(mm_variants[i].name, tok))
				found = i;
		if (found < 0) {
			snprintf(bad, badlen, "%s", tok);
			return -1;
		}
		set |= 1l << found;
	}
	return set;
}

void mm_variants_format(unsigned long set, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < V_NR && off < len; i++)
		if (set & (1ul << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						mm_variants[i].name);
	if (!off)
		snprintf(buf, len, "none");
}
