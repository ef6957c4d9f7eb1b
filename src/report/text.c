/* SPDX-License-Identifier: MIT */
/*
 * The text verdict: readable in ten seconds.  First line: the verdict.
 * Then one block per finding (share, processes, hot path, trend, why),
 * the remedies for the recorded kernel, and what could not be judged.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <swapdiag/bundle.h>
#include <swapdiag/report.h>
#include <swapdiag/textin.h>
#include "report/forker.h"
#include "report/window.h"

#include "report/ksyms.h"

struct style {
	const char *bold, *red, *yellow, *cyan, *dim, *off;
};

static const struct style plain = {"", "", "", "", "", ""};
static const struct style ansi = {"\033[1m", "\033[1;31m", "\033[1;33m",
				  "\033[36m", "\033[2m", "\033[0m"};

static const char *level_color(const struct style *s, enum sd_level l)
{
	return l == SD_LEVEL_CRITICAL ? s->red
	       : l == SD_LEVEL_WARNING ? s->yellow
				       : s->cyan;
}

static void sparkline(FILE *out, const double *v, size_t n)
{
	static const char *const bars[] = {"\xe2\x96\x81", "\xe2\x96\x82",
		"\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
		"\xe2\x96\x87", "\xe2\x96\x88"};
	double mx = 0;
	size_t shown = n > 60 ? 60 : n;

	for (size_t i = 0; i < n; i++)
		if (v[i] > mx)
			mx = v[i];
	for (size_t i = 0; i < shown; i++) {
		/* with more seconds than columns, each column is the peak */
		size_t a = i * n / shown, b = (i + 1) * n / shown;
		double pk = 0;
		for (size_t k = a; k < b; k++)
			if (v[k] > pk)
				pk = v[k];
		int idx = mx > 0 ? (int)(pk / mx * 7.0 + 0.5) : 0;
		fputs(bars[idx < 0 ? 0 : idx > 7 ? 7 : idx], out);
	}
}

static void print_path(FILE *out, const struct sd_path *p)
{
	for (size_t i = 0; i < p->nr_frames; i++)
		fprintf(out, "%s%s", i ? " > " : "", p->frames[i]);
}

/*
 * One short line: the heaviest site of each of the first forkers, its
 * last three frames (the callers closest to the fork) and the entry.
 */
static void print_fork_sites(FILE *out, const struct sd_finding *f, bool pct,
			     const struct style *s)
{
	const char *shown[3];
	size_t nshown = 0;

	if (!f->nr_fork_sites)
		return;
	fprintf(out, "  forks from:%s", s->dim);
	for (size_t i = 0; i < f->nr_fork_sites && nshown < 3; i++) {
		const struct sd_fork_site *fs = &f->fork_sites[i];
		bool seen = false;
		for (size_t k = 0; k < nshown; k++)
			seen |= !strcmp(shown[k], fs->comm);
		if (seen)
			continue;
		fprintf(out, "%s %s: %s", nshown ? ";" : "", fs->comm,
			fs->nr_frames > 3 ? "... > " : "");
		size_t from = fs->nr_frames > 3 ? fs->nr_frames - 3 : 0;
		for (size_t k = from; k < fs->nr_frames; k++)
			fprintf(out, "%s > ", fs->frames[k]);
		if (pct)
			fprintf(out, "%s (%.2f%%)", fs->entry,
				100.0 * (double)fs->samples / SD_TEXT_REPORT_SCALE);
		else
			fprintf(out, "%s (%" PRIu64 ")", fs->entry, fs->samples);
		shown[nshown++] = fs->comm;
	}
	fprintf(out, "%s\n", s->off);
}

static void print_procs(FILE *out, const struct sd_finding *f)
{
	fprintf(out, "  processes:");
	for (size_t i = 0; i < f->nr_procs && i < 4; i++) {
		const struct sd_process *p = &f->procs[i];
		/* pid -1 is not known (text input, a task being torn down) */
		size_t known = p->nr_pids, total = p->nr_pids_total;
		if (known && p->pids[known - 1] == UINT32_MAX) {
			known--;
			total--;
		}
		fprintf(out, "%s %s %.1f%%", i ? "," : "", p->comm,
			p->share * 100);
		if (!total)
			continue;
		fprintf(out, " (pid%s", total > 1 ? "s" : "");
		for (size_t k = 0; k < known && k < 4; k++)
			fprintf(out, " %u", p->pids[k]);
		if (total > 4)
			fprintf(out, " +%zu", total - 4);
		fprintf(out, ")");
	}
	if (f->nr_procs > 4)
		fprintf(out, ", +%zu more", f->nr_procs - 4);
	fprintf(out, "\n");
}

