/* SPDX-License-Identifier: MIT */
#include "util/vmem.h"

#include "util/heap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/asan.h"
#if SD_ASAN
#define SD_VMEM_HEAP_ONLY 1
#endif

#include <sys/mman.h>

#define HUGE ((size_t)2 << 20)

/*
 * lead + len bytes of anonymous address space whose byte lead is 2 MiB-
 * aligned; returns that byte (the mapping starts lead bytes before it),
 * NULL on failure.  lead is a multiple of 4096, below 2 MiB.
 */
static char *map_aligned(size_t lead, size_t len)
{
	if (len > SIZE_MAX - 2 * HUGE)
		return NULL;
	/* over-map by 2 MiB, then cut what is before and after */
	size_t total = lead + len + HUGE;
	char *raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	char *at = (char *)(((uintptr_t)raw + lead + HUGE - 1) & ~(HUGE - 1));
	if (at - lead > raw)
		munmap(raw, (size_t)(at - lead - raw));
	if (raw + total > at + len)
		munmap(at + len, (size_t)(raw + total - (at + len)));
	return at;
}

static void advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	if (sd_heap_huge_ok())
		(void)madvise(p, len, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

void *sd_vmem_map_huge(size_t len)
{
	void *p = map_aligned(0, len);

	if (p)
		advise_huge(p, len);
	return p;
}

#ifndef SD_VMEM_HEAP_ONLY
/*
 * A block's mapping is a header page, then the block's reservation,
 * which starts 2 MiB-aligned and is advised for huge pages before the
 * block's first byte is written: so its first 2 MiB are a huge page too
 * (a range that already holds a small page stays on small pages), its
 * last bytes never take a huge page of their own, and the header page is
 * never part of one (its 2 MiB range is not all in the mapping).
 */
#define HDR ((size_t)4096)

/* the bytes reserved for the block, from its start: in the header page */
static size_t *res_of(void *p)
{
	return (size_t *)(void *)((char *)p - HDR);
}

static bool mapped(size_t bytes)
{
	return bytes >= SD_VMEM_MIN;
}

/* Four times the size, at least 16 MiB, in 2 MiB units. */
static size_t reservation(size_t bytes)
{
	size_t r = bytes;

	if (r > SIZE_MAX / 8)
		return 0;
	r = r * 4 < ((size_t)16 << 20) ? (size_t)16 << 20 : r * 4;
	return (r + HUGE - 1) & ~(HUGE - 1);
}

/* A fresh block reserved for res bytes; NULL on failure. */
static char *map_block(size_t res)
{
	char *p = res ? map_aligned(HDR, res) : NULL;

	if (!p)
		return NULL;
	advise_huge(p, res);
	*res_of(p) = res;
	return p;
}

/* The pages of p moved to the start of a new block reserved for nres
 * bytes: page tables move, no byte is copied, and huge pages stay huge
 * (both ends are aligned).  NULL on failure, p then untouched. */
static void *move_block(char *p, size_t nres)
{
	size_t len = HDR + *res_of(p);
	char *q = map_block(nres);

	if (!q)
		return NULL;
	if (mremap(p - HDR, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   q - HDR) == MAP_FAILED) {
		munmap(q - HDR, HDR + nres);
		return NULL;
	}
	*res_of(q) = nres;
	return q;
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
		void *q = map_block(reservation(new_bytes));
		if (!q)
			return NULL;
		if (p) {
			memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
			free(p);
		}
		return q;
	}
	if (new_bytes <= *res_of(p))
		return p;
	size_t nres = reservation(new_bytes);
	return nres ? move_block(p, nres) : NULL;
}

void *sd_vmem_zalloc(size_t bytes)
{
	return mapped(bytes) ? map_block(reservation(bytes))
			     : calloc(1, bytes ? bytes : 1);
}

void sd_vmem_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (mapped(bytes))
		munmap((char *)p - HDR, HDR + *res_of(p));
	else
		free(p);
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
