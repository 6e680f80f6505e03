/* raw_futex.h - the futex system call without libc's syscall().  Exec mode
 * links a user's program with syscall() wrapped, so that the program's own
 * futex calls wait and wake on the scheduler (exec/pthread_face.c); the
 * scheduler's hand-offs between carrier threads must reach the kernel
 * directly.  Returns the call's result, or -1 with errno set. */
#ifndef MMF_RAW_FUTEX_H
#define MMF_RAW_FUTEX_H

#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long mmf_raw_futex(void *addr, int op, unsigned val, const struct timespec *ts)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = (long)ts;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_futex), "D"(addr), "S"((long)op), "d"((long)val), "r"(r10)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_futex;
	register long x0 __asm__("x0") = (long)addr;
	register long x1 __asm__("x1") = op;
	register long x2 __asm__("x2") = (long)val;
	register long x3 __asm__("x3") = (long)ts;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	ret = x0;
#else
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
#endif
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

#endif