/* perf report text: its weights are the report's percentages, not
 * sample counts (it gives none) */
static bool percent_weights(const struct sd_analysis *a)
{
	return a->input_kind == SD_INPUT_PERF_REPORT;
}

static void print_cpu_finding(FILE *out, const struct sd_analysis *a,
			      const struct sd_finding *f, const struct style *s)
{
	bool pct = percent_weights(a);

	if (pct)
		fprintf(out, "  %.1f%% of on-CPU samples (perf report's "
			"percentages)", f->share * 100);
	else
		fprintf(out, "  %.1f%% of on-CPU samples (%" PRIu64 ")",
			f->share * 100, f->samples);
	if (f->context_name)
		fprintf(out, "; %s: %.1f%%", f->context_name,
			f->context_share * 100);
	fprintf(out, "\n");
	print_procs(out, f);
	if (f->nr_paths && pct) {
		fprintf(out, "  hot path (%.2f%%): %s",
			100.0 * (double)f->paths[0].samples / SD_TEXT_REPORT_SCALE,
			s->dim);
		print_path(out, &f->paths[0]);
		fprintf(out, "%s\n", s->off);
	} else if (f->nr_paths) {
		fprintf(out, "  hot path (%" PRIu64 "): %s", f->paths[0].samples,
			s->dim);
		print_path(out, &f->paths[0]);
		fprintf(out, "%s\n", s->off);
	}
	print_fork_sites(out, f, pct, s);
	for (size_t i = 0; i < f->nr_forkers && i < 3; i++) {
		char line[256];
		sd_report_forker_line(&f->forkers[i],
					      f->kind == SD_FIND_SWAP_DUP_FORK,
					      line, sizeof line);
		fprintf(out, "  forker: %s\n", line);
	}
	if (f->nr_timeline > 1) {
		fprintf(out, "  per second: ");
		sparkline(out, f->timeline, f->nr_timeline);
		double mx = 0;
		for (size_t i = 0; i < f->nr_timeline; i++)
			if (f->timeline[i] > mx)
				mx = f->timeline[i];
		fprintf(out, " (peak %.1f%%)\n", mx * 100);
	}
}

/* "ps (pid 9828) 2 sleeps, 3.3 ms in all, longest 2.1 ms", one a line. */
static void print_victims(FILE *out, const struct sd_finding *f)
{
	for (size_t i = 0; i < f->nr_victims && i < 5; i++) {
		const struct sd_victim *v = &f->victims[i];
		fprintf(out, "  %-8s %s (pid %u) %" PRIu64 " sleep%s",
			i ? "" : "victims:", v->comm, v->pid, v->stalls,
			v->stalls == 1 ? "" : "s");
		if (!isnan(v->blocked_ms))
			fprintf(out, ", %.*f ms in all, longest %.*f ms",
				v->blocked_ms < 1 ? 2 : 1, v->blocked_ms,
				v->max_ms < 1 ? 2 : 1, v->max_ms);
		fprintf(out, "\n");
	}
	if (f->nr_victims > 5)
		fprintf(out, "%11s+%zu more\n", "", f->nr_victims - 5);
}

static void print_holders(FILE *out, const struct sd_finding *f)
{
	if (f->locks_known)
		fprintf(out, "  %zu lock object%s (lock:contention_begin "
			"addresses); %" PRIu64 " of %" PRIu64
			" sleeps tied to a holder\n",
			f->nr_locks_total, f->nr_locks_total == 1 ? "" : "s",
			f->stalls_tied, f->stalls);
	if (!f->nr_holders)
		return;
	fprintf(out, "  %s:", f->kind == SD_FIND_EXEC_LOCK_STALL
				      ? "holding it in exec (replacing its "
					"address space)"
				      : "holding it while copying page tables");
	for (size_t i = 0; i < f->nr_holders && i < 4; i++)
		fprintf(out, "%s %s (pid %u, %" PRIu64 " sleep%s)", i ? "," : "",
			f->holders[i].comm, f->holders[i].pid,
			f->holders[i].stalls,
			f->holders[i].stalls == 1 ? "" : "s");
	if (f->nr_holders > 4)
		fprintf(out, ", +%zu more", f->nr_holders - 4);
	fprintf(out, "\n");
}

