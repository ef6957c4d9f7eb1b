/* SPDX-License-Identifier: MIT */
/*
 * The JSON report, schema "swapdiag-report/1" (man/swapdiag-report.5.scd,
 * machine-checkable as man/swapdiag-report.schema.json).  Unknown numbers
 * (durations from a sampled sched_switch) are null.  The objects made
 * once per process (a stall finding's victims) are made member by
 * member, not by json_pack(), which parses its format each time.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <swapdiag/bundle.h>
#include <swapdiag/report.h>

#include "report/json_doc.h"
#include "report/json_out.h"

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ksyms_json(const struct sd_analysis *a);

/* perf report text: weights are the report's percentages (in
 * SD_TEXT_REPORT_SCALE units), not sample counts, which it does not give */
static bool percent_weights(const struct sd_analysis *a)
{
	return a->input_kind == SD_INPUT_PERF_REPORT;
}

static json_t *count_or_null(const struct sd_analysis *a, uint64_t n)
{
	return percent_weights(a) ? json_null() : json_integer((json_int_t)n);
}

/* --time: the windows analysed, or null (the whole recording). */
static json_t *time_window_json(const struct sd_analysis *a)
{
	if (!a->time.n)
		return json_null();
	json_t *w = json_array();
	for (size_t i = 0; i < a->time.n; i++) {
		const struct sd_time_window *t = &a->time.w[i];
		json_array_append_new(
			w, json_pack("{s:o, s:o}", "start_s",
				     t->start ? json_real((double)t->start / 1e9)
					      : json_null(),
				     "end_s",
				     t->end ? json_real((double)t->end / 1e9)
					    : json_null()));
	}
	return json_pack("{s:s, s:o, s:I, s:I, s:o, s:o}", "spec", a->time.spec,
			 "windows", w, "samples_in", (json_int_t)a->samples,
			 "samples_outside", (json_int_t)a->time_skipped,
			 "first_s", a->first_time
			 ? json_real((double)a->first_time / 1e9) : json_null(),
			 "last_s", a->last_time
			 ? json_real((double)a->last_time / 1e9) : json_null());
}

static json_t *input_json(const struct sd_analysis *a,
			  const struct sd_diagnosis *d, const char *path)
{
	const struct sd_file_info *in = sd_analysis_info(a);
	const struct sd_reader_stats *st = sd_analysis_stats(a);
	json_t *events = json_array();
	/* with --time, the span of the samples analysed (the windows') */
	uint64_t first = a->time.n ? a->first_time : st->first_time;
	uint64_t last = a->time.n ? a->last_time : st->last_time;
	double dur = last > first ? (double)(last - first) / 1e9 : 0;

	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++) {
		const struct sd_evsel *ev = sd_analysis_evsel(a, i);
		/* text input may not say how an event was sampled: rate 0 */
		bool rate = ev->period_or_freq != 0;
		json_array_append_new(
			events,
			json_pack("{s:s, s:o, s:o, s:o}", "name", ev->name,
				  "samples", percent_weights(a) ? json_null()
				  : json_integer((json_int_t)ev->nr_samples),
				  "sampling", ev->freq ? json_string("freq")
				  : rate ? json_string("period") : json_null(),
				  "rate", rate ? json_integer((json_int_t)ev->period_or_freq)
					       : json_null()));
	}
	/* unknown numbers are null: no CPU count in the header, no sample
	 * times, a pipe's size, lost counts text does not carry */
	return json_pack(
		"{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, "
		"s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"path", path, "size_bytes",
		in->file_size || (!in->pipe && a->reader)
			? json_integer((json_int_t)in->file_size)
			: json_null(),
		/* text input: its kind ("perf-script", ...), no byte order */
		"mode", !a->reader ? sd_input_kind_name(a->input_kind)
			: in->pipe ? "pipe"
				   : "file",
		"byte_order",
		!a->reader ? json_null()
			   : json_string(in->order == SD_ORDER_BIG ? "big" : "little"),
		"perf_version",
		str_or_null(in->perf_version), "os_release",
		str_or_null(in->os_release), "hostname",
		str_or_null(in->hostname), "arch", str_or_null(in->arch),
		"cmdline", str_or_null(in->cmdline), "nr_cpus",
		in->nr_cpus_online ? json_integer((json_int_t)in->nr_cpus_online)
				   : json_null(),
		"duration_s", dur > 0 ? json_real(dur) : json_null(), "truncated",
		st->truncated, "truncated_at",
		st->truncated ? json_integer((json_int_t)st->truncated_at)
			      : json_null(),
		"damage",
		d->damage ? json_pack("{s:o, s:s}", "offset",
				      d->damage_offset == UINT64_MAX
					      ? json_null()
					      : json_integer((json_int_t)
								     d->damage_offset),
				      "message", d->damage)
			  : json_null(),
		"lost_events",
		a->reader ? json_integer((json_int_t)st->lost_events) : json_null(),
		"lost_samples",
		a->reader ? json_integer((json_int_t)st->lost_samples)
			  : json_null(),
		"events", events, "kernel_symbols", ksyms_json(a),
		"time_window", time_window_json(a));
}

