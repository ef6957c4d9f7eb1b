/* SPDX-License-Identifier: MIT */
/*
 * Private to src/symbols: how a struct sd_symtab is built.
 *
 * A table is filled in load order (sd_symtab_add), then sd_symtab_finish()
 * does what perf does once all symbols of an object are in: a stable sort
 * by start address (perf's rb-tree keeps equal addresses in insertion
 * order), symbols__fixup_end() and symbols__fixup_duplicate().
 */
#ifndef SD_SYMBOLS_INTERNAL_H
#define SD_SYMBOLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/symbols.h>

#include "util/hash.h"

/* Caps that keep a hostile input from making us allocate without bound. */
#define SD_SYMTAB_MAX_SYMS (8u << 20)  /* symbols in one table */
#define SD_SYM_NAME_MAX 8192           /* bytes in one symbol name */
/* struct sd_symbol.lazy: what the first lookup still has to do with an
 * ELF name as stored in the file -- demangle it, or only cut it at
 * SD_SYM_NAME_MAX, or (a PLT entry's) demangle it and append "@plt" */
#define SD_SYM_LAZY_DEMANGLE 1
#define SD_SYM_LAZY_LENGTH 2
#define SD_SYM_LAZY_PLT 3
/* perf formats "NAME@plt" into a 1024-byte buffer: longer ones are cut */
#define SD_PLT_NAME_MAX 1023
#define SD_KSYM_NAME_LEN 512           /* kernel limit (6.1+), as perf */
#define SD_KALLSYMS_MAX_BYTES ((size_t)256 << 20)
#define SD_KALLSYMS_MAX_MODULES 65535
/* Names kcheck.c asks a kallsyms table about (its release marks), which
 * the parser notes as it keeps them, SD_NOTED_MAX lines at most. */
#define SD_KCHECK_NAMES 6
#define SD_NOTED_MAX 8
extern const char *const sd_kcheck_names[SD_KCHECK_NAMES];

enum sd_symtab_kind {
	SD_SYMTAB_KALLSYMS,
	SD_SYMTAB_ELF,
};

/* Address space reserved once, populated as it fills (bigbuf.c). */
struct sd_bigbuf {
	char *p;
	size_t reserved, populated;
};
int sd_bigbuf_reserve(struct sd_bigbuf *b, size_t max);
/* Makes [0, need) ready for writing; -SD_E_LIMIT past the reservation. */
int sd_bigbuf_ensure(struct sd_bigbuf *b, size_t need);
void sd_bigbuf_free(struct sd_bigbuf *b);

/* A run of bytes owned by the table (names point into these). */
struct sd_symtab_block {
	struct sd_symtab_block *next;
	size_t used, size;
	char data[];
};

struct sd_symtab {
	/*
	 * What sd_symtab_lookup() reads, in the first 64 bytes (the table is
	 * allocated 64-byte aligned): one line, not three, to miss.
	 * The lookup index, made by the first lookup after the table
	 * changed: idx[b] is 1 + the first symbol starting at or after
	 * idx_base + (b << idx_shift), for b in [0, idx_n], or 0 in a wide
	 * gap (search the whole table); idx[idx_n] is n + 1; idx_base is
	 * syms[0].start.  A lookup binary-searches one bucket instead of
	 * the table.
	 */
	struct sd_symbol *syms;
	size_t n;
	uint32_t *idx;
	size_t idx_n;
	uint64_t idx_base;
	unsigned idx_shift;
	bool idx_valid;

	enum sd_symtab_kind kind;
	size_t cap;
	bool finished;
	/* Kallsyms: syms lives in a bigbuf of cap entries (not malloc'ed). */
	struct sd_bigbuf syms_big;

	/* Owned name storage: kallsyms names, NUL-terminated, one after
	 * the other as the lines were read (kallsyms.c), and a bump arena. */
	struct sd_bigbuf names;
	struct sd_symtab_block *arena;
	/* Or a file kept open: release(owner) when the table is freed (ELF
	 * tables name their symbols from the file's own string table). */
	void *names_owner;
	void (*release_names)(void *owner);

	/* Kallsyms module names: module index i is modules.strs[i]. */
	struct sd_strpool modules;

