/* SPDX-License-Identifier: MIT */
/*
 * The bundle reader's shared state ("br"): reader.c walks the archive,
 * member.c takes one member (into a temporary file or memory),
 * manifest.c reads manifest.json.
 */
#ifndef SD_BUNDLE_READ_H
#define SD_BUNDLE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle/internal.h"

/* The members a bundle reader knows (their names: member.c). */
enum member {
	M_MANIFEST,
	M_UNAME,
	M_SWAPS,
	M_MEMINFO,
	M_SYSCTL_VM,
	M_PROCS,
	M_KALLSYMS,
	M_PERF_DATA,
	M_COUNT,
};

struct sd_bundle {
	char *perf_path, *ksyms_path;
	struct sd_perf_archive *dsos; /* "dsos/..." members, or NULL */
	char *format;
	char *kernel_build_id; /* manifest, checked to be hex */
	struct sd_host *host;
	struct sd_diags diags;
	/* small members while reading */
	char *text[M_COUNT];
	size_t text_len[M_COUNT];
	bool seen[M_COUNT];
};

/* One reading of a bundle. */
struct sd_br_ctx {
	struct sd_bundle *b;
	struct archive *in;
	/* the input again, to tell a cut first header from a foreign file */
	int fd;
	const void *mem;
	size_t mem_len;
	const char *tmpdir;
	struct sd_diags *why; /* fatal reasons */
};

/* Adds the fatal reason to c->why (when there is one); returns err. */
int sd_br_fail(struct sd_br_ctx *c, int err, uint64_t off, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* The input again for sd_larc_raw_*(). */
static inline struct sd_larc_src sd_br_src(const struct sd_br_ctx *c)
{
	return (struct sd_larc_src){c->fd, c->mem, c->mem_len};
}

/* The current member e of the walk, named name, its header at hdr_off:
 * 0 to go on, 1 to stop reading (a usable end), or an error. */
int sd_br_member(struct sd_br_ctx *c, struct archive_entry *e,
		 const char *name, uint64_t hdr_off);
/* The manifest (read as the first member): checks the format, takes what
 * the host context needs. */
int sd_br_manifest(struct sd_br_ctx *c);
/* The first line of t[0, n), at most 1024 bytes, control characters as
 * '?'; malloc'ed, NULL without memory. */
char *sd_br_first_line(const char *t, size_t n);

#endif
