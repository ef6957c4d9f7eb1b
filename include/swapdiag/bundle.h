/* SPDX-License-Identifier: MIT */
/*
 * Bundles: everything `swapdiag record` takes from the sick host, in one
 * file -- a ustar archive compressed with zstd (NAME.swapdiag.tar.zst;
 * a plain .swapdiag.tar when built without zstd):
 *
 *	manifest.json		format "swapdiag-bundle/1", the recording
 *				command, fork counters, the host kernel's
 *				build-id, the list of files
 *	uname.txt		uname -a
 *	swaps.txt		/proc/swaps
 *	meminfo.txt		/proc/meminfo
 *	sysctl-vm.txt		"vm.NAME = VALUE" for each /proc/sys/vm file
 *	swapped-procs.tsv	the processes with the most memory in swap
 *	kallsyms		/proc/kallsyms
 *	dsos/...		with record --with-dsos: the sampled user
 *				DSOs, perf archive names (DSO/ID/elf,
 *				DSO/ID/debug; see below) under dsos/
 *	perf.data		perf record's output
 *
 * The manifest is always the first member (that is how a bundle is told
 * from other input), perf.data the last (a truncated copy then loses only
 * the recording's tail, which the perf.data reader handles).
 *
 * A bundle is untrusted input.  libarchive parses the tar layer (ustar,
 * pax, GNU) and the zstd stream; the reader never uses a member's name
 * as a path: it matches names against the list above and writes the two
 * big members to private temporary files (mkstemp), the dsos/ members
 * into a private directory by build-id, everything else to memory under
 * fixed caps.  Names with "..", absolute names, links and devices, bad
 * checksums and sizes past the data are refused; a zstd bundle's frame
 * checksum is checked.
 *
 * Like the rest of libswapdiag, nothing here prints or exits; functions
 * return 0 or a negative errno / SD_E_* code.
 */
#ifndef SWAPDIAG_BUNDLE_H
#define SWAPDIAG_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>

#define SD_BUNDLE_FORMAT "swapdiag-bundle/1"
#define SD_BUNDLE_SUFFIX_ZST ".swapdiag.tar.zst"
#define SD_BUNDLE_SUFFIX_TAR ".swapdiag.tar"

/* Member names. */
#define SD_BUNDLE_MANIFEST "manifest.json"
#define SD_BUNDLE_UNAME "uname.txt"
#define SD_BUNDLE_SWAPS "swaps.txt"
#define SD_BUNDLE_MEMINFO "meminfo.txt"
#define SD_BUNDLE_SYSCTL_VM "sysctl-vm.txt"
#define SD_BUNDLE_PROCS "swapped-procs.tsv"
#define SD_BUNDLE_KALLSYMS "kallsyms"
#define SD_BUNDLE_PERF_DATA "perf.data"

/* Caps the reader holds members to (bytes). */
#define SD_BUNDLE_MAX_SMALL (4u << 20)   /* manifest and text files */
#define SD_BUNDLE_MAX_KALLSYMS (1ull << 30)
#define SD_BUNDLE_MAX_PERF_DATA (1ull << 40)

/* ---- the host context ------------------------------------------------ */

/* Unknown numbers are -1. */
struct sd_host_swap {
	char *name;       /* /proc/swaps Filename, unescaped */
	char *type;       /* "partition", "file" */
	int64_t size_kib, used_kib;
	int64_t priority;
};

struct sd_host_proc {
	char *comm;
	uint32_t pid;
	int64_t swap_kib; /* VmSwap */
	int64_t rss_kib;  /* VmRSS */
};

struct sd_host_setting {
	char *name;  /* "swappiness" (from vm.swappiness) */
	char *value; /* as the file had it, whitespace runs made one space */
};

/*
 * What a bundle says about the recorded host, parsed from its text
 * members and manifest.  Processes are heaviest VmSwap first.
 */
