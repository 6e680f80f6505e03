/* kasan.h - the checked heap's arena and access checks (builds with
 * MMF_KASAN: the default build; ASan and TSan builds use their own).
 *
 * Model objects (kmalloc) live in a run-scoped arena with a shadow byte per
 * 8-byte granule, as the kernel's generic KASAN keeps them:
 *   - each object has a header in front of it (its left redzone: size, type,
 *     allocation and free sites and tasks) and a right redzone behind it;
 *   - kfree() marks the object freed in the shadow and fills it with
 *     MMF_POISON_FREE; nothing is allocated twice within a run (the arena
 *     is a bump allocator reset when the run ends), so the quarantine is the
 *     whole run and a freed object can never pass for a live one;
 *   - every access the scheduler sees (locks, atomics, refcounts, bit
 *     operations, RCU, wait queues, completions, timers) and, through the
 *     compiler's kernel-address instrumentation of core/, every plain load
 *     and store of the model is checked against the shadow.
 * A bad access is reported at once: use-after-free with the object's
 * allocation and free sites and tasks, or out-of-bounds (a redzone, or
 * arena memory no object was ever allocated in).  Addresses outside the
 * arena (stacks, globals, the scheduler's own memory) are not checked.
 */
#ifndef MMF_KASAN_H
#define MMF_KASAN_H

#include "scheduler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmf_kasan_obj {
	const void *ptr;
	size_t size;
	const char *type;
	const struct mmf_site *site, *free_site;
	int task, free_task;            /* -1: the host context */
	uint64_t seq;
	bool freed;
};

/* A run's slice of the arena: returns its index, or -1 when every slice
 * is taken (the caller falls back to malloc). */
int mmf_kasan_slice_get(void);
void mmf_kasan_slice_put(int slice);
char *mmf_kasan_slice_base(int slice);
size_t mmf_kasan_slice_size(void);

/* Carves an object at *top; NULL when the slice is full. */
void *mmf_kasan_alloc(char *base, size_t *top, size_t size, const char *type,
		      const struct mmf_site *site, int task, uint64_t seq);
/* 0: freed; 1: already freed (*o says by whom); 2: not an object's start.
 * typesafe: the object goes back to a SLAB_TYPESAFE_BY_RCU cache (kmem.h):
 * its bytes are kept, and the shadow lets tasks inside an RCU read-side
 * section touch it until mmf_kasan_release() or mmf_kasan_revive(). */
int mmf_kasan_free(const void *p, const struct mmf_site *site, int task, bool typesafe,
		   struct mmf_kasan_obj *o);
/* A typesafe object freed with mmf_kasan_free() is handed out again: live,
 * with a new allocation site, task and order, its bytes as they were. */
void mmf_kasan_revive(const void *p, const struct mmf_site *site, int task, uint64_t seq);
/* A typesafe object leaves its cache for good (a grace period has passed):
 * from now on it is freed memory like any other. */
void mmf_kasan_release(const void *p);
/* Is p inside the arena at all? */
bool mmf_kasan_owns(const void *p);
/* Objects in allocation order: *off starts at 0. */
bool mmf_kasan_next(char *base, size_t top, size_t *off, struct mmf_kasan_obj *o);
/* Forget every object below hwm (the run is over). */
void mmf_kasan_clear(char *base, size_t hwm);

/* Check an access of n bytes at p; reports and (in a task) ends the run.
 * A freed object of a SLAB_TYPESAFE_BY_RCU cache still in its cache may be
 * touched by a task inside an RCU read-side section, nowhere else. */
void mmf_kasan_check(const void *p, size_t n, bool write, const struct mmf_site *site);

#endif
