/* SPDX-License-Identifier: MIT */
/*
 * New processes over the samples' span.  A rate is forks per second of
 * the span the samples cover (first .. last sample, the report's
 * duration), so only the forks inside it count: perf record -a tracks
 * tasks while it synthesizes the running ones, and on a busy machine
 * seconds of FORK records come before the first sample (and a few after
 * the last).  The records arrive before the span is known, so each is
 * noted (time, parent, comm, executable) and counted after the last
 * sample; --time windows were applied when it was noted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/internal.h"

struct sd_fork_note {
	uint64_t time;
	uint32_t comm;
	uint32_t pid;
	const char *exe;
};

int sd_fork_note(struct sd_analysis *a, uint64_t time, uint32_t ppid,
		 uint32_t comm, const char *exe)
{
	if (a->nr_fork_notes == a->fork_notes_cap) {
		size_t cap = a->fork_notes_cap ? a->fork_notes_cap * 2 : 256;
		struct sd_fork_note *v =
			realloc(a->fork_notes, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		a->fork_notes = v;
		a->fork_notes_cap = cap;
	}
	a->fork_notes[a->nr_fork_notes++] =
		(struct sd_fork_note){time, comm, ppid, exe};
	return 0;
}

/* NULL (not known) before any executable; then by the string */
static int exe_cmp(const char *x, const char *y)
{
	if (x == y)
		return 0;
	if (!x || !y)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int forker_cmp(const void *pa, const void *pb)
{
	const struct sd_forker_count *x = pa, *y = pb;
	if (x->comm != y->comm)
		return x->comm < y->comm ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return exe_cmp(x->exe, y->exe);
}

static size_t group_slot(const struct sd_fork_note *v, size_t mask)
{
	uint64_t h = ((uint64_t)v->comm << 32 | v->pid) ^
		     (uint64_t)(uintptr_t)v->exe * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h >> 32) & mask;
}

/*
 * The notes inside the span, one forker per (comm, pid, executable):
 * grouped through a hash keyed by the executable's address (the
 * machine's strings are interned: one address per name), then only the
 * forkers sorted.
 */
int sd_forks_count(struct sd_analysis *a, uint64_t first, uint64_t last)
{
	const struct sd_fork_note *v = a->fork_notes;
	size_t nslots = 16, groups = 0, n = 0;

	while (nslots < 2 * a->nr_fork_notes)
		nslots *= 2;
	uint32_t *slots = calloc(nslots, sizeof *slots);
	struct sd_forker_count *f =
		malloc((a->nr_fork_notes ? a->nr_fork_notes : 1) * sizeof *f);
	if (!slots || !f) {
		free(slots);
		free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->nr_fork_notes; i++) {
		if (last && (v[i].time < first || v[i].time > last))
			continue;
		n++;
		size_t j = group_slot(&v[i], nslots - 1);
		for (;; j = (j + 1) & (nslots - 1)) {
			if (!slots[j]) {
				f[groups++] = (struct sd_forker_count){
					v[i].comm, v[i].pid, v[i].exe, 1};
				slots[j] = (uint32_t)groups;
				break;
			}
			struct sd_forker_count *g = &f[slots[j] - 1];
			if (g->comm == v[i].comm && g->pid == v[i].pid &&
			    g->exe == v[i].exe) {
				g->forks++;
				break;
			}
		}
	}
	free(slots);
	struct sd_forker_count *fit = realloc(f, (groups ? groups : 1) * sizeof *f);
	if (fit)
		f = fit;
	if (groups > 1)
		qsort(f, groups, sizeof *f, forker_cmp);
	free(a->forkers);
	a->forkers = f;
	a->nr_forkers = groups;
	a->forks = n;
	free(a->fork_notes);
	a->fork_notes = NULL;
	a->nr_fork_notes = a->fork_notes_cap = 0;
	return 0;
}
