/* SPDX-License-Identifier: MIT */
/*
 * The folded lines in stackcollapse-perf.pl's order (Perl's sort: byte
 * order of the whole text) without comparing their text.
 *
 * A line's text is its tokens joined by ';'.  While no token holds a ';',
 * two lines compare at their first differing token a, b (in their own
 * lines followed by ';', or by the end of the text for the last token):
 *   - neither a prefix of the other: the first differing byte decides,
 *     as between a and b alone;
 *   - a a proper prefix of b: a's next byte (';', or the end, below every
 *     byte) against b's byte after a.
 * So each token gets two keys, one as the last token and one followed by
 * ';', such that comparing keys is comparing texts.  With the tokens in
 * byte order S, "t" (the last) ranks at t's place, and "t;" after the
 * strings that start with t followed by a byte below ';' (contiguous after
 * t in S), the longer of two such t first.
 *
 * The lines are paths in the tree of tokens (foldtok.h), and lines under
 * one node differ only after it: under each node, the line ending at a
 * child (its token's end key) and the lines going on through it (its ';'
 * key) are ordered by key, once per node (its children read from its
 * list of them), and a walk of the tree in that order meets the lines
 * in text order.
 *
 * The tokens are put in byte order by a multikey quicksort, its groups of
 * fewer than 8 by insertion from their first differing byte.
 *
 * A token with a ';' in it (a frame name that has one) breaks the token
 * boundaries: then the lines' texts are made, sorted and merged by text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/foldtok.h"

static int tok_cmp(const void *a, const void *b, void *arg)
{
	const struct sd_folded *fo = arg;
	return strcmp(fo->tstr[*(const uint32_t *)a], fo->tstr[*(const uint32_t *)b]);
}

/* Byte d of token t (its NUL at the end). */
static inline unsigned char tok_byte(const struct sd_folded *fo, uint32_t t,
				     size_t d)
{
	return (unsigned char)fo->tstr[t][d];
}

/*
 * The tokens s[0..n), equal in their first d bytes, in byte order: a
 * multikey quicksort (Bentley and Sedgewick) looks at each byte of a
 * common start once, where strcmp() in a sort compares it again at every
 * compare.  The tokens are distinct strings.  A group of fewer than 8 is
 * sorted by insertion from byte d on (kstorm: -0.13 M instructions against
 * qsort_r() of whole tokens; 16 was worse than 8).
 */
static void tok_sort(const struct sd_folded *fo, uint32_t *s, size_t n,
		     size_t d, unsigned depth)
{
	while (n > 1) {
		if (n < 8) {
			/* few: by insertion, compared from byte d on */
			for (size_t i = 1; i < n; i++) {
				uint32_t t = s[i];
				const char *k = fo->tstr[t] + d;
				size_t j = i;
				for (; j && strcmp(fo->tstr[s[j - 1]] + d, k) > 0; j--)
					s[j] = s[j - 1];
				s[j] = t;
			}
			return;
		}
		if (depth > 64) {
			/* bad pivots: compared whole */
			struct sd_folded *f = (struct sd_folded *)fo;
			qsort_r(s, n, sizeof *s, tok_cmp, f);
			return;
		}
		unsigned x = tok_byte(fo, s[0], d), y = tok_byte(fo, s[n / 2], d),
			 z = tok_byte(fo, s[n - 1], d);
		unsigned v = x < y ? (y < z ? y : x < z ? z : x)
				   : (x < z ? x : y < z ? z : y);
		size_t lt = 0, i = 0, gt = n;
		while (i < gt) {
			uint32_t t = s[i];
			unsigned k = tok_byte(fo, t, d);
			if (k < v) {
				s[i++] = s[lt];
				s[lt++] = t;
			} else if (k > v) {
				s[i] = s[--gt];
				s[gt] = t;
			} else {
				i++;
			}
		}
		tok_sort(fo, s, lt, d, depth + 1);
		tok_sort(fo, s + gt, n - gt, d, depth + 1);
		if (!v)
			return; /* ended together: one token */
		s += lt;
		n = gt - lt;
		d++;
	}
}

/* Both keys of every token used (see the top), by compact index: as
 * the last token (kend) and followed by ';' (ksemi, bit 32 set). */
static int token_keys(struct sd_folded *fo, uint64_t *kend, uint64_t *ksemi)
{
	size_t nt = fo->nt;
	uint32_t *s = malloc((nt ? nt : 1) * sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++)
		s[i] = (uint32_t)i;
	tok_sort(fo, s, nt, 0, 0);
	for (size_t p = 0; p < nt; p++) {
		uint32_t t = s[p];
		size_t len = fo->tlen[t], ip = p;
		/* "t;" goes after the strings "t" + a byte below ';' */
		while (ip + 1 < nt && fo->tlen[s[ip + 1]] > len &&
		       !memcmp(fo->tstr[s[ip + 1]], fo->tstr[t], len) &&
		       (unsigned char)fo->tstr[s[ip + 1]][len] < ';')
			ip++;
		kend[t] = (uint64_t)(p + 1) << 33;
		ksemi[t] = (uint64_t)(ip + 1) << 33 | 1ull << 32 |
			       (0xffffffffu - (uint32_t)len);
	}
	free(s);
	return 0;
}

static int text_cmp(const void *a, const void *b, void *arg)
{
	const struct sd_folded *fo = arg;
	return strcmp(fo->text + fo->toff[*(const uint32_t *)a],
		      fo->text + fo->toff[*(const uint32_t *)b]);
}

