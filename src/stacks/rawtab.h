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
 * hash.  Most hits are not even hashed whole: the chain last found with
 * the same leaf and last word is tried first (the guess, below).
 *
 * Two levels, so that the chain is stored, hashed and compared without
 * its address space: a fork storm runs the same chain in thousands of
 * short-lived processes.
 *  chains: (header words, chain) -> the chain's entry in the words arena,
 *	which holds the stack of the first address space it was stored in
 *	(or, for a chain whose every frame is in the kernel -- the kernel's
 *	marker first and no other -- the stack in any address space);
 *  spaces: (chain, address space) -> stack, for the chain's other address
 *	spaces only: most chains of a fork storm are seen in one.
 * An entry, compared as it comes:
 *	[0] evsel << 48 | cpumode << 40 | flags << 32 | comm
 *	[1] pid << 32 | tid       when the stack key holds them, else 0
 *	[2] RAW_F_* << 32 | nr
 *	[3] the first address space (mm << 32 | version)
 *	[4] the stack in the last other space found + 1 << 32 (0: none)
 *	    | the stack in the first
 *	[5] that other address space
 *	[6..] the chain (markers included), or the sample's ip
 */
#ifndef SD_STACKS_RAWTAB_H
#define SD_STACKS_RAWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/hash.h"

#define RAW_HDR 2 /* header words of a chain's key */
#define RAW_ENT 6 /* words before the chain in an entry */
#define RAW_F_KERN 1u /* in word 2's high half: the chain is kernel-only */

/* A chain's slot: the low half of its hash, so that most slots of other
 * chains are passed without reading their entry, and the entry's word
 * offset + 1 (0: empty); the slot's index is the hash's low bits too. */
struct raw_slot {
	uint32_t hash;
	uint32_t off;
};

struct raw_space_slot {
	uint64_t mmv;   /* mm << 32 | version */
	uint32_t chain; /* the chain's entry, its word offset + 1; 0: empty */
	uint32_t id;    /* the stack */
};

/*
 * Every stored chain sets two bits of one word of the filter, picked by
 * its hash's upper half (the slot's index and check are in the lower):
 * a chain whose bits are not all set is not stored, known without the
 * probe's first load -- a slot of a table of 512 KB, not in cache when
 * the chain is new (a quarter of a fork storm's samples).  16 KB, which
 * mostly stays in the level-1 cache between samples (32 KB, two thirds
 * of the loads missed it: valgrind's model of a 48 KB cache on kstorm),
 * for the chains that fill the entries (rawtab.c's cap; about 16 k on
 * kstorm): about 5 % of the chains not stored pass, and are probed; at
 * the cap of 32768 chains, about 15 %.  (kstorm, 3 x 40-60 runs of 3-4
 * builds in turns, cpu-clock samples: sd_stacks_add's self time -5 to
 * -10 % against 32 KB; 8 KB no better than 32.)
 */
#define RAW_FILTER_WORDS 2048

/* The chains' slots: twice the chains the table holds at most (rawtab.c),
 * from the start, so the probe's mask is a constant. */
#define RAW_MAX_CHAINS (1u << 15)
#define RAW_SLOTS (2 * RAW_MAX_CHAINS)  /* 0.5 MB */

/*
 * The guess, tried before the chain is hashed (sd_rawtab_lookup()): a
 * direct-mapped table of raw_slots by a quick hash of the chain's header,
 * length, leaf and last word (sd_rawtab_quick()), each the entry of the
 * chain last found or stored with that slot, under the quick hash's tag.
 * A known chain is mostly the one its slot holds (kstorm: 97 % of them,
 * synth300k all), compared word by word as any found chain is, so the
 * hash of the whole chain (a multiply a word), the filter and the slot
 * of a table of 512 KB are only for the chains it does not hold: the new
 * ones, and the few whose slot another took; those pay the quick hash and
 * one load more.  16 k slots, 128 KB: with 4 k, 6 % of kstorm's known
 * chains were not their slot's, with 16 k 3 %.  (kstorm -5.7 M
 * instructions, synth300k -15.3 M, dso -4.5 M; the first three words and
 * the last in the quick hash guessed 1 % more and cost 1.4 M more.)
 */
#define RAW_PRED_BITS 14
#define RAW_PRED (1u << RAW_PRED_BITS)

