/* SPDX-License-Identifier: MIT */
/*
 * Symbols: name addresses the way perf does.
 *
 * A struct sd_symtab is the sorted symbol table of one object: the kernel
 * (from a kallsyms copy or a vmlinux) or one user DSO (from its ELF
 * .symtab/.dynsym, plus synthesized "name@plt" entries, as perf makes
 * them).  Symbols at the same address are reduced to the one perf shows
 * (choose_best_symbol() in tools/perf/util/symbol.c: sized over zero-size,
 * non-weak over weak, global over local, fewer leading underscores, longer
 * name), and each symbol without a size ends where the next begins.
 *
 * A struct sd_symbolizer finds and loads those tables lazily, once per
 * object, from the places the user allows (DESIGN.md "Symbols"); it never
 * loads what no sample needs, and never resolves a recording against this
 * host's kernel unless the recording is of the running kernel.
 */
#ifndef SWAPDIAG_SYMBOLS_H
#define SWAPDIAG_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>
#include <swapdiag/reader.h>

/* ELF symbol bindings, as perf keeps them (kallsyms types map onto them). */
enum sd_sym_binding {
	SD_BIND_LOCAL = 0,
	SD_BIND_GLOBAL = 1,
	SD_BIND_WEAK = 2,
};

struct sd_symbol {
	uint64_t start, end; /* [start, end) in the table's address space */
	const char *name;    /* owned by the table */
	uint8_t binding;     /* enum sd_sym_binding */
	/* internal: name is still as stored in the file; the table demangles
	 * it (and cuts an overlong one) the first time a lookup function
	 * returns the symbol */
	uint8_t lazy;
	uint16_t module;     /* kallsyms: 0 = core kernel, else module index */
};

struct sd_symtab;

/*
 * Parses kallsyms text ("ADDR TYPE NAME[\t[MODULE]]" lines, as in
 * /proc/kallsyms).  Keeps the types perf keeps (T, W, D, B, either case:
 * W weak, other upper case global, lower case local); skips names starting
 * with '$' and "__pfx_" padding symbols (as perf >= 6.3 does).  Every
 * symbol ends where the next begins, so of aliases at one address perf
 * 6.1 -- and this -- keeps the last line (checked against perf).
 * Malformed lines are skipped and counted in one diagnostic.  An empty
 * table is an error (SD_E_BAD_SYMFILE); so is an all-zero kallsyms (read
 * without privilege), with a diagnostic saying to copy it as root.
 */
int sd_symtab_from_kallsyms(const char *text, size_t len,
			    struct sd_diags *diags, struct sd_symtab **out);
/* Same, from a file; a zstd-compressed file (.zst) is accepted. */
int sd_symtab_load_kallsyms(const char *path, struct sd_diags *diags,
			    struct sd_symtab **out);

/*
 * Loads the symbols of an ELF file in memory as perf 6.1 loads a user DSO
 * (.symtab, else .dynsym: functions, objects and text/data labels, plus
 * "name@plt" entries), in perf's address space for it: comparable with
 * "ip - map.start + map.pgoff", i.e. st_value - (p_vaddr - p_offset) of
 * its PT_LOAD -- perf 6.1 adjusts every user DSO, which changes nothing
 * for usual ET_DYN text and subtracts 0x400000 for an x86-64 ET_EXEC.
 * C++ names are demangled as perf shows them (no parameters).  If want is
 * non-NULL and non-empty, a file whose build-id differs (or that has none)
 * is refused with SD_E_BUILD_ID_MISMATCH.  buf is copied, never modified.
 */
int sd_symtab_from_elf(const void *buf, size_t len,
		       const struct sd_build_id *want, struct sd_diags *diags,
		       struct sd_symtab **out);
/* Same, from a path (mapped read-only while loading, not kept). */
int sd_symtab_load_elf(const char *path, const struct sd_build_id *want,
		       struct sd_diags *diags, struct sd_symtab **out);
/* A vmlinux: kernel symbols (addresses as linked, no demangling, no PLT;
 * relocate like kallsyms).  A vmlinux without .symtab is refused. */
int sd_symtab_load_vmlinux(const char *path, const struct sd_build_id *want,
			   struct sd_diags *diags, struct sd_symtab **out);

