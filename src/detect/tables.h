/* SPDX-License-Identifier: MIT */
/* Kernel knowledge as data: see tables.c. */
#ifndef SD_DETECT_TABLES_H
#define SD_DETECT_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/detect.h>

/* A kernel function that marks a pattern, and the kernels it is seen in. */
struct sd_sig {
	const char *func;
	const char *kernels;
};

struct sd_sig_set {
	const char *what;
	const struct sd_sig *v;
	size_t n;
};

/* Fork: page-table copy of the parent (context) and swap-entry dup. */
extern const struct sd_sig_set sd_fork_copy, sd_swap_dup;
/* Exec/exit: address-space teardown (context) and swap-entry release. */
extern const struct sd_sig_set sd_teardown, sd_swap_free;
/* D-state: the rwsem read slow path, and who was reading what: readers
 * of the mmap_lock, readers of the exec lock (and, before 5.10, the mutex
 * slow path they sleep in); exec's address-space replacement, which holds
 * the exec lock. */
extern const struct sd_sig_set sd_rwsem_read_slow, sd_mm_readers,
	sd_exec_lock_readers, sd_exec_mutex_readers, sd_mutex_slow,
	sd_exec_replace;

/* Spin locks: acquiring one, spinning in the queued slow path, and the
 * interrupt entries that end "the innermost frames" of an interrupted
 * lock acquisition. */
extern const struct sd_sig_set sd_spin_acquire, sd_spin_slow, sd_irq_entry;

/* What is hot (hot.c): kinds of kernel work by characteristic frame, at
 * most SD_MAX_HOT_KINDS (a name's kinds are a bit each, beside the 16 of
 * the matcher's tables in one word: match.c). */
#define SD_MAX_HOT_KINDS 48
struct sd_hot_kind {
	const char *name;
	const struct sd_sig_set *set;
};
extern const struct sd_hot_kind sd_hot_kinds[];
extern const size_t sd_nr_hot_kinds;

/* User space: the C library's fork entries (fork_sites.c). */
extern const struct sd_sig_set sd_fork_entries;

bool sd_sig_has(const struct sd_sig_set *set, const char *func);

/* A kernel era: what its swap lock is and which remedies apply. */
struct sd_era {
	const char *name;     /* "2.6.32 (RHEL 6)", ... */
	int from, to;         /* KERNEL_VERSION-like a*65536+b*256+c */
	const char *lock;     /* the lock taken per swapped PTE */
	bool d_state_is_4;    /* sched_switch prev_state reads 4 for D */
	const char *const *remedies; /* ids into sd_remedies, NULL-ended */
	bool ticket_locks;    /* spin locks spin inside the acquire frame
			       * (x86 ticket locks, before 4.2) */
};

extern const struct sd_era sd_eras[];
extern const size_t sd_nr_eras;
extern const struct sd_remedy sd_remedies[];
extern const size_t sd_nr_remedies;

/* A frame name that dates a kernel: seen in releases from .. to. */
struct sd_era_marker {
	const char *func;
	int from, to; /* as sd_era.from/.to */
};
extern const struct sd_era_marker sd_era_markers[];
extern const size_t sd_nr_era_markers;

const struct sd_remedy *sd_remedy_find(const char *id);


#endif
