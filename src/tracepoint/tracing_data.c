/* SPDX-License-Identifier: MIT */
/*
 * Tracing data: the container perf stores the kernel's event formats in
 * (its on-disk layout is drawn above parse_tracing_data()), and the
 * libtraceevent handle built from it.  What tep is given of each format
 * text is cut in format.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceevent/event-parse.h>

#include "tracepoint/internal.h"
#include "util/cursor.h"

static const uint8_t tracing_magic[10] = "\027\010\104tracing";

struct parse {
	struct sd_tracepoints *tp;
	struct sd_cursor c;
	struct sd_diags *diags;
	unsigned nr_formats;
};

static void diag(struct parse *p, enum sd_severity sev, int code, size_t off,
		 const char *what, const char *detail)
{
	if (p->diags)
		sd_diags_add(p->diags, sev, code, off, "tracing data: %s%s%s",
			     what, detail ? ": " : "", detail ? detail : "");
}

static int truncated(struct parse *p, const char *inside)
{
	if (p->diags)
		sd_diags_add(p->diags, SD_ERROR, SD_E_TRUNCATED, p->c.off,
			     "tracing data: ends inside %s (%zu bytes)", inside,
			     p->c.len);
	return -SD_E_TRUNCATED;
}

/* A NUL-terminated string in place, at most max bytes before the NUL. */
static int read_cstr(struct parse *p, size_t max, const char **s)
{
	size_t left = sd_cur_left(&p->c);
	const uint8_t *at = p->c.base + p->c.off;
	const uint8_t *nul = memchr(at, '\0', left < max + 1 ? left : max + 1);

	if (!nul)
		return left <= max ? -SD_E_TRUNCATED : -SD_E_BAD_SECTION;
	*s = (const char *)at;
	p->c.off += (size_t)(nul - at) + 1;
	return 0;
}

/* "0.6" >= "0.6"; compared as numbers, never through the locale. */
static bool version_at_least(const char *v, unsigned major, unsigned minor)
{
	unsigned long ma = 0, mi = 0;
	char *end;

	ma = strtoul(v, &end, 10);
	if (end == v)
		return false;
	if (*end == '.') {
		const char *m = end + 1;
		/* "0.6" and "0.60" alike: only the first digit counts */
		if (*m >= '0' && *m <= '9')
			mi = (unsigned long)(*m - '0');
	}
	return ma > major || (ma == major && mi >= minor);
}

