/* symbolize.h - call chains for reports: frame-pointer walks of the failing
 * task's stack and function names from the program's own symbol table
 * (static functions included), so a report names the functions that led to
 * it, not only where it fired.  Builds keep frame pointers for this. */
#ifndef MMF_SYMBOLIZE_H
#define MMF_SYMBOLIZE_H

#include <stddef.h>

/* "function+0xoff" (or "file+0xoff" when no symbol covers pc) into buf;
 * returns the length written.  The symbol table is read once. */
size_t mmf_symbolize(const void *pc, char *buf, size_t len);

/* Return addresses of the frames above frame (a __builtin_frame_address),
 * bounded by the stack [lo, hi); returns how many. */
int mmf_walk_frames(void *frame, const void *lo, const void *hi, void **pcs, int max);

#endif
