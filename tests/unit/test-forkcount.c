/* SPDX-License-Identifier: MIT */
/*
 * sd_forks_count() (src/analysis/forks.c): the forks noted during the
 * loop, those inside [first, last] counted per (comm, pid, executable),
 * in that order (comm and pid as numbers, executables by strcmp, an
 * unknown one first).  Checked against a plain reference: every kept
 * note looked for in the groups found so far, then the groups sorted by
 * insertion -- over notes of comms and pids large and small, in more
 * groups than the count's table starts with, runs of one process with several
 * executables (equal strings at different addresses merge), and notes
 * outside the window.
 */
#include <stdlib.h>

#include "analysis/internal.h"
#include "test.h"

static int exe_order(const char *x, const char *y)
{
	if (!x || !y)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int group_order(const struct sd_forker_count *x,
		       const struct sd_forker_count *y)
{
	if (x->comm != y->comm)
		return x->comm < y->comm ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return exe_order(x->exe, y->exe);
}

TEST(forks_grouped_and_ordered)
{
	static char exes[4][8] = {"/bin/a", "/bin/b", "/bin/a", "/bin/c"};
	const char *exe_of[5] = {NULL, exes[0], exes[1], exes[2], exes[3]};
	const uint32_t comms[] = {0, 1, 7, 0x100, 0x12345678, 0xffffffffu};
	const uint32_t pids[] = {1, 2, 300, 0x10000, 0x7fffffff};
	struct sd_analysis *a = calloc(1, sizeof *a);
	struct sd_forker_count ref[600];
	size_t nref = 0, kept = 0;
	uint64_t seed = 42;

	CHECK(a != NULL);
	if (!a)
		return;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t comm = comms[(seed >> 33) % 6];
		uint32_t pid = pids[(seed >> 40) % 5];
		const char *exe = exe_of[(seed >> 50) % 5];
		uint64_t time = 1000 + (seed >> 20) % 9000;
		CHECK(!sd_fork_note(a, time, pid, comm, exe) || 0);
		if (time < 2000 || time > 9000)
			continue; /* outside the window below */
		kept++;
		size_t k = 0;
		struct sd_forker_count g = {comm, pid, exe, 0};
		while (k < nref && group_order(&ref[k], &g))
			k++;
		if (k == nref)
			ref[nref++] = g;
		ref[k].forks++;
	}
	for (size_t i = 1; i < nref; i++)
		for (size_t j = i; j > 0 && group_order(&ref[j - 1], &ref[j]) > 0; j--) {
			struct sd_forker_count t = ref[j];
			ref[j] = ref[j - 1];
			ref[j - 1] = t;
		}
	CHECK(!sd_forks_count(a, 2000, 9000));
	CHECK_U64(a->forks, kept);
	CHECK_U64(a->nr_forkers, nref);
	CHECK(nref > 100);
	for (size_t i = 0; i < nref && i < a->nr_forkers; i++) {
		const struct sd_forker_count *f = &a->forkers[i];
		CHECK_U64(f->comm, ref[i].comm);
		CHECK_U64(f->pid, ref[i].pid);
		CHECK(!exe_order(f->exe, ref[i].exe));
		CHECK_U64(f->forks, ref[i].forks);
	}
	free(a->forkers);
	free(a);
}

int main(void)
{
	RUN(forks_grouped_and_ordered);
	return test_exit();
}
