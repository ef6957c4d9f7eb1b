/* SPDX-License-Identifier: MIT */
/*
 * One kallsyms line of any kind, as perf 6.1 reads it (kallsyms__parse()
 * and map__process_kallsym_symbol() in tools/perf/util/symbol.c; the
 * rules are in kallsyms.c's head): the lines kfast.c's short path leaves
 * -- modules' ("\t[module]"), short or long addresses, long names, the
 * last lines of the text, malformed ones -- a byte at a time, and a kept
 * symbol added with the table's order kept track of (add_kept()).
 */
#include <errno.h>
#include <string.h>

#include "symbols/kparse.h"

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

/* A kept symbol, its name name_len bytes of the text, the table finished
 * up to it while the lines come in order. */
static int add_kept(struct parse_state *st, uint64_t addr, const char *name,
		    size_t name_len, uint8_t kt, uint16_t mod)
{
	struct sd_symtab *t = st->t;
	size_t n = st->n;

	if (n >= st->syms_ready) {
		int err = sd_ksyms_room(st, n);
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
		if (w == sd_knoted_word[0][name_len] ||
		    w == sd_knoted_word[1][name_len])
			sd_knote_name(t, copy, name_len, addr, mod);
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

int sd_kparse_line(struct parse_state *st, const char *p, size_t len,
		   size_t off)
{
	uint64_t addr = 0;
	size_t i = 0, ndig = 0;
	const char *name, *tab = NULL;
	char type;
	size_t name_len;
	uint16_t mod = 0;

	while (i < len && sd_khexval[(uint8_t)p[i]] != 0xff) {
		addr = addr << 4 | sd_khexval[(uint8_t)p[i]];
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

	uint8_t kt = sd_ktype[(uint8_t)type];
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
		sd_knote_ref(st->t, name, name_len, addr);
	if (name[0] == '_' && is_pfx(name, name_len)) {
		st->t->nr_pfx++;
		return 0;
	}
	if (!(kt & KT_KEEP) || name[0] == '$')
		return 0;
	return add_kept(st, addr, name, name_len, kt, mod);
}
