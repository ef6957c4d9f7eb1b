/* SPDX-License-Identifier: MIT */
/*
 * The parts of symbolization (symbolize.c) that live in files of their
 * own: the folded names of one location, cached per (DSO, address) and
 * per (address space, cpumode, address) (names.c), and the frame
 * sequences stored once (fseq.c).  The state is in struct sd_stacks
 * (internal.h); all of it lives for one sd_stacks_symbolize() call.
 */
#ifndef SD_STACKS_SYMBOLIZE_H
#define SD_STACKS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>

#include "util/hash.h"
#include "stacks/internal.h"

/*
 * Where each (address space, cpumode, address) of the call chains lands,
 * as folded names: distinct stacks of one process share most of their
 * frames, and sd_machine_locate() (map search, up the chain of forked
 * address spaces) plus the (dso, address) lookup cost ~300 instructions a
 * frame.  A direct-mapped cache of fixed size (1.5 MB, so it stays in
 * the CPU caches and adds nothing that grows): a collision just replaces
 * the entry.  Lives for one sd_stacks_symbolize() call, which sizes it
 * (st->lcache_slots, at most LCACHE_SLOTS).
 */
#define LCACHE_SLOTS 65536

struct lcache_ent {
	uint64_t mmv; /* mm << 32 | version; 0 for kernel cpumodes */
	uint64_t ip;
	uint32_t first; /* into names[] */
	uint8_t n;      /* names: at most 8 */
	uint8_t cpumode;
	uint8_t marks;  /* SD_FRAME_* of the first name */
	bool kernel;
	bool used;
};

/* Sizes the (dso, address) cache for nlocs locations resolved at sample
 * time; without memory it grows as it fills. */
void sd_stacks_names_reserve(struct sd_stacks *st, size_t nlocs);
/*
 * The folded names of one location, names[*first .. + *n), computed once
 * per (dso, address), and the SD_FRAME_* marks of the first.  ip is the
 * sampled address, chain whether it is a call-chain entry (both matter
 * only with SD_FOLD_ADDRS).  0 or -ENOMEM.
 */
int sd_stacks_frame_names(struct sd_stacks *st, const struct sd_location *loc,
			  uint64_t ip, bool chain, uint32_t *first,
			  uint32_t *n, uint8_t *marks);
/* The folded names of ip in address space mm (version ver), through the
 * cache c (NULL: none) of st->lcache_slots entries.  0 or -ENOMEM. */
int sd_stacks_locate_names(struct sd_stacks *st, struct lcache_ent *c,
			   struct sd_machine *m, uint32_t mm, uint32_t ver,
			   unsigned cpumode, uint64_t ip, bool chain,
			   uint32_t *first, uint32_t *n, bool *kernel,
			   uint8_t *marks);
/* Frees the (dso, address) cache and names[]: the frames hold the string
 * ids. */
void sd_stacks_names_free(struct sd_stacks *st);

/*
 * A frame sequence's hash (sd_stacks_share_frames): each frame's word
 * folded in root first, one multiply a frame, then the count; the
 * symbolizing loops compute it as they write the frames.
 */
#define FSEQ_SEED 0x9e3779b97f4a7c15ull
#define FSEQ_MUL 0x9fb21c651e98df25ull

/* A frame's word: its 8 bytes (padding cleared), so a word is also the
 * frame, stored with one move (packed_run in symbolize.c). */
_Static_assert(sizeof(struct sd_frame) == 8, "a frame is a word");

static inline uint64_t fseq_word(const struct sd_frame *f)
{
	uint64_t w;

	memcpy(&w, f, sizeof w);
	return w;
}

static inline uint64_t fseq_end(uint64_t h, size_t n)
{
	return sd_mix64(h ^ n);
}

/* The hash of the n frames at f, computed the long way. */
static inline uint64_t fseq_hash(const struct sd_frame *f, size_t n)
{
	uint64_t h = FSEQ_SEED;

	for (size_t i = 0; i < n; i++)
		h = (h ^ fseq_word(&f[i])) * FSEQ_MUL;
	return fseq_end(h, n);
}

/* Sizes the sequence table for nstacks stacks; without memory it grows
 * as it fills. */
void sd_stacks_fseq_reserve(struct sd_stacks *st, size_t nstacks);
/*
 * e's frames, just pushed at the end of frames[] with hash h, replaced by
 * an earlier entry's equal sequence if there is one.  Always 0: without
 * memory the copy is kept.
 */
int sd_stacks_share_frames(struct sd_stacks *st, struct entry *e, uint64_t h);
/* Frees the sequence table. */
void sd_stacks_fseq_free(struct sd_stacks *st);

#endif
