/* SPDX-License-Identifier: MIT */
/*
 * perf.data as a source of the pipeline: the reader's records in file
 * order (time order where the reader sorts them).  Non-sample records go
 * to the machine (threads, comms, maps); each sample gets its thread, its
 * whole call chain (DWARF-unwound user frames added) and, for the
 * tracepoints the stall tracker needs, its decoded payload, and goes to
 * the driver (drive.c) like a text sample; a plain sample (no payload
 * for the tracker, no --off-cpu) goes straight into the stacks stage.
 * Samples of the common layout come from the reader in runs, read where
 * they lie (struct sd_sample_view), each record of another kind with
 * the run it ends.  Per sample: one struct filled, the thread's view from
 * a cache (struct sd_tvcache), the event's facts remembered from the
 * sample before; the samples' span from a run's ends (kstorm -1.42 M,
 * synth300k -2.56 M instructions against a test per sample).  Once the
 * kallsyms check has its IPs, the views of a plain event whose chains
 * are used as they are go into the stacks stage with nothing tested for
 * each but a chain too short, whether the tracker hears of them told per
 * run of the event (plain_views(): kstorm 285.27 M -> 284.84 M, dso
 * 669.14 M -> 668.71 M, synth300k 140.45 M -> 138.12 M).  EXIT
 * records change nothing here and are not handed out (SD_SKIP_EXIT).
 *
 * Each sample goes into the stacks stage as it comes, not gathered so
 * that the next ones' raw-chain lookups are hashed and prefetched ahead
 * (issue #13): a fork storm's runs are short (kstorm: 73.9 k runs for
 * 202.9 k samples, a COMM, FORK or MMAP2 between), so within a run it
 * saved nothing measurable (sd_stacks_add and the loop 17.45 % -> 17.36 %
 * of cpu-clock samples, 12 runs each, +1.7 % instructions).  Gathered
 * over COMMs and user maps, which change no view given out, the lookups'
 * stalls went (sd_stacks_add -22 %), but a view's chain lasts only until
 * the reader's next call: copying the chains took most of it back
 * (17.45 % -> 17.13 %, +2.3 % instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>
#include <swapdiag/stalls.h>
#include <swapdiag/tracepoint.h>

#include "analysis/internal.h"
#include "analysis/kverify.h"
#include "analysis/tpdrive.h"

#define PROGRESS_EVERY 65536 /* records */
#define MAX_CHAIN 4096 /* recorded frames the stacks stage keys on */

/* What the driver does with an event's samples (tpdrive.h), decided once
 * per event (and again after an EVENT_UPDATE record, which may rename
 * events in pipe mode), not by comparing names per sample. */

struct ev_kinds {
	struct ev_kind_ent {
		const struct sd_evsel *ev;
		uint8_t kind;
	} *v;
	size_t n;
	const uint64_t *updates; /* the reader's count of EVENT_UPDATEs */
	uint64_t seen_updates;   /* ... when v was filled */
};

static int ev_kind_slow(struct ev_kinds *k, const struct sd_evsel *ev,
			enum ev_kind *out)
{
	if (ev->index >= k->n) {
		size_t n = ev->index + 8;
		struct ev_kind_ent *v = realloc(k->v, n * sizeof *v);
		if (!v)
			return -ENOMEM;
		memset(v + k->n, 0, (n - k->n) * sizeof *v);
		k->v = v;
		k->n = n;
	}
	enum ev_kind kind = EVK_OTHER;
	if (sd_is_tp_evsel(ev, "sched_switch"))
		kind = EVK_SWITCH;
	else if (sd_is_tp_evsel(ev, "contention_begin"))
		kind = EVK_LOCK_BEGIN;
	else if (sd_is_tp_evsel(ev, "contention_end"))
		kind = EVK_LOCK_END;
	if (*k->updates != k->seen_updates) {
		memset(k->v, 0, k->n * sizeof *k->v);
		k->seen_updates = *k->updates;
	}
	k->v[ev->index] = (struct ev_kind_ent){ev, (uint8_t)kind};
	*out = kind;
	return 0;
}

