/* SPDX-License-Identifier: MIT */
/*
 * The text parsers on byte arrays: perf script, folded, perf report;
 * detection; the kernel/user rules.  Every input is written out here, one
 * line per string, with what perf (or stackcollapse) would make of it.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/textin.h>

#include "test.h"

/* ---- a sink that keeps what the parsers hand over -------------------- */

#define MAXS 64

struct one {
	char event[64], comm[64], prev_state[16], prev_comm[64];
		uint32_t pid, tid, prev_pid, next_pid;
		bool has_time, has_period, has_switch, has_lock, lock_begin;
		bool pid_given, filterable, folded_out;
		uint64_t time, period, count, line, weight, lock_addr;
		unsigned lock_flags;
	char stack[1024]; /* "a;b;c", kernel frames marked "!" */
};

struct got {
	size_t n;
	struct one s[MAXS];
	char headers[512];
	size_t nf;
	struct sd_text_fork f[MAXS];
	char fork_comm[MAXS][64];
};

static int keep_fork(void *arg, const struct sd_text_fork *f)
{
	struct got *g = arg;
	if (g->nf == MAXS)
		return 0;
	g->f[g->nf] = *f;
	snprintf(g->fork_comm[g->nf], sizeof g->fork_comm[0], "%s", f->comm);
	g->f[g->nf].comm = g->fork_comm[g->nf];
	g->nf++;
	return 0;
}

static int keep(void *arg, const struct sd_text_sample *s)
{
	struct got *g = arg;
	if (g->n == MAXS)
		return 0;
	struct one *d = &g->s[g->n++];
	snprintf(d->event, sizeof d->event, "%s", s->event);
	snprintf(d->comm, sizeof d->comm, "%s", s->comm);
	d->pid = s->pid;
	d->tid = s->tid;
	d->has_time = s->has_time;
	d->time = s->time;
	d->has_period = s->has_period;
	d->period = s->period;
	d->count = s->count;
	d->weight = s->weight;
	d->pid_given = s->pid_given;
	d->filterable = s->filterable;
	d->folded_out = s->folded_out;
	d->line = s->line;
	d->has_lock = s->has_lock;
	d->lock_begin = s->lock_begin;
	d->lock_addr = s->lock_addr;
	d->lock_flags = s->lock_flags;
	d->has_switch = s->has_switch;
	if (s->has_switch) {
		snprintf(d->prev_state, sizeof d->prev_state, "%s", s->prev_state);
		snprintf(d->prev_comm, sizeof d->prev_comm, "%s", s->prev_comm);
		d->prev_pid = s->prev_pid;
		d->next_pid = s->next_pid;
	}
	size_t w = 0;
	d->stack[0] = '\0';
	for (size_t i = 0; i < s->nr_frames && w < sizeof d->stack - 1; i++)
		w += (size_t)snprintf(d->stack + w, sizeof d->stack - w, "%s%s%s",
				      i ? ";" : "", s->kernel[i] ? "!" : "",
				      s->frames[i]);
	return 0;
}

static int header(void *arg, const char *k, const char *v)
{
	struct got *g = arg;
	size_t w = strlen(g->headers);
	snprintf(g->headers + w, sizeof g->headers - w, "%s=%s|", k, v);
	return 0;
}

static struct got *run(enum sd_text_kind kind, const char *text,
		       struct sd_diags *d, struct sd_text_result *res)
{
	static struct got g;
	struct sd_text_ops ops = {keep, header, &g, 0, keep_fork};
	memset(&g, 0, sizeof g);
	CHECK(sd_text_parse(kind, text, strlen(text), &ops, d, res) == 0);
	return &g;
}

/* Is there a diagnostic mentioning all of a, b? */
static bool diag_has(const struct sd_diags *d, const char *a, const char *b)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].text && strstr(d->v[i].text, a) &&
		    (!b || strstr(d->v[i].text, b)))
			return true;
	return false;
}

/* ---- perf script ------------------------------------------------------ */

/* The period stackcollapse-perf.pl's :\s*(\d+)*\s+(\S+):\s*$ finds. */
TEST(script_period_regex)
{
	static const struct {
		const char *line;
		bool filterable;
		uint64_t weight;
		const char *event;
	} c[] = {
		{"java 12688 [002] 6544038.708352: 235 cpu-clock:", true, 235, "cpu-clock"},
		{"dd 29776 666709.771979:   10101010 cpu-clock: ", true, 10101010, "cpu-clock"},
		{"a 1/2 [000] 1.5:  cycles:u: ", true, 1, "cycles:u"},
		/* "0" is false in Perl: 1; "00" is true: 0 */
		{"a 1 [000] 1.5: 0 cycles:", true, 1, "cycles"},
		{"a 1 [000] 1.5: 00 cycles:", true, 0, "cycles"},
		/* no ':' before the period: no match, 1 */
		{"java 19983 cycles:", false, 1, NULL},
		/* a payload after the event: never filtered, 1 */
		{"perf 12 [000] 1.5: 1 sched:sched_switch: prev_comm=perf prev_pid=12 "
		 "prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 "
		 "next_prio=120", false, 1, NULL},
		/* digits glued to something else before them */
		{"a 1 [000] x5 cycles:", false, 1, NULL},
		{"a 1 [000] 1.5:cycles:", false, 1, NULL},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		uint64_t w = 7;
		const char *ev = NULL;
		size_t evn = 0;
		bool f = sd_text_script_period(c[i].line, strlen(c[i].line), &w,
					       &ev, &evn);
		CHECK(f == c[i].filterable);
		CHECK_U64(w, c[i].weight);
		if (c[i].event)
			CHECK(ev && evn == strlen(c[i].event) &&
			      !memcmp(ev, c[i].event, evn));
		else
			CHECK(!ev);
	}
}

