/* SPDX-License-Identifier: MIT */
/*
 * ustar header blocks built by hand, for the tests' hostile archives
 * (libarchive writes the real ones).  Layout: tar(5) "ustar": name[100],
 * mode[8], uid[8], gid[8], size[12] (octal, or base-256 when byte 0 has
 * 0x80), mtime[12], chksum[8] (octal sum, the field counted as spaces),
 * typeflag, linkname[100], magic "ustar\0", version "00", uname[32],
 * gname[32], devmajor[8], devminor[8], prefix[155].  Archives are built
 * member by member into a struct arc.
 */
#ifndef SD_TEST_TARBLOCK_H
#define SD_TEST_TARBLOCK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAR_BLOCK 512

static inline uint64_t tar_padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

static inline void tar_octal(uint8_t *f, size_t len, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1),
		 (unsigned long long)v);
	memcpy(f, tmp, len - 1);
	f[len - 1] = 0;
}

static inline void tar_checksum(uint8_t *blk)
{
	unsigned sum = 0;
	char s[8];

	memset(blk + 148, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += blk[i];
	snprintf(s, sizeof s, "%06o", sum);
	memcpy(blk + 148, s, 7);
}

/* A regular file's header; sizes from 8 GiB on in base-256. */
static inline int tar_header(uint8_t blk[TAR_BLOCK], const char *name,
			     uint64_t size, uint64_t mtime)
{
	size_t n = strlen(name);

	if (n >= 100)
		return -EINVAL;
	memset(blk, 0, TAR_BLOCK);
	memcpy(blk, name, n);
	tar_octal(blk + 100, 8, 0600);
	tar_octal(blk + 108, 8, 0);
	tar_octal(blk + 116, 8, 0);
	if (size >> 33) {
		blk[124] = 0x80;
		for (int i = 11; i > 0 && size; i--, size >>= 8)
			blk[124 + i] = (uint8_t)(size & 0xff);
	} else {
		tar_octal(blk + 124, 12, size);
	}
	tar_octal(blk + 136, 12, mtime >> 33 ? 0 : mtime);
	blk[156] = '0';
	memcpy(blk + 257, "ustar", 6);
	memcpy(blk + 263, "00", 2);
	memcpy(blk + 265, "root", 4);
	memcpy(blk + 297, "root", 4);
	tar_checksum(blk);
	return 0;
}

/* ---- archives built by hand --------------------------------------------- */

struct arc {
	uint8_t *p;
	size_t n;
};

static inline void arc_raw(struct arc *a, const void *p, size_t n)
{
	a->p = realloc(a->p, a->n + n);
	if (!a->p)
		abort();
	memcpy(a->p + a->n, p, n);
	a->n += n;
}

/*
 * A member of type t ('0' file, '1' hard link, '2' symlink, '5'
 * directory, ...) whose header says size but whose data is data[len];
 * link (or NULL) is the linkname.  The name is cut at 100 bytes.
 */
static inline void arc_entry(struct arc *a, const char *name, char t,
			     const char *link, uint64_t size, const void *data,
			     size_t len)
{
	static const uint8_t zero[TAR_BLOCK];
	uint8_t blk[TAR_BLOCK];

	if (tar_header(blk, "x", size, 0))
		abort();
	memset(blk, 0, 100);
	memcpy(blk, name, strlen(name) < 100 ? strlen(name) : 100);
	blk[156] = (uint8_t)t;
	if (link)
		memcpy(blk + 157, link, strlen(link) < 100 ? strlen(link) : 100);
	tar_checksum(blk);
	arc_raw(a, blk, sizeof blk);
	arc_raw(a, data, len);
	arc_raw(a, zero, tar_padding(len));
}

/* A regular file whose header says size but whose data is data[len]. */
static inline void arc_member(struct arc *a, const char *name, uint64_t size,
			      const void *data, size_t len)
{
	arc_entry(a, name, '0', NULL, size, data, len);
}

static inline void arc_file(struct arc *a, const char *name, const char *text)
{
	arc_member(a, name, strlen(text), text, strlen(text));
}

/* The end-of-archive marker: two zero blocks. */
static inline void arc_end(struct arc *a)
{
	static const uint8_t zero[2 * TAR_BLOCK];

	arc_raw(a, zero, sizeof zero);
}

#endif
