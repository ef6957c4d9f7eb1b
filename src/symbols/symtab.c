/* SPDX-License-Identifier: MIT */
/*
 * The symbol table of one object and perf's rules for it
 * (tools/perf/util/symbol.c in perf 6.1):
 *
 * - symbols sit in an rb-tree keyed by start; equal starts keep insertion
 *   order (an equal key goes right) -- here a stable sort;
 * - symbols__fixup_end(): a symbol without a size ends where the next one
 *   starts; for kallsyms, the last symbol before a change between core
 *   kernel and module ends one page on (rounded up), and the very last
 *   symbol of the table ends at roundup(start, 4096) + 4096;
 * - symbols__fixup_duplicate(), AFTER the end fix-up: of symbols with the
 *   same start, choose_best_symbol() keeps one, folding left to right.
 *   Because aliases at one address were all zero-size before the fix-up,
 *   only the last of them got an end, so the last alias usually wins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/internal.h"
#include "util/vmem.h"

struct sd_symtab *sd_symtab_new(enum sd_symtab_kind kind)
{
	struct sd_symtab *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->kind = kind;
	sd_strpool_init(&t->modules);
	return t;
}

struct sd_symtab *sd_symtab_free(struct sd_symtab *t)
{
	if (!t)
		return NULL;
	sd_bigbuf_free(&t->text);
	if (t->release_names)
		t->release_names(t->names_owner);
	while (t->arena) {
		struct sd_symtab_block *b = t->arena;
		t->arena = b->next;
		free(b);
	}
	sd_strpool_fini(&t->modules);
	free(t->idx);
	if (t->syms_big.p)
		sd_bigbuf_free(&t->syms_big);
	else
		free(t->syms);
	free(t);
	return NULL;
}

void sd_symtab_adopt_text(struct sd_symtab *t, struct sd_bigbuf *text)
{
	sd_bigbuf_free(&t->text);
	t->text = *text;
	text->p = NULL;
	text->reserved = text->populated = 0;
}

int sd_symtab_reserve_big(struct sd_symtab *t, size_t max)
{
	int err;

	if (t->syms || max > SD_SYMTAB_MAX_SYMS)
		return -EINVAL;
	err = sd_bigbuf_reserve(&t->syms_big, max * sizeof *t->syms);
	if (err)
		return err;
	t->syms = (struct sd_symbol *)(void *)t->syms_big.p;
	t->cap = max;
	return 0;
}

int sd_symtab_reserve(struct sd_symtab *t, size_t n)
{
	struct sd_symbol *v;

	if (t->syms || !n)
		return 0;
	if (n > SD_SYMTAB_MAX_SYMS)
		n = SD_SYMTAB_MAX_SYMS;
	/* malloc, not sd_vmem: a table reserved for every symbol of the
	 * file keeps only some, and a huge page would make the unused rest
	 * resident */
	v = malloc(n * sizeof *v);
	if (!v)
		return -ENOMEM;
	t->syms = v;
	t->cap = n;
	return 0;
}

const char *sd_symtab_strdup(struct sd_symtab *t, const char *s, size_t len)
{
	struct sd_symtab_block *b = t->arena;

	if (len >= SIZE_MAX / 2)
		return NULL;
	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > 65536 ? len + 1 : 65536;
		b = malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = t->arena;
		t->arena = b;
	}
	char *p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

int sd_symtab_room(struct sd_symtab *t)
{
	if (t->syms_big.p) {
		if (t->n == t->cap ||
		    ((t->n + 1) * sizeof *t->syms > t->syms_big.populated &&
		     sd_bigbuf_ensure(&t->syms_big,
				      (t->n + 1) * sizeof *t->syms) < 0))
			return -SD_E_LIMIT;
	} else if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct sd_symbol *v;

		if (t->n >= SD_SYMTAB_MAX_SYMS)
			return -SD_E_LIMIT;
		if (cap > SD_SYMTAB_MAX_SYMS)
			cap = SD_SYMTAB_MAX_SYMS;
		v = realloc(t->syms, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		t->syms = v;
		t->cap = cap;
	}
	return 0;
}

