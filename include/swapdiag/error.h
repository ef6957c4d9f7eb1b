/* SPDX-License-Identifier: MIT */
/*
 * Errors and diagnostics of libswapdiag.
 *
 * Functions return 0 (or a count) on success and a negative number on
 * failure: either a negative errno (-ENOMEM, -EIO, ...) or a negative
 * SD_E_* code below.  sd_strerror() names both kinds.
 *
 * Problems that do not stop the analysis (a truncated tail, a skipped
 * record, a missing symbol source) are collected in a struct sd_diags owned
 * by the object that met them; the tool prints them.  The library itself
 * never prints and never exits.
 */
#ifndef SWAPDIAG_ERROR_H
#define SWAPDIAG_ERROR_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

/* name, message */
#define SD_ERRORS                                                              \
	_SD_E(BAD_MAGIC, "not a perf.data file (bad magic)")                   \
	_SD_E(TRUNCATED, "file is truncated")                                  \
	_SD_E(BAD_HEADER, "damaged perf.data header")                          \
	_SD_E(BAD_ATTR, "damaged or unsupported event attribute")              \
	_SD_E(BAD_RECORD, "damaged record")                                    \
	_SD_E(BAD_SECTION, "damaged feature section")                          \
	_SD_E(NO_EVENTS, "the file describes no events")                       \
	_SD_E(UNKNOWN_EVENT, "no such event in the file")                      \
	_SD_E(LIMIT, "a built-in limit was reached")                           \
	_SD_E(ZSTD, "compressed data could not be decompressed")               \
	_SD_E(NO_ZSTD, "compressed records, but built without zstd")           \
	_SD_E(BAD_SYMFILE, "not a usable symbol file")                         \
	_SD_E(BUILD_ID_MISMATCH, "build-id does not match the recording")      \
	_SD_E(TRACEPOINT, "tracepoint format could not be parsed")             \
	_SD_E(NO_SYMBOLS, "no symbols for a binary")                          \
	_SD_E(TIME_WINDOW, "the time window cannot be applied to this input") \
	_SD_E(NOT_PIPE, "a perf.data file in file mode cannot be read from a " \
			"stream: pass the file by name")

enum sd_error {
	SD_E_BASE = 10000,
#define _SD_E(name, msg) SD_E_##name,
	SD_ERRORS
#undef _SD_E
	SD_E_END,
};

/* Message for a negative errno or a negative SD_E_* code. */
const char *sd_strerror(int err);

enum sd_severity {
	SD_NOTE,
	SD_WARNING,
	SD_ERROR,
};

/*
 * One diagnostic.  offset is the byte offset in the input the problem was
 * found at, or UINT64_MAX when it has none.  repeat counts further
 * occurrences of the same code that were folded into this entry instead of
 * being listed one by one.
 */
struct sd_diag {
	enum sd_severity severity;
	int code;
	uint64_t offset;
	uint64_t repeat;
	char *text;
};

/*
 * An append-only list of diagnostics with a cap: after SD_DIAGS_MAX entries,
 * or for a code already seen SD_DIAGS_PER_CODE times, further ones only
 * count in the last matching entry's repeat.
 */
#define SD_DIAGS_MAX 64
#define SD_DIAGS_PER_CODE 4
/* Messages about one binary each (SD_E_NO_SYMBOLS, SD_E_BUILD_ID_MISMATCH:
 * no symbols for it) are kept, one per binary, up to this many, besides
 * the others' SD_DIAGS_MAX, so that all of them can be listed (-v). */
#define SD_DIAGS_PER_BINARY 4096

struct sd_diags {
	struct sd_diag *v;
	size_t n, cap;
	uint64_t dropped;
};

void sd_diags_init(struct sd_diags *d);
void sd_diags_clear(struct sd_diags *d);
/* printf-style; never fails (an allocation failure drops the text). */
void sd_diags_add(struct sd_diags *d, enum sd_severity sev, int code,
		  uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* sd_diags_add() with a va_list, for wrappers that add their context. */
void sd_diags_vadd(struct sd_diags *d, enum sd_severity sev, int code,
		   uint64_t offset, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Moves every entry of src to the end of dst. */
void sd_diags_move(struct sd_diags *dst, struct sd_diags *src);

#endif
