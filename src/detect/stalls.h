/* SPDX-License-Identifier: MIT */
/*
 * The stall tracker: D-state sleeps from sched:sched_switch samples, fed
 * in time order by the analysis driver.  A sleep starts when a task
 * switches out in D state (the sample's call chain is the sleeping task's)
 * and ends at the next switch that names it as next_pid.  If the task is
 * seen running before that (another sample of it), the switch-in was not
 * recorded and the duration is unknown.
 */
#ifndef SD_DETECT_STALLS_H
#define SD_DETECT_STALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SD_MAX_STALLS (1u << 20) /* sleeps kept one by one */

struct sd_stall {
	uint64_t t_out, t_in; /* t_in 0: no switch-in recorded */
	uint32_t pid, tid;
	uint32_t stack;       /* the sched_switch sample's stack id */
	uint32_t comm;        /* the machine's comm id */
	bool open;
};

struct sd_stalls {
	struct sd_stall *v;
	size_t n, cap;
	uint64_t dropped;     /* D sleeps beyond SD_MAX_STALLS */
	uint64_t d_switches;  /* all D-state switch-outs seen */
	/* tid -> index of its open sleep + 1 */
	uint32_t *keys, *vals;
	size_t nslots, nopen;
};

void sd_stalls_init(struct sd_stalls *s);
void sd_stalls_fini(struct sd_stalls *s);
/* A sched_switch: prev (the sample's pid/tid) leaves, in D state or not;
 * next_tid comes in. */
int sd_stalls_switch(struct sd_stalls *s, uint64_t time, uint32_t pid,
		     uint32_t tid, bool prev_d, uint32_t next_tid,
		     uint32_t stack, uint32_t comm);
/* Any other sample of tid at time: it is running. */
void sd_stalls_seen(struct sd_stalls *s, uint32_t tid, uint64_t time);

#endif
