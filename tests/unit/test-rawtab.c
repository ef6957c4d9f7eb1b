/* SPDX-License-Identifier: MIT */
/*
 * The raw-chain table (src/stacks/rawtab.h), on its own: what it must
 * answer follows from its contract, stated here.
 *
 *  R1 a chain stored as kernel-only is the same stack in every address
 *     space: found with its id whatever mmv is asked;
 *  R2 a chain with a user part is known per address space: stored with
 *     its first, in another one it is "new space" (the chain given),
 *     until that space is stored for it;
 *     -- also when the spaces it was last found in (remembered in its
 *     entry) take turns;
 *  R3 a key that differs in any word (header, length, one frame) is
 *     another chain;
 *  R4 many chains (the table grows): every one still found with its id;
 *  R5 cleared: nothing found;
 *  R7 chains with the same hash (the table's slot and its tag) are told
 *     apart by their words, whichever of them was stored first;
 *  R8 the filter (two bits a stored chain, from the hash's upper half)
 *     only rules chains out: chains whose bits another chain set are
 *     looked up, and found or not by their words; chains whose hashes
 *     pick the filter's first and last words and bits are found;
 *  R9 full (entries or chains at the cap): a chain refused is not found,
 *     then or later, and every chain stored before still is;
 *  R11 paused, a table finds no chain, stored or not (before its first
 *     chain too); taken up again, it finds those stored before;
 *  R10 a chain stored before its stack is known, given it after
 *     (sd_rawtab_set_last()), is found with it, in its address space
 *     and as the first of another one; the chains stored before keep
 *     theirs;
 *  R12 the guess (sd_rawtab_guess()) answers as sd_rawtab_find() does
 *     for the chain its slot holds -- the one stored or found last with
 *     that quick hash -- and RAW_UNGUESSED for any other chain, one of
 *     the same quick hash (slot and tag) included; found, that one
 *     becomes the guess; cleared or paused, or before the first chain,
 *     it guesses nothing; sd_rawtab_lookup() answers as find() whatever
 *     the guess holds;
 *  R13 the quick hash takes in the header, the length, the leaf (second
 *     word) and the last word: chains that differ in one of them by a
 *     few bytes land in different slots of the guess;
 *  R6 the hash spreads: chains that differ in one word by a few bytes
 *     (kernel return addresses in one function), at any position and of
 *     any length, land in different slots of a table indexed by its low
 *     bits (a constant or position-blind hash would pile them up and
 *     turn every probe into a walk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/perf_abi.h>

#include "stacks/rawtab.h"
#include "test.h"

static struct raw_key key(uint64_t hdr0, uint64_t hdr1, const uint64_t *ips,
			  size_t nr)
{
	struct raw_key k = {{hdr0, hdr1}, ips, nr, 0, 0};
	sd_rawtab_hash(&k);
	sd_rawtab_quick(&k);
	return k;
}

/* sd_rawtab_find() with what it found in *id (RAW_HIT) or *chain
 * (RAW_NEW_SPACE) */
static int find(struct sd_rawtab *t, const struct raw_key *k, uint64_t mmv,
		uint32_t *id, uint32_t *chain)
{
	struct raw_found f = {UINT32_MAX, UINT32_MAX};
	int r = sd_rawtab_find(t, k, mmv, &f);
	if (r == RAW_HIT)
		*id = f.id;
	else if (r == RAW_NEW_SPACE)
		*chain = f.chain;
	return r;
}

static const uint64_t kchain[] = {SD_CONTEXT_KERNEL, 0xffffffff81000440ull,
				  0xffffffff81000330ull};
static const uint64_t uchain[] = {SD_CONTEXT_KERNEL, 0xffffffff81000440ull,
				  SD_CONTEXT_USER, 0x401000, 0x402000};

TEST(kernel_chains_ignore_the_address_space)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key k = key(1, 0, kchain, 3);
	uint32_t id = 0, chain = 0;

	CHECK_U64(find(&t, &k, 7, &id, &chain), RAW_MISS);
	CHECK(sd_rawtab_add(&t, &k, true, 7, 42) == 0);
	id = 0;
	CHECK_U64(find(&t, &k, 7, &id, &chain), RAW_HIT);
	CHECK_U64(id, 42);
	id = 0;
	CHECK_U64(find(&t, &k, 0x900000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 42);
	sd_rawtab_free(&t);
}

