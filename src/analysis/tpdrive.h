/* SPDX-License-Identifier: MIT */
/*
 * The samples of the sample loop (records.c) that go through the driver
 * (drive.c) rather than straight into the stacks stage: tracepoints the
 * stall tracker reads (sched_switch, lock contention), their payloads
 * decoded here, and every sample under --off-cpu.
 */
#ifndef SD_ANALYSIS_TPDRIVE_H
#define SD_ANALYSIS_TPDRIVE_H

#include <swapdiag/stacks.h>
#include <swapdiag/tracepoint.h>

#include "analysis/internal.h"

/* What the driver does with an event's samples. */
enum ev_kind { EVK_OTHER, EVK_SWITCH, EVK_LOCK_BEGIN, EVK_LOCK_END };

/* sched_switch decoding: set up on the first sched_switch sample, since in
 * pipe mode the tracing data arrives as a record. */
struct switch_state {
	bool tried;
	bool ok;
	struct sd_tracepoints *tp;
	struct sd_sched_switch_fmt fmt;
	const struct sd_era *era;
	uint64_t bad;
};

/* lock:contention_begin / contention_end (5.19+): the contended lock's
 * address per task, for the stall tracker.  Fields from the file's own
 * format: lock_addr (void *), flags (unsigned int, begin only). */
struct lock_state {
	bool tried[2], ok[2];
	struct sd_tp_field addr[2], flags;
	uint64_t bad;
};

/* The decoders' state over a run of the loop; zeroed to start. */
struct tp_drive {
	struct switch_state sw;
	struct lock_state ls;
};

/* Sample rec (of an event of that kind, its stack sample s) through the
 * driver with what its payload says.  0, or a negative error. */
int sd_tp_drive(struct sd_analysis *a, struct tp_drive *t,
		const struct sd_record *rec, const struct sd_stack_sample *s,
		enum ev_kind kind);
/* Frees what the decoders set up. */
void sd_tp_drive_fini(struct tp_drive *t);

#endif
