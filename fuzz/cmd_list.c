/* cmd_list.c - mmfuzz list: the programs, decision sources, operations, variants and failure classes. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include "variant.h"
#include "workload.h"

#include <stdio.h>
#include <string.h>

int cmd_list(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: mmfuzz list\n  Print the programs, decision sources, workload operations, bug "
		       "variants (with the\n  failure classes they are caught as, and the side effects a hunt also reports)\n"
		       "  and failure classes.\n");
		return EXIT_CLEAN;
	}
	if (argc > 1)
		cli_usage("list takes no arguments");
	printf("programs:\n");
	for (int i = 0; mmf_programs[i]; i++)
		printf("  %-20s %s [%s]\n", mmf_programs[i]->name, mmf_programs[i]->summary,
		       mmf_programs[i]->params_help);
	printf("decision sources: random, pct, input, explore (and replay of a trace)\n");
	printf("operations of the mm workload (plan= and only=):");
	for (int k = 0; k < OP_NR; k++)
		printf(" %s", mm_op_names[k]);
	printf("\nbug variants of the mm model (bugs=a,b):\n");
	for (int v = 0; v < V_NR; v++) {
		printf("  %-34s %s %s [caught as: %s]\n", mm_variants[v].name, mm_variants[v].year,
		       mm_variants[v].summary, mm_variants[v].classes);
		/* on a line of its own: scripts read the line above */
		if (mm_variants[v].also && *mm_variants[v].also)
			printf("  %-34s      side effects hunt also reports: %s\n", "",
			       mm_variants[v].also);
	}
	printf("failure classes:");
	for (int c = 1; c < MMF_FAIL_NR; c++)
		printf(" %s", mmf_fail_name((enum mmf_fail_class)c));
	printf("\n");
	return EXIT_CLEAN;
}

