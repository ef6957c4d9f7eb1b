/* SPDX-License-Identifier: MIT */
/*
 * Remedies fitted to the recording: the services the forkers are
 * (services.c, matched by executable base name, else by comm), the
 * service rows whose facts hold (one big forker or many, swap-entry work
 * or only page tables), then the general rows of the kernel era, each with
 * what it applies to and why.  A service that is not in the recording
 * gets nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/services.h"
#include "detect/tables.h"

/* A forker as the service table sees it. */
struct cand {
	const char *name;  /* executable base name, or comm */
	const char *comm;
	size_t nr_pids;
	uint64_t forks;
	double per_s;      /* NAN unknown */
	bool from_exe;
};

/* Why the era's general rows apply. */
static const struct {
	const char *id, *because;
} general[] = {
	{"posix_spawn", "these processes fork() and so copy their page tables"},
	{"madv_dontfork", "the forking processes carry large private memory "
			  "into every fork"},
	{"memcg_v1", "the forking processes have memory in swap"},
	{"memcg_v2", "the forking processes have memory in swap"},
	{"swapoff", "the forking processes have memory in swap"},
	{"swappiness", "the forking processes have memory in swap"},
	{"kernel_3_9", "the swap lock is contended"},
	{"kernel_4_11", "the swap lock is contended"},
	{"kernel_6_14", "the kernel already has per-cluster swap locks"},
};

static bool name_matches(const char *pat, const char *name)
{
	size_t n = strlen(pat);
	if (n && pat[n - 1] == '*')
		return !strncmp(pat, name, n - 1);
	return !strcmp(pat, name);
}

static bool service_matches(const struct sd_service *s, const struct cand *c)
{
	for (const char *const *p = s->match; *p; p++)
		if (name_matches(*p, c->name) ||
		    (c->comm && name_matches(*p, c->comm)))
			return true;
	return false;
}

static void fit_fini(struct sd_remedy_fit *f)
{
	for (size_t i = 0; i < f->nr_applies_to; i++)
		free(f->applies_to[i]);
	free(f->applies_to);
	free(f->because);
}

void remedies_fini(struct sd_diagnosis *d)
{
	for (size_t i = 0; d->fits && i < d->nr_remedies; i++)
		fit_fini(&d->fits[i]);
	free(d->fits);
	free(d->remedies);
}

static int add(struct sd_diagnosis *d, size_t cap, const struct sd_remedy *r,
	       const struct cand *c, size_t nc, const bool *use,
	       const char *because)
{
	struct sd_remedy_fit *f;

	for (size_t i = 0; i < d->nr_remedies; i++)
		if (!strcmp(d->remedies[i]->id, r->id))
			return 0;
	if (d->nr_remedies == cap)
		return 0;
	f = &d->fits[d->nr_remedies];
	f->applies_to = calloc(nc ? nc : 1, sizeof *f->applies_to);
	if (!f->applies_to)
		return -ENOMEM;
	d->remedies[d->nr_remedies++] = r;
	for (size_t i = 0; i < nc; i++) {
		if (use && !use[i])
			continue;
		bool dup = false;
		for (size_t k = 0; k < f->nr_applies_to; k++)
			dup |= !strcmp(f->applies_to[k], c[i].name);
		if (dup)
			continue;
		if (!(f->applies_to[f->nr_applies_to] = strdup(c[i].name)))
			return -ENOMEM;
		f->nr_applies_to++;
	}
	if (because && !(f->because = strdup(because)))
		return -ENOMEM;
	return 0;
}

