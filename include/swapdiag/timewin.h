/* SPDX-License-Identifier: MIT */
/*
 * Time windows in perf's --time syntax (perf script, perf report):
 *   START,STOP [START,STOP ...]  seconds.nanoseconds of the recording's
 *                                clock (perf script's time column); either
 *                                end may be empty (open); several windows
 *                                separated by spaces, in order, apart
 *   A%-B%[,C%-D%...]             percent of the span from the first to the
 *                                last sample
 *   P%/N[,P%/M...]               the Nth slice of P percent
 *   P%                           the first slice of P percent
 * Bounds are inclusive, as perf's; a percent window's end is moved one
 * nanosecond back unless it is the last sample's time, so that windows
 * meeting at a percentage (0%-50%,50%-100%) share no sample.  A sample
 * without a time (0) is never skipped, as in perf.
 */
#ifndef SWAPDIAG_TIMEWIN_H
#define SWAPDIAG_TIMEWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SD_MAX_TIME_WINDOWS 64

struct sd_time_window {
	uint64_t start, end; /* ns, inclusive; 0: open at that end */
	double pct_start, pct_end; /* percent windows: 0..1 (else unused) */
};

struct sd_time_filter {
	const char *spec;  /* what the user gave (not owned) */
	bool percent;      /* needs the first and last sample times */
	bool resolved;     /* start/end are times (percent: after resolve) */
	uint64_t first, last; /* the span percentages refer to */
	size_t n;
	struct sd_time_window w[SD_MAX_TIME_WINDOWS];
};

/*
 * Parses spec into f.  Returns 0, or -EINVAL with why (a sentence that
 * says what is wrong) written to why[0..len).
 */
int sd_time_parse(const char *spec, struct sd_time_filter *f, char *why,
		  size_t len);

/* Turns percent windows into times over [first, last] (ns). */
void sd_time_resolve(struct sd_time_filter *f, uint64_t first, uint64_t last);

/* Whether a sample at time t (ns; 0 = none) is inside the windows. */
bool sd_time_keep(const struct sd_time_filter *f, uint64_t t);

#endif
