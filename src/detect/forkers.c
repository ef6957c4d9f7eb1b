/* SPDX-License-Identifier: MIT */
/*
 * Who forks (swap_dup_fork): the finding's samples per executable of their
 * process, joined with the forks per executable between the first and the
 * last sample (the analysis' counts, the executable the parent ran at the
 * fork; the machine gives what the children exec'd).  forks_per_s is over
 * that span, the report's duration; cpu_ms_per_fork is the finding's CPU
 * time in that executable's processes over those forks.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/bundle.h>
#include <swapdiag/detect.h>

#include "detect/findings.h"

static int cmp_forker(const void *a, const void *b)
{
	const struct sd_forker *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->exe, y->exe);
}

static int cmp_count(const void *a, const void *b)
{
	const struct sd_name_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Is the on-CPU event a clock whose period is nanoseconds? */
static bool clock_event(const struct sd_evsel *ev)
{
	return ev && ev->name && (!strncmp(ev->name, "cpu-clock", 9) ||
				  !strncmp(ev->name, "task-clock", 10));
}

static void forker_fini(struct sd_forker *k)
{
	free(k->exe);
	free(k->comm);
	free(k->pids);
	for (size_t i = 0; i < k->nr_execs; i++)
		free((char *)k->execs[i].name);
	free(k->execs);
}

void forkers_fini(struct sd_finding *f)
{
	for (size_t i = 0; i < f->nr_forkers; i++)
		forker_fini(&f->forkers[i]);
	free(f->forkers);
	f->forkers = NULL;
	f->nr_forkers = 0;
}

static int64_t vmswap(const struct sd_host *h, const uint32_t *pids, size_t n)
{
	int64_t best = -1;
	for (size_t i = 0; h && i < h->nr_procs; i++)
		for (size_t k = 0; k < n; k++)
			if (h->procs[i].pid == pids[k] &&
			    h->procs[i].swap_kib > best)
				best = h->procs[i].swap_kib;
	return best;
}