/* input.kernel_symbols: where kernel symbols came from, and whether they
 * belong to the recorded kernel (true, false, or null: could not tell). */
static json_t *ksyms_json(const struct sd_analysis *a)
{
	const struct sd_kernel_symbols *ks = sd_analysis_kernel_symbols(a);
	char hex[2 * SD_BUILD_ID_MAX + 1];

	if (!ks)
		return json_null();
	sd_build_id_hex(&ks->build_id, hex);
	const char *path = ks->source == SD_KSYM_PERF_ARCHIVE &&
				   a->archive_path && *a->archive_path
			   ? a->archive_path : ks->path;
	return json_pack("{s:s, s:o, s:o, s:o, s:s, s:b}", "source",
			 sd_ksym_source_name(ks->source), "path",
			 str_or_null(path), "build_id",
			 ks->build_id.size ? json_string(hex) : json_null(),
			 "matches",
			 ks->matches < 0 ? json_null() : json_boolean(ks->matches),
			 "evidence", ks->evidence, "unchecked",
			 ks->unchecked && ks->matches == 0);
}

static json_t *kib_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

/* The recorded host's context (a bundle's), or null. */
static json_t *host_json(const struct sd_host *h)
{
	if (!h)
		return json_null();

	json_t *swaps = json_array(), *vm = json_object(),
	       *procs = json_array();
	for (size_t i = 0; i < h->nr_swaps; i++) {
		const struct sd_host_swap *s = &h->swaps[i];
		json_array_append_new(
			swaps, json_pack("{s:s, s:s, s:o, s:o, s:I}", "name",
					 s->name, "type", s->type, "size_kib",
					 kib_or_null(s->size_kib), "used_kib",
					 kib_or_null(s->used_kib), "priority",
					 (json_int_t)s->priority));
	}
	for (size_t i = 0; i < h->nr_vm; i++)
		json_object_set_new(vm, h->vm[i].name,
				    json_string(h->vm[i].value));
	for (size_t i = 0; i < h->nr_procs; i++) {
		const struct sd_host_proc *p = &h->procs[i];
		json_array_append_new(
			procs, json_pack("{s:s, s:I, s:o, s:o}", "comm", p->comm,
					 "pid", (json_int_t)p->pid, "vmswap_kib",
					 kib_or_null(p->swap_kib), "vmrss_kib",
					 kib_or_null(p->rss_kib)));
	}
	return json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"uname", str_or_null(h->uname), "recorded_at",
		str_or_null(h->created), "record_command",
		str_or_null(h->record_command), "duration_s",
		h->duration_s < 0 ? json_null() : json_real(h->duration_s),
		"swappiness", kib_or_null(h->swappiness), "swaps", swaps,
		"meminfo",
		json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "mem_total_kib",
			  kib_or_null(h->mem_total_kib), "mem_available_kib",
			  kib_or_null(h->mem_available_kib), "swap_total_kib",
			  kib_or_null(h->swap_total_kib), "swap_free_kib",
			  kib_or_null(h->swap_free_kib), "swap_cached_kib",
			  kib_or_null(h->swap_cached_kib), "anon_pages_kib",
			  kib_or_null(h->anon_pages_kib)),
		"vm", vm, "forks", kib_or_null(h->forks), "forks_per_s",
		h->forks_per_s < 0 ? json_null() : json_real(h->forks_per_s),
		"swapped_processes", procs);
}

