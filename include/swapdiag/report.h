/* SPDX-License-Identifier: MIT */
/*
 * Reports: what the user reads.  These functions compute nothing; they
 * format what the analysis found.  They write to a FILE and return 0 or a
 * negative errno (-EIO when the stream failed).
 */
#ifndef SWAPDIAG_REPORT_H
#define SWAPDIAG_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <swapdiag/analysis.h>
#include <swapdiag/reader.h>

/* Folded stacks of one event, "comm;root;...;leaf count" per line. */
int sd_report_folded(FILE *out, struct sd_analysis *a,
		     const struct sd_evsel *ev);

/* What the file says about itself (--headers), from an opened reader that
 * has been read to the end (for sample counts). */
int sd_report_headers(FILE *out, struct sd_reader *r, const char *path);

#endif