static int cmp_event(const void *a, const void *b)
{
	const struct sd_tp_event *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int add_event(struct parse *p, struct tep_event *tev, bool usable)
{
	struct sd_tracepoints *tp = p->tp;

	if (tp->nr_events == tp->cap) {
		size_t cap = tp->cap ? tp->cap * 2 : 16;
		struct sd_tp_event *v = realloc(tp->events, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		tp->events = v;
		tp->cap = cap;
	}
	tp->events[tp->nr_events] = (struct sd_tp_event){
		.tev = tev,
		.tp = tp,
		.id = tev->id,
		.system = tev->system,
		.name = tev->name,
		.usable = usable,
		.seq = (unsigned)tp->nr_events,
	};
	tp->nr_events++;
	return 0;
}

/* One "u64 size; char format[size]" entry of system sys. */
static int parse_format(struct parse *p, const char *sys)
{
	size_t at = p->c.off, feed_len;
	uint64_t size;
	const uint8_t *text;
	char *feed;
	struct tep_event *tev = NULL;
	enum tep_errno terr;
	char name[64], id[24], msg[160];
	bool usable = true, no_format;

	if (++p->nr_formats > SD_TP_MAX_FORMATS) {
		if (p->diags)
			sd_diags_add(p->diags, SD_ERROR, SD_E_LIMIT, at,
				     "tracing data: more than %u event formats",
				     SD_TP_MAX_FORMATS);
		return -SD_E_LIMIT;
	}
	if (sd_cur_u64(&p->c, &size))
		return truncated(p, "the size of an event format");
	if (size > sd_cur_left(&p->c))
		return truncated(p, "an event format");
	sd_cur_bytes(&p->c, (size_t)size, &text);
	sd_tp_format_line((const char *)text, (size_t)size, "name:", name,
			  sizeof name);
	sd_tp_format_line((const char *)text, (size_t)size, "ID:", id,
			  sizeof id);

	if (size > SD_TP_MAX_FORMAT_SIZE ||
	    !sd_tp_format_is_text((const char *)text, (size_t)size)) {
		if (p->diags)
			sd_diags_add(p->diags, SD_WARNING, SD_E_TRACEPOINT, at,
				     "tracing data: format of %s:%s skipped: "
				     "%" PRIu64 " bytes, %s",
				     sys, name, size,
				     size > SD_TP_MAX_FORMAT_SIZE
					     ? "larger than any real one"
					     : "not ASCII text");
		return 0;
	}
	feed = sd_tp_fields_only((const char *)text, (size_t)size, &feed_len,
				 &no_format);
	if (!feed && !no_format)
		return -ENOMEM;
	if (!feed) {
		if (p->diags)
			sd_diags_add(p->diags, SD_WARNING, SD_E_TRACEPOINT, at,
				     "tracing data: format of %s:%s (ID %s) "
				     "skipped: no \"format:\" line",
				     sys, name, id);
		return 0;
	}

	terr = tep_parse_format(p->tp->tep, &tev, feed, feed_len, sys);
	if (!tev) {
		/*
		 * No name or id: tep kept nothing.  It reports a missing name
		 * as TEP_ERRNO__MEM_ALLOC_FAILED, so that is no real -ENOMEM.
		 */
		if (!strcmp(name, "?"))
			snprintf(msg, sizeof msg, "no event name");
		else if (tep_strerror(p->tp->tep, terr, msg, sizeof msg))
			snprintf(msg, sizeof msg, "error %d", (int)terr);
		if (p->diags)
			sd_diags_add(p->diags, SD_WARNING, SD_E_TRACEPOINT, at,
				     "tracing data: cannot parse the format "
				     "of %s:%s (ID %s): %s",
				     sys, name, id, msg);
		free(feed);
		return 0;
	}
	if (tev->flags & TEP_EVENT_FL_FAILED) {
		usable = sd_tp_fields_complete(tev, feed, feed_len);
		if (p->diags)
			sd_diags_add(p->diags, usable ? SD_NOTE : SD_WARNING,
				     SD_E_TRACEPOINT, at,
				     usable ? "tracing data: the format of "
					      "%s:%s (ID %d) parsed with "
					      "errors; its fields can be read"
					    : "tracing data: cannot parse the "
					      "fields of %s:%s (ID %d)",
				     sys, tev->name ? tev->name : "?", tev->id);
	}
	free(feed);
	if (!tev->name || !tev->system)
		usable = false;
	return add_event(p, tev, usable);
}

static int parse_formats(struct parse *p, const char *sys, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int err = parse_format(p, sys);
		if (err)
			return err;
	}
	return 0;
}

/* A u32 or u64 size, then that many bytes nobody here needs. */
static int skip_sized(struct parse *p, int bits, const char *what)
{
	uint64_t n;
	uint32_t n32;
	int err;

	if (bits == 32) {
		err = sd_cur_u32(&p->c, &n32);
		n = n32;
	} else {
		err = sd_cur_u64(&p->c, &n);
	}
	if (err || n > sd_cur_left(&p->c))
		return truncated(p, what);
	p->c.off += (size_t)n;
	return 0;
}

/*
 * header_page describes the ring-buffer page; tep needs it only to read
 * ring buffers, not perf samples, and event formats parse without it.
 * Like perf, take the kernel's long size from the size of its "commit"
 * field (a 64-bit kernel under a 32-bit perf says 8), read here rather
 * than by tep_parse_header_page(), one tep parser less for damaged input:
 *
 *	field: local_t commit;	offset:8;	size:8;	signed:1;
 */
static void use_header_page(struct parse *p, const char *t, size_t n)
{
	static const char key[] = "commit;";
	int size = 0;

	for (size_t i = 0; i + sizeof key - 1 <= n; i++) {
		if (memcmp(t + i, key, sizeof key - 1))
			continue;
		for (size_t j = i; j + 5 < n && t[j] != '\n'; j++) {
			if (!memcmp(t + j, "size:", 5)) {
				if (t[j + 5] >= '0' && t[j + 5] <= '9' &&
				    (j + 6 == n || t[j + 6] < '0' ||
				     t[j + 6] > '9'))
					size = t[j + 5] - '0';
				break;
			}
		}
		break;
	}
	if ((size == 4 || size == 8) && size != p->tp->long_size) {
		if (p->diags)
			sd_diags_add(p->diags, SD_NOTE, SD_E_TRACEPOINT,
				     UINT64_MAX,
				     "tracing data: the kernel's long is %d "
				     "bytes (header_page), perf's %d",
				     size, p->tp->long_size);
		p->tp->long_size = size;
		tep_set_long_size(p->tp->tep, size);
	}
}

/*
 * The tracing data, as perf writes it (tools/perf/util/trace-event-info.c)
 * and reads it (trace-event-read.c).  Numbers are in the recording's byte
 * order; texts are the kernel's tracefs files, not NUL-terminated.
 *
 * struct tracing_data {
 *	char magic[10];               "\027\010\104tracing"
 *	char version[];               NUL-terminated: "0.5", "0.6"
 *	u8   big_endian;              the recording machine's
 *	u8   long_size;               sizeof(long) of perf (4 or 8)
 *	u32  page_size;
 *	char header_page_tag[12];     "header_page\0"
 *	u64  header_page_size;
 *	char header_page[header_page_size];
 *	char header_event_tag[13];    "header_event\0"
 *	u64  header_event_size;
 *	char header_event[header_event_size];
 *	u32  nr_ftrace;
 *	struct { u64 size; char format[size]; } ftrace[nr_ftrace];
 *	u32  nr_systems;
 *	struct {
 *		char name[];          NUL-terminated
 *		u32  nr_events;
 *		struct { u64 size; char format[size]; } events[nr_events];
 *	} systems[nr_systems];
 *	u32  kallsyms_size;           0 since perf 5.x
 *	char kallsyms[kallsyms_size];
 *	u32  printk_size;
 *	char printk_formats[printk_size];
 *	u64  cmdlines_size;           version >= 0.6 only
 *	char saved_cmdlines[cmdlines_size];
 *	                              pipe mode: zero padding to 8 bytes
 * };
 */
static int parse_tracing_data(struct parse *p, enum sd_byte_order order)
{
	struct sd_tracepoints *tp = p->tp;
	const uint8_t *magic, *tag, *text;
	const char *version, *sys;
	uint8_t big, long_size;
	uint32_t page_size, n32, nr_systems;
	uint64_t n64;
	int err;

	if (sd_cur_bytes(&p->c, sizeof tracing_magic, &magic))
		return truncated(p, "the magic");
	if (memcmp(magic, tracing_magic, sizeof tracing_magic)) {
		diag(p, SD_ERROR, SD_E_BAD_SECTION, 0, "bad magic", NULL);
		return -SD_E_BAD_SECTION;
	}
	if ((err = read_cstr(p, SD_TP_MAX_NAME, &version))) {
		if (err == -SD_E_TRUNCATED)
			return truncated(p, "the version");
		diag(p, SD_ERROR, SD_E_BAD_SECTION, p->c.off,
		     "the version string has no end", NULL);
		return err;
	}
	if (sd_cur_u8(&p->c, &big) || sd_cur_u8(&p->c, &long_size) ||
	    sd_cur_u32(&p->c, &page_size))
		return truncated(p, "the header");

	if ((big != 0) != (order == SD_ORDER_BIG)) {
		/* perf writes both from the same machine; trust the file header */
		if (p->diags)
			sd_diags_add(p->diags, SD_WARNING, SD_E_BAD_SECTION,
				     sizeof tracing_magic,
				     "tracing data: says %s endian, the file "
				     "is %s endian; using the file's",
				     big ? "big" : "little",
				     order == SD_ORDER_BIG ? "big" : "little");
	}
	if (long_size != 4 && long_size != 8) {
		if (p->diags)
			sd_diags_add(p->diags, SD_ERROR, SD_E_BAD_SECTION,
				     p->c.off - 5,
				     "tracing data: sizeof(long) = %u", long_size);
		return -SD_E_BAD_SECTION;
	}
	if (!page_size) {
		diag(p, SD_ERROR, SD_E_BAD_SECTION, p->c.off - 4,
		     "page size 0", NULL);
		return -SD_E_BAD_SECTION;
	}
	tp->long_size = long_size;
	tp->page_size = (int)(page_size > INT_MAX ? INT_MAX : page_size);
	tep_set_file_bigendian(tp->tep, order == SD_ORDER_BIG ? TEP_BIG_ENDIAN
							      : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tp->tep, tep_is_bigendian() ? TEP_BIG_ENDIAN
							   : TEP_LITTLE_ENDIAN);
	tep_set_long_size(tp->tep, long_size);
	tep_set_page_size(tp->tep, tp->page_size);

	if (sd_cur_bytes(&p->c, 12, &tag))
		return truncated(p, "the header_page tag");
	if (memcmp(tag, "header_page", 12)) {
		diag(p, SD_ERROR, SD_E_BAD_SECTION, p->c.off - 12,
		     "no header_page", NULL);
		return -SD_E_BAD_SECTION;
	}
	if (sd_cur_u64(&p->c, &n64) || n64 > sd_cur_left(&p->c))
		return truncated(p, "header_page");
	sd_cur_bytes(&p->c, (size_t)n64, &text);
	use_header_page(p, (const char *)text, (size_t)n64);

	if (sd_cur_bytes(&p->c, 13, &tag))
		return truncated(p, "the header_event tag");
	if (memcmp(tag, "header_event", 13)) {
		diag(p, SD_ERROR, SD_E_BAD_SECTION, p->c.off - 13,
		     "no header_event", NULL);
		return -SD_E_BAD_SECTION;
	}
	if ((err = skip_sized(p, 64, "header_event")))
		return err;

	if (sd_cur_u32(&p->c, &n32))
		return truncated(p, "the ftrace format count");
	if ((err = parse_formats(p, "ftrace", n32)))
		return err;

	if (sd_cur_u32(&p->c, &nr_systems))
		return truncated(p, "the system count");
	for (uint32_t i = 0; i < nr_systems; i++) {
		if ((err = read_cstr(p, SD_TP_MAX_NAME, &sys))) {
			if (err == -SD_E_TRUNCATED)
				return truncated(p, "a system name");
			diag(p, SD_ERROR, SD_E_BAD_SECTION, p->c.off,
			     "a system name has no end", NULL);
			return err;
		}
		if (sd_cur_u32(&p->c, &n32))
			return truncated(p, "an event count");
		if ((err = parse_formats(p, sys, n32)))
			return err;
	}

	if ((err = skip_sized(p, 32, "kallsyms")) ||
	    (err = skip_sized(p, 32, "printk formats")))
		return err;
	if (version_at_least(version, 0, 6) &&
	    (err = skip_sized(p, 64, "saved cmdlines")))
		return err;
	return 0;
}

int sd_tracepoints_new(const uint8_t *data, size_t len,
		       enum sd_byte_order order, struct sd_diags *diags,
		       struct sd_tracepoints **out)
{
	struct sd_tracepoints *tp;
	struct parse p;
	int err;

	if ((!data && len) || !out)
		return -EINVAL;
	tp = calloc(1, sizeof *tp);
	if (!tp)
		return -ENOMEM;
	tp->swap = (order == SD_ORDER_BIG) != (bool)tep_is_bigendian();
	tp->tep = tep_alloc();
	if (!tp->tep) {
		free(tp);
		return -ENOMEM;
	}
	p = (struct parse){
		.tp = tp,
		.c = sd_cursor_make(data, len, tp->swap),
		.diags = diags,
	};
	err = parse_tracing_data(&p, order);
	if (err) {
		sd_tracepoints_free(tp);
		return err;
	}

	if (tp->nr_events > 1)
		qsort(tp->events, tp->nr_events, sizeof *tp->events, cmp_event);
	for (size_t i = 0; i < tp->nr_events; i++) {
		struct sd_tp_event *ev = &tp->events[i];
		if (i && ev->id == tp->events[i - 1].id) {
			if (diags)
				sd_diags_add(diags, SD_WARNING,
					     SD_E_BAD_SECTION, UINT64_MAX,
					     "tracing data: ID %d is both "
					     "%s:%s and %s:%s; using the first",
					     ev->id,
					     tp->events[i - 1].system
						     ? tp->events[i - 1].system
						     : "?",
					     tp->events[i - 1].name
						     ? tp->events[i - 1].name
						     : "?",
					     ev->system ? ev->system : "?",
					     ev->name ? ev->name : "?");
			ev->usable = false;
			continue;
		}
		if (ev->usable)
			tp->nr_usable++;
	}
	*out = tp;
	return 0;
}

struct sd_tracepoints *sd_tracepoints_free(struct sd_tracepoints *tp)
{
	if (!tp)
		return NULL;
	tep_free(tp->tep);
	free(tp->events);
	free(tp);
	return NULL;
}

size_t sd_tracepoints_nr_events(const struct sd_tracepoints *tp)
{
	return tp ? tp->nr_usable : 0;
}

int sd_tracepoints_long_size(const struct sd_tracepoints *tp)
{
	return tp->long_size;
}

int sd_tracepoints_page_size(const struct sd_tracepoints *tp)
{
	return tp->page_size;
}
