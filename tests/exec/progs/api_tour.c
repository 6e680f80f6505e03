/* api_tour.c -- NOT a bug.  Uses, correctly, the pthread / semaphore / sleep /
 * atomic APIs an exec-mode runtime must model: create/join/detach/exit,
 * self/equal, normal/recursive/errorcheck mutexes, trylock, timedlock, rwlock,
 * spinlock, condvars (wait/signal/broadcast/timedwait), barrier, semaphores,
 * once, TSD keys with destructors, cleanup handlers, sleeps, C11 atomics and
 * GCC __atomic/__sync builtins.  Every result is asserted.  Expected: prints
 * "api_tour ok", exit 0, under every interleaving.
 */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define OK(call) do { int rc_ = (call); assert(rc_ == 0); } while (0)

static void deadline_in(struct timespec *ts, long ms)
{
    OK(clock_gettime(CLOCK_REALTIME, ts));
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* Run fn(arg) in a fresh thread, join it, return its int result. */
static int in_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    void *ret;
    OK(pthread_create(&t, NULL, fn, arg));
    OK(pthread_join(t, &ret));
    return (int)(intptr_t)ret;
}

/* ---- create / join / exit / detach / self / equal ---- */
static pthread_t seen_self;
static sem_t detached_done;

static void *exiter(void *arg)
{
    seen_self = pthread_self();
    pthread_exit((void *)((intptr_t)arg + 1));
}
static void *returner(void *arg) { return arg; }
static void *detached(void *arg) { (void)arg; OK(sem_post(&detached_done)); return NULL; }

static void test_threads(void)
{
    pthread_t t;
    void *ret;
    OK(pthread_create(&t, NULL, exiter, (void *)41));
    OK(pthread_join(t, &ret));
    assert((intptr_t)ret == 42);
    assert(pthread_equal(t, seen_self));
    assert(!pthread_equal(t, pthread_self()));
    assert(pthread_equal(pthread_self(), pthread_self()));
    assert(in_thread(returner, (void *)7) == 7);
    OK(sem_init(&detached_done, 0, 0));
    OK(pthread_create(&t, NULL, detached, NULL));
    OK(pthread_detach(t));
    OK(sem_wait(&detached_done)); /* not destroyed: poster may still be inside sem_post */
}

/* ---- mutex kinds, trylock ---- */
static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec, errc;

static void *try_other(void *arg)
{
    int rc = pthread_mutex_trylock(arg);
    if (rc == 0)
        OK(pthread_mutex_unlock(arg));
    return (void *)(intptr_t)rc;
}
static void *unlock_other(void *arg) { return (void *)(intptr_t)pthread_mutex_unlock(arg); }

static void test_mutexes(void)
{
    pthread_mutexattr_t a;
    OK(pthread_mutexattr_init(&a));
    OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    OK(pthread_mutex_init(&rec, &a));
    OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    OK(pthread_mutex_init(&errc, &a));
    OK(pthread_mutexattr_destroy(&a));

    OK(pthread_mutex_lock(&plain));
    assert(pthread_mutex_trylock(&plain) == EBUSY);
    assert(in_thread(try_other, &plain) == EBUSY);
    OK(pthread_mutex_unlock(&plain));
    assert(in_thread(try_other, &plain) == 0);

    OK(pthread_mutex_lock(&rec));
    OK(pthread_mutex_lock(&rec));
    OK(pthread_mutex_trylock(&rec));
    assert(in_thread(try_other, &rec) == EBUSY);
    OK(pthread_mutex_unlock(&rec));
    OK(pthread_mutex_unlock(&rec));
    assert(in_thread(try_other, &rec) == EBUSY);
    OK(pthread_mutex_unlock(&rec));
    assert(in_thread(try_other, &rec) == 0);

    OK(pthread_mutex_lock(&errc));
    assert(pthread_mutex_lock(&errc) == EDEADLK);
    assert(in_thread(unlock_other, &errc) == EPERM);
    OK(pthread_mutex_unlock(&errc));
    assert(pthread_mutex_unlock(&errc) == EPERM);

    OK(pthread_mutex_destroy(&rec));
    OK(pthread_mutex_destroy(&errc));
}

/* ---- timedlock: held by another thread for the whole timeout ---- */
static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
static sem_t tm_held, tm_release;

static void *tm_holder(void *arg)
{
    (void)arg;
    OK(pthread_mutex_lock(&tm));
    OK(sem_post(&tm_held));
    OK(sem_wait(&tm_release)); /* until main's timedlock has given up */
    OK(pthread_mutex_unlock(&tm));
    return NULL;
}

