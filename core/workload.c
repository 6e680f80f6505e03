/* workload.c - the generic workload and the teardown task (workload.h).
 *
 * Kernel: none (the workload, the teardown and the audit).
 */
#define _GNU_SOURCE
#include "workload.h"
#include "memory.h"
#include "shadow.h"
#include "zswap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const mm_op_names[OP_NR] = {
	[OP_READ] = "read", [OP_WRITE] = "write", [OP_FORK] = "fork",
	[OP_MUNMAP] = "munmap", [OP_EXIT] = "exit", [OP_RECLAIM] = "reclaim",
	[OP_ZSWAP_SHRINK] = "zswap-shrink", [OP_SWAPON] = "swapon",
	[OP_SWAPOFF] = "swapoff", [OP_MIGRATE] = "migrate", [OP_PIN] = "pin",
	[OP_DONTNEED] = "dontneed", [OP_EXEC] = "exec",
};

/* Draw weights: accesses and reclaim dominate, as in a real system. */
static const uint8_t op_weight[OP_NR] = {
	[OP_READ] = 6, [OP_WRITE] = 8, [OP_FORK] = 2, [OP_MUNMAP] = 1, [OP_EXIT] = 1,
	[OP_RECLAIM] = 6, [OP_ZSWAP_SHRINK] = 2, [OP_SWAPON] = 1, [OP_SWAPOFF] = 1,
	[OP_MIGRATE] = 2, [OP_PIN] = 2, [OP_DONTNEED] = 2, [OP_EXEC] = 1,
};

struct run_state {
	struct mm_model model;          /* must stay first: MM() is prog */
	struct mm_workload w;
	atomic_t workers_left;
	struct completion workers_done;
	atomic_t pins_inflight;         /* I/O pins whose completion is pending */
	wait_queue_head_t pins_wq;
	int worker_id[MM_MAX_WORKERS];
};

const struct mm_workload *mm_workload_of(struct mmf_sched *s)
{
	return &((struct run_state *)s->prog)->w;
}

static int draw(int forced, int lo, int hi, const char *what)
{
	(void)what;
	if (forced)
		return forced;
	return lo + (int)mmf_decide_value((uint64_t)(hi - lo + 1), MMF_SITE("workload size"));
}

static int live_mm(int idx)
{
	struct mm_model *M = MM();
	spin_lock(&M->mmlist_lock);
	int n = M->nr_mm;
	spin_unlock(&M->mmlist_lock);
	return idx % n;
}

/* Fault injection: the page allocator and the slab allocator (failslab)
 * draw their faults from the decision source at the workload's rate. */
static void mm_set_fail_rate(struct mm_model *M, unsigned rate)
{
	M->alloc_fail_rate = rate;
	mmf_kmem_set_fail_rate(mmf_current_sched(), rate);
}

static void unpin_irq(void *arg)
{
	struct run_state *rs = (struct run_state *)MM();
	/* An AIO completion unpins the page (unpin_user_page): possibly the
	 * last references, in interrupt context. */
	folio_put_refs(arg, GUP_PIN_COUNTING_BIAS);
	if (atomic_dec_and_test(&rs->pins_inflight))
		wake_up(&rs->pins_wq);
}

static void run_op(const struct mm_op *op)
{
	int id = live_mm(op->mm);
	switch ((enum mm_op_kind)op->kind) {
	case OP_READ:
		mm_access(id, op->v, false);
		break;
	case OP_WRITE:
		mm_access(id, op->v, true);
		break;
	case OP_FORK:
		mm_fork(id);
		break;
	case OP_MUNMAP:
		mm_munmap(id, op->v, op->n);
		break;
	case OP_DONTNEED:
		mm_madvise_dontneed(id, op->v, op->n);
		break;
	case OP_EXIT:
		mm_exit(id);
		break;
	case OP_EXEC:
		mm_exec(id);
		break;
	case OP_RECLAIM:
		mm_reclaim(op->n);
		break;
	case OP_ZSWAP_SHRINK:
		zswap_writeback_one();
		break;
	case OP_SWAPON:
		mm_swapon(MM_SWAP_SLOTS);
		break;
	case OP_SWAPOFF:
		mm_swapoff(op->v % MM_MAX_SWAPFILES);
		break;
	case OP_MIGRATE:
		/* Half the time by address, half by physical frame as
		 * compaction does (reaching unmapped swap-cache folios). */
		if (op->mm % 2)
			mm_migrate(id, op->v, op->n);
		else
			mm_migrate_pfns(op->v * MM_MAX_FRAMES / MM_VPAGES, op->n * 3);
		break;
	case OP_PIN: {
		struct folio *f = mm_pin(id, op->v);
		if (f) {
			atomic_inc(&((struct run_state *)MM())->pins_inflight);
			mmf_raise_irq("aio_complete", unpin_irq, f);
		}
		break;
	}
	case OP_NR:
		break;
	}
}