int sd_symtab_add(struct sd_symtab *t, uint64_t start, uint64_t end,
		  const char *name, uint8_t binding, uint16_t module)
{
	int err = sd_symtab_room(t);

	if (err)
		return err;
	t->syms[t->n++] = (struct sd_symbol){
		.start = start,
		.end = end < start ? start : end,
		.name = name,
		.binding = binding,
		.module = module,
	};
	return 0;
}

/*
 * Stable sort by start: a sorted input (kallsyms) costs one scan; any
 * other an LSD radix sort by bytes of start, skipping the bytes all
 * starts share (an ELF table's symbols differ in their low three or
 * four), so a few linear passes instead of log2(n) merge passes.
 */
static int sort_by_start(struct sd_symbol *v, size_t n)
{
	size_t i;
	struct sd_symbol *tmp, *src, *dst;

	for (i = 1; i < n && v[i - 1].start <= v[i].start; i++)
		;
	if (i >= n)
		return 0;
	tmp = sd_vmem_resize(NULL, 0, n * sizeof *tmp);
	if (!tmp)
		return -ENOMEM;
	size_t (*cnt)[256] = calloc(8, sizeof *cnt);
	if (!cnt) {
		sd_vmem_free(tmp, n * sizeof *tmp);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint64_t u = v[i].start;
		for (int b = 0; b < 8; b++, u >>= 8)
			cnt[b][u & 255]++;
	}
	src = v;
	dst = tmp;
	for (int b = 0; b < 8; b++) {
		unsigned shift = 8 * (unsigned)b;
		if (cnt[b][(v[0].start >> shift) & 255] == n)
			continue; /* every start has this byte */
		size_t at = 0;
		for (int c = 0; c < 256; c++) {
			size_t k = cnt[b][c];
			cnt[b][c] = at;
			at += k;
		}
		for (i = 0; i < n; i++)
			dst[cnt[b][(src[i].start >> shift) & 255]++] = src[i];
		struct sd_symbol *s = src;
		src = dst;
		dst = s;
	}
	free(cnt);
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	sd_vmem_free(tmp, n * sizeof *tmp);
	return 0;
}

static void fixup_end(struct sd_symtab *t)
{
	bool kallsyms = t->kind == SD_SYMTAB_KALLSYMS;
	size_t n = t->n;

	if (!n)
		return;
	for (size_t i = 1; i < n; i++) {
		struct sd_symbol *prev = &t->syms[i - 1];
		const struct sd_symbol *curr = &t->syms[i];

		if (prev->end != prev->start)
			continue;
		/*
		 * perf tells module symbols by the '[' of "name\t[module]"; a
		 * core symbol followed by a module one (or the reverse) ends
		 * one page on instead of spanning the gap between them.
		 */
		if (kallsyms && (prev->module == 0) != (curr->module == 0))
			prev->end = sd_page_after(prev->end);
		else
			prev->end = curr->start;
	}
	struct sd_symbol *last = &t->syms[n - 1];
	if (last->end == last->start)
		last->end = sd_page_after(last->start);
}

/* A kallsyms name's end in the text (see SD_SYM_LAZY_KTEXT). */
static size_t ktext_len(const struct sd_symtab *t, const char *name)
{
	const char *end = t->text.p + t->text_len, *p = name;

	while (p < end && *p != '\n' && *p != '\t' && *p)
		p++;
	return (size_t)(p - name);
}

/* Whether the kallsyms name at p is name (len bytes, no '\n' or '\t'). */
static bool ktext_is(const struct sd_symtab *t, const char *p,
		     const char *name, size_t len)
{
	const char *end = t->text.p + t->text_len;

	return (size_t)(end - p) >= len && !memcmp(p, name, len) &&
	       (p + len == end || p[len] == '\n' || p[len] == '\t' ||
		!p[len]);
}

