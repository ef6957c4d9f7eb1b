/* SPDX-License-Identifier: MIT */
/* util/vmem: blocks keep their bytes across every kind of growth. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "util/vmem.h"

/* as util/vmem.c: built with ASan, every block comes from malloc */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_VMEM_HEAP_ONLY 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_VMEM_HEAP_ONLY 1
#endif

static void fill(unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		p[i] = (unsigned char)(i * 131 + (i >> 12));
}

static int same(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 131 + (i >> 12)))
			return 0;
	return 1;
}

static int zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* From nothing, doubling past SD_VMEM_MIN (heap -> own mapping) and far
 * past the first reservation (16 MiB: mremap), every byte written stays. */
TEST(grows_keeping_bytes)
{
	unsigned char *p = NULL;
	size_t size = 0;

	for (size_t next = 1000; next <= ((size_t)64 << 20); next *= 2) {
		unsigned char *q = sd_vmem_resize(p, size, next);
		CHECK(q != NULL);
		if (!q)
			break;
		p = q;
		CHECK(same(p, size));
		fill(p, size, next);
		size = next;
	}
	CHECK(size > ((size_t)16 << 20));
	CHECK(same(p, size));
	sd_vmem_free(p, size);
}

/* Shrinking from a mapping back to the heap keeps the prefix. */
TEST(shrinks_keeping_prefix)
{
	size_t big = SD_VMEM_MIN * 4, small = 1000;
	unsigned char *p = sd_vmem_resize(NULL, 0, big);

	CHECK(p != NULL);
	if (!p)
		return;
	fill(p, 0, big);
	unsigned char *q = sd_vmem_resize(p, big, small);
	CHECK(q != NULL);
	if (!q) {
		sd_vmem_free(p, big);
		return;
	}
	CHECK(same(q, small));
	sd_vmem_free(q, small);
}

TEST(zalloc_is_zero)
{
	size_t sizes[] = {1, 4096, SD_VMEM_MIN - 1, SD_VMEM_MIN,
			  (size_t)5 << 20};

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		unsigned char *p = sd_vmem_zalloc(sizes[i]);
		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK(zero(p, sizes[i]));
		fill(p, 0, sizes[i]); /* writable to the last byte */
		CHECK(same(p, sizes[i]));
		sd_vmem_free(p, sizes[i]);
	}
	sd_vmem_free(NULL, 0);
	sd_vmem_free(NULL, (size_t)1 << 30);
}

/* Whether the mapping holding p is advised for huge pages ("hg" among
 * its VmFlags in /proc/self/smaps): 1, 0, or -1 when it cannot be told. */
static int advised_huge(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

/* A mapped block below SD_VMEM_HUGE stays on small pages (a 2 MiB page
 * would make memory resident it never uses); grown past it, the whole
 * mapping is advised for huge pages. */
TEST(huge_pages_only_for_big_blocks)
{
	size_t small = SD_VMEM_MIN * 2, big = SD_VMEM_HUGE * 2;
	unsigned char *p = sd_vmem_zalloc(small);

	CHECK(p != NULL);
	if (!p)
		return;
	fill(p, 0, small);
	int before = advised_huge(p);
	unsigned char *q = sd_vmem_resize(p, small, big);
	CHECK(q != NULL);
	if (!q) {
		sd_vmem_free(p, small);
		return;
	}
	fill(q, 0, big);
	int after = advised_huge(q);
#if defined(TEST_VMEM_HEAP_ONLY)
	(void)before;
	(void)after;
	CHECK(same(q, big)); /* heap only under ASan: nothing to advise */
#else
	CHECK(before == 0);
	CHECK(after == 1);
#endif
	sd_vmem_free(q, big);
}

int main(void)
{
	RUN(grows_keeping_bytes);
	RUN(shrinks_keeping_prefix);
	RUN(zalloc_is_zero);
	RUN(huge_pages_only_for_big_blocks);
	return test_exit();
}
