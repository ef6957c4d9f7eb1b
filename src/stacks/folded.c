/* SPDX-License-Identifier: MIT */
/*
 * Folded output: every distinct symbolized stack of one event becomes
 * "comm;root;...;leaf", lines that fold to the same text are merged, and
 * the result is sorted as stackcollapse-perf.pl sorts its keys.
 *
 * The work is once per distinct stack and per distinct name: a line is a
 * path of tokens (foldtok.c) in a tree (foldtok.h), so equal lines end at
 * the same node; the tree is ordered by integer keys per token
 * (foldsort.c), and a line's text is written only when it is printed
 * (sd_folded_line), straight into the writer's buffer, from the text of
 * the line before.  The stacks are read in place (sd_stacks_get_quick(),
 * internal.h), their key decoded only for a pid or tid.  A node is
 * made with no call on the common path (the arrays grow out of line)
 * and put on its parent's list of children, which the sort reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>
#include "stacks/foldtok.h"
#include "stacks/internal.h"
#include "util/vmem.h"

void sd_stacks_set_weights(struct sd_stacks *st, const uint64_t *weights,
			   size_t n)
{
	st->weights = weights;
	st->nweights = n;
}

/* ---- the tree of lines ---------------------------------------------- */

/* Which variant of its name a frame prints (the bits of vmemo's index):
 * 1 Java's name, 2 with "_[k]", 4 with "_[j]" unless it has one. */
static inline unsigned variant(const struct sd_folded *fo, bool java,
			       const struct sd_frame *f)
{
	return (unsigned)java | (f->marks & fo->kmask   ? 2u
				 : f->marks & fo->jmask ? 4u
							: 0u);
}

/* The root's token: no string's id (4 G strings do not fit in memory). */
#define NO_TOK UINT32_MAX

static size_t node_home(uint32_t parent, uint32_t tok, unsigned bits)
{
	return (size_t)(((uint64_t)parent << 32 | tok) * 0x9e3779b97f4a7c15ull >>
			(64 - bits));
}

/* Twice the slots, the nodes placed again; 0 or -ENOMEM. */
static __attribute__((noinline)) int slots_grow(struct sd_folded *fo)
{
	unsigned bits = fo->slot_bits + 1;
	size_t ns = (size_t)1 << bits;
	uint32_t *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t v = 1; v < fo->nnodes; v++) {
		size_t j = node_home(fo->nodes[v].parent, fo->nodes[v].tok, bits);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)v;
	}
	free(fo->slots);
	fo->slots = s;
	fo->slot_bits = bits;
	fo->grow_at = ns / 2;
	return 0;
}

/* Twice the room for nodes; 0 or -ENOMEM.  Out of line, as is
 * slots_grow(): new_child() makes no call but fold_use_tok()'s first
 * use of a token. */
static __attribute__((noinline)) int nodes_grow(struct sd_folded *fo)
{
	size_t cap = fo->capnodes * 2;
	struct fnode *v = cap <= UINT32_MAX ? realloc(fo->nodes, cap * sizeof *v)
					    : NULL;

	if (!v)
		return -ENOMEM;
	fo->nodes = v;
	uint32_t *f = realloc(fo->first, cap * sizeof *f);
	if (!f)
		return -ENOMEM;
	fo->first = f;
	fo->capnodes = cap;
	return 0;
}

/* Node v, just counted in fo->nnodes, for token t (compact index c)
 * under node p, in slot j and on p's list of children.  The root's end is
 * UINT32_MAX: a child's text starts at its parent's end + 1 (past the
 * ';') with no test for the root.  -ENOMEM for a 4 GB line. */
static inline long put_child(struct sd_folded *fo, uint32_t p, uint32_t t,
			     uint32_t c, size_t j, uint32_t v)
{
	struct fnode *nodes = fo->nodes, *pn = &nodes[p], *n = &nodes[v];
	uint32_t *first = fo->first;
	uint64_t end = (uint64_t)(uint32_t)(pn->end + 1u) + fo->tlen[c];
	uint32_t depth = pn->depth + 1;

	if (end > UINT32_MAX)
		return -ENOMEM;
	/* field by field: as one compound literal gcc packs it in vector
	 * registers, a dozen instructions more */
	n->parent = p;
	n->tok = t;
	n->c = c;
	n->end = (uint32_t)end;
	n->depth = depth;
	n->sib = first[p];
	n->line = 0;
	n->kid = 0;
	first[p] = v;
	first[v] = 0;
	if (depth > fo->max_depth)
		fo->max_depth = depth;
	if (end > fo->max_end)
		fo->max_end = (uint32_t)end;
	fo->slots[j] = v;
	return v;
}

