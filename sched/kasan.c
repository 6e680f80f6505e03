/* kasan.c - the checked heap's arena, its shadow and the access checks;
 * see kasan.h.  This file is never instrumented: it is the instrumentation's
 * runtime. */
#define _GNU_SOURCE
#include "kasan.h"
#include "access.h"
#include "kmem.h"
#include "sanitizer.h"
#include "symbolize.h"
#include "sync.h"

#if MMF_KASAN

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* 16 slices of 4 GiB, reserved (not committed) on first use; a run only
 * touches what it allocates.  One range check tells the arena from
 * everything else. */
#define SLICES 16
#define SLICE_MAX (4ull << 30)
#define SLICE_MIN (64ull << 20)
static uint64_t slice_size = SLICE_MAX;  /* smaller where address space is limited */
#define SLICE_SIZE slice_size
#define SPAN ((uint64_t)SLICES * slice_size)

/* Shadow values, one per 8-byte granule. */
enum {
	SH_NONE = 0x00,         /* no object was ever allocated here this run */
	SH_FULL = 0x08,         /* 1..7: only that many leading bytes are the object's */
	SH_HEADER = 0xfa,       /* an object's header: its left redzone */
	SH_REDZONE = 0xfc,      /* behind an object: its right redzone */
	SH_FREED = 0xfd,        /* a freed object */
	SH_TYPESAFE = 0xfb,     /* a freed object still in its SLAB_TYPESAFE_BY_RCU cache */
};

#define MAGIC_LIVE 0x6b61736e6c697665ull  /* "kasnlive" */
#define MAGIC_FREED 0x6b61736e66726565ull /* "kasnfree" */

struct khdr {
	uint64_t magic;
	size_t size, span;
	const char *type;
	const struct mmf_site *site, *free_site;
	int32_t task, free_task;
	uint64_t seq;
};
_Static_assert(sizeof(struct khdr) == 64, "the header is 8 granules");
#define HDR sizeof(struct khdr)
#define RED 16

static char *region;            /* SPAN bytes */
static uint8_t *shadow;         /* SPAN / 8 bytes */
static unsigned slices_used;    /* bitmap */

/* At a fixed address when the kernel lets us (as the fiber stacks are, see
 * fiber.c): a run's objects then have the same addresses in every process,
 * so a replay's report is byte for byte the original's. */
static void *map_at(uintptr_t want, size_t size)
{
#if defined(MAP_FIXED_NOREPLACE) && (defined(__x86_64__) || defined(__aarch64__))
	void *m = mmap((void *)want, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == (void *)want)
		return m;
	if (m != MAP_FAILED)
		munmap(m, size);
#else
	(void)want;
#endif
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
}

static void reserve(void)
{
	if (region)
		return;
	/* 72 GiB of address space, reserved but not committed; where that is
	 * refused (ulimit -v, strict overcommit) smaller slices will do: a run
	 * needs far less than SLICE_MIN. */
	void *r = MAP_FAILED, *sh = MAP_FAILED;
	for (; slice_size >= SLICE_MIN; slice_size /= 2) {
		r = map_at(0x7d0000000000ull, SPAN);
		sh = r == MAP_FAILED ? MAP_FAILED : map_at(0x7d2000000000ull, SPAN / 8);
		if (sh != MAP_FAILED)
			break;
		if (r != MAP_FAILED)
			munmap(r, SPAN);
		r = MAP_FAILED;
	}
	if (r == MAP_FAILED)
		mmf_internal("checked heap: cannot reserve %llu MiB of address space",
			     (unsigned long long)((SLICES * SLICE_MIN) >> 20));
	shadow = sh;
	region = r;
}

