/* test_slab.c - kmem caches (sched/kmem.h), and what the heap of each
 * build lets a task do with a freed object of a SLAB_TYPESAFE_BY_RCU
 * cache.  Built in every preset; in the default build it is compiled like
 * core/ (kernel-address instrumentation), so its plain loads are checked.
 *
 * The rule under test: a freed object stays in its cache and is handed out
 * again at once; a task inside an RCU read-side section may still touch
 * it; outside one, or after the object left the cache and a grace period
 * passed (kmem_cache_shrink), touching it is a use-after-free.  ASan
 * builds check none of the freed-in-cache cases (the object is not given
 * to free() until it leaves the cache): they must stay silent there, and
 * builds have one poison state for all tasks (kmem.h): the cases that
 * must be reported end the process there, so they run in a child. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "kmem.h"
#include "sanitizer.h"
#include "sync.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct tobj {
	atomic_t count;         /* 0 once freed: a try-get on a freed one fails */
	int payload;
};

static struct mmf_kmem_cache *cache;
static struct tobj *g;
static int ctor_runs;
static volatile int sink;

static void tobj_ctor(void *p)
{
	struct tobj *o = p;
	atomic_set(&o->count, 0);
	o->payload = 0;
	ctor_runs++;
}

/* A read of the object as model code would make it: a plain load (checked
 * in the default build) and the explicit check (the plain heap's). */
static void touch(struct tobj *o)
{
	sink = o->payload;
	kmem_check(o);
}

static struct mmf_sched s;

#if !MMF_ASAN
static bool has(const char *what)
{
	if (strstr(s.report.text, what))
		return true;
	fprintf(stderr, "  report lacks '%s':\n%s\n", what, s.report.text);
	return false;
}
#endif

/* ---- one task, the default schedule --------------------------------------------- */

static int mode;
static struct tobj *first, *second, *third, *plain1, *plain2;
static size_t live_after_free, live_after_reuse, free_after_free;

static void single(void *arg)
{
	(void)arg;
	struct tobj *o = kmem_cache_alloc(cache, GFP_KERNEL);
	atomic_set(&o->count, 1);
	o->payload = 42;
	first = o;
	atomic_set(&o->count, 0);
	kmem_cache_free(cache, o);
	live_after_free = mmf_kmem_live(mmf_current_sched(), NULL, NULL);
	free_after_free = mmf_kmem_cache_nr_free(cache);
	switch (mode) {
	case 0:         /* reuse: the same slot, its bytes kept, no constructor */
		second = kmem_cache_alloc(cache, GFP_KERNEL);
		live_after_reuse = mmf_kmem_live(mmf_current_sched(), NULL, NULL);
		sink = second->payload;
		third = kmem_cache_alloc(cache, GFP_KERNEL);
		kmem_cache_free(cache, second);
		kmem_cache_free(cache, third);
		break;
	case 1:         /* outside any RCU read-side section */
		touch(o);
		break;
	case 2:         /* inside one */
		rcu_read_lock();
		touch(o);
		if (atomic_inc_not_zero(&o->count))
			abort();
		rcu_read_unlock();
		break;
	case 3:         /* the slot left the cache; a grace period passed */
		kmem_cache_shrink(cache);
		rcu_read_lock();
		touch(o);
		rcu_read_unlock();
		break;
	case 4:         /* freed twice */
		kmem_cache_free(cache, o);
		break;
	}
}

static enum mmf_run_status run_single(int m, unsigned flags)
{
	static struct mmf_input_src src;
	mode = m;
	ctor_runs = 0;
	mmf_input_src_init(&src, NULL, 0);
	mmf_sched_init(&s, NULL, &src.base);
	mmf_sched_reset(&s);
	cache = kmem_cache_create("struct tobj", sizeof(struct tobj), flags, tobj_ctor);
	mmf_spawn(&s, "single", 0, single, NULL);
	return mmf_sched_run(&s);
}

