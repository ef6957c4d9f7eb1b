/* SPDX-License-Identifier: MIT */
/*
 * Populating the growing tail of a big array ahead of use.
 *
 * The arrays that grow with distinct stacks (raw keys, symbolized frames,
 * per-bucket details) reach tens of MB on a busy recording, and every new
 * 4 KiB page of them costs a page fault when first written: on the
 * virtual machines this runs on that is 15-30 us each, a third of the
 * whole run's time for a 40 MB recording.  Asking the kernel to populate
 * the next 1 MiB in one go (MADV_POPULATE_WRITE, Linux 5.14) costs a
 * fraction of that.  It is only an optimisation: where the call fails
 * (older kernels, other systems) pages fault in one by one as before.
 * Memory that is populated is memory about to be used, at most one step
 * ahead, so resident memory is unchanged.
 */
#ifndef SD_UTIL_PREFAULT_H
#define SD_UTIL_PREFAULT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SD_PREFAULT_STEP ((size_t)1 << 20)
#define SD_PREFAULT_PAGE ((uintptr_t)4096)

/*
 * base[0, cap) is a heap block of which base[0, *done) is known to be
 * resident; the caller is about to write up to base + need.  Populates up
 * to one step beyond need (inside the block), and moves *done.  After a
 * realloc, pass *done no larger than the bytes in use.
 */
static inline void sd_prefault(void *base, size_t cap, size_t *done,
			       size_t need)
{
#ifdef __linux__
	if (need <= *done || cap < 2 * SD_PREFAULT_STEP)
		return;
	size_t upto = need + SD_PREFAULT_STEP;
	if (upto > cap)
		upto = cap;
	uintptr_t lo = ((uintptr_t)base + *done + SD_PREFAULT_PAGE - 1) &
		       ~(SD_PREFAULT_PAGE - 1);
	uintptr_t hi = ((uintptr_t)base + upto) & ~(SD_PREFAULT_PAGE - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	*done = upto;
#else
	(void)base;
	(void)cap;
	(void)done;
	(void)need;
#endif
}

#endif
