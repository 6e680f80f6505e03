/* test_fiber.c - the context switch itself: values survive switches in
 * both directions, pooled stacks re-arm cheaply many times, a fiber that
 * returns instead of exiting is caught, and a stack overflow hits the
 * guard page instead of the neighbour's stack. */
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

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_switches_preserve_order_and_values),
		TEST(test_pooled_stack_rearms_many_times),
		TEST(test_fiber_returning_is_caught),
		TEST(test_stack_overflow_hits_the_guard_page),
	};
	return RUN_TESTS(tests);
}
