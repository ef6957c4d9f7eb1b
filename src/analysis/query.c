/* SPDX-License-Identifier: MIT */
/*
 * What a finished analysis holds, whatever its input kind: its facts,
 * events and weights for the reports, and the detectors run over it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>

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
	if (a->input_kind == SD_INPUT_PERF_REPORT)
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

int sd_diagnose(struct sd_analysis *a, struct sd_diagnosis **out)
{
	size_t n = sd_analysis_nr_evsels(a);
	const struct sd_evsel **evsels = calloc(n ? n : 1, sizeof *evsels);

	if (!evsels)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		evsels[i] = sd_analysis_evsel(a, i);
	struct sd_detect_input in = {
		.kind = a->input_kind,
		.info = sd_analysis_info(a),
		.stats = sd_analysis_stats(a),
		.evsels = evsels,
		.nr_evsels = n,
		.on_cpu_event = sd_analysis_default_evsel(a),
		.kernel_symbols = sd_analysis_kernel_symbols(a),
		.diags = &a->diags,
		.stacks = a->stacks,
		.machine = a->machine,
		.stalls = a->stalls,
		.host = a->host,
		.forks_known = sd_input_is_perf_data(a->input_kind) ||
			       a->text_forks,
		.forks = a->forks,
		.forkers = a->forkers,
		.nr_forkers = a->nr_forkers,
		.time_window = a->time.n != 0,
		.first_time = a->first_time,
		.last_time = a->last_time,
	};
	int err = sd_detect(&in, out);
	free(evsels);
	return err;
}
