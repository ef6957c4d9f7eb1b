/* SPDX-License-Identifier: MIT */
/*
 * Matching walks the kernel frames from the root to the leaf: a swap frame
 * only counts below its context frame (swap_duplicate under
 * copy_page_range, free_swap_and_cache under unmap_vmas), and a D-state
 * reader only counts above the rwsem read slow path.  Names are compared
 * whole.
 */
#include "detect/match.h"
#include "detect/tables.h"

unsigned sd_match_stack(const struct sd_stacks *st,
			const struct sd_stack_info *si)
{
	unsigned m = 0;
	bool reader = false, execlock = false;

	for (size_t i = 0; i < si->nr_frames; i++) {
		if (!si->frames[i].kernel)
			continue;
		const char *f = sd_stacks_str(st, si->frames[i].name);
		if (sd_sig_has(&sd_fork_copy, f))
			m |= SD_M_FORK_COPY;
		else if ((m & SD_M_FORK_COPY) && sd_sig_has(&sd_swap_dup, f))
			m |= SD_M_SWAP_DUP;
		if (sd_sig_has(&sd_teardown, f))
			m |= SD_M_TEARDOWN;
		else if ((m & SD_M_TEARDOWN) && sd_sig_has(&sd_swap_free, f))
			m |= SD_M_SWAP_FREE;
		if (sd_sig_has(&sd_exec_lock_readers, f))
			execlock = true;
		else if (sd_sig_has(&sd_mm_readers, f))
			reader = true;
		if (sd_sig_has(&sd_rwsem_read_slow, f)) {
			m |= SD_M_RWSEM_READ;
			if (execlock)
				m |= SD_M_EXEC_LOCK;
			else if (reader)
				m |= SD_M_MM_READER;
		}
	}
	return m;
}
