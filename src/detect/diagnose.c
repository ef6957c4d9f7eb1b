/* SPDX-License-Identifier: MIT */
/*
 * From classified stacks to findings: shares, processes, paths, context,
 * timeline, stalls, levels, verdict and remedies.
 *
 * Levels (documented in swapdiag(1), THRESHOLDS):
 *   swap_dup_fork, swap_free_exec: share of on-CPU time >= 15 % critical,
 *     >= 3 % warning, >= 0.5 % (and at least 3 samples) info.
 *   mmap_lock_stall, exec_lock_stall: longest sleep >= 1 s or all sleeps
 *     >= 5 s critical; longest >= 10 ms or 5 sleeps and more warning;
 *     else info.  With a sampled sched_switch (durations unknown): 5 sleeps
 *     seen and more warning, else info.
 *   other D-state waits: info.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/match.h"
#include "detect/stalls.h"
#include "detect/tables.h"

#define CRIT_SHARE 0.15
#define WARN_SHARE 0.03
#define INFO_SHARE 0.005
#define INFO_MIN_SAMPLES 3

static const char *const keys[SD_FIND_KINDS] = {
	"swap_dup_fork", "swap_free_exec", "mmap_lock_stall",
	"exec_lock_stall", "other_dstate",
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

static void finding_fini(struct sd_finding *f)
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
	free(f->timeline);
	for (size_t i = 0; i < f->nr_victims; i++)
		free(f->victims[i].comm);
	free(f->victims);
	for (size_t i = 0; i < f->nr_holders; i++)
		free(f->holders[i].comm);
	free(f->holders);
}

struct sd_diagnosis *sd_diagnosis_free(struct sd_diagnosis *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->nr_findings; i++)
		finding_fini(&d->findings[i]);
	free(d->findings);
	free(d->remedies);
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

/* ---- per-(comm, pid) tallies ------------------------------------------ */

struct tally {
	uint32_t comm, pid;
	uint64_t samples, period;
	uint64_t finished; /* sleeps with a recorded wake-up */
	double ms, max_ms;
};

struct tallies {
	struct tally *v;
	size_t n, cap;
};

static struct tally *tally_get(struct tallies *t, uint32_t comm, uint32_t pid)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->v[i].comm == comm && t->v[i].pid == pid)
			return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct tally *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = (struct tally){comm, pid, 0, 0, 0, 0, 0};
	return &t->v[t->n++];
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct sd_process *x = a, *y = b;
	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

/* Groups (comm, pid) tallies by comm, heaviest first. */
static int make_procs(struct sd_finding *f, struct tallies *t,
		      const struct sd_machine *m, uint64_t total_period)
{
	struct sd_process *p = calloc(t->n ? t->n : 1, sizeof *p);
	size_t np = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const char *comm = sd_machine_comm_str(m, t->v[i].comm);
		size_t k;
		for (k = 0; k < np && strcmp(p[k].comm, comm); k++)
			;
		if (k == np) {
			p[np].comm = strdup(comm);
			p[np].pids = calloc(SD_MAX_PIDS_LISTED, sizeof *p[np].pids);
			if (!p[np].comm || !p[np].pids) {
				f->procs = p;
				f->nr_procs = np + 1;
				return -ENOMEM;
			}
			np++;
		}
		struct sd_process *q = &p[k];
		q->samples += t->v[i].samples;
		q->share += total_period ? (double)t->v[i].period / (double)total_period
					 : 0;
		bool have = false;
		for (size_t j = 0; j < q->nr_pids; j++)
			have |= q->pids[j] == t->v[i].pid;
		if (!have) {
			q->nr_pids_total++;
			if (q->nr_pids < SD_MAX_PIDS_LISTED)
				q->pids[q->nr_pids++] = t->v[i].pid;
		}
	}
	for (size_t k = 0; k < np; k++)
		qsort(p[k].pids, p[k].nr_pids, sizeof *p[k].pids, cmp_u32);
	qsort(p, np, sizeof *p, cmp_proc);
	if (np > SD_MAX_PROCS) {
		for (size_t k = SD_MAX_PROCS; k < np; k++) {
			free(p[k].comm);
			free(p[k].pids);
		}
		np = SD_MAX_PROCS;
	}
	f->procs = p;
	f->nr_procs = np;
	return 0;
}

