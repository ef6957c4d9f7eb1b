/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table: the per-sample path's one probe (rawtab.c has the
 * parts a sample takes only when its chain is new).
 *
 * A sample's stack id depends only on what stacks.c puts in its key and
 * on what its frames resolve to, and a frame resolves the same way for
 * the same (address space, version, cpumode, address) as long as the
 * kernel's maps do not change.  So the raw chain, as the reader parsed
 * it, with the header words below, is hashed once and looked up; a hit
 * is the stack id, with no frame resolved, no key encoded and no second
 * hash.
 *
 * Two levels, so that the chain is stored, hashed and compared without
 * its address space: a fork storm runs the same chain in thousands of
 * short-lived processes.
 *  chains: (header words, chain) -> whether every frame is in the kernel
 *	(the kernel's marker first and no other: then the address space
 *	does not matter, and the entry holds the stack id), else the
 *	chain's number for the second level;
 *  spaces: (chain number, address space) -> stack id, for the others.
 * A chain's key, in the words arena (compared as it comes):
 *	[0] nr
 *	[1] evsel << 48 | cpumode << 40 | flags << 32 | comm
 *	[2] pid << 32 | tid       when the stack key holds them, else 0
 *	[3..] the chain (markers included), or the sample's ip
 */
#ifndef SD_STACKS_RAWTAB_H
#define SD_STACKS_RAWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/hash.h"

#define RAW_HDR 2 /* header words of a chain's key */

struct raw_slot {
	uint64_t hash;
	uint32_t off; /* word offset of the key, + 1; 0: empty; RAW_KERN */
	uint32_t id;  /* RAW_KERN: the stack; else the chain's number */
};
#define RAW_KERN 0x80000000u /* in off: the chain is kernel-only */

struct raw_space_slot {
	uint64_t mmv;   /* mm << 32 | version */
	uint32_t chain; /* the chain's number + 1; 0: empty */
	uint32_t id;    /* the stack */
};

struct sd_rawtab {
	uint64_t *words;        /* chains' keys, back to back */
	size_t nwords, capwords;
	struct raw_slot *slots; /* chains */
	size_t nslots, n;
	struct raw_space_slot *sslots; /* (chain, address space) */
	size_t nsslots, ns;
};

/* A sample's chain key and its hash. */
struct raw_key {
	uint64_t hdr[RAW_HDR];
	const uint64_t *ips;
	size_t nr;
	uint64_t hash;
};

/* One multiply and one rotate a word, mixed once at the end: the chain is
 * hashed on every sample, so this is the cheapest hash that still spreads
 * close addresses (differences in low bits reach the high bits through the
 * multiply, the rotate brings them back down for the next word). */
static inline uint64_t sd_rawtab_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return h << 31 | h >> 33;
}

/* Fills k->hash from the rest of k: two words a round in two lanes, half
 * the loop's overhead.  No final mix: the last step's rotate already
 * brings the product's well-mixed high half down to the bits the table
 * indexes with. */
static inline void sd_rawtab_hash(struct raw_key *k)
{
	const uint64_t *ips = k->ips;
	size_t nr = k->nr, i = 0;
	uint64_t a = nr * 0x9e3779b97f4a7c15ull ^ k->hdr[0], b = ~k->hdr[1];

	for (; i + 2 <= nr; i += 2) {
		a = sd_rawtab_step(a, ips[i]);
		b = sd_rawtab_step(b, ips[i + 1]);
	}
	if (i < nr)
		a = sd_rawtab_step(a, ips[i]);
	k->hash = sd_rawtab_step(a ^ (b << 17 | b >> 47), b);
}

/* The second level's hash of (address space, chain number). */
static inline uint64_t sd_rawtab_space_hash(uint64_t mmv, uint32_t chain)
{
	return sd_rawtab_step(mmv * 0x9e3779b97f4a7c15ull, chain);
}

enum { RAW_MISS, RAW_NEW_SPACE, RAW_HIT };

/*
 * Looks k up for address space mmv: RAW_HIT with *id the stack,
 * RAW_NEW_SPACE with *chain the chain's number (known, but not for this
 * address space), or RAW_MISS.
 */
static inline int sd_rawtab_find(const struct sd_rawtab *t,
				 const struct raw_key *k, uint64_t mmv,
				 uint32_t *id, uint32_t *chain)
{
	if (!t->nslots)
		return RAW_MISS;
	size_t mask = t->nslots - 1, j = k->hash & mask;
	const struct raw_slot *s;
	for (;; j = (j + 1) & mask) {
		s = &t->slots[j];
		if (!s->off)
			return RAW_MISS;
		if (s->hash != k->hash)
			continue;
		const uint64_t *w = t->words + (s->off & ~RAW_KERN) - 1;
		if (w[0] == k->nr && w[1] == k->hdr[0] && w[2] == k->hdr[1] &&
		    !memcmp(w + 1 + RAW_HDR, k->ips, k->nr * sizeof *k->ips))
			break;
	}
	if (s->off & RAW_KERN) {
		*id = s->id;
		return RAW_HIT;
	}
	*chain = s->id;
	if (!t->nsslots)
		return RAW_NEW_SPACE;
	mask = t->nsslots - 1;
	for (j = sd_rawtab_space_hash(mmv, s->id) & mask;
	     t->sslots[j].chain; j = (j + 1) & mask) {
		const struct raw_space_slot *p = &t->sslots[j];
		if (p->chain == s->id + 1 && p->mmv == mmv) {
			*id = p->id;
			return RAW_HIT;
		}
	}
	return RAW_NEW_SPACE;
}

/*
 * Stores a chain (after RAW_MISS): kernel-only with its stack id, else
 * with a new number (*chain) for sd_rawtab_add_space().  Returns 0, 1
 * when the table is full (nothing stored), or -ENOMEM.
 */
int sd_rawtab_add(struct sd_rawtab *t, const struct raw_key *k, bool kern,
		  uint32_t id, uint32_t *chain);
/* Stores the stack of a chain in address space mmv; 0, 1 (full) or
 * -ENOMEM. */
int sd_rawtab_add_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			uint32_t id);
/* Forgets every chain (the kernel's maps changed). */
void sd_rawtab_clear(struct sd_rawtab *t);
void sd_rawtab_free(struct sd_rawtab *t);

#endif
