/* SPDX-License-Identifier: MIT */
/*
 * One ELF symbol table whatever the file's class and byte order
 * (src/symbols/elf_syms.c reads the entries libelf has converted to this
 * host's order, Elf64_Sym or Elf32_Sym): the fixture shared object and
 * the same made big-endian here, the PIE and the same made ELF32 by
 * objcopy, give the same symbols -- addresses, ends, bindings, names; the
 * PLT's too, but for the ELF32 copy, whose relocations objcopy leaves as
 * 64-bit bytes.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/symbols.h>

#include "test.h"
#include "tfiles.h"

static const char *fixture(const char *var)
{
	const char *p = getenv(var);

	return p && *p ? p : NULL;
}

static bool is_plt(const struct sd_symbol *s)
{
	size_t n = strlen(s->name);

	return n >= 4 && !strcmp(s->name + n - 4, "@plt");
}

/* The number of symbols that differ between a and b (or all of them when
 * their counts differ); with_plt: the "@plt" ones too. */
static size_t differences(const struct sd_symtab *a, const struct sd_symtab *b,
			  bool with_plt)
{
	size_t na = sd_symtab_size(a), nb = sd_symtab_size(b), i = 0, j = 0;
	size_t bad = 0, same = 0;

	for (;; i++, j++) {
		while (i < na && !with_plt && is_plt(sd_symtab_at(a, i)))
			i++;
		while (j < nb && !with_plt && is_plt(sd_symtab_at(b, j)))
			j++;
		if (i == na || j == nb)
			break;
		const struct sd_symbol *x = sd_symtab_at(a, i);
		const struct sd_symbol *y = sd_symtab_at(b, j);
		if (x->start != y->start || x->end != y->end ||
		    x->binding != y->binding || strcmp(x->name, y->name)) {
			if (!bad)
				fprintf(stderr, "%s %llx-%llx against %s %llx-%llx\n",
					x->name, (unsigned long long)x->start,
					(unsigned long long)x->end, y->name,
					(unsigned long long)y->start,
					(unsigned long long)y->end);
			bad++;
		} else {
			same++;
		}
	}
	if (i != na || j != nb)
		return bad + same + 1;
	return bad;
}

/* Byte-swaps the field of size bytes at p in place. */
static void swap(void *p, size_t size)
{
	unsigned char *b = p;

	for (size_t i = 0; i < size / 2; i++) {
		unsigned char c = b[i];
		b[i] = b[size - 1 - i];
		b[size - 1 - i] = c;
	}
}

#define SWAP(s, f) swap(&(s)->f, sizeof (s)->f)

/*
 * A little-endian ELF64 image made big-endian: its headers, section
 * headers, program headers, symbol tables and relocations (what the
 * symbol loader reads; notes, hashes and code stay as they are).  false
 * if the image is not what this can swap.
 */
