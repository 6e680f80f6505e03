/* missed_wakeup.c -- a waiter waits for `ready` using a condition variable;
 * a signaller sets `ready` and signals, both under the mutex.
 * Bug: the waiter tests `ready` BEFORE taking the mutex and then waits without
 * a predicate loop.  If it sees ready == 0, is preempted, and the signaller
 * sets ready and signals (nobody is waiting yet), the waiter then locks and
 * blocks in pthread_cond_wait forever -> deadlock (main is stuck in join).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int ready;
static int payload;

static void *waiter(void *arg)
{
    (void)arg;
    if (!ready) { /* BUG: checked without the mutex ... */
        pthread_mutex_lock(&m);
        pthread_cond_wait(&cv, &m); /* ... and no `while (!ready)` loop */
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&m);
    int v = payload;
    pthread_mutex_unlock(&m);
    return (void *)(long)v;
}

static void *signaller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    payload = 42;
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t w, s;
    void *ret;
    assert(pthread_create(&w, NULL, waiter, NULL) == 0);
    assert(pthread_create(&s, NULL, signaller, NULL) == 0);
    assert(pthread_join(s, NULL) == 0);
    assert(pthread_join(w, &ret) == 0);
    printf("waiter got %ld\n", (long)ret);
    return 0;
}
