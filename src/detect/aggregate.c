/* SPDX-License-Identifier: MIT */
/* Tallies per process and the top paths of a finding.  The processes
 * (one per comm) are made in an array that grows as comms come, not one
 * the size of the tallies: kstorm has thousands of tallies, a few comms.
 * A finding's paths (the kernel parts of its stacks) are found by hash,
 * in order of first use (kstorm: -0.65 M instructions against a walk of
 * those before). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include <swapdiag/stalls.h>

#include "util/hash.h"

/* ---- per-(comm, pid) tallies ------------------------------------------ */


/* Fibonacci hashing, the top bits of one product (ns, a power of two,
 * slots): pids mostly come in runs, which it spreads, and sd_mix64()'s
 * dozen instructions were paid again for every tally at each doubling. */
static size_t tally_home(uint32_t comm, uint32_t pid, size_t ns)
{
	return (size_t)(((uint64_t)comm << 32 | pid) * 0x9e3779b97f4a7c15ull >>
			(64 - __builtin_ctzll(ns)));
}

struct tally *tally_get(struct tallies *t, uint32_t comm, uint32_t pid)
{
	if ((t->n + 1) * 2 > t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 64;
		uint32_t *s = calloc(ns, sizeof *s);
		if (!s)
			return NULL;
		for (size_t i = 0; i < t->n; i++) {
			size_t j = tally_home(t->v[i].comm, t->v[i].pid, ns);
			while (s[j])
				j = (j + 1) & (ns - 1);
			s[j] = (uint32_t)i + 1;
		}
		free(t->slots);
		t->slots = s;
		t->nslots = ns;
	}
	size_t j = tally_home(comm, pid, t->nslots);
	for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		struct tally *x = &t->v[t->slots[j] - 1];
		if (x->comm == comm && x->pid == pid)
			return x;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct tally *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = (struct tally){comm, pid, 0, 0};
	t->slots[j] = (uint32_t)++t->n;
	return &t->v[t->n - 1];
}

