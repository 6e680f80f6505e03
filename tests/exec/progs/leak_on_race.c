/* leak_on_race.c -- two threads lazily create a shared buffer with an
 * unlocked check-then-set: `if (!cache) cache = malloc(...)`.  main frees
 * the cache at the end.
 * Bug: when both threads see cache == NULL, both allocate and the second
 * store overwrites the first pointer: that block is leaked.  Nothing
 * crashes; only a leak check at exit (LeakSanitizer in an ASan build) sees it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static char *volatile cache;

static void *user(void *arg)
{
	(void)arg;
	if (!cache) {
		char *p = malloc(64);
		memset(p, 0, 64);
		cache = p;
	}
	cache[0]++;
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, user, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	free(cache);
	return 0;
}
