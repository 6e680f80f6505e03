/* rmw_window: two read-modify-writes that must look atomic together.
 *
 * One 64-bit word holds two 32-bit counters whose sum is always N.  The
 * mover takes one from the low half (atomic fetch_sub on it) and then adds
 * one to the high half (atomic fetch_add); the checker reads the whole word
 * with one atomic load and asserts the sum.  Only a checker that runs
 * between the mover's two read-modify-writes sees N - 1: the bug needs the
 * atomic read-modify-write itself to be a scheduling point (nothing else
 * of the mover's lies between the two). */
#define _GNU_SOURCE
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define N 5

static union {
	uint64_t both;
	uint32_t half[2];
} w = {.half = {N, 0}};

static void *mover(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++) {
		__atomic_fetch_sub(&w.half[0], 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&w.half[1], 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void *checker(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++) {
		uint64_t v = __atomic_load_n(&w.both, __ATOMIC_SEQ_CST);
		assert((uint32_t)v + (uint32_t)(v >> 32) == N);
	}
	return NULL;
}

int main(void)
{
	pthread_t m, c;
	pthread_create(&m, NULL, mover, NULL);
	pthread_create(&c, NULL, checker, NULL);
	pthread_join(m, NULL);
	pthread_join(c, NULL);
	printf("rmw_window ok\n");
	return 0;
}
