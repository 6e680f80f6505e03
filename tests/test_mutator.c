/* test_mutator.c - the decision-space mutator (fuzz/mutator.h) and the
 * object feedback (sched/feedback.h): outputs are valid inputs, the same
 * seed gives the same output, each operation does what it says in decision
 * terms, and the feedback kinds are deterministic and reported once per
 * run. */
#include "check.h"
#include "harness.h"
#include "mutator.h"

#include <stdlib.h>
#include <unistd.h>

/* Deviations of an input's first nrec records, as absolute decision numbers. */
static size_t positions(const uint8_t *d, size_t nrec, uint32_t *at, uint8_t *who)
{
	uint32_t pos = 0;
	for (size_t j = 0; j < nrec; j++) {
		at[j] = pos + d[2 * j];
		who[j] = d[2 * j + 1];
		pos = at[j] + 1;
	}
	return nrec;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* A random input and a plausible shape for it. */
static size_t random_input(uint64_t *s, uint8_t *buf, size_t cap, struct mmf_shape *sh)
{
	size_t n = 1 + lcg(s) % (cap < 300 ? cap : 300);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)lcg(s);
	sh->front = (uint32_t)(2 * (lcg(s) % (n / 2 + 1)));
	sh->back = (uint32_t)(lcg(s) % (n - sh->front + 1));
	sh->picks = (uint32_t)(lcg(s) % 600);
	return n;
}

static bool test_outputs_fit_and_repeat_for_a_seed(void)
{
	uint64_t s = 1;
	static uint8_t a[4096], b[4096], in[4096];
	for (int i = 0; i < 20000; i++) {
		struct mmf_shape sh;
		size_t n = random_input(&s, in, sizeof(in), &sh);
		size_t max = 1 + lcg(&s) % 600;
		if (n > max)
			n = max;
		memcpy(a, in, n);
		memcpy(b, in, n);
		uint64_t seed = lcg(&s);
		bool shaped = i % 3 != 0;
		size_t na = mmf_mutate(a, n, max, seed, shaped ? &sh : NULL, -1);
		size_t nb = mmf_mutate(b, n, max, seed, shaped ? &sh : NULL, -1);
		CHECK(na >= 1 && na <= max);
		CHECK_EQ(na, nb);
		CHECK(!memcmp(a, b, na));
		size_t nc = mmf_crossover(in, n, &sh, a, na, NULL, b, max, seed);
		size_t nd = mmf_crossover(in, n, &sh, a, na, NULL, a + 2048, max, seed);
		CHECK(nc >= 1 && nc <= max);
		CHECK_EQ(nc, nd);
		CHECK(!memcmp(b, a + 2048, nc));
	}
	return true;
}

/* insert adds one deviation and keeps the others at their decisions;
 * delete removes one and keeps the rest; pick keeps every decision; value
 * keeps the schedule bytes. */
static bool test_each_operation_edits_the_schedule_in_decision_terms(void)
{
	uint64_t s = 7;
	static uint8_t in[4096], out[4096];
	uint32_t at0[512], at1[512];
	uint8_t w0[512], w1[512];
	int checked[MMF_MUT_NR] = {0};
	for (int i = 0; i < 5000; i++) {
		size_t nrec = 1 + lcg(&s) % 6, nval = lcg(&s) % 40;
		size_t n = 2 * nrec + nval;
		for (size_t k = 0; k < n; k++)
			in[k] = (uint8_t)lcg(&s);
		for (size_t k = 0; k < nrec; k++)
			in[2 * k] = (uint8_t)(lcg(&s) % 60);   /* gaps that stay expressible */
		struct mmf_shape sh = {.picks = 400, .front = (uint32_t)(2 * nrec), .back = (uint32_t)nval};
		int op = (int)(lcg(&s) % MMF_MUT_NR);
		memcpy(out, in, n);
		size_t m = mmf_mutate(out, n, sizeof(out), lcg(&s), &sh, op);
		positions(in, nrec, at0, w0);
		switch (op) {
		case MMF_MUT_INSERT: {
			CHECK(m == n + 2 || m == n);    /* n: an existing deviation re-aimed */
			size_t r = (m - nval) / 2;
			positions(out, r, at1, w1);
			for (size_t k = 0, j = 0; k < nrec; k++) {
				while (j < r && at1[j] < at0[k])
					j++;
				CHECK(j < r && at1[j] == at0[k]);
			}
			CHECK(!memcmp(in + n - nval, out + m - nval, nval));
			break;
		}
		case MMF_MUT_DELETE: {
			CHECK_EQ(m, n - 2 > 0 ? n - 2 : 1);
			if (m < 2)
				break;
			size_t r = nrec - 1;
			positions(out, r, at1, w1);
			for (size_t j = 0, k = 0; j < r; j++) {
				while (k < nrec && at0[k] < at1[j])
					k++;
				CHECK(k < nrec && at0[k] == at1[j] && w0[k] == w1[j]);
			}
			break;
		}
		case MMF_MUT_PICK:
			CHECK_EQ(m, n);
			positions(out, nrec, at1, w1);
			for (size_t k = 0; k < nrec; k++)
				CHECK_EQ(at1[k], at0[k]);
			CHECK(memcmp(w0, w1, nrec));
			break;
		case MMF_MUT_VALUE:
			CHECK(m == n || m == n + 1);
			CHECK(!memcmp(in, out, 2 * nrec));
			break;
		default:
			break;
		}
		checked[op]++;
	}
	for (int op = 0; op < MMF_MUT_NR; op++)
		CHECK(checked[op] > 0);
	return true;
}

