/* SPDX-License-Identifier: MIT */
/*
 * stacks: interning, folding and weights through the public API
 * (swapdiag/stacks.h), on raw call chains resolved through a machine with
 * a small kallsyms written here, and on named stacks as text inputs give
 * them.  The truth is what `perf script | stackcollapse-perf.pl` prints
 * (/work/shared/FOLDED.md, the rules restated in src/stacks/fold.c):
 *
 *  F1 one line per distinct (comm, frames): "comm;root;...;leaf", frames
 *     from the call chain reversed: user frames outermost first, then
 *     kernel frames down to the sampled IP; PERF_CONTEXT_* markers are
 *     not frames.  Which thread or process it was does not matter
 *     (unless --folded-with pid/tid).
 *  F2 the weight of a line: the sum of its samples' periods (the count
 *     is kept beside it).
 *  F3 a frame perf cannot name: "[basename of its DSO]" in a known DSO,
 *     "[[kernel.kallsyms]]" in the kernel map, "[unknown]" with no DSO --
 *     which is where perf 6.1 puts a kernel address past the core
 *     symbols once it has loaded kallsyms: the kernel map shrinks to
 *     them (tests/machine/check-modules.py checks that, and module frames,
 *     against perf itself).
 *  F4 comm: spaces become '_'.  A one-character comm comes out with a
 *     '_' after it: the header regex ^(\S.+?)\s+(\d+)... takes one space
 *     of perf script's "x     400 [000] ..." into it (stackcollapse-perf.pl
 *     at FlameGraph 41fee1f on that header prints "x_;copy_page_range").
 *  F5 --folded-with kernel: "_[k]" after every frame whose DSO starts
 *     with '[' (not "[unknown]") or ends in vmlinux; pid: "comm-PID".
 *  F7 every sample is counted once under its stack and detail, whatever
 *     path the stacks table takes for it: its raw-chain table on or set
 *     aside (chains that do not repeat), and taken up again.
 *  F8 a stack or detail seen again is found again, however large its
 *     table has grown since it was added: one stack per distinct key,
 *     one detail per (stack, pid, bucket).
 *  F6 a sample without a call chain is "comm;symbol-of-IP" (FOLDED.md's
 *     rule.  Note: on a recording made without call chains, perf script
 *     prints each sample on one line and stackcollapse-perf.pl at 41fee1f
 *     folds none of them; swapdiag keeps them, as FOLDED.md says.)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>

#include "stacks/internal.h"
#include "test.h"
#include "stackworld.h"
#include "smallkernel.h"

#define K(off) (KBASE + (off))
#define ENTRY K(0x110)
#define DOSYS K(0x220)
#define CLONE K(0x330)
#define COPY K(0x440)
#define SWAPDUP K(0x550)
#define LOCK K(0x660)
/* past the end perf gives the last symbol (_etext: roundup(start, 4096) +
 * 4096, symbols__fixup_end()): past the kernel map once kallsyms is
 * loaded (map__fixup_end()), in no map */
#define KNONAME (KBASE + 0x3000)

static bool world_init(struct world *w, unsigned fold)
{
	if (!world_open(w, kallsyms))
		return false;
	sd_stacks_set_fold(w->st, fold);

	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = KBASE,
				  .len = 0x1000, .pgoff = KBASE,
				  .filename = "[kernel.kallsyms]_text"};
	record(w, &r);
	/* two processes of /usr/bin/app, mapped at the same address; one
	 * "my app", one "app"; and a one-character comm */
	const struct {
		uint32_t pid;
		const char *comm;
	} procs[] = {{100, "app"}, {200, "app"}, {300, "my app"}, {400, "x"}};
	for (size_t i = 0; i < 4; i++) {
		struct sd_record c = {.type = SD_REC_COMM};
		c.comm = (struct sd_comm){procs[i].pid, procs[i].pid, true,
					  procs[i].comm};
		record(w, &c);
		struct sd_record m = {.type = SD_REC_MMAP2,
				      .misc = SD_MISC_USER};
		m.mmap = (struct sd_mmap){.pid = procs[i].pid,
					  .tid = procs[i].pid,
					  .start = 0x400000, .len = 0x10000,
					  .prot = 5, .filename = "/usr/bin/app"};
		record(w, &m);
	}
	/* a second thread of process 100, named by its FORK */
	struct sd_record f = {.type = SD_REC_FORK};
	f.task = (struct sd_task){100, 100, 101, 100, 1};
	record(w, &f);
	return true;
}