TEST(user_chains_per_address_space)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key k = key(1, 0, uchain, 5);
	uint32_t id = 0, chain = 99, c2 = 99;

	CHECK(sd_rawtab_add(&t, &k, false, 0x100000001ull, 5) == 0);
	CHECK_U64(find(&t, &k, 0x100000001ull, &id, &c2), RAW_HIT);
	CHECK_U64(id, 5);
	/* another address space, and another version of the same one */
	CHECK_U64(find(&t, &k, 0x200000001ull, &id, &chain),
		  RAW_NEW_SPACE);
	CHECK(chain != 99);
	CHECK_U64(find(&t, &k, 0x100000002ull, &id, &c2),
		  RAW_NEW_SPACE);
	CHECK_U64(c2, chain);
	CHECK(sd_rawtab_add_space(&t, chain, 0x200000001ull, 6) == 0);
	CHECK_U64(find(&t, &k, 0x200000001ull, &id, &c2), RAW_HIT);
	CHECK_U64(id, 6);
	CHECK_U64(find(&t, &k, 0x100000001ull, &id, &c2), RAW_HIT);
	CHECK_U64(id, 5);
	sd_rawtab_free(&t);
}

TEST(spaces_taking_turns)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key k = key(1, 0, uchain, 5);
	uint32_t chain = 99, id, c2;
	/* four address spaces, their stacks 10, 11, 12, 13 */
	static const uint64_t mmv[4] = {0x100000001ull, 0x200000001ull,
					0x300000001ull, 0x500000001ull};
	static const unsigned order[] = {0, 1, 0, 1, 2, 0, 2, 1, 1, 0, 2, 2,
					 1, 0, 0, 2, 3, 1, 3, 2, 0, 3, 3};
	size_t bad = 0;

	CHECK(sd_rawtab_add(&t, &k, false, mmv[0], 10) == 0);
	CHECK_U64(find(&t, &k, mmv[1], &id, &chain), RAW_NEW_SPACE);
	for (unsigned i = 1; i < 4; i++)
		CHECK(sd_rawtab_add_space(&t, chain, mmv[i], 10 + i) == 0);
	for (size_t r = 0; r < sizeof order / sizeof order[0]; r++) {
		unsigned i = order[r];
		id = UINT32_MAX;
		if (find(&t, &k, mmv[i], &id, &c2) != RAW_HIT || id != 10 + i)
			bad++;
	}
	CHECK_U64(bad, 0);
	/* a fifth space is still new, whatever was found before */
	CHECK_U64(find(&t, &k, 0x400000001ull, &id, &c2), RAW_NEW_SPACE);
	CHECK_U64(c2, chain);
	sd_rawtab_free(&t);
}

TEST(any_word_makes_another_chain)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key k = key(1, 0, kchain, 3);
	uint32_t id, chain;

	CHECK(sd_rawtab_add(&t, &k, true, 0, 1) == 0);
	uint64_t other[3];
	for (size_t i = 0; i < 3; i++) {
		memcpy(other, kchain, sizeof other);
		other[i] ^= 0x10;
		struct raw_key o = key(1, 0, other, 3);
		CHECK_U64(find(&t, &o, 0, &id, &chain), RAW_MISS);
	}
	struct raw_key h0 = key(2, 0, kchain, 3), h1 = key(1, 3, kchain, 3),
		       shorter = key(1, 0, kchain, 2);
	CHECK_U64(find(&t, &h0, 0, &id, &chain), RAW_MISS);
	CHECK_U64(find(&t, &h1, 0, &id, &chain), RAW_MISS);
	CHECK_U64(find(&t, &shorter, 0, &id, &chain), RAW_MISS);
	/* the same words, hashed again: found */
	struct raw_key same = key(1, 0, kchain, 3);
	CHECK_U64(find(&t, &same, 0, &id, &chain), RAW_HIT);
	sd_rawtab_free(&t);
}

