/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table (rawtab.h): what a sample takes when its chain or
 * its address space is new.
 *
 * A kernel map added after the first sample (sd_machine_kernel_gen()
 * moves) empties the table.  A chain may be stored before its stack is
 * known and given it after (sd_rawtab_set_last(), stacks.c's add_new()),
 * so the entry stored last is remembered.  The table is capped (RAW_MAX_WORDS,
 * RAW_MAX_CHAINS, RAW_MAX_SPACES): past it new chains are not stored and
 * take the long way, so memory stays bounded on recordings where chains
 * rarely repeat (the chains that repeat most are mostly seen early).
 * The caps are tested inline (rawtab.h's sd_rawtab_add()), the store
 * here: on kstorm two thirds of the new chains come after the table
 * filled (-1.2 M instructions).
 *
 * All of it lives in one mapping of its capped size, made when the first
 * chain is stored and advised for huge pages (util/vmem.h): the chains'
 * slots, the filter (rawtab.h) and the spaces' slots in the first 2 MiB,
 * the entries in the second.  Every sample reads a slot and an entry at
 * random: on 4 KiB pages (the slots calloc'd, the entries below
 * util/vmem.h's huge size) most cpu-clock samples of sd_stacks_add sat
 * on its first load of each table.  The slots have their capped size
 * from the start (at most half full), so they never grow; twice the
 * slots of a grown table cost more misses to chains not stored, which the
 * filter spares the probe (kstorm, 30 runs in turns: sd_stacks_add's
 * samples -13 % with both, +10 % with the mapping alone).  Before the
 * mapping and while paused, the filter is sd_rawtab_no_filter, all zero:
 * a probe has no test of its own for either, and its mask is a constant.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "stacks/rawtab.h"
#include "util/vmem.h"

#define RAW_MAX_SPACES (1u << 15)
#define RAW_SSLOTS (2 * RAW_MAX_SPACES) /* 1 MB */
#define HUGE ((size_t)2 << 20)

/* The mapping: slots, filter, guesses, space slots | entries (each
 * 2 MiB). */
#define OFF_FILTER (RAW_SLOTS * sizeof(struct raw_slot))
#define OFF_PRED (OFF_FILTER + RAW_FILTER_WORDS * sizeof(uint64_t))
#define OFF_SSLOTS (OFF_PRED + RAW_PRED * sizeof(struct raw_slot))
#define ARENA (2 * HUGE)

_Static_assert(OFF_SSLOTS + RAW_SSLOTS * sizeof(struct raw_space_slot) <=
		       HUGE,
	       "the slots fill the first huge page at most");
_Static_assert(RAW_MAX_WORDS * sizeof(uint64_t) <= HUGE,
	       "the entries fill the second");

uint64_t sd_rawtab_no_filter[RAW_FILTER_WORDS];
struct raw_slot sd_rawtab_no_pred[RAW_PRED];

void sd_rawtab_init(struct sd_rawtab *t)
{
	memset(t, 0, sizeof *t);
	t->filter = sd_rawtab_no_filter;
	t->pred = sd_rawtab_no_pred;
}

void sd_rawtab_free(struct sd_rawtab *t)
{
	if (t->slots)
		munmap(t->slots, ARENA);
	sd_rawtab_init(t);
}

void sd_rawtab_pause(struct sd_rawtab *t, bool paused)
{
	bool on = t->slots && !paused;

	t->paused = paused;
	t->filter = on ? (uint64_t *)((char *)t->slots + OFF_FILTER)
		       : sd_rawtab_no_filter;
	t->pred = on ? (struct raw_slot *)((char *)t->slots + OFF_PRED)
		     : sd_rawtab_no_pred;
}

/* The mapping, made at the first chain stored. */
static int arena(struct sd_rawtab *t)
{
	if (t->slots)
		return 0;
	char *p = sd_vmem_map_huge(ARENA);
	if (!p)
		return -ENOMEM;
	t->slots = (struct raw_slot *)p;
	sd_rawtab_pause(t, t->paused);
	t->sslots = (struct raw_space_slot *)(p + OFF_SSLOTS);
	t->nsslots = RAW_SSLOTS;
	t->words = (uint64_t *)(p + HUGE);
	return 0;
}

static size_t space_hash(uint64_t mmv, uint32_t chain)
{
	return sd_rawtab_space_hash(mmv, chain);
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

uint32_t sd_rawtab_find_next(const struct sd_rawtab *t,
			     const struct raw_key *k, size_t j)
{
	size_t mask = RAW_SLOTS - 1;

	for (j = (j + 1) & mask; t->slots[j].off; j = (j + 1) & mask) {
		const struct raw_slot *s = &t->slots[j];
		if (s->hash == (uint32_t)k->hash &&
		    sd_rawtab_is(t->words + s->off - 1, k))
			return s->off;
	}
	return 0;
}

int sd_rawtab_store(struct sd_rawtab *t, const struct raw_key *k, bool kern,
		    uint64_t mmv, uint32_t id)
{
	size_t need = RAW_ENT + k->nr;

	if (arena(t))
		return -ENOMEM;
	uint64_t *w = t->words + t->nwords;
	w[0] = k->hdr[0];
	w[1] = k->hdr[1];
	w[2] = (uint64_t)(kern ? RAW_F_KERN : 0) << 32 | k->nr;
	w[3] = mmv;
	w[4] = id;
	w[5] = 0;
	memcpy(w + RAW_ENT, k->ips, k->nr * sizeof *k->ips);
	size_t mask = RAW_SLOTS - 1, j = k->hash & mask;
	while (t->slots[j].off)
		j = (j + 1) & mask;
	t->slots[j] = (struct raw_slot){(uint32_t)k->hash,
					(uint32_t)t->nwords + 1};
	((uint64_t *)((char *)t->slots +
		      OFF_FILTER))[sd_rawtab_filter_word(k->hash)] |=
		sd_rawtab_filter_bits(k->hash);
	((struct raw_slot *)((char *)t->slots +
			     OFF_PRED))[sd_rawtab_pred_slot(k->quick)] =
		(struct raw_slot){sd_rawtab_pred_tag(k->quick),
				  (uint32_t)t->nwords + 1};
	t->last = t->nwords;
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
	size_t mask = t->nsslots - 1, j = space_hash(mmv, chain) & mask;
	while (t->sslots[j].chain)
		j = (j + 1) & mask;
	t->sslots[j] = (struct raw_space_slot){mmv, chain, id};
	t->ns++;
	return 0;
}

void sd_rawtab_clear(struct sd_rawtab *t)
{
	if (t->n)
		memset(t->slots, 0, OFF_SSLOTS);
	if (t->ns)
		memset(t->sslots, 0, t->nsslots * sizeof *t->sslots);
	t->nwords = t->n = t->ns = 0;
}
