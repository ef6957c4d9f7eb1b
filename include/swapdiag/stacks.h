/* SPDX-License-Identifier: MIT */
/*
 * Stacks: every distinct raw call chain is stored once with its sample
 * count and period; symbols are looked up once per distinct chain at the
 * end, never per sample; the symbolized stacks fold into the lines
 * `perf script | stackcollapse-perf.pl` prints.
 */
#ifndef SWAPDIAG_STACKS_H
#define SWAPDIAG_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/machine.h>
#include <swapdiag/symbols.h>

struct sd_stacks;

/*
 * In a sample's call chain, swapdiag's own context marker (not one the
 * kernel writes): the user frames after it were found by DWARF unwinding
 * (swapdiag/unwind.h), and fold with the names perf gives such frames.
 */
#define SD_CONTEXT_USER_UNWOUND 0xfffffffffffff448ull /* -3000 */

/* One sample as the stacks stage takes it. */
struct sd_stack_sample {
	unsigned evsel;          /* event index */
	struct sd_thread_view view;
	unsigned cpumode;        /* header.misc cpumode of the sample */
	uint64_t ip;
	const uint64_t *ips;     /* raw call chain with context markers */
	size_t nr_ips;
	bool has_callchain;      /* the event records call chains */
	uint64_t period;
	uint32_t pid, tid;
	uint64_t time;           /* ns, 0 if unknown */
	/*
	 * The machine, to resolve user-space frames to (DSO, address) when
	 * sampled: stacks then merge across processes and forked children
	 * whose call chains mean the same code.  NULL: kept as raw addresses
	 * with the address space's version, resolved at sd_stacks_symbolize().
	 */
	struct sd_machine *machine;
};

int sd_stacks_new(struct sd_stacks **out);
struct sd_stacks *sd_stacks_free(struct sd_stacks *st);

/* Counts a sample under its raw stack; *id gets the stack (id not NULL). */
int sd_stacks_add(struct sd_stacks *st, const struct sd_stack_sample *s,
		  uint32_t *id);

/*
 * What --folded-with asks of the folded output (stackcollapse-perf.pl's
 * --pid --tid --kernel --jit --addrs; --all is KERNEL | JIT).  PID, TID
 * and ADDRS change what is stored: give them to sd_stacks_set_fold()
 * before the first sample.
 */
#define SD_FOLD_PID    0x01u /* "comm-PID" ("comm-?" when not known) */
#define SD_FOLD_TID    0x02u /* "comm-PID/TID" */
#define SD_FOLD_KERNEL 0x04u /* "_[k]" after frames of kernel DSOs */
#define SD_FOLD_JIT    0x08u /* "_[j]" after frames of /tmp/perf-PID.map */
#define SD_FOLD_ADDRS  0x10u /* "[dso <addr>]" for frames without symbol */
#define SD_FOLD_MASK (SD_FOLD_PID | SD_FOLD_TID | SD_FOLD_KERNEL | \
		      SD_FOLD_JIT | SD_FOLD_ADDRS) /* every flag */

/* Keeps what the flags need: every stack keyed by its pid/tid as well
 * (PID, TID), raw addresses kept for unresolved frames (ADDRS). */
void sd_stacks_set_fold(struct sd_stacks *st, unsigned with);
unsigned sd_stacks_fold(const struct sd_stacks *st);

/* Marks of a frame, from the DSO perf script prints beside it (see
 * stacks/fold.c): what --folded-with kernel / jit annotate. */
#define SD_FRAME_KDSO 0x01u /* "[...]" or ".../vmlinux", not "unknown" */
#define SD_FRAME_JIT  0x02u /* "/tmp/perf-PID.map" */

/* A pid the text does not give (printed "?" by --folded-with pid). */
#define SD_STACK_NO_PID UINT32_MAX

/*
 * A stack that is already symbolized, as text inputs give them (perf
 * script output, folded stacks, perf report call graphs): count samples
 * with their period under frames root first, kernel[i] true for a frame
 * that ran in the kernel, marks[i] (may be NULL) its SD_FRAME_* bits.
 * comm is a machine comm id; pid counts the samples per process
 * (details), key_pid/key_tid are the ids --folded-with prints
 * (SD_STACK_NO_PID: not given).  folded_out: analysed, but not in the
 * folded output (stackcollapse-perf.pl drops it).
 */
struct sd_named_stack {
	unsigned evsel;
	uint32_t comm;
	uint32_t pid;
	uint32_t key_pid, key_tid;
	uint64_t time;
	const char *const *frames;
	const bool *kernel;
	const uint8_t *marks;
	size_t n;
	uint64_t count, period;
	bool folded_out;
};

int sd_stacks_add_named(struct sd_stacks *st, const struct sd_named_stack *ns,
			uint32_t *id);

/*
 * Samples are also counted per (stack, pid, time bucket) so that findings
 * can name processes and show bursts; SD_BUCKET_NS is the bucket width.
 */
#define SD_BUCKET_NS 100000000ull /* 100 ms */

struct sd_stack_detail {
	uint32_t stack;
	uint32_t pid;
	uint64_t bucket; /* time / SD_BUCKET_NS; 0 if the sample had no time */
	uint64_t count, period;
};

size_t sd_stacks_nr_details(const struct sd_stacks *st);
const struct sd_stack_detail *sd_stacks_detail(const struct sd_stacks *st,
					       size_t i);
/* All of them at once (*n of them, in the order they were made), for
 * the passes over every detail after the loop. */
const struct sd_stack_detail *sd_stacks_details(const struct sd_stacks *st,
						size_t *n);
/* The least bucket other than 0 (timeless) into *first and the greatest
 * into *last, of all the details; false, and neither set, when no detail
 * has a time. */
