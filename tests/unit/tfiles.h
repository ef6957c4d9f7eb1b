/* SPDX-License-Identifier: MIT */
/*
 * Files for the tests, in a private temporary directory that the test
 * makes first (tf_make) and removes at its end (tf_remove): paths in it,
 * files written with their directories, files read whole.  Include after
 * test.h (write errors are CHECKs).
 */
#ifndef SD_TEST_TFILES_H
#define SD_TEST_TFILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory: "" until tf_make(). */
static char tf_dir[256];

/* Makes prefix + "XXXXXX" (e.g. "/tmp/sd-symtest-"); false with a
 * message if it cannot be made. */
static inline bool tf_make(const char *prefix)
{
	snprintf(tf_dir, sizeof tf_dir, "%sXXXXXX", prefix);
	if (!mkdtemp(tf_dir)) {
		perror(tf_dir);
		tf_dir[0] = '\0';
		return false;
	}
	return true;
}

/* Removes the directory and everything in it. */
static inline void tf_remove(void)
{
	char cmd[300];

	if (!tf_dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tf_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tf_dir);
}

/* Entries in dir (not . and ..), or -1 if it cannot be read: what a
 * test left there. */
static inline int tf_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Entries left in the test's directory. */
static inline int tf_entries(void)
{
	return tf_dir_entries(tf_dir);
}

/* tf_dir/rel, in one of 8 rotating buffers. */
static inline char *tf_path(const char *rel)
{
	static char bufs[8][1024];
	static int k;
	char *b = bufs[k++ % 8];

	snprintf(b, 1024, "%s/%s", tf_dir, rel);
	return b;
}

/* mkdir -p */
static inline void tf_mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* Writes data[len] to path, making its directories. */
static inline void tf_write_file(const char *path, const void *data,
				 size_t len)
{
	char dir[1024];
	FILE *f;

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	tf_mkdirs(dir);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(data, 1, len, f) == len);
	CHECK(fclose(f) == 0);
}

/* The whole file, malloc'ed with a NUL after it; NULL if unreadable. */
static inline char *tf_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n >= 0 ? (size_t)n : 0;
	return buf;
}

/* Whether path holds exactly want[n]. */
static inline bool tf_file_is(const char *path, const void *want, size_t n)
{
	size_t len;
	char *buf = tf_slurp(path, &len);
	bool same = buf && len == n && !memcmp(buf, want, n);

	free(buf);
	return same;
}

static inline void tf_copy_file(const char *src, const char *dst)
{
	size_t len;
	char *buf = tf_slurp(src, &len);

	CHECK(buf != NULL);
	if (buf)
		tf_write_file(dst, buf, len);
	free(buf);
}

#endif