/* One sample of (pid, tid) with a call chain (markers included). */
static uint32_t sample(struct world *w, uint32_t pid, uint32_t tid,
		       const uint64_t *ips, size_t n, uint64_t period,
		       uint64_t time)
{
	struct sd_stack_sample s = {
		.cpumode = SD_MISC_KERNEL,
		.ip = n > 1 ? ips[1] : 0,
		.ips = ips,
		.nr_ips = n,
		.has_callchain = true,
		.period = period,
		.pid = pid,
		.tid = tid,
		.time = time,
		.machine = w->m,
	};
	uint32_t id = UINT32_MAX;
	CHECK(sd_machine_thread(w->m, pid, tid, &s.view) == 0);
	CHECK(sd_stacks_add(w->st, &s, &id) == 0);
	return id;
}

/* The folded lines of event 0, as "line weight" joined by '\n'. */
static char *folded(struct world *w, unsigned with)
{
	const struct sd_folded_line *l;
	size_t n;
	static char out[4096];
	size_t at = 0;

	out[0] = '\0';
	if (sd_stacks_folded(w->st, w->m, 0, with, &l, &n))
		return out;
	for (size_t i = 0; i < n && at < sizeof out; i++)
		at += (size_t)snprintf(out + at, sizeof out - at,
				       "%s %llu/%llu\n", l[i].stack,
				       (unsigned long long)l[i].count,
				       (unsigned long long)l[i].period);
	return out;
}

