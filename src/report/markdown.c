/* SPDX-License-Identifier: MIT */
/*
 * The verdict as a ticket comment (--format markdown): a heading with the
 * verdict, what was read, a table of the findings (id, severity, share or
 * stalls, processes), each finding's hot path as a code block, the
 * remedies and the notes as lists.  CommonMark with GitHub/GitLab tables;
 * names from the input (comms, hosts, frames) go into code spans or
 * blocks, prose is escaped, so nothing in a recording can change the
 * comment's layout.  Like the other reports it formats what the diagnosis
 * holds and computes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <swapdiag/report.h>

#include "report/ksyms.h"
#include <swapdiag/textin.h>
#include "report/forker.h"
#include "report/window.h"

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * Prose: escapes what could start emphasis, a link, HTML, a table cell or
 * a block; an underscore inside a word ("swap_lock") cannot, so it stays
 * readable in the raw comment.
 */
static void md_text(FILE *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		else if (c < 32 || c == 127)
			c = '?';
		bool esc = strchr("\\`*[]|~", c) != NULL;
		if (c == '_')
			esc = p == s || !alnum(p[-1]) || !alnum(p[1]);
		if (c == '<')
			esc = p[1] == '/' || p[1] == '!' || p[1] == '?' ||
			      (alnum(p[1]) && !(p[1] >= '0' && p[1] <= '9'));
		if (c == '#' || c == '>' || c == '-' || c == '+')
			esc = p == s; /* only at the start of a block */
		if (esc)
			fputc('\\', out);
		fputc(c, out);
	}
}

/* A code span; in a table cell '|' must still be escaped. */
static void md_code(FILE *out, const char *s, bool cell)
{
	fputc('`', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '`')
			c = '\'';
		else if (c < 32 || c == 127)
			c = '?';
		if (cell && c == '|')
			fputc('\\', out);
		fputc(c, out);
	}
	fputc('`', out);
}

/* A fence longer than any run of backticks in the frames. */
static void md_fence(FILE *out, const struct sd_path *p)
{
	size_t longest = 0;

	for (size_t i = 0; i < p->nr_frames; i++) {
		size_t run = 0;
		for (const char *c = p->frames[i]; *c; c++) {
			run = *c == '`' ? run + 1 : 0;
			if (run > longest)
				longest = run;
		}
	}
	for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
		fputc('`', out);
	fputc('\n', out);
}

static void md_path(FILE *out, const struct sd_path *p)
{
	md_fence(out, p);
	for (size_t i = 0; i < p->nr_frames; i++) {
		for (const char *c = p->frames[i]; *c; c++)
			fputc((unsigned char)*c < 32 ? '?' : *c, out);
		fputc('\n', out);
	}
	md_fence(out, p);
}

static void md_pids(FILE *out, size_t n, size_t total, const uint32_t *pids)
{
	/* pid -1 is not known (text input, a task being torn down) */
	if (n && pids[n - 1] == UINT32_MAX) {
		n--;
		total--;
	}
	if (!total)
		return;
	fprintf(out, " (pid%s", total > 1 ? "s" : "");
	for (size_t k = 0; k < n && k < 4; k++)
		fprintf(out, " %u", pids[k]);
	if (total > 4)
		fprintf(out, " +%zu", total - 4);
	fputc(')', out);
}

/* **Kernel symbols:** where from, and whether they match the recording. */
static void md_ksyms(FILE *out, const struct sd_analysis *a)
{
	const struct sd_kernel_symbols *ks = sd_analysis_kernel_symbols(a);
	const char *where;

	if (!ks)
		return;
	where = sd_ksyms_where(ks);
	fputs("**Kernel symbols:** ", out);
	if (ks->source != SD_KSYM_NONE) {
		md_code(out, ks->path ? ks->path : "?", false);
		if (where) {
			fputs(" (", out);
			md_text(out, where);
			fputc(')', out);
		}
		fputs(", ", out);
	}
	md_text(out, sd_ksyms_state(ks));
	fputs(": ", out);
	md_text(out, ks->evidence);
	fputs("  \n", out);
}

