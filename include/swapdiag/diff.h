/* SPDX-License-Identifier: MIT */
/*
 * Comparing two diagnoses (swapdiag diff BEFORE AFTER): per finding, the
 * change and whether it is more than noise; the outcome over all of them.
 *
 * Noise margin.  An on-CPU finding's share p is measured from N samples;
 * its standard error is sqrt(p(1-p)/N).  A change of share is significant
 * when |after - before| > 3 * sqrt(pb(1-pb)/Nb + pa(1-pa)/Na) (three
 * standard errors of the difference), each p taken as at least 1/N, so a
 * side without the finding still has the uncertainty of one sample.  A
 * stall finding compares its rate, stalls per second of the recording: a
 * count k over T seconds has the Poisson error sqrt(k)/T, and the change
 * is significant when |ka/Ta - kb/Tb| > 3 * sqrt(kb/Tb^2 + ka/Ta^2) (k at
 * least 1).  Nothing is significant when a side has no samples, and a
 * stall change is not measured (never significant) unless both sides
 * recorded every sched_switch.
 *
 * Outcome: UNKNOWN when either side could not be judged (no kernel
 * symbols); else UNCHANGED when no change is significant, IMPROVED when
 * every significant change is a decrease, WORSE when every one is an
 * increase, MIXED when there are both.
 */
#ifndef SWAPDIAG_DIFF_H
#define SWAPDIAG_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/detect.h>

enum sd_diff_outcome {
	SD_DIFF_UNKNOWN,
	SD_DIFF_UNCHANGED,
	SD_DIFF_IMPROVED,
	SD_DIFF_WORSE,
	SD_DIFF_MIXED,
};

/* "UNKNOWN", "UNCHANGED", "IMPROVED", "WORSE", "MIXED" */
const char *sd_diff_outcome_name(enum sd_diff_outcome o);

struct sd_change {
	enum sd_finding_kind kind;
	const struct sd_finding *before, *after; /* NULL: not found there */
	bool rate;          /* stall finding: stalls/s compared, not shares */
	/* a side could not measure it (stall findings: sched_switch not
	 * recorded, or frequency-sampled, there): never significant */
	bool unmeasured;
	bool measured_before, measured_after;
	/* on-CPU findings: forks of the whole recording per second, and the
	 * finding's CPU milliseconds per fork (NAN: unknown -- text input,
	 * no forks, or an event whose period is not time) */
	double forks_per_s[2], ms_per_fork[2]; /* [0] before, [1] after */
	double value_before, value_after; /* share (0..1) or stalls/s */
	double delta;       /* after - before */
	double margin;      /* the noise margin of delta (see above) */
	bool significant;
	int direction;      /* -1 less (better), 0 not significant, +1 more */
	enum sd_level level; /* the higher of the two sides' levels */
	/* processes (comms, among each side's listed ones) only after /
	 * only before: the cost moved */
	const char **appeared, **disappeared;
	size_t nr_appeared, nr_disappeared;
};

struct sd_diff {
	enum sd_diff_outcome outcome;
	struct sd_change *changes; /* in finding-kind order */
	size_t nr_changes;
	/* the highest level among significant worsenings (SD_LEVEL_NONE:
	 * none): what a regression gate judges */
	enum sd_level worse_level;
	double duration_before, duration_after; /* s, 0 unknown */
	/* the fork and exec swap-entry shares together (what the severity
	 * judges, sd_diagnosis.swap_share), with the same noise rule; shown,
	 * not counted again in the outcome */
	double swap_before, swap_after, swap_margin;
	bool swap_significant;
};

int sd_diff_compare(const struct sd_diagnosis *before,
		    const struct sd_diagnosis *after, struct sd_diff **out);
struct sd_diff *sd_diff_free(struct sd_diff *d);

#endif
