/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness: TEST(name) defines a case, CHECK* record
 * failures with file:line and go on, main() runs every case listed with
 * RUN() and returns test_exit().  Exit status 0 only if every check held;
 * 77 (skip) if a case called SKIP() and nothing failed.
 *
 * A test that asserts nothing cannot fail, so it fails: a case that ran no
 * CHECK and did not SKIP() is a failure ("made no checks"), and so is a
 * program that ends -- through test_exit(), exit() or a return from main
 * -- without having run any CHECK or SKIP (a destructor sees that and
 * turns the exit status into 1 with a message).
 */
#ifndef SD_TEST_H
#define SD_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_failed, t_checks, t_skipped;
static bool t_exit_decided; /* test_exit() gave the status */

/* The fields of a struct sd_symbol_opts initializer that keep a test off
 * the host it runs on: no host kernel, symfs, build-id cache, kallsyms,
 * notes or release. */
#define SD_TEST_HOST_FREE                                                      \
	.no_host_kernel = true, .symfs = "/nonexistent-symfs",                 \
	.buildid_dir = "/nonexistent-buildid",                                 \
	.host_kallsyms = "/nonexistent-kallsyms",                              \
	.host_notes = "/nonexistent-notes", .host_release = "0.0.0-test"

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
		int _before = t_failed, _checks = t_checks;                    \
		int _skips = t_skipped;                                        \
		test_##name();                                                 \
		if (t_checks == _checks && t_skipped == _skips) {              \
			t_failed++;                                            \
			fprintf(stderr, "%s: made no checks: a test that "     \
				"asserts nothing cannot fail\n", #name);      \
		}                                                              \
		fprintf(stderr, "%s %s\n", t_failed == _before ? "ok  " : "FAIL", \
			#name);                                                \
	} while (0)

static inline int test_exit(void)
{
	t_exit_decided = true;
	fprintf(stderr, "%d checks, %d failed\n", t_checks, t_failed);
	if (t_failed)
		return 1;
	if (!t_checks && !t_skipped) {
		fprintf(stderr, "FAIL: no checks were made: a test program "
				"that asserts nothing cannot fail\n");
		return 1;
	}
	if (t_skipped && !t_checks)
		return 77;
	return 0;
}

/* At exit: a program that never reached test_exit() and made no check. */
__attribute__((destructor)) static void test_at_exit(void)
{
	if (t_exit_decided || t_checks || t_skipped)
		return;
	fprintf(stderr, "FAIL: the test program ended without making any "
			"check (no CHECK ran, nothing was skipped)\n");
	fflush(stderr);
	_exit(1);
}

#endif
