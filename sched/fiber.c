/* fiber.c - guarded fiber stacks, context switch glue and sanitizer
 * annotations.  See TOOLCHAIN.md in the shared notes for why each
 * annotation is here; the short version is in the comments below. */
#define _GNU_SOURCE
#include "fiber.h"
#include "raw_futex.h"
#include "sanitizer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MMF_FIBER_UCONTEXT
void mmf_ctx_switch(void **save_sp, void *load_sp);
void mmf_ctx_trampoline(void);
_Static_assert(sizeof(void *) == 8, "the assembly switches assume LP64");
#endif

/* The fiber that started the switch now completing; lets a fiber learn the
 * stack bounds of the host context, which only ASan can tell us. */
static _Thread_local struct mmf_fiber *tl_switch_from;

static __attribute__((unused)) void learn_bounds(struct mmf_fiber *came_from, const void *lo, size_t size)
{
	if (came_from && !came_from->stack_lo && lo) {
		came_from->stack_lo = (char *)lo;
		came_from->stack_size = size;
	}
}

/* ---- thread-backed fibers (see fiber.h) ---------------------------------
 * A carrier per incarnation, started (parked) when the fiber is armed, so
 * that its pthread_t is known at once.  Each has its own baton: a thread
 * that an abandoned run left parked keeps waiting on its own baton, never
 * on the next incarnation's. */
struct mmf_fiber_thr {
	uint32_t go;            /* 1: this thread may run */
	uint32_t released;      /* hold mode: the carrier may end */
	bool exited;            /* its fiber left for good; parked in exit_to */
	unsigned long th;       /* its pthread_t */
	struct mmf_fiber *f;
	void (*entry)(void *);
	void *arg;
};
static mmf_thread_create_fn thr_create;
static mmf_thread_join_fn thr_join;
static size_t thr_stack;
static bool thr_hold;
static void (*thr_leaving)(void);
static _Thread_local jmp_buf *tl_thr_exit;
/* A carrier that is ending after handing over: whoever runs next joins it
 * before going on, so that a thread's teardown (libc's, a sanitizer's)
 * never runs beside a task. */
static unsigned long reap_pending;

void mmf_fiber_use_threads(mmf_thread_create_fn create, mmf_thread_join_fn join,
			   size_t stack_size, bool hold, void (*leaving)(void))
{
	thr_create = create;
	thr_join = join;
	thr_stack = stack_size;
	thr_hold = hold;
	thr_leaving = leaving;
}

static void thr_reap(void)
{
	if (reap_pending) {
		unsigned long th = reap_pending;
		reap_pending = 0;
		thr_join(th, NULL);
	}
}

static void futex_wake(uint32_t *w)
{
	mmf_raw_futex(w, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static void futex_wait(uint32_t *w, uint32_t val)
{
	mmf_raw_futex(w, FUTEX_WAIT_PRIVATE, val, NULL);
}

static struct mmf_fiber_thr *new_baton(struct mmf_fiber *f)
{
	struct mmf_fiber_thr *b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "mmfuzz: internal error: out of memory (fiber baton)\n");
		abort();
	}
	b->f = f;
	return b;
}

/* The host's baton: it runs already. */
static struct mmf_fiber_thr *thr_of(struct mmf_fiber *f)
{
	if (!f->thr)
		f->thr = new_baton(f);
	return f->thr;
}

static void thr_wait(struct mmf_fiber_thr *b)
{
	while (!__atomic_exchange_n(&b->go, 0, __ATOMIC_ACQUIRE))
		futex_wait(&b->go, 0);
}

static void *thr_start(void *p)
{
	struct mmf_fiber_thr *b = p;
	jmp_buf out;
	tl_thr_exit = &out;
	thr_wait(b);            /* parked until its first switch-in */
	thr_reap();
	if (!setjmp(out))
		b->entry(b->arg);
	/* left through mmf_fiber_exit_to: nobody uses this baton any more
	 * (a releaser took the pthread_t before it let the carrier go) */
	if (thr_leaving)
		thr_leaving();
	free(b);
	return NULL;
}