/* swap_dup_fork: the forking user code paths (see swapdiag-report(5)) */
static json_t *fork_sites_json(const struct sd_analysis *a,
			       const struct sd_finding *f)
{
	json_t *v = json_array();

	for (size_t i = 0; i < f->nr_fork_sites; i++) {
		const struct sd_fork_site *s = &f->fork_sites[i];
		json_t *fr = json_array();
		for (size_t k = 0; k < s->nr_frames; k++)
			json_array_append_new(fr, json_string(s->frames[k]));
		json_array_append_new(
			v, json_pack("{s:s, s:o, s:s, s:o}", "comm", s->comm,
				     "frames", fr, "entry", s->entry, "samples",
				     count_or_null(a, s->samples)));
	}
	return v;
}

/* The lock objects a stall finding's sleeps were on: null when the
 * recording has no lock:contention_begin/end to group them by. */
static json_t *stall_locks(const struct sd_finding *f)
{
	if (!f->locks_known)
		return json_null();
	json_t *v = json_array();
	for (size_t i = 0; i < f->nr_locks; i++) {
		const struct sd_lock_group *l = &f->locks[i];
		char addr[32];
		snprintf(addr, sizeof addr, "0x%" PRIx64, l->address);
		json_t *h = l->has_holder
				    ? json_pack("{s:s, s:I}", "comm",
						l->holder_comm, "pid",
						(json_int_t)l->holder_pid)
				    : json_null();
		json_array_append_new(
			v, json_pack("{s:s, s:I, s:o, s:o, s:o, s:s}", "address",
				     addr, "stalls", (json_int_t)l->stalls,
				     "blocked_ms", num_or_null(l->blocked_ms),
				     "max_ms", num_or_null(l->max_ms), "holder",
				     h, "tied_by", sd_tie_name(l->tie)));
	}
	return json_pack("{s:I, s:I, s:o}", "objects",
			 (json_int_t)f->nr_locks_total, "stalls_tied",
			 (json_int_t)f->stalls_tied, "top", v);
}

/* Where the CPU went (swapdiag-report(5), hot). */
static json_t *hot_json(const struct sd_diagnosis *d)
{
	json_t *procs = json_array(), *paths = json_array();

	for (size_t i = 0; i < d->nr_hot_procs; i++) {
		const struct sd_hot_proc *p = &d->hot_procs[i];
		json_array_append_new(
			procs, json_pack("{s:s, s:o, s:I, s:f}", "comm", p->comm,
					 "exe", p->exe ? json_string(p->exe)
						       : json_null(),
					 "samples", (json_int_t)p->samples,
					 "share", p->share));
	}
	for (size_t i = 0; i < d->nr_hot_paths; i++) {
		const struct sd_hot_path *p = &d->hot_paths[i];
		json_t *fr = json_array();
		for (size_t k = 0; k < p->nr_frames; k++)
			json_array_append_new(fr, json_string(p->frames[k]));
		json_array_append_new(
			paths, json_pack("{s:s, s:o, s:I, s:f}", "name", p->name,
					 "frames", fr, "samples",
					 (json_int_t)p->samples, "share",
					 p->share));
	}
	return json_pack("{s:o, s:o}", "processes", procs, "kernel_paths",
			 paths);
}

