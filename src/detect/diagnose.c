/* SPDX-License-Identifier: MIT */
/*
 * From classified stacks to findings, in order: every stack's match
 * flags, the on-CPU findings (cpu_findings.c), where the CPU went
 * (hot.c), the stall findings (stall_findings.c), notes, levels and
 * remedies, the per-frame marks (marks.c), and the verdict (verdict.c).
 * The stacks are walked once to classify them, the details once for
 * what the on-CPU findings and hot.c take from them (details_pass).
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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/marks.h"
#include "detect/match.h"
#include "detect/tables.h"
#include "util/hash.h"

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
	d->forks_known = a->forks_known;
	if (!a->nr_forkers || !a->machine)
		return 0;
	d->forkers = calloc(a->nr_forkers, sizeof *d->forkers);
	if (!d->forkers)
		return -ENOMEM;
	/* per comm: its forks, and how many processes of it forked (the
	 * entries are sorted by comm and pid, one per executable) */
	for (size_t i = 0; i < a->nr_forkers; i++) {
		const struct sd_forker_count *x = &a->forkers[i];
		const char *c = sd_machine_comm_str(a->machine, x->comm);
		size_t k = 0;
		while (k < d->nr_forkers && strcmp(d->forkers[k].comm, c))
			k++;
		if (k == d->nr_forkers)
			d->forkers[d->nr_forkers++] = (struct sd_fork_count){c, 0, 0};
		d->forkers[k].forks += x->forks;
		if (!i || x[-1].comm != x->comm || x[-1].pid != x->pid)
			d->forkers[k].nr_pids++;
	}
	qsort(d->forkers, d->nr_forkers, sizeof *d->forkers, forker_cmp);
	return 0;
}

/* Room in c->by_comm for comm id comm; 0 or -ENOMEM. */
static int comm_room(struct cpu_ctx *c, uint32_t comm)
{
	size_t n = c->ncomm ? c->ncomm : 64;

	while (n <= comm)
		n *= 2;
	struct comm_sum *v = realloc(c->by_comm, n * sizeof *v);
	if (!v)
		return -ENOMEM;
	memset(v + c->ncomm, 0, (n - c->ncomm) * sizeof *v);
	c->by_comm = v;
	c->ncomm = n;
	return 0;
}

/*
 * The one walk of every detail after classify()'s of the stacks (the
 * seconds' range is known): the per-second totals of the on-CPU samples,
 * each comm's first pid (hot.c; looked for until each comm with
 * samples has one, want_pid of them: a comm of pid -1 samples never
 * does) and the details cpu_finding() may select (cpu_findings.c), so
 * that those need not walk them all again.  What a detail asks of its
 * stack is one byte (on_cpu, CPU_CAND, whether its comm may still want a
 * pid: cleared once it has one), not three tables (kstorm: -0.5 M
 * instructions); a detail's second is worked out once a bucket, not once
 * a detail (kstorm -0.5 M).
 */
enum { D_ON_CPU = 1, D_FORK = 2, D_PID = 4, D_TEAR = 8 };

