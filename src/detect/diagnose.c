/* SPDX-License-Identifier: MIT */
/*
 * From classified stacks to findings: shares, processes, paths, context,
 * timeline, stalls, levels, verdict and remedies.
 *
 * Levels (documented in swapdiag(1), THRESHOLDS):
 *   swap_dup_fork, swap_free_exec: share of on-CPU time >= 15 % critical,
 *     >= 3 % warning, >= 0.5 % (and at least 3 samples) info; each side
 *     has its own level, and the report's severity is judged on the two
 *     sides' shares summed (one pathology: 12 % + 12 % is critical).
 *   mmap_lock_stall, exec_lock_stall: longest sleep >= 1 s or all sleeps
 *     >= 5 s critical; longest >= 10 ms or 5 sleeps and more warning;
 *     else info.  With a sampled sched_switch (durations unknown): 5 sleeps
 *     seen and more warning, else info.
 *   other D-state waits: info.
 *
 * The swap lock (swapdiag(1), THRESHOLDS): a swap finding whose samples
 * spin on a spin lock below the swap-entry frame for >= 10 % of its weight
 * is contended - finer locks, faster swap and fewer concurrent forkers
 * help; below that the cost is the per-PTE work and only removing it
 * helps (the kernel rows that promise less contention are dropped).
 */
#define SPIN_CONTENDED 0.10
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include <swapdiag/stalls.h>
#include "detect/tables.h"


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

static int forker_cmp(const void *pa, const void *pb)
{
	const struct sd_fork_count *x = pa, *y = pb;
	if (x->forks != y->forks)
		return x->forks > y->forks ? -1 : 1;
	return strcmp(x->comm, y->comm);
}

/* The analysis's fork counts, with names, most forks first. */
static int forkers_of(const struct sd_detect_input *a, struct sd_diagnosis *d)
{
	d->forks = a->forks;
	d->forks_known = sd_input_is_perf_data(a->kind);
	if (!a->nr_forkers || !a->machine)
		return 0;
	d->forkers = calloc(a->nr_forkers, sizeof *d->forkers);
	if (!d->forkers)
		return -ENOMEM;
	/* per comm: its forks, and how many processes of it forked */
	for (size_t i = 0; i < a->nr_forkers; i++) {
		const char *c = sd_machine_comm_str(a->machine,
						    a->forkers[i].comm);
		size_t k = 0;
		while (k < d->nr_forkers && strcmp(d->forkers[k].comm, c))
			k++;
		if (k == d->nr_forkers)
			d->forkers[d->nr_forkers++] = (struct sd_fork_count){c, 0, 0};
		d->forkers[k].forks += a->forkers[i].forks;
		d->forkers[k].nr_pids++;
	}
	qsort(d->forkers, d->nr_forkers, sizeof *d->forkers, forker_cmp);
	return 0;
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
	free(d);
	return NULL;
}

