/* exit_status.c -- two threads race to "claim" a one-shot job with an
 * unlocked check-then-set `if (!claimed) { claimed = 1; winners++; }`.
 * Bug: if both pass the check before either sets `claimed`, both win.  The
 * second winner calls exit(3) from its worker thread (whole process exits
 * with status 3); as a fallback main also returns 3 when winners != 1.
 * Detected only via the non-zero exit status (no assert, no crash).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int claimed;
static atomic_int winners;

static void *claim(void *arg)
{
    (void)arg;
    if (!claimed) {    /* check ... */
        claimed = 1;   /* ... then set: not atomic with the check */
        if (atomic_fetch_add(&winners, 1) + 1 > 1)
            exit(3);   /* the job was done twice */
    }
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, claim, NULL) != 0 ||
        pthread_create(&t2, NULL, claim, NULL) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("winners = %d\n", atomic_load(&winners));
    return atomic_load(&winners) == 1 ? 0 : 3;
}
