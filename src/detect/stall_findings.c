/* SPDX-License-Identifier: MIT */
/* Stall findings from the D-state sleeps the stall tracker followed. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include <swapdiag/stalls.h>

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

int stall_finding(struct cpu_ctx *c, struct sd_finding *f, unsigned want,
		  unsigned activity, bool durations)
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
		if (want == SD_M_RWSEM_READ) /* what no reader table explains */
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
	if (!err && activity)
		err = tie_holders(c, f, mine, n, activity, durations);
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
