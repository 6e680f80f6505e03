/* order_violation.c -- main starts a worker that uses a global config object,
 * and only then allocates and publishes that object.
 * Bug: main assumes the worker runs "later".  If the worker runs before main
 * publishes g_cfg, it sees NULL and the assert fails (SIGABRT).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct config {
    int ready;
    int scale;
};

static struct config *volatile g_cfg;
static int result;

static void *worker(void *arg)
{
    (void)arg;
    struct config *c = g_cfg;
    assert(c != NULL); /* fails if main has not initialised g_cfg yet */
    assert(c->ready);
    result = 21 * c->scale;
    return NULL;
}

int main(void)
{
    pthread_t t;
    assert(pthread_create(&t, NULL, worker, NULL) == 0);

    /* BUG: initialisation happens after the thread that needs it started */
    struct config *c = malloc(sizeof *c);
    assert(c != NULL);
    c->scale = 2;
    c->ready = 1;
    g_cfg = c;

    assert(pthread_join(t, NULL) == 0);
    assert(result == 42);
    printf("result = %d\n", result);
    free(c);
    return 0;
}
