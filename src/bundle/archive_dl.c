/* SPDX-License-Identifier: MIT */
/*
 * libarchive, loaded when first used.  Linked at start-up it brings
 * libxml2, ICU, libstdc++ and nettle along, whose relocations (bound
 * immediately: they are built with BIND_NOW) are most of the dynamic
 * loader's work -- ~4.5 M instructions at every start, while only
 * bundles and perf archives need the library.  So swapdiag is not linked
 * against it: the archive_* functions the bundle code calls are defined
 * here, with libarchive's own prototypes (archive.h), and call the
 * library's, looked up with dlopen()/dlsym() on the first call.
 *
 * Without the library (not installed), archive_read_new(),
 * archive_write_new() and archive_entry_new() return NULL (errno
 * ELIBACC), which the callers report as any failure to start an
 * archive; every other function is only reached with what those
 * returned, and returns ARCHIVE_FATAL (or does nothing) if called.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>

#include <archive.h>
#include <archive_entry.h>

#include "config.h"

/* The functions used, in one table filled at once. */
#define SD_ARCHIVE_FUNCS(X)                                                    \
	X(archive_entry_filetype)                                              \
	X(archive_entry_free)                                                  \
	X(archive_entry_hardlink)                                              \
	X(archive_entry_new)                                                   \
	X(archive_entry_pathname)                                              \
	X(archive_entry_set_filetype)                                          \
	X(archive_entry_set_gname)                                             \
	X(archive_entry_set_mtime)                                             \
	X(archive_entry_set_pathname)                                          \
	X(archive_entry_set_perm)                                              \
	X(archive_entry_set_size)                                              \
	X(archive_entry_set_uname)                                             \
	X(archive_entry_size)                                                  \
	X(archive_entry_size_is_set)                                           \
	X(archive_entry_symlink)                                               \
	X(archive_errno)                                                       \
	X(archive_error_string)                                                \
	X(archive_filter_bytes)                                                \
	X(archive_filter_code)                                                 \
	X(archive_read_data)                                                   \
	X(archive_read_data_skip)                                              \
	X(archive_read_free)                                                   \
	X(archive_read_header_position)                                        \
	X(archive_read_new)                                                    \
	X(archive_read_next_header)                                            \
	X(archive_read_open_fd)                                                \
	X(archive_read_open_memory)                                            \
	X(archive_read_support_filter_bzip2)                                   \
	X(archive_read_support_filter_gzip)                                    \
	X(archive_read_support_filter_lzma)                                    \
	X(archive_read_support_filter_xz)                                      \
	X(archive_read_support_filter_zstd)                                    \
	X(archive_read_support_format_raw)                                     \
	X(archive_read_support_format_tar)                                     \
	X(archive_set_error)                                                   \
	X(archive_write_close)                                                 \
	X(archive_write_data)                                                  \
	X(archive_write_free)                                                  \
	X(archive_write_header)                                                \
	X(archive_write_new)                                                   \
	X(archive_write_open2)                                                 \
	X(archive_write_set_bytes_in_last_block)                               \
	X(archive_write_set_format_pax_restricted)

