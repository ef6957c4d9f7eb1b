/* SPDX-License-Identifier: MIT */
/*
 * A jansson value written as json_dumps(v, JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) writes it, byte for
 * byte, straight into a report writer (report/out.h): no text of the
 * whole document made first, no callback per token.
 */
#ifndef SD_REPORT_JSON_OUT_H
#define SD_REPORT_JSON_OUT_H

#include <stdbool.h>

#include <jansson.h>

#include "report/out.h"

/*
 * Writes v (an object or an array whose keys are C strings) to o; no
 * newline after it.  0, or -ENOMEM for what json_dumps() refuses: v NULL
 * or no container (nothing written), a real it cannot format (what came
 * before it is written).
 */
int sd_json_out(struct sd_out *o, const json_t *v);

/* Whether the reals are written here (jansson formats them the %g way,
 * see json_out.c) rather than by jansson one at a time. */
bool sd_json_out_own_reals(void);

#endif
