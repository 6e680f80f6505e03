/* thread_mode.h - the real-thread backend (MMF_MODE_THREADS): the same tasks
 * and primitives on pthreads with no controlled scheduler, the baseline of
 * classic stress testing.  Blocking uses raw futexes, invisible to TSan, so
 * the only happens-before edges TSan sees are the ones the modelled
 * primitives annotate: TSan then watches the model in true parallelism.
 *
 * Limits: interrupt tasks run as ordinary threads (interrupt-disable
 * regions do not hold them off), virtual time ticks once per wall-clock
 * millisecond, and deadlock/hang detection is a wall-clock watchdog.  A
 * failed run leaves its threads behind: the process must not run again. */
#ifndef MMF_THREAD_MODE_H
#define MMF_THREAD_MODE_H

#include "scheduler.h"

void mmf_threads_free(struct mmf_sched *s);
void mmf_threads_reset(struct mmf_sched *s);
/* A failed run left threads behind: this process can run no more. */
bool mmf_threads_abandoned(const struct mmf_sched *s);
enum mmf_run_status mmf_threads_run(struct mmf_sched *s);
void mmf_threads_table_lock(struct mmf_sched *s, bool lock);
/* An exited interrupt's slot, its thread joined, for a new interrupt; -1 if
 * none (call with the table lock held).  Interrupts come and go, so a long
 * run would otherwise fill the task table. */
int mmf_threads_reuse_irq_slot(struct mmf_sched *s);
void mmf_threads_start_task(struct mmf_sched *s, struct mmf_task *t);
void mmf_threads_point(struct mmf_sched *s, struct mmf_task *t);
void mmf_threads_obj_lock(struct mmf_sched *s, const void *obj);
void mmf_threads_obj_unlock(struct mmf_sched *s, const void *obj);
bool mmf_threads_wait(struct mmf_sched *s, struct mmf_task *t, const void *obj,
		      enum mmf_wait_kind kind, const char *desc, const struct mmf_task *holder,
		      const struct mmf_site *site, uint64_t wake_at);
void mmf_threads_wake(struct mmf_sched *s, const void *obj);
uint64_t mmf_threads_value(struct mmf_sched *s, uint64_t bound);
void mmf_threads_fail(struct mmf_sched *s, enum mmf_fail_class cls, const void *obj,
		      const struct mmf_site *site, const char *fmt, va_list ap);

#endif