bool sd_symtab_name_is(const struct sd_symtab *t, const struct sd_symbol *s,
		       const char *name, size_t len)
{
	if (s->lazy == SD_SYM_LAZY_KTEXT)
		return !name[strcspn(name, "\n\t")] &&
		       ktext_is(t, s->name, name, len);
	return !strcmp(s->name, name);
}

unsigned sd_symtab_name_two(const struct sd_symtab *t,
			    const struct sd_symbol *s)
{
	const unsigned char *nm = (const unsigned char *)s->name;
	unsigned b0 = nm[0], b1;

	if (s->lazy == SD_SYM_LAZY_KTEXT) {
		/* a name has a byte; the second may end it, or the text */
		size_t left = (size_t)(t->text.p + t->text_len - s->name);
		b0 = b0 == '\n' || b0 == '\t' ? 0 : b0;
		b1 = b0 && left > 1 ? nm[1] : 0;
		b1 = b1 == '\n' || b1 == '\t' ? 0 : b1;
	} else {
		b1 = b0 ? nm[1] : 0;
	}
	return b0 | b1 << 8;
}

/*
 * ELF symbol names are demangled, and cut at SD_SYM_NAME_MAX, on first
 * use -- when a lookup returns them or a duplicate has to be chosen by
 * name -- not when the table is loaded: a C++ DSO has tens of thousands of
 * names and a recording hits a handful.  The table is logically const to
 * its readers; this only fills in a name.
 */
static bool sym_demangle(const struct sd_symtab *ct,
			 const struct sd_symbol *cs)
{
	struct sd_symbol *s = (struct sd_symbol *)cs;
	struct sd_symtab *t = (struct sd_symtab *)ct;
	const char *copy = NULL;

	if (!s->lazy)
		return true;
	if (s->lazy == SD_SYM_LAZY_KTEXT) {
		/* the one case a name cannot be given without memory */
		copy = sd_symtab_strdup(t, s->name, ktext_len(t, s->name));
		if (!copy)
			return false;
		s->name = copy;
		s->lazy = 0;
		return true;
	}
	char *dem = s->lazy == SD_SYM_LAZY_DEMANGLE ? sd_demangle(s->name)
						    : NULL;
	s->lazy = 0;
	if (dem) {
		copy = sd_symtab_strdup(t, dem, strnlen(dem, SD_SYM_NAME_MAX));
		free(dem);
	} else if (strnlen(s->name, SD_SYM_NAME_MAX + 1) > SD_SYM_NAME_MAX) {
		copy = sd_symtab_strdup(t, s->name, SD_SYM_NAME_MAX);
	}
	if (copy)
		s->name = copy;
	return true;
}

/* The name's length, read where it is (a kallsyms name in the text too). */
static size_t sym_name_len(const struct sd_symtab *t, const struct sd_symbol *s)
{
	return s->lazy == SD_SYM_LAZY_KTEXT ? ktext_len(t, s->name)
					    : strlen(s->name);
}

static size_t underscores(const struct sd_symtab *t, const struct sd_symbol *s)
{
	size_t n = 0, len = sym_name_len(t, s);

	while (n < len && s->name[n] == '_')
		n++;
	return n;
}

/* strlen of the name as perf holds it: kallsyms keeps "name\t[module]". */
static size_t perf_name_len(const struct sd_symtab *t, const struct sd_symbol *s)
{
	size_t len = sym_name_len(t, s);

	if (s->module)
		len += 3 + strlen(sd_strpool_get(&t->modules, s->module));
	return len;
}

