/* SPDX-License-Identifier: MIT */
/*
 * PERF_RECORD_COMPRESSED / COMPRESSED2: perf record -z writes records
 * through one zstd stream, flushed (never ended) after each batch; each
 * compressed record carries the next piece of that stream.  A record may
 * start in one piece and end in the next, so the undecoded tail stays in
 * r->dbuf until more arrives (perf's decomp_last_rem).
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

int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n)
{
	uint64_t t0 = now_ns();

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
	if (r->dpos) {
		memmove(r->dbuf, r->dbuf + r->dpos, r->dend - r->dpos);
		r->dend -= r->dpos;
		r->dpos = 0;
	}
	if (r->dend > SD_MAX_DECOMP_RECORD) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff,
			     "compressed records do not decode into whole "
			     "records; the rest of the stream is skipped");
		return -SD_E_ZSTD;
	}
	size_t before = r->dend;
	ZSTD_inBuffer in = {p, n, 0};
	while (in.pos < in.size) {
		if (r->dcap - r->dend < ZSTD_DStreamOutSize()) {
			size_t cap = r->dcap ? r->dcap * 2 : 4 * ZSTD_DStreamOutSize();
			uint8_t *b = realloc(r->dbuf, cap);
			if (!b)
				return -ENOMEM;
			r->dbuf = b;
			r->dcap = cap;
		}
		ZSTD_outBuffer out = {r->dbuf, r->dcap, r->dend};
		size_t rc = ZSTD_decompressStream(r->z->ds, &out, &in);
		if (ZSTD_isError(rc)) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff,
				     "zstd: %s", ZSTD_getErrorName(rc));
			return -SD_E_ZSTD;
		}
		r->dend = out.pos;
		if (out.pos < out.size && in.pos == in.size)
			break;
		/* a chunk is at most perf's mmap size when expanded; a
		 * decompression bomb stops here */
		if (r->dend > (256u << 20)) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_LIMIT, r->doff,
				     "one compressed record expands past 256 MiB");
			return -SD_E_LIMIT;
		}
	}
	r->stats.compressed_bytes += n;
	r->stats.decompressed_bytes += r->dend - before;
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
