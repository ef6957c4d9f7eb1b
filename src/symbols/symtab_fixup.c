/* SPDX-License-Identifier: MIT */
/*
 * Finishing a symbol table as perf does once all symbols of an object
 * are in (tools/perf/util/symbol.c in perf 6.1), and moving it:
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
 *   Choosing by name compares the names perf shows, demangled; a C++
 *   constructor's or destructor's twin aliases are known to show the same
 *   name without demangling either (twins.c; dso.data: 3 026 of 4 654
 *   such choices, 22 M instructions, 2.6 % of the run; with template
 *   arguments in the class's name 534 more, sd_symtab_finish() 20.18 ->
 *   14.34 M).
 *
 * The stable sort is an LSD radix sort (sort_by_start()) whose two or
 * three digits a start are counted in one scan without a loop over them,
 * and an ELF table sorted in an odd number of passes takes the sorted
 * copy rather than copying it back (dso.data: 12.28 -> 7.6 M
 * instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/internal.h"
#include "util/vmem.h"

/* Radix digits at most this wide: 2^11 counts (8 KiB) a pass. */
#define DIGIT_MAX 11

/*
 * Stable sort by start: a sorted input (kallsyms) costs one scan; any
 * other an LSD radix sort over the bits where the starts differ (an ELF
 * table's span the text's size: 17 to 27 bits), in as few passes of
 * digits of up to DIGIT_MAX bits as they need -- two or three linear
 * passes instead of log2(n) merge passes, each digit counted in one scan.
 * moved: if not NULL, v is a malloc()ed table that may be replaced: after
 * an odd number of passes *moved is set to the malloc()ed array of the n
 * sorted symbols instead of their being copied back into v (dso: 6 of 33
 * tables, -2.4 M instructions).
 */
static int sort_by_start(struct sd_symbol *v, size_t n,
			 struct sd_symbol **moved)
{
	size_t i;
	struct sd_symbol *tmp, *src, *dst;

	for (i = 1; i < n && v[i - 1].start <= v[i].start; i++)
		;
	if (i >= n)
		return 0;
	uint64_t diff = 0;
	for (i = 1; i < n; i++)
		diff |= v[i].start ^ v[0].start;
	unsigned lo = (unsigned)__builtin_ctzll(diff);
	unsigned bits = 64 - (unsigned)__builtin_clzll(diff) - lo;
	unsigned passes = (bits + DIGIT_MAX - 1) / DIGIT_MAX;
	unsigned width = (bits + passes - 1) / passes;
	size_t radix = (size_t)1 << width, mask = radix - 1;

	tmp = moved ? malloc(n * sizeof *tmp)
		    : sd_vmem_resize(NULL, 0, n * sizeof *tmp);
	if (!tmp)
		return -ENOMEM;
	uint32_t *cnt = calloc(passes * radix, sizeof *cnt);
	if (!cnt) {
		if (moved)
			free(tmp);
		else
			sd_vmem_free(tmp, n * sizeof *tmp);
		return -ENOMEM;
	}
	/* every digit counted in one scan; the usual two or three passes
	 * without a loop over them (dso: -1.5 M instructions) */
	if (passes == 2) {
		uint32_t *c1 = cnt + radix;
		for (i = 0; i < n; i++) {
			uint64_t u = v[i].start >> lo;
			cnt[u & mask]++;
			c1[(u >> width) & mask]++;
		}
	} else if (passes == 3) {
		uint32_t *c1 = cnt + radix, *c2 = cnt + 2 * radix;
		for (i = 0; i < n; i++) {
			uint64_t u = v[i].start >> lo;
			cnt[u & mask]++;
			c1[(u >> width) & mask]++;
			c2[(u >> 2 * width) & mask]++;
		}
	} else {
		for (i = 0; i < n; i++) {
			uint64_t u = v[i].start >> lo;
			for (unsigned p = 0; p < passes; p++, u >>= width)
				cnt[p * radix + (u & mask)]++;
		}
	}
	src = v;
	dst = tmp;
	for (unsigned p = 0; p < passes; p++) {
		uint32_t *c = cnt + p * radix;
		unsigned shift = lo + p * width;
		if (c[(v[0].start >> shift) & mask] == n)
			continue; /* every start has this digit */
		uint32_t at = 0;
		for (size_t d = 0; d < radix; d++) {
			uint32_t k = c[d];
			c[d] = at;
			at += k;
		}
		for (i = 0; i < n; i++)
			dst[c[(src[i].start >> shift) & mask]++] = src[i];
		struct sd_symbol *s = src;
		src = dst;
		dst = s;
	}
	free(cnt);
	if (moved) {
		if (src != v)
			*moved = src;
		else
			free(tmp);
		return 0;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	sd_vmem_free(tmp, n * sizeof *tmp);
	return 0;
}

static size_t underscores(const struct sd_symbol *s)
{
	size_t n = 0;

	while (s->name[n] == '_')
		n++;
	return n;
}

/* strlen of the name as perf holds it: kallsyms keeps "name\t[module]". */
static size_t perf_name_len(const struct sd_symtab *t, const struct sd_symbol *s)
{
	size_t len = strlen(s->name);

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
	/* the same name either way: the first one */
	if (a->lazy == SD_SYM_LAZY_DEMANGLE && b->lazy == SD_SYM_LAZY_DEMANGLE &&
	    sd_ctor_dtor_twins(a->name, b->name))
		return true;
	sd_symtab_name_ready(t, a);
	sd_symtab_name_ready(t, b);
	ua = underscores(a);
	ub = underscores(b);
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
 * symbols__fixup_end() and symbols__fixup_duplicate() in one pass over
 * syms[from, n), in order (sorted): a symbol's end depends only on it and the one after it
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

/* Stable by start; without memory for the radix sort, by insertion.
 * moved as sort_by_start() has it. */
static void sort_stable(struct sd_symbol *v, size_t n, struct sd_symbol **moved)
{
	if (sort_by_start(v, n, moved) == 0)
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

/* Sorted (one scan if in order already), then ends and aliases in one
 * pass. */
void sd_symtab_finish(struct sd_symtab *t)
{
	struct sd_symbol *moved = NULL;

	/* a malloc()ed table (not reserved big) may be replaced */
	sort_stable(t->syms, t->n, t->syms_big.p ? NULL : &moved);
	if (moved) {
		free(t->syms);
		t->syms = moved;
		t->cap = t->n;
	}
	fixup_sorted(t, 0);
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
		sort_stable(t->syms + rest, t->n - rest, NULL);
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
	if ((err = sort_by_start(v + before, n - before, NULL)))
		return err;
	if (!before || before == n || v[before - 1].start <= v[before].start)
		return 0;
	tmp = malloc((n - before) * sizeof *tmp);
	if (!tmp)
		return sort_by_start(v, n, NULL);
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
		(void)sort_by_start(t->syms, t->n, NULL);
}
