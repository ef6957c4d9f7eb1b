/* SPDX-License-Identifier: MIT */
/*
 * Who held the lock the readers slept on.  The holder of a process's
 * mmap_lock during a fork is that process copying page tables (dup_mmap);
 * the holder of its exec lock is that process in exec, replacing its
 * address space (exec_mmap .. setup_new_exec).  The sleeping reader's
 * stack does not name the target, so:
 *
 *  - with lock:contention_begin, sleeps are grouped by lock address (one
 *    lock object = one target process).  A task that contended for that
 *    address's write side from its holding activity owns it (tie
 *    "contention"); else the task whose holding activity fell inside most
 *    of the group's sleeps (tie "address+time");
 *  - without addresses, each sleep goes to the task most active (holding
 *    activity samples) inside its window (tie "time").
 *
 * Holding activity comes from the samples logged while sleeps were open
 * (struct sd_run), classified by their stacks' match flags (the walk of
 * the log keeps the tables in locals: dso -1.3 M instructions).
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

const char *sd_tie_name(enum sd_tie t)
{
	static const char *const n[] = {"none", "contention", "address+time",
					"time"};
	return t <= SD_TIE_TIME ? n[t] : "?";
}

struct act { /* one holding-activity sample */
	uint64_t time;
	uint32_t pid, stack;
};

static int cmp_act(const void *a, const void *b)
{
	const struct act *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_stall_lock(const void *a, const void *b)
{
	const struct sd_stall *x = *(const struct sd_stall *const *)a,
			      *y = *(const struct sd_stall *const *)b;
	if (x->lock != y->lock)
		return x->lock < y->lock ? -1 : 1;
	return x->t_out < y->t_out ? -1 : x->t_out > y->t_out;
}

static uint64_t window_end(const struct sd_stall *s)
{
	return s->t_in ? s->t_in : s->t_seen ? s->t_seen : s->t_out;
}

/* First activity at or after t. */
static size_t act_from(const struct act *v, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Per-pid activity inside one window, small linear tables (few tasks
 * hold such locks at once). */
struct cand {
	uint32_t pid, stack;
	uint64_t samples, last;
	bool after; /* active again right after the window */
	uint64_t enders; /* sleeps it ended (lock groups) */
};

struct cands {
	struct cand *v;
	size_t n, cap;
};

static struct cand *cand_get(struct cands *c, uint32_t pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].pid == pid)
			return &c->v[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct cand *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n] = (struct cand){.pid = pid};
	return &c->v[c->n++];
}

/* A holder's release wakes the readers: it is the task whose holding
 * activity inside the window ends last and does not go on within
 * SD_RELEASE_NS after the sleep (the other forkers or execers still do). */

static const struct cand *ender(const struct act *v, size_t n,
				const struct sd_stall *s, struct cands *c,
				int *err)
{
	uint64_t t1 = window_end(s);
	size_t i = act_from(v, n, s->t_out);

	c->n = 0;
	for (; i < n && v[i].time <= t1; i++) {
		struct cand *k = cand_get(c, v[i].pid);
		if (!k) {
			*err = -ENOMEM;
			return NULL;
		}
		if (!k->samples)
			k->stack = v[i].stack;
		k->samples++;
		k->last = v[i].time;
	}
	for (; i < n && v[i].time <= t1 + SD_RELEASE_NS; i++)
		for (size_t j = 0; j < c->n; j++)
			if (c->v[j].pid == v[i].pid)
				c->v[j].after = true;
	const struct cand *b = NULL;
	for (size_t j = 0; j < c->n; j++) {
		const struct cand *k = &c->v[j];
		if (!b || (b->after && !k->after) ||
		    (b->after == k->after &&
		     (k->last > b->last ||
		      (k->last == b->last && k->pid < b->pid))))
			b = k;
	}
	return b;
}

