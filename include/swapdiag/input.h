/* SPDX-License-Identifier: MIT */
/*
 * The kinds of input swapdiag reads, as one vocabulary for every stage.
 *
 * Which kind an input is gets decided once, up front, from its first bytes
 * by sd_input_sniff() (swapdiag/analysis.h), and sd_analysis_run()
 * dispatches on it: perf.data to the reader, text to its parser (textin);
 * there is no retrying one reader after another has failed.  This header
 * only names the kinds, so that detect and the reports, which come before
 * and after the analysis stage, speak of them without strings.
 */
#ifndef SWAPDIAG_INPUT_H
#define SWAPDIAG_INPUT_H

#include <stdbool.h>

enum sd_input_kind {
	SD_INPUT_UNKNOWN,     /* none of the below (or empty) */
	SD_INPUT_PERF_FILE,   /* perf.data in file mode ("PERFILE2", either
			       * byte order, header size 104 or more) */
	SD_INPUT_PERF_PIPE,   /* perf.data in pipe mode (the same magic,
			       * header size 16) */
	SD_INPUT_BUNDLE,      /* a tar archive, plain or zstd-compressed:
			       * a 'swapdiag record' bundle (swapdiag/bundle.h) */
	SD_INPUT_PERF_SCRIPT, /* perf script text (with or without --header) */
	SD_INPUT_FOLDED,      /* folded stacks */
	SD_INPUT_PERF_REPORT, /* perf report --stdio text */
};

/*
 * The name reports use for it (the JSON input.mode values): "perf.data"
 * for both perf.data modes, "bundle", "perf-script", "folded",
 * "perf-report"; "unknown".
 */
const char *sd_input_kind_name(enum sd_input_kind k);

/* The kind in words, for reports: "perf.data", "swapdiag bundle",
 * "perf script text", "folded stacks", "perf report text"; "unknown". */
const char *sd_input_kind_title(enum sd_input_kind k);

/* perf.data, file or pipe mode: what the perf.data reader reads. */
static inline bool sd_input_is_perf_data(enum sd_input_kind k)
{
	return k == SD_INPUT_PERF_FILE || k == SD_INPUT_PERF_PIPE;
}

/* One of the text kinds the text parsers read (swapdiag/textin.h). */
static inline bool sd_input_is_text(enum sd_input_kind k)
{
	return k == SD_INPUT_PERF_SCRIPT || k == SD_INPUT_FOLDED ||
	       k == SD_INPUT_PERF_REPORT;
}

#endif
