/* SPDX-License-Identifier: MIT */
/*
 * The one pipeline driver.  Both sources (records.c for perf.data, text.c
 * for text) hand their samples here: its stack goes into the stacks stage
 * (a raw chain interned, or named frames), and what it says about its task
 * into the stall tracker (detect): a sched_switch's switch, a lock
 * contention, or that the task ran at that time.  records.c does the same
 * for a plain sample itself (the stacks stage, then the tracker's
 * sd_stalls_seen() once the tracker has anything to hear), without
 * building a struct sd_drive_sample: keep the two in step.
 */
#include <swapdiag/stalls.h>

#include "analysis/internal.h"

int sd_drive(struct sd_analysis *a, const struct sd_drive_sample *s,
	     uint32_t *stack_out)
{
	uint32_t stack;
	int err = s->raw ? sd_stacks_add(a->stacks, s->raw, &stack)
			 : sd_stacks_add_named(a->stacks, s->named, &stack);

	if (err)
		return err;
	if (stack_out)
		*stack_out = stack;
	if (s->is_switch) {
		a->switch_evsel = s->ev;
		if (s->has_switch && s->timed)
			err = sd_stalls_switch(a->stalls, s->time, s->pid,
					       s->tid, s->prev_d, s->next_tid,
					       stack, s->comm);
		/* --off-cpu: every switch-out is a sleep to pair */
		if (!err && s->has_switch && s->timed && a->offcpu_track)
			err = sd_stalls_switch(a->offcpu_track, s->time, s->pid,
					       s->tid, true, s->next_tid, stack,
					       s->comm);
	} else if (s->timed) {
		err = sd_stalls_seen(a->stalls, s->pid, s->tid, stack,
				     s->time);
		if (!err && a->offcpu_track) {
			err = sd_stalls_seen(a->offcpu_track, s->pid, s->tid,
					     stack, s->time);
			/* --off-cpu pairs switches only: no run log */
			a->offcpu_track->nruns = 0;
		}
		if (!err && s->has_lock)
			err = sd_stalls_contention(a->stalls, s->time, s->pid,
						   s->tid, stack, s->lock,
						   s->lock_flags, s->lock_begin);
	}
	if (!err)
		a->samples += s->count;
	return err;
}
