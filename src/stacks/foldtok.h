/* SPDX-License-Identifier: MIT */
/*
 * The folded output's private state (folded.c builds it, foldsort.c
 * sorts it).  A folded line is a sequence of tokens -- the comm part
 * ("comm", "comm-PID/TID"), then one per frame -- and a token is a string
 * id: the stacks' own string ids for frame names as they are (the usual
 * case: no copy, no lookup), ids past them for strings the output makes
 * (comm parts, names with "_[k]"/"_[j]", Java's names without their
 * leading 'L').  Equal strings have equal ids, so lines are merged and
 * compared as integer sequences, never as text.
 */
#ifndef SD_STACKS_FOLDTOK_H
#define SD_STACKS_FOLDTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"

/* One line: its tokens (compact indices, see below), its text's length,
 * and the sums. */
struct fline {
	size_t toks;    /* offset in ctoks */
	uint32_t ntoks; /* the comm part, then one per frame */
	uint32_t len;   /* of the text */
	uint64_t hash;  /* of the token sequence */
	uint64_t count, period;
};

struct sd_folded {
	const struct sd_stacks *st;
	size_t nstrs;               /* the stacks' string ids: 1..nstrs */
	struct sd_strpool local;    /* further tokens: nstrs + local id */
	unsigned kmask, jmask;      /* SD_FRAME_* marks that get a suffix */
	uint32_t *vmemo[8];         /* by name id: the token of a variant */

	struct fline *lines;        /* sorted once made */
	size_t n, cap;

	/* per token used, by a compact index (cix[token] - 1) */
	uint32_t *cix;              /* by token: 0 unused */
	size_t ncix;
	const char **tstr;
	uint32_t *tlen;
	uint64_t *kend, *ksemi;     /* sort keys, see foldsort.c */
	size_t nt, capt;
	bool semicolon;             /* a token holds ';' */

	/* the lines' tokens as compact indices, back to back */
	uint32_t *ctoks;
	size_t nctoks, capctoks;

	/* each used token's text and a ';', back to back, 32 bytes of
	 * padding after the last (sd_folded_line copies 16 at a time);
	 * by compact index, offset << 32 | length with the ';' */
	char *tbuf;
	uint64_t *tofs;

	/* when a token holds ';': each line's text, lines merged by it */
	char *text;
	size_t *toff;
};

/* The string of token t. */
const char *fold_tok_str(const struct sd_folded *fo, uint32_t t);

/* Sorts fo->lines as stackcollapse-perf.pl sorts its text (foldsort.c);
 * 0 or -ENOMEM. */
int fold_sort(struct sd_folded *fo);

#endif
