/* SPDX-License-Identifier: MIT */
/* The reader's private state, shared by the files of src/reader/. */
#ifndef SD_READER_INTERNAL_H
#define SD_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/reader.h>

#include "util/cursor.h"

/* Caps: every count read from a file is checked against one of these. */
#define SD_MAX_EVSELS 4096
#define SD_MAX_IDS (1u << 20)       /* ids over all events */
#define SD_MAX_ATTR_SIZE 4096       /* larger attrs are damage */
#define SD_MAX_STRING 4096          /* feature strings */
#define SD_MAX_FEATURE (64u << 20)  /* one feature section */
#define SD_MAX_TRACING (64u << 20)  /* tracing data */
#define SD_MAX_BUILD_IDS 65536
#define SD_MAX_CALLCHAIN 4096       /* frames kept from one call chain */
#define SD_MAX_QUEUE_BYTES (256u << 20) /* time-ordering queue */
#define SD_MAX_DECOMP_RECORD (1u << 20) /* pending partial record */

/*
 * The byte source: the data section of a file (read in windows with
 * pread), a pipe (read), or a caller's buffer (no copy).  buf[pos, end) are
 * bytes not consumed yet; base_off is the input offset of buf[0].
 */
struct sd_source {
	int fd;
	bool own_fd;
	bool is_mem;
	bool seekable;
	bool eof;        /* nothing more can be read */
	uint8_t *buf;
	size_t cap;
	size_t pos, end;
	uint64_t base_off;  /* input offset of buf[0] */
	uint64_t limit;     /* input offset where the data ends (UINT64_MAX: EOF) */
	uint64_t read_off;  /* next input offset to read from (file mode) */
	uint64_t total;     /* input size if known */
};

/* One queued record copy for time ordering. */
struct sd_qent {
	uint64_t time;
	uint64_t seq;
	uint8_t *data;
	uint64_t offset;
	uint32_t len;
	uint32_t round;
	bool compressed;
};

struct sd_qchunk {
	uint8_t *p;
	size_t size;
};

struct sd_qround {
	struct sd_qchunk *chunks;
	size_t nchunks;
	size_t size; /* of the last chunk */
	size_t used; /* in the last chunk */
	uint64_t live;
	bool closed;
};

struct sd_queue {
	struct sd_qent *v;
	size_t n, cap;
	size_t head;             /* entries before head were delivered */
	uint64_t seq;
	uint64_t next_flush;     /* deliver up to this time at the next round */
	uint64_t max_time;
	uint64_t last_flush;
	uint64_t bytes;
	struct sd_qround *rounds; /* ring indexed by round id */
	size_t nrounds_alloc;
	size_t rounds_cap;
	uint32_t round_base;      /* id of rounds[0] */
	uint32_t cur_round;
	bool flushing;            /* delivering from v[head..flush_end) */
	size_t flush_end;
	/* chunks of delivered rounds, kept for the next ones: their pages
	 * are already resident (a fresh MiB costs 256 page faults) */
	struct sd_qchunk spare[8];
	size_t nspare;
	struct sd_qent *tmp; /* sort_entries()'s buffer, tmpcap entries */
	size_t tmpcap;
};

struct sd_zstate;

struct sd_id_map {
	uint64_t *keys;
	uint32_t *vals; /* evsel index + 1; 0 = empty */
	size_t nslots, n;
};

struct sd_reader {
	char *name;
	unsigned flags;
	bool swap;
	bool ordered;
	struct sd_file_info info;
	struct sd_evsel **evsels;
	size_t nr_evsels;
	struct sd_id_map ids;
	/* position of the id in samples / from the end of trailers, when the
	 * layouts of all events agree (perf's evlist id_pos/is_pos) */
	int id_pos, is_pos;
	uint16_t id_hdr_size; /* size of the sample_id_all trailer */
	struct sd_diags diags;
	struct sd_reader_stats stats;

	struct sd_source src;
	struct sd_zstate *z;
	/* decompressed records waiting to be taken */
	uint8_t *dbuf;
	size_t dcap, dpos, dend;
	uint64_t doff; /* offset of the compressed record feeding dbuf */

	struct sd_queue q;
	bool at_end;
	bool failed;

