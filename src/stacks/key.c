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
 * KEY_PACKED (the frames of sample-time resolved stacks, F_LOC): the
 * KEY_HDR header words as varints (below), then each frame as 4 bytes --
 * a location id, or 0x80000000 | -marker for a context marker.  Every
 * sample is encoded once, so this is the cheap form.
 *
 * KEY_VARINT (anything else: raw addresses, named frames, and an F_LOC
 * chain cut short by an invalid marker, which keeps its raw tail): each
 * word as the difference from the word before, zigzagged (small negative
 * -> small positive) and written as a LEB128 varint; addresses of one
 * call chain are close to each other, so an 8-byte address takes 3-5
 * bytes.
 */
enum { KEY_VARINT, KEY_PACKED };

static size_t varint_put(uint8_t *out, uint64_t prev, uint64_t w)
{
	uint64_t d = w - prev;
	uint64_t z = d << 1 ^ (uint64_t)((int64_t)d >> 63);
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

size_t sd_key_encode(const uint64_t *k, size_t n, uint8_t *out)
{
	uint64_t prev = 0;
	size_t o = 1, i = 0;
	bool packed = n >= KEY_HDR && ((k[0] >> 32) & F_LOC);

	for (; i < n && i < KEY_HDR; i++) {
		o += varint_put(out + o, prev, k[i]);
		prev = k[i];
	}
	for (size_t j = i; packed && j < n; j++) {
		uint32_t v;
		if (!pack_frame(k[j], &v)) {
			packed = false;
			break;
		}
		memcpy(out + o + 4 * (j - i), &v, 4);
	}
	if (packed) {
		out[0] = KEY_PACKED;
		return o + 4 * (n - i);
	}
	out[0] = KEY_VARINT;
	for (; i < n; i++) {
		o += varint_put(out + o, prev, k[i]);
		prev = k[i];
	}
	return o;
}

size_t sd_key_encode_packed_hdr(const uint64_t *k, uint8_t *out)
{
	uint64_t prev = 0;
	size_t o = 1;

	out[0] = KEY_PACKED;
	for (size_t i = 0; i < KEY_HDR; i++) {
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
	bool packed = *p++ == KEY_PACKED;
	while (p < end && n < max) {
		if (packed && n >= KEY_HDR) {
			uint32_t v;
			if (end - p < 4)
				break;
			memcpy(&v, p, 4);
			p += 4;
			k[n++] = v & 0x80000000u
					 ? 0 - (uint64_t)(v & 0x7fffffffu)
					 : LOC_TAG | v;
			continue;
		}
		uint64_t z = 0;
		unsigned sh = 0;
		uint8_t b;
		do {
			b = *p++;
			z |= (uint64_t)(b & 0x7f) << sh;
			sh += 7;
		} while ((b & 0x80) && p < end && sh < 64);
		prev += z >> 1 ^ (uint64_t) - (int64_t)(z & 1);
		k[n++] = prev;
	}
	return n;
}

size_t sd_key_packed(const uint8_t *p, size_t len, const uint8_t **frames)
{
	const uint8_t *end = p + len;
	size_t need = KEY_HDR; /* header varints still to skip */

	if (!len || *p++ != KEY_PACKED)
		return SIZE_MAX;
	/* a varint ends at its first byte below 0x80: eight bytes at a
	 * time, the end bytes found by their clear top bits */
	while (need && end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t m = ~w & 0x8080808080808080ull;
		size_t c = (size_t)__builtin_popcountll(m);
		if (c < need) {
			need -= c;
			p += 8;
			continue;
		}
		while (--need)
			m &= m - 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		p += (size_t)__builtin_clzll(m) / 8 + 1;
#else
		p += (size_t)__builtin_ctzll(m) / 8 + 1;
#endif
	}
	while (need && p < end)
		if (!(*p++ & 0x80))
			need--;
	if (need || (size_t)(end - p) % 4)
		return SIZE_MAX;
	*frames = p;
	return (size_t)(end - p) / 4;
}
