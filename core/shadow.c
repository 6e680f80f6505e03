/* shadow.c - the data-integrity oracle.  Every user write stamps the page
 * with (writer mm, virtual page, version) and fills it with a pattern
 * derived from the version; the shadow records what each (mm, page) must
 * hold.  Every read, fault and teardown compares the whole page with it:
 * lost, stale or torn data is a reported failure.  Callers hold the
 * page-table lock of the mm, which orders the data and the shadow.
 *
 * Kernel: none (an oracle).
 */
#define _GNU_SOURCE
#include "shadow.h"
#include "sanitizer.h"

#include <stdio.h>
#include <string.h>

struct stamp {
	uint32_t magic;
	uint16_t mm;
	uint16_t vpage;
	uint64_t version;
};
#define STAMP_MAGIC 0x57a3b5edu
_Static_assert(sizeof(struct stamp) == 16, "stamp layout");

struct mm_shadow {
	struct stamp expect[MM_MAX_MMS][MM_VPAGES];
	uint64_t next_version;
};

struct mm_shadow *shadow_new(void)
{
	return kzalloc(sizeof(struct mm_shadow), GFP_ATOMIC | __GFP_NOFAIL, "mm_shadow");
}

MMF_WRAPS static uint8_t pattern(uint64_t version, int i)
{
	uint64_t x = version * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(x >> 56);
}

/* Page contents are user memory (see user_copy() in mm.h): outside TSan's
 * scope, inside the shadow's. */
static void fill(uint8_t *data, const struct stamp *st)
{
	uint8_t tmp[MM_PAGE_BYTES];
	memcpy(tmp, st, sizeof(*st));
	for (int i = (int)sizeof(*st); i < MM_PAGE_BYTES; i++)
		tmp[i] = pattern(st->version, i);
	user_copy(data, tmp);
}

void shadow_write(struct mm_shadow *sh, int mm, int vpage, uint8_t *data)
{
	/* Versions are global; writers hold only their own mm's lock. */
	uint64_t version = __atomic_add_fetch(&sh->next_version, 1, __ATOMIC_RELAXED);
	struct stamp st = {STAMP_MAGIC, (uint16_t)mm, (uint16_t)vpage, version};
	fill(data, &st);
	sh->expect[mm][vpage] = st;
}

static void describe(const uint8_t *data, char *buf, size_t len)
{
	struct stamp st;
	memcpy(&st, data, sizeof(st));
	bool zero = true;
	for (int i = 0; i < MM_PAGE_BYTES; i++)
		zero &= data[i] == 0;
	if (zero)
		snprintf(buf, len, "zeroes");
	else if (st.magic == STAMP_MAGIC)
		snprintf(buf, len, "the write of mm %u page %u version %llu", st.mm, st.vpage,
			 (unsigned long long)st.version);
	else
		snprintf(buf, len, "garbage (first bytes %02x %02x %02x %02x)", data[0], data[1],
			 data[2], data[3]);
}

void shadow_check(struct mm_shadow *sh, int mm, int vpage, const uint8_t *data, const char *when)
{
	const struct stamp *want = &sh->expect[mm][vpage];
	uint8_t ref[MM_PAGE_BYTES], page[MM_PAGE_BYTES];
	user_copy(page, data);
	data = page;
	if (want->version)
		fill(ref, want);
	else
		memset(ref, 0, sizeof(ref));
	if (!memcmp(ref, data, MM_PAGE_BYTES))
		return;
	char got[96], exp[96];
	describe(data, got, sizeof(got));
	describe(ref, exp, sizeof(exp));
	mmf_fail(MMF_FAIL_DATA, data, MMF_SITE("shadow_check"),
		 "data corruption at %s of mm %d page %d: found %s, expected %s", when, mm, vpage,
		 got, exp);
}

void shadow_fork(struct mm_shadow *sh, int parent, int child)
{
	memcpy(sh->expect[child], sh->expect[parent], sizeof(sh->expect[0]));
}

void shadow_forget(struct mm_shadow *sh, int mm, int vpage)
{
	memset(&sh->expect[mm][vpage], 0, sizeof(sh->expect[0][0]));
}

bool shadow_has_data(struct mm_shadow *sh, int mm, int vpage)
{
	return sh->expect[mm][vpage].version != 0;
}
