/* SPDX-License-Identifier: MIT */
/* The stacks stage's private state, shared by stacks.c and folded.c. */
#ifndef SD_STACKS_INTERNAL_H
#define SD_STACKS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"
#include "stacks/rawtab.h"
#include "stacks/resolve.h"

#define MAX_STACK 127 /* perf script's default --max-stack */
#define KEY_HDR 4
#define F_CHAIN 1u
#define F_DROP 2u /* pid or tid -1: kept apart (stackcollapse drops it) */
#define F_NAMED 4u /* frames given by name (text input): kernel << 32 | id */
#define F_LOC 8u /* frames resolved at sample time: LOC_TAG | loc id */
/*
 * A frame resolved to its (DSO, function) when sampled: bit 62 set, bit 63
 * clear - never a marker (>= SD_CONTEXT_MAX); in an F_LOC key every frame
 * is one, so it cannot be confused with a raw address.
 */
#define LOC_TAG (1ull << 62)
#define LOC_MASK 0xffffffffull

/*
 * A stack's record in keys: its id and the key's length (u32 each), then
 * the encoded key (see stacks.c); records start KEY_ALIGN-aligned.
 */
#define KEY_REC 8
#define KEY_ALIGN 4

/* A slot of the stack table: the upper half of its key's hash (the lower
 * bits index the slot), and where its record is in keys. */
struct key_slot {
	uint32_t hash;
	uint32_t at; /* the record's byte offset / KEY_ALIGN + 1; 0: empty */
};

struct entry {
	size_t key;    /* byte offset in keys of the encoded key (past its
			* record's header) */
	uint32_t klen; /* bytes */
	uint64_t hash;
	uint64_t hdr; /* key word 0: evsel, cpumode, flags, comm */
	uint64_t count, period; /* its details' sums, once the loop ended */
	uint32_t frames;  /* offset in frames[] after symbolization */
	uint32_t nframes;
};

struct fcache_ent {
	const void *dso; /* sd_dso, or map name when there is no dso */
	uint64_t addr;
	uint64_t ip; /* the raw address, with SD_FOLD_ADDRS; else 0 */
	uint32_t first, n; /* into names[] */
	uint8_t marks; /* SD_FRAME_* of the first name */
};

/* (stack, pid) -> the detail its last sample went to (stacks.c); stack
 * UINT32_MAX (never a stack's id): empty */
#define DCACHE_BITS 10
struct dcache_ent {
	uint32_t stack, pid;
	uint32_t det; /* index */
};

/* A slot of a time bucket's table of details (details.c). */
struct dslot {
	uint32_t hash; /* sd_stacks_pair_hash(): index bits and check */
	uint32_t det;  /* index + 1; 0: empty */
};

struct fseq_slot {
	uint32_t check; /* the hash's high half (the low bits index) */
	uint32_t entry; /* index + 1; 0: empty */
};

struct sd_stacks {
	unsigned fold; /* SD_FOLD_* given to sd_stacks_set_fold() */
	uint8_t *keys; /* the stacks' records (KEY_REC), back to back */
	size_t nkeys, capkeys; /* bytes */
	size_t lcache_slots;   /* of sd_stacks_symbolize()'s cache */
	struct entry *v;
	size_t n, cap;
	struct key_slot *slots;
	size_t nslots;
	uint64_t scratch[KEY_HDR + 4096 + 1];
	uint8_t kbuf[(KEY_HDR + 4096 + 1) * 10]; /* an encoded key */

	/* after symbolization */
	struct sd_strpool strs;
	struct sd_frame *frames;
	size_t nframes, capframes;
	struct fcache_ent *fc; /* fcn of them, in order of making (names.c) */
	uint32_t *fcix;	       /* fcslots: by hash, an fc index + 1 */
	size_t fcslots, fcn;
	uint32_t *names;
	size_t nnames, capnames;
	/* by DSO name (its pointer, direct-mapped): the SD_FRAME_* marks
	 * and whether the folding rules leave it alone (names.c) */
	struct dso_memo {
		const char *dso;
		uint8_t marks;
		bool plain;
		uint32_t unknown; /* "[basename]"'s string id, 0 not made */
	} dmemo[16];

	/* frame locations, interned at sample time (F_LOC keys) */
	struct sd_location *locs;
	size_t nlocs, caplocs;
	struct sd_resolve res; /* how frames get there (resolve.h) */

	/* sd_stacks_set_weights(): folded lines add these, not counts */
	const uint64_t *weights;
	size_t nweights;