/* Is line (with its "count/period") one of the folded lines? */
static bool has_line(const char *all, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = all; (p = strstr(p, line)); p++)
		if ((p == all || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static size_t nr_lines(const char *all)
{
	size_t n = 0;
	for (; *all; all++)
		n += *all == '\n';
	return n;
}

/* fork -> page-table copy -> swap_duplicate, under app's main, and a
 * frame in no map at all */
static const uint64_t fork_chain[] = {
	SD_CONTEXT_KERNEL, SWAPDUP, COPY, CLONE, DOSYS, ENTRY,
	SD_CONTEXT_USER, 0x401000, 0x1234,
};
#define NFORK (sizeof fork_chain / sizeof *fork_chain)

TEST(raw_chains_fold_as_stackcollapse)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");

	/* the same chain in two threads of one process and in another
	 * process of the same program and comm */
	uint32_t a = sample(&w, 100, 100, fork_chain, NFORK, 100, 1);
	uint32_t b = sample(&w, 100, 101, fork_chain, NFORK, 300, 2);
	uint32_t c = sample(&w, 200, 200, fork_chain, NFORK, 50, 3);
	/* interning: one stack for what means the same code */
	CHECK_U64(a, b);
	CHECK_U64(a, c);
	/* another comm: another stack */
	uint32_t d = sample(&w, 300, 300, fork_chain, NFORK, 7, 4);
	CHECK(d != a);
	/* F4: one-character comm */
	uint32_t e = sample(&w, 400, 400, fork_chain, NFORK, 1000, 5);
	CHECK(e != a && e != d);
	/* a chain into the spin lock, and one whose leaf has no symbol */
	const uint64_t lock[] = {SD_CONTEXT_KERNEL, LOCK, SWAPDUP, COPY,
				 CLONE, DOSYS, ENTRY, SD_CONTEXT_USER,
				 0x401000, 0x1234};
	uint32_t f = sample(&w, 100, 100, lock, 10, 11, 6);
	const uint64_t noname[] = {SD_CONTEXT_KERNEL, KNONAME, DOSYS, ENTRY,
				   SD_CONTEXT_USER, 0x402000};
	uint32_t g = sample(&w, 200, 200, noname, 6, 13, 7);
	CHECK(f != a && g != a && f != g);
	CHECK_U64(sd_stacks_count(w.st), 5);

	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	struct sd_stack_info si;
	CHECK(sd_stacks_get(w.st, a, &si) == 0);
	CHECK_U64(si.count, 3);
	CHECK_U64(si.period, 450);
	CHECK_STR(sd_machine_comm_str(w.m, si.comm), "app");
	/* frames root first: user outermost first, then the kernel */
	const char *want[] = {"[unknown]", "[app]", "entry_SYSCALL_64",
			      "do_syscall_64", "__x64_sys_clone",
			      "copy_page_range", "swap_duplicate"};
	CHECK_U64(si.nr_frames, 7);
	for (size_t i = 0; i < 7 && i < si.nr_frames; i++) {
		CHECK_STR(sd_stacks_str(w.st, si.frames[i].name), want[i]);
		CHECK(si.frames[i].kernel == (i >= 2));
	}
	CHECK(sd_stacks_get(w.st, e, &si) == 0);
	CHECK_U64(si.count, 1);
	CHECK_U64(si.period, 1000);

	/* F1, F2, F3, F4 */
	const char *all = folded(&w, 0);
	CHECK(has_line(all, "app;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 3/450"));
	CHECK(has_line(all, "my_app;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 1/7"));
	CHECK(has_line(all, "app;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate;_raw_spin_lock 1/11"));
	CHECK(has_line(all, "app;[app];entry_SYSCALL_64;do_syscall_64;"
			    "[unknown] 1/13"));
	CHECK(has_line(all, "x_;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 1/1000"));
	CHECK_U64(nr_lines(all), 5);
	if (nr_lines(all) != 5)
		fprintf(stderr, "folded:\n%s", all);

	/* F5: kernel frames marked; "[unknown]" is not a kernel DSO */
	all = folded(&w, SD_FOLD_KERNEL);
	CHECK(has_line(all, "app;[app];entry_SYSCALL_64_[k];"
			    "do_syscall_64_[k];[unknown] 1/13"));
	world_close(&w);
}

TEST(pid_keeps_processes_apart)
{
	struct world w;
	if (!world_init(&w, SD_FOLD_PID))
		SKIP("no temporary file");
	uint32_t a = sample(&w, 100, 100, fork_chain, NFORK, 100, 1);
	uint32_t b = sample(&w, 100, 101, fork_chain, NFORK, 300, 2);
	uint32_t c = sample(&w, 200, 200, fork_chain, NFORK, 50, 3);
	CHECK(a != c); /* kept per process now */
	(void)b;
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	const char *all = folded(&w, SD_FOLD_PID);
	CHECK(has_line(all, "app-100;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 2/400"));
	CHECK(has_line(all, "app-200;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 1/50"));
	CHECK_U64(nr_lines(all), 2);
	world_close(&w);
}

TEST(no_callchain_and_details)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");
	/* F6: the IP alone */
	struct sd_stack_sample s = {
		.cpumode = SD_MISC_KERNEL,
		.ip = COPY,
		.period = 5,
		.pid = 100,
		.tid = 100,
		.machine = w.m,
	};
	uint32_t id[3];
	CHECK(sd_machine_thread(w.m, 100, 100, &s.view) == 0);
	/* three samples: two in the first 100 ms bucket, one in the next */
	s.time = 10 * 1000000ull;
	CHECK(sd_stacks_add(w.st, &s, &id[0]) == 0);
	s.time = 99 * 1000000ull;
	CHECK(sd_stacks_add(w.st, &s, &id[1]) == 0);
	s.time = 150 * 1000000ull;
	CHECK(sd_stacks_add(w.st, &s, &id[2]) == 0);
	CHECK_U64(id[0], id[1]);
	CHECK_U64(id[0], id[2]);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	CHECK(has_line(folded(&w, 0), "app;copy_page_range 3/15"));

	uint64_t b0 = 0, b1 = 0, other = 0;
	for (size_t i = 0; i < sd_stacks_nr_details(w.st); i++) {
		const struct sd_stack_detail *dt = sd_stacks_detail(w.st, i);
		if (dt->stack == id[0] && dt->pid == 100 && dt->bucket == 0)
			b0 += dt->count;
		else if (dt->stack == id[0] && dt->pid == 100 && dt->bucket == 1)
			b1 += dt->count;
		else
			other++;
	}
	CHECK_U64(b0, 2);
	CHECK_U64(b1, 1);
	CHECK_U64(other, 0);
	world_close(&w);
}

/*
 * A fork storm: the same chains in many processes of one program (each its
 * own address space) are one stack each; a kernel-only chain is one stack
 * in every process; samples of (stack, pid) interleaved across processes
 * and 100 ms buckets, and a bucket come back to, are each counted under
 * their own (stack, pid, bucket) -- counted here by hand.
 */
