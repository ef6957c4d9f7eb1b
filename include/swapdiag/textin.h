/* SPDX-License-Identifier: MIT */
/*
 * Text inputs: what arrives in a ticket instead of a perf.data file.
 *
 *   perf script     the samples as `perf script` prints them (default
 *                   fields or -F variants): a header line
 *                   "comm pid/tid [cpu] time: period event: [payload]",
 *                   then one indented "addr sym+off (dso)" line per frame,
 *                   leaf first, and a blank line; or one line per sample
 *                   without call chains.  sched:sched_switch payloads
 *                   (prev_comm=... prev_state=D ==> next_pid=...) are
 *                   decoded for the stall tracker.
 *   folded          "comm;root;...;leaf count" per line, as swapdiag
 *                   --folded and stackcollapse-perf.pl write it.
 *   perf report     `perf report --stdio` with call graphs (--no-children),
 *                   caller-based (-G) or callee-based, fractal (relative)
 *                   or graph (absolute) percentages: every entry's tree is
 *                   turned into stacks weighted in millionths of the
 *                   event's samples (SD_TEXT_REPORT_SCALE).
 *
 * The parsers take a buffer and its length (no NUL needed), never print,
 * and call back once per stack with its frames root first, each marked
 * kernel or user (see sd_text_mark_kernel()).  A line they cannot read is a
 * diagnostic naming its line number ("line 12: ..."), and parsing goes on.
 * sd_analysis_run() runs them, through the same pipeline driver as
 * perf.data, on input sd_input_sniff() finds to be text.
 */
#ifndef SWAPDIAG_TEXTIN_H
#define SWAPDIAG_TEXTIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>

enum sd_text_kind {
	SD_TEXT_UNKNOWN,
	SD_TEXT_PERF_SCRIPT,
	SD_TEXT_FOLDED,
	SD_TEXT_PERF_REPORT,
};

/* "perf-script", "folded", "perf-report" (the JSON input.mode values);
 * "unknown". */
const char *sd_text_kind_name(enum sd_text_kind k);

/*
 * What kind of text buf holds, judged from its first lines (at most
 * 64 KiB): SD_TEXT_UNKNOWN for binary data (a NUL byte), an empty buffer
 * or text of none of the three kinds.
 */
enum sd_text_kind sd_text_detect(const void *buf, size_t len);

/* A pid or tid the text does not give. */
#define SD_TEXT_NO_PID UINT32_MAX
/* perf report weights: this many units are all samples of an event. */
#define SD_TEXT_REPORT_SCALE 1000000u
/* Largest folded count taken (sums of counts must not wrap). */
#define SD_TEXT_MAX_COUNT (1ull << 48)
/* Frames kept per stack (perf itself prints at most 127 by default). */
#define SD_TEXT_MAX_FRAMES 4096

/* One stack as the text gives it.  Strings are valid during the call. */
struct sd_text_sample {
	const char *event;  /* as printed ("cpu-clock/freq=999/"); "" unknown */
	const char *comm;   /* "" unknown */
	uint32_t pid, tid;  /* SD_TEXT_NO_PID when not given (-1 too) */
	bool has_time;
	uint64_t time;      /* ns */
	bool has_period;
	uint64_t period;    /* perf script's period column */
	bool has_cpu;
	uint32_t cpu;       /* perf script's [cpu] column */
	uint64_t count;     /* samples it stands for: 1, the folded count, or
			     * a perf report weight */
	uint64_t weight;    /* what stackcollapse-perf.pl adds up for it:
			     * perf script: the period its header regex
			     * finds, else 1 (sd_text_script_period());
			     * otherwise count */
	bool pid_given;     /* "pid/tid" was printed, not only one id */
	bool filterable;    /* perf script: the header ends in "event:", so
			     * stackcollapse-perf.pl's event filter sees it */
	bool folded_out;    /* stackcollapse-perf.pl drops it (a perf script
			     * sample cut off by the end of the text) */
	const char *const *frames; /* root first, names as folded */
	const bool *kernel;        /* per frame */
	const uint8_t *marks;      /* per frame, SD_FRAME_* (may be NULL) */
	size_t nr_frames;
	/* a sched:sched_switch payload (perf script) */
	bool has_switch;
	const char *prev_comm, *prev_state, *next_comm;
	uint32_t prev_pid, next_pid;
	/* a lock:contention_begin/end payload (perf script): the lock's
	 * address, and for begin its LCB_F_* flags (SPIN 1, READ 2, WRITE 4) */
	bool has_lock, lock_begin;
	uint64_t lock_addr;
	unsigned lock_flags;
	uint64_t line;   /* 1-based line of the sample (its header) */
	uint64_t offset; /* byte offset of that line */
};

/*
 * A PERF_RECORD_FORK line of perf script --show-task-events:
 *
 *	comm  pid  [cpu]  secs.frac:  PERF_RECORD_FORK(pid:tid):(ppid:ptid)
 *
 * comm is the new task's as perf knows it after the fork: its parent's,
 * or perf's placeholder ":TID" (the child's tid) when the parent has no
 * comm yet.  perf's synthesized tasks have time 0.
 */
