/* SPDX-License-Identifier: MIT */
/* Stall findings from the D-state sleeps the stall tracker followed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>

#include "detect/findings.h"
#include "detect/match.h"
#include <swapdiag/stalls.h>

/* ---- stall findings -------------------------------------------------- */

static enum sd_level stall_level(const struct sd_finding *f)
{
	if (f->kind == SD_FIND_OTHER_DSTATE)
		return f->stalls ? SD_LEVEL_INFO : SD_LEVEL_NONE;
	if (!f->stalls)
		return SD_LEVEL_NONE;
	if (f->durations_known) {
		if (f->blocked_ms_max >= 1000 || f->blocked_ms_total >= 5000)
			return SD_LEVEL_CRITICAL;
		if (f->blocked_ms_max >= 10 || f->stalls >= 5)
			return SD_LEVEL_WARNING;
		return SD_LEVEL_INFO;
	}
	return f->stalls >= 5 ? SD_LEVEL_WARNING : SD_LEVEL_INFO;
}

static int cmp_victim(const void *a, const void *b)
{
	const struct sd_victim *x = a, *y = b;
	if (x->stalls != y->stalls)
		return x->stalls < y->stalls ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int stall_finding(struct cpu_ctx *c, struct sd_finding *f, unsigned want,
		  unsigned activity, bool durations)
{
	const struct sd_stalls *sl = c->a->stalls;
	const struct sd_stall **mine;
	struct tallies t = {0};
	/* per tally (same index): the sleeps with a recorded wake-up, their
	 * milliseconds and the longest */
	struct sleeps {
		uint64_t finished;
		double ms, max_ms;
	} *sw = NULL;
	size_t n = 0, nsw = 0;

	f->durations_known = durations;
	mine = calloc(sl && sl->n ? sl->n : 1, sizeof *mine);
	if (!mine)
		return -ENOMEM;
	for (size_t i = 0; sl && i < sl->n; i++) {
		const struct sd_stall *s = &sl->v[i];
		unsigned m = c->match[s->stack];
		bool is;
		if (want == SD_M_RWSEM_READ) /* what no reader table explains */
			is = (m & SD_M_RWSEM_READ) &&
			     !(m & (SD_M_MM_READER | SD_M_EXEC_LOCK));
		else
			is = (m & want) == want;
		if (!is)
			continue;
		mine[n++] = s;
		f->stalls++;
		struct tally *ty = tally_get(&t, s->comm, s->pid);
		size_t k = ty ? (size_t)(ty - t.v) : 0;
		if (ty && k >= nsw) {
			size_t ns = t.cap;
			struct sleeps *v = realloc(sw, ns * sizeof *v);
			if (v) {
				memset(v + nsw, 0, (ns - nsw) * sizeof *v);
				sw = v;
				nsw = ns;
			} else {
				ty = NULL;
			}
		}
		if (!ty) {
			free(mine);
			free(sw);
			tallies_fini(&t);
			return -ENOMEM;
		}
		ty->samples++;
		if (!s->t_in || s->open) {
			f->stalls_unfinished++;
			continue;
		}
		double ms = (double)(s->t_in - s->t_out) / 1e6;
		sw[k].finished++;
		sw[k].ms += ms;
		if (ms > sw[k].max_ms)
			sw[k].max_ms = ms;
		f->blocked_ms_total += ms;
		if (ms > f->blocked_ms_max)
			f->blocked_ms_max = ms;
	}
	if (!durations) {
		f->blocked_ms_total = NAN;
		f->blocked_ms_max = NAN;
	}
	f->victims = calloc(t.n ? t.n : 1, sizeof *f->victims);
	int err = f->victims ? 0 : -ENOMEM;
	for (size_t i = 0; !err && i < t.n; i++) {
		struct sd_victim *v = &f->victims[i];
		v->comm = strdup(sd_machine_comm_str(c->a->machine, t.v[i].comm));
		v->pid = t.v[i].pid;
		v->stalls = t.v[i].samples;
		/* unknown, not zero, when no wake-up of it was recorded */
		bool known = durations && sw[i].finished;
		v->blocked_ms = known ? sw[i].ms : NAN;
		v->max_ms = known ? sw[i].max_ms : NAN;
		f->nr_victims = i + 1;
	}
	free(sw);
	if (!err)
		qsort(f->victims, f->nr_victims, sizeof *f->victims, cmp_victim);
	if (!err && activity)
		err = tie_holders(c, f, mine, n, activity, durations);
	/* the paths of the sleeping readers */
	if (!err) {
		uint32_t *ids = calloc(n ? n : 1, sizeof *ids);
		size_t ni = 0;
		if (!ids)
			err = -ENOMEM;
		for (size_t i = 0; !err && i < n; i++) {
			/* one entry per sleep: make_paths sums stack counts,
			 * so count distinct stacks once and fix up below */
			bool seen = false;
			for (size_t k = 0; k < ni; k++)
				seen |= ids[k] == mine[i]->stack;
			if (!seen)
				ids[ni++] = mine[i]->stack;
		}
		if (!err)
			err = make_paths(f, c->a->stacks, ids, ni);
		free(ids);
	}
	f->level = stall_level(f);
	free(mine);
	tallies_fini(&t);
	return err;
}

/* ---- the stall findings of a diagnosis ------------------------------- */

const struct sd_evsel *switch_evsel(const struct sd_detect_input *a)
{
	for (size_t i = 0; i < a->nr_evsels; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev->type == SD_TYPE_TRACEPOINT && ev->name &&
		    strstr(ev->name, "sched_switch"))
			return ev;
	}
	return NULL;
}

