/* SPDX-License-Identifier: MIT */
/*
 * Detection: which samples show fork-side swap-entry duplication,
 * exec/exit-side swap-entry release, and which D-state sleeps were
 * mmap_lock (or exec_update_lock) stalls; with the numbers behind each
 * finding and the remedies that fit the recorded kernel.
 *
 * The input is the pipeline's product (struct sd_detect_input below); the
 * analysis stage drives the pipeline and calls sd_detect().
 *
 * Kernel knowledge (function names per era, lock kinds, prev_state
 * encodings, remedies) is data in src/detect/tables.c; a new kernel is a
 * new table row.  Nothing here prints.
 */
#ifndef SWAPDIAG_DETECT_H
#define SWAPDIAG_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <swapdiag/error.h>
#include <swapdiag/input.h>
#include <swapdiag/machine.h>
#include <swapdiag/reader.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>

enum sd_finding_kind {
	SD_FIND_SWAP_DUP_FORK,   /* fork copies swap entries (swap_duplicate) */
	SD_FIND_SWAP_FREE_EXEC,  /* exec/exit releases them (free_swap_and_cache) */
	SD_FIND_MMAP_LOCK_STALL, /* /proc readers asleep on a forking mm */
	SD_FIND_EXEC_LOCK_STALL, /* mm_access waiting for an exec's teardown */
	SD_FIND_OTHER_DSTATE,    /* other readers in the rwsem read slow path */
	SD_FIND_FORK_COPY,       /* fork copies a large resident parent's page
				  * tables, no swap entries (an on-CPU finding) */
	SD_FIND_KINDS,
};

enum sd_level {
	SD_LEVEL_NONE,
	SD_LEVEL_INFO,
	SD_LEVEL_WARNING,
	SD_LEVEL_CRITICAL,
};

/* Is it an on-CPU finding (share, processes, paths, context, timeline)
 * rather than a stall finding? */
static inline bool sd_finding_on_cpu(enum sd_finding_kind k)
{
	return k <= SD_FIND_SWAP_FREE_EXEC || k == SD_FIND_FORK_COPY;
}

/*
 * How many of the first frames of fr[0..n) (a stack's, root first) are
 * surely user frames: a multiple of sixteen, 0 for a stack shorter than
 * 24 frames; the first kernel frame is at or after it.  The user part
 * comes before the kernel's: a frame or two on kstorm.data, tens on
 * dso.data (up to 127).  Sixteen frames are looked at a step, their
 * words ORed and the kernel byte tested once (the kernel check and the
 * matcher went a frame at a time: dso -2.4 M instructions); a short
 * stack pays one compare.
 */
static inline size_t sd_user_run(const struct sd_frame *fr, size_t n)
{
	typedef uint64_t pair __attribute__((vector_size(16)));
	_Static_assert(sizeof *fr == 8, "a frame is one 64-bit word");
	const struct sd_frame kf = {.kernel = true};
	uint64_t km; /* the kernel byte's bit in a frame's word */
	size_t i = 0;

	if (n < 24)
		return 0;
	memcpy(&km, &kf, sizeof km);
	for (; i + 16 <= n; i += 16) {
		pair a, b, c, d, e, f, g, h;
		memcpy(&a, fr + i, sizeof a);
		memcpy(&b, fr + i + 2, sizeof b);
		memcpy(&c, fr + i + 4, sizeof c);
		memcpy(&d, fr + i + 6, sizeof d);
		memcpy(&e, fr + i + 8, sizeof e);
		memcpy(&f, fr + i + 10, sizeof f);
		memcpy(&g, fr + i + 12, sizeof g);
		memcpy(&h, fr + i + 14, sizeof h);
		pair o = ((a | b) | (c | d)) | ((e | f) | (g | h));
		if ((o[0] | o[1]) & km)
			break;
	}
	return i;
}

/* "info", "warning", "critical" ("none" for SD_LEVEL_NONE). */
const char *sd_level_name(enum sd_level l);
/* Parses a level name (also "never" = above every level); -EINVAL. */
int sd_level_parse(const char *s, int *level);
/* "swap_dup_fork", ... */
const char *sd_finding_key(enum sd_finding_kind k);

struct sd_process {
	char *comm;
	uint32_t *pids; /* sorted, at most SD_MAX_PIDS_LISTED */
	size_t nr_pids;
	size_t nr_pids_total;
	uint64_t samples;
	double share; /* of all on-CPU samples (period-weighted) */
};

struct sd_path {
	char **frames; /* root first; folded names, kernel and user */
	size_t nr_frames;
	uint64_t samples;
};

/*
 * A forking code path (swap_dup_fork): the user frames of one forker that
 * lead to the C library's fork entry, root first, without it.
 */