static bool test_typesafe_cache_hands_a_freed_object_out_again_at_once(void)
{
	CHECK_EQ(run_single(0, SLAB_TYPESAFE_BY_RCU), MMF_RUN_CLEAN);
	CHECK(second == first);
	CHECK_EQ(sink, 42);             /* as its last owner left it */
	CHECK_EQ(ctor_runs, 2);         /* the first slot and the third object's */
	CHECK(third != first);
	CHECK_EQ(free_after_free, 1);
	CHECK_EQ(live_after_free, 0);   /* free in the cache is not live */
	CHECK_EQ(live_after_reuse, 1);
	CHECK_EQ(mmf_kmem_live(&s, NULL, NULL), 0);
	mmf_sched_destroy(&s);
	return true;
}

static void plain_cache_task(void *arg)
{
	(void)arg;
	plain1 = kmem_cache_alloc(cache, GFP_KERNEL);
	kmem_cache_free(cache, plain1);
	plain2 = kmem_cache_alloc(cache, GFP_KERNEL);
	kmem_cache_free(cache, plain2);
}

static bool test_a_cache_without_the_flag_is_kmalloc(void)
{
	static struct mmf_input_src src;
	ctor_runs = 0;
	mmf_input_src_init(&src, NULL, 0);
	mmf_sched_init(&s, NULL, &src.base);
	mmf_sched_reset(&s);
	cache = kmem_cache_create("struct tobj", sizeof(struct tobj), 0, tobj_ctor);
	mmf_spawn(&s, "plain", 0, plain_cache_task, NULL);
	CHECK_EQ(mmf_sched_run(&s), MMF_RUN_CLEAN);
	CHECK_EQ(ctor_runs, 2);
	CHECK_EQ(mmf_kmem_cache_nr_free(cache), 0);
#if !MMF_ASAN
	CHECK(plain2 != plain1);        /* the checked and plain heaps never reuse */
#endif
	mmf_sched_destroy(&s);
	return true;
}

#if MMF_ASAN
/* ASan's report ends the process that makes it: run mode m in a child,
 * which must not come back with exit status 0. */
static bool asan_reports(int m)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* ASan's report is the expected outcome: keep it off the log. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(0);
		run_single(m, SLAB_TYPESAFE_BY_RCU);
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}
#endif

