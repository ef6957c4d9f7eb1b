/* SPDX-License-Identifier: MIT */
/*
 * Big anonymous buffers that are populated ahead of use.
 *
 * Loading kallsyms touches ~10 MB of fresh memory (the text, the symbol
 * array).  Touched one page at a time that costs a page fault per 4 KiB,
 * which on some virtual machines is tens of microseconds: 70 ms for 8 MB
 * measured on the development VM, against 13 ms when the kernel fills the
 * range in one go.  So a buffer reserves address space once (never
 * moved, never copied), 2 MiB-aligned and advised for transparent huge
 * pages, and populates it in 2 MiB steps as it fills.
 * Where MADV_POPULATE_WRITE is unknown (Linux < 5.14) pages simply fault
 * in as usual.
 */
#include <errno.h>
#include <sys/mman.h>

#include "symbols/internal.h"
#include "util/vmem.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define STEP ((size_t)2 << 20) /* a huge page */

int sd_bigbuf_reserve(struct sd_bigbuf *b, size_t max)
{
	void *p;

	if (!max)
		max = 1;
	max = (max + 4095) & ~(size_t)4095;
	p = sd_vmem_map_huge(max);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->reserved = max;
	b->populated = 0;
	return 0;
}

int sd_bigbuf_ensure(struct sd_bigbuf *b, size_t need)
{
	size_t upto;

	if (need > b->reserved)
		return -SD_E_LIMIT;
	if (need <= b->populated)
		return 0;
	upto = (need + STEP - 1) & ~(STEP - 1);
	if (upto > b->reserved)
		upto = b->reserved;
	/* Best effort: on failure the pages fault in one by one. */
	(void)madvise(b->p + b->populated, upto - b->populated,
		      MADV_POPULATE_WRITE);
	b->populated = upto;
	return 0;
}

void sd_bigbuf_free(struct sd_bigbuf *b)
{
	if (b->p)
		munmap(b->p, b->reserved);
	b->p = NULL;
	b->reserved = b->populated = 0;
}
