/* SPDX-License-Identifier: MIT */
/*
 * Reports: what the user reads.  These functions compute nothing; they
 * format what the analysis and the diagnosis found.  They write to a FILE
 * and return 0 or a negative errno (-EIO when the stream failed).
 */
#ifndef SWAPDIAG_REPORT_H
#define SWAPDIAG_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/reader.h>

#define SD_REPORT_SCHEMA "swapdiag-report/1"

/* Options of the folded output; zeroes (or o NULL) mean the defaults. */
struct sd_folded_opts {
	enum sd_weight weight; /* default: period, as stackcollapse-perf.pl */
	unsigned with;         /* SD_FOLD_* annotations (--folded-with) */
};

/* Folded stacks of one event, "comm;root;...;leaf weight" per line. */
int sd_report_folded(FILE *out, struct sd_analysis *a,
		     const struct sd_evsel *ev, const struct sd_folded_opts *o);

/* Options of the flame graph; zeroes (or o NULL) mean the defaults. */
struct sd_svg_opts {
	unsigned width;    /* pixels; default 1200 */
	double min_width;  /* frames narrower than this many pixels are drawn
			    * as one "narrow frames" box per caller; 0.1 */
	size_t max_frames; /* at most this many frames of their own (the
			    * widest); default 20000 */
	const char *title; /* default: the verdict */
	enum sd_weight weight; /* frame widths; default: period, as the
				* verdict's shares */
	/*
	 * A differential flame graph (swapdiag diff --svg): the graph drawn
	 * is the one of the call (AFTER), each frame coloured by the change
	 * of its share of all samples since before_ev of before (red: grew,
	 * blue: shrank, as flamegraph.pl's differential mode); frames that
	 * vanished have no width to draw.  NULL: a plain flame graph.
	 */
	struct sd_analysis *before;
	const struct sd_evsel *before_ev;
};

/*
 * An interactive flame graph of one event's folded stacks (the lines
 * sd_report_folded() prints): one SVG with its style and script inline,
 * nothing loaded from elsewhere.  d (may be NULL) gives the title, and the
 * frames its findings matched are coloured from its per-frame marks
 * (sd_diagnosis.marks: swap-entry work on the on-CPU event, mmap_lock and
 * exec lock waits on sched_switch).
 */
int sd_report_svg(FILE *out, struct sd_analysis *a, const struct sd_evsel *ev,
		  const struct sd_diagnosis *d, const char *path,
		  const struct sd_svg_opts *o);

/* What the file says about itself (--headers), from an opened reader that
 * has been read to the end (for sample counts). */
int sd_report_headers(FILE *out, struct sd_reader *r, const char *path);

/* The verdict for a person: first line the verdict, then each finding,
 * remedies and notes.  color: ANSI colours for a terminal. */
int sd_report_text(FILE *out, const struct sd_analysis *a,
		   const struct sd_diagnosis *d, const char *path, bool color);

/* The same verdict as a ticket comment in Markdown (--format markdown):
 * a heading with the verdict, a table of the findings, each hot path as a
 * code block, the remedies and notes as lists. */
int sd_report_markdown(FILE *out, const struct sd_analysis *a,
		       const struct sd_diagnosis *d, const char *path);

/* The JSON report (schema swapdiag-report/1, swapdiag-report(5)). */
int sd_report_json(FILE *out, const struct sd_analysis *a,
		   const struct sd_diagnosis *d, const char *path);

/* A JSON error document for --json when the input could not be analysed. */
int sd_report_json_error(FILE *out, const char *path, int err,
			 const struct sd_diags *why);

#endif