static void print_stall_finding(FILE *out, const struct sd_finding *f,
				const struct style *s)
{
	fprintf(out, "  %" PRIu64 " D-state sleeps", f->stalls);
	if (f->durations_known) {
		fprintf(out, ", blocked %.1f ms in total, longest %.1f ms",
			f->blocked_ms_total, f->blocked_ms_max);
		if (f->stalls_unfinished)
			fprintf(out, " (%" PRIu64 " without a recorded wake-up)",
				f->stalls_unfinished);
	} else {
		fprintf(out, " seen (durations unknown: sampled sched_switch)");
	}
	fprintf(out, "\n");
	print_victims(out, f);
	print_holders(out, f);
	for (size_t i = 0; i < f->nr_paths && i < 3; i++) {
		fprintf(out, "  path: %s", s->dim);
		print_path(out, &f->paths[i]);
		fprintf(out, "%s\n", s->off);
	}
}

/* Word-wraps text at 76 columns; continuation lines are indented as far
 * as the first line's prefix. */
static void wrap(FILE *out, const char *indent, const char *text)
{
	size_t col, width = 76, ind = strlen(indent);
	const char *p = text;
	bool first = true;

	fputs(indent, out);
	col = ind;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (!w)
			break;
		if (!first && col + 1 + w > width) {
			fprintf(out, "\n%*s", (int)ind, "");
			col = ind;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
		first = false;
	}
	fputc('\n', out);
}

/* KiB as people read it: "1.9 GiB", "256.0 MiB", "512 KiB". */
static void kib_text(char *buf, size_t n, int64_t kib)
{
	if (kib >= 1000 * 1024)
		snprintf(buf, n, "%.1f GiB", (double)kib / (1024 * 1024));
	else if (kib >= 1000)
		snprintf(buf, n, "%.1f MiB", (double)kib / 1024);
	else
		snprintf(buf, n, "%lld KiB", (long long)kib);
}

/* The bundle's host context, in one wrapped paragraph. */
static void print_host(FILE *out, const struct sd_host *h)
{
	char text[1024], sz[32], tot[32];
	size_t o = 0;

#define ADD(...)                                                               \
	do {                                                                   \
		if (o < sizeof text)                                           \
			o += (size_t)snprintf(text + o, sizeof text - o,       \
					      __VA_ARGS__);                    \
	} while (0)
	for (size_t i = 0; i < h->nr_procs && i < 3; i++) {
		const struct sd_host_proc *p = &h->procs[i];
		kib_text(sz, sizeof sz, p->swap_kib);
		if (!i)
			ADD("%s (pid %u) had %s in swap", p->comm, p->pid, sz);
		else
			ADD(", %s (pid %u) %s", p->comm, p->pid, sz);
	}
	if (!h->nr_procs)
		ADD("no process had memory in swap");
	if (h->swappiness >= 0)
		ADD("; swappiness %lld", (long long)h->swappiness);
	if (h->swap_total_kib > 0 && h->swap_free_kib >= 0 &&
	    h->swap_free_kib <= h->swap_total_kib) {
		kib_text(sz, sizeof sz, h->swap_total_kib - h->swap_free_kib);
		kib_text(tot, sizeof tot, h->swap_total_kib);
		ADD("; swap %s of %s used", sz, tot);
	} else if (h->swap_total_kib == 0) {
		ADD("; no swap");
	}
	if (h->forks_per_s >= 0)
		ADD("; %.0f forks/s", h->forks_per_s);
#undef ADD
	wrap(out, "host: ", text);
}

