/* lost_update.c -- two threads each increment an unprotected shared counter
 * N=2 times; main joins both and asserts counter == 4.
 * Bug: the increment is a separate load and store with no lock (volatile keeps
 * them as two real memory accesses).  A switch between one thread's load and
 * its store lets the other thread's increment be overwritten, so the final
 * value is < 4 and the assert fails (SIGABRT).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define N 2

static volatile int counter;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        int v = counter; /* load */
        counter = v + 1; /* store: a preemption before this loses an update */
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (int i = 0; i < 2; i++)
        assert(pthread_join(t[i], NULL) == 0);
    printf("counter = %d\n", counter);
    assert(counter == 2 * N);
    return 0;
}
