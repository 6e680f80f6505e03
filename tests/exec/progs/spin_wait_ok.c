/* spin_wait_ok.c -- NOT a bug.  A consumer thread busy-waits on a C11 atomic
 * flag with no yield or sleep in the loop; a producer thread (created second)
 * writes data and then sets the flag.  Must terminate: a one-thread-at-a-time
 * scheduler has to treat the spinning load as a yield point, otherwise it
 * spins forever.  Expected: exit 0.
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int flag;
static int data;

static void *consumer(void *arg)
{
    (void)arg;
    while (!atomic_load(&flag)) {
        /* spin: no sched_yield() on purpose */
    }
    assert(data == 42);
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    data = 42;
    atomic_store(&flag, 1);
    return NULL;
}

int main(void)
{
    pthread_t c, p;
    assert(pthread_create(&c, NULL, consumer, NULL) == 0);
    assert(pthread_create(&p, NULL, producer, NULL) == 0);
    assert(pthread_join(c, NULL) == 0);
    assert(pthread_join(p, NULL) == 0);
    puts("spin_wait_ok ok");
    return 0;
}
