/* SPDX-License-Identifier: MIT */
/*
 * perf report trees to stacks: which way a tree runs (caller or callee
 * first) and what its percentages are of (the parent or all samples) are
 * voted on over all entries; each node's own part becomes one stack with
 * the entry's symbol as its leaf, weighted in millionths of the event's
 * samples, and what the report does not list one "[not-listed]" stack.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "textin/report.h"

static bool frame_is(const struct rp *p, size_t f, const char *sym)
{
	return !strcmp(sd_tnames_get(&p->names, f), sym);
}

/* First and last frame on a node's path (SIZE_MAX: none). */
static size_t last_frame(const struct rp *p, size_t k)
{
	for (; k != SIZE_MAX; k = p->nodes[k].parent)
		if (p->nodes[k].nf)
			return p->nodes[k].f0 + p->nodes[k].nf - 1;
	return SIZE_MAX;
}

/* Does the tree start with sym, caller-first trees end in it? */
static void vote(const struct rp *p, const struct rentry *e, int *caller,
		 int *callee)
{
	size_t leaves = 0, leaf_sym = 0;
	bool first_sym = false, first_other = false;
	char sym[512];
	char *parts[8];
	int k = e->sym[0] ? sd_fold_frame(e->sym, "[unknown]", NULL, parts, 8) : 0;

	if (k <= 0)
		return;
	sd_tcopy(sym, sizeof sym, parts[0], strlen(parts[0]));
	for (int i = 0; i < k; i++)
		free(parts[i]);
	for (size_t j = e->n0; j < e->n0 + e->nn; j++) {
		const struct rnode *nd = &p->nodes[j];
		if (!nd->has_kids && !nd->rest) {
			size_t f = last_frame(p, j);
			leaves++;
			leaf_sym += f != SIZE_MAX && frame_is(p, f, sym);
		}
		/* the first frame of each tree top */
		bool top = j == e->n0 ? nd->nf > 0
				      : nd->parent == e->n0 && !p->nodes[e->n0].nf;
		if (top && nd->nf) {
			if (frame_is(p, nd->f0, sym))
				first_sym = true;
			else
				first_other = true;
		}
	}
	bool leaf_vote = leaves && leaf_sym * 2 >= leaves;
	bool first_vote = first_sym && !first_other;
	if (leaf_vote && !first_vote)
		(*caller)++;
	else if (first_vote && !leaf_vote)
		(*callee)++;
}

static int emit_stack(struct rp *p, const struct rentry *e, size_t node,
		      uint64_t weight, bool callee, struct sd_tnames *out)
{
	size_t chain[512], nc = 0;
	int err;

	sd_tnames_reset(out);
	for (size_t k = node; k != SIZE_MAX && nc < 512; k = p->nodes[k].parent)
		chain[nc++] = k;
	/* tree order: root node first */
	for (size_t c = nc; c-- > 0 ;) {
		const struct rnode *nd = &p->nodes[chain[c]];
		for (size_t f = nd->f0; f < nd->f0 + nd->nf; f++) {
			const char *nm = sd_tnames_get(&p->names, f);
			if ((err = sd_tnames_push(out, nm, strlen(nm), false)))
				return err;
		}
	}
	if (callee) /* leaf first -> root first */
		for (size_t a = 0, b = out->n; a + 1 < b; a++, b--) {
			size_t t = out->offs[a];
			out->offs[a] = out->offs[b - 1];
			out->offs[b - 1] = t;
		}
	if (e->sym[0]) {
		char *parts[8];
		int k = sd_fold_frame(e->sym, "[unknown]", NULL, parts, 8);
		if (k < 0)
			return -ENOMEM;
		bool have = k > 0 && out->n &&
			    !strcmp(sd_tnames_get(out, out->n - 1), parts[k - 1]);
		err = 0;
		for (int i = 0; i < k; i++) {
			if (!have && !err)
				err = sd_tnames_push(out, parts[i], strlen(parts[i]),
						     false);
			free(parts[i]);
		}
		if (err)
			return err;
	}
	const char *const *frames;
	if ((err = sd_tnames_ptrs(out, &frames)))
		return err;
	sd_text_mark_kernel(frames, out->kern, out->n, e->leaf);
	struct sd_text_sample s = {
		.event = p->events[e->event],
		.comm = e->comm[0] ? e->comm : "[unknown]",
		.pid = e->pid,
		.tid = e->pid,
		.count = weight,
		.weight = weight,
		.frames = frames,
		.kernel = out->kern,
		.nr_frames = out->n,
		.line = e->line,
		.offset = e->offset,
	};
	p->res->samples++;
	return p->ops->sample(p->ops->arg, &s);
}

