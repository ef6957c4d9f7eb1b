/* SPDX-License-Identifier: MIT */
/* How the stacks stage stores its keys (see key.h). */
#include <stdbool.h>
#include <string.h>

#include <swapdiag/perf_abi.h>

#include "stacks/internal.h"
#include "stacks/key.h"

/*
 * Keys are stored encoded, and equal keys encode equally, so interning
 * compares the bytes.  The first byte says how:
 *
 * KEY_PACKED (the frames of sample-time resolved stacks, F_LOC): header
 * word 0 as its 8 bytes, words 1 to 3 as LEB128 varints (not deltas: in
 * these keys word 1 is 0, word 2 mostly 0 and word 3 the frame count),
 * then each frame as 4 bytes -- a location id, or 0x80000000 | -marker
 * for a context marker.  Every new chain is encoded once, so this is the
 * cheap form; its header, when words 1 to 3 take a byte each, is written
 * inline (key.h: a call and the varint loop were 43 instructions a new
 * chain), and sd_key_packed() finds such a key's frames at byte 12
 * without reading the varints (kstorm 0.56 -> 0.27 M instructions in
 * it, dso 1.54 -> 0.7 M).
 *
 * KEY_VARINT (anything else: raw addresses, named frames, and an F_LOC
 * chain cut short by an invalid marker, which keeps its raw tail): each
 * word as the difference from the word before, zigzagged (small negative
 * -> small positive) and written as a LEB128 varint; addresses of one
 * call chain are close to each other, so an 8-byte address takes 3-5
 * bytes.
 */
enum { KEY_VARINT, KEY_PACKED = KEY_FORM_PACKED };
_Static_assert(KEY_HDR == 4, "key.h's packed header writes words 1 to 3");

