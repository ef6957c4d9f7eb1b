/* SPDX-License-Identifier: MIT */
/*
 * Looking a symbol up by address: a bucket index over the sorted table
 * (struct sd_symtab's idx), made on the first lookup.
 *
 * A lookup costs what it reads from memory that is no longer in the
 * cache: the bucket, then each symbol the binary search in it reads.
 * One bucket size for the whole address range would make the buckets
 * as wide as the range allows, the range being mostly gaps (a kernel's
 * modules lie a gigabyte above its text: 16 KiB buckets, 58 symbols
 * each).  So the symbols are cut into segments at the gaps and the
 * buckets sized for where the symbols are (256 bytes in a kernel's
 * text, a symbol or two each), within the same memory as before.
 */
#include <errno.h>
#include <stdlib.h>

#include "symbols/internal.h"

/* A gap of 2^(shift + SEG_GAP) bytes or more between two starts (64
 * empty buckets) starts a new segment. */
#define SEG_GAP 6
/* What a segment costs in the budget: its 16 bytes, as four buckets. */
#define SEG_COST 4
/* The bucket size is chosen from every SAMPLE-th gap of a table of
 * SAMPLE_FROM symbols or more: reading them all would be one more pass
 * over its memory. */
#define SAMPLE 8
#define SAMPLE_FROM 1024

/*
 * The gaps between neighbouring starts by their binary magnitude, of
 * one in every step: class k holds the gaps g with 2^k <= g < 2^(k+1).
 */
struct gaps {
	uint64_t cnt[64];
	unsigned __int128 sum[64];
	unsigned step;
};

static void sample_gaps(const struct sd_symbol *v, size_t n, struct gaps *g)
{
	g->step = n >= SAMPLE_FROM ? SAMPLE : 1;
	for (size_t i = g->step; i < n; i += g->step) {
		uint64_t d = v[i].start - v[i - 1].start;
		if (d) {
			unsigned k = 63u - (unsigned)__builtin_clzll(d);
			g->cnt[k]++;
			g->sum[k] += d;
		}
	}
}

/*
 * The smallest bucket size (2^shift bytes, shift >= 4) at which the
 * buckets and segments would take about two buckets' worth a symbol
 * (the index stays a quarter of the table), estimated from the sampled
 * gaps: those of class shift + SEG_GAP or more start segments, the
 * others add up to the segments' spans, a span of s bytes taking
 * (s >> shift) + 1 buckets.
 */
static unsigned choose_shift(const struct gaps *g, size_t n)
{
	unsigned shift;

	for (shift = 4; shift < 63; shift++) {
		unsigned __int128 inside = 0, segs = 1;
		for (unsigned k = 0; k < 64; k++) {
			if (k < shift + SEG_GAP)
				inside += g->sum[k];
			else
				segs += g->cnt[k] * g->step;
		}
		if ((inside * g->step >> shift) + segs * (SEG_COST + 1) <= 2 * n)
			break;
	}
	return shift;
}

/* Makes room for want elements of size sz at *p (capacity *cap); false
 * without memory. */
