/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint samples through the driver (see tpdrive.h): the formats
 * read from the file's tracing data on the first sample of each, the
 * payload's fields checked against them.
 */
#include <swapdiag/detect.h>
#include <swapdiag/stalls.h>

#include "analysis/tpdrive.h"

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

/* A lock:contention_begin (end 0) or _end (1) sample's payload into d. */
static void read_lock(struct sd_analysis *a, struct switch_state *sw,
		      struct lock_state *ls, const struct sd_record *rec,
		      struct sd_drive_sample *d, int end)
{
	uint64_t addr, flags = 0;

	if (!ls->tried[end])
		lock_setup(a, sw, ls, rec->evsel, end);
	if (!ls->ok[end] || !rec->id.has_time || !rec->id.has_tid)
		return;
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
		return;
	}
	d->has_lock = true;
	d->lock_begin = !end;
	d->lock = addr;
	d->lock_flags = (unsigned)flags;
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

/* A sched_switch sample's payload into d: the sample runs in the
 * outgoing task, so its pid/tid are prev's. */
static void read_switch(struct sd_analysis *a, struct switch_state *sw,
			const struct sd_record *rec, struct sd_drive_sample *d)
{
	struct sd_sched_switch ss;

	d->is_switch = true;
	if (!sw->tried)
		switch_setup(a, sw, rec->evsel);
	if (!sw->ok || !rec->id.has_time)
		return;
	if (sd_tp_sched_switch(&sw->fmt, rec->sample.raw, rec->sample.raw_size,
			       &ss)) {
		if (!sw->bad++)
			sd_diags_add(&a->diags, SD_WARNING, SD_E_BAD_RECORD,
				     rec->offset,
				     "a sched_switch payload does not match "
				     "its format; such samples are skipped");
		return;
	}
	d->has_switch = true;
	d->timed = true;
	d->pid = rec->id.has_tid ? rec->id.pid : (uint32_t)ss.prev_pid;
	d->tid = (uint32_t)ss.prev_pid;
	d->prev_d = sd_prev_state_is_d(sw->era, ss.prev_state);
	d->next_tid = (uint32_t)ss.next_pid;
	d->time = rec->id.time;
}

/* The rare sample: a tracepoint the stall tracker reads, or --off-cpu,
 * through the driver with what else the sample says. */
int sd_tp_drive(struct sd_analysis *a, struct tp_drive *t,
		const struct sd_record *rec, const struct sd_stack_sample *s,
		enum ev_kind kind)
{
	struct switch_state *sw = &t->sw;
	struct lock_state *ls = &t->ls;
	struct sd_drive_sample d = {
		.ev = rec->evsel,
		.raw = s,
		.pid = s->pid,
		.tid = s->tid,
		.comm = s->view.comm,
		.time = s->time,
		.timed = s->time != 0,
		.count = 1,
	};

	if (kind == EVK_SWITCH) {
		d.timed = false;
		read_switch(a, sw, rec, &d);
	} else if (s->time && kind == EVK_LOCK_BEGIN) {
		read_lock(a, sw, ls, rec, &d, 0);
	} else if (s->time && kind == EVK_LOCK_END) {
		read_lock(a, sw, ls, rec, &d, 1);
	}
	return sd_drive(a, &d, NULL);
}

void sd_tp_drive_fini(struct tp_drive *t)
{
	sd_tracepoints_free(t->sw.tp);
	t->sw.tp = NULL;
}