struct sd_fork_site {
	char *comm;
	char **frames;  /* root first, up to the caller of entry */
	size_t nr_frames;
	char *entry;    /* the fork entry called: "fork", "_Fork", ... */
	uint64_t samples;
};

/* One executable forking in a swap_dup_fork finding (FORK/COMM/MMAP
 * records): how often, and what each fork cost. */
struct sd_forker {
	char *exe;          /* from the process's MMAP of its binary */
	char *comm;         /* the comm most of its forks were made under */
	uint32_t *pids;     /* forking processes, at most SD_MAX_PIDS_LISTED */
	size_t nr_pids, nr_pids_total;
	uint64_t forks;     /* between the first and the last sample */
	double forks_per_s; /* NAN when the duration is unknown */
	uint64_t samples;   /* the finding's samples in its processes */
	double cpu_ms;      /* their CPU time; NAN unless a clock event */
	double cpu_ms_per_fork; /* cpu_ms / forks; NAN when unknown */
	int64_t swap_kib;   /* largest VmSwap of its forking processes in
			     * the bundle, -1 unknown */
	struct sd_name_count *execs; /* what its children exec'd, most first */
	size_t nr_execs;
};

struct sd_victim {
	char *comm;
	uint32_t pid;
	uint64_t stalls;
	double blocked_ms; /* NAN when durations are unknown */
	double max_ms;
};

/* How a sleep's lock was tied to a holder. */
enum sd_tie {
	SD_TIE_NONE,
	SD_TIE_CONTENTION, /* the task contended for that lock's write side
			    * while copying page tables / replacing its mm */
	SD_TIE_ADDRESS_TIME, /* sleeps grouped by lock address; the task
			      * active (below) during most of them */
	SD_TIE_TIME,         /* no lock address: the task most active during
			      * the sleep */
};

/* "contention", "address+time", "time" ("none"). */
const char *sd_tie_name(enum sd_tie t);

/* A task holding the lock readers waited for: for an mmap_lock stall, a
 * forking task copying page tables; for an exec_lock stall, a task in exec
 * replacing its address space. */
struct sd_holder {
	char *comm;
	uint32_t pid;
	uint64_t samples; /* its holding-activity samples in the windows of
			   * the sleeps tied to it */
	uint64_t stalls;  /* sleeps tied to it */
	enum sd_tie tie;  /* the strongest tie among them */
};

/* The sleeps on one lock object (lock:contention_begin address). */
struct sd_lock_group {
	uint64_t address;
	uint64_t stalls;
	double blocked_ms, max_ms; /* NAN when no wake-up of them is known */
	bool has_holder;
	uint32_t holder_pid;
	char *holder_comm;
	enum sd_tie tie;
};

struct sd_finding {
	enum sd_finding_kind kind;
	enum sd_level level;
	const char *title;
	const char *why;      /* the mechanism, one paragraph */
	/* on-CPU findings */
	double share;
	uint64_t samples;
	struct sd_process *procs;
	size_t nr_procs;
	struct sd_path *paths; /* top paths, most samples first */
	size_t nr_paths;
	const char *context_name; /* e.g. "all fork page-table copying" */
	uint64_t context_samples;
	double context_share;
	/* sums of the sample periods (ns when the diagnosis's period_ns) */
	uint64_t period, context_period;
	double *timeline; /* share per second of the recording */
	size_t nr_timeline;
	/* the time base: timeline[0] is the second that starts here (ns of
	 * the recording's clock, a whole second; 0: no sample times) */
	uint64_t timeline_start;
	/* swap findings: how much of the finding's own weight acquires a
	 * spin lock below the swap-entry frame, and how much of it spins
	 * (queued slow path; on ticket-lock kernels the acquire frame as the
	 * innermost); lock_note says what that means for the remedies */
	double lock_share, lock_contended_share;
	char *lock_note;
	/* swap_dup_fork: who forks, per executable, heaviest first */
	struct sd_forker *forkers;
	size_t nr_forkers;
	/* swap_dup_fork: where the forkers fork, heaviest first */
	struct sd_fork_site *fork_sites;
	size_t nr_fork_sites;
	/* stall findings */
	uint64_t stalls;
	uint64_t stalls_unfinished; /* no switch-in recorded */
	bool durations_known;       /* sched_switch recorded every switch */
	double blocked_ms_total, blocked_ms_max;
	struct sd_victim *victims;
	size_t nr_victims;
	struct sd_holder *holders;
	size_t nr_holders;
	/* lock objects, most sleeps first (lock:contention_begin recorded) */
	bool locks_known;
	struct sd_lock_group *locks;
	size_t nr_locks;       /* listed, at most SD_MAX_LOCKS */
	size_t nr_locks_total; /* distinct lock addresses */
	uint64_t stalls_tied;  /* sleeps tied to a holder */
};

struct sd_remedy {
	const char *id;
	const char *text;
};

