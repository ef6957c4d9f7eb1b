/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/bundle.h>
#include <swapdiag/tracepoint.h>

#include "detect/stalls.h"
#include "detect/tables.h"
#include "textin/feed.h"

#define PROGRESS_EVERY 65536 /* records */
#define MAX_CHAIN 4096 /* recorded frames the stacks stage keys on */

/* sched_switch decoding: set up on the first sched_switch sample, since in
 * pipe mode the tracing data arrives as a record. */
struct switch_state {
	bool tried;
	bool ok;
	struct sd_tracepoints *tp;
	struct sd_sched_switch_fmt fmt;
	const struct sd_era *era;
	uint64_t bad;
};

static bool is_tp_evsel(const struct sd_evsel *ev, const char *name)
{
	if (ev->type != SD_TYPE_TRACEPOINT || !ev->name)
		return false;
	const char *c = strrchr(ev->name, ':');
	return !strcmp(c ? c + 1 : ev->name, name);
}

static bool is_switch_evsel(const struct sd_evsel *ev)
{
	return is_tp_evsel(ev, "sched_switch");
}

/* lock:contention_begin / contention_end (5.19+): the contended lock's
 * address per task, for the stall tracker.  Fields from the file's own
 * format: lock_addr (void *), flags (unsigned int, begin only). */
struct lock_state {
	bool tried[2], ok[2];
	struct sd_tp_field addr[2], flags;
	uint64_t bad;
};

static void lock_setup(struct sd_analysis *a, struct switch_state *sw,
		       struct lock_state *ls, const struct sd_evsel *ev,
		       int end)
{
	const struct sd_file_info *in = sd_reader_info(a->reader);
	const struct sd_tp_event *tpev;

	ls->tried[end] = true;
	if (!sw->tp && in->tracing_data &&
	    sd_tracepoints_new(in->tracing_data, in->tracing_data_size,
			       in->order, &a->diags, &sw->tp))
		sw->tp = NULL;
	if (!sw->tp || sd_tp_find_id(sw->tp, ev->config, &tpev) ||
	    sd_tp_field_get(tpev, "lock_addr", &ls->addr[end]) ||
	    (!end && sd_tp_field_get(tpev, "flags", &ls->flags))) {
		sd_diags_add(&a->diags, SD_WARNING, SD_E_TRACEPOINT, UINT64_MAX,
			     "%s samples whose format cannot be read: sleeps "
			     "are not grouped by lock",
			     ev->name);
		return;
	}
	ls->ok[end] = true;
}

static int track_lock(struct sd_analysis *a, struct switch_state *sw,
		      struct lock_state *ls, const struct sd_record *rec,
		      uint32_t stack, int end)
{
	uint64_t addr, flags = 0;

	if (!ls->tried[end])
		lock_setup(a, sw, ls, rec->evsel, end);
	if (!ls->ok[end] || !rec->id.has_time || !rec->id.has_tid)
		return 0;
	if (sd_tp_read_u64(&ls->addr[end], rec->sample.raw,
			   rec->sample.raw_size, &addr) ||
	    (!end && sd_tp_read_u64(&ls->flags, rec->sample.raw,
				    rec->sample.raw_size, &flags))) {
		if (!ls->bad++)
			sd_diags_add(&a->diags, SD_WARNING, SD_E_BAD_RECORD,
				     rec->offset,
				     "a lock contention payload does not "
				     "match its format; such samples are "
				     "skipped");
		return 0;
	}
	return sd_stalls_contention(a->stalls, rec->id.time, rec->id.pid,
				    rec->id.tid, stack, addr,
				    (unsigned)flags, !end);
}

static void switch_setup(struct sd_analysis *a, struct switch_state *sw,
			 const struct sd_evsel *ev)
{
	const struct sd_file_info *in = sd_reader_info(a->reader);
	int err;

	sw->tried = true;
	sw->era = sd_era_of(in->os_release);
	if (!in->tracing_data) {
		sd_diags_add(&a->diags, SD_WARNING, SD_E_TRACEPOINT, UINT64_MAX,
			     "sched_switch samples but no tracing data (event "
			     "formats) in the file: D-state sleeps cannot be "
			     "decoded");
		return;
	}
	err = sw->tp ? 0 : sd_tracepoints_new(in->tracing_data,
					      in->tracing_data_size, in->order,
					      &a->diags, &sw->tp);
	if (!err)
		err = sd_tp_sched_switch_fmt(sw->tp, ev->config, &sw->fmt);
	if (err) {
		sd_diags_add(&a->diags, SD_WARNING, SD_E_TRACEPOINT, UINT64_MAX,
			     "the sched_switch format in the file cannot be "
			     "used (%s): D-state sleeps are not analysed",
			     sd_strerror(err));
		return;
	}
	sw->ok = true;
}

