/* lockdep.h - a small lock-order checker in the spirit of the kernel's
 * lockdep: lock classes are initialisation sites (a bit lock's class is
 * where its MMF_BIT_CLASS is defined: one per kind of bit lock, as lockdep
 * has one per lock type); taking class B while
 * holding class A adds the edge A -> B; an edge that closes a cycle is a
 * possible deadlock and is reported even when this schedule did not
 * deadlock.  It also reports a class taken both in interrupt context and in
 * process context with interrupts enabled (the self-deadlock an interrupt
 * causes when it spins on a lock its own CPU holds).
 *
 * The graph is per run, so a report depends only on the run's input.
 */
#ifndef MMF_LOCKDEP_H
#define MMF_LOCKDEP_H

struct mmf_lockdep;
struct mmf_lockdep *mmf_lockdep_new(void);
void mmf_lockdep_free(struct mmf_lockdep *ld);
void mmf_lockdep_reset(struct mmf_lockdep *ld);

#endif
