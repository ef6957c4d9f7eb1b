/* SPDX-License-Identifier: MIT */
/*
 * Folded output: every distinct symbolized stack of one event becomes
 * "comm;root;...;leaf", lines that fold to the same text are merged, and
 * the result is sorted as stackcollapse-perf.pl sorts its keys.
 *
 * The work is once per distinct stack and per distinct name: a line is a
 * sequence of tokens (foldtok.h), merged by a hash of its token ids and
 * sorted by integer keys per token (foldsort.c); its text is written only
 * when it is printed (sd_folded_line), straight into the writer's buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>
#include "stacks/foldtok.h"
#include "stacks/internal.h"
#include "util/vmem.h"

/*
 * The folded comm of each comm id, made once: sd_fold_comm() formats
 * "comm pid/tid" and applies stackcollapse's header expression, some 2k
 * instructions, and a recording has ~100k distinct stacks but only a few
 * thousand comms.
 */
struct comm_memo {
	uint32_t *at; /* by comm id: 0 not made yet, 1 dropped, else 2 + offset */
	size_t n;
	char *buf;
	size_t len, cap;
};

/* 1 with *out the folded comm, 0 if stackcollapse drops it, or -ENOMEM. */
static int memo_comm(struct comm_memo *cm, const struct sd_machine *m,
		     uint32_t comm, const char **out)
{
	if (comm >= cm->n) {
		size_t n = cm->n ? cm->n : 256;
		while (n <= comm)
			n *= 2;
		uint32_t *at = realloc(cm->at, n * sizeof *at);
		if (!at)
			return -ENOMEM;
		memset(at + cm->n, 0, (n - cm->n) * sizeof *at);
		cm->at = at;
		cm->n = n;
	}
	if (!cm->at[comm]) {
		char pname[80];
		if (!sd_fold_comm(sd_machine_comm_str(m, comm), 1, 1, pname,
				  sizeof pname)) {
			cm->at[comm] = 1;
		} else {
			size_t l = strlen(pname) + 1;
			if (cm->len + l > cm->cap) {
				size_t cap = cm->cap ? cm->cap * 2 : 4096;
				char *b = realloc(cm->buf, cap);
				if (!b)
					return -ENOMEM;
				cm->buf = b;
				cm->cap = cap;
			}
			memcpy(cm->buf + cm->len, pname, l);
			cm->at[comm] = (uint32_t)(2 + cm->len);
			cm->len += l;
		}
	}
	if (cm->at[comm] == 1)
		return 0;
	*out = cm->buf + (cm->at[comm] - 2);
	return 1;
}

/*
 * The line of each (comm part, frame sequence) already folded:
 * symbolization stores each distinct frame sequence once (symbolize.c
 * share_frames), so stacks with equal comm part and frames pointer give
 * the same line, and its tokens need not be hashed and compared again.
 */
struct seq_memo {
	struct seq_slot {
		uint32_t ctok, off, n;
		uint32_t line; /* index + 1; 0: empty */
	} *v;
	size_t nslots, n;
	size_t first; /* slots to start with (a power of two) */
};

static size_t seq_home(uint32_t ctok, uint32_t off, uint32_t n, size_t mask)
{
	return sd_mix64((uint64_t)ctok << 32 ^ off ^ (uint64_t)n << 20) & mask;
}

/* The slot of (ctok, off, n): its line, or the empty slot to fill; NULL
 * without memory. */
static struct seq_slot *seq_find(struct seq_memo *sm, uint32_t ctok,
				 uint32_t off, uint32_t n)
{
	if ((sm->n + 1) * 2 > sm->nslots) {
		size_t ns = sm->nslots ? sm->nslots * 2 : sm->first;
		struct seq_slot *v = calloc(ns, sizeof *v);
		if (!v)
			return NULL;
		for (size_t i = 0; i < sm->nslots; i++) {
			const struct seq_slot *o = &sm->v[i];
			if (!o->line)
				continue;
			size_t j = seq_home(o->ctok, o->off, o->n, ns - 1);
			while (v[j].line)
				j = (j + 1) & (ns - 1);
			v[j] = *o;
		}
		free(sm->v);
		sm->v = v;
		sm->nslots = ns;
	}
	size_t j = seq_home(ctok, off, n, sm->nslots - 1);
	for (; sm->v[j].line; j = (j + 1) & (sm->nslots - 1)) {
		struct seq_slot *x = &sm->v[j];
		if (x->ctok == ctok && x->off == off && x->n == n)
			return x;
	}
	sm->v[j] = (struct seq_slot){ctok, off, n, 0};
	return &sm->v[j];
}

