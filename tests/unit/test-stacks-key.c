/* SPDX-License-Identifier: MIT */
/*
 * The stacks stage's key encoding (src/stacks/key.c): a key of
 * sample-time resolved frames (F_LOC) written directly in its packed form
 * -- sd_key_encode_packed_hdr() and then four bytes a frame, as
 * stacks/resolve.c writes it -- must be byte for byte what
 * sd_key_encode() makes of the same words (equal keys must encode
 * equally: interning compares bytes), and decode back to those words.
 * The packed frame word, stated in key.c: a location id as is, a context
 * marker as 0x80000000 | -marker.
 */
#include <string.h>

#include <swapdiag/perf_abi.h>

#include "stacks/internal.h"
#include "stacks/key.h"
#include "test.h"

static size_t packed(const uint64_t *k, size_t n, uint8_t *out)
{
	size_t o = sd_key_encode_packed_hdr(k, out);
	for (size_t i = KEY_HDR; i < n; i++, o += 4) {
		uint32_t v = k[i] >= SD_CONTEXT_MAX
				     ? 0x80000000u | (uint32_t)(0 - k[i])
				     : (uint32_t)(k[i] & LOC_MASK);
		memcpy(out + o, &v, 4);
	}
	return o;
}

TEST(packed_equals_general_encoding)
{
	/* header words of every size: small, large, zero, all ones */
	const uint64_t hdrs[][KEY_HDR] = {
		{(uint64_t)F_LOC << 32, 0, 0, 3},
		{(uint64_t)0x12 << 48 | (uint64_t)3 << 40 |
			 (uint64_t)(F_LOC | F_CHAIN) << 32 | 77,
		 0, (uint64_t)4242 << 32 | 4243, 5},
		{(uint64_t)(F_LOC | F_DROP) << 32 | 0xffffffffu, 0,
		 UINT64_MAX, 4096},
	};
	for (size_t h = 0; h < 3; h++) {
		uint64_t k[KEY_HDR + 6];
		memcpy(k, hdrs[h], sizeof hdrs[h]);
		k[KEY_HDR + 0] = SD_CONTEXT_KERNEL;
		k[KEY_HDR + 1] = LOC_TAG | 0;
		k[KEY_HDR + 2] = LOC_TAG | 123456;
		k[KEY_HDR + 3] = SD_CONTEXT_USER;
		k[KEY_HDR + 4] = LOC_TAG | 0x7fffffffu;
		k[KEY_HDR + 5] = SD_CONTEXT_USER_UNWOUND;
		uint8_t a[256], b[256];
		size_t la = sd_key_encode(k, KEY_HDR + 6, a);
		size_t lb = packed(k, KEY_HDR + 6, b);
		CHECK_U64(la, lb);
		CHECK(la == lb && !memcmp(a, b, la));
		uint64_t back[KEY_HDR + 8];
		CHECK_U64(sd_key_decode(b, lb, back, KEY_HDR + 8), KEY_HDR + 6);
		CHECK(!memcmp(back, k, sizeof k));
	}
}

TEST(raw_tail_is_not_packed)
{
	/* a raw address after the frames (a chain cut at an invalid
	 * marker): the general form, and it decodes back */
	uint64_t k[KEY_HDR + 3] = {(uint64_t)F_LOC << 32, 0, 0, 3,
				   LOC_TAG | 5, 0xfffffffffffff100ull,
				   0xffffffff81000440ull};
	uint8_t a[128];
	size_t la = sd_key_encode(k, KEY_HDR + 3, a);
	uint8_t b[128];
	size_t lb = sd_key_encode_packed_hdr(k, b);
	CHECK(a[0] != b[0]); /* another form */
	CHECK(lb < la);
	uint64_t back[KEY_HDR + 3];
	CHECK_U64(sd_key_decode(a, la, back, KEY_HDR + 3), KEY_HDR + 3);
	CHECK(!memcmp(back, k, sizeof k));
}

/* The interning hash (sd_key_hash()) spreads keys that differ in one
 * byte, at any offset and of any length, over its low bits. */
