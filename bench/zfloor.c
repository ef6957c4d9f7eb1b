/* SPDX-License-Identifier: MIT */
/*
 * The floor of decompression for perf record -z recordings: the zstd
 * stream of every COMPRESSED / COMPRESSED2 record decoded, nothing else
 * (no record is looked at).  swapdiag's own decoding (--headers:
 * "decompressed in ... ms"; callgrind: ZSTD_decompressContinue inclusive)
 * is compared with this.
 *
 * usage: zfloor FILE      (file or pipe mode, this byte order)
 * prints: compressed records, bytes in, bytes out, CPU time of decoding
 * built:  build/bench/zfloor (with zstd; or cc -O2 bench/zfloor.c -lzstd)
 *
 * Decodes with zstd's buffer-less API (ZSTD_decompressContinue), as
 * swapdiag does, into one ring of window + 1 MiB: a new zstd block starts
 * at the ring's front when fewer than ZSTD_BLOCKSIZE_MAX bytes are left,
 * and zstd reads back across the wrap.  The file is read whole first; the
 * time is that of the decoding alone.
 *
 * What the floor is made of (kstorm-z.data, libzstd 1.5.4, callgrind):
 * 190.2 M instructions for 36.3 MB, 5.2 a byte, because perf's records
 * come out as 1.23 M sequences of 29.6 bytes on average (1.96 M
 * literals, 733 zstd blocks: perf flushes one or two per record); the
 * sequence decoder takes about 125 instructions a sequence (153 M), the
 * literals 22 M, the tables of each block 15 M.  ZSTD_decompressStream
 * on the same records (zstd's window buffer, then a copy out) takes
 * 226.8 M; ZSTD_decompressDCtx cannot be used, perf never ends its frame.
 * swapdiag's decoding is 0.3 % above this in instructions; in time it
 * is above it by the cache misses of writing its output, which lines
 * the record walk has pushed out of the cache in between (zstd.c).
 *	file header: u64 magic "PERFILE2"; u64 size; u64 attr_size;
 *	             {u64 offset, size} attrs, data, ...
 *	pipe mode:   u64 magic; u64 size (16); then records
 *	record:      u32 type; u16 misc; u16 size; body
 *	COMPRESSED  (81): header; zstd data[size - 8]
 *	COMPRESSED2 (83): header; u64 data_size; zstd data[data_size]
 */
#define ZSTD_STATIC_LINKING_ONLY /* the buffer-less API */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

static ZSTD_DCtx *dctx;
static uint8_t *ring; /* the output */
static size_t ring_cap, ring_at;
static uint8_t piece[ZSTD_BLOCKSIZE_MAX + 64]; /* one zstd wants whole */
static size_t piece_len;
static uint8_t hdr[ZSTD_FRAMEHEADERSIZE_MAX]; /* the frame header so far */
static size_t hdr_len;
static uint64_t nrec, bytes_in, bytes_out;

static void die(const char *m)
{
	fprintf(stderr, "zfloor: %s\n", m);
	exit(1);
}

/* A frame's header is whole: a ring that holds its window. */
static void frame_started(void)
{
	ZSTD_frameHeader fh;

	if (ZSTD_getFrameHeader(&fh, hdr, hdr_len) != 0)
		die("a damaged zstd frame header");
	if (fh.windowSize + (1u << 20) > ring_cap) {
		/* a new frame reads nothing before it */
		ring_cap = (size_t)fh.windowSize + (1u << 20);
		free(ring);
		ring = malloc(ring_cap);
		if (!ring)
			die("out of memory");
		ring_at = 0;
	}
}

/* The next piece of the stream, p[0..n): on from where the last stopped. */
static void feed(const uint8_t *p, size_t n)
{
	bytes_in += n;
	while (n) {
		size_t need = ZSTD_nextSrcSizeToDecompress(dctx);
		if (!need) { /* a frame ended: another may follow */
			ZSTD_decompressBegin(dctx);
			hdr_len = 0;
			continue;
		}
		const uint8_t *src = p;
		if (piece_len || n < need) { /* put together across records */
			if (need > sizeof piece)
				die("a zstd piece larger than a block");
			size_t take = need - piece_len < n ? need - piece_len : n;
			memcpy(piece + piece_len, p, take);
			piece_len += take;
			p += take;
			n -= take;
			if (piece_len < need)
				return;
			src = piece;
		} else {
			p += need;
			n -= need;
		}
		ZSTD_nextInputType_e kind = ZSTD_nextInputType(dctx);
		if (kind == ZSTDnit_frameHeader) {
			if (hdr_len + need > sizeof hdr)
				die("a damaged zstd frame header");
			memcpy(hdr + hdr_len, src, need);
			hdr_len += need;
		}
		if (kind == ZSTDnit_block && ring_cap - ring_at < ZSTD_BLOCKSIZE_MAX)
			ring_at = 0;
		size_t got = ZSTD_decompressContinue(dctx, ring + ring_at,
						     ring_cap - ring_at, src, need);
		piece_len = 0;
		if (ZSTD_isError(got))
			die(ZSTD_getErrorName(got));
		ring_at += got;
		bytes_out += got;
		if (kind == ZSTDnit_frameHeader &&
		    ZSTD_nextInputType(dctx) != ZSTDnit_frameHeader)
			frame_started();
	}
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		die("usage: zfloor FILE");
	do {
		if (cap - len < (1u << 20)) {
			cap = cap ? 2 * cap : 4u << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	if (len < 16 || memcmp(buf, "PERFILE2", 8))
		die("not a perf.data file (PERFILE2, this byte order)");
	size_t at = 16, end = len;
	if (get64(buf + 8) != 16) { /* file mode: the data section */
		if (len < 56)
			die("short header");
		uint64_t off = get64(buf + 40), size = get64(buf + 48);
		if (off > len || size > len - off)
			die("the data section is past the end of the file");
		at = (size_t)off;
		end = (size_t)(off + size);
	}
	dctx = ZSTD_createDCtx();
	if (!dctx)
		die("out of memory");
	ZSTD_decompressBegin(dctx);

	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	while (end - at >= 8) {
		uint32_t type;
		uint16_t size;
		memcpy(&type, buf + at, 4);
		memcpy(&size, buf + at + 6, 2);
		if (size < 8 || size > end - at)
			die("a damaged record");
		if (type == 81) {
			nrec++;
			feed(buf + at + 8, size - 8u);
		} else if (type == 83 && size >= 16) {
			uint64_t n = get64(buf + at + 8);
			if (n > size - 16u)
				die("a damaged COMPRESSED2 record");
			nrec++;
			feed(buf + at + 16, (size_t)n);
		}
		at += size;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	printf("%llu compressed records, %llu -> %llu bytes, decoded in %.1f ms of CPU\n",
	       (unsigned long long)nrec, (unsigned long long)bytes_in,
	       (unsigned long long)bytes_out,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	ZSTD_freeDCtx(dctx);
	free(ring);
	free(buf);
	return 0;
}
