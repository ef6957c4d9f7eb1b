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

#include <swapdiag/detect.h>
#include <swapdiag/error.h>
#include <swapdiag/input.h>
#include <swapdiag/machine.h>
#include <swapdiag/reader.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>
#include <swapdiag/timewin.h>
#include <swapdiag/unwind.h>

struct sd_host; /* swapdiag/bundle.h */
struct sd_perf_archive; /* swapdiag/bundle.h */
struct sd_bundle_input; /* swapdiag/bundle.h */
struct sd_fork_note;    /* a FORK record noted while reading */

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
	/* --time: only samples inside these windows are analysed (NULL:
	 * all); percent windows are resolved here (swapdiag/timewin.h) */
	const struct sd_time_filter *time;
	/* --off-cpu: pair every sched_switch switch-out with its switch-in
	 * (see sd_analysis_off_cpu()) */
	bool off_cpu;
};

/*
 * Time off CPU per switch-out stack of sched:sched_switch: from each
 * switch-out to the next switch that names the task as next_pid.  A task
 * seen running before that (another sample of it, or its own next
 * switch-out) lost its switch-in record, and one never switched in again
 * before the end of the recording has no end: both are counted here and
 * weigh nothing, as the report leaves such D-state sleeps out of its
 * blocked times.  The idle task (tid 0) is not counted.
 */
struct sd_offcpu {
	uint64_t *ns;          /* per stack id */
	size_t n;
	uint64_t switch_outs;  /* tracked (tid != 0) */
	uint64_t paired;       /* with their switch-in: in ns[] */
	uint64_t no_switch_in; /* seen running again without one */
	uint64_t still_off;    /* not switched in before the end */
	uint64_t dropped;      /* beyond the tracker's limit */
	uint64_t total_ns;
};

struct sd_stalls;


struct sd_analysis {
	/* perf.data input: the reader; text input: NULL, and what the text
	 * said is in the text_* members instead */
	struct sd_reader *reader;
	/* what sd_input_sniff() found: SD_INPUT_PERF_FILE or _PIPE with
	 * the reader, a text kind without (sd_input_kind_name() gives the
	 * JSON input.mode string) */
	enum sd_input_kind input_kind;
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
	/* --time: the windows, resolved to times (time.n == 0: none), and
	 * the samples left out for lying outside them */
	struct sd_time_filter time;
	uint64_t time_skipped;
	/* first and last time of the samples analysed (ns; 0: none) */
	uint64_t first_time, last_time;
	/* --off-cpu (sd_analysis_opts.off_cpu): every switch-out, then the
	 * times per stack (sd_analysis_off_cpu()) */
	struct sd_stalls *offcpu_track;
	struct sd_offcpu offcpu;
	bool off_cpu_weights; /* folded lines weigh ns off CPU */
	/* new processes between the first and the last sample analysed
	 * (and inside the --time windows), by forker, sorted by comm id,
	 * pid and executable; the FORK records are noted while reading
	 * (fork_notes) and counted once the samples' span is known */
	uint64_t forks;
	struct sd_forker_count *forkers;
	size_t nr_forkers;
	struct sd_fork_note *fork_notes;
	size_t nr_fork_notes, fork_notes_cap;
	/* perf script text with FORK lines (--show-task-events): its forks
	 * are known, as a perf.data file's */
	bool text_forks;
	/* sampled kernel IPs kept for the kernel symbol check (kverify.c) */
	uint64_t *kernel_ips;
	size_t nr_kernel_ips;
	/* the perf archive that was used (else NULL), for reports */
	const char *archive_path;
	/* a bundle given as the input: opened here, its temporary files
	 * removed by sd_analysis_free() (else NULL) */
	struct sd_bundle_input *bundle;
};

/*
 * What kind of input starts with head[0..len): perf.data in file or pipe
 * mode (either byte order; a prefix of its magic counts, so that a cut
 * file is still perf.data), a tar or zstd archive (a bundle), or one of
 * the text kinds (swapdiag/textin.h, sd_text_detect()); SD_INPUT_UNKNOWN
 * for anything else.  Give it SD_INPUT_SNIFF_BYTES or the whole input:
 * the text rules judge the first 64 KiB and need to know whether more
 * follows.  sd_analysis_run() sniffs every input with it, once, and
 * dispatches on the kind.
 */
#define SD_INPUT_SNIFF_BYTES (64 * 1024 + 1)
enum sd_input_kind sd_input_sniff(const void *head, size_t len);

/*
 * Opens the input, sniffs its kind (sd_input_sniff(); a file or stream is
 * looked at without consuming it) and runs the pipeline to the end on it:
 * perf.data through the reader, text through its parser (textin), both
 * into the same driver -> machine -> stacks -> stall tracker.  A bundle
 * file (from 'swapdiag record') is opened with sd_bundle_input_open() and
 * its perf.data analysed with what travels with it -- its kallsyms unless
 * opts name kallsyms or a vmlinux, its host context unless opts.host, its
 * --with-dsos files unless opts.archive; its temporary files go with
 * sd_analysis_free().  The library installs no signal handler: a caller
 * that may die of a signal opens the bundle itself, as the swapdiag tool
 * does, and passes its perf.data.  A bundle in a buffer or on standard
 * input, and any other archive, is refused (-SD_E_BAD_MAGIC, why in
 * diags).  On failure to open or
 * understand the input at all, returns a negative error and, if diags is
 * non-NULL, the reasons in it.  Damage after a good start is no failure:
 * it is in the result's diags and read_error.
 */
int sd_analysis_run(const struct sd_analysis_opts *o, struct sd_diags *diags,
		    struct sd_analysis **out);
struct sd_analysis *sd_analysis_free(struct sd_analysis *a);

/* Runs the detectors (swapdiag/detect.h) over a finished analysis. */
int sd_diagnose(struct sd_analysis *a, struct sd_diagnosis **out);

/* What the input says about itself, whatever its kind. */
const struct sd_file_info *sd_analysis_info(const struct sd_analysis *a);
const struct sd_reader_stats *sd_analysis_stats(const struct sd_analysis *a);
size_t sd_analysis_nr_evsels(const struct sd_analysis *a);
const struct sd_evsel *sd_analysis_evsel(const struct sd_analysis *a,
					 size_t i);

/*
 * Where the kernel symbols came from and whether they belong to the
 * recorded kernel (checked at the end of sd_analysis_run()).  Text input:
 * source "none", its frames were named by the text.
 */
const struct sd_kernel_symbols *
sd_analysis_kernel_symbols(const struct sd_analysis *a);

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
 * Makes --folded and --svg of ev weigh each switch-out stack by its time
 * off CPU (ns; a->offcpu).  ev must be sched:sched_switch recorded with
 * every switch (period 1, not frequency-sampled) in a run with
 * opts.off_cpu.  0, or a negative error with why (what is wrong and what
 * to do) in why[0..n).
 */
int sd_analysis_off_cpu(struct sd_analysis *a, const struct sd_evsel *ev,
			char *why, size_t n);

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
