/* SPDX-License-Identifier: MIT */
/*
 * The name addr2line gives an address, for frames found by DWARF
 * unwinding.
 *
 * perf 6.1 names each such frame that has a symbol through its inline
 * machinery (machine.c unwind_entry() -> append_inlines()), which runs
 * `addr2line -f -i` on the DSO: without debug information addr2line
 * answers with a symbol-table name chosen by binutils' own rule
 * (elf_find_function()/better_fit() in bfd/elf.c), not perf's
 * choose_best_symbol(): of the function-like symbols (FUNC, IFUNC,
 * NOTYPE) of the address's section at or below it, the highest; between
 * symbols at that same address, the first in the symbol table unless a
 * later one fits better (one that covers the address over one that does
 * not, the bigger when neither covers it, the smaller when both do).
 * It reads .symtab, else .dynsym.  So `free` in libc.so.6 shows as
 * `__libc_free` (listed first) although perf's maps call it `cfree`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"

struct a2l_sym {
	uint64_t value, size;
	uint32_t idx;     /* order in the symbol table */
	uint32_t shndx;
	const char *name; /* into the file's string table */
};

struct sd_a2l {
	struct sd_elf *e;
	struct a2l_sym *v;
	size_t n;
	GElf_Phdr *ph;
	size_t nph;
	char **names; /* demangled names handed out, freed with the table */
	size_t nnames;
};

static int by_value(const void *a, const void *b)
{
	const struct a2l_sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void sd_a2l_free(struct sd_a2l *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->v);
	free(t->ph);
	sd_elf_close(t->e);
	free(t);
}

/* The PT_LOAD headers of the file at path (the loaded image: a separate
 * debug file's have no file offsets). */
static void load_phdrs(struct sd_a2l *t, const char *path)
{
	struct sd_elf *e;
	size_t nph = 0;

	if (sd_elf_open(path, &e) < 0)
		return;
	if (elf_getphdrnum(e->elf, &nph) == 0 && nph) {
		t->ph = calloc(nph, sizeof *t->ph);
		for (size_t i = 0; t->ph && i < nph; i++)
			if (gelf_getphdr(e->elf, (int)i, &t->ph[t->nph]) &&
			    t->ph[t->nph].p_type == PT_LOAD)
				t->nph++;
	}
	sd_elf_close(e);
}

static struct sd_a2l *a2l_load(const char *path, const char *image)
{
	struct sd_a2l *t = calloc(1, sizeof *t);
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (!t || sd_elf_open(path, &t->e) < 0) {
		free(t);
		return NULL;
	}
	scn = t->e->symtab ? t->e->symtab : t->e->dynsym;
	sh = t->e->symtab ? t->e->symshdr : t->e->dynshdr;
	load_phdrs(t, image ? image : path);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? d->d_size / sh.sh_entsize : 0;
	t->v = n ? calloc(n, sizeof *t->v) : NULL;
	for (size_t i = 0; t->v && i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC &&
		     type != STT_NOTYPE) ||
		    s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE)
			continue;
		const char *name = elf_strptr(t->e->elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		/* bfd treats a symbol without size as one byte long */
		t->v[t->n++] = (struct a2l_sym){s.st_value,
						s.st_size ? s.st_size : 1,
						(uint32_t)i, s.st_shndx, name};
	}
	if (t->n)
		qsort(t->v, t->n, sizeof *t->v, by_value);
	return t;
}

/* perf's map_ip address (a file offset for mapped code) -> link address */
static bool to_vaddr(const struct sd_a2l *t, uint64_t off, uint64_t *va)
{
	for (size_t i = 0; i < t->nph; i++) {
		const GElf_Phdr *p = &t->ph[i];
		if (off >= p->p_offset && off - p->p_offset < p->p_filesz) {
			*va = off - p->p_offset + p->p_vaddr;
			return true;
		}
	}
	return false;
}

static uint32_t section_of(const struct sd_a2l *t, uint64_t va)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(t->e->elf, scn))) {
		GElf_Shdr sh;
		/* NOBITS too: in a separate debug file .text is */
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) &&
		    va >= sh.sh_addr && va - sh.sh_addr < sh.sh_size)
			return (uint32_t)elf_ndxscn(scn);
	}
	return 0;
}

/* bfd's better_fit(): is (off, size) a better function for addr than
 * the current best (boff, bsize)? */
static bool better_fit(uint64_t boff, uint64_t bsize, uint64_t off,
		       uint64_t size, uint64_t addr)
{
	if (off > addr || off < boff)
		return false;
	if (off > boff)
		return true;
	if (boff + bsize <= addr)
		return size > bsize;
	if (off + size > addr)
		return size < bsize;
	return false;
}

static const struct a2l_sym *a2l_find(const struct sd_a2l *t, uint64_t va)
{
	uint32_t shndx = section_of(t, va);
	size_t lo = 0, hi = t->n;

	if (!shndx)
		return NULL;
	while (lo < hi) { /* the first symbol above va */
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].value <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the highest value at or below va in the section, then the run of
	 * symbols at that value in table order */
	size_t i = lo;
	while (i > 0 && t->v[i - 1].shndx != shndx)
		i--;
	if (!i)
		return NULL;
	uint64_t at = t->v[i - 1].value;
	size_t first = i - 1;
	while (first > 0 && t->v[first - 1].value == at)
		first--;
	const struct a2l_sym *best = NULL;
	for (size_t k = first; k < i; k++) {
		const struct a2l_sym *s = &t->v[k];
		if (s->shndx != shndx)
			continue;
		if (!best || better_fit(best->value, best->size, s->value,
					s->size, va))
			best = s;
	}
	return best;
}

const char *sd_dso_a2l_name(struct sd_dso *d, uint64_t addr)
{
	uint64_t va;

	if (d->kernel)
		return NULL;
	if (!d->a2l_tried) {
		d->a2l_tried = true;
		const char *src = sd_dso_symsrc(d);
		if (src)
			d->a2l = a2l_load(src, d->binpath);
	}
	struct sd_a2l *t = d->a2l;
	if (!t || !t->n || !to_vaddr(t, addr, &va))
		return NULL;
	const struct a2l_sym *s = a2l_find(t, va);
	if (!s)
		return NULL;
	char **v = realloc(t->names, (t->nnames + 1) * sizeof *v);
	if (!v)
		return NULL;
	t->names = v;
	char *dem = sd_demangle(s->name);
	if (!dem)
		dem = strdup(s->name);
	if (!dem)
		return NULL;
	t->names[t->nnames++] = dem;
	return dem;
}
