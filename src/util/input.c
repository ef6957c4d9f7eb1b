/* SPDX-License-Identifier: MIT */
#include <swapdiag/input.h>

const char *sd_input_kind_name(enum sd_input_kind k)
{
	switch (k) {
	case SD_INPUT_PERF_FILE:
	case SD_INPUT_PERF_PIPE:
		return "perf.data";
	case SD_INPUT_BUNDLE:
		return "bundle";
	case SD_INPUT_PERF_SCRIPT:
		return "perf-script";
	case SD_INPUT_FOLDED:
		return "folded";
	case SD_INPUT_PERF_REPORT:
		return "perf-report";
	default:
		return "unknown";
	}
}

const char *sd_input_kind_title(enum sd_input_kind k)
{
	switch (k) {
	case SD_INPUT_BUNDLE:
		return "swapdiag bundle";
	case SD_INPUT_PERF_SCRIPT:
		return "perf script text";
	case SD_INPUT_FOLDED:
		return "folded stacks";
	case SD_INPUT_PERF_REPORT:
		return "perf report text";
	default:
		return sd_input_kind_name(k);
	}
}
