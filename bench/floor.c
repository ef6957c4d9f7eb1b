/* SPDX-License-Identifier: MIT */
/*
 * The floor: the least any tool must do with a perf.data recording --
 * read every record and hash every sample's call chain -- in plain C,
 * with nothing kept.  BENCHMARKS.md compares swapdiag's time with this.
 *
 * usage: floor FILE|-     (file mode, pipe mode, perf record -z)
 * prints: records, samples, call-chain words and a checksum of the hashes
 *
 * Reads with read(2) in 1 MiB blocks; a pipe is grown to 1 MiB first, as
 * swapdiag grows it (src/reader/source.c), so that `cat F | floor -` is
 * what a pipe costs any reader.  Layouts used:
 *	file header: u64 magic "PERFILE2"; u64 size; u64 attr_size;
 *	             {u64 offset, size} attrs, data, event_types; ...
 *	attr (at attrs.offset, attr_size each): u32 type; u32 size;
 *	             u64 config; u64 sample_period; u64 sample_type; ...
 *	pipe mode: u64 magic; u64 size (16); then records, the attrs as
 *	             HEADER_ATTR (64) records: header; attr; u64 ids[]
 *	record: u32 type; u16 misc; u16 size; body
 *	SAMPLE (9): IDENTIFIER, IP, TID, TIME, ADDR, ID, STREAM_ID, CPU,
 *	             PERIOD (a u64 each when in sample_type), then CALLCHAIN:
 *	             u64 nr; u64 ips[nr]  (READ before it is not handled)
 *	COMPRESSED (81): header; zstd frames of further records
 * Events whose call chains start at different offsets are told apart by
 * the sample's id (IDENTIFIER, the first u64: perf record sets it when
 * it records more than one event); the ids come from each attr's ids
 * section (file mode: the attr's last 16 bytes, {u64 offset, size}) or
 * follow the attr in its HEADER_ATTR record (pipe mode).
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define BLOCK (1u << 20)
#define S_CALLCHAIN (1ull << 5)
#define S_READ (1ull << 4)

static int chain_off = -1; /* byte offset of the callchain in a sample */
static bool mixed;         /* events differ in it: by id */
static struct { uint64_t id; int off; } idmap[8192];
static size_t nids;
static uint64_t records, samples, words, sum;
static ZSTD_DStream *zs;
static uint8_t *zbuf; /* decompressed records, zlen bytes, zpos read */
static size_t zlen, zcap;

static void die(const char *m)
{
	fprintf(stderr, "floor: %s\n", m);
	exit(1);
}

static int id_off(uint64_t id)
{
	for (size_t i = 0; i < nids; i++)
		if (idmap[i].id == id)
			return idmap[i].off;
	return -1;
}

/* An event's attr and its n ids. */
static void attr(const uint8_t *a, size_t len, const uint64_t *ids, size_t n)
{
	uint64_t st, bits[] = {1ull << 16, 1ull << 0, 1ull << 1, 1ull << 2,
			       1ull << 3, 1ull << 6, 1ull << 9, 1ull << 7,
			       1ull << 8};
	int off = 8;

	if (len < 32)
		die("short attr");
	memcpy(&st, a + 24, 8);
	if (!(st & S_CALLCHAIN))
		return;
	if (st & S_READ)
		die("sample_type READ is not handled");
	for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
		off += st & bits[i] ? 8 : 0;
	if (!(st & (1ull << 16)) && chain_off >= 0 && chain_off != off)
		die("events put their call chains at different offsets "
		    "and carry no IDENTIFIER");
	if (chain_off >= 0 && chain_off != off)
		mixed = true;
	chain_off = off;
	for (size_t i = 0; i < n && nids < 8192; i++)
		idmap[nids++].id = ids[i], idmap[nids - 1].off = off;
}

static inline uint64_t hash_words(const uint64_t *v, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	return h;
}

static void records_in(const uint8_t *p, size_t n, size_t *used);

