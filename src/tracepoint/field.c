/* SPDX-License-Identifier: MIT */
/*
 * Events and their fields: lookups, and reads from raw payloads that never
 * leave the payload, whatever the format or the payload claims.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <traceevent/event-parse.h>

#include "tracepoint/internal.h"
#include "util/cursor.h"

static int found(const struct sd_tp_event *ev, const struct sd_tp_event **out)
{
	if (!ev->usable)
		return -SD_E_TRACEPOINT;
	*out = ev;
	return 0;
}

/*
 * Our own sorted table rather than tep_find_event(): the first format of a
 * duplicated id wins predictably, and a lookup writes nothing (tep caches
 * the last hit in the handle).
 */
int sd_tp_find_id(const struct sd_tracepoints *tp, uint64_t config,
		  const struct sd_tp_event **out)
{
	size_t lo = 0, hi;

	if (!tp || !out)
		return -EINVAL;
	if (config > INT_MAX)
		return -SD_E_UNKNOWN_EVENT;
	hi = tp->nr_events;
	while (lo < hi) { /* the first entry with id >= config */
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)tp->events[mid].id < config || tp->events[mid].id < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == tp->nr_events || (uint64_t)tp->events[lo].id != config)
		return -SD_E_UNKNOWN_EVENT;
	return found(&tp->events[lo], out);
}

int sd_tp_find_name(const struct sd_tracepoints *tp, const char *sys_name,
		    const struct sd_tp_event **out)
{
	const char *colon;
	const struct sd_tp_event *hit = NULL;
	size_t slen;

	if (!tp || !sys_name || !out)
		return -EINVAL;
	colon = strchr(sys_name, ':');
	if (!colon)
		return -EINVAL;
	slen = (size_t)(colon - sys_name);
	for (size_t i = 0; i < tp->nr_events; i++) {
		const struct sd_tp_event *ev = &tp->events[i];
		if (!ev->system || !ev->name ||
		    strncmp(ev->system, sys_name, slen) || ev->system[slen] ||
		    strcmp(ev->name, colon + 1))
			continue;
		if (ev->usable)
			return found(ev, out);
		if (!hit)
			hit = ev;
	}
	return hit ? -SD_E_TRACEPOINT : -SD_E_UNKNOWN_EVENT;
}

int sd_tp_event_id(const struct sd_tp_event *ev)
{
	return ev->id;
}

const char *sd_tp_event_system(const struct sd_tp_event *ev)
{
	return ev->system;
}

const char *sd_tp_event_name(const struct sd_tp_event *ev)
{
	return ev->name;
}

int sd_tp_field_get(const struct sd_tp_event *ev, const char *name,
		    struct sd_tp_field *out)
{
	struct tep_format_field *f;
	struct sd_tp_field r = {0};

	if (!ev || !name || !out)
		return -EINVAL;
	if (!ev->usable)
		return -SD_E_TRACEPOINT;
	f = tep_find_any_field(ev->tev, name);
	if (!f)
		return -ENOENT;
	/* offset and size come from strtoul() of the file's text: any int */
	if (f->offset < 0 || f->size <= 0 || f->offset > UINT16_MAX ||
	    f->size > UINT16_MAX)
		return -SD_E_TRACEPOINT;
	r.name = f->name;
	r.offset = (uint32_t)f->offset;
	r.size = (uint32_t)f->size;
	r.elem_size = f->elementsize;
	if (f->flags & TEP_FIELD_IS_SIGNED)
		r.flags |= SD_TP_SIGNED;
	if (f->flags & TEP_FIELD_IS_ARRAY)
		r.flags |= SD_TP_ARRAY;
	if (f->flags & TEP_FIELD_IS_STRING)
		r.flags |= SD_TP_STRING;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		r.flags |= SD_TP_DYNAMIC;
		/* the locator is a u32 (len << 16 | offset), or u16 before 2.6.31 */
		if (r.size != 4 && r.size != 2)
			return -SD_E_TRACEPOINT;
	}
	if (f->flags & TEP_FIELD_IS_RELATIVE)
		r.flags |= SD_TP_RELATIVE;
	r.swap = ev->tp->swap;
	*out = r;
	return 0;
}

/* offset + size within size, without overflow */
static bool in_range(size_t off, size_t n, size_t size)
{
	return off <= size && n <= size - off;
}

static uint64_t load(const uint8_t *p, uint32_t size, bool swap)
{
	switch (size) {
	case 1:
		return p[0];
	case 2:
		return sd_load16(p, swap);
	case 4:
		return sd_load32(p, swap);
	default:
		return sd_load64(p, swap);
	}
}

int sd_tp_read_u64(const struct sd_tp_field *field, const uint8_t *raw,
		   size_t raw_size, uint64_t *val)
{
	uint64_t v;
	unsigned bits;

	if (!field || !val || (!raw && raw_size))
		return -EINVAL;
	if (field->flags & (SD_TP_ARRAY | SD_TP_DYNAMIC))
		return -EINVAL;
	switch (field->size) {
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (!in_range(field->offset, field->size, raw_size))
		return -SD_E_BAD_RECORD;
	v = load(raw + field->offset, field->size, field->swap);
	bits = field->size * 8;
	if ((field->flags & SD_TP_SIGNED) && bits < 64 &&
	    (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	*val = v;
	return 0;
}

int sd_tp_read_str(const struct sd_tp_field *field, const uint8_t *raw,
		   size_t raw_size, char *buf, size_t cap)
{
	size_t off, len;
	const uint8_t *nul;

	if (!field || !buf || !cap || (!raw && raw_size))
		return -EINVAL;
	if (!(field->flags & SD_TP_STRING) || !field->size)
		return -EINVAL;
	/* char *argv[4] is "char" and an array too, but holds pointers */
	if (!(field->flags & SD_TP_DYNAMIC) && field->elem_size != 1)
		return -EINVAL;
	if (!in_range(field->offset, field->size, raw_size))
		return -SD_E_BAD_RECORD;

	if (!(field->flags & SD_TP_DYNAMIC)) {
		off = field->offset;
		len = field->size;
	} else if (field->size == 4) {
		uint32_t loc = sd_load32(raw + field->offset, field->swap);
		off = loc & 0xffff;
		len = loc >> 16;
		if (field->flags & SD_TP_RELATIVE)
			off += (size_t)field->offset + field->size;
		if (!in_range(off, len, raw_size))
			return -SD_E_BAD_RECORD;
	} else if (field->size == 2) {
		/* old kernels: an offset to a NUL-terminated string */
		off = sd_load16(raw + field->offset, field->swap);
		if (off > raw_size)
			return -SD_E_BAD_RECORD;
		len = raw_size - off;
	} else {
		return -EINVAL;
	}

	nul = memchr(raw + off, '\0', len);
	if (nul)
		len = (size_t)(nul - (raw + off));
	if (len > INT_MAX)
		return -SD_E_BAD_RECORD;
	size_t n = len < cap - 1 ? len : cap - 1;
	memcpy(buf, raw + off, n);
	buf[n] = '\0';
	return (int)len;
}
