/* SPDX-License-Identifier: MIT */
/*
 * Kallsyms text, as perf 6.1 reads it (kallsyms__parse() and
 * map__process_kallsym_symbol() in tools/perf/util/symbol.c):
 *
 *   line  := HEX ' ' TYPE ' ' NAME [ '\t' '[' MODULE ']' ] '\n'
 *
 * - HEX: at least one hex digit, then a space, else the line is skipped;
 * - TYPE: kept if toupper(TYPE) is T, W, D or B; binding W -> weak,
 *   upper case -> global, lower case -> local;
 * - NAME: names starting with '$' (ARM mapping symbols) are skipped, and
 *   so are "__pfx_" function-padding symbols, as perf >= 6.3 does;
 * - every kept symbol starts with size 0; ends come from the fix-up in
 *   symtab.c.
 *
 * One pass over the file's text, mapped (or read, for /proc files and
 * zstd), which is let go once read: a kept symbol's name is copied out
 * of it into the table's names as its line is read.  Half of a 6.2+
 * kernel's lines are "__pfx_" padding and a name is about half of its
 * line, so the names hold a third of the text (kstorm: 1.7 of 5.4 MB)
 * and the table no longer keeps the whole text resident for the run.
 * The lines come in address
 * order (all of the core kernel's; modules follow, above it), so the
 * table is finished as it fills -- each symbol's end set and aliases
 * reduced when the next start comes (sd_symtab_close_aliases()) --
 * instead of sorted and scanned again afterwards.  The common line (16
 * hex digits, a core kernel symbol, a name of up to 60 bytes) takes a
 * short path, fast_lines(): 16-byte loads at the line's start give
 * its digits (checked and valued without a branch each), its two spaces
 * and its '\n' (the line's end: no search, no per-block mask), "__pfx_"
 * is one word compared, the type one table look-up, and the parse state
 * lives in registers for the run of such lines; tabs (modules) are found
 * by one memchr() over the text up to the next tab, not one per line,
 * and any other line is parse_line()'s.  A kept line adds no counter of
 * its own: whether any address was not zero is the finished (sorted)
 * table's last start (callgrind, kstorm.kallsyms: 16.35 -> 15.76 M
 * instructions with '\n' masks of 64-byte blocks, 11.69 M now).
 * A kept name is noted where it is one kcheck.c's release check asks
 * about (sd_kcheck_names[], note_name()), so that the check does not read
 * every name again (kstorm: parse_text 11.69 -> 12.10 M instructions,
 * sd_kcheck_settle() 1.37 -> 0.18 M).
 * While the lines are in order every open symbol is a core one (a
 * module's line first, or after the core, ends the order), so a lone
 * symbol's end is the next start without a test of its module
 * (parse_text 12.10 -> 11.97 M).
 * The short path does add_kept()'s work itself, in registers: the
 * symbols and names written through pointers, room made once for many
 * lines (fast_room()), the open start's address at hand so that a later
 * start closes a lone symbol with one compare and one store (anything
 * else to order_rest()); the spaces, "__pfx_" and a leading '_' are one
 * 16-byte compare against line_pat, and the digits' letter mask is
 * computed once for the check and the value (parse_text 11.97 -> 9.93 M
 * instructions on kstorm, 81 a line).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/internal.h"
#include "symbols/kscan.h"

/* Hex digit values; 0xff for anything else. */
static uint8_t hexval[256];

/*
 * What a type letter means, one load a line: KT_KEEP for the types perf
 * keeps (T, W, D, B in either case), KT_REF for those
 * kallsyms__get_function_start() accepts (T, t, W, w, A), and the binding
 * (W weak, other upper case global, lower case local) in the bits above.
 */
#define KT_KEEP 1u
#define KT_REF 2u
#define KT_BIND_SHIFT 2
static uint8_t ktype[256];

/*
 * sd_kcheck_names[] by length, below 32: each one's first eight bytes,
 * two names at most a length -- a kept name is one of them only if its
 * first word is (two loads and compares a line, 0.41 M instructions on
 * kstorm; one slot of length and first byte took 0.3 M more).  noted_ok:
 * the names fit (else nothing is noted and kcheck.c reads every name).
 */
static uint64_t noted_word[2][32];
static bool noted_ok;