/* The lines' texts, sorted, equal texts merged (a token holds a ';'). */
static int sort_by_text(struct sd_folded *fo, uint32_t *ord)
{
	size_t n = fo->n, total = 0;
	uint64_t c, p;

	for (size_t i = 0; i < n; i++)
		total += sd_folded_line(fo, i, NULL, 0, &c, &p) + 1;
	char *text = malloc(total ? total : 1);
	fo->toff = malloc((n ? n : 1) * sizeof *fo->toff);
	struct fline *nl = malloc((n ? n : 1) * sizeof *nl);
	if (!text || !fo->toff || !nl) {
		free(text);
		free(nl);
		return -ENOMEM;
	}
	/* made from the tokens: fo->text is set once they are written */
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		fo->toff[i] = o;
		o += sd_folded_line(fo, i, text + o, total - o, &c, &p) + 1;
	}
	fo->text = text;
	qsort_r(ord, n, sizeof *ord, text_cmp, fo);
	size_t m = 0;
	size_t *noff = malloc((n ? n : 1) * sizeof *noff);
	if (!noff) {
		free(nl);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fline *l = &fo->lines[ord[i]];
		if (m && !strcmp(fo->text + noff[m - 1], fo->text + fo->toff[ord[i]])) {
			nl[m - 1].count += l->count;
			nl[m - 1].period += l->period;
			continue;
		}
		nl[m] = *l;
		noff[m++] = fo->toff[ord[i]];
	}
	free(fo->lines);
	free(fo->toff);
	fo->lines = nl;
	fo->toff = noff;
	fo->n = fo->cap = m;
	return 0;
}

/* One child of a node in its order: its key, the child or its line. */
struct item {
	uint64_t key; /* bit 32: the lines through it, else the line ending */
	uint32_t node; /* the child; for the line ending, the line's index
			* (the walk reads no node for it) */
};

/* A node's items by key (distinct keys): most groups have two or three
 * items, sorted by insertion; a few have hundreds, sorted by Shell's
 * method, the compares inline. */
static void sort_items(struct item *v, size_t n)
{
	static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4};
	size_t g = 0;

	if (n > 16) {
		while (gaps[g] >= n)
			g++;
		for (; g < sizeof gaps / sizeof *gaps; g++) {
			size_t h = gaps[g];
			for (size_t i = h; i < n; i++) {
				struct item t = v[i];
				size_t j = i;
				for (; j >= h && v[j - h].key > t.key; j -= h)
					v[j] = v[j - h];
				v[j] = t;
			}
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct item t = v[i];
		size_t j = i;
		for (; j && v[j - 1].key > t.key; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/*
 * Each node's children as items (a child with a line ending at it and
 * lines through it is two), grouped by node: node p's in
 * items[at[p] .. at[p + 1]), in key order.  A node's children are a
 * list (first, sib: made with the nodes), so each group is made in one
 * pass, in place (kstorm: -0.4 M instructions against counting the
 * items per parent, then placing each node's under its parent's count).
 */
static int child_items(struct sd_folded *fo, struct item **items,
		       uint32_t **at)
{
	size_t nn = fo->nnodes, nt = fo->nt ? fo->nt : 1, total = 0;
	uint64_t *kend = malloc(nt * sizeof *kend);
	uint64_t *ksemi = malloc(nt * sizeof *ksemi);
	uint32_t *g = malloc((nn + 1) * sizeof *g);
	/* at most two a node */
	struct item *v = malloc(2 * nn * sizeof *v);
	int err = -ENOMEM;

	if (!kend || !ksemi || !g || !v || (err = token_keys(fo, kend, ksemi)))
		goto out;
	const struct fnode *nodes = fo->nodes;
	const uint32_t *first = fo->first;
	for (size_t p = 0; p < nn; p++) {
		size_t start = total;
		g[p] = (uint32_t)start;
		for (uint32_t c = first[p]; c; c = nodes[c].sib) {
			const struct fnode *x = &nodes[c];
			if (x->line)
				v[total++] = (struct item){kend[x->c],
							   x->line - 1};
			if (x->kid)
				v[total++] = (struct item){ksemi[x->c], c};
		}
		if (total - start > 1)
			sort_items(v + start, total - start);
	}
	g[nn] = (uint32_t)total;
out:
	free(kend);
	free(ksemi);
	if (err) {
		free(g);
		free(v);
		g = NULL;
		v = NULL;
	}
	*items = v;
	*at = g;
	return err;
}

int fold_sort(struct sd_folded *fo)
{
	size_t n = fo->n, depth = fo->max_depth;

	if (fo->semicolon) {
		uint32_t *ord = malloc((n ? n : 1) * sizeof *ord);
		if (!ord)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			ord[i] = (uint32_t)i;
		int err = sort_by_text(fo, ord);
		free(ord);
		return err;
	}
	struct item *items;
	uint32_t *at;
	int err = child_items(fo, &items, &at);
	/* the walk: per depth, the next item and the end of its group */
	size_t *pos = malloc((depth + 1) * sizeof *pos);
	size_t *end = malloc((depth + 1) * sizeof *end);
	struct fline *nl = malloc((n ? n : 1) * sizeof *nl);
	if (err || !pos || !end || !nl) {
		free(items);
		free(at);
		free(pos);
		free(end);
		free(nl);
		return err ? err : -ENOMEM;
	}
	size_t sp = 0, k = 0;
	pos[0] = at[0];
	end[0] = at[1];
	for (;;) {
		if (pos[sp] == end[sp]) {
			if (!sp--)
				break;
			continue;
		}
		const struct item *it = &items[pos[sp]++];
		if (!(it->key & 1ull << 32)) {
			nl[k++] = fo->lines[it->node];
			continue;
		}
		sp++;
		pos[sp] = at[it->node];
		end[sp] = at[it->node + 1];
	}
	free(items);
	free(at);
	free(pos);
	free(end);
	free(fo->lines);
	fo->lines = nl;
	fo->cap = n;
	return 0;
}