static uint64_t to_weight(double fraction)
{
	double w = fraction * SD_TEXT_REPORT_SCALE;
	return w > 0 ? (uint64_t)llround(w) : 0;
}

int sd_treport_emit_all(struct rp *p)
{
	struct sd_tnames out = {.max = SD_TEXT_MAX_FRAMES};
	int caller = 0, callee = 0, err = 0;
	bool relative = false, evidence = false;

	for (size_t k = 0; k < p->nnodes; k++)
		if (p->nodes[k].has_kids) {
			evidence = true;
			if (p->nodes[k].kids_pct > p->nodes[k].pct + 0.5)
				relative = true;
		}
	if (!evidence)
		relative = p->old_style;
	for (size_t i = 0; i < p->nentries; i++)
		vote(p, &p->entries[i], &caller, &callee);
	bool is_callee = callee > caller;
	p->res->report_relative = relative;
	p->res->report_callee = is_callee;

	double *listed = calloc(p->nevents ? p->nevents : 1, sizeof *listed);
	if (!listed)
		return -ENOMEM;
	for (size_t i = 0; !err && i < p->nentries; i++) {
		const struct rentry *e = &p->entries[i];
		if (p->skip_event[e->event])
			continue;
		listed[e->event] += e->overhead;
		p->res->report_entries++;
		for (size_t j = e->n0; j < e->n0 + e->nn; j++) {
			struct rnode *nd = &p->nodes[j];
			if (nd->parent == SIZE_MAX)
				nd->abs = nd->pct / 100;
			else
				nd->abs = relative
					? p->nodes[nd->parent].abs * nd->pct / 100
					: nd->pct / 100;
			nd->kids = 0;
			if (nd->parent != SIZE_MAX)
				p->nodes[nd->parent].kids += nd->abs;
		}
		for (size_t j = e->n0; !err && j < e->n0 + e->nn; j++) {
			const struct rnode *nd = &p->nodes[j];
			uint64_t w = to_weight(nd->abs - nd->kids);
			if (w)
				err = emit_stack(p, e, j, w, is_callee, &out);
		}
	}
	/* what the text leaves out, so that shares stay of all samples */
	for (size_t ev = 0; !err && ev < p->nevents; ev++) {
		if (p->skip_event[ev])
			continue;
		uint64_t w = to_weight((100 - listed[ev]) / 100);
		if (listed[ev] > 100.5)
			sd_diags_add(p->diags, SD_WARNING, SD_E_BAD_RECORD,
				     UINT64_MAX,
				     "the entries of event '%s' add up to %.2f%%, "
				     "more than all samples: is this a report "
				     "with --children?", p->events[ev], listed[ev]);
		if (w) {
			static const char *const rest[] = {"[not-listed]"};
			static const bool user[] = {false};
			struct sd_text_sample s = {
				.event = p->events[ev],
				.comm = "[not-listed]",
				.pid = SD_TEXT_NO_PID,
				.tid = SD_TEXT_NO_PID,
				.count = w,
				.weight = w,
				.frames = rest,
				.kernel = user,
				.nr_frames = 1,
				.line = 0,
				.offset = 0,
			};
			p->res->samples++;
			err = p->ops->sample(p->ops->arg, &s);
		}
		if (!p->res->report_listed)
			p->res->report_listed = listed[ev];
	}
	for (size_t ev = 0; ev < p->nevents; ev++)
		if (p->skip_event[ev])
			p->res->skipped_events++;
	free(listed);
	sd_tnames_fini(&out);
	return err;
}

void sd_treport_notes(struct rp *p)
{
	if (!p->diags || !p->res->report_entries)
		return;
	sd_diags_add(p->diags, SD_NOTE, 0, UINT64_MAX,
		     "perf report text (%s, %s): shares are the report's own "
		     "percentages, turned into weights (%u = all samples of an "
		     "event); the text has no per-process pids and no timeline "
		     "(nor sched_switch records: see the stalls note), and perf "
		     "rounded every percentage to 0.01%%.",
		     p->res->report_callee ? "callee first" : "caller first",
		     p->res->report_relative ? "percentages of the parent"
					     : "percentages of all samples",
		     SD_TEXT_REPORT_SCALE);
	if (p->res->report_listed < 99.995)
		sd_diags_add(p->diags, SD_NOTE, 0, UINT64_MAX,
			     "The report lists %.2f%% of the samples; the other "
			     "%.2f%% are counted as '[not-listed]'.",
			     p->res->report_listed, 100 - p->res->report_listed);
	for (size_t ev = 0; ev < p->nevents; ev++)
		if (p->skip_event[ev])
			sd_diags_add(p->diags, SD_NOTE, 0, UINT64_MAX,
				     "The report's '%s' section is not analysed: "
				     "stalls need every switch in time order "
				     "(perf script).", p->events[ev]);
}

