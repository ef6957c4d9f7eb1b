/* SPDX-License-Identifier: MIT */
/*
 * Reading an ELF symbol table into a struct sd_symtab, perf 6.1's way
 * (see the rules at the top of elf.c), and the public loaders; the PLT's
 * entries are elf_plt.c's.
 *
 * The symbols are read from the data libelf makes of the table (entries
 * in this host's byte order), one after the other, not through
 * gelf_getsym(), and a symbol's segment is looked up only when it leaves
 * the last one's (dso.data: 9 M instructions less, 1.2 % of the run).
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"

#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif

/* The types perf keeps: functions (FUNC, GNU_IFUNC), objects, labels. */
#define KEPT_TYPES                                                      \
	(1u << STT_FUNC | 1u << STT_GNU_IFUNC | 1u << STT_OBJECT |      \
	 1u << STT_NOTYPE)

/*
 * Whether s is one perf keeps, as far as it alone says: a function or an
 * object with a name and a section, or a label (NOTYPE) with a name and a
 * section that is not ABS, neither hidden nor internal (*label: its
 * section's name must still say text or data).
 */
static inline bool kept(const GElf_Sym *s, bool *label)
{
	unsigned type = GELF_ST_TYPE(s->st_info);
	int vis = GELF_ST_VISIBILITY(s->st_other);

	if (!s->st_name || s->st_shndx == SHN_UNDEF || !(KEPT_TYPES >> type & 1))
		return false;
	*label = type == STT_NOTYPE;
	return !*label || (s->st_shndx != SHN_ABS && vis != STV_HIDDEN &&
			   vis != STV_INTERNAL);
}

static uint8_t binding_of(const GElf_Sym *s)
{
	switch (GELF_ST_BIND(s->st_info)) {
	case STB_GLOBAL:
		return SD_BIND_GLOBAL;
	case STB_WEAK:
		return SD_BIND_WEAK;
	default: /* LOCAL, GNU_UNIQUE, ...: neither weak nor global to perf */
		return SD_BIND_LOCAL;
	}
}

/*
 * What a symbol needs of its section, read once per section rather than
 * once per symbol (a C++ library has 10^5 symbols in a few dozen
 * sections).  For a NOBITS section of a .debug file, the runtime file's
 * section of the same index, as perf takes it.
 */
enum { SEC_UNREAD, SEC_BAD, SEC_SKIP, SEC_OK };

struct sec_info {
	uint8_t state;
	bool text_or_data; /* its name has "text" or "data" (labels) */
	uint64_t addr, offset;
};

/* Whether no two of e's PT_LOADs hold one address (few of them: more are
 * not checked, and count as overlapping). */
static bool loads_disjoint(const struct sd_elf *e)
{
	if (e->nloads > 16)
		return false;
	for (size_t i = 0; i < e->nloads; i++) {
		const GElf_Phdr *a = &e->loads[i];
		uint64_t sa = a->p_memsz > a->p_filesz ? a->p_memsz : a->p_filesz;
		if (a->p_vaddr + sa < a->p_vaddr)
			return false;
		for (size_t j = 0; j < i; j++) {
			const GElf_Phdr *b = &e->loads[j];
			uint64_t sb = b->p_memsz > b->p_filesz ? b->p_memsz
							       : b->p_filesz;
			if (a->p_vaddr < b->p_vaddr + sb &&
			    b->p_vaddr < a->p_vaddr + sa)
				return false;
		}
	}
	return true;
}

/* The PT_LOAD headers of e with a size, once: up to the first header
 * libelf cannot read (the search stopped there). */
static void read_loads(struct sd_elf *e)
{
	size_t phnum;

	e->loads_read = true;
	if (elf_getphdrnum(e->elf, &phnum) != 0 || !phnum)
		return;
	if (phnum > 65536)
		phnum = 65536;
	e->loads = malloc(phnum * sizeof *e->loads);
	if (!e->loads)
		return; /* no memory: as if no segment held anything */
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e->elf, (int)i, &ph))
			break;
		if (ph.p_type == PT_LOAD && (ph.p_memsz || ph.p_filesz))
			e->loads[e->nloads++] = ph;
	}
	e->loads_disjoint = loads_disjoint(e);
}

static inline bool load_holds(const GElf_Phdr *ph, uint64_t vaddr)
{
	uint64_t sz = ph->p_memsz > ph->p_filesz ? ph->p_memsz : ph->p_filesz;

	return vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < sz;
}

/* elf_read_program_header(): the first PT_LOAD holding vaddr, or NULL. */
static const GElf_Phdr *load_phdr(struct sd_elf *e, uint64_t vaddr)
{
	if (!e->loads_read)
		read_loads(e);
	for (size_t i = 0; i < e->nloads; i++)
		if (load_holds(&e->loads[i], vaddr))
			return &e->loads[i];
	return NULL;
}

