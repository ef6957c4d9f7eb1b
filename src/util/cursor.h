/* SPDX-License-Identifier: MIT */
/*
 * The one way bytes of an input are read: a cursor over a buffer that
 * checks every access against what is left and converts byte order.
 * Never cast a pointer into input data; read through a cursor.
 */
#ifndef SD_UTIL_CURSOR_H
#define SD_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <swapdiag/error.h>

struct sd_cursor {
	const uint8_t *base;
	size_t len;
	size_t off;
	bool swap; /* the data is in the other byte order */
};

static inline struct sd_cursor sd_cursor_make(const void *base, size_t len,
					      bool swap)
{
	struct sd_cursor c = {base, len, 0, swap};
	return c;
}

static inline size_t sd_cur_left(const struct sd_cursor *c)
{
	return c->len - c->off;
}

static inline bool sd_cur_has(const struct sd_cursor *c, size_t n)
{
	return n <= c->len - c->off;
}

static inline uint16_t sd_bswap16_if(uint16_t v, bool swap)
{
	return swap ? __builtin_bswap16(v) : v;
}
static inline uint32_t sd_bswap32_if(uint32_t v, bool swap)
{
	return swap ? __builtin_bswap32(v) : v;
}
static inline uint64_t sd_bswap64_if(uint64_t v, bool swap)
{
	return swap ? __builtin_bswap64(v) : v;
}

/* Loads that do not move; the caller has checked the range. */
static inline uint16_t sd_load16(const void *p, bool swap)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return sd_bswap16_if(v, swap);
}
static inline uint32_t sd_load32(const void *p, bool swap)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return sd_bswap32_if(v, swap);
}
static inline uint64_t sd_load64(const void *p, bool swap)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return sd_bswap64_if(v, swap);
}

#define SD_CUR_READ(bits)                                                      \
	static inline int sd_cur_u##bits(struct sd_cursor *c, uint##bits##_t *v) \
	{                                                                      \
		if (!sd_cur_has(c, bits / 8))                                  \
			return -SD_E_TRUNCATED;                                \
		*v = sd_load##bits(c->base + c->off, c->swap);                 \
		c->off += bits / 8;                                            \
		return 0;                                                      \
	}
SD_CUR_READ(16)
SD_CUR_READ(32)
SD_CUR_READ(64)
#undef SD_CUR_READ

static inline int sd_cur_u8(struct sd_cursor *c, uint8_t *v)
{
	if (!sd_cur_has(c, 1))
		return -SD_E_TRUNCATED;
	*v = c->base[c->off++];
	return 0;
}

static inline int sd_cur_skip(struct sd_cursor *c, size_t n)
{
	if (!sd_cur_has(c, n))
		return -SD_E_TRUNCATED;
	c->off += n;
	return 0;
}

/* Borrows n bytes in place (no byte-order conversion). */
static inline int sd_cur_bytes(struct sd_cursor *c, size_t n,
			       const uint8_t **p)
{
	if (!sd_cur_has(c, n))
		return -SD_E_TRUNCATED;
	*p = c->base + c->off;
	c->off += n;
	return 0;
}

/* Splits off the next n bytes as a cursor of their own. */
static inline int sd_cur_sub(struct sd_cursor *c, size_t n,
			     struct sd_cursor *sub)
{
	if (!sd_cur_has(c, n))
		return -SD_E_TRUNCATED;
	*sub = sd_cursor_make(c->base + c->off, n, c->swap);
	c->off += n;
	return 0;
}

/*
 * Reads a perf header string: u32 len, then len bytes, NUL-padded.  The
 * result is a NUL-terminated copy of at most max bytes (malloc'ed), cut at
 * the first NUL.
 */
int sd_cur_perf_string(struct sd_cursor *c, size_t max, char **out);

/* A NUL-terminated copy of at most max bytes of p[0..n), cut at NUL. */
char *sd_strndup_clean(const uint8_t *p, size_t n, size_t max);

#endif
