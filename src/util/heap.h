/* SPDX-License-Identifier: MIT */
/*
 * The malloc heap's policy for one analysis run.
 *
 * An analysis allocates as it reads and frees at the end: the hash tables
 * and arrays of util/vmem.h hold the biggest part, but thousands of
 * middle-sized blocks come from malloc too (the maps of every process a
 * fork storm creates, the per-bucket detail tables, interned keys, the
 * folded tree).  With glibc's defaults every 4 KiB page of them costs a
 * page fault when first written, blocks of 128 KiB and more get mappings
 * of their own that are unmapped on free and faulted in afresh by the
 * next one, and the heap is trimmed and grown again.  On the kernel-stack
 * storm of BENCHMARKS.md that was 3 500 page faults and a fifth of the
 * run.
 *
 * sd_heap_tune(), called once before anything is allocated for the
 * analysis, sets glibc's malloc so that
 *   - blocks up to 32 MiB come from the heap (the bigger arrays are
 *     util/vmem.h's own mappings) and freed memory is kept for reuse,
 *     never trimmed back to the system mid-run;
 *   - the heap grows in steps of 64 MiB of address space (memory only
 *     when written), and that first step is advised for transparent huge
 *     pages (MADV_HUGEPAGE): where THP is "madvise" or "always", a 2 MiB
 *     page costs one fault instead of 512;
 *   - one arena serves every thread: the symbol thread's tables come from
 *     the same advised heap instead of an arena of small pages.
 * Nothing changes but speed and memory: a heap grown past the first step
 * takes small pages for the rest, and where malloc is not glibc's, or the
 * system is not Linux, the call does nothing.
 *
 * On a host whose memory is under pressure (the sick host this tool is
 * often run on: /proc/pressure/memory reports stalls in the last ten
 * seconds) nothing is advised for huge pages, here or in util/vmem.h:
 * with THP defrag at "madvise" a huge page there may first compact
 * memory, which costs more than the faults it saves.
 */
#ifndef SD_UTIL_HEAP_H
#define SD_UTIL_HEAP_H

#include <stdbool.h>

/* Sets the heap policy above; call once, early in main. */
void sd_heap_tune(void);

/* Whether memory may be advised for huge pages: false once
 * sd_heap_tune() found the host under memory pressure. */
bool sd_heap_huge_ok(void);

/* Whether the text of /proc/pressure/memory reports stalls in the last
 * ten seconds (its first line "some avg10=X ..." with X above 0); false
 * for NULL or text of another shape. */
bool sd_heap_pressure_says_stalls(const char *text);

#endif