/* new_child() when the token is new to the output or an array must grow. */
static __attribute__((noinline)) long new_child_slow(struct sd_folded *fo,
						     uint32_t p, uint32_t t,
						     size_t j)
{
	long c = fold_use_tok(fo, t);

	if (c < 0)
		return c;
	if (fo->nnodes == fo->capnodes && nodes_grow(fo))
		return -ENOMEM;
	long v = put_child(fo, p, t, (uint32_t)c, j, (uint32_t)fo->nnodes);
	if (v < 0)
		return v;
	fo->nnodes++;
	if (fo->nnodes > fo->grow_at && slots_grow(fo))
		return -ENOMEM;
	return v;
}

/*
 * A new node for token t under node p, in slot j; its index, or -ENOMEM.
 * The common case (a token in use, room for the node and in the slots)
 * makes no call, so it saves no register (kstorm: 22 k nodes, ~100
 * instructions each with the calls in line).
 */
static __attribute__((noinline)) long new_child(struct sd_folded *fo,
						uint32_t p, uint32_t t,
						size_t j)
{
	size_t v = fo->nnodes;
	uint32_t c;

	if (__builtin_expect(t >= fo->ncix || !(c = fo->cix[t]) ||
			     v == fo->capnodes || v + 1 > fo->grow_at, 0))
		return new_child_slow(fo, p, t, j);
	long r = put_child(fo, p, t, c - 1, j, (uint32_t)v);
	if (r >= 0)
		fo->nnodes = v + 1;
	return r;
}

/* The node of token t under node p, made if new; its index, or -ENOMEM. */
static inline long child(struct sd_folded *fo, uint32_t p, uint32_t t)
{
	size_t mask = ((size_t)1 << fo->slot_bits) - 1;
	size_t j = node_home(p, t, fo->slot_bits);
	uint32_t v;

	for (; (v = fo->slots[j]); j = (j + 1) & mask)
		if (fo->nodes[v].parent == p && fo->nodes[v].tok == t)
			return v;
	return new_child(fo, p, t, j);
}

/*
 * The node of token t under node v: v's child looked up last when it is
 * the one (most nodes have one child, and a compare is cheaper than a
 * lookup), else looked up or made.
 */
static inline long next_node(struct sd_folded *fo, uint32_t v, uint32_t t)
{
	uint32_t k = fo->nodes[v].kid;

	if (k && fo->nodes[k].tok == t)
		return k;
	long w = child(fo, v, t);
	if (w > 0)
		fo->nodes[v].kid = (uint32_t)w;
	return w;
}

/* The node a stack's line ends at, its comm part token ct; or -ENOMEM. */
static long stack_node(struct sd_folded *fo, uint32_t ct, bool java,
		       const struct sd_stack_info *si)
{
	const struct sd_frame *fr = si->frames;
	size_t nf = si->nr_frames, f = 0;
	long v = next_node(fo, 0, ct); /* mostly the comm part of the stack before */

	if (v > 0 && !java && !fo->kmask && !fo->jmask) {
		/* every name as it is: the name is the token; next_node()
		 * by hand, the nodes in a local until one is made (the
		 * root's token, NO_TOK, is no name's, not even a frame
		 * without one: no test for "no kid", and the test for a
		 * frame without a name only when the next node is new) */
		const struct fnode *nodes = fo->nodes, *un = &nodes[v];
		const struct sd_frame *p = fr, *end = fr + nf;
		/* by pointer, the kid's hit (~90 % of frames) the straight
		 * path: gcc laid it out of line, 14 instructions a frame */
		for (; p < end; p++) {
			uint32_t t = p->name;
			const struct fnode *kn = &nodes[un->kid];
			if (__builtin_expect(kn->tok == t, 1)) {
				un = kn;
				continue;
			}
			if (!t)
				break;
			size_t u = (size_t)(un - nodes);
			long w = child(fo, (uint32_t)u, t);
			if (w < 0)
				return w;
			fo->nodes[u].kid = (uint32_t)w;
			nodes = fo->nodes;
			un = &nodes[w];
		}
		f = (size_t)(p - fr);
		v = un - nodes;
	}
	for (; f < nf && v > 0; f++) {
		unsigned var = variant(fo, java, &fr[f]);
		uint32_t t = var || !fr[f].name ? fold_variant_tok(fo, var, &fr[f])
						: fr[f].name;
		if (!t)
			return -ENOMEM;
		v = next_node(fo, (uint32_t)v, t);
	}
	return v;
}