struct sd_host {
	char *uname;            /* "Linux vm 6.1.0 #1 SMP ... x86_64" */
	char *created;          /* manifest: UTC time, ISO 8601 */
	char *record_command;   /* the perf command line that recorded */
	double duration_s;      /* wall time of the recording, or -1 */
	int64_t swappiness;     /* vm.swappiness, or -1 */
	/* /proc/meminfo highlights, KiB */
	int64_t mem_total_kib, mem_available_kib, swap_total_kib,
		swap_free_kib, swap_cached_kib, anon_pages_kib;
	/* host-wide forks (/proc/stat "processes") over the recording */
	int64_t forks;
	double forks_per_s;     /* -1 when unknown */
	struct sd_host_swap *swaps;
	size_t nr_swaps;
	struct sd_host_setting *vm;
	size_t nr_vm;
	struct sd_host_proc *procs;
	size_t nr_procs;
};

/* ---- reading --------------------------------------------------------- */

struct sd_bundle;

/*
 * Whether the first bytes of a file look like a bundle: zstd or ustar,
 * whose first member is manifest.json.  head should be at least 512 bytes
 * of the decompressed archive for a plain tar; for zstd, the function
 * decompresses what it is given.  Returns 1, 0, or a negative error.
 */
int sd_bundle_probe_mem(const void *head, size_t len);
/* The same for a file (reads only its first kilobytes). */
int sd_bundle_probe(const char *path);

struct sd_bundle_opts {
	const char *tmpdir; /* NULL: $TMPDIR, else /tmp */
};

/*
 * Reads a bundle: perf.data and kallsyms into private temporary files
 * (removed by sd_bundle_free()), the host context into memory.  On
 * failure returns a negative error and the reasons in diags (if
 * non-NULL); problems that leave a usable bundle (a truncated perf.data,
 * a host file that does not parse) are warnings in sd_bundle_diags().
 */
int sd_bundle_open(const char *path, const struct sd_bundle_opts *o,
		   struct sd_diags *diags, struct sd_bundle **out);
/* Same, from a buffer (tests, fuzzing). */
int sd_bundle_open_mem(const void *buf, size_t len,
		       const struct sd_bundle_opts *o, struct sd_diags *diags,
		       struct sd_bundle **out);
struct sd_bundle *sd_bundle_free(struct sd_bundle *b);

/* The extracted recording (a temporary file). */
const char *sd_bundle_perf_data(const struct sd_bundle *b);
/* The DSOs of record --with-dsos, as a perf archive, or NULL. */
struct sd_perf_archive;
const struct sd_perf_archive *sd_bundle_dsos(const struct sd_bundle *b);
/* The extracted kallsyms copy, or NULL if the bundle has none. */
const char *sd_bundle_kallsyms(const struct sd_bundle *b);
const struct sd_host *sd_bundle_host(const struct sd_bundle *b);
/*
 * The recorded host's kernel build-id as the manifest gives it (lower-case
 * hex, from /sys/kernel/notes when the bundle was recorded), or NULL: the
 * analysis compares it with the recording's (symbols: kallsyms_build_id).
 */
const char *sd_bundle_kernel_build_id(const struct sd_bundle *b);
/* The manifest's format string ("swapdiag-bundle/1"). */
const char *sd_bundle_format(const struct sd_bundle *b);
struct sd_diags *sd_bundle_diags(struct sd_bundle *b);

/*
 * The temporary files sd_bundle_free() removes, for a signal handler that
 * must remove them itself: up to max paths, returns how many.
 */
size_t sd_bundle_temp_files(const struct sd_bundle *b, const char **paths,
			    size_t max);

/* Parses the host context from the texts (each may be NULL); tests. */
int sd_host_parse(const char *swaps, size_t swaps_len, const char *meminfo,
		  size_t meminfo_len, const char *sysctl_vm,
		  size_t sysctl_vm_len, const char *procs, size_t procs_len,
		  struct sd_diags *diags, struct sd_host **out);
struct sd_host *sd_host_free(struct sd_host *h);

/* ---- perf archive tarballs ----------------------------------------------- */