static int fill(struct sd_forker *k, const struct sd_exe_forks *e,
		uint64_t samples, uint64_t period, const struct cpu_ctx *c)
{
	const struct sd_exe_forks *x = e;
	size_t best = 0;

	k->exe = strdup(x->exe);
	for (size_t i = 1; i < x->nr_comms; i++)
		if (x->comms[i].count > x->comms[best].count)
			best = i;
	k->comm = strdup(x->nr_comms ? x->comms[best].name : "");
	k->nr_pids_total = x->nr_pids;
	k->nr_pids = x->nr_pids < SD_MAX_PIDS_LISTED ? x->nr_pids
						     : SD_MAX_PIDS_LISTED;
	k->pids = calloc(k->nr_pids ? k->nr_pids : 1, sizeof *k->pids);
	k->execs = calloc(x->nr_execs ? x->nr_execs : 1, sizeof *k->execs);
	if (!k->exe || !k->comm || !k->pids || !k->execs)
		return -ENOMEM;
	memcpy(k->pids, x->pids, k->nr_pids * sizeof *k->pids);
	for (size_t i = 0; i < x->nr_execs; i++) {
		k->execs[i].count = x->execs[i].count;
		if (!(k->execs[i].name = strdup(x->execs[i].name)))
			return -ENOMEM;
		k->nr_execs = i + 1;
	}
	qsort(k->execs, k->nr_execs, sizeof *k->execs, cmp_count);
	k->forks = x->forks;
	k->forks_per_s = c->duration_s > 0 ? (double)x->forks / c->duration_s
					   : NAN;
	k->samples = samples;
	k->cpu_ms = clock_event(c->ev) ? (double)period / 1e6 : NAN;
	k->cpu_ms_per_fork = x->forks ? k->cpu_ms / (double)x->forks : NAN;
	k->swap_kib = vmswap(c->a->host, x->pids, x->nr_pids);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/*
 * The forks of e->exe in the analysis' span into e: forks, the forking
 * pids ascending (in *pids, the caller's to free) and the comms they were
 * made under (e->comms replaced; the caller frees it as before).
 */
static int span_forks(const struct sd_detect_input *in, struct sd_exe_forks *e,
		      uint32_t **pids)
{
	size_t n = 0;

	for (size_t i = 0; i < in->nr_forkers; i++)
		n += in->forkers[i].exe && !strcmp(in->forkers[i].exe, e->exe);
	uint32_t *p = calloc(n ? n : 1, sizeof *p);
	struct sd_name_count *cm = calloc(n ? n : 1, sizeof *cm);
	if (!p || !cm) {
		free(p);
		free(cm);
		return -ENOMEM;
	}
	size_t np = 0, nc = 0;
	uint64_t forks = 0;
	for (size_t i = 0; i < in->nr_forkers; i++) {
		const struct sd_forker_count *x = &in->forkers[i];
		if (!x->exe || strcmp(x->exe, e->exe))
			continue;
		const char *name = sd_machine_comm_str(in->machine, x->comm);
		size_t k = 0;
		while (k < nc && strcmp(cm[k].name, name))
			k++;
		if (k == nc)
			cm[nc++] = (struct sd_name_count){name, 0};
		cm[k].count += x->forks;
		forks += x->forks;
		p[np++] = x->pid;
	}
	qsort(p, np, sizeof *p, cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < np; i++)
		if (!u || p[u - 1] != p[i])
			p[u++] = p[i];
	free(e->comms);
	e->comms = cm;
	e->nr_comms = nc;
	e->forks = forks;
	e->pids = p;
	e->nr_pids = u;
	*pids = p;
	return 0;
}

int make_forkers(struct sd_finding *f, const struct tallies *t,
		 const struct cpu_ctx *c)
{
	const struct sd_machine *m = c->a->machine;
	size_t ne = m ? sd_machine_nr_exes(m) : 0;
	uint64_t *samples = calloc(ne ? ne : 1, sizeof *samples);
	uint64_t *period = calloc(ne ? ne : 1, sizeof *period);
	struct sd_exe_forks *e = calloc(ne ? ne : 1, sizeof *e);
	uint32_t **pids = calloc(ne ? ne : 1, sizeof *pids);
	int err = -ENOMEM;

	if (!samples || !period || !e || !pids)
		goto out;
	for (size_t i = 0; i < ne; i++) {
		if ((err = sd_machine_exe_forks(m, i, &e[i])))
			goto out;
		if (e[i].exe && (err = span_forks(c->a, &e[i], &pids[i])))
			goto out;
	}
	err = -ENOMEM;
	/* the finding's weight per executable of the sampled process */
	for (size_t i = 0; i < t->n; i++) {
		const char *exe = sd_machine_pid_exe(m, t->v[i].pid);
		for (size_t k = 0; exe && k < ne; k++)
			if (e[k].exe && !strcmp(e[k].exe, exe)) {
				samples[k] += t->v[i].samples;
				period[k] += t->v[i].period;
				break;
			}
	}
	f->forkers = calloc(ne ? ne : 1, sizeof *f->forkers);
	if (!f->forkers)
		goto out;
	for (size_t k = 0; k < ne; k++) {
		if (!e[k].exe || !e[k].forks || !samples[k])
			continue;
		struct sd_forker *fk = &f->forkers[f->nr_forkers++];
		if ((err = fill(fk, &e[k], samples[k], period[k], c)))
			goto out;
	}
	qsort(f->forkers, f->nr_forkers, sizeof *f->forkers, cmp_forker);
	err = 0;
out:
	for (size_t i = 0; e && i < ne; i++) {
		free(e[i].comms);
		free(e[i].execs);
		free(pids ? pids[i] : NULL);
	}
	free(e);
	free(pids);
	free(samples);
	free(period);
	return err;
}
