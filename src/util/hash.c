/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

uint64_t sd_hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;
	uint64_t w;

	h ^= n * 0x9e3779b97f4a7c15ull;
	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return sd_mix64(h);
}

void sd_strpool_init(struct sd_strpool *p)
{
	memset(p, 0, sizeof *p);
}

void sd_strpool_fini(struct sd_strpool *p)
{
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->slots);
	free(p->strs);
	free(p->hashes);
	memset(p, 0, sizeof *p);
}

static char *pool_alloc(struct sd_strpool *p, size_t n)
{
	if (n > p->chunk_left) {
		size_t sz = n > 65536 ? n : 65536;
		char **cv = realloc(p->chunks, (p->nchunks + 1) * sizeof *cv);
		if (!cv)
			return NULL;
		p->chunks = cv;
		p->chunk = malloc(sz);
		if (!p->chunk) {
			p->chunk_left = 0;
			return NULL;
		}
		p->chunks[p->nchunks++] = p->chunk;
		p->chunk_left = sz;
	}
	char *r = p->chunk;
	p->chunk += n;
	p->chunk_left -= n;
	return r;
}

static int pool_grow(struct sd_strpool *p)
{
	size_t ns = p->nslots ? p->nslots * 2 : 256;
	uint32_t *slots = calloc(ns, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t id = 1; id <= p->n; id++) {
		size_t i = p->hashes[id] & (ns - 1);
		while (slots[i])
			i = (i + 1) & (ns - 1);
		slots[i] = (uint32_t)id;
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = ns;
	return 0;
}

uint32_t sd_strpool_intern(struct sd_strpool *p, const char *s, size_t len)
{
	uint64_t h = sd_hash_bytes(s, len, 0);
	size_t i;

	if ((p->n + 1) * 2 >= p->nslots && pool_grow(p))
		return 0;
	for (i = h & (p->nslots - 1); p->slots[i]; i = (i + 1) & (p->nslots - 1)) {
		uint32_t id = p->slots[i];
		if (p->hashes[id] == h && !strncmp(p->strs[id], s, len) &&
		    p->strs[id][len] == '\0')
			return id;
	}
	if (p->n + 2 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		char **strs = realloc(p->strs, cap * sizeof *strs);
		if (!strs)
			return 0;
		p->strs = strs;
		uint64_t *hs = realloc(p->hashes, cap * sizeof *hs);
		if (!hs)
			return 0;
		p->hashes = hs;
		p->cap = cap;
	}
	char *copy = pool_alloc(p, len + 1);
	if (!copy)
		return 0;
	memcpy(copy, s, len);
	copy[len] = '\0';
	uint32_t id = (uint32_t)++p->n;
	p->strs[id] = copy;
	p->hashes[id] = h;
	p->slots[i] = id;
	return id;
}

uint32_t sd_strpool_find(const struct sd_strpool *p, const char *s, size_t len)
{
	if (!p->nslots)
		return 0;
	uint64_t h = sd_hash_bytes(s, len, 0);
	for (size_t i = h & (p->nslots - 1); p->slots[i];
	     i = (i + 1) & (p->nslots - 1)) {
		uint32_t id = p->slots[i];
		if (p->hashes[id] == h && !strncmp(p->strs[id], s, len) &&
		    p->strs[id][len] == '\0')
			return id;
	}
	return 0;
}