/*
 * `perf archive` writes PERF_DATA.tar.bz2 (later perf versions .tar.xz or
 * .tar.zst): the files of perf's build-id cache that the recording's
 * samples hit, named as in the cache --
 *
 *	.build-id/xx/REST		symlink to ../../DSO/XXREST (skipped)
 *	[kernel.kallsyms]/ID/kallsyms	the recorded kernel's kallsyms
 *	[kernel.kallsyms]/ID		the same, in perf's older layout
 *	DSO/ID/elf, DSO/ID/debug	a user DSO (DSO: its path without
 *	[vdso]/ID/vdso			the leading "/"), its debug file
 *
 * (ID: the build-id in lower-case hex).  The reader streams the archive
 * once and keeps only those members, under per-member and total caps, in
 * a private temporary directory laid out as a build-id cache (the symbol
 * stage reads files by path); nothing goes to ~/.debug.  Members are
 * matched by their names' shape and never used as paths: the files are
 * written under names made from the parsed build-id.
 */
#define SD_PERF_ARCHIVE_MAX_MEMBER (1ull << 30)
#define SD_PERF_ARCHIVE_MAX_TOTAL (8ull << 30)
#define SD_PERF_ARCHIVE_MAX_IDS 65536

struct sd_perf_archive;
struct sd_build_id; /* swapdiag/reader.h */

/*
 * Whether a file is a tar archive (plain, gzip, bzip2, xz or zstd) whose
 * first regular members have perf archive names.  1, 0, or a negative
 * error (only regular files are looked at).
 */
int sd_perf_archive_probe(const char *path);
int sd_perf_archive_probe_mem(const void *buf, size_t len);

/*
 * Reads a perf archive into a temporary directory under o->tmpdir (as
 * sd_bundle_open()).  Damage after some members were read is a warning in
 * sd_perf_archive_diags() and keeps what was read; an archive with no
 * member in perf archive form is an error (-SD_E_BAD_MAGIC).
 */
int sd_perf_archive_open(const char *path, const struct sd_bundle_opts *o,
			 struct sd_diags *diags, struct sd_perf_archive **out);
int sd_perf_archive_open_mem(const void *buf, size_t len,
			     const struct sd_bundle_opts *o,
			     struct sd_diags *diags,
			     struct sd_perf_archive **out);
/* Removes the temporary directory and everything in it. */
struct sd_perf_archive *sd_perf_archive_free(struct sd_perf_archive *a);

/* The directory, laid out as perf's build-id cache (for --buildid-dir-
 * like lookups: struct sd_symbol_opts.archive_dir). */
const char *sd_perf_archive_dir(const struct sd_perf_archive *a);
/* The build-ids the archive holds files for; *kernel set for the
 * kernel's ([kernel.kallsyms]). */
size_t sd_perf_archive_nr_ids(const struct sd_perf_archive *a);
const struct sd_build_id *sd_perf_archive_id(const struct sd_perf_archive *a,
					     size_t i, bool *kernel);
struct sd_diags *sd_perf_archive_diags(struct sd_perf_archive *a);
/*
 * The paths sd_perf_archive_free() removes, files first, then the
 * directories deepest first, for a signal handler (unlink() or rmdir()
 * each): up to max, returns how many.
 */
size_t sd_perf_archive_temp_files(const struct sd_perf_archive *a,
				  const char **paths, size_t max);

/* ---- what travels with a recording, as an analysis input ---------------- */

/*
 * The files an analysis reads besides the recording, resolved in one
 * place for the tool, the tests and the fuzzers: a swapdiag bundle given
 * as the input is extracted (its perf.data, kallsyms, host context and
 * record --with-dsos files), and a perf archive is opened -- the one the
 * user names, else PATH.tar.bz2 (.tar.xz, .tar.zst, .tar.gz) beside a
 * recording that is a regular file.
 *
 * Temporary files: sd_bundle_input_free() removes every one the object
 * made.  For a process that may die of a signal, the library installs no
 * handler: the caller's handler calls sd_bundle_input_remove_temps(),
 * which is async-signal-safe, and the caller blocks those signals while
 * sd_bundle_input_open() or sd_bundle_input_add_archive() runs (they
 * make the files and update the list the handler reads).
 */
