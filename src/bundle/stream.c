/* SPDX-License-Identifier: MIT */
/*
 * Byte streams under the tar layer: a file or a buffer, read through
 * zstd's streaming decoder when it starts with a zstd frame (several
 * frames one after another are one stream, as zstd(1) treats them), and
 * the output side, which compresses into one frame with a checksum.
 * Input is read in bounded windows: a bundle is never held whole.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "bundle/internal.h"

#if HAVE_ZSTD
#include <zstd.h>
#endif

#define IN_WINDOW (256u << 10)
#define OUT_WINDOW (256u << 10)

static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

int sd_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Raw bytes: from memory in place, from a file into ibuf. */
static int raw_fill(struct sd_bin *s)
{
	if (s->raw_eof)
		return 0;
	if (s->fd < 0) {
		s->in = s->mem;
		s->in_len = s->mem_len;
		s->in_pos = s->mem_pos;
		s->mem_pos = s->mem_len;
		s->raw_eof = true;
		return 0;
	}
	for (;;) {
		ssize_t r = read(s->fd, s->ibuf, IN_WINDOW);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		s->in = s->ibuf;
		s->in_len = (size_t)r;
		s->in_pos = 0;
		if (r == 0)
			s->raw_eof = true;
		return 0;
	}
}

static int bin_start(struct sd_bin *s)
{
	int err;

	if (s->fd >= 0) {
		/* the first four bytes decide: gather them across short
		 * reads (a pipe) into the first window */
		s->in = s->ibuf;
		s->in_len = s->in_pos = 0;
		while (s->in_len < sizeof zstd_magic && !s->raw_eof) {
			ssize_t r = read(s->fd, s->ibuf + s->in_len,
					 IN_WINDOW - s->in_len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				s->raw_eof = true;
			s->in_len += (size_t)r;
		}
	} else if ((err = raw_fill(s))) {
		return err;
	}
	s->zstd = s->in_len - s->in_pos >= sizeof zstd_magic &&
		  !memcmp(s->in + s->in_pos, zstd_magic, sizeof zstd_magic);
	if (!s->zstd)
		return 0;
#if HAVE_ZSTD
	s->dctx = ZSTD_createDCtx();
	s->obuf = malloc(OUT_WINDOW);
	if (!s->dctx || !s->obuf)
		return -ENOMEM;
	return 0;
#else
	return -SD_E_NO_ZSTD;
#endif
}

static void bin_init(struct sd_bin *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

int sd_bin_open_fd(struct sd_bin *s, int fd)
{
	int err;

	bin_init(s);
	s->fd = fd;
	s->ibuf = malloc(IN_WINDOW);
	if (!s->ibuf)
		return -ENOMEM;
	if ((err = bin_start(s))) {
		sd_bin_close(s);
		return err;
	}
	return 0;
}

int sd_bin_open_mem(struct sd_bin *s, const void *buf, size_t len)
{
	int err;

	bin_init(s);
	s->mem = buf;
	s->mem_len = len;
	if ((err = bin_start(s))) {
		sd_bin_close(s);
		return err;
	}
	return 0;
}

void sd_bin_close(struct sd_bin *s)
{
#if HAVE_ZSTD
	ZSTD_freeDCtx(s->dctx);
#endif
	free(s->ibuf);
	free(s->obuf);
	s->dctx = NULL;
	s->ibuf = s->obuf = NULL;
}

#if HAVE_ZSTD
/* Decompresses until some output is there or the input is done. */
static int zfill(struct sd_bin *s)
{
	int err;

	s->out_len = s->out_pos = 0;
	for (;;) {
		if (s->in_pos == s->in_len) {
			if (s->raw_eof) {
				s->zstd_incomplete = s->zret != 0;
				return 0;
			}
			if ((err = raw_fill(s)))
				return err;
			continue;
		}
		ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
		ZSTD_outBuffer out = {s->obuf, OUT_WINDOW, 0};
		size_t ret = ZSTD_decompressStream(s->dctx, &out, &in);
		if (ZSTD_isError(ret))
			return -SD_E_ZSTD;
		s->raw_off += in.pos - s->in_pos;
		s->in_pos = in.pos;
		s->zret = ret;
		if (out.pos) {
			s->out_len = out.pos;
			return 0;
		}
	}
}
#endif

ssize_t sd_bin_read(struct sd_bin *s, void *buf, size_t n)
{
	uint8_t *dst = buf;
	size_t got = 0;
	int err;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	while (got < n) {
		if (!s->zstd) {
			if (s->in_pos == s->in_len) {
				if (s->raw_eof)
					break;
				if ((err = raw_fill(s)))
					return err;
				continue;
			}
			size_t k = s->in_len - s->in_pos;
			if (k > n - got)
				k = n - got;
			memcpy(dst + got, s->in + s->in_pos, k);
			s->in_pos += k;
			s->raw_off += k;
			got += k;
			continue;
		}
#if HAVE_ZSTD
		if (s->out_pos == s->out_len) {
			if ((err = zfill(s)))
				return err;
			if (!s->out_len)
				break;
		}
		size_t k = s->out_len - s->out_pos;
		if (k > n - got)
			k = n - got;
		memcpy(dst + got, s->obuf + s->out_pos, k);
		s->out_pos += k;
		got += k;
#else
		return -SD_E_NO_ZSTD;
#endif
	}
	s->off += got;
	return (ssize_t)got;
}

int sd_bout_init(struct sd_bout *o, int fd, bool compress)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	if (!compress)
		return 0;
#if HAVE_ZSTD
	o->zstd = true;
	o->cctx = ZSTD_createCCtx();
	o->ocap = ZSTD_CStreamOutSize();
	o->obuf = malloc(o->ocap);
	if (!o->cctx || !o->obuf) {
		sd_bout_fini(o);
		return -ENOMEM;
	}
	ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_checksumFlag, 1);
	return 0;
#else
	return -SD_E_NO_ZSTD;
#endif
}

#if HAVE_ZSTD
static int zpush(struct sd_bout *o, const void *p, size_t n,
		 ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {p, n, 0};
	int err;

	for (;;) {
		ZSTD_outBuffer out = {o->obuf, o->ocap, 0};
		size_t left = ZSTD_compressStream2(o->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			return -SD_E_ZSTD;
		if (out.pos && (err = sd_write_all(o->fd, o->obuf, out.pos)))
			return err;
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return 0;
	}
}
#endif

int sd_bout_write(struct sd_bout *o, const void *p, size_t n)
{
	int err;

	if (!o->zstd)
		err = sd_write_all(o->fd, p, n);
	else
#if HAVE_ZSTD
		err = zpush(o, p, n, ZSTD_e_continue);
#else
		err = -SD_E_NO_ZSTD;
#endif
	if (!err)
		o->written += n;
	return err;
}

int sd_bout_finish(struct sd_bout *o)
{
	if (!o->zstd)
		return 0;
#if HAVE_ZSTD
	return zpush(o, NULL, 0, ZSTD_e_end);
#else
	return -SD_E_NO_ZSTD;
#endif
}

void sd_bout_fini(struct sd_bout *o)
{
#if HAVE_ZSTD
	ZSTD_freeCCtx(o->cctx);
#endif
	free(o->obuf);
	o->cctx = NULL;
	o->obuf = NULL;
}
