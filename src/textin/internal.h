/* SPDX-License-Identifier: MIT */
/* Shared pieces of the text parsers: lines, frame lists, numbers. */
#ifndef SD_TEXTIN_INTERNAL_H
#define SD_TEXTIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/textin.h>

/* One line of the buffer, without its "\n" or "\r\n". */
struct sd_tline {
	const char *s;
	size_t n;
	size_t off;  /* byte offset of its first character */
	uint64_t no; /* 1-based */
};

struct sd_tlines {
	const char *buf;
	size_t len, off;
	uint64_t no;
};

static inline void sd_tlines_init(struct sd_tlines *it, const void *buf,
				  size_t len)
{
	it->buf = (const char *)buf;
	it->len = buf ? len : 0;
	it->off = 0;
	it->no = 0;
}

bool sd_tlines_next(struct sd_tlines *it, struct sd_tline *ln);

/* A growing list of NUL-terminated names with a kernel flag each. */
struct sd_tnames {
	char *arena;
	size_t alen, acap;
	size_t *offs;
	bool *kern;
	size_t n, cap;
	const char **ptrs; /* filled by sd_tnames_ptrs() */
	size_t pcap;
	size_t max;        /* names kept; 0: SD_TEXT_MAX_FRAMES */
	bool truncated;    /* more than max were pushed */
};

void sd_tnames_fini(struct sd_tnames *t);
static inline void sd_tnames_reset(struct sd_tnames *t)
{
	t->alen = 0;
	t->n = 0;
	t->truncated = false;
}
/* Copies s[0..len) (NULs become '?'); -ENOMEM. */
int sd_tnames_push(struct sd_tnames *t, const char *s, size_t len, bool kernel);
/* Pointers to the names, valid until the next push or reset; -ENOMEM. */
int sd_tnames_ptrs(struct sd_tnames *t, const char *const **out);
static inline const char *sd_tnames_get(const struct sd_tnames *t, size_t i)
{
	return t->arena + t->offs[i];
}

/* Helpers on (pointer, length) text. */
static inline bool sd_tis_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
static inline bool sd_tis_digit(char c)
{
	return c >= '0' && c <= '9';
}
static inline bool sd_tis_hex(char c)
{
	return sd_tis_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}
/* Unsigned decimal s[0..n) (all digits, no overflow): true and *v. */
bool sd_tparse_u64(const char *s, size_t n, uint64_t *v);
/* Hexadecimal, optional "0x". */
bool sd_tparse_hex(const char *s, size_t n, uint64_t *v);
/* "12.345" (or "12") percent or seconds, as a double; false if not that. */
bool sd_tparse_decimal(const char *s, size_t n, double *v);

/* s[0..n) into dst[cap], cut to fit, NULs as '?'. */
static inline void sd_tcopy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = s[i] ? s[i] : '?';
	dst[n] = '\0';
}

/* "# key : value" of perf's --header; calls ops->header. */
int sd_theader_line(const char *s, size_t n, const struct sd_text_ops *ops);

/* Diagnostic for a line that could not be read. */
void sd_tbad_line(struct sd_diags *d, struct sd_text_result *res,
		  const struct sd_tline *ln, const char *what);

#endif
