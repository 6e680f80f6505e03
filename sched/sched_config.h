/* sched_config.h - every limit of the scheduler layer, each with its reason.
 *
 * Limits are compile-time so that the per-run state is a fixed-size struct
 * (no allocation on the hot path) and so that a trace or reproducer written
 * by one build is understood by another build of the same version.
 */
#ifndef MMF_SCHED_CONFIG_H
#define MMF_SCHED_CONFIG_H

/* Tasks per run.  The mm workloads use 2-4 worker tasks plus interrupt
 * handlers (I/O completion, timers) and the RCU callback daemon; this leaves
 * room for bursts of pending interrupts without making the runnable-set scan
 * at every scheduling point expensive. */
#define MMF_MAX_TASKS 24

/* Virtual CPUs, for programs that ask for them (mmf_sched_set_cpus: the mm
 * model does).  Every task is placed on one at spawn (round robin over the
 * tasks a program spawns; an interrupt on the CPU of the task it
 * interrupts).  A task with preemption off (preempt_disable, local_lock, a
 * spinlock held, interrupts off) or an interrupt handler keeps every other
 * task of its CPU off that CPU until it is done; tasks of other CPUs
 * interleave with it freely.  Per-CPU data (the model's LRU batches) is
 * indexed by it.  Two: the smallest number with a local and a remote CPU. */
#define MMF_NR_CPUS 2

/* Fiber stack size.  Model code is shallow (no recursion), but ASan
 * redzones roughly triple frame sizes, so sanitizer builds get more. */
#include "sanitizer.h"
#if MMF_ASAN || MMF_TSAN
#define MMF_STACK_SIZE (256 * 1024)
#else
#define MMF_STACK_SIZE (64 * 1024)
#endif

/* Locks one task may hold at once (lockdep's held-lock stack).  The deepest
 * kernel path we model (reclaim: mmap_lock -> ptl -> swap_info lock ->
 * cluster lock -> tree lock) nests five. */
#define MMF_MAX_HELD_LOCKS 16

/* Distinct lock classes tracked by the lock-order checker.  A class is a
 * lock's initialisation site, as in lockdep. */
#define MMF_MAX_LOCK_CLASSES 128

/* Bit locks whose holder we remember for deadlock reports (kernel bit locks
 * have no owner field; this side table only names who took one). */
#define MMF_MAX_BITLOCK_OWNERS 64

/* Pending timers and RCU callbacks; both are bounded by the workload size. */
#define MMF_MAX_TIMERS 32
#define MMF_MAX_RCU_CALLBACKS 256

/* Default step budget: scheduling points one execution may take before it is
 * reported as a hang or livelock.  Generous against the largest generic
 * workload so that a report means "no progress", not "big input". */
#define MMF_DEFAULT_MAX_STEPS 200000

/* Fairness: decisions in a row a task may keep the CPU from runnable tasks
 * before the scheduler switches it out once (every kernel task has a CPU of
 * its own; see build_choice).  Far above any stretch a workload operation
 * takes, so it only ends spin loops. */
#define MMF_FAIR_STREAK 1000

/* Completions one pending interrupt can take on when the task table has no
 * free slot for a new one (interrupt coalescing; see mmf_raise_irq). */
#define MMF_IRQ_COALESCE 16
/* Interrupt tasks live at once, at most; more completions coalesce. */
#define MMF_MAX_IRQS (MMF_MAX_TASKS - 8)

/* Reference tracker (reftrack.h): holder records kept per object (the
 * same site and task share one; a folio's references come from a handful
 * of sites), get/put events kept per object for underflow and leak
 * reports, and objects tracked per run (a run allocates a few hundred;
 * the cap only bounds a runaway program's memory). */
#define MMF_REF_HOLDERS 12
#define MMF_REF_HISTORY 8
#define MMF_REF_MAX_OBJS 65536

/* Report text kept for the first failure of a run. */
#define MMF_REPORT_LEN 2048

/* Trace format version written into every trace; readers take this one and
 * version 1 (which had no decision sites) and reject others. */
#define MMF_TRACE_VERSION 2

#endif
