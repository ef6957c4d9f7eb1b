/* SPDX-License-Identifier: MIT */
/*
 * New processes over the samples' span.  A rate is forks per second of
 * the span the samples cover (first .. last sample, the report's
 * duration), so only the forks inside it count: perf record -a tracks
 * tasks while it synthesizes the running ones, and on a busy machine
 * seconds of FORK records come before the first sample (and a few after
 * the last).  The records arrive before the span is known, so each is
 * noted (time, parent, comm, executable) and counted after the last
 * sample; --time windows were applied when it was noted.  The count
 * groups the notes by (comm, pid, executable's pointer) in a hash table
 * the size of the groups (a storm's notes come from a few parents, most
 * in a row from the one before), then sorts the groups and merges those
 * whose executables are equal strings at different addresses: no array
 * the size of the notes (sorting the notes made three, kstorm.data's 38
 * of its 65 page faults after the loop, and 1.3 M instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/internal.h"
#include "util/hash.h"

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
		/* fourfold: fewer copies of a storm's notes */
		size_t cap = a->fork_notes_cap ? a->fork_notes_cap * 4 : 256;
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
	if (!x || !y)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int group_cmp(const void *pa, const void *pb)
{
	const struct sd_forker_count *x = pa, *y = pb;
	if (x->comm != y->comm)
		return x->comm < y->comm ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return exe_cmp(x->exe, y->exe);
}

/* The groups so far, and their table: slot -> index + 1. */
struct groups {
	struct sd_forker_count *v;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;
};

static size_t group_slot(uint32_t comm, uint32_t pid, const char *exe,
			 size_t nslots)
{
	uint64_t k = ((uint64_t)comm << 32 | pid) ^
		     (uint64_t)(uintptr_t)exe * 0x9e3779b97f4a7c15ull;
	return (size_t)(sd_mix64(k) & (nslots - 1));
}

static int groups_grow(struct groups *g)
{
	size_t cap = g->cap * 2, ns = cap * 2;
	struct sd_forker_count *v = realloc(g->v, cap * sizeof *v);
	uint32_t *s = calloc(ns, sizeof *s);

	if (v)
		g->v = v;
	if (!v || !s) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->n; i++) {
		size_t k = group_slot(v[i].comm, v[i].pid, v[i].exe, ns);
		while (s[k])
			k = (k + 1) & (ns - 1);
		s[k] = (uint32_t)i + 1;
	}
	free(g->slots);
	g->slots = s;
	g->nslots = ns;
	g->cap = cap;
	return 0;
}

/* The group of note x, made if new; NULL if out of memory. */
static struct sd_forker_count *group_of(struct groups *g,
					const struct sd_fork_note *x)
{
	size_t k = group_slot(x->comm, x->pid, x->exe, g->nslots);

	for (; g->slots[k]; k = (k + 1) & (g->nslots - 1)) {
		struct sd_forker_count *f = &g->v[g->slots[k] - 1];
		if (f->comm == x->comm && f->pid == x->pid && f->exe == x->exe)
			return f;
	}
	if (g->n == g->cap) {
		if (groups_grow(g))
			return NULL;
		return group_of(g, x);
	}
	g->slots[k] = (uint32_t)++g->n;
	g->v[g->n - 1] = (struct sd_forker_count){x->comm, x->pid, x->exe, 0};
	return &g->v[g->n - 1];
}

int sd_forks_count(struct sd_analysis *a, uint64_t first, uint64_t last)
{
	const struct sd_fork_note *v = a->fork_notes;
	struct groups g = {.cap = 8, .nslots = 16};
	struct sd_forker_count *f = NULL;
	size_t n = 0;

	g.v = malloc(g.cap * sizeof *g.v);
	g.slots = calloc(g.nslots, sizeof *g.slots);
	if (!g.v || !g.slots)
		goto fail;
	for (size_t i = 0; i < a->nr_fork_notes; i++) {
		if (last && (v[i].time < first || v[i].time > last))
			continue;
		/* most notes are the one before's group */
		if (!f || f->comm != v[i].comm || f->pid != v[i].pid ||
		    f->exe != v[i].exe) {
			if (!(f = group_of(&g, &v[i])))
				goto fail;
		}
		f->forks++;
		n++;
	}
	free(g.slots);
	qsort(g.v, g.n, sizeof *g.v, group_cmp);
	/* equal strings at different addresses: one group */
	size_t groups = 0;
	for (size_t i = 0; i < g.n; i++) {
		struct sd_forker_count *p = groups ? &g.v[groups - 1] : NULL;
		if (p && p->comm == g.v[i].comm && p->pid == g.v[i].pid &&
		    !exe_cmp(p->exe, g.v[i].exe))
			p->forks += g.v[i].forks;
		else
			g.v[groups++] = g.v[i];
	}
	free(a->forkers);
	a->forkers = g.v;
	a->nr_forkers = groups;
	a->forks = n;
	free(a->fork_notes);
	a->fork_notes = NULL;
	a->nr_fork_notes = a->fork_notes_cap = 0;
	return 0;
fail:
	free(g.v);
	free(g.slots);
	return -ENOMEM;
}