void sd_stacks_set_weights(struct sd_stacks *st, const uint64_t *weights,
			   size_t n)
{
	st->weights = weights;
	st->nweights = n;
}

/* "-PID" or "-PID/TID" after the comm (SD_STACK_NO_PID prints "?", as
 * the script does when perf script printed no pid). */
static void comm_suffix(char *out, size_t cap, unsigned with, uint32_t pid,
			uint32_t tid)
{
	char p[16];

	/* the script's "if (not $tid) { $tid = $pid; $pid = "?" }": a tid
	 * of 0 (swapper's 0/0) is false in Perl */
	if (pid != SD_STACK_NO_PID && tid == 0) {
		tid = pid;
		pid = SD_STACK_NO_PID;
	}
	if (pid == SD_STACK_NO_PID)
		strcpy(p, "?");
	else
		snprintf(p, sizeof p, "%u", pid);
	if (with & SD_FOLD_TID)
		snprintf(out, cap, "-%s/%u", p, tid);
	else if (with & SD_FOLD_PID)
		snprintf(out, cap, "-%s", p);
	else
		out[0] = '\0';
}

/* ---- tokens ---------------------------------------------------------- */

const char *fold_tok_str(const struct sd_folded *fo, uint32_t t)
{
	return t <= fo->nstrs ? sd_stacks_str(fo->st, t)
			      : sd_strpool_get(&fo->local, (uint32_t)(t - fo->nstrs));
}

/* The token of a string: the stacks' id when they have it, else one of
 * the output's own; 0 without memory. */
static uint32_t tok_intern(struct sd_folded *fo, const char *s, size_t len)
{
	uint32_t id = sd_strpool_find(&fo->st->strs, s, len);

	if (id)
		return id;
	id = sd_strpool_intern(&fo->local, s, len);
	return id ? (uint32_t)(fo->nstrs + id) : 0;
}

/* Which variant of its name a frame prints (the bits of vmemo's index):
 * 1 Java's name, 2 with "_[k]", 4 with "_[j]" unless it has one. */
static inline unsigned variant(const struct sd_folded *fo, bool java,
			       const struct sd_frame *f)
{
	return (unsigned)java | (f->marks & fo->kmask   ? 2u
				 : f->marks & fo->jmask ? 4u
							: 0u);
}

/* The token of a frame in a variant, made once per (variant, name); 0
 * without memory. */
static uint32_t variant_tok(struct sd_folded *fo, unsigned v,
			    const struct sd_frame *f)
{
	if (f->name > fo->nstrs)
		return 0; /* cannot happen: every name is the stacks' */
	if (!fo->vmemo[v] &&
	    !(fo->vmemo[v] = calloc(fo->nstrs + 1, sizeof *fo->vmemo[v])))
		return 0;
	uint32_t *t = &fo->vmemo[v][f->name];
	if (*t)
		return *t;
	/* the names stackcollapse-perf.pl prints: Java's without the 'L',
	 * then what --folded-with kernel / jit append */
	const char *name = sd_stacks_str(fo->st, f->name);
	const char *nm = v & 1 ? sd_fold_java_name("java", name) : name;
	const char *sfx = v & 2 ? "_[k]" : v & 4 && !strstr(nm, "_[j]") ? "_[j]"
									 : "";
	size_t l = strlen(nm), ls = strlen(sfx);
	if (nm == name && !ls && f->name)
		return *t = f->name;
	char small[256], *buf = l + ls < sizeof small ? small : malloc(l + ls + 1);
	if (!buf)
		return 0;
	memcpy(buf, nm, l);
	memcpy(buf + l, sfx, ls + 1);
	*t = tok_intern(fo, buf, l + ls);
	if (buf != small)
		free(buf);
	return *t;
}

/* The compact index of token t (0 up), given one on its first use with
 * its string and length (the sort keys and the text need them); -ENOMEM
 * for t 0 (no memory for it). */
