/* mmfuzz.c - the command-line tool's entry: it only dispatches.  Each
 * command's options, help and logic live in its own file (cmd_*.c); what
 * they share is in cli.c.
 *
 * Exit codes: 0 clean, 1 bug found, 2 usage or input error, 130
 * interrupted before anything was found. */
#define _GNU_SOURCE
#include "cli.h"
#include "params.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

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

#ifndef MMF_EXEC_RUNTIME
/* Whether the file at path carries the exec-mode runtime (mmfuzz-cc put it
 * there): its marker string. */
static bool has_exec_runtime(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool found = false;
	if (!fstat(fd, &st) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			static const char mark[] = "MMFUZZ_EXEC_RUNTIME_1";
			found = memmem(m, (size_t)st.st_size, mark, sizeof(mark) - 1) != NULL;
			munmap(m, (size_t)st.st_size);
		}
	}
	close(fd);
	return found;
}

/* `mmfuzz CMD [options] --exec PROG [ARGS...]`: the program, built with
 * mmfuzz-cc, carries the front end; it is started with the options in
 * MMFUZZ_EXEC_FRONT and runs CMD on itself (exec/program.c). */
static int exec_mode(int argc, char **argv, int at)
{
	if (at + 1 >= argc)
		cli_usage("--exec needs a program (--exec PROG [ARGS...], last on the line)");
	const char *prog = argv[at + 1];
	if (access(prog, X_OK))
		cli_usage("--exec %s: %s", prog, strerror(errno));
	if (!has_exec_runtime(prog))
		cli_usage("--exec %s: not built with mmfuzz-cc (no exec-mode runtime in it)", prog);
	size_t len = 1;
	for (int i = 1; i < at; i++)
		len += strlen(argv[i]) + 1;
	char *front = malloc(len);
	if (!front)
		cli_usage("out of memory");
	front[0] = 0;
	for (int i = 1; i < at; i++) {
		if (strchr(argv[i], '\x1f'))
			cli_usage("option '%s' holds a 0x1f byte", argv[i]);
		if (i > 1)
			strcat(front, "\x1f");
		strcat(front, argv[i]);
	}
	if (setenv("MMFUZZ_EXEC_FRONT", front, 1))
		cli_usage("cannot set MMFUZZ_EXEC_FRONT: %s", strerror(errno));
	/* Without address-space randomization the program's addresses (and
	 * what it computes from them: hashes, orders, report texts) are the
	 * same in every session, so a recorded run replays identically. */
	int pers = personality(0xffffffff);
	if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE))
		personality((unsigned long)pers | ADDR_NO_RANDOMIZE);
	fflush(stdout);
	execv(prog, argv + at + 1);
	cli_usage("--exec %s: %s", prog, strerror(errno));
}

/* A trace or reproducer recorded in exec mode names its program in its
 * params line (path=, %-encoded): replay and minimize start that program
 * when no --exec is given.  Returns the path (static), or NULL. */
static const char *exec_program_of(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return NULL;
	char line[8192];
	bool exec = false;
	static char path[4096];
	path[0] = 0;
	for (int i = 0; i < 16 && fgets(line, sizeof(line), f); i++) {
		if (!strcmp(line, "program exec\n"))
			exec = true;
		if (!strncmp(line, "params ", 7)) {
			line[strcspn(line, "\n")] = 0;
			char enc[sizeof(path) * 3];
			mmf_param(line + 7, "path", enc, sizeof(enc));
			if (mmf_pct_decode(enc, enc + strlen(enc), path, sizeof(path)) < 0)
				path[0] = 0;
		}
	}
	fclose(f);
	return exec && path[0] ? path : NULL;
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mmf_cli_self = argv[0];
#ifndef MMF_EXEC_RUNTIME       /* not inside a program that --exec started */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--exec"))
			return exec_mode(argc, argv, i);
	if (argc > 2 && (!strcmp(argv[1], "replay") || !strcmp(argv[1], "minimize")) &&
	    argv[2][0] != '-') {
		const char *prog = exec_program_of(argv[2]);
		if (prog) {
			char **nargv = calloc((size_t)argc + 3, sizeof(char *));
			if (!nargv)
				cli_usage("out of memory");
			for (int i = 0; i < argc; i++)
				nargv[i] = argv[i];
			nargv[argc] = "--exec";
			nargv[argc + 1] = (char *)prog;
			return exec_mode(argc + 2, nargv, argc);
		}
	}
#endif
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