static inline size_t sd_rawtab_filter_word(uint64_t hash)
{
	return (size_t)(hash >> 32) & (RAW_FILTER_WORDS - 1);
}

static inline uint64_t sd_rawtab_filter_bits(uint64_t hash)
{
	return 1ull << (hash >> 52 & 63) | 1ull << (hash >> 58);
}

struct sd_rawtab {
	uint64_t *words;        /* the entries, back to back */
	size_t nwords;
	struct raw_slot *slots; /* chains; the mapping's start (rawtab.c) */
	size_t n;
	/* RAW_FILTER_WORDS: the mapping's, or sd_rawtab_no_filter while there
	 * is no mapping or the table is paused -- then every chain misses at
	 * the filter, with no test of its own */
	uint64_t *filter;
	/* RAW_PRED: the mapping's, or sd_rawtab_no_pred when filter is
	 * sd_rawtab_no_filter (no slot's tag is 0: none matches) */
	struct raw_slot *pred;
	bool paused;
	struct raw_space_slot *sslots; /* (chain, address space) */
	size_t nsslots, ns;
	size_t last; /* the entry sd_rawtab_add() stored last (word offset) */
};

/* A sample's chain key and its hashes. */
struct raw_key {
	uint64_t hdr[RAW_HDR];
	const uint64_t *ips;
	size_t nr;
	uint64_t hash;  /* sd_rawtab_hash() */
	uint64_t quick; /* sd_rawtab_quick() */
};

/* The 128-bit product of a and b, its halves folded (wyhash's mixer):
 * every bit of either reaches the low bits of the result. */
static inline uint64_t sd_rawtab_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	u128 r = (u128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	/* no 128-bit product: the four 32x32 partial products */
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
	uint64_t lo = (mid << 32) | (uint32_t)ll;
	uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return lo ^ hi;
#endif
}

#define RAW_S0 0xa0761d6478bd642full
#define RAW_S1 0xe7037ed1a0b428dbull
#define RAW_S2 0x8ebc6af09c88c6e3ull

/* One multiply and one rotate a word: the second level's mixer. */
static inline uint64_t sd_rawtab_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return h << 31 | h >> 33;
}

/*
 * Fills k->hash from the rest of k.  The chain is hashed on every sample,
 * so a word takes one add and one multiply (a polynomial in an odd
 * constant, mod 2^64: two chains' states are equal only if the
 * differences of their words, weighted by powers of it, cancel), in two
 * lanes, four words a round; one 64x64->128 multiply of the lanes at the
 * end brings the high bits, where every word has reached, down to the
 * bits the table indexes with.
 */
static inline void sd_rawtab_hash(struct raw_key *k)
{
	const uint64_t K = 0x9fb21c651e98df25ull;
	const uint64_t *ips = k->ips;
	size_t nr = k->nr, i = 0;
	uint64_t a = k->hdr[0] ^ nr * 0x9e3779b97f4a7c15ull,
		 b = k->hdr[1] ^ RAW_S0;

	for (; i + 4 <= nr; i += 4) {
		a = (a + ips[i]) * K;
		b = (b + ips[i + 1]) * K;
		a = (a + ips[i + 2]) * K;
		b = (b + ips[i + 3]) * K;
	}
	if (i + 2 <= nr) {
		a = (a + ips[i]) * K;
		b = (b + ips[i + 1]) * K;
		i += 2;
	}
	if (i < nr)
		a = (a + ips[i]) * K;
	k->hash = sd_rawtab_mum(a ^ RAW_S1, b ^ RAW_S2);
}

/* Fills k->quick from k's header, length, second word (a chain's leaf
 * address; a chain of one word, its first) and last word: what picks the
 * guess's slot (sd_rawtab_lookup()). */
static inline void sd_rawtab_quick(struct raw_key *k)
{
	const uint64_t K = 0x9fb21c651e98df25ull;
	const uint64_t *ips = k->ips;
	size_t nr = k->nr;
	uint64_t a = k->hdr[0] ^ nr * 0x9e3779b97f4a7c15ull,
		 b = k->hdr[1] ^ RAW_S0;

	if (nr) {
		a = (a + ips[nr > 1]) * K;
		b = (b + ips[nr - 1]) * K;
	}
	k->quick = sd_rawtab_mum(a ^ RAW_S1, b ^ RAW_S2);
}

