/* SPDX-License-Identifier: MIT */
/*
 * The flame graph (--svg): one event's folded stacks, laid out as
 * flamegraph.pl lays them out (the root at the bottom, callees above their
 * caller, left to right by name, width proportional to the weight: the
 * samples' period by default, as the verdict's shares), in one
 * SVG file that carries its own style and script (svg.css, svg.js): name,
 * samples and share on hover, click to zoom, search.
 *
 * The tree is built from sd_stacks_folded()'s lines, so it holds exactly
 * what --folded prints.  The frames of stacks that a finding matched are
 * coloured from what the matcher (src/detect/match.c) says about each
 * prefix of the stack; which stacks count is the diagnosis's business:
 * a pattern is coloured only when the diagnosis reports its finding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/report.h>

#include "detect/match.h"
#include "report/svg.h"
#include <swapdiag/stacks.h>
#include "util/hash.h"

#define NONE UINT32_MAX

enum { W_KERNEL = 1, W_USER = 2 };

struct node {
	const char *name; /* in the folded lines; not NUL-terminated */
	uint32_t len;
	uint32_t parent, child, next; /* first callee, next sibling */
	uint32_t depth;
	uint64_t n; /* samples in this frame and its callees */
	uint64_t nb; /* the same before (differential graph) */
	uint64_t x; /* samples left of it in the layout */
	uint8_t where; /* W_* over the stacks through it */
	uint8_t pat;   /* SD_SVG_PAT_*: the strongest over those stacks */
};

struct tree {
	struct node *v;
	size_t n, cap;
	uint32_t *slots; /* (parent, name) -> index + 1 */
	size_t nslots;
};

static uint64_t key_hash(uint32_t parent, const char *name, size_t len)
{
	return sd_hash_bytes(name, len, (uint64_t)parent * 0x9e3779b97f4a7c15ull);
}

