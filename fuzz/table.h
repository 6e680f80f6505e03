/* table.h - the interleaving table printed by replay: one column per task,
 * one row per scheduling step, each cell naming the model function, source
 * line and operation; the failing step is marked. */
#ifndef MMF_TABLE_H
#define MMF_TABLE_H

#include <stdio.h>

#include "scheduler.h"

/* max_rows: 0 prints every row; otherwise the last max_rows rows. */
void mmf_table_print(FILE *f, const struct mmf_sched *s, size_t max_rows);
/* The compact form: one row per stretch a task ran without a switch,
 * showing how many steps it took and where it stood when it was switched
 * out; the failing task's row is marked. */
void mmf_table_print_runs(FILE *f, const struct mmf_sched *s);

#endif