static int details_pass(struct cpu_ctx *c, const struct sd_stack_detail *det,
			size_t nd, size_t want_pid)
{
	/* in locals: the stores below could alias c's arrays */
	const uint32_t *comm = c->comm;
	struct comm_sum *by_comm = c->by_comm;
	uint64_t *sec = c->sec_total;
	uint64_t b0 = c->first_bucket / 10, nsec = sec ? c->nsec : 0;
	size_t ncomm = c->ncomm, nst = sd_stacks_count(c->a->stacks);
	size_t nfork = 0, ntear = 0;
	uint32_t *fork_at = malloc((nd ? nd : 1) * sizeof *fork_at);
	uint32_t *tear_at = malloc((nd ? nd : 1) * sizeof *tear_at);
	uint8_t *flag = malloc(nst ? nst : 1);

	if (!fork_at || !tear_at || !flag) {
		free(fork_at);
		free(tear_at);
		free(flag);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nst; i++)
		flag[i] = (uint8_t)((c->on_cpu[i] ? D_ON_CPU : 0) |
				    (c->on_cpu[i] && (c->match[i] & SD_M_FORK_COPY)
					     ? D_FORK : 0) |
				    (c->on_cpu[i] && (c->match[i] & SD_M_TEARDOWN)
					     ? D_TEAR : 0) |
				    (comm[i] < ncomm ? D_PID : 0));
	/* the last detail's bucket, and where its second's total is (NULL:
	 * none): details come in the order of their first samples, mostly
	 * several to a bucket, so the second is worked out once a bucket and
	 * the bucket's periods summed in a register (acc), added at its end.
	 * A detail of an on-CPU stack that is no candidate and wants no pid
	 * (flag D_ON_CPU alone: most of them) tests its flag once. */
	uint64_t lastb = UINT64_MAX, *at = NULL, acc = 0;
	for (size_t i = 0; i < nd; i++) {
		const struct sd_stack_detail *dt = &det[i];
		uint32_t st = dt->stack;
		unsigned f = flag[st];
		if (__builtin_expect(f != D_ON_CPU, 0)) {
			if ((f & D_PID) && want_pid) {
				struct comm_sum *cs = &by_comm[comm[st]];
				if (!cs->has_pid && dt->pid != UINT32_MAX) {
					cs->pid = dt->pid;
					cs->has_pid = true;
					want_pid -= cs->samples > 0;
				}
				if (cs->has_pid)
					flag[st] = (uint8_t)(f & ~D_PID);
			}
			if (!(f & D_ON_CPU))
				continue;
			if (f & D_FORK)
				fork_at[nfork++] = (uint32_t)i;
			if (f & D_TEAR)
				tear_at[ntear++] = (uint32_t)i;
		}
		if (dt->bucket != lastb) {
			uint64_t s = dt->bucket / 10 - b0;
			if (at)
				*at += acc;
			acc = 0;
			lastb = dt->bucket;
			at = lastb && s < nsec ? &sec[s] : NULL;
		}
		acc += dt->period;
	}
	if (at)
		*at += acc;
	free(flag);
	c->cand[0] = fork_at;
	c->ncand[0] = nfork;
	c->cand[1] = tear_at;
	c->ncand[1] = ntear;
	return 0;
}

/*
 * What the finding builders share (c): every stack's match flags, the
 * on-CPU event's totals, whether spin locks spin inside the acquire frame,
 * and the seconds of the recording; and how much of the kernel frames
 * have names.
 */
