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
 * t in S), the longer of two such t first.  The lines are then sorted by
 * their key sequences with a multikey quicksort (Bentley and Sedgewick),
 * which looks at each line's common prefix once, not once per compare.
 *
 * A token with a ';' in it (a frame name that has one) breaks the token
 * boundaries: then the lines' texts are made, sorted and merged by text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/foldtok.h"

/*
 * Each line's keys (below) are laid out once as [line index][key 0]...
 * [key n-1][0] in one array, and the sort moves pointers to key 0: a
 * key at depth d is one load, and the 0 after the last ends the line
 * (lines that end together are equal: merged lines never are).
 */
static int lcmp(const uint64_t *x, const uint64_t *y, size_t d)
{
	for (;; d++) {
		if (x[d] != y[d])
			return x[d] < y[d] ? -1 : 1;
		if (!x[d])
			return 0;
	}
}

static int lcmp_r(const void *a, const void *b, void *arg)
{
	return lcmp(*(const uint64_t *const *)a, *(const uint64_t *const *)b,
		    *(const size_t *)arg);
}

static void mkqs(const uint64_t **a, size_t n, size_t d, unsigned depth)
{
	while (n > 1) {
		if (n < 12) {
			for (size_t i = 1; i < n; i++)
				for (size_t j = i;
				     j > 0 && lcmp(a[j - 1], a[j], d) > 0; j--) {
					const uint64_t *t = a[j];
					a[j] = a[j - 1];
					a[j - 1] = t;
				}
			return;
		}
		if (depth > 64) {
			/* bad pivots: no deeper recursion */
			qsort_r(a, n, sizeof *a, lcmp_r, &d);
			return;
		}
		uint64_t x = a[0][d], y = a[n / 2][d], z = a[n - 1][d];
		uint64_t v = x < y ? (y < z ? y : x < z ? z : x)
				   : (x < z ? x : y < z ? z : y);
		size_t lt = 0, i = 0, gt = n;
		while (i < gt) {
			const uint64_t *t = a[i];
			uint64_t k = t[d];
			if (k < v) {
				a[i++] = a[lt];
				a[lt++] = t;
			} else if (k > v) {
				a[i] = a[--gt];
				a[gt] = t;
			} else {
				i++;
			}
		}
		mkqs(a, lt, d, depth + 1);
		mkqs(a + gt, n - gt, d, depth + 1);
		if (!v)
			return; /* ended together: equal (merged lines never are) */
		a += lt;
		n = gt - lt;
		d++;
	}
}

static int tok_cmp(const void *a, const void *b, void *arg)
{
	const struct sd_folded *fo = arg;
	return strcmp(fo->tstr[*(const uint32_t *)a], fo->tstr[*(const uint32_t *)b]);
}

/* Both keys of every token used (see the top). */
static int token_keys(struct sd_folded *fo)
{
	size_t nt = fo->nt;
	uint32_t *s = malloc((nt ? nt : 1) * sizeof *s);

	fo->kend = malloc((nt ? nt : 1) * sizeof *fo->kend);
	fo->ksemi = malloc((nt ? nt : 1) * sizeof *fo->ksemi);
	if (!s || !fo->kend || !fo->ksemi) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nt; i++)
		s[i] = (uint32_t)i;
	qsort_r(s, nt, sizeof *s, tok_cmp, fo);
	for (size_t p = 0; p < nt; p++) {
		uint32_t t = s[p];
		size_t len = fo->tlen[t], ip = p;
		/* "t;" goes after the strings "t" + a byte below ';' */
		while (ip + 1 < nt && fo->tlen[s[ip + 1]] > len &&
		       !memcmp(fo->tstr[s[ip + 1]], fo->tstr[t], len) &&
		       (unsigned char)fo->tstr[s[ip + 1]][len] < ';')
			ip++;
		fo->kend[t] = (uint64_t)(p + 1) << 33;
		fo->ksemi[t] = (uint64_t)(ip + 1) << 33 | 1ull << 32 |
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

int fold_sort(struct sd_folded *fo)
{
	size_t n = fo->n;
	uint32_t *ord = malloc((n ? n : 1) * sizeof *ord);
	int err = 0;

	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ord[i] = (uint32_t)i;
	if (fo->semicolon) {
		err = sort_by_text(fo, ord);
		free(ord);
		return err;
	}
	if ((err = token_keys(fo))) {
		free(ord);
		return err;
	}
	/* the key arrays: a line's index, its keys, 0 (see mkqs) */
	uint64_t *lk = malloc((fo->nctoks + 2 * n + 1) * sizeof *lk);
	const uint64_t **a = malloc((n ? n : 1) * sizeof *a);
	struct fline *nl = malloc((n ? n : 1) * sizeof *nl);
	if (!lk || !a || !nl) {
		free(lk);
		free(a);
		free(nl);
		free(ord);
		return -ENOMEM;
	}
	uint64_t *w = lk;
	for (size_t i = 0; i < n; i++) {
		const struct fline *l = &fo->lines[i];
		const uint32_t *tk = fo->ctoks + l->toks;
		*w++ = i;
		a[i] = w;
		for (size_t d = 0; d + 1 < l->ntoks; d++)
			*w++ = fo->ksemi[tk[d]];
		if (l->ntoks)
			*w++ = fo->kend[tk[l->ntoks - 1]];
		*w++ = 0;
	}
	mkqs(a, n, 0, 0);
	for (size_t i = 0; i < n; i++)
		nl[i] = fo->lines[a[i][-1]];
	free(lk);
	free(a);
	free(fo->lines);
	fo->lines = nl;
	fo->cap = n;
	free(ord);
	return 0;
}