static long use_tok_slow(struct sd_folded *fo, uint32_t t)
{
	if (!t)
		return -ENOMEM;
	if (t >= fo->ncix) {
		size_t n = fo->ncix * 2 > t + 1 ? fo->ncix * 2 : t + 1;
		uint32_t *c = realloc(fo->cix, n * sizeof *c);
		if (!c)
			return -ENOMEM;
		memset(c + fo->ncix, 0, (n - fo->ncix) * sizeof *c);
		fo->cix = c;
		fo->ncix = n;
	}
	if (fo->cix[t])
		return fo->cix[t] - 1;
	if (fo->nt == fo->capt) {
		size_t cap = fo->capt ? fo->capt * 2 : 1024;
		const char **s = realloc(fo->tstr, cap * sizeof *s);
		if (s)
			fo->tstr = s;
		uint32_t *l = realloc(fo->tlen, cap * sizeof *l);
		if (l)
			fo->tlen = l;
		if (!s || !l)
			return -ENOMEM;
		fo->capt = cap;
	}
	const char *s = fold_tok_str(fo, t);
	size_t len = strlen(s);
	fo->tstr[fo->nt] = s;
	fo->tlen[fo->nt] = (uint32_t)len;
	fo->semicolon |= memchr(s, ';', len) != NULL;
	fo->cix[t] = (uint32_t)++fo->nt;
	return (long)fo->nt - 1;
}

static inline long use_tok(struct sd_folded *fo, uint32_t t)
{
	if (t && t < fo->ncix && fo->cix[t])
		return fo->cix[t] - 1;
	return use_tok_slow(fo, t);
}

/* ---- lines ----------------------------------------------------------- */

/* A line's hash, its tokens folded in as they are written. */
#define LINE_SEED 0x9e3779b97f4a7c15ull

static inline uint64_t line_step(uint64_t h, uint32_t t)
{
	h ^= t;
	h *= 0x9fb21c651e98df25ull;
	return h ^ h >> 29;
}

struct line_table {
	uint32_t *slots; /* line index + 1 */
	size_t nslots;
	size_t first; /* slots to start with (a power of two) */
};

