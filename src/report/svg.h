/* SPDX-License-Identifier: MIT */
/* The flame graph, split in two: svg.c builds and lays out the frame tree,
 * svg_write.c writes it as SVG. */
#ifndef SD_REPORT_SVG_H
#define SD_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <swapdiag/report.h>

#define SD_SVG_XPAD 10 /* pixels left and right of the frames */

/* What a finding's pattern makes of a frame, weakest first: a frame that
 * several stacks pass through shows the strongest. */
enum {
	SD_SVG_PAT_NONE,
	SD_SVG_PAT_FORK_CTX,     /* fork page-table copy above swap_duplicate */
	SD_SVG_PAT_TEARDOWN_CTX, /* teardown above free_swap_and_cache */
	SD_SVG_PAT_WAIT,         /* rwsem read slow path of a stalled reader */
	SD_SVG_PAT_SWAP_DUP,     /* swap_duplicate and below */
	SD_SVG_PAT_SWAP_FREE,    /* free_swap_and_cache and below */
};

/* One drawn frame; x and n in the page's weight unit. */
struct sd_svg_frame {
	const char *name; /* not NUL-terminated */
	size_t len;
	uint32_t depth;   /* 0: "all", 1: the process, 2...: the stack */
	uint64_t x, n;
	uint8_t pat;      /* SD_SVG_PAT_* */
	bool kernel, user;
	/* callees narrower than the minimum, drawn as one box at narrow_x */
	uint64_t narrow_x, narrow_n;
	uint32_t narrow_count;
	uint64_t before_n; /* differential graph: this frame's width before */
	size_t parent;    /* index of the caller in the frames; 0 for "all" */
};

struct sd_svg_page {
	unsigned width;
	double min_width;
	size_t max_frames;
	const char *title;
	uint64_t total;       /* weight (in unit) */
	const char *unit;     /* "ns", "events", "samples" (frame titles) */
	const char *weight_name; /* "period (ns)", ... (the subtitle) */
	uint64_t min_samples; /* narrower frames are not drawn on their own */
	size_t hidden;        /* frames not drawn on their own */
	const struct sd_analysis *a;
	const struct sd_evsel *ev;
	const struct sd_diagnosis *d;
	const char *path;
	/* differential graph: the total before, and the largest change of a
	 * drawn frame's share (0..1), which the colours scale to */
	bool diff;
	uint64_t before_total;
	double max_delta;
};

/* Writes the page: frames[0] is "all", callers come before callees. */
int sd_svg_write(FILE *out, const struct sd_svg_page *pg,
		 const struct sd_svg_frame *frames, size_t n);

/* svg.css and svg.js, embedded at build time (embed.py). */
extern const char sd_svg_css[];
extern const char sd_svg_js[];

#endif
