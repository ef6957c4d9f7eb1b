/* SPDX-License-Identifier: MIT */
/*
 * A buffered writer of the reports' own: bytes and decimal numbers
 * appended to a buffer the caller gives, written to the FILE in large
 * blocks -- no printf format to parse per field.
 */
#ifndef SD_REPORT_OUT_H
#define SD_REPORT_OUT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct sd_out {
	FILE *f;
	char *buf;
	size_t len, cap;
};

static inline void sd_out_init(struct sd_out *o, FILE *f, char *buf,
			       size_t cap)
{
	*o = (struct sd_out){f, buf, 0, cap};
}

/* Writes what is buffered. */
static inline void sd_out_flush(struct sd_out *o)
{
	if (o->len)
		fwrite(o->buf, 1, o->len, o->f);
	o->len = 0;
}

/* Room for n bytes at the end of the buffer (flushing it if need be);
 * NULL when n is more than the buffer holds. */
static inline char *sd_out_room(struct sd_out *o, size_t n)
{
	if (o->cap - o->len < n)
		sd_out_flush(o);
	return n <= o->cap ? o->buf + o->len : NULL;
}

static inline void sd_out_bytes(struct sd_out *o, const void *p, size_t n)
{
	char *w = sd_out_room(o, n);
	if (!w) {
		fwrite(p, 1, n, o->f);
		return;
	}
	memcpy(w, p, n);
	o->len += n;
}

/* v in decimal at w, two digits a division; its length.  w must have
 * room for 20 bytes: that many are written, the digits first.  Below
 * 2^32 (nearly every count and period) a division by 100 is a multiply
 * and a shift (kstorm's folded output: 13.8 k counts, ~65 -> ~40
 * instructions each). */
static inline size_t sd_out_dec(char *w, uint64_t v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	char t[40], *e = t + 20, *p = e;

	while (v > UINT32_MAX) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	/* x / 100 as gcc makes it for 32 bits (exact for every x below
	 * 2^32, checked on all of them), in 64-bit registers: no
	 * zero-extension a step */
	uint64_t x = v;
	while (x >= 100) {
		uint64_t q = (x * 0x51eb851full) >> 37;
		size_t r = (size_t)(x - q * 100);
		x = q;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	if (x >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * x, 2);
	} else {
		*--p = (char)('0' + x);
	}
	/* a fixed size: two moves, no call; what follows the digits is
	 * left to the caller to overwrite */
	memcpy(w, p, 20);
	return (size_t)(e - p);
}

/* v in decimal. */
static inline void sd_out_u64(struct sd_out *o, uint64_t v)
{
	char t[20];

	sd_out_bytes(o, t, sd_out_dec(t, v));
}

#endif
