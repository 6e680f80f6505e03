/* repro.h - reproducer files: a versioned header, then the input.
 *
 *   mmfuzz-repro 1
 *   program mm
 *   params bugs=zswap-writeback-stale-data     (what the input is decoded with)
 *   variants zswap-writeback-stale-data
 *   build mmfuzz 0.1.0 3f2a9c1 Clang 14.0.6 asan
 *   result data-corruption
 *   signature data-corruption|zswap-...|shadow.c:91 shadow_check|...
 *   input 57
 *   5f3a0b...                                   (hex, 32 bytes a line)
 *   end
 *
 * Replay needs nothing else: the program, its parameters (with the variant
 * set) and the bytes.  The parser is strict: an unknown version, a missing
 * or unknown header line, bad hex, a length mismatch, a missing 'end' or
 * trailing text is a one-line error.  The CLI takes a file without the
 * header as raw input bytes (a libFuzzer or AFL++ crash file) only when
 * told so (--raw). */
#ifndef MMF_REPRO_H
#define MMF_REPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MMF_REPRO_VERSION 1
#define MMF_REPRO_MAX_INPUT (1u << 20)

struct mmf_repro {
	char program[64];
	char params[1024];
	char variants[512];
	char build[256];
	char result[32];
	char signature[512];
	uint8_t *input;
	size_t len;
};

int mmf_repro_write(FILE *f, const struct mmf_repro *r);
/* The same text into buf without stdio or allocation (safe in a signal
 * handler); its length, or 0 if it does not fit in cap.  mmf_repro_size()
 * is always enough. */
size_t mmf_repro_format(char *buf, size_t cap, const struct mmf_repro *r);
size_t mmf_repro_size(const struct mmf_repro *r);
/* Parse text of len bytes.  0, or -1 with "line N: reason" in err. */
int mmf_repro_parse(const char *text, size_t len, struct mmf_repro *r, char *err, size_t errlen);
void mmf_repro_free(struct mmf_repro *r);
/* Does this file content start like a reproducer (or a trace)? */
bool mmf_is_repro(const char *text, size_t len);
bool mmf_is_trace(const char *text, size_t len);

#endif