/* Weights, ids and the last sample as the script sees them. */
TEST(script_weights_as_stackcollapse)
{
	const char *t =
		"app 2/3 [000] 1.000001: 235 cycles: \n"
		"\t7f00 f+0x1 (/lib/x.so)\n"
		"\n"
		"app 4 [000] 1.000002: 0 cycles: \n"
		"\t7f00 f (/lib/x.so)\n"
		"\n"
		"app 4 [000] 1.000003: 1 sched:sched_switch: prev_comm=app prev_pid=4 "
		"prev_prio=120 prev_state=D ==> next_comm=b next_pid=0 next_prio=120\n"
		"\tffffffff81000000 schedule ([kernel.kallsyms])\n"
		"\n"
		"app 4 [000] 1.000004: 9 cycles: \n"
		"\t7f1e2215d0c0  (/lib/libc-2.15.so)\n"
		"\t7f00 g (/lib/x.so)\n";
	struct sd_diags d;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, NULL);
	CHECK_U64(g->n, 4);
	CHECK_U64(g->s[0].weight, 235);
	CHECK(g->s[0].pid_given && g->s[0].filterable && !g->s[0].folded_out);
	CHECK_U64(g->s[1].weight, 1); /* a period of 0 */
	CHECK(!g->s[1].pid_given);
	CHECK_U64(g->s[2].weight, 1); /* the payload hides the period */
	CHECK(!g->s[2].filterable);
	CHECK(g->s[2].has_switch);
	/* cut off by the end of the text: analysed, not folded; an empty
	 * symbol is the frame " " (the script's (.+) takes a blank) */
	CHECK_U64(g->s[3].weight, 9);
	CHECK(g->s[3].folded_out);
	CHECK_STR(g->s[3].stack, "g; ");
	CHECK(diag_has(&d, "line 10:", "no blank line after it"));
	sd_diags_clear(&d);
}

TEST(script_default_fields)
{
	/* perf 6.1's default output of a cpu-clock sample with a call chain:
	 * comm, tid, [cpu], time (µs), period, event; frames leaf first */
	const char *t =
		"perf-exec  9550 [000]   640.375353:    1001001 cpu-clock/freq=999/: \n"
		"\tffffffff8225fd19 pvm_irq_enable+0x19 ([kernel.kallsyms])\n"
		"\tffffffff816e2db3 begin_new_exec+0x483 ([kernel.kallsyms])\n"
		"\tffffffff81000130 entry_SYSCALL_64_after_hwframe+0x76 ([kernel.kallsyms])\n"
		"\t           ee137 __execve+0x7 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
		"\t          146f7c [unknown] (/usr/bin/perf)\n"
		"\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 1);
	CHECK_U64(r.bad_lines, 0);
	CHECK_STR(g->s[0].comm, "perf-exec");
	CHECK_STR(g->s[0].event, "cpu-clock/freq=999/");
	CHECK_U64(g->s[0].tid, 9550);
	CHECK_U64(g->s[0].pid, 9550); /* one number: the tid, pid taken as it */
	CHECK(g->s[0].has_time);
	CHECK_U64(g->s[0].time, 640375353000ull);
	CHECK(g->s[0].has_period);
	CHECK_U64(g->s[0].period, 1001001);
	CHECK_U64(g->s[0].count, 1);
	/* root first; "+0x.." cut; [unknown] in a DSO is "[dso]" */
	CHECK_STR(g->s[0].stack,
		  "[perf];__execve;!entry_SYSCALL_64_after_hwframe;"
		  "!begin_new_exec;!pvm_irq_enable");
	sd_diags_clear(&d);
}

