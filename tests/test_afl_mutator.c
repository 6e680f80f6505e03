/* test_afl_mutator.c LIB - the AFL++ custom mutator library as afl-fuzz
 * loads it: the symbols are there, every output fits max_size, and one
 * seed gives one sequence of outputs (afl-fuzz -s repeats a campaign). */
#include "check.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

static const char *lib;
typedef void *(*init_fn)(void *, unsigned int);
typedef size_t (*fuzz_fn)(void *, uint8_t *, size_t, uint8_t **, uint8_t *, size_t, size_t);
typedef void (*deinit_fn)(void *);

static bool run(unsigned seed, uint64_t *digest)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "  dlopen: %s\n", dlerror());
		return false;
	}
	init_fn init = (init_fn)dlsym(h, "afl_custom_init");
	fuzz_fn fuzz = (fuzz_fn)dlsym(h, "afl_custom_fuzz");
	deinit_fn deinit = (deinit_fn)dlsym(h, "afl_custom_deinit");
	CHECK(init && fuzz && deinit && dlsym(h, "afl_custom_queue_new_entry"));
	void *st = init(NULL, seed);
	CHECK(st);
	uint8_t buf[600], add[64];
	size_t n = 40;
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t i = 0; i < sizeof(add); i++)
		add[i] = (uint8_t)(i * 13);
	uint64_t d = 1469598103934665603ull;
	for (int i = 0; i < 5000; i++) {
		uint8_t *out = NULL;
		size_t max = 1 + (size_t)(i * 7919) % 500;
		size_t m = fuzz(st, buf, n < max ? n : max, &out, i % 3 ? add : NULL, sizeof(add), max);
		CHECK(out && m >= 1 && m <= max);
		memcpy(buf, out, m);
		n = m;
		for (size_t k = 0; k < m; k++)
			d = (d ^ buf[k]) * 1099511628211ull;
	}
	deinit(st);
	dlclose(h);
	*digest = d;
	return true;
}

static bool test_afl_mutator_fits_and_repeats_for_a_seed(void)
{
	uint64_t a, b, c;
	CHECK(run(7, &a));
	CHECK(run(7, &b));
	CHECK(run(8, &c));
	CHECK(a == b);
	CHECK(a != c);
	return true;
}

/* A bad setting stops the library from starting (afl-fuzz then stops),
 * with one line; "none" is the default cap, not a cap of 0. */
static bool test_afl_mutator_refuses_bad_settings(void)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	CHECK(h);
	init_fn init = (init_fn)dlsym(h, "afl_custom_init");
	deinit_fn deinit = (deinit_fn)dlsym(h, "afl_custom_deinit");
	CHECK(init && deinit);
	setenv("MMFUZZ_MUT_CAP", "lots", 1);
	CHECK(init(NULL, 1) == NULL);
	setenv("MMFUZZ_MUT_CAP", "none", 1);
	setenv("MMFUZZ_MUT_REVERSE", "200", 1);
	CHECK(init(NULL, 1) == NULL);
	unsetenv("MMFUZZ_MUT_REVERSE");
	void *st = init(NULL, 1);
	CHECK(st);
	deinit(st);
	unsetenv("MMFUZZ_MUT_CAP");
	dlclose(h);
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_afl_mutator LIB\n");
		return 2;
	}
	lib = argv[1];
	static const struct test_case tests[] = {
		TEST(test_afl_mutator_fits_and_repeats_for_a_seed),
		TEST(test_afl_mutator_refuses_bad_settings),
	};
	argc = 1;
	return RUN_TESTS(tests);
}
