/* SPDX-License-Identifier: MIT */
/*
 * Matching walks the kernel frames from the root to the leaf: a swap frame
 * only counts below its context frame (swap_duplicate under
 * copy_page_range, free_swap_and_cache under unmap_vmas), and a D-state
 * reader only counts above the rwsem read slow path.  Names are compared
 * whole.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/match.h"
#include "detect/tables.h"

/* The tables a frame name is in. */
enum {
	IN_KNOWN = 1 << 0, /* looked up */
	IN_FORK_COPY = 1 << 1,
	IN_SWAP_DUP = 1 << 2,
	IN_TEARDOWN = 1 << 3,
	IN_SWAP_FREE = 1 << 4,
	IN_EXEC_LOCK_READERS = 1 << 5,
	IN_MM_READERS = 1 << 6,
	IN_RWSEM_READ_SLOW = 1 << 7,
};

static unsigned name_bits(const char *f)
{
	return IN_KNOWN |
	       (sd_sig_has(&sd_fork_copy, f) ? IN_FORK_COPY : 0) |
	       (sd_sig_has(&sd_swap_dup, f) ? IN_SWAP_DUP : 0) |
	       (sd_sig_has(&sd_teardown, f) ? IN_TEARDOWN : 0) |
	       (sd_sig_has(&sd_swap_free, f) ? IN_SWAP_FREE : 0) |
	       (sd_sig_has(&sd_exec_lock_readers, f) ? IN_EXEC_LOCK_READERS : 0) |
	       (sd_sig_has(&sd_mm_readers, f) ? IN_MM_READERS : 0) |
	       (sd_sig_has(&sd_rwsem_read_slow, f) ? IN_RWSEM_READ_SLOW : 0);
}

static unsigned frame_bits(const struct sd_stacks *st, uint32_t name,
			   struct sd_match_cache *c)
{
	if (c && name >= c->n) {
		size_t n = c->n ? c->n : 1024;
		while (n <= name)
			n *= 2;
		unsigned char *b = realloc(c->bits, n);
		if (b) {
			memset(b + c->n, 0, n - c->n);
			c->bits = b;
			c->n = n;
		}
	}
	if (!c || name >= c->n)
		return name_bits(sd_stacks_str(st, name));
	if (!c->bits[name])
		c->bits[name] = (unsigned char)name_bits(sd_stacks_str(st, name));
	return c->bits[name];
}

void sd_match_cache_fini(struct sd_match_cache *c)
{
	free(c->bits);
	c->bits = NULL;
	c->n = 0;
}

unsigned sd_match_stack(const struct sd_stacks *st,
			const struct sd_stack_info *si,
			struct sd_match_cache *cache)
{
	unsigned m = 0;
	bool reader = false, execlock = false;

	for (size_t i = 0; i < si->nr_frames; i++) {
		if (!si->frames[i].kernel)
			continue;
		unsigned b = frame_bits(st, si->frames[i].name, cache);
		if (b & IN_FORK_COPY)
			m |= SD_M_FORK_COPY;
		else if ((m & SD_M_FORK_COPY) && (b & IN_SWAP_DUP))
			m |= SD_M_SWAP_DUP;
		if (b & IN_TEARDOWN)
			m |= SD_M_TEARDOWN;
		else if ((m & SD_M_TEARDOWN) && (b & IN_SWAP_FREE))
			m |= SD_M_SWAP_FREE;
		if (b & IN_EXEC_LOCK_READERS)
			execlock = true;
		else if (b & IN_MM_READERS)
			reader = true;
		if (b & IN_RWSEM_READ_SLOW) {
			m |= SD_M_RWSEM_READ;
			if (execlock)
				m |= SD_M_EXEC_LOCK;
			else if (reader)
				m |= SD_M_MM_READER;
		}
	}
	return m;
}
