/* SPDX-License-Identifier: MIT */
/*
 * Where the CPU went, whatever the findings: the heaviest processes (by
 * comm, with the executable of one of its processes) and the kinds of
 * kernel work by their characteristic frames (tables.c, sd_hot_kinds),
 * inclusive: a sample counts in every kind it shows.  Once per distinct
 * stack, never per sample; the processes from the sums per comm that
 * classify() made in its walks of the stacks and the details.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/tables.h"

struct kind_acc {
	uint64_t samples, period;
	uint64_t best_period; /* the heaviest stack's */
	uint32_t best;        /* its stack id */
};

static int cmp_proc(const void *a, const void *b)
{
	const struct sd_hot_proc *x = a, *y = b;
	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

static int cmp_path(const void *a, const void *b)
{
	const struct sd_hot_path *x = a, *y = b;
	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return strcmp(x->name, y->name);
}

void hot_fini(struct sd_diagnosis *d)
{
	for (size_t i = 0; i < d->nr_hot_procs; i++) {
		free(d->hot_procs[i].comm);
		free(d->hot_procs[i].exe);
	}
	free(d->hot_procs);
	for (size_t i = 0; i < d->nr_hot_paths; i++) {
		for (size_t k = 0; k < d->hot_paths[i].nr_frames; k++)
			free(d->hot_paths[i].frames[k]);
		free(d->hot_paths[i].frames);
	}
	free(d->hot_paths);
}

/* Frames of stack si up to and with its deepest kernel frame of kind
 * j: a few stacks, once each, so their names are compared as strings. */
static size_t kind_depth(const struct sd_stacks *st,
			 const struct sd_stack_info *si, size_t j)
{
	size_t depth = 0;

	for (size_t f = 0; f < si->nr_frames; f++)
		if (si->frames[f].kernel &&
		    sd_sig_has(sd_hot_kinds[j].set,
			       sd_stacks_str(st, si->frames[f].name)))
			depth = f + 1;
	return depth;
}

static int hot_paths(struct sd_diagnosis *d, const struct cpu_ctx *c)
{
	const struct sd_stacks *st = c->a->stacks;
	size_t nst = sd_stacks_count(st);
	size_t nk = sd_nr_hot_kinds < SD_MAX_HOT_KINDS ? sd_nr_hot_kinds
						       : SD_MAX_HOT_KINDS;
	struct kind_acc *k = calloc(nk, sizeof *k);

	if (!k)
		return -ENOMEM;
	/* each stack's kinds were found when it was classified */
	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		if (!c->on_cpu[i] || !c->kinds[i])
			continue;
		sd_stacks_get_nopid(st, i, &si);
		for (uint64_t b = c->kinds[i]; b; b &= b - 1) {
			size_t j = (size_t)__builtin_ctzll(b);
			k[j].samples += si.count;
			k[j].period += si.period;
			if (si.period > k[j].best_period) {
				k[j].best_period = si.period;
				k[j].best = (uint32_t)i;
			}
		}
	}
	d->hot_paths = calloc(nk, sizeof *d->hot_paths);
	if (!d->hot_paths) {
		free(k);
		return -ENOMEM;
	}
	for (size_t j = 0; j < nk; j++) {
		if (!k[j].samples)
			continue;
		struct sd_hot_path *p = &d->hot_paths[d->nr_hot_paths++];
		struct sd_stack_info si;
		size_t n;
		p->name = sd_hot_kinds[j].name;
		p->samples = k[j].samples;
		p->share = c->total_period ? (double)k[j].period /
						     (double)c->total_period
					   : 0;
		sd_stacks_get(st, k[j].best, &si);
		const struct sd_frame *kf = kernel_part(&si, &n);
		size_t skip = (size_t)(kf - si.frames);
		size_t keep = kind_depth(st, &si, j) - skip;
		p->frames = calloc(keep ? keep : 1, sizeof *p->frames);
		if (!p->frames) {
			free(k);
			return -ENOMEM;
		}
		for (size_t f = 0; f < keep; f++) {
			p->frames[f] = strdup(sd_stacks_str(st, kf[f].name));
			if (!p->frames[f]) {
				free(k);
				return -ENOMEM;
			}
			p->nr_frames = f + 1;
		}
	}
	free(k);
	qsort(d->hot_paths, d->nr_hot_paths, sizeof *d->hot_paths, cmp_path);
	if (d->nr_hot_paths > SD_MAX_HOT) {
		for (size_t i = SD_MAX_HOT; i < d->nr_hot_paths; i++) {
			for (size_t f = 0; f < d->hot_paths[i].nr_frames; f++)
				free(d->hot_paths[i].frames[f]);
			free(d->hot_paths[i].frames);
		}
		d->nr_hot_paths = SD_MAX_HOT;
	}
	return 0;
}

static int hot_procs(struct sd_diagnosis *d, const struct cpu_ctx *c)
{
	/* each comm's samples and a pid of it, for its executable (its
	 * first detail's), were summed when the stacks were classified */
	const struct comm_sum *acc = c->by_comm;
	size_t n = 0;

	for (size_t i = 0; i < c->ncomm; i++)
		n += acc[i].samples > 0;
	d->hot_procs = calloc(n ? n : 1, sizeof *d->hot_procs);
	if (!d->hot_procs)
		return -ENOMEM;
	for (size_t i = 0; i < c->ncomm; i++) {
		if (!acc[i].samples)
			continue;
		struct sd_hot_proc *p = &d->hot_procs[d->nr_hot_procs++];
		const char *exe = acc[i].has_pid && c->a->machine
					  ? sd_machine_pid_exe(c->a->machine,
							       acc[i].pid)
					  : NULL;
		p->comm = strdup(sd_machine_comm_str(c->a->machine, (uint32_t)i));
		p->exe = exe ? strdup(exe) : NULL;
		p->samples = acc[i].samples;
		p->share = c->total_period ? (double)acc[i].period /
						     (double)c->total_period
					   : 0;
		if (!p->comm || (exe && !p->exe))
			return -ENOMEM;
	}
	qsort(d->hot_procs, d->nr_hot_procs, sizeof *d->hot_procs, cmp_proc);
	while (d->nr_hot_procs > SD_MAX_HOT) {
		struct sd_hot_proc *p = &d->hot_procs[--d->nr_hot_procs];
		free(p->comm);
		free(p->exe);
	}
	return 0;
}

int make_hot(struct sd_diagnosis *d, const struct cpu_ctx *c)
{
	int err;

	if (!c->ev)
		return 0;
	if ((err = hot_procs(d, c)))
		return err;
	return hot_paths(d, c);
}
