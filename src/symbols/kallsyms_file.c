/* SPDX-License-Identifier: MIT */
/*
 * Kallsyms input (kallsyms.c parses it): a regular file mapped whole, a
 * /proc file or other stream read, a zstd-compressed copy decompressed,
 * or a caller's text copied -- each into a buffer the table keeps, its
 * names pointing into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "symbols/internal.h"

#if HAVE_ZSTD
#include <zstd.h>
#endif

static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

#if HAVE_ZSTD
static int unzstd(const uint8_t *in, size_t len, struct sd_bigbuf *out,
		  size_t *out_len)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	struct sd_bigbuf b = {0};
	size_t used = 0, ret = 1;
	int err;

	if (!ds)
		return -ENOMEM;
	err = sd_bigbuf_reserve(&b, SD_KALLSYMS_MAX_BYTES + 1);
	if (err)
		goto out;
	ZSTD_initDStream(ds);
	ZSTD_inBuffer ib = {in, len, 0};
	while (ib.pos < ib.size || ret != 0) {
		/* Keep a byte for the NUL after the text. */
		err = sd_bigbuf_ensure(&b, used + (1 << 20) + 1);
		if (err < 0 && (err = sd_bigbuf_ensure(&b, used + 2)) < 0)
			goto out;
		ZSTD_outBuffer ob = {b.p, b.populated - 1, used};
		size_t before_in = ib.pos;
		ret = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(ret)) {
			err = -SD_E_ZSTD;
			goto out;
		}
		if (ob.pos == used && ib.pos == before_in) {
			/* No progress with room left: the input is cut short. */
			err = ob.pos < ob.size ? -SD_E_TRUNCATED : -SD_E_LIMIT;
			goto out;
		}
		used = ob.pos;
	}
	b.p[used] = '\0';
	*out = b;
	*out_len = used;
	b.p = NULL;
	err = 0;
out:
	sd_bigbuf_free(&b);
	ZSTD_freeDStream(ds);
	return err;
}
#endif

/* Takes buf, len bytes (no NUL after a mapped file); decompresses zstd
 * first if needed. */
static int from_owned(struct sd_bigbuf *buf, size_t len,
		      struct sd_diags *diags, struct sd_symtab **out)
{
	if (len >= 4 && !memcmp(buf->p, zstd_magic, 4)) {
#if HAVE_ZSTD
		struct sd_bigbuf plain;
		size_t plain_len;
		int err = unzstd((const uint8_t *)buf->p, len, &plain,
				 &plain_len);
		sd_bigbuf_free(buf);
		if (err) {
			if (diags)
				sd_diags_add(diags, SD_ERROR, err, UINT64_MAX,
					     "kallsyms: cannot decompress the "
					     "zstd data: %s", sd_strerror(err));
			return err;
		}
		return sd_kallsyms_parse_owned(&plain, plain_len, diags, out);
#else
		sd_bigbuf_free(buf);
		if (diags)
			sd_diags_add(diags, SD_ERROR, SD_E_NO_ZSTD, UINT64_MAX,
				     "kallsyms: the file is zstd-compressed "
				     "and swapdiag was built without zstd; "
				     "decompress it with unzstd first");
		return -SD_E_NO_ZSTD;
#endif
	}
	return sd_kallsyms_parse_owned(buf, len, diags, out);
}

int sd_symtab_from_kallsyms(const char *text, size_t len,
			    struct sd_diags *diags, struct sd_symtab **out)
{
	struct sd_bigbuf b;
	int err;

	if (!text && len)
		return -EINVAL;
	if (len > SD_KALLSYMS_MAX_BYTES) {
		if (diags)
			sd_diags_add(diags, SD_ERROR, SD_E_LIMIT, UINT64_MAX,
				     "kallsyms: %zu bytes, more than %zu MiB",
				     len, SD_KALLSYMS_MAX_BYTES >> 20);
		return -SD_E_LIMIT;
	}
	err = sd_bigbuf_reserve(&b, len + 1);
	if (!err)
		err = sd_bigbuf_ensure(&b, len + 1);
	if (err) {
		sd_bigbuf_free(&b);
		return err;
	}
	if (len)
		memcpy(b.p, text, len);
	b.p[len] = '\0';
	return from_owned(&b, len, diags, out);
}

int sd_read_file_big(const char *path, size_t max, struct sd_bigbuf *out,
		     size_t *out_len)
{
	struct stat st;
	struct sd_bigbuf b;
	size_t used = 0;
	int err, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	/* Regular files: their size; /proc files say 0: up to max. */
	size_t want = st.st_size > 0 && (uint64_t)st.st_size < max
			      ? (size_t)st.st_size
			      : max;
	err = sd_bigbuf_reserve(&b, want + 1);
	if (err) {
		close(fd);
		return err;
	}
	for (;;) {
		ssize_t r;
		if (used >= want) {
			/* A regular file that grew: one more read says. */
			char probe;
			r = read(fd, &probe, 1);
			if (r > 0)
				err = -SD_E_LIMIT;
			break;
		}
		err = sd_bigbuf_ensure(&b, used + (1 << 20) + 1);
		if (err < 0)
			err = sd_bigbuf_ensure(&b, want + 1);
		if (err < 0)
			break;
		size_t room = b.populated - 1 - used;
		if (room > want - used)
			room = want - used;
		r = read(fd, b.p + used, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	if (err) {
		sd_bigbuf_free(&b);
		return err;
	}
	b.p[used] = '\0';
	*out = b;
	*out_len = used;
	return 0;
}

/*
 * A regular file mapped whole (read-only, populated in one go): the
 * kernel copies nothing and no fresh memory is touched for the text.
 * 1 if mapped, 0 if the file is not one to map (a /proc file says size
 * 0: it is read instead), or an error.
 */
static int map_file(const char *path, struct sd_bigbuf *out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SD_KALLSYMS_MAX_BYTES) {
		close(fd);
		return 0;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ,
		       MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	out->p = p;
	out->reserved = ((size_t)st.st_size + 4095) & ~(size_t)4095;
	out->populated = 0;
	*len = (size_t)st.st_size;
	return 1;
}

int sd_symtab_load_kallsyms(const char *path, struct sd_diags *diags,
			    struct sd_symtab **out)
{
	struct sd_bigbuf b;
	size_t len;
	int err = map_file(path, &b, &len);

	if (err == 0)
		err = sd_read_file_big(path, SD_KALLSYMS_MAX_BYTES, &b, &len);
	if (err < 0) {
		if (diags)
			sd_diags_add(diags, SD_ERROR, err, UINT64_MAX,
				     "cannot read kallsyms '%s': %s", path,
				     sd_strerror(err));
		return err;
	}
	return from_owned(&b, len, diags, out);
}