bool sd_stacks_bucket_range(const struct sd_stacks *st, uint64_t *first,
			    uint64_t *last);

/* Number of distinct raw stacks. */
size_t sd_stacks_count(const struct sd_stacks *st);

/*
 * Symbolizes every distinct stack (once), through the machine's maps and
 * the symbolizer.  Call after the last sd_stacks_add().
 */
int sd_stacks_symbolize(struct sd_stacks *st, struct sd_machine *m);

/* A symbolized frame: its folded name and whether it ran in the kernel. */
struct sd_frame {
	uint32_t name; /* string id, see sd_stacks_str() */
	bool kernel;
	uint8_t marks; /* SD_FRAME_* */
	/* the padding, named so that every initializer clears it: equal
	 * frames are equal bytes (the frame sequences compare by memcmp) */
	uint8_t zero[2];
};

/* A distinct stack after symbolization, frames root first. */
struct sd_stack_info {
	unsigned evsel;
	uint32_t comm;         /* the machine's comm id */
	uint64_t count;        /* samples */
	uint64_t period;       /* sum of sample periods */
	uint32_t pid, tid;     /* with SD_FOLD_PID / SD_FOLD_TID (else 0) */
	const struct sd_frame *frames;
	size_t nr_frames;
	bool folded_out;       /* dropped by stackcollapse (see fold.c) */
};

int sd_stacks_get(const struct sd_stacks *st, size_t i,
		  struct sd_stack_info *out);
const char *sd_stacks_str(const struct sd_stacks *st, uint32_t id);
/*
 * String ids run from 1 to sd_stacks_nr_strs(); sd_stacks_str_find() is
 * the id of a name if some frame (or comm part) has it, else 0: tables of
 * names are looked up once as ids, and frames then compared as integers.
 */
size_t sd_stacks_nr_strs(const struct sd_stacks *st);
uint32_t sd_stacks_str_find(const struct sd_stacks *st, const char *name);

/*
 * Folded lines (below) weigh each stack by weights[stack id] instead of
 * its sample count, and leave out stacks of weight 0 (--off-cpu: ns off
 * CPU); NULL restores the counts.  Not copied: must outlive st's use.
 */
void sd_stacks_set_weights(struct sd_stacks *st, const uint64_t *weights,
			   size_t n);

/* One line of folded output: "comm;root;...;leaf", its sample count and
 * the sum of its samples' periods. */
struct sd_folded_line {
	const char *stack;
	uint64_t count;
	uint64_t period;
};

/*
 * The folded lines for one event, merged and sorted as stackcollapse
 * prints them, annotated as with (SD_FOLD_*, of what sd_stacks_set_fold()
 * kept) asks.  The array and strings belong to st until it is freed or
 * this is called again.
 */
int sd_stacks_folded(struct sd_stacks *st, const struct sd_machine *m,
		     unsigned evsel, unsigned with,
		     const struct sd_folded_line **lines, size_t *n);

/*
 * The same lines, with their text made only when asked for, line by line
 * (the folded output writes it straight into its buffer, no copy of the
 * whole output in memory).  st must not change while fo lives.
 */
struct sd_folded;

int sd_folded_new(const struct sd_stacks *st, const struct sd_machine *m,
		  unsigned evsel, unsigned with, struct sd_folded **out);
struct sd_folded *sd_folded_free(struct sd_folded *fo);
size_t sd_folded_count(const struct sd_folded *fo);
/*
 * Line i (in order): its count and period, and its text
 * ("comm;root;...;leaf") written to buf with a NUL when it fits in cap
 * bytes.  Returns the text's length (without the NUL) either way.  fo
 * keeps the last text it wrote: the next line's start shared with it is
 * not made again (lines in order share most of theirs).
 */
size_t sd_folded_line(struct sd_folded *fo, size_t i, char *buf,
		      size_t cap, uint64_t *count, uint64_t *period);

/*
 * The process-name column for a sample of comm with pid/tid, or false if
 * stackcollapse drops the sample (its header regex does not match: a
 * one-character comm, a pid or tid of -1).  Spaces become '_'.
 */
bool sd_fold_comm(const char *comm, int pid, int tid, char *out, size_t cap);

/* The name stackcollapse-perf.pl prints for a frame of a process whose
 * folded comm is pname: Java's tidy rule drops the leading 'L' of a name
 * with a '/' when pname starts with "java". */
const char *sd_fold_java_name(const char *pname, const char *name);

/*
 * How `perf script -F comm,pid,tid,...,ip,sym,dso | stackcollapse-perf.pl`
 * names things, reproduced rule for rule (FOLDED.md): used by the stacks
 * themselves, by the text parsers (src/textin) and the flame graph.
 *
 * The process-name column for a sample of comm with pid/tid, or false if
 * stackcollapse drops the sample (its header regex does not match: a
 * one-character comm, a pid or tid of -1).  Spaces become '_'.
 */
bool sd_fold_comm(const char *comm, int pid, int tid, char *out, size_t cap);

/*
 * The folded names for one printed frame "PC SYM (DSO)"; sym NULL prints as
 * "[unknown]", dso NULL as "[unknown]"; pc (the address as perf script
 * prints it) non-NULL names an unknown symbol "[dso <pc>]" (--addrs).
 * A name containing "->" yields several frames, the later ones suffixed "_[i]"; a name starting with '('
 * yields none.  Writes up to max malloc'ed strings to out; returns the
 * count or -1 on allocation failure.
 */
int sd_fold_frame(const char *sym, const char *dso, const char *pc, char **out,
		  int max);

/* SD_FRAME_KDSO / SD_FRAME_JIT for a frame printed with DSO mod (give
 * "[unknown]" for none). */
unsigned sd_fold_dso_marks(const char *mod);

#endif
