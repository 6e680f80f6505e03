/* uaf_racing_free.c -- a reader thread loads a shared object pointer, checks
 * it is non-NULL and then reads fields through it; a cleanup thread frees the
 * object and clears the pointer.  No lock protects the pair.
 * Bug (check-then-use): if the reader loads the pointer, is preempted, and the
 * cleanup thread frees the object, the reader then reads freed memory ->
 * heap-use-after-free (ASan report; without ASan the magic field at offset 0
 * is overwritten by the allocator's free-list link and the assert fails).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAGIC 0x5AFE5AFEL

struct obj {
    long magic;
    long payload;
};

static struct obj *volatile shared;
static long seen;

static void *reader(void *arg)
{
    (void)arg;
    struct obj *p = shared;
    if (p != NULL) {             /* check ... */
        long m = p->magic;       /* ... then use: may be freed by now */
        assert(m == MAGIC);
        seen = p->payload;
    }
    return NULL;
}

static void *cleanup(void *arg)
{
    (void)arg;
    struct obj *p = shared;
    free(p);
    shared = NULL;
    return NULL;
}

int main(void)
{
    struct obj *o = malloc(sizeof *o);
    assert(o != NULL);
    o->magic = MAGIC;
    o->payload = 7;
    shared = o;

    pthread_t r, c;
    assert(pthread_create(&r, NULL, reader, NULL) == 0);
    assert(pthread_create(&c, NULL, cleanup, NULL) == 0);
    assert(pthread_join(r, NULL) == 0);
    assert(pthread_join(c, NULL) == 0);
    printf("seen = %ld\n", seen);
    return 0;
}