TEST(key_hash_spreads)
{
	static const size_t lens[] = {3, 8, 12, 16, 17, 40, 52, 73};
	for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
		size_t n = lens[l];
		uint8_t key[80];
		static unsigned char seen[1u << 12];
		size_t distinct = 0;
		memset(seen, 0, sizeof seen);
		for (size_t i = 0; i < n; i++)
			key[i] = (uint8_t)(i * 7 + 1);
		for (unsigned v = 0; v < 2048; v++) {
			/* two bytes change: one at the end, one in the middle */
			key[n - 1] = (uint8_t)v;
			key[n / 2] = (uint8_t)(v >> 8);
			unsigned b = sd_key_hash(key, n) & ((1u << 12) - 1);
			distinct += !seen[b];
			seen[b] = 1;
		}
		/* 2048 random values in 4096 buckets: ~1600 distinct */
		CHECK(distinct >= 1450);
	}
	/* the length counts */
	uint8_t z[16] = {0};
	CHECK(sd_key_hash(z, 15) != sd_key_hash(z, 16));
}

/* sd_key_packed(): the frame words of a packed key in place, past
 * headers of every length (word 0 as eight bytes, words 1-3 varints of
 * one to ten bytes); SIZE_MAX for the general form, a cut header or a
 * frame part not a multiple of four */
TEST(packed_frames_read_in_place)
{
	const uint64_t words[] = {0, 1, 0x7f, 0x80, 0x3fff, 0x4000,
				  0xffffffffu, (uint64_t)1 << 40,
				  UINT64_MAX / 3, UINT64_MAX};
	size_t nw = sizeof words / sizeof *words, tried = 0;
	for (size_t a = 0; a < nw; a++)
		for (size_t b = 0; b < nw; b++)
			for (size_t nf = 0; nf < 4; nf++) {
				uint64_t k[KEY_HDR + 3] = {
					(uint64_t)F_LOC << 32 | words[a],
					words[b], words[(a + b) % nw], nf};
				for (size_t i = 0; i < nf; i++)
					k[KEY_HDR + i] = i == 1 ? SD_CONTEXT_KERNEL
							 : LOC_TAG | (7 * i + a);
				uint8_t e[256];
				size_t len = packed(k, KEY_HDR + nf, e);
				const uint8_t *fw = NULL;
				size_t n = sd_key_packed(e, len, &fw);
				CHECK_U64(n, nf);
				CHECK(fw == e + len - 4 * nf);
				if (nf >= 2) {
					uint32_t v;
					memcpy(&v, fw + 4, 4);
					CHECK_U64(v, 0x80000080u);
					memcpy(&v, fw, 4);
					CHECK_U64(v, a);
				}
				/* one byte short: the frames are not whole */
				CHECK_U64(sd_key_packed(e, len - 1, &fw),
					  SIZE_MAX);
				tried++;
			}
	CHECK_U64(tried, 400);
	/* the header cut short, the general form, nothing */
	uint64_t k[KEY_HDR] = {(uint64_t)F_LOC << 32, UINT64_MAX, 1, 0};
	uint8_t e[64];
	size_t len = sd_key_encode_packed_hdr(k, e);
	const uint8_t *fw;
	CHECK_U64(sd_key_packed(e, len, &fw), 0);
	CHECK_U64(sd_key_packed(e, 3, &fw), SIZE_MAX);
	CHECK_U64(sd_key_packed(e, 0, &fw), SIZE_MAX);
	uint64_t r[KEY_HDR + 1] = {0, 0, 0, 1, 0xffffffff81000000ull};
	len = sd_key_encode(r, KEY_HDR + 1, e);
	CHECK_U64(sd_key_packed(e, len, &fw), SIZE_MAX);
}

int main(void)
{
	RUN(packed_equals_general_encoding);
	RUN(raw_tail_is_not_packed);
	RUN(key_hash_spreads);
	RUN(packed_frames_read_in_place);
	return test_exit();
}
