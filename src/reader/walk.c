/* SPDX-License-Identifier: MIT */
/*
 * The record walk: one raw record after another, from the decompressed
 * stream of a COMPRESSED record first (zstd.c fills it), then from the
 * source; payloads that follow a record uncounted (tracing data, AUX
 * trace) absorbed or skipped; damaged headers and truncation reported.
 *
 * A record on disk (perf_event_header, then size - 8 bytes):
 *	u32 type; u16 misc; u16 size;
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/internal.h"

/* A record whose type is this large is not a record but trailing bytes. */
#define SD_TYPE_SANE 0x10000u

/* Reads n payload bytes that follow a record but are not counted in it. */
static int skip_payload(struct sd_reader *r, uint64_t n)
{
	while (n) {
		size_t step = n > (1u << 20) ? (1u << 20) : (size_t)n;
		size_t avail = sd_source_avail(&r->src);
		if (avail == 0) {
			if (sd_source_want(&r->src, 1) ||
			    !sd_source_avail(&r->src))
				return -SD_E_TRUNCATED;
			avail = sd_source_avail(&r->src);
		}
		if (step > avail)
			step = avail;
		r->src.pos += step;
		n -= step;
	}
	return 0;
}

static void truncated_at(struct sd_reader *r, uint64_t off, const char *what)
{
	r->stats.truncated = true;
	r->stats.truncated_at = off;
	sd_diags_add(&r->diags, SD_WARNING, SD_E_TRUNCATED, off,
		     "the data ends inside %s; everything before it was read",
		     what);
}

/*
 * Whether a plausible record header (a known-range type, a size of at
 * least a header) starts size bytes into the source, and another one after
 * that, or the data ends exactly there.  A damaged type is then one bad
 * record, not the end of the records; stray text appended to a file has
 * no such headers in it.
 */
static bool good_header_after(struct sd_reader *r, size_t size)
{
	struct sd_source *s = &r->src;
	size_t at = size;

	for (int k = 0; k < 2; k++) {
		if (sd_source_want(s, at + 8))
			/* the data ends: good if exactly at a header */
			return k > 0 && sd_source_avail(s) == at;
		const uint8_t *p = s->buf + s->pos + at;
		uint32_t type = sd_load32(p, r->swap);
		uint16_t next = sd_load16(p + 6, r->swap);
		if (type == 0 || type >= SD_TYPE_SANE || next < 8)
			return false;
		at += next;
	}
	return true;
}

/*
 * The next raw record, from the decompressed stream first, then from the
 * source.  Returns 1 with the record, 0 at the end of the input.  (The
 * common case, a whole kernel record in the source's buffer, is taken by
 * sd_next_raw() in internal.h before this is called.)
 */
