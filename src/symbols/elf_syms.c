/* SPDX-License-Identifier: MIT */
/*
 * Reading an ELF symbol table into a struct sd_symtab, perf 6.1's way
 * (see the rules at the top of elf.c), and the public loaders.
 *
 * Names are demangled on first use, not at load (symtab.c), the PLT
 * entries' too: a name that may be mangled is kept as the file has it and
 * becomes "demangled@plt" when a lookup returns it (dso.data: 7 874 PLT
 * names demangled at load cost 20 M instructions, 2 % of the run).
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

static Elf_Scn *find_section(struct sd_elf *e, const char *name,
			     GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		const char *s;

		if (!gelf_getshdr(scn, shdr))
			continue;
		s = elf_strptr(e->elf, e->shstrndx, shdr->sh_name);
		if (s && !strcmp(s, name))
			return scn;
	}
	return NULL;
}

/* A NUL-terminated string at off in a string table, or NULL. */
static const char *str_at(const Elf_Data *strs, size_t off)
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

static bool is_function(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);
	return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_name &&
	       s->st_shndx != SHN_UNDEF;
}

static bool is_object(const GElf_Sym *s)
{
	return GELF_ST_TYPE(s->st_info) == STT_OBJECT && s->st_name &&
	       s->st_shndx != SHN_UNDEF;
}

static bool is_label(const GElf_Sym *s)
{
	int vis = GELF_ST_VISIBILITY(s->st_other);
	return GELF_ST_TYPE(s->st_info) == STT_NOTYPE && s->st_name &&
	       s->st_shndx != SHN_UNDEF && s->st_shndx != SHN_ABS &&
	       vis != STV_HIDDEN && vis != STV_INTERNAL;
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
}

/* elf_read_program_header(): the first PT_LOAD holding vaddr. */
static bool load_phdr(struct sd_elf *e, uint64_t vaddr, GElf_Phdr *out)
{
	if (!e->loads_read)
		read_loads(e);
	for (size_t i = 0; i < e->nloads; i++) {
		const GElf_Phdr *ph = &e->loads[i];
		uint64_t sz = ph->p_memsz > ph->p_filesz ? ph->p_memsz
							 : ph->p_filesz;
		if (vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < sz) {
			*out = *ph;
			return true;
		}
	}
	return false;
}

/*
 * name points into the file's string table, which the table keeps mapped
 * (sd_elf_load_symtab): it is used in place, not copied, and not even
 * measured now.  Only names starting with '_' or 'R' can be mangled (C++
 * "_Z", Rust "_R"/"R"/"_ZN", "_GLOBAL_"); those are demangled, and any
 * name cut at SD_SYM_NAME_MAX, the first time a lookup returns the symbol
 * (symtab.c): a C++ DSO has 10^5 names and a recording hits a handful.
 */
static int add_named(struct sd_symtab *t, uint64_t start, uint64_t size,
		     const char *name, uint8_t bind, bool demangle)
{
	uint64_t end = start + size < start ? start : start + size;
	int err = sd_symtab_add(t, start, end, name, bind, 0);

	if (!err)
		t->syms[t->n - 1].lazy =
			demangle && (name[0] == '_' || name[0] == 'R')
				? SD_SYM_LAZY_DEMANGLE
				: SD_SYM_LAZY_LENGTH;
	return err;
}

/* perf finds the relocation reference symbol by name, any type, first. */
static void note_ref_sym(struct sd_symtab *t, const Elf_Data *strs,
			 const GElf_Sym *sym)
{
	const char *name;

	if (t->has_text && t->has_stext)
		return;
	name = sym->st_name ? str_at(strs, sym->st_name) : NULL;
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
	secname = str_at(secstrs, ssh.sh_name);
	out->text_or_data = secname && (strstr(secname, "text") ||
					strstr(secname, "data"));
	out->addr = ssh.sh_addr;
	out->offset = ssh.sh_offset;
	out->state = SEC_OK;
}

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
	int err = 0;

	for (size_t i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		const char *name;
		bool label;

		if (!gelf_getsym(syms, (int)i, &sym))
			break;
		if (kernel)
			note_ref_sym(t, strs, &sym);
		label = is_label(&sym);
		if (!label && !is_function(&sym) && !is_object(&sym))
			continue;
		name = str_at(strs, sym.st_name);
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
		if (!kernel) {
			GElf_Phdr ph;
			if (load_phdr(re, sym.st_value, &ph))
				sym.st_value -= ph.p_vaddr - ph.p_offset;
			else
				sym.st_value -= sec->addr - sec->offset;
		}
		err = add_named(t, sym.st_value, sym.st_size, name,
				binding_of(&sym), !kernel);
		if (err < 0)
			break;
		if (err > 0)
			ls->bad_names++;
		err = 0;
	}
	free(secs);
	return err;
}

