/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay without libFuzzer (after systemd's src/fuzz/fuzz-main.c):
 * calls a harness's LLVMFuzzerTestOneInput() on every file named on the
 * command line, and on every regular file in every directory named there
 * (in name order, not recursing).  Built in every build, so the saved
 * corpus and the regression inputs run as ordinary Meson tests (suite
 * "fuzz"), with gcc as well as clang, under ASan/UBSan or valgrind when
 * the build has them.  A crash is the failure; the exit status is 0
 * otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int read_whole(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return errno ? -errno : -EIO;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = b;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int run_file(const char *path, unsigned long *count)
{
	/* set on success only: gcc cannot see that read_whole() fails with
	 * a negative value whenever it leaves them alone */
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_whole(path, &buf, &len);

	if (err) {
		fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (len > SD_FUZZ_MAX_LEN)
		len = SD_FUZZ_MAX_LEN;
	/* a copy of exactly len bytes, so ASan sees every read past it */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return 1;
	}
	memcpy(exact, buf, len);
	free(buf);
	printf("%s (%zu bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	(*count)++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned long *count)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "fuzz-main: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "README.md"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **v = realloc(names, cap * sizeof *v);
			if (!v) {
				rc = 1;
				break;
			}
			names = v;
		}
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			rc = 1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n) /* an empty directory leaves names NULL */
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (!rc && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(names[i], count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc && !rc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-main: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count)
					 : run_file(argv[i], &count);
	}
	printf("%lu inputs replayed\n", count);
	return rc;
}
