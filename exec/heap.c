/* heap.c - a double-free check for programs built without ASan (exec mode).
 *
 * In a run, free() does not give memory back at once: the block is
 * poisoned (0xdd) and held in a quarantine of recent frees, so nothing can
 * be allocated there meanwhile; freeing a block that is still in the
 * quarantine is a double free, reported with where it was freed first.  A
 * read through a dangling pointer sees the poison instead of live data.
 * With ASan (the asan build) every call passes straight through: ASan
 * checks all of it. */
#define _GNU_SOURCE
#include "exec_rt.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
extern void __asan_init(void) __attribute__((weak));

#define QMAX 4096               /* blocks held */
#define QBYTES (16u << 20)      /* bytes held */
#define QHASH 8192

struct qent {
	void *p;
	size_t size;
	const struct mmf_site *site;
};
static struct qent q[QMAX];
static unsigned qhead, qn;
static size_t qbytes;
static void *qset[QHASH];       /* open addressing over quarantined pointers */

static size_t slot(void *p) { return mmf__hash_ptr(p) & (QHASH - 1); }

static bool quarantined(void *p)
{
	for (size_t i = slot(p), k = 0; k < QHASH; i = (i + 1) & (QHASH - 1), k++) {
		if (qset[i] == p)
			return true;
		if (!qset[i])
			return false;
	}
	return false;
}

static void set_add(void *p)
{
	size_t i = slot(p);
	while (qset[i])
		i = (i + 1) & (QHASH - 1);
	qset[i] = p;
}

/* Remove p, re-inserting the rest of its cluster (linear probing). */
static void set_del(void *p)
{
	size_t i = slot(p);
	while (qset[i] != p)
		i = (i + 1) & (QHASH - 1);
	qset[i] = NULL;
	for (size_t j = (i + 1) & (QHASH - 1); qset[j]; j = (j + 1) & (QHASH - 1)) {
		void *r = qset[j];
		qset[j] = NULL;
		set_add(r);
	}
}

static void evict(void)
{
	struct qent *e = &q[qhead];
	set_del(e->p);
	qbytes -= e->size;
	__real_free(e->p);
	qhead = (qhead + 1) % QMAX;
	qn--;
}

static const struct qent *find(void *p)
{
	for (unsigned k = 0; k < qn; k++) {
		const struct qent *e = &q[(qhead + k) % QMAX];
		if (e->p == p)
			return e;
	}
	return NULL;
}

void __wrap_free(void *p)
{
	if (!p || __asan_init || !mmf_exec_active()) {
		__real_free(p);
		return;
	}
	const struct mmf_site *site = mmf_exec_site(__builtin_return_address(0), "free");
	if (quarantined(p)) {
		const struct qent *e = find(p);
		const struct mmf_site *first = e ? e->site : NULL;
		mmf_fail(MMF_FAIL_DOUBLE_FREE, p, site,
			 "double free of %p (freed before at %s:%d %s())", p, mmf_site_file(first),
			 first ? first->line : 0, first && first->func ? first->func : "?");
	}
	size_t n = malloc_usable_size(p);
	memset(p, 0xdd, n);
	while (qn == QMAX || (qn && qbytes + n > QBYTES))
		evict();
	q[(qhead + qn) % QMAX] = (struct qent){p, n, site};
	qn++;
	qbytes += n;
	set_add(p);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (p && !__asan_init && mmf_exec_active() && quarantined(p))
		mmf_fail(MMF_FAIL_USE_AFTER_FREE, p,
			 mmf_exec_site(__builtin_return_address(0), "realloc"),
			 "realloc of freed memory %p", p);
	return __real_realloc(p, n);
}
