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
 * The lines come in address order (all of the core kernel's; modules
 * follow, above it), so the table is finished as it fills -- each
 * symbol's end set and aliases reduced when the next start comes
 * (sd_symtab_close_aliases()) -- instead of sorted and scanned again
 * afterwards.
 *
 * The common line (16 hex digits, a core kernel symbol, a name of up to
 * 60 bytes) takes kfast.c's short path; any other (a module's, near the
 * end, odd or malformed) is kline.c's.  This file has the loop over the
 * text that hands runs of lines to them (tabs, which start a module's
 * part of a line, found by one memchr() up to the next, not one a line),
 * the per-byte tables they share (kparse.h), the notes made on the way
 * and the finish and status of the whole.
 * A kept name is noted where it is one kcheck.c's release check asks
 * about (sd_kcheck_names[], sd_knote_name()), so that the check does not
 * read every name again (kstorm: parse_text 11.69 -> 12.10 M
 * instructions, sd_kcheck_settle() 1.37 -> 0.18 M).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kparse.h"

uint8_t sd_khexval[256];
uint8_t sd_ktype[256];
uint64_t sd_knoted_word[2][32];

/* The names of sd_kcheck_names[] fit sd_knoted_word[] (else nothing is
 * noted and kcheck.c reads every name). */
static bool noted_ok;

/* The tables of kparse.h, once. */
static void init_tables(void)
{
	if (sd_khexval['0'] == 0 && sd_khexval['1'] == 1)
		return;
	for (int c = 'A'; c <= 'Z'; c++)
		sd_ktype[c] = SD_BIND_GLOBAL << KT_BIND_SHIFT;
	for (const char *k = "TWDBtwdb"; *k; k++)
		sd_ktype[(uint8_t)*k] |= KT_KEEP;
	for (const char *r = "TtWwA"; *r; r++)
		sd_ktype[(uint8_t)*r] |= KT_REF;
	sd_ktype['W'] = (uint8_t)((sd_ktype['W'] & 3u) |
				  SD_BIND_WEAK << KT_BIND_SHIFT);
	memset(sd_khexval, 0xff, sizeof sd_khexval);
	for (int c = 'a'; c <= 'f'; c++)
		sd_khexval[c] = (uint8_t)(c - 'a' + 10);
	for (int c = 'A'; c <= 'F'; c++)
		sd_khexval[c] = (uint8_t)(c - 'A' + 10);
	noted_ok = true;
	for (size_t i = 0; i < SD_KCHECK_NAMES; i++) {
		const char *nm = sd_kcheck_names[i];
		size_t len = strlen(nm);
		uint64_t w;
		memcpy(&w, nm, sizeof w);
		if (len < 8 || len >= 32 || sd_knoted_word[1][len])
			noted_ok = false;
		else
			sd_knoted_word[sd_knoted_word[0][len] != 0][len] = w;
	}
	/* the digits last: sd_khexval['1'] == 1 says all is done */
	for (int c = '0'; c <= '9'; c++)
		sd_khexval[c] = (uint8_t)(c - '0');
}

/* The reference symbols' addresses (see struct sd_symtab), first line
 * only; name is name_len bytes. */
void sd_knote_ref(struct sd_symtab *t, const char *name, size_t name_len,
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

/* A kept line whose first word is one of sd_kcheck_names[]'s. */
void sd_knote_name(struct sd_symtab *t, const char *name, size_t len,
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

/* For kline.c's add_kept() and kfast.c's fast_room(). */
int sd_ksyms_room(struct parse_state *st, size_t n)
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
		off = sd_kfast_lines(st, off, next_tab, &err);
		if (err || off >= len)
			break;
		/* a line of another kind, a module's, or near the end */
		const char *nl = memchr(text + off, '\n', len - off);
		size_t eol = nl ? (size_t)(nl - text) : len;
		err = sd_kparse_line(st, text + off, eol - off, off);
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