TEST(storm_shares_stacks_details_exact)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");
	static const uint64_t konly[] = {SD_CONTEXT_KERNEL, SWAPDUP, COPY,
					 CLONE, DOSYS, ENTRY};
	/* processes 100 and 200 run app at the same address */
	const uint32_t pids[] = {100, 200, 100, 100, 200, 100};
	const uint64_t ms[] = {10, 20, 150, 160, 30, 40}; /* buckets 0 0 1 1 0 0 */
	uint32_t u[6], k[6];
	for (size_t i = 0; i < 6; i++) {
		u[i] = sample(&w, pids[i], pids[i], fork_chain, NFORK, 1 + i,
			      ms[i] * 1000000ull);
		k[i] = sample(&w, pids[i], pids[i], konly, 6, 10,
			      ms[i] * 1000000ull);
	}
	size_t same_u = 0, same_k = 0;
	for (size_t i = 1; i < 6; i++) {
		same_u += u[i] == u[0];
		same_k += k[i] == k[0];
	}
	CHECK_U64(same_u, 5);
	CHECK_U64(same_k, 5);
	CHECK(u[0] != k[0]);
	CHECK_U64(sd_stacks_count(w.st), 2);

	/* (stack, pid, bucket) -> count, by hand from the table above */
	struct {
		uint32_t pid;
		uint64_t bucket, count, period;
	} want[] = {{100, 0, 2, 1 + 6}, {200, 0, 2, 2 + 5}, {100, 1, 2, 3 + 4}};
	size_t nd = sd_stacks_nr_details(w.st), found = 0, stray = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(w.st, i);
		size_t q = 0;
		while (q < 3 && !(d->pid == want[q].pid &&
				  d->bucket == want[q].bucket))
			q++;
		if (q == 3) {
			stray++;
			continue;
		}
		found++;
		CHECK_U64(d->count, want[q].count);
		if (d->stack == u[0])
			CHECK_U64(d->period, want[q].period);
		else
			CHECK_U64(d->period, 10 * want[q].count);
	}
	/* three (pid, bucket) pairs for each of the two stacks */
	CHECK_U64(nd, 6);
	CHECK_U64(found, 6);
	CHECK_U64(stray, 0);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	const char *all = folded(&w, 0);
	CHECK(has_line(all, "app;[unknown];[app];entry_SYSCALL_64;"
			    "do_syscall_64;__x64_sys_clone;copy_page_range;"
			    "swap_duplicate 6/21"));
	CHECK(has_line(all, "app;entry_SYSCALL_64;do_syscall_64;"
			    "__x64_sys_clone;copy_page_range;swap_duplicate 6/60"));
	CHECK_U64(nr_lines(all), 2);
	world_close(&w);
}

/*
 * F7: a run of chains that never repeat (the leaf address moves within one
 * function, and a frame in no map moves: they all make one stack), long
 * enough that the raw-chain table is set aside for a while, then chains
 * that repeat, in two processes and two time buckets, long enough that it
 * is taken up again.
 */
TEST(counts_with_and_without_the_chain_table)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");
	enum { NEW = 3 * 4096, REP = 80000 };
	uint64_t ch[NFORK];
	memcpy(ch, fork_chain, sizeof ch);
	uint32_t first = UINT32_MAX;
	size_t other = 0;
	for (uint32_t i = 0; i < NEW; i++) {
		ch[1] = SWAPDUP + i % 0xa0;
		ch[8] = 0x1000 + i; /* in no map: a new raw chain each time */
		uint32_t id = sample(&w, 100, 100, ch, NFORK, 1, 1000);
		if (first == UINT32_MAX)
			first = id;
		other += id != first;
	}
	CHECK_U64(other, 0);
	CHECK(w.st->rt.paused);
	/* three chains by turns; pid 200 every third sample; the second
	 * half in bucket 1 */
	static const uint64_t konly[] = {SD_CONTEXT_KERNEL, LOCK, COPY};
	memcpy(ch, fork_chain, sizeof ch);
	uint32_t id3[3] = {0};
	for (uint32_t i = 0; i < REP; i++) {
		uint32_t pid = i % 3 == 2 ? 200 : 100;
		uint64_t t = i < REP / 2 ? 2000 : SD_BUCKET_NS + 5;
		if (i % 2)
			id3[0] = sample(&w, pid, pid, fork_chain, NFORK, 2, t);
		else if (i % 4)
			id3[1] = sample(&w, pid, pid, konly, 3, 3, t);
		else
			id3[2] = sample(&w, pid, pid, ch, 7, 4, t);
	}
	CHECK(!w.st->rt.paused && w.st->rt.filter != sd_rawtab_no_filter);
	CHECK_U64(id3[0], first);
	CHECK(id3[1] != first && id3[2] != first && id3[1] != id3[2]);
	CHECK_U64(sd_stacks_count(w.st), 3);
	/* expected (stack, pid, bucket) counts, counted here sample by
	 * sample from the same rules the loop above used */
	uint64_t want[3][2][2] = {{{0}}}, got[3][2][2] = {{{0}}};
	want[0][0][0] = NEW;
	for (uint32_t i = 0; i < REP; i++) {
		unsigned k = i % 2 ? 0 : i % 4 ? 1 : 2;
		want[k][i % 3 == 2][i >= REP / 2]++;
	}
	size_t nd = sd_stacks_nr_details(w.st), stray = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(w.st, i);
		unsigned k = d->stack == first ? 0 : d->stack == id3[1] ? 1
			   : d->stack == id3[2] ? 2 : 3;
		if (k == 3 || (d->pid != 100 && d->pid != 200) || d->bucket > 1) {
			stray++;
			continue;
		}
		got[k][d->pid == 200][d->bucket] += d->count;
	}
	CHECK_U64(stray, 0);
	size_t bad = 0;
	for (unsigned k = 0; k < 3; k++)
		for (unsigned p = 0; p < 2; p++)
			for (unsigned b = 0; b < 2; b++)
				bad += got[k][p][b] != want[k][p][b];
	CHECK_U64(bad, 0);
	/* one detail per (stack, pid, bucket) that has samples */
	size_t cells = 0;
	for (unsigned k = 0; k < 3; k++)
		for (unsigned p = 0; p < 2; p++)
			for (unsigned b = 0; b < 2; b++)
				cells += want[k][p][b] != 0;
	CHECK_U64(nd, cells);
	world_close(&w);
}