static void md_input(FILE *out, const struct sd_analysis *a,
		     const struct sd_diagnosis *d, const char *path)
{
	const struct sd_file_info *in = sd_analysis_info(a);
	bool report = a->input_kind == SD_INPUT_PERF_REPORT;

	fputs("**Input:** ", out);
	md_code(out, path, false);
	fprintf(out, " (%s)", sd_input_kind_title(a->input_kind));
	if (in->hostname) {
		fputs(", host ", out);
		md_code(out, in->hostname, false);
	}
	if (in->os_release) {
		fputs(", kernel ", out);
		md_code(out, in->os_release, false);
	}
	/* only what the input says: no "?" or "0 CPUs" */
	if (in->arch || in->nr_cpus_online) {
		fputs(" (", out);
		if (in->arch)
			md_text(out, in->arch);
		if (in->arch && in->nr_cpus_online)
			fputs(", ", out);
		if (in->nr_cpus_online)
			fprintf(out, "%u CPUs", in->nr_cpus_online);
		fputc(')', out);
	} else if (a->reader) {
		fputs(" (CPU count unknown)", out);
	}
	if (in->perf_version) {
		fputs(", perf ", out);
		md_text(out, in->perf_version);
	}
	if (d->duration_s > 0)
		fprintf(out, ", %.1f s", d->duration_s);
	if (report) {
		fputs(", shares are the report's own percentages", out);
	} else {
		fprintf(out, ", %" PRIu64 " ", d->on_cpu_samples);
		if (d->on_cpu_event && a->input_kind != SD_INPUT_FOLDED) {
			md_code(out, d->on_cpu_event, false);
			fputc(' ', out);
		}
		fputs("samples", out);
		/* as the text verdict and the flame graph say it */
		const struct sd_evsel *ev =
			d->on_cpu_event ? sd_analysis_find_evsel(a, d->on_cpu_event)
					: NULL;
		if (ev)
			fprintf(out, "; shares weighted by %s",
				sd_analysis_weight_name(a, ev, SD_WEIGHT_PERIOD));
	}
	fputs("  \n", out);
	md_ksyms(out, a);
	char win[1024];
	if (sd_window_describe(a, win, sizeof win)) {
		fputs("**Time window:** ", out);
		md_text(out, win + sizeof "time window " - 1);
		fputs("  \n", out);
	}
	if (d->era) {
		fputs("**Kernel era:** ", out);
		md_text(out, d->era);
		if (d->era_source && !strcmp(d->era_source, "frames")) {
			fputs(" (inferred from frame names: ", out);
			md_text(out, d->era_evidence);
			fputc(')', out);
		}
		fputs("; swap lock: ", out);
		md_text(out, d->lock);
		fputc('\n', out);
	}
}

static void md_share_cell(FILE *out, const struct sd_finding *f, bool weights)
{
	if (sd_finding_on_cpu(f->kind)) {
		if (weights)
			fprintf(out, "%.1f %%", f->share * 100);
		else
			fprintf(out, "%.1f %% (%" PRIu64 " samples)",
				f->share * 100, f->samples);
		return;
	}
	fprintf(out, "%" PRIu64 " sleeps", f->stalls);
	if (f->durations_known)
		fprintf(out, ", longest %.1f ms, %.1f ms in total",
			f->blocked_ms_max, f->blocked_ms_total);
	else
		fputs(" seen, durations unknown", out);
}

static void md_procs_cell(FILE *out, const struct sd_finding *f)
{
	if (sd_finding_on_cpu(f->kind)) {
		for (size_t i = 0; i < f->nr_procs && i < 4; i++) {
			const struct sd_process *p = &f->procs[i];
			fputs(i ? ", " : "", out);
			md_code(out, p->comm, true);
			fprintf(out, " %.1f %%", p->share * 100);
			md_pids(out, p->nr_pids, p->nr_pids_total, p->pids);
		}
		if (f->nr_procs > 4)
			fprintf(out, ", +%zu more", f->nr_procs - 4);
		return;
	}
	for (size_t i = 0; i < f->nr_victims && i < 4; i++) {
		const struct sd_victim *v = &f->victims[i];
		fputs(i ? ", " : "", out);
		md_code(out, v->comm, true);
		fprintf(out, " (pid %u) %" PRIu64 "×", v->pid, v->stalls);
	}
	if (f->nr_victims > 4)
		fprintf(out, ", +%zu more", f->nr_victims - 4);
}