static int track_switch(struct sd_analysis *a, struct switch_state *sw,
			const struct sd_record *rec, uint32_t stack,
			uint32_t comm)
{
	struct sd_sched_switch ss;

	if (!sw->tried)
		switch_setup(a, sw, rec->evsel);
	if (!sw->ok || !rec->id.has_time)
		return 0;
	if (sd_tp_sched_switch(&sw->fmt, rec->sample.raw, rec->sample.raw_size,
			       &ss)) {
		if (!sw->bad++)
			sd_diags_add(&a->diags, SD_WARNING, SD_E_BAD_RECORD,
				     rec->offset,
				     "a sched_switch payload does not match "
				     "its format; such samples are skipped");
		return 0;
	}
	/* the sample runs in the outgoing task: its pid/tid are prev's */
	uint32_t pid = rec->id.has_tid ? rec->id.pid : (uint32_t)ss.prev_pid;
	uint32_t tid = (uint32_t)ss.prev_pid;
	return sd_stalls_switch(a->stalls, rec->id.time, pid, tid,
				sd_prev_state_is_d(sw->era, ss.prev_state),
				(uint32_t)ss.next_pid, stack, comm);
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
static int complete_chain(struct sd_analysis *a, const struct sd_record *rec,
			  struct sd_stack_sample *s)
{
	const struct sd_sample *smp = &rec->sample;
	/* perf unwinds only what it would print as a call chain */
	bool dwarf = s->has_callchain && sd_unwind_possible(smp);
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

struct sd_analysis *sd_analysis_free(struct sd_analysis *a)
{
	if (!a)
		return NULL;
	sd_unwinder_free(a->unwinder);
	free(a->chain);
	sd_stacks_free(a->stacks);
	if (a->stalls) {
		sd_stalls_fini(a->stalls);
		free(a->stalls);
	}
	sd_machine_free(a->machine);
	sd_symbolizer_free(a->symbolizer);
	sd_reader_free(a->reader);
	sd_text_analysis_fini(a);
	sd_diags_clear(&a->diags);
	free(a);
	return NULL;
}

/*
 * Whether the perf archive is of this recording: it must hold a file for
 * one of the build-ids the recording lists (its files are looked up by
 * build-id only, so a foreign one could never name a frame -- this is
 * for the message).  1 of it, 0 foreign, -1 not known yet (no build-ids:
 * pipe mode before its HEADER_BUILD_ID records).
 */
static int archive_match(const struct sd_file_info *in,
			 const struct sd_perf_archive *pa, char *rec_kernel,
			 char *arc_kernel)
{
	int match = 0;

	rec_kernel[0] = arc_kernel[0] = 0;
	for (size_t k = 0; k < sd_perf_archive_nr_ids(pa); k++) {
		bool kernel;
		const struct sd_build_id *id = sd_perf_archive_id(pa, k, &kernel);
		if (kernel && !arc_kernel[0])
			sd_build_id_hex(id, arc_kernel);
	}
	if (!in->nr_build_ids)
		return -1;
	for (size_t i = 0; i < in->nr_build_ids; i++) {
		const struct sd_build_id_entry *e = &in->build_ids[i];
		if (e->filename && !strcmp(e->filename, "[kernel.kallsyms]") &&
		    !rec_kernel[0])
			sd_build_id_hex(&e->id, rec_kernel);
		for (size_t k = 0; k < sd_perf_archive_nr_ids(pa); k++) {
			const struct sd_build_id *id =
				sd_perf_archive_id(pa, k, NULL);
			if (id->size == e->id.size &&
			    !memcmp(id->data, e->id.data, id->size))
				match = 1;
		}
	}
	return match;
}

/*
 * Decides whether the archive is used: *used false for one of another
 * recording (a warning; an error when the user named it).  With the
 * recording's build-ids not known yet, it is used for now and checked
 * again after the records.
 */
static int archive_check(struct sd_analysis *a, const struct sd_analysis_opts *o,
			 struct sd_diags *diags, bool *used)
{
	char rk[2 * SD_BUILD_ID_MAX + 1], ak[2 * SD_BUILD_ID_MAX + 1];
	const char *name = o->archive_path ? o->archive_path : "the perf archive";
	int m = archive_match(sd_reader_info(a->reader), o->archive, rk, ak);

	*used = m != 0;
	if (m == 1)
		a->archive_path = o->archive_path ? o->archive_path : "";
	/* after the records (diags NULL): pipe data of perf 6.1 names no
	 * kernel build-id, so the archive's kallsyms cannot be checked */
	if (m != 0 && !diags && ak[0] && !rk[0])
		sd_diags_add(&a->diags, SD_NOTE, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "%s has the kallsyms of kernel build-id %s, but the "
			     "recording does not say its kernel's build-id (pipe "
			     "mode), so it is not used for kernel frames; if it "
			     "is the recorded kernel, extract it and pass it with "
			     "--kallsyms",
			     name, ak);
	if (m != 0)
		return 0;
	bool fatal = o->archive_named && diags;
	char ids[200] = "";
	if (ak[0] && rk[0])
		snprintf(ids, sizeof ids, " (its kernel build-id is %s, this "
			 "recording's %s)", ak, rk);
	else if (rk[0])
		snprintf(ids, sizeof ids, " (this recording's kernel build-id "
			 "is %s)", rk);
	sd_diags_add(fatal ? diags : &a->diags, fatal ? SD_ERROR : SD_WARNING,
		     SD_E_BUILD_ID_MISMATCH, UINT64_MAX,
		     "%s is a perf archive of another recording: it holds no "
		     "file for any build-id this recording lists%s; %s (run "
		     "'perf archive' on this recording's perf.data where it "
		     "was recorded)",
		     name, ids, fatal ? "refused" : "not used");
	return fatal ? -SD_E_BUILD_ID_MISMATCH : 0;
}

static int run_records(struct sd_analysis *a, const struct sd_analysis_opts *o)
{
	const struct sd_record *rec;
	struct switch_state sw = {0};
	struct lock_state ls = {0};
	int rc, err = 0;

	while ((rc = sd_reader_next(a->reader, &rec)) > 0) {
		a->records++;
		if (o->progress && a->records % PROGRESS_EVERY == 0) {
			uint64_t done, total;
			sd_reader_progress(a->reader, &done, &total);
			o->progress(o->progress_arg, done, total);
		}
		if (rec->type != SD_REC_SAMPLE) {
			err = sd_machine_process(a->machine, rec);
			if (err == -ENOMEM)
				return err;
			continue;
		}
		const struct sd_evsel *ev = rec->evsel;
		struct sd_stack_sample s = {
			.evsel = ev->index,
			.cpumode = rec->misc & SD_MISC_CPUMODE_MASK,
			.ip = rec->sample.ip,
			.ips = rec->sample.ips,
			.nr_ips = rec->sample.nr_ips,
			.has_callchain = ev->sample_type & SD_SAMPLE_CALLCHAIN,
			.period = rec->sample.period,
			.pid = rec->id.has_tid ? rec->id.pid : UINT32_MAX,
			.tid = rec->id.has_tid ? rec->id.tid : UINT32_MAX,
			.time = rec->id.has_time ? rec->id.time : 0,
			.machine = a->machine,
		};
		uint32_t stack;
		err = sd_machine_thread(a->machine, s.pid, s.tid, &s.view);
		if (!err)
			err = complete_chain(a, rec, &s);
		if (!err)
			err = sd_stacks_add(a->stacks, &s, &stack);
		if (!err && is_switch_evsel(ev)) {
			a->switch_evsel = ev;
			err = track_switch(a, &sw, rec, stack, s.view.comm);
		} else if (!err && s.time) {
			err = sd_stalls_seen(a->stalls, s.pid, s.tid, stack,
					     s.time);
			if (!err && is_tp_evsel(ev, "contention_begin"))
				err = track_lock(a, &sw, &ls, rec, stack, 0);
			else if (!err && is_tp_evsel(ev, "contention_end"))
				err = track_lock(a, &sw, &ls, rec, stack, 1);
		}
		if (err)
			break;
		a->samples++;
	}
	sd_tracepoints_free(sw.tp);
	if (err)
		return err;
	if (o->progress) {
		uint64_t done, total;
		sd_reader_progress(a->reader, &done, &total);
		o->progress(o->progress_arg, total ? total : done, total);
	}
	return rc;
}

int sd_analysis_run(const struct sd_analysis_opts *o, struct sd_diags *diags,
		    struct sd_analysis **out)
{
	struct sd_analysis *a = calloc(1, sizeof *a);
	int err;

	if (!a)
		return -ENOMEM;
	sd_diags_init(&a->diags);
	a->host = o->host;
	a->input_kind = "perf.data";
	/* Text where perf.data is not (perf script, folded, perf report,
	 * src/textin); standard input is looked at before the reader takes
	 * it, since a pipe cannot be read twice. */
	bool is_stdin = !o->buf && o->path && !strcmp(o->path, "-");
	struct sd_diags rwhy;
	sd_diags_init(&rwhy);
	err = is_stdin ? sd_text_analysis_stdin(a, o, &rwhy) : 1;
	if (err > 0) {
		if (o->buf)
			err = sd_reader_open_mem(o->buf, o->len, o->path,
						 o->reader_flags, &rwhy, &a->reader);
		else
			err = sd_reader_open(o->path, o->reader_flags, &rwhy,
					     &a->reader);
		/* a folded line is too short for a perf.data header */
		if ((err == -SD_E_BAD_MAGIC || err == -SD_E_TRUNCATED) &&
		    !is_stdin) {
			struct sd_diags twhy;
			sd_diags_init(&twhy);
			int terr = sd_text_analysis(a, o, &twhy);
			if (terr != -SD_E_BAD_MAGIC || err == -SD_E_BAD_MAGIC) {
				err = terr;
				sd_diags_move(&rwhy, &twhy);
			}
			sd_diags_clear(&twhy);
		}
	}
	if (err && diags)
		sd_diags_move(diags, &rwhy);
	sd_diags_clear(&rwhy);
	if (err) {
		sd_analysis_free(a);
		return err;
	}
	if (!a->reader) {
		*out = a;
		return 0;
	}
	bool archive_used = false;
	if (o->archive) {
		err = archive_check(a, o, diags, &archive_used);
		if (err)
			goto fail;
	}
	if (!o->no_symbols) {
		struct sd_symbol_opts so = o->symbols;
		if (archive_used)
			so.archive_dir = sd_perf_archive_dir(o->archive);
		err = sd_symbolizer_new(&so, sd_reader_info(a->reader),
					&a->symbolizer);
		if (err)
			goto fail;
	}
	if ((err = sd_machine_new(a->symbolizer, &a->machine)) ||
	    (err = sd_stacks_new(&a->stacks)))
		goto fail;
	sd_stacks_set_fold(a->stacks, o->fold_with);
	a->stalls = calloc(1, sizeof *a->stalls);
	if (!a->stalls) {
		err = -ENOMEM;
		goto fail;
	}
	sd_stalls_init(a->stalls);

	err = run_records(a, o);
	if (err == -ENOMEM)
		goto fail;
	a->read_error = err;
	/* pipe mode: the build-ids came with the records */
	if (archive_used)
		archive_check(a, o, NULL, &archive_used);
	err = sd_stacks_symbolize(a->stacks, a->machine);
	if (err)
		goto fail;
	{
		/* the reader's messages first: they say what was read */
		struct sd_diags mine = a->diags;
		sd_diags_init(&a->diags);
		sd_diags_move(&a->diags, sd_reader_diags(a->reader));
		sd_diags_move(&a->diags, &mine);
	}
	if (a->symbolizer)
		sd_diags_move(&a->diags, sd_symbolizer_diags(a->symbolizer));
	if (a->unwinder)
		sd_diags_move(&a->diags, sd_unwinder_diags(a->unwinder));
	*out = a;
	return 0;
fail:
	if (diags && a->reader)
		sd_diags_move(diags, sd_reader_diags(a->reader));
	sd_analysis_free(a);
	return err;
}

const struct sd_file_info *sd_analysis_info(const struct sd_analysis *a)
{
	return a->reader ? sd_reader_info(a->reader) : &a->text_info;
}

const struct sd_reader_stats *sd_analysis_stats(const struct sd_analysis *a)
{
	return a->reader ? sd_reader_stats(a->reader) : &a->text_stats;
}

size_t sd_analysis_nr_evsels(const struct sd_analysis *a)
{
	return a->reader ? sd_reader_nr_evsels(a->reader) : a->text_nr_evsels;
}

const struct sd_evsel *sd_analysis_evsel(const struct sd_analysis *a, size_t i)
{
	if (a->reader)
		return sd_reader_evsel(a->reader, i);
	return i < a->text_nr_evsels ? a->text_evsels[i] : NULL;
}

const struct sd_evsel *sd_analysis_default_evsel(const struct sd_analysis *a)
{
	size_t n = sd_analysis_nr_evsels(a);

	if (!a->reader && a->text_first_evsel)
		return a->text_first_evsel;

	for (size_t i = 0; i < n; i++) {
		const struct sd_evsel *ev = sd_analysis_evsel(a, i);
		if (ev->type == SD_TYPE_TRACEPOINT)
			continue;
		if (ev->type == SD_TYPE_SOFTWARE && ev->config == 9 /* dummy */)
			continue;
		return ev;
	}
	return n ? sd_analysis_evsel(a, 0) : NULL;
}

const struct sd_evsel *sd_analysis_find_evsel(const struct sd_analysis *a,
					      const char *name)
{
	const struct sd_evsel *partial = NULL;

	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++) {
		const struct sd_evsel *ev = sd_analysis_evsel(a, i);
		int m = sd_evsel_match(ev, name);
		if (m == 2)
			return ev;
		if (m == 1 && !partial)
			partial = ev;
	}
	return partial;
}

/* Does the weight of ev's samples come from their periods? */
static bool weighs_period(const struct sd_analysis *a,
			  const struct sd_evsel *ev, enum sd_weight w)
{
	if (w != SD_WEIGHT_PERIOD)
		return false;
	if (!a->reader) /* the text's own weights, as the script sees them */
		return a->text_periods;
	return ev->type != SD_TYPE_TRACEPOINT;
}

uint64_t sd_analysis_weight(const struct sd_analysis *a,
			    const struct sd_evsel *ev, enum sd_weight w,
			    uint64_t count, uint64_t period)
{
	if (!a->reader)
		return w == SD_WEIGHT_PERIOD ? period : count;
	return weighs_period(a, ev, w) ? period : count;
}

/* cpu-clock and task-clock count nanoseconds */
static bool clock_event(const struct sd_analysis *a, const struct sd_evsel *ev)
{
	if (a->reader)
		return ev->type == SD_TYPE_SOFTWARE && ev->config <= 1;
	return !strncmp(ev->name, "cpu-clock", 9) ||
	       !strncmp(ev->name, "task-clock", 10);
}

const char *sd_analysis_weight_unit(const struct sd_analysis *a,
				    const struct sd_evsel *ev,
				    enum sd_weight w)
{
	if (!a->reader && a->input_kind &&
	    !strcmp(a->input_kind, "perf-report"))
		return "weight";
	if (!weighs_period(a, ev, w))
		return "samples";
	return clock_event(a, ev) ? "ns" : "events";
}

const char *sd_analysis_weight_name(const struct sd_analysis *a,
				    const struct sd_evsel *ev,
				    enum sd_weight w)
{
	const char *u = sd_analysis_weight_unit(a, ev, w);

	if (!strcmp(u, "ns"))
		return "period (ns)";
	if (!strcmp(u, "events"))
		return "period (events)";
	if (!strcmp(u, "weight"))
		return "perf report weight";
	return "samples";
}

uint64_t sd_analysis_other_samples(const struct sd_analysis *a,
				   const struct sd_evsel *ev)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++) {
		const struct sd_evsel *o = sd_analysis_evsel(a, i);
		if (o != ev && !(o->type == SD_TYPE_SOFTWARE && o->config == 9))
			n += o->nr_samples;
	}
	return n;
}