/* perf's choose_best_symbol(): true if a is kept over b. */
static bool prefer_a(const struct sd_symtab *t, const struct sd_symbol *a,
		     const struct sd_symbol *b)
{
	uint64_t sa = a->end - a->start, sb = b->end - b->start;
	bool wa, wb, ga, gb;
	size_t ua, ub, la, lb;

	if (sb == 0 && sa > 0)
		return true;
	if (sa == 0 && sb > 0)
		return false;
	wa = a->binding == SD_BIND_WEAK;
	wb = b->binding == SD_BIND_WEAK;
	if (wb && !wa)
		return true;
	if (wa && !wb)
		return false;
	ga = a->binding == SD_BIND_GLOBAL;
	gb = b->binding == SD_BIND_GLOBAL;
	if (ga && !gb)
		return true;
	if (gb && !ga)
		return false;
	/* (a kallsyms name is measured where it is, not copied out) */
	if (a->lazy != SD_SYM_LAZY_KTEXT)
		sym_demangle(t, a);
	if (b->lazy != SD_SYM_LAZY_KTEXT)
		sym_demangle(t, b);
	ua = underscores(t, a);
	ub = underscores(t, b);
	if (ub > ua)
		return true;
	if (ua > ub)
		return false;
	la = perf_name_len(t, a);
	lb = perf_name_len(t, b);
	if (la > lb)
		return true;
	if (la < lb)
		return false;
	return true; /* arch__choose_best_symbol(): the first one */
}

static void fixup_duplicate(struct sd_symtab *t)
{
	size_t out = 0;

	for (size_t i = 0; i < t->n;) {
		if (i + 1 == t->n || t->syms[i + 1].start != t->syms[i].start) {
			/* no alias: kept as it is, moved only after a merge */
			if (out != i)
				t->syms[out] = t->syms[i];
			out++;
			i++;
			continue;
		}
		struct sd_symbol best = t->syms[i];
		size_t j = i + 1;

		for (; j < t->n && t->syms[j].start == best.start; j++)
			if (!prefer_a(t, &best, &t->syms[j]))
				best = t->syms[j];
		t->syms[out++] = best;
		i = j;
	}
	t->n = out;
}

/* The end symbols__fixup_end() gives s, followed by next (NULL: s is
 * the last). */
static inline void fix_end(bool kallsyms, struct sd_symbol *s,
			   const struct sd_symbol *next)
{
	if (s->end != s->start)
		return;
	if (!next)
		s->end = sd_page_after(s->start);
	else if (kallsyms && (s->module == 0) != (next->module == 0))
		s->end = sd_page_after(s->end);
	else
		s->end = next->start;
}

/*
 * fixup_end() and fixup_duplicate() in one pass over syms[from, n), in
 * order already: a symbol's end depends only on it and the one after it
 * (not yet moved: the output never passes the input), and the aliases of
 * one start are chosen from once all their ends are fixed.
 */
static void fixup_sorted(struct sd_symtab *t, size_t from)
{
	bool kallsyms = t->kind == SD_SYMTAB_KALLSYMS;
	struct sd_symbol *v = t->syms;
	size_t n = t->n, out = from;

	for (size_t i = from; i < n;) {
		if (i + 1 == n || v[i + 1].start != v[i].start) {
			fix_end(kallsyms, &v[i], i + 1 < n ? &v[i + 1] : NULL);
			if (out != i)
				v[out] = v[i];
			out++;
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && v[j].start == v[i].start)
			j++;
		for (size_t k = i; k < j; k++)
			fix_end(kallsyms, &v[k], k + 1 < n ? &v[k + 1] : NULL);
		struct sd_symbol best = v[i];
		for (size_t k = i + 1; k < j; k++)
			if (!prefer_a(t, &best, &v[k]))
				best = v[k];
		v[out++] = best;
		i = j;
	}
	t->n = out;
}

/* Stable by start; without memory for the radix sort, by insertion. */
static void sort_stable(struct sd_symbol *v, size_t n)
{
	if (sort_by_start(v, n) == 0)
		return;
	for (size_t k = 1; k < n; k++) {
		struct sd_symbol s = v[k];
		size_t j = k;
		while (j > 0 && v[j - 1].start > s.start) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = s;
	}
}