static int classify(struct cpu_ctx *c, struct sd_diagnosis *d,
		    const struct sd_era *era)
{
	const struct sd_detect_input *a = c->a;
	size_t nst = sd_stacks_count(a->stacks);

	uint64_t kframes = 0, knamed = 0;
	struct sd_match_cache mc = {0};
	size_t want_pid = 0;
	int err;
	/* symbolization stores each distinct frame sequence once, and
	 * stacks that differ in comm or pid share it: each sequence is
	 * scanned once, found again by hash (open addressing, index + 1;
	 * at most half full).  kstorm: 11.8 k sequences of 14.5 k stacks,
	 * which a direct-mapped memo of 4 k scanned 1.1 k times again. */
	struct seq_scan {
		const struct sd_frame *frames;
		size_t n;
		struct sd_stack_scan sc;
	} *seq = malloc((nst ? nst : 1) * sizeof *seq);
	size_t nslots = sd_slots_for(nst, 64), nseq = 0;
	uint32_t *slot = calloc(nslots, sizeof *slot);
	if (!seq || !slot) {
		free(seq);
		free(slot);
		return -ENOMEM;
	}
	/* in locals: a store through on_cpu (bytes) could alias any of c's
	 * fields, which gcc then read again a stack; the event's index
	 * read once (without one, a value no stack's can be) */
	unsigned *match = c->match;
	uint64_t *kinds = c->kinds;
	uint32_t *comm = c->comm;
	uint8_t *on_cpu = c->on_cpu;
	uint64_t total_period = c->total_period;
	uint64_t total_samples = c->total_samples;
	uint64_t ev = c->ev ? c->ev->index : UINT64_MAX;
	for (size_t i = 0; i < nst; i++) {
		struct sd_stack_info si;
		sd_stacks_get_nopid(a->stacks, i, &si);
		size_t j = sd_mix64((uintptr_t)si.frames ^ si.nr_frames) &
			   (nslots - 1);
		struct seq_scan *mo = NULL;
		for (uint32_t x; (x = slot[j]); j = (j + 1) & (nslots - 1))
			if (seq[x - 1].frames == si.frames &&
			    seq[x - 1].n == si.nr_frames) {
				mo = &seq[x - 1];
				break;
			}
		if (!mo) {
			/* the flags, the kernel frames and the named ones,
			 * and the hot kinds, in one walk of the frames */
			mo = &seq[nseq];
			mo->frames = si.frames;
			mo->n = si.nr_frames;
			sd_match_scan(a->stacks, &si, &mc, &mo->sc);
			slot[j] = (uint32_t)++nseq;
		}
		const struct sd_stack_scan *sc = &mo->sc;
		match[i] = sc->match;
		kinds[i] = sc->kinds;
		comm[i] = si.comm;
		bool on = (uint64_t)si.evsel == ev;
		on_cpu[i] = on;
		if (on) {
			total_period += si.period;
			total_samples += si.count;
			if (si.comm >= c->ncomm && comm_room(c, si.comm)) {
				free(seq);
				free(slot);
				sd_match_cache_fini(&mc);
				return -ENOMEM;
			}
			/* comms with samples: each wants a pid */
			struct comm_sum *cs = &c->by_comm[si.comm];
			want_pid += !cs->samples && si.count;
			cs->samples += si.count;
			cs->period += si.period;
		}
		/* weighed by the stack's samples */
		kframes += sc->kframes * si.count;
		knamed += sc->knamed * si.count;
	}
	c->total_period = total_period;
	c->total_samples = total_samples;
	free(seq);
	free(slot);
	sd_match_cache_fini(&mc);
	/* ticket spin locks spin inside the acquire frame; a queued slow
	 * path anywhere says this kernel has queued ones */
	c->ticket = era && era->ticket_locks;
	for (size_t i = 0; c->ticket && i < nst; i++)
		if (c->match[i] & SD_M_ANY_SPIN_SLOW)
			c->ticket = false;
	d->kernel_named_share = kframes ? (double)knamed / (double)kframes : 1;
	d->kernel_unnamed = kframes && d->kernel_named_share < 0.5;
	/* seconds of the recording, from the samples' buckets */
	uint64_t bmin, bmax;
	size_t nd;
	const struct sd_stack_detail *det = sd_stacks_details(a->stacks, &nd);
	if (sd_stacks_bucket_range(a->stacks, &bmin, &bmax)) {
		c->first_bucket = bmin;
		c->nsec = bmax / 10 - bmin / 10 + 1;
		if (c->nsec > 86400)
			c->nsec = 86400;
		c->sec_total = calloc(c->nsec, sizeof *c->sec_total);
		if (!c->sec_total)
			return -ENOMEM;
	}
	if (c->ev && (err = details_pass(c, det, nd, want_pid)))
		return err;
	const struct sd_reader_stats *rs = a->stats;
	if (rs->last_time > rs->first_time)
		d->duration_s = (double)(rs->last_time - rs->first_time) / 1e9;
	/* --time: the span of the samples analysed */
	if (a->time_window)
		d->duration_s = a->last_time > a->first_time
			? (double)(a->last_time - a->first_time) / 1e9 : 0;
	c->duration_s = d->duration_s;
	d->on_cpu_event = c->ev ? c->ev->name : NULL;
	d->on_cpu_samples = c->total_samples;
	d->period_ns = c->ev && c->ev->type == SD_TYPE_SOFTWARE &&
		       (c->ev->config == 0 || c->ev->config == 1);
	return 0;
}

/* The on-CPU findings: the fork and exec sides of the swap-entry work,
 * then fork page-table copying without swap entries. */
static int cpu_findings(struct cpu_ctx *c, struct sd_diagnosis *d,
			const struct sd_era *era)
{
	int err = 0;

	if (c->ev) {
		static const unsigned want[2] = {SD_M_FORK_COPY | SD_M_SWAP_DUP,
						 SD_M_TEARDOWN | SD_M_SWAP_FREE};
		static const unsigned ctx[2] = {SD_M_FORK_COPY, SD_M_TEARDOWN};
		for (int k = 0; k < 2; k++) {
			struct sd_finding f = {.kind = (enum sd_finding_kind)k};
			finding_words(&f);
			err = cpu_finding(c, &f, want[k], ctx[k]);
			if (!err)
				err = make_lock_note(&f, era);
			if (!err && f.level == SD_LEVEL_NONE) {
				finding_fini(&f);
				continue;
			}
			if (err || (err = add_finding(d, &f))) {
				finding_fini(&f);
				return err;
			}
		}
	}

	/* fork page-table copying without swap entries: a finding of its own
	 * only when the fork side has no swap-entry finding (then it is that
	 * finding's context) */
	bool dup_found = false;
	for (size_t i = 0; i < d->nr_findings; i++)
		dup_found |= d->findings[i].kind == SD_FIND_SWAP_DUP_FORK;
	if (c->ev && !dup_found) {
		struct sd_finding f = {.kind = SD_FIND_FORK_COPY};
		finding_words(&f);
		c->exclude = SD_M_SWAP_DUP;
		err = cpu_finding(c, &f, SD_M_FORK_COPY, SD_M_FORK_COPY);
		c->exclude = 0;
		if (!err && f.level == SD_LEVEL_NONE) {
			finding_fini(&f);
		} else if (err || (err = add_finding(d, &f))) {
			finding_fini(&f);
			return err;
		}
	}
	return 0;
}

