/* SPDX-License-Identifier: MIT */
/*
 * perf report --stdio call graphs (--no-children), best effort.
 *
 * An entry line gives a symbol's overhead, then its call graph follows:
 *
 *	    29.39%  httpd  [kernel.kallsyms]  [k] _spin_lock
 *	            |
 *	            ---_spin_lock                  a straight chain
 *	               __swap_duplicate            ... continued
 *	               |--28.66%--copy_pte_range   a branch: marker column m
 *	               |          copy_page_range  ... continued at m + 11
 *	                --0.70%--swap_info_get     the last branch: ' ' at m
 *
 * Old perf (2.6.32) writes "--- name" and "|--97.52%-- name" with blanks,
 * newer perf without.  A branch's parent is the deepest open node whose
 * marker lies left of it; a continued name belongs to the deepest open node
 * left of its column.  "[...]" is the rest of a node that perf did not
 * break down.
 *
 * Percentages are relative to the parent (fractal, old perf's default) or
 * to all samples (graph); the tree is caller first (-G) or callee first.
 * Both are told from the numbers and the names: children that add up to
 * more than their parent are relative; trees whose leaves are the entry's
 * symbol are caller first, trees that start with it callee first.  Each
 * node's own part (its share minus its children's) becomes one stack,
 * weighted in millionths of the event's samples; the entry's symbol is its
 * leaf.  Entries not listed (an excerpt) are one "[not-listed]" stack, so
 * that shares stay the report's own.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "textin/report.h"

static int add_event(struct rp *p, const char *name, size_t n)
{
	char (*ev)[128] = realloc(p->events, (p->nevents + 1) * sizeof *ev);
	if (!ev)
		return -ENOMEM;
	p->events = ev;
	bool *sk = realloc(p->skip_event, (p->nevents + 1) * sizeof *sk);
	if (!sk)
		return -ENOMEM;
	p->skip_event = sk;
	if (n >= sizeof *ev)
		n = sizeof *ev - 1;
	memcpy(ev[p->nevents], name, n);
	ev[p->nevents][n] = '\0';
	/* sched_switch: a report has no timeline of switches to follow */
	sk[p->nevents] = strstr(ev[p->nevents], "sched_switch") != NULL;
	p->cur_event = p->nevents++;
	return 0;
}

static size_t new_node(struct rp *p, size_t parent, int marker, double pct)
{
	if (p->nnodes == p->capnodes) {
		size_t cap = p->capnodes ? p->capnodes * 2 : 256;
		struct rnode *v = realloc(p->nodes, cap * sizeof *v);
		if (!v)
			return SIZE_MAX;
		p->nodes = v;
		p->capnodes = cap;
	}
	p->nodes[p->nnodes] = (struct rnode){
		.parent = parent, .marker = marker, .pct = pct,
		.f0 = p->names.n,
	};
	return p->nnodes++;
}

/* "    29.39%" at the start: an entry line */
static bool entry_start(const char *s, size_t n, double *pct, size_t *after)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	size_t b = i;
	while (i < n && (sd_tis_digit(s[i]) || s[i] == '.'))
		i++;
	if (i == b || i >= n || s[i] != '%')
		return false;
	if (!sd_tparse_decimal(s + b, i - b, pct))
		return false;
	*after = i + 1;
	return *after == n || sd_tis_space(s[*after]);
}

static void trim(const char **s, size_t *n)
{
	while (*n && sd_tis_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && sd_tis_space((*s)[*n - 1]))
		(*n)--;
}

/* The column layout from the "# ....  ...." line under the titles. */
static void learn_columns(struct rp *p, const char *s, size_t n)
{
	const char *t = p->prev_comment;
	size_t tn = strlen(t);

	p->ncols = 0;
	for (size_t i = 1; i < n && p->ncols < 16;) {
		if (s[i] != '.') {
			i++;
			continue;
		}
		struct rcol *c = &p->cols[p->ncols++];
		c->start = (int)i;
		while (i < n && s[i] == '.')
			i++;
		c->name[0] = '\0';
	}
	for (size_t k = 0; k < p->ncols; k++) {
		size_t a = (size_t)p->cols[k].start;
		size_t b = k + 1 < p->ncols ? (size_t)p->cols[k + 1].start : tn;
		if (a >= tn)
			continue;
		if (b > tn)
			b = tn;
		const char *v = t + a;
		size_t vn = b - a;
		trim(&v, &vn);
		sd_tcopy(p->cols[k].name, sizeof p->cols[k].name, v, vn);
		if (!strcmp(p->cols[k].name, "Children"))
			p->children_mode = true;
	}
}