void tallies_fini(struct tallies *t)
{
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct sd_process *x = a, *y = b;
	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

/* Room for one more process in *p and *multi (*cap of each, doubling:
 * a few comms among thousands of tallies); 0 or -ENOMEM. */
static int procs_room(struct sd_process **p, bool **multi, size_t *cap,
		      size_t np)
{
	if (np < *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	struct sd_process *v = realloc(*p, n * sizeof *v);
	if (v)
		*p = v;
	bool *w = v ? realloc(*multi, n * sizeof *w) : NULL;
	if (!w)
		return -ENOMEM;
	*multi = w;
	memset(v + np, 0, (n - np) * sizeof *v);
	memset(w + np, 0, (n - np) * sizeof *w);
	*cap = n;
	return 0;
}

/* Groups (comm, pid) tallies by comm, heaviest first. */
int make_procs(struct sd_finding *f, struct tallies *t,
		      const struct sd_machine *m, uint64_t total_period)
{
	struct sd_process *p = NULL;
	bool *multi = NULL; /* more than one comm id */
	uint32_t *group = NULL; /* by comm id: its process + 1 */
	size_t np = 0, ngroup = 0, cap = 0;

	if (procs_room(&p, &multi, &cap, 0)) {
		free(p);
		free(multi);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		uint32_t cid = t->v[i].comm;
		if (cid >= ngroup) {
			size_t n = ngroup ? ngroup : 256;
			while (n <= cid)
				n *= 2;
			uint32_t *g = realloc(group, n * sizeof *g);
			if (!g) {
				free(group);
				free(multi);
				f->procs = p;
				f->nr_procs = np;
				return -ENOMEM;
			}
			memset(g + ngroup, 0, (n - ngroup) * sizeof *g);
			group = g;
			ngroup = n;
		}
		size_t k = group[cid] ? group[cid] - 1 : np;
		/* only a comm id met first needs its name */
		const char *comm = k == np ? sd_machine_comm_str(m, cid) : NULL;
		/* ids of one name (none, "") share it */
		if (k == np) {
			for (k = 0; k < np && strcmp(p[k].comm, comm); k++)
				;
			/* a second id of the name: its pids may repeat */
			if (k < np)
				multi[k] = true;
		}
		if (k == np && procs_room(&p, &multi, &cap, np)) {
			free(group);
			free(multi);
			f->procs = p;
			f->nr_procs = np;
			return -ENOMEM;
		}
		group[cid] = (uint32_t)k + 1;
		if (k == np) {
			p[np].comm = strdup(comm);
			p[np].pids = calloc(SD_MAX_PIDS_LISTED, sizeof *p[np].pids);
			if (!p[np].comm || !p[np].pids) {
				free(group);
				free(multi);
				f->procs = p;
				f->nr_procs = np + 1;
				return -ENOMEM;
			}
			np++;
		}
		struct sd_process *q = &p[k];
		q->samples += t->v[i].samples;
		q->share += total_period ? (double)t->v[i].period / (double)total_period
					 : 0;
		bool have = false;
		/* one comm id's tallies have distinct pids */
		for (size_t j = 0; multi[k] && j < q->nr_pids;
		     j++)
			have |= q->pids[j] == t->v[i].pid;
		if (!have) {
			q->nr_pids_total++;
			if (q->nr_pids < SD_MAX_PIDS_LISTED)
				q->pids[q->nr_pids++] = t->v[i].pid;
		}
	}
	free(group);
	free(multi);
	for (size_t k = 0; k < np; k++)
		qsort(p[k].pids, p[k].nr_pids, sizeof *p[k].pids, cmp_u32);
	qsort(p, np, sizeof *p, cmp_proc);
	if (np > SD_MAX_PROCS) {
		for (size_t k = SD_MAX_PROCS; k < np; k++) {
			free(p[k].comm);
			free(p[k].pids);
		}
		np = SD_MAX_PROCS;
	}
	f->procs = p;
	f->nr_procs = np;
	return 0;
}

/* ---- paths ----------------------------------------------------------- */

struct pathacc {
	const struct sd_frame *frames;
	size_t n;
	uint64_t samples;
};

static bool same_kernel_path(const struct pathacc *a, const struct sd_frame *f,
			     size_t n)
{
	if (a->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (a->frames[i].name != f[i].name)
			return false;
	return true;
}

static int cmp_path(const void *a, const void *b)
{
	const struct pathacc *x = a, *y = b;
	return x->samples < y->samples ? 1 : x->samples > y->samples ? -1 : 0;
}

/* The kernel part of a stack: from its first kernel frame on. */
const struct sd_frame *kernel_part(const struct sd_stack_info *si,
					  size_t *n)
{
	size_t i = 0;
	while (i < si->nr_frames && !si->frames[i].kernel)
		i++;
	*n = si->nr_frames - i;
	return si->frames + i;
}

/* The hash of a kernel part's names. */
static uint64_t path_hash(const struct sd_frame *f, size_t n)
{
	uint64_t h = n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ f[i].name) * 0x100000001b3ull;
	return sd_mix64(h);
}

int make_paths(struct sd_finding *f, const struct sd_stacks *st,
		      const uint32_t *ids, size_t nids)
{
	struct pathacc *acc = malloc((nids ? nids : 1) * sizeof *acc);
	/* the paths in order of first use, found by hash (open addressing,
	 * index + 1), not by a walk of those before (kstorm: a few hundred
	 * paths of a finding's 1461 stacks) */
	size_t ns = sd_slots_for(nids, 16), na = 0;
	uint32_t *slots = calloc(ns, sizeof *slots);

	if (!acc || !slots) {
		free(acc);
		free(slots);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nids; i++) {
		struct sd_stack_info si;
		size_t n;
		sd_stacks_get(st, ids[i], &si);
		const struct sd_frame *kf = kernel_part(&si, &n);
		size_t j = path_hash(kf, n) & (ns - 1);
		for (; slots[j]; j = (j + 1) & (ns - 1))
			if (same_kernel_path(&acc[slots[j] - 1], kf, n))
				break;
		if (!slots[j]) {
			acc[na++] = (struct pathacc){kf, n, 0};
			slots[j] = (uint32_t)na;
		}
		acc[slots[j] - 1].samples += si.count;
	}
	free(slots);
	qsort(acc, na, sizeof *acc, cmp_path);
	if (na > SD_MAX_PATHS)
		na = SD_MAX_PATHS;
	f->paths = calloc(na ? na : 1, sizeof *f->paths);
	if (!f->paths) {
		free(acc);
		return -ENOMEM;
	}
	for (size_t k = 0; k < na; k++) {
		struct sd_path *p = &f->paths[k];
		p->frames = calloc(acc[k].n ? acc[k].n : 1, sizeof *p->frames);
		if (!p->frames)
			break;
		f->nr_paths = k + 1;
		p->samples = acc[k].samples;
		for (size_t j = 0; j < acc[k].n; j++) {
			p->frames[j] = strdup(sd_stacks_str(st, acc[k].frames[j].name));
			if (!p->frames[j])
				break;
			p->nr_frames = j + 1;
		}
	}
	free(acc);
	return 0;
}
