/* SPDX-License-Identifier: MIT */
#ifndef SD_TRACEPOINT_INTERNAL_H
#define SD_TRACEPOINT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <swapdiag/tracepoint.h>

struct tep_event;

/*
 * Caps on what one tracing data blob may describe.  perf stores only the
 * formats of the events it recorded plus the ftrace ones (a few dozen); a
 * whole kernel has about 2000.
 */
#define SD_TP_MAX_FORMATS 8192
#define SD_TP_MAX_FORMAT_SIZE (256u << 10) /* one format text */
#define SD_TP_MAX_NAME 256                  /* system names, version */

/* One parsed format; the strings and tev belong to the tep handle. */
struct sd_tp_event {
	struct tep_event *tev;
	const struct sd_tracepoints *tp;
	int id;
	const char *system;
	const char *name;
	bool usable;   /* its fields parsed completely */
	unsigned seq;  /* order in the tracing data: the first of an id wins */
};

struct sd_tracepoints {
	struct tep_handle *tep;
	bool swap;
	int long_size;
	int page_size;
	struct sd_tp_event *events; /* sorted by id, then seq */
	size_t nr_events, cap;
	size_t nr_usable;
};

/*
 * Event format texts (format.c), for the tracing data parser.  The value
 * of the "key: value" line of text[0..len) into buf[cap], "?" if there is
 * none; whether a format is text tep's tokenizer can take; the copy of a
 * format tep is given (its fields and an empty print format; malloc'd,
 * NULL and *no_format without a "format:" line, NULL alone without
 * memory); and whether tep got all of its fields.
 */
void sd_tp_format_line(const char *text, size_t len, const char *key,
		       char *buf, size_t cap);
bool sd_tp_format_is_text(const char *t, size_t len);
char *sd_tp_fields_only(const char *t, size_t len, size_t *out_len,
			bool *no_format);
bool sd_tp_fields_complete(const struct tep_event *tev, const char *feed,
			   size_t feed_len);

#endif
