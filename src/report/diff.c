/* SPDX-License-Identifier: MIT */
/* swapdiag diff: the comparison as text, markdown and JSON. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include <swapdiag/diffreport.h>

#include "report/json_doc.h"
#include "report/window.h"

static const char *dir_word(const struct sd_change *c)
{
	if (c->unmeasured)
		return "not measured on both sides (sched_switch not recorded, "
		       "or sampled)";
	if (!c->before)
		return "new";
	if (!c->after)
		return c->significant ? "gone" : "gone (within noise)";
	return c->direction < 0 ? "less" : c->direction > 0 ? "more"
							     : "within noise";
}

/* "6.81%" or "11.2/s", or "-" when unknown */
static void value_str(char *buf, size_t n, const struct sd_change *c, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (c->rate)
		snprintf(buf, n, "%.2f/s", v);
	else
		snprintf(buf, n, "%.2f%%", v * 100);
}

static void delta_str(char *buf, size_t n, const struct sd_change *c)
{
	if (!isfinite(c->delta) || !isfinite(c->margin))
		snprintf(buf, n, "change unknown");
	else if (c->rate)
		snprintf(buf, n, "%+.2f/s, noise margin \xc2\xb1%.2f/s", c->delta,
			 c->margin);
	else
		snprintf(buf, n, "%+.2f points, noise margin \xc2\xb1%.2f",
			 c->delta * 100, c->margin * 100);
}

static void ms_str(char *buf, size_t n, const struct sd_finding *f, double v)
{
	if (!f)
		snprintf(buf, n, "0");
	else if (!f->durations_known || !isfinite(v))
		snprintf(buf, n, "unknown");
	else
		snprintf(buf, n, "%.1f", v);
}

/* A stall finding's count, blocked and longest ms on one side (buffers
 * of 32): "not recorded" where sched_switch was not (fully) recorded. */
static void stall_strs(const struct sd_change *c, const struct sd_finding *f,
		       bool measured, char *n, char *ms, char *mx)
{
	(void)c;
	if (!measured) {
		snprintf(n, 32, "not recorded");
		snprintf(ms, 32, "-");
		snprintf(mx, 32, "-");
		return;
	}
	snprintf(n, 32, "%llu", (unsigned long long)(f ? f->stalls : 0));
	ms_str(ms, 32, f, f ? f->blocked_ms_total : 0);
	ms_str(mx, 32, f, f ? f->blocked_ms_max : 0);
}

/* "before ARROW after", each "unknown" when not finite */
static void num_arrow(FILE *out, const double v[2], int prec,
		      const char *arrow)
{
	for (int s = 0; s < 2; s++) {
		if (s)
			fputs(arrow, out);
		if (isfinite(v[s]))
			fprintf(out, "%.*f", prec, v[s]);
		else
			fputs("unknown", out);
	}
}

#define ARROW " -> "
#define ARROW_MD " \xe2\x86\x92 "

/* The swap-entry work's change, after its name: " (fork and exec
 * together): 6.81% -> 0.12% (-6.69 points, noise margin ±0.52)". */
static void swap_change(FILE *out, const struct sd_diff *df,
			const char *arrow)
{
	fprintf(out, " (fork and exec together): %.2f%%%s%.2f%% (%+.2f points, "
		"noise margin \xc2\xb1%.2f%s)", df->swap_before * 100, arrow,
		df->swap_after * 100, (df->swap_after - df->swap_before) * 100,
		df->swap_margin * 100,
		df->swap_significant ? "" : "; within noise");
}

static void md_cell(FILE *out, const char *s);

/* "forkswap 215 (2 pids), run.sh 73 (1 pid), +1 more"; md: comms
 * escaped for markdown */
static void forkers_as(FILE *out, const struct sd_diagnosis *d, bool md)
{
	if (!d->forks_known) {
		fputs("unknown", out);
		return;
	}
	if (!d->nr_forkers)
		fputs("none", out);
	for (size_t i = 0; i < d->nr_forkers && i < 3; i++) {
		fputs(i ? ", " : "", out);
		if (md)
			md_cell(out, d->forkers[i].comm);
		else
			fputs(d->forkers[i].comm, out);
		fprintf(out, " %" PRIu64 " (%zu pid%s)", d->forkers[i].forks,
			d->forkers[i].nr_pids,
			d->forkers[i].nr_pids == 1 ? "" : "s");
	}
	if (d->nr_forkers > 3)
		fprintf(out, ", +%zu more", d->nr_forkers - 3);
}

