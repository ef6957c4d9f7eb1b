/* SPDX-License-Identifier: MIT */
/*
 * ustar headers (POSIX.1-1988, as GNU tar and bsdtar read them).  One
 * 512-byte block per member, then the data padded to 512, then two
 * all-zero blocks:
 *
 *	struct ustar_header {		offset
 *		char name[100];		  0  NUL-terminated unless full
 *		char mode[8];		100  octal
 *		char uid[8], gid[8];	108
 *		char size[12];		124  octal, or base-256 if byte 0 & 0x80
 *		char mtime[12];		136  octal
 *		char chksum[8];		148  octal sum of the block, this field
 *					     counted as 8 spaces
 *		char typeflag;		156  '0' or NUL: regular file
 *		char linkname[100];	157
 *		char magic[6];		257  "ustar\0" (GNU: "ustar ")
 *		char version[2];	263  "00" (GNU: " \0")
 *		char uname[32], gname[32];	265
 *		char devmajor[8], devminor[8];	329
 *		char prefix[155];	345  full name is prefix "/" name
 *		char pad[12];		500
 *	};
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bundle/internal.h"

enum {
	OFF_NAME = 0, LEN_NAME = 100,
	OFF_MODE = 100, LEN_MODE = 8,
	OFF_UID = 108, OFF_GID = 116, LEN_ID = 8,
	OFF_SIZE = 124, LEN_SIZE = 12,
	OFF_MTIME = 136, LEN_MTIME = 12,
	OFF_CHKSUM = 148, LEN_CHKSUM = 8,
	OFF_TYPE = 156,
	OFF_MAGIC = 257,
	OFF_VERSION = 263,
	OFF_UNAME = 265, OFF_GNAME = 297,
	OFF_PREFIX = 345, LEN_PREFIX = 155,
};

/* Writes v as len-1 octal digits and a NUL; false if it does not fit. */
static bool put_octal(uint8_t *f, size_t len, uint64_t v)
{
	char tmp[32];

	if (len - 1 < 22 && v >> (3 * (len - 1)))
		return false;
	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1),
		 (unsigned long long)v);
	memcpy(f, tmp, len - 1);
	f[len - 1] = 0;
	return true;
}

static void put_base256(uint8_t *f, size_t len, uint64_t v)
{
	memset(f, 0, len);
	f[0] = 0x80;
	for (size_t i = len - 1; i > 0 && v; i--, v >>= 8)
		f[i] = (uint8_t)(v & 0xff);
}

static unsigned checksum(const uint8_t *blk, bool as_signed)
{
	unsigned sum = 0;

	for (size_t i = 0; i < SD_TAR_BLOCK; i++) {
		if (i >= OFF_CHKSUM && i < OFF_CHKSUM + LEN_CHKSUM)
			sum += ' ';
		else
			sum += as_signed ? (unsigned)(int)(signed char)blk[i]
					 : blk[i];
	}
	return sum;
}

