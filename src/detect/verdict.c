/* SPDX-License-Identifier: MIT */
/*
 * What the findings come to in words: the verdict line, what the swap
 * lock's shares mean, and no verdict at all on kernel symbols that do not
 * belong to the recorded kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/tables.h"

/*
 * Kernel symbols that do not belong to the recorded kernel name every
 * kernel frame wrongly: nothing found (or not found) with them holds, so
 * the findings go and the verdict is UNKNOWN -- unless the user said
 * --kallsyms-unchecked, which leaves a loud note instead.
 */
int check_kernel_symbols(const struct sd_detect_input *a,
			 struct sd_diagnosis *d)
{
	const struct sd_kernel_symbols *ks = a->kernel_symbols;

	if (!ks || ks->matches != 0)
		return 0;
	if (ks->unchecked) {
		d->kernel_symbols_unchecked = true;
		return add_note(d, "WARNING: the kernel symbols %s do not belong "
				   "to the recorded kernel (%s); they were used "
				   "anyway (--kallsyms-unchecked), so kernel "
				   "frames and everything found from them may "
				   "be wrong.",
				ks->path ? ks->path : "", ks->evidence);
	}
	d->kernel_symbols_wrong = true;
	for (size_t i = 0; i < d->nr_findings; i++)
		finding_fini(&d->findings[i]);
	d->nr_findings = 0;
	return add_note(d, "The kernel symbols %s do not belong to the recorded "
			   "kernel (%s), so no kernel frame can be named. Copy "
			   "/proc/kallsyms (as root) from the recorded host "
			   "while it runs the same boot and pass it with "
			   "--kallsyms, or run 'perf archive' there and unpack "
			   "it into ~/.debug. --kallsyms-unchecked uses these "
			   "symbols anyway.",
			ks->path ? ks->path : "", ks->evidence);
}

int make_verdict(struct sd_diagnosis *d)
{
	char buf[512], lvl[16];
	size_t len = 0;
	double swap_share = d->swap_share;
	const struct sd_finding *stall = NULL, *copy = NULL;

	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct sd_finding *f = &d->findings[i];
		if (f->kind == SD_FIND_MMAP_LOCK_STALL)
			stall = f;
		if (f->kind == SD_FIND_FORK_COPY)
			copy = f;
	}
	/* the severity in capitals: OK, INFO, WARNING, CRITICAL, UNKNOWN */
	snprintf(lvl, sizeof lvl, "%s", sd_severity_name(d));
	for (char *p = lvl; *p; p++)
		*p = (char)(*p - ('a' <= *p && *p <= 'z' ? 'a' - 'A' : 0));
	if (d->kernel_symbols_wrong) {
		const char *e = d->kernel_symbols_evidence;
		snprintf(buf, sizeof buf,
			 "UNKNOWN: the kernel symbols do not belong to the "
			 "recorded kernel (%.*s)",
			 (int)strcspn(e ? e : "", ";"), e ? e : "");
		d->verdict = strdup(buf);
		return d->verdict ? 0 : -ENOMEM;
	}
	if (d->kernel_unnamed && !d->nr_findings) {
		snprintf(buf, sizeof buf,
			 "UNKNOWN: %.0f%% of kernel frames have no name (no "
			 "kernel symbols for the recorded kernel), so fork/exec "
			 "swap-entry work cannot be judged",
			 (1 - d->kernel_named_share) * 100);
		d->verdict = strdup(buf);
		return d->verdict ? 0 : -ENOMEM;
	}
	len += (size_t)snprintf(buf + len, sizeof buf - len, "%s: ", lvl);
	if (swap_share > 0)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"fork/exec swap-entry work takes %.1f%% "
					"of CPU",
					swap_share * 100);
	else
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"no fork/exec swap-entry work");
	if (copy)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"; fork page-table copying of a large "
					"resident parent takes %.1f%% of CPU",
					copy->share * 100);
	if (stall && stall->stalls) {
		if (stall->durations_known)
			snprintf(buf + len, sizeof buf - len,
				 "; /proc readers stalled on mmap_lock %llu "
				 "times (longest %.1f ms)",
				 (unsigned long long)stall->stalls,
				 stall->blocked_ms_max);
		else
			snprintf(buf + len, sizeof buf - len,
				 "; /proc readers stalled on mmap_lock "
				 "(%llu sleeps seen in a sampled recording)",
				 (unsigned long long)stall->stalls);
	} else if (d->switch_recorded) {
		snprintf(buf + len, sizeof buf - len, "; no mmap_lock stalls");
	}
	/* said in the verdict itself: nothing under it may be true */
	len = strlen(buf);
	if (d->kernel_symbols_unchecked)
		snprintf(buf + len, sizeof buf - len,
			 " -- with kernel symbols of another kernel "
			 "(--kallsyms-unchecked)");
	d->verdict = strdup(buf);
	return d->verdict ? 0 : -ENOMEM;
}

/* What the swap finding's lock shares mean, one sentence or two. */
int make_lock_note(struct sd_finding *f, const struct sd_era *era)
{
	const char *lock = era ? era->lock : "the swap lock";
	int n;

	if (!f->samples)
		return 0;
	if (f->lock_contended_share >= SPIN_CONTENDED)
		n = asprintf(&f->lock_note,
			     "%.1f%% of this work takes a spin lock below the "
			     "swap-entry frame and %.1f%% spins on it (%s): the "
			     "lock is contended, so a kernel with finer swap "
			     "locks, SSD or zram swap (per-cluster locks) or "
			     "fewer processes forking at once shorten it; the "
			     "per-PTE work and the mmap_lock hold stay.",
			     f->lock_share * 100, f->lock_contended_share * 100,
			     lock);
	else
		n = asprintf(&f->lock_note,
			     "%.1f%% of this work takes a spin lock below the "
			     "swap-entry frame and only %.1f%% spins on it: the "
			     "cost is the per-PTE work itself, which a newer "
			     "kernel, faster swap or fewer concurrent forkers "
			     "do not remove; only not copying the swapped-out "
			     "memory does.",
			     f->lock_share * 100, f->lock_contended_share * 100);
	if (n < 0) {
		f->lock_note = NULL;
		return -ENOMEM;
	}
	return 0;
}
