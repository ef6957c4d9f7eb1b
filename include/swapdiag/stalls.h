/* SPDX-License-Identifier: MIT */
/*
 * The stall tracker (detect stage): D-state sleeps from sched:sched_switch samples, fed
 * in time order by the analysis driver.  A sleep starts when a task
 * switches out in D state (the sample's call chain is the sleeping task's)
 * and ends at the next switch that names it as next_pid.  If the task is
 * seen running before that (another sample of it), the switch-in was not
 * recorded and the duration is unknown.
 *
 * With lock:contention_begin/end in the recording (5.19+), a sleep also
 * gets the address of the lock the task was contending for when it went
 * to sleep, and contention for write is logged with its task: that ties a
 * lock object to a task that owns or takes it.  While any sleep is open,
 * and for SD_RELEASE_NS after one ends, every other sample (task, stack,
 * time) is logged too, so that the findings can name who ran - and held
 * the lock - during the sleeps.
 */
#ifndef SWAPDIAG_STALLS_H
#define SWAPDIAG_STALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SD_MAX_STALLS (1u << 20) /* sleeps kept one by one */
#define SD_MAX_RUNS (1u << 21)   /* samples logged during open sleeps */
#define SD_MAX_LOCK_WRITES (1u << 18)

/* Samples are logged this long after a sleep ends too: a lock holder is
 * told apart from other busy tasks by not going on right after it. */
#define SD_RELEASE_NS 2000000ull /* 2 ms */

/* lock:contention_begin flags (include/trace/events/lock.h, LCB_F_*) */
#define SD_LCB_F_READ (1u << 1)
#define SD_LCB_F_WRITE (1u << 2)

struct sd_stall {
	uint64_t t_out, t_in; /* t_in 0: no switch-in recorded */
	uint64_t t_seen;      /* no switch-in: seen running again then (0: not) */
	uint64_t lock;        /* the contended lock's address; 0 unknown */
	uint32_t pid, tid;
	uint32_t stack;       /* the sched_switch sample's stack id */
	uint32_t comm;        /* the machine's comm id */
	bool open;
};

/* A sample taken while some sleep was open: that task ran then. */
struct sd_run {
	uint64_t time;
	uint32_t pid, tid, stack;
};

/* A lock:contention_begin for write: that task takes (or owns) the lock. */
struct sd_lock_write {
	uint64_t time, lock;
	uint32_t pid, tid, stack;
};

/* tid -> non-zero value, open addressing with deletion by backward shift */
struct sd_tidmap {
	uint32_t *keys;
	uint64_t *vals;
	size_t nslots, n;
};

struct sd_stalls {
	struct sd_stall *v;
	size_t n, cap;
	uint64_t dropped;     /* D sleeps beyond SD_MAX_STALLS */
	uint64_t d_switches;  /* all D-state switch-outs seen */
	struct sd_tidmap open;    /* tid -> index of its open sleep + 1 */
	struct sd_tidmap waiting; /* tid -> lock of its open contention */
	struct sd_run *runs;
	size_t nruns, capruns;
	uint64_t log_until; /* log samples until then (SD_RELEASE_NS) */
	uint64_t runs_dropped;
	struct sd_lock_write *writes;
	size_t nwrites, capwrites;
	uint64_t contention_events; /* lock:contention_begin/end decoded */
};

void sd_stalls_init(struct sd_stalls *s);
void sd_stalls_fini(struct sd_stalls *s);
/* A sched_switch: prev (the sample's pid/tid) leaves, in D state or not;
 * next_tid comes in. */
int sd_stalls_switch(struct sd_stalls *s, uint64_t time, uint32_t pid,
		     uint32_t tid, bool prev_d, uint32_t next_tid,
		     uint32_t stack, uint32_t comm);
/* Any other sample of tid at time, with its stack: it is running.  With
 * nobody asleep and no run to log (the common sample) it returns at
 * once, without a call. */
int sd_stalls_seen_slow(struct sd_stalls *s, uint32_t pid, uint32_t tid,
			uint32_t stack, uint64_t time);
static inline int sd_stalls_seen(struct sd_stalls *s, uint32_t pid,
				 uint32_t tid, uint32_t stack, uint64_t time)
{
	if (!s->open.n && time > s->log_until)
		return 0;
	return sd_stalls_seen_slow(s, pid, tid, stack, time);
}
/* lock:contention_begin (begin) or contention_end of tid on lock. */
int sd_stalls_contention(struct sd_stalls *s, uint64_t time, uint32_t pid,
			 uint32_t tid, uint32_t stack, uint64_t lock,
			 unsigned flags, bool begin);

#endif
