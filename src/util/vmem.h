/* SPDX-License-Identifier: MIT */
/*
 * Memory for the arrays that grow with the input (stack keys and entries,
 * per-bucket details, hash slots, frames).
 *
 * Small blocks come from malloc.  A block of SD_VMEM_MIN bytes or more
 * gets an anonymous mapping of its own, reserved well beyond its size
 * (address space only: a page costs memory when first written), aligned
 * to 2 MiB and advised for transparent huge pages (MADV_HUGEPAGE) before
 * its first byte is written:
 *   - it grows in place, or by moving its page tables once past its
 *     reservation: never by copying, so the pages already written are not
 *     faulted in again at a new address, as realloc() within the heap
 *     does on every doubling;
 *   - where THP is enabled ("madvise" or "always"), a 2 MiB page costs one
 *     fault instead of 512, and the random probes of the hash tables miss
 *     the TLB far less.  Where it is not, or where the system is not
 *     Linux, this changes nothing but speed.
 * Measured on the 6.18 benchmark VM: a small page costs ~1.9 us to fault
 * in (1.6 us populated), a huge page ~120 us in a fresh process (~1 ms on
 * memory the host has not backed yet), so a huge page pays for its time
 * once ~64 of its small pages would be written.  Advised only once a
 * block held 4 MiB (as before), its first 2 MiB had small pages already
 * and stayed so; advised from birth, kstorm faults 1 880 pages fewer
 * (5 680 -> 3 800) and its system time is 15 % lower.  But a block born
 * small holds a whole 2 MiB page of memory: SD_VMEM_MIN is 1 MiB, not
 * the 256 KiB where the time pays, because kstorm's peak RSS is then
 * 32.7 MB instead of 35.8 (perf report's quarter, issue 13's limit, is
 * 35.7) for 190 more faults and no slower a run (21 runs in turns).
 * Measured again for issue 13 (fresh processes, load 2): 2.35 us a small
 * page faulted in, 340 us a huge page, so one pays past ~145 of its small
 * pages (0.6 MiB).  kstorm's blocks take four huge pages, none filled
 * less than that: the bucket details 3.25 MiB on two, the stack keys
 * ~1 MiB, the mm table 0.9 MiB (11 411 of 80 bytes); without huge pages
 * it faults 4 283 pages instead of 2 517, and its CPU time is 185 ms
 * instead of 173 (21 runs in turns, load 6).
 * Nothing is advised on a host under memory pressure (util/heap.h).
 * Built with AddressSanitizer, everything comes from malloc so that ASan
 * keeps its redzones around every array.
 *
 * The caller passes back the size a block was allocated with: every
 * function here takes it, and it decides where the block lives.
 */
#ifndef SD_UTIL_VMEM_H
#define SD_UTIL_VMEM_H

#include <stddef.h>

#define SD_VMEM_MIN ((size_t)1 << 20)

/* Like realloc(p, new_bytes) of a block of old_bytes (p NULL and 0 for a
 * new one); the bytes past old_bytes are undefined.  NULL on failure, p
 * then untouched. */
void *sd_vmem_resize(void *p, size_t old_bytes, size_t new_bytes);
/* A zeroed block, like calloc(1, bytes); NULL on failure. */
void *sd_vmem_zalloc(size_t bytes);
/* Frees a block of bytes (NULL is fine). */
void sd_vmem_free(void *p, size_t bytes);

/*
 * An anonymous mapping of len bytes (a multiple of 4096): address space
 * only until written (MAP_NORESERVE), 2 MiB-aligned and advised for
 * transparent huge pages.  NULL on failure; munmap(p, len) frees it.
 * The mapping under the blocks above, and under symbols' big buffers; it
 * is there with ASan too.
 */
void *sd_vmem_map_huge(size_t len);

#endif