static void test_timedlock(void)
{
    pthread_t t;
    struct timespec ts;
    OK(sem_init(&tm_held, 0, 0));
    OK(sem_init(&tm_release, 0, 0));
    OK(pthread_create(&t, NULL, tm_holder, NULL));
    OK(sem_wait(&tm_held));
    deadline_in(&ts, 50);
    assert(pthread_mutex_timedlock(&tm, &ts) == ETIMEDOUT);
    OK(sem_post(&tm_release));
    OK(pthread_join(t, NULL));
    deadline_in(&ts, 1000);
    OK(pthread_mutex_timedlock(&tm, &ts));
    OK(pthread_mutex_unlock(&tm));
    OK(sem_destroy(&tm_held));
    OK(sem_destroy(&tm_release));
}

/* ---- rwlock ---- */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int table[4];

static void *try_rd(void *arg)
{
    (void)arg;
    int rc = pthread_rwlock_tryrdlock(&rw);
    if (rc == 0)
        OK(pthread_rwlock_unlock(&rw));
    return (void *)(intptr_t)rc;
}
static void *try_wr(void *arg)
{
    (void)arg;
    int rc = pthread_rwlock_trywrlock(&rw);
    if (rc == 0)
        OK(pthread_rwlock_unlock(&rw));
    return (void *)(intptr_t)rc;
}
static void *rw_writer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= 3; i++) {
        OK(pthread_rwlock_wrlock(&rw));
        for (int j = 0; j < 4; j++)
            table[j] = i;
        OK(pthread_rwlock_unlock(&rw));
    }
    return NULL;
}
static void *rw_reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        OK(pthread_rwlock_rdlock(&rw));
        for (int j = 1; j < 4; j++)
            assert(table[j] == table[0]);
        OK(pthread_rwlock_unlock(&rw));
    }
    return NULL;
}

static void test_rwlock(void)
{
    OK(pthread_rwlock_rdlock(&rw));
    OK(pthread_rwlock_tryrdlock(&rw));
    assert(in_thread(try_rd, NULL) == 0);
    assert(in_thread(try_wr, NULL) == EBUSY);
    OK(pthread_rwlock_unlock(&rw));
    OK(pthread_rwlock_unlock(&rw));
    OK(pthread_rwlock_wrlock(&rw));
    assert(in_thread(try_rd, NULL) == EBUSY);
    assert(in_thread(try_wr, NULL) == EBUSY);
    OK(pthread_rwlock_unlock(&rw));
    assert(in_thread(try_wr, NULL) == 0);

    pthread_t t[3];
    OK(pthread_create(&t[0], NULL, rw_writer, NULL));
    OK(pthread_create(&t[1], NULL, rw_reader, NULL));
    OK(pthread_create(&t[2], NULL, rw_reader, NULL));
    for (int i = 0; i < 3; i++)
        OK(pthread_join(t[i], NULL));
    assert(table[0] == 3 && table[3] == 3);
}

/* ---- spinlock ---- */
static pthread_spinlock_t sl;
static int spin_count;

static void *spin_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        OK(pthread_spin_lock(&sl));
        spin_count++;
        OK(pthread_spin_unlock(&sl));
    }
    return NULL;
}

static void test_spin(void)
{
    pthread_t t1, t2;
    OK(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE));
    OK(pthread_create(&t1, NULL, spin_worker, NULL));
    OK(pthread_create(&t2, NULL, spin_worker, NULL));
    OK(pthread_join(t1, NULL));
    OK(pthread_join(t2, NULL));
    assert(spin_count == 20);
    OK(pthread_spin_lock(&sl));
    assert(pthread_spin_trylock(&sl) == EBUSY);
    OK(pthread_spin_unlock(&sl));
    OK(pthread_spin_trylock(&sl));
    OK(pthread_spin_unlock(&sl));
    OK(pthread_spin_destroy(&sl));
}