/* A tracepoint the file names only by number (its name and format were
 * in the lost feature sections) that has samples, or NULL. */
static const struct sd_evsel *
unnamed_tracepoint(const struct sd_detect_input *a)
{
	for (size_t i = 0; i < a->nr_evsels; i++) {
		const struct sd_evsel *ev = a->evsels[i];
		if (ev->type == SD_TYPE_TRACEPOINT && ev->nr_samples &&
		    ev->name && !strncmp(ev->name, "tracepoint-", 11))
			return ev;
	}
	return NULL;
}

static const char record_line[] =
	"perf record -a -g -e cpu-clock/freq=999/ -e sched:sched_switch -- "
	"sleep 30";

/*
 * The stall findings (sched_switch's D-state sleeps) into d, with notes on
 * what its recording lets be judged -- or a note on why stalls cannot be
 * judged at all.
 */
int diagnose_stalls(struct cpu_ctx *c, struct sd_diagnosis *d)
{
	const struct sd_detect_input *a = c->a;
	bool perf = sd_input_is_perf_data(a->kind);
	int err = 0;

	const struct sd_evsel *sw = switch_evsel(a);
	d->switch_recorded = sw != NULL;
	d->switch_sampled = sw && (sw->freq || sw->period_or_freq != 1);
	if (!sw) {
		const struct sd_evsel *tp = unnamed_tracepoint(a);
		if (tp)
			/* the names went with the header: say so, not "none" */
			err = add_note(d, "Stalls cannot be judged: the recording "
					  "has %llu samples of a tracepoint "
					  "whose name and format were lost with "
					  "the header (%s; perf.data keeps them "
					  "after the samples), which may be "
					  "sched:sched_switch but cannot be read "
					  "without them.",
				       (unsigned long long)tp->nr_samples,
				       tp->name);
		else if (perf)
			err = add_note(d, "Stalls cannot be judged: the "
					  "recording has no sched:sched_switch "
					  "events. Record them with: %s",
				       record_line);
		else if (a->kind == SD_INPUT_PERF_SCRIPT)
			err = add_note(d, "Stalls cannot be judged: this perf "
					  "script text has no sched:sched_switch "
					  "samples. Record them with: %s",
				       record_line);
		else
			err = add_note(d, "Stalls cannot be judged: %s cannot "
					  "carry sched:sched_switch records. "
					  "Record them with: %s",
				       a->kind == SD_INPUT_FOLDED
					       ? "folded stacks"
					       : "perf report text",
				       record_line);
		if (err)
			return err;
	} else {
		char how[64] = "";
		if (sw->period_or_freq)
			snprintf(how, sizeof how, " (%s %llu)",
				 sw->freq ? "freq" : "period",
				 (unsigned long long)sw->period_or_freq);
		/* text that does not show its sampling (period 0, no freq):
		 * the text input's own note says so, and why */
		if (d->switch_sampled && !sw->freq && !sw->period_or_freq)
			err = perf ? add_note(d, "Whether sched:sched_switch "
						      "was recorded at every "
						      "switch is not known, so "
						      "stall durations are "
						      "unknown.")
					: 0;
		else if (d->switch_sampled)
			err = add_note(d,
				       "sched:sched_switch was sampled%s "
				       "instead of recorded at every switch - a "
				       "global -F applies to tracepoints too - so "
				       "stalls are counted as seen but their "
				       "durations are unknown. Record it with: %s",
				       how, record_line);
		if (err)
			return err;
		static const unsigned want[3] = {SD_M_RWSEM_READ | SD_M_MM_READER,
						 SD_M_EXEC_LOCK,
						 SD_M_RWSEM_READ};
		static const unsigned activity[3] = {SD_M_FORK_COPY,
						     SD_M_EXEC_REPLACE, 0};
		for (int k = 0; k < 3; k++) {
			struct sd_finding f = {.kind = (enum sd_finding_kind)(k + 2)};
			finding_words(&f);
			err = stall_finding(c, &f, want[k], activity[k],
					    !d->switch_sampled);
			if (!err && f.level == SD_LEVEL_NONE) {
				finding_fini(&f);
				continue;
			}
			if (err || (err = add_finding(d, &f))) {
				finding_fini(&f);
				return err;
			}
		}
		if (a->stalls && a->stalls->runs_dropped &&
		    (err = add_note(d, "Only the first %u samples taken during "
				       "D-state sleeps were kept to name lock "
				       "holders; %llu more were not used.",
				    SD_MAX_RUNS,
				    (unsigned long long)a->stalls->runs_dropped)))
			return err;
		if (a->stalls && a->stalls->dropped &&
		    (err = add_note(d, "Only the first %u D-state sleeps were "
				       "followed; %llu more were counted but not "
				       "classified.",
				    SD_MAX_STALLS,
				    (unsigned long long)a->stalls->dropped)))
			return err;
	}
	return 0;
}
