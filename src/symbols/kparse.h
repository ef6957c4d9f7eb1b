/* SPDX-License-Identifier: MIT */
/*
 * Private to the kallsyms parser, three files: kallsyms.c (the text as a
 * whole: tables, the loop over its lines, the finish and the status),
 * kline.c (any one line, modules' and odd ones, as perf reads it) and
 * kfast.c (the runs of common core lines, in registers).  What they
 * share is here: the parse state, the per-byte tables, and the name
 * copy that must stay inlined in both line paths.
 *
 * The tables and functions are hidden: the library is built -fPIC, and a
 * default-visibility table would be reached through the GOT in the
 * per-line loop.
 */
#ifndef SD_SYMBOLS_KPARSE_H
#define SD_SYMBOLS_KPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "symbols/internal.h"

#define KPARSE_HIDDEN __attribute__((visibility("hidden")))

/* Hex digit values; 0xff for anything else. */
extern KPARSE_HIDDEN uint8_t sd_khexval[256];

/*
 * What a type letter means, one load a line: KT_KEEP for the types perf
 * keeps (T, W, D, B in either case), KT_REF for those
 * kallsyms__get_function_start() accepts (T, t, W, w, A), and the binding
 * (W weak, other upper case global, lower case local) in the bits above.
 */
#define KT_KEEP 1u
#define KT_REF 2u
#define KT_BIND_SHIFT 2
extern KPARSE_HIDDEN uint8_t sd_ktype[256];

/*
 * sd_kcheck_names[] by length, below 32: each one's first eight bytes,
 * two names at most a length -- a kept name is one of them only if its
 * first word is (two loads and compares a line, 0.41 M instructions on
 * kstorm; one slot of length and first byte took 0.3 M more).
 */
extern KPARSE_HIDDEN uint64_t sd_knoted_word[2][32];

struct parse_state {
	struct sd_symtab *t;
	const char *text; /* the text read, len bytes */
	size_t len;
	/* t->syms and t->n while the text is read (t->n is set back
	 * around calls that read it, and at the end) */
	struct sd_symbol *v;
	size_t n;
	/* a name starting before this has NAME_SLACK bytes to read */
	const char *copy_end;
	size_t names_used; /* bytes of t->names taken */
	size_t names_ready; /* of them populated */
	/* entries of t->syms ready for writing: min(cap, populated) */
	size_t syms_ready;
	uint64_t malformed, first_malformed;
	uint64_t skipped_modules;
	/* Address order so far: syms[open, n) are the aliases of the last
	 * start, not yet closed.  From rest on (the first module symbol, or
	 * the first below its predecessor) in any order, none there below
	 * rest_min.  Neither (a second read): every line appended as it
	 * comes. */
	bool in_order;
	size_t open, rest;
	uint64_t rest_min;
	/* The module of the previous module line, to skip re-interning (its
	 * name as interned: the text it came from may be overwritten). */
	const char *last_mod;
	size_t last_mod_len;
	uint16_t last_mod_id;
};

/* Bytes the names may take past their end: a name shorter than that is
 * copied whole blocks at a time (the reservation counts them in). */
#define NAME_SLACK 64

/* Copies a name of len bytes to d, whole blocks at a time (NAME_SLACK
 * bytes from name are in the text, NAME_SLACK from d in the names). */
static inline __attribute__((always_inline)) void
copy_name(char *d, const char *name, size_t len)
{
#if defined(__SSE2__)
	const __m128i *q = (const __m128i *)(const void *)name;
	__m128i *o = (__m128i *)(void *)d;
	_mm_storeu_si128(o, _mm_loadu_si128(q));
	_mm_storeu_si128(o + 1, _mm_loadu_si128(q + 1));
	if (len >= 32) {
		_mm_storeu_si128(o + 2, _mm_loadu_si128(q + 2));
		_mm_storeu_si128(o + 3, _mm_loadu_si128(q + 3));
	}
#else
	memcpy(d, name, len);
#endif
}

/* kallsyms.c: the reference symbols' addresses (see struct sd_symtab),
 * first line only; name is name_len bytes. */
KPARSE_HIDDEN void sd_knote_ref(struct sd_symtab *t, const char *name,
				size_t name_len, uint64_t addr);
/* kallsyms.c: a kept line whose first word is one of
 * sd_kcheck_names[]'s (a cold call). */
KPARSE_HIDDEN __attribute__((noinline)) void
sd_knote_name(struct sd_symtab *t, const char *name, size_t len,
	      uint64_t addr, uint16_t mod);
/* kallsyms.c: room for symbols past the n-th (the table's populated
 * part, within its capacity); 0 or an error. */
KPARSE_HIDDEN int sd_ksyms_room(struct parse_state *st, size_t n);

/* kline.c: one line, len bytes at p (without its '\n'), at byte offset
 * off; 0 or an error. */
KPARSE_HIDDEN int sd_kparse_line(struct parse_state *st, const char *p,
				 size_t len, size_t off);

/*
 * kfast.c: the common lines, "%016llx T name\n" of core kernel symbols
 * with names of up to 60 bytes, from off on while NAME_SLACK + 19 bytes
 * from a line's start are before stop (no tab there).  Returns the
 * offset of the first line left to sd_kparse_line() (with *err set if a
 * symbol could not be added).
 */
KPARSE_HIDDEN __attribute__((noinline)) size_t
sd_kfast_lines(struct parse_state *st, size_t off, size_t stop, int *err);

#endif