static int comment_line(struct rp *p, const char *s, size_t n)
{
	static const char key[] = "of event '";
	int err = sd_theader_line(s, n, p->ops);
	if (err)
		return err;
	size_t i = 1;
	while (i < n && s[i] == ' ')
		i++;
	if (i < n && s[i] == '.' && p->prev_comment[0]) {
		learn_columns(p, s, n);
		return 0;
	}
	for (size_t k = 0; k + sizeof key - 1 <= n; k++) {
		if (memcmp(s + k, key, sizeof key - 1))
			continue;
		const char *b = s + k + sizeof key - 1;
		const char *e = memchr(b, '\'', (size_t)(s + n - b));
		return add_event(p, b, e ? (size_t)(e - b) : (size_t)(s + n - b));
	}
	sd_tcopy(p->prev_comment, sizeof p->prev_comment, s, n);
	return 0;
}

/* "[k] _spin_lock" */
static void symbol_field(struct rentry *e, const char *v, size_t vn)
{
	e->leaf = -1;
	if (vn >= 3 && v[0] == '[' && v[2] == ']') {
		char m = v[1];
		e->leaf = (m == 'k' || m == 'g') ? 1 : (m == '.' || m == 'u') ? 0 : -1;
		v += 3;
		vn -= 3;
		trim(&v, &vn);
	}
	sd_tcopy(e->sym, sizeof e->sym, v, vn);
}

static void comm_field(struct rentry *e, const char *v, size_t vn, bool pid)
{
	uint64_t x;
	const char *colon = pid ? memchr(v, ':', vn) : NULL;

	if (colon && sd_tparse_u64(v, (size_t)(colon - v), &x) && x < UINT32_MAX) {
		e->pid = (uint32_t)x;
		vn -= (size_t)(colon + 1 - v);
		v = colon + 1;
	}
	sd_tcopy(e->comm, sizeof e->comm, v, vn);
}

/* " [k] ", " [.] ": where the Symbol column starts */
static const char *find_marker(const char *r, size_t rn)
{
	for (size_t k = 0; k + 3 <= rn; k++)
		if (r[k] == '[' && r[k + 2] == ']' && r[k + 1] != ']' &&
		    (k + 3 == rn || r[k + 3] == ' ') && (k == 0 || r[k - 1] == ' '))
			return r + k;
	return NULL;
}

static void set_field(struct rentry *e, const char *name, const char *v,
		      size_t vn, const char *rest, size_t rest_n)
{
	if (!strcmp(name, "Command"))
		comm_field(e, v, vn, false);
	else if (!strcmp(name, "Pid:Command") || !strcmp(name, "Pid"))
		comm_field(e, v, vn, true);
	else if (!strcmp(name, "Symbol")) {
		trim(&rest, &rest_n);
		symbol_field(e, rest, rest_n);
	}
}

/*
 * perf separates columns by two blanks, but an excerpt pasted into a
 * ticket may have lost the alignment: the values between the overhead
 * and the "[k] symbol" are taken in order, split at runs of two or more
 * blanks, when there are as many as there are columns.
 */
static bool columns_by_gaps(struct rp *p, struct rentry *e, const char *s,
			    size_t n, size_t after)
{
	size_t sym = p->ncols;
	for (size_t k = 0; k < p->ncols; k++)
		if (!strcmp(p->cols[k].name, "Symbol"))
			sym = k;
	if (sym == p->ncols || sym < 1)
		return false;
	const char *r = s + after, *mk = find_marker(r, n - after);
	if (!mk)
		return false;
	struct {
		const char *v;
		size_t n;
	} f[16];
	size_t nf = 0;
	for (const char *q = r; q < mk;) {
		while (q < mk && sd_tis_space(*q))
			q++;
		if (q >= mk)
			break;
		const char *b = q;
		while (q < mk && !(sd_tis_space(q[0]) && q + 1 < mk &&
				   sd_tis_space(q[1])))
			q++;
		size_t fl = (size_t)(q - b);
		while (fl && sd_tis_space(b[fl - 1]))
			fl--;
		if (nf == 16)
			return false;
		f[nf].v = b;
		f[nf].n = fl;
		nf++;
	}
	/* columns 1 .. sym-1 (column 0 is the overhead) */
	if (nf != sym - 1)
		return false;
	for (size_t k = 1; k < sym; k++)
		set_field(e, p->cols[k].name, f[k - 1].v, f[k - 1].n, NULL, 0);
	symbol_field(e, mk, (size_t)(s + n - mk));
	return true;
}

