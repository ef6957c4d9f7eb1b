/* SPDX-License-Identifier: MIT */
/*
 * Fork sites: the user code paths that fork, per forker.
 *
 * In the stacks of the fork-side finding, the user frames (root first,
 * above the kernel's) lead to a C-library fork entry (tables.c
 * sd_fork_entries: fork, _Fork, __libc_fork, clone, ...).  The frames
 * before the first such entry are the code that decided to fork --
 * run_cgi_child > apr_proc_create, rdbSaveBackground, Perl_pp_fork --
 * the thing to change.  Stacks whose user part names no fork entry
 * (frame-pointer chains that stop in an unsymbolized libc, kernel-only
 * chains) give no site: the path would not be known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/tables.h"

struct siteacc {
	uint32_t comm;
	const struct sd_frame *frames; /* the path, root first */
	size_t n;
	uint32_t entry; /* string id of the fork entry frame */
	uint64_t samples;
};

static int cmp_site(const void *a, const void *b)
{
	const struct siteacc *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return 0;
}

static bool same_site(const struct siteacc *a, uint32_t comm,
		      const struct sd_frame *f, size_t n, uint32_t entry)
{
	if (a->comm != comm || a->n != n || a->entry != entry)
		return false;
	for (size_t i = 0; i < n; i++)
		if (a->frames[i].name != f[i].name)
			return false;
	return true;
}

void fork_sites_fini(struct sd_finding *f)
{
	for (size_t i = 0; i < f->nr_fork_sites; i++) {
		struct sd_fork_site *s = &f->fork_sites[i];
		for (size_t k = 0; k < s->nr_frames; k++)
			free(s->frames[k]);
		free(s->frames);
		free(s->comm);
		free(s->entry);
	}
	free(f->fork_sites);
	f->fork_sites = NULL;
	f->nr_fork_sites = 0;
}

static int fill(struct sd_fork_site *s, const struct siteacc *a,
		const struct sd_stacks *st, const struct sd_machine *m)
{
	const char *comm = sd_machine_comm_str(m, a->comm);

	s->samples = a->samples;
	s->comm = strdup(comm ? comm : "");
	s->entry = strdup(sd_stacks_str(st, a->entry));
	s->frames = calloc(a->n ? a->n : 1, sizeof *s->frames);
	if (!s->comm || !s->entry || !s->frames)
		return -ENOMEM;
	for (size_t k = 0; k < a->n; k++) {
		s->frames[k] = strdup(sd_stacks_str(st, a->frames[k].name));
		if (!s->frames[k])
			return -ENOMEM;
		s->nr_frames = k + 1;
	}
	return 0;
}

int make_fork_sites(struct sd_finding *f, const struct sd_stacks *st,
		    const struct sd_machine *m, const uint32_t *ids,
		    size_t nids)
{
	struct siteacc *acc = calloc(nids ? nids : 1, sizeof *acc);
	size_t na = 0;
	int err = 0;

	if (!acc)
		return -ENOMEM;
	for (size_t i = 0; i < nids; i++) {
		struct sd_stack_info si;
		sd_stacks_get(st, ids[i], &si);
		size_t nuser = 0, at;
		while (nuser < si.nr_frames && !si.frames[nuser].kernel)
			nuser++;
		for (at = 0; at < nuser; at++)
			if (sd_sig_has(&sd_fork_entries,
				       sd_stacks_str(st, si.frames[at].name)))
				break;
		if (at == nuser)
			continue;
		uint32_t entry = si.frames[at].name;
		size_t k;
		for (k = 0; k < na && !same_site(&acc[k], si.comm, si.frames,
						 at, entry);
		     k++)
			;
		if (k == na)
			acc[na++] = (struct siteacc){si.comm, si.frames, at,
						     entry, 0};
		acc[k].samples += si.count;
	}
	qsort(acc, na, sizeof *acc, cmp_site);
	if (na > SD_MAX_FORK_SITES)
		na = SD_MAX_FORK_SITES;
	f->fork_sites = calloc(na ? na : 1, sizeof *f->fork_sites);
	if (!f->fork_sites) {
		free(acc);
		return -ENOMEM;
	}
	for (size_t k = 0; k < na && !err; k++) {
		f->nr_fork_sites = k + 1;
		err = fill(&f->fork_sites[k], &acc[k], st, m);
	}
	free(acc);
	return err;
}