/* Text input: its kind, and what its --header lines said, if anything. */
static void print_text_input(FILE *out, const struct sd_analysis *a,
			     const char *path)
{
	const struct sd_file_info *in = sd_analysis_info(a);

	fprintf(out, "\n%s: %s", path, sd_input_kind_title(a->input_kind));
	if (in->hostname)
		fprintf(out, ", host %s", in->hostname);
	if (in->os_release)
		fprintf(out, ", kernel %s", in->os_release);
	/* only what the text says: no "?" or "0 CPUs" */
	if (in->arch || in->nr_cpus_online) {
		fprintf(out, " (%s%s", in->arch ? in->arch : "",
			in->arch && in->nr_cpus_online ? ", " : "");
		if (in->nr_cpus_online)
			fprintf(out, "%u CPUs", in->nr_cpus_online);
		fputc(')', out);
	}
	if (in->perf_version)
		fprintf(out, ", perf %s", in->perf_version);
}

/* What the verdict's shares weigh, as the flame graph says it: "period
 * (ns)"; NULL when the on-CPU event is not known. */
static const char *shares_weight(const struct sd_analysis *a,
				 const struct sd_diagnosis *d)
{
	const struct sd_evsel *ev =
		d->on_cpu_event ? sd_analysis_find_evsel(a, d->on_cpu_event)
				: NULL;
	return ev ? sd_analysis_weight_name(a, ev, SD_WEIGHT_PERIOD) : NULL;
}

/* "kernel symbols: FILE (verified: evidence)", wrapped. */
static void print_ksyms(FILE *out, const struct sd_analysis *a)
{
	const struct sd_kernel_symbols *ks = sd_analysis_kernel_symbols(a);
	const char *where;
	char text[1024];

	if (!ks)
		return;
	if (ks->source == SD_KSYM_PERF_ARCHIVE && ks->matches > 0) {
		/* found by the recorded build-id: verified by construction */
		fprintf(out, "kernel symbols: perf archive%s%s%s, build-id "
			"verified\n",
			a->archive_path && *a->archive_path ? " (" : "",
			a->archive_path ? a->archive_path : "",
			a->archive_path && *a->archive_path ? ")" : "");
		return;
	}
	where = sd_ksyms_where(ks);
	const char *path = ks->source == SD_KSYM_PERF_ARCHIVE &&
				   a->archive_path && *a->archive_path
			   ? a->archive_path : ks->path;
	if (ks->source == SD_KSYM_NONE)
		snprintf(text, sizeof text, "none (%s)", ks->evidence);
	else
		snprintf(text, sizeof text, "%s%s%s%s (%s: %s)",
			 path ? path : "", where ? " [" : "",
			 where ? where : "", where ? "]" : "",
			 sd_ksyms_state(ks), ks->evidence);
	wrap(out, "kernel symbols: ", text);
}

