/* SPDX-License-Identifier: MIT */
/*
 * The folded lines' builder (src/stacks/folded.c) past the room it takes
 * to start with: a line is a path of nodes in a tree, and the tree is
 * given room for about two nodes per stack (what recordings use), then
 * grows.  Deep stacks that share little make many more nodes than that;
 * their lines must come out as the frames say, in byte order, whether
 * read whole (sd_stacks_folded) or one at a time (sd_folded_line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>

#include "test.h"

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

int main(void)
{
	RUN(deep_stacks_grow_the_tree);
	return test_exit();
}
