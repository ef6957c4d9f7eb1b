/* SPDX-License-Identifier: MIT */
/*
 * Private to kfast.c (kallsyms' short path): reading its text more than
 * a byte at a time -- sixteen hex digits checked and valued at once
 * (SSE2, or eight bytes in a word), and which of 16 bytes are a given
 * one (or a pattern's) as a mask, so that a line's end and spaces are
 * bit tests instead of a search.
 */
#ifndef SD_SYMBOLS_KSCAN_H
#define SD_SYMBOLS_KSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Eight hex digits at p (any case) as a number, eight bytes at a time:
 * false if any of them is not a hex digit.  Per byte c: a digit is
 * 0x30..0x39, a letter (c | 0x20) 0x61..0x66 -- range tests on all eight
 * bytes at once (bytes below 0x80 never carry into their neighbours);
 * its value is (c & 15), plus 9 for a letter (bit 6 set).  Then the
 * nibbles are packed, the first byte the most significant.
 */
static inline __attribute__((always_inline)) bool hex8(const char *p,
						       uint32_t *out)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t v, l;

	memcpy(&v, p, 8);
	l = v | ones * 0x20;
	uint64_t dig = (v + ones * 0x50) & ~(v + ones * 0x46);
	uint64_t let = (l + ones * 0x1f) & ~(l + ones * 0x19);
	if ((v & high) || ((dig | let) & high) != high)
		return false;
	uint64_t d = (v & ones * 15) + ((v >> 6) & ones) * 9;
	d = ((d << 4) | (d >> 8)) & 0x00ff00ff00ff00ffull;
	d = ((d << 8) | (d >> 16)) & 0x0000ffff0000ffffull;
	*out = (uint32_t)((d & 0xffff) << 16 | (d >> 32));
	return true;
}
#else
/* A hex digit's value (either case), 0xff for any other byte. */
static inline unsigned hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10u : 0xffu;
}

static inline __attribute__((always_inline)) bool hex8(const char *p,
						       uint32_t *out)
{
	uint32_t v = 0;
	unsigned bad = 0;

	for (int i = 0; i < 8; i++) {
		unsigned h = hex_digit((unsigned char)p[i]);
		bad |= h;
		v = v << 4 | (h & 15);
	}
	*out = v;
	return !(bad & 0xf0);
}
#endif

#if defined(__SSE2__)
/* Sixteen bytes at p, as hex16_ok() and hex16_value() read them. */
typedef __m128i hex16_t;

static inline __attribute__((always_inline)) hex16_t hex16_load(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Whether all sixteen are hex digits (either case): per byte c, whether
 * c - '0' < 10 or (c | 0x20) - 'a' < 6, unsigned modulo 256 -- a signed
 * compare after moving 0 to -128. */
static inline __attribute__((always_inline)) bool hex16_ok(hex16_t c)
{
	__m128i l = _mm_or_si128(c, _mm_set1_epi8(0x20));
	__m128i dig = _mm_cmplt_epi8(_mm_add_epi8(c, _mm_set1_epi8(0x80 - '0')),
				     _mm_set1_epi8(-128 + 10));
	__m128i let = _mm_cmplt_epi8(_mm_add_epi8(l, _mm_set1_epi8(0x80 - 'a')),
				     _mm_set1_epi8(-128 + 6));
	return _mm_movemask_epi8(_mm_or_si128(dig, let)) == 0xffff;
}

/* Their value (hex16_ok() said they are digits): each byte's (c & 15),
 * plus 9 for a letter (hex16_ok()'s own letter test, so that the
 * compiler reuses it), the pairs packed into bytes, then the bytes put
 * most significant first. */
static inline __attribute__((always_inline)) uint64_t hex16_value(hex16_t c)
{
	__m128i l = _mm_or_si128(c, _mm_set1_epi8(0x20));
	__m128i let = _mm_cmplt_epi8(_mm_add_epi8(l, _mm_set1_epi8(0x80 - 'a')),
				     _mm_set1_epi8(-128 + 6));
	__m128i v = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(15)),
				 _mm_and_si128(let, _mm_set1_epi8(9)));
	__m128i pr = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(v, 4),
						_mm_srli_epi16(v, 8)),
				   _mm_set1_epi16(0xff));
	return __builtin_bswap64(
		(uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pr, pr)));
}
#else
typedef const char *hex16_t;

static inline __attribute__((always_inline)) hex16_t hex16_load(const char *p)
{
	return p;
}

static inline __attribute__((always_inline)) bool hex16_ok(hex16_t p)
{
	uint32_t v;

	return hex8(p, &v) && hex8(p + 8, &v);
}

static inline __attribute__((always_inline)) uint64_t hex16_value(hex16_t p)
{
	uint32_t hi = 0, lo = 0;

	(void)hex8(p, &hi);
	(void)hex8(p + 8, &lo);
	return (uint64_t)hi << 32 | lo;
}
#endif

/* Which of the 16 bytes at p are c, bit i for p[i]. */
static inline __attribute__((always_inline)) uint64_t eq16(const char *p,
							   char c)
{
#if defined(__SSE2__)
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		_mm_loadu_si128((const __m128i *)(const void *)p),
		_mm_set1_epi8(c)));
#else
	uint64_t m = 0;
	for (int k = 0; k < 16; k++)
		m |= (uint64_t)(p[k] == c) << k;
	return m;
#endif
}

/* Which of the 16 bytes at p equal pat's, bit i for p[i]. */
static inline __attribute__((always_inline)) uint64_t match16(const char *p,
							      const char *pat)
{
#if defined(__SSE2__)
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		_mm_loadu_si128((const __m128i *)(const void *)p),
		_mm_loadu_si128((const __m128i *)(const void *)pat)));
#else
	uint64_t m = 0;
	for (int k = 0; k < 16; k++)
		m |= (uint64_t)(p[k] == pat[k]) << k;
	return m;
#endif
}

#endif