static int entry_line(struct rp *p, const struct sd_tline *ln, double pct,
		      size_t after)
{
	const char *s = ln->s;
	size_t n = ln->n;

	if (p->nentries == p->capentries) {
		size_t cap = p->capentries ? p->capentries * 2 : 64;
		struct rentry *v = realloc(p->entries, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		p->entries = v;
		p->capentries = cap;
	}
	if (!p->nevents) {
		int err = add_event(p, "", 0);
		if (err)
			return err;
	}
	struct rentry *e = &p->entries[p->nentries];
	memset(e, 0, sizeof *e);
	e->overhead = pct;
	e->base = -1;
	e->pid = SD_TEXT_NO_PID;
	e->leaf = -1;
	e->event = p->cur_event;
	e->line = ln->no;
	e->offset = ln->off;
	if (p->ncols && !columns_by_gaps(p, e, s, n, after)) {
		/* by the dotted underline's columns */
		for (size_t k = 0; k < p->ncols; k++) {
			size_t a = (size_t)p->cols[k].start;
			size_t b = k + 1 < p->ncols ? (size_t)p->cols[k + 1].start : n;
			if (a >= n)
				break;
			if (b > n)
				b = n;
			const char *v = s + a;
			size_t vn = b - a;
			trim(&v, &vn);
			set_field(e, p->cols[k].name, v, vn, s + a, n - a);
		}
	} else if (!p->ncols) {
		/* no column titles: overhead comm dso [k] sym */
		const char *r = s + after;
		size_t rn = n - after;
		const char *mk = find_marker(r, rn);
		if (mk) {
			symbol_field(e, mk, (size_t)(r + rn - mk));
			const char *c = r;
			size_t cn = (size_t)(mk - r);
			trim(&c, &cn);
			/* the last word before the marker is the DSO */
			size_t k = cn;
			while (k && !sd_tis_space(c[k - 1]))
				k--;
			cn = k;
			trim(&c, &cn);
			comm_field(e, c, cn, false);
		}
	}
	size_t root = new_node(p, SIZE_MAX, -1, pct);
	if (root == SIZE_MAX)
		return -ENOMEM;
	e->n0 = root;
	e->nn = 1;
	p->nentries++;
	p->in_tree = true;
	p->depth = 1;
	p->path[0] = root;
	return 0;
}

/* Adds a frame name (folded as perf script's would be) to the newest node. */
static int add_frame(struct rp *p, const char *s, size_t n)
{
	static const char inl[] = " (inlined)";
	char buf[1024];
	char *parts[8];

	trim(&s, &n);
	if (n >= sizeof inl - 1 && !memcmp(s + n - (sizeof inl - 1), inl, sizeof inl - 1))
		n -= sizeof inl - 1;
	if (!n)
		return 0;
	sd_tcopy(buf, sizeof buf, s, n);
	int k = sd_fold_frame(buf, "[unknown]", NULL, parts, 8);
	if (k < 0)
		return -ENOMEM;
	int err = 0;
	for (int i = 0; i < k; i++) {
		if (!err)
			err = sd_tnames_push(&p->names, parts[i], strlen(parts[i]),
					     false);
		free(parts[i]);
	}
	if (!err)
		p->nodes[p->nnodes - 1].nf = p->names.n - p->nodes[p->nnodes - 1].f0;
	return err;
}

static void bad(struct rp *p, const struct sd_tline *ln, const char *what)
{
	sd_tbad_line(p->diags, p->res, ln, what);
}

static int graph_line(struct rp *p, const struct sd_tline *ln)
{
	const char *s = ln->s;
	size_t n = ln->n, i = 0;
	struct rentry *e = &p->entries[p->nentries - 1];

	size_t lead = 0;
	while (lead < n && s[lead] == ' ')
		lead++;
	if (e->base < 0 && lead > 0 && lead < n &&
	    (s[lead] == '|' || s[lead] == '-'))
		e->base = (int)lead;
	while (i < n && (s[i] == ' ' || s[i] == '|') &&
	       !(s[i] == '|' && i + 1 < n && s[i + 1] == '-'))
		i++;
	if (i == n)
		return 0; /* "|" spacer */
	size_t root = e->n0;
	if (s[i] == '-' && i + 3 < n && s[i + 1] == '-' && s[i + 2] == '-' &&
	    !sd_tis_digit(s[i + 3])) {
		/* "---name": the root's straight chain */
		if (p->nnodes - 1 != root || p->nodes[root].nf) {
			bad(p, ln, "a second call chain start in one entry");
			return 0;
		}
		p->depth = 1;
		return add_frame(p, s + i + 3, n - i - 3);
	}
	if (s[i] == '|' || s[i] == '-') {
		/* "|--12.34%--name" or " --12.34%--name" */
		int m = s[i] == '|' ? (int)i : (int)i - 1;
		size_t j = s[i] == '|' ? i + 1 : i;
		if (j + 2 > n || s[j] != '-' || s[j + 1] != '-') {
			bad(p, ln, "not a call graph line");
			return 0;
		}
		j += 2;
		size_t b = j;
		while (j < n && (sd_tis_digit(s[j]) || s[j] == '.'))
			j++;
		double pct;
		if (j == b || !sd_tparse_decimal(s + b, j - b, &pct)) {
			bad(p, ln, "a call graph branch without a percentage");
			return 0;
		}
		if (j < n && s[j] == '%') {
			j++;
		} else {
			if (!p->count_values++)
				sd_diags_add(p->diags, SD_WARNING, SD_E_BAD_RECORD,
					     UINT64_MAX,
					     "line %llu: call graph values are not "
					     "percentages; such branches are skipped "
					     "(make the report with -g ...,percent)",
					     (unsigned long long)ln->no);
			return 0;
		}
		if (j + 2 > n || s[j] != '-' || s[j + 1] != '-') {
			bad(p, ln, "not a call graph branch (|--NN.NN%--name)");
			return 0;
		}
		j += 2;
		if (j < n && s[j] == ' ')
			p->old_style = true;
		while (p->depth > 1 && p->nodes[p->path[p->depth - 1]].marker >= m)
			p->depth--;
		if (p->depth >= sizeof p->path / sizeof *p->path) {
			bad(p, ln, "a call graph deeper than 512 levels");
			return 0;
		}
		size_t parent = p->path[p->depth - 1];
		size_t k = new_node(p, parent, m, pct);
		if (k == SIZE_MAX)
			return -ENOMEM;
		e->nn++;
		p->nodes[parent].has_kids = true;
		p->nodes[parent].kids_pct += pct;
		p->path[p->depth++] = k;
		const char *nm = s + j;
		size_t nn = n - j;
		trim(&nm, &nn);
		if (nn == 5 && !memcmp(nm, "[...]", 5)) {
			p->nodes[k].rest = true;
			return 0;
		}
		return add_frame(p, nm, nn);
	}
	/* a name continuing the chain of the node left of it; a call graph
	 * is indented under its entry */
	if (e->base < 0 || (int)i <= e->base) {
		bad(p, ln, "neither a perf report entry nor a line of its call "
			   "graph");
		return 0;
	}
	while (p->depth > 1 && p->nodes[p->path[p->depth - 1]].marker >= (int)i)
		p->depth--;
	size_t top = p->path[p->depth - 1];
	if (top != p->nnodes - 1 || p->nodes[top].has_kids || p->nodes[top].rest) {
		bad(p, ln, "a call chain name out of place in the tree");
		return 0;
	}
	return add_frame(p, s + i, n - i);
}

int sd_text_parse_perf_report(const void *buf, size_t len,
			      const struct sd_text_ops *ops,
			      struct sd_diags *diags,
			      struct sd_text_result *res)
{
	struct sd_text_result local;
	struct sd_tlines it;
	struct sd_tline ln;
	struct rp *p = calloc(1, sizeof *p);
	int err = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->kind = SD_TEXT_PERF_REPORT;
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->diags = diags;
	p->res = res;
	p->names.max = SIZE_MAX;
	sd_tlines_init(&it, buf, len);
	while (!err && sd_tlines_next(&it, &ln)) {
		double pct;
		size_t after;

		res->lines++;
		size_t i = 0;
		while (i < ln.n && sd_tis_space(ln.s[i]))
			i++;
		if (i == ln.n) {
			p->in_tree = false;
			continue;
		}
		if (ln.s[0] == '#') {
			p->in_tree = false;
			err = comment_line(p, ln.s, ln.n);
			continue;
		}
		if (entry_start(ln.s, ln.n, &pct, &after)) {
			double second;
			size_t a2;
			if (entry_start(ln.s + after, ln.n - after, &second, &a2))
				p->children_mode = true;
			if (p->children_mode)
				break;
			err = entry_line(p, &ln, pct, after);
			continue;
		}
		if (!p->in_tree || !p->nentries) {
			bad(p, &ln, "neither a perf report entry (NN.NN% comm dso "
				    "[k] symbol) nor its call graph");
			continue;
		}
		err = graph_line(p, &ln);
	}
	if (!err && p->children_mode) {
		sd_diags_add(diags, SD_ERROR, SD_E_BAD_RECORD, UINT64_MAX,
			     "perf report with Children and Self columns: every "
			     "sample is counted under each function of its stack; "
			     "make the report with --no-children");
		err = -ENOTSUP;
	}
	if (!err)
		err = sd_treport_emit_all(p);
	if (!err)
		sd_treport_notes(p);
	sd_tnames_fini(&p->names);
	free(p->nodes);
	free(p->entries);
	free(p->events);
	free(p->skip_event);
	free(p);
	return err;
}