int sd_next_raw_slow(struct sd_reader *r, struct sd_raw *raw)
{
	for (;;) {
		size_t dav = r->dend - r->dpos;
		if (dav >= 8) {
			const uint8_t *p = r->dbuf + r->dpos;
			uint16_t size = sd_load16(p + 6, r->swap);
			if (size < 8) {
				sd_diags_add(&r->diags, SD_WARNING,
					     SD_E_BAD_RECORD, r->doff,
					     "a record in compressed data has "
					     "size %u; the rest of that data is "
					     "skipped",
					     size);
				r->stats.bad_records++;
				r->dpos = r->dend;
				continue;
			}
			if (size <= dav) {
				r->dpos += size;
				raw->p = p;
				raw->len = size;
				raw->off = r->doff;
				raw->blk = r->dblk;
				raw->compressed = true;
				return 1;
			}
		}

		struct sd_source *s = &r->src;
		uint64_t at = sd_source_offset(s);
		int err = sd_source_want(s, 8);
		if (err) {
			size_t left = sd_source_avail(s);
			if (left)
				truncated_at(r, at, "a record header");
			if (dav)
				truncated_at(r, r->doff,
					     "a compressed record's data");
			if (err != -SD_E_TRUNCATED)
				sd_diags_add(&r->diags, SD_ERROR, err, at,
					     "read error: %s",
					     sd_strerror(err));
			return 0;
		}
		const uint8_t *p = s->buf + s->pos;
		uint32_t type = sd_load32(p, r->swap);
		uint16_t size = sd_load16(p + 6, r->swap);
		if ((type >= SD_TYPE_SANE || type == 0) && size >= 8 &&
		    good_header_after(r, size)) {
			/* one damaged type, and a record where its size says
			 * the next one starts: skip just this one */
			sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD, at,
				     "damaged record header (type %u, size %u) "
				     "between good records; that record is "
				     "skipped",
				     type, size);
			r->stats.bad_records++;
			s->pos += size;
			r->stats.bytes_consumed = sd_source_offset(s);
			continue;
		}
		if (size < 8 || type >= SD_TYPE_SANE || type == 0) {
			if (type >= SD_TYPE_SANE && r->stats.bytes_consumed &&
			    s->total > at)
				sd_diags_add(&r->diags, SD_WARNING,
					     SD_E_BAD_RECORD, at,
					     "%llu bytes after the last record "
					     "are not records (stray output "
					     "appended to the file?); ignored",
					     (unsigned long long)(s->total - at));
			else if (type >= SD_TYPE_SANE && r->stats.bytes_consumed)
				/* a pipe: how much follows is not known */
				sd_diags_add(&r->diags, SD_WARNING,
					     SD_E_BAD_RECORD, at,
					     "what follows the last record is "
					     "not records (stray output in the "
					     "stream?); ignored");
			else
				sd_diags_add(&r->diags, SD_WARNING,
					     SD_E_BAD_RECORD, at,
					     "damaged record header (type %u, "
					     "size %u); nothing after it can be "
					     "read",
					     type, size);
			r->stats.bad_records++;
			return 0;
		}
		if ((err = sd_source_want(s, size))) {
			truncated_at(r, at, "a record");
			return 0;
		}
		p = s->buf + s->pos;
		s->pos += size;
		r->stats.bytes_consumed = sd_source_offset(s);

		switch (type) {
		case SD_REC_COMPRESSED:
		case SD_REC_COMPRESSED2: {
			size_t hdr = type == SD_REC_COMPRESSED2 ? 16 : 8;
			size_t n = size - hdr;
			if (size < hdr) {
				r->stats.bad_records++;
				continue;
			}
			if (type == SD_REC_COMPRESSED2) {
				uint64_t dsz = sd_load64(p + 8, r->swap);
				if (dsz < n)
					n = (size_t)dsz;
			}
			r->stats.records[type]++;
			r->doff = at;
			if (sd_zstd_feed(r, p + hdr, n)) {
				/* the stream is lost from here on */
				r->dpos = r->dend = 0;
				return 0;
			}
			continue;
		}
		case SD_REC_HEADER_TRACING_DATA: {
			/* u32 size; then size bytes not counted in the record */
			uint32_t tsz = size >= 12 ? sd_load32(p + 8, r->swap) : 0;
			r->stats.records[type]++;
			if (tsz > SD_MAX_TRACING) {
				sd_diags_add(&r->diags, SD_ERROR, SD_E_LIMIT, at,
					     "tracing data of %u bytes is "
					     "beyond any real one; stopping",
					     tsz);
				return 0;
			}
			if (sd_source_want(s, tsz)) {
				truncated_at(r, at, "the tracing data");
				return 0;
			}
			struct sd_cursor c =
				sd_cursor_make(s->buf + s->pos, tsz, r->swap);
			sd_parse_feature(r, SD_FEAT_TRACING_DATA, &c, at);
			s->pos += tsz;
			continue;
		}
		case SD_REC_AUXTRACE: {
			/* u64 size; ...; then size bytes of trace data */
			uint64_t asz = size >= 16 ? sd_load64(p + 8, r->swap) : 0;
			r->stats.records[type]++;
			if (skip_payload(r, asz)) {
				truncated_at(r, at, "AUX trace data");
				return 0;
			}
			continue;
		}
		default:
			raw->p = p;
			raw->len = size;
			raw->off = at;
			raw->blk = s->blk;
			raw->compressed = false;
			return 1;
		}
	}
}