bool sd_tar_name_ok(const char *name)
{
	size_t n = strlen(name);
	const char *p = name;

	if (!n || n > SD_TAR_NAME_MAX || name[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
	}
	while (*p) {
		size_t w = strcspn(p, "/");
		if (w == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += w;
		if (*p == '/')
			p++;
	}
	return true;
}

int sd_tar_header_encode(uint8_t blk[SD_TAR_BLOCK], const char *name,
			 uint64_t size, uint64_t mtime)
{
	size_t n = strlen(name);
	char sum[8];

	if (n >= LEN_NAME || !sd_tar_name_ok(name))
		return -EINVAL;
	memset(blk, 0, SD_TAR_BLOCK);
	memcpy(blk + OFF_NAME, name, n);
	put_octal(blk + OFF_MODE, LEN_MODE, 0600);
	put_octal(blk + OFF_UID, LEN_ID, 0);
	put_octal(blk + OFF_GID, LEN_ID, 0);
	if (!put_octal(blk + OFF_SIZE, LEN_SIZE, size))
		put_base256(blk + OFF_SIZE, LEN_SIZE, size);
	if (!put_octal(blk + OFF_MTIME, LEN_MTIME, mtime))
		put_octal(blk + OFF_MTIME, LEN_MTIME, 0);
	blk[OFF_TYPE] = '0';
	memcpy(blk + OFF_MAGIC, "ustar", 6);
	memcpy(blk + OFF_VERSION, "00", 2);
	memcpy(blk + OFF_UNAME, "root", 4);
	memcpy(blk + OFF_GNAME, "root", 4);
	snprintf(sum, sizeof sum, "%06o", checksum(blk, false));
	memcpy(blk + OFF_CHKSUM, sum, 6);
	blk[OFF_CHKSUM + 6] = 0;
	blk[OFF_CHKSUM + 7] = ' ';
	return 0;
}

/*
 * A numeric field: octal digits, optionally led by spaces and ended by
 * NUL or space; or base-256 (first byte 0x80, big-endian, positive only,
 * at most 63 bits).
 */
static bool get_number(const uint8_t *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return false; /* negative, or more than 63 bits */
		for (i = 1; i < len; i++) {
			if (v >> 55)
				return false;
			v = v << 8 | f[i];
		}
		*out = v;
		return true;
	}
	while (i < len && f[i] == ' ')
		i++;
	size_t digits = 0;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return false;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != 0 && f[i] != ' ')
			return false;
	if (!digits)
		return false;
	*out = v;
	return true;
}

/* A NUL-terminated copy of a field that may fill its whole length. */
static size_t get_string(const uint8_t *f, size_t len, char *out)
{
	size_t n = 0;

	while (n < len && f[n])
		n++;
	memcpy(out, f, n);
	out[n] = 0;
	return n;
}

int sd_tar_header_decode(const uint8_t blk[SD_TAR_BLOCK],
			 struct sd_tar_member *m, const char **why)
{
	char name[LEN_NAME + 1], prefix[LEN_PREFIX + 1];
	uint64_t sum;
	size_t i;

	for (i = 0; i < SD_TAR_BLOCK && !blk[i]; i++)
		;
	if (i == SD_TAR_BLOCK)
		return 0;
	memset(m, 0, sizeof *m);
	if (memcmp(blk + OFF_MAGIC, "ustar", 5) ||
	    (blk[OFF_MAGIC + 5] != 0 && blk[OFF_MAGIC + 5] != ' ')) {
		*why = "not a ustar header";
		return -EBADMSG;
	}
	if (!get_number(blk + OFF_CHKSUM, LEN_CHKSUM, &sum) ||
	    (sum != checksum(blk, false) && sum != checksum(blk, true))) {
		*why = "header checksum does not match";
		return -EBADMSG;
	}
	if (!get_number(blk + OFF_SIZE, LEN_SIZE, &m->size)) {
		*why = "size field is not a number";
		return -EBADMSG;
	}
	if (!get_number(blk + OFF_MTIME, LEN_MTIME, &m->mtime))
		m->mtime = 0; /* only informative */
	get_string(blk + OFF_NAME, LEN_NAME, name);
	/* GNU tar's old format keeps other data where ustar has prefix */
	if (blk[OFF_MAGIC + 5] == 0)
		get_string(blk + OFF_PREFIX, LEN_PREFIX, prefix);
	else
		prefix[0] = 0;
	const char *full = name;
	char joined[SD_TAR_NAME_MAX + 2];
	if (prefix[0]) {
		snprintf(joined, sizeof joined, "%s/%s", prefix, name);
		full = joined;
	}
	while (full[0] == '.' && full[1] == '/')
		full += 2;
	if (!sd_tar_name_ok(full)) {
		*why = "member name is empty, absolute, leaves the archive "
		       "(\"..\") or has control characters";
		return -EBADMSG;
	}
	memcpy(m->name, full, strlen(full) + 1);
	m->typeflag = (char)blk[OFF_TYPE];
	switch (m->typeflag) {
	case '0':
	case '\0':
	case '7':
		m->kind = SD_TAR_FILE;
		break;
	case 'x':
	case 'g':
	case '5':
		m->kind = SD_TAR_SKIP;
		break;
	default:
		m->kind = SD_TAR_OTHER;
		break;
	}
	return 1;
}