static void init_tables(void)
{
	if (hexval['0'] == 0 && hexval['1'] == 1)
		return;
	for (int c = 'A'; c <= 'Z'; c++)
		ktype[c] = SD_BIND_GLOBAL << KT_BIND_SHIFT;
	for (const char *k = "TWDBtwdb"; *k; k++)
		ktype[(uint8_t)*k] |= KT_KEEP;
	for (const char *r = "TtWwA"; *r; r++)
		ktype[(uint8_t)*r] |= KT_REF;
	ktype['W'] = (uint8_t)((ktype['W'] & 3u) |
			       SD_BIND_WEAK << KT_BIND_SHIFT);
	memset(hexval, 0xff, sizeof hexval);
	for (int c = 'a'; c <= 'f'; c++)
		hexval[c] = (uint8_t)(c - 'a' + 10);
	for (int c = 'A'; c <= 'F'; c++)
		hexval[c] = (uint8_t)(c - 'A' + 10);
	noted_ok = true;
	for (size_t i = 0; i < SD_KCHECK_NAMES; i++) {
		const char *nm = sd_kcheck_names[i];
		size_t len = strlen(nm);
		uint64_t w;
		memcpy(&w, nm, sizeof w);
		if (len < 8 || len >= 32 || noted_word[1][len])
			noted_ok = false;
		else
			noted_word[noted_word[0][len] != 0][len] = w;
	}
	/* the digits last: hexval['1'] == 1 says all is done */
	for (int c = '0'; c <= '9'; c++)
		hexval[c] = (uint8_t)(c - '0');
}

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

static void malformed(struct parse_state *st, size_t off)
{
	if (!st->malformed++)
		st->first_malformed = off;
}

static int module_id(struct parse_state *st, const char *m, size_t len,
		     uint16_t *id)
{
	uint32_t v;

	if (st->last_mod && st->last_mod_len == len &&
	    !memcmp(st->last_mod, m, len)) {
		*id = st->last_mod_id;
		return 0;
	}
	v = sd_strpool_intern(&st->t->modules, m, len);
	if (!v)
		return -ENOMEM;
	if (v > SD_KALLSYMS_MAX_MODULES)
		return -SD_E_LIMIT;
	st->last_mod = sd_strpool_get(&st->t->modules, v);
	st->last_mod_len = len;
	st->last_mod_id = (uint16_t)v;
	*id = (uint16_t)v;
	return 0;
}

/* The reference symbols' addresses (see struct sd_symtab), first line
 * only; name is name_len bytes. */
static void note_ref(struct sd_symtab *t, const char *name, size_t name_len,
		     uint64_t addr)
{
	switch (name_len) {
	case 5:
		if (!t->has_text && !memcmp(name, "_text", 5)) {
			t->has_text = true;
			t->text_addr = addr;
		}
		break;
	case 6:
		if (!t->has_stext && !memcmp(name, "_stext", 6)) {
			t->has_stext = true;
			t->stext_addr = addr;
		} else if (!t->has_etext && !memcmp(name, "_etext", 6)) {
			t->has_etext = true;
			t->etext_addr = addr;
		}
		break;
	case 10:
		if (!t->has_sinittext && !memcmp(name, "_sinittext", 10)) {
			t->has_sinittext = true;
			t->sinittext_addr = addr;
		} else if (!t->has_einittext &&
			   !memcmp(name, "_einittext", 10)) {
			t->has_einittext = true;
			t->einittext_addr = addr;
		}
		break;
	}
}

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

/* The table's copy of a name, len bytes of the text, NUL-terminated;
 * NULL if it cannot be made ready. */
static const char *keep_name(struct parse_state *st, const char *name,
			     size_t len)
{
	size_t at = st->names_used;

	if (at + len + NAME_SLACK > st->names_ready) {
		struct sd_bigbuf *b = &st->t->names;
		if (sd_bigbuf_ensure(b, at + len + NAME_SLACK) < 0)
			return NULL;
		st->names_ready = b->populated;
	}
	char *d = st->t->names.p + at;
	if (len < NAME_SLACK && name < st->copy_end)
		copy_name(d, name, len);
	else
		memcpy(d, name, len);
	d[len] = '\0';
	st->names_used = at + len + 1;
	return d;
}

