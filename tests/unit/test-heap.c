/* SPDX-License-Identifier: MIT */
/* util/heap: the malloc policy of a run, and the memory-pressure test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "util/heap.h"

#if defined(__GLIBC__) && defined(__linux__)
#include <malloc.h>
#define TEST_HEAP_GLIBC 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#undef TEST_HEAP_GLIBC
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#undef TEST_HEAP_GLIBC
#endif

/* /proc/pressure/memory's first line decides; its other shapes do not. */
TEST(pressure_text)
{
	CHECK(!sd_heap_pressure_says_stalls(
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"));
	CHECK(sd_heap_pressure_says_stalls(
		"some avg10=0.12 avg60=0.03 avg300=0.01 total=81234\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=4000\n"));
	CHECK(sd_heap_pressure_says_stalls("some avg10=37.50 avg60=1.00"));
	/* stalls long ago only: not now */
	CHECK(!sd_heap_pressure_says_stalls(
		"some avg10=0.00 avg60=2.00 avg300=9.00 total=99999"));
	CHECK(!sd_heap_pressure_says_stalls("full avg10=3.00 avg60=0.00"));
	CHECK(!sd_heap_pressure_says_stalls("some"));
	CHECK(!sd_heap_pressure_says_stalls(""));
	CHECK(!sd_heap_pressure_says_stalls(NULL));
}

#ifdef TEST_HEAP_GLIBC
/* Whether p lies in the main heap, [brk - arena, brk). */
static int in_heap(const void *p)
{
	struct mallinfo2 mi = mallinfo2();
	uintptr_t hi = (uintptr_t)sbrk(0);

	return (uintptr_t)p < hi && (uintptr_t)p >= hi - mi.arena;
}
#endif

/*
 * After sd_heap_tune(), blocks of a few MiB come from the heap (glibc's
 * default maps any block of 128 KiB and more apart), also once the heap
 * has grown past its first step, and freeing them gives nothing back.
 */
TEST(tuned_heap)
{
#ifndef TEST_HEAP_GLIBC
	SKIP("not glibc's malloc (or built with ASan)");
#else
	/* valgrind preloads its own malloc (vgpreload_*.so), which
	 * mallopt() does not steer (meson test --setup valgrind) */
	const char *pre = getenv("LD_PRELOAD");
	if (pre && strstr(pre, "vgpreload"))
		SKIP("under valgrind, whose malloc replaces glibc's");
	sd_heap_tune();
	size_t arena0 = mallinfo2().arena;
	/* 12 blocks of 8 MiB: past the heap's first step too */
	char *volatile p[12];
	for (size_t i = 0; i < 12; i++) {
		p[i] = malloc((size_t)8 << 20);
		CHECK(p[i] != NULL);
		if (p[i]) {
			memset(p[i], 1, (size_t)8 << 20);
			CHECK(in_heap(p[i]));
		}
	}
	CHECK(mallinfo2().hblks == 0);
	size_t arena1 = mallinfo2().arena;
	CHECK(arena1 > arena0);
	for (size_t i = 0; i < 12; i++)
		free(p[i]);
	CHECK(mallinfo2().arena == arena1);
#endif
}

int main(void)
{
	RUN(pressure_text);
	RUN(tuned_heap);
	return test_exit();
}