/* ---- condition variables: bounded queue, broadcast, timedwait ---- */
#define QCAP 2
#define NITEMS 5
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_waiting = PTHREAD_COND_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t nobody = PTHREAD_COND_INITIALIZER;
static int q[QCAP], qhead, qlen, waiting, go, woke, never;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= NITEMS; i++) {
        OK(pthread_mutex_lock(&qm));
        while (qlen == QCAP)
            OK(pthread_cond_wait(&not_full, &qm));
        q[(qhead + qlen) % QCAP] = i;
        qlen++;
        OK(pthread_cond_signal(&not_empty));
        OK(pthread_mutex_unlock(&qm));
    }
    return NULL;
}
static void *consumer(void *arg)
{
    (void)arg;
    int sum = 0;
    for (int i = 1; i <= NITEMS; i++) {
        OK(pthread_mutex_lock(&qm));
        while (qlen == 0)
            OK(pthread_cond_wait(&not_empty, &qm));
        int v = q[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        OK(pthread_cond_signal(&not_full));
        OK(pthread_mutex_unlock(&qm));
        assert(v == i); /* FIFO, single producer */
        sum += v;
    }
    return (void *)(intptr_t)sum;
}
static void *bcast_waiter(void *arg)
{
    (void)arg;
    OK(pthread_mutex_lock(&qm));
    waiting++;
    OK(pthread_cond_signal(&all_waiting));
    while (!go)
        OK(pthread_cond_wait(&go_cv, &qm));
    woke++;
    OK(pthread_mutex_unlock(&qm));
    return NULL;
}

static void test_cond(void)
{
    pthread_t p, c, w[3];
    void *ret;
    OK(pthread_create(&c, NULL, consumer, NULL));
    OK(pthread_create(&p, NULL, producer, NULL));
    OK(pthread_join(p, NULL));
    OK(pthread_join(c, &ret));
    assert((intptr_t)ret == NITEMS * (NITEMS + 1) / 2);

    for (int i = 0; i < 3; i++)
        OK(pthread_create(&w[i], NULL, bcast_waiter, NULL));
    OK(pthread_mutex_lock(&qm));
    while (waiting < 3) /* all 3 are inside cond_wait once this exits */
        OK(pthread_cond_wait(&all_waiting, &qm));
    go = 1;
    OK(pthread_cond_broadcast(&go_cv)); /* must wake all three */
    OK(pthread_mutex_unlock(&qm));
    for (int i = 0; i < 3; i++)
        OK(pthread_join(w[i], NULL));
    assert(woke == 3);

    struct timespec ts;
    int rc;
    deadline_in(&ts, 50);
    OK(pthread_mutex_lock(&qm));
    do
        rc = pthread_cond_timedwait(&nobody, &qm, &ts);
    while (rc == 0 && !never); /* 0 would be a spurious wakeup */
    assert(rc == ETIMEDOUT);
    OK(pthread_mutex_unlock(&qm));
}

/* ---- barrier ---- */
static pthread_barrier_t bar;
static atomic_int serial[2];

static void *bar_worker(void *arg)
{
    (void)arg;
    for (int round = 0; round < 2; round++) {
        int rc = pthread_barrier_wait(&bar);
        assert(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial[round], 1);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_t t[4];
    OK(pthread_barrier_init(&bar, NULL, 4));
    for (int i = 0; i < 4; i++)
        OK(pthread_create(&t[i], NULL, bar_worker, NULL));
    for (int i = 0; i < 4; i++)
        OK(pthread_join(t[i], NULL));
    assert(atomic_load(&serial[0]) == 1 && atomic_load(&serial[1]) == 1);
    OK(pthread_barrier_destroy(&bar));
}

/* ---- semaphores ---- */
static sem_t ping;

static void *poster(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        OK(sem_post(&ping));
    return NULL;
}

static void test_sem(void)
{
    sem_t s;
    int v;
    OK(sem_init(&s, 0, 0));
    errno = 0;
    assert(sem_trywait(&s) == -1 && errno == EAGAIN);
    OK(sem_post(&s));
    OK(sem_post(&s));
    OK(sem_getvalue(&s, &v));
    assert(v == 2);
    OK(sem_wait(&s));
    OK(sem_trywait(&s));
    OK(sem_getvalue(&s, &v));
    assert(v == 0);
    OK(sem_destroy(&s));

    pthread_t t;
    OK(sem_init(&ping, 0, 0));
    OK(pthread_create(&t, NULL, poster, NULL));
    for (int i = 0; i < 3; i++)
        OK(sem_wait(&ping));
    OK(pthread_join(t, NULL));
    OK(sem_getvalue(&ping, &v));
    assert(v == 0);
    OK(sem_destroy(&ping));
}

/* ---- pthread_once ---- */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs;
static int once_value;

static void once_init(void)
{
    atomic_fetch_add(&once_runs, 1);
    sched_yield(); /* others must wait inside pthread_once meanwhile */
    once_value = 99;
}
static void *once_worker(void *arg)
{
    (void)arg;
    OK(pthread_once(&once, once_init));
    assert(once_value == 99);
    return NULL;
}

static void test_once(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        OK(pthread_create(&t[i], NULL, once_worker, NULL));
    for (int i = 0; i < 4; i++)
        OK(pthread_join(t[i], NULL));
    assert(atomic_load(&once_runs) == 1);
}

/* ---- thread-specific data ---- */
static pthread_key_t key;
static atomic_int dtor_calls;
static int key_vals[4];

static void key_dtor(void *v)
{
    assert(v != NULL);
    atomic_fetch_add(&dtor_calls, 1);
}
static void *key_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    assert(pthread_getspecific(key) == NULL);
    OK(pthread_setspecific(key, &key_vals[id]));
    sched_yield();
    assert(pthread_getspecific(key) == &key_vals[id]);
    if (id == 3) /* NULL value at exit: destructor must not run */
        OK(pthread_setspecific(key, NULL));
    return NULL;
}

static void test_keys(void)
{
    pthread_t t[4];
    OK(pthread_key_create(&key, key_dtor));
    for (intptr_t i = 0; i < 4; i++)
        OK(pthread_create(&t[i], NULL, key_worker, (void *)i));
    for (int i = 0; i < 4; i++)
        OK(pthread_join(t[i], NULL));
    assert(atomic_load(&dtor_calls) == 3);
    assert(pthread_getspecific(key) == NULL);
    OK(pthread_key_delete(key));
}

/* ---- cleanup handlers ---- */
static atomic_int cleanup_ran[3];

static void cleanup_h(void *arg) { atomic_fetch_add(&cleanup_ran[(intptr_t)arg], 1); }

static void *cleanup_worker(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup_h, (void *)0);
    pthread_cleanup_pop(1); /* runs handler 0 */
    pthread_cleanup_push(cleanup_h, (void *)1);
    pthread_cleanup_pop(0); /* does not run handler 1 */
    pthread_cleanup_push(cleanup_h, (void *)2);
    pthread_exit((void *)5); /* runs handler 2 */
    pthread_cleanup_pop(0);
    return NULL;
}