/* A kept line whose first word is one of sd_kcheck_names[]'s. */
static __attribute__((noinline)) void note_name(struct sd_symtab *t,
						const char *name, size_t len,
						uint64_t addr, uint16_t mod)
{
	for (size_t i = 0; i < SD_KCHECK_NAMES; i++) {
		if (strlen(sd_kcheck_names[i]) != len ||
		    memcmp(sd_kcheck_names[i], name, len))
			continue;
		if (t->nr_noted == SD_NOTED_MAX)
			t->noted_all = false;
		else
			t->noted[t->nr_noted++] = (struct sd_noted){
				.name = name, .addr = addr, .module = mod != 0};
		return;
	}
}

/* Room for symbols past the n-th (the table's populated part, within
 * its capacity), for add_kept() and fast_room(); 0 or an error. */
static int syms_room(struct parse_state *st, size_t n)
{
	struct sd_symtab *t = st->t;

	t->n = n;
	int err = sd_symtab_room(t);
	if (err)
		return err;
	size_t ready = t->syms_big.populated / sizeof *t->syms;
	st->syms_ready = ready < t->cap ? ready : t->cap;
	return 0;
}

/* A kept symbol, its name name_len bytes of the text, the table finished
 * up to it while the lines come in order. */
static int add_kept(struct parse_state *st, uint64_t addr, const char *name,
		    size_t name_len, uint8_t kt, uint16_t mod)
{
	struct sd_symtab *t = st->t;
	size_t n = st->n;

	if (n >= st->syms_ready) {
		int err = syms_room(st, n);
		if (err)
			return err;
	}
	const char *copy = keep_name(st, name, name_len);
	if (!copy)
		return -ENOMEM;
	if (name_len < 32) {
		/* the copy has NAME_SLACK bytes of room after it */
		uint64_t w;
		memcpy(&w, copy, sizeof w);
		if (w == noted_word[0][name_len] || w == noted_word[1][name_len])
			note_name(t, copy, name_len, addr, mod);
	}
	struct sd_symbol *v = st->v;
	if (st->in_order && n) {
		struct sd_symbol *o = &v[st->open];
		if (addr > o->start && !mod) {
			/* fix_end() of symtab.c for a lone symbol: in order,
			 * o is a core symbol too (the first module symbol
			 * ends the order) */
			if (st->open + 1 == n)
				o->end = addr;
			else {
				t->n = n;
				n = sd_symtab_close_aliases(
					t, st->open,
					&(struct sd_symbol){.start = addr,
							    .module = mod});
			}
			st->open = n;
		} else if (addr < o->start || mod) {
			/* the modules (in their own order), or disorder */
			st->in_order = false;
			st->rest = n;
			st->rest_min = addr;
		}
	} else if (!st->in_order) {
		if (addr < st->rest_min)
			st->rest_min = addr;
	} else if (mod) {
		/* a module's symbol first: nothing is in order (so that an
		 * open symbol in order is always a core one) */
		st->in_order = false;
		st->rest = 0;
		st->rest_min = addr;
	}
	v[n] = (struct sd_symbol){.start = addr,
				  .end = addr,
				  .name = copy,
				  .binding = (uint8_t)(kt >> KT_BIND_SHIFT),
				  .module = mod};
	st->n = n + 1;
	return 0;
}

/* Whether a name of len bytes is a "__pfx_" padding symbol. */
static inline bool is_pfx(const char *name, size_t len)
{
	return len >= 6 && !memcmp(name, "__pfx_", 6);
}

/* One line, len bytes at p (without its '\n'), at byte offset off. */
static int parse_line(struct parse_state *st, const char *p, size_t len,
		      size_t off)
{
	uint64_t addr = 0;
	size_t i = 0, ndig = 0;
	const char *name, *tab = NULL;
	char type;
	size_t name_len;
	uint16_t mod = 0;

	while (i < len && hexval[(uint8_t)p[i]] != 0xff) {
		addr = addr << 4 | hexval[(uint8_t)p[i]];
		i++;
		ndig++;
	}
	/* The name runs to the line's end; a tab in it starts
	 * "\t[module]". */
	if (len > i)
		tab = memchr(p + i, '\t', len - i);
	if (!ndig || ndig > 16 || i + 3 > len || p[i] != ' ' ||
	    p[i + 2] != ' ') {
		if (len)
			malformed(st, off);
		return 0;
	}
	type = p[i + 1];
	name = p + i + 3;
	name_len = len - (i + 3);
	if (!name_len || (tab && tab < name)) {
		malformed(st, off);
		return 0;
	}

	uint8_t kt = ktype[(uint8_t)type];
	if (tab) {
		const char *m = tab + 1;
		size_t mlen = name_len - (size_t)(m - name);
		if (mlen < 3 || m[0] != '[' || m[mlen - 1] != ']' ||
		    tab == name) {
			malformed(st, off);
			return 0;
		}
		name_len = (size_t)(tab - name);
		if ((kt & KT_KEEP) && name[0] != '$') {
			int err = module_id(st, m + 1, mlen - 2, &mod);
			if (err == -SD_E_LIMIT) {
				st->skipped_modules++;
				return 0;
			}
			if (err)
				return err;
		}
	}
	if (name_len > SD_KSYM_NAME_LEN) {
		malformed(st, off);
		return 0;
	}

	if (!mod && (kt & KT_REF) && name[0] == '_')
		note_ref(st->t, name, name_len, addr);
	if (name[0] == '_' && is_pfx(name, name_len)) {
		st->t->nr_pfx++;
		return 0;
	}
	if (!(kt & KT_KEEP) || name[0] == '$')
		return 0;
	return add_kept(st, addr, name, name_len, kt, mod);
}