/*
 * The addresses [lo, lo + size) of the PT_LOAD that held the last symbol
 * (or none: size 0), and what a symbol's address loses there: when no
 * other PT_LOAD holds any of them, load_phdr() would answer that one
 * again (a table's symbols lie in one or two segments).
 */
struct seg_window {
	uint64_t lo, size, delta;
};

/* A user DSO's symbol address as perf 6.1 adjusts it (elf.c), sec its
 * section. */
static inline uint64_t adjust(struct sd_elf *re, uint64_t vaddr,
			      const struct sec_info *sec, struct seg_window *w)
{
	if (vaddr - w->lo < w->size)
		return vaddr - w->delta;
	const GElf_Phdr *ph = load_phdr(re, vaddr);
	if (!ph)
		return vaddr - (sec->addr - sec->offset);
	if (re->loads_disjoint)
		*w = (struct seg_window){
			.lo = ph->p_vaddr,
			.size = ph->p_memsz > ph->p_filesz ? ph->p_memsz
							   : ph->p_filesz,
			.delta = ph->p_vaddr - ph->p_offset};
	return vaddr - (ph->p_vaddr - ph->p_offset);
}

/* perf finds the relocation reference symbol by name, any type, first. */
static void note_ref_sym(struct sd_symtab *t, const Elf_Data *strs,
			 const GElf_Sym *sym)
{
	const char *name;

	if (t->has_text && t->has_stext)
		return;
	name = sym->st_name ? sd_elf_str_at(strs, sym->st_name) : NULL;
	if (!name)
		return;
	if (!t->has_text && !strcmp(name, "_text")) {
		t->has_text = true;
		t->text_addr = sym->st_value;
	} else if (!t->has_stext && !strcmp(name, "_stext")) {
		t->has_stext = true;
		t->stext_addr = sym->st_value;
	}
}

struct load_stats {
	uint64_t bad_names, bad_sections;
	uint64_t capped;     /* symbols past SD_SYMTAB_MAX_SYMS */
};

static void read_section(struct sd_elf *se, struct sd_elf *re, size_t idx,
			 const Elf_Data *secstrs_s, const Elf_Data *secstrs_r,
			 struct sec_info *out)
{
	const Elf_Data *secstrs = secstrs_s;
	const char *secname;
	GElf_Shdr ssh;
	Elf_Scn *sec = elf_getscn(se->elf, idx);

	out->state = SEC_BAD;
	if (!sec || !gelf_getshdr(sec, &ssh))
		return;
	out->state = SEC_SKIP;
	if (!(ssh.sh_flags & SHF_ALLOC))
		return;
	if (ssh.sh_type == SHT_NOBITS && re != se) {
		out->state = SEC_BAD;
		sec = elf_getscn(re->elf, idx);
		if (!sec || !gelf_getshdr(sec, &ssh))
			return;
		secstrs = secstrs_r;
	}
	secname = sd_elf_str_at(secstrs, ssh.sh_name);
	out->text_or_data = secname && (strstr(secname, "text") ||
					strstr(secname, "data"));
	out->addr = ssh.sh_addr;
	out->offset = ssh.sh_offset;
	out->state = SEC_OK;
}

/* A string table for sd_elf_str_at()'s answers, what it checks of the table
 * checked once. */
struct strtab {
	const char *p;
	size_t size;
	bool terminated; /* ends in NUL: so does every string in it */
};

static struct strtab strtab_of(const Elf_Data *d)
{
	struct strtab st = {0};

	if (d && d->d_buf && d->d_size) {
		st.p = d->d_buf;
		st.size = d->d_size;
		st.terminated = st.p[st.size - 1] == '\0';
	}
	return st;
}

static inline const char *strtab_at(const struct strtab *st, size_t off)
{
	if (off >= st->size)
		return NULL;
	if (st->terminated || memchr(st->p + off, '\0', st->size - off))
		return st->p + off;
	return NULL;
}

/*
 * Symbol i as gelf_getsym() gives it, read from the data libelf made of
 * the table: Elf64_Sym or Elf32_Sym entries in this host's byte order,
 * whatever the file's (libelf converts them) -- without a call, a lock and
 * the checks for each of 10^5 symbols.
 */
static inline void sym_at(const unsigned char *v, bool is64, size_t i,
			  GElf_Sym *out)
{
	if (is64) {
		memcpy(out, v + i * sizeof(Elf64_Sym), sizeof(Elf64_Sym));
	} else {
		Elf32_Sym s;
		memcpy(&s, v + i * sizeof s, sizeof s);
		out->st_name = s.st_name;
		out->st_info = s.st_info;
		out->st_other = s.st_other;
		out->st_shndx = s.st_shndx;
		out->st_value = s.st_value;
		out->st_size = s.st_size;
	}
}

