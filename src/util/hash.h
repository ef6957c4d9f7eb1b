/* SPDX-License-Identifier: MIT */
/* Hashing and string interning shared by the stages. */
#ifndef SD_UTIL_HASH_H
#define SD_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t sd_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

/* A fast non-cryptographic hash of n 64-bit words. */
static inline uint64_t sd_hash_u64s(const uint64_t *v, size_t n, uint64_t h)
{
	h ^= n * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	return sd_mix64(h);
}

uint64_t sd_hash_bytes(const void *p, size_t n, uint64_t seed);

/*
 * The slots an open-addressing table of n entries is made with when n is
 * known before it fills: a power of two, at least min and at most half
 * full -- made at the size it ends with, not doubled up to it, each
 * doubling clearing and refilling the table.  A size beyond memory fails
 * in the caller's calloc(), which says so.
 */
static inline size_t sd_slots_for(size_t n, size_t min)
{
	size_t ns = min;

	while (ns < 2 * (n + 1))
		ns *= 2;
	return ns;
}

/*
 * Interns NUL-terminated strings: equal strings get the same id (from 1
 * up; 0 is "none") and one stored copy.  Memory grows with distinct
 * strings only.
 */
struct sd_strpool {
	uint32_t *slots; /* open addressing: id or 0 */
	size_t nslots;
	char **strs; /* strs[id] */
	uint64_t *hashes;
	size_t n, cap;
	char *chunk; /* bump allocator for the bytes */
	size_t chunk_left;
	char **chunks;
	size_t nchunks;
};

void sd_strpool_init(struct sd_strpool *p);
void sd_strpool_fini(struct sd_strpool *p);
/* The id of s (added if new), or 0 on allocation failure. */
uint32_t sd_strpool_intern(struct sd_strpool *p, const char *s, size_t len);
/* The id of s if interned, else 0 (nothing is added). */
uint32_t sd_strpool_find(const struct sd_strpool *p, const char *s, size_t len);
static inline const char *sd_strpool_get(const struct sd_strpool *p,
					 uint32_t id)
{
	return id && id <= p->n ? p->strs[id] : "";
}

#endif