/* What a remedy is for and why it was chosen (sd_diagnosis.fits). */
struct sd_remedy_fit {
	char **applies_to;     /* the executables (or comms) it is for */
	size_t nr_applies_to;
	char *because;         /* the facts it stands on, one sentence */
};

/* What is hot, whatever the findings (hot.c). */
struct sd_hot_proc {
	char *comm;
	char *exe;   /* NULL: not known */
	uint64_t samples;
	double share; /* of all on-CPU weight */
};

/* One kind of kernel work ("fork page-table copying", "reclaim and
 * compaction", ...): the samples with any of its characteristic frames
 * (inclusive: a sample counts in every kind it shows). */
struct sd_hot_path {
	const char *name;
	char **frames;   /* its heaviest kernel path, root first, up to the
			  * deepest characteristic frame */
	size_t nr_frames;
	uint64_t samples;
	double share;
};

/*
 * Which frames of a stack a finding's pattern covers, so that a report
 * colours frames without matching anything itself.  Frame indexes are the
 * stack's (sd_stacks_get(), root first): frames [context, match) are the
 * finding's context around its pattern (the fork page-table copy above
 * swap_duplicate, the address-space teardown above free_swap_and_cache;
 * none for stall findings, context == match), frames [match, nr_frames)
 * the pattern's first frame and everything it called.
 */
struct sd_frame_mark {
	uint32_t stack;               /* stack id (sd_stacks_get()) */
	enum sd_finding_kind finding; /* the reported finding that matched */
	uint32_t context;             /* first frame of the context */
	uint32_t match;               /* first frame of the pattern */
};

#define SD_MAX_HOT 8

struct sd_diagnosis {
	/* the highest finding's, or the swap-entry work's combined level
	 * (swap_level) if that is higher */
	enum sd_level level;
	/* Nothing could be judged (the verdict says why): the severity is
	 * UNKNOWN whatever level says, and the tool exits 2. */
	bool unknown;
	char *verdict;       /* one line; its first word is the severity */
	const char *on_cpu_event;
	uint64_t on_cpu_samples;
	double duration_s;
	const char *era;      /* kernel era name, e.g. "4.11 - 6.13" */
	const char *lock;     /* what the swap lock is in that era */
	/* where the era comes from: "recording" (its OSRELEASE), "frames"
	 * (inferred from kernel frame names, era_evidence lists them), or
	 * NULL (no era) */
	const char *era_source;
	char *era_evidence;
	/* The input is cut or damaged: one sentence saying where and what
	 * was lost (NULL when it is whole); damage_offset the byte offset
	 * (UINT64_MAX unknown).  Reports put it in their first lines. */
	char *damage;
	uint64_t damage_offset;
	/* The swap-entry work is one pathology: the fork and exec sides'
	 * findings' shares summed, and the level of that sum. */
	double swap_share;
	enum sd_level swap_level;
	struct sd_finding *findings;
	size_t nr_findings;
	const struct sd_remedy **remedies;
	struct sd_remedy_fit *fits; /* parallel to remedies */
	/* where the CPU went: top processes and kinds of kernel work,
	 * heaviest first, at most SD_MAX_HOT each */
	struct sd_hot_proc *hot_procs;
	size_t nr_hot_procs;
	struct sd_hot_path *hot_paths;
	size_t nr_hot_paths;
	size_t nr_remedies;
	/* notes: what could not be judged and how to record it */
	char **notes;
	size_t nr_notes;
	bool switch_recorded;   /* sched_switch present */
	bool switch_sampled;    /* ... but frequency-sampled */
	/* Most kernel frames could not be named (no kernel symbols for the
	 * recorded kernel): nothing can be judged; the verdict says so. */
	bool kernel_unnamed;
	double kernel_named_share; /* of kernel frames, sample-weighted */
	/* the on-CPU event is a clock (cpu-clock, task-clock): its sample
	 * periods are nanoseconds of CPU time */
	bool period_ns;
	/* new processes between the first and the last sample (and inside
	 * the --time windows), by the forking comm, most first (comms belong
	 * to the analysis) */
	bool forks_known; /* FORK records were read (perf.data, perf
			   * script text with --show-task-events) */
	uint64_t forks;
	struct sd_fork_count {
		const char *comm;
		uint64_t forks;
		size_t nr_pids; /* forking processes of that comm */
	} *forkers;
	size_t nr_forkers;
	/* The kernel symbols do not belong to the recorded kernel (and
	 * --kallsyms-unchecked was not given): no findings, verdict UNKNOWN;
	 * the evidence is the analysis' (sd_analysis_kernel_symbols()). */
	bool kernel_symbols_wrong;
	const char *kernel_symbols_evidence;
	/* ... but --kallsyms-unchecked: analysed anyway, the verdict and a
	 * note say so */
	bool kernel_symbols_unchecked;
	/*
	 * Per-frame marks of the reported findings' patterns, by stack id
	 * ascending (one per stack and finding that matched it; a stack no
	 * finding matched has none): swap_dup_fork and swap_free_exec on the
	 * stacks of the on-CPU event (and of events of the same name),
	 * mmap_lock_stall and exec_lock_stall (rwsem read slow path) on
	 * sched_switch's.  sd_diagnosis_marks() finds a stack's.
	 */
	struct sd_frame_mark *marks;
	size_t nr_marks;
};