static inline int ev_kind(struct ev_kinds *k, const struct sd_evsel *ev,
			  enum ev_kind *out)
{
	if (ev->index < k->n && k->v[ev->index].ev == ev &&
	    *k->updates == k->seen_updates) {
		*out = (enum ev_kind)k->v[ev->index].kind;
		return 0;
	}
	return ev_kind_slow(k, ev, out);
}

/* The perf context marker that makes the frames after it run in cpumode. */
static uint64_t cpumode_marker(unsigned cpumode)
{
	switch (cpumode) {
	case SD_MISC_KERNEL:
		return SD_CONTEXT_KERNEL;
	case SD_MISC_HYPERVISOR:
		return SD_CONTEXT_HV;
	case SD_MISC_GUEST_KERNEL:
		return SD_CONTEXT_GUEST_KERNEL;
	case SD_MISC_GUEST_USER:
		return SD_CONTEXT_GUEST_USER;
	default:
		return SD_CONTEXT_USER;
	}
}

/*
 * The call chain a sample folds to, as perf script shows it: the recorded
 * chain (with --call-graph dwarf only the kernel part), then the user
 * frames unwound from the sample's registers and stack copy; a sample
 * left without any frame keeps its sampled IP.  s->ips is replaced only
 * when something is added, so frame-pointer samples cost two tests.
 */
static int complete_chain(struct sd_analysis *a, const struct sd_sample *smp,
			  struct sd_stack_sample *s)
{
	/* perf unwinds only what it would print as a call chain (smp
	 * NULL: a sample without registers and stack) */
	bool dwarf = s->has_callchain && smp && sd_unwind_possible(smp);
	size_t nk = s->has_callchain ? s->nr_ips : 0;

	if (!dwarf && nk >= 2)
		return 0;
	if (!dwarf && nk == 1 && s->ips[0] < SD_CONTEXT_MAX)
		return 0;
	if (!dwarf && !s->has_callchain)
		return 0;
	if (!a->chain) {
		a->chain = malloc((MAX_CHAIN + SD_UNWIND_MAX + 2) *
				  sizeof *a->chain);
		if (!a->chain)
			return -ENOMEM;
	}
	if (nk > MAX_CHAIN)
		nk = MAX_CHAIN;
	memcpy(a->chain, s->ips, nk * sizeof *a->chain);
	if (dwarf) {
		size_t n = 0;
		int err = 0;
		if (!a->unwinder)
			err = sd_unwinder_new(a->machine, sd_reader_info(a->reader),
					      &a->unwinder);
		if (!err)
			err = sd_unwind(a->unwinder, &s->view, s->pid, s->tid,
					smp, a->chain + nk + 1, SD_UNWIND_MAX, &n);
		if (err)
			return err;
		/* perf's "0 - 1" frame (an outermost return address of 0)
		 * would read as a context marker: any unmapped address
		 * folds to the same [unknown] */
		for (size_t i = 0; i < n; i++)
			if (a->chain[nk + 1 + i] >= SD_CONTEXT_MAX)
				a->chain[nk + 1 + i] = 0;
		if (n) {
			a->chain[nk] = SD_CONTEXT_USER_UNWOUND;
			nk += 1 + n;
		}
	}
	bool frames = false;
	for (size_t i = 0; i < nk && !frames; i++)
		frames = a->chain[i] < SD_CONTEXT_MAX;
	if (!frames) {
		a->chain[0] = cpumode_marker(s->cpumode);
		a->chain[1] = s->ip;
		nk = 2;
	}
	s->ips = a->chain;
	s->nr_ips = nk;
	s->has_callchain = true;
	return 0;
}

