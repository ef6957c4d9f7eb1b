/* SPDX-License-Identifier: MIT */
/*
 * The details: one (stack, pid, time bucket) counter each, in st->det in
 * the order they were made, found through one small hash table per time
 * bucket (stacks.c asks here when its (stack, pid) cache misses).
 *
 * Why a table per bucket and not one for all: most lookups make a new
 * detail (a fork storm's children each bring their own pid), so a lookup
 * mostly proves an absence, and in one table of every detail that is a
 * probe of a random slot of a table of MBs -- a cache miss to memory
 * each time.  Samples come in time order, so nearly every lookup is in the
 * bucket of the sample before, whose table holds only that bucket's
 * details (a few hundred: a few KB) and stays in cache.  Out-of-order or
 * timeless samples are found all the same (timeless ones are all bucket
 * 0), only their table is not the one at hand.
 *
 * A slot holds its detail's (stack, pid) hash (sd_stacks_detail_hash()),
 * so that a table grows without reading the details, and a probe passes
 * the other details' slots without loading them.  The tables index st->det[0 ..
 * st->dindexed): when the sample loop's tables were freed
 * (sd_stacks_samples_done()) and samples come again, the details made
 * before are indexed again first.
 *
 * When the loop ends, the range of the details' buckets is noted from the
 * tables, a few hundred, so that the seconds of the recording (detect)
 * need not walk every detail for it (kstorm: -0.97 M instructions).
 *
 * A lookup whose table is at hand, with room, and st->det with room and
 * prefaulted, runs inline in stacks.c (sd_stacks_detail_count(),
 * internal.h); the rest goes through sd_stacks_detail_find().  How many
 * details may still come that way is counted down in st->droom, noted
 * by the slow path (note_room()), so the fast path tests one number and
 * the table's bucket (kstorm: -1.67 M instructions, dso -2.69 M).  The
 * fast path reads the table's bucket, slots and mask from st (no load of
 * the table first) and counts neither the table's details nor
 * st->dindexed: the slow path and the range's note take in what droom
 * went down by (settle()).  A detail found again in its table (rare: the
 * cache of stacks.c finds most) is counted out of line
 * (sd_stacks_detail_again()).  Inline, the lookup saves no register and
 * passes no argument on the stack (kstorm: -4.5 M instructions, dso
 * -7.7 M).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/internal.h"
#include "util/prefault.h"
#include "util/vmem.h"

#define DBK_FIRST 8 /* slots of a bucket's first table */

struct dbucket {
	uint64_t bucket;
	struct dslot *slots;
	uint32_t nslots, n;
	uint32_t want; /* slots of its first table (0: DBK_FIRST) */
};

static uint64_t bucket_hash(uint64_t bucket)
{
	return sd_rawtab_mum(bucket ^ RAW_S2, RAW_S1);
}

void sd_stacks_details_free(struct sd_stacks *st)
{
	for (size_t i = 0; i < st->ndbk; i++)
		free(st->dbk[i].slots);
	free(st->dbk);
	free(st->dbkslots);
	st->dbk = NULL;
	st->dbkslots = NULL;
	st->ndbk = st->capdbk = st->ndbkslots = 0;
	st->dbk_last = 0;
	st->dindexed = 0;
	st->dcur = NULL;
	st->droom = st->droom_noted = 0;
}

/* The bucket table's slots for bucket->index + 1 after one more bucket:
 * rebuilt from st->dbk, at most half full. */
static int bucket_map_grow(struct sd_stacks *st)
{
	size_t ns = st->ndbkslots ? st->ndbkslots * 2 : 64;

	while ((st->ndbk + 1) * 2 > ns)
		ns *= 2;
	uint32_t *s = calloc(ns, sizeof *s);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < st->ndbk; i++) {
		size_t j = bucket_hash(st->dbk[i].bucket) & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(st->dbkslots);
	st->dbkslots = s;
	st->ndbkslots = ns;
	return 0;
}

