/* SPDX-License-Identifier: MIT */
/*
 * Memory for the arrays that grow with the input (stack keys and entries,
 * per-bucket details, hash slots, frames).
 *
 * Small blocks come from malloc.  A block of SD_VMEM_MIN bytes or more
 * gets an anonymous mapping of its own, reserved well beyond its size
 * (address space only: a page costs memory when first written), aligned
 * to 2 MiB and, once it holds SD_VMEM_HUGE bytes, advised for
 * transparent huge pages (MADV_HUGEPAGE; a smaller block stays on 4 KiB
 * pages, or a 2 MiB page would make memory resident it never uses):
 *   - it grows in place, or by mremap() once past its reservation: never
 *     by copying, so the pages already written are not faulted in again
 *     at a new address, as realloc() within the heap does on every
 *     doubling;
 *   - where THP is enabled ("madvise" or "always"), a 2 MiB page costs one
 *     fault instead of 512, and the random probes of the hash tables miss
 *     the TLB far less.  Where it is not, or where the system is not
 *     Linux, this changes nothing but speed.
 * Measured on the 6.18 benchmark VM (kstorm, one core): the advice saves
 * ~1 500 faults and ~9 % of the kernel time while the guest hands out
 * memory it has used before; a huge page on memory the host has never
 * backed costs ~4.5 ms to clear (2 270 us/MB over 1 GB, against 350-900
 * us/MB for small pages), which is the clear_page_erms under
 * MADV_POPULATE_WRITE in profiles of the first runs on a fresh VM.
 * SD_VMEM_HUGE at 2 MiB instead of 4 MiB saved ~130 more faults for
 * 3.4 MB more peak RSS.
 * Built with AddressSanitizer, everything comes from malloc so that ASan
 * keeps its redzones around every array.
 *
 * The caller passes back the size a block was allocated with: every
 * function here takes it, and it decides where the block lives.
 */
#ifndef SD_UTIL_VMEM_H
#define SD_UTIL_VMEM_H

#include <stddef.h>

#define SD_VMEM_MIN ((size_t)256 << 10)
#define SD_VMEM_HUGE ((size_t)4 << 20)

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