/*
 * F8 for details: 3 chains x 2 processes x 5000 buckets, each sample
 * twice, the second time after the table grew from 4096 slots to 65536;
 * samples of one (stack, pid) go to another bucket each time, so every
 * one is looked up in the table, not in the (stack, pid) cache.
 */
TEST(details_found_again_after_growth)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");
	enum { BUCKETS = 5000 };
	static const uint64_t konly[] = {SD_CONTEXT_KERNEL, LOCK, COPY};
	static const uint64_t kswap[] = {SD_CONTEXT_KERNEL, SWAPDUP};
	const uint64_t *chains[] = {fork_chain, konly, kswap};
	const size_t nr[] = {NFORK, 3, 2};
	const uint32_t pids[] = {100, 200};
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t b = 0; b < BUCKETS; b++)
			for (int p = 0; p < 2; p++)
				for (int c = 0; c < 3; c++)
					sample(&w, pids[p], pids[p], chains[c],
					       nr[c], 1 + (uint64_t)c,
					       b * SD_BUCKET_NS + 7);
	size_t nd = sd_stacks_nr_details(w.st), bad = 0;
	CHECK_U64(nd, 3 * 2 * BUCKETS);
	for (size_t i = 0; i < nd; i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(w.st, i);
		bad += d->count != 2 || d->period % 2 || d->bucket >= BUCKETS;
	}
	CHECK_U64(bad, 0);
	world_close(&w);
}

/*
 * A chain with an invalid context marker: perf stops reading it there, and
 * the stack key keeps what follows raw (key.c), so two chains that differ
 * only after it are two stacks, while the same chain in two processes of
 * the same program is one (its frames before the marker resolve alike).
 */
TEST(invalid_marker_keeps_raw_tail)
{
	struct world w;
	if (!world_init(&w, 0))
		SKIP("no temporary file");
	const uint64_t bad1[] = {SD_CONTEXT_KERNEL, COPY, CLONE,
				 0xfffffffffffff100ull, DOSYS};
	const uint64_t bad2[] = {SD_CONTEXT_KERNEL, COPY, CLONE,
				 0xfffffffffffff100ull, ENTRY};
	uint32_t a = sample(&w, 100, 100, bad1, 5, 1, 1);
	uint32_t b = sample(&w, 200, 200, bad1, 5, 1, 2);
	uint32_t c = sample(&w, 100, 100, bad2, 5, 1, 3);
	/* the kernel addresses differ from COPY/CLONE by an offset inside
	 * the same functions: the same stack as a */
	const uint64_t bad3[] = {SD_CONTEXT_KERNEL, COPY + 8, CLONE + 4,
				 0xfffffffffffff100ull, DOSYS};
	uint32_t d = sample(&w, 100, 100, bad3, 5, 1, 4);
	CHECK_U64(a, b);
	CHECK(a != c);
	CHECK_U64(a, d);
	CHECK_U64(sd_stacks_count(w.st), 2);
	world_close(&w);
}