static void record(const uint8_t *p, uint32_t type, uint16_t size)
{
	records++;
	int co = chain_off;
	if (type == 9 && mixed && size >= 16) {
		uint64_t id;
		memcpy(&id, p + 8, 8);
		co = id_off(id);
	}
	if (type == 9 && co >= 0 && co + 8 <= size) {
		uint64_t nr;
		memcpy(&nr, p + co, 8);
		if (nr > (size - co - 8u) / 8)
			nr = (size - co - 8u) / 8;
		uint64_t ips[4096];
		if (nr > 4096)
			nr = 4096;
		memcpy(ips, p + co + 8, nr * 8);
		sum += hash_words(ips, nr);
		words += nr;
		samples++;
	} else if (type == 64 && size > 16) {
		uint32_t asz;
		memcpy(&asz, p + 12, 4);
		if (asz < 32 || asz > size - 8u)
			die("damaged HEADER_ATTR");
		uint64_t ids[1024];
		size_t n = (size - 8u - asz) / 8;
		if (n > 1024)
			n = 1024;
		memcpy(ids, p + 8 + asz, n * 8);
		attr(p + 8, asz, ids, n);
	} else if (type == 81 && size > 8) {
		ZSTD_inBuffer in = {p + 8, size - 8u, 0};
		while (in.pos < in.size) {
			if (zcap - zlen < BLOCK) {
				zcap = zcap ? zcap * 2 : 4 * BLOCK;
				zbuf = realloc(zbuf, zcap);
				if (!zbuf)
					die("out of memory");
			}
			ZSTD_outBuffer out = {zbuf + zlen, zcap - zlen, 0};
			if (ZSTD_isError(ZSTD_decompressStream(zs, &out, &in)))
				die("zstd");
			zlen += out.pos;
		}
		size_t used;
		records_in(zbuf, zlen, &used);
		memmove(zbuf, zbuf + used, zlen - used);
		zlen -= used;
	}
}

/* The whole records in p[0..n); *used: the bytes they take. */
static void records_in(const uint8_t *p, size_t n, size_t *used)
{
	size_t o = 0;
	for (;;) {
		uint32_t type;
		uint16_t size;
		if (n - o < 8)
			break;
		memcpy(&type, p + o, 4);
		memcpy(&size, p + o + 6, 2);
		if (size < 8)
			die("damaged record");
		if (n - o < size)
			break;
		record(p + o, type, size);
		o += size;
	}
	*used = o;
}

int main(int argc, char **argv)
{
	int fd = argc == 2 && strcmp(argv[1], "-") ? open(argv[1], O_RDONLY) : 0;
	uint8_t *buf = malloc(2 * BLOCK);
	uint8_t h[104];
	uint64_t left = UINT64_MAX;
	size_t have = 0;

	if (argc != 2 || fd < 0 || !buf)
		die("usage: floor FILE|-");
	zs = ZSTD_createDStream();
#ifdef F_SETPIPE_SZ
	if (fd == 0)
		(void)fcntl(0, F_SETPIPE_SZ, 1 << 20); /* not a pipe: EBADF */
#endif
	if (read(fd, h, 16) != 16 || memcmp(h, "PERFILE2", 8))
		die("not a perf.data file (PERFILE2, this byte order)");
	uint64_t hsize;
	memcpy(&hsize, h + 8, 8);
	if (hsize != 16) { /* file mode: attrs, then the data section */
		uint64_t asz, aoff, alen, doff;
		if (pread(fd, h, 104, 0) != 104)
			die("short header");
		memcpy(&asz, h + 16, 8);
		memcpy(&aoff, h + 24, 8);
		memcpy(&alen, h + 32, 8);
		memcpy(&doff, h + 40, 8);
		memcpy(&left, h + 48, 8);
		uint8_t *a = malloc(alen);
		if (!a || asz < 32 || pread(fd, a, alen, (off_t)aoff) != (ssize_t)alen)
			die("cannot read the attrs");
		for (uint64_t o = 0; o + asz <= alen; o += asz) {
			uint64_t is[2], ids[1024];
			memcpy(is, a + o + asz - 16, 16);
			size_t n = is[1] / 8 > 1024 ? 1024 : (size_t)(is[1] / 8);
			if (pread(fd, ids, n * 8, (off_t)is[0]) != (ssize_t)(n * 8))
				die("cannot read an event's ids");
			attr(a + o, asz - 16, ids, n);
		}
		free(a);
		if (lseek(fd, (off_t)doff, SEEK_SET) < 0)
			die("seek");
	}
	while (left) {
		size_t want = BLOCK;
		if (want > left)
			want = (size_t)left;
		ssize_t got = read(fd, buf + have, want);
		if (got <= 0)
			break;
		left -= (uint64_t)got;
		have += (size_t)got;
		size_t used;
		records_in(buf, have, &used);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	printf("%llu records, %llu samples, %llu chain words, checksum %016llx\n",
	       (unsigned long long)records, (unsigned long long)samples,
	       (unsigned long long)words, (unsigned long long)sum);
	return 0;
}
