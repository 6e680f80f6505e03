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

/* The failure is marked on the last step of the failing task at or
 * before the reported step ((size_t)-1: none, an end-state check). */
static size_t failing_row(const struct mmf_sched *s)
{
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
	return fail_row;
}

/* The line under the table; w: the width of its first column. */
static void footer(FILE *f, const struct mmf_sched *s, size_t fail_row, int w)
{
	if (!s->failed)
		return;
	if (fail_row == (size_t)-1 && s->report.task >= 0)
		fprintf(f, "%*s| FAILURE [%s] in T%d before its first scheduling point\n", w, "",
			mmf_fail_name(s->report.cls), s->report.task);
	else if (fail_row == (size_t)-1)
		fprintf(f, "%*s | FAILURE [%s] found by the end-state check\n", w - 1, "end",
			mmf_fail_name(s->report.cls));
	else if (s->report.task < 0)
		fprintf(f, "%*s| FAILURE [%s]: no task can run\n", w, "", mmf_fail_name(s->report.cls));
	else if (s->report.site)
		fprintf(f, "%*s| FAILURE [%s] in T%d at %s:%d %s()\n", w, "",
			mmf_fail_name(s->report.cls), s->report.task, mmf_site_file(s->report.site),
			s->report.site->line, s->report.site->func);
}

static void header(FILE *f, const struct mmf_sched *s, const char *first)
{
	char buf[256];
	fprintf(f, "%s|", first);
	for (int i = 0; i < s->ntasks; i++) {
		const struct mmf_task *t = &s->tasks[i];
		snprintf(buf, sizeof(buf), "T%d %s%s", t->id, t->name,
			 (t->flags & MMF_TASK_IRQ) ? " [irq]" : (t->flags & MMF_TASK_DAEMON) ? " [kthread]" : "");
		fprintf(f, " %-*.*s |", COLW, COLW, buf);
	}
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
	size_t fail_row = failing_row(s);
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
	footer(f, s, fail_row, 6);
}

void mmf_table_print_runs(FILE *f, const struct mmf_sched *s)
{
	int ncols = s->ntasks;
	char buf[320], cellbuf[256];
	size_t fail_row = failing_row(s);

	header(f, s, "   steps   ");
	fprintf(f, "-----------+");
	for (int i = 0; i < ncols; i++)
		fprintf(f, "%.*s+", COLW + 2, "------------------------------------------------------------");
	fputc('\n', f);
	for (size_t i = 0; i < s->log.n;) {
		size_t j = i;
		while (j + 1 < s->log.n && s->log.e[j + 1].task == s->log.e[i].task)
			j++;
		/* One row per stretch a task ran: how many steps, and where it
		 * stood when another task took over (or it blocked, exited). */
		const struct mmf_step *e = &s->log.e[j];
		bool fails = fail_row >= i && fail_row <= j && fail_row != (size_t)-1;
		if (fails)
			e = &s->log.e[fail_row];
		if (e->step == s->log.e[i].step)
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e->step);
		else
			snprintf(buf, sizeof(buf), "%llu-%llu", (unsigned long long)s->log.e[i].step,
				 (unsigned long long)e->step);
		fprintf(f, " %-9s |", buf);
		for (int c = 0; c < ncols; c++) {
			if (c == e->task) {
				const struct mmf_step *b = &s->log.e[i];
				size_t n = (size_t)(e - b) + 1;
				char ops[32] = "";
				/* the program's phases it went through (the
				 * workload: operation numbers in its plan) */
				if (e->phase && b->phase != e->phase)
					snprintf(ops, sizeof(ops), "op%u-%u ", b->phase, e->phase);
				else if (e->phase)
					snprintf(ops, sizeof(ops), "op%u ", e->phase);
				cell(cellbuf, sizeof(cellbuf), e);
				if (n > 1)
					snprintf(buf, sizeof(buf), "(%zu) %s%s", n, ops, cellbuf);
				else
					snprintf(buf, sizeof(buf), "%s%s", ops, cellbuf);
				fprintf(f, " %-*.*s |", COLW, COLW, buf);
			} else {
				fprintf(f, " %-*s |", COLW, "");
			}
		}
		if (fails)
			fprintf(f, " <== %s", mmf_fail_name(s->report.cls));
		fputc('\n', f);
		i = j + 1;
	}
	fprintf(f, "-----------+");
	for (int i = 0; i < ncols; i++)
		fprintf(f, "%.*s+", COLW + 2, "------------------------------------------------------------");
	fputc('\n', f);
	footer(f, s, fail_row, 11);
}