#define SD_MAX_PIDS_LISTED 32
#define SD_MAX_PATHS 5
#define SD_MAX_FORK_SITES 10
#define SD_MAX_PROCS 10
#define SD_MAX_LOCKS 10

/*
 * The report's severity, the verdict's first word in lower case:
 * "unknown" (d->unknown), "ok" (no finding), "info", "warning",
 * "critical".
 */
const char *sd_severity_name(const struct sd_diagnosis *d);

/* New processes (FORK records with pid != ppid, not perf's synthesized
 * ones at time 0, between the first and the last sample), by the forking
 * process (comm, pid, and the executable it ran at the fork). */
struct sd_forker_count {
	uint32_t comm;   /* the machine's comm id */
	uint32_t pid;
	const char *exe; /* the machine's string; NULL: not known */
	uint64_t forks;
};

struct sd_stalls; /* swapdiag/stalls.h */
struct sd_host;   /* swapdiag/bundle.h */

/*
 * What the detectors judge: the product of one pipeline run (reader or
 * text parser -> machine -> stacks, the stall tracker fed on the way), as
 * the analysis stage hands it over (sd_diagnose() in swapdiag/analysis.h
 * fills it from a finished struct sd_analysis).  Nothing is owned; it all
 * must outlive the diagnosis, which points into the machine's comms and
 * the events' names.
 */
struct sd_detect_input {
	enum sd_input_kind kind;
	const struct sd_file_info *info;     /* what the input says about itself */
	const struct sd_reader_stats *stats; /* what reading it met */
	const struct sd_evsel *const *evsels;
	size_t nr_evsels;
	const struct sd_evsel *on_cpu_event; /* the event findings weigh */
	/* where the kernel symbols came from, and whether they belong to the
	 * recorded kernel (NULL: not checked) */
	const struct sd_kernel_symbols *kernel_symbols;
	const struct sd_diags *diags;        /* everything met on the way */
	struct sd_stacks *stacks;            /* symbolised */
	struct sd_machine *machine;
	struct sd_stalls *stalls;            /* D-state sleeps, may be NULL */
	const struct sd_host *host;          /* the recorded host, may be NULL */
	/* new processes between the first and the last sample analysed
	 * (and inside the --time windows); forkers sorted by comm id, pid,
	 * executable (one entry per such triple); forks_known: the input
	 * has FORK records (perf.data, perf script --show-task-events) */
	bool forks_known;
	uint64_t forks;
	const struct sd_forker_count *forkers;
	size_t nr_forkers;
	/* --time windows applied: the duration is that of the samples kept,
	 * first_time .. last_time (ns) */
	bool time_window;
	uint64_t first_time, last_time;
};

/* Runs the detectors.  0, or a negative error (-ENOMEM). */
int sd_detect(const struct sd_detect_input *in, struct sd_diagnosis **out);
struct sd_diagnosis *sd_diagnosis_free(struct sd_diagnosis *d);
/* The diagnosis's finding of kind k, or NULL (also for d NULL). */
const struct sd_finding *sd_diagnosis_finding(const struct sd_diagnosis *d,
					      enum sd_finding_kind k);

/* The marks of one stack (d->marks), *n of them; NULL and 0 when it has
 * none (or d is NULL). */
const struct sd_frame_mark *sd_diagnosis_marks(const struct sd_diagnosis *d,
					       uint32_t stack, size_t *n);

/* ---- kernel knowledge the driver and the text parsers ask for ------- */

struct sd_era; /* a kernel era: swap lock, remedies (src/detect/tables.c) */

/* The era of an os release string ("4.18.0-348.el8.x86_64"); NULL if
 * the release cannot be parsed. */
const struct sd_era *sd_era_of(const char *os_release);

/* Is a sched_switch prev_state a D (uninterruptible) sleep in this era
 * (NULL: a current kernel's encoding)? */
bool sd_prev_state_is_d(const struct sd_era *era, unsigned long long state);

/* Is func one of the kernel functions the detectors match (fork's
 * page-table copy, swap-entry dup and release, exec's teardown, the
 * rwsem and mutex slow paths and their readers)?  Text input uses it to
 * tell kernel frames from user ones when the text does not say. */
bool sd_kernel_func_known(const char *func);

#endif
