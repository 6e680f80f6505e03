/* access.c - the site table of plain-access points, and in ASan builds
 * their hook; see access.h.  (The point itself is scheduler.c's
 * mmf__access_point: it needs the decision state; elsewhere the callbacks
 * that call it are kasan.c's.) */
#define _GNU_SOURCE
#include "access.h"
#include "symbolize.h"

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Distinct load and store instructions of the model that reach a point;
 * core/ has a few thousand. */
#define NSITES (1u << 15)

struct site_ent {
	uintptr_t key;          /* 2 * pc + 1 + store; 0: free */
	uint32_t ready;         /* the record is filled in */
	struct mmf_site site;
	char func[88];
};

static struct site_ent *tab;
static const char op_load[] = "load", op_store[] = "store", no_file[] = "offset";

static void map_table(int shared)
{
	void *p = mmap(NULL, NSITES * sizeof(struct site_ent), PROT_READ | PROT_WRITE,
		       shared | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		mmf_internal("cannot map the access-site table");
	tab = p;
}

void mmf_access_sites_init(void)
{
	if (!tab)
		map_table(MAP_SHARED);
}

/* "function+0xoff" -> the function, and the offset as the line: two
 * accesses of one function stay apart, and the name survives ASLR. */
static void fill(struct site_ent *e, uintptr_t pc, bool write)
{
	mmf_symbolize((const void *)(pc - 1), e->func, sizeof(e->func));
	long off = 0;
	char *plus = strchr(e->func, '+');
	if (plus) {
		off = strtol(plus + 1, NULL, 16);
		*plus = 0;
	}
	e->site = (struct mmf_site){no_file, (int)(off & 0x7fffffff), e->func,
				    write ? op_store : op_load};
}

const struct mmf_site *mmf__access_site(const void *pc_, bool write)
{
	uintptr_t pc = (uintptr_t)pc_;
	if (!tab)
		map_table(MAP_PRIVATE);
	uintptr_t key = 2 * pc + 1 + write;
	size_t h = mmf__hash_ptr((const void *)key) & (NSITES - 1);
	/* Processes of one family (a supervisor's children, hunt's workers)
	 * share the table: a slot is claimed by compare-and-swap, filled,
	 * then marked ready. */
	for (unsigned probe = 0; probe < NSITES; probe++, h = (h + 1) & (NSITES - 1)) {
		struct site_ent *e = &tab[h];
		uintptr_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (!k) {
			if (__atomic_compare_exchange_n(&e->key, &k, key, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				fill(e, pc, write);
				__atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
				return &e->site;
			}
		}
		if (k == key) {
			/* A process killed between claim and fill (a watchdog
			 * ending an execution) leaves it unready: fill it
			 * again, with the same contents. */
			for (int spin = 0; !__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE); spin++) {
				if (spin == 10000) {
					fill(e, pc, write);
					__atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
				}
				sched_yield();
			}
			return &e->site;
		}
	}
	return NULL;
}

#if MMF_ACCESS_SANCOV
/* ---- ASan builds: the sanitizer-coverage load and store callbacks ---------
 * core/ is compiled with -fsanitize-coverage=trace-loads,trace-stores
 * (CMakeLists.txt): a callback before every plain load and store, each one
 * checked, a read-modify-write's store included.  The heap is malloc here,
 * with no arena to say what is shared, so shared is what is left: not the
 * running task's own stack (locals no other task sees unless it publishes
 * them), not the program's static image (core/ keeps no run state in
 * globals: its tables are constant). */
extern char __executable_start[], end[];

static inline bool shared(uintptr_t a)
{
	if (a - (uintptr_t)__executable_start < (uintptr_t)(end - __executable_start))
		return false;
	const struct mmf_task *t = mmf_current();
	const struct mmf_fiber *f = t ? t->fiber : NULL;
	return !f || a - (uintptr_t)f->stack_lo >= f->stack_size;
}

#define PC __builtin_return_address(0)
#define SANCOV(n, T)                                                                     \
	void __sanitizer_cov_load##n(T *a);                                              \
	void __sanitizer_cov_load##n(T *a)                                               \
	{                                                                                \
		if (__builtin_expect(mmf__access_armed, 0) && shared((uintptr_t)a))      \
			mmf__access_point(a, false, PC);                                 \
	}                                                                                \
	void __sanitizer_cov_store##n(T *a);                                             \
	void __sanitizer_cov_store##n(T *a)                                              \
	{                                                                                \
		if (__builtin_expect(mmf__access_armed, 0) && shared((uintptr_t)a))      \
			mmf__access_point(a, true, PC);                                  \
	}
SANCOV(1, uint8_t)
SANCOV(2, uint16_t)
SANCOV(4, uint32_t)
SANCOV(8, uint64_t)
SANCOV(16, unsigned __int128)
#endif