static int add_note(struct sd_diagnosis *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_note(struct sd_diagnosis *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	char **v = realloc(d->notes, (d->nr_notes + 1) * sizeof *v);

	if (!v)
		return -ENOMEM;
	d->notes = v;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	d->notes[d->nr_notes++] = s;
	return 0;
}

/* ---- the whole diagnosis --------------------------------------------- */

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

static int add_finding(struct sd_diagnosis *d, struct sd_finding *f)
{
	struct sd_finding *v = realloc(d->findings,
				       (d->nr_findings + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	d->findings = v;
	d->findings[d->nr_findings++] = *f;
	return 0;
}

static const struct sd_evsel *switch_evsel(const struct sd_detect_input *a)
{
	for (size_t i = 0; i < a->nr_evsels; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev->type == SD_TYPE_TRACEPOINT && ev->name &&
		    strstr(ev->name, "sched_switch"))
			return ev;
	}
	return NULL;
}

/* A tracepoint the file names only by number (its name and format were
 * in the lost feature sections) that has samples, or NULL. */
static const struct sd_evsel *
unnamed_tracepoint(const struct sd_detect_input *a)
{
	for (size_t i = 0; i < a->nr_evsels; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev->type == SD_TYPE_TRACEPOINT && ev->nr_samples &&
		    ev->name && !strncmp(ev->name, "tracepoint-", 11))
			return ev;
	}
	return NULL;
}

static const char record_line[] =
	"perf record -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- "
	"sleep 30";

/*
 * Kernel symbols that do not belong to the recorded kernel name every
 * kernel frame wrongly: nothing found (or not found) with them holds, so
 * the findings go and the verdict is UNKNOWN -- unless the user said
 * --kallsyms-unchecked, which leaves a loud note instead.
 */
static int check_kernel_symbols(const struct sd_detect_input *a,
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

static int make_verdict(struct sd_diagnosis *d)
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
static int lock_note(struct sd_finding *f, const struct sd_era *era)
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

int sd_detect(const struct sd_detect_input *a, struct sd_diagnosis **out)
{
	struct sd_diagnosis *d = calloc(1, sizeof *d);
	struct cpu_ctx c = {.a = a};
	const struct sd_file_info *in = a->info;
	const struct sd_era *era = sd_era_of(in->os_release);
	size_t nst = sd_stacks_count(a->stacks);
	bool perf = sd_input_is_perf_data(a->kind);
	int err = -ENOMEM;

	if (!d)
		return -ENOMEM;
	c.ev = a->on_cpu_event;
	c.match = calloc(nst ? nst : 1, sizeof *c.match);
	if (!c.match)
		goto fail;
	if (era) {
		d->era_source = "recording";
	} else {
		/* no release in the input: the era the frame names tell */
		char ev[256];
		if ((err = sd_era_from_frames(a->stacks, &era, ev, sizeof ev)))
			goto fail;
		err = -ENOMEM;
		if (era) {
			d->era_source = "frames";
			if (!(d->era_evidence = strdup(ev)))
				goto fail;
		}
	}
	d->era = era ? era->name : NULL;
	d->lock = era ? era->lock : NULL;

	uint64_t kframes = 0, knamed = 0;
	struct sd_match_cache mc = {0};
	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		sd_stacks_get(a->stacks, i, &si);
		c.match[i] = sd_match_stack(a->stacks, &si, &mc);
		if (c.ev && si.evsel == c.ev->index) {
			c.total_period += si.period;
			c.total_samples += si.count;
		}
		/* unresolved frames fold as "[dso]" */
		for (size_t f = 0; f < si.nr_frames; f++) {
			if (!si.frames[f].kernel)
				continue;
			kframes += si.count;
			if (sd_stacks_str(a->stacks, si.frames[f].name)[0] != '[')
				knamed += si.count;
		}
	}
	sd_match_cache_fini(&mc);
	/* ticket spin locks spin inside the acquire frame; a queued slow
	 * path anywhere says this kernel has queued ones */
	c.ticket = era && era->ticket_locks;
	for (size_t i = 0; c.ticket && i < nst; i++)
		if (c.match[i] & SD_M_ANY_SPIN_SLOW)
			c.ticket = false;
	d->kernel_named_share = kframes ? (double)knamed / (double)kframes : 1;
	d->kernel_unnamed = kframes && d->kernel_named_share < 0.5;
	/* seconds of the recording, from the on-CPU samples' buckets */
	uint64_t bmin = UINT64_MAX, bmax = 0;
	for (size_t i = 0; i < sd_stacks_nr_details(a->stacks); i++) {
		const struct sd_stack_detail *dt = sd_stacks_detail(a->stacks, i);
		if (!dt->bucket)
			continue;
		if (dt->bucket < bmin)
			bmin = dt->bucket;
		if (dt->bucket > bmax)
			bmax = dt->bucket;
	}
	if (bmin <= bmax) {
		c.first_bucket = bmin;
		c.nsec = bmax / 10 - bmin / 10 + 1;
		if (c.nsec > 86400)
			c.nsec = 86400;
		c.sec_total = calloc(c.nsec, sizeof *c.sec_total);
		if (!c.sec_total)
			goto fail;
		for (size_t i = 0; i < sd_stacks_nr_details(a->stacks); i++) {
			const struct sd_stack_detail *dt =
				sd_stacks_detail(a->stacks, i);
			struct sd_stack_info si;
			sd_stacks_get(a->stacks, dt->stack, &si);
			if (!dt->bucket || !c.ev || si.evsel != c.ev->index)
				continue;
			uint64_t s = dt->bucket / 10 - bmin / 10;
			if (s < c.nsec)
				c.sec_total[s] += (double)dt->period;
		}
	}
	const struct sd_reader_stats *rs = a->stats;
	if (rs->last_time > rs->first_time)
		d->duration_s = (double)(rs->last_time - rs->first_time) / 1e9;
	/* --time: the span of the samples analysed */
	if (a->time_window)
		d->duration_s = a->last_time > a->first_time
			? (double)(a->last_time - a->first_time) / 1e9 : 0;
	c.duration_s = d->duration_s;
	d->on_cpu_event = c.ev ? c.ev->name : NULL;
	d->on_cpu_samples = c.total_samples;
	d->period_ns = c.ev && c.ev->type == SD_TYPE_SOFTWARE &&
		       (c.ev->config == 0 || c.ev->config == 1);
	if ((err = forkers_of(a, d)))
		goto fail;

	if (c.ev) {
		static const unsigned want[2] = {SD_M_FORK_COPY | SD_M_SWAP_DUP,
						 SD_M_TEARDOWN | SD_M_SWAP_FREE};
		static const unsigned ctx[2] = {SD_M_FORK_COPY, SD_M_TEARDOWN};
		for (int k = 0; k < 2; k++) {
			struct sd_finding f = {.kind = (enum sd_finding_kind)k};
			f.title = titles[k];
			f.why = whys[k];
			f.context_name = contexts[k];
			err = cpu_finding(&c, &f, want[k], ctx[k]);
			if (!err)
				err = lock_note(&f, era);
			if (!err && f.level == SD_LEVEL_NONE) {
				finding_fini(&f);
				continue;
			}
			if (err || (err = add_finding(d, &f))) {
				finding_fini(&f);
				goto fail;
			}
		}
	}

	/* fork page-table copying without swap entries: a finding of its own
	 * only when the fork side has no swap-entry finding (then it is that
	 * finding's context) */
	bool dup_found = false;
	for (size_t i = 0; i < d->nr_findings; i++)
		dup_found |= d->findings[i].kind == SD_FIND_SWAP_DUP_FORK;
	if (c.ev && !dup_found) {
		struct sd_finding f = {.kind = SD_FIND_FORK_COPY};
		f.title = titles[SD_FIND_FORK_COPY];
		f.why = whys[SD_FIND_FORK_COPY];
		f.context_name = contexts[SD_FIND_FORK_COPY];
		c.exclude = SD_M_SWAP_DUP;
		err = cpu_finding(&c, &f, SD_M_FORK_COPY, SD_M_FORK_COPY);
		c.exclude = 0;
		if (!err && f.level == SD_LEVEL_NONE) {
			finding_fini(&f);
		} else if (err || (err = add_finding(d, &f))) {
			finding_fini(&f);
			goto fail;
		}
	}

	if ((err = make_hot(d, &c)))
		goto fail;

	const struct sd_evsel *sw = switch_evsel(a);
	d->switch_recorded = sw != NULL;
	d->switch_sampled = sw && (sw->freq || sw->period_or_freq != 1);
	if (!sw) {
		const struct sd_evsel *tp = unnamed_tracepoint(a);
		if (tp)
			/* the names went with the header: say so, not "none" */
			err = add_note(d, "Stalls cannot be judged: the recording "
					  "has %llu samples of a tracepoint "
					  "whose name and format were lost with "
					  "the header (%s; perf.data keeps them "
					  "after the samples), which may be "
					  "sched:sched_switch but cannot be read "
					  "without them.",
				       (unsigned long long)tp->nr_samples,
				       tp->name);
		else if (perf)
			err = add_note(d, "Stalls cannot be judged: the "
					  "recording has no sched:sched_switch "
					  "events. Record them with: %s",
				       record_line);
		else if (a->kind == SD_INPUT_PERF_SCRIPT)
			err = add_note(d, "Stalls cannot be judged: this perf "
					  "script text has no sched:sched_switch "
					  "samples. Record them with: %s",
				       record_line);
		else
			err = add_note(d, "Stalls cannot be judged: %s cannot "
					  "carry sched:sched_switch records. "
					  "Record them with: %s",
				       a->kind == SD_INPUT_FOLDED
					       ? "folded stacks"
					       : "perf report text",
				       record_line);
		if (err)
			goto fail;
	} else {
		char how[64] = "";
		if (sw->period_or_freq)
			snprintf(how, sizeof how, " (%s %llu)",
				 sw->freq ? "freq" : "period",
				 (unsigned long long)sw->period_or_freq);
		/* text that does not show its sampling (period 0, no freq):
		 * the text input's own note says so, and why */
		if (d->switch_sampled && !sw->freq && !sw->period_or_freq)
			err = perf ? add_note(d, "Whether sched:sched_switch "
						      "was recorded at every "
						      "switch is not known, so "
						      "stall durations are "
						      "unknown.")
					: 0;
		else if (d->switch_sampled)
			err = add_note(d,
				       "sched:sched_switch was sampled%s "
				       "instead of recorded at every switch - a "
				       "global -F applies to tracepoints too - so "
				       "stalls are counted as seen but their "
				       "durations are unknown. Record it with: %s",
				       how, record_line);
		if (err)
			goto fail;
		static const unsigned want[3] = {SD_M_RWSEM_READ | SD_M_MM_READER,
						 SD_M_EXEC_LOCK,
						 SD_M_RWSEM_READ};
		static const unsigned activity[3] = {SD_M_FORK_COPY,
						     SD_M_EXEC_REPLACE, 0};
		for (int k = 0; k < 3; k++) {
			struct sd_finding f = {.kind = (enum sd_finding_kind)(k + 2)};
			f.title = titles[k + 2];
			f.why = whys[k + 2];
			err = stall_finding(&c, &f, want[k], activity[k],
					    !d->switch_sampled);
			if (!err && f.level == SD_LEVEL_NONE) {
				finding_fini(&f);
				continue;
			}
			if (err || (err = add_finding(d, &f))) {
				finding_fini(&f);
				goto fail;
			}
		}
		if (a->stalls && a->stalls->runs_dropped &&
		    (err = add_note(d, "Only the first %u samples taken during "
				       "D-state sleeps were kept to name lock "
				       "holders; %llu more were not used.",
				    SD_MAX_RUNS,
				    (unsigned long long)a->stalls->runs_dropped)))
			goto fail;
		if (a->stalls && a->stalls->dropped &&
		    (err = add_note(d, "Only the first %u D-state sleeps were "
				       "followed; %llu more were counted but not "
				       "classified.",
				    SD_MAX_STALLS,
				    (unsigned long long)a->stalls->dropped)))
			goto fail;
	}
	const struct sd_kernel_symbols *ks = a->kernel_symbols;
	bool ks_wrong = ks && ks->matches == 0 && !ks->unchecked;
	if (d->kernel_unnamed && !ks_wrong &&
	    (err = add_note(d, "Kernel symbols are missing: copy /proc/kallsyms "
			       "(as root) from the recorded host and pass it "
			       "with --kallsyms, or run 'perf archive' there and "
			       "put its PERF_DATA.tar.bz2 beside the recording "
			       "(or pass it with --archive).")))
		goto fail;
	if (!era && (err = add_note(d, "The kernel release of the recording is "
				       "unknown (%s) and its frame names do not "
				       "tell the era; remedies are given for "
				       "current kernels.",
				    in->os_release ? in->os_release
				    : perf ? "no OSRELEASE feature"
						   : "text input")))
		goto fail;
	if (era && !strcmp(d->era_source, "frames") &&
	    (err = add_note(d, "The kernel era (%s) was inferred from the "
			       "kernel frame names (%s), as the input does not "
			       "say its kernel release (%s); the remedies fit "
			       "that era.",
			    era->name, d->era_evidence,
			    in->os_release ? in->os_release
			    : perf ? "no OSRELEASE feature"
					   : "text input")))
		goto fail;

	if ((err = check_kernel_symbols(a, d)))
		goto fail;
	if (d->kernel_symbols_wrong)
		d->kernel_symbols_evidence = a->kernel_symbols->evidence;
	bool swap = false, fork_copy = false;
	uint64_t swap_samples = 0;
	double spin_share = 0; /* of all on-CPU weight */
	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct sd_finding *f = &d->findings[i];
		if (f->level > d->level)
			d->level = f->level;
		swap |= f->kind <= SD_FIND_SWAP_FREE_EXEC ||
			f->kind == SD_FIND_MMAP_LOCK_STALL ||
			f->kind == SD_FIND_FORK_COPY;
		fork_copy |= f->kind == SD_FIND_FORK_COPY;
		if (f->kind <= SD_FIND_SWAP_FREE_EXEC) {
			d->swap_share += f->share;
			swap_samples += f->samples;
			spin_share += f->share * f->lock_contended_share;
		}
	}
	/* one pathology: fork and exec sides judged together */
	d->swap_level = swap_samples ? cpu_share_level(d->swap_share,
						       swap_samples)
				     : SD_LEVEL_NONE;
	if (d->swap_level > d->level)
		d->level = d->swap_level;
	d->unknown = (d->kernel_unnamed && !d->nr_findings) ||
		     d->kernel_symbols_wrong;
	if (swap) {
		/* with the swap-entry work measured: the lock's contention
		 * decides whether contention remedies are worth listing */
		bool contended = d->swap_share <= 0 ||
				 spin_share / d->swap_share >= SPIN_CONTENDED;
		bool rows = d->swap_share > 0 || !fork_copy;
		if ((err = choose_remedies(d, era, rows, contended)))
			goto fail;
		err = -ENOMEM;
	}
	if ((err = diagnose_damage(a, d)) || (err = make_verdict(d)))
		goto fail;
	free(c.match);
	free(c.sec_total);
	*out = d;
	return 0;
fail:
	free(c.match);
	free(c.sec_total);
	sd_diagnosis_free(d);
	return err ? err : -ENOMEM;
}