/*
 * sd_stacks_symbolize() frees what only the sample loop uses (the
 * raw-chain table, the frame cache, the tables' hash slots); samples added
 * after it must still land on the stacks and details they belong to:
 * 5000 stacks (one per pid, with --folded-with pid), each sampled again
 * after symbolizing, keep their ids, and each detail counts two.
 */
TEST(samples_after_symbolize_find_their_stacks)
{
	struct world w;
	if (!world_init(&w, SD_FOLD_PID))
		SKIP("no temporary file");
	enum { N = 5000 };
	static uint32_t ids[N];
	for (uint32_t i = 0; i < N; i++)
		ids[i] = sample(&w, 1000 + i, 1000 + i, fork_chain, NFORK, 1,
				5);
	CHECK_U64(sd_stacks_count(w.st), N);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	size_t moved = 0;
	for (uint32_t i = 0; i < N; i++)
		moved += sample(&w, 1000 + i, 1000 + i, fork_chain, NFORK, 1,
				6) != ids[i];
	CHECK_U64(moved, 0);
	CHECK_U64(sd_stacks_count(w.st), N);
	CHECK_U64(sd_stacks_nr_details(w.st), N);
	size_t not2 = 0;
	for (size_t i = 0; i < sd_stacks_nr_details(w.st); i++)
		not2 += sd_stacks_detail(w.st, i)->count != 2;
	CHECK_U64(not2, 0);
	/* and a chain not seen before is a new stack */
	const uint64_t other[] = {SD_CONTEXT_KERNEL, LOCK, SWAPDUP};
	CHECK_U64(sample(&w, 1000, 1000, other, 3, 1, 7), N);
	world_close(&w);
}

/* Named stacks, as the text inputs give them. */
static uint32_t named(struct sd_stacks *st, uint32_t comm,
		      const char *const *frames, const bool *kernel,
		      const uint8_t *marks, size_t n, uint64_t count,
		      uint64_t period)
{
	struct sd_named_stack ns = {
		.comm = comm,
		.pid = 1,
		.key_pid = SD_STACK_NO_PID,
		.key_tid = SD_STACK_NO_PID,
		.frames = frames,
		.kernel = kernel,
		.marks = marks,
		.n = n,
		.count = count,
		.period = period,
	};
	uint32_t id = UINT32_MAX;
	CHECK(sd_stacks_add_named(st, &ns, &id) == 0);
	return id;
}

/* A machine without a symbolizer and a stacks table (named stacks need
 * nothing else); false, with a failed check and nothing left, if either
 * is missing. */
static bool plain_open(struct sd_machine **m, struct sd_stacks **st)
{
	*m = NULL;
	*st = NULL;
	CHECK(sd_machine_new(NULL, m) == 0);
	CHECK(sd_stacks_new(st) == 0);
	if (*m && *st)
		return true;
	sd_stacks_free(*st);
	sd_machine_free(*m);
	return false;
}

/* F8 for stacks: 20000 named stacks, each added again after the stack
 * table grew from 4096 slots to 65536, is the stack it was. */
TEST(stacks_found_again_after_growth)
{
	struct sd_machine *m;
	struct sd_stacks *st;
	if (!plain_open(&m, &st))
		return;
	enum { N = 20000 };
	static uint32_t ids[N];
	uint32_t comm = sd_machine_intern_comm(m, "app");
	static const bool kernel[2] = {false, true};
	size_t bad = 0;
	char a[16], b[16];
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < N; i++) {
			snprintf(a, sizeof a, "main%u", i % 97);
			snprintf(b, sizeof b, "leaf%u", i);
			const char *frames[2] = {a, b};
			uint32_t id = named(st, comm, frames, kernel, NULL, 2, 1,
					    1);
			if (!pass)
				ids[i] = id;
			else
				bad += id != ids[i];
		}
	CHECK_U64(bad, 0);
	CHECK_U64(sd_stacks_count(st), N);
	sd_stacks_free(st);
	sd_machine_free(m);
}

