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
/* struct sd_symbol.lazy: what the first lookup still has to do with a
 * name as stored in the file -- demangle it, or only cut it at
 * SD_SYM_NAME_MAX */
#define SD_SYM_LAZY_DEMANGLE 1
#define SD_SYM_LAZY_LENGTH 2
#define SD_KSYM_NAME_LEN 512           /* kernel limit (6.1+), as perf */
#define SD_KALLSYMS_MAX_BYTES ((size_t)256 << 20)
#define SD_KALLSYMS_MAX_MODULES 65535

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
/* Gives back the pages past the first keep bytes (keep 0: all of them). */
void sd_bigbuf_shrink(struct sd_bigbuf *b, size_t keep);
void sd_bigbuf_free(struct sd_bigbuf *b);

/* A run of bytes owned by the table (names point into these). */
struct sd_symtab_block {
	struct sd_symtab_block *next;
	size_t used, size;
	char data[];
};

struct sd_symtab {
	enum sd_symtab_kind kind;
	struct sd_symbol *syms;
	size_t n, cap;
	bool finished;
	/* Kallsyms: syms lives in a bigbuf of cap entries (not malloc'ed). */
	struct sd_bigbuf syms_big;

	/* Owned name storage: whole buffers (kallsyms) and a bump arena. */
	struct sd_bigbuf text;
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
	int64_t reloc; /* delta applied so far to core kernel symbols */

	/*
	 * Lookup index, made by the first lookup after the table changed:
	 * idx[b] is the first symbol starting at or after
	 * syms[0].start + (b << idx_shift), for b in [0, idx_n]; idx[idx_n]
	 * is n.  A lookup binary-searches one bucket instead of the table.
	 */
	uint32_t *idx;
	size_t idx_n;
	unsigned idx_shift;
	bool idx_valid;
};

struct sd_symtab *sd_symtab_new(enum sd_symtab_kind kind);
/* Takes ownership of the buffer that names point into. */
void sd_symtab_adopt_text(struct sd_symtab *t, struct sd_bigbuf *text);
/* Reserves room for up to max symbols in a bigbuf (kallsyms). */
int sd_symtab_reserve_big(struct sd_symtab *t, size_t max);
/* Room for n symbols in one allocation, before the first add. */
int sd_symtab_reserve(struct sd_symtab *t, size_t n);
/* Copies a name of len bytes into the table's arena. */
const char *sd_symtab_strdup(struct sd_symtab *t, const char *s, size_t len);
/* Appends a symbol (end == start when the size is unknown). */
int sd_symtab_add(struct sd_symtab *t, uint64_t start, uint64_t end,
		  const char *name, uint8_t binding, uint16_t module);
/* Sort, fix up ends, reduce duplicates, as perf does after loading. */
void sd_symtab_finish(struct sd_symtab *t);
/* Adds symbols after finish (perf's PLT symbols): no fix-up, re-sorted;
 * syms[before, n) are the ones added since the table was sorted. */
int sd_symtab_merge_sorted(struct sd_symtab *t, size_t before);

/* Demangles a C++ (or other) name as perf 6.1 shows it; NULL if not. */
char *sd_demangle(const char *name);

/* A whole file read into a bigbuf (one byte more than *len is ready, for
 * a NUL): util/file.h's sd_read_file() for kallsyms-sized files. */
int sd_read_file_big(const char *path, size_t max, struct sd_bigbuf *out,
		     size_t *len);

#endif
