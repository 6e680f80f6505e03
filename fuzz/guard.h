/* guard.h - supervised execution: every way an execution can end is a
 * finding with a reproducer, saved by a process that outlives it.
 *
 * The work that runs executions (a search, a hunt worker, one replay, one
 * minimizer candidate) runs in a child process whose scheduler records into
 * a flight record (sched/flight.h) the parent mapped before the fork.  In
 * the child, handlers note a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT, SIGTRAP, SIGSYS), a sanitizer report that ends the process, and
 * the watchdog's signal in the flight record before the process goes down.
 * The parent classifies the child's end from its wait status and the
 * record:
 *
 *   done         the child finished its work (its exit code is its own)
 *   failed       an execution ended the process: crash (with the signal),
 *                a sanitizer report (its class), or timeout (the parent's
 *                per-execution watchdog); the record holds the report, the
 *                task that ran and where it last stood, and the decisions
 *                up to there, which replay the same end
 *   killed       killed from outside (SIGKILL by a person or the OOM
 *                killer, SIGTERM...): not a finding
 *   internal     mmfuzz itself failed (an internal error, or a death
 *                outside any execution)
 *
 * A timeout is confirmed by re-executing the recorded decisions in a fresh
 * child under the same limit (mmf_guard_reproduce), so a busy machine does
 * not make findings.
 */
#ifndef MMF_GUARD_H
#define MMF_GUARD_H

#include <stdbool.h>
#include <sys/types.h>

#include "flight.h"
#include "program.h"

/* The per-execution wall-clock limit when none is given (--timeout-ms).
 * An execution of the generic workload takes tens of microseconds and the
 * hang detector's step budget ends a livelock within a fraction of a
 * second even under TSan, so only a loop that reaches no scheduling point
 * comes near it. */
#define MMF_DEFAULT_TIMEOUT_MS 2000
/* After the watchdog's signal, how long the child gets to write its
 * report before it is killed. */
#define MMF_GUARD_GRACE_MS 500
/* Room in a flight record: a whole execution up to the step budget. */
#define MMF_FLIGHT_CAP (MMF_DEFAULT_MAX_STEPS + 65536)

enum mmf_guard_how { MMF_GUARD_DONE, MMF_GUARD_FAILED, MMF_GUARD_KILLED, MMF_GUARD_INTERNAL };

struct mmf_guard_end {
	enum mmf_guard_how how;
	int exit_code;          /* done: the child's exit code */
	int sig;                /* the signal that ended the child, if any */
	bool timeout;           /* failed: the watchdog ended it */
	char why[256];          /* killed / internal: one line */
};

/* Fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS)
 * call note(sig, fault address), async-signal context on a stack of their
 * own, then whoever handled them before (a sanitizer, an engine) or the
 * default action ends the process. */
void mmf_guard_catch_fatal(void (*note)(int sig, const void *addr));

/* In the child: note fatal signals, sanitizer deaths and the watchdog's
 * signal in the current scheduler's flight record; ignore SIGINT (the
 * parent decides what an interrupt means); die with the parent. */
void mmf_guard_child_init(void);

/* Fork a child that runs fn(ctx) after mmf_guard_child_init and exits 0.
 * stderr_fd >= 0: the child's stderr goes there. */
pid_t mmf_guard_spawn(void (*fn)(void *), void *ctx, int stderr_fd);

/* The watchdog: true if f's execution in progress has run longer than
 * timeout_ms (0: no limit) at time now (mmf_flight_now_ns). */
bool mmf_guard_overdue(const struct mmf_flight *f, unsigned timeout_ms, int64_t now);
/* Ask an overdue child to note the timeout and exit; returns the time
 * after which to kill it. */
int64_t mmf_guard_signal_timeout(pid_t pid, struct mmf_flight *f, unsigned timeout_ms);

/* Classify a child's wait status (we_timed_out: the watchdog signalled
 * it).  For a failure the record is completed (report, class, task, site)
 * where the child could not write it. */
void mmf_guard_classify(int status, struct mmf_flight *f, bool we_timed_out,
			struct mmf_guard_end *e);

/* Wait for a child, running the watchdog on f; classifies its end.
 * Returns early with how = KILLED and why "interrupted" if the parent got
 * SIGINT/SIGTERM (after killing the child). */
void mmf_guard_wait(pid_t pid, struct mmf_flight *f, unsigned timeout_ms, struct mmf_guard_end *e);

/* Re-execute a run from its decisions (strict replay, sites checked) in a
 * fresh child with the step log on, under the watchdog.  s (uninitialized)
 * becomes the post-mortem of that run: a failure, or the clean or other
 * ending it came to instead.  stderr_fd as for spawn. */
void mmf_guard_reproduce(const struct mmf_program *p, const char *params,
			 const struct mmf_decision *d, size_t n, unsigned timeout_ms, int stderr_fd,
			 struct mmf_sched *s, struct mmf_guard_end *e);

/* The same in steps, for a parent that watches several children: start,
 * then poll until it returns true (the job's ending is in e, its
 * post-mortem in s), or cancel. */
struct mmf_repro_job {
	pid_t pid;
	struct mmf_flight *f;
	unsigned timeout_ms;
	bool timed_out;
	int64_t kill_at;
	void *ctx;
};
void mmf_guard_reproduce_start(struct mmf_repro_job *j, const struct mmf_program *p,
			       const char *params, const struct mmf_decision *d, size_t n,
			       unsigned timeout_ms, int stderr_fd);
bool mmf_guard_reproduce_poll(struct mmf_repro_job *j, struct mmf_sched *s,
			      struct mmf_guard_end *e);
void mmf_guard_reproduce_cancel(struct mmf_repro_job *j);

/* The parent side of an interrupt: SIGINT and SIGTERM set a flag instead
 * of ending the process; mmf_guard_interrupted() returns the signal (0: none). */
void mmf_guard_catch_interrupts(void);
int mmf_guard_interrupted(void);

/* Who hears of a UBSan report (sanitizer builds): by default it is noted
 * in the flight record; the engine targets save a reproducer. */
void mmf_guard_on_ubsan(void (*hook)(const char *line));

/* A post-mortem sched from a flight record: initialized here, destroyed by
 * the caller with mmf_sched_destroy. */
void mmf_guard_adopt(const struct mmf_flight *f, struct mmf_sched *s);

#endif