/* A FORK record, to the machine, and a new process (not a thread, not
 * one perf synthesized at time 0) noted under its parent's comm and
 * executable as they were before the record, which the machine looks up
 * once for both; counted after the last sample, over the samples' span
 * (forks.c). */
static int fork_record(struct sd_analysis *a, const struct sd_record *rec)
{
	const struct sd_task *t = &rec->task;
	uint32_t comm;
	const char *exe;
	int err = sd_machine_fork(a->machine, t, &comm, &exe);

	if (err)
		return err;
	if (t->pid == t->ppid || t->pid != t->tid || !t->time)
		return 0;
	if (a->time.n && !sd_time_keep(&a->time, t->time))
		return 0;
	return sd_fork_note(a, t->time, t->ppid, comm, exe);
}

/* A record that is not a sample: the machine's (threads, comms, maps),
 * a fork noted too.  0, or -ENOMEM. */
static int other_record(struct sd_analysis *a, const struct sd_record *rec)
{
	int err = rec->type == SD_REC_FORK ? fork_record(a, rec)
					   : sd_machine_process(a->machine, rec);

	return err == -ENOMEM ? err : 0;
}

/* What the loop needs of a sample's event, found once per event. */
struct ev_info {
	const struct sd_evsel *ev; /* NULL: none yet */
	uint64_t seen_updates;     /* EVENT_UPDATEs when found */
	unsigned index;            /* ev->index */
	enum ev_kind kind;
	bool chain;                /* the event records call chains */
	/* a recorded chain of two or more entries is used as it is: no
	 * user registers and stack to unwind */
	bool chain_as_is;
	/* straight into the stacks stage: not a tracepoint the stall
	 * tracker reads, no --off-cpu */
	bool plain;
};

static int ev_info_get(const struct sd_analysis *a, struct ev_kinds *k,
		       const struct sd_evsel *ev, struct ev_info *out)
{
	const uint64_t unwind = SD_SAMPLE_REGS_USER | SD_SAMPLE_STACK_USER;
	enum ev_kind kind;
	int err = ev_kind(k, ev, &kind);

	if (err)
		return err;
	*out = (struct ev_info){
		.ev = ev,
		.seen_updates = *k->updates,
		.index = ev->index,
		.kind = kind,
		.chain = ev->sample_type & SD_SAMPLE_CALLCHAIN,
		.chain_as_is = (ev->sample_type & SD_SAMPLE_CALLCHAIN) &&
			       (ev->sample_type & unwind) != unwind,
		.plain = kind == EVK_OTHER && !a->offcpu_track,
	};
	return 0;
}

/* The sample loop's state. */
struct loop {
	struct sd_analysis *a;
	struct tp_drive tpd;
	struct ev_kinds kinds;
	struct ev_info evi;
	/* the stacks stage's sample, filled per sample; evsel and
	 * has_callchain stay from the event's first sample
	 * (complete_chain() may set has_callchain: put back first) */
	struct sd_stack_sample s;
	struct sd_tvcache tvc;
	uint64_t first, last;
	uint64_t nsamples;
	/* the stall tracker hears of plain samples once a sample of an
	 * event it reads came: before, nobody sleeps and nothing is logged */
	bool tracking;
	bool windowed;
	bool kv_more;
	/* views go through plain_views(): evi.plain, evi.chain_as_is and
	 * no kv_more, one flag for view_run()'s test per run (set where
	 * they change) */
	bool plain_views;
};

/* The event's facts, looked up when the sample's event is another than
 * the one before (evi.ev is let go when an EVENT_UPDATE came, see
 * sd_run_records()). */
static inline __attribute__((always_inline)) int
sample_event(struct loop *l, const struct sd_evsel *ev)
{
	int err;

	if (ev != l->evi.ev) {
		if ((err = ev_info_get(l->a, &l->kinds, ev, &l->evi)))
			return err;
		l->s.evsel = l->evi.index;
		l->s.has_callchain = l->evi.chain;
		l->plain_views = l->evi.plain && l->evi.chain_as_is &&
				 !l->kv_more;
	}
	return 0;
}

