/* SPDX-License-Identifier: MIT */
/* Two diagnoses compared (swapdiag/diff.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/diff.h>

#define SIGMAS 3.0

const char *sd_diff_outcome_name(enum sd_diff_outcome o)
{
	switch (o) {
	case SD_DIFF_UNCHANGED:
		return "UNCHANGED";
	case SD_DIFF_IMPROVED:
		return "IMPROVED";
	case SD_DIFF_WORSE:
		return "WORSE";
	case SD_DIFF_MIXED:
		return "MIXED";
	default:
		return "UNKNOWN";
	}
}

const struct sd_finding *sd_diagnosis_finding(const struct sd_diagnosis *d,
					      enum sd_finding_kind k)
{
	for (size_t i = 0; d && i < d->nr_findings; i++)
		if (d->findings[i].kind == k)
			return &d->findings[i];
	return NULL;
}

static bool is_rate(enum sd_finding_kind k)
{
	return k == SD_FIND_MMAP_LOCK_STALL || k == SD_FIND_EXEC_LOCK_STALL ||
	       k == SD_FIND_OTHER_DSTATE;
}

/* Variance of a share p measured from n samples, p at least 1/n. */
static double share_var(double p, double n)
{
	if (n <= 0)
		return 0;
	if (p < 1 / n)
		p = 1 / n;
	if (p > 1)
		p = 1;
	return p * (1 - p) / n;
}

/* Variance of a rate k/t (Poisson), k at least 1. */
static double rate_var(double k, double t)
{
	if (t <= 0)
		return 0;
	return (k < 1 ? 1 : k) / (t * t);
}

static bool has_comm(const struct sd_finding *f, const char *comm)
{
	for (size_t i = 0; f && i < f->nr_procs; i++)
		if (!strcmp(f->procs[i].comm, comm))
			return true;
	for (size_t i = 0; f && i < f->nr_victims; i++)
		if (!strcmp(f->victims[i].comm, comm))
			return true;
	return false;
}

/* comms listed in f (processes, or a stall's victims) and not in g */
static int only_in(const struct sd_finding *f, const struct sd_finding *g,
		   const char ***out, size_t *n)
{
	size_t cap = f ? f->nr_procs + f->nr_victims : 0;

	*out = NULL;
	*n = 0;
	if (!cap)
		return 0;
	*out = calloc(cap, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < f->nr_procs + f->nr_victims; i++) {
		const char *c = i < f->nr_procs
					? f->procs[i].comm
					: f->victims[i - f->nr_procs].comm;
		bool dup = false;
		for (size_t k = 0; k < *n && !dup; k++)
			dup = !strcmp((*out)[k], c);
		if (!dup && !has_comm(g, c))
			(*out)[(*n)++] = c;
	}
	return 0;
}

