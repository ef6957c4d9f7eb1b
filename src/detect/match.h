/* SPDX-License-Identifier: MIT */
/* Classifying one symbolized stack by its kernel frames, in order. */
#ifndef SD_DETECT_MATCH_H
#define SD_DETECT_MATCH_H

#include <stdbool.h>

#include <swapdiag/stacks.h>

enum {
	SD_M_FORK_COPY = 1 << 0,  /* a fork page-table copy frame */
	SD_M_SWAP_DUP = 1 << 1,   /* ... with swap-entry dup below it */
	SD_M_TEARDOWN = 1 << 2,   /* an address-space teardown frame */
	SD_M_SWAP_FREE = 1 << 3,  /* ... with swap-entry release below it */
	SD_M_RWSEM_READ = 1 << 4, /* the rwsem read slow path */
	SD_M_MM_READER = 1 << 5,  /* ... under a reader of another mm */
	SD_M_EXEC_LOCK = 1 << 6,  /* ... under mm_access (exec_update_lock) */
};

/* SD_M_* flags of a stack (frames root first). */
unsigned sd_match_stack(const struct sd_stacks *st,
			const struct sd_stack_info *si);

#endif
