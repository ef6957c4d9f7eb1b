/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table (rawtab.h): what a sample takes when its chain or
 * its address space is new.
 *
 * A kernel map added after the first sample (sd_machine_kernel_gen()
 * moves) empties the table.  The table is capped (RAW_MAX_WORDS,
 * RAW_MAX_CHAINS, RAW_MAX_SPACES: 3.5 MB in all): past it new chains are
 * not stored and take the long way, so memory stays bounded on
 * recordings where chains rarely repeat (the chains that repeat most are
 * mostly seen early).  The entries grow in place (util/vmem.h: no copy
 * faulting their pages in again; the cap keeps them below huge pages)
 * and are populated ahead of use (util/prefault.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/rawtab.h"
#include "util/prefault.h"
#include "util/vmem.h"

#define RAW_MAX_WORDS (1u << 18)  /* 2 MB of entries */
#define RAW_MAX_CHAINS (1u << 15) /* 0.5 MB of slots */
#define RAW_MAX_SPACES (1u << 15) /* 1 MB of slots */

void sd_rawtab_free(struct sd_rawtab *t)
{
	sd_vmem_free(t->words, t->capwords * sizeof *t->words);
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
		size_t j = space_hash(o->mmv, o->chain) & (ns - 1);
		while (s[j].chain)
			j = (j + 1) & (ns - 1);
		s[j] = *o;
	}
	free(t->sslots);
	t->sslots = s;
	t->nsslots = ns;
	return 0;
}

/* The chain's entry remembers the space last found, so that a chain that
 * runs in two address spaces by turns does not probe each time. */
static void remember(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
		     uint32_t id)
{
	uint64_t *w = t->words + chain - 1;

	w[4] = (uint64_t)(id + 1) << 32 | (uint32_t)w[4];
	w[5] = mmv;
}

int sd_rawtab_find_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			 struct raw_found *f)
{
	f->chain = chain;
	if (!t->nsslots)
		return RAW_NEW_SPACE;
	size_t mask = t->nsslots - 1, j = space_hash(mmv, chain) & mask;
	for (; t->sslots[j].chain; j = (j + 1) & mask) {
		const struct raw_space_slot *p = &t->sslots[j];
		if (p->chain == chain && p->mmv == mmv) {
			f->id = p->id;
			remember(t, chain, mmv, p->id);
			return RAW_HIT;
		}
	}
	return RAW_NEW_SPACE;
}

int sd_rawtab_find_next(struct sd_rawtab *t, const struct raw_key *k,
			size_t j, uint64_t mmv, struct raw_found *f)
{
	size_t mask = t->nslots - 1;

	for (j = (j + 1) & mask; t->slots[j].off; j = (j + 1) & mask) {
		const struct raw_slot *s = &t->slots[j];
		if (s->hash == (uint32_t)k->hash &&
		    sd_rawtab_is(t->words + s->off - 1, k))
			return sd_rawtab_found(t, s->off, mmv, f);
	}
	return RAW_MISS;
}

int sd_rawtab_add(struct sd_rawtab *t, const struct raw_key *k, bool kern,
		  uint64_t mmv, uint32_t id)
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
		uint64_t *v = sd_vmem_resize(t->words, t->capwords * sizeof *v,
					     cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		t->words = v;
		t->capwords = cap;
	}
	sd_prefault(t->words, t->capwords * sizeof *t->words, &t->words_pf,
		    (t->nwords + need) * sizeof *t->words);
	uint64_t *w = t->words + t->nwords;
	w[0] = k->hdr[0];
	w[1] = k->hdr[1];
	w[2] = (uint64_t)(kern ? RAW_F_KERN : 0) << 32 | k->nr;
	w[3] = mmv;
	w[4] = id;
	w[5] = 0;
	memcpy(w + RAW_ENT, k->ips, k->nr * sizeof *k->ips);
	size_t mask = t->nslots - 1, j = k->hash & mask;
	while (t->slots[j].off)
		j = (j + 1) & mask;
	t->slots[j] = (struct raw_slot){(uint32_t)k->hash,
					(uint32_t)t->nwords + 1};
	t->nwords += need;
	t->n++;
	return 0;
}

int sd_rawtab_add_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			uint32_t id)
{
	/* the entry remembers it even when the space table is full */
	remember(t, chain, mmv, id);
	if (t->ns >= RAW_MAX_SPACES)
		return 1;
	if ((t->ns + 1) * 2 > t->nsslots && grow_spaces(t))
		return -ENOMEM;
	size_t mask = t->nsslots - 1, j = space_hash(mmv, chain) & mask;
	while (t->sslots[j].chain)
		j = (j + 1) & mask;
	t->sslots[j] = (struct raw_space_slot){mmv, chain, id};
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