static void worker(void *arg)
{
	struct run_state *rs = (struct run_state *)MM();
	int w = *(int *)arg;
	for (int i = 0; i < rs->w.nops[w]; i++) {
		mmf_task_phase((uint32_t)i + 1);
		run_op(&rs->w.op[w][i]);
	}
	if (atomic_dec_and_test(&rs->workers_left))
		complete(&rs->workers_done);
}

/* Teardown: verify every page the shadow knows, exit every mm, swap off
 * every device, drain RCU callbacks.  Fault injection stops here. */
static void teardown(void *arg)
{
	struct run_state *rs = arg;
	struct mm_model *M = &rs->model;

	wait_for_completion(&rs->workers_done);
	M->in_teardown = true;
	/* As exit_aio does: outstanding I/O completes before teardown. */
	wait_event(&rs->pins_wq, atomic_read(&rs->pins_inflight) == 0);
	mm_set_fail_rate(M, 0);
	spin_lock(&M->mmlist_lock);
	int nr_mm = M->nr_mm;
	spin_unlock(&M->mmlist_lock);
	for (int id = 0; id < nr_mm; id++) {
		for (int v = 0; v < MM_VPAGES && mm_is_live(id); v++) {
			spin_lock(&M->mm[id].ptl);
			bool has = shadow_has_data(M->shadow, id, v);
			spin_unlock(&M->mm[id].ptl);
			/* A read faults the page back and checks it; if memory
			 * is short, reclaim some and try again. */
			for (int tries = 0; has && tries < 4; tries++) {
				if (mm_access(id, v, false) != -ENOMEM)
					break;
				mm_reclaim(8);
			}
		}
		mm_exit(id);
	}
	/* The teardown's swapoff returns when the device is empty, or is
	 * interrupted once it stops making progress (swapoff.c). */
	for (int type = 0; type < MM_MAX_SWAPFILES; type++)
		mm_swapoff(type);
	/* Drain I/O: every completion has run.  Then drain the LRU as a
	 * final reclaim would: whatever is left there is freeable now or
	 * leaked. */
	mmf_wait_irqs_idle(MMF_SITE("teardown: drain I/O"));
	lru_add_drain_all();
	for (int before = -1; M->nr_lru && M->nr_lru != before;) {
		before = M->nr_lru;
		mm_reclaim(8);
	}
	rcu_barrier();
}

/* Host context: the model with its address spaces and swap devices. */
static int mm_model_build(struct mm_model *M, const struct mm_workload *w, char *err,
			  size_t errlen)
{
	M->variants = w->variants;
	mm_set_fail_rate(M, 0);
	mm_page_alloc_init(M, w->frames);
	mm_lru_init(M);
	mm_split_queue_init(M);
	mutex_init(&M->swapon_mutex);
	spin_lock_init(&M->swap_lock);
	spin_lock_init(&M->mmlist_lock);
	anon_vma_init(M);
	M->zswap_enabled = w->zswap;
	M->swap_sync_mask = w->sync_mask;
	/* The mTHP sizes drawn (mm_model_setup's scenarios: order 1 only). */
	M->thp_orders = (w->thp_mask & 1 ? 2u : 0u) | (w->thp_mask & 2 ? 4u : 0u);
	zswap_setup(M);
	M->shadow = shadow_new();
	for (int i = 0; i < w->mms; i++) {
		if (mm_create() < 0) {
			snprintf(err, errlen, "cannot create the address spaces");
			return -1;
		}
	}
	for (int i = 0; i < w->swapdevs; i++)
		mm_swapon(MM_SWAP_SLOTS);
	mm_set_fail_rate(M, w->fail_rate);
	return 0;
}

struct mm_model *mm_model_setup(struct mmf_sched *s, int frames, int mms, int swapdevs,
				bool zswap, unsigned long variants)
{
	struct run_state *rs = kzalloc(sizeof(*rs), GFP_ATOMIC | __GFP_NOFAIL, "workload state");
	struct mm_workload *w = &rs->w;
	char err[128];
	s->prog = rs;
	mmf_sched_set_cpus(s, MMF_NR_CPUS);
	w->frames = frames;
	w->mms = mms;
	w->swapdevs = swapdevs;
	w->zswap = zswap;
	w->variants = variants;
	atomic_set(&rs->pins_inflight, 0);
	init_waitqueue_head(&rs->pins_wq);
	if (mm_model_build(&rs->model, w, err, sizeof(err)))
		return NULL;
	rs->model.thp_orders = 2;
	return &rs->model;
}