static void md_finding(FILE *out, const struct sd_finding *f, bool weights)
{
	fputs("\n### ", out);
	md_code(out, sd_finding_key(f->kind), false);
	fputs(": ", out);
	md_text(out, f->title);
	fputs("\n\n", out);
	if (sd_finding_on_cpu(f->kind)) {
		if (weights)
			fprintf(out, "%.1f %% of on-CPU samples (perf report's "
				"percentages)", f->share * 100);
		else
			fprintf(out, "%.1f %% of on-CPU samples (%" PRIu64 ")",
				f->share * 100, f->samples);
		if (f->context_name) {
			fputs("; ", out);
			md_text(out, f->context_name);
			fprintf(out, ": %.1f %%", f->context_share * 100);
		}
		fputs(".\n", out);
		if (f->nr_paths && weights)
			fprintf(out, "\nHot path (%.2f %%), root first:\n\n",
				100.0 * (double)f->paths[0].samples /
					SD_TEXT_REPORT_SCALE);
		else if (f->nr_paths)
			fprintf(out, "\nHot path (%" PRIu64 " samples), root "
				"first:\n\n", f->paths[0].samples);
		if (f->nr_paths)
			md_path(out, &f->paths[0]);
		for (size_t i = 0; i < f->nr_forkers && i < 3; i++) {
			char line[256];
			sd_report_forker_line(&f->forkers[i],
					      f->kind == SD_FIND_SWAP_DUP_FORK,
					      line, sizeof line);
			fputs(i ? "- " : "\nWho forks:\n\n- ", out);
			md_text(out, line);
			fputs("\n", out);
		}
		if (f->lock_note) {
			fputs("\nThe swap lock: ", out);
			md_text(out, f->lock_note);
			fputs("\n", out);
		}
		return;
	}
	fprintf(out, "%" PRIu64 " D-state sleeps", f->stalls);
	if (f->durations_known) {
		fprintf(out, ", blocked %.1f ms in total, longest %.1f ms",
			f->blocked_ms_total, f->blocked_ms_max);
		if (f->stalls_unfinished)
			fprintf(out, " (%" PRIu64 " without a recorded wake-up)",
				f->stalls_unfinished);
	} else {
		fputs(" seen (durations unknown: sampled sched_switch)", out);
	}
	fputs(".\n", out);
	if (f->nr_victims) {
		fputs("\nWaiting:\n\n", out);
		for (size_t i = 0; i < f->nr_victims && i < 8; i++) {
			const struct sd_victim *v = &f->victims[i];
			fputs("- ", out);
			md_code(out, v->comm, false);
			fprintf(out, " (pid %u) %" PRIu64 " sleep%s", v->pid,
				v->stalls, v->stalls == 1 ? "" : "s");
			if (!isnan(v->blocked_ms))
				fprintf(out, ", %.*f ms in all, longest %.*f ms",
					v->blocked_ms < 1 ? 2 : 1, v->blocked_ms,
					v->max_ms < 1 ? 2 : 1, v->max_ms);
			fputs("\n", out);
		}
		if (f->nr_victims > 8)
			fprintf(out, "- +%zu more\n", f->nr_victims - 8);
	}
	if (f->nr_holders) {
		fputs(f->kind == SD_FIND_EXEC_LOCK_STALL
			      ? "\nHolding the lock in exec (replacing its "
				"address space):"
			      : "\nHolding the lock while copying page tables:",
		      out);
		for (size_t i = 0; i < f->nr_holders && i < 4; i++) {
			fputs(i ? ", " : " ", out);
			md_code(out, f->holders[i].comm, false);
			fprintf(out, " (pid %u, %" PRIu64 " sleep%s)",
				f->holders[i].pid, f->holders[i].stalls,
				f->holders[i].stalls == 1 ? "" : "s");
		}
		if (f->nr_holders > 4)
			fprintf(out, ", +%zu more", f->nr_holders - 4);
		fputs(".\n", out);
	}
	if (f->nr_paths) {
		fputs("\nWhere they slept, root first:\n\n", out);
		md_path(out, &f->paths[0]);
	}
}

