/* flight.h - the flight record: what one execution did, kept in shared
 * memory so that a supervising process can read it after the process that
 * ran the execution died.
 *
 * Why: a native crash (SIGSEGV in model code), a sanitizer that ends the
 * process, or a loop that never reaches a scheduling point would otherwise
 * take the execution's identity with it.  The supervisor (fuzz/guard.c)
 * maps a flight record before it forks; the child attaches it to its
 * scheduler (mmf_sched_use_flight), which then writes every decision and
 * step-log entry straight into it.  The decisions of the execution in
 * progress are its identity: replayed in a fresh child they lead to the
 * same end, so the supervisor can turn any ending into a finding with a
 * trace.
 *
 * Writers: the process that runs the execution (the scheduler as it goes,
 * mmf_flight_begin/end around each execution, and the mmf_flight_note_*
 * hooks from signal handlers and sanitizer callbacks, which are
 * async-signal-safe: plain stores, no allocation, no stdio).  Readers: the
 * supervisor, after the writer is gone or while it is stopped.  Every
 * pointer in the record points into the record itself or at static data of
 * the binary (sites, names), which fork() leaves at the same address.
 */
#ifndef MMF_FLIGHT_H
#define MMF_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"

enum mmf_flight_end {
	MMF_FLIGHT_RUNNING,     /* nothing recorded an end (yet) */
	MMF_FLIGHT_RETURNED,    /* mmf_flight_end: the run returned normally */
	MMF_FLIGHT_DIED,        /* a fatal signal, the watchdog or a sanitizer
				 * wrote the report: the process is going down */
};

struct mmf_flight_task {
	char name[24];
	uint32_t flags;
	uint8_t state;          /* enum mmf_task_state */
	const struct mmf_site *site;
};

struct mmf_flight {
	size_t map_size;
	/* the execution in progress, published by the process running it */
	uint64_t exec_no;               /* which execution of its search */
	int64_t start_ns;               /* CLOCK_MONOTONIC at its start */
	int in_exec;                    /* 1 while it runs */
	unsigned timeout_ms;            /* the supervisor's limit (for the report) */
	char program[64];
	char params[1024];
	/* how it ended */
	int end;                        /* enum mmf_flight_end */
	int sig;                        /* the fatal signal, 0 if none */
	uintptr_t addr;                 /* its fault address, if any */
	int internal;                   /* mmf_internal() ran: an mmfuzz bug */
	int status;                     /* enum mmf_run_status, if it returned */
	int failed;
	struct mmf_report report;
	uint64_t steps, preemptions, host_values;
	int running;                    /* the task on the CPU, -1: host context */
	int ntasks;
	struct mmf_flight_task tasks[MMF_MAX_TASKS];
	/* what the execution did so far */
	size_t ndec, nstep;
	size_t cap_dec, cap_step;
	int truncated;                  /* ran out of room: the record is partial */
	struct mmf_decision *dec;       /* inside this mapping */
	struct mmf_step *step;
};

/* Map a record with room for cap decisions and cap steps (address space
 * is reserved, pages are touched only as they fill).  Before fork(). */
struct mmf_flight *mmf_flight_new(size_t cap);
void mmf_flight_free(struct mmf_flight *f);

/* The scheduler records into f from now on (and always records). */
void mmf_sched_use_flight(struct mmf_sched *s, struct mmf_flight *f);

/* Around each execution (runner.c does it for every program run). */
void mmf_flight_begin(struct mmf_flight *f, const char *program, const char *params);
void mmf_flight_end(struct mmf_flight *f, const struct mmf_sched *s, enum mmf_run_status st);

/* Async-signal-safe hooks, for the current thread's scheduler: a fatal
 * signal (with its fault address), the watchdog's signal, a sanitizer
 * about to end the process (class name and one line), and an mmfuzz
 * internal error.  The first of the first three wins. */
void mmf_flight_note_signal(int sig, const void *addr);
void mmf_flight_note_timeout(void);
void mmf_flight_note_sanitizer(const char *cls, const char *line);
void mmf_flight_note_internal(void);

/* The supervisor's view after the writer is gone: s (initialized with
 * mmf_sched_init) becomes a post-mortem copy: report, task names, trace
 * and step log, so that reports, tables and trace files work on it.  The
 * caller fills in an ending the child could not write (see guard.c). */
void mmf_flight_adopt(const struct mmf_flight *f, struct mmf_sched *s);

/* Monotonic nanoseconds (for start_ns and watchdogs). */
int64_t mmf_flight_now_ns(void);

#endif
