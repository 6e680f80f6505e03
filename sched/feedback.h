/* feedback.h - interleaving feedback on model objects for the fuzzing
 * engines (beside the switch feature of scheduler.c).
 *
 * Each kind is a pair of sites in two different tasks, touching one object
 * in a given order, hashed into one 32-bit feature and reported at most
 * once per run (a run's features are a set, so the counts of a busy pair
 * do not drown the map):
 *
 *   rf     reads-from: a read (atomic_read, refcount_read, a racy access)
 *          and the last write to the same object, by another task
 *   lock   lock hand-over: a lock (spin, mutex, rwsem, bit lock) taken
 *          where another task last released it
 *   order  conflicting writes: a write (any atomic read-modify-write) after
 *          another task's last write or read of the same object
 *
 * Objects are keyed by address within a run (the checked heap never
 * reuses an address within a run). */
#ifndef MMF_FEEDBACK_H
#define MMF_FEEDBACK_H

#include "scheduler.h"

struct mmf_objfb;
void mmf__fb_reset(struct mmf_sched *s);
void mmf__fb_free(struct mmf_sched *s);
/* A task performs an access at a scheduling point (after the point). */
void mmf__fb_access(struct mmf_sched *s, struct mmf_task *t, enum mmf_point_kind kind,
		    const void *obj, const struct mmf_site *site);
/* Lock acquired / released (key: the lock's address, or a bit's). */
void mmf__fb_lock(struct mmf_sched *s, struct mmf_task *t, const void *key, bool release,
		  const struct mmf_site *site);
/* Hash of a site's contents (file, line, operation), stable across runs,
 * builds in other directories and ASLR. */
uint64_t mmf__site_hash(const struct mmf_site *site);

#endif
