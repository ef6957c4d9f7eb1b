/* SPDX-License-Identifier: MIT */
/*
 * Blocks records are read or decompressed into, and the pools that
 * recycle them (see struct sd_block in internal.h).  A block is one
 * allocation: the header, then its data.
 */
#include <stdlib.h>

#include "reader/internal.h"

/* the header rounded up so that data is 8-aligned, as records are */
#define HDR ((sizeof(struct sd_block) + 15) & ~(size_t)15)

struct sd_block *sd_block_get(struct sd_bpool *p, size_t cap)
{
	struct sd_block *b;

	if (cap <= p->std_cap && p->free) {
		b = p->free;
		p->free = b->next;
		p->nfree--;
	} else {
		if (cap < p->std_cap)
			cap = p->std_cap;
		if (cap > SIZE_MAX - HDR)
			return NULL;
		b = malloc(HDR + cap);
		if (!b)
			return NULL;
		b->pool = p;
		b->cap = cap;
		b->data = (uint8_t *)b + HDR;
		p->nblocks++;
	}
	b->next = NULL;
	b->refs = 0;
	b->busy = true;
	return b;
}

static void recycle(struct sd_block *b)
{
	struct sd_bpool *p = b->pool;

	if (b->cap == p->std_cap && p->nfree < p->max_free) {
		b->next = p->free;
		p->free = b;
		p->nfree++;
		return;
	}
	p->nblocks--;
	free(b);
}

void sd_block_done(struct sd_block *b)
{
	if (!b)
		return;
	b->busy = false;
	if (!b->refs)
		recycle(b);
}

void sd_block_unref(struct sd_block *b)
{
	if (b && !--b->refs && !b->busy)
		recycle(b);
}

void sd_bpool_fini(struct sd_bpool *p)
{
	while (p->free) {
		struct sd_block *b = p->free;
		p->free = b->next;
		p->nblocks--;
		free(b);
	}
	p->nfree = 0;
}
