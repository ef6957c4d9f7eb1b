/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness: TEST(name) defines a case, CHECK* record
 * failures with file:line and go on, main() runs every case listed with
 * RUN().  Exit status 0 only if every check held; 77 (skip) if a case
 * called SKIP() and nothing failed.
 */
#ifndef SD_TEST_H
#define SD_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed, t_checks, t_skipped;

#define CHECK(cond)                                                            \
	do {                                                                   \
		t_checks++;                                                    \
		if (!(cond)) {                                                 \
			t_failed++;                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_U64(a, b)                                                        \
	do {                                                                   \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);               \
		t_checks++;                                                    \
		if (_a != _b) {                                                \
			t_failed++;                                            \
			fprintf(stderr,                                        \
				"%s:%d: %s == %s failed: 0x%" PRIx64           \
				" != 0x%" PRIx64 "\n",                         \
				__FILE__, __LINE__, #a, #b, _a, _b);           \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		t_checks++;                                                    \
		if (!_a || !_b || strcmp(_a, _b)) {                            \
			t_failed++;                                            \
			fprintf(stderr, "%s:%d: %s == %s failed: '%s' != '%s'\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", \
				_b ? _b : "(null)");                           \
		}                                                              \
	} while (0)

#define SKIP(why)                                                              \
	do {                                                                   \
		fprintf(stderr, "skipped: %s\n", why);                         \
		t_skipped++;                                                   \
		return;                                                        \
	} while (0)

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                              \
	do {                                                                   \
		int _before = t_failed;                                        \
		test_##name();                                                 \
		fprintf(stderr, "%s %s\n", t_failed == _before ? "ok  " : "FAIL", \
			#name);                                                \
	} while (0)

static inline int test_exit(void)
{
	fprintf(stderr, "%d checks, %d failed\n", t_checks, t_failed);
	if (t_failed)
		return 1;
	if (t_skipped && !t_checks)
		return 77;
	return 0;
}

#endif