	/*
	 * Kallsyms reference symbols for relocation, as perf's
	 * kallsyms__get_function_start() finds them: the first line with
	 * that name and a function type (T/t/W/w) or 'A', before any
	 * filtering or duplicate reduction.
	 */
	bool has_text, has_stext;
	uint64_t text_addr, stext_addr;
	/* the same for the text's end and the init text (kcheck.c), and
	 * how many "__pfx_" padding symbols were skipped (6.2+ kernels) */
	bool has_etext, has_sinittext, has_einittext;
	uint64_t etext_addr, sinittext_addr, einittext_addr;
	uint64_t nr_pfx;
	/* Where the kept kallsyms lines named one of sd_kcheck_names[] are
	 * (kallsyms.c; the name as the table holds it, the address as
	 * read, whether a module's): all of them if noted_all, so that
	 * kcheck.c finds those names without a pass over every name. */
	struct sd_noted {
		const char *name;
		uint64_t addr;
		bool module;
	} noted[SD_NOTED_MAX];
	unsigned nr_noted;
	bool noted_all;
	int64_t reloc; /* delta applied so far to core kernel symbols */

};

struct sd_symtab *sd_symtab_new(enum sd_symtab_kind kind);
/* Reserves room for up to max symbols in a bigbuf (kallsyms). */
int sd_symtab_reserve_big(struct sd_symtab *t, size_t max);
/* Room for n symbols in one allocation, before the first add. */
int sd_symtab_reserve(struct sd_symtab *t, size_t n);
/* Copies a name of len bytes into the table's arena. */
const char *sd_symtab_strdup(struct sd_symtab *t, const char *s, size_t len);
/* "name@plt" cut at SD_PLT_NAME_MAX bytes, in the table's arena. */
const char *sd_symtab_plt_name(struct sd_symtab *t, const char *name);
/* Appends a symbol (end == start when the size is unknown). */
int sd_symtab_add(struct sd_symtab *t, uint64_t start, uint64_t end,
		  const char *name, uint8_t binding, uint16_t module);
/* Makes an ELF symbol's name what perf shows (demangled, cut). */
void sd_symtab_name_ready(const struct sd_symtab *t, const struct sd_symbol *s);
/* Sort, fix up ends, reduce duplicates, as perf does after loading. */
void sd_symtab_finish(struct sd_symtab *t);
/* Makes room for one more symbol (a kallsyms table: its bigbuf);
 * -SD_E_LIMIT or -ENOMEM. */
int sd_symtab_room(struct sd_symtab *t);

/* roundup(x, 4096) + 4096, saturating at the top of the address space:
 * where perf ends a symbol that has nothing after it. */
static inline uint64_t sd_page_after(uint64_t x)
{
	uint64_t r = (x + 4095) & ~(uint64_t)4095;

	if (r < x || r + 4096 < r)
		return UINT64_MAX;
	return r + 4096;
}

/*
 * A kallsyms table filled in address order (kallsyms.c) is finished as it
 * fills: when a symbol with a higher start comes, the ones before it are
 * done -- ends fixed, aliases reduced -- except the last start's aliases,
 * syms[open, n), which wait for the next start.
 * sd_symtab_close_aliases() ends that group before next (sorted input,
 * next->start above theirs): it leaves the one perf keeps at syms[open]
 * and returns the new n.
 */
size_t sd_symtab_close_aliases(struct sd_symtab *t, size_t open,
			       const struct sd_symbol *next);
/* Finishes such a table whose entries from rest on (rest <= n) came out
 * of order but none below syms[open].start: they are sorted among
 * themselves and fixed up from open on.  0 or -ENOMEM. */
int sd_symtab_finish_ordered(struct sd_symtab *t, size_t open, size_t rest);
/* Adds symbols after finish (perf's PLT symbols): no fix-up, re-sorted;
 * syms[before, n) are the ones added since the table was sorted. */
int sd_symtab_merge_sorted(struct sd_symtab *t, size_t before);

/* Demangles a C++ (or other) name as perf 6.1 shows it; NULL if not. */
char *sd_demangle(const char *name);
/* Whether two mangled names surely demangle to one string (a class's
 * constructors or destructors of two kinds: twins.c); false if not known. */
bool sd_ctor_dtor_twins(const char *a, const char *b);

/* Parses kallsyms text buf[0..len) (kallsyms.c); the table takes buf
 * over, even on error. */
int sd_kallsyms_parse_owned(struct sd_bigbuf *buf, size_t len,
			    struct sd_diags *diags, struct sd_symtab **out);

/* A whole file read into a bigbuf (one byte more than *len is ready, for
 * a NUL): util/file.h's sd_read_file() for kallsyms-sized files. */
int sd_read_file_big(const char *path, size_t max, struct sd_bigbuf *out,
		     size_t *len);

#endif