TEST(many_chains_and_clear)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	enum { N = 20000 };
	static uint64_t ch[N][4];
	uint32_t id, chain;
	size_t bad = 0;

	for (uint32_t i = 0; i < N; i++) {
		bool kern = i % 2;
		ch[i][0] = SD_CONTEXT_KERNEL;
		ch[i][1] = 0xffffffff81000000ull + i;
		ch[i][2] = kern ? 0xffffffff81000100ull : SD_CONTEXT_USER;
		ch[i][3] = 0x400000 + i % 7;
		struct raw_key k = key(3, 0, ch[i], 4);
		CHECK(sd_rawtab_add(&t, &k, kern, i % 3, kern ? i : i + N) == 0);
		/* every fourth chain in a second address space too */
		if (!kern && i % 4 == 0) {
			chain = UINT32_MAX;
			CHECK(find(&t, &k, 5, &id, &chain) == RAW_NEW_SPACE);
			CHECK(sd_rawtab_add_space(&t, chain, 5, i + 2 * N) == 0);
		}
	}
	for (uint32_t i = 0; i < N; i++) {
		struct raw_key k = key(3, 0, ch[i], 4);
		id = UINT32_MAX;
		int r = find(&t, &k, i % 3, &id, &chain);
		if (r != RAW_HIT || id != (i % 2 ? i : i + N))
			bad++;
		if (i % 4 == 0) {
			r = find(&t, &k, 5, &id, &chain);
			if (r != RAW_HIT || id != i + 2 * N)
				bad++;
		} else if (i % 2 == 0 &&
			   find(&t, &k, 5, &id, &chain) != RAW_NEW_SPACE) {
			bad++;
		}
	}
	CHECK_U64(bad, 0);
	sd_rawtab_clear(&t);
	struct raw_key k = key(3, 0, ch[1], 4);
	CHECK_U64(find(&t, &k, 0, &id, &chain), RAW_MISS);
	/* usable again after the clear */
	CHECK(sd_rawtab_add(&t, &k, true, 0, 8) == 0);
	CHECK_U64(find(&t, &k, 0, &id, &chain), RAW_HIT);
	CHECK_U64(id, 8);
	sd_rawtab_free(&t);
}

TEST(same_hash_other_chain)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	uint64_t ch[4][3];
	struct raw_key k[4];
	uint32_t id, chain;
	size_t bad = 0;

	for (unsigned i = 0; i < 4; i++) {
		memcpy(ch[i], kchain, sizeof ch[i]);
		ch[i][2] += 8 * i;
		k[i] = key(1, 0, ch[i], 3);
		k[i].hash = 0x1234; /* all four in one slot, one tag */
	}
	CHECK(sd_rawtab_add(&t, &k[0], true, 0, 100) == 0);
	CHECK(sd_rawtab_add(&t, &k[1], false, 9, 101) == 0);
	CHECK_U64(find(&t, &k[2], 9, &id, &chain), RAW_MISS);
	CHECK(sd_rawtab_add(&t, &k[2], true, 0, 102) == 0);
	for (unsigned i = 0; i < 3; i++) {
		id = UINT32_MAX;
		if (find(&t, &k[i], 9, &id, &chain) != RAW_HIT || id != 100 + i)
			bad++;
	}
	CHECK_U64(bad, 0);
	CHECK_U64(find(&t, &k[3], 9, &id, &chain), RAW_MISS);
	CHECK_U64(find(&t, &k[1], 8, &id, &chain), RAW_NEW_SPACE);
	sd_rawtab_free(&t);
}