/* swap_dup_fork: who forks, per executable (swapdiag-report(5)). */
static json_t *forkers_json(const struct sd_finding *f)
{
	json_t *v = json_array();

	for (size_t i = 0; i < f->nr_forkers; i++) {
		const struct sd_forker *k = &f->forkers[i];
		json_t *pids = json_array(), *execs = json_array();
		for (size_t j = 0; j < k->nr_pids; j++)
			json_array_append_new(pids, json_integer(k->pids[j]));
		for (size_t j = 0; j < k->nr_execs; j++)
			json_array_append_new(
				execs, json_pack("{s:s, s:I}", "exe",
						 k->execs[j].name, "count",
						 (json_int_t)k->execs[j].count));
		json_array_append_new(
			v, json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:I, s:o, "
				     "s:o, s:o, s:o}",
				     "exe", k->exe, "comm", k->comm, "pids", pids,
				     "nr_pids", (json_int_t)k->nr_pids_total,
				     "forks", (json_int_t)k->forks,
				     "forks_per_s", num_or_null(k->forks_per_s),
				     "samples", (json_int_t)k->samples,
				     "cpu_ms", num_or_null(k->cpu_ms),
				     "cpu_ms_per_fork",
				     num_or_null(k->cpu_ms_per_fork),
				     "vmswap_kib",
				     k->swap_kib >= 0
					     ? json_integer((json_int_t)k->swap_kib)
					     : json_null(),
				     "execs", execs));
	}
	return v;
}

/*
 * One victim of a stall finding, as json_pack("{s:s, s:I, s:I, s:o, s:o}")
 * makes it (NULL when the comm is not UTF-8, or without memory), member
 * by member: a stall finding lists every process that slept, and the
 * format parsed for each cost ~2.5 k instructions (dso: 1420 victims,
 * -3.5 M).
 */
