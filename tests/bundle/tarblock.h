/* SPDX-License-Identifier: MIT */
/*
 * ustar header blocks built by hand, for the tests' hostile archives
 * (libarchive writes the real ones).  Layout: tar(5) "ustar": name[100],
 * mode[8], uid[8], gid[8], size[12] (octal, or base-256 when byte 0 has
 * 0x80), mtime[12], chksum[8] (octal sum, the field counted as spaces),
 * typeflag, linkname[100], magic "ustar\0", version "00", uname[32],
 * gname[32], devmajor[8], devminor[8], prefix[155].
 */
#ifndef SD_TEST_TARBLOCK_H
#define SD_TEST_TARBLOCK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

#endif