/* The guess's slot for a quick hash, and the tag its slot holds (never 0,
 * an empty slot's). */
static inline size_t sd_rawtab_pred_slot(uint64_t quick)
{
	return (size_t)quick & (RAW_PRED - 1);
}

static inline uint32_t sd_rawtab_pred_tag(uint64_t quick)
{
	return (uint32_t)(quick >> 32) | 1;
}

/* The second level's hash of (address space, chain). */
static inline uint64_t sd_rawtab_space_hash(uint64_t mmv, uint32_t chain)
{
	return sd_rawtab_step(mmv * 0x9e3779b97f4a7c15ull, chain);
}

/* RAW_UNGUESSED: sd_rawtab_guess()'s when the chain is not its guess's
 * (known or not: sd_rawtab_find() tells). */
enum { RAW_MISS, RAW_NEW_SPACE, RAW_HIT, RAW_UNGUESSED };

/* What a probe found (sd_rawtab_find()). */
struct raw_found {
	uint32_t id;    /* RAW_HIT: the stack */
	uint32_t chain; /* RAW_NEW_SPACE: the chain's entry, for
			 * sd_rawtab_add_space() */
};

/* No chain's bits (sd_rawtab_init(), sd_rawtab_pause()): never written. */
extern uint64_t sd_rawtab_no_filter[RAW_FILTER_WORDS];
/* No chain's guess (with sd_rawtab_no_filter): never written. */
extern struct raw_slot sd_rawtab_no_pred[RAW_PRED];

/* The second level, for a chain found in an address space other than its
 * first and last (rawtab.c). */
int sd_rawtab_find_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			 struct raw_found *f);
/* The probe past slot j, whose chain was not k's: k's entry's word
 * offset + 1, or 0 (rawtab.c). */
uint32_t sd_rawtab_find_next(const struct sd_rawtab *t,
			     const struct raw_key *k, size_t j);

/* Whether the entry at w holds the chain of k. */
static inline bool sd_rawtab_is(const uint64_t *w, const struct raw_key *k)
{
	return w[0] == k->hdr[0] && w[1] == k->hdr[1] &&
	       (uint32_t)w[2] == k->nr &&
	       !memcmp(w + RAW_ENT, k->ips, k->nr * sizeof *k->ips);
}

/* The stack of the chain at w in address space mmv. */
static inline int sd_rawtab_found(struct sd_rawtab *t, uint32_t off,
				  uint64_t mmv, struct raw_found *f)
{
	const uint64_t *w = t->words + off - 1;

	if (w[3] == mmv || (w[2] >> 32 & RAW_F_KERN)) {
		f->id = (uint32_t)w[4];
		return RAW_HIT;
	}
	if (w[5] == mmv && w[4] >> 32) {
		f->id = (uint32_t)(w[4] >> 32) - 1;
		return RAW_HIT;
	}
	return sd_rawtab_find_space(t, off, mmv, f);
}

/*
 * Looks k up for address space mmv: RAW_HIT (f->id the stack),
 * RAW_NEW_SPACE (f->chain the chain: known, but not for this address
 * space), or RAW_MISS; k's hash and quick hash filled in
 * (sd_rawtab_hash(), sd_rawtab_quick()).  The filter first; the first
 * slot inline, the rest of the probe out of line: most probes end there,
 * and the compare's call then leaves little to save.  A chain the filter
 * rules out is stored next (sd_rawtab_add()) after its frames are
 * resolved, long enough to bring its slot's line in meanwhile.  A chain
 * found becomes its guess's (sd_rawtab_lookup()).
 */