void sd_symtab_finish(struct sd_symtab *t)
{
	size_t i = 1;

	while (i < t->n && t->syms[i - 1].start <= t->syms[i].start)
		i++;
	if (i >= t->n) {
		/* in order already: one pass */
		fixup_sorted(t, 0);
		t->finished = true;
		t->idx_valid = false;
		return;
	}
	sort_stable(t->syms, t->n);
	fixup_end(t);
	fixup_duplicate(t);
	t->finished = true;
	t->idx_valid = false;
}

size_t sd_symtab_close_aliases(struct sd_symtab *t, size_t open,
			       const struct sd_symbol *next)
{
	bool kallsyms = t->kind == SD_SYMTAB_KALLSYMS;
	struct sd_symbol *v = t->syms;
	size_t n = t->n;

	for (size_t k = open; k < n; k++)
		fix_end(kallsyms, &v[k], k + 1 < n ? &v[k + 1] : next);
	struct sd_symbol best = v[open];
	for (size_t k = open + 1; k < n; k++)
		if (!prefer_a(t, &best, &v[k]))
			best = v[k];
	v[open] = best;
	t->n = open + 1;
	return t->n;
}

int sd_symtab_finish_ordered(struct sd_symtab *t, size_t open, size_t rest)
{
	if (rest < t->n)
		sort_stable(t->syms + rest, t->n - rest);
	fixup_sorted(t, open);
	t->finished = true;
	t->idx_valid = false;
	return 0;
}

int sd_symtab_merge_sorted(struct sd_symtab *t, size_t before)
{
	struct sd_symbol *v = t->syms, *tmp;
	size_t n = t->n, a = 0, b, k = 0;
	int err;

	/*
	 * v[0, before) is sorted; sort the few added ones, then merge them
	 * in, the old first on equal starts: the same order as a stable sort
	 * of the whole, in O(n) rather than O(n log n).
	 */
	t->idx_valid = false;
	if (before > n)
		before = n;
	if ((err = sort_by_start(v + before, n - before)))
		return err;
	if (!before || before == n || v[before - 1].start <= v[before].start)
		return 0;
	tmp = malloc((n - before) * sizeof *tmp);
	if (!tmp)
		return sort_by_start(v, n);
	memcpy(tmp, v + before, (n - before) * sizeof *tmp);
	/* merge from the back: v[0, before) and tmp into v[0, n) */
	a = before;
	b = n - before;
	k = n;
	while (a > 0 && b > 0)
		v[--k] = tmp[b - 1].start < v[a - 1].start ? v[--a] : tmp[--b];
	while (b > 0)
		v[--k] = tmp[--b];
	free(tmp);
	return 0;
}

size_t sd_symtab_size(const struct sd_symtab *t)
{
	return t ? t->n : 0;
}

const struct sd_symbol *sd_symtab_at(const struct sd_symtab *t, size_t i)
{
	if (!t || i >= t->n || !sym_demangle(t, &t->syms[i]))
		return NULL;
	return &t->syms[i];
}

/*
 * perf searches its rb-tree for a symbol with start <= addr < end.  Ends
 * never overlap the next start in kallsyms; in an ELF table a sized symbol
 * may contain later ones, so look back a few entries when the nearest does
 * not cover addr.
 */
static void build_index(struct sd_symtab *t)
{
	uint64_t base = t->syms[0].start, span = t->syms[t->n - 1].start - base;
	unsigned shift = 4;

	free(t->idx);
	t->idx = NULL;
	t->idx_valid = true; /* without memory: search the whole table */
	/* at most 2 buckets a symbol: the index stays a quarter of the table */
	while (shift < 63 && (span >> shift) >= 2 * (uint64_t)t->n)
		shift++;
	size_t nb = (size_t)(span >> shift) + 1;
	uint32_t *idx = malloc((nb + 1) * sizeof *idx);
	if (!idx)
		return;
	size_t i = 0;
	for (size_t b = 0; b < nb; b++) {
		uint64_t at = base + ((uint64_t)b << shift);
		while (i < t->n && t->syms[i].start < at)
			i++;
		idx[b] = (uint32_t)i;
	}
	idx[nb] = (uint32_t)t->n;
	t->idx = idx;
	t->idx_n = nb;
	t->idx_shift = shift;
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
		uint64_t base = t->syms[0].start;
		if (addr < base)
			return NULL; /* before the first symbol */
		uint64_t b = (addr - base) >> t->idx_shift;
		if (b < t->idx_n) {
			lo = t->idx[b];
			hi = t->idx[b + 1];
		} else {
			lo = t->n;
		}
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct sd_symbol *s = &t->syms[lo - 1];
		if (addr < s->end)
			return sym_demangle(t, s) ? s : NULL;
	}
	return NULL;
}

