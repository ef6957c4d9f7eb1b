/* SPDX-License-Identifier: MIT */
/* Bundle internals: ustar blocks, and byte streams through zstd. */
#ifndef SD_BUNDLE_INTERNAL_H
#define SD_BUNDLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <swapdiag/bundle.h>

#define SD_TAR_BLOCK 512
#define SD_TAR_NAME_MAX 255 /* prefix "/" name */

/* ---- ustar ------------------------------------------------------------ */

enum sd_tar_kind {
	SD_TAR_FILE,  /* '0' or NUL (old regular file), '7' contiguous */
	SD_TAR_SKIP,  /* 'x'/'g' pax headers, '5' directories: data skipped */
	SD_TAR_OTHER, /* links, devices, fifos, GNU long names: refused */
};

struct sd_tar_member {
	char name[SD_TAR_NAME_MAX + 1]; /* "./" stripped */
	uint64_t size;
	uint64_t mtime;
	char typeflag;
	enum sd_tar_kind kind;
};

/*
 * A ustar header for a regular file (mode 0600, uid/gid 0).  name must
 * pass sd_tar_name_ok() and be shorter than 100 bytes; sizes from 8 GiB
 * on are written in base-256 (the GNU/star extension every tar reads).
 */
int sd_tar_header_encode(uint8_t blk[SD_TAR_BLOCK], const char *name,
			 uint64_t size, uint64_t mtime);

/*
 * Decodes a header block.  Returns 1 for a member, 0 for an all-zero
 * block (end of archive), or -EBADMSG with the reason in why (bad
 * checksum, not ustar, a number that is not one, a name refused by
 * sd_tar_name_ok()).
 */
int sd_tar_header_decode(const uint8_t blk[SD_TAR_BLOCK],
			 struct sd_tar_member *m, const char **why);

/*
 * A member name that stays inside the archive: not empty, relative, no
 * ".." component, no control characters, at most SD_TAR_NAME_MAX bytes.
 */
bool sd_tar_name_ok(const char *name);

/* Bytes of padding after a member of this size. */
static inline uint64_t sd_tar_padding(uint64_t size)
{
	return (SD_TAR_BLOCK - size % SD_TAR_BLOCK) % SD_TAR_BLOCK;
}

/* ---- input: file or memory, plain or zstd ------------------------------ */

struct sd_bin {
	int fd;                 /* -1 for memory */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	uint64_t raw_off;       /* compressed bytes consumed */
	bool zstd;
	void *dctx;
	uint8_t *ibuf;          /* compressed input window (files) */
	const uint8_t *in;      /* current input: ibuf or mem */
	size_t in_len, in_pos;
	bool raw_eof;
	uint8_t *obuf;          /* decompressed window */
	size_t out_len, out_pos;
	size_t zret;            /* last ZSTD_decompressStream() hint */
	uint64_t off;           /* decompressed bytes delivered */
	bool zstd_incomplete;   /* input ended inside a frame */
};

/* Starts reading; detects zstd by its magic. */
int sd_bin_open_fd(struct sd_bin *s, int fd);
int sd_bin_open_mem(struct sd_bin *s, const void *buf, size_t len);
void sd_bin_close(struct sd_bin *s);
/*
 * Reads up to n bytes: fewer only at the end of the input.  Returns the
 * count, or a negative error (-SD_E_ZSTD, -SD_E_NO_ZSTD, -EIO...).
 */
ssize_t sd_bin_read(struct sd_bin *s, void *buf, size_t n);

/* ---- output ------------------------------------------------------------ */

struct sd_bout {
	int fd;
	bool zstd;
	void *cctx;
	uint8_t *obuf;
	size_t ocap;
	uint64_t written; /* uncompressed bytes accepted */
};

int sd_bout_init(struct sd_bout *o, int fd, bool compress);
int sd_bout_write(struct sd_bout *o, const void *p, size_t n);
/* Ends the zstd frame; the fd is not closed. */
int sd_bout_finish(struct sd_bout *o);
void sd_bout_fini(struct sd_bout *o);

/* write(2) until done, through EINTR. */
int sd_write_all(int fd, const void *p, size_t n);

#endif
