/* SPDX-License-Identifier: MIT */
/* Classifying one symbolized stack by its kernel frames, in order. */
#ifndef SD_DETECT_MATCH_H
#define SD_DETECT_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/stacks.h>

enum {
	SD_M_FORK_COPY = 1 << 0,  /* a fork page-table copy frame */
	SD_M_SWAP_DUP = 1 << 1,   /* ... with swap-entry dup below it */
	SD_M_TEARDOWN = 1 << 2,   /* an address-space teardown frame */
	SD_M_SWAP_FREE = 1 << 3,  /* ... with swap-entry release below it */
	SD_M_RWSEM_READ = 1 << 4, /* the rwsem read slow path */
	SD_M_MM_READER = 1 << 5,  /* ... under a reader of another mm */
	SD_M_EXEC_LOCK = 1 << 6,  /* a reader of another process's exec lock
				   * asleep on it: rwsem read slow path
				   * (5.10+) or mutex slow path (before) */
	SD_M_EXEC_REPLACE = 1 << 7, /* exec replacing the address space
				     * (holds the exec lock) */
	SD_M_SPIN_LOCK = 1 << 8,  /* a spin lock acquired below the swap
				   * frame (not inside an interrupt) */
	SD_M_SPIN_SLOW = 1 << 9,  /* ... spinning in the queued slow path */
	SD_M_SPIN_LEAF = 1 << 10, /* ... the acquire frame is the innermost
				   * (spinning on ticket-lock kernels) */
	SD_M_ANY_SPIN_SLOW = 1 << 11, /* a queued slow-path frame anywhere:
				       * the kernel has queued spin locks */
};

/*
 * What the signature tables say about each frame name, by string id: made
 * on first use from the signature names' ids (sd_stacks_str_find), so a
 * frame is classified by an array index, never a string compare.
 * Zero-initialise; free with sd_match_cache_fini.
 */
struct sd_match_cache {
	uint64_t *ent; /* by string id: the tables it is in, and its hot
			* kinds (tables.h) << 16 */
	size_t n;
	bool failed; /* no memory: names are compared as strings */
};

void sd_match_cache_fini(struct sd_match_cache *c);

/* What the diagnosis needs of a stack's kernel frames, in one walk. */
struct sd_stack_scan {
	unsigned match;           /* SD_M_* */
	uint32_t kframes, knamed; /* kernel frames; those with a name (not
				   * "[dso]", as unresolved frames fold) */
	uint64_t kinds;           /* the sd_hot_kinds its frames show, a bit
				   * each */
};

/* The scan of a stack (frames root first); cache may be NULL. */
void sd_match_scan(const struct sd_stacks *st, const struct sd_stack_info *si,
		   struct sd_match_cache *cache, struct sd_stack_scan *out);

/*
 * The shortest prefix of a stack (frames root first), at least one frame,
 * whose flags include all of flags: its length; nr_frames when none has
 * them.  flags: of
 * those that only accumulate from root to leaf (not SD_M_SPIN_LEAF), so
 * a prefix's flags are those of the walk stopped there.
 */
size_t sd_match_first(const struct sd_stacks *st,
		      const struct sd_stack_info *si,
		      struct sd_match_cache *cache, unsigned flags);

/* SD_M_* flags of a stack (frames root first); cache may be NULL. */
unsigned sd_match_stack(const struct sd_stacks *st,
			const struct sd_stack_info *si,
			struct sd_match_cache *cache);

#endif
