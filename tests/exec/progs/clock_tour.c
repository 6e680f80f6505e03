/* clock_tour: the clock-taking calls and the non-portable joins, used
 * correctly; clean under every interleaving.  pthread_mutex_clocklock,
 * pthread_rwlock_clockrdlock/clockwrlock, pthread_cond_clockwait and
 * sem_clockwait on CLOCK_MONOTONIC and CLOCK_REALTIME, EINVAL for another
 * clock, and pthread_tryjoin_np, pthread_timedjoin_np and
 * pthread_clockjoin_np.  A timeout may come before the event it waits for
 * (time passing is one more step), so every wait that times out is retried
 * with a new deadline, never taken as the event. */
#define _GNU_SOURCE
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static int go;

static struct timespec in_ms(clockid_t clk, long ms)
{
	struct timespec t;
	clock_gettime(clk, &t);
	t.tv_nsec += ms * 1000000;
	while (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static void *sleeper(void *arg)
{
	(void)arg;
	struct timespec d = {0, 30 * 1000000};
	nanosleep(&d, NULL);
	return (void *)7;
}

static void *signaller(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	go = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	sem_post(&sem);
	return NULL;
}

static void *contender(void *arg)
{
	(void)arg;
	struct timespec t = in_ms(CLOCK_MONOTONIC, 5);
	int r = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &t);
	assert(r == 0 || r == ETIMEDOUT);
	if (r == 0)
		pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	struct timespec t;
	void *v = NULL;
	int r;
	sem_init(&sem, 0, 0);

	/* joins: try, then timed (REALTIME), then clocked (MONOTONIC) until done */
	pthread_t s;
	pthread_create(&s, NULL, sleeper, NULL);
	r = pthread_tryjoin_np(s, &v);
	assert(r == 0 || r == EBUSY);
	if (r == EBUSY) {
		t = in_ms(CLOCK_REALTIME, 1);
		r = pthread_timedjoin_np(s, &v, &t);
		assert(r == 0 || r == ETIMEDOUT);
	}
	while (r == EBUSY || r == ETIMEDOUT) {
		t = in_ms(CLOCK_MONOTONIC, 1000);
		r = pthread_clockjoin_np(s, &v, CLOCK_MONOTONIC, &t);
		assert(r == 0 || r == ETIMEDOUT);
	}
	assert(v == (void *)7);

	/* a clocked lock against a holder; another clock is EINVAL */
	pthread_t h;
	pthread_mutex_lock(&m);
	pthread_create(&h, NULL, contender, NULL);
	struct timespec d = {0, 20 * 1000000};
	nanosleep(&d, NULL);
	t = in_ms(CLOCK_MONOTONIC, 1);
	assert(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &t) == EINVAL);
	pthread_mutex_unlock(&m);
	pthread_join(h, NULL);

	/* rwlock, uncontended */
	t = in_ms(CLOCK_REALTIME, 10);
	assert(pthread_rwlock_clockrdlock(&rw, CLOCK_REALTIME, &t) == 0);
	pthread_rwlock_unlock(&rw);
	t = in_ms(CLOCK_MONOTONIC, 10);
	assert(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &t) == 0);
	pthread_rwlock_unlock(&rw);

	/* a condition and a semaphore, each signalled by another thread */
	pthread_t g;
	pthread_create(&g, NULL, signaller, NULL);
	pthread_mutex_lock(&m);
	while (!go) {
		t = in_ms(CLOCK_MONOTONIC, 1000);
		r = pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &t);
		assert(r == 0 || r == ETIMEDOUT);
	}
	pthread_mutex_unlock(&m);
	for (;;) {
		t = in_ms(CLOCK_MONOTONIC, 1000);
		if (sem_clockwait(&sem, CLOCK_MONOTONIC, &t) == 0)
			break;
		assert(errno == ETIMEDOUT);
	}
	pthread_join(g, NULL);
	sem_destroy(&sem);
	printf("clock_tour ok\n");
	return 0;
}