static int add_holder(struct cpu_ctx *c, struct sd_finding *f,
		      uint32_t pid, uint32_t stack, uint64_t samples,
		      uint64_t sleeps, enum sd_tie tie)
{
	for (size_t i = 0; i < f->nr_holders; i++) {
		struct sd_holder *h = &f->holders[i];
		if (h->pid != pid)
			continue;
		h->samples += samples;
		h->stalls += sleeps;
		if (tie && (!h->tie || tie < h->tie))
			h->tie = tie;
		return 0;
	}
	struct sd_holder *v = realloc(f->holders,
				      (f->nr_holders + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	f->holders = v;
	struct sd_stack_info si;
	sd_stacks_get(c->a->stacks, stack, &si);
	char *comm = strdup(sd_machine_comm_str(c->a->machine, si.comm));
	if (!comm)
		return -ENOMEM;
	f->holders[f->nr_holders++] =
		(struct sd_holder){comm, pid, samples, sleeps, tie};
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct sd_holder *x = a, *y = b;
	if (x->stalls != y->stalls)
		return x->stalls < y->stalls ? 1 : -1;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_lock(const void *a, const void *b)
{
	const struct sd_lock_group *x = a, *y = b;
	if (x->stalls != y->stalls)
		return x->stalls < y->stalls ? 1 : -1;
	return x->address < y->address ? -1 : x->address > y->address;
}

/* Does this contention stack take the task's own lock for its holding
 * activity: down_write(_killable) called right from dup_mmap (its mm's
 * mmap_lock) or from exec_mmap / begin_new_exec (its exec lock)?  Other
 * write sides (i_mmap_rwsem under vma_prepare, ...) say nothing. */
static bool takes_own_lock(struct cpu_ctx *c, uint32_t stack,
			   unsigned activity)
{
	struct sd_stack_info si;
	const struct sd_sig_set *owners = activity == SD_M_FORK_COPY
						  ? &sd_fork_copy
						  : &sd_exec_replace;

	sd_stacks_get(c->a->stacks, stack, &si);
	for (size_t i = si.nr_frames; i-- > 1;) {
		const char *f = sd_stacks_str(c->a->stacks, si.frames[i].name);
		if (!si.frames[i].kernel ||
		    (strcmp(f, "down_write_killable") && strcmp(f, "down_write")))
			continue;
		return si.frames[i - 1].kernel &&
		       sd_sig_has(owners, sd_stacks_str(c->a->stacks,
							si.frames[i - 1].name));
	}
	return false;
}

/* The write-side contentions that take a task's own lock, by address
 * (first in time first), so that each lock group looks its owner up. */
struct owners {
	const struct sd_lock_write **v;
	size_t n;
};

static int cmp_write(const void *a, const void *b)
{
	const struct sd_lock_write *x = *(const struct sd_lock_write *const *)a,
				   *y = *(const struct sd_lock_write *const *)b;
	if (x->lock != y->lock)
		return x->lock < y->lock ? -1 : 1;
	return x->time < y->time ? -1 : x->time > y->time;
}

static int owners_make(struct cpu_ctx *c, unsigned activity, struct owners *o)
{
	const struct sd_stalls *sl = c->a->stalls;

	o->n = 0;
	o->v = calloc(sl->nwrites ? sl->nwrites : 1, sizeof *o->v);
	if (!o->v)
		return -ENOMEM;
	for (size_t i = 0; i < sl->nwrites; i++)
		if (takes_own_lock(c, sl->writes[i].stack, activity))
			o->v[o->n++] = &sl->writes[i];
	if (o->n)
		qsort(o->v, o->n, sizeof *o->v, cmp_write);
	return 0;
}

static const struct sd_lock_write *writer_of(const struct owners *o,
					     uint64_t lock)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->v[mid]->lock < lock)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->v[lo]->lock == lock ? o->v[lo] : NULL;
}

/* One lock group: sleeps g[0..n) on the same address. */
static int tie_group(struct cpu_ctx *c, struct sd_finding *f,
		     const struct act *v, size_t nv, const struct owners *own,
		     const struct sd_stall **g, size_t n, bool durations,
		     struct sd_lock_group *out)
{
	struct cands k = {0}, votes = {0};
	int err = 0;

	memset(out, 0, sizeof *out);
	out->address = g[0]->lock;
	out->stalls = n;
	size_t fin = 0;
	for (size_t i = 0; i < n && !err; i++) {
		if (g[i]->t_in && !g[i]->open) {
			double ms = (double)(g[i]->t_in - g[i]->t_out) / 1e6;
			out->blocked_ms += ms;
			if (ms > out->max_ms)
				out->max_ms = ms;
			fin++;
		}
		const struct cand *e = ender(v, nv, g[i], &k, &err);
		struct cand *vote = e ? cand_get(&votes, e->pid) : NULL;
		if (e && !vote)
			err = -ENOMEM;
		if (vote) {
			if (!vote->enders)
				vote->stack = e->stack;
			vote->enders++;
			vote->samples += e->samples;
		}
	}
	if (!durations || !fin)
		out->blocked_ms = out->max_ms = NAN;
	if (err)
		goto out;
	const struct sd_lock_write *w = writer_of(own, out->address);
	const struct cand *b = NULL;
	for (size_t i = 0; i < votes.n; i++) {
		const struct cand *x = &votes.v[i];
		if (!b || x->enders > b->enders ||
		    (x->enders == b->enders && x->samples > b->samples))
			b = x;
	}
	uint32_t pid, stack;
	uint64_t samples = 0;
	if (w) {
		pid = w->pid;
		stack = w->stack;
		out->tie = SD_TIE_CONTENTION;
		for (size_t i = 0; i < votes.n; i++)
			if (votes.v[i].pid == pid)
				samples = votes.v[i].samples;
	} else if (b) {
		pid = b->pid;
		stack = b->stack;
		samples = b->samples;
		out->tie = SD_TIE_ADDRESS_TIME;
	} else {
		goto out;
	}
	out->has_holder = true;
	out->holder_pid = pid;
	err = add_holder(c, f, pid, stack, samples, n, out->tie);
	for (size_t i = 0; !err && i < f->nr_holders; i++)
		if (f->holders[i].pid == pid &&
		    !(out->holder_comm = strdup(f->holders[i].comm)))
			err = -ENOMEM;
	if (!err)
		f->stalls_tied += n;
out:
	free(k.v);
	free(votes.v);
	return err;
}

int tie_holders(struct cpu_ctx *c, struct sd_finding *f,
		const struct sd_stall **mine, size_t n, unsigned activity,
		bool durations)
{
	const struct sd_stalls *sl = c->a->stalls;
	struct act *v = NULL;
	size_t nv = 0;
	int err = 0;

	f->locks_known = sl->contention_events > 0;
	v = malloc((sl->nruns ? sl->nruns : 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	/* holding activity: on-CPU samples only; they were logged in time
	 * order, so the sort is only for ties out of pid order */
	bool sorted = true;
	/* in locals: the stores to v could alias c's and sl's fields (dso:
	 * -1 M instructions) */
	const unsigned *match = c->match;
	const uint8_t *on_cpu = c->on_cpu;
	const struct sd_run *runs = sl->runs;
	size_t nruns = sl->nruns;
	for (size_t i = 0; i < nruns; i++) {
		const struct sd_run *r = &runs[i];
		if (!(match[r->stack] & activity) || !on_cpu[r->stack])
			continue;
		v[nv] = (struct act){r->time, r->pid, r->stack};
		sorted = sorted && (!nv || cmp_act(&v[nv - 1], &v[nv]) <= 0);
		nv++;
	}
	if (nv && !sorted)
		qsort(v, nv, sizeof *v, cmp_act);

	const struct sd_stall **byl = malloc((n ? n : 1) * sizeof *byl);
	if (!byl) {
		free(v);
		return -ENOMEM;
	}
	memcpy(byl, mine, n * sizeof *byl);
	if (n)
		qsort(byl, n, sizeof *byl, cmp_stall_lock);
	size_t i = 0;
	/* sleeps without an address (sorted first): each on its own */
	struct cands k = {0};
	for (; !err && i < n && !byl[i]->lock; i++) {
		const struct cand *e = ender(v, nv, byl[i], &k, &err);
		if (e) {
			err = add_holder(c, f, e->pid, e->stack, e->samples, 1,
					 SD_TIE_TIME);
			f->stalls_tied++;
		}
	}
	free(k.v);
	/* the rest by lock address */
	struct sd_lock_group *groups = NULL;
	size_t ng = 0;
	struct owners own = {0};
	if (!err && i < n)
		err = owners_make(c, activity, &own);
	while (!err && i < n) {
		size_t j = i;
		while (j < n && byl[j]->lock == byl[i]->lock)
			j++;
		struct sd_lock_group *gv = realloc(groups,
						   (ng + 1) * sizeof *gv);
		if (!gv) {
			err = -ENOMEM;
			break;
		}
		groups = gv;
		err = tie_group(c, f, v, nv, &own, byl + i, j - i, durations,
				&groups[ng]);
		ng++;
		i = j;
	}
	if (!err) {
		if (ng)
			qsort(groups, ng, sizeof *groups, cmp_lock);
		f->nr_locks_total = ng;
		f->nr_locks = ng < SD_MAX_LOCKS ? ng : SD_MAX_LOCKS;
		for (size_t x = f->nr_locks; x < ng; x++)
			free(groups[x].holder_comm);
		f->locks = groups;
		groups = NULL;
		if (f->nr_holders)
			qsort(f->holders, f->nr_holders, sizeof *f->holders,
			      cmp_holder);
		if (f->nr_holders > SD_MAX_PROCS) {
			for (size_t x = SD_MAX_PROCS; x < f->nr_holders; x++)
				free(f->holders[x].comm);
			f->nr_holders = SD_MAX_PROCS;
		}
	} else {
		for (size_t x = 0; x < ng; x++)
			free(groups[x].holder_comm);
		free(groups);
	}
	free(own.v);
	free(byl);
	free(v);
	return err;
}
