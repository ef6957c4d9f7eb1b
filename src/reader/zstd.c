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
 * zstd decodes straight into the blocks (its buffer-less API): no copy
 * out of a window buffer of its own.  The blocks are its window instead:
 * a block is filled to the end, then the undecoded tail of a record is
 * copied to the front of the next one and decoding goes on after it;
 * zstd reads back into the block before (kept until the next switch),
 * which holds at least a window's worth, because a block is sized to
 * the window plus room for the largest zstd block and a record.  At a
 * switch the block before that goes first, so that it is the one taken
 * if no queued record holds it: two blocks written in turn stay warmer
 * in the cache than three (zstd's output is most of its cache misses).  A piece
 * of input zstd wants whole that spans two compressed records is put
 * together first.  A frame whose window is larger than SD_ZSTD_DIRECT_MAX
 * is decoded through zstd's own buffers (ZSTD_decompressStream) instead.
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
#define ZSTD_STATIC_LINKING_ONLY /* the buffer-less API */
#include <zstd.h>

/* the largest window decoded straight into blocks (two blocks of about
 * this size are kept) */
#define SD_ZSTD_DIRECT_MAX (8u << 20)

struct sd_zstate {
	ZSTD_DStream *ds;   /* streaming, for large windows */
	ZSTD_DCtx *dctx;    /* buffer-less */
	bool direct;
	size_t window;      /* of the frame under way (direct) */
	/* a piece zstd wants whole, put together across records */
	uint8_t in[ZSTD_BLOCKSIZE_MAX + 64];
	size_t inlen;
	/* the frame header put together, for its window */
	uint8_t hdr[ZSTD_FRAMEHEADERSIZE_MAX];
	size_t hdrlen;
	/* the block decoded into before dblk: zstd's window reaches into it */
	struct sd_block *prev;
	size_t seg_start; /* where zstd's output in dblk starts */
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

/*
 * Direct decoding: output goes to dbuf + dend, a new block when fewer than
 * a zstd block's bytes are left, with dbuf[dpos, dend) (a record not
 * taken yet) copied to its front.  The block before stays for zstd's
 * window until the next switch.
 */
static int dbuf_switch(struct sd_reader *r)
{
	struct sd_zstate *z = r->z;
	size_t part = r->dend - r->dpos;
	size_t need = z->window + part + 3 * (size_t)ZSTD_BLOCKSIZE_MAX;
	size_t cap = 1u << 20;
	struct sd_block *b;

	while (cap < need)
		cap *= 2;
	if (r->zpool.std_cap < cap) {
		/* blocks of the old size go when done */
		r->zpool.std_cap = cap;
		r->zpool.max_free = 2;
	}
	/* zstd's window lies in dblk from now on: the block before goes
	 * first, so that, if no queued record holds it, it is the one
	 * written next (two blocks in turn, a smaller span of memory) */
	sd_block_done(z->prev);
	z->prev = NULL;
	b = sd_block_get(&r->zpool, cap);
	if (!b)
		return -ENOMEM;
	if (part)
		memcpy(b->data, r->dbuf + r->dpos, part);
	z->prev = r->dblk;
	r->dblk = b;
	r->dbuf = b->data;
	r->dcap = b->cap;
	r->dpos = 0;
	r->dend = part;
	z->seg_start = part;
	return 0;
}

static int zstd_error(struct sd_reader *r, size_t rc)
{
	sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff, "zstd: %s",
		     ZSTD_getErrorName(rc));
	return -SD_E_ZSTD;
}

static int feed_direct(struct sd_reader *r, const uint8_t *p, size_t n,
		       size_t *produced)
{
	struct sd_zstate *z = r->z;

	while (n) {
		size_t need = ZSTD_nextSrcSizeToDecompress(z->dctx);
		if (!need) {
			/* a frame ended: another may follow */
			size_t rc = ZSTD_decompressBegin(z->dctx);
			if (ZSTD_isError(rc))
				return zstd_error(r, rc);
			z->hdrlen = 0;
			continue;
		}
		const uint8_t *src = p;
		if (z->inlen || n < need) {
			if (need > sizeof z->in)
				return zstd_error(r, (size_t)-1);
			size_t take = need - z->inlen;
			if (take > n)
				take = n;
			memcpy(z->in + z->inlen, p, take);
			z->inlen += take;
			p += take;
			n -= take;
			if (z->inlen < need)
				break; /* the rest comes with the next record */
			src = z->in;
		} else {
			p += need;
			n -= need;
		}
		ZSTD_nextInputType_e kind = ZSTD_nextInputType(z->dctx);
		if (kind == ZSTDnit_frameHeader &&
		    z->hdrlen + need <= sizeof z->hdr) {
			memcpy(z->hdr + z->hdrlen, src, need);
			z->hdrlen += need;
		}
		if (kind == ZSTDnit_block &&
		    r->dcap - r->dend < ZSTD_BLOCKSIZE_MAX &&
		    dbuf_switch(r))
			return -ENOMEM;
		size_t got = ZSTD_decompressContinue(z->dctx, r->dbuf + r->dend,
						     r->dcap - r->dend, src,
						     need);
		z->inlen = 0;
		if (ZSTD_isError(got))
			return zstd_error(r, got);
		r->dend += got;
		*produced += got;
		if (kind == ZSTDnit_frameHeader &&
		    ZSTD_nextInputType(z->dctx) != ZSTDnit_frameHeader) {
			/* the header is whole: the frame's window */
			ZSTD_frameHeader fh;
			if (ZSTD_getFrameHeader(&fh, z->hdr, z->hdrlen) != 0 ||
			    fh.windowSize > SD_ZSTD_DIRECT_MAX) {
				sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD,
					     r->doff,
					     "zstd: a frame after the first "
					     "has a window beyond %u MiB; "
					     "the rest of the stream is skipped",
					     SD_ZSTD_DIRECT_MAX >> 20);
				return -SD_E_ZSTD;
			}
			if (fh.windowSize > z->window) {
				/* a new frame reads nothing before it */
				z->window = (size_t)fh.windowSize;
				if (dbuf_switch(r))
					return -ENOMEM;
			}
		}
		/* a compressed record's output is at most perf's mmap size; a
		 * decompression bomb stops here */
		if (r->dend - r->dpos > (256u << 20)) {
			sd_diags_add(&r->diags, SD_ERROR, SD_E_LIMIT, r->doff,
				     "one compressed record expands past 256 MiB");
			return -SD_E_LIMIT;
		}
	}
	return 0;
}