/* The sample's time kept (else counted as skipped) and taken into the
 * span, its event's facts at hand.  1 to go on, 0 to skip the sample,
 * or a negative error. */
static inline __attribute__((always_inline)) int
sample_head(struct loop *l, const struct sd_evsel *ev, uint64_t t)
{
	int err;

	if (l->windowed && !sd_time_keep(&l->a->time, t)) {
		l->a->time_skipped++;
		return 0;
	}
	/* t - 1 < x - 1: t is not 0, and below x or x is 0 */
	if (t - 1 < l->first - 1)
		l->first = t;
	if (t > l->last)
		l->last = t;
	if ((err = sample_event(l, ev)))
		return err;
	return 1;
}

/* A kernel-mode sample's IP kept for the kallsyms check. */
static inline __attribute__((always_inline)) void
sample_mode(struct loop *l, unsigned cpumode, uint64_t ip)
{
	if (cpumode == SD_MISC_KERNEL && l->kv_more) {
		sd_kverify_keep(l->a, ip);
		l->kv_more = l->a->nr_kernel_ips < SD_KVERIFY_MAX_IPS;
		l->plain_views = l->evi.plain && l->evi.chain_as_is &&
				 !l->kv_more;
	}
	l->s.cpumode = cpumode;
	l->s.ip = ip;
}

/*
 * The filled sample l->s with its thread and whole chain into the
 * stacks stage and the tracker's inline test (what sd_drive() does with
 * a plain sample, without building its sample), or for the rare sample
 * (a tracepoint the stall tracker reads, or --off-cpu) through the
 * driver with the record rec (rec_of(arg) makes it).  smp: what may be
 * unwound (NULL: nothing).
 */
static inline __attribute__((always_inline)) int
sample_tail(struct loop *l, const struct sd_sample *smp,
	    const struct sd_record *(*rec_of)(const void *, struct sd_record *),
	    const void *arg)
{
	struct sd_analysis *a = l->a;
	struct sd_stack_sample *s = &l->s;
	uint32_t stack;
	int err;

	if ((err = sd_machine_thread_cached(a->machine, &l->tvc, s->pid,
					    s->tid, &s->view)))
		return err;
	if (!l->evi.chain_as_is || s->nr_ips < 2) {
		s->has_callchain = l->evi.chain;
		if ((err = complete_chain(a, smp, s)))
			return err;
	}
	if (!l->evi.plain) {
		struct sd_record tmp;
		l->tracking = true;
		return sd_tp_drive(a, &l->tpd, rec_of(arg, &tmp), s,
				   l->evi.kind);
	}
	if ((err = sd_stacks_add(a->stacks, s, &stack)))
		return err;
	if (l->tracking && s->time &&
	    (err = sd_stalls_seen(a->stalls, s->pid, s->tid, stack, s->time)))
		return err;
	l->nsamples++;
	return 0;
}

static const struct sd_record *rec_itself(const void *rec,
					  struct sd_record *tmp)
{
	(void)tmp;
	return rec;
}

/* A sample record. */
static int record_sample(struct loop *l, const struct sd_record *rec)
{
	const struct sd_sample *smp = &rec->sample;
	uint64_t t = rec->id.has_time ? rec->id.time : 0;
	int rc = sample_head(l, rec->evsel, t);

	if (rc <= 0)
		return rc;
	sample_mode(l, rec->misc & SD_MISC_CPUMODE_MASK, smp->ip);
	l->s.ips = smp->ips;
	l->s.nr_ips = smp->nr_ips;
	l->s.period = smp->period;
	l->s.pid = rec->id.has_tid ? rec->id.pid : UINT32_MAX;
	l->s.tid = rec->id.has_tid ? rec->id.tid : UINT32_MAX;
	l->s.time = t;
	return sample_tail(l, smp, rec_itself, rec);
}

