/* SPDX-License-Identifier: MIT */
/*
 * bytes -> the whole pipeline in memory, without symbols
 * (sd_analysis_run) -> sd_diagnose -> every report, to /dev/null: JSON,
 * text (plain and colour), Markdown, folded and the SVG flame graph of
 * every event (with the diagnosis, so its marks colour frames; and
 * without one), headers, and the JSON error document when refused.
 */
#include <stdio.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>
#include <swapdiag/stacks.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct sd_analysis_opts o = {
		.path = "fuzz.data",
		.buf = size ? (const void *)data : "", /* NULL means "open path" */
		.len = size,
		.no_symbols = true,
		/* every --folded-with on half the inputs */
		.fold_with = size & 1 ? SD_FOLD_MASK : 0,
	};
	struct sd_folded_opts fo = {.with = o.fold_with};
	struct sd_analysis *a;
	struct sd_diagnosis *d;
	struct sd_diags why;

	if (!null && !(null = fopen("/dev/null", "w")))
		return 0;
	sd_diags_init(&why);
	if (sd_analysis_run(&o, &why, &a)) {
		sd_report_json_error(null, o.path, -SD_E_BAD_HEADER, &why);
		sd_diags_clear(&why);
		return 0;
	}
	sd_diags_clear(&why);
	/* text inputs (perf script, folded, perf report) have no reader */
	for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++)
		sd_report_folded(null, a, sd_analysis_evsel(a, i), &fo);
	if (a->reader)
		sd_report_headers(null, a->reader, o.path);
	if (sd_diagnose(a, &d) == 0) {
		sd_report_json(null, a, d, o.path);
		sd_report_text(null, a, d, o.path, false);
		sd_report_text(null, a, d, o.path, true);
		sd_report_markdown(null, a, d, o.path);
		/* narrow frames on half the inputs: the "narrow frames" boxes */
		struct sd_svg_opts so = {
			.width = size & 2 ? 300 : 0,
			.weight = size & 4 ? SD_WEIGHT_SAMPLES : SD_WEIGHT_PERIOD,
		};
		for (size_t i = 0; i < sd_analysis_nr_evsels(a); i++)
			sd_report_svg(null, a, sd_analysis_evsel(a, i), d,
				      o.path, &so);
		sd_diagnosis_free(d);
	}
	/* a flame graph without a diagnosis: the title from the path */
	if (sd_analysis_nr_evsels(a))
		sd_report_svg(null, a, sd_analysis_default_evsel(a), NULL,
			      o.path, NULL);
	sd_analysis_free(a);
	return 0;
}
