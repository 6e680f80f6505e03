/* trace.h - the versioned, human-readable trace of a run's decisions.
 *
 *   mmfuzz-trace 1
 *   program toy                 what to run (a registry name)
 *   params name=lost-update fixed=0
 *   source random seed=1 run=0  informational: who made the decisions
 *   variants none               bug variants in force
 *   result invariant            how the recorded run ended (class or "clean")
 *   steps 57
 *   decisions 12
 *   p 0 1 0,1      # toy.c:40 lost_update_task atomic_read
 *   v - 3 8        # ...
 *   f 1 0 64       # ...
 *   end
 *
 * p <running task|-> <chosen task|t> <runnable set>; v <task|-> <value>
 * <bound>; f <task|-> <0|1> <rate>.  '#' starts a comment.  Readers reject
 * another version, a missing or unknown header line, a bad decision line, a
 * count that does not match, and a missing "end" (truncation).
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

/* "<magic> <version>" with a canonical decimal version: 0 and *version, or
 * -1 (the first line of a trace or a reproducer). */
int mmf_parse_magic(const char *line, const char *magic, int *version);

#endif
