/* SPDX-License-Identifier: MIT */
/*
 * The reader's record loop: raw records from the source (or from the
 * decompressed stream), pipe-mode header records absorbed, kernel records
 * parsed and handed out in perf's delivery order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/internal.h"

/* A record whose type is this large is not a record but trailing bytes. */
#define SD_TYPE_SANE 0x10000u

struct sd_reader *sd_reader_free(struct sd_reader *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->nr_evsels; i++)
		sd_evsel_free(r->evsels[i]);
	free(r->evsels);
	sd_id_map_fini(&r->ids);
	sd_file_info_fini(&r->info);
	sd_diags_clear(&r->diags);
	sd_source_fini(&r->src);
	sd_zstd_free(r->z);
	free(r->dbuf);
	sd_queue_fini(&r->q);
	free(r->ips_scratch);
	free(r->str_scratch);
	free(r->raw_scratch);
	free(r->name);
	free(r);
	return NULL;
}

static int reader_start(struct sd_reader *r)
{
	uint8_t magic[16];
	int err;

	if (r->src.seekable)
		return sd_read_file_header(r);
	/* a pipe: only the 16-byte pipe header can come first */
	err = sd_source_want(&r->src, 16);
	if (err) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, 0,
			     "the stream ended before its perf.data header");
		return -SD_E_TRUNCATED;
	}
	memcpy(magic, r->src.buf + r->src.pos, 16);
	uint64_t m = sd_load64(magic, false);
	if (m == 0x32454c4946524550ull)
		r->swap = false;
	else if (m == 0x50455246494c4532ull)
		r->swap = true;
	else {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "not perf.data: the stream does not start with "
			     "PERFILE2");
		return -SD_E_BAD_MAGIC;
	}
	bool host_le = *(const uint8_t *)&(uint16_t){1} == 1;
	r->info.order = (host_le != r->swap) ? SD_ORDER_LITTLE : SD_ORDER_BIG;
	uint64_t hsize = sd_load64(magic + 8, r->swap);
	r->info.header_size = hsize;
	if (hsize != 16) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_HEADER, 8,
			     "a stream on standard input must be pipe-mode "
			     "perf.data (perf record -o -); this one has a "
			     "%llu-byte file header: pass the file by name",
			     (unsigned long long)hsize);
		return -SD_E_BAD_HEADER;
	}
	r->src.pos += 16;
	return sd_read_pipe_header(r);
}

static int reader_new(const char *name, unsigned flags, struct sd_reader **out)
{
	struct sd_reader *r = calloc(1, sizeof *r);

	if (!r)
		return -ENOMEM;
	r->name = strdup(name ? name : "-");
	if (!r->name) {
		free(r);
		return -ENOMEM;
	}
	r->flags = flags;
	r->id_pos = r->is_pos = -1;
	sd_diags_init(&r->diags);
	*out = r;
	return 0;
}

static int reader_open_finish(struct sd_reader *r, struct sd_diags *why,
			      struct sd_reader **out)
{
	int err = reader_start(r);

	if (err) {
		if (why)
			sd_diags_move(why, &r->diags);
		sd_reader_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int sd_reader_open_fd(int fd, const char *name, unsigned flags,
		      struct sd_diags *why, struct sd_reader **out)
{
	struct sd_reader *r;
	int err = reader_new(name, flags, &r);

	if (err) {
		close(fd);
		return err;
	}
	err = sd_source_init_fd(&r->src, fd, true);
	if (err) {
		sd_reader_free(r);
		return err;
	}
	return reader_open_finish(r, why, out);
}

int sd_reader_open(const char *path, unsigned flags, struct sd_diags *why,
		   struct sd_reader **out)
{
	int fd;

	if (!strcmp(path, "-"))
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return sd_reader_open_fd(fd, path, flags, why, out);
}

int sd_reader_open_mem(const void *buf, size_t len, const char *name,
		       unsigned flags, struct sd_diags *why,
		       struct sd_reader **out)
{
	struct sd_reader *r;
	int err = reader_new(name, flags, &r);

	if (err)
		return err;
	sd_source_init_mem(&r->src, buf, len);
	return reader_open_finish(r, why, out);
}

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
 * source.  Returns 1 with the record, 0 at the end of the input.
 */
static int next_raw(struct sd_reader *r, const uint8_t **rec, size_t *len,
		    uint64_t *off, bool *compressed)
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
				*rec = p;
				*len = size;
				*off = r->doff;
				*compressed = true;
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
			*rec = p;
			*len = size;
			*off = at;
			*compressed = false;
			return 1;
		}
	}
}

/* Records perf itself writes in pipe mode (and some in file mode). */
static void user_record(struct sd_reader *r, uint32_t type, const uint8_t *p,
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
			sd_queue_round(r);
		break;
	default:
		break;
	}
}