static void thr_post(struct mmf_fiber *to)
{
	struct mmf_fiber_thr *b = thr_of(to);
	__atomic_store_n(&b->go, 1, __ATOMIC_RELEASE);
	futex_wake(&b->go);
}

unsigned long mmf_fiber_thread_handle(const struct mmf_fiber *f)
{
	return f->thr ? f->thr->th : 0;
}

struct mmf_fiber_thr *mmf_fiber_thread_token(const struct mmf_fiber *f)
{
	return f->thr;
}

void mmf_fiber_thread_release(struct mmf_fiber_thr *b)
{
	if (b->released)
		return;
	unsigned long th = b->th;
	bool parked = b->exited;
	__atomic_store_n(&b->released, 1, __ATOMIC_RELEASE);
	if (parked) {
		/* parked in exit_to: it ends now (freeing b), and we wait until
		 * it has */
		futex_wake(&b->released);
		thr_join(th, NULL);
	}
	/* else it is still running (or parked at a point): it ends when its
	 * fiber leaves, and the next runner joins it */
}



void mmf_fiber_init_host(struct mmf_fiber *host)
{
	memset(host, 0, sizeof(*host));
	host->name = "host";
#if MMF_TSAN
	host->tsan = __tsan_get_current_fiber();
#endif
}

/* Stacks at addresses that do not move with ASLR.  Instrumented model code
 * compares stack addresses (the compiler turns loops over stack arrays into
 * pointer comparisons), and coverage-guided engines take compared values
 * as dictionary words: with randomized stacks the same engine seed runs a
 * different campaign in every process.  So a stack goes into the lowest
 * free slot of a fixed window, which a sequence of creations and
 * destructions fills the same way every time; if the window is taken or
 * the kernel does not support MAP_FIXED_NOREPLACE, anywhere will do.  The
 * window lies in the high application range of the x86-64 and arm64 (48-bit)
 * layouts that ASan and TSan both accept. */
#if defined(MAP_FIXED_NOREPLACE) && (defined(__x86_64__) || defined(__aarch64__))
#define SLOT_BASE 0x7e9000000000ull
#define SLOT_SIZE (1ull << 20)
#define SLOTS 65536u
static uint64_t slot_used[SLOTS / 64];