	struct sd_record rec;
	uint64_t *ips_scratch;
	size_t ips_cap;
	uint64_t regs_scratch[64]; /* a sample's REGS_USER, host order */
	char *str_scratch;
	size_t str_cap;
	uint8_t *raw_scratch;
	size_t raw_cap;
};

/*
 * Arrays that grow one element at a time from the file (events, ids,
 * build-ids) double their allocation instead of growing by one, which
 * made a file with many of them quadratic (each realloc copied the whole
 * array: 65536 build-ids took minutes under ASan).  Their capacity is not
 * stored: an array of n elements allocated only through sd_pow2_cap()
 * holds sd_pow2_cap(n) of them, so it must grow when adding takes
 * sd_pow2_cap() past that.
 */
static inline size_t sd_pow2_cap(size_t n)
{
	size_t c = 1;

	while (c < n)
		c <<= 1;
	return c;
}

static inline bool sd_pow2_grows(const void *p, size_t n, size_t more)
{
	return !p || sd_pow2_cap(n + more) > sd_pow2_cap(n);
}

/* source.c */
int sd_source_init_fd(struct sd_source *s, int fd, bool own);
void sd_source_init_mem(struct sd_source *s, const void *buf, size_t len);
void sd_source_fini(struct sd_source *s);
/* Reads exactly n bytes at offset off (file/mem only) into out. */
int sd_source_pread(struct sd_source *s, void *out, size_t n, uint64_t off);
/* Positions the stream at off (file/mem) with data ending at limit. */
int sd_source_seek(struct sd_source *s, uint64_t off, uint64_t limit);
/* Makes at least n bytes available at buf + pos; 0, or -SD_E_TRUNCATED if
 * the input ends first (fewer bytes stay available), or -errno. */
int sd_source_want(struct sd_source *s, size_t n);
static inline uint64_t sd_source_offset(const struct sd_source *s)
{
	return s->base_off + s->pos;
}
static inline size_t sd_source_avail(const struct sd_source *s)
{
	return s->end - s->pos;
}

/* header.c */
int sd_read_file_header(struct sd_reader *r);
int sd_read_pipe_header(struct sd_reader *r);
int sd_parse_feature(struct sd_reader *r, unsigned feat, struct sd_cursor *c,
		     uint64_t offset);

/* attr.c */
int sd_parse_attr(struct sd_reader *r, struct sd_cursor *c, uint32_t size,
		  uint64_t offset, struct sd_evsel **out);
int sd_add_evsel(struct sd_reader *r, struct sd_evsel *ev);
int sd_evsel_add_ids(struct sd_reader *r, struct sd_evsel *ev,
		     struct sd_cursor *c, size_t n);
void sd_evsel_free(struct sd_evsel *ev);
void sd_update_id_layout(struct sd_reader *r);
struct sd_evsel *sd_id_lookup(const struct sd_reader *r, uint64_t id);
void sd_id_map_fini(struct sd_id_map *m);
void sd_evsel_make_name(struct sd_evsel *ev);

/* sample.c */
struct sd_evsel *sd_record_evsel(struct sd_reader *r, const uint8_t *rec,
				 size_t len, uint32_t type);
int sd_record_time(struct sd_reader *r, const uint8_t *rec, size_t len,
		   uint64_t *time);
int sd_parse_record(struct sd_reader *r, const uint8_t *data, size_t len,
		    uint64_t offset, bool compressed, struct sd_record *out);

/* zstd.c */
int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n);

/* walk.c: the next raw record (decompressed data first); 1 with it, 0 at
 * the end of the input. */
int sd_next_raw(struct sd_reader *r, const uint8_t **rec, size_t *len,
		uint64_t *off, bool *compressed);
/* userrec.c: absorbs a record of type >= SD_REC_HEADER_ATTR. */
void sd_user_record(struct sd_reader *r, uint32_t type, const uint8_t *p,
		    size_t len, uint64_t off);
void sd_zstd_free(struct sd_zstate *z);

/* ordered.c */
int sd_queue_push(struct sd_reader *r, const uint8_t *data, uint32_t len,
		  uint64_t time, uint64_t offset, bool compressed);
void sd_queue_round(struct sd_reader *r);
void sd_queue_final(struct sd_reader *r);
/* The next record ready for delivery, or NULL. */
const struct sd_qent *sd_queue_pop(struct sd_reader *r);
void sd_queue_fini(struct sd_queue *q);

#endif