static bool test_touching_a_freed_typesafe_object_outside_rcu_is_use_after_free(void)
{
#if MMF_ASAN
	CHECK(asan_reports(1));         /* use-after-poison */
	return true;
#else
	CHECK_EQ(run_single(1, SLAB_TYPESAFE_BY_RCU), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	CHECK(has("SLAB_TYPESAFE_BY_RCU"));
	CHECK(has("outside any RCU read-side section"));
	CHECK(has("struct tobj"));
#endif
	mmf_sched_destroy(&s);
	return true;
}

static bool test_touching_a_freed_typesafe_object_inside_rcu_is_allowed(void)
{
	CHECK_EQ(run_single(2, SLAB_TYPESAFE_BY_RCU), MMF_RUN_CLEAN);
	mmf_sched_destroy(&s);
	return true;
}

static bool test_after_the_slot_leaves_the_cache_even_rcu_readers_fault(void)
{
#if MMF_ASAN
	CHECK(asan_reports(3));         /* heap-use-after-free */
	return true;
#else
	CHECK_EQ(run_single(3, SLAB_TYPESAFE_BY_RCU), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	mmf_sched_destroy(&s);
	return true;
#endif
}

static bool test_a_typesafe_object_freed_twice_is_a_double_free(void)
{
	CHECK_EQ(run_single(4, SLAB_TYPESAFE_BY_RCU), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "double-free");
	mmf_sched_destroy(&s);
	return true;
}

/* ---- a reader against a freer, every schedule ------------------------------------ *
 * The freer unpublishes the object, frees it and (shrink) waits for a grace
 * period before the slot leaves the cache.  The reader looks it up and
 * touches it twice, with a try-get between: inside rcu_read_lock() (every
 * schedule clean), or without it (a use-after-free in some schedule). */
static bool reader_rcu;
static bool freed;              /* set by the freer once kmem_cache_free returned */
static uint64_t touched_freed;  /* reader touches of a freed object, over a search */

static void freer(void *arg)
{
	(void)arg;
	struct tobj *o = g;
	rcu_assign_pointer(g, NULL);
	atomic_set(&o->count, 0);
	kmem_cache_free(cache, o);
	__atomic_store_n(&freed, true, __ATOMIC_RELAXED);   /* the test's own flag */
	kmem_cache_shrink(cache);
}

static void reader(void *arg)
{
	(void)arg;
	if (reader_rcu)
		rcu_read_lock();
	struct tobj *o = rcu_dereference(g);
	if (o) {
		touch(o);
		if (atomic_inc_not_zero(&o->count))
			atomic_dec(&o->count);
		__atomic_fetch_add(&touched_freed, __atomic_load_n(&freed, __ATOMIC_RELAXED),
				   __ATOMIC_RELAXED);
		touch(o);
	}
	if (reader_rcu)
		rcu_read_unlock();
}

struct search {
	uint64_t runs, failed;
	bool complete;
	char first[MMF_REPORT_LEN + 32];
};

static struct search explore_reader(bool rcu, int bound)
{
	static struct mmf_explore_src ex;
	struct search r = {0};
	reader_rcu = rcu;
	touched_freed = 0;
	mmf_explore_src_init(&ex, bound);
	mmf_sched_init(&s, NULL, &ex.base);
	for (;;) {
		mmf_sched_reset(&s);
		cache = kmem_cache_create("struct tobj", sizeof(struct tobj), SLAB_TYPESAFE_BY_RCU,
					  tobj_ctor);
		g = kmem_cache_alloc(cache, GFP_ATOMIC | __GFP_NOFAIL);
		atomic_set(&g->count, 1);
		freed = false;
		mmf_spawn(&s, "reader", 0, reader, NULL);
		mmf_spawn(&s, "freer", 0, freer, NULL);
		enum mmf_run_status st = mmf_sched_run(&s);
		r.runs++;
		if (st != MMF_RUN_CLEAN && !r.failed++)
			snprintf(r.first, sizeof(r.first), "[%s] %s", mmf_fail_name(s.report.cls),
				 s.report.text);
		if (!mmf_explore_next(&ex)) {
			r.complete = true;
			break;
		}
	}
	mmf_explore_src_free(&ex);
	mmf_sched_destroy(&s);
	return r;
}

static bool test_rcu_reader_against_free_and_shrink_is_clean_in_every_schedule(void)
{
	struct search r = explore_reader(true, 2);
	if (r.failed)
		fprintf(stderr, "  %" PRIu64 " of %" PRIu64 " schedules failed; first: %s\n",
			r.failed, r.runs, r.first);
	if (getenv("MMF_TEST_VERBOSE"))
		fprintf(stderr, "  %" PRIu64 " schedules, %" PRIu64 " touches of a freed object\n",
			r.runs, touched_freed);
	CHECK(r.complete);
	CHECK_EQ(r.failed, 0);
	CHECK(touched_freed > 0);       /* the reader did touch freed objects */
	return true;
}

static bool test_reader_without_rcu_against_free_is_use_after_free(void)
{
#if MMF_ASAN
	/* Its first failing schedule would end this process. */
	return true;
#else
	struct search r = explore_reader(false, 2);
	CHECK(r.complete);
	CHECK(r.failed > 0);
	CHECK(strstr(r.first, "[use-after-free]"));
	return true;
#endif
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_typesafe_cache_hands_a_freed_object_out_again_at_once),
		TEST(test_a_cache_without_the_flag_is_kmalloc),
		TEST(test_touching_a_freed_typesafe_object_outside_rcu_is_use_after_free),
		TEST(test_touching_a_freed_typesafe_object_inside_rcu_is_allowed),
		TEST(test_after_the_slot_leaves_the_cache_even_rcu_readers_fault),
		TEST(test_a_typesafe_object_freed_twice_is_a_double_free),
		TEST(test_rcu_reader_against_free_and_shrink_is_clean_in_every_schedule),
		TEST(test_reader_without_rcu_against_free_is_use_after_free),
	};
	return RUN_TESTS(tests);
}
