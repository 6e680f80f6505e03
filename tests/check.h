/* check.h - the test harness: each test is `static bool test_<what>(void)`
 * named for what it proves, using CHECK macros that print the failing
 * expression with its values; RUN_TESTS runs a table and sets the exit
 * code.  Optional argv[1] runs only tests whose name contains it. */
#ifndef MMF_CHECK_H
#define MMF_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                              \
			return false;                                          \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr, "  %s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
			return false;                                          \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (strcmp(a_, b_)) {                                          \
			fprintf(stderr, "  %s:%d: CHECK_STR(%s, %s) failed: '%s' != '%s'\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
			return false;                                          \
		}                                                              \
	} while (0)

struct test_case {
	const char *name;
	bool (*fn)(void);
};
#define TEST(fn) {#fn, fn}

static inline int run_tests(const struct test_case *t, size_t n, int argc, char **argv)
{
	int failed = 0, ran = 0;
	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(t[i].name, argv[1]))
			continue;
		ran++;
		bool ok = t[i].fn();
		printf("%s %s\n", ok ? "PASS" : "FAIL", t[i].name);
		fflush(stdout);
		failed += !ok;
	}
	printf("%d passed, %d failed\n", ran - failed, failed);
	return failed ? 1 : ran ? 0 : 1;
}
#define RUN_TESTS(table) run_tests(table, sizeof(table) / sizeof(table[0]), argc, argv)

#endif