	struct sd_stack_detail *det;
	size_t ndet, capdet;
	struct dcache_ent dcache[1u << DCACHE_BITS];
	/* the details' tables, one per time bucket (details.c) */
	struct dbucket *dbk;
	size_t ndbk, capdbk;
	uint32_t *dbkslots; /* bucket -> its dbk index + 1, by hash */
	size_t ndbkslots;
	uint32_t dbk_last;  /* index + 1 of the table last used; 0: none */
	/* the table at hand, dcur, as sd_stacks_detail_count() adds to it:
	 * its bucket, slots and mask, and how many details may still be added
	 * to it so (room in its slots, in det and its prefaulted part; 0: take
	 * sd_stacks_detail_find(), the rest is stale).  The fast path counts
	 * neither dcur->n nor dindexed: the slow one adds what droom went down
	 * by since droom_noted. */
	struct dbucket *dcur;
	struct dslot *dcur_slots;
	uint64_t dcur_bucket;
	uint32_t dcur_mask;
	size_t droom, droom_noted;
	size_t dindexed;    /* det[0 .. dindexed) are in the tables */
	/* the range of det[0 .. brange_n - 1)'s buckets (least - 1, 0
	 * wrapping to the most; greatest), noted from the tables when the
	 * loop ends (sd_stacks_details_note_range()); brange_n 0: none */
	uint64_t brange_lo1, brange_hi;
	size_t brange_n;

	struct sd_folded_line *lines;
	size_t nlines;
	char *line_text; /* the lines, back to back (util/vmem.h) */
	size_t line_text_cap;

	/* symbolized frame sequences, each stored once: entry index + 1 of
	 * the first entry with it, by hash (see sd_stacks_share_frames in fseq.c) */
	struct fseq_slot *fseq;
	size_t nfseq, fseq_slots;

	/* the raw-chain table (rawtab.h): raw chain -> stack id */
	struct sd_rawtab rt;
	uint64_t kgen;          /* sd_machine_kernel_gen() it was made under */
	/* its hit rate (stacks.c): tries left in the window, misses in it,
	 * samples left to go without it */
	uint32_t rt_left, rt_misses, rt_skip;
	/* bytes of keys, v, det and frames known resident (util/prefault.h) */
	size_t keys_pf, v_pf, det_pf, frames_pf;
};

void sd_stacks_free_lines(struct sd_stacks *st);

/* Is every frame of the chain in the kernel (its first word the kernel's
 * marker, and no other marker)? */
static inline bool sd_stacks_kernel_only(const uint64_t *ips, size_t n)
{
	if (!n || ips[0] != SD_CONTEXT_KERNEL)
		return false;
	for (size_t i = 1; i < n; i++)
		if (ips[i] >= SD_CONTEXT_MAX)
			return false;
	return true;
}

/*
 * The encoded F_LOC key (key.h) of a sample, in st->kbuf (*klen bytes):
 * k[0 .. KEY_HDR) its header words, ips/nr its chain, each frame resolved
 * to its location (resolve.c).  k has room for the whole key.  *kern:
 * whether every frame is in the kernel (a chain: sd_stacks_kernel_only();
 * else the sample's cpumode is the kernel's), seen on the way.
 */
int sd_stacks_loc_key(struct sd_stacks *st, const struct sd_stack_sample *s,
		      uint64_t *k, const uint64_t *ips, size_t nr,
		      size_t *klen, bool *kern);
/*
 * Interns the klen bytes of st->kbuf, an encoded key whose first word is
 * hdr: *id (if non-NULL) its stack, a new one if no stack has these bytes
 * (a new stack counts nothing yet: its details do).  0 or -ENOMEM.
 */
int sd_stacks_intern_encoded(struct sd_stacks *st, size_t klen, uint64_t hdr,
			     uint32_t *id);

/*
 * A (stack, pid) pair as one word: the bytes of the two u32s as a detail
 * (struct sd_stack_detail) and a cache entry (struct dcache_ent) hold
 * them, stack first, so that a pair is compared and stored at once.
 */
static inline uint64_t sd_stacks_pair(uint32_t stack, uint32_t pid)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the same word in integers: a shift and an or, where the copy
	 * went through a vector register (kstorm: -0.8 M instructions) */
	return (uint64_t)pid << 32 | stack;
#else
	const uint32_t v[2] = {stack, pid};
	uint64_t w;

	memcpy(&w, v, sizeof w);
	return w;
#endif
}

_Static_assert(offsetof(struct sd_stack_detail, stack) == 0 &&
		       offsetof(struct sd_stack_detail, pid) == 4 &&
		       offsetof(struct dcache_ent, stack) == 0 &&
		       offsetof(struct dcache_ent, pid) == 4,
	       "a detail and a cache entry start with their pair");