TEST(script_task_events)
{
	/* perf 6.1 script --ns --show-task-events --show-mmap-events, lines
	 * as testdata/spawn/fork.data gives them: what perf synthesized at
	 * the start (time 0, the pid column 0), a thread, a parent perf had
	 * no comm for (the child's placeholder ":18756" is printed), a
	 * sample without a call chain between the records, an EXIT */
	const char *t =
		"forkswap     0 [000]     0.000000000: PERF_RECORD_FORK(18561:18561):(18250:18250)\n"
		"forkswap     0 [000]     0.000000000: PERF_RECORD_COMM: forkswap:18561/18561\n"
		"forkswap     0 [000]     0.000000000: PERF_RECORD_MMAP2 18561/18561: "
		"[0x563d8c68d000(0x1000) @ 0x1000 fe:00 10955911 0]: r-xp /tmp/swapdiag-spawn/forkswap\n"
		"perf 18631 [000] 11479.066960883: PERF_RECORD_FORK(18631:18752):(18631:18631)\n"
		"forkswap 18567 [000] 11479.070094645: PERF_RECORD_FORK(18753:18753):(18567:18567)\n"
		":18756 18706 [001] 11479.141083432: PERF_RECORD_FORK(18756:18756):(18706:18706)\n"
		"forkswap 18561 [000] 11481.691870611:    1001001 cpu-clock/freq=999/:  ffffffff8225fd19 pvm_irq_enable+0x19 ([kernel.kallsyms])\n"
		"cat 18750 [001] 11479.080828258: PERF_RECORD_COMM exec: cat:18750/18750\n"
		"cat 18750 [001] 11479.082144599: PERF_RECORD_EXIT(18750:18750):(18581:18581)\n"
		"bash 18805 [000] 11482.430739363: PERF_RECORD_FORK(18806:18806):(18805:18805\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	/* one sample; nine records, none a bad line or a sample */
	CHECK_U64(g->n, 1);
	CHECK_STR(g->s[0].event, "cpu-clock/freq=999/");
	CHECK_U64(g->s[0].time, 11481691870611ull);
	CHECK_U64(r.samples, 1);
	CHECK_U64(r.records, 9);
	CHECK_U64(r.bad_lines, 0);
	/* the FORK lines that read, with the header's comm and time; the
	 * last one's record is cut ("(18805:18805" without ')') */
	CHECK_U64(g->nf, 4);
	CHECK_STR(g->f[0].comm, "forkswap");
	CHECK(g->f[0].has_time && g->f[0].time == 0);
	CHECK(g->f[0].pid == 18561 && g->f[0].tid == 18561 &&
	      g->f[0].ppid == 18250 && g->f[0].ptid == 18250);
	CHECK_U64(g->f[0].line, 1);
	CHECK(g->f[1].pid == 18631 && g->f[1].tid == 18752); /* a thread */
	CHECK_STR(g->f[2].comm, "forkswap");
	CHECK_U64(g->f[2].time, 11479070094645ull);
	CHECK(g->f[2].pid == 18753 && g->f[2].ppid == 18567);
	CHECK_STR(g->f[3].comm, ":18756");
	CHECK(g->f[3].pid == 18756 && g->f[3].ppid == 18706 &&
	      g->f[3].ptid == 18706);
	CHECK_U64(g->f[3].line, 6);
	sd_diags_clear(&d);
}

TEST(script_pid_tid_ns_and_sched_switch)
{
	/* -F comm,pid,tid,cpu,time,event,trace,ip,sym,dso --ns; a comm with a
	 * space; prev_state D|K is a D sleep */
	const char *t =
		"Web Content  1200/1234  [001]   641.000000123:  sched:sched_switch: "
		"prev_comm=Web Content prev_pid=1234 prev_prio=120 prev_state=D|K "
		"==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
		"\tffffffff82265ec8 __schedule ([kernel.kallsyms])\n"
		"\tffffffff8233aa10 rwsem_down_read_slowpath ([kernel.kallsyms])\n"
		"\n"
		":-1    -1/-1    [000]   641.5:  sched:sched_switch: prev_comm=x "
		"prev_pid=77 prev_prio=120 prev_state=X ==> next_comm=y next_pid=78 "
		"next_prio=120\n"
		"\tffffffff82265ec8 __schedule ([kernel.kallsyms])\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 2);
	CHECK_STR(g->s[0].comm, "Web Content");
	CHECK_U64(g->s[0].pid, 1200);
	CHECK_U64(g->s[0].tid, 1234);
	CHECK_U64(g->s[0].time, 641000000123ull);
	CHECK(!g->s[0].has_period); /* tracepoints print none */
	CHECK(g->s[0].has_switch);
	CHECK_STR(g->s[0].prev_comm, "Web Content");
	CHECK_STR(g->s[0].prev_state, "D|K");
	CHECK_U64(g->s[0].prev_pid, 1234);
	CHECK_U64(g->s[0].next_pid, 0);
	CHECK_STR(g->s[0].stack, "!rwsem_down_read_slowpath;!__schedule");
	/* an exiting task: pid and tid -1 are "not known" */
	CHECK_U64(g->s[1].pid, SD_TEXT_NO_PID);
	CHECK_U64(g->s[1].tid, SD_TEXT_NO_PID);
	CHECK_U64(g->s[1].time, 641500000000ull);
	CHECK_U64(g->s[1].next_pid, 78);
	CHECK_U64(r.switch_payloads, 2);
	CHECK_U64(r.bad_lines, 0);
	sd_diags_clear(&d);
}

