/* SPDX-License-Identifier: MIT */
/* Private to src/symbols: one opened ELF file (libelf). */
#ifndef SD_SYMBOLS_ELF_INTERNAL_H
#define SD_SYMBOLS_ELF_INTERNAL_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <swapdiag/symbols.h>

/* An ELF image in memory (a private mapping or a copy) and its tables. */
struct sd_elf {
	Elf *elf;
	GElf_Ehdr ehdr;
	void *mem;
	size_t len;
	bool mapped;
	size_t shstrndx;
	Elf_Scn *symtab, *dynsym;
	GElf_Shdr symshdr, dynshdr;
	size_t dynsym_idx;
	/* the PT_LOAD headers with a size, in file order (elf_syms.c
	 * load_phdr), read on first use */
	GElf_Phdr *loads;
	size_t nloads;
	bool loads_read;
	bool loads_disjoint; /* no address in two of them */
	unsigned refs; /* sd_elf_close() frees at the last reference */
};

/* Opens a file (private mapping) or a copy of a buffer; not-ELF is
 * -SD_E_BAD_SYMFILE. */
int sd_elf_open(const char *path, struct sd_elf **out);
int sd_elf_open_mem(const void *buf, size_t len, struct sd_elf **out);
/* libelf's version handshake; done by the first open, or before threads. */
void sd_elf_init(void);
/* Drops a reference (the opener holds one); the last one unmaps. */
void sd_elf_close(struct sd_elf *e);
/* Another reference, for a table whose names point into the file. */
struct sd_elf *sd_elf_ref(struct sd_elf *e);

bool sd_elf_has_symtab(const struct sd_elf *e);
/* perf's symsrc__possibly_runtime(): has .dynsym (gives the .plt). */
bool sd_elf_is_runtime(const struct sd_elf *e);
int sd_elf_get_build_id(struct sd_elf *e, struct sd_build_id *out);
/* The .gnu_debuglink file name (a bare name), or NULL. */
const char *sd_elf_debuglink(struct sd_elf *e);

/* Equal, allowing perf's zero padding of old 20-byte build-ids. */
bool sd_build_id_equal(const struct sd_build_id *a,
		       const struct sd_build_id *b);

/* How many entries sd_elf_synth_plt() may add to a table of re: its
 * .rel(a).plt's relocations (elf_plt.c). */
size_t sd_elf_plt_relocs(struct sd_elf *re);
/* Adds re's "name@plt" symbols to a finished table, as perf 6.1 does;
 * failures just add nothing (0), but memory: -ENOMEM, -SD_E_LIMIT. */
int sd_elf_synth_plt(struct sd_elf *re, struct sd_symtab *t);

/* A NUL-terminated string at off in a string table, or NULL. */
static inline const char *sd_elf_str_at(const Elf_Data *strs, size_t off)
{
	const char *base, *nul;

	if (!strs || !strs->d_buf || off >= strs->d_size)
		return NULL;
	base = (const char *)strs->d_buf + off;
	/* a table that ends in NUL terminates every string in it */
	if (((const char *)strs->d_buf)[strs->d_size - 1] == '\0')
		return base;
	nul = memchr(base, '\0', strs->d_size - off);
	return nul ? base : NULL;
}

/*
 * Builds a table from syms (its .symtab, else .dynsym) with runtime for
 * NOBITS sections, program headers and the .plt; runtime may be syms.
 * kernel: a vmlinux (link addresses, no demangling, no .plt).  0 symbols
 * is -SD_E_BAD_SYMFILE.  The names point into syms's string table: the
 * table takes a reference on syms and drops it when freed.
 */
int sd_elf_load_symtab(struct sd_elf *syms, struct sd_elf *runtime,
		       bool kernel, struct sd_diags *diags,
		       struct sd_symtab **out);

#endif
