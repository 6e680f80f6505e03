/* cli_entry.c - the mmfuzz command line inside a program built with
 * mmfuzz-cc: the same dispatcher, entered as mmf_cli_main from the
 * program's wrapped main (program.c). */
#define MMF_EXEC_RUNTIME 1
#define main mmf_cli_main
int mmf_cli_main(int argc, char **argv);
#include "../fuzz/mmfuzz.c"