TEST(script_lock_contention)
{
	/* lock:contention_begin/end as perf 6.1 prints them (5.19+): the
	 * address, the LCB_F_* flag names, ret */
	const char *t =
		"top 25475/25475 [001] 441.843377000: lock:contention_begin: "
		"0xffff8881248bc8d8 (flags=READ)\n"
		"\tffffffff8226a384 down_read_killable ([kernel.kallsyms])\n"
		"\n"
		"apache2 24154/24154 [000] 441.9: lock:contention_begin: "
		"0xffff888109b99ff8 (flags=WRITE|SPIN|MUTEX)\n"
		"\n"
		"top 25475/25475 [001] 441.850000000: lock:contention_end: "
		"0xffff8881248bc8d8 (ret=0)\n"
		"\n"
		"x 1/1 [000] 442.0: lock:contention_begin: zzz (flags=READ)\n"
		"\n"
		"y 2/2 [000] 442.1: lock:contention_begin: 0x10 (flags=BOGUS|READ)\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 5);
	CHECK(g->s[0].has_lock && g->s[0].lock_begin);
	CHECK_U64(g->s[0].lock_addr, 0xffff8881248bc8d8ull);
	CHECK_U64(g->s[0].lock_flags, 2);
	CHECK_STR(g->s[0].stack, "!down_read_killable");
	CHECK(g->s[1].has_lock);
	CHECK_U64(g->s[1].lock_flags, 4 | 1 | 32);
	CHECK(g->s[2].has_lock && !g->s[2].lock_begin);
	CHECK_U64(g->s[2].lock_addr, 0xffff8881248bc8d8ull);
	CHECK_U64(g->s[2].lock_flags, 0);
	/* no address: a sample, but no lock */
	CHECK(!g->s[3].has_lock);
	/* unknown flag names are ignored */
	CHECK(g->s[4].has_lock);
	CHECK_U64(g->s[4].lock_flags, 2);
	sd_diags_clear(&d);
}

TEST(script_no_callchain_and_variants)
{
	/* one line per sample (no -g): right-aligned comm, the frame after the
	 * event; then the old layouts of FlameGraph's corpus: no cpu, no time,
	 * unindented frames, a vmlinux path, a module, a srcline */
	const char *t =
		"            perf  9512 [000]   640.374340:    1001001 cpu-clock:  "
		"ffffffff8225fd19 pvm_irq_enable+0x19 ([kernel.kallsyms])\n"
		"            cafe  9513 [001]   640.374341:    1001001 cpu-clock:  "
		"4005d0 main+0x10 (/tmp/cafe)\n"
		"java 19983 cycles:\n"
		"ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n"
		"7f7241239aec writeBytes (/opt/jdk/lib/libjava.so)\n"
		"\n"
		"dd 29776 666709.771979:   10101010 cpu-clock: \n"
		"\t          414b3b fsnotify (/lib/modules/4.1.0-virtual/build/vmlinux)\n"
		"\t             7d8 ipv4_conntrack_local+0x7f8f80b8 ([nf_conntrack_ipv4])\n"
		"\t          e5f70 read (/lib/x86_64-linux-gnu/libc-2.15.so)\n"
		"  read.c:12\n"
		"\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 4);
	CHECK_STR(g->s[0].comm, "perf");
	CHECK_STR(g->s[0].stack, "!pvm_irq_enable");
	CHECK_STR(g->s[1].comm, "cafe"); /* a comm that looks like an address */
	CHECK_STR(g->s[1].stack, "main");
	CHECK_STR(g->s[2].comm, "java");
	CHECK_STR(g->s[2].event, "cycles");
	CHECK(!g->s[2].has_time);
	CHECK_STR(g->s[2].stack, "writeBytes;!native_write_msr_safe");
	CHECK_STR(g->s[3].stack, "read;!ipv4_conntrack_local;!fsnotify");
	CHECK_U64(r.bad_lines, 0);
	sd_diags_clear(&d);
}

TEST(script_malformed_lines)
{
	/* bad lines: a diagnostic with the line number each, parsing goes on;
	 * CRLF endings and a missing final newline are fine */
	const char *t =
		"this is not a header\r\n"                                /* 1 */
		"bash  100 [000]   1.000001:    1 cpu-clock: \r\n"         /* 2 */
		"\tffffffff81000130 entry_SYSCALL_64 ([kernel.kallsyms])\r\n" /* 3 */
		"\tno-address-here (x)\r\n"                               /* 4 */
		"\r\n"                                                    /* 5 */
		"bash  100 [000]   1.000002:    1 cpu-clock: \r\n"         /* 6 */
		"\t4005d0 main (/bin/bash)";                              /* 7 */
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 2);
	CHECK_U64(r.bad_lines, 2);
	CHECK(diag_has(&d, "line 1:", "not a perf script sample header"));
	CHECK(diag_has(&d, "line 4:", "not a frame line"));
	CHECK_STR(g->s[0].stack, "!entry_SYSCALL_64");
	CHECK_U64(g->s[1].line, 6);
	CHECK_STR(g->s[1].stack, "main");
	sd_diags_clear(&d);
}

