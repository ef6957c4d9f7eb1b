/* SPDX-License-Identifier: MIT */
/*
 * The short path of the kallsyms parser: the common line (16 hex digits,
 * a core kernel symbol, a name of up to 60 bytes), almost every line of
 * a kernel's file.  16-byte loads at the line's start give its digits
 * (checked and valued without a branch each, kscan.h), its two spaces
 * and its '\n' (the line's end: no search, no per-block mask), "__pfx_"
 * is one word compared, the type one table look-up, and the parse state
 * lives in registers for the run of such lines; kallsyms.c finds the
 * modules' tabs with one memchr() over the text up to the next tab, not
 * one per line, and leaves any other line to kline.c.
 * A kept line adds no counter of its own: whether any address was not
 * zero is the finished (sorted) table's last start (callgrind,
 * kstorm.kallsyms: 16.35 -> 15.76 M instructions with '\n' masks of
 * 64-byte blocks, 11.69 M now).
 * While the lines are in order every open symbol is a core one (a
 * module's line first, or after the core, ends the order), so a lone
 * symbol's end is the next start without a test of its module
 * (parse_text 12.10 -> 11.97 M).
 * The short path does kline.c's add_kept() work itself, in registers:
 * the symbols and names written through pointers, room made once for
 * many lines (fast_room()), the open start's address at hand so that a
 * later start closes a lone symbol with one compare and one store
 * (anything else to order_rest()); the spaces, "__pfx_" and a leading
 * '_' are one 16-byte compare against line_pat, and the digits' letter
 * mask is computed once for the check and the value (parse_text 11.97 ->
 * 9.93 M instructions on kstorm, 81 a line).
 */
#include <errno.h>
#include <string.h>

#include "symbols/kparse.h"
#include "symbols/kscan.h"

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
		int err = sd_ksyms_room(st, n);
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
 * Each line's end, spaces, digits and "__pfx_" checked from 16-byte
 * loads (four for a name of up to 28 bytes), no search.  add_kept()'s
 * work for such a line is done here, in registers -- the write positions
 * as pointers, the open start's address at hand, room made once for many
 * lines (fast_room()) -- and a later start closing a lone symbol (almost
 * all of them) costs one compare and one store.
 */
size_t sd_kfast_lines(struct parse_state *st, size_t off, size_t stop,
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
	/* room made for symbols up to w_lim (names too): a pointer compare
	 * a kept line, no count kept in memory */
	struct sd_symbol *w_lim = w;
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
		uint8_t kt = sd_ktype[(uint8_t)p[17]];
		if ((m & PAT_UNDERSCORES) == 8 && (kt & KT_REF))
			sd_knote_ref(t, name, name_len, hex16_value(h));
		if (!(kt & KT_KEEP) || name[0] == '$') {
			p += eol + 1;
			continue;
		}
		if (w == w_lim) {
			size_t budget;
			if ((*err = fast_room(st, (size_t)(w - v),
					      (size_t)(nw - names), &budget)))
				break;
			w_lim = w + budget;
		}
		uint64_t addr = hex16_value(h);
		copy_name(nw, name, name_len);
		nw[name_len] = '\0';
		if (name_len < 32) {
			uint64_t wd;
			memcpy(&wd, nw, sizeof wd);
			if (wd == sd_knoted_word[0][name_len] ||
			    wd == sd_knoted_word[1][name_len])
				sd_knote_name(t, nw, name_len, addr, 0);
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
