/* SPDX-License-Identifier: MIT */
/*
 * The folded output's private state (folded.c builds it from the tokens
 * and comm parts of foldtok.c, foldsort.c orders it).  A folded line is a
 * sequence of tokens -- the comm part ("comm", "comm-PID/TID"), then one
 * per frame -- and a token is a string id: the stacks' own string ids
 * for frame names as they are (the usual case: no copy, no lookup), ids
 * past them for strings the output makes (comm parts, names with
 * "_[k]"/"_[j]", Java's names without their leading 'L').  Equal strings
 * have equal ids.
 *
 * The lines are paths in a tree of tokens (a trie): a node is a token
 * under its parent, the root's children are comm parts, and a line is
 * the path from the root to the node its last token made.  Lines share
 * their common start: it is looked up, ordered and written once, not
 * once per line (the stacks of one process mostly differ near the leaf).
 */
#ifndef SD_STACKS_FOLDTOK_H
#define SD_STACKS_FOLDTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/stacks.h>

#include "util/hash.h"

/* A token under its parent (node 0 is the root, of no token). */
struct fnode {
	uint32_t parent;
	uint32_t tok;   /* the token (a string id, see above) */
	uint32_t c;     /* its compact index (below) */
	uint32_t end;   /* the length of the path's text, tokens joined by ';' */
	uint32_t depth; /* tokens on the path */
	uint32_t sib;   /* the next child of the parent; 0: none */
	uint32_t line;  /* index + 1 of the line ending here; 0: none */
	uint32_t kid;   /* the child looked up last; 0: none yet */
};

/* One line: the node it ends at, and the sums. */
struct fline {
	uint32_t node;
	uint64_t count, period;
};

struct sd_folded {
	const struct sd_stacks *st;
	size_t nstrs;               /* the stacks' string ids: 1..nstrs */
	struct sd_strpool local;    /* further tokens: nstrs + local id */
	unsigned kmask, jmask;      /* SD_FRAME_* marks that get a suffix */
	uint32_t *vmemo[8];         /* by name id: the token of a variant */

	struct fnode *nodes;        /* [0] the root */
	uint32_t *first;            /* by node: its first child (the
				     * last made), 0 none; sib the rest */
	size_t nnodes, capnodes;
	uint32_t max_depth, max_end; /* the deepest node's, the longest text */
	uint32_t *slots;            /* (parent, token) -> node, by hash */
	unsigned slot_bits;
	size_t grow_at;             /* more nodes than this: twice the slots */

	struct fline *lines;        /* in order once fold_sort() ran */
	size_t n, cap;

	/* per token used, by a compact index (cix[token] - 1) */
	uint32_t *cix;              /* by token: 0 unused */
	size_t ncix;
	const char **tstr;
	uint32_t *tlen;
	size_t nt, capt;
	bool semicolon;             /* a token holds ';' */

	/*
	 * The text of the last line written (sd_folded_line): path[1..pdepth]
	 * its nodes, ptext their text, each token at its node's place; the
	 * next line rewrites only the tokens after the start they share.
	 */
	uint32_t *path;
	size_t pdepth;
	char *ptext;

	/* when a token holds ';': each line's text, lines merged by it */
	char *text;
	size_t *toff;
};

/* ---- tokens (foldtok.c) ---------------------------------------------- */

/* The string of token t. */
const char *fold_tok_str(const struct sd_folded *fo, uint32_t t);

/*
 * The token of frame f's name in variant v (bits: 1 Java's name without
 * its 'L', 2 with "_[k]", 4 with "_[j]" unless it has one), made once per
 * (variant, name); 0 without memory.
 */
uint32_t fold_variant_tok(struct sd_folded *fo, unsigned v,
			  const struct sd_frame *f);

/* The compact index of token t (0 up), given one on its first use with
 * its string and length (the sort keys and the text need them); -ENOMEM
 * for t 0 (no memory for it). */
long fold_use_tok_slow(struct sd_folded *fo, uint32_t t);

static inline long fold_use_tok(struct sd_folded *fo, uint32_t t)
{
	if (t && t < fo->ncix && fo->cix[t])
		return fo->cix[t] - 1;
	return fold_use_tok_slow(fo, t);
}

/*
 * The comm parts of the lines: the folded comm of each comm id, made
 * once (sd_fold_comm() formats "comm pid/tid" and applies
 * stackcollapse's header expression, some 2k instructions, and a
 * recording has ~100k distinct stacks but only a few thousand comms),
 * and, without --folded-with pid/tid, the token of each comm id.
 * Zeroed to start; fold_comms_fini() frees it.
 */
struct fold_comm_memo {
	uint32_t *at; /* by comm id: 0 not made yet, 1 dropped, else 2 +
		       * offset in buf */
	size_t n;
	char *buf;
	size_t len, cap;
};

struct fold_comms {
	struct fold_comm_memo cm;
	uint32_t *by_comm; /* token | 0x80000000 for Java's; UINT32_MAX:
			    * dropped; 0: not made yet */
	size_t nby;
};

/* fold_comm_tok() for a comm id without its token yet, or with
 * --folded-with pid/tid. */
long fold_comm_tok_slow(struct sd_folded *fo, struct fold_comms *fc,
			const struct sd_machine *m,
			const struct sd_stack_info *si, unsigned with,
			bool *java);

/* The comm part's token of stack si, with whether it is Java's; 0 when
 * stackcollapse drops it, or -ENOMEM. */
static inline long fold_comm_tok(struct sd_folded *fo, struct fold_comms *fc,
				 const struct sd_machine *m,
				 const struct sd_stack_info *si,
				 unsigned with, bool *java)
{
	if (!(with & (SD_FOLD_PID | SD_FOLD_TID)) && si->comm < fc->nby &&
	    fc->by_comm[si->comm]) {
		uint32_t t = fc->by_comm[si->comm];
		*java = t & 0x80000000u;
		return t == UINT32_MAX ? 0 : (long)(t & 0x7fffffffu);
	}
	return fold_comm_tok_slow(fo, fc, m, si, with, java);
}
void fold_comms_fini(struct fold_comms *fc);

/* ---- the tree and its order --------------------------------------------- */

/*
 * The text of node v's path in fo->ptext (its fo->nodes[v].end bytes,
 * no NUL), reusing what the last call left there.
 */
void fold_path_text(struct sd_folded *fo, uint32_t v);

/* Orders fo->lines as stackcollapse-perf.pl sorts its text (foldsort.c);
 * 0 or -ENOMEM. */
int fold_sort(struct sd_folded *fo);

#endif
