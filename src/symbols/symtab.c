/* SPDX-License-Identifier: MIT */
/*
 * A symbol table: its memory (symbols, names kept as the file has them
 * or copied into an arena), names given out as perf shows them
 * (demangled), and lookups by address and name, through a bucket index
 * sized to the symbols' density (build_index()).  How a table is
 * finished -- sorted, ends fixed, aliases reduced -- is symtab_fixup.c.
 *
 * A lookup waits on memory, not on instructions (kstorm: 3.4 % of the
 * cpu-clock samples, 1.2 % of the instructions; 17.5 k of its 22 k
 * lookups land on 1.6 k kernel symbols, cold again by the next one):
 * perf annotate put a fifth of its samples on the bucket and over a
 * third on the binary search's probes into the symbols, one line after
 * another.  So the bucket's lines are asked for together before the
 * search (prefetched), and the fields a lookup reads share the table's
 * first line (struct sd_symtab).  Searching a compact array of 32-bit
 * starts instead, or a 16-ary tree of them, moved the wait to the
 * symbol finally returned, which the probes had brought in: no fewer
 * samples, and more instructions.  The index's building and a lazy
 * name's demangling are tail calls out of the lookup, which so saves no
 * register (kstorm: lookups and index 3.73 -> 3.19 M instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "symbols/internal.h"
#include "util/vmem.h"

/* sd_symtab_lookup()'s index (see build_index()) */
#define IDX_RUN 1024         /* a page of buckets */
#define IDX_MAX_PER_SYM 64   /* address space: buckets per symbol at most */
#define IDX_MAP_MIN 65536    /* buckets of an index mapped on its own */
#define IDX_SAMPLES 512      /* neighbours whose distance sets the width */

/* Zeroed room for n buckets: a large index from the kernel, its pages
 * untouched until written (calloc() may clear a block reused from the
 * heap, and a huge page would make the unwritten rest resident). */