/* Notes on what the kernel symbols and the kernel release leave open. */
static int kernel_notes(const struct sd_detect_input *a, struct sd_diagnosis *d,
			const struct sd_era *era)
{
	const struct sd_file_info *in = a->info;
	bool perf = sd_input_is_perf_data(a->kind);
	int err;

	const struct sd_kernel_symbols *ks = a->kernel_symbols;
	bool ks_wrong = ks && ks->matches == 0 && !ks->unchecked;
	if (d->kernel_unnamed && !ks_wrong &&
	    (err = add_note(d, "Kernel symbols are missing: copy /proc/kallsyms "
			       "(as root) from the recorded host and pass it "
			       "with --kallsyms, or run 'perf archive' there and "
			       "put its PERF_DATA.tar.bz2 beside the recording "
			       "(or pass it with --archive).")))
		return err;
	if (!era && (err = add_note(d, "The kernel release of the recording is "
				       "unknown (%s) and its frame names do not "
				       "tell the era; remedies are given for "
				       "current kernels.",
				    in->os_release ? in->os_release
				    : perf ? "no OSRELEASE feature"
						   : "text input")))
		return err;
	if (era && !strcmp(d->era_source, "frames") &&
	    (err = add_note(d, "The kernel era (%s) was inferred from the "
			       "kernel frame names (%s), as the input does not "
			       "say its kernel release (%s); the remedies fit "
			       "that era.",
			    era->name, d->era_evidence,
			    in->os_release ? in->os_release
			    : perf ? "no OSRELEASE feature"
					   : "text input")))
		return err;
	return 0;
}

/* The report's level (the highest finding's, or the swap-entry work's
 * combined one), and the remedies that fit the findings. */
static int judge(struct sd_diagnosis *d, const struct sd_era *era)
{
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
		return choose_remedies(d, era, rows, contended);
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
	int err = -ENOMEM;

	if (!d)
		return -ENOMEM;
	c.ev = a->on_cpu_event;
	/* not cleared: classify() writes every stack's */
	c.match = malloc((nst ? nst : 1) * sizeof *c.match);
	c.on_cpu = malloc((nst ? nst : 1) * sizeof *c.on_cpu);
	c.comm = malloc((nst ? nst : 1) * sizeof *c.comm);
	c.kinds = malloc((nst ? nst : 1) * sizeof *c.kinds);
	if (!c.match || !c.on_cpu || !c.comm || !c.kinds)
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
	if ((err = classify(&c, d, era)) || (err = forkers_of(a, d)) ||
	    (err = cpu_findings(&c, d, era)) || (err = make_hot(d, &c)) ||
	    (err = diagnose_stalls(&c, d)) || (err = kernel_notes(a, d, era)) ||
	    (err = check_kernel_symbols(a, d)))
		goto fail;
	if (d->kernel_symbols_wrong)
		d->kernel_symbols_evidence = a->kernel_symbols->evidence;
	if ((err = judge(d, era)) || (err = diagnose_marks(a, d, c.match)) ||
	    (err = diagnose_damage(a, d)) || (err = make_verdict(d)))
		goto fail;
	free(c.match);
	free(c.on_cpu);
	free(c.comm);
	free(c.kinds);
	free(c.sec_total);
	free(c.by_comm);
	free(c.cand[0]);
	free(c.cand[1]);
	*out = d;
	return 0;
fail:
	free(c.match);
	free(c.on_cpu);
	free(c.comm);
	free(c.kinds);
	free(c.sec_total);
	free(c.by_comm);
	free(c.cand[0]);
	free(c.cand[1]);
	sd_diagnosis_free(d);
	return err ? err : -ENOMEM;
}