struct sd_symtab *sd_symtab_free(struct sd_symtab *t);

/* The symbol covering addr, or NULL.  O(log n). */
const struct sd_symbol *sd_symtab_lookup(const struct sd_symtab *t,
					 uint64_t addr);
/* The first symbol named name, or NULL (linear; for _text and friends). */
const struct sd_symbol *sd_symtab_find_name(const struct sd_symtab *t,
					    const char *name);
size_t sd_symtab_size(const struct sd_symtab *t);
/* The i-th symbol in address order (0 <= i < sd_symtab_size()), or NULL. */
const struct sd_symbol *sd_symtab_at(const struct sd_symtab *t, size_t i);
/* Kallsyms module name of a symbol's module index ("ext4"), NULL for 0. */
const char *sd_symtab_module(const struct sd_symtab *t, uint16_t module);
/*
 * Moves the core kernel symbols (module index 0) by delta (kernel
 * relocation, KASLR).  Module symbols stay: perf matches them through the
 * recording's own module maps (maps__split_kallsyms()).  Deltas add up.
 */
void sd_symtab_relocate(struct sd_symtab *t, int64_t delta);
/*
 * The address of a relocation reference symbol ("_text", "_stext") as the
 * file gives it, before any relocation: for kallsyms the first line of
 * that name with type T, t, W, w or A (perf's kallsyms__get_function_start,
 * so it is found even when a duplicate reduction dropped it), else the
 * first table symbol of that name.  -ENOENT if absent.
 */
int sd_symtab_ref_addr(const struct sd_symtab *t, const char *name,
		       uint64_t *addr);
/*
 * [start, end) spanned by the core (non-module) symbols: perf trims the
 * kernel map to it after loading kallsyms (map__fixup_start/end), so a
 * kernel address outside it and outside every module map has no map.
 */
int sd_symtab_range(const struct sd_symtab *t, uint64_t *start,
		    uint64_t *end);

/* Reads the GNU build-id note of an ELF file in memory. */
int sd_elf_build_id(const void *buf, size_t len, struct sd_build_id *out);
/* Lower-case hex of a build-id into buf (2 * SD_BUILD_ID_MAX + 1 bytes). */
void sd_build_id_hex(const struct sd_build_id *id, char *buf);

/*
 * Where the kernel symbols came from (JSON input.kernel_symbols.source:
 * "none", "kallsyms", "bundle", "perf-archive", "build-id-cache",
 * "running-kernel", "vmlinux").
 */
enum sd_ksym_source {
	SD_KSYM_NONE,
	SD_KSYM_KALLSYMS,       /* a --kallsyms file */
	SD_KSYM_BUNDLE,         /* the kallsyms a swapdiag bundle carries */
	SD_KSYM_PERF_ARCHIVE,   /* a perf archive tarball */
	SD_KSYM_BUILDID_CACHE,  /* perf's build-id cache (~/.debug) */
	SD_KSYM_RUNNING_KERNEL, /* this host's /proc/kallsyms */
	SD_KSYM_VMLINUX,        /* a --vmlinux image */
};
/* The source's name as above. */
const char *sd_ksym_source_name(enum sd_ksym_source s);

/*
 * What is known about the kernel symbols an analysis used: where they
 * came from and whether they belong to the recorded kernel.  matches is
 * 1 (verified), 0 (they do not belong to it) or -1 (could not tell);
 * evidence is one short sentence saying why.
 */
struct sd_kernel_symbols {
	enum sd_ksym_source source;
	const char *path;             /* the file, or NULL */
	struct sd_build_id build_id;  /* of the symbols' kernel; size 0: unknown */
	int matches;
	bool loaded;     /* the symbols name kernel frames */
	bool unchecked;  /* --kallsyms-unchecked: a mismatch only warns */
	char evidence[512];
};

/*
 * What the recording shows about its kernel, for checking a kallsyms
 * text (which has no build-id) against it; see sd_symbolizer_verify_kernel().
 */
struct sd_kernel_evidence {
	/* kernel call chains (sample-weighted), and those whose outermost
	 * kernel frame is an entry point (sd_kernel_entry_point()) */
	uint64_t chains, chains_at_entry;
	/* the most frequent outermost kernel frame that is not one, or NULL */
	const char *odd_outer;
	/* sampled IPs in the core kernel's map (not in a module's) */
	const uint64_t *ips;
	size_t nr_ips;
};

