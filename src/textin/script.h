/* SPDX-License-Identifier: MIT */
/* Private to the perf script parser: the lines it reads (script_line.c)
 * and the tracepoint payloads in them (script_payload.c), for the sample
 * assembly (script.c). */
#ifndef SD_TEXTIN_SCRIPT_H
#define SD_TEXTIN_SCRIPT_H

#include "textin/internal.h"

struct sw_payload {
	bool ok;
	char prev_comm[64], next_comm[64], prev_state[16];
	uint32_t prev_pid, next_pid;
};

/*
 * sched_switch: "prev_comm=X prev_pid=N prev_prio=P prev_state=S ==>
 * next_comm=Y next_pid=M next_prio=Q" (every kernel since 2.6.32 prints
 * this layout; prev_state as letters, "D|K", "R+", or a number): into p,
 * p->ok when all of it was read.
 */
void sd_tscript_switch(const char *s, size_t n, struct sw_payload *p);
/* Is the event e[0..n) sched_switch ("sched:sched_switch")? */
bool sd_tscript_is_switch(const char *e, size_t n);

/*
 * lock:contention_begin: "0xffff888109ba83e0 (flags=READ|WRITE)";
 * lock:contention_end: "0xffff888109ba83e0 (ret=0)" (5.19+, printed by
 * __print_flags with the LCB_F_* names).  kind: 1 begin, 2 end.
 */
struct lock_payload {
	int kind;
	bool ok;
	uint64_t addr;
	unsigned flags;
};

/* 1 for contention_begin, 2 for contention_end, else 0. */
int sd_tscript_lock_event(const char *e, size_t n);
/* The payload s[0..n) of a lock event of that kind into p. */
void sd_tscript_lock(const char *s, size_t n, int kind,
		     struct lock_payload *p);

/*
 * A side-band record line (--show-task-events, --show-mmap-events,
 * --show-switch-events, ...): the header's fields, then the record,
 *
 *	comm  pid  [cpu]  secs.frac:  PERF_RECORD_<KIND><its fields>
 *
 * The offset of "PERF_RECORD_" in s[0..n) (at the start or after a
 * space), or n for a line that is none; the parser takes it for a record
 * when what comes before it reads as a header.
 */
size_t sd_tscript_record_at(const char *s, size_t n);
/* "PERF_RECORD_FORK(pid:tid):(ppid:ptid)" at s[0..n): the four ids into
 * f; false for another record or one that does not read. */
bool sd_tscript_fork(const char *s, size_t n, struct sd_text_fork *f);

/*
 * Lines of perf script text (script_line.c), assembled into samples by
 * script.c.
 */
struct header {
	const char *comm;
	size_t comm_n;
	uint32_t pid, tid;
	bool pid_given;
	bool has_time, has_period, has_cpu;
	uint64_t time, period;
	uint32_t cpu;
	const char *event;
	size_t event_n;
	const char *rest; /* after the event (or time) */
	size_t rest_n;
};

/* Is s a perf script sample header?  Fills h. */
bool sd_tscript_header(const char *s, size_t n, struct header *h);

/*
 * "addr sym (dso)" split as stackcollapse-perf.pl's ^\s*(\w+)\s*(.+) \((.*)\)
 * does: sym up to the last " (" that has a ')' after it, dso up to the
 * last ')'.  Without " (dso)" (-F ip,sym) the rest is the symbol.
 */
struct frame {
	uint64_t addr;
	bool has_addr;
	const char *pc; /* the address as printed */
	size_t pc_n;
	const char *sym;
	size_t sym_n;
	const char *dso; /* NULL: not printed */
	size_t dso_n;
};

bool sd_tscript_frame(const char *s, size_t n, struct frame *f);
/* The frame after the event on a one-line sample: "... ip sym (dso)". */
bool sd_tscript_inline_frame(const char *s, size_t n, struct frame *f);
/* A source line perf prints under a frame with -F +srcline. */
bool sd_tscript_srcline(const char *s, size_t n);

#endif