/* "apache2: 1 forking process, 203 forks (66/s); " + why. */
static int because_of(const struct cand *c, size_t nc, const bool *use,
		      const char *why, char **out)
{
	char buf[1024];
	size_t len = 0;

	for (size_t i = 0; i < nc && len < sizeof buf; i++) {
		if (!use[i])
			continue;
		int n;
		if (c[i].forks && !isnan(c[i].per_s))
			n = snprintf(buf + len, sizeof buf - len,
				     "%s: %zu forking process%s, %llu forks "
				     "(%.0f/s); ",
				     c[i].name, c[i].nr_pids,
				     c[i].nr_pids == 1 ? "" : "es",
				     (unsigned long long)c[i].forks, c[i].per_s);
		else if (c[i].forks)
			n = snprintf(buf + len, sizeof buf - len,
				     "%s: %zu forking process%s, %llu forks; ",
				     c[i].name, c[i].nr_pids,
				     c[i].nr_pids == 1 ? "" : "es",
				     (unsigned long long)c[i].forks);
		else if (!c[i].nr_pids)
			n = snprintf(buf + len, sizeof buf - len,
				     "%s: how many of its processes fork is not "
				     "known (no pids in the input), so the "
				     "common case is assumed; ", c[i].name);
		else
			n = snprintf(buf + len, sizeof buf - len,
				     "%s: %zu process%s in the finding; ",
				     c[i].name, c[i].nr_pids,
				     c[i].nr_pids == 1 ? "" : "es");
		if (n < 0)
			return -EINVAL;
		len += (size_t)n;
	}
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	snprintf(buf + len, sizeof buf - len, "%s", why);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* Does a service that candidate c is say general row id does not fit? */
static bool skipped(const struct cand *c, const char *id)
{
	for (size_t s = 0; s < sd_nr_services; s++) {
		const struct sd_service *sv = &sd_services[s];
		if (!sv->skip || !service_matches(sv, c))
			continue;
		for (const char *const *k = sv->skip; *k; k++)
			if (!strcmp(*k, id))
				return true;
	}
	return false;
}

/* The forkers of the finding that forks (swap_dup_fork, fork_copy). */
static size_t candidates(const struct sd_diagnosis *d, struct cand *c,
			 size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct sd_finding *f = &d->findings[i];
		if (f->kind != SD_FIND_SWAP_DUP_FORK &&
		    f->kind != SD_FIND_FORK_COPY)
			continue;
		for (size_t k = 0; k < f->nr_forkers && n < cap; k++) {
			const struct sd_forker *x = &f->forkers[k];
			const char *b = strrchr(x->exe, '/');
			c[n++] = (struct cand){b ? b + 1 : x->exe, x->comm,
					       x->nr_pids_total, x->forks,
					       x->forks_per_s, true};
		}
		if (f->nr_forkers)
			continue;
		/* no task records (text input): the finding's comms; pid -1
		 * (perf report text) is not known */
		for (size_t k = 0; k < f->nr_procs && n < cap; k++) {
			const struct sd_process *p = &f->procs[k];
			size_t pids = p->nr_pids_total;
			for (size_t j = 0; j < p->nr_pids; j++)
				pids -= p->pids[j] == UINT32_MAX;
			c[n++] = (struct cand){p->comm, NULL, pids, 0, NAN,
					       false};
		}
	}
	return n;
}

int choose_remedies(struct sd_diagnosis *d, const struct sd_era *era,
		    bool swap, bool contended)
{
	const struct sd_era *re = era ? era : &sd_eras[sd_nr_eras - 2];
	struct cand c[2 * SD_MAX_PROCS + 8];
	size_t nc = candidates(d, c, sizeof c / sizeof *c), n = 0;
	bool use[sizeof c / sizeof *c];
	int err;

	while (re->remedies[n])
		n++;
	size_t cap = n + sd_nr_service_remedies;
	d->remedies = calloc(cap, sizeof *d->remedies);
	d->fits = calloc(cap, sizeof *d->fits);
	if (!d->remedies || !d->fits)
		return -ENOMEM;
	/* the services in the recording, and the rows whose facts hold */
	for (size_t s = 0; s < sd_nr_services; s++) {
		const struct sd_service *sv = &sd_services[s];
		size_t pids = 0, hits = 0;
		bool unknown = false; /* a forker's process count */
		for (size_t i = 0; i < nc; i++) {
			use[i] = service_matches(sv, &c[i]);
			/* python* is any Python program: not when a more
			 * specific service (gunicorn ...) matched its comm */
			if (use[i] && !strcmp(sv->id, "python"))
				for (size_t t = 0; t < s; t++)
					use[i] &= !service_matches(&sd_services[t],
								   &c[i]);
			if (use[i]) {
				hits++;
				pids += c[i].nr_pids;
				unknown |= !c[i].nr_pids;
			}
		}
		if (!hits)
			continue;
		for (size_t r = 0; r < sd_nr_service_remedies; r++) {
			const struct sd_service_remedy *sr =
				&sd_service_remedies[r];
			if (strcmp(sr->service, sv->id))
				continue;
			/* unknown counts: the many-forkers case, the
			 * common one (mod_cgi) */
			if (((sr->when & SR_SINGLE) && (unknown || pids != 1)) ||
			    ((sr->when & SR_MANY) && !unknown && pids < 2) ||
			    ((sr->when & SR_SWAP) && !swap))
				continue;
			char *why;
			if ((err = because_of(c, nc, use, sr->because, &why)))
				return err;
			err = add(d, cap, &sr->r, c, nc, use, why);
			free(why);
			if (err)
				return err;
		}
	}
	/* the general rows of the era */
	for (size_t i = 0; i < n; i++) {
		const struct sd_remedy *r = sd_remedy_find(re->remedies[i]);
		const char *why = NULL;
		if (!r)
			continue;
		if (!contended && (!strcmp(r->id, "kernel_3_9") ||
				   !strcmp(r->id, "kernel_4_11")))
			continue;
		/* without swap-entry work only page-table rows apply */
		if (!swap && strcmp(r->id, "posix_spawn") &&
		    strcmp(r->id, "madv_dontfork"))
			continue;
		for (size_t k = 0; k < sizeof general / sizeof *general; k++)
			if (!strcmp(general[k].id, r->id))
				why = general[k].because;
		/* for the forkers whose service it fits; none: not shown */
		size_t fits = 0;
		for (size_t k = 0; k < nc; k++)
			fits += (use[k] = !skipped(&c[k], r->id));
		if (nc && !fits)
			continue;
		if ((err = add(d, cap, r, c, nc, use, why)))
			return err;
	}
	return 0;
}