static int tree_grow_slots(struct tree *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 4096;
	uint32_t *s = calloc(ns, sizeof *s);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct node *nd = &t->v[i];
		if (nd->parent == NONE)
			continue;
		size_t j = key_hash(nd->parent, nd->name, nd->len) & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

/* The callee of parent called name; added if add, else NONE. */
static int tree_child(struct tree *t, uint32_t parent, const char *name,
		      size_t len, bool add, uint32_t *out)
{
	if ((t->n + 1) * 2 > t->nslots && tree_grow_slots(t))
		return -ENOMEM;
	size_t j = key_hash(parent, name, len) & (t->nslots - 1);
	for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		const struct node *nd = &t->v[t->slots[j] - 1];
		if (nd->parent == parent && nd->len == len &&
		    !memcmp(nd->name, name, len)) {
			*out = t->slots[j] - 1;
			return 0;
		}
	}
	if (!add || t->n >= NONE - 1) {
		*out = NONE;
		return add ? -E2BIG : 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap * 2;
		struct node *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	struct node *p = &t->v[parent];
	t->v[t->n] = (struct node){
		.name = name, .len = (uint32_t)len, .parent = parent,
		.child = NONE, .next = p->child, .depth = p->depth + 1,
	};
	p->child = (uint32_t)t->n;
	t->slots[j] = (uint32_t)++t->n;
	*out = t->slots[j] - 1;
	return 0;
}

/* Follows (or adds) the ';'-separated names in s from node at. */
static int tree_walk(struct tree *t, uint32_t *at, const char *s, bool add)
{
	for (;;) {
		const char *e = strchr(s, ';');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int err = tree_child(t, *at, s, len, add, at);
		if (err || *at == NONE || !e)
			return err;
		s = e + 1;
	}
}

static int tree_add_line(struct tree *t, const struct sd_folded_line *l,
			 uint64_t weight)
{
	const char *s = l->stack;
	uint32_t at = 0;

	t->v[0].n += weight;
	for (;;) {
		const char *e = strchr(s, ';');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int err = tree_child(t, at, s, len, true, &at);
		if (err)
			return err;
		t->v[at].n += weight;
		if (!e)
			return 0;
		s = e + 1;
	}
}

/* ---- which frames a finding's pattern covers ----------------------- */

struct rule {
	unsigned want, ctx; /* SD_M_* of the whole pattern, of its context */
	uint8_t pat, ctx_pat;
};

static unsigned prefix_match(const struct sd_stacks *st,
			     const struct sd_stack_info *si, size_t k,
			     struct sd_match_cache *mc)
{
	struct sd_stack_info p = *si;
	p.nr_frames = k;
	return sd_match_stack(st, &p, mc);
}

/* The first frame whose prefix has all of flags (they only accumulate
 * from root to leaf); si->nr_frames if none. */
static size_t first_frame(const struct sd_stacks *st,
			  const struct sd_stack_info *si, unsigned flags,
			  struct sd_match_cache *mc)
{
	size_t lo = 1, hi = si->nr_frames;

	if (!flags || (prefix_match(st, si, hi, mc) & flags) != flags)
		return si->nr_frames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((prefix_match(st, si, mid, mc) & flags) == flags)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo - 1;
}

static bool has_finding(const struct sd_diagnosis *d, enum sd_finding_kind k)
{
	for (size_t i = 0; d && i < d->nr_findings; i++)
		if (d->findings[i].kind == k)
			return true;
	return false;
}

static size_t pick_rules(const struct sd_analysis *a,
			 const struct sd_evsel *ev,
			 const struct sd_diagnosis *d, struct rule *r)
{
	size_t n = 0;
	bool on_cpu = d && d->on_cpu_event && !strcmp(d->on_cpu_event, ev->name);

	if (on_cpu && has_finding(d, SD_FIND_SWAP_DUP_FORK))
		r[n++] = (struct rule){SD_M_FORK_COPY | SD_M_SWAP_DUP,
				       SD_M_FORK_COPY, SD_SVG_PAT_SWAP_DUP,
				       SD_SVG_PAT_FORK_CTX};
	if (on_cpu && has_finding(d, SD_FIND_SWAP_FREE_EXEC))
		r[n++] = (struct rule){SD_M_TEARDOWN | SD_M_SWAP_FREE,
				       SD_M_TEARDOWN, SD_SVG_PAT_SWAP_FREE,
				       SD_SVG_PAT_TEARDOWN_CTX};
	if (ev == a->switch_evsel && has_finding(d, SD_FIND_MMAP_LOCK_STALL))
		r[n++] = (struct rule){SD_M_RWSEM_READ | SD_M_MM_READER, 0,
				       SD_SVG_PAT_WAIT, 0};
	if (ev == a->switch_evsel && has_finding(d, SD_FIND_EXEC_LOCK_STALL))
		r[n++] = (struct rule){SD_M_RWSEM_READ | SD_M_EXEC_LOCK, 0,
				       SD_SVG_PAT_WAIT, 0};
	return n;
}

/* Marks each frame's kernel/user side and pattern, stack by stack. */
static int tree_mark(struct tree *t, const struct sd_analysis *a,
		     const struct sd_evsel *ev, const struct sd_diagnosis *d)
{
	const struct sd_stacks *st = a->stacks;
	struct rule rules[4];
	size_t nrules = pick_rules(a, ev, d, rules);
	struct sd_match_cache mc = {0};
	uint8_t *pat = NULL;
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < sd_stacks_count(st); i++) {
		struct sd_stack_info si;
		char pname[80];
		uint32_t at = 0;

		if (sd_stacks_get(st, i, &si) || si.evsel != ev->index ||
		    si.folded_out)
			continue;
		/* the same process column as the folded line */
		if (!sd_fold_comm(sd_machine_comm_str(a->machine, si.comm), 1, 1,
				  pname, sizeof pname) ||
		    tree_walk(t, &at, pname, false) || at == NONE)
			continue;
		if (si.nr_frames > cap) {
			uint8_t *p = realloc(pat, si.nr_frames);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			pat = p;
			cap = si.nr_frames;
		}
		if (si.nr_frames)
			memset(pat, 0, si.nr_frames);
		unsigned m = nrules ? sd_match_stack(st, &si, &mc) : 0;
		for (size_t r = 0; r < nrules; r++) {
			if ((m & rules[r].want) != rules[r].want)
				continue;
			size_t from = first_frame(st, &si, rules[r].want, &mc);
			size_t ctx = first_frame(st, &si, rules[r].ctx, &mc);
			for (size_t f = ctx; f < from; f++)
				if (pat[f] < rules[r].ctx_pat)
					pat[f] = rules[r].ctx_pat;
			for (size_t f = from; f < si.nr_frames; f++)
				if (pat[f] < rules[r].pat)
					pat[f] = rules[r].pat;
		}
		for (size_t f = 0; f < si.nr_frames && at != NONE; f++) {
			const char *nm = sd_fold_java_name(
				pname, sd_stacks_str(st, si.frames[f].name));
			if (tree_walk(t, &at, nm, false) || at == NONE)
				break;
			struct node *nd = &t->v[at];
			nd->where |= si.frames[f].kernel ? W_KERNEL : W_USER;
			if (nd->pat < pat[f])
				nd->pat = pat[f];
		}
	}
	free(pat);
	sd_match_cache_fini(&mc);
	return err;
}