/* The record sd_reader_next() would have given for view v (the driver
 * reads a few of its fields; the payload, registers and stack a view's
 * sample has none of). */
static const struct sd_record *view_record(const void *arg,
					   struct sd_record *rec)
{
	const struct sd_sample_view *v = arg;

	*rec = (struct sd_record){
		.type = SD_REC_SAMPLE,
		.misc = v->misc,
		.offset = v->offset,
		.evsel = v->evsel,
		.id = {
			.pid = v->pid,
			.tid = v->tid,
			.time = v->time,
			.has_tid = true,
			.has_time = true,
		},
		.sample = {
			.ip = v->ip,
			.period = v->period,
			.nr_ips = v->nr_ips,
			.ips = v->ips,
		},
	};
	return rec;
}

/* A sample handed out in place, its time and event taken in. */
static inline __attribute__((always_inline)) int
view_body(struct loop *l, const struct sd_sample_view *v)
{
	sample_mode(l, v->misc & SD_MISC_CPUMODE_MASK, v->ip);
	l->s.ips = v->ips;
	l->s.nr_ips = v->nr_ips;
	l->s.period = v->period;
	l->s.pid = v->pid;
	l->s.tid = v->tid;
	l->s.time = v->time;
	return sample_tail(l, NULL, view_record, v);
}

/*
 * Views of one event from v on (at most n) that go straight into the
 * stacks stage as they are: what view_body() does once the event's
 * facts (a plain event whose chains are used as they are) and the
 * kallsyms check (done keeping IPs) leave nothing to test for each but a
 * chain too short; whether the tracker hears of them is told once
 * (tracking, a constant where this is inlined: a plain sample does not
 * start the tracker, sample_tail()).  How many were taken
 * into *taken; 0 or an error.
 */
static inline __attribute__((always_inline)) int
plain_views(struct loop *l, const struct sd_sample_view *v, int n,
	    bool tracking, int *taken)
{
	struct sd_analysis *a = l->a;
	struct sd_stack_sample *s = &l->s;
	const struct sd_evsel *ev = v[0].evsel;
	/* a pointer to its end, not an index and a count: those were
	 * kept on the stack across sd_stacks_add(), loads and stores a
	 * sample (kstorm -1.5 M instructions, dso -2.5 M, synth300k
	 * -2.6 M) */
	const struct sd_sample_view *w = v, *end = v + n;
	int err = 0;

	do {
		uint32_t stack;
		s->cpumode = w->misc & SD_MISC_CPUMODE_MASK;
		s->ip = w->ip;
		s->ips = w->ips;
		s->nr_ips = w->nr_ips;
		s->period = w->period;
		s->pid = w->pid;
		s->tid = w->tid;
		s->time = w->time;
		err = sd_machine_thread_cached(a->machine, &l->tvc, s->pid,
					       s->tid, &s->view);
		if (!err && s->nr_ips < 2) {
			s->has_callchain = l->evi.chain;
			err = complete_chain(a, NULL, s);
		}
		if (!err)
			err = sd_stacks_add(a->stacks, s, &stack);
		if (!err && tracking)
			err = sd_stalls_seen(a->stalls, s->pid, s->tid, stack,
					     s->time);
	} while (!err && ++w != end && w->evsel == ev);
	l->nsamples += (uint64_t)(w - v);
	*taken = (int)(w - v);
	return err;
}

/*
 * A run of views.  Without a time window every one is kept, and the
 * span is taken from the run's ends: a run is in time order (its first
 * view the oldest, its last the newest; a view's time is never 0).
 * Views of one event that leave nothing to test for each go through
 * plain_views(); the others are taken event by event, the event's facts
 * looked at when it changes.
 */
