/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table (rawtab.h): what a sample takes when its chain or
 * its address space is new.
 *
 * A kernel map added after the first sample (sd_machine_kernel_gen()
 * moves) empties the table.  The table is capped (RAW_MAX_WORDS,
 * RAW_MAX_CHAINS, RAW_MAX_SPACES: 8 MB in all): past it new chains are not
 * stored and take the long way, so memory stays bounded on recordings
 * where chains rarely repeat (the chains that repeat most are mostly seen
 * early).  Plain malloc, not util/vmem.h: a 2 MiB huge page for each of
 * its blocks would cost resident memory for nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/rawtab.h"

#define RAW_MAX_WORDS (1u << 18)  /* 2 MB of chains */
#define RAW_MAX_CHAINS (1u << 15) /* 1 MB of slots */
#define RAW_MAX_SPACES (1u << 15) /* 1 MB of slots */

void sd_rawtab_free(struct sd_rawtab *t)
{
	free(t->words);
	free(t->slots);
	free(t->sslots);
	memset(t, 0, sizeof *t);
}

static int grow_chains(struct sd_rawtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 4096;
	struct raw_slot *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->nslots; i++) {
		const struct raw_slot *o = &t->slots[i];
		if (!o->off)
			continue;
		size_t j = o->hash & (ns - 1);
		while (s[j].off)
			j = (j + 1) & (ns - 1);
		s[j] = *o;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

static size_t space_hash(uint64_t mmv, uint32_t chain)
{
	return sd_rawtab_space_hash(mmv, chain);
}

static int grow_spaces(struct sd_rawtab *t)
{
	size_t ns = t->nsslots ? t->nsslots * 2 : 4096;
	struct raw_space_slot *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->nsslots; i++) {
		const struct raw_space_slot *o = &t->sslots[i];
		if (!o->chain)
			continue;
		size_t j = space_hash(o->mmv, o->chain - 1) & (ns - 1);
		while (s[j].chain)
			j = (j + 1) & (ns - 1);
		s[j] = *o;
	}
	free(t->sslots);
	t->sslots = s;
	t->nsslots = ns;
	return 0;
}

int sd_rawtab_add(struct sd_rawtab *t, const struct raw_key *k, bool kern,
		  uint32_t id, uint32_t *chain)
{
	size_t need = RAW_ENT + k->nr;

	if (t->nwords + need > RAW_MAX_WORDS || t->n >= RAW_MAX_CHAINS)
		return 1; /* full: this chain takes the long way each time */
	if ((t->n + 1) * 2 > t->nslots && grow_chains(t))
		return -ENOMEM;
	if (t->nwords + need > t->capwords) {
		size_t cap = t->capwords ? t->capwords : 16384;
		while (cap < t->nwords + need)
			cap *= 2;
		uint64_t *v = realloc(t->words, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		t->words = v;
		t->capwords = cap;
	}
	uint64_t *w = t->words + t->nwords;
	w[0] = k->nr;
	memcpy(w + 1, k->hdr, sizeof k->hdr);
	w[3] = w[4] = w[5] = 0;
	memcpy(w + RAW_ENT, k->ips, k->nr * sizeof *k->ips);
	size_t mask = t->nslots - 1, j = k->hash & mask;
	while (t->slots[j].off)
		j = (j + 1) & mask;
	*chain = (uint32_t)t->n;
	t->slots[j] = (struct raw_slot){
		k->hash, (uint32_t)(t->nwords + 1) | (kern ? RAW_KERN : 0),
		kern ? id : *chain};
	t->nwords += need;
	t->n++;
	return 0;
}

int sd_rawtab_add_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			uint32_t id)
{
	if (t->ns >= RAW_MAX_SPACES)
		return 1;
	if ((t->ns + 1) * 2 > t->nsslots && grow_spaces(t))
		return -ENOMEM;
	size_t mask = t->nsslots - 1, j = space_hash(mmv, chain) & mask;
	while (t->sslots[j].chain)
		j = (j + 1) & mask;
	t->sslots[j] = (struct raw_space_slot){mmv, chain + 1, id};
	t->ns++;
	return 0;
}

void sd_rawtab_clear(struct sd_rawtab *t)
{
	if (t->slots)
		memset(t->slots, 0, t->nslots * sizeof *t->slots);
	if (t->sslots)
		memset(t->sslots, 0, t->nsslots * sizeof *t->sslots);
	t->nwords = t->n = t->ns = 0;
}
