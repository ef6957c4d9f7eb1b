/* SPDX-License-Identifier: MIT */
/*
 * perf script text: samples assembled from the lines script_line.c reads
 * (the layout is drawn there).  Frames are named exactly as
 * stackcollapse-perf.pl names them (stacks/fold.c), so a perf script file
 * folds to what perf's own pipeline gives.  Side-band record lines
 * (--show-task-events, ...) are not samples: FORK lines go to ops->fork,
 * the rest are counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "textin/script.h"


struct sample {
	bool open;
	struct header h;
	char comm[256];
	char event[256];
	struct sw_payload sw;
	bool is_switch;
	struct lock_payload lock;
	uint64_t line, offset;
	uint64_t weight;  /* sd_text_script_period() of the header */
	bool filterable;  /* ... and whether it found an event */
	bool frame_lines; /* frames on lines of their own */
	/* frames as read, leaf first; syms.kern: a kernel-half address,
	 * dsos.kern: no "(dso)" was printed; pcs: the addresses printed */
	struct sd_tnames syms, dsos, pcs;
	struct sd_tnames out; /* folded names, root first */
	uint8_t *marks;       /* SD_FRAME_* of out's names */
	size_t marks_cap;
	unsigned fold_with;
};

static int push_frame(struct sample *sm, const struct frame *f)
{
	if (sm->syms.n >= SD_TEXT_MAX_FRAMES) {
		sm->syms.truncated = true;
		return 0;
	}
	int err = sd_tnames_push(&sm->syms, f->sym, f->sym_n,
				 f->has_addr && f->addr >= 0xffff000000000000ull);
	if (!err)
		err = sd_tnames_push(&sm->dsos, f->dso ? f->dso : "",
				     f->dso ? f->dso_n : 0, !f->dso);
	if (!err)
		err = sd_tnames_push(&sm->pcs, f->pc, f->pc_n, false);
	if (err)
		return err;
	if (sm->dsos.n != sm->syms.n || sm->pcs.n != sm->syms.n)
		return -ENOMEM;
	return 0;
}

/* Room for the marks of n names. */
static int marks_room(struct sample *sm, size_t n)
{
	if (n <= sm->marks_cap)
		return 0;
	size_t cap = sm->marks_cap ? sm->marks_cap * 2 : 64;
	while (cap < n)
		cap *= 2;
	uint8_t *m = realloc(sm->marks, cap);
	if (!m)
		return -ENOMEM;
	sm->marks = m;
	sm->marks_cap = cap;
	return 0;
}

static int emit(struct sample *sm, const struct sd_text_ops *ops,
		struct sd_text_result *res, struct sd_diags *diags, bool cut)
{
	size_t nf = sm->syms.n;
	bool any_dso = false, any_kaddr = false;
	int err = 0;