static uint32_t *index_alloc(size_t n)
{
	if (n < IDX_MAP_MIN)
		return calloc(n, sizeof(uint32_t));
	void *p = mmap(NULL, n * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void index_free(uint32_t *idx, size_t n)
{
	if (n < IDX_MAP_MIN)
		free(idx);
	else if (idx)
		munmap(idx, n * sizeof(uint32_t));
}

struct sd_symtab *sd_symtab_new(enum sd_symtab_kind kind)
{
	/* the lookup's fields in one line (struct sd_symtab) */
	size_t size = (sizeof(struct sd_symtab) + 63) & ~(size_t)63;
	struct sd_symtab *t = aligned_alloc(64, size);

	if (!t)
		return NULL;
	*t = (struct sd_symtab){.kind = kind};
	sd_strpool_init(&t->modules);
	return t;
}

struct sd_symtab *sd_symtab_free(struct sd_symtab *t)
{
	if (!t)
		return NULL;
	sd_bigbuf_free(&t->names);
	if (t->release_names)
		t->release_names(t->names_owner);
	while (t->arena) {
		struct sd_symtab_block *b = t->arena;
		t->arena = b->next;
		free(b);
	}
	sd_strpool_fini(&t->modules);
	index_free(t->idx, t->idx_n + 1);
	if (t->syms_big.p)
		sd_bigbuf_free(&t->syms_big);
	else
		free(t->syms);
	free(t);
	return NULL;
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

/* Room for len bytes and a NUL in the table's arena, or NULL. */
static char *arena_alloc(struct sd_symtab *t, size_t len)
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
	b->used += len + 1;
	p[len] = '\0';
	return p;
}

const char *sd_symtab_strdup(struct sd_symtab *t, const char *s, size_t len)
{
	char *p = arena_alloc(t, len);

	if (p)
		memcpy(p, s, len);
	return p;
}

const char *sd_symtab_plt_name(struct sd_symtab *t, const char *name)
{
	size_t len = strnlen(name, SD_PLT_NAME_MAX);
	size_t all = len + 4 < SD_PLT_NAME_MAX ? len + 4 : SD_PLT_NAME_MAX;
	char *p = arena_alloc(t, all);

	if (p) {
		memcpy(p, name, len);
		memcpy(p + len, "@plt", all - len);
	}
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
 * ELF symbol names are demangled, and cut at SD_SYM_NAME_MAX, on first
 * use -- when a lookup returns them or a duplicate has to be chosen by
 * name -- not when the table is loaded: a C++ DSO has tens of thousands of
 * names and a recording hits a handful.  So are the PLT entries' names
 * that may be mangled, "@plt" appended then.  The table is logically const to
 * its readers; this only fills in a name.
 */
void sd_symtab_name_ready(const struct sd_symtab *ct,
			  const struct sd_symbol *cs)
{
	struct sd_symbol *s = (struct sd_symbol *)cs;
	struct sd_symtab *t = (struct sd_symtab *)ct;
	const char *copy = NULL;

	if (!s->lazy)
		return;
	unsigned lazy = s->lazy;
	char *dem = lazy != SD_SYM_LAZY_LENGTH ? sd_demangle(s->name) : NULL;
	s->lazy = 0;
	if (lazy == SD_SYM_LAZY_PLT) {
		copy = sd_symtab_plt_name(t, dem ? dem : s->name);
		free(dem);
	} else if (dem) {
		copy = sd_symtab_strdup(t, dem, strnlen(dem, SD_SYM_NAME_MAX));
		free(dem);
	} else if (strnlen(s->name, SD_SYM_NAME_MAX + 1) > SD_SYM_NAME_MAX) {
		copy = sd_symtab_strdup(t, s->name, SD_SYM_NAME_MAX);
	}
	if (copy)
		s->name = copy;
}

size_t sd_symtab_size(const struct sd_symtab *t)
{
	return t ? t->n : 0;
}

const struct sd_symbol *sd_symtab_at(const struct sd_symtab *t, size_t i)
{
	if (!t || i >= t->n)
		return NULL;
	sd_symtab_name_ready(t, &t->syms[i]);
	return &t->syms[i];
}

/*
 * perf searches its rb-tree for a symbol with start <= addr < end.  Ends
 * never overlap the next start in kallsyms; in an ELF table a sized symbol
 * may contain later ones, so look back a few entries when the nearest does
 * not cover addr.
 *
 * The index's buckets are as wide as the symbols are dense where they
 * lie, not as the table's whole range is wide: a kernel's range is a
 * gigabyte, its modules' above its text, and buckets of 2 per symbol
 * over all of it held 160 symbols on average where the text is (kstorm),
 * a binary search of 7 probes a lookup (callgrind: 1.3 M instructions
 * for 23 k lookups, now 0.1 M).  The width is the largest at which a
 * quarter of the neighbours (IDX_SAMPLES pairs of them, spread over the
 * table) fall into different buckets: the highest bit in which a pair
 * differs says at which widths; wider if more than 2 buckets a symbol
 * would be written (the same pairs say).  The buckets of a wide gap are not
 * written past IDX_RUN: they stay 0 (mapped untouched for a large index)
 * and send a lookup there to the whole table.  So the written buckets
 * follow the symbols (kstorm: 182 KB for 2 MB of symbols, was 256 KB),
 * whatever the range.
 */
/* The buckets build_index() writes at a width of 1 << shift for the
 * pairs of neighbours index_shift() samples. */
static size_t written(const struct sd_symbol *v, size_t n, size_t step,
		      unsigned shift)
{
	uint64_t base = v[0].start;
	size_t w = 0;

	for (size_t i = 1; i < n; i += step) {
		uint64_t g = ((v[i].start - base) >> shift) -
			     ((v[i - 1].start - base) >> shift);
		w += g < IDX_RUN ? (size_t)g : IDX_RUN;
	}
	return w;
}

static unsigned index_shift(const struct sd_symbol *v, size_t n)
{
	uint64_t base = v[0].start, span = v[n - 1].start - base;
	size_t hist[64] = {0}, pairs = 0, occupied = 0;
	size_t step = n / IDX_SAMPLES + 1;
	unsigned shift = 63;

	for (size_t i = 1; i < n; i += step, pairs++) {
		uint64_t x = (v[i].start - base) ^ (v[i - 1].start - base);
		hist[x ? 63 - __builtin_clzll(x) : 0]++;
	}
	/* occupied: of the pairs, those apart at width 1 << shift */
	while (shift > 4 && (occupied + hist[shift]) * 4 < pairs)
		occupied += hist[shift--];
	while (shift < 63 && (span >> shift) >= IDX_MAX_PER_SYM * (uint64_t)n)
		shift++;
	/* memory: as the index was, at most 2 buckets written a symbol */
	while (shift < 63 && written(v, n, step, shift) > 2 * pairs)
		shift++;
	return shift;
}

/* Out of the lookup's line: inlined, it made every lookup save and
 * restore six registers (kstorm: 14 instructions for each of 23.6 k). */
static __attribute__((noinline)) void build_index(struct sd_symtab *t)
{
	const struct sd_symbol *v = t->syms;
	size_t n = t->n;
	uint64_t base = v[0].start;
	unsigned shift = index_shift(v, n);

	index_free(t->idx, t->idx_n + 1);
	t->idx = NULL;
	t->idx_valid = true; /* without memory: search the whole table */
	size_t nb = (size_t)((v[n - 1].start - base) >> shift) + 1;
	/* idx[b] is 1 + the first symbol at or after bucket b, 0 unknown */
	uint32_t *idx = index_alloc(nb + 1);
	if (!idx)
		return;
	size_t prev = 0;
	/* where bucket prev + 1 starts: a symbol below it is still in prev,
	 * told by one compare (with a pointer for a counter: kstorm 1.48 ->
	 * 1.19 M instructions); if the sum wraps (the last bucket), every
	 * symbol left takes the division */
	uint64_t next = base + ((uint64_t)1 << shift);
	idx[0] = 1;
	for (const struct sd_symbol *s = v + 1, *e = v + n; s < e; s++) {
		if (s->start < next)
			continue;
		size_t b = (size_t)((s->start - base) >> shift);
		if (b == prev)
			continue;
		next = base + ((uint64_t)(b + 1) << shift);
		uint32_t at = (uint32_t)(s - v) + 1;
		if (b == prev + 1) { /* the common step, without the run */
			idx[b] = at;
			prev = b;
			continue;
		}
		size_t upto = b - prev > IDX_RUN ? prev + IDX_RUN : b;
		for (size_t k = prev + 1; k <= upto; k++)
			idx[k] = at;
		idx[b] = at;
		prev = b;
	}
	idx[nb] = (uint32_t)n + 1;
	t->idx = idx;
	t->idx_n = nb;
	t->idx_base = base;
	t->idx_shift = shift;
}

/*
 * sd_symtab_lookup()'s rare turns, out of its line and reached by a tail
 * call: so the lookup keeps nothing across a call and saves no register
 * (kstorm: 8 instructions less for each of 23.6 k lookups).
 */
static __attribute__((noinline)) const struct sd_symbol *
lookup_indexed(const struct sd_symtab *t, uint64_t addr)
{
	/* logically const: the index is a cache (see sym_demangle) */
	build_index((struct sd_symtab *)t);
	return sd_symtab_lookup(t, addr);
}

static __attribute__((noinline)) const struct sd_symbol *
lookup_named(const struct sd_symtab *t, const struct sd_symbol *s)
{
	sd_symtab_name_ready(t, s);
	return s;
}

const struct sd_symbol *sd_symtab_lookup(const struct sd_symtab *t,
					 uint64_t addr)
{
	size_t lo = 0, hi;

	if (!t || !t->n)
		return NULL;
	if (!t->idx_valid && t->n < UINT32_MAX)
		return lookup_indexed(t, addr);
	hi = t->n;
	if (t->idx) {
		uint64_t base = t->idx_base;
		if (addr < base)
			return NULL; /* before the first symbol */
		uint64_t b = (addr - base) >> t->idx_shift;
		if (b >= t->idx_n) {
			lo = t->n;
		} else if (t->idx[b] && t->idx[b + 1]) {
			lo = t->idx[b] - 1;
			hi = t->idx[b + 1] - 1;
			/* the bucket's symbols and the one before it, whose
			 * end the look-back reads: their lines asked for at
			 * once, not one probe after another */
			const struct sd_symbol *f = &t->syms[lo ? lo - 1 : 0];
			__builtin_prefetch(f);
			__builtin_prefetch(f + (hi - lo) / 2);
			__builtin_prefetch(&t->syms[hi - 1]);
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
		if (addr < s->end) {
			/* the test here: most names are ready (a call a
			 * lookup was 0.27 M instructions on kstorm) */
			if (s->lazy)
				return lookup_named(t, s);
			return s;
		}
	}
	return NULL;
}

const struct sd_symbol *sd_symtab_find_name(const struct sd_symtab *t,
					    const char *name)
{
	if (!t || !name)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct sd_symbol *s = &t->syms[i];
		sd_symtab_name_ready(t, s);
		if (!strcmp(s->name, name))
			return s;
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