static void forkers(FILE *out, const struct sd_diagnosis *d)
{
	forkers_as(out, d, false);
}

static void comms(FILE *out, const char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : "", v[i]);
	if (!n)
		fputs("none", out);
}

static const char *title_of(const struct sd_change *c)
{
	return c->before ? c->before->title : c->after->title;
}

static void side_line(FILE *out, const char *label,
		      const struct sd_diff_side *s)
{
	char win[1024];

	fprintf(out, "%s %s: %s; %" PRIu64 " %s samples", label, s->path,
		s->d->verdict, s->d->on_cpu_samples,
		s->d->on_cpu_event ? s->d->on_cpu_event : "on-CPU");
	if (s->d->duration_s > 0)
		fprintf(out, ", %.2f s", s->d->duration_s);
	if (sd_window_describe(s->a, win, sizeof win))
		fprintf(out, ", %s", win);
	fputc('\n', out);
}

static void summary(FILE *out, const struct sd_diff *df)
{
	bool any = false;

	fputs(sd_diff_outcome_name(df->outcome), out);
	for (size_t i = 0; i < df->nr_changes; i++) {
		const struct sd_change *c = &df->changes[i];
		char b[32], a[32];
		if (!c->significant)
			continue;
		value_str(b, sizeof b, c, c->value_before);
		value_str(a, sizeof a, c, c->value_after);
		fprintf(out, "%s %s %s -> %s (%s)", any ? ";" : ":",
			sd_finding_key(c->kind), b, a, dir_word(c));
		any = true;
	}
	if (!any && df->outcome == SD_DIFF_UNKNOWN)
		fputs(": a side could not be judged (no kernel symbols)", out);
	else if (!any && df->nr_changes)
		fputs(": no change beyond the noise margin", out);
	else if (!any)
		fputs(": no finding on either side", out);
	fputc('\n', out);
}