/* The short path reads FAST_SPAN bytes from a line's start: its '\n'
 * among the first 80 (a name of up to FAST_NAME_MAX bytes at 19),
 * copied NAME_SLACK bytes. */
#define FAST_SPAN (19 + NAME_SLACK)
#define FAST_NAME_MAX (80 - 1 - 19)

/*
 * Bytes 16 to 31 of a line as the short path compares them at once
 * (match16()): the spaces around the type (bits 0 and 2), a name's
 * leading '_'s (bits 3, 4) and "__pfx_" (bits 3 to 8); the type's and
 * the rest's bytes are not looked at.
 */
static const char line_pat[16] = {' ', 0, ' ', '_', '_', 'p', 'f', 'x', '_'};
#define PAT_SPACES 0x5u
#define PAT_PFX 0x1f8u
#define PAT_UNDERSCORES 0x18u

/*
 * Room for the kept lines the short path adds from here, n symbols in
 * the table: *budget of them at least (all of them NAME_SLACK bytes past
 * a name of FAST_NAME_MAX bytes at most) before it must ask again; 0 or
 * an error, as add_kept() has them.  The room asked for never passes the
 * names' reservation: no name is longer than its line, and this one's
 * FAST_SPAN bytes are in the text.
 */
static __attribute__((noinline)) int fast_room(struct parse_state *st,
					       size_t n, size_t used,
					       size_t *budget)
{
	struct sd_symtab *t = st->t;

	if (n >= st->syms_ready) {
		int err = syms_room(st, n);
		if (err)
			return err;
	}
	if (used + FAST_NAME_MAX + 1 + NAME_SLACK > st->names_ready) {
		struct sd_bigbuf *b = &t->names;
		if (sd_bigbuf_ensure(b, used + FAST_NAME_MAX + 1 + NAME_SLACK) <
		    0)
			return -ENOMEM;
		st->names_ready = b->populated;
	}
	size_t by_names =
		(st->names_ready - used - NAME_SLACK) / (FAST_NAME_MAX + 1);
	size_t by_syms = st->syms_ready - n;
	*budget = by_names < by_syms ? by_names : by_syms;
	return 0;
}

/*
 * add_kept()'s bookkeeping of the order for a core symbol at addr that
 * does not close the open start (the first symbol, an alias, disorder, or
 * any while out of order), n symbols before it.
 */
static __attribute__((noinline)) void order_rest(struct parse_state *st,
						 size_t n, uint64_t addr)
{
	if (!st->in_order) {
		if (addr < st->rest_min)
			st->rest_min = addr;
	} else if (n && addr < st->v[st->open].start) {
		st->in_order = false;
		st->rest = n;
		st->rest_min = addr;
	}
}

/*
 * The common lines, "%016llx T name\n" of core kernel symbols with names
 * of up to FAST_NAME_MAX bytes, from off on while FAST_SPAN bytes from a
 * line's start are before stop (no tab there): each line's end, spaces,
 * digits and "__pfx_" checked from 16-byte loads (four for a name of up
 * to 28 bytes), no search.  add_kept()'s work for such a line is done
 * here, in registers -- the write positions as pointers, the open start's
 * address at hand, room made once for many lines (fast_room()) -- and a
 * later start closing a lone symbol (almost all of them) costs one
 * compare and one store.  Returns the offset of the first line left to
 * parse_line() (with *err set if a symbol could not be added).
 */
