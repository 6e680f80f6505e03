/* test_fiber.c - the context switch itself: values survive switches in
 * both directions, pooled stacks re-arm cheaply many times, a fiber that
 * returns instead of exiting is caught, a stack overflow hits the guard
 * page instead of the neighbour's stack, and (assembly switch only) every
 * callee-saved register survives a switch and fibers start on a 16-byte
 * aligned stack. */
#define _GNU_SOURCE
#include "check.h"
#include "fiber.h"
#include "sanitizer.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static struct mmf_fiber host, a, b;
/* Probes shared by fibers whose switches are no-sync under TSan: atomic. */
static long trail[64];
static int ntrail;

static void ping(void *arg)
{
	long id = (long)arg;
	for (int i = 0;; i++) {
		int n = __atomic_fetch_add(&ntrail, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&trail[n], id * 100 + i, __ATOMIC_RELAXED);
		mmf_fiber_switch(id == 1 ? &a : &b, id == 1 ? &b : &host);
	}
}

static bool test_switches_preserve_order_and_values(void)
{
	mmf_fiber_init_host(&host);
	CHECK(mmf_fiber_create(&a, 64 * 1024) == 0);
	CHECK(mmf_fiber_create(&b, 64 * 1024) == 0);
	mmf_fiber_arm(&a, ping, (void *)1L, "a");
	mmf_fiber_arm(&b, ping, (void *)2L, "b");
	double local = 3.25; /* callee-saved state of the host survives */
	for (int round = 0; round < 10; round++)
		mmf_fiber_switch(&host, &a);
	CHECK(local == 3.25);
	CHECK_EQ(__atomic_load_n(&ntrail, __ATOMIC_RELAXED), 20);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(__atomic_load_n(&trail[2 * i], __ATOMIC_RELAXED), 100 + i);
		CHECK_EQ(__atomic_load_n(&trail[2 * i + 1], __ATOMIC_RELAXED), 200 + i);
	}
	return true;
}

static long finished;
static void once(void *arg)
{
	__atomic_fetch_add(&finished, 1, __ATOMIC_RELAXED);
	mmf_fiber_exit_to(&a, &host);
}

static bool test_pooled_stack_rearms_many_times(void)
{
	/* Abandoned fibers (b is parked mid-ping) and re-armed ones alike. */
	for (int i = 0; i < 100000; i++) {
		mmf_fiber_arm(&a, once, NULL, "once");
		mmf_fiber_switch(&host, &a);
	}
	CHECK_EQ(__atomic_load_n(&finished, __ATOMIC_RELAXED), 100000);
	return true;
}

static void returns(void *arg) { (void)arg; }

static bool dies_with(void (*fn)(void), int *status, char *err, size_t errlen)
{
	int pipefd[2];
	CHECK(pipe(pipefd) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		fn();
		_exit(0);
	}
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], err, errlen - 1);
	ssize_t m;
	while (n > 0 && (size_t)n < errlen - 1 && (m = read(pipefd[0], err + n, errlen - 1 - (size_t)n)) > 0)
		n += m;
	err[n > 0 ? n : 0] = 0;
	close(pipefd[0]);
	CHECK(waitpid(pid, status, 0) == pid);
	return true;
}

static void child_returning_fiber(void)
{
	static struct mmf_fiber h, f;
	mmf_fiber_init_host(&h);
	mmf_fiber_create(&f, 64 * 1024);
	mmf_fiber_arm(&f, returns, NULL, "returns");
	mmf_fiber_switch(&h, &f);
}

static bool test_fiber_returning_is_caught(void)
{
	int status;
	char err[4096];
	CHECK(dies_with(child_returning_fiber, &status, err, sizeof(err)));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CHECK(strstr(err, "returned instead of exiting"));
	return true;
}

static struct mmf_fiber oh, of;
static __attribute__((noinline)) long recurse(volatile char *p, long n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	return n ? recurse(pad, n - 1) + pad[0] + p[0] : 0;
}
static void overflow(void *arg)
{
	recurse("x", 1L << 20);
	mmf_fiber_exit_to(&of, &oh);
}
static void child_overflow(void)
{
	mmf_fiber_init_host(&oh);
	mmf_fiber_create(&of, 64 * 1024);
	mmf_fiber_arm(&of, overflow, NULL, "overflow");
	mmf_fiber_switch(&oh, &of);
}

static bool test_stack_overflow_hits_the_guard_page(void)
{
	int status;
	char err[4096];
	CHECK(dies_with(child_overflow, &status, err, sizeof(err)));
	/* Plain builds die by SIGSEGV on the guard page; ASan reports the
	 * overflow itself and exits non-zero. */
	CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	if (!MMF_ASAN && !MMF_TSAN)
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	return true;
}

