/* kctx.h - kernel execution contexts for the model's face of the
 * scheduler: interrupts and kernel threads (sched/kctx.c).  The task flags
 * they use (MMF_TASK_IRQ, MMF_TASK_DAEMON) and the interrupt-enable state
 * of a task live in the core, which decides where an interrupt may fire. */
#ifndef MMF_KCTX_H
#define MMF_KCTX_H

#include "scheduler.h"

/* Raise an interrupt: an interrupt-context task that runs fn(arg) at some
 * scheduling point where the interrupted task has interrupts enabled. */
struct mmf_task *mmf_raise_irq(const char *name, void (*fn)(void *), void *arg);

/* In interrupt context. */
bool mmf_in_irq(void);
/* A kernel thread: the run's workers are done, stop. */
bool kthread_should_stop(void);

/* Sleep until no interrupt task is pending or running: outstanding I/O
 * completions have all run (teardown's "drain I/O"). */
void mmf_wait_irqs_idle(const struct mmf_site *site);

/* A kernel thread waits for work.  When every worker task has exited, idle
 * kernel threads are woken with kthread_should_stop() true; a kernel thread
 * blocked anywhere else is part of a deadlock like any task. */
void mmf_kthread_idle_wait(const void *obj, const char *desc, const struct mmf_site *site);

#endif