TEST(filter_only_rules_out)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	uint64_t ch[6][3];
	struct raw_key k[6];
	uint32_t id, chain;
	size_t bad = 0;

	for (unsigned i = 0; i < 6; i++) {
		memcpy(ch[i], kchain, sizeof ch[i]);
		ch[i][2] += 8 * i;
		k[i] = key(1, 0, ch[i], 3);
	}
	/* one upper half (filter word and bits), four slots */
	for (unsigned i = 0; i < 4; i++)
		k[i].hash = 0xfedcba9800000000ull | (0x100 * i + 7);
	/* the filter's last word and highest bits; its first and lowest */
	k[4].hash = 0xfffff00000000abcull | (uint64_t)(RAW_FILTER_WORDS - 1)
						      << 32;
	k[5].hash = 0x0000000000000def;
	CHECK(sd_rawtab_add(&t, &k[0], true, 0, 100) == 0);
	CHECK(sd_rawtab_add(&t, &k[2], true, 0, 102) == 0);
	CHECK(sd_rawtab_add(&t, &k[4], true, 0, 104) == 0);
	CHECK(sd_rawtab_add(&t, &k[5], true, 0, 105) == 0);
	for (unsigned i = 0; i < 6; i++) {
		id = UINT32_MAX;
		int r = find(&t, &k[i], 0, &id, &chain);
		if (i == 1 || i == 3)
			bad += r != RAW_MISS;
		else
			bad += r != RAW_HIT || id != 100 + i;
	}
	CHECK_U64(bad, 0);
	sd_rawtab_free(&t);
}

TEST(full_table_refuses_and_keeps)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	/* entries of 6 + 58 words: the entries' cap comes first */
	enum { NR = 58, MAX = 8192 };
	static uint64_t ch[MAX][NR];
	uint32_t id, chain;
	size_t stored = 0, bad = 0;
	int r = 0;

	for (uint32_t i = 0; i < MAX && !r; i++) {
		ch[i][0] = SD_CONTEXT_KERNEL;
		for (size_t j = 1; j < NR; j++)
			ch[i][j] = 0xffffffff81000000ull + 0x40 * j + i;
		struct raw_key k = key(2, 0, ch[i], NR);
		r = sd_rawtab_add(&t, &k, true, 0, i);
		stored += !r;
	}
	CHECK_U64(r, 1);
	CHECK(stored > 1000 && stored < MAX - 1);
	/* the one refused, asked twice; then every one stored */
	struct raw_key refused = key(2, 0, ch[stored], NR);
	CHECK_U64(find(&t, &refused, 0, &id, &chain), RAW_MISS);
	CHECK_U64(sd_rawtab_add(&t, &refused, true, 0, 1), 1);
	CHECK_U64(find(&t, &refused, 0, &id, &chain), RAW_MISS);
	for (uint32_t i = 0; i < stored; i++) {
		struct raw_key k = key(2, 0, ch[i], NR);
		id = UINT32_MAX;
		bad += find(&t, &k, 0, &id, &chain) != RAW_HIT || id != i;
	}
	CHECK_U64(bad, 0);
	sd_rawtab_free(&t);
}

/* Distinct values of the low 13 bits of the hashes of 4096 chains of nr
 * words that differ only in word at (by 4 bytes each). */
static size_t spread(size_t nr, size_t at)
{
	static uint64_t ch[64];
	static unsigned char seen[1u << 13];
	size_t distinct = 0;

	memset(seen, 0, sizeof seen);
	ch[0] = SD_CONTEXT_KERNEL;
	for (size_t i = 1; i < nr; i++)
		ch[i] = 0xffffffff81000000ull + 0x1000 * i;
	for (uint32_t v = 0; v < 4096; v++) {
		ch[at] = 0xffffffff81200000ull + 4 * v;
		struct raw_key k = key(1, 0, ch, nr);
		unsigned b = k.hash & ((1u << 13) - 1);
		distinct += !seen[b];
		seen[b] = 1;
	}
	return distinct;
}

