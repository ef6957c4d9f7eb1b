/* SPDX-License-Identifier: MIT */
/*
 * On-CPU findings: swap_dup_fork and swap_free_exec.  A finding's details
 * (among those classify() listed: the on-CPU stacks' with a CPU_CAND
 * flag, a quarter of them on kstorm) go to their (comm, pid) tally, looked
 * up only when it is not the last detail's (about half of them on
 * kstorm).  Periods are summed per second as integers (exact, as the
 * doubles they were summed as are below 2^53), divided once a second.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include <swapdiag/stalls.h>
#include "detect/tables.h"

/* Levels: see swapdiag(1), THRESHOLDS. */
#define CRIT_SHARE 0.15
#define WARN_SHARE 0.03
#define INFO_SHARE 0.005
#define INFO_MIN_SAMPLES 3

/* ---- on-CPU findings ------------------------------------------------- */


enum sd_level cpu_share_level(double share, uint64_t samples)
{
	if (share >= CRIT_SHARE)
		return SD_LEVEL_CRITICAL;
	if (share >= WARN_SHARE)
		return SD_LEVEL_WARNING;
	if (share >= INFO_SHARE && samples >= INFO_MIN_SAMPLES)
		return SD_LEVEL_INFO;
	return SD_LEVEL_NONE;
}

/*
 * fork_copy (fork page-table copying without swap entries, a large
 * resident parent): ordinary forks cost a few per cent of a forking
 * server, so >= 25 % critical, >= 10 % warning, >= 5 % (and at least 3
 * samples) info.
 */
enum sd_level fork_copy_level(double share, uint64_t samples)
{
	if (share >= 0.25)
		return SD_LEVEL_CRITICAL;
	if (share >= 0.10)
		return SD_LEVEL_WARNING;
	if (share >= 0.05 && samples >= INFO_MIN_SAMPLES)
		return SD_LEVEL_INFO;
	return SD_LEVEL_NONE;
}

int cpu_finding(struct cpu_ctx *c, struct sd_finding *f,
		       unsigned want, unsigned context)
{
	const struct sd_stacks *st = c->a->stacks;
	struct tallies t = {0};
	uint32_t *ids = NULL;
	bool *sel = NULL; /* per stack: in the finding */
	uint64_t *per_sec = NULL; /* the period per second, as sec_total */
	size_t nids = 0, nst = sd_stacks_count(st);
	uint64_t period = 0, ctx_samples = 0, ctx_period = 0;
	uint64_t lock_period = 0, spin_period = 0;
	int err = -ENOMEM;

	/* not cleared: only the on-CPU stacks' sel is written and read (the
	 * candidates are theirs), and ids[0 .. nids) */
	ids = malloc((nst ? nst : 1) * sizeof *ids);
	sel = malloc((nst ? nst : 1) * sizeof *sel);
	f->timeline = calloc(c->nsec ? c->nsec : 1, sizeof *f->timeline);
	per_sec = calloc(c->nsec ? c->nsec : 1, sizeof *per_sec);
	if (!ids || !sel || !f->timeline || !per_sec)
		goto out;
	f->nr_timeline = c->nsec;
	f->timeline_start = c->nsec ? c->first_bucket / 10 * 1000000000ull : 0;
	for (size_t i = 0; i < nst; i++) {
		if (!c->on_cpu[i])
			continue;
		unsigned m = c->match[i];
		bool ctx = m & context;
		sel[i] = (m & want) == want && !(m & c->exclude);
		if (!ctx && !sel[i])
			continue;
		struct sd_stack_info si;
		sd_stacks_get_nopid(st, i, &si);
		if (ctx) {
			ctx_samples += si.count;
			ctx_period += si.period;
		}
		if (sel[i]) {
			ids[nids++] = (uint32_t)i;
			f->samples += si.count;
			period += si.period;
			if (m & SD_M_SPIN_LOCK)
				lock_period += si.period;
			if ((m & SD_M_SPIN_SLOW) ||
			    (c->ticket && (m & SD_M_SPIN_LEAF)))
				spin_period += si.period;
		}
	}
	/* per process and per second: the selected stacks' details, among
	 * those listed for the findings (classify) */
	uint64_t b0 = c->first_bucket / 10;
	size_t nd;
	const struct sd_stack_detail *det = sd_stacks_details(st, &nd);
	struct tally *ty = NULL; /* the last detail's */
	/* the list of the details of want's CPU_CAND flag (want has one) */
	int li = want & SD_M_FORK_COPY ? 0 : 1;
	const uint32_t *cand = c->cand[li];
	/* the last detail's bucket and its second's sum (NULL: none), as in
	 * details_pass(): the details come in the order of their first
	 * samples, several to a bucket (kstorm: 45 k details, 270 buckets) */
	uint64_t lastb = UINT64_MAX, *at = NULL;
	for (size_t i = 0, ncand = c->ncand[li]; nids && i < ncand; i++) {
		const struct sd_stack_detail *d = &det[cand[i]];
		if (!sel[d->stack])
			continue;
		uint32_t comm = c->comm[d->stack];
		if (!ty || ty->comm != comm || ty->pid != d->pid) {
			ty = tally_get(&t, comm, d->pid);
			if (!ty)
				goto out;
		}
		ty->samples += d->count;
		ty->period += d->period;
		if (d->bucket != lastb) {
			uint64_t s = d->bucket / 10 - b0;
			lastb = d->bucket;
			at = lastb && s < c->nsec ? &per_sec[s] : NULL;
		}
		if (at)
			*at += d->period;
	}
	for (uint64_t s = 0; s < c->nsec; s++)
		f->timeline[s] = c->sec_total[s] > 0
					 ? (double)per_sec[s] / (double)c->sec_total[s]
					 : 0;
	f->share = c->total_period ? (double)period / (double)c->total_period : 0;
	f->context_samples = ctx_samples;
	f->period = period;
	f->context_period = ctx_period;
	f->context_share = c->total_period ? (double)ctx_period / (double)c->total_period
					   : 0;
	f->level = f->kind == SD_FIND_FORK_COPY
			   ? fork_copy_level(f->share, f->samples)
			   : cpu_share_level(f->share, f->samples);
	f->lock_share = period ? (double)lock_period / (double)period : 0;
	f->lock_contended_share = period ? (double)spin_period / (double)period
					 : 0;
	if ((err = make_procs(f, &t, c->a->machine, c->total_period)))
		goto out;
	err = make_paths(f, st, ids, nids);
	bool forking = f->kind == SD_FIND_SWAP_DUP_FORK ||
		       f->kind == SD_FIND_FORK_COPY;
	if (!err && forking)
		err = make_fork_sites(f, st, c->a->machine, ids, nids);
	if (!err && forking)
		err = make_forkers(f, &t, c);
out:
	tallies_fini(&t);
	free(ids);
	free(sel);
	free(per_sec);
	return err;
}
