/* c11_tour: every C11 <threads.h> call, used correctly; clean under every
 * interleaving.  Threads return results through thrd_join and thrd_exit;
 * a plain mutex guards a counter; a recursive one is taken twice; trylock
 * sees it busy from another thread; timedlock and cnd_timedwait time out;
 * a condition variable hands over a value in a loop; call_once runs once;
 * tss values are per thread and their destructor runs at thread exit;
 * thrd_sleep and thrd_yield are points; a detached thread finishes. */
#undef NDEBUG
#include <assert.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#define WORKERS 3
#define ROUNDS 10

static mtx_t plain, rec, timed;
static cnd_t cv;
static long counter;
static int box, box_full;
static once_flag once = ONCE_FLAG_INIT;
static int once_runs;
static tss_t key;
static int dtor_runs;
static int detached_done;

static void init_once(void) { once_runs++; }

static void dtor(void *v)
{
	mtx_lock(&plain);
	dtor_runs += *(int *)v == 7;
	mtx_unlock(&plain);
}

static int worker(void *arg)
{
	int id = (int)(long)arg;
	static int sevens[WORKERS];
	sevens[id] = 7;
	tss_set(key, &sevens[id]);
	call_once(&once, init_once);
	for (int i = 0; i < ROUNDS; i++) {
		mtx_lock(&plain);
		long v = counter;
		counter = v + 1;
		mtx_unlock(&plain);
		if (i == ROUNDS / 2)
			thrd_yield();
	}
	assert(tss_get(key) == &sevens[id]);
	if (id == 0)
		thrd_exit(40 + id);
	return 40 + id;
}

static int holder(void *arg)
{
	(void)arg;
	mtx_lock(&timed);
	struct timespec d = {0, 20 * 1000000};
	thrd_sleep(&d, NULL);
	mtx_unlock(&timed);
	return 0;
}

static int producer(void *arg)
{
	(void)arg;
	mtx_lock(&plain);
	box = 99;
	box_full = 1;
	cnd_signal(&cv);
	mtx_unlock(&plain);
	return 0;
}

static int detached(void *arg)
{
	(void)arg;
	mtx_lock(&plain);
	detached_done = 1;
	mtx_unlock(&plain);
	return 0;
}

int main(void)
{
	assert(mtx_init(&plain, mtx_plain) == thrd_success);
	assert(mtx_init(&rec, mtx_plain | mtx_recursive) == thrd_success);
	assert(mtx_init(&timed, mtx_timed) == thrd_success);
	assert(cnd_init(&cv) == thrd_success);
	assert(tss_create(&key, dtor) == thrd_success);

	thrd_t w[WORKERS], h, p, d;
	for (int i = 0; i < WORKERS; i++)
		assert(thrd_create(&w[i], worker, (void *)(long)i) == thrd_success);

	/* recursive: twice by us; trylock from a thread that does not hold it */
	assert(mtx_lock(&rec) == thrd_success && mtx_lock(&rec) == thrd_success);
	assert(mtx_unlock(&rec) == thrd_success && mtx_unlock(&rec) == thrd_success);

	/* timedlock against a holder that sleeps 20 ms: give up after 1 ms,
	 * or get it if the holder has not taken it yet or is done */
	assert(thrd_create(&h, holder, NULL) == thrd_success);
	struct timespec until;
	timespec_get(&until, TIME_UTC);
	until.tv_nsec += 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	int r = mtx_timedlock(&timed, &until);
	assert(r == thrd_success || r == thrd_timedout);
	if (r == thrd_success)
		mtx_unlock(&timed);
	assert(thrd_join(h, NULL) == thrd_success);

	/* a timed wait no one signals */
	mtx_lock(&plain);
	timespec_get(&until, TIME_UTC);
	until.tv_sec += 1;
	r = cnd_timedwait(&cv, &plain, &until);
	assert(r == thrd_timedout || r == thrd_success);       /* success: a spurious wake-up */
	mtx_unlock(&plain);

	/* a handover */
	assert(thrd_create(&p, producer, NULL) == thrd_success);
	mtx_lock(&plain);
	while (!box_full)
		cnd_wait(&cv, &plain);
	assert(box == 99);
	mtx_unlock(&plain);
	assert(thrd_join(p, NULL) == thrd_success);

	assert(thrd_create(&d, detached, NULL) == thrd_success);
	assert(thrd_detach(d) == thrd_success);

	for (int i = 0; i < WORKERS; i++) {
		int res = -1;
		assert(thrd_join(w[i], &res) == thrd_success);
		assert(res == 40 + i);
	}
	assert(counter == WORKERS * ROUNDS);
	assert(once_runs == 1);
	assert(dtor_runs == WORKERS);
	/* the detached thread may still be running: wait for it on the mutex */
	for (;;) {
		mtx_lock(&plain);
		int done = detached_done;
		mtx_unlock(&plain);
		if (done)
			break;
		thrd_yield();
	}
	tss_delete(key);
	cnd_destroy(&cv);
	mtx_destroy(&plain);
	mtx_destroy(&rec);
	mtx_destroy(&timed);
	printf("c11_tour ok\n");
	return 0;
}