/*
 * Whether a kernel function is where kernel call chains start: system call
 * entry, interrupt and exception entry, ret_from_fork, kernel threads, the
 * idle and CPU start-up paths (every era and architecture swapdiag knows,
 * a table in kcheck.c).
 */
bool sd_kernel_entry_point(const char *name);

/* The GNU build-id in an ELF notes blob (the format of /sys/kernel/notes). */
int sd_notes_build_id(const void *buf, size_t len, struct sd_build_id *out);
/* Parses a build-id written in hex; -EINVAL if it is not one. */
int sd_build_id_parse(const char *hex, struct sd_build_id *out);

/* Where symbols may come from. */
struct sd_symbol_opts {
	const char *kallsyms;    /* --kallsyms: kernel symbols, always used */
	/* what kallsyms is: SD_KSYM_KALLSYMS (also for SD_KSYM_NONE) or
	 * SD_KSYM_BUNDLE; the name reports give it (NULL: the path); the
	 * build-id (hex) of the kernel it was copied from, when known (a
	 * bundle records it), checked against the recorded one */
	enum sd_ksym_source kallsyms_source;
	const char *kallsyms_name;
	const char *kallsyms_build_id;
	/* a kernel symbol source that fails its check is still used, with a
	 * warning, instead of making the verdict UNKNOWN */
	bool kallsyms_unchecked;
	const char *vmlinux;     /* --vmlinux */
	const char *symfs;       /* --symfs: root for every user DSO path */
	const char *buildid_dir; /* perf's build-id cache, default ~/.debug */
	/*
	 * A perf archive's files, laid out as a build-id cache
	 * (sd_perf_archive_dir()): looked in before buildid_dir for the
	 * kernel and every user DSO, always by the recorded build-id.
	 */
	const char *archive_dir;
	bool no_host_kernel;     /* never use /proc/kallsyms */
	/*
	 * Load the symbol tables of the user DSOs the recording names in its
	 * BUILD_ID feature (perf record lists the DSOs its samples hit) on a
	 * second thread, ahead of the first sample that needs them.  What
	 * is found, and every message, is the same as without it; messages
	 * of a DSO still come when it is first used.
	 */
	bool prefetch;
	/*
	 * This host, for tests; NULL means the real thing: /proc/kallsyms,
	 * /sys/kernel/notes (the running kernel's build-id) and uname -r.
	 */
	const char *host_kallsyms;
	const char *host_notes;
	const char *host_release;
};

struct sd_symbolizer;
struct sd_dso;

/*
 * info supplies the recording's BUILD_ID entries and os release (to decide
 * whether this host's kernel is the recorded one); it must outlive the
 * symbolizer.  Messages about missing or refused symbol sources go to diags
 * (owned by the symbolizer), once per object.
 */
int sd_symbolizer_new(const struct sd_symbol_opts *opts,
		      const struct sd_file_info *info,
		      struct sd_symbolizer **out);
struct sd_symbolizer *sd_symbolizer_free(struct sd_symbolizer *s);
struct sd_diags *sd_symbolizer_diags(struct sd_symbolizer *s);

/*
 * The DSO for a mapped path (as recorded in MMAP/MMAP2) with the build-id
 * the recording gives for it (MMAP2 or BUILD_ID feature; may be NULL).
 * Interned: the same path and build-id give the same handle.  Nothing is
 * loaded until sd_dso_lookup() needs it.
 */
struct sd_dso *sd_symbolizer_dso(struct sd_symbolizer *s, const char *path,
				 const struct sd_build_id *build_id);
/* The kernel's DSO ("[kernel.kallsyms]"). */
struct sd_dso *sd_symbolizer_kernel(struct sd_symbolizer *s);
/*
 * Tells the symbolizer where the recorded kernel's text was (from the
 * "[kernel.kallsyms]_text" MMAP: symbol name and address), so that a
 * kallsyms copy from another boot of the same kernel (KASLR) is relocated.
 */