TEST(stack_given_after_the_chain)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key a = key(1, 0, kchain, 3), b = key(1, 0, uchain, 5);
	uint32_t id = 0, chain = 0;

	CHECK(sd_rawtab_add(&t, &a, true, 0, 7) == 0);
	CHECK(sd_rawtab_add(&t, &b, false, 0x100000001ull, 0) == 0);
	sd_rawtab_set_last(&t, 9);
	CHECK_U64(find(&t, &b, 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 9);
	CHECK_U64(find(&t, &a, 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 7);
	CHECK_U64(find(&t, &b, 0x200000001ull, &id, &chain), RAW_NEW_SPACE);
	CHECK(sd_rawtab_add_space(&t, chain, 0x200000001ull, 11) == 0);
	CHECK_U64(find(&t, &b, 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 9);
	sd_rawtab_free(&t);
}

TEST(paused_finds_nothing)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	struct raw_key a = key(1, 0, kchain, 3), b = key(1, 0, uchain, 5);
	uint32_t id = 0, chain = 0;

	sd_rawtab_pause(&t, true);
	CHECK_U64(find(&t, &a, 0, &id, &chain), RAW_MISS);
	sd_rawtab_pause(&t, false);
	CHECK_U64(find(&t, &a, 0, &id, &chain), RAW_MISS);
	CHECK(sd_rawtab_add(&t, &a, true, 0, 7) == 0);
	CHECK(sd_rawtab_add(&t, &b, false, 0x100000001ull, 8) == 0);
	sd_rawtab_pause(&t, true);
	CHECK_U64(find(&t, &a, 0, &id, &chain), RAW_MISS);
	CHECK_U64(find(&t, &b, 0x100000001ull, &id, &chain), RAW_MISS);
	sd_rawtab_pause(&t, false);
	id = 0;
	CHECK_U64(find(&t, &a, 0, &id, &chain), RAW_HIT);
	CHECK_U64(id, 7);
	CHECK_U64(find(&t, &b, 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 8);
	sd_rawtab_free(&t);
	CHECK_U64(find(&t, &a, 0, &id, &chain), RAW_MISS);
}

TEST(hash_spreads_close_addresses)
{
	/* 4096 random values in 8192 buckets: ~3300 distinct expected */
	static const size_t cases[][2] = {{1, 0}, {2, 1}, {3, 2},  {5, 4},
					  {8, 1}, {9, 8}, {12, 6}, {33, 31}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t d = spread(cases[i][0], cases[i][1]);
		if (d < 3000)
			fprintf(stderr, "nr %zu at %zu: %zu distinct\n",
				cases[i][0], cases[i][1], d);
		CHECK(d >= 3000);
	}
}

/* sd_rawtab_guess() with what it found in *id (RAW_HIT) or *chain
 * (RAW_NEW_SPACE) */
static int guess(struct sd_rawtab *t, const struct raw_key *k, uint64_t mmv,
		 uint32_t *id, uint32_t *chain)
{
	struct raw_found f = {UINT32_MAX, UINT32_MAX};
	int r = sd_rawtab_guess(t, k, mmv, &f);
	if (r == RAW_HIT)
		*id = f.id;
	else if (r == RAW_NEW_SPACE)
		*chain = f.chain;
	return r;
}

TEST(guess_is_the_last_chain_of_its_slot)
{
	struct sd_rawtab t;
	sd_rawtab_init(&t);
	uint64_t ch[3][5];
	struct raw_key k[3];
	uint32_t id = 0, chain = 0, c2 = 0;

	/* three chains of one quick hash: one guess slot, one tag */
	for (unsigned i = 0; i < 3; i++) {
		memcpy(ch[i], uchain, sizeof ch[i]);
		ch[i][3] += 8 * i;
		k[i] = key(1, 0, ch[i], 5);
		k[i].quick = 0x5555000000000123ull;
	}
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	CHECK(sd_rawtab_add(&t, &k[0], false, 0x100000001ull, 10) == 0);
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 10);
	/* the guess knows the address spaces as find() does */
	CHECK_U64(guess(&t, &k[0], 0x200000001ull, &id, &chain),
		  RAW_NEW_SPACE);
	CHECK_U64(find(&t, &k[0], 0x200000001ull, &id, &c2), RAW_NEW_SPACE);
	CHECK_U64(chain, c2);
	/* another chain of the slot: not guessed, though the tag is its */
	CHECK_U64(guess(&t, &k[1], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	CHECK(sd_rawtab_add(&t, &k[1], true, 0, 11) == 0);
	CHECK_U64(guess(&t, &k[1], 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 11);
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	CHECK_U64(guess(&t, &k[2], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	/* found the long way, the first is the guess again */
	id = 0;
	CHECK_U64(sd_rawtab_lookup(&t, &k[0], 0x100000001ull,
				   &(struct raw_found){0, 0}),
		  RAW_HIT);
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain), RAW_HIT);
	CHECK_U64(id, 10);
	CHECK_U64(guess(&t, &k[1], 7, &id, &chain), RAW_UNGUESSED);
	/* the lookup answers as find() whatever the guess holds */
	for (unsigned i = 0; i < 3; i++) {
		for (unsigned r = 0; r < 2; r++) {
			struct raw_found f = {0, 0};
			uint32_t fid = UINT32_MAX;
			int want = find(&t, &k[i], 0x100000001ull, &fid, &c2);
			CHECK_U64(sd_rawtab_lookup(&t, &k[i], 0x100000001ull,
						   &f),
				  want);
			if (want == RAW_HIT)
				CHECK_U64(f.id, fid);
		}
	}
	/* paused, then cleared: nothing guessed (the second chain was
	 * found last) */
	sd_rawtab_pause(&t, true);
	CHECK_U64(guess(&t, &k[1], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	sd_rawtab_pause(&t, false);
	CHECK_U64(guess(&t, &k[1], 0x100000001ull, &id, &chain), RAW_HIT);
	sd_rawtab_clear(&t);
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	CHECK_U64(guess(&t, &k[1], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
	sd_rawtab_free(&t);
	CHECK_U64(guess(&t, &k[0], 0x100000001ull, &id, &chain),
		  RAW_UNGUESSED);
}

/* The guess's slot and tag of the quick hash of a chain. */
static uint64_t quick_of(uint64_t hdr0, uint64_t hdr1, const uint64_t *ips,
			 size_t nr)
{
	struct raw_key k = key(hdr0, hdr1, ips, nr);

	return (uint64_t)sd_rawtab_pred_tag(k.quick) << 32 |
	       sd_rawtab_pred_slot(k.quick);
}

TEST(quick_hash_takes_header_leaf_and_last)
{
	uint64_t ch[6] = {SD_CONTEXT_KERNEL, 0xffffffff81000440ull,
			  0xffffffff81000880ull, 0xffffffff81000cc0ull,
			  SD_CONTEXT_USER, 0x401000};
	uint64_t q = quick_of(1, 0, ch, 6);
	uint64_t o[6];

	CHECK(quick_of(2, 0, ch, 6) != q);
	CHECK(quick_of(1, 1, ch, 6) != q);
	CHECK(quick_of(1, 0, ch, 5) != q);
	memcpy(o, ch, sizeof o);
	o[1] += 4;
	CHECK(quick_of(1, 0, o, 6) != q);
	memcpy(o, ch, sizeof o);
	o[5] += 4;
	CHECK(quick_of(1, 0, o, 6) != q);
	/* one word (a sample with no chain): its ip */
	CHECK(quick_of(1, 0, &ch[1], 1) != quick_of(1, 0, &ch[2], 1));
	CHECK(quick_of(1, 0, ch, 0) == quick_of(1, 0, o, 0));
	/* 4096 leaves 4 bytes apart, in 16 k slots: ~3600 distinct */
	static unsigned char seen[RAW_PRED];
	size_t distinct = 0;
	for (uint32_t v = 0; v < 4096; v++) {
		memcpy(o, ch, sizeof o);
		o[1] = 0xffffffff81200000ull + 4 * v;
		struct raw_key k = key(1, 0, o, 6);
		size_t j = sd_rawtab_pred_slot(k.quick);
		distinct += !seen[j];
		seen[j] = 1;
	}
	CHECK(distinct >= 3300);
}

int main(void)
{
	RUN(kernel_chains_ignore_the_address_space);
	RUN(user_chains_per_address_space);
	RUN(spaces_taking_turns);
	RUN(any_word_makes_another_chain);
	RUN(many_chains_and_clear);
	RUN(same_hash_other_chain);
	RUN(filter_only_rules_out);
	RUN(full_table_refuses_and_keeps);
	RUN(stack_given_after_the_chain);
	RUN(paused_finds_nothing);
	RUN(hash_spreads_close_addresses);
	RUN(guess_is_the_last_chain_of_its_slot);
	RUN(quick_hash_takes_header_leaf_and_last);
	return test_exit();
}
