/* SPDX-License-Identifier: MIT */
/*
 * Private to src/analysis: the one pipeline driver and its two sources.
 *
 *   analysis.c  sd_analysis_run(): sniffs the input once (sniff.c),
 *               sets the stages up and dispatches on the kind
 *   records.c   perf.data: the reader's records -> machine, and each
 *               sample's chain and tracepoint payload -> sd_drive()
 *               (a plain sample: what sd_drive() does, inline)
 *   text.c      text: a textin parser's stacks and header facts ->
 *               sd_drive()
 *   drive.c     sd_drive(): a sample's stack into the stacks stage, its
 *               switch/lock/run event into the stall tracker (detect)
 *   archive.c   whether a perf archive beside it is of this recording
 *   query.c     what a finished analysis answers; sd_diagnose()
 *   forks.c     new processes, counted over the samples' span
 *   offcpu.c, timewin.c, kverify.c  --off-cpu, --time, the kernel
 *               symbol check
 */
#ifndef SD_ANALYSIS_INTERNAL_H
#define SD_ANALYSIS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <swapdiag/analysis.h>

/*
 * One sample, as either source hands it to the driver: its stack (raw
 * from perf.data, named from text), thread, comm, time, weight, and what
 * else the sample says for the stall tracker.
 */
struct sd_drive_sample {
	const struct sd_evsel *ev;
	/* the stack, exactly one of: */
	const struct sd_stack_sample *raw;   /* perf.data: the call chain */
	const struct sd_named_stack *named;  /* text: the frames by name */
	uint32_t pid, tid;  /* UINT32_MAX: not known */
	uint32_t comm;      /* the machine's comm id */
	uint64_t time;      /* ns */
	/* the stall tracker takes the sample at time (the source's rule:
	 * perf.data a non-zero time, text a printed time and tid) */
	bool timed;
	uint64_t count;     /* samples it stands for */
	/* sched:sched_switch: the tracker hears the switch, not a run;
	 * has_switch when its payload was read: prev (tid) left, in D state
	 * or not, next_tid came in */
	bool is_switch, has_switch, prev_d;
	uint32_t next_tid;
	/* lock:contention_begin/end read: the lock, LCB_F_* flags */
	bool has_lock, lock_begin;
	uint64_t lock;
	unsigned lock_flags;
};

/* Is ev the tracepoint name ("sched_switch" for "sched:sched_switch")? */
static inline bool sd_is_tp_evsel(const struct sd_evsel *ev, const char *name)
{
	if (ev->type != SD_TYPE_TRACEPOINT || !ev->name)
		return false;
	const char *c = strrchr(ev->name, ':');
	return !strcmp(c ? c + 1 : ev->name, name);
}

/* The driver: the sample's stack id in *stack (may be NULL). */
int sd_drive(struct sd_analysis *a, const struct sd_drive_sample *s,
	     uint32_t *stack);

/* ---- the input, opened and sniffed once (sniff.c) -------------------- */

struct sd_input_data {
	enum sd_input_kind kind;
	int fd;            /* perf.data from a file or stream: the reader
			    * takes it; else -1 */
	const char *buf;   /* text (or a perf.data buffer): all of it */
	size_t len;
	void *map;         /* buf mmap()ed, or NULL */
	char *owned;       /* buf malloc()ed, or NULL */
	bool pipe;         /* read from a pipe or another stream */
	size_t released;   /* text: parsed pages dropped up to here */
};

/*
 * Opens o's input (o->buf, the file o->path, or standard input for "-")
 * and sniffs its kind.  Text is loaded whole (mapped, or read from a
 * stream); perf.data is left to the reader (in->fd, or o->buf).  0, or a
 * negative errno (the file cannot be opened or read).
 */
int sd_input_open(const struct sd_analysis_opts *o, struct sd_input_data *in);
void sd_input_close(struct sd_input_data *in);
/* Text: pages of a mapping parsed up to offset are not needed again. */
void sd_input_release(struct sd_input_data *in, uint64_t offset);

/* ---- the two sources ------------------------------------------------- */

/* perf.data (records.c): the reader's records through the driver; 0,
 * or why reading stopped early (> 0 from the reader means done). */
int sd_run_records(struct sd_analysis *a, const struct sd_analysis_opts *o);

/*
 * Text (text.c): parses in->buf with the parser of its kind through the
 * driver.  0: done; else a negative error, why it was not analysed in
 * why.
 */
int sd_run_text(struct sd_analysis *a, const struct sd_analysis_opts *o,
		struct sd_input_data *in, struct sd_diags *why);
/* Frees what the text source put into a (text_evsels, text_info). */
void sd_text_source_fini(struct sd_analysis *a);

/* ---- forks over the samples' span (forks.c) ------------------------- */

/*
 * A new process: its time (ns), its parent's pid, comm (the machine's
 * id) and executable at the fork (the machine's string, NULL: not
 * known).  Kept until the source's last sample is known.  0 or -ENOMEM.
 */
int sd_fork_note(struct sd_analysis *a, uint64_t time, uint32_t ppid,
		 uint32_t comm, const char *exe);
/*
 * Counts the noted forks with first <= time <= last (the first and last
 * sample analysed; every one when last is 0: no sample had a time) into
 * a->forks and a->forkers, and drops the notes.  0 or -ENOMEM.
 */
int sd_forks_count(struct sd_analysis *a, uint64_t first, uint64_t last);

/* ---- the perf archive beside a recording (archive.c) ----------------- */

/*
 * Decides whether o->archive is used: *used false for one of another
 * recording (a warning; an error in diags when the user named it).  With
 * the recording's build-ids not known yet, it is used for now and
 * checked again after the records (diags NULL).
 */
int sd_archive_check(struct sd_analysis *a, const struct sd_analysis_opts *o,
		     struct sd_diags *diags, bool *used);

#endif
