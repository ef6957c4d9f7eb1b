/* SPDX-License-Identifier: MIT */
/*
 * bytes -> kallsyms text (sd_symtab_from_kallsyms) and an ELF image
 * (sd_symtab_from_elf, sd_elf_build_id), then every query of the public
 * API on what loaded: lookups at, around and between symbols, names,
 * modules, the relocation reference, the range, and a relocation.
 */
#include <string.h>

#include <swapdiag/symbols.h>

#include "fuzz.h"

static void query(struct sd_symtab *t, const uint8_t *data, size_t size)
{
	size_t n = sd_symtab_size(t);
	uint64_t a, b;

	for (size_t i = 0; i < n && i < 4096; i++) {
		const struct sd_symbol *s = sd_symtab_at(t, i);
		sd_symtab_lookup(t, s->start);
		sd_symtab_lookup(t, s->start - 1);
		sd_symtab_lookup(t, s->end);
		sd_symtab_module(t, s->module);
		if (i < 8)
			sd_symtab_find_name(t, s->name);
	}
	sd_symtab_lookup(t, 0);
	sd_symtab_lookup(t, UINT64_MAX);
	if (size >= 8) {
		uint64_t addr;
		memcpy(&addr, data + size - 8, 8);
		sd_symtab_lookup(t, addr);
	}
	sd_symtab_find_name(t, "_text");
	sd_symtab_ref_addr(t, "_text", &a);
	sd_symtab_ref_addr(t, "_stext", &a);
	if (sd_symtab_range(t, &a, &b) == 0)
		sd_symtab_lookup(t, a + (b - a) / 2);
	sd_symtab_relocate(t, 0x1000);
	sd_symtab_relocate(t, -0x2000);
	if (n)
		sd_symtab_lookup(t, sd_symtab_at(t, n - 1)->start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_symtab *t;
	struct sd_diags diags;
	struct sd_build_id id, want = {.size = 20};
	const uint8_t *buf = size ? data : (const uint8_t *)"";

	sd_diags_init(&diags);
	if (sd_symtab_from_kallsyms((const char *)buf, size, &diags, &t) == 0) {
		query(t, buf, size);
		sd_symtab_free(t);
	}
	sd_diags_clear(&diags);

	sd_elf_build_id(buf, size, &id);
	if (sd_symtab_from_elf(buf, size, NULL, &diags, &t) == 0) {
		query(t, buf, size);
		sd_symtab_free(t);
	}
	sd_diags_clear(&diags);
	/* with a build-id to check against (refused, unless it matches) */
	if (sd_symtab_from_elf(buf, size, &want, &diags, &t) == 0)
		sd_symtab_free(t);
	sd_diags_clear(&diags);
	return 0;
}
