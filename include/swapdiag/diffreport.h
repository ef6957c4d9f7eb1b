/* SPDX-License-Identifier: MIT */
/*
 * Rendering a comparison of two diagnoses (swapdiag/diff.h): text (first
 * line the outcome), markdown for a ticket, and JSON with schema
 * swapdiag-diff/1 (swapdiag-report(5)) that embeds both complete
 * swapdiag-report/1 reports.
 */
#ifndef SWAPDIAG_DIFFREPORT_H
#define SWAPDIAG_DIFFREPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/diff.h>

#define SD_DIFF_SCHEMA "swapdiag-diff/1"

/* One side of a comparison. */
struct sd_diff_side {
	const struct sd_analysis *a;
	const struct sd_diagnosis *d;
	const char *path;
};

int sd_report_diff_text(FILE *out, const struct sd_diff *df,
			const struct sd_diff_side *before,
			const struct sd_diff_side *after);
int sd_report_diff_markdown(FILE *out, const struct sd_diff *df,
			    const struct sd_diff_side *before,
			    const struct sd_diff_side *after);
int sd_report_diff_json(FILE *out, const struct sd_diff *df,
			const struct sd_diff_side *before,
			const struct sd_diff_side *after);

#endif
