/* fiber.h - user-level fibers: pooled guarded stacks, a hand-written context
 * switch (x86-64, aarch64; ucontext elsewhere) and the sanitizer annotations
 * that make ASan and TSan understand the switches.
 *
 * Exactly one fiber runs at a time per host thread.  A fiber is entered
 * through mmf_fiber_arm()'s entry function, which must never return: it
 * leaves for good with mmf_fiber_exit_to().  A fiber whose entry returns
 * lands in a protector that aborts loudly.
 */
#ifndef MMF_FIBER_H
#define MMF_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(MMF_FIBER_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define MMF_FIBER_UCONTEXT 1
#endif
#ifdef MMF_FIBER_UCONTEXT
#include <ucontext.h>
#endif

struct mmf_fiber {
	void *sp;               /* saved stack pointer while switched out */
#ifdef MMF_FIBER_UCONTEXT
	ucontext_t uc;
#endif
	char *stack_lo;         /* usable stack (above the guard page) */
	size_t stack_size;
	char *map;              /* whole mapping, guard page included */
	size_t map_size;
	int slot;               /* its slot in the fixed stack window, or -1 */
	void *tsan;             /* TSan fiber context, NULL outside TSan */
	void (*entry)(void *);
	void *arg;
	const char *name;
	/* thread-backed fibers (mmf_fiber_use_threads): the baton of the
	 * thread that carries this fiber's current incarnation */
	struct mmf_fiber_thr *thr;
};

/* The host context (the thread that runs the scheduler loop).  Its stack
 * bounds are learnt from ASan on the first switch into a fiber. */
void mmf_fiber_init_host(struct mmf_fiber *host);

/* Allocate a stack of at least stack_size bytes with a PROT_NONE guard page
 * below it.  Returns 0 or -ENOMEM. Pair: mmf_fiber_destroy(). */
int mmf_fiber_create(struct mmf_fiber *f, size_t stack_size);
void mmf_fiber_destroy(struct mmf_fiber *f);

/* (Re)arm a fiber to start at entry(arg) on its next switch-in.  Cheap: it
 * writes one initial frame; sanitizer shadow of the old run is reset. */
void mmf_fiber_arm(struct mmf_fiber *f, void (*entry)(void *), void *arg,
		   const char *name);

/* Switch from the running fiber 'from' to 'to'.  Returns when some fiber
 * switches back to 'from'. */
void mmf_fiber_switch(struct mmf_fiber *from, struct mmf_fiber *to);

/* Leave 'from' for good (it will be re-armed before it runs again). */
_Noreturn void mmf_fiber_exit_to(struct mmf_fiber *from, struct mmf_fiber *to);

/* Thread-backed fibers, for code that needs real threads (thread-local
 * storage, errno) but one runner at a time: each fiber incarnation is an OS
 * thread (its carrier), made with create (exec mode's real pthread_create)
 * and parked when the fiber is armed, and a switch hands a futex baton from
 * one thread to the next.  A carrier that ends is joined (join: the real
 * pthread_join) by the next runner before that one goes on, so no thread
 * teardown runs beside a task.  Process-wide; call before the first fiber
 * is armed.  stack_size: each carrier's stack.  hold: a carrier whose fiber
 * left for good stays parked (its pthread_t not reused) until released.
 * leaving: called on a carrier as it ends. */
typedef int (*mmf_thread_create_fn)(unsigned long *th, const void *attr, void *(*fn)(void *),
				    void *arg);
typedef int (*mmf_thread_join_fn)(unsigned long th, void **ret);
void mmf_fiber_use_threads(mmf_thread_create_fn create, mmf_thread_join_fn join,
			   size_t stack_size, bool hold, void (*leaving)(void));
/* The carrier of f's current incarnation: its pthread_t, and a token that
 * stays valid after f is re-armed.  Releasing a held carrier lets it end:
 * at once if its fiber has left (the caller waits until it has ended),
 * else when it leaves. */
unsigned long mmf_fiber_thread_handle(const struct mmf_fiber *f);
struct mmf_fiber_thr *mmf_fiber_thread_token(const struct mmf_fiber *f);
void mmf_fiber_thread_release(struct mmf_fiber_thr *t);

/* Called by the fiber trampoline if an entry function returns. Aborts. */
_Noreturn void mmf_fiber_returned(void);

#endif
