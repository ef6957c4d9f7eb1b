/* SPDX-License-Identifier: MIT */
/* Private to src/symbols: the symbolizer and its DSOs. */
#ifndef SD_SYMBOLS_SYMBOLIZER_INTERNAL_H
#define SD_SYMBOLS_SYMBOLIZER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/symbols.h>

struct sd_dso {
	struct sd_symbolizer *s;
	struct sd_dso *hnext;
	uint64_t hash;
	char *path;
	struct sd_build_id id;
	bool kernel;
	bool tried;
	struct sd_symtab *tab;
	char *symsrc; /* the file the symbols came from */
};

struct sd_symbolizer {
	char *kallsyms, *vmlinux, *symfs, *buildid_dir;
	char *host_kallsyms, *host_notes, *host_release;
	bool no_host_kernel;
	const struct sd_file_info *info;
	struct sd_diags diags;

	struct sd_dso **buckets;
	size_t nbuckets, ndsos;
	struct sd_dso *kernel;

	bool have_reloc;
	char *reloc_sym;
	uint64_t reloc_addr;

	char **module_names; /* "[ext4]" by module index, made on demand */
	size_t nmodule_names;
};

/* Finds and loads a user DSO's symbols (dsopath.c). */
void sd_dso_load_user(struct sd_dso *d);

/* malloc'ed printf; NULL on failure. */
char *sd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool sd_is_regular_file(const char *path);

#endif
