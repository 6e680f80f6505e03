/* futex_ok: correct code on raw futexes, clean under every interleaving.
 *
 * - A three-state mutex (0 free, 1 taken, 2 taken with sleepers) as in
 *   Drepper's "Futexes Are Tricky"; three threads add to a plain counter
 *   under it, and the total must be exact.
 * - FUTEX_WAIT on a word whose value differs returns EAGAIN at once.
 * - FUTEX_WAIT with a relative timeout and FUTEX_WAIT_BITSET with an
 *   absolute one on CLOCK_MONOTONIC return ETIMEDOUT when no one wakes them.
 * - A gate: two threads sleep on its word while it is 0; the opener sets
 *   it, wakes one sleeper and moves the other with FUTEX_CMP_REQUEUE to a
 *   second word, which it then wakes. */
#define _GNU_SOURCE
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 3
#define ROUNDS 20

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *ts, uint32_t *w2,
		  uint32_t val3)
{
	return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

static uint32_t lock_word;
static long counter;

static uint32_t cas(uint32_t *w, uint32_t old, uint32_t new)
{
	__atomic_compare_exchange_n(w, &old, new, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	return old;
}

static void lock(void)
{
	uint32_t c = cas(&lock_word, 0, 1);
	if (c == 0)
		return;
	if (c != 2)
		c = __atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		futex(&lock_word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		c = __atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE);
	}
}

static void unlock(void)
{
	if (__atomic_fetch_sub(&lock_word, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
		futex(&lock_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		lock();
		long v = counter;
		counter = v + 1;
		unlock();
	}
	return NULL;
}

static uint32_t gate_open, parked;

static void *gate_waiter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&gate_open, __ATOMIC_ACQUIRE)) {
		futex(&gate_open, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		/* a requeued sleeper is woken on 'parked' and comes back here */
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS], g[2];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&g[i], NULL, gate_waiter, NULL);

	uint32_t word = 5;
	assert(futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0) == -1 && errno == EAGAIN);
	struct timespec rel = {0, 5 * 1000000};
	assert(futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0) == -1 && errno == ETIMEDOUT);
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 2 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	assert(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY) == -1 &&
	       errno == ETIMEDOUT);

	/* open the gate: wake one sleeper, move the other to 'parked', wake it there */
	__atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
	long r = futex(&gate_open, FUTEX_CMP_REQUEUE_PRIVATE, 1,
		       (const struct timespec *)(uintptr_t)INT_MAX, &parked, 1);
	assert(r >= 0 && r <= 2);
	futex(&parked, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);

	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(g[i], NULL);
	assert(counter == THREADS * ROUNDS);
	printf("futex_ok ok\n");
	return 0;
}