#define FIELD(name) __typeof__(&name) name;
static struct {
	SD_ARCHIVE_FUNCS(FIELD)
} fn;
static bool loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(SD_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = dlopen("libarchive.so", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	bool all = true;
#define LOOKUP(name)                                                           \
	all &= (*(void **)(void *)&fn.name = dlsym(h, #name)) != NULL;
	SD_ARCHIVE_FUNCS(LOOKUP)
	loaded = all;
}

static bool ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

/* A forwarding definition: ret name(params) { return fn.name(args); },
 * or fail without the library. */
#define FWD(ret, name, fail, params, args)                                     \
	ret name params                                                        \
	{                                                                      \
		if (!ready())                                                  \
			return fail;                                           \
		return fn.name args;                                           \
	}
#define FWD_VOID(name, params, args)                                           \
	void name params                                                       \
	{                                                                      \
		if (ready())                                                   \
			fn.name args;                                          \
	}

struct archive *archive_read_new(void)
{
	if (!ready()) {
		errno = ELIBACC;
		return NULL;
	}
	return fn.archive_read_new();
}

struct archive *archive_write_new(void)
{
	if (!ready()) {
		errno = ELIBACC;
		return NULL;
	}
	return fn.archive_write_new();
}

struct archive_entry *archive_entry_new(void)
{
	if (!ready()) {
		errno = ELIBACC;
		return NULL;
	}
	return fn.archive_entry_new();
}

/* the callers give it a plain message; formatted here, passed as "%s" */
void archive_set_error(struct archive *a, int err, const char *f, ...)
{
	char msg[512];
	va_list ap;

	if (!ready())
		return;
	va_start(ap, f);
	vsnprintf(msg, sizeof msg, f, ap);
	va_end(ap);
	fn.archive_set_error(a, err, "%s", msg);
}

FWD(__LA_MODE_T, archive_entry_filetype, 0, (struct archive_entry *e), (e))
FWD_VOID(archive_entry_free, (struct archive_entry *e), (e))
FWD(const char *, archive_entry_hardlink, NULL, (struct archive_entry *e), (e))
FWD(const char *, archive_entry_pathname, NULL, (struct archive_entry *e), (e))
FWD_VOID(archive_entry_set_filetype, (struct archive_entry *e, unsigned t),
	 (e, t))
FWD_VOID(archive_entry_set_gname, (struct archive_entry *e, const char *s),
	 (e, s))
FWD_VOID(archive_entry_set_mtime, (struct archive_entry *e, time_t t, long ns),
	 (e, t, ns))
FWD_VOID(archive_entry_set_pathname, (struct archive_entry *e, const char *s),
	 (e, s))
FWD_VOID(archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T m),
	 (e, m))
FWD_VOID(archive_entry_set_size, (struct archive_entry *e, la_int64_t n),
	 (e, n))
FWD_VOID(archive_entry_set_uname, (struct archive_entry *e, const char *s),
	 (e, s))
FWD(la_int64_t, archive_entry_size, 0, (struct archive_entry *e), (e))
FWD(int, archive_entry_size_is_set, 0, (struct archive_entry *e), (e))
FWD(const char *, archive_entry_symlink, NULL, (struct archive_entry *e), (e))
FWD(int, archive_errno, ELIBACC, (struct archive *a), (a))
FWD(const char *, archive_error_string, "libarchive could not be loaded",
    (struct archive *a), (a))
FWD(la_int64_t, archive_filter_bytes, -1, (struct archive *a, int n), (a, n))
FWD(int, archive_filter_code, ARCHIVE_FATAL, (struct archive *a, int n),
    (a, n))
FWD(la_ssize_t, archive_read_data, ARCHIVE_FATAL,
    (struct archive *a, void *b, size_t n), (a, b, n))
FWD(int, archive_read_data_skip, ARCHIVE_FATAL, (struct archive *a), (a))
FWD(int, archive_read_free, ARCHIVE_OK, (struct archive *a), (a))
FWD(la_int64_t, archive_read_header_position, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_next_header, ARCHIVE_FATAL,
    (struct archive *a, struct archive_entry **e), (a, e))
FWD(int, archive_read_open_fd, ARCHIVE_FATAL,
    (struct archive *a, int fd, size_t bs), (a, fd, bs))
FWD(int, archive_read_open_memory, ARCHIVE_FATAL,
    (struct archive *a, const void *b, size_t n), (a, b, n))
FWD(int, archive_read_support_filter_bzip2, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_support_filter_gzip, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_support_filter_lzma, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_support_filter_xz, ARCHIVE_FATAL, (struct archive *a),
    (a))
FWD(int, archive_read_support_filter_zstd, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_support_format_raw, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_read_support_format_tar, ARCHIVE_FATAL,
    (struct archive *a), (a))
FWD(int, archive_write_close, ARCHIVE_FATAL, (struct archive *a), (a))
FWD(la_ssize_t, archive_write_data, ARCHIVE_FATAL,
    (struct archive *a, const void *b, size_t n), (a, b, n))
FWD(int, archive_write_free, ARCHIVE_OK, (struct archive *a), (a))
FWD(int, archive_write_header, ARCHIVE_FATAL,
    (struct archive *a, struct archive_entry *e), (a, e))
FWD(int, archive_write_open2, ARCHIVE_FATAL,
    (struct archive *a, void *d, archive_open_callback *o,
     archive_write_callback *w, archive_close_callback *c,
     archive_free_callback *f),
    (a, d, o, w, c, f))
FWD(int, archive_write_set_bytes_in_last_block, ARCHIVE_FATAL,
    (struct archive *a, int n), (a, n))
FWD(int, archive_write_set_format_pax_restricted, ARCHIVE_FATAL,
    (struct archive *a), (a))
