/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table: the per-sample path's one probe.
 *
 * A sample's stack id depends only on what stacks_intern() puts in its
 * key and on what its frames resolve to, and a frame resolves the same
 * way for the same (address space, version, cpumode, address) as long as
 * the kernel's maps do not change.  So the raw chain, as the reader
 * parsed it, with the few header words below, is hashed once and looked
 * up in one table; a hit is the stack id, with no frame resolved, no key
 * encoded and no second hash.  A miss goes the long way (stacks.c) and
 * its answer is stored here.
 *
 * A raw key, in the words arena (never encoded: compared as it comes):
 *	[0] evsel << 48 | cpumode << 40 | flags << 32 | comm
 *	[1] mm << 32 | mm_ver     0 when every frame is in the kernel
 *	[2] pid << 32 | tid       when the stack key holds them (F_DROP,
 *	                          SD_FOLD_PID / SD_FOLD_TID), else 0
 *	[3..] the chain (markers included), or the sample's ip
 * A kernel map added after the first sample (sd_machine_kernel_gen()
 * moves) empties the table.  The table is capped (RAW_MAX_WORDS,
 * RAW_MAX_ENTRIES: 6 MB): past it new chains are not stored and take the
 * long way, so memory stays bounded on recordings where chains rarely
 * repeat (the chains that repeat most are mostly seen early).  Plain malloc, not
 * util/vmem.h: the table is small where it is skipped, and a 2 MiB huge
 * page for each of its two blocks would cost 4 MB of resident memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/internal.h"

#define RAW_MAX_WORDS (1u << 19) /* 4 MB of chains */
#define RAW_MAX_ENTRIES (1u << 16) /* 2 MB of slots */

struct raw_slot {
	uint64_t hash;
	uint32_t off; /* word offset of the key in st->raw, + 1; 0: empty */
	uint32_t id;  /* the stack */
};

void sd_rawtab_free(struct sd_stacks *st)
{
	free(st->raw);
	free(st->rslots);
	st->raw = NULL;
	st->rslots = NULL;
	st->capraw = st->nraw = st->nrslots = st->nrent = 0;
}

static int rawtab_grow(struct sd_stacks *st)
{
	size_t ns = st->nrslots ? st->nrslots * 2 : 4096;
	struct raw_slot *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < st->nrslots; i++) {
		const struct raw_slot *o = &st->rslots[i];
		if (!o->off)
			continue;
		size_t j = o->hash & (ns - 1);
		while (s[j].off)
			j = (j + 1) & (ns - 1);
		s[j] = *o;
	}
	free(st->rslots);
	st->rslots = s;
	st->nrslots = ns;
	return 0;
}

/* One multiply and one rotate a word, mixed once at the end: the chain is
 * hashed on every sample, so this is the cheapest hash that still spreads
 * close addresses (differences in low bits reach the high bits through the
 * multiply, the rotate brings them back down for the next word). */
static inline uint64_t step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return h << 31 | h >> 33;
}

uint64_t sd_rawtab_hash(const uint64_t hdr[RAW_HDR], const uint64_t *ips,
			size_t nr)
{
	uint64_t h = nr * 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < RAW_HDR; i++)
		h = step(h, hdr[i]);
	for (size_t i = 0; i < nr; i++)
		h = step(h, ips[i]);
	return sd_mix64(h);
}

bool sd_rawtab_find(const struct sd_stacks *st, uint64_t h,
		    const uint64_t hdr[RAW_HDR], const uint64_t *ips, size_t nr,
		    uint32_t *id)
{
	if (!st->nrslots)
		return false;
	size_t mask = st->nrslots - 1;
	for (size_t j = h & mask; st->rslots[j].off; j = (j + 1) & mask) {
		const struct raw_slot *s = &st->rslots[j];
		if (s->hash != h)
			continue;
		const uint64_t *k = st->raw + s->off - 1;
		if (k[0] == nr && !memcmp(k + 1, hdr, RAW_HDR * sizeof *hdr) &&
		    !memcmp(k + 1 + RAW_HDR, ips, nr * sizeof *ips)) {
			*id = s->id;
			return true;
		}
	}
	return false;
}

int sd_rawtab_add(struct sd_stacks *st, uint64_t h, const uint64_t hdr[RAW_HDR],
		  const uint64_t *ips, size_t nr, uint32_t id)
{
	size_t need = 1 + RAW_HDR + nr;

	if (st->nraw + need > RAW_MAX_WORDS || st->nrent >= RAW_MAX_ENTRIES)
		return 0; /* full: this chain takes the long way each time */
	if ((st->nrent + 1) * 2 > st->nrslots && rawtab_grow(st))
		return -ENOMEM;
	if (st->nraw + need > st->capraw) {
		size_t cap = st->capraw ? st->capraw : 16384;
		while (cap < st->nraw + need)
			cap *= 2;
		uint64_t *v = realloc(st->raw, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		st->raw = v;
		st->capraw = cap;
	}
	uint64_t *k = st->raw + st->nraw;
	k[0] = nr;
	memcpy(k + 1, hdr, RAW_HDR * sizeof *hdr);
	memcpy(k + 1 + RAW_HDR, ips, nr * sizeof *ips);
	size_t mask = st->nrslots - 1, j = h & mask;
	while (st->rslots[j].off)
		j = (j + 1) & mask;
	st->rslots[j] = (struct raw_slot){h, (uint32_t)st->nraw + 1, id};
	st->nraw += need;
	st->nrent++;
	return 0;
}

void sd_rawtab_clear(struct sd_stacks *st)
{
	if (st->rslots)
		memset(st->rslots, 0, st->nrslots * sizeof *st->rslots);
	st->nraw = st->nrent = 0;
}