int sd_report_text(FILE *out, const struct sd_analysis *a,
		   const struct sd_diagnosis *d, const char *path, bool color)
{
	const struct style *s = color ? &ansi : &plain;
	const struct sd_file_info *in = sd_analysis_info(a);

	fprintf(out, "%s%s%s%s\n", s->bold,
		d->unknown ? s->yellow : d->level ? level_color(s, d->level) : "",
		d->verdict, s->off);
	/* a damaged input says so before anything stands on it */
	if (d->damage) {
		char buf[1024];
		snprintf(buf, sizeof buf, "%s; the report covers what was "
			 "readable.", d->damage);
		fprintf(out, "%s", s->yellow);
		wrap(out, "DAMAGED INPUT: ", buf);
		fprintf(out, "%s", s->off);
	}
	if (a->reader) {
		/* what the file does not say is "unknown", never a guess */
		char cpus[32] = "CPUs unknown";
		if (in->nr_cpus_online)
			snprintf(cpus, sizeof cpus, "%u CPUs",
				 in->nr_cpus_online);
		fprintf(out, "\n%s: host %s, kernel %s (%s, %s), perf %s", path,
			in->hostname ? in->hostname : "unknown",
			in->os_release ? in->os_release : "unknown",
			in->arch ? in->arch : "arch unknown", cpus,
			in->perf_version ? in->perf_version : "unknown");
	} else
		print_text_input(out, a, path);
	if (d->duration_s > 0)
		fprintf(out, ", %.1f s", d->duration_s);
	if (a->input_kind == SD_INPUT_PERF_REPORT)
		fprintf(out, ", %s%sshares are the report's own percentages\n",
			d->on_cpu_event && strcmp(d->on_cpu_event, "perf-report")
				? d->on_cpu_event : "",
			d->on_cpu_event && strcmp(d->on_cpu_event, "perf-report")
				? ": " : "");
	else if (a->input_kind == SD_INPUT_FOLDED)
		fprintf(out, ", %" PRIu64 " samples\n", d->on_cpu_samples);
	else
		fprintf(out, ", %" PRIu64 " %s samples%s%s\n", d->on_cpu_samples,
			d->on_cpu_event ? d->on_cpu_event : "on-CPU",
			shares_weight(a, d) ? "; shares weighted by " : "",
			shares_weight(a, d) ? shares_weight(a, d) : "");
	print_ksyms(out, a);
	char win[1024];
	if (sd_window_describe(a, win, sizeof win))
		wrap(out, "", win);
	if (d->era && d->era_source && !strcmp(d->era_source, "frames"))
		fprintf(out, "kernel era %s (inferred from frame names: %s); "
			"swap lock: %s\n", d->era, d->era_evidence, d->lock);
	else if (d->era)
		fprintf(out, "kernel era %s; swap lock: %s\n", d->era, d->lock);
	if (a->host)
		print_host(out, a->host);

	for (size_t i = 0; i < d->nr_findings; i++) {
		const struct sd_finding *f = &d->findings[i];
		fprintf(out, "\n%s[%s]%s %s%s%s: %s\n", level_color(s, f->level),
			sd_level_name(f->level), s->off, s->bold,
			sd_finding_key(f->kind), s->off, f->title);
		if (sd_finding_on_cpu(f->kind))
			print_cpu_finding(out, a, f, s);
		else
			print_stall_finding(out, f, s);
		wrap(out, "  why: ", f->why);
		if (f->lock_note)
			wrap(out, "  lock: ", f->lock_note);
	}
	/* not swap: where the CPU went instead (JSON hot has all of it) */
	if (d->swap_share <= 0 && (d->nr_hot_procs || d->nr_hot_paths)) {
		fprintf(out, "\n%sWhere the CPU went%s (no swap-entry work):\n",
			s->bold, s->off);
		fprintf(out, "  processes:");
		for (size_t i = 0; i < d->nr_hot_procs && i < 4; i++)
			fprintf(out, "%s %s %.1f%%", i ? "," : "",
				d->hot_procs[i].comm, d->hot_procs[i].share * 100);
		fputc('\n', out);
		for (size_t i = 0; i < d->nr_hot_paths && i < 4; i++) {
			const struct sd_hot_path *p = &d->hot_paths[i];
			fprintf(out, "  %5.1f%% %s: %s", p->share * 100, p->name,
				s->dim);
			size_t from = p->nr_frames > 3 ? p->nr_frames - 3 : 0;
			for (size_t k = from; k < p->nr_frames; k++)
				fprintf(out, "%s%s", k > from ? " > " : "",
					p->frames[k]);
			fprintf(out, "%s\n", s->off);
		}
	}
	if (d->nr_remedies) {
		bool inferred = d->era_source && !strcmp(d->era_source, "frames");
		fprintf(out, "\n%sWhat to do%s%s%s%s:\n", s->bold,
			d->era ? " (kernel " : "", d->era ? d->era : "",
			!d->era ? "" : inferred ? ", inferred from frame names)"
						: ")",
			s->off);
		for (size_t i = 0; i < d->nr_remedies; i++) {
			wrap(out, "  - ", d->remedies[i]->text);
			/* only the service rows: their facts */
			if (d->fits && d->fits[i].because &&
			    strchr(d->fits[i].because, ';'))
				wrap(out, "    because ", d->fits[i].because);
		}
	}
	/* text input: also what the text could not tell (the analysis' notes) */
	size_t text_notes = 0;
	for (size_t i = 0; !a->reader && i < a->diags.n; i++)
		text_notes += a->diags.v[i].severity == SD_NOTE && a->diags.v[i].text;
	if (d->nr_notes || text_notes) {
		fprintf(out, "\n%sNotes%s:\n", s->bold, s->off);
		for (size_t i = 0; i < d->nr_notes; i++)
			wrap(out, "  - ", d->notes[i]);
		for (size_t i = 0; text_notes && i < a->diags.n; i++)
			if (a->diags.v[i].severity == SD_NOTE && a->diags.v[i].text)
				wrap(out, "  - ", a->diags.v[i].text);
	}
	return ferror(out) ? -EIO : 0;
}