void mm_teardown(void)
{
	struct run_state *rs = (struct run_state *)MM();
	rs->w.tasks = 0;
	init_completion(&rs->workers_done);
	complete_all(&rs->workers_done);
	teardown(rs);
}

int mm_workload_setup(struct mmf_sched *s, const struct mm_workload_params *p,
		      char *err, size_t errlen)
{
	struct run_state *rs = kzalloc(sizeof(*rs), GFP_ATOMIC | __GFP_NOFAIL, "workload state");
	struct mm_model *M = &rs->model;
	struct mm_workload *w = &rs->w;

	s->prog = rs;
	mmf_sched_set_cpus(s, MMF_NR_CPUS);
	w->variants = p->variants;
	w->tasks = p->plan_tasks ? p->plan_tasks : draw(p->tasks, 2, MM_MAX_WORKERS, "tasks");
	w->mms = draw(p->mms, 1, 3, "mms");
	w->frames = draw(p->frames, 12, 40, "frames");
	w->swapdevs = draw(p->swapdevs, 1, 2, "swap devices");
	w->zswap = p->zswap ? p->zswap > 0 : draw(0, 0, 1, "zswap");
	/* Devices of both kinds: block devices that complete I/O in interrupt
	 * context, and zram-like SWP_SYNCHRONOUS_IO ones. */
	w->sync_mask = p->syncio < 0 ? 0 : p->syncio ? (unsigned)p->syncio
						      : (unsigned)draw(0, 0, 3, "syncio");
	/* mTHP: which large folio sizes faults and swap-ins may use. */
	w->thp_mask = p->thp < 0 ? 0 : p->thp ? (unsigned)p->thp : (unsigned)draw(0, 0, 3, "thp");
	w->ops = p->plan_tasks ? 0 : draw(p->ops, 2, 8, "ops");
	w->fail_rate = p->fail_rate < 0 ? 0 : p->fail_rate ? (unsigned)p->fail_rate : 64;
	if (w->tasks > MM_MAX_WORKERS || w->mms > MM_MAX_MMS || w->frames > MM_MAX_FRAMES ||
	    w->swapdevs > MM_MAX_SWAPFILES || w->ops > MM_MAX_OPS) {
		snprintf(err, errlen, "workload size out of range");
		return -1;
	}
	unsigned total = 0;
	for (int k = 0; k < OP_NR; k++)
		if (!p->op_mask || (p->op_mask >> k & 1))
			total += op_weight[k];
	if (!total) {
		snprintf(err, errlen, "no operation kinds enabled");
		return -1;
	}
	for (int t = 0; t < p->plan_tasks; t++) {
		w->nops[t] = p->plan_n[t];
		memcpy(w->op[t], p->plan[t], sizeof(p->plan[t]));
	}
	for (int t = 0; t < w->tasks && !p->plan_tasks; t++) {
		w->nops[t] = w->ops;
		for (int i = 0; i < w->ops; i++) {
			unsigned x = (unsigned)mmf_decide_value(total, MMF_SITE("workload op"));
			int k = 0;
			for (;; k++) {
				if (p->op_mask && !(p->op_mask >> k & 1))
					continue;
				if (x < op_weight[k])
					break;
				x -= op_weight[k];
			}
			struct mm_op *op = &w->op[t][i];
			op->kind = (uint8_t)k;
			op->mm = (uint8_t)mmf_decide_value(MM_MAX_MMS, MMF_SITE("workload mm"));
			op->v = (uint8_t)mmf_decide_value(MM_VPAGES, MMF_SITE("workload page"));
			op->n = (uint8_t)(1 + mmf_decide_value(k == OP_RECLAIM ? 8 : 2,
							      MMF_SITE("workload count")));
		}
	}

	if (mm_model_build(M, w, err, errlen))
		return -1;

	M->swapoff_signals = true;
	M->swap_readahead = true;
	atomic_set(&rs->workers_left, w->tasks);
	atomic_set(&rs->pins_inflight, 0);
	init_waitqueue_head(&rs->pins_wq);
	init_completion(&rs->workers_done);
	for (int t = 0; t < w->tasks; t++) {
		rs->worker_id[t] = t;
		mmf_spawn(s, "worker", 0, worker, &rs->worker_id[t]);
	}
	mmf_spawn(s, "teardown", 0, teardown, rs);
	return 0;
}

/* ---- the teardown audit ------------------------------------------------------- */

struct leaks {
	char buf[MMF_REPORT_LEN];
	size_t off;
	int n;
};

