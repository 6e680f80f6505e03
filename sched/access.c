/* access.c - the site table of plain-access points; see access.h.  (The
 * point itself is scheduler.c's mmf__access_point: it needs the decision
 * state; the callbacks that call it are kasan.c's.) */
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
