/* table.c - the interleaving table; see table.h. */
#define _GNU_SOURCE
#include "table.h"

#include <string.h>

#define COLW 40

static void cell(char *buf, size_t len, const struct mmf_step *e)
{
	const struct mmf_site *st = e->site;
	switch (e->kind) {
	case MMF_STEP_EXIT:
		snprintf(buf, len, "(exits)");
		break;
	case MMF_STEP_BLOCK:
		snprintf(buf, len, "%s:%d blocks on %s", st ? st->func : "?", st ? st->line : 0,
			 e->desc ? e->desc : "");
		break;
	default:
		snprintf(buf, len, "%s:%d %s", st ? st->func : "?", st ? st->line : 0,
			 st && st->what ? st->what : "");
	}
}

static void rule(FILE *f, int ncols)
{
	fprintf(f, "------+");
	for (int i = 0; i < ncols; i++)
		fprintf(f, "%.*s+", COLW + 2, "------------------------------------------------------------");
	fputc('\n', f);
}

void mmf_table_print(FILE *f, const struct mmf_sched *s, size_t max_rows)
{
	int ncols = s->ntasks;
	char buf[256];

	fprintf(f, " step |");
	for (int i = 0; i < ncols; i++) {
		const struct mmf_task *t = &s->tasks[i];
		snprintf(buf, sizeof(buf), "T%d %s%s", t->id, t->name,
			 (t->flags & MMF_TASK_IRQ) ? " [irq]" : (t->flags & MMF_TASK_DAEMON) ? " [kthread]" : "");
		fprintf(f, " %-*.*s |", COLW, COLW, buf);
	}
	fputc('\n', f);
	rule(f, ncols);

	size_t first = 0;
	if (max_rows && s->log.n > max_rows) {
		first = s->log.n - max_rows;
		fprintf(f, " ...  | (%zu earlier steps not shown)\n", first);
	}
	/* The failure is marked on the last step of the failing task at or
	 * before the reported step. */
	size_t fail_row = (size_t)-1;
	if (s->failed && s->report.task < 0 &&
	    (s->report.cls == MMF_FAIL_DEADLOCK || s->report.cls == MMF_FAIL_HANG) && s->log.n) {
		/* A global state: marked where the last task stopped. */
		fail_row = s->log.n - 1;
	} else if (s->failed && s->report.task >= 0) {
		for (size_t i = s->log.n; i-- > 0;) {
			if (s->log.e[i].task == s->report.task && s->log.e[i].step <= s->report.step) {
				fail_row = i;
				break;
			}
		}
	}
	for (size_t i = first; i < s->log.n; i++) {
		const struct mmf_step *e = &s->log.e[i];
		fprintf(f, "%5llu |", (unsigned long long)e->step);
		for (int c = 0; c < ncols; c++) {
			if (c == e->task) {
				cell(buf, sizeof(buf), e);
				fprintf(f, " %-*.*s |", COLW, COLW, buf);
			} else {
				fprintf(f, " %-*s |", COLW, "");
			}
		}
		if (i == fail_row)
			fprintf(f, " <== %s", mmf_fail_name(s->report.cls));
		fputc('\n', f);
	}
	rule(f, ncols);
	if (s->failed) {
		if (fail_row == (size_t)-1)
			fprintf(f, "  end | FAILURE [%s] found by the end-state check\n",
				mmf_fail_name(s->report.cls));
		else if (s->report.task < 0)
			fprintf(f, "      | FAILURE [%s]: no task can run\n", mmf_fail_name(s->report.cls));
		else if (s->report.site)
			fprintf(f, "      | FAILURE [%s] in T%d at %s:%d %s()\n", mmf_fail_name(s->report.cls),
				s->report.task, mmf_site_file(s->report.site), s->report.site->line,
				s->report.site->func);
	}
}