static void note_object(const struct mmf_kmem_obj *o, void *arg)
{
	struct leaks *l = arg;
	/* The run's own bookkeeping is not the model's memory. */
	if (!strcmp(o->type, "workload state") || !strcmp(o->type, "mm_shadow") ||
	    !strcmp(o->type, "zero page"))
		return;
	if (l->n++ < 6 && l->off < sizeof(l->buf)) {
		l->off += (size_t)snprintf(l->buf + l->off, sizeof(l->buf) - l->off,
					   "\n  %s (%zu bytes) allocated at %s:%d %s()", o->type,
					   o->size, mmf_site_file(o->site), o->site->line,
					   o->site->func);
		/* A reference-counted object: who holds it, or how its
		 * references went if none is left. */
		l->off = mmf_ref_describe(mmf_current_sched(), o->ptr, false, "    ", l->buf,
					  sizeof(l->buf), l->off);
	}
}

void mm_audit(struct mmf_sched *s)
{
	struct run_state *rs = s->prog;
	struct mm_model *M = &rs->model;
	char buf[MMF_REPORT_LEN];
	size_t off = 0;
	int leaked = 0;

	for (int i = 0; i < M->nr_frames; i++) {
		struct folio *f = &M->frames[i];
		if (f->state != FRAME_ALLOCATED)
			continue;
		if (leaked++ < 6 && off < sizeof(buf))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
				"\n  folio pfn %d: count %d mapcount %d flags %#lx%s%s, allocated at %s:%d",
				f->pfn, f->_refcount.counter, f->_mapcount.counter, f->flags,
				test_bit(PG_locked, &f->flags) ? " LOCKED" : "",
				test_bit(PG_swapcache, &f->flags) ? " swapcache" : "",
				mmf_site_file(f->alloc_site), f->alloc_site ? f->alloc_site->line : 0);
		/* The allocator's line says little: name who took each
		 * reference still held. */
		if (leaked <= 6)
			off = mmf_ref_describe(s, f, false, "    ", buf, sizeof(buf), off);
	}
	if (leaked) {
		mmf_fail(MMF_FAIL_LEAK, NULL, MMF_SITE("mm_audit"),
			 "leak audit: %d page frame%s still allocated after teardown%s", leaked,
			 leaked == 1 ? "" : "s", buf);
		return;
	}
	for (int t = 0; t < MM_MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = M->swap_info[t];
		if (!si)
			continue;
		off = 0;
		int used = 0;
		for (unsigned o = 1; o < si->max; o++)
			if (si->swap_map[o] && used++ < 8 && off < sizeof(buf))
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, " [%u]=%#x", o,
							si->swap_map[o]);
		if (!used)
			off = (size_t)snprintf(buf, sizeof(buf), " none");
		/* Users still inside get_swap_device() keep swapoff out. */
		if (mmf_ref_held(&si->users) > 1 && off < sizeof(buf)) {
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "; device users:");
			off = mmf_ref_describe(s, &si->users, false, "    ", buf, sizeof(buf), off);
		}
		mmf_fail(MMF_FAIL_LEAK, si, MMF_SITE("mm_audit"),
			 "leak audit: swap device %d still in service after swapoff, %u slots in "
			 "use:%s", t, si->inuse_pages, buf);
		return;
	}
	int stored = M->zswap_stored_pages.counter;
	long bytes = M->zswap_pool_bytes.counter;
	struct leaks l = {.off = 0};
	mmf_kmem_live(s, note_object, &l);
	if (stored || bytes || l.n)
		mmf_fail(MMF_FAIL_LEAK, NULL, MMF_SITE("mm_audit"),
			 "leak audit: %d zswap pages (%ld bytes) stored and %d objects live after "
			 "teardown%s", stored, bytes, l.n, l.buf);
	if (s->failed)
		return;
	/* The page lists walked link by link (list.h checked each operation;
	 * this catches a stray write between them) and counted. */
	long nfree = mmf_list_check(&M->free_list, "free_list", MMF_SITE("mm_audit"));
	long nlru = nfree < 0 ? 0 : mmf_list_check(&M->lru_list, "lru_list", MMF_SITE("mm_audit"));
	long nsplit = nlru < 0 ? 0 : mmf_list_check(&M->split_queue, "split_queue",
						    MMF_SITE("mm_audit"));
	if (nfree >= 0 && nlru >= 0 && nsplit >= 0 &&
	    (nfree != M->nr_free || nlru != M->nr_lru || nsplit || M->split_queue_len)) {
		mmf_fail(MMF_FAIL_INVARIANT, NULL, MMF_SITE("mm_audit"), "list audit: free_list has "
			 "%ld entries (nr_free %d), lru_list %ld (nr_lru %d), split_queue %ld "
			 "(split_queue_len %d)", nfree, M->nr_free, nlru, M->nr_lru, nsplit,
			 M->split_queue_len);
	}
}
