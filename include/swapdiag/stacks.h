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

/* Counts a sample under its raw stack; *id (if non-NULL) gets the stack. */
int sd_stacks_add(struct sd_stacks *st, const struct sd_stack_sample *s,
		  uint32_t *id);

/*
 * Counts count samples (with period) under a stack that is already
 * symbolized, as text inputs give them (perf script output, folded stacks,
 * perf report call graphs): frames root first, kernel[i] true for a frame
 * that ran in the kernel.  comm is a machine comm id.
 */
int sd_stacks_add_named(struct sd_stacks *st, unsigned evsel, uint32_t comm,
			uint32_t pid, uint64_t time, const char *const *frames,
			const bool *kernel, size_t n, uint64_t count,
			uint64_t period, uint32_t *id);

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
};

/* A distinct stack after symbolization, frames root first. */
struct sd_stack_info {
	unsigned evsel;
	uint32_t comm;         /* the machine's comm id */
	uint64_t count;        /* samples */
	uint64_t period;       /* sum of sample periods */
	const struct sd_frame *frames;
	size_t nr_frames;
	bool folded_out;       /* dropped by stackcollapse (see fold.c) */
};

int sd_stacks_get(const struct sd_stacks *st, size_t i,
		  struct sd_stack_info *out);
const char *sd_stacks_str(const struct sd_stacks *st, uint32_t id);

/* One line of folded output: "comm;root;...;leaf" and its sample count. */
struct sd_folded_line {
	const char *stack;
	uint64_t count;
};

/*
 * The folded lines for one event, merged and sorted as stackcollapse
 * prints them.  The array and strings belong to st until it is freed or
 * this is called again.
 */
int sd_stacks_folded(struct sd_stacks *st, const struct sd_machine *m,
		     unsigned evsel, const struct sd_folded_line **lines,
		     size_t *n);

#endif
