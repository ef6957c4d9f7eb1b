/* SPDX-License-Identifier: MIT */
/*
 * The folded lines' builder (src/stacks/folded.c) on what its shortcuts
 * assume, checked against the lines the frames say, in byte order:
 *  - a line is a path of nodes in a tree, given room for about two nodes
 *    per stack (what recordings use), then grown: deep stacks that share
 *    little make many more nodes than that;
 *  - the node a line ends at is remembered per (comm part, frame
 *    sequence) for the stacks that repeat a sequence, in a small
 *    direct-mapped table: a hundred comms on the same sequences collide
 *    there, and comms that fold to the same comm part ("a b", "a_b")
 *    must merge into one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>

#include "test.h"
#include "stackworld.h"
#include "smallkernel.h"

enum { NSTACKS = 5, DEPTH = 150, TEXT = DEPTH * 16 };

/* Frame f of stack s: stacks 0 and 1 share their first half, the others
 * share only the comm; the names sort as the stack numbers do. */
static void frame_name(char *out, size_t cap, int s, int f)
{
	snprintf(out, cap, "f%d_%03d", s == 1 && f < DEPTH / 2 ? 0 : s, f);
}

TEST(deep_stacks_grow_the_tree)
{
	struct sd_machine *m = NULL;
	struct sd_stacks *st = NULL;
	CHECK(sd_machine_new(NULL, &m) == 0);
	CHECK(sd_stacks_new(&st) == 0);
	if (!m || !st) {
		sd_stacks_free(st);
		sd_machine_free(m);
		return;
	}
	uint32_t comm = sd_machine_intern_comm(m, "app");
	static char names[NSTACKS][DEPTH][16];
	static char expect[NSTACKS][TEXT];
	const char *fr[DEPTH];
	bool kernel[DEPTH] = {false};

	for (int s = 0; s < NSTACKS; s++) {
		size_t o = (size_t)snprintf(expect[s], TEXT, "app");
		for (int f = 0; f < DEPTH; f++) {
			frame_name(names[s][f], sizeof names[s][f], s, f);
			fr[f] = names[s][f];
			o += (size_t)snprintf(expect[s] + o, TEXT - o, ";%s",
					      fr[f]);
		}
		struct sd_named_stack ns = {
			.comm = comm,
			.pid = 1,
			.key_pid = SD_STACK_NO_PID,
			.key_tid = SD_STACK_NO_PID,
			.frames = fr,
			.kernel = kernel,
			.n = DEPTH,
			.count = (uint64_t)s + 1,
			.period = 10 * ((uint64_t)s + 1),
		};
		uint32_t id;
		CHECK(sd_stacks_add_named(st, &ns, &id) == 0);
	}
	CHECK(sd_stacks_symbolize(st, NULL) == 0);

	const struct sd_folded_line *l;
	size_t n = 0;
	CHECK(sd_stacks_folded(st, m, 0, 0, &l, &n) == 0);
	CHECK_U64(n, NSTACKS);
	for (size_t i = 0; i < n && i < NSTACKS; i++) {
		CHECK_STR(l[i].stack, expect[i]);
		CHECK_U64(l[i].count, i + 1);
		CHECK_U64(l[i].period, 10 * (i + 1));
	}

	struct sd_folded *fo = NULL;
	CHECK(sd_folded_new(st, m, 0, 0, &fo) == 0);
	if (fo) {
		CHECK_U64(sd_folded_count(fo), NSTACKS);
		/* last to first: each text made from the one before */
		for (size_t r = 0; r < NSTACKS; r++) {
			size_t i = NSTACKS - 1 - r;
			static char buf[TEXT];
			uint64_t c, p;
			CHECK_U64(sd_folded_line(fo, i, buf, sizeof buf, &c, &p),
				  strlen(expect[i]));
			CHECK_STR(buf, expect[i]);
			CHECK_U64(c, i + 1);
		}
		sd_folded_free(fo);
	}
	sd_stacks_free(st);
	sd_machine_free(m);
}


enum { NCOMMS = 100, NPAIRS = 40, NPROCS = NCOMMS + 2 * NPAIRS };

/* The comm of process i: NCOMMS distinct ones, then NPAIRS pairs whose
 * two comms fold to one comm part ("pNN x", "pNN_x": "pNN_x"). */
static void comm_of(char *out, size_t cap, int i)
{
	if (i < NCOMMS)
		snprintf(out, cap, "c%02d", i);
	else
		snprintf(out, cap, "p%02d%cx", (i - NCOMMS) / 2,
			 (i - NCOMMS) % 2 ? '_' : ' ');
}

/*
 * Three chains, two of them as deep, and a filler: process i samples
 * chain 0 once, chain 1 twice when i is odd, chain 2 once when i is a
 * multiple of 3; process 0 the filler between chains 0 and 2, so that
 * their frames are 64 apart (symbolization stores the sequences in the
 * order of the stacks) and the two sequences of one comm part meet in
 * the table of 64 that remembers their nodes.
 */
#define K(off) (KBASE + (off))
static const uint64_t chain0[] = {SD_CONTEXT_KERNEL, K(0x550), K(0x440),
				  K(0x330), K(0x220), K(0x110)};
static const uint64_t chain1[] = {SD_CONTEXT_KERNEL, K(0x660), K(0x550),
				  K(0x440), K(0x330), K(0x220), K(0x110)};