struct sd_bundle_input;

/*
 * Opens the input path.  A bundle (a regular file that sd_bundle_probe()
 * recognises; "-" and other non-regular files are never probed, so a pipe
 * keeps its data) is extracted under o->tmpdir; anything else is left as
 * it is, for the perf.data reader and textin to say what it is.  Returns
 * 0 and *out, or a negative error with the reasons in diags: a bundle
 * that cannot be read (-SD_E_TRUNCATED, -SD_E_ZSTD, -EBADMSG, ...).
 * Problems that leave the bundle usable are in sd_bundle_input_diags().
 */
int sd_bundle_input_open(const char *path, const struct sd_bundle_opts *o,
			 struct sd_diags *diags, struct sd_bundle_input **out);
/* Removes every temporary file and directory; takes NULL, returns NULL. */
struct sd_bundle_input *sd_bundle_input_free(struct sd_bundle_input *in);

/*
 * The perf archive of the recording: named (the user's --archive) if
 * non-NULL, else one beside the input (never for a bundle or "-"), else a
 * bundle's own --with-dsos files.  0 with an archive or without one
 * (none beside); a negative error when the named or found archive cannot
 * be read, with the reasons in diags -- the input then has no archive
 * and stays usable (sd_bundle_input_archive_path() says which one
 * failed).  Call at most once.
 */
int sd_bundle_input_add_archive(struct sd_bundle_input *in, const char *named,
				const struct sd_bundle_opts *o,
				struct sd_diags *diags);

/* The input as given to sd_bundle_input_open(). */
const char *sd_bundle_input_path(const struct sd_bundle_input *in);
/* The recording to read: a bundle's extracted perf.data, else the path. */
const char *sd_bundle_input_data(const struct sd_bundle_input *in);
/* The bundle, or NULL when the input is none. */
const struct sd_bundle *sd_bundle_input_bundle(const struct sd_bundle_input *in);
/* A bundle's host context, or NULL. */
const struct sd_host *sd_bundle_input_host(const struct sd_bundle_input *in);
/*
 * A bundle's kallsyms (a temporary file), the name reports give it
 * ("PATH:kallsyms") and the build-id of the kernel it was copied from
 * (or NULL): NULL when the input is no bundle or the bundle has none.
 */
const char *sd_bundle_input_kallsyms(const struct sd_bundle_input *in,
				     const char **name, const char **build_id);
/* Warnings about a bundle that was read (a truncated perf.data, ...);
 * NULL when the input is no bundle. */
struct sd_diags *sd_bundle_input_diags(struct sd_bundle_input *in);

/* The perf archive sd_bundle_input_add_archive() opened, or NULL. */
const struct sd_perf_archive *
sd_bundle_input_archive(const struct sd_bundle_input *in);
/* Where it is (the bundle's path for a bundle's own), or the archive
 * that failed; NULL when none was tried. */
const char *sd_bundle_input_archive_path(const struct sd_bundle_input *in);
/* Whether it is the one the user named. */
bool sd_bundle_input_archive_named(const struct sd_bundle_input *in);
/* Diagnostics of the opened archive (damage after what was read). */
struct sd_diags *sd_bundle_input_archive_diags(struct sd_bundle_input *in);

/*
 * Removes the temporary files and directories made so far (files first,
 * directories deepest first) with unlink() and rmdir() only: safe in a
 * signal handler.  The object stays valid for sd_bundle_input_free(),
 * which then finds nothing left to remove.
 */
void sd_bundle_input_remove_temps(const struct sd_bundle_input *in);

/* ---- writing --------------------------------------------------------- */

struct sd_bundle_writer;

/*
 * Writes an archive to fd (which stays the caller's), zstd-compressed if
 * compress (SD_E_NO_ZSTD without zstd).  Members are written in the order
 * they are added; the first must be the manifest.
 */