static json_t *victim_json(const struct sd_victim *v)
{
	json_t *o = json_object();
	json_t *m[5] = {json_string(v->comm), json_integer((json_int_t)v->pid),
			json_integer((json_int_t)v->stalls),
			num_or_null(v->blocked_ms), num_or_null(v->max_ms)};
	static const char *const key[5] = {"comm", "pid", "stalls",
					   "blocked_ms", "max_ms"};
	bool ok = o;

	/* a NULL member fails its set (and a failed set frees its
	 * member): the others are freed */
	for (int k = 0; k < 5; k++) {
		if (ok)
			ok = !json_object_set_new_nocheck(o, key[k], m[k]);
		else
			json_decref(m[k]);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *finding_json(const struct sd_analysis *a,
			    const struct sd_finding *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id",
			      sd_finding_key(f->kind), "severity",
			      sd_level_name(f->level), "title", f->title, "why",
			      f->why);
	json_t *procs = json_array(), *paths = json_array();

	for (size_t i = 0; i < f->nr_procs; i++) {
		const struct sd_process *p = &f->procs[i];
		json_t *pids = json_array();
		size_t unknown = 0; /* pid -1: text input, a task torn down */
		for (size_t k = 0; k < p->nr_pids; k++) {
			if (p->pids[k] == UINT32_MAX)
				unknown = 1;
			else
				json_array_append_new(pids, json_integer(p->pids[k]));
		}
		json_array_append_new(
			procs, json_pack("{s:s, s:o, s:I, s:o, s:f}", "comm",
					 p->comm, "pids", pids, "nr_pids",
					 (json_int_t)(p->nr_pids_total - unknown),
					 "samples", count_or_null(a, p->samples),
					 "share", p->share));
	}
	for (size_t i = 0; i < f->nr_paths; i++) {
		json_t *fr = json_array();
		for (size_t k = 0; k < f->paths[i].nr_frames; k++)
			json_array_append_new(fr,
					      json_string(f->paths[i].frames[k]));
		json_array_append_new(paths,
				      json_pack("{s:o, s:o}", "frames", fr,
						"samples",
						count_or_null(a, f->paths[i].samples)));
	}
	json_object_set_new(o, "processes", procs);
	json_object_set_new(o, "paths", paths);
	if (sd_finding_on_cpu(f->kind)) {
		json_t *tl = json_array();
		for (size_t i = 0; i < f->nr_timeline; i++)
			json_array_append_new(tl, json_real(f->timeline[i]));
		json_object_set_new(o, "share", json_real(f->share));
		json_object_set_new(o, "samples", count_or_null(a, f->samples));
		json_object_set_new(
			o, "context",
			json_pack("{s:s, s:o, s:f}", "name", f->context_name,
				  "samples", count_or_null(a, f->context_samples),
				  "share", f->context_share));
		json_object_set_new(o, "timeline",
				    json_pack("{s:f, s:o, s:o}", "bucket_s", 1.0,
					      "start_s", f->timeline_start
					      ? json_real((double)f->timeline_start / 1e9)
					      : json_null(),
					      "share", tl));
		if (f->kind == SD_FIND_SWAP_DUP_FORK ||
		    f->kind == SD_FIND_FORK_COPY) {
			json_object_set_new(o, "fork_sites", fork_sites_json(a, f));
			json_object_set_new(o, "forkers", forkers_json(f));
		}
		if (f->kind == SD_FIND_FORK_COPY)
			return o;
		json_object_set_new(o, "lock_share", json_real(f->lock_share));
		json_object_set_new(o, "lock_contended_share",
				    json_real(f->lock_contended_share));
		json_object_set_new(o, "lock_note",
				    f->lock_note ? json_string(f->lock_note)
						 : json_null());
		return o;
	}
	json_t *victims = json_array(), *holders = json_array();
	for (size_t i = 0; i < f->nr_victims; i++) {
		const struct sd_victim *v = &f->victims[i];
		json_array_append_new(victims, victim_json(v));
	}
	for (size_t i = 0; i < f->nr_holders; i++)
		json_array_append_new(
			holders,
			json_pack("{s:s, s:I, s:I, s:I, s:s}", "comm",
				  f->holders[i].comm, "pid",
				  (json_int_t)f->holders[i].pid, "samples",
				  (json_int_t)f->holders[i].samples, "stalls",
				  (json_int_t)f->holders[i].stalls, "tied_by",
				  sd_tie_name(f->holders[i].tie)));
	json_object_set_new(o, "share", json_null());
	json_object_set_new(o, "samples", json_integer((json_int_t)f->stalls));
	json_object_set_new(o, "context", json_null());
	json_object_set_new(o, "timeline", json_null());
	json_object_set_new(o, "stalls", json_integer((json_int_t)f->stalls));
	json_object_set_new(o, "stalls_without_wakeup",
			    json_integer((json_int_t)f->stalls_unfinished));
	json_object_set_new(o, "durations_known", json_boolean(f->durations_known));
	json_object_set_new(o, "blocked_ms_total", num_or_null(f->blocked_ms_total));
	json_object_set_new(o, "blocked_ms_max", num_or_null(f->blocked_ms_max));
	json_object_set_new(o, "victims", victims);
	json_object_set_new(o, "lock_holders", holders);
	json_object_set_new(o, "locks", stall_locks(f));
	return o;
}

static int dump(FILE *out, json_t *doc)
{
	/* straight into a buffer of blocks written whole (json_out.c):
	 * json_dumps() makes the whole text first, token by token through a
	 * callback, and json_dumpf() hands the stream every token */
	char buf[1 << 16];
	struct sd_out wr;

	sd_out_init(&wr, out, buf, sizeof buf);
	int err = sd_json_out(&wr, doc);
	json_decref(doc);
	if (!err)
		sd_out_bytes(&wr, "\n", 1);
	sd_out_flush(&wr);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}

json_t *sd_report_json_doc(const struct sd_analysis *a,
			   const struct sd_diagnosis *d, const char *path)
{
	json_t *findings = json_array(), *remedies = json_array(),
	       *notes = json_array(), *warnings = json_array();

	for (size_t i = 0; i < d->nr_findings; i++)
		json_array_append_new(findings, finding_json(a, &d->findings[i]));
	for (size_t i = 0; i < d->nr_remedies; i++) {
		const struct sd_remedy_fit *fit = d->fits ? &d->fits[i] : NULL;
		json_t *to = json_array();
		for (size_t k = 0; fit && k < fit->nr_applies_to; k++)
			json_array_append_new(to, json_string(fit->applies_to[k]));
		json_array_append_new(
			remedies,
			json_pack("{s:s, s:s, s:o, s:o}", "id", d->remedies[i]->id,
				  "text", d->remedies[i]->text, "applies_to", to,
				  "because",
				  fit && fit->because ? json_string(fit->because)
						      : json_null()));
	}
	for (size_t i = 0; i < d->nr_notes; i++)
		json_array_append_new(notes, json_string(d->notes[i]));
	for (size_t i = 0; i < a->diags.n; i++) {
		const struct sd_diag *g = &a->diags.v[i];
		json_array_append_new(
			warnings,
			json_pack("{s:s, s:o, s:s}", "severity",
				  g->severity == SD_ERROR     ? "error"
				  : g->severity == SD_WARNING ? "warning"
							      : "note",
				  "offset",
				  g->offset == UINT64_MAX
					  ? json_null()
					  : json_integer((json_int_t)g->offset),
				  "message", g->text ? g->text : ""));
	}
	json_t *doc = json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
		"s:o, s:o}",
		"schema", SD_REPORT_SCHEMA, "tool_version", SWAPDIAG_VERSION,
		"verdict", d->verdict, "severity", sd_severity_name(d),
		"input", input_json(a, d, path), "host", host_json(a->host),
		"kernel_era", str_or_null(d->era),
		"kernel_era_source", str_or_null(d->era_source),
		"swap_lock", str_or_null(d->lock),
		/* the fork and exec sides together: what the severity judged */
		"swap_entry",
		d->swap_level ? json_pack("{s:f, s:s}", "share", d->swap_share,
					  "severity", sd_level_name(d->swap_level))
			      : json_null(),
		"findings", findings,
		"remedies", remedies, "notes", notes, "warnings", warnings);
	if (doc)
		json_object_set_new(doc, "hot", hot_json(d));
	return doc;
}

int sd_report_json(FILE *out, const struct sd_analysis *a,
		   const struct sd_diagnosis *d, const char *path)
{
	json_t *doc = sd_report_json_doc(a, d, path);

	if (!doc)
		return -ENOMEM;
	return dump(out, doc);
}

int sd_report_json_error(FILE *out, const char *path, int err,
			 const struct sd_diags *why)
{
	json_t *details = json_array();

	for (size_t i = 0; why && i < why->n; i++)
		json_array_append_new(
			details,
			json_pack("{s:o, s:s}", "offset",
				  why->v[i].offset == UINT64_MAX
					  ? json_null()
					  : json_integer((json_int_t)why->v[i].offset),
				  "message", why->v[i].text ? why->v[i].text : ""));
	/* nothing was judged: "unknown", so that no reader takes the
	 * missing verdict for a healthy one */
	json_t *doc = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:o}}", "schema",
				SD_REPORT_SCHEMA, "tool_version", SWAPDIAG_VERSION,
				"severity", "unknown", "error", "input", path,
				"message", sd_strerror(err), "details", details);
	if (!doc)
		return -ENOMEM;
	return dump(out, doc);
}