static size_t uvarint_put(uint8_t *out, uint64_t z)
{
	size_t o = 0;

	if (z < 0x80) {
		out[0] = (uint8_t)z;
		return 1;
	}
	while (z >= 0x80) {
		out[o++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	out[o++] = (uint8_t)z;
	return o;
}

static size_t varint_put(uint8_t *out, uint64_t prev, uint64_t w)
{
	uint64_t d = w - prev;

	return uvarint_put(out, d << 1 ^ (uint64_t)((int64_t)d >> 63));
}

/* A varint at *p, before end: its value, *p moved past it. */
static uint64_t uvarint_get(const uint8_t **p, const uint8_t *end)
{
	uint64_t z = 0;
	unsigned sh = 0;
	uint8_t b;

	do {
		b = *(*p)++;
		z |= (uint64_t)(b & 0x7f) << sh;
		sh += 7;
	} while ((b & 0x80) && *p < end && sh < 64);
	return z;
}

/* The 4-byte form of an F_LOC frame word, or false if it has none. */
static bool pack_frame(uint64_t w, uint32_t *out)
{
	if ((w & ~LOC_MASK) == LOC_TAG && (w & LOC_MASK) < 0x80000000u) {
		*out = (uint32_t)w;
		return true;
	}
	if (w >= SD_CONTEXT_MAX) {
		*out = 0x80000000u | (uint32_t)(0 - w);
		return true;
	}
	return false;
}

size_t sd_key_encode_packed_hdr_long(const uint64_t *k, uint8_t *out)
{
	size_t o = 9;

	out[0] = KEY_PACKED;
	memcpy(out + 1, &k[0], 8);
	for (size_t i = 1; i < KEY_HDR; i++)
		o += uvarint_put(out + o, k[i]);
	return o;
}

size_t sd_key_encode(const uint64_t *k, size_t n, uint8_t *out)
{
	uint64_t prev = 0;
	size_t o = 1, i = 0;

	if (n >= KEY_HDR && ((k[0] >> 32) & F_LOC)) {
		o = sd_key_encode_packed_hdr(k, out);
		for (i = KEY_HDR; i < n; i++, o += 4) {
			uint32_t v;
			if (!pack_frame(k[i], &v))
				break;
			memcpy(out + o, &v, 4);
		}
		if (i == n)
			return o;
		o = 1; /* a frame without a packed form: the general one */
		i = 0;
	}
	out[0] = KEY_VARINT;
	for (; i < n; i++) {
		o += varint_put(out + o, prev, k[i]);
		prev = k[i];
	}
	return o;
}

/* Decodes a whole key; returns the number of words. */
size_t sd_key_decode(const uint8_t *p, size_t len, uint64_t *k,
			 size_t max)
{
	const uint8_t *end = p + len;
	uint64_t prev = 0;
	size_t n = 0;

	if (p == end)
		return 0;
	if (*p++ == KEY_PACKED) {
		if (end - p < 8 || !max)
			return 0;
		memcpy(&k[n++], p, 8);
		p += 8;
		while (n < KEY_HDR && n < max && p < end)
			k[n++] = uvarint_get(&p, end);
		size_t lim = n + (size_t)(end - p) / 4;
		if (lim > max)
			lim = max;
		for (; n < lim; n++, p += 4) {
			uint32_t v;
			memcpy(&v, p, 4);
			k[n] = v & 0x80000000u ? 0 - (uint64_t)(v & 0x7fffffffu)
					       : LOC_TAG | v;
		}
		return n;
	}
	while (p < end && n < max) {
		uint64_t z = uvarint_get(&p, end);
		prev += z >> 1 ^ (uint64_t) - (int64_t)(z & 1);
		k[n++] = prev;
	}
	return n;
}

/*
 * The hash interning uses: sixteen bytes a step, in two lanes of eight,
 * each an add and a multiply (a polynomial in an odd constant); the last
 * step reads the last sixteen bytes (overlapping what came before: the
 * length is hashed too), a key of 8 to 15 bytes its first and last
 * eight; one 64x64->128 multiply brings the lanes' high bits down, and
 * the high half of the result is folded into the low one, which indexes
 * the table: a byte high in a lane's word reaches the low bits of the
 * product's high half only (bytes 72 and 36 of a 73-byte key took 1419
 * of 4096 buckets for 2048 values, 1647 so).  The last step out of the
 * loop, the loop walks a pointer with no tail to sort out: 44
 * instructions for a new chain's key of 52 bytes where an index, a step
 * of eight and a tail took 55 (kstorm: sd_key_hash 3.78 -> 3.01 M).
 */
static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

uint64_t sd_key_hash(const uint8_t *p, size_t n)
{
	const uint64_t K = 0x9fb21c651e98df25ull;
	uint64_t a = n * 0x9e3779b97f4a7c15ull, b = 0xa0761d6478bd642full;

	if (n >= 16) {
		const uint8_t *last = p + n - 16;
		for (; p < last; p += 16) {
			a = (a + load64(p)) * K;
			b = (b + load64(p + 8)) * K;
		}
		a = (a + load64(last)) * K;
		b = (b + load64(last + 8)) * K;
	} else if (n >= 8) {
		a = (a + load64(p)) * K;
		b = (b + load64(p + n - 8)) * K;
	} else {
		uint64_t w = 0;
		for (size_t j = 0; j < n; j++)
			w = w << 8 | p[j];
		b = (b + w) * K;
	}
	uint64_t h = sd_rawtab_mum(a ^ RAW_S1, b ^ RAW_S2);
	return h ^ h >> 32;
}

size_t sd_key_packed(const uint8_t *p, size_t len, const uint8_t **frames)
{
	const uint8_t *end = p + len;
	size_t need = KEY_HDR - 1; /* header varints after word 0 */

	if (len < 9 || *p != KEY_PACKED)
		return SIZE_MAX;
	if (len >= 12 && (p[9] | p[10] | p[11]) < 0x80) {
		/* words 1 to 3 a byte each, as most are (key.h) */
		if ((len - 12) % 4)
			return SIZE_MAX;
		*frames = p + 12;
		return (len - 12) / 4;
	}
	p += 9; /* the form's byte and word 0 */
	while (need && p < end)
		if (!(*p++ & 0x80))
			need--;
	if (need || (size_t)(end - p) % 4)
		return SIZE_MAX;
	*frames = p;
	return (size_t)(end - p) / 4;
}
