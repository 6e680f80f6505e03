/* shadow.h - the data-integrity shadow (see shadow.c).
 *
 * Kernel: none (an oracle).
 */
#ifndef MM_SHADOW_H
#define MM_SHADOW_H

#include "mm.h"

struct mm_shadow *shadow_new(void);
void shadow_write(struct mm_shadow *sh, int mm, int vpage, uint8_t *data);
void shadow_check(struct mm_shadow *sh, int mm, int vpage, const uint8_t *data, const char *when);
void shadow_fork(struct mm_shadow *sh, int parent, int child);
void shadow_forget(struct mm_shadow *sh, int mm, int vpage);
bool shadow_has_data(struct mm_shadow *sh, int mm, int vpage);

#endif
