/* mmfuzz.c - the command-line tool's entry: it only dispatches.  Each
 * command's options, help and logic live in its own file (cmd_*.c); what
 * they share is in cli.c.
 *
 * Exit codes: 0 clean, 1 bug found, 2 usage or input error, 130
 * interrupted before anything was found. */
#define _GNU_SOURCE
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_demo(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_hunt(int argc, char **argv);

static void main_help(void)
{
	printf("usage: mmfuzz COMMAND [options]     (mmfuzz COMMAND --help for details)\n"
	       "  hunt      the main job: the built-in engine over the generic workload\n"
	       "  demo      hunt the toy bugs with every decision source, then the mm variants\n"
	       "  list      programs, decision sources, operations, variants, failure classes\n"
	       "  run       execute a program until a failure, with one decision source\n"
	       "  explore   bounded exhaustive search over schedules\n"
	       "  replay    re-execute a trace or reproducer and print the interleaving table\n"
	       "  minimize  shrink a failing run, keeping its failure class\n"
	       "  stress    the real-thread baseline (no controlled scheduler)\n"
	       "exit codes: 0 clean, 1 bug found, 2 usage or input error, 130 interrupted\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mmf_cli_self = argv[0];
	if (argc < 2)
		cli_usage("missing COMMAND (see 'mmfuzz --help')");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		main_help();
		return EXIT_CLEAN;
	}
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{"demo", cmd_demo},         {"list", cmd_list},     {"run", cmd_run},
		{"explore", cmd_explore},   {"replay", cmd_replay}, {"stress", cmd_stress},
		{"minimize", cmd_minimize}, {"hunt", cmd_hunt},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_usage("unknown command '%s' (see 'mmfuzz --help')", cmd);
}