void fold_path_text(struct sd_folded *fo, uint32_t v)
{
	uint32_t w = v;

	/* path[1..pdepth] and their text stay right: only the nodes not on
	 * it are written */
	while (w) {
		const struct fnode *x = &fo->nodes[w];
		if (x->depth <= fo->pdepth && fo->path[x->depth] == w)
			break;
		size_t l = fo->tlen[x->c];
		char *at = fo->ptext + x->end - l;
		memcpy(at, fo->tstr[x->c], l);
		if (x->depth > 1)
			at[-1] = ';';
		fo->path[x->depth] = w;
		w = x->parent;
	}
	fo->pdepth = fo->nodes[v].depth;
}

struct sd_folded *sd_folded_free(struct sd_folded *fo)
{
	if (!fo)
		return NULL;
	sd_strpool_fini(&fo->local);
	for (size_t v = 0; v < sizeof fo->vmemo / sizeof *fo->vmemo; v++)
		free(fo->vmemo[v]);
	free(fo->nodes);
	free(fo->first);
	free(fo->slots);
	free(fo->lines);
	free(fo->cix);
	free(fo->tstr);
	free(fo->tlen);
	free(fo->path);
	free(fo->ptext);
	free(fo->text);
	free(fo->toff);
	free(fo);
	return NULL;
}

/*
 * The node a stack's line ends at depends only on its comm part and its
 * frames.  Symbolization stores each distinct frame sequence once, in the
 * order of the stacks, and points every later stack with that sequence
 * (another comm's, another process's addresses for the same functions)
 * at the first one's frames: a stack whose frames lie below the end of
 * those met so far repeats a sequence.  Only those are looked up here:
 * the node of the last stack of each (comm part, sequence: its frames'
 * offset and length), direct-mapped (a collision walks the frames again).
 */
struct seq_memo {
	size_t frames; /* the sequence's offset in the stacks' frames */
	uint32_t nf, ct, node;
};

/* Every stack of the event into fo->lines, merged by their nodes. */
static int make_lines(struct sd_folded *fo, const struct sd_machine *m,
		      unsigned evsel, unsigned with)
{
	const struct sd_stacks *st = fo->st;
	struct fold_comms fc = {0};
	int err = 0;

	/* at most a line per stack; the nodes grow as the lines share less
	 * of their start (a node per frame of each distinct frame sequence,
	 * the most there can be, is ~6x what recordings use: memory not
	 * written is still heap that what comes after sits above) */
	fo->capnodes = 2 * st->n + 64;
	if (!(fo->nodes = malloc(fo->capnodes * sizeof *fo->nodes)) ||
	    !(fo->first = malloc(fo->capnodes * sizeof *fo->first)))
		return -ENOMEM;
	fo->nodes[0] = (struct fnode){.tok = NO_TOK, .end = UINT32_MAX};
	fo->first[0] = 0;
	fo->nnodes = 1;
	fo->slot_bits = 10;
	while (((size_t)1 << fo->slot_bits) < 4 * st->n + 2 &&
	       fo->slot_bits < 30)
		fo->slot_bits++;
	if (!(fo->slots = calloc((size_t)1 << fo->slot_bits, sizeof *fo->slots)))
		return -ENOMEM;
	fo->grow_at = ((size_t)1 << fo->slot_bits) / 2;
	if (!(fo->lines = malloc((st->n ? st->n : 1) * sizeof *fo->lines)))
		return -ENOMEM;
	fo->cap = st->n ? st->n : 1;
	size_t nmemo = 64;
	uintptr_t seen = 0; /* the end of the frames met */
	while (8 * nmemo < st->n && nmemo < ((size_t)1 << 16))
		nmemo *= 2;
	struct seq_memo *memo = calloc(nmemo, sizeof *memo);
	if (!memo)
		return -ENOMEM;

	for (size_t i = 0; i < st->n && !err; i++) {
		struct sd_stack_info si;
		sd_stacks_get_quick(st, i, &si);
		if (si.evsel != evsel || si.folded_out)
			continue;
		if (with & (SD_FOLD_PID | SD_FOLD_TID))
			sd_stacks_get(st, i, &si);
		if (st->weights) {
			si.count = i < st->nweights ? st->weights[i] : 0;
			si.period = si.count; /* whatever the weighting */
			if (!si.count)
				continue;
		}
		bool java;
		long ct = fold_comm_tok(fo, &fc, m, &si, with, &java);
		if (ct <= 0) {
			err = (int)ct;
			continue;
		}
		struct seq_memo *mo = NULL;
		size_t off = 0;
		long v = 0;
		if (si.nr_frames) {
			uintptr_t end = (uintptr_t)(si.frames + si.nr_frames);
			if (end > seen) {
				seen = end;
			} else {
				off = (size_t)(si.frames - st->frames);
				mo = &memo[(off ^ (size_t)ct) & (nmemo - 1)];
				if (mo->frames == off && mo->nf == si.nr_frames &&
				    mo->ct == (uint32_t)ct)
					v = mo->node;
			}
		}
		if (!v) {
			v = stack_node(fo, (uint32_t)ct, java, &si);
			if (v < 0) {
				err = (int)v;
				break;
			}
			if (mo)
				*mo = (struct seq_memo){off,
							(uint32_t)si.nr_frames,
							(uint32_t)ct, (uint32_t)v};
		}
		struct fnode *nd = &fo->nodes[v];
		if (!nd->line) {
			fo->lines[fo->n] = (struct fline){(uint32_t)v, 0, 0};
			nd->line = (uint32_t)++fo->n;
		}
		fo->lines[nd->line - 1].count += si.count;
		fo->lines[nd->line - 1].period += si.period;
	}
	fold_comms_fini(&fc);
	free(memo);
	return err;
}