/* ---- layout ------------------------------------------------------------ */

static int name_cmp(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, l);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x < y) - (x > y);
}

/*
 * The narrowest frame drawn, in samples: min_width pixels, and no more
 * than max_frames frames (the widest ones; a callee is never wider than
 * its caller, so whatever is drawn has its callers drawn).
 */
static int min_samples(const struct tree *t, double px_per_sample,
		       double min_width, size_t max_frames, uint64_t *out)
{
	uint64_t m = 1;
	size_t wide = 0;

	if (px_per_sample > 0) {
		double q = min_width / px_per_sample;
		m = q < 1 ? 1 : q > 1e18 ? (uint64_t)1e18 : (uint64_t)q;
		while ((double)m * px_per_sample < min_width)
			m++;
	}
	for (size_t i = 1; i < t->n; i++)
		wide += t->v[i].n >= m;
	if (wide > max_frames) {
		uint64_t *w = malloc((t->n - 1) * sizeof *w);
		if (!w)
			return -ENOMEM;
		for (size_t i = 1; i < t->n; i++)
			w[i - 1] = t->v[i].n;
		qsort(w, t->n - 1, sizeof *w, cmp_desc);
		m = w[max_frames] + 1;
		free(w);
	}
	*out = m;
	return 0;
}

/* Sorts every frame's callees by name and places them left to right,
 * those narrower than min after the rest (they are drawn merged). */
static int tree_layout(struct tree *t)
{
	struct node **kids = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < t->n; i++) {
		size_t k = 0;
		for (uint32_t c = t->v[i].child; c != NONE; c = t->v[c].next)
			k++;
		if (k > cap) {
			struct node **nk = realloc(kids, k * sizeof *nk);
			if (!nk) {
				free(kids);
				return -ENOMEM;
			}
			kids = nk;
			cap = k;
		}
		k = 0;
		for (uint32_t c = t->v[i].child; c != NONE; c = t->v[c].next)
			kids[k++] = &t->v[c];
		if (k > 1)
			qsort(kids, k, sizeof *kids, name_cmp);
		uint32_t *link = &t->v[i].child;
		for (size_t j = 0; j < k; j++) {
			*link = (uint32_t)(kids[j] - t->v);
			link = &kids[j]->next;
		}
		*link = NONE;
	}
	free(kids);
	return 0;
}

static void tree_place(struct tree *t, uint64_t min)
{
	/* parents come before their callees in t->v */
	for (size_t i = 0; i < t->n; i++) {
		uint64_t x = t->v[i].x;
		for (int narrow = 0; narrow < 2; narrow++)
			for (uint32_t c = t->v[i].child; c != NONE;
			     c = t->v[c].next) {
				if ((t->v[c].n < min) != narrow)
					continue;
				t->v[c].x = x;
				x += t->v[c].n;
			}
	}
}

/* A line of the BEFORE profile: counted on the frames it shares with the
 * drawn (AFTER) tree, as far as its path exists there. */
static int tree_add_before(struct tree *t, const struct sd_folded_line *l,
			   uint64_t wt)
{
	const char *s = l->stack;
	uint32_t at = 0;

	t->v[0].nb += wt;
	for (;;) {
		const char *e = strchr(s, ';');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int err = tree_child(t, at, s, len, false, &at);
		if (err || at == NONE)
			return err;
		t->v[at].nb += wt;
		if (!e)
			return 0;
		s = e + 1;
	}
}

static int add_before(struct tree *t, const struct sd_svg_opts *o,
		      enum sd_weight w)
{
	const struct sd_folded_line *lines;
	size_t nl;
	int err = sd_stacks_folded(o->before->stacks, o->before->machine,
				   o->before_ev->index, 0, &lines, &nl);

	for (size_t i = 0; i < nl && !err; i++)
		err = tree_add_before(t, &lines[i],
				      sd_analysis_weight(o->before, o->before_ev,
							 w, lines[i].count,
							 lines[i].period));
	return err;
}

