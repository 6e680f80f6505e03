/* reftrack.h - who holds each reference: a run-scoped reference tracker,
 * as the kernel's ref_tracker (lib/ref_tracker.c) but without tracker
 * handles in the callers.
 *
 * For each tracked object (keyed by address) it keeps the references
 * taken and not yet dropped, each with the site and task that took it, and
 * the last few get/put events.  The counts it keeps are the object's own
 * (every get and put of a tracked object must be reported here), which
 * lets it answer three questions the checks ask:
 *   - a leak (teardown audit): who took the references still held;
 *   - a drain that never ends (swapoff waiting for a killed percpu_ref):
 *     who holds what the waiter waits for, in deadlock and hang reports;
 *   - an underflow: a put of an object that holds no reference reports
 *     where the references were taken and dropped (class refcount).
 *
 * Which reference a put drops.  The kernel's references are not owned by
 * tasks: one task takes a folio reference, another (a zap, an I/O
 * completion) drops it.  A put drops, in this order of preference:
 *   1. the putting task's most recent reference taken in the same function
 *      (a temporary reference: get and put in one function);
 *   2. the same in the same source file (one subsystem's reference: reclaim
 *      isolates and puts back);
 *   3. the oldest reference of any task taken in the same source file (the
 *      swap cache adds and whoever deletes drops, both in swap_state.c);
 *   4. the putting task's most recent reference (nested: a helper took it);
 *   5. the oldest reference of any task (a long-lived reference, such as a
 *      page table's or the swap cache's, dropped by whoever unmaps or
 *      deletes: the oldest, as the allocation's, is the likeliest; an
 *      extra reference taken later stays listed).
 * References marked "base" (an object's own, as a percpu_ref's initial
 * reference) are dropped only by mmf_ref_kill.  The policy is
 * deterministic; the holder list a report shows is exact in count, exact
 * per task where tasks drop what they took, and a best guess where they
 * hand references on.
 *
 * Ordering with the counter itself: report a get after the counter went up
 * and a put before it goes down (the putter still holds its reference, so
 * the tracker never sees a put of a held reference as an underflow).
 *
 * Bounded: MMF_REF_HOLDERS holder records per object (same site and task
 * merge into one record; beyond that, references are counted but not
 * attributed), MMF_REF_HISTORY events, MMF_REF_MAX_OBJS objects per run
 * (objects beyond are not tracked: their puts are not checked).
 *
 * Cheap: one hash probe per operation, no allocation except table growth;
 * reset per run by a generation count.  Safe in thread mode (a striped obj
 * lock, as kmem.c).
 */
#ifndef MMF_REFTRACK_H
#define MMF_REFTRACK_H

#include "scheduler.h"

/* obj is born (or reborn: a frame reallocated) with nr references taken by
 * the current task at site; forgets what was known of it.  base: those
 * references are the object's own (dropped only by mmf_ref_kill). */
void mmf_ref_new(const void *obj, const char *type, int nr, bool base,
		 const struct mmf_site *site);
/* nr references taken at site.  An object never seen is tracked from now
 * on (its earlier references unknown: its puts are then not checked). */
void mmf_ref_get(const void *obj, const char *type, int nr, const struct mmf_site *site);
/* nr references dropped at site (before the counter drops).  A put of an
 * object that holds no reference is reported (class refcount); the call
 * then returns only in the host context.  Every refcount report on a
 * tracked object (this one, a get of a dying anon_vma, a percpu_ref
 * underflow) carries the object's holders or, with none, its history. */
void mmf_ref_put(const void *obj, int nr, const struct mmf_site *site);
/* Every reference gone at once (a count frozen to zero, the object freed). */
void mmf_ref_free(const void *obj, const struct mmf_site *site);
/* Drop the base reference and start waiting for the others to drain
 * (percpu_ref_kill): deadlock and hang reports name the holders. */
void mmf_ref_kill(const void *obj, const struct mmf_site *site);
/* Until called again with NULL, the current task's gets and puts are made
 * on behalf of its caller at site (get_swap_device around
 * percpu_ref_tryget_live): they are recorded at site, with their own site
 * as "via".  Returns the outer site it replaces: wrappers bracket the call
 * they wrap with it and restore what it returned (they nest; NULL makes
 * the calls inside record their own sites again). */
const struct mmf_site *mmf_ref_outer(const struct mmf_site *site);

/* References held now (0 for an untracked object). */
int mmf_ref_held(const void *obj);
/* Append to buf at off: one line per holder record, indented by indent;
 * then the last events, with history or when no reference is held.
 * Returns the new offset (nothing for an untracked object). */
size_t mmf_ref_describe(struct mmf_sched *s, const void *obj, bool history, const char *indent,
			char *buf, size_t len, size_t off);
/* Append, for every object task killed (mmf_ref_kill) that still has
 * holders, what it waits for and who holds it (deadlock/hang reports). */
size_t mmf_ref_describe_awaited(const struct mmf_sched *s, int task, char *buf, size_t len,
				size_t off);

void mmf_ref_reset(struct mmf_sched *s);
void mmf_ref_destroy(struct mmf_sched *s);

#endif