/* Room for the text of the longest line and the nodes on its path. */
static int path_room(struct sd_folded *fo)
{
	fo->path = malloc((fo->max_depth + 1ull) * sizeof *fo->path);
	fo->ptext = malloc(fo->max_end + 1ull);
	return fo->path && fo->ptext ? 0 : -ENOMEM;
}

int sd_folded_new(const struct sd_stacks *st, const struct sd_machine *m,
		  unsigned evsel, unsigned with, struct sd_folded **out)
{
	struct sd_folded *fo = calloc(1, sizeof *fo);
	int err;

	if (!fo)
		return -ENOMEM;
	/* only what was kept for them */
	with &= st->fold | SD_FOLD_KERNEL | SD_FOLD_JIT;
	fo->st = st;
	fo->nstrs = sd_stacks_nr_strs(st);
	fo->kmask = with & SD_FOLD_KERNEL ? SD_FRAME_KDSO : 0;
	fo->jmask = with & SD_FOLD_JIT ? SD_FRAME_JIT : 0;
	sd_strpool_init(&fo->local);
	fo->ncix = fo->nstrs + 64;
	if (!(fo->cix = calloc(fo->ncix, sizeof *fo->cix))) {
		free(fo);
		return -ENOMEM;
	}
	if ((err = make_lines(fo, m, evsel, with)) || (err = path_room(fo)) ||
	    (err = fold_sort(fo))) {
		sd_folded_free(fo);
		return err;
	}
	/* the lookup table is only for making the nodes */
	free(fo->slots);
	fo->slots = NULL;
	*out = fo;
	return 0;
}

size_t sd_folded_count(const struct sd_folded *fo)
{
	return fo->n;
}

size_t sd_folded_line(struct sd_folded *fo, size_t i, char *buf,
		      size_t cap, uint64_t *count, uint64_t *period)
{
	const struct fline *l = &fo->lines[i];

	*count = l->count;
	*period = l->period;
	if (fo->text) {
		const char *t = fo->text + fo->toff[i];
		size_t len = strlen(t);
		if (len < cap)
			memcpy(buf, t, len + 1);
		return len;
	}
	size_t len = fo->nodes[l->node].end;
	if (len >= cap)
		return len;
	fold_path_text(fo, l->node);
	memcpy(buf, fo->ptext, len);
	buf[len] = '\0';
	return len;
}

int sd_stacks_folded(struct sd_stacks *st, const struct sd_machine *m,
		     unsigned evsel, unsigned with,
		     const struct sd_folded_line **lines, size_t *nout)
{
	struct sd_folded *fo;
	int err;

	sd_stacks_free_lines(st);
	if ((err = sd_folded_new(st, m, evsel, with, &fo)))
		return err;
	size_t n = fo->n, tlen = 0;
	uint64_t count, period;
	for (size_t i = 0; i < n; i++)
		tlen += sd_folded_line(fo, i, NULL, 0, &count, &period) + 1;
	st->lines = calloc(n ? n : 1, sizeof *st->lines);
	st->line_text = sd_vmem_resize(NULL, 0, tlen ? tlen : 1);
	if (!st->lines || !st->line_text) {
		sd_folded_free(fo);
		free(st->lines);
		st->lines = NULL;
		sd_vmem_free(st->line_text, tlen ? tlen : 1);
		st->line_text = NULL;
		return -ENOMEM;
	}
	st->line_text_cap = tlen ? tlen : 1;
	char *w = st->line_text;
	for (size_t i = 0; i < n; i++) {
		size_t len = sd_folded_line(fo, i, w, tlen, &count, &period);
		st->lines[i] = (struct sd_folded_line){w, count, period};
		w += len + 1;
		tlen -= len + 1;
	}
	st->nlines = n;
	sd_folded_free(fo);
	*lines = st->lines;
	*nout = n;
	return 0;
}