int sd_report_diff_text(FILE *out, const struct sd_diff *df,
			const struct sd_diff_side *before,
			const struct sd_diff_side *after)
{
	summary(out, df);
	side_line(out, "before", before);
	side_line(out, "after ", after);
	fputs("noise margin: 3 standard errors of the change (binomial for "
	      "shares of samples, Poisson for stall rates)\n", out);
	fputs("swap-entry work", out);
	swap_change(out, df, ARROW);
	fputc('\n', out);
	for (size_t i = 0; i < df->nr_changes; i++) {
		const struct sd_change *c = &df->changes[i];
		const struct sd_finding *b = c->before, *a = c->after;
		char vb[32], va[32], dl[96], mb[32], ma[32], sb[32], sa[32],
			xb[32], xa[32];
		value_str(vb, sizeof vb, c, c->value_before);
		value_str(va, sizeof va, c, c->value_after);
		delta_str(dl, sizeof dl, c);
		fprintf(out, "\n%s: %s -- %s%s\n", sd_finding_key(c->kind),
			title_of(c), dir_word(c),
			c->significant ? "" : "");
		fprintf(out, "  %-12s %s -> %s (%s)\n",
			c->rate ? "stalls/s" : "share", vb, va, dl);
		if (!c->rate) {
			fprintf(out, "  %-12s %" PRIu64 " -> %" PRIu64 "\n",
				"samples", b ? b->samples : 0,
				a ? a->samples : 0);
			fprintf(out, "  %-12s ", "forks/s");
			num_arrow(out, c->forks_per_s, 1, ARROW);
			fprintf(out, "\n  %-12s ", "ms per fork");
			num_arrow(out, c->ms_per_fork, 3, ARROW);
			fprintf(out, "\n  %-12s ", "forkers");
			forkers(out, before->d);
			fputs(ARROW, out);
			forkers(out, after->d);
			fputc('\n', out);
		} else {
			stall_strs(c, b, c->measured_before, sb, mb, xb);
			stall_strs(c, a, c->measured_after, sa, ma, xa);
			fprintf(out, "  %-12s %s -> %s\n", "stalls", sb, sa);
			fprintf(out, "  %-12s %s -> %s\n", "blocked ms", mb, ma);
			fprintf(out, "  %-12s %s -> %s\n", "longest ms", xb, xa);
		}
		fprintf(out, "  %-12s %s -> %s\n", "severity",
			b ? sd_level_name(b->level) : "none",
			a ? sd_level_name(a->level) : "none");
		fprintf(out, "  %-12s ", "appeared");
		comms(out, c->appeared, c->nr_appeared);
		fprintf(out, "\n  %-12s ", "disappeared");
		comms(out, c->disappeared, c->nr_disappeared);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("|\\`*_[]<>", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void md_comms(FILE *out, const char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		/* a code span, unless a backtick would end it */
		if (strchr(v[i], '`') || strchr(v[i], '|')) {
			md_cell(out, v[i]);
		} else {
			fputc('`', out);
			fputs(v[i], out);
			fputc('`', out);
		}
	}
	if (!n)
		fputs("-", out);
}

int sd_report_diff_markdown(FILE *out, const struct sd_diff *df,
			    const struct sd_diff_side *before,
			    const struct sd_diff_side *after)
{
	const struct sd_diff_side *sides[2] = {before, after};

	fputs("### swapdiag diff: ", out);
	summary(out, df);
	fputc('\n', out);
	for (int i = 0; i < 2; i++) {
		fprintf(out, "**%s:** `%s` (%" PRIu64 " samples", i ? "After"
								: "Before",
			sides[i]->path, sides[i]->d->on_cpu_samples);
		if (sides[i]->d->duration_s > 0)
			fprintf(out, ", %.2f s", sides[i]->d->duration_s);
		fputs("): ", out);
		md_cell(out, sides[i]->d->verdict);
		fputs("  \n", out);
	}
	fputs("**Swap-entry work**", out);
	swap_change(out, df, ARROW_MD);
	fputs("  \n", out);
	if (!df->nr_changes) {
		fputs("\nNo finding on either side.\n", out);
		return ferror(out) ? -EIO : 0;
	}
	fputs("\n| finding | before | after | change | samples / stalls | "
	      "blocked ms | longest ms | forks/s | ms per fork | appeared | "
	      "disappeared |\n"
	      "|---|---|---|---|---|---|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < df->nr_changes; i++) {
		const struct sd_change *c = &df->changes[i];
		const struct sd_finding *b = c->before, *a = c->after;
		char vb[32], va[32], dl[96], mb[32], ma[32], xb[32], xa[32];
		value_str(vb, sizeof vb, c, c->value_before);
		value_str(va, sizeof va, c, c->value_after);
		delta_str(dl, sizeof dl, c);
		fprintf(out, "| `%s` | %s | %s | **%s** (%s) | ",
			sd_finding_key(c->kind), vb, va, dir_word(c), dl);
		if (c->rate) {
			char sb[32], sa[32];
			stall_strs(c, b, c->measured_before, sb, mb, xb);
			stall_strs(c, a, c->measured_after, sa, ma, xa);
			fprintf(out, "%s" ARROW_MD "%s | %s" ARROW_MD "%s | %s"
				ARROW_MD "%s | ",
				sb, sa, mb, ma, xb, xa);
		} else {
			fprintf(out, "%" PRIu64 ARROW_MD "%" PRIu64
				" | - | - | ", b ? b->samples : 0,
				a ? a->samples : 0);
		}
		if (c->rate) {
			fputs("- | - | ", out);
		} else {
			num_arrow(out, c->forks_per_s, 1, ARROW_MD);
			fputs(" | ", out);
			num_arrow(out, c->ms_per_fork, 3, ARROW_MD);
			fputs(" | ", out);
		}
		md_comms(out, c->appeared, c->nr_appeared);
		fputs(" | ", out);
		md_comms(out, c->disappeared, c->nr_disappeared);
		fputs(" |\n", out);
	}
	fputs("\n**Forkers:** ", out);
	for (int i = 0; i < 2; i++) {
		fputs(i ? ARROW_MD : "", out);
		forkers_as(out, sides[i]->d, true);
	}
	fputs("\n\nA change counts when it exceeds 3 standard errors (binomial "
	      "for shares of samples, Poisson for stall rates).\n", out);
	return ferror(out) ? -EIO : 0;
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* One side of a change: the finding's numbers, or null if absent. */
static json_t *side_json(const struct sd_change *c, const struct sd_finding *f,
			 double value, const struct sd_diagnosis *d, int s)
{
	if (!f)
		return json_null();
	json_t *o = json_pack("{s:s, s:o, s:I}", "severity",
			      sd_level_name(f->level), "share",
			      c->rate ? json_null() : num(f->share), "samples",
			      (json_int_t)(c->rate ? f->stalls : f->samples));
	if (!c->rate) {
		json_t *fk = json_array();
		for (size_t i = 0; d->forks_known && i < d->nr_forkers; i++)
			json_array_append_new(
				fk, json_pack("{s:s, s:I, s:I}", "comm",
					      d->forkers[i].comm, "forks",
					      (json_int_t)d->forkers[i].forks,
					      "pids",
					      (json_int_t)d->forkers[i].nr_pids));
		json_object_set_new(o, "forks", d->forks_known
				    ? json_integer((json_int_t)d->forks)
				    : json_null());
		json_object_set_new(o, "forks_per_s", num(c->forks_per_s[s]));
		json_object_set_new(o, "ms_per_fork", num(c->ms_per_fork[s]));
		json_object_set_new(o, "forkers", d->forks_known ? fk
				    : (json_decref(fk), json_null()));
	}
	if (c->rate) {
		json_object_set_new(o, "stalls", json_integer((json_int_t)f->stalls));
		json_object_set_new(o, "stalls_per_s", num(value));
		json_object_set_new(o, "blocked_ms_total",
				    f->durations_known ? num(f->blocked_ms_total)
						       : json_null());
		json_object_set_new(o, "blocked_ms_max",
				    f->durations_known ? num(f->blocked_ms_max)
						       : json_null());
	}
	json_t *procs = json_array();
	for (size_t i = 0; i < f->nr_procs; i++)
		json_array_append_new(procs, json_string(f->procs[i].comm));
	for (size_t i = 0; i < f->nr_victims; i++)
		json_array_append_new(procs, json_string(f->victims[i].comm));
	json_object_set_new(o, "processes", procs);
	return o;
}

static json_t *strs(const char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int sd_report_diff_json(FILE *out, const struct sd_diff *df,
			const struct sd_diff_side *before,
			const struct sd_diff_side *after)
{
	json_t *changes = json_array();

	for (size_t i = 0; i < df->nr_changes; i++) {
		const struct sd_change *c = &df->changes[i];
		json_array_append_new(
			changes,
			json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:b, "
				  "s:s, s:o, s:o}",
				  "id", sd_finding_key(c->kind), "compared",
				  c->rate ? "stalls_per_s" : "share",
				  "before", side_json(c, c->before, c->value_before,
						      before->d, 0),
				  "after", side_json(c, c->after, c->value_after,
						     after->d, 1),
				  "delta_share", c->rate ? json_null() : num(c->delta),
				  "delta_stalls_per_s",
				  c->rate ? num(c->delta) : json_null(),
				  "margin", num(c->margin),
				  "significant", c->significant,
				  "measured", !c->unmeasured,
				  "direction", c->direction < 0 ? "less"
					       : c->direction > 0 ? "more"
								  : "same",
				  "appeared", strs(c->appeared, c->nr_appeared),
				  "disappeared",
				  strs(c->disappeared, c->nr_disappeared)));
	}
	json_t *doc = json_pack(
		"{s:s, s:s, s:s, s:{s:f, s:f, s:o, s:o, s:b}, s:o, s:o, s:o}",
		"schema", SD_DIFF_SCHEMA,
		"tool_version", SWAPDIAG_VERSION, "verdict",
		sd_diff_outcome_name(df->outcome), "swap_entry", "before",
		df->swap_before, "after", df->swap_after, "delta_share",
		num(df->swap_after - df->swap_before), "margin",
		num(df->swap_margin), "significant", df->swap_significant,
		"before",
		sd_report_json_doc(before->a, before->d, before->path), "after",
		sd_report_json_doc(after->a, after->d, after->path), "changes",
		changes);
	if (!doc)
		return -ENOMEM;
	int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(6));
	json_decref(doc);
	if (rc)
		return -EIO;
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
