/* SPDX-License-Identifier: MIT */
/* Reading a whole file, or what a descriptor gives, into memory: capped. */
#ifndef SD_UTIL_FILE_H
#define SD_UTIL_FILE_H

#include <stddef.h>

/*
 * Reads fd to its end into a malloc'ed buffer with a NUL after the data
 * (not counted in *len).  More than max bytes: -EFBIG, and nothing is
 * kept; max SIZE_MAX means no cap.  Returns 0 or a negative errno; *out
 * and *len are set only on success.  fd stays open.
 */
int sd_read_fd(int fd, size_t max, char **out, size_t *len);

/*
 * sd_read_fd() on path, opened O_NONBLOCK so that a FIFO gives what it
 * has instead of waiting for a writer.  A directory is -EISDIR.
 */
int sd_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