TEST(script_switch_without_payload)
{
	/* -F without trace: the sample is kept, the sleep cannot be followed */
	const char *t = "ps  10 [000]   1.5:  sched:sched_switch: \n"
			"\tffffffff82265ec8 __schedule ([kernel.kallsyms])\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_SCRIPT, t, &d, &r);
	CHECK_U64(g->n, 1);
	CHECK(!g->s[0].has_switch);
	CHECK_U64(r.switch_unreadable, 1);
	CHECK(diag_has(&d, "line 1:", "without its payload"));
	sd_diags_clear(&d);
}

/* ---- folded ----------------------------------------------------------- */

TEST(folded_lines)
{
	const char *t =
		"# a comment\n"
		"forkswap;[libc.so.6];entry_SYSCALL_64_after_hwframe;do_syscall_64;"
		"copy_page_range;swap_duplicate 12\n"
		"ps;[unknown] ;[unknown] 3\n"          /* a frame ending in a blank */
		"nocount;a;b\n"                         /* 4: no count */
		"big;a 99999999999999999999999\n"        /* 5: not a u64 */
		";a 1\n"                                /* 6: no comm */
		"kworker/0:1;ret_from_fork_asm;kthread;worker_thread 7\n"
		"x;main;copy_page_range_[k];swap_duplicate_[k] 2\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_FOLDED, t, &d, &r);
	CHECK_U64(g->n, 4);
	CHECK_U64(r.bad_lines, 3);
	CHECK(diag_has(&d, "line 4:", "not a folded stack"));
	CHECK(diag_has(&d, "line 5:", "not a folded stack"));
	CHECK(diag_has(&d, "line 6:", "without a process name"));
	sd_diags_clear(&d);
	/* counts that could wrap the sums are refused */
	g = run(SD_TEXT_FOLDED, "a;b 281474976710656\na;b 281474976710657\n", &d, &r);
	CHECK_U64(g->n, 1);
	CHECK(diag_has(&d, "line 2:", "beyond 2^48"));
	g = run(SD_TEXT_FOLDED, t, &d, &r);
	CHECK_STR(g->s[0].comm, "forkswap");
	CHECK_U64(g->s[0].count, 12);
	CHECK_U64(g->s[0].pid, SD_TEXT_NO_PID);
	/* kernel from the syscall entry on */
	CHECK_STR(g->s[0].stack,
		  "[libc.so.6];!entry_SYSCALL_64_after_hwframe;!do_syscall_64;"
		  "!copy_page_range;!swap_duplicate");
	CHECK_STR(g->s[1].stack, "[unknown] ;[unknown]");
	CHECK_STR(g->s[2].stack, "!ret_from_fork_asm;!kthread;!worker_thread");
	/* stackcollapse --kernel: "_[k]" marks kernel frames and is dropped */
	CHECK_STR(g->s[3].stack, "main;!copy_page_range;!swap_duplicate");
	CHECK_STR(g->headers, "");
	sd_diags_clear(&d);
}

TEST(folded_pid_suffixes)
{
	/* stackcollapse --pid: every comm is "comm-PID"; alone, a comm such
	 * as "jbd2/vda1-8" keeps its name */
	struct got *g = run(SD_TEXT_FOLDED,
			    "httpd-2201;a;b 3\nfoo.cgi-30001/30001;a 1\n", NULL, NULL);
	CHECK_U64(g->n, 2);
	CHECK_STR(g->s[0].comm, "httpd");
	CHECK_U64(g->s[0].pid, 2201);
	CHECK_STR(g->s[1].comm, "foo.cgi");
	CHECK_U64(g->s[1].pid, 30001);
	g = run(SD_TEXT_FOLDED, "jbd2/vda1-8;a 3\nbash;b 1\n", NULL, NULL);
	CHECK_STR(g->s[0].comm, "jbd2/vda1-8");
	CHECK_U64(g->s[0].pid, SD_TEXT_NO_PID);
}

/* ---- perf report ------------------------------------------------------ */

/* The seed's layout (perf 2.6.32, -G, fractal), cut down. */
static const char seed_like[] =
	"# Overhead         Command      Shared Object      Symbol\n"
	"# ........  ..............  .................  ..............\n"
	"#\n"
	"    40.00%           httpd  [kernel.kallsyms]  [k] _spin_lock\n"
	"                     |          \n"
	"                     |--75.00%-- run_cgi_child\n"
	"                     |          __libc_fork\n"
	"                     |          stub_clone\n"
	"                     |          copy_page_range\n"
	"                     |          |          \n"
	"                     |          |--50.00%-- swap_duplicate\n"
	"                     |          |          _spin_lock\n"
	"                     |           --50.00%-- [...]\n"
	"                     |          \n"
	"                      --25.00%-- __execve\n"
	"                                stub_execve\n"
	"                                unmap_vmas\n"
	"                                free_swap_and_cache\n"
	"                                _spin_lock\n"
	"    10.00%      foo.cgi  [kernel.kallsyms]             [k] _spin_lock\n"
	"                |\n"
	"                --- 0x3748aacda7\n"
	"                    stub_execve\n"
	"                   |          \n"
	"                   |--60.00%-- unmap_vmas\n"
	"                   |          free_swap_and_cache\n"
	"                    --40.00%-- [...]\n";

