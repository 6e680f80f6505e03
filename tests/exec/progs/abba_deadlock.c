/* abba_deadlock.c -- two threads each take two mutexes to update a shared
 * value, but in opposite orders (t1: A then B, t2: B then A).  No sleeps.
 * Bug: if t1 holds A and t2 holds B, each blocks forever on the other's
 * mutex while main blocks in pthread_join -> deadlock (all threads blocked).
 */
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int balance_a = 10, balance_b = 10;

static void *move_a_to_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); /* BUG: order A -> B */
    balance_a -= 1;
    balance_b += 1;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *move_b_to_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a); /* BUG: order B -> A */
    balance_b -= 2;
    balance_a += 2;
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    assert(pthread_create(&t1, NULL, move_a_to_b, NULL) == 0);
    assert(pthread_create(&t2, NULL, move_b_to_a, NULL) == 0);
    assert(pthread_join(t1, NULL) == 0);
    assert(pthread_join(t2, NULL) == 0);
    assert(balance_a == 11 && balance_b == 9);
    printf("balances %d %d\n", balance_a, balance_b);
    return 0;
}
