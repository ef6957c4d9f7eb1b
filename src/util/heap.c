/* SPDX-License-Identifier: MIT */
#include "util/heap.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__GLIBC__) && defined(__linux__)
#include <malloc.h>
#define SD_HEAP_GLIBC 1
#endif

/* ASan brings its own allocator: leave it alone. */
#include "util/asan.h"
#if SD_ASAN
#undef SD_HEAP_GLIBC
#endif

#define MIB ((size_t)1 << 20)

static bool huge_ok = true;

bool sd_heap_huge_ok(void)
{
	return huge_ok;
}

bool sd_heap_pressure_says_stalls(const char *text)
{
	double avg10;

	/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" */
	if (!text || sscanf(text, "some avg10=%lf", &avg10) != 1)
		return false;
	return avg10 > 0.0;
}

/* No file (no PSI, not Linux) or nothing read: no pressure known. */
static bool memory_pressure(void)
{
	char text[256];
	int fd = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return sd_heap_pressure_says_stalls(text);
}

void sd_heap_tune(void)
{
	huge_ok = !memory_pressure();
#ifdef SD_HEAP_GLIBC
	/* each is only a hint: one that is refused changes speed alone */
	(void)mallopt(M_MMAP_THRESHOLD, (int)(32 * MIB));
	(void)mallopt(M_TRIM_THRESHOLD, INT32_MAX);
	(void)mallopt(M_TOP_PAD, (int)(64 * MIB));
	(void)mallopt(M_ARENA_MAX, 1);
#endif
}
