/* SPDX-License-Identifier: MIT */
/*
 * The PLT's entries of an ELF symbol table: dso__synthesize_plt_symbols()
 * of perf 6.1 (see the rules at the top of elf.c).
 *
 * Names are demangled on first use, not at load (symtab.c), the PLT
 * entries' too: a name that may be mangled is kept as the file has it and
 * becomes "demangled@plt" when a lookup returns it (dso.data: 7 874 PLT
 * names demangled at load cost 20 M instructions, 2 % of the run).
 */
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"

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

size_t sd_elf_plt_relocs(struct sd_elf *re)
{
	GElf_Shdr sh;

	if (!re->dynsym || (!find_section(re, ".rela.plt", &sh) &&
			    !find_section(re, ".rel.plt", &sh)))
		return 0;
	if (!sh.sh_entsize || sh.sh_size / sh.sh_entsize > SD_SYMTAB_MAX_SYMS)
		return 0;
	return sh.sh_size / sh.sh_entsize;
}

int sd_elf_synth_plt(struct sd_elf *re, struct sd_symtab *t)
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
		name = sd_elf_str_at(strs, sym.st_name);
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