	sm->open = false;
	sd_tnames_reset(&sm->out);
	for (size_t i = 0; i < nf; i++) {
		any_dso |= !sm->dsos.kern[i];
		any_kaddr |= sm->syms.kern[i];
	}
	/* root first: the last frame line is the outermost caller */
	for (size_t i = nf; i-- > 0;) {
		const char *sym = sd_tnames_get(&sm->syms, i);
		const char *dso = sm->dsos.kern[i] ? NULL : sd_tnames_get(&sm->dsos, i);
		bool kern = sm->syms.kern[i];
		if (dso && strcmp(dso, "[unknown]"))
			kern = sd_text_dso_is_kernel(dso);
		char *parts[8];
		const char *mod = dso ? dso : "[unknown]";
		const char *pc = sm->fold_with & SD_FOLD_ADDRS
					 ? sd_tnames_get(&sm->pcs, i)
					 : NULL;
		int k = sd_fold_frame(sym, mod, pc, parts, 8);
		if (k < 0)
			return -ENOMEM;
		for (int q = 0; q < k; q++) {
			size_t at = sm->out.n;
			if (!err)
				err = sd_tnames_push(&sm->out, parts[q], strlen(parts[q]),
						     kern);
			if (!err && sm->out.n > at &&
			    !(err = marks_room(sm, sm->out.n)))
				sm->marks[at] = q ? 0 : (uint8_t)sd_fold_dso_marks(mod);
			free(parts[q]);
		}
		if (err)
			return err;
	}
	const char *const *frames;
	if ((err = sd_tnames_ptrs(&sm->out, &frames)))
		return err;
	/* no DSO printed (-F ip,sym) and no kernel address: by name */
	if (!any_dso && !any_kaddr && sm->out.n)
		sd_text_mark_kernel(frames, sm->out.kern, sm->out.n, -1);
	if ((sm->syms.truncated || sm->out.truncated) && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "line %llu: a call chain of more than %u frames was "
			     "cut", (unsigned long long)sm->line,
			     SD_TEXT_MAX_FRAMES);
	struct sd_text_sample s = {
		.event = sm->event,
		.comm = sm->comm,
		.pid = sm->h.pid,
		.tid = sm->h.tid,
		.has_time = sm->h.has_time,
		.time = sm->h.time,
		.has_period = sm->h.has_period,
		.period = sm->h.period,
		.has_cpu = sm->h.has_cpu,
		.cpu = sm->h.cpu,
		.count = 1,
		.weight = sm->weight,
		.pid_given = sm->h.pid_given,
		.filterable = sm->filterable,
		.folded_out = cut,
		.frames = frames,
		.kernel = sm->out.kern,
		.marks = sm->out.n ? sm->marks : NULL,
		.nr_frames = sm->out.n,
		.has_switch = sm->is_switch && sm->sw.ok,
		.prev_comm = sm->sw.prev_comm,
		.prev_state = sm->sw.prev_state,
		.next_comm = sm->sw.next_comm,
		.prev_pid = sm->sw.prev_pid,
		.next_pid = sm->sw.next_pid,
		.has_lock = sm->lock.ok,
		.lock_begin = sm->lock.kind == 1,
		.lock_addr = sm->lock.addr,
		.lock_flags = sm->lock.flags,
		.line = sm->line,
		.offset = sm->offset,
	};
	if (sm->is_switch) {
		if (sm->sw.ok) {
			res->switch_payloads++;
		} else if (!res->switch_unreadable++ && diags) {
			sd_diags_add(diags, SD_WARNING, SD_E_BAD_RECORD, UINT64_MAX,
				     "line %llu: a sched_switch sample without "
				     "its payload (prev_state=... ==> next_pid=...): "
				     "D-state sleeps cannot be followed (print "
				     "it with perf script -F ...,trace,...)",
				     (unsigned long long)sm->line);
		}
	}
	if (cut && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_TRUNCATED, UINT64_MAX,
			     "line %llu: the last sample has no blank line after "
			     "it: it is analysed, but not in the folded stacks, "
			     "as stackcollapse-perf.pl drops it too",
			     (unsigned long long)sm->line);
	res->samples++;
	return ops->sample(ops->arg, &s);
}

static int start(struct sample *sm, const struct header *h,
		 const struct sd_tline *ln)
{
	sm->open = true;
	sm->h = *h;
	sm->line = ln->no;
	sm->offset = ln->off;
	sm->frame_lines = false;
	sd_tnames_reset(&sm->syms);
	sd_tnames_reset(&sm->dsos);
	sd_tnames_reset(&sm->pcs);
	const char *ev;
	size_t evn;
	sm->filterable = sd_text_script_period(ln->s, ln->n, &sm->weight, &ev,
					       &evn);
	sd_tcopy(sm->comm, sizeof sm->comm, h->comm, h->comm_n);
	sd_tcopy(sm->event, sizeof sm->event, h->event ? h->event : "",
		 h->event ? h->event_n : 0);
	sm->is_switch = h->event && sd_tscript_is_switch(h->event, h->event_n);
	if (sm->is_switch)
		sd_tscript_switch(h->rest, h->rest_n, &sm->sw);
	else
		memset(&sm->sw, 0, sizeof sm->sw);
	int lk = h->event ? sd_tscript_lock_event(h->event, h->event_n) : 0;
	if (lk)
		sd_tscript_lock(h->rest, h->rest_n, lk, &sm->lock);
	else
		memset(&sm->lock, 0, sizeof sm->lock);
	/* a lock event's payload ends in "(flags=...)", which the frame
	 * pattern would take for "sym (dso)" */
	struct frame f;
	if (h->rest_n && !lk && sd_tscript_inline_frame(h->rest, h->rest_n, &f))
		return push_frame(sm, &f);
	return 0;
}

