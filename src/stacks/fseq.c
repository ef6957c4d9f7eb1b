/* SPDX-License-Identifier: MIT */
/*
 * The symbolized frame sequences, each stored once (symbolize.c): a table
 * by hash of the first stack with each sequence, which later stacks with
 * an equal one point at.  A slot is 8 bytes, the hash's high half as its
 * check (the table is cleared once, at the size it ends with: kstorm
 * -0.31 M instructions against 16-byte slots with the whole hash).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "stacks/internal.h"
#include "stacks/symbolize.h"

/* Whether n frames are equal: their bytes, padding cleared (struct
 * sd_frame; dso: -4 M instructions against a test a field). */
static bool fseq_equal(const struct sd_frame *a, const struct sd_frame *b,
		       size_t n)
{
	return !memcmp(a, b, n * sizeof *a);
}

/* Twice the slots of the sequence table, or at least first.  A slot holds
 * only the high half of its hash: the index is made again from the
 * frames (reserved at the size it ends with, the table grows only
 * when that failed or samples came after). */
static int fseq_grow(struct sd_stacks *st, size_t first)
{
	size_t ns = st->fseq_slots ? st->fseq_slots * 2 : first;
	/* plain heap memory, as names.c's (dso, address) cache */
	struct fseq_slot *v = calloc(ns, sizeof *v);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->fseq_slots; i++) {
		if (!st->fseq[i].entry)
			continue;
		const struct entry *o = &st->v[st->fseq[i].entry - 1];
		size_t j = fseq_hash(st->frames + o->frames, o->nframes) &
			   (ns - 1);
		while (v[j].entry)
			j = (j + 1) & (ns - 1);
		v[j] = st->fseq[i];
	}
	free(st->fseq);
	st->fseq = v;
	st->fseq_slots = ns;
	return 0;
}

/*
 * Raw stacks that differ only in what symbolization folds away (another
 * process's addresses for the same functions, another offset in one
 * function) get the same frames: e's frames, just pushed at the end of
 * frames[], are dropped again when an earlier entry has the same sequence,
 * and e points at that one.  A busy recording has 4x fewer distinct
 * sequences than raw stacks; the folded output and the matcher then do
 * their work once per sequence (sd_stacks_folded).
 */
int sd_stacks_share_frames(struct sd_stacks *st, struct entry *e, uint64_t h)
{
	/* nothing to share; and with no frame pushed yet, frames is NULL */
	if (!e->nframes)
		return 0;

	const struct sd_frame *f = st->frames + e->frames;

	if ((st->nfseq + 1) * 2 > st->fseq_slots && fseq_grow(st, 16384))
		return 0; /* no memory to share: keep the copy */
	size_t j = h & (st->fseq_slots - 1);
	uint32_t check = (uint32_t)(h >> 32);
	for (; st->fseq[j].entry; j = (j + 1) & (st->fseq_slots - 1)) {
		const struct entry *o = &st->v[st->fseq[j].entry - 1];
		if (st->fseq[j].check == check && o->nframes == e->nframes &&
		    fseq_equal(st->frames + o->frames, f, e->nframes)) {
			st->nframes = e->frames; /* drop the copy */
			e->frames = o->frames;
			return 0;
		}
	}
	st->fseq[j] = (struct fseq_slot){check, (uint32_t)(e - st->v) + 1};
	st->nfseq++;
	return 0;
}

void sd_stacks_fseq_reserve(struct sd_stacks *st, size_t nstacks)
{
	/* at most a sequence a stack */
	if (!st->fseq_slots)
		fseq_grow(st, sd_slots_for(nstacks, 1024));
}

void sd_stacks_fseq_free(struct sd_stacks *st)
{
	free(st->fseq);
	st->fseq = NULL;
	st->nfseq = st->fseq_slots = 0;
}
