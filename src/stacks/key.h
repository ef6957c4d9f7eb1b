/* SPDX-License-Identifier: MIT */
/*
 * The encoded form of a stack key (key.c): equal keys encode to equal
 * bytes, so interning compares bytes.  A key is KEY_HDR header words,
 * then one word per frame: a raw address, a context marker, a named
 * frame (F_NAMED) or a location (F_LOC, LOC_TAG | id).
 */
#ifndef SD_STACKS_KEY_H
#define SD_STACKS_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The first byte of a key in the packed form (key.c). */
#define KEY_FORM_PACKED 1

/* Writes the n words of k to out (at most 1 + 10 * n bytes); returns the
 * bytes written. */
size_t sd_key_encode(const uint64_t *k, size_t n, uint8_t *out);
/* sd_key_encode_packed_hdr() of a header whose words 1 to 3 are not all
 * below 0x80. */
size_t sd_key_encode_packed_hdr_long(const uint64_t *k, uint8_t *out);
/*
 * Writes the packed form's first byte and the KEY_HDR (4) header words of
 * k (whose frames are then 4 bytes each, see key.c); returns the bytes.
 * Every new chain's key starts so, and its words 1 to 3 (0, mostly 0, the
 * chain's length) mostly take a byte each: that case inline.
 */
static inline size_t sd_key_encode_packed_hdr(const uint64_t *k, uint8_t *out)
{
	if ((k[1] | k[2] | k[3]) >= 0x80)
		return sd_key_encode_packed_hdr_long(k, out);
	out[0] = KEY_FORM_PACKED;
	memcpy(out + 1, &k[0], 8);
	out[9] = (uint8_t)k[1];
	out[10] = (uint8_t)k[2];
	out[11] = (uint8_t)k[3];
	return 12;
}
/* Decodes len bytes into at most max words of k; returns the words. */
size_t sd_key_decode(const uint8_t *p, size_t len, uint64_t *k, size_t max);
/* The hash of n encoded bytes that interning uses. */
uint64_t sd_key_hash(const uint8_t *p, size_t n);
/*
 * A packed key (F_LOC, see key.c) read in place: *frames at its 4-byte
 * frame words (a location id, or 0x80000000 | -marker), their count --
 * the chain's length, header word 3 -- returned; SIZE_MAX for a key not
 * in the packed form (decode it with sd_key_decode()).
 */
size_t sd_key_packed(const uint8_t *p, size_t len, const uint8_t **frames);

#endif