/* How many entries synth_plt() may add: the .rel(a).plt's relocations. */
static size_t plt_relocs(struct sd_elf *re)
{
	GElf_Shdr sh;

	if (!re->dynsym || (!find_section(re, ".rela.plt", &sh) &&
			    !find_section(re, ".rel.plt", &sh)))
		return 0;
	if (!sh.sh_entsize || sh.sh_size / sh.sh_entsize > SD_SYMTAB_MAX_SYMS)
		return 0;
	return sh.sh_size / sh.sh_entsize;
}

/* dso__synthesize_plt_symbols() of perf 6.1; failures just add nothing. */
static int synth_plt(struct sd_elf *re, struct sd_symtab *t)
{
	GElf_Shdr rel_sh, plt_sh, strsh;
	Elf_Scn *rel, *strscn;
	Elf_Data *reldata, *syms, *strs;
	uint64_t off, entry, nrel;
	size_t before = t->n;
	bool rela;

	if (!re->dynsym)
		return 0;
	rel = find_section(re, ".rela.plt", &rel_sh);
	if (!rel) {
		rel = find_section(re, ".rel.plt", &rel_sh);
		if (!rel)
			return 0;
	}
	if (rel_sh.sh_link != re->dynsym_idx || !find_section(re, ".plt", &plt_sh))
		return 0;
	reldata = elf_getdata(rel, NULL);
	syms = elf_getdata(re->dynsym, NULL);
	strscn = elf_getscn(re->elf, re->dynshdr.sh_link);
	strs = strscn && gelf_getshdr(strscn, &strsh) ? elf_getdata(strscn, NULL)
						      : NULL;
	if (!reldata || !syms || !strs || !strs->d_size || !rel_sh.sh_entsize)
		return 0;
	if (rel_sh.sh_type != SHT_RELA && rel_sh.sh_type != SHT_REL)
		return 0;
	rela = rel_sh.sh_type == SHT_RELA;

	switch (re->ehdr.e_machine) {
	case EM_ARM:
		off = 20, entry = 12;
		break;
	case EM_AARCH64:
		off = 32, entry = 16;
		break;
	case EM_SPARC:
		off = 48, entry = 12;
		break;
	case EM_SPARCV9:
		off = 128, entry = 32;
		break;
	default:
		off = entry = plt_sh.sh_entsize;
		break;
	}
	off += plt_sh.sh_offset;
	nrel = rel_sh.sh_size / rel_sh.sh_entsize;
	if (nrel > SD_SYMTAB_MAX_SYMS)
		nrel = SD_SYMTAB_MAX_SYMS;

	for (uint64_t i = 0; i < nrel; i++, off += entry) {
		GElf_Rela ra;
		GElf_Rel r;
		GElf_Sym sym;
		uint64_t info;
		const char *name;

		if (rela) {
			if (!gelf_getrela(reldata, (int)i, &ra))
				break;
			info = ra.r_info;
		} else {
			if (!gelf_getrel(reldata, (int)i, &r))
				break;
			info = r.r_info;
		}
		size_t symidx = re->ehdr.e_ident[EI_CLASS] == ELFCLASS32
					? ELF32_R_SYM(info)
					: GELF_R_SYM(info);
		if (!gelf_getsym(syms, (int)symidx, &sym))
			continue;
		name = str_at(strs, sym.st_name);
		if (!name)
			continue;
		/* a name that may be mangled is demangled, "@plt" appended,
		 * on first use (symtab.c), as the other names are */
		bool mangled = name[0] == '_' || name[0] == 'R';
		const char *copy = mangled ? sd_symtab_strdup(t, name, strlen(name))
					   : sd_symtab_plt_name(t, name);
		if (!copy)
			return -ENOMEM;
		int err = sd_symtab_add(t, off, off + entry, copy,
					SD_BIND_GLOBAL, 0);
		if (err)
			return err;
		if (mangled)
			t->syms[t->n - 1].lazy = SD_SYM_LAZY_PLT;
	}
	/* Inserted after the fix-ups, as perf does: only re-sort. */
	if (t->n != before)
		return sd_symtab_merge_sorted(t, before);
	return 0;
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
	err = load_syms(syms, runtime, kernel, kernel ? 0 : plt_relocs(runtime),
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
		err = synth_plt(runtime, t);
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
