/* SPDX-License-Identifier: MIT */
/*
 * One analysis run: the whole pipeline (reader -> machine -> stacks ->
 * symbols) over one input, as a library call, so that the tool, the tests,
 * the fuzzers and the benchmarks drive exactly the same code.
 */
#ifndef SWAPDIAG_ANALYSIS_H
#define SWAPDIAG_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>
#include <swapdiag/machine.h>
#include <swapdiag/reader.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>
#include <swapdiag/unwind.h>

struct sd_host; /* swapdiag/bundle.h */
struct sd_perf_archive; /* swapdiag/bundle.h */

struct sd_analysis_opts {
	const char *path;       /* file, or "-" for stdin ... */
	const void *buf;        /* ... or a buffer (path then only names it) */
	size_t len;
	unsigned reader_flags;  /* SD_READER_* */
	struct sd_symbol_opts symbols;
	bool no_symbols;        /* skip symbol lookup (fuzzing) */
	/* called now and then while reading: bytes done, total (0 unknown) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	/* the recorded host's context, from a bundle (may be NULL); not
	 * owned, must outlive the analysis */
	const struct sd_host *host;
	/*
	 * A perf archive of the recording (may be NULL; not owned): its
	 * files are symbol sources before the build-id cache.  An archive
	 * with none of the recording's build-ids is not used, with a
	 * message; when archive_named (the user named it), that is an error
	 * (-SD_E_BUILD_ID_MISMATCH) as soon as the recording's build-ids are
	 * known.  archive_path names it in messages.
	 */
	const struct sd_perf_archive *archive;
	const char *archive_path;
	bool archive_named;
	/* SD_FOLD_* (stacks.h) the folded output will ask for: PID and TID
	 * keep stacks per thread, ADDRS keeps unresolved addresses */
	unsigned fold_with;
};

struct sd_stalls;

struct sd_analysis {
	/* perf.data input: the reader; text input: NULL, and what the text
	 * said is in the text_* members instead */
	struct sd_reader *reader;
	const char *input_kind; /* "perf.data", "perf-script", "folded",
				 * "perf-report" (sd_text_kind_name()) */
	struct sd_file_info text_info;
	struct sd_reader_stats text_stats;
	struct sd_evsel **text_evsels;
	size_t text_nr_evsels;
	/* perf script text: the event of the first sample whose header ends
	 * in "event:", the one stackcollapse-perf.pl keeps (NULL: none) */
	const struct sd_evsel *text_first_evsel;
	/* perf script text: some sample printed its period (else every
	 * sample weighs 1, and "period" weighting is a count) */
	bool text_periods;
	struct sd_symbolizer *symbolizer; /* NULL with no_symbols */
	struct sd_machine *machine;
	/* user stacks of --call-graph dwarf samples; NULL until one comes */
	struct sd_unwinder *unwinder;
	uint64_t *chain; /* a sample's kernel chain + unwound user frames */
	struct sd_stacks *stacks;
	/* D-state sleeps from sched:sched_switch, in time order (detect) */
	struct sd_stalls *stalls;
	const struct sd_evsel *switch_evsel;
	/* everything that went wrong or was skipped, reader's and symbols' */
	struct sd_diags diags;
	uint64_t samples;
	uint64_t records;
	int read_error; /* 0, or why reading stopped early */
	const struct sd_host *host; /* sd_analysis_opts.host, for reports */
	/* the perf archive that was used (else NULL), for reports */
	const char *archive_path;
};

/*
 * Opens the input and runs the pipeline to the end.  On failure to open or
 * understand the input at all, returns a negative error and, if diags is
 * non-NULL, the reasons in it.  Damage after a good start is no failure:
 * it is in the result's diags and read_error.
 */
int sd_analysis_run(const struct sd_analysis_opts *o, struct sd_diags *diags,
		    struct sd_analysis **out);
struct sd_analysis *sd_analysis_free(struct sd_analysis *a);

/* What the input says about itself, whatever its kind. */
const struct sd_file_info *sd_analysis_info(const struct sd_analysis *a);
const struct sd_reader_stats *sd_analysis_stats(const struct sd_analysis *a);
size_t sd_analysis_nr_evsels(const struct sd_analysis *a);
const struct sd_evsel *sd_analysis_evsel(const struct sd_analysis *a,
					 size_t i);

/* The event a user names (see sd_evsel_match()), or NULL. */
const struct sd_evsel *sd_analysis_find_evsel(const struct sd_analysis *a,
					      const char *name);

/*
 * The event an analysis looks at by default: perf script text, the first
 * event met, as stackcollapse-perf.pl keeps it (text_first_evsel); else
 * the first sampling event that is neither a tracepoint nor "dummy"; else
 * the first event.
 */
const struct sd_evsel *sd_analysis_default_evsel(const struct sd_analysis *a);

/*
 * How a stack weighs in folded output and flame graphs (--weight).  The
 * verdict's shares always weigh by period, as perf report's Overhead.
 */
enum sd_weight {
	SD_WEIGHT_PERIOD,  /* as perf script | stackcollapse-perf.pl adds up:
			    * each sample's period */
	SD_WEIGHT_SAMPLES, /* one per sample */
};

/*
 * The weight of count samples of ev whose periods sum to period.  With
 * SD_WEIGHT_PERIOD that is period, except for a perf.data tracepoint:
 * perf script prints its payload after the event, so stackcollapse-perf.pl
 * sees no period and counts 1 per sample.  (Text input: its stacks carry
 * the script's own weights already.)
 */
uint64_t sd_analysis_weight(const struct sd_analysis *a,
			    const struct sd_evsel *ev, enum sd_weight w,
			    uint64_t count, uint64_t period);

/* What that weight counts: "ns" (cpu-clock, task-clock periods),
 * "events" (other periods), "samples", or "weight" (perf report input,
 * millionths of the samples). */
const char *sd_analysis_weight_unit(const struct sd_analysis *a,
				    const struct sd_evsel *ev,
				    enum sd_weight w);

/* Says it in words: "period (ns)", "period (events)", "samples",
 * "perf report weight". */
const char *sd_analysis_weight_name(const struct sd_analysis *a,
				    const struct sd_evsel *ev,
				    enum sd_weight w);

/* Samples of sampling events other than ev: what --folded of ev leaves
 * out, as stackcollapse-perf.pl's event filter does. */
uint64_t sd_analysis_other_samples(const struct sd_analysis *a,
				   const struct sd_evsel *ev);

#endif
