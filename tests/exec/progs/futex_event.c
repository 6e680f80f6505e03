/* futex_event: a one-shot event on a raw futex word, set with the wake
 * before the store.
 *
 * wait_event() sleeps in FUTEX_WAIT while the word is 0; set_event() wakes
 * the sleepers and then stores 1.  If the waiter is already asleep, the
 * wake takes it out, it re-reads the word before the store (still 0) and
 * sleeps again; the store comes after the only wake, so it sleeps for ever
 * and main waits in join: a deadlock.  The fix is the store first, then
 * the wake (FUTEX_WAIT returns at once if the word is no longer 0). */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t event;

static void wait_event(void)
{
	while (__atomic_load_n(&event, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, &event, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void set_event(void)
{
	/* BUG: the wake comes before the store it announces */
	syscall(SYS_futex, &event, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	__atomic_store_n(&event, 1, __ATOMIC_RELEASE);
}

static void *waiter(void *arg)
{
	(void)arg;
	wait_event();
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	set_event();
	pthread_join(t, NULL);
	printf("futex_event ok\n");
	return 0;
}