int sd_report_markdown(FILE *out, const struct sd_analysis *a,
		       const struct sd_diagnosis *d, const char *path)
{
	bool weights = a->input_kind == SD_INPUT_PERF_REPORT;

	fputs("## ", out);
	md_text(out, d->verdict);
	fputs("\n\n", out);
	/* a damaged input says so before anything stands on it */
	if (d->damage) {
		fputs("> **Damaged input:** ", out);
		md_text(out, d->damage);
		fputs("; the report covers what was readable.\n\n", out);
	}
	md_input(out, a, d, path);

	if (d->nr_findings) {
		fputs("\n| Finding | Severity | Share / stalls | Processes |\n"
		      "|:--|:--|:--|:--|\n", out);
		for (size_t i = 0; i < d->nr_findings; i++) {
			const struct sd_finding *f = &d->findings[i];
			fputs("| ", out);
			md_code(out, sd_finding_key(f->kind), true);
			fprintf(out, " | %s%s%s | ",
				f->level >= SD_LEVEL_WARNING ? "**" : "",
				sd_level_name(f->level),
				f->level >= SD_LEVEL_WARNING ? "**" : "");
			md_share_cell(out, f, weights);
			fputs(" | ", out);
			md_procs_cell(out, f);
			fputs(" |\n", out);
		}
		for (size_t i = 0; i < d->nr_findings; i++)
			md_finding(out, &d->findings[i], weights);
	} else {
		fputs("\nNo findings.\n", out);
	}
	if (d->swap_share <= 0 && (d->nr_hot_procs || d->nr_hot_paths)) {
		fputs("\n### Where the CPU went (no swap-entry work)\n\n", out);
		for (size_t i = 0; i < d->nr_hot_procs && i < 4; i++) {
			fputs("- process ", out);
			md_code(out, d->hot_procs[i].comm, false);
			fprintf(out, ": %.1f %%\n", d->hot_procs[i].share * 100);
		}
		for (size_t i = 0; i < d->nr_hot_paths && i < 4; i++) {
			fprintf(out, "- kernel: ");
			md_text(out, d->hot_paths[i].name);
			fprintf(out, ": %.1f %%\n", d->hot_paths[i].share * 100);
		}
	}
	if (d->nr_remedies) {
		fputs("\n### What to do", out);
		if (d->era) {
			fputs(" (kernel ", out);
			md_text(out, d->era);
			if (d->era_source && !strcmp(d->era_source, "frames"))
				fputs(", inferred from frame names", out);
			fputc(')', out);
		}
		fputs("\n\n", out);
		for (size_t i = 0; i < d->nr_remedies; i++) {
			fputs("- ", out);
			md_text(out, d->remedies[i]->text);
			if (d->fits && d->fits[i].because &&
			    strchr(d->fits[i].because, ';')) {
				fputs(" Because ", out);
				md_text(out, d->fits[i].because);
				fputc('.', out);
			}
			fputc('\n', out);
		}
	}
	/* text input: also what the text could not tell (analysis notes) */
	size_t text_notes = 0;
	for (size_t i = 0; !a->reader && i < a->diags.n; i++)
		text_notes += a->diags.v[i].severity == SD_NOTE && a->diags.v[i].text;
	if (d->nr_notes || text_notes) {
		fputs("\n### Notes\n\n", out);
		for (size_t i = 0; i < d->nr_notes; i++) {
			fputs("- ", out);
			md_text(out, d->notes[i]);
			fputc('\n', out);
		}
		for (size_t i = 0; text_notes && i < a->diags.n; i++) {
			if (a->diags.v[i].severity != SD_NOTE || !a->diags.v[i].text)
				continue;
			fputs("- ", out);
			md_text(out, a->diags.v[i].text);
			fputc('\n', out);
		}
	}
	return ferror(out) ? -EIO : 0;
}
