/* exec_rt.h - the exec-mode runtime, linked into a user's program by
 * mmfuzz-cc: the pthread face (pthread_face.c), memory-access and atomic
 * points (access.c), call-site records (site.c) and the "exec" program
 * that runs the user's main under the controlled scheduler (program.c).
 *
 * Who runs where.  The user's binary carries the whole mmfuzz front end.
 * `mmfuzz CMD ... --exec ./prog ARGS` execs ./prog with the front end's
 * arguments in MMFUZZ_EXEC_FRONT; prog's main (wrapped) runs the front end
 * instead of the user's main.  Every execution forks a fresh child from the
 * process that runs the front end's executions, before any user code ran
 * there; in the child the user's main and every thread it makes run as
 * scheduler tasks, each on an OS thread of its own (thread-local storage
 * and errno are per thread), one at a time, handing a baton at each
 * scheduling point.  Decisions are taken in the child with a copy of the
 * decision source; the parent brings its own source up to date from the
 * child's log of decisions afterwards (sources are deterministic), so
 * every front end (random, PCT, explore, input bytes, replay) works
 * unchanged and nothing crosses a process boundary at a scheduling point.
 *
 * This face knows the scheduler core (sched/scheduler.h) and nothing of
 * the kernel-style primitives (sched/sync.h); they know nothing of it. */
#ifndef MMF_EXEC_RT_H
#define MMF_EXEC_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"

/* A call site of the user's program (or of a wrapped call), named by its
 * source line: records live in memory shared by every process of the
 * family, so a record made in an execution's child is valid in the
 * front end that reads its trace.  what: a static string. */
const struct mmf_site *mmf_exec_site(const void *pc, const char *what);
/* The shared memory for site records: before any fork (at start-up).
 * symbolize: name sites by source line (else by address only: a process
 * that runs one execution, for a fuzzer's fork server, saves the time). */
void mmf_exec_sites_init(bool symbolize);

/* Whether user code runs under the scheduler now: in an execution's child,
 * in a task (elsewhere every wrapper passes through to the real call). */
static inline bool mmf_exec_active(void) { return mmf_current() != NULL; }

/* Per-run settings, read by the access points (program.c sets them). */
extern bool mmf_exec_access_points;     /* loads and stores are points */

/* Thread records (pthread_face.c). */
void mmf_exec_threads_reset(void);
/* The main task's body: runs the user's main, ends the run with its
 * status (program.c gives it the call). */
void mmf_exec_main_task(int (*main_fn)(int, char **, char **), int argc, char **argv,
			char **envp);
/* The program's exit status once the run is over; -1 if it did not exit
 * (every thread ended with pthread_exit: status 0 by POSIX). */
extern int mmf_exec_exit_code;

/* The current task's stack, for skipping accesses to its own locals:
 * noted at the start of each thread (frame: its first frame). */
void mmf_exec_note_stack(const void *frame, size_t size);


/* Each thread's stack (its OS thread's). */
#define MMF_EXEC_STACK ((size_t)8 << 20)

/* Virtual time: 1 jiffy is one millisecond. */
#define MMF_EXEC_NS_PER_JIFFY 1000000ull

#endif
