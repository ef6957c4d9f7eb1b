/* SPDX-License-Identifier: MIT */
/*
 * The malloc heap's policy for one analysis run.
 *
 * An analysis allocates as it reads and frees at the end: the hash tables
 * and arrays of util/vmem.h hold the biggest part, but thousands of
 * middle-sized blocks come from malloc too (the maps of every process a
 * fork storm creates, the per-bucket detail tables, interned keys, the
 * folded tree).  With glibc's defaults, blocks of 128 KiB and more get
 * mappings of their own that are unmapped on free and faulted in afresh
 * by the next one, the heap is trimmed and grown again, and the symbol
 * thread gets an arena of its own.
 *
 * sd_heap_tune(), called once before anything is allocated for the
 * analysis, sets glibc's malloc so that
 *   - blocks up to 32 MiB come from the heap (the bigger arrays are
 *     util/vmem.h's own mappings) and freed memory is kept for reuse,
 *     never trimmed back to the system mid-run;
 *   - the heap grows in steps of 64 MiB of address space (memory only
 *     when written), so a growing run makes few brk() calls;
 *   - one arena serves every thread.
 * On the kernel-stack storm of BENCHMARKS.md that alone took its page
 * faults from 3 520 to 2 740 (2 376 with the rest of that round).  Nothing changes but speed and memory; where malloc
 * is not glibc's, or the system is not Linux, the call does nothing.
 *
 * The heap is not advised for huge pages.  On an idle machine that saved
 * another 2 000 faults and ~4 % of the run, but right after a large
 * process had exited (perf report, in the benchmark's turns) a fresh
 * 2 MiB page cost so much (THP defrag "madvise": compaction, zeroing)
 * that the run was 40 % slower than without it (kstorm 98 against 69 ms,
 * dso 370 against 260 ms, system time doubled).  util/vmem.h's blocks,
 * which hold the randomly probed tables, keep their huge pages: without
 * them the same runs were slower still (88 ms).
 *
 * On a host whose memory is under pressure (the sick host this tool is
 * often run on: /proc/pressure/memory reports stalls in the last ten
 * seconds) util/vmem.h advises nothing for huge pages either: a huge
 * page there may first compact memory, which costs more than the faults
 * it saves.
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