static inline int sd_rawtab_find(struct sd_rawtab *t, const struct raw_key *k,
				 uint64_t mmv, struct raw_found *f)
{
	size_t j = k->hash & (RAW_SLOTS - 1);
	uint64_t fb = sd_rawtab_filter_bits(k->hash);
	if ((t->filter[sd_rawtab_filter_word(k->hash)] & fb) != fb) {
		/* in integers: slots is NULL before the mapping (a prefetch
		 * does not fault) */
		__builtin_prefetch((const void *)((uintptr_t)t->slots +
						  j * sizeof *t->slots),
				   1);
		return RAW_MISS;
	}
	/* past the filter: t->pred is the mapping's */
	struct raw_slot s = t->slots[j];
	uint32_t off;

	if (!s.off)
		return RAW_MISS;
	if (s.hash == (uint32_t)k->hash && sd_rawtab_is(t->words + s.off - 1, k))
		off = s.off;
	else if (!(off = sd_rawtab_find_next(t, k, j)))
		return RAW_MISS;
	t->pred[sd_rawtab_pred_slot(k->quick)] =
		(struct raw_slot){sd_rawtab_pred_tag(k->quick), off};
	return sd_rawtab_found(t, off, mmv, f);
}

/*
 * k (k->quick filled in: sd_rawtab_quick()) looked up as its guess's
 * chain, for address space mmv: sd_rawtab_find()'s answer if it is the
 * chain of its guess's slot (compared word by word), else
 * RAW_UNGUESSED.  No hash of the whole chain: that only comes then
 * (sd_rawtab_lookup()).
 */
static inline int sd_rawtab_guess(struct sd_rawtab *t, const struct raw_key *k,
				  uint64_t mmv, struct raw_found *f)
{
	struct raw_slot p = t->pred[sd_rawtab_pred_slot(k->quick)];

	if (p.hash == sd_rawtab_pred_tag(k->quick) &&
	    sd_rawtab_is(t->words + p.off - 1, k))
		return sd_rawtab_found(t, p.off, mmv, f);
	return RAW_UNGUESSED;
}

/* sd_rawtab_find() of k with only k->quick filled in: its guess first,
 * then the whole chain hashed (k->hash filled in only then) and looked
 * up. */
static inline int sd_rawtab_lookup(struct sd_rawtab *t, struct raw_key *k,
				   uint64_t mmv, struct raw_found *f)
{
	int r = sd_rawtab_guess(t, k, mmv, f);

	if (r != RAW_UNGUESSED)
		return r;
	sd_rawtab_hash(k);
	return sd_rawtab_find(t, k, mmv, f);
}

#define RAW_MAX_WORDS (1u << 18)  /* 2 MB of entries */

/* sd_rawtab_add() past its caps (rawtab.c). */
int sd_rawtab_store(struct sd_rawtab *t, const struct raw_key *k, bool kern,
		    uint64_t mmv, uint32_t id);

/*
 * Stores a chain (after RAW_MISS: k->hash and k->quick filled in) with
 * its stack id: in every address space if kern, else in mmv; it becomes
 * its guess's chain.  Returns 0, 1 when the table is full
 * (nothing stored), or -ENOMEM.  The caps inline: once the table is
 * full, most new chains are refused (kstorm: two thirds of them).
 */
static inline int sd_rawtab_add(struct sd_rawtab *t, const struct raw_key *k,
				bool kern, uint64_t mmv, uint32_t id)
{
	if (t->nwords + RAW_ENT + k->nr > RAW_MAX_WORDS ||
	    t->n >= RAW_MAX_CHAINS)
		return 1; /* full: this chain takes the long way each time */
	return sd_rawtab_store(t, k, kern, mmv, id);
}
/* The stack of the chain sd_rawtab_add() stored last, when it was not
 * known yet: id given to it then was a placeholder (stacks.c stores the
 * chain while the stack table's slot comes in). */
static inline void sd_rawtab_set_last(struct sd_rawtab *t, uint32_t id)
{
	t->words[t->last + 4] = id;
}
/* Stores the stack of a known chain (RAW_NEW_SPACE's f->chain) in
 * address space mmv; 0, 1 (full) or -ENOMEM. */
int sd_rawtab_add_space(struct sd_rawtab *t, uint32_t chain, uint64_t mmv,
			uint32_t id);
/* Forgets every chain (the kernel's maps changed). */
void sd_rawtab_clear(struct sd_rawtab *t);
/* An empty table (no mapping yet); sd_rawtab_free() leaves one too. */
void sd_rawtab_init(struct sd_rawtab *t);
void sd_rawtab_free(struct sd_rawtab *t);
/* While paused, every chain misses (stacks.c sets the table aside where
 * chains seldom repeat); nothing may be stored then. */
void sd_rawtab_pause(struct sd_rawtab *t, bool paused);

#endif