TEST(report_seed_layout)
{
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_REPORT, seed_like, &d, &r);
	CHECK(r.report_relative);
	CHECK(!r.report_callee);
	CHECK(fabs(r.report_listed - 50.0) < 1e-9);
	CHECK_U64(r.bad_lines, 0);
	/* weights in millionths: fork path 40 % x 75 % x 50 % = 15 %, its
	 * [...] 15 %, exec path 40 % x 25 % = 10 %; foo.cgi 10 % x 60 % = 6 %,
	 * its [...] 4 %; the unlisted 50 % */
	CHECK_U64(g->n, 6);
	CHECK_STR(g->s[0].comm, "httpd");
	CHECK_STR(g->s[0].stack, "run_cgi_child;__libc_fork;!stub_clone;"
				 "!copy_page_range;!swap_duplicate;!_spin_lock");
	CHECK_U64(g->s[0].count, 150000);
	CHECK_STR(g->s[1].stack, "run_cgi_child;__libc_fork;!stub_clone;"
				 "!copy_page_range;!_spin_lock");
	CHECK_U64(g->s[1].count, 150000);
	CHECK_STR(g->s[2].stack, "__execve;!stub_execve;!unmap_vmas;"
				 "!free_swap_and_cache;!_spin_lock");
	CHECK_U64(g->s[2].count, 100000);
	CHECK_STR(g->s[3].comm, "foo.cgi");
	CHECK_STR(g->s[3].stack, "0x3748aacda7;!stub_execve;!unmap_vmas;"
				 "!free_swap_and_cache;!_spin_lock");
	CHECK_U64(g->s[3].count, 60000);
	CHECK_STR(g->s[4].stack, "0x3748aacda7;!stub_execve;!_spin_lock");
	CHECK_U64(g->s[4].count, 40000);
	CHECK_STR(g->s[5].comm, "[not-listed]");
	CHECK_U64(g->s[5].count, 500000);
	CHECK_U64(g->s[0].pid, SD_TEXT_NO_PID);
	CHECK(diag_has(&d, "caller first", "no per-process pids"));
	CHECK(diag_has(&d, "lists 50.00%", "[not-listed]"));
	sd_diags_clear(&d);
}

TEST(report_modern_callee)
{
	/* perf 6.x: "---name", "|--28.66%--name", absolute percentages,
	 * callee first (leaf at the top), a "# Samples" line, --header */
	const char *t =
		"# hostname : www01\n"
		"# os release : 2.6.32-642.el6.x86_64\n"
		"# Samples: 10K of event 'cycles'\n"
		"# Overhead  Command  Shared Object      Symbol\n"
		"# ........  .......  .................  ..............\n"
		"#\n"
		"    30.00%  httpd    [kernel.kallsyms]  [k] _spin_lock\n"
		"            |\n"
		"            ---_spin_lock\n"
		"               |          \n"
		"               |--20.00%--__swap_duplicate\n"
		"               |          copy_page_range\n"
		"               |          stub_clone\n"
		"               |          0x3748a9b0d5\n"
		"               |          \n"
		"                --10.00%--swap_info_get\n"
		"                          unmap_vmas\n"
		"\n"
		"     5.00%  httpd    libc.so            [.] memcpy\n";
	struct sd_diags d;
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *g = run(SD_TEXT_PERF_REPORT, t, &d, &r);
	CHECK(!r.report_relative);
	CHECK(r.report_callee);
	CHECK_STR(g->headers, "hostname=www01|os release=2.6.32-642.el6.x86_64|");
	CHECK_U64(g->n, 4);
	CHECK_STR(g->s[0].event, "cycles");
	CHECK_STR(g->s[0].stack, "0x3748a9b0d5;!stub_clone;!copy_page_range;"
				 "!__swap_duplicate;!_spin_lock");
	CHECK_U64(g->s[0].count, 200000);
	/* no entry frame: a kernel leaf makes the whole chain kernel */
	CHECK_STR(g->s[1].stack, "!unmap_vmas;!swap_info_get;!_spin_lock");
	CHECK_U64(g->s[1].count, 100000);
	CHECK_STR(g->s[2].stack, "memcpy"); /* "[.]": user */
	CHECK_U64(g->s[2].count, 50000);
	CHECK_STR(g->s[3].comm, "[not-listed]");
	CHECK_U64(g->s[3].count, 650000);
	sd_diags_clear(&d);
}