/* bucket_of() past the table last used. */
static __attribute__((noinline)) int
bucket_find(struct sd_stacks *st, uint64_t bucket, size_t *out)
{
	if ((st->ndbk + 1) * 2 > st->ndbkslots && bucket_map_grow(st))
		return -ENOMEM;
	size_t mask = st->ndbkslots - 1, j = bucket_hash(bucket) & mask;
	for (; st->dbkslots[j]; j = (j + 1) & mask) {
		size_t i = st->dbkslots[j] - 1;
		if (st->dbk[i].bucket == bucket) {
			st->dbk_last = (uint32_t)i + 1;
			*out = i;
			return 0;
		}
	}
	if (st->ndbk == st->capdbk) {
		struct dbucket *v = sd_stacks_grow(st->dbk, &st->capdbk,
						   st->ndbk + 1, st->ndbk,
						   sizeof *v, 64, NULL);
		if (!v)
			return -ENOMEM;
		st->dbk = v;
	}
	/* as many slots as the bucket made before has: the next 100 ms
	 * mostly bring about as many details, and its table then does not
	 * grow step by step */
	uint32_t hint = st->ndbk ? st->dbk[st->ndbk - 1].nslots : 0;
	st->dbk[st->ndbk] = (struct dbucket){.bucket = bucket, .want = hint};
	st->dbkslots[j] = (uint32_t)++st->ndbk;
	st->dbk_last = (uint32_t)st->ndbk;
	*out = st->ndbk - 1;
	return 0;
}

/* The table of bucket, made (empty) if it has none: *out its index. */
static inline int bucket_of(struct sd_stacks *st, uint64_t bucket,
			    size_t *out)
{
	if (st->dbk_last && st->dbk[st->dbk_last - 1].bucket == bucket) {
		*out = st->dbk_last - 1;
		return 0;
	}
	return bucket_find(st, bucket, out);
}

/* A bigger table for b (see dbucket_room()). */
static __attribute__((noinline)) int dbucket_grow(struct dbucket *b)
{
	uint32_t ns = b->nslots ? b->nslots * 2
				: b->want ? b->want : DBK_FIRST;
	struct dslot *s = calloc(ns, sizeof *s);
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nslots; i++) {
		if (!b->slots[i].det)
			continue;
		uint32_t j = b->slots[i].hash & (ns - 1);
		while (s[j].det)
			j = (j + 1) & (ns - 1);
		s[j] = b->slots[i];
	}
	free(b->slots);
	b->slots = s;
	b->nslots = ns;
	return 0;
}

/* Room in b for one more detail: its table at most half full. */
static inline int dbucket_room(struct dbucket *b)
{
	return (b->n + 1) * 2 <= b->nslots ? 0 : dbucket_grow(b);
}

/* Indexes st->det[st->dindexed .. st->ndet): details made before the
 * tables were freed. */
static int index_rest(struct sd_stacks *st)
{
	for (; st->dindexed < st->ndet; st->dindexed++) {
		const struct sd_stack_detail *d = &st->det[st->dindexed];
		size_t bi;
		if (bucket_of(st, d->bucket, &bi) || dbucket_room(&st->dbk[bi]))
			return -ENOMEM;
		struct dbucket *b = &st->dbk[bi];
		uint32_t h = sd_stacks_detail_hash(d->stack, d->pid);
		uint32_t mask = b->nslots - 1, j = h & mask;
		while (b->slots[j].det)
			j = (j + 1) & mask;
		b->slots[j] = (struct dslot){h, (uint32_t)st->dindexed + 1};
		b->n++;
	}
	return 0;
}

int sd_stacks_detail_again(struct sd_stacks *st, struct dcache_ent *c,
			   uint64_t pair, uint32_t id, uint64_t count,
			   uint64_t period)
{
	struct sd_stack_detail *d = &st->det[id - 1];

	d->count += count;
	d->period += period;
	memcpy(c, &pair, sizeof pair);
	c->det = id - 1;
	return 0;
}

/*
 * Notes how many details the fast path may add to b, the table at hand,
 * every one indexed: as many as keep b at most half full, st->det in
 * its capacity and, once it is big enough to be prefaulted
 * (sd_prefault_due()), in its prefaulted part.
 */