const struct sd_symbol *sd_symtab_find_name(const struct sd_symtab *t,
					    const char *name)
{
	if (!t || !name)
		return NULL;
	/* kallsyms names are compared where they are: copying out all of
	 * them would cost what the lazy names saved */
	size_t len = strlen(name);
	bool ktext_ok = !name[strcspn(name, "\n\t")];
	for (size_t i = 0; i < t->n; i++) {
		const struct sd_symbol *s = &t->syms[i];
		if (s->lazy == SD_SYM_LAZY_KTEXT) {
			if (!ktext_ok || !ktext_is(t, s->name, name, len))
				continue;
		} else if (!sym_demangle(t, s) || strcmp(s->name, name)) {
			continue;
		}
		return sym_demangle(t, s) ? s : NULL;
	}
	return NULL;
}

int sd_symtab_ref_addr(const struct sd_symtab *t, const char *name,
		       uint64_t *addr)
{
	const struct sd_symbol *s;

	if (!t || !name)
		return -EINVAL;
	if (!strcmp(name, "_text") && t->has_text) {
		*addr = t->text_addr;
		return 0;
	}
	if (!strcmp(name, "_stext") && t->has_stext) {
		*addr = t->stext_addr;
		return 0;
	}
	if (!strcmp(name, "_etext") && t->has_etext) {
		*addr = t->etext_addr;
		return 0;
	}
	if (!strcmp(name, "_sinittext") && t->has_sinittext) {
		*addr = t->sinittext_addr;
		return 0;
	}
	if (!strcmp(name, "_einittext") && t->has_einittext) {
		*addr = t->einittext_addr;
		return 0;
	}
	s = sd_symtab_find_name(t, name);
	if (!s)
		return -ENOENT;
	/* Report the address as loaded, before any relocation. */
	*addr = s->start - (s->module ? 0 : (uint64_t)t->reloc);
	return 0;
}

const char *sd_symtab_module(const struct sd_symtab *t, uint16_t module)
{
	if (!t || !module || module > t->modules.n)
		return NULL;
	return sd_strpool_get(&t->modules, module);
}

/*
 * perf moves only core kernel symbols (maps__split_kallsyms: "Kernel was
 * relocated at boot time"); module symbols keep their kallsyms addresses
 * and are matched through the recording's module maps.
 */
void sd_symtab_relocate(struct sd_symtab *t, int64_t delta)
{
	bool moved = false;

	if (!t || !delta)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct sd_symbol *s = &t->syms[i];
		if (s->module)
			continue;
		s->start += (uint64_t)delta;
		s->end += (uint64_t)delta;
		moved = true;
	}
	t->reloc += delta;
	t->idx_valid = false;
	if (moved)
		(void)sort_by_start(t->syms, t->n);
}

int sd_symtab_range(const struct sd_symtab *t, uint64_t *start, uint64_t *end)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	if (!t)
		return -EINVAL;
	for (size_t i = 0; i < t->n; i++) {
		const struct sd_symbol *s = &t->syms[i];
		if (s->module)
			continue;
		if (s->start < lo)
			lo = s->start;
		if (s->end > hi)
			hi = s->end;
	}
	if (lo > hi)
		return -ENOENT;
	*start = lo;
	*end = hi;
	return 0;
}
