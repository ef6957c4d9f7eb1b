/* SPDX-License-Identifier: MIT */
/* Stall findings from the D-state sleeps the stall tracker followed. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include "detect/stalls.h"

/* ---- stall findings -------------------------------------------------- */

static enum sd_level stall_level(const struct sd_finding *f)
{
	if (f->kind == SD_FIND_OTHER_DSTATE)
		return f->stalls ? SD_LEVEL_INFO : SD_LEVEL_NONE;
	if (!f->stalls)
		return SD_LEVEL_NONE;
	if (f->durations_known) {
		if (f->blocked_ms_max >= 1000 || f->blocked_ms_total >= 5000)
			return SD_LEVEL_CRITICAL;
		if (f->blocked_ms_max >= 10 || f->stalls >= 5)
			return SD_LEVEL_WARNING;
		return SD_LEVEL_INFO;
	}
	return f->stalls >= 5 ? SD_LEVEL_WARNING : SD_LEVEL_INFO;
}

static int cmp_victim(const void *a, const void *b)
{
	const struct sd_victim *x = a, *y = b;
	if (x->stalls != y->stalls)
		return x->stalls < y->stalls ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct sd_holder *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Tasks with fork page-table-copy samples inside the stalls' windows. */
static int find_holders(struct cpu_ctx *c, struct sd_finding *f,
			const struct sd_stall **stalls, size_t n)
{
	const struct sd_stacks *st = c->a->stacks;
	struct tallies t = {0};

	for (size_t i = 0; i < sd_stacks_nr_details(st); i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(st, i);
		if (!(c->match[d->stack] & SD_M_FORK_COPY) || !d->bucket)
			continue;
		for (size_t k = 0; k < n; k++) {
			uint64_t b0 = stalls[k]->t_out / SD_BUCKET_NS;
			uint64_t b1 = (stalls[k]->t_in ? stalls[k]->t_in
						       : stalls[k]->t_out) /
				      SD_BUCKET_NS;
			if (d->bucket < b0 || d->bucket > b1)
				continue;
			struct sd_stack_info si;
			sd_stacks_get(st, d->stack, &si);
			struct tally *ty = tally_get(&t, si.comm, d->pid);
			if (!ty) {
				free(t.v);
				return -ENOMEM;
			}
			ty->samples += d->count;
			break;
		}
	}
	f->holders = calloc(t.n ? t.n : 1, sizeof *f->holders);
	if (!f->holders) {
		free(t.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t.n; i++) {
		f->holders[i].comm = strdup(sd_machine_comm_str(c->a->machine,
								t.v[i].comm));
		f->holders[i].pid = t.v[i].pid;
		f->holders[i].samples = t.v[i].samples;
		f->nr_holders = i + 1;
	}
	qsort(f->holders, f->nr_holders, sizeof *f->holders, cmp_holder);
	if (f->nr_holders > SD_MAX_PROCS) {
		for (size_t i = SD_MAX_PROCS; i < f->nr_holders; i++)
			free(f->holders[i].comm);
		f->nr_holders = SD_MAX_PROCS;
	}
	free(t.v);
	return 0;
}

int stall_finding(struct cpu_ctx *c, struct sd_finding *f,
			 unsigned want, bool durations)
{
	const struct sd_stalls *sl = c->a->stalls;
	const struct sd_stall **mine;
	struct tallies t = {0};
	size_t n = 0;

	f->durations_known = durations;
	mine = calloc(sl && sl->n ? sl->n : 1, sizeof *mine);
	if (!mine)
		return -ENOMEM;
	for (size_t i = 0; sl && i < sl->n; i++) {
		const struct sd_stall *s = &sl->v[i];
		unsigned m = c->match[s->stack];
		bool is;
		if (want == SD_M_RWSEM_READ) /* the rest of the slow path */
			is = (m & SD_M_RWSEM_READ) &&
			     !(m & (SD_M_MM_READER | SD_M_EXEC_LOCK));
		else
			is = (m & want) == want;
		if (!is)
			continue;
		mine[n++] = s;
		f->stalls++;
		struct tally *ty = tally_get(&t, s->comm, s->pid);
		if (!ty) {
			free(mine);
			free(t.v);
			return -ENOMEM;
		}
		ty->samples++;
		if (!s->t_in || s->open) {
			f->stalls_unfinished++;
			continue;
		}
		double ms = (double)(s->t_in - s->t_out) / 1e6;
		ty->finished++;
		ty->ms += ms;
		if (ms > ty->max_ms)
			ty->max_ms = ms;
		f->blocked_ms_total += ms;
		if (ms > f->blocked_ms_max)
			f->blocked_ms_max = ms;
	}
	if (!durations) {
		f->blocked_ms_total = NAN;
		f->blocked_ms_max = NAN;
	}
	f->victims = calloc(t.n ? t.n : 1, sizeof *f->victims);
	int err = f->victims ? 0 : -ENOMEM;
	for (size_t i = 0; !err && i < t.n; i++) {
		struct sd_victim *v = &f->victims[i];
		v->comm = strdup(sd_machine_comm_str(c->a->machine, t.v[i].comm));
		v->pid = t.v[i].pid;
		v->stalls = t.v[i].samples;
		/* unknown, not zero, when no wake-up of it was recorded */
		bool known = durations && t.v[i].finished;
		v->blocked_ms = known ? t.v[i].ms : NAN;
		v->max_ms = known ? t.v[i].max_ms : NAN;
		f->nr_victims = i + 1;
	}
	if (!err)
		qsort(f->victims, f->nr_victims, sizeof *f->victims, cmp_victim);
	if (!err && want != SD_M_RWSEM_READ)
		err = find_holders(c, f, mine, n);
	/* the paths of the sleeping readers */
	if (!err) {
		uint32_t *ids = calloc(n ? n : 1, sizeof *ids);
		size_t ni = 0;
		if (!ids)
			err = -ENOMEM;
		for (size_t i = 0; !err && i < n; i++) {
			/* one entry per sleep: make_paths sums stack counts,
			 * so count distinct stacks once and fix up below */
			bool seen = false;
			for (size_t k = 0; k < ni; k++)
				seen |= ids[k] == mine[i]->stack;
			if (!seen)
				ids[ni++] = mine[i]->stack;
		}
		if (!err)
			err = make_paths(f, c->a->stacks, ids, ni);
		free(ids);
	}
	f->level = stall_level(f);
	free(mine);
	free(t.v);
	return err;
}