#ifndef MMF_FIBER_UCONTEXT
/* The hand-written switch (sched/switch_*.S) against the ABI, through the
 * probes in tests/regs_<arch>.S.  Not built for the ucontext fallback, whose
 * registers are swapcontext's business.
 *
 * mmf_test_switch_probe() loads every callee-saved register with
 * seed + i * PROBE_STEP (i in the order of probe_reg[]), calls
 * mmf_fiber_switch(from, to), and stores what the registers hold when it
 * returns into out[0..PROBE_NREGS-1]; out[PROBE_NREGS] is sp at the call and
 * out[PROBE_NREGS + 1] sp after it.  mmf_test_sp() returns its caller's sp
 * at the call instruction, which the ABI wants 16-aligned on both arches
 * (x86-64: rsp % 16 == 8 at function entry, after the call pushed the
 * return address; AArch64: sp % 16 == 0 always). */
void mmf_test_switch_probe(struct mmf_fiber *from, struct mmf_fiber *to,
			   uint64_t *out, uint64_t seed);
uintptr_t mmf_test_sp(void);

#define PROBE_STEP 0x9e3779b97f4a7c15ull
#if defined(__x86_64__)
static const char *const probe_reg[] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};
#elif defined(__aarch64__)
static const char *const probe_reg[] = {
	"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
	"x29", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15"};
#endif
enum { PROBE_NREGS = sizeof(probe_reg) / sizeof(probe_reg[0]) };
enum { PROBE_NOUT = PROBE_NREGS + 2 };

/* Per-context, per-round seeds far apart in every bit. */
static uint64_t probe_seed(long who, uint64_t round)
{
	uint64_t z = ((uint64_t)who << 40) + round + 0x5eed;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Results are written from fibers whose switches are no-sync under TSan:
 * atomic.  The first mismatch is kept for the report. */
static long probe_checked, probe_bad, probe_first_claimed;
static long probe_first_who, probe_first_reg;
static uint64_t probe_first_round, probe_first_got, probe_first_want;

static void probe_mismatch(long who, uint64_t round, long reg, uint64_t got, uint64_t want)
{
	__atomic_fetch_add(&probe_bad, 1, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&probe_first_claimed, 1, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&probe_first_who, who, __ATOMIC_RELAXED);
	__atomic_store_n(&probe_first_round, round, __ATOMIC_RELAXED);
	__atomic_store_n(&probe_first_reg, reg, __ATOMIC_RELAXED);
	__atomic_store_n(&probe_first_got, got, __ATOMIC_RELAXED);
	__atomic_store_n(&probe_first_want, want, __ATOMIC_RELAXED);
}

static void probe_verify(long who, uint64_t round, const uint64_t *out, uint64_t seed)
{
	for (long i = 0; i < PROBE_NREGS; i++)
		if (out[i] != seed + (uint64_t)i * PROBE_STEP)
			probe_mismatch(who, round, i, out[i], seed + (uint64_t)i * PROBE_STEP);
	if (out[PROBE_NREGS + 1] != out[PROBE_NREGS])       /* sp preserved */
		probe_mismatch(who, round, PROBE_NREGS, out[PROBE_NREGS + 1], out[PROBE_NREGS]);
	if (out[PROBE_NREGS] % 16)                          /* aligned at the call */
		probe_mismatch(who, round, PROBE_NREGS + 1, out[PROBE_NREGS] % 16, 0);
	__atomic_fetch_add(&probe_checked, 1, __ATOMIC_RELAXED);
}

static bool probe_report(void)
{
	long bad = __atomic_load_n(&probe_bad, __ATOMIC_RELAXED);
	if (bad) {
		static const char *const who[] = {"host", "fiber a", "fiber b"};
		long reg = __atomic_load_n(&probe_first_reg, __ATOMIC_RELAXED);
		fprintf(stderr, "  %ld mismatches; first: %s, round %" PRIu64 ": %s = %#" PRIx64
				", expected %#" PRIx64 "\n", bad,
			who[__atomic_load_n(&probe_first_who, __ATOMIC_RELAXED)],
			__atomic_load_n(&probe_first_round, __ATOMIC_RELAXED),
			reg < PROBE_NREGS ? probe_reg[reg] : reg == PROBE_NREGS ? "sp" : "sp % 16",
			__atomic_load_n(&probe_first_got, __ATOMIC_RELAXED),
			__atomic_load_n(&probe_first_want, __ATOMIC_RELAXED));
	}
	CHECK_EQ(bad, 0);
	return true;
}

static struct mmf_fiber rhost, ra, rb;
static uintptr_t start_sp[3];

/* Fiber a hands over to b, b to the host, each through the probe with its
 * own seeds, so every switch-in finds the registers full of another
 * context's values unless the switch restores them. */
static void reg_pinger(void *arg)
{
	uintptr_t sp = mmf_test_sp();  /* first thing: the sp the fiber starts with */
	long id = (long)arg;
	__atomic_store_n(&start_sp[id], sp, __ATOMIC_RELAXED);
	struct mmf_fiber *self = id == 1 ? &ra : &rb, *next = id == 1 ? &rb : &rhost;
	uint64_t out[PROBE_NOUT];
	for (uint64_t round = 0;; round++) {
		uint64_t seed = probe_seed(id, round);
		mmf_test_switch_probe(self, next, out, seed);
		probe_verify(id, round, out, seed);
	}
}

static bool test_switch_preserves_callee_saved_registers(void)
{
	enum { ARMS = 3, ROUNDS = 10000 };
	uint64_t out[PROBE_NOUT];
	uint64_t round = 0;

	mmf_fiber_init_host(&rhost);
	CHECK(mmf_fiber_create(&ra, 64 * 1024) == 0);
	CHECK(mmf_fiber_create(&rb, 64 * 1024) == 0);
	/* Re-armed (pooled) stacks too: each arm starts both fibers afresh. */
	for (int arm = 0; arm < ARMS; arm++) {
		mmf_fiber_arm(&ra, reg_pinger, (void *)1L, "regs-a");
		mmf_fiber_arm(&rb, reg_pinger, (void *)2L, "regs-b");
		for (int i = 0; i < ROUNDS; i++, round++) {
			uint64_t seed = probe_seed(0, round);
			mmf_test_switch_probe(&rhost, &ra, out, seed);
			probe_verify(0, round, out, seed);
		}
		for (long id = 1; id <= 2; id++) {
			uintptr_t sp = __atomic_load_n(&start_sp[id], __ATOMIC_RELAXED);
			struct mmf_fiber *f = id == 1 ? &ra : &rb;
			CHECK(sp > (uintptr_t)f->stack_lo && sp <= (uintptr_t)f->stack_lo + f->stack_size);
			CHECK_EQ(sp % 16, 0);
		}
	}
	CHECK(probe_report());
	/* The fibers ran their checks too (the first switch-in of each arm
	 * starts a fiber rather than returning from its probe). */
	CHECK_EQ(__atomic_load_n(&probe_checked, __ATOMIC_RELAXED), ARMS * (3 * ROUNDS - 2));
	mmf_fiber_destroy(&ra);
	mmf_fiber_destroy(&rb);
	return true;
}

static struct mmf_fiber ahost, af;
static uintptr_t af_sp;
static void record_start_sp(void *arg)
{
	uintptr_t sp = mmf_test_sp();  /* first thing, before anything moves sp */
	__atomic_store_n(&af_sp, sp, __ATOMIC_RELAXED);
	mmf_fiber_exit_to(&af, &ahost);
}

static bool test_fiber_starts_on_aligned_stack(void)
{
	/* Stack sizes are rounded up to pages; vary them anyway, and re-arm. */
	static const size_t sizes[] = {16 * 1024, 64 * 1024 + 8, 100000};
	mmf_fiber_init_host(&ahost);
	CHECK_EQ(mmf_test_sp() % 16, 0); /* the probe itself, on the host stack */
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		CHECK(mmf_fiber_create(&af, sizes[s]) == 0);
		for (int arm = 0; arm < 3; arm++) {
			__atomic_store_n(&af_sp, 0, __ATOMIC_RELAXED);
			mmf_fiber_arm(&af, record_start_sp, NULL, "aligned");
			mmf_fiber_switch(&ahost, &af);
			uintptr_t sp = __atomic_load_n(&af_sp, __ATOMIC_RELAXED);
			CHECK(sp > (uintptr_t)af.stack_lo && sp <= (uintptr_t)af.stack_lo + af.stack_size);
			CHECK_EQ(sp % 16, 0);
		}
		mmf_fiber_destroy(&af);
	}
	return true;
}
#endif /* !MMF_FIBER_UCONTEXT */

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_switches_preserve_order_and_values),
		TEST(test_pooled_stack_rearms_many_times),
		TEST(test_fiber_returning_is_caught),
		TEST(test_stack_overflow_hits_the_guard_page),
#ifndef MMF_FIBER_UCONTEXT
		TEST(test_switch_preserves_callee_saved_registers),
		TEST(test_fiber_starts_on_aligned_stack),
#endif
	};
	return RUN_TESTS(tests);
}