static const uint64_t chain2[] = {SD_CONTEXT_KERNEL, K(0x660), K(0x440),
				  K(0x330), K(0x220), K(0x110)};
enum { FILL = 64 - 5 };
static uint64_t filler[1 + FILL] = {SD_CONTEXT_KERNEL};
static char filler_path[FILL * 16];
static const struct {
	const uint64_t *ips;
	size_t n;
	const char *path;
} chains[4] = {
	{chain0, 6, "entry_SYSCALL_64;do_syscall_64;__x64_sys_clone;"
		    "copy_page_range;swap_duplicate"},
	{chain1, 7, "entry_SYSCALL_64;do_syscall_64;__x64_sys_clone;"
		    "copy_page_range;swap_duplicate;_raw_spin_lock"},
	{chain2, 6, "entry_SYSCALL_64;do_syscall_64;__x64_sys_clone;"
		    "copy_page_range;_raw_spin_lock"},
	{filler, 1 + FILL, filler_path},
};

static void make_filler(void)
{
	size_t o = 0;
	for (int f = 0; f < FILL; f++) {
		filler[1 + f] = K(0x220);
		o += (size_t)snprintf(filler_path + o, sizeof filler_path - o,
				      "%sdo_syscall_64", f ? ";" : "");
	}
}

/* In the order the stacks are made. */
static const int chain_order[4] = {0, 3, 1, 2};

static int times(int i, int ch)
{
	return ch == 0 ? 1 : ch == 1 ? 2 * (i % 2) : ch == 2 ? i % 3 == 0 : !i;
}

/* Does the folded output hold line with count? */
static bool has_line(const struct sd_folded_line *l, size_t n,
		     const char *line, uint64_t count)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].stack, line))
			return l[i].count == count;
	return false;
}

/* The lines stackcollapse makes of the samples: comm part (spaces
 * become '_'; "-PID" with pid), then the chain's names; the counts
 * summed per line.  Checks that the output is exactly those. */
static void check_lines(struct world *w, unsigned with)
{
	static struct {
		char text[1024];
		uint64_t count;
	} exp[3 * NPROCS + 1];
	size_t nexp = 0;
	for (int i = 0; i < NPROCS; i++)
		for (int ch = 0; ch < 4; ch++) {
			if (!times(i, ch))
				continue;
			char comm[16], t[1024];
			comm_of(comm, sizeof comm, i);
			for (char *p = comm; *p; p++)
				*p = *p == ' ' ? '_' : *p;
			if (with & SD_FOLD_PID)
				snprintf(t, sizeof t, "%s-%d;%s", comm, 1000 + i,
					 chains[ch].path);
			else
				snprintf(t, sizeof t, "%s;%s", comm,
					 chains[ch].path);
			size_t k = 0;
			while (k < nexp && strcmp(exp[k].text, t))
				k++;
			if (k == nexp) {
				memcpy(exp[k].text, t, sizeof t);
				exp[nexp++].count = 0;
			}
			exp[k].count += (uint64_t)times(i, ch);
		}
	const struct sd_folded_line *l;
	size_t n = 0, bad = 0;
	CHECK(sd_stacks_folded(w->st, w->m, 0, with, &l, &n) == 0);
	CHECK_U64(n, nexp);
	for (size_t k = 0; k < nexp; k++)
		bad += !has_line(l, n, exp[k].text, exp[k].count);
	CHECK_U64(bad, 0);
}

TEST(stacks_sharing_frames_fold_by_comm_part)
{
	struct world w;
	if (!world_open(&w, kallsyms))
		SKIP("no temporary file");
	make_filler();
	sd_stacks_set_fold(w.st, SD_FOLD_PID);
	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = KBASE,
				  .len = 0x1000, .pgoff = KBASE,
				  .filename = "[kernel.kallsyms]_text"};
	record(&w, &r);
	for (int i = 0; i < NPROCS; i++) {
		uint32_t pid = 1000 + (uint32_t)i;
		char comm[16];
		comm_of(comm, sizeof comm, i);
		struct sd_record c = {.type = SD_REC_COMM};
		c.comm = (struct sd_comm){pid, pid, true, comm};
		record(&w, &c);
		for (int o = 0; o < 4; o++)
			for (int k = 0, ch = chain_order[o]; k < times(i, ch);
			     k++) {
				struct sd_stack_sample s = {
					.cpumode = SD_MISC_KERNEL,
					.ip = chains[ch].ips[1],
					.ips = chains[ch].ips,
					.nr_ips = chains[ch].n,
					.has_callchain = true,
					.period = 1,
					.pid = pid,
					.tid = pid,
					.time = 1 + (uint64_t)i,
					.machine = w.m,
				};
				uint32_t id;
				CHECK(sd_machine_thread(w.m, pid, pid, &s.view) ==
				      0);
				CHECK(sd_stacks_add(w.st, &s, &id) == 0);
			}
	}
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	/* by comm part: the pairs' two comms in one line; by process:
	 * every process its own */
	check_lines(&w, 0);
	check_lines(&w, SD_FOLD_PID);
	world_close(&w);
}

int main(void)
{
	RUN(deep_stacks_grow_the_tree);
	RUN(stacks_sharing_frames_fold_by_comm_part);
	return test_exit();
}