static int view_run(struct loop *l, const struct sd_sample_view *v, int n)
{
	int err = 0;

	if (l->windowed) {
		for (int i = 0; i < n && !err; i++) {
			int rc = sample_head(l, v[i].evsel, v[i].time);
			err = rc <= 0 ? rc : view_body(l, &v[i]);
		}
		return err;
	}
	if (n) {
		if (v[0].time - 1 < l->first - 1)
			l->first = v[0].time;
		if (v[n - 1].time > l->last)
			l->last = v[n - 1].time;
	}
	for (int i = 0; i < n && !err;) {
		const struct sd_evsel *ev = v[i].evsel;
		if ((err = sample_event(l, ev)))
			break;
		if (l->plain_views) {
			int taken;
			err = l->tracking
				? plain_views(l, v + i, n - i, true, &taken)
				: plain_views(l, v + i, n - i, false, &taken);
			i += taken;
			continue;
		}
		/* the views of this event, each tested */
		do
			err = view_body(l, &v[i]);
		while (!err && ++i < n && v[i].evsel == ev);
	}
	return err;
}

#define VIEWS 32 /* samples taken from the reader at a time */

/*
 * The sample loop: runs of samples of the common layout read in place
 * (sd_reader_next_samples(), with the record that ends a run), every
 * other record one at a time (sd_reader_next()); per
 * sample one struct (the stacks stage's sample) filled, the event's
 * facts remembered from the sample before.
 */
int sd_run_records(struct sd_analysis *a, const struct sd_analysis_opts *o)
{
	const struct sd_record *rec;
	struct sd_sample_view views[VIEWS];
	struct loop l = {
		.a = a,
		.kinds.updates = &sd_reader_stats(a->reader)
					  ->records[SD_REC_EVENT_UPDATE],
		.s.machine = a->machine,
		.first = a->first_time,
		.last = a->last_time,
		.windowed = a->time.n != 0,
		.kv_more = a->nr_kernel_ips < SD_KVERIFY_MAX_IPS,
	};
	uint64_t nrec = a->records;
	uint64_t next_progress = o->progress
		? (nrec / PROGRESS_EVERY + 1) * PROGRESS_EVERY : UINT64_MAX;
	int rc = 0, err = 0;

	sd_tvcache_init(&l.tvc, a->machine);
	/* never read here: EXIT changes nothing (perf 6.1 keeps the
	 * thread as it is, machine.c) */
	sd_reader_skip(a->reader, SD_SKIP_SAMPLE_IDS | SD_SKIP_EXIT);
	for (;;) {
		const struct sd_record *other;
		int n = sd_reader_next_samples(a->reader, views, VIEWS, &other);
		if (n < 0) {
			err = n;
			break;
		}
		err = view_run(&l, views, n);
		if (!err && other) {
			n++;
			err = other_record(a, other);
		}
		if (!n) {
			/* the only call that reads on, and so takes in
			 * EVENT_UPDATE records, which may rename events */
			if ((rc = sd_reader_next(a->reader, &rec)) <= 0)
				break;
			if (*l.kinds.updates != l.evi.seen_updates)
				l.evi.ev = NULL;
			n = 1;
			if (rec->type == SD_REC_SAMPLE)
				err = record_sample(&l, rec);
			else
				err = other_record(a, rec);
		}
		if (err)
			break;
		nrec += (uint64_t)n;
		if (nrec >= next_progress) {
			uint64_t done, total;
			a->records = nrec;
			sd_reader_progress(a->reader, &done, &total);
			o->progress(o->progress_arg, done, total);
			next_progress = (nrec / PROGRESS_EVERY + 1) *
					PROGRESS_EVERY;
		}
	}
	a->samples += l.nsamples;
	a->records = nrec;
	a->first_time = l.first;
	a->last_time = l.last;
	sd_tp_drive_fini(&l.tpd);
	free(l.kinds.v);
	if (!err)
		err = sd_forks_count(a, a->first_time, a->last_time);
	if (err)
		return err;
	if (o->progress) {
		uint64_t done, total;
		sd_reader_progress(a->reader, &done, &total);
		o->progress(o->progress_arg, total ? total : done, total);
	}
	return rc;
}