/* Every output runs: on the fixed model, a thousand mutated inputs (each
 * mutating the last) run clean, and a run's shape is recorded. */
static bool test_mutated_inputs_run_clean_on_the_fixed_model(void)
{
	struct mmf_harness h;
	char err[256];
	CHECK(mmf_harness_init(&h, "mm", "none", NULL, err, sizeof(err)) == 0);
	static uint8_t buf[MMF_INPUT_MAX];
	size_t n = 1;
	buf[0] = 0;
	int preempted = 0;
	for (int i = 0; i < 1000; i++) {
		enum mmf_run_status st = mmf_harness_run(&h, buf, n);
		if (st != MMF_RUN_CLEAN) {
			fprintf(stderr, "  run %d: status %d: %s\n", i, st, h.s.report.text);
			return false;
		}
		struct mmf_shape sh;
		mmf_harness_shape(&h, &sh);
		CHECK(sh.front + sh.back <= n);
		preempted += h.s.preemptions > 0;
		n = mmf_mutate(buf, n, sizeof(buf), (uint64_t)i * 77 + 1, &sh, -1);
	}
	mmf_harness_destroy(&h);
	CHECK(preempted > 100);
	return true;
}

static bool test_shape_table_round_trip_private_and_shared(void)
{
	char path[] = "/tmp/mmfuzz-shape-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	for (int shared = 0; shared < 2; shared++) {
		CHECK(mmf_shape_open(shared ? path : NULL) == 0);
		struct mmf_shape a = {123, 44, 55}, b;
		uint8_t in[3] = {1, 2, shared};
		uint64_t k = mmf_input_hash(in, sizeof(in));
		CHECK(!mmf_shape_get(k, &b));
		mmf_shape_put(k, &a);
		CHECK(mmf_shape_get(k, &b));
		CHECK(b.picks == 123 && b.front == 44 && b.back == 55);
	}
	CHECK(mmf_shape_open(path) == 0);       /* a second mapping sees the first's entry */
	struct mmf_shape c;
	uint8_t in[3] = {1, 2, 1};
	CHECK(mmf_shape_get(mmf_input_hash(in, sizeof(in)), &c) && c.picks == 123);
	unlink(path);
	return true;
}

/* ---- feedback kinds -------------------------------------------------------- */

#define MAXF 4096
struct fset {
	uint32_t f[MAXF];
	int n;
	bool dup;
};

static void collect(void *ctx, uint32_t f)
{
	struct fset *s = ctx;
	for (int i = 0; i < s->n; i++)
		if (s->f[i] == f)
			s->dup = true;
	if (s->n < MAXF)
		s->f[s->n++] = f;
}

static int features_of(unsigned kinds, const uint8_t *in, size_t n, struct fset *out)
{
	struct mmf_harness h;
	char err[256];
	if (mmf_harness_init(&h, "mm", "none", NULL, err, sizeof(err)))
		return -1;
	memset(out, 0, sizeof(*out));
	mmf_harness_opts(&h, collect, out, false, false);
	h.s.opts.feedback_kinds = kinds;
	mmf_harness_run(&h, in, n);
	mmf_harness_destroy(&h);
	return out->n;
}

static bool test_object_feedback_is_deterministic_and_once_per_run(void)
{
	static uint8_t in[400];
	uint64_t s = 3;
	int with[4] = {0};
	static struct fset a, b;
	for (int trial = 0; trial < 40; trial++) {
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)lcg(&s);
		for (size_t i = 0; i < 60; i += 2)
			in[i] = (uint8_t)(lcg(&s) % 8);         /* many preemptions */
		const unsigned kinds[4] = {MMF_FB_RF, MMF_FB_LOCK, MMF_FB_ORDER, MMF_FB_ALL};
		for (int k = 0; k < 4; k++) {
			CHECK(features_of(kinds[k], in, sizeof(in), &a) >= 0);
			CHECK(features_of(kinds[k], in, sizeof(in), &b) >= 0);
			CHECK_EQ(a.n, b.n);
			CHECK(!memcmp(a.f, b.f, sizeof(a.f[0]) * (size_t)a.n));
			if (kinds[k] != MMF_FB_ALL)
				CHECK(!a.dup);  /* the object kinds report a pair once per run */
			with[k] += a.n > 0;
		}
	}
	for (int k = 0; k < 4; k++)
		CHECK(with[k] > 0);     /* each kind fires on some interleaving */
	return true;
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_outputs_fit_and_repeat_for_a_seed),
		TEST(test_each_operation_edits_the_schedule_in_decision_terms),
		TEST(test_mutated_inputs_run_clean_on_the_fixed_model),
		TEST(test_shape_table_round_trip_private_and_shared),
		TEST(test_object_feedback_is_deterministic_and_once_per_run),
	};
	return RUN_TESTS(tests);
}
