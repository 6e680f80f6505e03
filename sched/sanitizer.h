/* sanitizer.h - one place that says which sanitizer this translation unit is
 * built with, for gcc (__SANITIZE_*__) and clang (__has_feature) alike, and
 * no-op stand-ins for the annotation calls when it is not.
 */
#ifndef MMF_SANITIZER_H
#define MMF_SANITIZER_H

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
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
#else
#define MMF_TSAN 0
#define mmf_tsan_acquire(a) ((void)(a))
#define mmf_tsan_release(a) ((void)(a))
#endif

/* Hash and rng arithmetic wraps on purpose; UBSan's optional
 * unsigned-overflow check (clang only) must not flag it. */
#if defined(__clang__)
#define MMF_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define MMF_WRAPS
#endif

#endif