/* The pair of the two u32s at p (stack, then pid). */
static inline uint64_t sd_stacks_pair_at(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

/* The hash of a detail's (stack, pid) pair (sd_stacks_pair()) in its
 * bucket's table (details.c): a slot's index bits and its check. */
static inline uint32_t sd_stacks_pair_hash(uint64_t pair)
{
	return (uint32_t)(sd_rawtab_mum(pair ^ RAW_S1, RAW_S2) >> 32);
}

static inline uint32_t sd_stacks_detail_hash(uint32_t stack, uint32_t pid)
{
	return sd_stacks_pair_hash(sd_stacks_pair(stack, pid));
}

/*
 * The detail (stack, pid, bucket) of the pair (sd_stacks_pair()), found
 * in or added to the details' tables, counts count samples with period;
 * c, the (stack, pid) cache's entry, is set to it (details.c).  Six
 * arguments, all in registers.  sd_stacks_detail_count() when the table
 * at hand is not the bucket's or has no room.
 */
int sd_stacks_detail_find(struct sd_stacks *st, struct dcache_ent *c,
			  uint64_t pair, uint64_t bucket, uint64_t count,
			  uint64_t period);
/* The detail id - 1, found again in its table, counts count samples with
 * period; c is set to it (details.c). */
int sd_stacks_detail_again(struct sd_stacks *st, struct dcache_ent *c,
			   uint64_t pair, uint32_t id, uint64_t count,
			   uint64_t period);

/* The slot of slots (mask + 1 of them) where the detail of pair, of hash
 * h, is (*id its index + 1) or would go (*id 0). */
static inline uint32_t sd_stacks_detail_slot(const struct sd_stacks *st,
					     const struct dslot *slots,
					     uint32_t mask, uint64_t pair,
					     uint32_t h, uint32_t *id)
{
	uint32_t j = h & mask, at;

	for (; (at = slots[j].det); j = (j + 1) & mask)
		if (slots[j].hash == h &&
		    sd_stacks_pair_at(&st->det[at - 1]) == pair)
			break;
	*id = at;
	return j;
}

/* A new detail of pair in slot j (sd_stacks_detail_slot()), c set to it:
 * st->det has room for one more and is prefaulted for it.  Neither its
 * table's count nor st->dindexed moves (the caller's part). */
static inline void sd_stacks_detail_new(struct sd_stacks *st,
					struct dslot *slots, uint32_t j,
					uint32_t h, struct dcache_ent *c,
					uint64_t pair, uint64_t bucket,
					uint64_t count, uint64_t period)
{
	size_t nd = st->ndet;
	struct sd_stack_detail *d = &st->det[nd];

	memcpy(d, &pair, sizeof pair);
	d->bucket = bucket;
	d->count = count;
	d->period = period;
	slots[j] = (struct dslot){h, (uint32_t)nd + 1};
	st->ndet = nd + 1;
	memcpy(c, &pair, sizeof pair);
	c->det = (uint32_t)nd;
}

/*
 * sd_stacks_detail_find() inline for its common case: the table at hand
 * is the bucket's and has room, and so has st->det, prefaulted.  Most
 * lookups add a detail (the cache of stacks.c finds those seen again), so
 * a hit goes out of line.
 */
static inline int sd_stacks_detail_count(struct sd_stacks *st,
					 struct dcache_ent *c, uint64_t pair,
					 uint64_t bucket, uint64_t count,
					 uint64_t period)
{
	if (__builtin_expect(!st->droom || st->dcur_bucket != bucket, 0))
		return sd_stacks_detail_find(st, c, pair, bucket, count,
					     period);
	struct dslot *slots = st->dcur_slots;
	uint32_t h = sd_stacks_pair_hash(pair), id,
		 j = sd_stacks_detail_slot(st, slots, st->dcur_mask, pair, h,
					   &id);
	if (id)
		return sd_stacks_detail_again(st, c, pair, id, count, period);
	sd_stacks_detail_new(st, slots, j, h, c, pair, bucket, count, period);
	st->droom--;
	return 0;
}
/* Frees the details' tables (the details stay; details.c). */
void sd_stacks_details_free(struct sd_stacks *st);
/* The sample loop has ended: frees what only it uses (stacks.c). */
void sd_stacks_samples_done(struct sd_stacks *st);
/* Notes the details' bucket range from their tables (details.c), before
 * the loop's tables go. */
void sd_stacks_details_note_range(struct sd_stacks *st);
/* Frees the resolution caches (they come back when needed). */
void sd_stacks_resolve_free(struct sd_stacks *st);

/*
 * Room for need elements of elem bytes in the malloc'd block p of *cap
 * elements (doubling, from first): the block (free() it), or NULL with p
 * untouched.  *pf (util/prefault.h), if given, is cut back to the used
 * elements.
 */
void *sd_stacks_grow(void *p, size_t *cap, size_t need, size_t used,
		     size_t elem, size_t first, size_t *pf);

/*
 * sd_stacks_get() of stack i < st->n without its pid and tid (those are
 * in the key, decoded only with SD_FOLD_PID / SD_FOLD_TID): inline, for
 * the passes of stacks/ over every stack (folded.c).
 */
static inline void sd_stacks_get_quick(const struct sd_stacks *st, size_t i,
				       struct sd_stack_info *out)
{
	const struct entry *e = &st->v[i];

	out->evsel = (unsigned)(e->hdr >> 48);
	out->comm = (uint32_t)e->hdr;
	out->count = e->count;
	out->period = e->period;
	out->frames = st->frames ? st->frames + e->frames : NULL;
	out->nr_frames = e->nframes;
	out->folded_out = (e->hdr >> 32) & F_DROP;
	out->pid = out->tid = 0;
}

#endif