static bool make_big_endian(unsigned char *img, size_t len)
{
	Elf64_Ehdr eh;

	if (len < sizeof eh)
		return false;
	memcpy(&eh, img, sizeof eh);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len ||
	    eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len)
		return false;
	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		unsigned char *at = img + eh.e_shoff + i * sizeof sh;
		memcpy(&sh, at, sizeof sh);
		size_t ent = sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM
				     ? sizeof(Elf64_Sym)
			     : sh.sh_type == SHT_RELA ? sizeof(Elf64_Rela)
			     : sh.sh_type == SHT_REL  ? sizeof(Elf64_Rel)
						      : 0;
		if (ent && sh.sh_offset + sh.sh_size > len)
			return false;
		for (size_t k = 0; ent && k + ent <= sh.sh_size; k += ent) {
			unsigned char *e = img + sh.sh_offset + k;
			if (ent == sizeof(Elf64_Sym)) {
				Elf64_Sym s;
				memcpy(&s, e, sizeof s);
				SWAP(&s, st_name);
				SWAP(&s, st_shndx);
				SWAP(&s, st_value);
				SWAP(&s, st_size);
				memcpy(e, &s, sizeof s);
			} else {
				/* r_offset, r_info (and r_addend): words */
				for (size_t w = 0; w < ent; w += 8)
					swap(e + w, 8);
			}
		}
		SWAP(&sh, sh_name);
		SWAP(&sh, sh_type);
		SWAP(&sh, sh_flags);
		SWAP(&sh, sh_addr);
		SWAP(&sh, sh_offset);
		SWAP(&sh, sh_size);
		SWAP(&sh, sh_link);
		SWAP(&sh, sh_info);
		SWAP(&sh, sh_addralign);
		SWAP(&sh, sh_entsize);
		memcpy(at, &sh, sizeof sh);
	}
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		unsigned char *at = img + eh.e_phoff + i * sizeof ph;
		memcpy(&ph, at, sizeof ph);
		SWAP(&ph, p_type);
		SWAP(&ph, p_flags);
		SWAP(&ph, p_offset);
		SWAP(&ph, p_vaddr);
		SWAP(&ph, p_paddr);
		SWAP(&ph, p_filesz);
		SWAP(&ph, p_memsz);
		SWAP(&ph, p_align);
		memcpy(at, &ph, sizeof ph);
	}
	eh.e_ident[EI_DATA] = ELFDATA2MSB;
	SWAP(&eh, e_type);
	SWAP(&eh, e_machine);
	SWAP(&eh, e_version);
	SWAP(&eh, e_entry);
	SWAP(&eh, e_phoff);
	SWAP(&eh, e_shoff);
	SWAP(&eh, e_flags);
	SWAP(&eh, e_ehsize);
	SWAP(&eh, e_phentsize);
	SWAP(&eh, e_phnum);
	SWAP(&eh, e_shentsize);
	SWAP(&eh, e_shnum);
	SWAP(&eh, e_shstrndx);
	memcpy(img, &eh, sizeof eh);
	return true;
}

TEST(big_endian)
{
	const char *so = fixture("SD_SYMFIX_SO");
	struct sd_symtab *le = NULL, *be = NULL;
	unsigned char *img;
	size_t len;

	if (!so)
		SKIP("SD_SYMFIX_SO not set");
	img = (unsigned char *)tf_slurp(so, &len);
	CHECK(img != NULL);
	if (!img)
		return;
	CHECK(sd_symtab_from_elf(img, len, NULL, NULL, &le) == 0);
	CHECK(make_big_endian(img, len));
	CHECK(sd_symtab_from_elf(img, len, NULL, NULL, &be) == 0);
	if (le && be) {
		CHECK(sd_symtab_size(le) > 10);
		CHECK(sd_symtab_find_name(be, "sd_fix_alpha_alias_long"));
		CHECK(sd_symtab_find_name(be, "puts@plt"));
		CHECK_U64(differences(le, be, true), 0);
	}
	sd_symtab_free(le);
	sd_symtab_free(be);
	free(img);
}

TEST(elf32)
{
	const char *pie = fixture("SD_SYMFIX_PIE");
	struct sd_symtab *t64 = NULL, *t32 = NULL;
	char out[512], cmd[2048];

	if (!pie)
		SKIP("SD_SYMFIX_PIE not set");
	if (!tf_make("/tmp/sd-elforder-"))
		SKIP("no temporary directory");
	snprintf(out, sizeof out, "%s/fix32.so", tf_dir);
	snprintf(cmd, sizeof cmd, "objcopy -O elf32-i386 '%s' '%s' 2>/dev/null",
		 pie, out);
	if (system(cmd) != 0) {
		tf_remove();
		SKIP("objcopy cannot write elf32-i386");
	}
	CHECK(sd_symtab_load_elf(pie, NULL, NULL, &t64) == 0);
	CHECK(sd_symtab_load_elf(out, NULL, NULL, &t32) == 0);
	if (t64 && t32) {
		CHECK(sd_symtab_find_name(t32, "sd_fix_beta"));
		CHECK_U64(differences(t64, t32, false), 0);
	}
	sd_symtab_free(t64);
	sd_symtab_free(t32);
	tf_remove();
}

int main(void)
{
	RUN(big_endian);
	RUN(elf32);
	return test_exit();
}
