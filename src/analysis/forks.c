/* SPDX-License-Identifier: MIT */
/*
 * New processes over the samples' span.  A rate is forks per second of
 * the span the samples cover (first .. last sample, the report's
 * duration), so only the forks inside it count: perf record -a tracks
 * tasks while it synthesizes the running ones, and on a busy machine
 * seconds of FORK records come before the first sample (and a few after
 * the last).  The records arrive before the span is known, so each is
 * noted (time, parent, comm, executable) and counted after the last
 * sample; --time windows were applied when it was noted.  Sorted, one
 * group's notes are told apart from the next's by their numbers and
 * their executable's pointer, the strings compared only when the
 * pointers differ.
 */
#include <errno.h>
#include <stdbool.h>
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
	if (!x || !y)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int note_cmp(const void *pa, const void *pb)
{
	const struct sd_fork_note *x = pa, *y = pb;
	if (x->comm != y->comm)
		return x->comm < y->comm ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return exe_cmp(x->exe, y->exe);
}

/* Notes of one group: equal (comm, pid, exe), the strings compared only
 * when they are not the same one (nearly always). */
static bool same_group(const struct sd_fork_note *x,
		       const struct sd_fork_note *y)
{
	return x->comm == y->comm && x->pid == y->pid &&
	       (x->exe == y->exe || !exe_cmp(x->exe, y->exe));
}

/*
 * The notes sorted by (comm, pid, exe), into a new array (*sorted; v is
 * left as it was): a radix sort of (comm << 32 | pid, index) pairs by
 * the bytes that differ (a pass to find them, then a count and a scatter
 * per byte: a comm id and a pid leave most of the eight bytes equal),
 * then each run of one (comm, pid) with more than one exe put in exe
 * order (a process forks as one executable, or a few over its execs).
 * Notes equal in all three are merged, so their order does not matter.
 */
struct note_key {
	uint64_t key;
	uint32_t i;
};

static int sort_notes(const struct sd_fork_note *v, size_t n,
		      struct sd_fork_note **sorted)
{
	struct note_key *k = malloc(n * sizeof *k), *t = malloc(n * sizeof *t);
	struct sd_fork_note *out = malloc(n * sizeof *out);

	if (!k || !t || !out) {
		free(k);
		free(t);
		free(out);
		return -ENOMEM;
	}
	uint64_t differ = 0, k0 = (uint64_t)v[0].comm << 32 | v[0].pid;
	for (size_t i = 0; i < n; i++) {
		k[i] = (struct note_key){(uint64_t)v[i].comm << 32 | v[i].pid,
					 (uint32_t)i};
		differ |= k[i].key ^ k0;
	}
	for (unsigned sh = 0; sh < 64; sh += 8) {
		if (!(differ >> sh & 255))
			continue; /* every key has this byte */
		size_t cnt[256] = {0}, at = 0;
		for (size_t i = 0; i < n; i++)
			cnt[k[i].key >> sh & 255]++;
		for (int c = 0; c < 256; c++) {
			size_t m = cnt[c];
			cnt[c] = at;
			at += m;
		}
		for (size_t i = 0; i < n; i++)
			t[cnt[k[i].key >> sh & 255]++] = k[i];
		struct note_key *x = k;
		k = t;
		t = x;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = v[k[i].i];
	for (size_t i = 0, j; i < n; i = j) {
		bool one_exe = true;
		for (j = i + 1; j < n && out[j].comm == out[i].comm &&
				out[j].pid == out[i].pid; j++)
			one_exe &= out[j].exe == out[i].exe;
		if (!one_exe)
			qsort(out + i, j - i, sizeof *out, note_cmp);
	}
	free(k);
	free(t);
	*sorted = out;
	return 0;
}

int sd_forks_count(struct sd_analysis *a, uint64_t first, uint64_t last)
{
	struct sd_fork_note *v = a->fork_notes;
	size_t n = 0;

	for (size_t i = 0; i < a->nr_fork_notes; i++)
		if (!last || (v[i].time >= first && v[i].time <= last))
			v[n++] = v[i];
	struct sd_fork_note *s = NULL;
	/* v is NULL without notes */
	if (n && sort_notes(v, n, &s))
		qsort(v, n, sizeof *v, note_cmp); /* no memory for the keys */
	if (s)
		v = s;
	size_t groups = 0;
	for (size_t i = 0; i < n; i++)
		groups += !i || !same_group(&v[i - 1], &v[i]);
	struct sd_forker_count *f = calloc(groups ? groups : 1, sizeof *f);
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!i || !same_group(&v[i - 1], &v[i]))
			f[k++] = (struct sd_forker_count){v[i].comm, v[i].pid,
							  v[i].exe, 0};
		f[k - 1].forks++;
	}
	free(s);
	free(a->forkers);
	a->forkers = f;
	a->nr_forkers = groups;
	a->forks = n;
	free(a->fork_notes);
	a->fork_notes = NULL;
	a->nr_fork_notes = a->fork_notes_cap = 0;
	return 0;
}