void sd_symbolizer_set_kernel_reloc(struct sd_symbolizer *s, const char *sym,
				    uint64_t addr);

/*
 * The recorded kernel map (the "[kernel.kallsyms]_text" MMAP: start, len,
 * pgoff): perf 4.18 and later record _etext - _text as its length, which a
 * kallsyms of the same build reproduces exactly.
 */
void sd_symbolizer_set_kernel_map(struct sd_symbolizer *s, uint64_t start,
				  uint64_t len, uint64_t pgoff);
/*
 * Where the kernel symbols came from and whether they match, so far (the
 * kernel's table is loaded if it was not yet): build-ids compared where
 * both exist.  NULL only without memory.
 */
const struct sd_kernel_symbols *
sd_symbolizer_kernel_symbols(struct sd_symbolizer *s);
/*
 * Checks the kernel symbols against what the recording shows (call-chain
 * entry points, sampled IPs inside the text, the kernel map's length, the
 * recorded release vs names only some releases have) and settles
 * matches and evidence; a mismatch adds a diagnostic.  Call once, after
 * the samples were read.
 */
void sd_symbolizer_verify_kernel(struct sd_symbolizer *s,
				 const struct sd_kernel_evidence *ev);
/*
 * Where the kernel's symbols came from, once loaded: "kallsyms"
 * (--kallsyms), "bundle", "perf-archive", "build-id-cache",
 * "running-kernel", "vmlinux", or "none" (also before anything was
 * loaded): sd_ksym_source_name() of sd_symbolizer_kernel_symbols().
 */
const char *sd_symbolizer_kernel_source(const struct sd_symbolizer *s);

/* perf's name for the DSO: the path, "[kernel.kallsyms]", "[vdso]", ... */
const char *sd_dso_name(const struct sd_dso *d);
bool sd_dso_is_kernel(const struct sd_dso *d);
/*
 * Loads the DSO's symbols if not tried yet; the file they came from (a
 * kallsyms copy, vmlinux, ELF or debug file), or NULL when there are none.
 */
const char *sd_dso_symsrc(struct sd_dso *d);
/*
 * User DSOs: the file that holds the DSO's loaded image (program headers,
 * code, .eh_frame), found as its symbols are (--symfs, build-id cache,
 * recorded path; the recorded build-id must match), for the DWARF
 * unwinder; NULL when there is none.  Owned by the DSO.
 */
const char *sd_dso_binary(struct sd_dso *d);
/*
 * User DSOs: the name `addr2line -f` gives addr (perf's map_ip space)
 * from the DSO's symbol file without debug information -- how perf 6.1
 * names a frame found by DWARF unwinding (see a2l.c) -- or NULL.  Owned
 * by the DSO.
 */
const char *sd_dso_a2l_name(struct sd_dso *d, uint64_t addr);
/*
 * Kernel only: the [start, end) of the core kernel symbols, which perf
 * makes the kernel map's range after loading kallsyms (see
 * sd_symtab_range()).  -ENOENT when no kernel symbols are loaded.
 */
int sd_dso_kernel_range(struct sd_dso *d, uint64_t *start, uint64_t *end);
/*
 * The symbol at addr (kernel: the address itself; user DSO: the address
 * in perf's map_ip space), loading the table on first use.  NULL when
 * unresolved.  *dso_name_out, if non-NULL, receives the name of the DSO
 * that really holds the symbol (a kernel module's "[ext4]").
 */
const struct sd_symbol *sd_dso_lookup(struct sd_dso *d, uint64_t addr,
				      const char **dso_name_out);
/*
 * sd_dso_lookup() of an address in the map named map_name, as perf 6.1
 * names it: a user DSO's the same.  The kernel's: in a module's map
 * ("[ext4]") only that module's kallsyms symbols, else no symbol and the
 * map's name; in the kernel's own map ("[kernel.kallsyms]", or NULL) only
 * the core kernel's, else no symbol and "[kernel.kallsyms]" -- or
 * "[unknown]" (no map at all) past the map's range: the core symbols'
 * once kallsyms is loaded, the recorded map's without kallsyms.
 */
const struct sd_symbol *sd_dso_lookup_map(struct sd_dso *d, uint64_t addr,
					  const char *map_name,
					  const char **dso_name_out);

#endif
