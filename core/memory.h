/* memory.h - user-visible operations on address spaces (memory.c).
 *
 * Kernel: none (the model's own entry points; memory.c says what it
 * follows).
 */
#ifndef MM_MEMORY_H
#define MM_MEMORY_H

#include "mm.h"

int mm_create(void);                    /* new address space: id or -errno */
bool mm_is_live(int id);
/* A user read or write of one page, faulting as needed; the data is
 * checked against (read) or stamped into (write) the shadow.  0, or
 * -EFAULT (the mm is gone), -ENOMEM (allocation failed). */
int mm_access(int id, int vpage, bool write);
int mm_fork(int id);                    /* child id or -errno */
void mm_munmap(int id, int first, int n);
void mm_madvise_dontneed(int id, int first, int n);
bool mm_exit(int id);                   /* false: it was not live */
int mm_exec(int id);                    /* exit, then a new mm: its id or -errno */
/* The folio mapped at vpage, with a reference; with swapcache, also the
 * swap-cache folio of a swap pte.  NULL if none. */
struct folio *mm_get_folio(int id, int vpage, bool swapcache);
/* Take a reference on the folio mapped at vpage (an I/O user's pin). */
struct folio *mm_pin(int id, int vpage);

#endif
