/* site.c - call-site records for exec mode; see exec_rt.h.
 *
 * A record is made the first time a site reaches a scheduling point, in
 * whichever process gets there first, in a table of shared memory mapped
 * at start-up (so every process of the family sees it at one address).
 * Its name is the source line (file:line and function) from
 * llvm-symbolizer (or addr2line), asked once per site; without debug
 * information it is the function and offset from the symbol table. */
#define _GNU_SOURCE
#include "exec_rt.h"
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NSITES (1u << 16)

struct site_ent {
	uintptr_t key;          /* pc, tagged with the operation; 0: free */
	uint32_t ready;         /* the record is filled in */
	struct mmf_site site;
	char file[128];
	char func[96];
};

static struct site_ent *tab;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1;               /* the executable comes first */
}

static uintptr_t load_bias(void)
{
	static uintptr_t bias;
	static int have;
	if (!have) {
		dl_iterate_phdr(first_object, &bias);
		have = 1;
	}
	return bias;
}

/* One llvm-symbolizer for the whole family of processes, started at
 * start-up and shared through its pipes: a request and its answer are
 * one exchange under a lock in the shared table's header.  A process that
 * dies holding the lock (killed mid-exchange) leaves the pipe in an
 * unknown state: the symbolizer is then given up and sites are named by
 * function and offset. */
struct sym_hdr {
	int lock;               /* pid of the holder, 0: free */
	int broken;
	int to, from;           /* the symbolizer's stdin and stdout */
};
static struct sym_hdr *hdr;

static void start_symbolizer(void)
{
	hdr->broken = 1;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC))
		return;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char obj[4200];
	snprintf(obj, sizeof(obj), "--obj=%s", exe);
	char *argv[] = {"llvm-symbolizer", "--inlining=false", "--functions=short", obj, NULL};
	extern char **environ;
	pid_t pid;
	int e = posix_spawnp(&pid, "llvm-symbolizer", &fa, NULL, argv, environ);
	if (e) {
		char *argv2[] = {"llvm-symbolizer-14", "--inlining=false", "--functions=short", obj,
				 NULL};
		e = posix_spawnp(&pid, "llvm-symbolizer-14", &fa, NULL, argv2, environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (e) {
		close(in[1]);
		close(out[0]);
		return;
	}
	hdr->to = in[1];
	hdr->from = out[0];
	hdr->broken = 0;
}

static bool sym_lock(void)
{
	int me = getpid();
	for (;;) {
		if (__atomic_load_n(&hdr->broken, __ATOMIC_ACQUIRE))
			return false;
		int z = 0;
		if (__atomic_compare_exchange_n(&hdr->lock, &z, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if (z && kill(z, 0) && errno == ESRCH) {
			/* the holder died mid-exchange */
			__atomic_store_n(&hdr->broken, 1, __ATOMIC_RELEASE);
			return false;
		}
		syscall(SYS_sched_yield);
	}
}

static void sym_unlock(void) { __atomic_store_n(&hdr->lock, 0, __ATOMIC_RELEASE); }

/* Ask the symbolizer for pc's source line: "func" and "file:line". */
static bool ask_symbolizer(uintptr_t pc, char *func, size_t flen, char *file, size_t filen,
			   int *line)
{
	if (!hdr || !sym_lock())
		return false;
	char req[32];
	/* a return address points after the call: ask for the call itself */
	int rl = snprintf(req, sizeof(req), "0x%lx\n", (unsigned long)(pc - load_bias() - 1));
	char buf[2048];
	size_t got = 0;
	bool ok = write(hdr->to, req, (size_t)rl) == rl;
	while (ok) {
		ssize_t r = read(hdr->from, buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = false;
			break;
		}
		got += (size_t)r;
		buf[got] = 0;
		if (strstr(buf, "\n\n"))
			break;
		if (got == sizeof(buf) - 1)
			ok = false;
	}
	if (!ok)
		__atomic_store_n(&hdr->broken, 1, __ATOMIC_RELEASE);
	sym_unlock();
	if (!ok)
		return false;
	char *nl = strchr(buf, '\n');
	*nl = 0;
	char *loc = nl + 1;
	char *nl2 = strchr(loc, '\n');
	if (nl2)
		*nl2 = 0;
	/* "file:line:col" */
	char *c1 = strrchr(loc, ':');
	if (!c1)
		return false;
	*c1 = 0;
	char *c0 = strrchr(loc, ':');
	int ln;
	if (!c0 || sscanf(c0 + 1, "%d", &ln) != 1)
		return false;
	*c0 = 0;
	if (!strcmp(loc, "??") || ln <= 0)
		return false;
	snprintf(func, flen, "%.*s", (int)flen - 1, buf[0] && strcmp(buf, "??") ? buf : "?");
	snprintf(file, filen, "%s", loc);
	*line = ln;
	return true;
}

static bool quick;              /* name sites by address only */

static void fill(struct site_ent *e, uintptr_t pc, const char *what)
{
	int line = 0;
	if (quick) {
		snprintf(e->func, sizeof(e->func), "pc");
		snprintf(e->file, sizeof(e->file), "?");
		e->site = (struct mmf_site){e->file, (int)((pc - load_bias()) & 0x7fffffff), e->func,
					    what};
		return;
	}
	if (!ask_symbolizer(pc, e->func, sizeof(e->func), e->file, sizeof(e->file), &line)) {
		/* no debug information: function+offset */
		mmf_symbolize((const void *)(pc - 1), e->func, sizeof(e->func));
		snprintf(e->file, sizeof(e->file), "?");
		/* the offset keeps two sites of one function apart */
		char *plus = strchr(e->func, '+');
		if (plus) {
			line = (int)strtol(plus + 1, NULL, 16);
			*plus = 0;
		}
	}
	e->site = (struct mmf_site){e->file, line, e->func, what};
}

void mmf_exec_sites_init(bool symbolize)
{
	if (tab)
		return;
	quick = !symbolize;
	void *p = mmap(NULL, (NSITES + 1) * sizeof(struct site_ent), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmfuzz: internal error: cannot map the site table\n");
		abort();
	}
	hdr = p;
	tab = (struct site_ent *)p + 1;
	if (symbolize)
		start_symbolizer();
	else
		hdr->broken = 1;
}

const struct mmf_site *mmf_exec_site(const void *pc_, const char *what)
{
	uintptr_t pc = (uintptr_t)pc_;
	if (!tab)
		return NULL;
	/* the operation's name is a static string: its address tags the key */
	uintptr_t key = (pc << 12) ^ ((uintptr_t)what & 0xfff) ^ ((uintptr_t)what >> 12 << 40);
	if (!key)
		key = 1;
	size_t h = mmf__hash_ptr((const void *)key) & (NSITES - 1);
	for (unsigned probe = 0; probe < NSITES; probe++, h = (h + 1) & (NSITES - 1)) {
		struct site_ent *e = &tab[h];
		uintptr_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (k == key) {
			while (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE))
				syscall(SYS_sched_yield);
			return &e->site;
		}
		if (k)
			continue;
		uintptr_t zero = 0;
		if (__atomic_compare_exchange_n(&e->key, &zero, key, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			fill(e, pc, what);
			__atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
			return &e->site;
		}
		if (zero == key) {
			while (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE))
				syscall(SYS_sched_yield);
			return &e->site;
		}
	}
	return NULL;
}
