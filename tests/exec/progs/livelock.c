/* livelock.c -- two threads enter a critical section with a flag-only entry
 * protocol: raise my flag, then politely wait (sched_yield) while the other's
 * flag is up.  Mutual exclusion holds (the in_cs assert never fires).
 * Bug: no tie-breaker.  If both raise their flags before either checks the
 * other's, each yields forever waiting for the other to lower its flag: both
 * stay runnable but no progress is ever made -> hang (livelock), under every
 * continuation of that prefix.  Otherwise it finishes normally.
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int wants[2];
static atomic_int in_cs;
static int entries;

static void *worker(void *arg)
{
    int me = (int)(long)arg, other = 1 - me;
    atomic_store(&wants[me], 1);
    while (atomic_load(&wants[other])) /* BUG: waits forever if both wait */
        sched_yield();
    assert(atomic_fetch_add(&in_cs, 1) == 0);
    entries++;
    atomic_fetch_sub(&in_cs, 1);
    atomic_store(&wants[me], 0);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        assert(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    for (int i = 0; i < 2; i++)
        assert(pthread_join(t[i], NULL) == 0);
    assert(entries == 2);
    printf("entries = %d\n", entries);
    return 0;
}
