/* access.h - plain loads and stores of the model as scheduling points, a
 * mode a run opts into (mmf_sched_set_access_points; the mm program's
 * points=all, the CLI's --access-points).  Off, nothing changes: not a
 * decision, not a step, not a trace.
 *
 * Which accesses.  The kernel-address instrumentation of core/ calls the
 * checked heap's callbacks (kasan.c) before every plain load and store.
 * With the mode on, an access becomes a point of kind MMF_PT_PLAIN when
 *   - it falls in the checked heap's arena: model objects, the model's
 *     context (struct run_state is kzalloc'd), never a stack, a global or
 *     the scheduler's own memory (sched/ is not instrumented at all);
 *   - the running fiber is a task of a run with the mode on
 *     (mmf__access_armed: false in the host context, between runs, in
 *     thread mode, and while the access's own point is being taken, so a
 *     point never nests in a point);
 *   - another task could be picked there: a runnable task free to run on
 *     its CPU, or an interrupt that may fire on the running task.  When
 *     none could, the point would have one candidate and no decision, so
 *     it is skipped whole: no step, no log entry, no site lookup.
 * The point comes before the access, as every primitive's does, so a
 * read-modify-write (load, then store) has one between its load and its
 * store: an unlocked one can lose an update under some schedule.
 *
 * Sites.  An access has no static site record: its site is made the first
 * time its instruction reaches a point, named by the function and the
 * instruction's offset in it (the symbol table, symbolize.h): file "offset",
 * the byte offset as the line: "offset:82:rmap_walk:load".  Records live in a table
 * that a supervising process maps shared before it forks
 * (mmf_access_sites_init, from mmf_flight_new), so that a flight record's
 * site pointers stay readable after the child that made them died. */
#ifndef MMF_ACCESS_H
#define MMF_ACCESS_H

#include <stdbool.h>

#include "scheduler.h"

/* True while a task of a run with plain-access points runs its own code
 * (the scheduler sets it at every switch). */
extern _Thread_local bool mmf__access_armed;

/* From the instrumentation's callbacks, when armed and the access is in
 * the arena: take the point, unless no other task could run. */
void mmf__access_point(const void *addr, bool write, const void *pc);

/* The site of the access at pc (a load, or a store); NULL if the table is
 * full (the point then has no site). */
const struct mmf_site *mmf__access_site(const void *pc, bool write);

/* Map the site table shared (once per process family; a supervisor calls
 * it before it forks).  Without it, the first access point maps it
 * private. */
void mmf_access_sites_init(void);

#endif