/*
 * The symbols perf keeps, appended to t (room for all reserved first).
 * A name points into the file's string table, which the table keeps
 * mapped (sd_elf_load_symtab): it is used in place, not copied, and not
 * even measured now.  Only names starting with '_' or 'R' can be mangled
 * (C++ "_Z", Rust "_R"/"R"/"_ZN", "_GLOBAL_"); those are demangled, and
 * any name cut at SD_SYM_NAME_MAX, the first time a lookup returns the
 * symbol (symtab.c): a C++ DSO has 10^5 names and a recording hits a
 * handful.
 */
static int load_syms(struct sd_elf *se, struct sd_elf *re, bool kernel,
		     size_t extra, struct sd_symtab *t, struct load_stats *ls)
{
	Elf_Scn *scn = se->symtab ? se->symtab : se->dynsym;
	GElf_Shdr sh = se->symtab ? se->symshdr : se->dynshdr;
	Elf_Data *syms, *strs, *secstrs_s, *secstrs_r = NULL;
	Elf_Scn *strscn, *sscn;
	size_t entsize, nsyms;
	bool arm = se->ehdr.e_machine == EM_ARM ||
		   se->ehdr.e_machine == EM_AARCH64;

	if (!scn)
		return -SD_E_BAD_SYMFILE;
	syms = elf_getdata(scn, NULL);
	strscn = elf_getscn(se->elf, sh.sh_link);
	strs = strscn ? elf_getdata(strscn, NULL) : NULL;
	sscn = elf_getscn(se->elf, se->shstrndx);
	secstrs_s = sscn ? elf_getdata(sscn, NULL) : NULL;
	if (re != se) {
		Elf_Scn *r = elf_getscn(re->elf, re->shstrndx);
		secstrs_r = r ? elf_getdata(r, NULL) : NULL;
	}
	entsize = gelf_fsize(se->elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!syms || !strs || !secstrs_s || !entsize)
		return -SD_E_BAD_SYMFILE;
	nsyms = syms->d_size / entsize;
	if (nsyms > SD_SYMTAB_MAX_SYMS) {
		ls->capped = nsyms - SD_SYMTAB_MAX_SYMS;
		nsyms = SD_SYMTAB_MAX_SYMS;
	}
	/* at most one entry a symbol, and the PLT's: one allocation, no
	 * regrowth */
	if (sd_symtab_reserve(t, nsyms + extra))
		return -ENOMEM;
	size_t nsec = 0;
	if (elf_getshdrnum(se->elf, &nsec) != 0 || nsec > SHN_LORESERVE)
		nsec = nsec > SHN_LORESERVE ? SHN_LORESERVE : 0;
	struct sec_info *secs = nsec ? calloc(nsec, sizeof *secs) : NULL;
	if (nsec && !secs)
		return -ENOMEM;
	/* gelf_getsym() refuses every entry of data of another type */
	const unsigned char *v = syms->d_buf;
	if (syms->d_type != ELF_T_SYM || !v)
		nsyms = 0;
	bool is64 = gelf_getclass(se->elf) == ELFCLASS64;
	struct strtab names = strtab_of(strs);
	struct seg_window win = {0};
	int err = 0;

	for (size_t i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		const char *name;
		bool label;

		sym_at(v, is64, i, &sym);
		if (kernel)
			note_ref_sym(t, strs, &sym);
		if (!kept(&sym, &label))
			continue;
		name = strtab_at(&names, sym.st_name);
		if (!name) {
			ls->bad_names++;
			continue;
		}
		/* ARM mapping symbols ($a, $d, $t, $x, maybe ".n"). */
		if (arm && name[0] == '$' && name[1] && strchr("adtx", name[1]) &&
		    (name[2] == '\0' || name[2] == '.'))
			continue;
		if (sym.st_shndx == SHN_ABS)
			continue;
		/* perf fails the whole file on a section it cannot get; we
		 * skip the one symbol (COMMON, XINDEX, garbage). */
		struct sec_info *sec =
			sym.st_shndx < nsec ? &secs[sym.st_shndx] : NULL;
		if (sec && sec->state == SEC_UNREAD)
			read_section(se, re, sym.st_shndx, secstrs_s,
				     secstrs_r, sec);
		if (!sec || sec->state == SEC_BAD) {
			ls->bad_sections++;
			continue;
		}
		if (sec->state == SEC_SKIP || (label && !sec->text_or_data))
			continue;
		uint64_t start = kernel ? sym.st_value
					: adjust(re, sym.st_value, sec, &win);
		uint64_t end = start + sym.st_size;
		if (t->n == t->cap && (err = sd_symtab_room(t)) < 0)
			break;
		t->syms[t->n++] = (struct sd_symbol){
			.start = start,
			.end = end < start ? start : end,
			.name = name,
			.binding = binding_of(&sym),
			.lazy = !kernel && (name[0] == '_' || name[0] == 'R')
					? SD_SYM_LAZY_DEMANGLE
					: SD_SYM_LAZY_LENGTH,
		};
	}
	free(secs);
	return err;
}