/* ---- paths ----------------------------------------------------------- */

struct pathacc {
	const struct sd_frame *frames;
	size_t n;
	uint64_t samples;
};

static bool same_kernel_path(const struct pathacc *a, const struct sd_frame *f,
			     size_t n)
{
	if (a->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (a->frames[i].name != f[i].name)
			return false;
	return true;
}

static int cmp_path(const void *a, const void *b)
{
	const struct pathacc *x = a, *y = b;
	return x->samples < y->samples ? 1 : x->samples > y->samples ? -1 : 0;
}

/* The kernel part of a stack: from its first kernel frame on. */
static const struct sd_frame *kernel_part(const struct sd_stack_info *si,
					  size_t *n)
{
	size_t i = 0;
	while (i < si->nr_frames && !si->frames[i].kernel)
		i++;
	*n = si->nr_frames - i;
	return si->frames + i;
}

static int make_paths(struct sd_finding *f, const struct sd_stacks *st,
		      const uint32_t *ids, size_t nids)
{
	struct pathacc *acc = calloc(nids ? nids : 1, sizeof *acc);
	size_t na = 0;

	if (!acc)
		return -ENOMEM;
	for (size_t i = 0; i < nids; i++) {
		struct sd_stack_info si;
		size_t n;
		sd_stacks_get(st, ids[i], &si);
		const struct sd_frame *kf = kernel_part(&si, &n);
		size_t k;
		for (k = 0; k < na && !same_kernel_path(&acc[k], kf, n); k++)
			;
		if (k == na)
			acc[na++] = (struct pathacc){kf, n, 0};
		acc[k].samples += si.count;
	}
	qsort(acc, na, sizeof *acc, cmp_path);
	if (na > SD_MAX_PATHS)
		na = SD_MAX_PATHS;
	f->paths = calloc(na ? na : 1, sizeof *f->paths);
	if (!f->paths) {
		free(acc);
		return -ENOMEM;
	}
	for (size_t k = 0; k < na; k++) {
		struct sd_path *p = &f->paths[k];
		p->frames = calloc(acc[k].n ? acc[k].n : 1, sizeof *p->frames);
		if (!p->frames)
			break;
		f->nr_paths = k + 1;
		p->samples = acc[k].samples;
		for (size_t j = 0; j < acc[k].n; j++) {
			p->frames[j] = strdup(sd_stacks_str(st, acc[k].frames[j].name));
			if (!p->frames[j])
				break;
			p->nr_frames = j + 1;
		}
	}
	free(acc);
	return 0;
}

/* ---- on-CPU findings ------------------------------------------------- */

struct cpu_ctx {
	struct sd_analysis *a;
	const struct sd_evsel *ev;
	unsigned *match; /* per stack */
	uint64_t total_period, total_samples;
	uint64_t first_bucket, nsec;
	double *sec_total; /* period per second, all samples of ev */
};

static enum sd_level share_level(double share, uint64_t samples)
{
	if (share >= CRIT_SHARE)
		return SD_LEVEL_CRITICAL;
	if (share >= WARN_SHARE)
		return SD_LEVEL_WARNING;
	if (share >= INFO_SHARE && samples >= INFO_MIN_SAMPLES)
		return SD_LEVEL_INFO;
	return SD_LEVEL_NONE;
}

static int cpu_finding(struct cpu_ctx *c, struct sd_finding *f,
		       unsigned want, unsigned context)
{
	const struct sd_stacks *st = c->a->stacks;
	struct tallies t = {0};
	uint32_t *ids = NULL;
	size_t nids = 0, nst = sd_stacks_count(st);
	uint64_t period = 0, ctx_samples = 0, ctx_period = 0;
	int err = -ENOMEM;

	ids = calloc(nst ? nst : 1, sizeof *ids);
	f->timeline = calloc(c->nsec ? c->nsec : 1, sizeof *f->timeline);
	if (!ids || !f->timeline)
		goto out;
	f->nr_timeline = c->nsec;
	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		sd_stacks_get(st, i, &si);
		if (si.evsel != c->ev->index)
			continue;
		if (c->match[i] & context) {
			ctx_samples += si.count;
			ctx_period += si.period;
		}
		if ((c->match[i] & want) == want) {
			ids[nids++] = (uint32_t)i;
			f->samples += si.count;
			period += si.period;
		}
	}
	for (size_t i = 0; i < sd_stacks_nr_details(st); i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(st, i);
		if ((c->match[d->stack] & want) != want)
			continue;
		struct sd_stack_info si;
		sd_stacks_get(st, d->stack, &si);
		if (si.evsel != c->ev->index)
			continue;
		struct tally *ty = tally_get(&t, si.comm, d->pid);
		if (!ty)
			goto out;
		ty->samples += d->count;
		ty->period += d->period;
		if (d->bucket && c->nsec) {
			uint64_t s = d->bucket / 10 - c->first_bucket / 10;
			if (s < c->nsec)
				f->timeline[s] += (double)d->period;
		}
	}
	for (uint64_t s = 0; s < c->nsec; s++)
		f->timeline[s] = c->sec_total[s] > 0 ? f->timeline[s] / c->sec_total[s]
						     : 0;
	f->share = c->total_period ? (double)period / (double)c->total_period : 0;
	f->context_samples = ctx_samples;
	f->context_share = c->total_period ? (double)ctx_period / (double)c->total_period
					   : 0;
	f->level = share_level(f->share, f->samples);
	if ((err = make_procs(f, &t, c->a->machine, c->total_period)))
		goto out;
	err = make_paths(f, st, ids, nids);
out:
	free(t.v);
	free(ids);
	return err;
}

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