/* Room for n more tokens at the end of ctoks; 0 or -ENOMEM. */
static int ctoks_room(struct sd_folded *fo, size_t n)
{
	if (fo->nctoks + n <= fo->capctoks)
		return 0;
	size_t cap = fo->capctoks ? fo->capctoks : 16384;
	while (cap < fo->nctoks + n)
		cap *= 2;
	uint32_t *v = realloc(fo->ctoks, cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	fo->ctoks = v;
	fo->capctoks = cap;
	return 0;
}

/*
 * The line whose tokens are the n just written at the end of ctoks (len:
 * its text's length, h: line_hash() of the tokens): an equal line made
 * before (the tokens are dropped again), or a new one.  Its index, or
 * -ENOMEM.
 */
static long add_line(struct sd_folded *fo, struct line_table *lt, size_t n,
		     size_t len, uint64_t h)
{
	const uint32_t *tk = fo->ctoks + fo->nctoks;

	if ((fo->n + 1) * 2 > lt->nslots) {
		size_t ns = lt->nslots ? lt->nslots * 2 : lt->first;
		uint32_t *s = calloc(ns, sizeof *s);
		if (!s)
			return -ENOMEM;
		for (size_t q = 0; q < fo->n; q++) {
			size_t j = fo->lines[q].hash & (ns - 1);
			while (s[j])
				j = (j + 1) & (ns - 1);
			s[j] = (uint32_t)q + 1;
		}
		free(lt->slots);
		lt->slots = s;
		lt->nslots = ns;
	}
	size_t j = h & (lt->nslots - 1);
	for (; lt->slots[j]; j = (j + 1) & (lt->nslots - 1)) {
		const struct fline *o = &fo->lines[lt->slots[j] - 1];
		if (o->hash == h && o->ntoks == n &&
		    !memcmp(fo->ctoks + o->toks, tk, n * sizeof *tk))
			return (long)lt->slots[j] - 1;
	}
	if (fo->n == fo->cap) {
		size_t cap = fo->cap ? fo->cap * 2 : 1024;
		struct fline *v = realloc(fo->lines, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		fo->lines = v;
		fo->cap = cap;
	}
	fo->lines[fo->n] = (struct fline){fo->nctoks, (uint32_t)n,
					  (uint32_t)len, h, 0, 0};
	fo->nctoks += n;
	lt->slots[j] = (uint32_t)++fo->n;
	return (long)fo->n - 1;
}

/* The line of a stack whose comm part is token ct; its index, or
 * -ENOMEM. */
static long stack_line(struct sd_folded *fo, struct line_table *lt,
		       uint32_t ct, bool java, const struct sd_stack_info *si)
{
	size_t n = si->nr_frames + 1;
	long c = use_tok(fo, ct);

	if (c < 0 || ctoks_room(fo, n))
		return -ENOMEM;
	uint32_t *tk = fo->ctoks + fo->nctoks;
	size_t len = fo->tlen[c] + si->nr_frames;
	uint64_t h = line_step(n * LINE_SEED, (uint32_t)c);
	tk[0] = (uint32_t)c;
	bool plain = !java && !fo->kmask && !fo->jmask;
	for (size_t f = 0; f < si->nr_frames; f++) {
		const struct sd_frame *fr = &si->frames[f];
		uint32_t nm = fr->name;
		if (plain && nm && nm < fo->ncix && fo->cix[nm]) {
			/* a name as it is, seen before: its index */
			c = fo->cix[nm] - 1;
		} else {
			unsigned v = plain ? 0 : variant(fo, java, fr);
			c = use_tok(fo, v || !nm ? variant_tok(fo, v, fr) : nm);
			if (c < 0)
				return -ENOMEM;
		}
		tk[f + 1] = (uint32_t)c;
		len += fo->tlen[c];
		h = line_step(h, (uint32_t)c);
	}
	if (len > UINT32_MAX)
		return -ENOMEM; /* a 4 GB line */
	return add_line(fo, lt, n, len, sd_mix64(h));
}

/* The comm part's token of a stack, with whether it is Java's; 0 when
 * stackcollapse drops it, or -ENOMEM. */
static long comm_tok(struct sd_folded *fo, struct comm_memo *cm,
		     uint32_t **by_comm, size_t *nby, const struct sd_machine *m,
		     const struct sd_stack_info *si, unsigned with, bool *java)
{
	bool threads = with & (SD_FOLD_PID | SD_FOLD_TID);
	const char *pname;

	if (!threads && si->comm < *nby && (*by_comm)[si->comm]) {
		uint32_t t = (*by_comm)[si->comm];
		*java = t & 0x80000000u;
		return t == UINT32_MAX ? 0 : (long)(t & 0x7fffffffu);
	}
	int ok = memo_comm(cm, m, si->comm, &pname);
	if (ok < 0)
		return ok;
	long t = 0;
	*java = ok && !strncmp(pname, "java", 4);
	if (ok) {
		char sfx[48], buf[128];
		comm_suffix(sfx, sizeof sfx, with, si->pid, si->tid);
		int n = snprintf(buf, sizeof buf, "%s%s", pname, sfx);
		t = tok_intern(fo, buf, (size_t)n);
		if (!t || t >= 0x7fffffff)
			return -ENOMEM;
	}
	if (!threads) {
		if (si->comm >= *nby) {
			size_t n = *nby ? *nby : 256;
			while (n <= si->comm)
				n *= 2;
			uint32_t *v = realloc(*by_comm, n * sizeof *v);
			if (!v)
				return -ENOMEM;
			memset(v + *nby, 0, (n - *nby) * sizeof *v);
			*by_comm = v;
			*nby = n;
		}
		(*by_comm)[si->comm] = !ok ? UINT32_MAX
				       : (uint32_t)t | (*java ? 0x80000000u : 0);
	}
	return t;
}

struct sd_folded *sd_folded_free(struct sd_folded *fo)
{
	if (!fo)
		return NULL;
	sd_strpool_fini(&fo->local);
	for (size_t v = 0; v < sizeof fo->vmemo / sizeof *fo->vmemo; v++)
		free(fo->vmemo[v]);
	free(fo->lines);
	free(fo->cix);
	free(fo->tstr);
	free(fo->tlen);
	free(fo->kend);
	free(fo->ksemi);
	free(fo->text);
	free(fo->toff);
	free(fo->ctoks);
	free(fo->tbuf);
	free(fo->tofs);
	free(fo);
	return NULL;
}

/* Every stack of the event into fo->lines, merged by tokens. */
static int make_lines(struct sd_folded *fo, const struct sd_machine *m,
		      unsigned evsel, unsigned with)
{
	const struct sd_stacks *st = fo->st;
	struct comm_memo cm = {0};
	struct seq_memo sm = {0};
	struct line_table lt = {0};
	uint32_t *by_comm = NULL;
	size_t nby = 0;
	int err = 0;

	/* at most a line per stack, and usually a token per frame of each
	 * distinct frame sequence plus the comm parts (--folded-with pid
	 * can take more): no regrowing, and untouched memory costs nothing */
	if (ctoks_room(fo, st->nframes + st->n) < 0)
		return -ENOMEM;
	if (!(fo->lines = malloc((st->n ? st->n : 1) * sizeof *fo->lines)))
		return -ENOMEM;
	fo->cap = st->n ? st->n : 1;
	/* both tables hold at most a line per stack: made once at that
	 * size (twice the slots), not grown from small */
	sm.first = lt.first = 1024;
	while (sm.first < 2 * st->n + 2 && sm.first < ((size_t)1 << 30))
		sm.first *= 2;
	lt.first = sm.first;

	for (size_t i = 0; i < st->n && !err; i++) {
		struct sd_stack_info si;
		sd_stacks_get(st, i, &si);
		if (si.evsel != evsel || si.folded_out)
			continue;
		if (st->weights) {
			si.count = i < st->nweights ? st->weights[i] : 0;
			si.period = si.count; /* whatever the weighting */
			if (!si.count)
				continue;
		}
		bool java;
		long ct = comm_tok(fo, &cm, &by_comm, &nby, m, &si, with, &java);
		if (ct <= 0) {
			err = (int)ct;
			continue;
		}
		uint32_t off = si.frames ? (uint32_t)(si.frames - st->frames) : 0;
		struct seq_slot *seq = seq_find(&sm, (uint32_t)ct, off,
						(uint32_t)si.nr_frames);
		if (!seq) {
			err = -ENOMEM;
			break;
		}
		if (!seq->line) {
			long k = stack_line(fo, &lt, (uint32_t)ct, java, &si);
			if (k < 0) {
				err = (int)k;
				break;
			}
			seq->line = (uint32_t)k + 1;
			sm.n++;
		}
		fo->lines[seq->line - 1].count += si.count;
		fo->lines[seq->line - 1].period += si.period;
	}
	free(cm.at);
	free(cm.buf);
	free(sm.v);
	free(lt.slots);
	free(by_comm);
	return err;
}

/* fo->tbuf and fo->tofs (see foldtok.h); not needed when the lines
 * have their text (a token holds a ';'). */
static int token_text(struct sd_folded *fo)
{
	size_t total = 32;

	if (fo->text)
		return 0;
	for (size_t c = 0; c < fo->nt; c++)
		total += fo->tlen[c] + 1;
	if (total > UINT32_MAX)
		return 0; /* the lines are written token by token */
	fo->tbuf = malloc(total);
	fo->tofs = malloc((fo->nt ? fo->nt : 1) * sizeof *fo->tofs);
	if (!fo->tbuf || !fo->tofs)
		return -ENOMEM;
	char *w = fo->tbuf;
	for (size_t c = 0; c < fo->nt; c++) {
		fo->tofs[c] = (uint64_t)(w - fo->tbuf) << 32 | (fo->tlen[c] + 1);
		memcpy(w, fo->tstr[c], fo->tlen[c]);
		w += fo->tlen[c];
		*w++ = ';';
	}
	memset(w, 0, 32);
	return 0;
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
	if ((err = make_lines(fo, m, evsel, with)) || (err = fold_sort(fo)) ||
	    (err = token_text(fo))) {
		sd_folded_free(fo);
		return err;
	}
	*out = fo;
	return 0;
}

size_t sd_folded_count(const struct sd_folded *fo)
{
	return fo->n;
}

size_t sd_folded_line(const struct sd_folded *fo, size_t i, char *buf,
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
	if (l->len >= cap)
		return l->len;
	const uint32_t *tk = fo->ctoks + l->toks;
	char *w = buf;
	if (fo->tbuf && l->ntoks && cap - l->len > 32) {
		/* each token with its ';' in 16-byte copies, the first two
		 * whatever its length (the buffer has room for the last
		 * one's overrun, tbuf its padding); the last ';' becomes the
		 * NUL */
		for (size_t k = 0; k < l->ntoks; k++) {
			uint64_t ol = fo->tofs[tk[k]];
			const char *src = fo->tbuf + (ol >> 32);
			size_t n = (uint32_t)ol;
			memcpy(w, src, 16);
			memcpy(w + 16, src + 16, 16);
			for (size_t o = 32; o < n; o += 16)
				memcpy(w + o, src + o, 16);
			w += n;
		}
		w[-1] = '\0';
		return l->len;
	}
	for (size_t k = 0; k < l->ntoks; k++) {
		uint32_t c = tk[k];
		if (k)
			*w++ = ';';
		memcpy(w, fo->tstr[c], fo->tlen[c]);
		w += fo->tlen[c];
	}
	*w = '\0';
	return l->len;
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
