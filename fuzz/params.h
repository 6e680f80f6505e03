/* params.h - the one parser of program parameters ("k=v k=v").  The CLI's
 * --params, a trace's or reproducer's params line and the engine targets'
 * MMFUZZ_PARAMS all reach a program through mmf_run_program, which checks
 * them against the program's table before its setup runs:
 *
 *   - every word is key=value with a non-empty value;
 *   - the key is one the program takes, given at most once;
 *   - an integer is a plain decimal (a sign only where the range allows
 *     negatives) within the key's range;
 *   - a list is comma-separated non-empty items, each one of the allowed
 *     names (or checked by the key's own function).
 *
 * A program checks what only it can (the plan= grammar, contradictions
 * between keys) in its setup, naming the key. */
#ifndef MMF_PARAMS_H
#define MMF_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

enum mmf_param_type { MMF_P_INT, MMF_P_LIST, MMF_P_TEXT };

struct mmf_param_spec {
	const char *key;
	enum mmf_param_type type;
	long lo, hi;                    /* int: the range */
	/* list: the allowed item names (NULL-terminated), or NULL to allow
	 * any non-empty item; text: checked by the program */
	const char *const *items;
	const char *help;               /* "fixed=0|1", for messages */
};

/* 0, or -1 with one line naming the key in err. */
int mmf_params_check(const char *params, const struct mmf_param_spec *spec, char *err,
		     size_t len);

/* A %-encoded value (exec mode's path= and args=: %XX for any byte that
 * may not stand in a k=v word) from [p, end) into out, NUL-terminated.
 * Returns the bytes written, or -1 if malformed or out of room. */
int mmf_pct_decode(const char *p, const char *end, char *out, size_t room);

/* Whether key= is given. */
bool mmf_param_given(const char *params, const char *key);

#endif
