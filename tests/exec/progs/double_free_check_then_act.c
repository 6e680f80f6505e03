/* double_free_check_then_act.c -- two threads both "release" a shared buffer
 * with `if (p) { free(p); p = NULL; }` and no lock.
 * Bug: if both threads read the non-NULL pointer before either clears it,
 * both call free() on the same block -> double free (ASan report, or glibc's
 * "free(): double free detected" abort).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile buf;

static void *release(void *arg)
{
    (void)arg;
    char *p = buf;
    if (p != NULL) { /* check ... */
        free(p);     /* ... then act: the other thread may be here too */
        buf = NULL;
    }
    return NULL;
}

int main(void)
{
    char *p = malloc(32);
    assert(p != NULL);
    strcpy(p, "shared buffer");
    buf = p;

    pthread_t t1, t2;
    assert(pthread_create(&t1, NULL, release, NULL) == 0);
    assert(pthread_create(&t2, NULL, release, NULL) == 0);
    assert(pthread_join(t1, NULL) == 0);
    assert(pthread_join(t2, NULL) == 0);
    assert(buf == NULL);
    puts("released");
    return 0;
}
