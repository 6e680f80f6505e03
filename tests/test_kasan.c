/* test_kasan.c - the checked heap (sched/kasan.h) of builds without a
 * sanitizer.  This file is compiled like core/, with the kernel-address
 * instrumentation, so its plain loads and stores are checked as the
 * model's are.  Each test builds the case that needs the check; the
 * correct-use tests show the checks stay silent. */
#define _GNU_SOURCE
#include "check.h"
#include "decide.h"
#include "kasan.h"
#include "kmem.h"
#include "sync.h"

#include <stdlib.h>

struct obj {
	atomic_t users;
	refcount_t ref;
	spinlock_t lock;
	bool dirty, busy;       /* read as true from 0x6b poison */
	int payload[5];
};

static struct obj *g;
static int mode;
static volatile int sink;

static void freer(void *arg)
{
	(void)arg;
	g = kzalloc(sizeof(*g), GFP_KERNEL, "struct obj");
	atomic_set(&g->users, 1);
	refcount_set(&g->ref, 1);
	spin_lock_init(&g->lock);
	if (mode == 6) {
		/* a correct life: every byte used, then freed */
		g->dirty = true;
		for (int i = 0; i < 5; i++)
			g->payload[i] = i;
		spin_lock(&g->lock);
		atomic_add_unless(&g->users, 1, 0);
		spin_unlock(&g->lock);
		sink = g->payload[4];
	}
	kfree(g);
}

/* Runs after freer (the default schedule runs tasks in spawn order). */
static void user(void *arg)
{
	(void)arg;
	char *c;
	switch (mode) {
	case 0:         /* a try-get on a freed object: the count reads 0x6b6b6b6b */
		if (atomic_add_unless(&g->users, 1, 0))
			sink = 1;
		break;
	case 1:         /* plain reads of a freed object's flags */
		if (g->dirty && !g->busy)
			sink = 2;
		break;
	case 2:         /* one byte past a 12-byte object */
		c = kmalloc(12, GFP_KERNEL, "buf12");
		c[12] = 1;
		break;
	case 3:         /* the byte before an object (its header) */
		c = kmalloc(12, GFP_KERNEL, "buf12");
		sink = c[-1];
		break;
	case 4:         /* a lock taken in a freed object */
		spin_lock(&g->lock);
		break;
	case 5: {       /* nothing is reused within a run */
		struct obj *again = kzalloc(sizeof(*again), GFP_KERNEL, "struct obj");
		if (again == g)
			abort();
		sink = g->payload[0];
		break;
	}
	case 7:         /* kfree of a pointer into an object */
		c = kmalloc(32, GFP_KERNEL, "buf32");
		kfree(c + 8);
		break;
	}
}

static struct mmf_sched s;
static struct mmf_input_src src;

static enum mmf_run_status run_mode(int m)
{
	mode = m;
	mmf_input_src_init(&src, NULL, 0);
	mmf_sched_init(&s, NULL, &src.base);
	mmf_sched_reset(&s);
	mmf_spawn(&s, "freer", 0, freer, NULL);
	mmf_spawn(&s, "user", 0, user, NULL);
	return mmf_sched_run(&s);
}

static bool has(const char *what)
{
	if (strstr(s.report.text, what))
		return true;
	fprintf(stderr, "  report lacks '%s':\n%s\n", what, s.report.text);
	return false;
}

static bool test_try_get_on_a_freed_object_is_use_after_free(void)
{
	CHECK_EQ(run_mode(0), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	CHECK(has("inside freed struct obj"));
	CHECK(has("allocated by task 0 'freer' at test_kasan.c"));
	CHECK(has("freed by task 0 'freer' at test_kasan.c"));
	CHECK(has("in task 1 'user'"));
	CHECK(has("user()"));
	mmf_sched_destroy(&s);
	return true;
}

static bool test_plain_reads_of_a_freed_object_are_use_after_free(void)
{
	CHECK_EQ(run_mode(1), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	CHECK(has("read of size 1"));
	CHECK(has("freed by task 0 'freer'"));
	mmf_sched_destroy(&s);
	return true;
}

static bool test_accesses_outside_an_object_are_out_of_bounds(void)
{
	CHECK_EQ(run_mode(2), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "out-of-bounds");
	CHECK(has("write of size 1"));
	CHECK(has("0 bytes past the end of buf12"));
	CHECK(has("allocated by task 1 'user'"));
	mmf_sched_destroy(&s);
	CHECK_EQ(run_mode(3), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "out-of-bounds");
	CHECK(has("1 bytes before buf12"));
	mmf_sched_destroy(&s);
	return true;
}

static bool test_a_lock_in_a_freed_object_is_use_after_free(void)
{
	CHECK_EQ(run_mode(4), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	CHECK(has("write of size"));
	CHECK(has("inside freed struct obj"));
	mmf_sched_destroy(&s);
	return true;
}

static bool test_freed_memory_is_never_handed_out_again_in_a_run(void)
{
	CHECK_EQ(run_mode(5), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "use-after-free");
	mmf_sched_destroy(&s);
	return true;
}

static bool test_kfree_of_an_interior_pointer_is_reported(void)
{
	CHECK_EQ(run_mode(7), MMF_RUN_FAILED);
	CHECK_STR(mmf_fail_name(s.report.cls), "double-free");
	CHECK(has("not at an object's start"));
	mmf_sched_destroy(&s);
	return true;
}

static bool test_correct_use_is_silent_and_the_heap_resets(void)
{
	CHECK_EQ(run_mode(6), MMF_RUN_CLEAN);
	CHECK_EQ(mmf_kmem_live(&s, NULL, NULL), 0);
	/* the same schedule again on the reset heap */
	mmf_sched_reset(&s);
	mmf_spawn(&s, "freer", 0, freer, NULL);
	CHECK_EQ(mmf_sched_run(&s), MMF_RUN_CLEAN);
	mmf_sched_destroy(&s);
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_try_get_on_a_freed_object_is_use_after_free),
		TEST(test_plain_reads_of_a_freed_object_are_use_after_free),
		TEST(test_accesses_outside_an_object_are_out_of_bounds),
		TEST(test_a_lock_in_a_freed_object_is_use_after_free),
		TEST(test_freed_memory_is_never_handed_out_again_in_a_run),
		TEST(test_kfree_of_an_interior_pointer_is_reported),
		TEST(test_correct_use_is_silent_and_the_heap_resets),
	};
	return RUN_TESTS(tests);
}
