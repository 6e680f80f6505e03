/* tls_check.c -- NOT a bug.  4 threads each write their own __thread /
 * _Thread_local variables and errno (distinct per thread: a failing libc call
 * with a thread-specific errno, or a direct assignment), then take a shared
 * mutex and sched_yield(), and assert their own values survived.  Correct
 * under every interleaving provided TLS and errno are really per thread and
 * context switches preserve errno.  Expected: exit 0.
 */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS 20

static __thread int tls = -1;     /* initialised TLS (.tdata) */
static _Thread_local long tls_hist[3]; /* zero-initialised TLS (.tbss) */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int shared_steps;

/* Make a libc call fail with an errno value that differs per thread. */
static int fail_with_errno(int id)
{
    switch (id) {
    case 0: (void)close(-1); return EBADF;
    case 1: (void)open("", O_RDONLY); return ENOENT;
    case 2: (void)strtol("999999999999999999999999999", NULL, 10); return ERANGE;
    default: (void)strtol("1", NULL, 99); return EINVAL;
    }
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    assert(tls == -1);
    assert(tls_hist[0] == 0 && tls_hist[1] == 0 && tls_hist[2] == 0);
    for (int i = 0; i < ITERS; i++) {
        tls = id * 1000 + i;
        tls_hist[i % 3] += id + 1;
        int want;
        if (i % 2 == 0) {
            want = fail_with_errno(id);
        } else {
            want = 200 + id;
            errno = want;
        }
        assert(errno == want);
        pthread_mutex_lock(&m);
        shared_steps++;
        pthread_mutex_unlock(&m);
        sched_yield();
        assert(tls == id * 1000 + i);
        assert(errno == want);
    }
    assert(tls_hist[0] + tls_hist[1] + tls_hist[2] == (long)ITERS * (id + 1));
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    tls = 4242;
    for (long i = 0; i < NTHREADS; i++)
        assert(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    for (int i = 0; i < NTHREADS; i++)
        assert(pthread_join(t[i], NULL) == 0);
    assert(tls == 4242);
    assert(tls_hist[0] == 0);
    assert(shared_steps == NTHREADS * ITERS);
    puts("tls_check ok");
    return 0;
}
