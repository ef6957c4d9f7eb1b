/* SPDX-License-Identifier: MIT */
/*
 * bytes -> detection and the three text parsers, then the whole pipeline
 * on the same bytes (sd_analysis_run, which reads text where perf.data is
 * not) -> sd_diagnose -> every report (JSON, text, Markdown, folded and
 * the SVG flame graph of every event), to /dev/null.  Replayed over
 * tests/textin/corpus and testdata/text in every build (suite fuzz); with
 * libFuzzer like the harnesses in tests/fuzz.
 */
#include <stdio.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>
#include <swapdiag/stacks.h>
#include <swapdiag/textin.h>

#include "fuzz.h"

static int sink(void *arg, const struct sd_text_sample *s)
{
	size_t *n = arg;
	for (size_t i = 0; i < s->nr_frames; i++)
		*n += s->frames[i][0] != '\0' && s->kernel[i];
	return 0;
}

static int header(void *arg, const char *k, const char *v)
{
	(void)arg;
	return k[0] && v ? 0 : 0;
}

/* a FORK line: its comm must be a whole string */
static int fork_line(void *arg, const struct sd_text_fork *f)
{
	*(size_t *)arg += strlen(f->comm) + (f->pid != f->tid);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	size_t frames = 0;
	struct sd_text_ops ops = {sink, header, &frames, SD_FOLD_ADDRS,
				  fork_line};
	struct sd_diags d;

	if (!null && !(null = fopen("/dev/null", "w")))
		return 0;
	sd_diags_init(&d);
	(void)sd_text_detect(data, size);
	for (int k = SD_TEXT_PERF_SCRIPT; k <= SD_TEXT_PERF_REPORT; k++)
		sd_text_parse((enum sd_text_kind)k, data, size, &ops, &d, NULL);
	sd_diags_clear(&d);

	struct sd_analysis_opts o = {
		.path = "fuzz.txt",
		.buf = size ? (const void *)data : "",
		.len = size,
		.no_symbols = true,
		/* every --folded-with on half the inputs */
		.fold_with = size & 1 ? SD_FOLD_MASK : 0,
	};
	struct sd_folded_opts fo = {.weight = SD_WEIGHT_PERIOD,
				    .with = o.fold_with};
	struct sd_analysis *a;
	struct sd_diagnosis *dg;
	if (sd_analysis_run(&o, &d, &a)) {
		sd_diags_clear(&d);
		return 0;
	}
	sd_diags_clear(&d);
	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++)
		sd_report_folded(null, a, sd_analysis_evsel(a, i), &fo);
	if (sd_diagnose(a, &dg) == 0) {
		sd_report_json(null, a, dg, o.path);
		sd_report_text(null, a, dg, o.path, true);
		sd_report_markdown(null, a, dg, o.path);
		/* the flame graph colours the frames the findings matched */
		for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++)
			sd_report_svg(null, a, sd_analysis_evsel(a, i), dg,
				      o.path, NULL);
		sd_diagnosis_free(dg);
	}
	sd_analysis_free(a);
	return 0;
}