/* The frames drawn (n >= min), callers before callees. */
static int drawn_frames(const struct tree *t, uint64_t min,
			struct sd_svg_frame **out, size_t *nout)
{
	size_t n = 0;
	struct sd_svg_frame *v;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].n >= min;
	v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	/* t->v index -> frames index; callers come first and are never
	 * narrower than their callees, so the caller is already mapped */
	uint32_t *at = calloc(t->n ? t->n : 1, sizeof *at);
	if (!at) {
		free(v);
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct node *nd = &t->v[i];
		if (nd->n < min)
			continue;
		at[i] = (uint32_t)n;
		struct sd_svg_frame *f = &v[n++];
		*f = (struct sd_svg_frame){
			.name = nd->name, .len = nd->len, .depth = nd->depth,
			.x = nd->x, .n = nd->n, .pat = nd->pat,
			.kernel = nd->where == W_KERNEL,
			.user = (nd->where & W_USER) != 0,
			.narrow_x = nd->x, .before_n = nd->nb,
			.parent = nd->depth ? at[nd->parent] : 0,
		};
		for (uint32_t c = nd->child; c != NONE; c = t->v[c].next) {
			if (t->v[c].n >= min) {
				f->narrow_x += t->v[c].n;
			} else {
				f->narrow_n += t->v[c].n;
				f->narrow_count++;
			}
		}
	}
	free(at);
	*out = v;
	*nout = n;
	return 0;
}

int sd_report_svg(FILE *out, struct sd_analysis *a, const struct sd_evsel *ev,
		  const struct sd_diagnosis *d, const char *path,
		  const struct sd_svg_opts *o)
{
	const struct sd_folded_line *lines;
	struct sd_svg_frame *frames = NULL;
	struct tree t = {0};
	size_t nl, nframes = 0;
	int err;

	enum sd_weight w = o ? o->weight : SD_WEIGHT_PERIOD;
	err = sd_stacks_folded(a->stacks, a->machine, ev->index, 0, &lines, &nl);
	if (err)
		return err;
	t.cap = nl + 64;
	t.v = malloc(t.cap * sizeof *t.v);
	if (!t.v)
		return -ENOMEM;
	t.v[0] = (struct node){.name = "all", .len = 3, .parent = NONE,
			       .child = NONE, .next = NONE};
	t.n = 1;
	for (size_t i = 0; i < nl && !err; i++) {
		/* --off-cpu: ns per line, drawn in microseconds */
		uint64_t wt = a->off_cpu_weights
				      ? (lines[i].count + 500) / 1000
				      : sd_analysis_weight(a, ev, w, lines[i].count,
							   lines[i].period);
		if (a->off_cpu_weights && !wt)
			continue;
		err = tree_add_line(&t, &lines[i], wt);
	}
	if (!err && o && o->before)
		err = add_before(&t, o, w);
	if (!err)
		err = tree_mark(&t, a, ev, d);
	if (!err)
		err = tree_layout(&t);

	struct sd_svg_page pg = {
		.width = o && o->width >= 200 ? o->width : 1200,
		.min_width = o && o->min_width > 0 ? o->min_width : 0.1,
		.max_frames = o && o->max_frames ? o->max_frames : 20000,
		.title = o ? o->title : NULL,
		.total = t.v[0].n,
		.unit = a->off_cpu_weights ? "\xc2\xb5s off CPU"
					   : sd_analysis_weight_unit(a, ev, w),
		.weight_name = a->off_cpu_weights
				       ? "time off CPU (--off-cpu)"
				       : sd_analysis_weight_name(a, ev, w),
		.a = a, .ev = ev, .d = d, .path = path,
	};
	if (!err) {
		double px = pg.total ? (pg.width - 2.0 * SD_SVG_XPAD) /
					       (double)pg.total
				     : 0;
		err = min_samples(&t, px, pg.min_width, pg.max_frames,
				  &pg.min_samples);
	}
	if (!err) {
		tree_place(&t, pg.min_samples);
		err = drawn_frames(&t, pg.min_samples, &frames, &nframes);
	}
	if (!err && o && o->before) {
		pg.diff = true;
		pg.before_total = t.v[0].nb;
		for (size_t i = 1; i < nframes; i++) {
			double dl = (pg.total ? (double)frames[i].n /
						      (double)pg.total : 0) -
				    (pg.before_total ? (double)frames[i].before_n /
							       (double)pg.before_total
						     : 0);
			if (dl < 0)
				dl = -dl;
			if (dl > pg.max_delta)
				pg.max_delta = dl;
		}
	}
	if (!err) {
		for (size_t i = 1; i < t.n; i++)
			pg.hidden += t.v[i].n < pg.min_samples;
		err = sd_svg_write(out, &pg, frames, nframes);
	}
	free(frames);
	free(t.v);
	free(t.slots);
	return err;
}