static __attribute__((noinline)) size_t
fast_lines(struct parse_state *st, size_t off, size_t stop,
	   int *err)
{
	if (off + FAST_SPAN > stop)
		return off;
	struct sd_symtab *t = st->t;
	const char *text = st->text, *p = text + off;
	const char *last = text + stop - FAST_SPAN;
	struct sd_symbol *v = st->v, *w = v + st->n, *o = v + st->open;
	/* o's start while the lines are in order and it is open, else
	 * UINT64_MAX: no start above it, every one to order_rest() */
	uint64_t open_start =
		st->in_order && st->n ? o->start : UINT64_MAX;
	char *names = t->names.p, *nw = names + st->names_used;
	size_t budget = 0;
	uint64_t nr_pfx = 0;

	while (p <= last) {
		hex16_t h = hex16_load(p);
		uint64_t m = match16(p + 16, line_pat);
		/* the '\n's of p[16, 48): none before the name's second byte */
		uint64_t nl = eq16(p + 16, '\n') | eq16(p + 32, '\n') << 16;
		if ((m & PAT_SPACES) != PAT_SPACES || (nl & 15) ||
		    !hex16_ok(h))
			break;
		if (!nl && !(nl = eq16(p + 48, '\n') << 32) &&
		    !(nl = eq16(p + 64, '\n') << 48))
			break;
		size_t eol = 16 + (size_t)__builtin_ctzll(nl);
		if ((m & PAT_PFX) == PAT_PFX) {
			/* "__pfx_" padding, half of a 6.2+ kernel's lines:
			 * no address needed */
			nr_pfx++;
			p += eol + 1;
			continue;
		}
		const char *name = p + 19;
		size_t name_len = eol - 19;
		uint8_t kt = ktype[(uint8_t)p[17]];
		if ((m & PAT_UNDERSCORES) == 8 && (kt & KT_REF))
			note_ref(t, name, name_len, hex16_value(h));
		if (!(kt & KT_KEEP) || name[0] == '$') {
			p += eol + 1;
			continue;
		}
		if (!budget &&
		    (*err = fast_room(st, (size_t)(w - v), (size_t)(nw - names),
				      &budget)))
			break;
		budget--;
		uint64_t addr = hex16_value(h);
		copy_name(nw, name, name_len);
		nw[name_len] = '\0';
		if (name_len < 32) {
			uint64_t wd;
			memcpy(&wd, nw, sizeof wd);
			if (wd == noted_word[0][name_len] ||
			    wd == noted_word[1][name_len])
				note_name(t, nw, name_len, addr, 0);
		}
		if (addr > open_start) {
			/* fix_end() of symtab.c for a lone symbol */
			if (o + 1 == w) {
				o->end = addr;
			} else {
				t->n = (size_t)(w - v);
				w = v + sd_symtab_close_aliases(
						t, (size_t)(o - v),
						&(struct sd_symbol){.start = addr});
			}
			o = w;
			open_start = addr;
		} else {
			st->open = (size_t)(o - v);
			order_rest(st, (size_t)(w - v), addr);
			open_start = st->in_order ? addr : UINT64_MAX;
		}
		*w++ = (struct sd_symbol){.start = addr,
					  .end = addr,
					  .name = nw,
					  .binding = (uint8_t)(kt >> KT_BIND_SHIFT)};
		nw += name_len + 1;
		p += eol + 1;
	}
	st->n = (size_t)(w - v);
	st->open = (size_t)(o - v);
	st->names_used = (size_t)(nw - names);
	t->nr_pfx += nr_pfx;
	return (size_t)(p - text);
}

/* Reads every line of the table's text into it; 0 or an error (a
 * diagnostic said which). */
static int parse_text(struct parse_state *st, struct sd_diags *diags)
{
	const char *text = st->text;
	size_t off = 0, len = st->len;
	/* the first tab at or after off, or len */
	size_t next_tab = 0;
	int err = 0;

	st->v = st->t->syms;
	st->n = st->t->n;
	while (off < len) {
		if (next_tab < off) {
			const char *tab = memchr(text + off, '\t', len - off);
			next_tab = tab ? (size_t)(tab - text) : len;
		}
		off = fast_lines(st, off, next_tab, &err);
		if (err || off >= len)
			break;
		/* a line of another kind, a module's, or near the end */
		const char *nl = memchr(text + off, '\n', len - off);
		size_t eol = nl ? (size_t)(nl - text) : len;
		err = parse_line(st, text + off, eol - off, off);
		if (err)
			break;
		off = eol + 1;
	}
	st->t->n = st->n;
	if (err == -SD_E_LIMIT && diags)
		sd_diags_add(diags, SD_ERROR, SD_E_LIMIT, off,
			     "kallsyms: more than %u symbols",
			     SD_SYMTAB_MAX_SYMS);
	return err;
}