static int stall_finding(struct cpu_ctx *c, struct sd_finding *f,
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

/* ---- the whole diagnosis --------------------------------------------- */

static const char *const titles[SD_FIND_KINDS] = {
	"fork copies swap entries (swap_duplicate on every swapped-out PTE)",
	"exec/exit releases swap entries (free_swap_and_cache on every "
	"swapped-out PTE)",
	"readers of /proc/PID stalled on a forking process's mmap_lock",
	"/proc/PID/environ or mem openers waited for an exec's teardown "
	"(exec_update_lock)",
	"other D-state waits in the rwsem read slow path",
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
	"Opening /proc/PID/environ or mem takes the target's exec_update_lock "
	"(cred_guard_mutex before 5.10), which exec() holds while it tears the "
	"old address space - with all its swap entries - down: an exec-side "
	"stall of the same incident.",
	"Tasks slept in the rwsem read slow path under a caller that is not a "
	"known reader of another process's memory; their paths are listed so "
	"they can be judged by hand.",
};

static const char *const contexts[SD_FIND_KINDS] = {
	"all fork page-table copying", "all address-space teardown", NULL,
	NULL, NULL,
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

static const struct sd_evsel *switch_evsel(const struct sd_analysis *a)
{
	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++) {
		const struct sd_evsel *ev = sd_analysis_evsel(a, i);
		if (ev->type == SD_TYPE_TRACEPOINT && ev->name &&
		    strstr(ev->name, "sched_switch"))
			return ev;
	}
	return NULL;
}

static const char record_line[] =
	"perf record -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- "
	"sleep 30";

static int make_verdict(struct sd_diagnosis *d)
{
	char buf[512];
	size_t len = 0;
	const char *lvl = d->level == SD_LEVEL_CRITICAL ? "CRITICAL"
			  : d->level == SD_LEVEL_WARNING ? "WARNING"
			  : d->level == SD_LEVEL_INFO	 ? "INFO"
							 : "OK";
	double swap_share = 0;
	const struct sd_finding *stall = NULL;

	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct sd_finding *f = &d->findings[i];
		if (f->kind <= SD_FIND_SWAP_FREE_EXEC)
			swap_share += f->share;
		if (f->kind == SD_FIND_MMAP_LOCK_STALL)
			stall = f;
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
	d->verdict = strdup(buf);
	return d->verdict ? 0 : -ENOMEM;
}

int sd_diagnose(struct sd_analysis *a, struct sd_diagnosis **out)
{
	struct sd_diagnosis *d = calloc(1, sizeof *d);
	struct cpu_ctx c = {.a = a};
	const struct sd_file_info *in = sd_analysis_info(a);
	const struct sd_era *era = sd_era_of(in->os_release);
	size_t nst = sd_stacks_count(a->stacks);
	int err = -ENOMEM;

	if (!d)
		return -ENOMEM;
	c.ev = sd_analysis_default_evsel(a);
	c.match = calloc(nst ? nst : 1, sizeof *c.match);
	if (!c.match)
		goto fail;
	d->era = era ? era->name : NULL;
	d->lock = era ? era->lock : NULL;

	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		sd_stacks_get(a->stacks, i, &si);
		c.match[i] = sd_match_stack(a->stacks, &si);
		if (c.ev && si.evsel == c.ev->index) {
			c.total_period += si.period;
			c.total_samples += si.count;
		}
	}
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
	const struct sd_reader_stats *rs = sd_analysis_stats(a);
	if (rs->last_time > rs->first_time)
		d->duration_s = (double)(rs->last_time - rs->first_time) / 1e9;
	d->on_cpu_event = c.ev ? c.ev->name : NULL;
	d->on_cpu_samples = c.total_samples;

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

	const struct sd_evsel *sw = switch_evsel(a);
	d->switch_recorded = sw != NULL;
	d->switch_sampled = sw && (sw->freq || sw->period_or_freq != 1);
	if (!sw) {
		err = add_note(d, "Stalls cannot be judged: the recording has no "
				  "sched:sched_switch events. Record them with: %s",
			       record_line);
		if (err)
			goto fail;
	} else {
		if (d->switch_sampled &&
		    (err = add_note(d,
				    "sched:sched_switch was sampled (%s %llu) "
				    "instead of recorded at every switch - a "
				    "global -F applies to tracepoints too - so "
				    "stalls are counted as seen but their "
				    "durations are unknown. Record it with: %s",
				    sw->freq ? "freq" : "period",
				    (unsigned long long)sw->period_or_freq,
				    record_line)))
			goto fail;
		static const unsigned want[3] = {SD_M_RWSEM_READ | SD_M_MM_READER,
						 SD_M_RWSEM_READ | SD_M_EXEC_LOCK,
						 SD_M_RWSEM_READ};
		for (int k = 0; k < 3; k++) {
			struct sd_finding f = {.kind = (enum sd_finding_kind)(k + 2)};
			f.title = titles[k + 2];
			f.why = whys[k + 2];
			err = stall_finding(&c, &f, want[k], !d->switch_sampled);
			if (!err && f.level == SD_LEVEL_NONE) {
				finding_fini(&f);
				continue;
			}
			if (err || (err = add_finding(d, &f))) {
				finding_fini(&f);
				goto fail;
			}
		}
		if (a->stalls && a->stalls->dropped &&
		    (err = add_note(d, "Only the first %u D-state sleeps were "
				       "followed; %llu more were counted but not "
				       "classified.",
				    SD_MAX_STALLS,
				    (unsigned long long)a->stalls->dropped)))
			goto fail;
	}
	if (!era && (err = add_note(d, "The kernel release of the recording is "
				       "unknown (%s); remedies are given for "
				       "current kernels.",
				    in->os_release ? in->os_release
						   : "no OSRELEASE feature")))
		goto fail;

	bool swap = false;
	for (size_t i = 0; i < d->nr_findings; i++) {
		if (d->findings[i].level > d->level)
			d->level = d->findings[i].level;
		swap |= d->findings[i].kind <= SD_FIND_SWAP_FREE_EXEC ||
			d->findings[i].kind == SD_FIND_MMAP_LOCK_STALL;
	}
	if (swap) {
		const struct sd_era *re = era ? era : &sd_eras[sd_nr_eras - 2];
		size_t n = 0;
		while (re->remedies[n])
			n++;
		d->remedies = calloc(n, sizeof *d->remedies);
		if (!d->remedies)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			const struct sd_remedy *r = sd_remedy_find(re->remedies[i]);
			if (r)
				d->remedies[d->nr_remedies++] = r;
		}
	}
	if ((err = make_verdict(d)))
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