/* The decoder for the stream that starts with p: buffer-less unless the
 * first frame's window is too large for it (or its header is not in p). */
static int zstd_start(struct sd_reader *r, const uint8_t *p, size_t n)
{
	ZSTD_frameHeader fh;
	struct sd_zstate *z = calloc(1, sizeof *z);

	if (!z)
		return -ENOMEM;
	r->z = z;
	if (ZSTD_getFrameHeader(&fh, p, n) == 0 &&
	    fh.windowSize <= SD_ZSTD_DIRECT_MAX) {
		z->dctx = ZSTD_createDCtx();
		if (!z->dctx)
			return -ENOMEM;
		z->direct = true;
		z->window = (size_t)fh.windowSize;
		ZSTD_decompressBegin(z->dctx);
		return 0;
	}
	z->ds = ZSTD_createDStream();
	if (!z->ds)
		return -ENOMEM;
	ZSTD_initDStream(z->ds);
	return 0;
}

int sd_zstd_feed(struct sd_reader *r, const uint8_t *p, size_t n)
{
	uint64_t t0 = now_ns();

	/* records from here on have another offset: a queued stretch of
	 * the records before does not go on into them */
	r->q.tail_end = NULL;

	int err;

	if (!r->z && (err = zstd_start(r, p, n)))
		return err;
	/* keep the partial record, drop what was consumed */
	size_t part = r->dend - r->dpos;
	if (part > SD_MAX_DECOMP_RECORD) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_ZSTD, r->doff,
			     "compressed records do not decode into whole "
			     "records; the rest of the stream is skipped");
		return -SD_E_ZSTD;
	}
	if (r->z->direct) {
		struct sd_zstate *z = r->z;
		size_t produced = 0;
		/* a new block now, while only a record's tail is to be
		 * moved, if this one is nearly full and holds a window */
		if (!r->dblk ||
		    (r->dcap - r->dend < 4 * (size_t)ZSTD_BLOCKSIZE_MAX &&
		     r->dend - z->seg_start >= z->window)) {
			if (dbuf_switch(r))
				return -ENOMEM;
		}
		err = feed_direct(r, p, n, &produced);
		r->stats.compressed_bytes += n;
		r->stats.decompressed_bytes += produced;
		r->stats.decompress_ns += now_ns() - t0;
		return err;
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

void sd_zstd_release(struct sd_zstate *z)
{
	if (z) {
		sd_block_done(z->prev);
		z->prev = NULL;
	}
}

void sd_zstd_free(struct sd_zstate *z)
{
	if (!z)
		return;
	ZSTD_freeDStream(z->ds);
	ZSTD_freeDCtx(z->dctx);
	sd_block_done(z->prev);
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

void sd_zstd_release(struct sd_zstate *z)
{
	(void)z;
}

void sd_zstd_free(struct sd_zstate *z)
{
	(void)z;
}
#endif
