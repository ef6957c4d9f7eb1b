/* SPDX-License-Identifier: MIT */
/* Per-frame marks of the findings' patterns (marks.c). */
#ifndef SD_DETECT_MARKS_H
#define SD_DETECT_MARKS_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/detect.h>
#include <swapdiag/stacks.h>

/* Which stacks the findings' patterns are looked for in. */
struct marks_scope {
	unsigned found;       /* 1u << kind of each finding reported */
	const bool *on_cpu;   /* by event index: the on-CPU findings' stacks */
	size_t nr_evsels;
	bool has_switch;      /* the stall findings' stacks: sched_switch's */
	unsigned switch_evsel;
};

/*
 * The marks of every stack in st (struct sd_frame_mark, stack ids
 * ascending, then finding kinds), match the stacks' SD_M_* flags by stack
 * id (NULL: matched here).  *out is malloc'ed (NULL when none).  0 or
 * -ENOMEM.
 */
int make_marks(const struct sd_stacks *st, const unsigned *match,
	       const struct marks_scope *sc, struct sd_frame_mark **out,
	       size_t *nout);

/* d->marks of the findings d reports, on the stacks of a (match: as
 * above). */
int diagnose_marks(const struct sd_detect_input *a, struct sd_diagnosis *d,
		   const unsigned *match);

#endif