TEST(report_refused_and_malformed)
{
	/* --children counts a sample under each function: refused */
	const char *ch = "# Children      Self  Command  Shared Object  Symbol\n"
			 "# ........  ........  .......  .............  ......\n"
			 "    90.00%     0.00%  a        a              [.] main\n";
	struct sd_diags d;
	struct got g;
	struct sd_text_ops ops = {keep, NULL, &g, 0, NULL};
	memset(&g, 0, sizeof g);
	sd_diags_init(&d);
	CHECK(sd_text_parse_perf_report(ch, strlen(ch), &ops, &d, NULL) < 0);
	CHECK(diag_has(&d, "--no-children", NULL));
	CHECK_U64(g.n, 0);
	sd_diags_clear(&d);

	/* graph lines out of place, a branch without a percentage: skipped
	 * with their line numbers */
	const char *t = "    50.00%  a  [kernel.kallsyms]  [k] f\n"  /* 1 */
			"            ---f\n"                          /* 2 */
			"               |--x%--g\n"                    /* 3 */
			"junk outside a tree\n"                       /* 4 */
			"\n"                                          /* 5 */
			"               h\n";                         /* 6 */
	struct sd_text_result r;
	sd_diags_init(&d);
	struct got *gp = run(SD_TEXT_PERF_REPORT, t, &d, &r);
	CHECK_U64(r.bad_lines, 3);
	CHECK(diag_has(&d, "line 3:", "without a percentage"));
	CHECK(diag_has(&d, "line 4:", NULL));
	CHECK(diag_has(&d, "line 6:", NULL));
	CHECK_U64(gp->n, 2); /* f 50 %, the unlisted 50 % */
	CHECK_STR(gp->s[0].stack, "!f");
	sd_diags_clear(&d);
}

/* ---- detection and the kernel rules ----------------------------------- */

TEST(detect)
{
	CHECK(sd_text_detect("", 0) == SD_TEXT_UNKNOWN);
	CHECK(sd_text_detect(seed_like, strlen(seed_like)) == SD_TEXT_PERF_REPORT);
	const char *s = "bash  100 [000]   1.000001:    1 cpu-clock: \n"
			"\tffffffff81000130 f ([kernel.kallsyms])\n";
	CHECK(sd_text_detect(s, strlen(s)) == SD_TEXT_PERF_SCRIPT);
	const char *f = "a;b;c 3\nd;e 1\n";
	CHECK(sd_text_detect(f, strlen(f)) == SD_TEXT_FOLDED);
	/* prose, a table, numbers at line ends: none of them */
	const char *md = "# testdata\n\n| file | bytes |\n|---|---|\n"
			 "Build 123 of the tree 4\nsee also 5\n";
	CHECK(sd_text_detect(md, strlen(md)) == SD_TEXT_UNKNOWN);
	/* a NUL byte: binary */
	const char bin[] = "a;b 1\n\0c;d 2\n";
	CHECK(sd_text_detect(bin, sizeof bin - 1) == SD_TEXT_UNKNOWN);
	CHECK(sd_text_parse(SD_TEXT_UNKNOWN, f, strlen(f), NULL, NULL, NULL) ==
	      -SD_E_BAD_MAGIC);
	CHECK_STR(sd_text_kind_name(SD_TEXT_PERF_REPORT), "perf-report");
	CHECK_STR(sd_text_kind_name(SD_TEXT_PERF_SCRIPT), "perf-script");
	CHECK_STR(sd_text_kind_name(SD_TEXT_FOLDED), "folded");
}

static void mark(const char *const *f, size_t n, int leaf, char *out)
{
	bool k[16];
	sd_text_mark_kernel(f, k, n, leaf);
	for (size_t i = 0; i < n; i++)
		out[i] = k[i] ? 'k' : 'u';
	out[n] = '\0';
}