int sd_diff_compare(const struct sd_diagnosis *b,
		    const struct sd_diagnosis *a, struct sd_diff **out)
{
	struct sd_diff *d = calloc(1, sizeof *d);
	bool better = false, worse = false;
	int err = 0;

	if (!d)
		return -ENOMEM;
	d->changes = calloc(SD_FIND_KINDS, sizeof *d->changes);
	if (!d->changes) {
		free(d);
		return -ENOMEM;
	}
	d->duration_before = b->duration_s;
	d->duration_after = a->duration_s;
	for (int k = 0; k < SD_FIND_KINDS && !err; k++) {
		enum sd_finding_kind kind = (enum sd_finding_kind)k;
		const struct sd_finding *fb = sd_diagnosis_finding(b, kind);
		const struct sd_finding *fa = sd_diagnosis_finding(a, kind);
		if (!fb && !fa)
			continue;
		struct sd_change *c = &d->changes[d->nr_changes++];
		c->kind = (enum sd_finding_kind)k;
		c->before = fb;
		c->after = fa;
		c->rate = is_rate(c->kind);
		c->level = fb ? fb->level : SD_LEVEL_NONE;
		c->measured_before = c->measured_after = true;
		if (fa && fa->level > c->level)
			c->level = fa->level;
		double var;
		if (!c->rate) {
			double nb = (double)b->on_cpu_samples;
			double na = (double)a->on_cpu_samples;
			c->value_before = fb ? fb->share : 0;
			c->value_after = fa ? fa->share : 0;
			var = nb > 0 && na > 0
				      ? share_var(c->value_before, nb) +
						share_var(c->value_after, na)
				      : NAN;
		} else {
			/* stalls are only counted where every sched_switch
			 * was recorded: a side without it measured nothing */
			double tb = b->switch_recorded && !b->switch_sampled
					    ? b->duration_s : 0;
			double ta = a->switch_recorded && !a->switch_sampled
					    ? a->duration_s : 0;
			c->measured_before = tb > 0;
			c->measured_after = ta > 0;
			c->unmeasured = !(tb > 0) || !(ta > 0);
			double kb = fb ? (double)fb->stalls : 0;
			double ka = fa ? (double)fa->stalls : 0;
			c->value_before = tb > 0 ? kb / tb : NAN;
			c->value_after = ta > 0 ? ka / ta : NAN;
			var = tb > 0 && ta > 0 ? rate_var(kb, tb) + rate_var(ka, ta)
					       : NAN;
		}
		if (!c->rate) {
			const struct sd_diagnosis *dd[2] = {b, a};
			const struct sd_finding *ff[2] = {fb, fa};
			for (int s = 0; s < 2; s++) {
				const struct sd_diagnosis *x = dd[s];
				c->forks_per_s[s] = x->forks_known &&
							    x->duration_s > 0
							    ? (double)x->forks /
								      x->duration_s
							    : NAN;
				c->ms_per_fork[s] =
					x->forks_known && x->forks &&
							x->period_ns
						? (ff[s] ? (double)ff[s]->period
							 : 0) / 1e6 /
							  (double)x->forks
						: NAN;
			}
		} else {
			for (int s = 0; s < 2; s++)
				c->forks_per_s[s] = c->ms_per_fork[s] = NAN;
		}
		c->delta = c->value_after - c->value_before;
		c->margin = SIGMAS * sqrt(var);
		c->significant = isfinite(c->delta) && isfinite(c->margin) &&
				 fabs(c->delta) > c->margin;
		c->direction = !c->significant ? 0 : c->delta > 0 ? 1 : -1;
		if (c->direction > 0) {
			worse = true;
			enum sd_level l = fa ? fa->level : SD_LEVEL_NONE;
			if (l > d->worse_level)
				d->worse_level = l;
		} else if (c->direction < 0) {
			better = true;
		}
		if (c->unmeasured)
			continue;
		err = only_in(fa, fb, &c->appeared, &c->nr_appeared);
		if (!err)
			err = only_in(fb, fa, &c->disappeared,
				      &c->nr_disappeared);
	}
	if (err) {
		sd_diff_free(d);
		return err;
	}
	d->swap_before = b->swap_share;
	d->swap_after = a->swap_share;
	if (b->on_cpu_samples && a->on_cpu_samples) {
		d->swap_margin = SIGMAS *
			sqrt(share_var(b->swap_share, (double)b->on_cpu_samples) +
			     share_var(a->swap_share, (double)a->on_cpu_samples));
		d->swap_significant = fabs(d->swap_after - d->swap_before) >
				      d->swap_margin;
	} else {
		d->swap_margin = NAN;
	}
	d->outcome = b->unknown || a->unknown ? SD_DIFF_UNKNOWN
		     : better && worse	      ? SD_DIFF_MIXED
		     : worse		      ? SD_DIFF_WORSE
		     : better		      ? SD_DIFF_IMPROVED
					      : SD_DIFF_UNCHANGED;
	*out = d;
	return 0;
}

struct sd_diff *sd_diff_free(struct sd_diff *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->nr_changes; i++) {
		free(d->changes[i].appeared);
		free(d->changes[i].disappeared);
	}
	free(d->changes);
	free(d);
	return NULL;
}
