/* SPDX-License-Identifier: MIT */
/* Private to src/symbols: the symbolizer and its DSOs. */
#ifndef SD_SYMBOLS_SYMBOLIZER_INTERNAL_H
#define SD_SYMBOLS_SYMBOLIZER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/symbols.h>

#include "util/str.h"

/* The kernel DSO's name, as perf names it */
#define KERNEL_NAME "[kernel.kallsyms]"

struct sd_dso {
	struct sd_symbolizer *s;
	struct sd_dso *hnext;
	uint64_t hash;
	char *path;
	size_t path_len;
	struct sd_build_id id;
	bool kernel;
	bool tried;
	struct sd_symtab *tab;
	char *symsrc; /* the file the symbols came from */
	char *binpath; /* the file with the code and CFI (unwinding) */
	struct sd_a2l *a2l; /* addr2line's view of symsrc (a2l.c) */
	bool a2l_tried;
	/* prefetch.c: enum sd_pf_state, under the prefetcher's lock, and
	 * what the worker's load said (moved to the symbolizer's diags
	 * when the DSO is first used) */
	uint8_t pf_state;
	bool pf_queued; /* set before the worker starts, never after */
	struct sd_diags pf_diags;
};

struct sd_a2l;
void sd_a2l_free(struct sd_a2l *t);

struct sd_symbolizer {
	char *kallsyms, *vmlinux, *symfs, *buildid_dir, *archive_dir;
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

	/* kernel symbol checks (kcheck.c) */
	enum sd_ksym_source kallsyms_source;
	char *kallsyms_name;
	struct sd_build_id kallsyms_id; /* size 0: not known */
	bool unchecked;
	bool have_kmap, verified;
	uint64_t kmap_start, kmap_len, kmap_pgoff;
	struct sd_kernel_symbols ks;

	char **module_names; /* "[ext4]" by module index, made on demand */
	size_t nmodule_names;
	/* the kernel map's range once perf has loaded kallsyms: the core
	 * symbols' (core_range(), symbolizer.c), worked out on first need
	 * (kernel_map_has()); kmap_state 0: not yet, 1: that range, 2: none
	 * (no kallsyms core symbols) */
	uint8_t kmap_state;
	uint64_t kmap_lo, kmap_hi;

	struct sd_prefetch *pf; /* prefetch.c; NULL: none */

	/* sd_symbolizer_dso() of a path without a build-id: the dso it
	 * gave, by the path's length and its first and last eight bytes
	 * (every mmap record of a process names the same few files: a full
	 * hash of each name cost more than the rest of the record), in
	 * MEMO_SETS sets of MEMO_WAYS entries, the newest first; emptied
	 * when the recording's build-id list grows (pipe mode: HEADER_BUILD_ID
	 * records) */
#define MEMO_SETS 64 /* sd_symbolizer_dso() takes a key's top 6 bits */
#define MEMO_WAYS 4
	struct dso_memo {
		uint64_t head, tail;
		size_t len;
		struct sd_dso *dso;
	} memo[MEMO_SETS * MEMO_WAYS];
	size_t memo_nr_build_ids;
};

/* Finds and loads a user DSO's symbols (dsopath.c); messages to diags. */
void sd_dso_load_user(struct sd_dso *d, struct sd_diags *diags);

/*
 * Loading the symbol tables of the recording's sampled user DSOs on a
 * second thread (prefetch.c).  perf record writes a BUILD_ID entry for
 * each DSO that samples hit; those tables are loaded ahead, in file
 * order, while the main thread reads records.
 */
enum sd_pf_state { SD_PF_NONE, SD_PF_QUEUED, SD_PF_LOADING, SD_PF_DONE,
		   SD_PF_TAKEN };
/* Starts the worker for the BUILD_ID entries of s->info; on any failure
 * there is simply no prefetching. */
void sd_prefetch_start(struct sd_symbolizer *s);
/* For ensure_loaded(): true if the worker loaded d (waiting for it if it
 * is loading d now; its messages moved to s->diags), false if the caller
 * must load d itself (never queued, or not started yet: taken back). */
bool sd_prefetch_claim(struct sd_dso *d);
/* Stops the worker (what it has not started is dropped) and joins it. */
void sd_prefetch_stop(struct sd_symbolizer *s);
/* The dso of a path and build-id, made if new (symbolizer.c). */
struct sd_dso *sd_symbolizer_intern(struct sd_symbolizer *s, const char *path,
				    const struct sd_build_id *id);

/* kcheck.c: the build-id of an ELF file, read through a mapping; the
 * evidence sentence; a build-id that came with the symbols (s->ks) against
 * the recorded one (k), settling s->ks.matches. */
int sd_file_build_id(const char *path, struct sd_build_id *out);
void sd_ks_say(struct sd_symbolizer *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sd_ks_compare_ids(struct sd_symbolizer *s, const struct sd_dso *k,
		       const char *whose);
/* Settles s->ks.matches and evidence from the recording (kcheck.c). */
void sd_kcheck_settle(struct sd_symbolizer *s, struct sd_symtab *t,
		      const struct sd_kernel_evidence *ev);

bool sd_is_regular_file(const char *path);
/* Loads the kernel DSO k's symbols from the first source allowed and
 * present (ksource.c); called once, on its first lookup. */
void sd_symbolizer_load_kernel(struct sd_dso *k);

#endif