static void test_cleanup(void)
{
    assert(in_thread(cleanup_worker, NULL) == 5);
    assert(atomic_load(&cleanup_ran[0]) == 1);
    assert(atomic_load(&cleanup_ran[1]) == 0);
    assert(atomic_load(&cleanup_ran[2]) == 1);
}

/* ---- sleeping and yielding ---- */
static void test_sleep(void)
{
    struct timespec d = { 0, 1000000L };
    OK(usleep(1000));
    OK(nanosleep(&d, NULL));
    assert(sleep(0) == 0);
    OK(sched_yield());
}

/* ---- C11 atomics and GCC builtins ---- */
static atomic_int a_add, a_cas, token, xchg_sum;
static int gcc_add, tas_lock, under_tas;
static long sync_add, sync_cas;

static void *atomic_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < 10; i++)
        atomic_fetch_add(&a_add, 1);
    int old = atomic_load(&a_cas);
    while (!atomic_compare_exchange_strong(&a_cas, &old, old + 1)) {
    }
    atomic_fetch_add(&xchg_sum, atomic_exchange(&token, id + 1));
    __atomic_fetch_add(&gcc_add, 1, __ATOMIC_SEQ_CST);
    __sync_fetch_and_add(&sync_add, 1);
    long o;
    do
        o = __atomic_load_n(&sync_cas, __ATOMIC_RELAXED);
    while (!__sync_bool_compare_and_swap(&sync_cas, o, o + 2));
    while (__sync_lock_test_and_set(&tas_lock, 1))
        sched_yield();
    under_tas++;
    __sync_lock_release(&tas_lock);
    return NULL;
}

static void test_atomics(void)
{
    pthread_t t[4];
    atomic_store(&token, 0);
    for (intptr_t i = 0; i < 4; i++)
        OK(pthread_create(&t[i], NULL, atomic_worker, (void *)i));
    for (int i = 0; i < 4; i++)
        OK(pthread_join(t[i], NULL));
    assert(atomic_load(&a_add) == 40);
    assert(atomic_load(&a_cas) == 4);
    assert(atomic_load(&xchg_sum) + atomic_load(&token) == 1 + 2 + 3 + 4);
    assert(gcc_add == 4 && sync_add == 4 && sync_cas == 8 && under_tas == 4);
}

int main(void)
{
    test_threads();
    test_mutexes();
    test_timedlock();
    test_rwlock();
    test_spin();
    test_cond();
    test_barrier();
    test_sem();
    test_once();
    test_keys();
    test_cleanup();
    test_sleep();
    test_atomics();
    puts("api_tour ok");
    return 0;
}
