/* SPDX-License-Identifier: MIT */
/* --off-cpu: the time from each sched_switch switch-out to its switch-in,
 * per stack (swapdiag/analysis.h, struct sd_offcpu). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/stalls.h>

#include "analysis/internal.h"

int sd_analysis_off_cpu(struct sd_analysis *a, const struct sd_evsel *ev,
			char *why, size_t n)
{
	struct sd_offcpu *oc = &a->offcpu;

	if (!a->reader) {
		snprintf(why, n, "--off-cpu needs the sched_switch records of a "
			 "perf.data recording (their times and next_pid); "
			 "this input is %s text",
			 sd_input_kind_name(a->input_kind));
		return -SD_E_UNKNOWN_EVENT;
	}
	if (!sd_is_tp_evsel(ev, "sched_switch")) {
		snprintf(why, n, "--off-cpu weighs sched:sched_switch stacks, "
			 "not '%s': add --event sched:sched_switch (record it "
			 "with -e sched:sched_switch)", ev->name);
		return -SD_E_UNKNOWN_EVENT;
	}
	if (ev->freq || ev->period_or_freq != 1) {
		snprintf(why, n, "sched:sched_switch in this recording is "
			 "sampled (%s %llu%s), not every switch is recorded, so "
			 "the time until a task is switched in again is "
			 "unknown; record it with every switch: perf record -e "
			 "sched:sched_switch -e cpu-clock/freq=999/ -ag (no "
			 "global -F or -c, which sample tracepoints too)",
			 ev->freq ? "frequency" : "period",
			 (unsigned long long)ev->period_or_freq,
			 ev->freq ? " Hz" : "");
		return -SD_E_UNKNOWN_EVENT;
	}
	if (!a->offcpu_track) {
		snprintf(why, n, "the analysis ran without off-CPU tracking "
			 "(sd_analysis_opts.off_cpu)");
		return -EINVAL;
	}
	free(oc->ns);
	memset(oc, 0, sizeof *oc);
	oc->n = sd_stacks_count(a->stacks);
	oc->ns = calloc(oc->n ? oc->n : 1, sizeof *oc->ns);
	if (!oc->ns)
		return -ENOMEM;
	const struct sd_stalls *t = a->offcpu_track;
	oc->switch_outs = t->d_switches;
	oc->dropped = t->dropped;
	for (size_t i = 0; i < t->n; i++) {
		const struct sd_stall *s = &t->v[i];
		if (s->open) {
			oc->still_off++;
		} else if (!s->t_in) {
			oc->no_switch_in++;
		} else {
			oc->paired++;
			oc->total_ns += s->t_in - s->t_out;
			if (s->stack < oc->n)
				oc->ns[s->stack] += s->t_in - s->t_out;
		}
	}
	sd_stacks_set_weights(a->stacks, oc->ns, oc->n);
	a->off_cpu_weights = true;
	return 0;
}
