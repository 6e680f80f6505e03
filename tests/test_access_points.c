/* test_access_points.c - plain loads and stores as scheduling points
 * (sched/access.h): with the mode on, an unlocked read-modify-write of a
 * checked-heap object loses an update in some schedule; with it off no
 * schedule can, since nothing switches between the load and the store;
 * under a spinlock none does, mode on or off.
 *
 * This file is compiled like core/, with the instrumentation whose
 * callbacks are the hook (the kernel-address callbacks of sched/kasan.c;
 * in ASan builds configured with -DMMF_ACCESS_SANCOV=ON the
 * sanitizer-coverage ones of sched/access.c), so its plain `obj->counter++`
 * is the model's kind of access.  Builds without a hook (TSan, ASan
 * without that option, MMF_KASAN=OFF) have no such points: there the test
 * says so and exits 77, which ctest shows as skipped. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "kmem.h"
#include "sanitizer.h"
#include "sync.h"

#include <stdlib.h>

/* Whether this file's instrumentation calls back for the store of
 * counter++ as well as for its load (tests/CMakeLists.txt: clang's, yes;
 * gcc's kernel-address instrumentation, no). */
#ifndef MMF_CHECKS_RMW_STORE
#define MMF_CHECKS_RMW_STORE 0
#endif

struct counted {
	spinlock_t lock;
	int counter;
	int last;               /* who incremented last */
};

static struct counted *obj;     /* in the checked heap: shared state */
static int global_counter;      /* outside it: never a point */
static bool access_points, locked, on_global, one_statement;

static void incr(void *arg)
{
	int id = (int)(intptr_t)arg;
	if (on_global) {
		global_counter++;
		return;
	}
	if (locked)
		spin_lock(&obj->lock);
	if (one_statement) {
		obj->counter++;
	} else {
		/* The read-modify-write with another access between its load
		 * and its store (gcc checks a location once per basic block:
		 * docs/scheduler.md, "Plain loads and stores as points"). */
		int v = obj->counter;
		obj->last = id;
		obj->counter = v + 1;
	}
	if (locked)
		spin_unlock(&obj->lock);
}

static void setup(struct mmf_sched *s)
{
	if (!mmf_sched_set_access_points(s, access_points))
		mmf_internal("this build has no plain-access points");
	obj = kzalloc(sizeof(*obj), GFP_KERNEL, "struct counted");
	spin_lock_init(&obj->lock);
	global_counter = 0;
	mmf_spawn(s, "incr", 0, incr, (void *)(intptr_t)1);
	mmf_spawn(s, "incr", 0, incr, (void *)(intptr_t)2);
}

static void finish(struct mmf_sched *s)
{
	(void)s;
	int v = on_global ? global_counter : obj->counter;
	if (v != 2)
		MMF_FAIL(MMF_FAIL_INVARIANT, obj, "lost update: counter=%d after two increments", v);
}

struct outcome {
	uint64_t schedules, lost, other;
	bool complete;
	uint64_t plain_points;          /* decisions taken at plain-access points */
};

/* Every schedule (no preemption bound), exhaustively. */
static struct outcome explore(void)
{
	struct outcome o = {0};
	struct mmf_explore_src ex;
	struct mmf_sched s;
	struct mmf_sched_opts so = {.mode = MMF_MODE_FIBERS, .record = true};
	mmf_explore_src_init(&ex, -1);
	mmf_sched_init(&s, &so, &ex.base);
	for (;;) {
		mmf_sched_reset(&s);
		setup(&s);
		enum mmf_run_status st = mmf_sched_run(&s);
		if (st == MMF_RUN_CLEAN)
			finish(&s);
		if (s.failed && s.report.cls == MMF_FAIL_INVARIANT)
			o.lost++;
		else if (s.failed || st != MMF_RUN_CLEAN)
			o.other++;
		for (size_t i = 0; i < s.trace.n; i++)
			o.plain_points += s.trace.d[i].site && s.trace.d[i].site->what &&
					  (!strcmp(s.trace.d[i].site->what, "load") ||
					   !strcmp(s.trace.d[i].site->what, "store"));
		o.schedules++;
		if (!mmf_explore_next(&ex)) {
			o.complete = true;
			break;
		}
		if (o.schedules > 100000)
			break;
	}
	mmf_explore_src_free(&ex);
	mmf_sched_destroy(&s);
	return o;
}

static struct outcome explore_with(bool points, bool lock, bool global, bool one)
{
	access_points = points;
	locked = lock;
	on_global = global;
	one_statement = one;
	return explore();
}