TEST(kernel_rules)
{
	char m[17];
	const char *fork[] = {"run_cgi_child", "__libc_fork", "stub_clone",
			      "do_fork", "_spin_lock"};
	mark(fork, 5, 1, m);
	CHECK_STR(m, "uukkk");
	mark(fork, 5, -1, m);
	CHECK_STR(m, "uukkk");
	mark(fork, 5, 0, m); /* a user leaf: no kernel frames */
	CHECK_STR(m, "uuuuu");
	/* no entry frame: a kernel leaf takes all but unresolved user ones */
	const char *bare[] = {"0x3748aacda7", "[libc.so.6]", "unmap_vmas",
			      "_spin_lock"};
	mark(bare, 4, 1, m);
	CHECK_STR(m, "uukk");
	/* unknown leaf: from the first function the detectors know */
	mark(bare, 4, -1, m);
	CHECK_STR(m, "uukk");
	const char *user[] = {"main", "dup_mm_helper", "qsort"};
	mark(user, 3, -1, m);
	CHECK_STR(m, "uuu");
	const char *kmap[] = {"[libc.so.6]", "[[kernel.kallsyms]]", "x"};
	mark(kmap, 3, -1, m);
	CHECK_STR(m, "ukk");

	CHECK(sd_text_dso_is_kernel("[kernel.kallsyms]"));
	CHECK(sd_text_dso_is_kernel("[kernel.kallsyms]_text"));
	CHECK(sd_text_dso_is_kernel("[guest.kernel.kallsyms]"));
	CHECK(sd_text_dso_is_kernel("[nf_conntrack_ipv4]"));
	CHECK(sd_text_dso_is_kernel("/lib/modules/4.1.0-virtual/build/vmlinux"));
	CHECK(sd_text_dso_is_kernel("/lib/modules/6.1/kernel/fs/ext4/ext4.ko.xz"));
	CHECK(!sd_text_dso_is_kernel("[vdso]"));
	CHECK(!sd_text_dso_is_kernel("[unknown]"));
	CHECK(!sd_text_dso_is_kernel("[heap]"));
	CHECK(!sd_text_dso_is_kernel("/usr/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(!sd_text_dso_is_kernel("/tmp/perf-19982.map"));
}

/* No crash and no stray samples on every prefix of the inputs above, and
 * on them with bytes flipped (a cheap stand-in for the fuzzer): every
 * parse succeeds (bad lines are diagnostics, not errors), says how many
 * stacks it passed on, passes on no more stacks than the text has lines
 * (a folded line or a perf script header is one stack at most), and every
 * frame it passes is a string no longer than the input. */
struct seen {
	size_t len;      /* of the input */
	uint64_t stacks; /* callbacks */
	uint64_t bad;    /* NULL frames, frames longer than the input */
};

static int count_only(void *arg, const struct sd_text_sample *s)
{
	struct seen *z = arg;

	z->stacks++;
	if (s->nr_frames > SD_TEXT_MAX_FRAMES || !s->comm || !s->event)
		z->bad++;
	for (size_t i = 0; i < s->nr_frames; i++)
		if (!s->frames[i] || strlen(s->frames[i]) > z->len)
			z->bad++;
	return 0;
}

static uint64_t nr_lines(const char *b, size_t n)
{
	uint64_t l = n > 0;
	for (size_t i = 0; i + 1 < n; i++)
		l += b[i] == '\n';
	return l;
}

TEST(prefixes_and_flips)
{
	uint64_t runs = 0, failures = 0;
	const char *inputs[] = {seed_like, "a;b;c 3\nd;e 1\n",
		"bash  100 [000]   1.000001:    1 cpu-clock: \n"
		"\tffffffff81000130 f ([kernel.kallsyms])\n\n"};
	for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
		size_t n = strlen(inputs[k]);
		char *b = malloc(n + 1);
		for (size_t cut = 0; cut <= n; cut++) {
			for (int flip = 0; flip < 3; flip++) {
				memcpy(b, inputs[k], n);
				if (flip && cut < n)
					b[cut] = flip == 1 ? '\0' : (char)0xff;
				size_t len = flip ? n : cut;
				for (int kind = 1; kind <= 3; kind++) {
					struct seen z = {.len = len};
					struct sd_text_ops ops = {count_only, NULL,
								  &z, 0, NULL};
					struct sd_text_result res;
					struct sd_diags d;
					sd_diags_init(&d);
					int rc = sd_text_parse(
						(enum sd_text_kind)kind, b, len,
						&ops, &d, &res);
					sd_diags_clear(&d);
					if (rc || z.bad || z.stacks != res.samples ||
					    (kind != SD_TEXT_PERF_REPORT &&
					     z.stacks > nr_lines(b, len))) {
						fprintf(stderr,
							"input %zu cut %zu flip %d "
							"kind %d: rc %d, %" PRIu64
							" stacks (%" PRIu64
							" said), %" PRIu64 " bad\n",
							k, cut, flip, kind, rc,
							z.stacks, res.samples, z.bad);
						failures++;
					}
					runs++;
				}
				enum sd_text_kind kd = sd_text_detect(b, len);
				if (kd > SD_TEXT_PERF_REPORT)
					failures++;
			}
		}
		free(b);
	}
	CHECK_U64(failures, 0);
	/* every input, cut and flip was parsed by all three parsers */
	CHECK(runs > 3 * 3 * strlen(seed_like));
}

int main(void)
{
	RUN(script_period_regex);
	RUN(script_weights_as_stackcollapse);
	RUN(script_default_fields);
	RUN(script_task_events);
	RUN(script_pid_tid_ns_and_sched_switch);
	RUN(script_lock_contention);
	RUN(script_no_callchain_and_variants);
	RUN(script_malformed_lines);
	RUN(script_switch_without_payload);
	RUN(folded_lines);
	RUN(folded_pid_suffixes);
	RUN(report_seed_layout);
	RUN(report_modern_callee);
	RUN(report_refused_and_malformed);
	RUN(detect);
	RUN(kernel_rules);
	RUN(prefixes_and_flips);
	return test_exit();
}