static void note_room(struct sd_stacks *st, struct dbucket *b)
{
	size_t room = b->nslots / 2 - b->n, det = st->capdet - st->ndet;
	size_t cap = st->capdet * sizeof *st->det;

	if (sd_prefault_due(cap, st->det_pf, cap)) {
		size_t pf = st->det_pf / sizeof *st->det;
		det = pf > st->ndet ? pf - st->ndet : 0;
	}
	st->dcur = b;
	st->dcur_slots = b->slots;
	st->dcur_bucket = b->bucket;
	st->dcur_mask = b->nslots - 1;
	st->droom = st->droom_noted = room < det ? room : det;
}

/* Counts into the table at hand and st->dindexed the details the fast
 * path added to it (sd_stacks_detail_count()), and takes the fast path
 * away until noted again (a failure may move st->dbk). */
static void settle(struct sd_stacks *st)
{
	size_t added = st->droom_noted - st->droom;

	if (added) {
		st->dcur->n += (uint32_t)added;
		st->dindexed += added;
	}
	st->droom = st->droom_noted = 0;
}

/* When a table or st->det must first be made, grown, indexed or
 * prefaulted, or the table at hand is not the bucket's. */
int sd_stacks_detail_find(struct sd_stacks *st, struct dcache_ent *c,
			  uint64_t pair, uint64_t bucket, uint64_t count,
			  uint64_t period)
{
	size_t bi;

	settle(st);
	if (st->dindexed < st->ndet && index_rest(st))
		return -ENOMEM;
	if (bucket_of(st, bucket, &bi) || dbucket_room(&st->dbk[bi]))
		return -ENOMEM;
	if (st->ndet == st->capdet) {
		size_t cap = st->capdet ? st->capdet * 2 : 256;
		struct sd_stack_detail *v = sd_vmem_resize(
			st->det, st->capdet * sizeof *v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		st->det = v;
		st->capdet = cap;
	}
	sd_prefault(st->det, st->capdet * sizeof *st->det, &st->det_pf,
		    (st->ndet + 1) * sizeof *st->det);
	struct dbucket *b = &st->dbk[bi];
	uint32_t h = sd_stacks_pair_hash(pair), id,
		 j = sd_stacks_detail_slot(st, b->slots, b->nslots - 1, pair, h,
					   &id);
	if (id) {
		sd_stacks_detail_again(st, c, pair, id, count, period);
	} else {
		sd_stacks_detail_new(st, b->slots, j, h, c, pair, bucket, count,
				     period);
		b->n++;
		st->dindexed = st->ndet;
	}
	note_room(st, b);
	return 0;
}

size_t sd_stacks_nr_details(const struct sd_stacks *st)
{
	return st->ndet;
}

const struct sd_stack_detail *sd_stacks_detail(const struct sd_stacks *st,
					       size_t i)
{
	return i < st->ndet ? &st->det[i] : NULL;
}

/* Least bucket - 1 (bucket 0 wrapping to the most) and greatest bucket. */
static void range_step(uint64_t b, uint64_t *lo1, uint64_t *hi)
{
	*lo1 = b - 1 < *lo1 ? b - 1 : *lo1;
	*hi = b > *hi ? b : *hi;
}

void sd_stacks_details_note_range(struct sd_stacks *st)
{
	uint64_t lo1 = UINT64_MAX, hi = 0;

	settle(st);
	/* every detail is in its bucket's table: a table a bucket */
	if (st->dindexed != st->ndet)
		return;
	for (size_t i = 0; i < st->ndbk; i++)
		range_step(st->dbk[i].bucket, &lo1, &hi);
	st->brange_lo1 = lo1;
	st->brange_hi = hi;
	st->brange_n = st->ndet + 1;
}

bool sd_stacks_bucket_range(const struct sd_stacks *st, uint64_t *first,
			    uint64_t *last)
{
	uint64_t lo1 = UINT64_MAX, hi = 0;

	if (st->brange_n == st->ndet + 1) {
		lo1 = st->brange_lo1;
		hi = st->brange_hi;
	} else {
		for (size_t i = 0; i < st->ndet; i++)
			range_step(st->det[i].bucket, &lo1, &hi);
	}
	if (lo1 == UINT64_MAX || lo1 + 1 > hi)
		return false;
	*first = lo1 + 1;
	*last = hi;
	return true;
}
