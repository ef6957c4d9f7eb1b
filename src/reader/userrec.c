/* SPDX-License-Identifier: MIT */
/*
 * Records perf writes about the recording rather than about the system
 * (types from SD_REC_HEADER_ATTR up): in pipe mode the attrs, event
 * names, features and build-ids come this way; FINISHED_ROUND closes a
 * round of the time ordering (ordered.c).
 */
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

/* Pipe-mode HEADER_ATTR: header; perf_event_attr; u64 ids[]. */
static void header_attr(struct sd_reader *r, const uint8_t *p, size_t len,
			uint64_t off)
{
	struct sd_cursor c = sd_cursor_make(p + 8, len - 8, r->swap);
	struct sd_evsel *ev;
	uint32_t asz;

	if (len < 8 + 64) {
		sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_ATTR, off,
			     "attr record too short; event skipped");
		return;
	}
	asz = sd_load32(p + 12, r->swap);
	if (asz == 0)
		asz = 64;
	if (asz > len - 8)
		asz = (uint32_t)(len - 8);
	if (sd_parse_attr(r, &c, asz, off, &ev))
		return;
	if (sd_add_evsel(r, ev)) {
		sd_evsel_free(ev);
		return;
	}
	sd_evsel_add_ids(r, ev, &c, sd_cur_left(&c) / 8);
}

/* HEADER_EVENT_TYPE (old pipe files): u64 event_id; char name[64]. */
static void header_event_type(struct sd_reader *r, const uint8_t *p,
			      size_t len)
{
	if (len < 8 + 8 + 1)
		return;
	uint64_t config = sd_load64(p + 8, r->swap);
	for (size_t i = 0; i < r->nr_evsels; i++) {
		struct sd_evsel *ev = r->evsels[i];
		if (ev->type == SD_TYPE_TRACEPOINT && ev->config == config) {
			char *name = sd_strndup_clean(p + 16, len - 16, 64);
			if (name) {
				free(ev->name);
				ev->name = name;
			}
		}
	}
}

/*
 * EVENT_UPDATE: u64 type; u64 id; data.  type: 0 unit, 1 scale (a
 * double), 2 name (a string), 3 cpus.
 */
#define EVENT_UPDATE_NAME 2
static void event_update(struct sd_reader *r, const uint8_t *p, size_t len)
{
	if (len < 8 + 16 + 1 ||
	    sd_load64(p + 8, r->swap) != EVENT_UPDATE_NAME)
		return;
	struct sd_evsel *ev = sd_id_lookup(r, sd_load64(p + 16, r->swap));
	if (!ev)
		return;
	char *name = sd_strndup_clean(p + 24, len - 24, SD_MAX_STRING);
	if (name) {
		free(ev->name);
		ev->name = name;
	}
}

/* ID_INDEX: u64 nr; nr x { u64 id, idx, cpu, tid; } (v2 appends more). */
static void id_index(struct sd_reader *r, const uint8_t *p, size_t len)
{
	if (len < 16)
		return;
	uint64_t nr = sd_load64(p + 8, r->swap);
	if (nr > (len - 16) / 32)
		nr = (len - 16) / 32;
	for (uint64_t i = 0; i < nr; i++) {
		const uint8_t *e = p + 16 + 32 * i;
		uint64_t id = sd_load64(e, r->swap);
		uint64_t idx = sd_load64(e + 8, r->swap);
		if (idx >= r->nr_evsels || sd_id_lookup(r, id))
			continue;
		uint64_t le = id;
		if (r->swap)
			le = __builtin_bswap64(le);
		struct sd_cursor c = sd_cursor_make(&le, 8, r->swap);
		sd_evsel_add_ids(r, r->evsels[idx], &c, 1);
	}
}

/* HEADER_BUILD_ID: the BUILD_ID feature's entry layout, one per record. */
static void header_build_id(struct sd_reader *r, const uint8_t *p, size_t len,
			    uint64_t off)
{
	struct sd_cursor c = sd_cursor_make(p, len, r->swap);
	sd_parse_feature(r, SD_FEAT_BUILD_ID, &c, off);
}

/* Records perf itself writes in pipe mode (and some in file mode). */
void sd_user_record(struct sd_reader *r, uint32_t type, const uint8_t *p,
		    size_t len, uint64_t off)
{
	switch (type) {
	case SD_REC_HEADER_ATTR:
		header_attr(r, p, len, off);
		break;
	case SD_REC_HEADER_EVENT_TYPE:
		header_event_type(r, p, len);
		break;
	case SD_REC_HEADER_FEATURE:
		if (len >= 16) {
			uint64_t feat = sd_load64(p + 8, r->swap);
			struct sd_cursor c =
				sd_cursor_make(p + 16, len - 16, r->swap);
			if (feat < SD_FEAT_BITS)
				sd_parse_feature(r, (unsigned)feat, &c, off);
		}
		break;
	case SD_REC_HEADER_BUILD_ID:
		header_build_id(r, p, len, off);
		break;
	case SD_REC_EVENT_UPDATE:
		event_update(r, p, len);
		break;
	case SD_REC_ID_INDEX:
		id_index(r, p, len);
		break;
	case SD_REC_FINISHED_ROUND:
		if (r->ordered)
			sd_queue_round(&r->q);
		break;
	default:
		break;
	}
}