int mmf_kasan_slice_get(void)
{
	reserve();
	for (int i = 0; i < SLICES; i++) {
		unsigned v = __atomic_load_n(&slices_used, __ATOMIC_RELAXED);
		if (!(v & (1u << i)) &&
		    __atomic_compare_exchange_n(&slices_used, &v, v | (1u << i), false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return i;
	}
	mmf_internal("checked heap: more than %d schedulers at once", SLICES);
}

void mmf_kasan_slice_put(int slice)
{
	__atomic_fetch_and(&slices_used, ~(1u << slice), __ATOMIC_RELEASE);
}

char *mmf_kasan_slice_base(int slice) { return region + (uint64_t)slice * SLICE_SIZE; }
size_t mmf_kasan_slice_size(void) { return SLICE_SIZE; }

static inline uint8_t *sh_of(const void *p) { return shadow + (((uintptr_t)p - (uintptr_t)region) >> 3); }

bool mmf_kasan_owns(const void *p)
{
	return region && (uintptr_t)p - (uintptr_t)region < SPAN;
}

static void mark(const void *p, size_t bytes, uint8_t v)
{
	memset(sh_of(p), v, bytes >> 3);
}

/* Shadow for a live object of size n at p (8-aligned). */
static void mark_object(const char *p, size_t n)
{
	mark(p, n & ~(size_t)7, SH_FULL);
	if (n & 7)
		*sh_of(p + (n & ~(size_t)7)) = (uint8_t)(n & 7);
}

void *mmf_kasan_alloc(char *base, size_t *top, size_t size, const char *type,
		      const struct mmf_site *site, int task, uint64_t seq)
{
	size_t body = (size + 15) & ~(size_t)15;
	size_t span = HDR + body + RED;
	if (size > SLICE_SIZE || *top + span > SLICE_SIZE)
		return NULL;
	char *h = base + *top;
	char *p = h + HDR;
	*top += span;
	struct khdr *k = (struct khdr *)h;
	*k = (struct khdr){MAGIC_LIVE, size, span, type, site, NULL, task, -1, seq};
	mark(h, HDR, SH_HEADER);
	mark_object(p, size);
	/* right redzone: from the first granule past the object */
	size_t used = (size + 7) & ~(size_t)7;
	mark(p + used, span - HDR - used, SH_REDZONE);
	return p;
}

static void fill(struct mmf_kasan_obj *o, const struct khdr *k)
{
	*o = (struct mmf_kasan_obj){(const char *)k + HDR, k->size, k->type, k->site,
				    k->free_site, k->task, k->free_task, k->seq,
				    k->magic == MAGIC_FREED};
}

/* The header of the object whose start p is, or NULL. */
static struct khdr *header_at(const void *p)
{
	if (!mmf_kasan_owns(p) || ((uintptr_t)p & 15) || (uintptr_t)p - (uintptr_t)region < HDR)
		return NULL;
	const char *h = (const char *)p - HDR;
	if (*sh_of(h) != SH_HEADER || *sh_of(h + HDR - 8) != SH_HEADER)
		return NULL;
	struct khdr *k = (struct khdr *)h;
	return k->magic == MAGIC_LIVE || k->magic == MAGIC_FREED ? k : NULL;
}

int mmf_kasan_free(const void *p, const struct mmf_site *site, int task, bool typesafe,
		   struct mmf_kasan_obj *o)
{
	struct khdr *k = header_at(p);
	if (!k)
		return 2;
	if (k->magic == MAGIC_FREED) {
		fill(o, k);
		return 1;
	}
	k->magic = MAGIC_FREED;
	k->free_site = site;
	k->free_task = task;
	/* A typesafe object keeps its bytes: a reader that still holds a
	 * pointer to it may try-get its count, which must read 0, not poison. */
	mark(p, (k->size + 7) & ~(size_t)7, typesafe ? SH_TYPESAFE : SH_FREED);
	if (!typesafe)
		memset((void *)p, MMF_POISON_FREE, k->size);
	fill(o, k);
	return 0;
}

void mmf_kasan_revive(const void *p, const struct mmf_site *site, int task, uint64_t seq)
{
	struct khdr *k = header_at(p);
	if (!k || k->magic != MAGIC_FREED || *sh_of(p) != SH_TYPESAFE)
		mmf_internal("checked heap: reviving %p, which is no freed typesafe object", p);
	k->magic = MAGIC_LIVE;
	k->site = site;
	k->task = task;
	k->free_site = NULL;
	k->free_task = -1;
	k->seq = seq;
	mark_object(p, k->size);
}

void mmf_kasan_release(const void *p)
{
	struct khdr *k = header_at(p);
	if (!k || k->magic != MAGIC_FREED || *sh_of(p) != SH_TYPESAFE)
		mmf_internal("checked heap: releasing %p, which is no freed typesafe object", p);
	mark(p, (k->size + 7) & ~(size_t)7, SH_FREED);
	memset((void *)p, MMF_POISON_FREE, k->size);
}

bool mmf_kasan_next(char *base, size_t top, size_t *off, struct mmf_kasan_obj *o)
{
	if (*off >= top)
		return false;
	const struct khdr *k = (const struct khdr *)(base + *off);
	fill(o, k);
	*off += k->span;
	return true;
}

void mmf_kasan_clear(char *base, size_t hwm)
{
	mark(base, (hwm + 7) & ~(size_t)7, SH_NONE);
}

/* ---- reports -------------------------------------------------------------------- */

static const char *task_name(int id)
{
	struct mmf_sched *s = mmf_current_sched();
	if (id < 0)
		return "host";
	return s && id < s->ntasks ? s->tasks[id].name : "?";
}

/* The header of the object the granule at p belongs to (or whose redzone
 * it is), or NULL when no object lies below it in its slice. */
static const struct khdr *owner_of(const char *p)
{
	const char *lo = region + ((uintptr_t)(p - region) / SLICE_SIZE) * SLICE_SIZE;
	const char *g = (const char *)((uintptr_t)p & ~(uintptr_t)7);
	if (*sh_of(g) != SH_HEADER)
		while (g >= lo && *sh_of(g) != SH_HEADER && *sh_of(g) != SH_NONE)
			g -= 8;
	if (g < lo || *sh_of(g) != SH_HEADER)
		return NULL;
	/* headers are never adjacent: a right redzone ends every object */
	while (g - 8 >= lo && *sh_of(g - 8) == SH_HEADER)
		g -= 8;
	const struct khdr *k = (const struct khdr *)g;
	return k->magic == MAGIC_LIVE || k->magic == MAGIC_FREED ? k : NULL;
}

static void where(char *buf, size_t len, const char *what, const struct mmf_site *site, int task)
{
	if (task < 0)
		snprintf(buf, len, "\n  %s by the host context (setup or teardown) at %s:%d %s()", what,
			 site ? mmf_site_file(site) : "?", site ? site->line : 0,
			 site && site->func ? site->func : "?");
	else if (!site)
		snprintf(buf, len, "\n  %s by task %d '%s'", what, task, task_name(task));
	else
		snprintf(buf, len, "\n  %s by task %d '%s' at %s:%d %s()", what, task,
			 task_name(task), mmf_site_file(site), site->line, site->func ? site->func : "?");
}

static __attribute__((noinline)) void bad_access(const char *p, size_t n, bool write,
						  const struct mmf_site *site, const void *pc)
{
	char pcs[200] = "";
	if (pc) {
		char name[160];
		mmf_symbolize(pc, name, sizeof(name));
		snprintf(pcs, sizeof(pcs), "\n  accessed from %s", name);
	}
	if (!site) {
		const struct mmf_task *t = mmf_current();
		site = t ? t->site : NULL;
	}
	/* the first bad byte */
	const char *b = p;
	for (; b < p + n; b++) {
		uint8_t v = *sh_of(b);
		if (v != SH_FULL && !(v >= 1 && v <= 7 && ((uintptr_t)b & 7) < v))
			break;
	}
	if (b == p + n)
		b = p;
	uint8_t v = *sh_of(b);
	const struct khdr *k = v == SH_NONE ? NULL : owner_of(b);
	const char *op = write ? "write" : "read";
	if (!k) {
		mmf_fail(MMF_FAIL_OUT_OF_BOUNDS, p, site,
			 "out-of-bounds: %s of size %zu at %p, in checked-heap memory no object was "
			 "allocated in%s", op, n, (const void *)p, pcs);
		return;
	}
	const char *obj = (const char *)k + HDR;
	char al[200], fr[200] = "";
	where(al, sizeof(al), "allocated", k->site, k->task);
	if (k->magic == MAGIC_FREED)
		where(fr, sizeof(fr), "freed", k->free_site, k->free_task);
	if (v == SH_FREED || v == SH_TYPESAFE ||
	    (k->magic == MAGIC_FREED && b >= obj && b < obj + k->size)) {
		mmf_fail(MMF_FAIL_USE_AFTER_FREE, obj, site,
			 "use-after-free: %s of size %zu at %p, %zu bytes inside freed %s %p of %zu "
			 "bytes%s%s%s%s", op, n, (const void *)p, (size_t)(b - obj),
			 k->type ? k->type : "object", (const void *)obj, k->size,
			 v == SH_TYPESAFE ? " (in its SLAB_TYPESAFE_BY_RCU cache: touched outside "
					    "any RCU read-side section)" : "", al, fr, pcs);
		return;
	}
	if (b < obj)
		mmf_fail(MMF_FAIL_OUT_OF_BOUNDS, obj, site,
			 "out-of-bounds: %s of size %zu at %p, %zu bytes before %s%s %p of %zu bytes%s%s%s",
			 op, n, (const void *)p, (size_t)(obj - b), k->magic == MAGIC_FREED ? "freed " : "",
			 k->type ? k->type : "object", (const void *)obj, k->size, al, fr, pcs);
	else
		mmf_fail(MMF_FAIL_OUT_OF_BOUNDS, obj, site,
			 "out-of-bounds: %s of size %zu at %p, %zu bytes past the end of %s%s %p of %zu "
			 "bytes%s%s%s", op, n, (const void *)p, (size_t)(b - obj - k->size),
			 k->magic == MAGIC_FREED ? "freed " : "", k->type ? k->type : "object",
			 (const void *)obj, k->size, al, fr, pcs);
}

extern _Thread_local void *mmf__report_frame;

static inline __attribute__((always_inline)) void check(uintptr_t a, size_t n, bool write,
							 const struct mmf_site *site, const void *pc)
{
	uintptr_t off = a - (uintptr_t)region;
	if (__builtin_expect(off >= SPAN || !n || !region, 1))
		return;
	/* An instrumented access (pc set) to the arena: a point first, when
	 * the run asked for them (access.h), then the check, which then sees
	 * what the tasks that ran at the point did (a free, say). */
	if (pc && __builtin_expect(mmf__access_armed, 0))
		mmf__access_point((const void *)a, write, pc);
	const uint8_t *sh = shadow + (off >> 3);
	size_t last = ((off + n - 1) >> 3) - (off >> 3);
	for (size_t g = 0; g <= last; g++) {
		uint8_t v = sh[g];
		if (__builtin_expect(v == SH_FULL, 1))
			continue;
		if (g == last && v >= 1 && v <= 7 && ((off + n - 1) & 7) < v)
			continue;
		/* Type-safe memory: a reader that found the object under RCU
		 * may touch it after its free, until it leaves the cache. */
		if (v == SH_TYPESAFE && mmf_rcu_read_lock_held())
			continue;
		/* an instrumented access: the chain starts at the access */
		mmf__report_frame = pc ? __builtin_frame_address(0) : NULL;
		bad_access((const char *)a, n, write, site, pc);
		mmf__report_frame = NULL;
		return;
	}
}

void mmf_kasan_check(const void *p, size_t n, bool write, const struct mmf_site *site)
{
	check((uintptr_t)p, n, write, site, NULL);
}

/* ---- the outline callbacks of -fsanitize=kernel-address (core/ only) ---------------- */

#define PC __builtin_return_address(0)
#define CALLBACKS(n)                                                                       \
	void __asan_load##n##_noabort(unsigned long a);                                    \
	void __asan_load##n##_noabort(unsigned long a) { check(a, n, false, NULL, PC); }   \
	void __asan_store##n##_noabort(unsigned long a);                                   \
	void __asan_store##n##_noabort(unsigned long a) { check(a, n, true, NULL, PC); }
CALLBACKS(1)
CALLBACKS(2)
CALLBACKS(4)
CALLBACKS(8)
CALLBACKS(16)

void __asan_loadN_noabort(unsigned long a, size_t n);
void __asan_loadN_noabort(unsigned long a, size_t n) { check(a, n, false, NULL, PC); }
void __asan_storeN_noabort(unsigned long a, size_t n);
void __asan_storeN_noabort(unsigned long a, size_t n) { check(a, n, true, NULL, PC); }
void __asan_handle_no_return(void);
void __asan_handle_no_return(void) {}

#else
/* Builds with ASan or TSan: their runtimes check the model's accesses. */
void mmf_kasan_check(const void *p, size_t n, bool write, const struct mmf_site *site)
{
	(void)p;
	(void)n;
	(void)write;
	(void)site;
}
#endif
