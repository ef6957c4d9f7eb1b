/* SPDX-License-Identifier: MIT */
#include "util/vmem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SD_VMEM_HEAP_ONLY 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SD_VMEM_HEAP_ONLY 1
#endif

#include <sys/mman.h>

#define HUGE ((size_t)2 << 20)

/* len bytes of anonymous address space, 2 MiB-aligned; NULL on failure */
static void *map_aligned(size_t len)
{
	if (len > SIZE_MAX - HUGE)
		return NULL;
	/* over-map by 2 MiB, then cut to a 2 MiB-aligned start */
	char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	char *base = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + HUGE > base)
		munmap(base + len, (size_t)(raw + HUGE - base));
	return base;
}

static void advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

void *sd_vmem_map_huge(size_t len)
{
	void *p = map_aligned(len);

	if (p)
		advise_huge(p, len);
	return p;
}

#ifndef SD_VMEM_HEAP_ONLY
/* the mapping starts with its reserved size and whether it is advised for
 * huge pages; the block follows */
#define HDR ((size_t)64)

struct hdr {
	size_t res;
	size_t huge;
};

static bool mapped(size_t bytes)
{
	return bytes >= SD_VMEM_MIN;
}

/* Four times the size, at least 16 MiB, in 2 MiB units. */
static size_t reservation(size_t bytes)
{
	size_t r = bytes + HDR;

	if (r > SIZE_MAX / 8)
		return 0;
	r = r * 4 < ((size_t)16 << 20) ? (size_t)16 << 20 : r * 4;
	return (r + HUGE - 1) & ~(HUGE - 1);
}

/* Huge pages once the block holds SD_VMEM_HUGE bytes: below that a 2 MiB
 * page would make memory resident that the block never uses. */
static void maybe_huge(char *base, size_t bytes)
{
	struct hdr *h = (struct hdr *)(void *)base;

	if (h->huge || bytes < SD_VMEM_HUGE)
		return;
	advise_huge(base, h->res);
	h->huge = 1;
}

static void *map(size_t bytes)
{
	size_t res = reservation(bytes);
	char *base = res ? map_aligned(res) : NULL;

	if (!base)
		return NULL;
	*(struct hdr *)(void *)base = (struct hdr){res, 0};
	maybe_huge(base, bytes);
	return base + HDR;
}

static char *base_of(void *p)
{
	return (char *)p - HDR;
}

void *sd_vmem_resize(void *p, size_t old_bytes, size_t new_bytes)
{
	if (!p)
		old_bytes = 0;
	if (!mapped(new_bytes)) {
		if (!mapped(old_bytes))
			return realloc(p, new_bytes ? new_bytes : 1);
		void *q = malloc(new_bytes ? new_bytes : 1);
		if (!q)
			return NULL;
		memcpy(q, p, new_bytes);
		sd_vmem_free(p, old_bytes);
		return q;
	}
	if (!p || !mapped(old_bytes)) {
		void *q = map(new_bytes);
		if (!q)
			return NULL;
		if (p) {
			memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
			free(p);
		}
		return q;
	}
	char *base = base_of(p);
	struct hdr *h = (struct hdr *)(void *)base;
	if (new_bytes + HDR <= h->res) {
		maybe_huge(base, new_bytes); /* inside the reservation */
		return p;
	}
	size_t nres = reservation(new_bytes);
	if (!nres)
		return NULL;
	char *nb = mremap(base, h->res, nres, MREMAP_MAYMOVE);
	if (nb == MAP_FAILED)
		return NULL;
	h = (struct hdr *)(void *)nb;
	h->res = nres;
	if (h->huge) /* the advice covers the old length only */
		advise_huge(nb, nres);
	maybe_huge(nb, new_bytes);
	return nb + HDR;
}

void *sd_vmem_zalloc(size_t bytes)
{
	return mapped(bytes) ? map(bytes) : calloc(1, bytes ? bytes : 1);
}

void sd_vmem_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (mapped(bytes)) {
		char *base = base_of(p);
		munmap(base, ((struct hdr *)(void *)base)->res);
	} else {
		free(p);
	}
}

#else /* heap only */

void *sd_vmem_resize(void *p, size_t old_bytes, size_t new_bytes)
{
	(void)old_bytes;
	return realloc(p, new_bytes ? new_bytes : 1);
}

void *sd_vmem_zalloc(size_t bytes)
{
	return calloc(1, bytes ? bytes : 1);
}

void sd_vmem_free(void *p, size_t bytes)
{
	(void)bytes;
	free(p);
}

#endif
