/* sanitizer.h - one place that says which sanitizer this translation unit is
 * built with, for gcc (__SANITIZE_*__) and clang (__has_feature) alike, and
 * no-op stand-ins for the annotation calls when it is not.
 */
#ifndef MMF_SANITIZER_H
#define MMF_SANITIZER_H

#ifndef __has_feature
#define __has_feature(x) 0
#endif

/* MMF_KASAN: the build's own checked heap (sched/kmem.c) with the model
 * compiled for gcc's or clang's kernel-address instrumentation, whose
 * outline callbacks kmem.c defines.  gcc says __SANITIZE_ADDRESS__ for
 * kernel-address too; that is not ASan. */
#ifndef MMF_KASAN
#define MMF_KASAN 0
#endif

/* MMF_ACCESS_SANCOV: an ASan build whose core/ also calls the
 * sanitizer-coverage load and store callbacks, sched/access.c's (the hook
 * of plain-access points there, as kasan.c's callbacks are elsewhere). */
#ifndef MMF_ACCESS_SANCOV
#define MMF_ACCESS_SANCOV 0
#endif

#if (defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)) && !MMF_KASAN
#define MMF_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#else
#define MMF_ASAN 0
#endif

/* sched/ itself is compiled without TSan instrumentation (its bookkeeping is
 * touched by every fiber and would be reported as racy under no-sync
 * switches); the build passes MMF_BUILD_TSAN so that it still annotates. */
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer) || defined(MMF_BUILD_TSAN)
#define MMF_TSAN 1
#include <sanitizer/tsan_interface.h>
#define mmf_tsan_acquire(a) __tsan_acquire((void *)(a))
#define mmf_tsan_release(a) __tsan_release((void *)(a))
/* Scheduler bookkeeping is not the model: sched/ is compiled without TSan
 * instrumentation, but the libc calls it makes (memset, snprintf, realloc,
 * free) go through TSan's interceptors, which would report the scheduler's
 * own structures as shared between fibers.  Scheduler entry points run
 * inside an ignore region (per fiber, as TSan keeps it per fiber). */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
/* Nesting is counted per task (scheduler.c), and a switch ends the
 * region before it leaves a fiber and restarts it on return, so no fiber
 * is ever suspended or destroyed inside one. */
void mmf__tsan_enter(void);
void mmf__tsan_leave(void);
#define MMF_SCHED_ENTER() mmf__tsan_enter()
#define MMF_SCHED_LEAVE() mmf__tsan_leave()
#else
#define MMF_TSAN 0
#define mmf_tsan_acquire(a) ((void)(a))
#define mmf_tsan_release(a) ((void)(a))
#define MMF_SCHED_ENTER() ((void)0)
#define MMF_SCHED_LEAVE() ((void)0)
#endif

/* UndefinedBehaviorSanitizer comes with ASan in the sanitizer presets; its
 * runtime calls __ubsan_on_report() (weak there) for every report, before a
 * fatal one ends the process, and hands out the report's data. */
#if defined(__clang__) && MMF_ASAN
#define MMF_UBSAN 1
void __ubsan_get_current_report_data(const char **kind, const char **message,
				     const char **file, unsigned *line, unsigned *col,
				     char **addr);
#else
#define MMF_UBSAN 0
#endif

/* Hash and rng arithmetic wraps on purpose; UBSan's optional
 * unsigned-overflow check (clang only) must not flag it. */
#if defined(__clang__)
#define MMF_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define MMF_WRAPS
#endif

#endif
