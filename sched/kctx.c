/* kctx.c - the kernel face's execution contexts on top of the scheduler
 * core: interrupts raised onto the running CPU (with completions coalesced
 * when the task table is full) and the wait for them to drain, and kernel
 * threads (kthread_should_stop, idle waits).  The core runs tasks and asks
 * the decision source; it has no notion of which face spawned them.  The
 * pthread face (exec/) uses none of this.  See kctx.h. */
#include "kctx.h"
#include "sanitizer.h"

bool mmf_in_irq(void) { return mmf_current() && (mmf_current()->flags & MMF_TASK_IRQ); }

/* Set by the real-thread watchdog while the thread runs. */
bool kthread_should_stop(void)
{
	return mmf_current() && __atomic_load_n(&mmf_current()->should_stop, __ATOMIC_RELAXED);
}

void mmf_kthread_idle_wait(const void *obj, const char *desc, const struct mmf_site *site)
{
	struct mmf_task *t = mmf_current();
	if (!t || !(t->flags & MMF_TASK_DAEMON))
		mmf_internal("mmf_kthread_idle_wait outside a kernel thread");
	t->kthread_idle = true;
	mmf_obj_wait(obj, MMF_WAIT_SLEEP, desc, NULL, site);
	t->kthread_idle = false;
}

/* No slot for a new interrupt: a pending one (not exited; queued first
 * among those not started) also runs this completion after its own, as
 * hardware and block layers coalesce completions.  Fibers mode only. */
static struct mmf_task *coalesce_irq(struct mmf_sched *s, void (*fn)(void *), void *arg)
{
	if (s->opts.mode != MMF_MODE_FIBERS)
		return NULL;
	int live = 0;
	for (int i = 0; i < s->ntasks; i++) {
		if (!(s->tasks[i].flags & MMF_TASK_IRQ))
			continue;
		if (s->tasks[i].state == MMF_T_EXITED && &s->tasks[i] != mmf_current())
			return NULL;    /* a slot to reuse */
		live += s->tasks[i].state != MMF_T_EXITED;
	}
	/* Interrupts may fill the table only up to MMF_MAX_IRQS, leaving room
	 * for the tasks and kernel threads a program spawns. */
	if (live < MMF_MAX_IRQS && s->ntasks < MMF_MAX_TASKS)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < s->ntasks; i++) {
			struct mmf_task *t = &s->tasks[i];
			if (!(t->flags & MMF_TASK_IRQ) || t->state == MMF_T_EXITED || t == mmf_current() ||
			    t->started != (pass == 1) || t->irq_nmore == MMF_IRQ_COALESCE)
				continue;
			t->irq_more[t->irq_nmore].fn = fn;
			t->irq_more[t->irq_nmore].arg = arg;
			t->irq_nmore++;
			mmf_tsan_release(&t->irq_more);
			return t;
		}
	}
	return NULL;
}

struct mmf_task *mmf_raise_irq(const char *name, void (*fn)(void *), void *arg)
{
	struct mmf_sched *s = mmf_current_sched();
	if (!s)
		mmf_internal("mmf_raise_irq outside any run");
	MMF_SCHED_ENTER();
	struct mmf_task *t = coalesce_irq(s, fn, arg);
	MMF_SCHED_LEAVE();
	return t ? t : mmf_spawn(s, name, MMF_TASK_IRQ, fn, arg);
}

static bool irqs_busy(struct mmf_sched *s)
{
	for (int i = 0; i < s->ntasks; i++)
		if ((s->tasks[i].flags & MMF_TASK_IRQ) &&
		    __atomic_load_n(&s->tasks[i].state, __ATOMIC_ACQUIRE) != MMF_T_EXITED)
			return true;
	return false;
}

void mmf_wait_irqs_idle(const struct mmf_site *site)
{
	struct mmf_sched *s = mmf_current_sched();
	mmf_might_sleep(site);
	mmf_point(MMF_PT_IO, &s->irq_idle_obj, site);
	mmf_obj_lock(&s->irq_idle_obj);
	while (irqs_busy(s))
		mmf_obj_wait(&s->irq_idle_obj, MMF_WAIT_SLEEP, "pending interrupts", NULL, site);
	mmf_obj_unlock(&s->irq_idle_obj);
	mmf_tsan_acquire(&s->tsan_join);
}
