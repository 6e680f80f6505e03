/* c11_missed_signal: C11 <threads.h>, a condition variable waited on
 * without re-checking the condition under the mutex.
 *
 * The waiter reads 'ready' without the mutex and, seeing 0, takes the
 * mutex and waits once.  If main sets 'ready' and signals between that
 * read and the wait, the signal finds no one and the waiter sleeps for
 * ever while main waits in thrd_join: a deadlock.  The fix is the usual
 * loop: lock, then `while (!ready) cnd_wait(...)`. */
#include <stdio.h>
#include <threads.h>

static mtx_t m;
static cnd_t c;
static int ready;

static int waiter(void *arg)
{
	(void)arg;
	if (!ready) {           /* BUG: checked outside the mutex, and only once */
		mtx_lock(&m);
		cnd_wait(&c, &m);
		mtx_unlock(&m);
	}
	return 0;
}

int main(void)
{
	thrd_t t;
	mtx_init(&m, mtx_plain);
	cnd_init(&c);
	thrd_create(&t, waiter, NULL);
	mtx_lock(&m);
	ready = 1;
	cnd_signal(&c);
	mtx_unlock(&m);
	thrd_join(t, NULL);
	printf("c11_missed_signal ok\n");
	return 0;
}
