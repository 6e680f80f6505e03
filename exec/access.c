/* access.c - memory accesses and atomics of the user's program as
 * scheduling points (exec mode).
 *
 * mmfuzz-cc compiles the program with one of two instrumentations, and this
 * file (itself uninstrumented) receives its calls:
 *   plain build  -fsanitize=thread without its runtime: __tsan_readN and
 *                __tsan_writeN before every load and store, __tsan_atomicN_*
 *                in place of every atomic operation (C11, __atomic, __sync),
 *                read-modify-writes included;
 *   ASan build   ASan's checks outlined (__asan_loadN/storeN before every
 *                load, store and atomic, read-modify-writes included),
 *                which the link wraps: the point, then the check.
 *
 * The cheap skips: nothing outside an execution; nothing when the run's
 * points are synchronisation only (points=sync: plain accesses skipped,
 * atomics of the plain build stay points); and nothing for an access to
 * the running thread's own stack, whose locals no other thread sees (a
 * thread that publishes a pointer to its locals loses those points). */
#define _GNU_SOURCE
#include "exec_rt.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

bool mmf_exec_access_points = true;

/* The running thread's stack: every task is an OS thread of its own. */
static _Thread_local uintptr_t stack_lo, stack_hi;

void mmf_exec_note_stack(const void *frame, size_t size)
{
	stack_hi = (uintptr_t)frame + 4096;
	stack_lo = (uintptr_t)frame - size;
}

static inline bool own_stack(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	return a >= stack_lo && a < stack_hi;
}

static const char *const op_load = "load", *const op_store = "store",
		  *const op_atomic_load = "atomic_load", *const op_atomic_store = "atomic_store",
		  *const op_atomic_rmw = "atomic_rmw", *const op_cmpxchg = "atomic_cmpxchg",
		  *const op_fence = "fence";

__attribute__((noinline)) static void point_at(enum mmf_point_kind kind, const void *addr,
					       const void *pc, const char *what)
{
	int e = errno;
	mmf_point(kind, addr, mmf_exec_site(pc, what));
	errno = e;
}

#define ACCESS(addr, what)                                                          \
	do {                                                                        \
		if (__builtin_expect(mmf_exec_access_points, 1) && mmf_current() &&  \
		    !own_stack(addr))                                   \
			point_at(MMF_PT_ACCESS, (const void *)(uintptr_t)(addr), __builtin_return_address(0), (what)); \
	} while (0)

#define ATOMIC(addr, what)                                                          \
	do {                                                                        \
		if (mmf_current())                                                  \
			point_at(MMF_PT_ATOMIC, (const void *)(uintptr_t)(addr), __builtin_return_address(0), (what)); \
	} while (0)

/* ---- plain build: ThreadSanitizer's instrumentation, our runtime -------- */
void __tsan_init(void) {}
void __tsan_func_entry(void *pc) { (void)pc; }
void __tsan_func_exit(void) {}
void __tsan_ignore_thread_begin(void) {}
void __tsan_ignore_thread_end(void) {}
void __tsan_vptr_update(void **p, void *v) { (void)p; (void)v; }
void __tsan_vptr_read(void **p) { (void)p; }

#define RW(n)                                                                         \
	void __tsan_read##n(void *a) { ACCESS(a, op_load); }                         \
	void __tsan_write##n(void *a) { ACCESS(a, op_store); }                       \
	void __tsan_unaligned_read##n(void *a) { ACCESS(a, op_load); }               \
	void __tsan_unaligned_write##n(void *a) { ACCESS(a, op_store); }             \
	void __tsan_volatile_read##n(void *a) { ACCESS(a, op_load); }                \
	void __tsan_volatile_write##n(void *a) { ACCESS(a, op_store); }              \
	void __tsan_read##n##_pc(void *a, void *pc) { (void)pc; ACCESS(a, op_load); } \
	void __tsan_write##n##_pc(void *a, void *pc) { (void)pc; ACCESS(a, op_store); }
RW(1)
RW(2)
RW(4)
RW(8)
RW(16)
void __tsan_read_range(void *a, unsigned long size) { (void)size; ACCESS(a, op_load); }
void __tsan_write_range(void *a, unsigned long size) { (void)size; ACCESS(a, op_store); }

/* Atomics: one task runs at a time, so the operation itself needs no
 * ordering beyond the compiler's; the point comes first. */
typedef unsigned char a8;
typedef unsigned short a16;
typedef unsigned int a32;
typedef unsigned long long a64;
typedef unsigned __int128 a128;