/*
 * Reads the text, finishing the table as it fills while the core
 * kernel's lines come in order; the modules' lines after them, in the
 * modules' order, are sorted among themselves at the end if none is
 * below the core (x86-64).  Anything else (arm64's modules below the
 * kernel, a shuffled file) is read again as it is and sorted whole.
 */
static int parse_all(struct parse_state *st, struct sd_diags *diags)
{
	struct sd_symtab *t = st->t;
	int err;

	st->in_order = true;
	t->noted_all = noted_ok;
	err = parse_text(st, diags);
	if (err)
		return err;
	if (st->in_order || st->rest_min >= t->syms[st->open].start)
		return sd_symtab_finish_ordered(t, st->open,
						st->in_order ? t->n : st->rest);
	/* the read above reduced aliases that a sort may have to separate */
	*st = (struct parse_state){.t = t,
				   .text = st->text,
				   .len = st->len,
				   .copy_end = st->copy_end};
	t->n = 0;
	t->nr_pfx = 0;
	t->nr_noted = 0;
	t->noted_all = noted_ok;
	err = parse_text(st, diags);
	if (!err)
		sd_symtab_finish(t);
	return err;
}

int sd_kallsyms_parse_owned(struct sd_bigbuf *buf, size_t len,
			    struct sd_diags *diags, struct sd_symtab **out)
{
	struct parse_state st = {0};
	struct sd_symtab *t;
	size_t lines;
	int err;

	init_tables();
	t = sd_symtab_new(SD_SYMTAB_KALLSYMS);
	if (!t) {
		sd_bigbuf_free(buf);
		return -ENOMEM;
	}
	/*
	 * One symbol at most per line and a kept line has at least 6 bytes
	 * ("0 T x\n"): reserve that many entries once (address space only;
	 * pages are populated as entries are added), never move them.
	 */
	lines = len / 6 + 2;
	err = sd_symtab_reserve_big(t, lines < SD_SYMTAB_MAX_SYMS
					       ? lines
					       : SD_SYMTAB_MAX_SYMS);
	/* a kept name and its NUL are shorter than its line */
	if (!err)
		err = sd_bigbuf_reserve(&t->names, len + NAME_SLACK + 1);
	if (!err) {
		st.t = t;
		st.text = buf->p;
		st.len = len;
		st.copy_end = len >= NAME_SLACK ? buf->p + len - NAME_SLACK
						 : buf->p;
		err = parse_all(&st, diags);
	}
	sd_bigbuf_free(buf);
	if (err) {
		sd_symtab_free(t);
		return err;
	}
	if (st.malformed && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_BAD_SYMFILE,
			     st.first_malformed,
			     "kallsyms: skipped %llu malformed line(s), the "
			     "first at byte offset %llu",
			     (unsigned long long)st.malformed,
			     (unsigned long long)st.first_malformed);
	if (st.skipped_modules && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "kallsyms: more than %u modules; skipped %llu "
			     "symbols of the others",
			     SD_KALLSYMS_MAX_MODULES,
			     (unsigned long long)st.skipped_modules);
	/* the table is sorted: its last start is the highest kept */
	if (t->n && !t->syms[t->n - 1].start) {
		if (diags)
			sd_diags_add(diags, SD_ERROR, SD_E_BAD_SYMFILE,
				     UINT64_MAX,
				     "kallsyms: every address is zero: the file "
				     "was read without privilege "
				     "(kernel.kptr_restrict); copy /proc/kallsyms "
				     "as root on the recorded host");
		sd_symtab_free(t);
		return -SD_E_BAD_SYMFILE;
	}
	if (!t->n) {
		if (diags)
			sd_diags_add(diags, SD_ERROR, SD_E_BAD_SYMFILE,
				     UINT64_MAX,
				     "kallsyms: no function or data symbols "
				     "(\"ADDRESS TYPE NAME\" lines) found");
		sd_symtab_free(t);
		return -SD_E_BAD_SYMFILE;
	}
	*out = t;
	return 0;
}
