/* SPDX-License-Identifier: MIT */
/*
 * Event formats: what libtraceevent is fed of one kernel format text (its
 * fields, without the print format) and the check that all of its fields
 * came through.  The tracing data they arrive in is read by
 * tracing_data.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceevent/event-parse.h>

#include "tracepoint/internal.h"

static size_t field_list_len(const struct tep_format_field *f)
{
	size_t n = 0;

	for (; f; f = f->next)
		n++;
	return n;
}

/* "\tfield:" lines after "format:", i.e. what a full parse must yield. */
static size_t count_field_lines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i + 6 <= len; i++) {
		if ((i == 0 || text[i - 1] == '\n' || text[i - 1] == '\t' ||
		     text[i - 1] == ' ') &&
		    !memcmp(text + i, "field:", 6))
			n++;
	}
	return n;
}

/* The value of a "key: value" line, for naming a format tep rejected. */
void sd_tp_format_line(const char *text, size_t len, const char *key,
		       char *buf, size_t cap)
{
	size_t klen = strlen(key);

	snprintf(buf, cap, "?");
	for (size_t i = 0; i + klen <= len; i++) {
		if ((i == 0 || text[i - 1] == '\n') &&
		    !memcmp(text + i, key, klen)) {
			size_t j = i + klen, n = 0;
			while (j < len && text[j] == ' ')
				j++;
			while (j + n < len && n + 1 < cap && text[j + n] != '\n' &&
			       text[j + n] >= ' ' && text[j + n] < 0x7f)
				n++;
			if (n) {
				memcpy(buf, text + j, n);
				buf[n] = '\0';
			}
			return;
		}
	}
}

/*
 * Formats are ASCII text from tracefs.  tep's tokenizer takes a NUL or a
 * byte >= 0x80 (a negative char) for the end of its input and then
 * strcmp()s the NULL token it got, so such bytes never reach it.
 */
bool sd_tp_format_is_text(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)t[i];
		if ((ch < ' ' && ch != '\n' && ch != '\t' && ch != '\r') ||
		    ch >= 0x7f)
			return false;
	}
	return true;
}

/* The end of the line starting at t[i]: its '\n', or len. */
static size_t line_end(const char *t, size_t len, size_t i)
{
	const char *nl = memchr(t + i, '\n', len - i);

	return nl ? (size_t)(nl - t) : len;
}

/* Whether the line t[i..end), blanks around it ignored, is what. */
static bool line_is(const char *t, size_t i, size_t end, const char *what)
{
	size_t n = strlen(what);

	while (i < end && (t[i] == ' ' || t[i] == '\t'))
		i++;
	while (end > i && (t[end - 1] == ' ' || t[end - 1] == '\t' ||
			   t[end - 1] == '\r'))
		end--;
	return end - i == n && !memcmp(t + i, what, n);
}

/* Whether the line t[i..end), leading blanks ignored, starts with what. */
static bool line_starts(const char *t, size_t i, size_t end, const char *what)
{
	size_t n = strlen(what);

	while (i < end && (t[i] == ' ' || t[i] == '\t'))
		i++;
	return end - i >= n && !memcmp(t + i, what, n);
}

/*
 * What tep gets of a format: its lines up to "format:", then only the
 * "field..." lines and blank lines that follow, then an empty print format.
 * NULL if there is no "format:" line (*no_format) or no memory.
 *
 *	name: sched_switch
 *	ID: 372
 *	format:
 *		field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *		...
 *
 *		field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *		...
 *
 *	print fmt: ""			(instead of the kernel's)
 *
 * The kernel's print format is left out on purpose.  This stage reads
 * fields and never prints through tep, and tep's print-format parser
 * (recursive descent with constant folding) is not safe on damaged input:
 * fuzzing libtraceevent 1.7.1 with perf's tracing data crashed it with a
 * NULL token on a truncated expression (process_op()), a NULL field for
 * __print_flags(REC->x) when x is no field (process_entry()), and SIGFPE
 * folding "0x0/0" (consolidate_op_arg()).  Cutting by lines rather than
 * searching for "print fmt:" matters: tep's tokenizer takes "print fmt :"
 * just as well.  tep reads a print format only once both field blocks
 * parsed, and what follows them here is a "field" token (tep gives up) or
 * the empty format.
 */
char *sd_tp_fields_only(const char *t, size_t len, size_t *out_len,
			bool *no_format)
{
	static const char empty[] = "print fmt: \"\"\n";
	size_t i = 0, keep = SIZE_MAX;
	char *s;
	bool nl;

	*no_format = false;
	while (i < len) {
		size_t end = line_end(t, len, i);
		size_t next = end < len ? end + 1 : len;

		if (keep == SIZE_MAX) {
			if (line_is(t, i, end, "format:"))
				keep = next;
		} else if (line_is(t, i, end, "") ||
			   line_starts(t, i, end, "field")) {
			keep = next;
		} else {
			break;
		}
		i = next;
	}
	if (keep == SIZE_MAX) {
		*no_format = true;
		return NULL;
	}
	nl = keep && t[keep - 1] != '\n';
	s = malloc(keep + nl + sizeof empty);
	if (!s)
		return NULL;
	memcpy(s, t, keep);
	if (nl)
		s[keep] = '\n';
	memcpy(s + keep + nl, empty, sizeof empty);
	*out_len = keep + nl + sizeof empty - 1;
	return s;
}

/*
 * tep_parse_format() returns 0 and keeps the event even when its fields
 * failed to parse; it only sets TEP_EVENT_FL_FAILED.  The fields are
 * complete if every "field:" line made it into the two lists and both
 * counts were set.
 */
bool sd_tp_fields_complete(const struct tep_event *tev, const char *feed,
			   size_t feed_len)
{
	size_t nc = field_list_len(tev->format.common_fields);
	size_t nf = field_list_len(tev->format.fields);

	return nc == (size_t)tev->format.nr_common &&
	       nf == (size_t)tev->format.nr_fields &&
	       nc + nf == count_field_lines(feed, feed_len);
}