#define ATOMICS(n, T)                                                                        \
	T __tsan_atomic##n##_load(const volatile T *a, int mo)                              \
	{                                                                                    \
		(void)mo;                                                                    \
		ATOMIC(a, op_atomic_load);                                                   \
		return *a;                                                                   \
	}                                                                                    \
	void __tsan_atomic##n##_store(volatile T *a, T v, int mo)                           \
	{                                                                                    \
		(void)mo;                                                                    \
		ATOMIC(a, op_atomic_store);                                                  \
		*a = v;                                                                      \
	}                                                                                    \
	T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo)                           \
	{                                                                                    \
		(void)mo;                                                                    \
		ATOMIC(a, op_atomic_rmw);                                                    \
		T o = *a;                                                                    \
		*a = v;                                                                      \
		return o;                                                                    \
	}                                                                                    \
	T __tsan_atomic##n##_fetch_add(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = o + v; return o; } \
	T __tsan_atomic##n##_fetch_sub(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = o - v; return o; } \
	T __tsan_atomic##n##_fetch_and(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = o & v; return o; } \
	T __tsan_atomic##n##_fetch_or(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = o | v; return o; } \
	T __tsan_atomic##n##_fetch_xor(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = o ^ v; return o; } \
	T __tsan_atomic##n##_fetch_nand(volatile T *a, T v, int mo) { (void)mo; ATOMIC(a, op_atomic_rmw); T o = *a; *a = (T)~(o & v); return o; } \
	int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo) \
	{                                                                                    \
		(void)mo;                                                                    \
		(void)fmo;                                                                   \
		ATOMIC(a, op_cmpxchg);                                                       \
		T o = *a;                                                                    \
		if (o == *c) {                                                               \
			*a = v;                                                              \
			return 1;                                                            \
		}                                                                            \
		*c = o;                                                                      \
		return 0;                                                                    \
	}                                                                                    \
	int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo) \
	{                                                                                    \
		return __tsan_atomic##n##_compare_exchange_strong(a, c, v, mo, fmo);         \
	}                                                                                    \
	T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo)  \
	{                                                                                    \
		(void)mo;                                                                    \
		(void)fmo;                                                                   \
		ATOMIC(a, op_cmpxchg);                                                       \
		T o = *a;                                                                    \
		if (o == c)                                                                  \
			*a = v;                                                              \
		return o;                                                                    \
	}
ATOMICS(8, a8)
ATOMICS(16, a16)
ATOMICS(32, a32)
ATOMICS(64, a64)
ATOMICS(128, a128)

void __tsan_atomic_thread_fence(int mo)
{
	(void)mo;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ATOMIC(NULL, op_fence);
}
void __tsan_atomic_signal_fence(int mo) { (void)mo; }

/* ---- ASan build: ASan's checks, each a point first ----------------------
 * mmfuzz-cc outlines ASan's checks (__asan_loadN/storeN before every load,
 * store and atomic, read-modify-writes as stores) and links the program
 * with them wrapped: the point, then ASan's check, as a tail call so that
 * ASan's report names the program's line. */
#ifdef MMF_EXEC_ASAN_CHECKS
#define CHECKS(n)                                                                   \
	void __real___asan_load##n(uintptr_t);                                      \
	void __real___asan_store##n(uintptr_t);                                     \
	void __wrap___asan_load##n(uintptr_t a)                                     \
	{                                                                           \
		ACCESS((const void *)a, op_load);                                   \
		__attribute__((musttail)) return __real___asan_load##n(a);          \
	}                                                                           \
	void __wrap___asan_store##n(uintptr_t a)                                    \
	{                                                                           \
		ACCESS((const void *)a, op_store);                                  \
		__attribute__((musttail)) return __real___asan_store##n(a);         \
	}
CHECKS(1)
CHECKS(2)
CHECKS(4)
CHECKS(8)
CHECKS(16)
void __real___asan_loadN(uintptr_t, uintptr_t);
void __real___asan_storeN(uintptr_t, uintptr_t);
void __wrap___asan_loadN(uintptr_t a, uintptr_t size)
{
	ACCESS((const void *)a, op_load);
	__attribute__((musttail)) return __real___asan_loadN(a, size);
}
void __wrap___asan_storeN(uintptr_t a, uintptr_t size)
{
	ACCESS((const void *)a, op_store);
	__attribute__((musttail)) return __real___asan_storeN(a, size);
}
#endif
