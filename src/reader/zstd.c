/* SPDX-License-Identifier: MIT */
/*
 * PERF_RECORD_COMPRESSED / COMPRESSED2: perf record -z writes records
 * through one zstd stream, flushed (never ended) after each batch; each
 * compressed record carries the next piece of that stream.  A record may
 * start in one piece and end in the next, so the undecoded tail stays in
 * r->dbuf until more arrives (perf's decomp_last_rem).  dbuf is a block
 * (block.c): while queued records lie in it, new output goes after them or
 * into a new block, never over them.
 *
 *	COMPRESSED  (81): struct perf_event_header; char data[];
 *	COMPRESSED2 (83): struct perf_event_header; u64 data_size;
 *			  char data[data_size];	  header.size 8-aligned
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "reader/internal.h"

#if HAVE_ZSTD
#include <zstd.h>

struct sd_zstate {
	ZSTD_DStream *ds;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Moves what is not taken yet, dbuf[dpos, dend), to the front of a new
 * block of at least cap bytes; the old block goes when its queued records
 * have been delivered.
 */
static int dbuf_move(struct sd_reader *r, size_t cap)
{
	size_t part = r->dend - r->dpos;
	struct sd_block *b;

	if (!r->zpool.std_cap) {
		r->zpool.std_cap = 4 * ZSTD_DStreamOutSize();
		r->zpool.max_free = 2;
	}
	while (cap < part + ZSTD_DStreamOutSize())
		cap = cap ? cap * 2 : r->zpool.std_cap;
	b = sd_block_get(&r->zpool, cap);
	if (!b)
		return -ENOMEM;
	if (part)
		memcpy(b->data, r->dbuf + r->dpos, part);
	sd_block_done(r->dblk);
	r->dblk = b;
	r->dbuf = b->data;
	r->dcap = b->cap;
	r->dpos = 0;
	r->dend = part;
	return 0;
}

int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n)
{
	uint64_t t0 = now_ns();

	/* records from here on have another offset: a queued stretch of
	 * the records before does not go on into them */
	r->q.tail_end = NULL;

	if (!r->z) {
		r->z = calloc(1, sizeof *r->z);
		if (!r->z)
			return -ENOMEM;
		r->z->ds = ZSTD_createDStream();
		if (!r->z->ds)
			return -ENOMEM;
		ZSTD_initDStream(r->z->ds);
	}
	/* keep the partial record, drop what was consumed */
	size_t part = r->dend - r->dpos;
	if (part > SD_MAX_DECOMP_RECORD) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff,
			     "compressed records do not decode into whole "
			     "records; the rest of the stream is skipped");
		return -SD_E_ZSTD;
	}
	size_t want = ZSTD_DStreamOutSize();
	if (!r->dblk || (r->dblk->refs && r->dcap - r->dend < want)) {
		if (dbuf_move(r, 0))
			return -ENOMEM;
	} else if (!r->dblk->refs && r->dpos) {
		memmove(r->dbuf, r->dbuf + r->dpos, part);
		r->dend = part;
		r->dpos = 0;
	}
	size_t produced = 0;
	ZSTD_inBuffer in = {p, n, 0};
	while (in.pos < in.size) {
		if (r->dcap - r->dend < want && dbuf_move(r, 0))
			return -ENOMEM;
		ZSTD_outBuffer out = {r->dbuf, r->dcap, r->dend};
		size_t rc = ZSTD_decompressStream(r->z->ds, &out, &in);
		if (ZSTD_isError(rc)) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff,
				     "zstd: %s", ZSTD_getErrorName(rc));
			return -SD_E_ZSTD;
		}
		produced += out.pos - r->dend;
		r->dend = out.pos;
		if (out.pos < out.size && in.pos == in.size)
			break;
		/* a chunk is at most perf's mmap size when expanded; a
		 * decompression bomb stops here */
		if (r->dend - r->dpos > (256u << 20)) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_LIMIT, r->doff,
				     "one compressed record expands past 256 MiB");
			return -SD_E_LIMIT;
		}
	}
	r->stats.compressed_bytes += n;
	r->stats.decompressed_bytes += produced;
	r->stats.decompress_ns += now_ns() - t0;
	return 0;
}

void sd_zstd_free(struct sd_zstate *z)
{
	if (!z)
		return;
	ZSTD_freeDStream(z->ds);
	free(z);
}

#else

int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n)
{
	sd_diags_add(&r->diags, SD_ERROR, SD_E_NO_ZSTD, r->doff,
		     "the recording is compressed (perf record -z) and this "
		     "build has no zstd support");
	return -SD_E_NO_ZSTD;
}

void sd_zstd_free(struct sd_zstate *z)
{
	(void)z;
}
#endif
