/* SPDX-License-Identifier: MIT */
/*
 * How `perf script -F comm,pid,tid,...,ip,sym,dso | stackcollapse-perf.pl`
 * names things, reproduced rule for rule (FOLDED.md).
 */
#ifndef SD_STACKS_FOLD_H
#define SD_STACKS_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* sd_fold_comm(), the process-name column: swapdiag/stacks.h */
#include <swapdiag/stacks.h>

/*
 * The folded names for one printed frame "PC SYM (DSO)"; sym NULL prints as
 * "[unknown]", dso NULL as "[unknown]"; pc (the address as perf script
 * prints it) non-NULL names an unknown symbol "[dso <pc>]" (--addrs).  A name containing "->" yields
 * several frames, the later ones suffixed "_[i]"; a name starting with '('
 * yields none.  Writes up to max malloc'ed strings to out; returns the
 * count or -1 on allocation failure.
 */
int sd_fold_frame(const char *sym, const char *dso, const char *pc, char **out,
		  int max);

/* SD_FRAME_KDSO / SD_FRAME_JIT for a frame printed with DSO mod (give
 * "[unknown]" for none). */
unsigned sd_fold_dso_marks(const char *mod);

#endif
