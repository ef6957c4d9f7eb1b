/* SPDX-License-Identifier: MIT */
/*
 * The diagnosis as a value: the names of findings and levels, the words
 * that title and explain each finding, notes, and freeing it all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "util/str.h"

static const char *const keys[SD_FIND_KINDS] = {
	"swap_dup_fork", "swap_free_exec", "mmap_lock_stall",
	"exec_lock_stall", "other_dstate", "fork_copy",
};

const char *sd_finding_key(enum sd_finding_kind k)
{
	return k < SD_FIND_KINDS ? keys[k] : "?";
}

const char *sd_level_name(enum sd_level l)
{
	static const char *const n[] = {"none", "info", "warning", "critical"};
	return l <= SD_LEVEL_CRITICAL ? n[l] : "?";
}

int sd_level_parse(const char *s, int *level)
{
	if (!strcmp(s, "never"))
		*level = SD_LEVEL_CRITICAL + 1;
	else if (!strcmp(s, "info"))
		*level = SD_LEVEL_INFO;
	else if (!strcmp(s, "warning"))
		*level = SD_LEVEL_WARNING;
	else if (!strcmp(s, "critical"))
		*level = SD_LEVEL_CRITICAL;
	else
		return -EINVAL;
	return 0;
}

void finding_fini(struct sd_finding *f)
{
	for (size_t i = 0; i < f->nr_procs; i++) {
		free(f->procs[i].comm);
		free(f->procs[i].pids);
	}
	free(f->procs);
	for (size_t i = 0; i < f->nr_paths; i++) {
		for (size_t k = 0; k < f->paths[i].nr_frames; k++)
			free(f->paths[i].frames[k]);
		free(f->paths[i].frames);
	}
	free(f->paths);
	fork_sites_fini(f);
	forkers_fini(f);
	free(f->timeline);
	free(f->lock_note);
	for (size_t i = 0; i < f->nr_victims; i++)
		free(f->victims[i].comm);
	free(f->victims);
	for (size_t i = 0; i < f->nr_holders; i++)
		free(f->holders[i].comm);
	free(f->holders);
	for (size_t i = 0; i < f->nr_locks; i++)
		free(f->locks[i].holder_comm);
	free(f->locks);
}

const char *sd_severity_name(const struct sd_diagnosis *d)
{
	if (d->unknown)
		return "unknown";
	return d->level == SD_LEVEL_NONE ? "ok" : sd_level_name(d->level);
}

struct sd_diagnosis *sd_diagnosis_free(struct sd_diagnosis *d)
{
	if (!d)
		return NULL;
	free(d->era_evidence);
	free(d->damage);
	free(d->forkers);
	for (size_t i = 0; i < d->nr_findings; i++)
		finding_fini(&d->findings[i]);
	free(d->findings);
	remedies_fini(d);
	hot_fini(d);
	for (size_t i = 0; i < d->nr_notes; i++)
		free(d->notes[i]);
	free(d->notes);
	free(d->verdict);
	free(d->marks);
	free(d);
	return NULL;
}

int add_note(struct sd_diagnosis *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	char **v = realloc(d->notes, (d->nr_notes + 1) * sizeof *v);

	if (!v)
		return -ENOMEM;
	d->notes = v;
	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (!s)
		return -ENOMEM;
	d->notes[d->nr_notes++] = s;
	return 0;
}

static const char *const titles[SD_FIND_KINDS] = {
	"fork copies swap entries (swap_duplicate on every swapped-out PTE)",
	"exec/exit releases swap entries (free_swap_and_cache on every "
	"swapped-out PTE)",
	"readers of /proc/PID stalled on a forking process's mmap_lock",
	"readers of /proc/PID (stat for top and ps, opening environ, mem, "
	"maps) stalled on an exec's teardown (exec_update_lock)",
	"other D-state waits in the rwsem read slow path",
	"fork copies the page tables of a large resident parent (no swap "
	"entries)",
};

static const char *const whys[SD_FIND_KINDS] = {
	"fork() copies the parent's page tables (dup_mmap -> copy_page_range); "
	"for every PTE that holds a swap entry instead of a page, "
	"swap_duplicate() takes the swap lock to count one more reference. "
	"The cost grows with the parent's memory in swap times the fork rate, "
	"and dup_mmap holds the parent's mmap_lock for write the whole time.",
	"exec() and exit() tear the copied address space down again "
	"(exit_mmap -> unmap_vmas -> zap_pte_range); every swap entry's "
	"reference is dropped through free_swap_and_cache() under the same "
	"swap lock, so every short-lived child pays for its parent's swap.",
	"While fork() copies the parent's page tables it holds the parent's "
	"mmap_lock (mmap_sem) for write. ps, top, pgrep -f and monitoring "
	"agents reading /proc/PID/cmdline, environ or maps of that parent "
	"sleep in D state until the copy is done.",
	"Reading /proc/PID/stat (top, ps; kernels with the 2026 procfs lock "
	"fix) and opening /proc/PID/environ, mem or maps take the target's "
	"exec_update_lock (cred_guard_mutex before 5.10), which exec() holds "
	"for write while it tears the old address space - with all its swap "
	"entries - down: an exec-side stall of the same incident.",
	"Tasks slept in the rwsem read slow path under a caller that is not a "
	"known reader of another process's memory; their paths are listed so "
	"they can be judged by hand.",
	"fork() copies the parent's page tables (dup_mmap -> copy_page_range) "
	"- one PTE per resident page - even when nothing is in swap: the cost "
	"grows with the parent's resident memory times the fork rate, and "
	"dup_mmap holds the parent's mmap_lock for write the whole time, so "
	"ps, top and agents reading its /proc files still stall. Swap "
	"remedies do not help here; not copying the big parent does.",
};

static const char *const contexts[SD_FIND_KINDS] = {
	"all fork page-table copying", "all address-space teardown", NULL,
	NULL, NULL, "all fork page-table copying",
};

void finding_words(struct sd_finding *f)
{
	if (f->kind >= SD_FIND_KINDS)
		return;
	f->title = titles[f->kind];
	f->why = whys[f->kind];
	f->context_name = contexts[f->kind];
}

int add_finding(struct sd_diagnosis *d, struct sd_finding *f)
{
	struct sd_finding *v = realloc(d->findings,
				       (d->nr_findings + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	d->findings = v;
	d->findings[d->nr_findings++] = *f;
	return 0;
}
