/* SPDX-License-Identifier: MIT */
/* The swapdiag-report/1 document as a jansson value (json.c), for the
 * reports that embed it (swapdiag diff). */
#ifndef SD_REPORT_JSON_DOC_H
#define SD_REPORT_JSON_DOC_H

#include <jansson.h>

#include <swapdiag/detect.h>

/* NULL when out of memory; the caller owns the reference. */
json_t *sd_report_json_doc(const struct sd_analysis *a,
			   const struct sd_diagnosis *d, const char *path);

#endif