int sd_bundle_writer_new(int fd, bool compress,
			 struct sd_bundle_writer **out);
/* A member from memory. */
int sd_bundle_writer_add(struct sd_bundle_writer *w, const char *name,
			 const void *buf, size_t len, uint64_t mtime);
/* A member from an open file, streamed; its size is taken now and must
 * not change while it is copied (-EIO if it does). */
int sd_bundle_writer_add_fd(struct sd_bundle_writer *w, const char *name,
			    int fd, uint64_t mtime);
/* The end-of-archive blocks and the end of the zstd frame. */
int sd_bundle_writer_finish(struct sd_bundle_writer *w);
struct sd_bundle_writer *sd_bundle_writer_free(struct sd_bundle_writer *w);

/* One member as the manifest lists it. */
struct sd_bundle_entry {
	const char *name;
	uint64_t size;
	const char *content; /* what it is: "/proc/swaps", ... */
};

/* What the manifest records beyond the file list. */
struct sd_bundle_meta {
	const char *tool_version;
	const char *hostname;
	int64_t created;            /* seconds since the epoch */
	char *const *record_argv;   /* the perf command, NULL-terminated */
	char *const *command_argv;  /* COMMAND, or NULL */
	double duration_s;          /* wall time perf ran */
	int perf_exit_status;       /* as perf exited (0: normally) */
	bool interrupted;           /* stopped early by a signal */
	int64_t processes_start, processes_end; /* /proc/stat, or -1 */
	double processes_seconds;   /* between the two reads */
	const char *const *warnings; /* NULL-terminated, or NULL */
	const char *kernel_build_id; /* hex, /sys/kernel/notes; or NULL */
};

/* The manifest JSON (malloc'ed, NUL-terminated) for these members. */
int sd_bundle_manifest(const struct sd_bundle_meta *m,
		       const struct sd_bundle_entry *files, size_t nr_files,
		       char **json, size_t *len);

/* ---- collecting on the recorded host ---------------------------------- */

/*
 * A /proc-style file read whole (its size is not known ahead), at most
 * max bytes; *out is malloc'ed and NUL-terminated.  -EFBIG past max.
 */
int sd_host_read_file(const char *path, size_t max, char **out, size_t *len);
/* "vm.NAME = VALUE\n" for every readable file in dir (/proc/sys/vm). */
int sd_host_collect_sysctl(const char *dir, const char *prefix, char **out,
			   size_t *len);
/*
 * The top processes by VmSwap under proc_root (/proc) as the TSV member
 * (only those with VmSwap > 0).
 */
int sd_host_collect_procs(const char *proc_root, size_t top, char **out,
			  size_t *len);
/* One file for record --with-dsos: bundle member name, path here. */
struct sd_bundle_dso {
	char *member; /* "dsos/usr/lib/.../libc.so.6/ID/elf" */
	char *path;
	uint64_t size;
};

struct sd_bundle_dsos {
	struct sd_bundle_dso *v;
	size_t n;
	size_t nr_dsos;        /* DSOs taken (a DSO may bring two files) */
	uint64_t total;        /* bytes taken */
	size_t over_cap;       /* DSOs left out for the cap ... */
	uint64_t over_cap_bytes; /* ... and their bytes */
	size_t missing;        /* not here, or here as another build */
};

struct sd_build_id_entry; /* swapdiag/reader.h */
/*
 * The files of the recording's user DSOs (its BUILD_ID entries), found
 * under root ("" for /) with the recorded build-id: each DSO and its
 * /usr/lib/debug/.build-id debug file, in the entries' order, while the
 * total stays within cap bytes.
 */
int sd_bundle_pick_dsos(const struct sd_build_id_entry *e, size_t n,
			uint64_t cap, const char *root,
			struct sd_bundle_dsos *out);
void sd_bundle_dsos_clear(struct sd_bundle_dsos *d);

/* "processes" of /proc/stat (forks since boot), or a negative error. */
int sd_host_forks_since_boot(const char *proc_stat, int64_t *out);

#endif
