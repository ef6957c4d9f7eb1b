/* SPDX-License-Identifier: MIT */
/* util/vmem: blocks keep their bytes across every kind of growth. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "smaps.h"
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

#define HUGE_BYTES ((size_t)2 << 20)

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

#if !defined(TEST_VMEM_HEAP_ONLY)
/* Pages resident in [p, p + len) (p page-aligned); -1 on error. */
static long resident(const void *p, size_t len)
{
	static unsigned char vec[HUGE_BYTES / 4096];
	long n = 0;

	if (len > sizeof vec * 4096 || mincore((void *)p, len, vec))
		return -1;
	for (size_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}
#endif

/* A mapped block starts 2 MiB-aligned and advised for huge pages; a new
 * one (fresh) has nothing written in its first 2 MiB (a small page there
 * would keep that whole range on small pages).  Under ASan every block is
 * the heap's: nothing to check. */
static void check_block(const unsigned char *p, int fresh)
{
#if defined(TEST_VMEM_HEAP_ONLY)
	(void)p;
	(void)fresh;
#else
	CHECK((uintptr_t)p % HUGE_BYTES == 0);
	CHECK(test_advised_huge(p) == 1);
	if (fresh)
		CHECK(resident(p, HUGE_BYTES) == 0);
#endif
}

/* Mapped blocks are born on huge pages, from zalloc or from the heap, and
 * stay so when they grow past their reservation (16 MiB), bytes kept. */
TEST(blocks_born_huge)
{
	unsigned char *p = sd_vmem_zalloc(SD_VMEM_MIN);

	CHECK(p != NULL);
	if (!p)
		return;
	check_block(p, 1);
	sd_vmem_free(p, SD_VMEM_MIN);

	/* from the heap into a mapping: the copy is the first write */
	size_t small = SD_VMEM_MIN / 2, big = (size_t)20 << 20;
	p = sd_vmem_resize(NULL, 0, small);
	CHECK(p != NULL);
	if (!p)
		return;
	unsigned char *q = sd_vmem_resize(p, small, SD_VMEM_MIN);
	CHECK(q != NULL);
	if (!q) {
		sd_vmem_free(p, small);
		return;
	}
	check_block(q, 0);
	fill(q, 0, SD_VMEM_MIN);
	p = sd_vmem_resize(q, SD_VMEM_MIN, big);
	CHECK(p != NULL);
	if (!p) {
		sd_vmem_free(q, SD_VMEM_MIN);
		return;
	}
	check_block(p, 0);
	CHECK(same(p, SD_VMEM_MIN));
	fill(p, SD_VMEM_MIN, big);
	CHECK(same(p, big));
	sd_vmem_free(p, big);
}

int main(void)
{
	RUN(grows_keeping_bytes);
	RUN(shrinks_keeping_prefix);
	RUN(zalloc_is_zero);
	RUN(blocks_born_huge);
	return test_exit();
}