static void release_elf(void *e)
{
	sd_elf_close(e);
}

int sd_elf_load_symtab(struct sd_elf *syms, struct sd_elf *runtime,
		       bool kernel, struct sd_diags *diags,
		       struct sd_symtab **out)
{
	struct load_stats ls = {0};
	struct sd_symtab *t;
	int err;

	if (!runtime)
		runtime = syms;
	/* A stripped vmlinux is of no use: perf then falls back to kallsyms. */
	if (kernel && !syms->symtab)
		return -SD_E_BAD_SYMFILE;
	t = sd_symtab_new(SD_SYMTAB_ELF);
	if (!t)
		return -ENOMEM;
	err = load_syms(syms, runtime, kernel, kernel ? 0 : sd_elf_plt_relocs(runtime),
			t, &ls);
	if (!err && !t->n)
		err = -SD_E_BAD_SYMFILE;
	if (err) {
		sd_symtab_free(t);
		return err;
	}
	/* the names point into syms's string table: keep it mapped */
	t->names_owner = sd_elf_ref(syms);
	t->release_names = release_elf;
	sd_symtab_finish(t);
	if (!kernel) {
		err = sd_elf_synth_plt(runtime, t);
		if (err) {
			sd_symtab_free(t);
			return err;
		}
	}
	if ((ls.bad_names || ls.bad_sections) && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_BAD_SYMFILE, UINT64_MAX,
			     "ELF symbol table: skipped %llu symbol(s) with a "
			     "bad name and %llu with a bad section index",
			     (unsigned long long)ls.bad_names,
			     (unsigned long long)ls.bad_sections);
	if (ls.capped && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "ELF symbol table: %llu symbol(s) past the first "
			     "%u skipped",
			     (unsigned long long)ls.capped, SD_SYMTAB_MAX_SYMS);
	*out = t;
	return 0;
}

static int check_build_id(struct sd_elf *e, const struct sd_build_id *want,
			  const char *what, struct sd_diags *diags)
{
	struct sd_build_id have;
	char hw[2 * SD_BUILD_ID_MAX + 1], hh[2 * SD_BUILD_ID_MAX + 1];

	if (!want || !want->size)
		return 0;
	if (sd_elf_get_build_id(e, &have) == 0 && sd_build_id_equal(&have, want))
		return 0;
	if (diags) {
		sd_build_id_hex(want, hw);
		if (sd_elf_get_build_id(e, &have) == 0)
			sd_build_id_hex(&have, hh);
		else
			strcpy(hh, "none");
		sd_diags_add(diags, SD_WARNING, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "%s: build-id %s does not match the recorded %s; "
			     "not used", what, hh, hw);
	}
	return -SD_E_BUILD_ID_MISMATCH;
}

static int load_one(struct sd_elf *e, const char *what,
		    const struct sd_build_id *want, bool kernel,
		    struct sd_diags *diags, struct sd_symtab **out)
{
	int err = check_build_id(e, want, what, diags);

	if (!err)
		err = sd_elf_load_symtab(e, e, kernel, diags, out);
	sd_elf_close(e);
	return err;
}

int sd_symtab_from_elf(const void *buf, size_t len,
		       const struct sd_build_id *want, struct sd_diags *diags,
		       struct sd_symtab **out)
{
	struct sd_elf *e;
	int err = sd_elf_open_mem(buf, len, &e);

	if (err)
		return err;
	return load_one(e, "ELF image", want, false, diags, out);
}

int sd_symtab_load_elf(const char *path, const struct sd_build_id *want,
		       struct sd_diags *diags, struct sd_symtab **out)
{
	struct sd_elf *e;
	int err = sd_elf_open(path, &e);

	if (err)
		return err;
	return load_one(e, path, want, false, diags, out);
}

int sd_symtab_load_vmlinux(const char *path, const struct sd_build_id *want,
			   struct sd_diags *diags, struct sd_symtab **out)
{
	struct sd_elf *e;
	int err = sd_elf_open(path, &e);

	if (err)
		return err;
	return load_one(e, path, want, true, diags, out);
}
