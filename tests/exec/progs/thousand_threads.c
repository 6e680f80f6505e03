/* thousand_threads.c -- NOT a bug.  Creates 1000 threads over its lifetime,
 * in 125 batches of 8 (create 8, join 8), so at most 8 are alive at once.
 * Each increments a mutex-protected counter and returns its argument, which
 * join checks.  Expected: exit 0 with counter == 1000 (tests thread-slot and
 * stack reuse in the runtime).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define TOTAL 1000
#define BATCH 8

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *worker(void *arg)
{
    pthread_mutex_lock(&m);
    counter++;
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void)
{
    pthread_t t[BATCH];
    long next = 0;
    for (int b = 0; b < TOTAL / BATCH; b++) {
        for (int i = 0; i < BATCH; i++)
            assert(pthread_create(&t[i], NULL, worker, (void *)(next + i)) == 0);
        for (int i = 0; i < BATCH; i++) {
            void *ret;
            assert(pthread_join(t[i], &ret) == 0);
            assert((long)ret == next + i);
        }
        next += BATCH;
    }
    assert(counter == TOTAL);
    printf("counter = %d\n", counter);
    return 0;
}