static bool grow(void **p, size_t *cap, size_t want, size_t sz)
{
	if (want <= *cap)
		return true;
	size_t c = want > 2 * *cap ? want : 2 * *cap;
	void *q = realloc(*p, c * sz);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/*
 * The segments and their buckets for a table sorted by start (n >= 1,
 * n <= UINT32_MAX), in one pass over it.  Bucket c's first symbol at or
 * after its start is the first symbol i whose bucket is c or later:
 * symbol i fills the buckets from the one after its predecessor's up to
 * its own.  A segment's buckets follow the one before's, and the entry
 * after the last is n.  0, -ENOMEM, or 1 if the buckets would pass four
 * a symbol (the sampled gaps misled: a larger shift is needed).
 */
static int build(struct sd_symtab *t, unsigned shift)
{
	const struct sd_symbol *v = t->syms;
	size_t n = t->n, cap = 2 * n + 2, segcap = 8;
	int err = -ENOMEM;
	uint32_t *idx = malloc(cap * sizeof *idx);
	struct sd_symtab_seg *segs = malloc(segcap * sizeof *segs);

	if (!idx || !segs)
		goto fail;
	/* a gap above brk starts a segment; room: the segment's buckets
	 * that fit (the entry after the last bucket kept free) */
	uint64_t brk = shift + SEG_GAP < 64 ? (1ull << (shift + SEG_GAP)) - 1
					    : UINT64_MAX;
	uint64_t base = v[0].start, prev = base;
	size_t j = 0, first = 0, c = 0, room = cap - 1;
	segs[0].base = base;
	segs[0].first = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t start = v[i].start;
		if (start - prev > brk) {
			if (!grow((void **)&segs, &segcap, j + 2, sizeof *segs))
				goto fail;
			segs[j].nb = (uint32_t)c;
			first += c;
			room -= c;
			segs[++j].base = base = start;
			segs[j].first = (uint32_t)first;
			c = 0;
		}
		prev = start;
		size_t b = (size_t)((start - base) >> shift);
		if (b >= room) {
			if (first + b + 2 > 4 * n + 2) {
				err = 1;
				goto fail;
			}
			if (!grow((void **)&idx, &cap, first + b + 2,
				  sizeof *idx))
				goto fail;
			room = cap - 1 - first;
		}
		uint32_t *at = idx + first;
		for (; c <= b; c++)
			at[c] = (uint32_t)i;
	}
	segs[j].nb = (uint32_t)c;
	idx[first + c] = (uint32_t)n;
	t->idx = idx;
	t->idx_segs = segs;
	t->idx_nseg = j + 1;
	t->idx_shift = shift;
	t->idx_wide = 0;
	for (j = 1; j < t->idx_nseg; j++)
		if (segs[j].nb > segs[t->idx_wide].nb)
			t->idx_wide = j;
	return 0;
fail:
	free(idx);
	free(segs);
	return err;
}

static void build_index(struct sd_symtab *t)
{
	free(t->idx);
	free(t->idx_segs);
	t->idx = NULL;
	t->idx_segs = NULL;
	t->idx_valid = true; /* without memory: search the whole table */
	struct gaps g = {0};

	sample_gaps(t->syms, t->n, &g);
	unsigned shift = choose_shift(&g, t->n);
	while (build(t, shift) > 0 && shift < 63)
		shift++;
}

const struct sd_symbol *sd_symtab_lookup(const struct sd_symtab *t,
					 uint64_t addr)
{
	size_t lo = 0, hi;

	if (!t || !t->n)
		return NULL;
	/* logically const: the index is a cache (see sym_demangle) */
	if (!t->idx_valid && t->n <= UINT32_MAX)
		build_index((struct sd_symtab *)t);
	hi = t->n;
	if (t->idx) {
		const struct sd_symtab_seg *sg = t->idx_segs;
		if (addr < sg[0].base)
			return NULL; /* before the first symbol */
		/* the last segment starting at or before addr: the one
		 * with the most buckets (a kernel's text) without a search */
		size_t a = 0, z = t->idx_nseg, w = t->idx_wide;
		if (addr >= sg[w].base && (w + 1 == z || addr < sg[w + 1].base))
			a = w, z = w + 1;
		while (z - a > 1) {
			size_t m = a + (z - a) / 2;
			if (sg[m].base <= addr)
				a = m;
			else
				z = m;
		}
		uint64_t b = (addr - sg[a].base) >> t->idx_shift;
		const uint32_t *at = t->idx + sg[a].first;
		if (b < sg[a].nb) {
			lo = at[b];
			hi = at[b + 1];
		} else {
			/* past the segment's last start: its last symbol */
			lo = hi = at[sg[a].nb];
		}
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * perf searches its rb-tree for a symbol with start <= addr < end.
	 * Ends never overlap the next start in kallsyms; in an ELF table a
	 * sized symbol may contain later ones, so look back a few entries
	 * when the nearest does not cover addr.
	 */
	for (size_t k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct sd_symbol *s = &t->syms[lo - 1];
		if (addr < s->end)
			return sd_symtab_name_ready(t, s) ? s : NULL;
	}
	return NULL;
}
