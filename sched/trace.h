/* trace.h - the versioned, human-readable trace of a run's decisions.
 *
 *   mmfuzz-trace 2
 *   program toy                 what to run (a registry name)
 *   params fixed=0
 *   source random seed=1 run=0  informational: who made the decisions
 *   variants none               bug variants in force (= the params' bugs=)
 *   result invariant            how the recorded run ended (class or "clean")
 *   steps 57
 *   decisions 12
 *   p 0 1 0,1 toys.c:29:lost_update_task:atomic_read
 *   v - 3 8 workload.c:240:mm_workload_setup:workload_size
 *   f 1 0 64 page_alloc.c:88:folio_alloc:folio_alloc   # preempt
 *   end
 *
 * p <running task|-> <chosen task|t> <runnable set> <site>; v <task|->
 * <value> <bound> <site>; f <task|-> <0|1> <rate> <site>.  The site is
 * where the decision was taken (file:line:function:operation, blanks in the
 * operation written as '_'; '-' for none): replay checks it, and the task,
 * so that a changed model is reported where it departs from the recording.
 * '#' starts a comment.  Version 1 (no site field) is still read; its
 * replays check tasks and runnable sets only.  Readers reject another
 * version, a missing or unknown header line, a variants line that is not
 * the params' bugs=, a bad decision line, a line too long, a count that
 * does not match, and a missing "end" (truncation).
 */
#ifndef MMF_TRACE_H
#define MMF_TRACE_H

#include <stdio.h>

#include "scheduler.h"

struct mmf_trace_hdr {
	char program[64];
	char params[1024];
	char source[128];
	char variants[256];
	char result[64];
	uint64_t steps;
};

struct mmf_trace_file {
	struct mmf_trace_hdr h;
	struct mmf_trace t;
	int version;                    /* of the file read */
	struct mmf_site_pool *sites;    /* the sites its decisions point to */
};

/* Write header and decisions. Returns 0, or -1 on an I/O error. */
int mmf_trace_write(FILE *f, const struct mmf_trace_hdr *h, const struct mmf_trace *t);
/* Parse a trace.  Returns 0, or -1 with a one-line reason in err. */
int mmf_trace_parse(const char *text, size_t len, struct mmf_trace_file *out, char *err,
		    size_t errlen);
int mmf_trace_load(const char *path, struct mmf_trace_file *out, char *err, size_t errlen);
void mmf_trace_file_free(struct mmf_trace_file *tf);

/* Value of key=value in a params string ("" if absent). */
const char *mmf_param(const char *params, const char *key, char *buf, size_t len);

/* "<magic> <version>" (the first line of a trace or a reproducer): 0 and
 * *version for a canonical decimal version; -1 if the line is not
 * "<magic> " followed by anything; -2 if the version is not a number or is
 * too large to be one this or any build writes. */
int mmf_parse_magic(const char *line, const char *magic, int *version);

/* A site as one token, file:line:function:operation ('-' for none), and
 * whether two sites are the same place: the same file, function and
 * operation, the lines within the few a multi-line macro call spans
 * (compilers number such a call by its first or its last line). */
void mmf_site_token(const struct mmf_site *site, char *buf, size_t len);
bool mmf_site_same(const struct mmf_site *a, const struct mmf_site *b);

#endif