struct sd_text_fork {
	const char *comm; /* "" not printed */
	bool has_time;
	uint64_t time;    /* ns */
	uint32_t pid, tid, ppid, ptid;
	uint64_t line;
};

struct sd_text_ops {
	/* Each stack; a negative return stops the parser with that error. */
	int (*sample)(void *arg, const struct sd_text_sample *s);
	/* "# key : value" lines of perf's --header ("hostname", "os release",
	 * "perf version", "arch", "nrcpus online", "cmdline", "event" (one
	 * per event: "name = N, ..., { sample_period, sample_freq } = R,
	 * ..., freq = 1, ..."), ...); may be NULL. */
	int (*header)(void *arg, const char *key, const char *value);
	void *arg;
	/* SD_FOLD_ADDRS: unresolved perf script frames are named with
	 * their address, as stackcollapse-perf.pl --addrs names them */
	unsigned fold_with;
	/* perf script: each FORK line; may be NULL.  The other side-band
	 * lines (--show-task-events, --show-mmap-events, ...: "PERF_RECORD_
	 * COMM", "_EXIT", "_MMAP2", ...) are records, not samples: counted in
	 * sd_text_result.records and otherwise skipped. */
	int (*fork)(void *arg, const struct sd_text_fork *f);
};

/* What a parser saw. */
struct sd_text_result {
	enum sd_text_kind kind;
	uint64_t lines;
	uint64_t samples;     /* stacks passed to ops->sample */
	uint64_t records;     /* perf script side-band lines (PERF_RECORD_*) */
	uint64_t bad_lines;   /* lines skipped with a diagnostic */
	/* perf report */
	bool report_relative;  /* fractal: percentages of the parent */
	bool report_callee;    /* trees leaf first */
	double report_listed;  /* percent of the first event's samples that
				* the entries list (the rest is unlisted) */
	uint64_t report_entries;
	uint64_t skipped_events; /* perf report sections not analysed */
	/* perf script */
	uint64_t switch_payloads;   /* sched_switch lines decoded */
	uint64_t switch_unreadable; /* sched_switch lines without one */
};

/*
 * The parsers: 0 when the text was read (bad lines are diagnostics in
 * diags, counted in res->bad_lines), or the first negative error of
 * ops->sample, or -ENOMEM.  res may be NULL.
 */
int sd_text_parse_perf_script(const void *buf, size_t len,
			      const struct sd_text_ops *ops,
			      struct sd_diags *diags, struct sd_text_result *res);
int sd_text_parse_folded(const void *buf, size_t len,
			 const struct sd_text_ops *ops, struct sd_diags *diags,
			 struct sd_text_result *res);
int sd_text_parse_perf_report(const void *buf, size_t len,
			      const struct sd_text_ops *ops,
			      struct sd_diags *diags,
			      struct sd_text_result *res);
/* The parser for kind; -SD_E_BAD_MAGIC for SD_TEXT_UNKNOWN. */
int sd_text_parse(enum sd_text_kind kind, const void *buf, size_t len,
		  const struct sd_text_ops *ops, struct sd_diags *diags,
		  struct sd_text_result *res);

/*
 * Which frames of a stack (names root first) ran in the kernel, when the
 * text does not say it per frame (folded stacks, perf report trees).
 * leaf: 1 the leaf is a kernel symbol (perf report "[k]"), 0 a user one
 * ("[.]"), -1 unknown.  Rules, in order:
 *   - a user leaf: no kernel frames;
 *   - from the first frame (root side) that enters the kernel — a syscall
 *     or exception entry (entry_SYSCALL_64*, system_call*, stub_*, sys_*,
 *     __x64_sys_*, do_syscall_64, page_fault, asm_exc_*, ret_from_fork*,
 *     ...), or the unresolved kernel map "[kernel.kallsyms]" — every frame
 *     is kernel;
 *   - none: with a kernel leaf, every frame but leading unresolved user
 *     addresses ("0x3748aacda7", "[libc.so.6]", "[unknown]");
 *     with an unknown leaf, from the first function the detectors know as
 *     a kernel function (copy_page_range, unmap_vmas, ...).
 */
void sd_text_mark_kernel(const char *const *frames, bool *kernel, size_t n,
			 int leaf);

/*
 * The period stackcollapse-perf.pl takes from a perf script sample header
 * line s[0..n), with its regex :\s*(\d+)*\s+(\S+):\s*$ : true and *event
 * (the name, without its ':') when the line ends in "event:" (then the
 * event can be filtered), false when it does not (a tracepoint payload
 * follows; weight 1, never filtered).  *weight: the digits before the
 * event, or 1 when there are none or they are "0".
 */
bool sd_text_script_period(const char *s, size_t n, uint64_t *weight,
			   const char **event, size_t *event_n);

/* An unsigned decimal number s[0..n), all digits and no overflow, as
 * perf prints counts, rates and header values: true and *v. */
bool sd_text_u64(const char *s, size_t n, uint64_t *v);

/* Is a perf script DSO the kernel or a module ("[kernel.kallsyms]",
 * "[ext4]", ".../vmlinux", "*.ko")? */
bool sd_text_dso_is_kernel(const char *dso);

#endif
