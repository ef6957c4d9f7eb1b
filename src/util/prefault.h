/* SPDX-License-Identifier: MIT */
/*
 * Populating the growing tail of a big array ahead of use.
 *
 * The arrays that grow with distinct stacks (raw keys, symbolized frames,
 * per-bucket details) reach tens of MB on a busy recording, and every new
 * 4 KiB page of them costs a page fault when first written.  Asking the
 * kernel to populate the next step in one go (MADV_POPULATE_WRITE, Linux
 * 5.14) saves the trap of each fault, not the page's own work (allocate,
 * zero, map): on the development VM where a fault cost 15-30 us that was
 * most of it; on the 6.18 benchmark VM a fault costs ~2 us and a populated
 * page about the same (1.7-2.2 us either way, user and system time, 8 MiB
 * blocks, 3 x 300 rounds).  So the step is kept small: 256 KiB is 64
 * pages a call, enough to amortise a slow trap, and it bounds what is
 * resident ahead of use to 256 KiB an array (a 1 MiB step cost 0.5 MB of
 * peak RSS on kstorm, for no time).
 * Measured again for issue 13 (load 2): 2.35 us a page faulted in, 1.6 us
 * a page populated (64-512 pages, medians of 15 fresh processes); kstorm
 * populates ~800 heap pages this way, and without it faults 2 998 pages
 * instead of 2 517 for 140 KB less peak RSS, its CPU time the same within
 * a loaded machine's noise (171.6 against 172.9 ms, 21 runs in turns,
 * load 6): ~0.5 ms a run by the page costs, so it stays.
 * On a block of util/vmem.h, advised for huge pages from birth, the first
 * call in a 2 MiB range brings its huge page and the next ones find the
 * range resident (a page-table walk each); the steps count where huge
 * pages are off or none is free.
 * It is only an optimisation: where the call fails (older kernels, other
 * systems) pages fault in one by one as before.
 */
#ifndef SD_UTIL_PREFAULT_H
#define SD_UTIL_PREFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SD_PREFAULT_STEP ((size_t)256 << 10)
#define SD_PREFAULT_PAGE ((uintptr_t)4096)

/* Whether sd_prefault(base, cap, &done, need) would populate anything
 * (a caller's fast path that skips the call asks this first). */
static inline bool sd_prefault_due(size_t cap, size_t done, size_t need)
{
#ifdef __linux__
	return need > done && cap >= 2 * SD_PREFAULT_STEP;
#else
	(void)cap;
	(void)done;
	(void)need;
	return false;
#endif
}

/*
 * base[0, cap) is a heap block of which base[0, *done) is known to be
 * resident; the caller is about to write up to base + need.  Populates the
 * whole pages up to one step beyond need (inside the block), and moves
 * *done to where that stopped.  After a realloc, pass *done no larger than
 * the bytes in use.
 */
static inline void sd_prefault(void *base, size_t cap, size_t *done,
			       size_t need)
{
#ifdef __linux__
	if (!sd_prefault_due(cap, *done, need))
		return;
	size_t upto = need + SD_PREFAULT_STEP;
	if (upto > cap)
		upto = cap;
	uintptr_t lo = ((uintptr_t)base + *done + SD_PREFAULT_PAGE - 1) &
		       ~(SD_PREFAULT_PAGE - 1);
	uintptr_t hi = ((uintptr_t)base + upto) & ~(SD_PREFAULT_PAGE - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	/* done up to the last whole page: the next step starts at the page
	 * upto cut, or it would be left to fault (at the block's end there
	 * is no next step) */
	*done = upto < cap ? (size_t)(hi - (uintptr_t)base) : cap;
#else
	(void)base;
	(void)cap;
	(void)done;
	(void)need;
#endif
}

#endif