static int slot_take(void)
{
	for (unsigned w = 0; w < SLOTS / 64; w++) {
		uint64_t v = __atomic_load_n(&slot_used[w], __ATOMIC_RELAXED);
		while (~v) {
			int b = __builtin_ctzll(~v);
			if (__atomic_compare_exchange_n(&slot_used[w], &v, v | (1ull << b), false,
							__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return (int)(w * 64 + (unsigned)b);
		}
	}
	return -1;
}

static void slot_give(int slot)
{
	__atomic_fetch_and(&slot_used[slot / 64], ~(1ull << (slot % 64)), __ATOMIC_RELEASE);
}

static char *map_stack(size_t size, int *slot)
{
	*slot = -1;
	if (size <= SLOT_SIZE) {
		int n = slot_take();
		if (n >= 0) {
			void *want = (void *)(uintptr_t)(SLOT_BASE + (uint64_t)n * SLOT_SIZE);
			void *m = mmap(want, size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				       -1, 0);
			if (m == want) {
				*slot = n;
				return m;
			}
			if (m != MAP_FAILED)        /* a kernel that took it as a hint */
				munmap(m, size);
			slot_give(n);
		}
	}
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return m == MAP_FAILED ? NULL : m;
}
#else
static char *map_stack(size_t size, int *slot)
{
	*slot = -1;
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static void slot_give(int slot)
{
	(void)slot;
}
#endif

int mmf_fiber_create(struct mmf_fiber *f, size_t stack_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	memset(f, 0, sizeof(*f));
	if (thr_create) {
		f->slot = -1;
		f->map = (char *)f;     /* "made": the thread brings its own stack */
		return 0;
	}
	stack_size = (stack_size + page - 1) & ~(page - 1);
	f->map_size = stack_size + page;
	f->map = map_stack(f->map_size, &f->slot);
	if (!f->map)
		return -ENOMEM;
	/* Guard page below the stack: an overflow faults instead of silently
	 * corrupting the neighbouring fiber's stack. */
	if (mprotect(f->map, page, PROT_NONE)) {
		munmap(f->map, f->map_size);
		if (f->slot >= 0)
			slot_give(f->slot);
		f->map = NULL;
		return -ENOMEM;
	}
	f->stack_lo = f->map + page;
	f->stack_size = stack_size;
#if MMF_ASAN
	/* Objects referenced only from a suspended fiber's stack are live;
	 * LSan does not scan mmap'd memory unless told to. */
	__lsan_register_root_region(f->stack_lo, f->stack_size);
#endif
	return 0;
}

void mmf_fiber_destroy(struct mmf_fiber *f)
{
	if (!f->map)
		return;
	if (thr_create) {
		/* A parked thread may still hold its baton: it stays. */
		memset(f, 0, sizeof(*f));
		return;
	}
#if MMF_ASAN
	__lsan_unregister_root_region(f->stack_lo, f->stack_size);
	__asan_unpoison_memory_region(f->stack_lo, f->stack_size);
#endif
#if MMF_TSAN
	if (f->tsan)
		__tsan_destroy_fiber(f->tsan);
#endif
	munmap(f->map, f->map_size);
	if (f->slot >= 0)
		slot_give(f->slot);
	memset(f, 0, sizeof(*f));
}

_Noreturn void mmf_fiber_returned(void)
{
	fprintf(stderr, "mmfuzz: internal error: a fiber's entry function returned "
			"instead of exiting through mmf_fiber_exit_to()\n");
	abort();
}

/* First code run on a fresh fiber.  Returns only if the entry returns, and
 * then the trampoline hands over to mmf_fiber_returned(). */
static void fiber_start(void *p)
{
	struct mmf_fiber *f = p;
#if MMF_ASAN
	const void *lo = NULL;
	size_t size = 0;
	__sanitizer_finish_switch_fiber(NULL, &lo, &size);
	learn_bounds(tl_switch_from, lo, size);
#endif
	f->entry(f->arg);
}

#ifdef MMF_FIBER_UCONTEXT
static void fiber_start_uc(unsigned hi, unsigned lo)
{
	fiber_start((void *)(((uintptr_t)hi << 32) | lo));
	mmf_fiber_returned();
}
#endif

void mmf_fiber_arm(struct mmf_fiber *f, void (*entry)(void *), void *arg, const char *name)
{
	f->entry = entry;
	f->arg = arg;
	f->name = name;
	if (thr_create) {
		struct mmf_fiber_thr *b = new_baton(f);
		b->entry = entry;
		b->arg = arg;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, thr_stack);
		int e = thr_create(&b->th, &a, thr_start, b);
		pthread_attr_destroy(&a);
		if (e) {
			fprintf(stderr, "mmfuzz: internal error: cannot start a task thread (%s)\n",
				strerror(e));
			abort();
		}
		f->thr = b;
		return;
	}
#if MMF_ASAN
	/* A pooled stack still carries the redzones of the frames its last run
	 * left behind (an abandoned fiber never unwinds); clear them. */
	__asan_unpoison_memory_region(f->stack_lo, f->stack_size);
#endif
#if MMF_TSAN
	/* A fiber abandoned mid-run keeps TSan shadow-stack frames and clocks
	 * from its last run; a fresh TSan fiber forgets them. */
	if (f->tsan)
		__tsan_destroy_fiber(f->tsan);
	f->tsan = __tsan_create_fiber(0);
	__tsan_set_fiber_name(f->tsan, name);
#endif
#ifdef MMF_FIBER_UCONTEXT
	getcontext(&f->uc);
	f->uc.uc_stack.ss_sp = f->stack_lo;
	f->uc.uc_stack.ss_size = f->stack_size;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, (void (*)(void))fiber_start_uc, 2,
		    (unsigned)((uintptr_t)f >> 32), (unsigned)(uintptr_t)f);
#else
	uintptr_t top = ((uintptr_t)f->stack_lo + f->stack_size) & ~(uintptr_t)15;
#if defined(__x86_64__)
	/* Frame popped by mmf_ctx_switch: r15 r14 r13 r12 rbx rbp, then ret.
	 * After the ret, rsp = top - 16 is 16-aligned, as the trampoline's
	 * call expects. */
	uintptr_t *sp = (uintptr_t *)(top - 16) - 7;
	sp[0] = 0;                          /* r15 */
	sp[1] = 0;                          /* r14 */
	sp[2] = (uintptr_t)fiber_start;     /* r13: entry */
	sp[3] = (uintptr_t)f;               /* r12: argument */
	sp[4] = 0;                          /* rbx */
	sp[5] = 0;                          /* rbp: ends frame-pointer walks */
	sp[6] = (uintptr_t)mmf_ctx_trampoline;
#elif defined(__aarch64__)
	uintptr_t *sp = (uintptr_t *)(top - 160);
	memset(sp, 0, 160);
	sp[0] = (uintptr_t)f;               /* x19: argument */
	sp[1] = (uintptr_t)fiber_start;     /* x20: entry */
	sp[11] = (uintptr_t)mmf_ctx_trampoline; /* x30 */
#endif
	f->sp = sp;
#endif
}

void mmf_fiber_switch(struct mmf_fiber *from, struct mmf_fiber *to)
{
	if (thr_create) {
		/* errno is the thread's own: the baton's syscalls leave it be */
		int e = errno;
		struct mmf_fiber_thr *me = thr_of(from);
		thr_post(to);
		thr_wait(me);
		thr_reap();
		errno = e;
		return;
	}
#if MMF_ASAN
	void *fake_stack = NULL;
	__sanitizer_start_switch_fiber(&fake_stack, to->stack_lo, to->stack_size);
#endif
#if MMF_TSAN
	/* No-sync: a switch between tasks is not a happens-before edge, so TSan
	 * sees unsynchronised accesses between tasks as races, like KCSAN. */
	__tsan_switch_to_fiber(to->tsan, __tsan_switch_to_fiber_no_sync);
#endif
	tl_switch_from = from;
#ifdef MMF_FIBER_UCONTEXT
	swapcontext(&from->uc, &to->uc);
#else
	mmf_ctx_switch(&from->sp, to->sp);
#endif
#if MMF_ASAN
	const void *lo = NULL;
	size_t size = 0;
	__sanitizer_finish_switch_fiber(fake_stack, &lo, &size);
	learn_bounds(tl_switch_from, lo, size);
#endif
}

_Noreturn void mmf_fiber_exit_to(struct mmf_fiber *from, struct mmf_fiber *to)
{
	if (thr_create) {
		struct mmf_fiber_thr *me = from->thr;
		if (!thr_hold || me->released) {
			/* it ends now: the next runner joins it first */
			reap_pending = me->th;
			thr_post(to);
			longjmp(*tl_thr_exit, 1);
		}
		/* hold mode: parked (its pthread_t stays taken) until released;
		 * the releaser joins it */
		me->exited = true;
		thr_post(to);
		while (!__atomic_load_n(&me->released, __ATOMIC_ACQUIRE))
			futex_wait(&me->released, 0);
		longjmp(*tl_thr_exit, 1);
	}
#if MMF_ASAN
	/* NULL: this fiber leaves for good, ASan may drop its fake stack. */
	__sanitizer_start_switch_fiber(NULL, to->stack_lo, to->stack_size);
#endif
#if MMF_TSAN
	__tsan_switch_to_fiber(to->tsan, __tsan_switch_to_fiber_no_sync);
#endif
	tl_switch_from = from;
#ifdef MMF_FIBER_UCONTEXT
	setcontext(&to->uc);
#else
	/* Not a local: under detect_stack_use_after_return a local lives on
	 * ASan's fake stack, which the NULL above has just released. */
	static _Thread_local void *dead_sp;
	mmf_ctx_switch(&dead_sp, to->sp);
#endif
	mmf_fiber_returned();
}