/* A side-band record line, h its header's fields: a FORK goes to
 * ops->fork with the header's comm and time. */
static int record_line(const struct sd_tline *ln, size_t at,
		       const struct header *h, const struct sd_text_ops *ops,
		       struct sd_text_result *res)
{
	struct sd_text_fork f = {.line = ln->no};
	char comm[64];

	res->records++;
	if (!ops->fork || !sd_tscript_fork(ln->s + at, ln->n - at, &f))
		return 0;
	sd_tcopy(comm, sizeof comm, h->comm, h->comm_n);
	f.comm = comm;
	f.has_time = h->has_time;
	f.time = h->time;
	return ops->fork(ops->arg, &f);
}

int sd_text_parse_perf_script(const void *buf, size_t len,
			      const struct sd_text_ops *ops,
			      struct sd_diags *diags, struct sd_text_result *res)
{
	struct sd_text_result local;
	struct sd_tlines it;
	struct sd_tline ln;
	struct sample *sm = calloc(1, sizeof *sm);
	int err = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->kind = SD_TEXT_PERF_SCRIPT;
	if (!sm)
		return -ENOMEM;
	sm->fold_with = ops->fold_with;
	sd_tlines_init(&it, buf, len);
	while (!err && sd_tlines_next(&it, &ln)) {
		struct header h;
		struct frame f;
		size_t i = 0;
		res->lines++;
		while (i < ln.n && sd_tis_space(ln.s[i]))
			i++;
		if (i == ln.n) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			continue;
		}
		if (ln.s[0] == '#') {
			err = sd_theader_line(ln.s, ln.n, ops);
			continue;
		}
		/* a side-band record (a task event, a map) after a header's
		 * fields: not a sample */
		size_t at = sd_tscript_record_at(ln.s, ln.n);
		if (at < ln.n && sd_tscript_header(ln.s, at, &h)) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			if (!err)
				err = record_line(&ln, at, &h, ops, res);
			continue;
		}
		/* a header first: frame lines never have a pid followed by
		 * a time or an event, a right-aligned comm may look like an
		 * address */
		if (sd_tscript_header(ln.s, ln.n, &h)) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			if (!err)
				err = start(sm, &h, &ln);
			continue;
		}
		if (sm->open && sd_tscript_frame(ln.s, ln.n, &f)) {
			sm->frame_lines = true;
			err = push_frame(sm, &f);
			continue;
		}
		if (sm->open && sd_tscript_srcline(ln.s, ln.n))
			continue;
		sd_tbad_line(diags, res,
			     &ln, sm->open ? "not a frame line (addr sym (dso))"
					   : "not a perf script sample header "
					     "(comm pid [cpu] time: event:)");
	}
	/* stackcollapse-perf.pl folds a sample at its blank line: one that
	 * the text's end cuts off is not in its output (one-line samples
	 * without call chains are split into lines first, see
	 * tests/golden/make-golden.sh) */
	if (!err && sm->open)
		err = emit(sm, ops, res, diags, sm->frame_lines);
	sd_tnames_fini(&sm->syms);
	sd_tnames_fini(&sm->dsos);
	sd_tnames_fini(&sm->pcs);
	sd_tnames_fini(&sm->out);
	free(sm->marks);
	free(sm);
	return err;
}