static bool test_unlocked_read_modify_write_loses_an_update_with_access_points(void)
{
	struct outcome o = explore_with(true, false, false, false);
	CHECK(o.complete);
	CHECK_EQ(o.other, 0);
	CHECK(o.plain_points > 0);
	/* t1 loads the counter, is preempted at a point after the load and
	 * before the store, t2 increments, t1 stores its stale value + 1. */
	CHECK(o.lost > 0);
	CHECK(o.lost < o.schedules);
	return true;
}

/* counter++ in one statement: a build whose instrumentation calls back for
 * both its load and its store (clang: -asan-opt-same-temp=0, or the
 * sanitizer-coverage callbacks) has a point between them.  gcc checks it
 * once, before the load (main() skips it). */
#if MMF_CHECKS_RMW_STORE
static bool test_unlocked_increment_in_one_statement_loses_an_update_with_access_points(void)
{
	struct outcome o = explore_with(true, false, false, true);
	CHECK(o.complete);
	CHECK_EQ(o.other, 0);
	CHECK(o.plain_points > 0);
	CHECK(o.lost > 0);
	return true;
}
#endif

static bool test_unlocked_increments_never_lose_an_update_without_access_points(void)
{
	for (int one = 0; one < 2; one++) {
		struct outcome o = explore_with(false, false, false, one);
		CHECK(o.complete);
		CHECK_EQ(o.other, 0);
		CHECK_EQ(o.plain_points, 0);
		/* No point inside a task: only which one runs first. */
		CHECK_EQ(o.schedules, 2);
		CHECK_EQ(o.lost, 0);
	}
	return true;
}

static bool test_locked_increment_never_loses_an_update_with_access_points(void)
{
	struct outcome off = explore_with(false, true, false, false);
	CHECK(off.complete);
	CHECK_EQ(off.lost + off.other, 0);
	struct outcome on = explore_with(true, true, false, false);
	CHECK(on.complete);
	CHECK_EQ(on.other, 0);
	CHECK_EQ(on.lost, 0);
	/* The accesses inside the critical section were points (the other
	 * task could run up to the lock), so more schedules were explored,
	 * and none lost an update. */
	CHECK(on.plain_points > 0);
	CHECK(on.schedules > off.schedules);
	return true;
}

static bool test_a_global_counter_is_never_a_point(void)
{
	/* A global is not the model's shared state in this mode's sense:
	 * only checked-heap objects are (access.h). */
	struct outcome o = explore_with(true, false, true, false);
	CHECK(o.complete);
	CHECK_EQ(o.plain_points, 0);
	CHECK_EQ(o.schedules, 2);
	CHECK_EQ(o.lost, 0);
	return true;
}

/* The mode is per run: a reset turns it off. */
static bool test_a_reset_turns_access_points_off(void)
{
	struct mmf_input_src in;
	struct mmf_sched s;
	mmf_input_src_init(&in, NULL, 0);
	mmf_sched_init(&s, NULL, &in.base);
	CHECK(mmf_sched_set_access_points(&s, true));
	CHECK(s.access_points);
	mmf_sched_reset(&s);
	CHECK(!s.access_points);
	mmf_sched_destroy(&s);
	return true;
}

int main(int argc, char **argv)
{
	if (!mmf_access_points_built()) {
		printf("skipped: this build has no plain-access points (builds with the checked heap "
		       "have them, ASan builds with -DMMF_ACCESS_SANCOV=ON; TSan does not)\n");
		return 77;
	}
	if (argc > 1 && strstr("test_unlocked_increment_in_one_statement", argv[1]) &&
	    !MMF_CHECKS_RMW_STORE) {
		printf("skipped: gcc's kernel-address instrumentation checks counter++ once, before "
		       "its load, so no point falls between its load and its store (clang builds "
		       "check both; docs/scheduler.md)\n");
		return 77;
	}
	static const struct test_case tests[] = {
		TEST(test_unlocked_read_modify_write_loses_an_update_with_access_points),
#if MMF_CHECKS_RMW_STORE
		TEST(test_unlocked_increment_in_one_statement_loses_an_update_with_access_points),
#endif
		TEST(test_unlocked_increments_never_lose_an_update_without_access_points),
		TEST(test_locked_increment_never_loses_an_update_with_access_points),
		TEST(test_a_global_counter_is_never_a_point),
		TEST(test_a_reset_turns_access_points_off),
	};
	return RUN_TESTS(tests);
}