TEST(named_stacks_and_weights)
{
	struct sd_machine *m;
	struct sd_stacks *st;
	if (!plain_open(&m, &st))
		return;
	uint32_t bash = sd_machine_intern_comm(m, "bash");
	uint32_t make = sd_machine_intern_comm(m, "make");
	const char *f1[] = {"main", "fork", "copy_page_range"};
	const bool k1[] = {false, false, true};
	const uint8_t m1[] = {0, 0, SD_FRAME_KDSO};
	const char *f2[] = {"main", "read"};
	const bool k2[] = {false, false};

	uint32_t a = named(st, bash, f1, k1, m1, 3, 2, 20);
	uint32_t b = named(st, bash, f1, k1, m1, 3, 1, 10);
	uint32_t c = named(st, make, f1, k1, m1, 3, 4, 40);
	uint32_t d = named(st, bash, f2, k2, NULL, 2, 5, 50);
	CHECK_U64(a, b);
	CHECK(a != c && a != d && c != d);
	CHECK_U64(sd_stacks_count(st), 3);
	CHECK(sd_stacks_symbolize(st, NULL) == 0);

	const struct sd_folded_line *l;
	size_t n;
	uint64_t got[3] = {0};
	CHECK(sd_stacks_folded(st, m, 0, SD_FOLD_KERNEL, &l, &n) == 0);
	CHECK_U64(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(l[i].stack, "bash;main;fork;copy_page_range_[k]"))
			got[0] = l[i].count * 1000 + l[i].period;
		else if (!strcmp(l[i].stack,
				 "make;main;fork;copy_page_range_[k]"))
			got[1] = l[i].count * 1000 + l[i].period;
		else if (!strcmp(l[i].stack, "bash;main;read"))
			got[2] = l[i].count * 1000 + l[i].period;
		else
			fprintf(stderr, "unexpected line %s\n", l[i].stack);
	}
	CHECK_U64(got[0], 3 * 1000 + 30);
	CHECK_U64(got[1], 4 * 1000 + 40);
	CHECK_U64(got[2], 5 * 1000 + 50);

	/* weights per stack id replace the counts; weight 0 leaves a
	 * stack out (--off-cpu: time off CPU) */
	uint64_t w[3] = {0};
	w[a] = 0;
	w[c] = 777;
	w[d] = 9;
	sd_stacks_set_weights(st, w, 3);
	CHECK(sd_stacks_folded(st, m, 0, 0, &l, &n) == 0);
	CHECK_U64(n, 2);
	uint64_t make_w = 0, read_w = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(l[i].stack, "make;main;fork;copy_page_range"))
			make_w = l[i].count;
		if (!strcmp(l[i].stack, "bash;main;read"))
			read_w = l[i].count;
	}
	CHECK_U64(make_w, 777);
	CHECK_U64(read_w, 9);
	sd_stacks_set_weights(st, NULL, 0);
	CHECK(sd_stacks_folded(st, m, 0, 0, &l, &n) == 0);
	CHECK_U64(n, 3);
	sd_stacks_free(st);
	sd_machine_free(m);
}

TEST(java_names)
{
	/* stackcollapse-perf.pl's tidy_java: only for comms "java..." */
	CHECK_STR(sd_fold_java_name("java", "Ljava/io/PrintStream;::print"),
		  "java/io/PrintStream;::print");
	CHECK_STR(sd_fold_java_name("bash", "Ljava/io/PrintStream;::print"),
		  "Ljava/io/PrintStream;::print");
	CHECK_STR(sd_fold_java_name("java", "Lfoo"), "Lfoo"); /* no '/' */
}


/*
 * The folded lines come out in byte order of their whole text (Perl's
 * sort) and merged by text, whatever the names: names that are prefixes
 * of others followed by bytes below and above ';' ("a", "a.b", "a_b",
 * "a-"), Java's names that lose their 'L' and then equal another name,
 * "_[k]" suffixes, and names holding ';' (two frames "a", "b" and one
 * frame "a;b" fold to the same text).  The expected lines are made here
 * with plain string operations and qsort/strcmp.
 */
static const char *const vocab[] = {
	"a", "a.b", "a_b", "a-", "a.b.c", "ab", "b", "Lfoo/Bar", "foo/Bar",
	"foo", "foo.cold", "[unknown]", "z", "Z", "a b", "__x", "_x",
};
static const char *const comms[] = {"bash", "java", "javac", "sh", "bb"};

struct exp_line {
	char text[512];
	uint64_t count;
};

static int exp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct exp_line *)a)->text,
		      ((const struct exp_line *)b)->text);
}

