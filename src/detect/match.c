/* SPDX-License-Identifier: MIT */
/*
 * Matching walks the kernel frames from the root to the leaf: a swap frame
 * only counts below its context frame (swap_duplicate under
 * copy_page_range, free_swap_and_cache under unmap_vmas), and a D-state
 * reader only counts above the lock slow path; the reader frame nearest
 * the slow path names the lock (environ_open -> mm_access sleeps on the
 * exec lock, environ_read -> __access_remote_vm on the mmap_lock).  Names
 * are compared whole.
 */
#include <stdint.h>
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
	IN_MUTEX_SLOW = 1 << 8,
	IN_EXEC_REPLACE = 1 << 9,
	IN_EXEC_MUTEX_READERS = 1 << 10,
	IN_SPIN_ACQUIRE = 1 << 11,
	IN_SPIN_SLOW = 1 << 12,
	IN_IRQ_ENTRY = 1 << 13,
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
	       (sd_sig_has(&sd_rwsem_read_slow, f) ? IN_RWSEM_READ_SLOW : 0) |
	       (sd_sig_has(&sd_mutex_slow, f) ? IN_MUTEX_SLOW : 0) |
	       (sd_sig_has(&sd_exec_replace, f) ? IN_EXEC_REPLACE : 0) |
	       (sd_sig_has(&sd_exec_mutex_readers, f) ? IN_EXEC_MUTEX_READERS
						      : 0) |
	       (sd_sig_has(&sd_spin_acquire, f) ? IN_SPIN_ACQUIRE : 0) |
	       (sd_sig_has(&sd_spin_slow, f) ? IN_SPIN_SLOW : 0) |
	       (sd_sig_has(&sd_irq_entry, f) ? IN_IRQ_ENTRY : 0);
}

static unsigned frame_bits(const struct sd_stacks *st, uint32_t name,
			   struct sd_match_cache *c)
{
	if (c && name >= c->n) {
		size_t n = c->n ? c->n : 1024;
		while (n <= name)
			n *= 2;
		unsigned short *b = realloc(c->bits, n * sizeof *b);
		if (b) {
			memset(b + c->n, 0, (n - c->n) * sizeof *b);
			c->bits = b;
			c->n = n;
		}
	}
	if (!c || name >= c->n)
		return name_bits(sd_stacks_str(st, name));
	if (!c->bits[name])
		c->bits[name] = (unsigned short)name_bits(sd_stacks_str(st, name));
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
	enum { NONE, MM, EXEC } reader = NONE; /* the innermost so far */
	bool mutex_reader = false; /* ... is an exec lock if it was a mutex */
	bool irq = false; /* an interrupt entry below the swap frame */
	size_t lock_at = SIZE_MAX; /* the counted acquire frame */

	for (size_t i = 0; i < si->nr_frames; i++) {
		if (!si->frames[i].kernel)
			continue;
		unsigned b = frame_bits(st, si->frames[i].name, cache);
		if (b & IN_SPIN_SLOW)
			m |= SD_M_ANY_SPIN_SLOW;
		/* a spin lock taken below the swap-entry frame, before any
		 * interrupt entry: the swap lock (lock_share) */
		if ((m & (SD_M_SWAP_DUP | SD_M_SWAP_FREE)) && !irq) {
			if (b & IN_IRQ_ENTRY)
				irq = true;
			else if (b & IN_SPIN_SLOW)
				m |= SD_M_SPIN_LOCK | SD_M_SPIN_SLOW;
			else if (b & IN_SPIN_ACQUIRE) {
				m |= SD_M_SPIN_LOCK;
				lock_at = i;
			}
		}
		if (b & IN_FORK_COPY)
			m |= SD_M_FORK_COPY;
		else if ((m & SD_M_FORK_COPY) && (b & IN_SWAP_DUP))
			m |= SD_M_SWAP_DUP;
		if (b & IN_TEARDOWN)
			m |= SD_M_TEARDOWN;
		else if ((m & SD_M_TEARDOWN) && (b & IN_SWAP_FREE))
			m |= SD_M_SWAP_FREE;
		if (b & IN_EXEC_REPLACE)
			m |= SD_M_EXEC_REPLACE;
		if (b & (IN_EXEC_LOCK_READERS | IN_MM_READERS |
			 IN_EXEC_MUTEX_READERS))
			mutex_reader = b & (IN_EXEC_LOCK_READERS |
					    IN_EXEC_MUTEX_READERS);
		if (b & IN_EXEC_LOCK_READERS)
			reader = EXEC;
		else if (b & IN_MM_READERS)
			reader = MM;
		if (b & IN_RWSEM_READ_SLOW) {
			m |= SD_M_RWSEM_READ;
			if (reader == EXEC)
				m |= SD_M_EXEC_LOCK;
			else if (reader == MM)
				m |= SD_M_MM_READER;
		} else if ((b & IN_MUTEX_SLOW) && mutex_reader) {
			m |= SD_M_EXEC_LOCK;
		}
	}
	/* the innermost frame is the acquire frame itself: spinning there
	 * on ticket-lock kernels (the caller decides by era) */
	if ((m & SD_M_SPIN_LOCK) && !(m & SD_M_SPIN_SLOW) &&
	    lock_at == si->nr_frames - 1)
		m |= SD_M_SPIN_LEAF;
	return m;
}
