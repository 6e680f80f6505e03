/* feedback.c - see feedback.h. */
#define _GNU_SOURCE
#include "feedback.h"
#include "sanitizer.h"

#include <stdlib.h>
#include <string.h>

#define SLOTS 4096u             /* objects tracked per run */
#define PROBES 32u              /* slots an object may take from its hash on */
#define SEEN_BITS (1u << 16)    /* per-run set of features already reported */

struct slot {
	const void *obj;
	uint32_t gen;
	uint8_t w_task, r_task, rel_task;
	uint32_t w_site, r_site, rel_site;      /* site hashes, 0: none */
};

struct mmf_objfb {
	uint32_t gen;
	struct slot slot[SLOTS];
	uint64_t seen[SEEN_BITS / 64];
};

MMF_WRAPS
uint64_t mmf__site_hash(const struct mmf_site *site)
{
	if (!site)
		return 0x51ed27u;
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)(unsigned)site->line;
	for (const char *p = site->file ? mmf_site_file(site) : NULL; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (const char *p = site->what; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h;
}

static uint32_t site32(const struct mmf_site *site)
{
	uint64_t h = mmf__site_hash(site);
	uint32_t v = (uint32_t)(h ^ (h >> 32));
	return v ? v : 1;
}

void mmf__fb_reset(struct mmf_sched *s)
{
	struct mmf_objfb *f = s->objfb;
	if (!f)
		return;
	if (++f->gen == 0) {
		memset(f->slot, 0, sizeof(f->slot));
		f->gen = 1;
	}
	memset(f->seen, 0, sizeof(f->seen));
}

void mmf__fb_free(struct mmf_sched *s)
{
	free(s->objfb);
	s->objfb = NULL;
}

MMF_WRAPS
static struct slot *lookup(struct mmf_sched *s, const void *obj)
{
	struct mmf_objfb *f = s->objfb;
	if (!f) {
		f = s->objfb = calloc(1, sizeof(*f));
		if (!f)
			mmf_internal("out of memory for the object feedback table");
		f->gen = 1;
	}
	/* Open addressing: an object keeps its slot for the whole run, so the
	 * features do not depend on where the allocator put objects (with
	 * malloc under ASan, addresses differ from run to run).  A run that
	 * touches more objects than a neighbourhood holds stops tracking the
	 * extra ones. */
	size_t h = mmf__hash_ptr(obj);
	for (unsigned i = 0; i < PROBES; i++) {
		struct slot *e = &f->slot[(h + i) & (SLOTS - 1)];
		if (e->gen == f->gen && e->obj == obj)
			return e;
		if (e->gen != f->gen) {
			memset(e, 0, sizeof(*e));
			e->obj = obj;
			e->gen = f->gen;
			return e;
		}
	}
	return NULL;
}

/* One feature per (kind, first site, second site), once per run. */
MMF_WRAPS
static void emit(struct mmf_sched *s, unsigned kind, uint32_t first, uint32_t second)
{
	uint64_t h = ((uint64_t)first * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)second * 0xc2b2ae3d27d4eb4full);
	h ^= (uint64_t)kind * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	uint32_t f = (uint32_t)(h ^ (h >> 32));
	uint64_t *w = &s->objfb->seen[(f & (SEEN_BITS - 1)) / 64];
	uint64_t bit = 1ull << (f & 63);
	if (*w & bit)
		return;
	*w |= bit;
	s->opts.feature(s->opts.feature_ctx, f);
}

/* Reads: the primitives that only look (kind and operation name), and
 * plain loads. */
static bool is_read(enum mmf_point_kind kind, const struct mmf_site *site)
{
	if (kind == MMF_PT_ACCESS)
		return true;
	if (kind == MMF_PT_PLAIN)
		return site && site->what && !strcmp(site->what, "load");
	if (kind != MMF_PT_ATOMIC || !site || !site->what)
		return false;
	size_t n = strlen(site->what);
	return n >= 5 && !strcmp(site->what + n - 5, "_read");
}

void mmf__fb_access(struct mmf_sched *s, struct mmf_task *t, enum mmf_point_kind kind,
		    const void *obj, const struct mmf_site *site)
{
	unsigned kinds = s->opts.feedback_kinds;
	if (!obj || !(kinds & (MMF_FB_RF | MMF_FB_ORDER)))
		return;
	if (kind != MMF_PT_ATOMIC && kind != MMF_PT_ACCESS && kind != MMF_PT_PLAIN)
		return;         /* locks come through mmf__fb_lock */
	struct slot *e = lookup(s, obj);
	if (!e)
		return;
	uint8_t me = (uint8_t)(t->id + 1);
	uint32_t here = site32(site);
	if (is_read(kind, site)) {
		if ((kinds & MMF_FB_RF) && e->w_site && e->w_task != me)
			emit(s, MMF_FB_RF, e->w_site, here);
		e->r_task = me;
		e->r_site = here;
	} else {
		if (kinds & MMF_FB_ORDER) {
			if (e->w_site && e->w_task != me)
				emit(s, MMF_FB_ORDER, e->w_site, here);
			if (e->r_site && e->r_task != me)
				emit(s, MMF_FB_ORDER, e->r_site ^ 0x5a5a5a5au, here);
		}
		e->w_task = me;
		e->w_site = here;
	}
}

void mmf__fb_lock(struct mmf_sched *s, struct mmf_task *t, const void *key, bool release,
		  const struct mmf_site *site)
{
	if (!(s->opts.feedback_kinds & MMF_FB_LOCK) || !s->opts.feature)
		return;
	struct slot *e = lookup(s, key);
	if (!e)
		return;
	uint8_t me = (uint8_t)(t->id + 1);
	uint32_t here = site32(site);
	if (release) {
		e->rel_task = me;
		e->rel_site = here;
	} else if (e->rel_site && e->rel_task != me) {
		emit(s, MMF_FB_LOCK, e->rel_site, here);
	}
}