static void folded_order_case(bool semicolons, unsigned with)
{
	struct sd_machine *m;
	struct sd_stacks *st;
	if (!plain_open(&m, &st))
		return;
	enum { NST = 400 };
	static struct exp_line exp[NST];
	size_t nexp = 0;
	uint32_t seed = semicolons ? 7 : 3;
	for (size_t i = 0; i < NST; i++) {
		const char *fr[6];
		bool kern[6];
		uint8_t marks[6];
		size_t n = 0;
		seed = seed * 1103515245u + 12345u;
		const char *comm = comms[(seed >> 16) % 5];
		seed = seed * 1103515245u + 12345u;
		size_t nf = 1 + (seed >> 16) % 5;
		for (size_t f = 0; f < nf; f++) {
			seed = seed * 1103515245u + 12345u;
			size_t v = (seed >> 16) % (sizeof vocab / sizeof *vocab + 2);
			kern[n] = (seed >> 8) & 1;
			marks[n] = kern[n] ? SD_FRAME_KDSO : 0;
			if (v < sizeof vocab / sizeof *vocab)
				fr[n++] = vocab[v];
			else if (semicolons)
				fr[n++] = v % 2 ? "a;b" : "b;a.b";
			else
				fr[n++] = "b";
		}
		named(st, sd_machine_intern_comm(m, comm), fr, kern, marks, n,
		      1 + i % 3, 0);
		/* what stackcollapse-perf.pl prints for it */
		char t[512];
		size_t o = (size_t)snprintf(t, sizeof t, "%s", comm);
		for (size_t f = 0; f < n; f++) {
			const char *nm = fr[f];
			if (!strncmp(comm, "java", 4) && nm[0] == 'L' &&
			    strchr(nm, '/'))
				nm++;
			o += (size_t)snprintf(t + o, sizeof t - o, ";%s%s", nm,
					      (with & SD_FOLD_KERNEL) && kern[f]
						      ? "_[k]" : "");
		}
		size_t k = 0;
		while (k < nexp && strcmp(exp[k].text, t))
			k++;
		if (k == nexp) {
			memcpy(exp[nexp].text, t, sizeof t);
			exp[nexp++].count = 0;
		}
		exp[k].count += 1 + i % 3;
	}
	qsort(exp, nexp, sizeof *exp, exp_cmp);
	CHECK(sd_stacks_symbolize(st, NULL) == 0);

	const struct sd_folded_line *l;
	size_t nl = 0;
	CHECK(sd_stacks_folded(st, m, 0, with, &l, &nl) == 0);
	CHECK_U64(nl, nexp);
	for (size_t i = 0; i < nl && i < nexp; i++) {
		CHECK_STR(l[i].stack, exp[i].text);
		CHECK_U64(l[i].count, exp[i].count);
	}
	/* the same lines one by one, the text only where it fits */
	struct sd_folded *fo = NULL;
	CHECK(sd_folded_new(st, m, 0, with, &fo) == 0);
	if (fo) {
		CHECK_U64(sd_folded_count(fo), nexp);
		for (size_t i = 0; i < sd_folded_count(fo) && i < nexp; i++) {
			char buf[512] = "untouched";
			uint64_t c, p;
			size_t len = strlen(exp[i].text);
			CHECK_U64(sd_folded_line(fo, i, buf, len, &c, &p), len);
			CHECK_STR(buf, "untouched");
			CHECK_U64(sd_folded_line(fo, i, buf, len + 1, &c, &p), len);
			CHECK_STR(buf, exp[i].text);
			CHECK_U64(c, exp[i].count);
		}
		/* and out of order: a line's text is made from the last
		 * one written, whatever line that was */
		for (size_t r = 0; r < 2 * nexp && r < 2 * sd_folded_count(fo); r++) {
			size_t i = r < nexp ? nexp - 1 - r : (r * 7919) % nexp;
			char buf[512];
			uint64_t c, p;
			sd_folded_line(fo, i, buf, sizeof buf, &c, &p);
			CHECK_STR(buf, exp[i].text);
		}
		sd_folded_free(fo);
	}
	sd_stacks_free(st);
	sd_machine_free(m);
}

TEST(folded_order_is_byte_order)
{
	folded_order_case(false, 0);
	folded_order_case(false, SD_FOLD_KERNEL);
}

TEST(folded_names_with_semicolons)
{
	folded_order_case(true, 0);
	folded_order_case(true, SD_FOLD_KERNEL);
}

int main(void)
{
	RUN(raw_chains_fold_as_stackcollapse);
	RUN(pid_keeps_processes_apart);
	RUN(no_callchain_and_details);
	RUN(storm_shares_stacks_details_exact);
	RUN(counts_with_and_without_the_chain_table);
	RUN(details_found_again_after_growth);
	RUN(stacks_found_again_after_growth);
	RUN(invalid_marker_keeps_raw_tail);
	RUN(samples_after_symbolize_find_their_stacks);
	RUN(named_stacks_and_weights);
	RUN(java_names);
	RUN(folded_order_is_byte_order);
	RUN(folded_names_with_semicolons);
	return test_exit();
}