static int deliver(struct sd_reader *r, const uint8_t *p, size_t len,
		   uint64_t off, bool compressed, const struct sd_record **out)
{
	struct sd_record *rec = &r->rec;
	int err = sd_parse_record(r, p, len, off, compressed, rec);

	if (err == -ENOMEM)
		return err;
	if (err) {
		if (err != -SD_E_UNKNOWN_EVENT) {
			r->stats.bad_records++;
			sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD, off,
				     "damaged %s record (type %u, %zu bytes) "
				     "skipped",
				     compressed ? "compressed" : "", rec->type,
				     len);
		}
		return 0;
	}
	if (rec->type == SD_REC_SAMPLE) {
		struct sd_evsel *ev = (struct sd_evsel *)rec->evsel;
		const struct sd_file_info *in = &r->info;
		ev->nr_samples++;
		ev->total_period += rec->sample.period;
		/*
		 * perf stores the first and last sample time (SAMPLE_TIME,
		 * when it computed them): a sample outside has a damaged
		 * time, which would stretch the recording (one flipped byte
		 * made 1.5 s into 17593 s).  Its time is dropped.
		 */
		if (rec->id.has_time && in->has_sample_time &&
		    in->sample_time_first && in->sample_time_first <=
						    in->sample_time_last &&
		    (rec->id.time < in->sample_time_first ||
		     rec->id.time > in->sample_time_last)) {
			sd_diags_add(&r->diags, SD_WARNING, SD_E_BAD_RECORD,
				     off,
				     "a sample's time (%llu ns) is outside the "
				     "recording's first and last sample times; "
				     "its time is ignored",
				     (unsigned long long)rec->id.time);
			rec->id.has_time = false;
			rec->id.time = 0;
		}
		if (rec->id.has_time && rec->id.time) {
			if (!r->stats.first_time || rec->id.time < r->stats.first_time)
				r->stats.first_time = rec->id.time;
			if (rec->id.time > r->stats.last_time)
				r->stats.last_time = rec->id.time;
		}
	} else if (rec->type == SD_REC_LOST) {
		r->stats.lost_events += rec->lost.lost;
	} else if (rec->type == SD_REC_LOST_SAMPLES) {
		r->stats.lost_samples += rec->lost.lost;
	}
	*out = rec;
	return 1;
}

int sd_reader_next(struct sd_reader *r, const struct sd_record **out)
{
	for (;;) {
		if (r->ordered) {
			const struct sd_qent *e = sd_queue_pop(r);
			if (e) {
				int rc = deliver(r, e->data, e->len, e->offset,
						 e->compressed, out);
				if (rc)
					return rc;
				continue;
			}
		}
		if (r->at_end)
			return 0;

		const uint8_t *p;
		size_t len;
		uint64_t off;
		bool compressed;
		if (!next_raw(r, &p, &len, &off, &compressed)) {
			if (r->ordered)
				sd_queue_final(r);
			r->at_end = true;
			continue;
		}
		uint32_t type = sd_load32(p, r->swap);
		if (type < SD_REC_TYPE_MAX)
			r->stats.records[type]++;
		else
			r->stats.unknown_records++;
		if (type >= SD_REC_HEADER_ATTR) {
			user_record(r, type, p, len, off);
			continue;
		}
		if (type >= SD_REC_KERNEL_MAX)
			continue; /* a kernel record of a newer kernel */
		if (r->ordered) {
			uint64_t t;
			sd_record_time(r, p, len, &t);
			if (t != 0 && t != UINT64_MAX) {
				int err = sd_queue_push(r, p, (uint32_t)len, t,
							off, compressed);
				if (err)
					return err;
				continue;
			}
		}
		int rc = deliver(r, p, len, off, compressed, out);
		if (rc)
			return rc;
	}
}

const char *sd_reader_name(const struct sd_reader *r)
{
	return r->name;
}

const struct sd_file_info *sd_reader_info(const struct sd_reader *r)
{
	return &r->info;
}

size_t sd_reader_nr_evsels(const struct sd_reader *r)
{
	return r->nr_evsels;
}

const struct sd_evsel *sd_reader_evsel(const struct sd_reader *r, size_t i)
{
	return i < r->nr_evsels ? r->evsels[i] : NULL;
}

int sd_evsel_match(const struct sd_evsel *ev, const char *query)
{
	const char *en = ev->name;
	size_t n = strlen(query);

	if (!en)
		return 0;
	if (!strcmp(en, query))
		return 2;
	/* "cycles" finds "cycles:P"; "sched_switch" finds "sched:sched_switch" */
	if (!strncmp(en, query, n) && (en[n] == ':' || en[n] == '/'))
		return 1;
	const char *colon = strchr(en, ':');
	if (colon && !strcmp(colon + 1, query))
		return 1;
	return 0;
}

const struct sd_evsel *sd_reader_find_evsel(const struct sd_reader *r,
					    const char *name)
{
	const struct sd_evsel *partial = NULL;

	for (size_t i = 0; i < r->nr_evsels; i++) {
		int m = sd_evsel_match(r->evsels[i], name);
		if (m == 2)
			return r->evsels[i];
		if (m == 1 && !partial)
			partial = r->evsels[i];
	}
	return partial;
}

const struct sd_reader_stats *sd_reader_stats(const struct sd_reader *r)
{
	return &r->stats;
}

struct sd_diags *sd_reader_diags(struct sd_reader *r)
{
	return &r->diags;
}

void sd_reader_progress(const struct sd_reader *r, uint64_t *done,
			uint64_t *total)
{
	*done = sd_source_offset(&r->src);
	*total = r->src.total;
}
