/* SPDX-License-Identifier: MIT */
/*
 * What travels with a recording, as an analysis input: a swapdiag bundle
 * given as the input (extracted by reader.c) and the recording's perf
 * archive (perfarchive.c), named or found beside it.  The object keeps a
 * flat list of every temporary path the two made, so that a caller's
 * signal handler can remove them with unlink() and rmdir() alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/bundle.h>

struct sd_bundle_input {
	char *path;
	struct sd_bundle *bundle;
	char *kallsyms_name; /* "PATH:kallsyms" */
	struct sd_perf_archive *archive; /* owned: named or beside */
	const struct sd_perf_archive *used; /* archive, or the bundle's */
	char *archive_path;
	bool archive_named;
	bool archive_tried;
	/* the handler's list: pointers into bundle and archive, which keep
	 * the strings until they are freed */
	const char **temps;
	volatile size_t nr_temps;
};

/* The perf archive names `perf archive` gives, in the order looked for. */
static const char *const archive_suffixes[] = {".tar.bz2", ".tar.xz",
					       ".tar.zst", ".tar.gz"};

static bool is_regular(const char *p)
{
	struct stat st;

	return p && strcmp(p, "-") && !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Makes the handler's list again from what is open now. */
static int list_temps(struct sd_bundle_input *in)
{
	size_t n = 0, cap = 2;
	const struct sd_perf_archive *own = in->bundle ? sd_bundle_dsos(in->bundle)
						       : NULL;

	/* sd_perf_archive_temp_files() says how many it gave, so ask with
	 * growing room until everything fits */
	for (;;) {
		const char **v = calloc(cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		n = 0;
		if (in->bundle)
			n += sd_bundle_temp_files(in->bundle, v + n, cap - n);
		if (own && n < cap)
			n += sd_perf_archive_temp_files(own, v + n, cap - n);
		if (in->archive && n < cap)
			n += sd_perf_archive_temp_files(in->archive, v + n,
							cap - n);
		if (n < cap) {
			const char **old = in->temps;
			in->nr_temps = 0;
			in->temps = v;
			in->nr_temps = n;
			free(old);
			return 0;
		}
		free(v);
		cap *= 4;
	}
}

int sd_bundle_input_open(const char *path, const struct sd_bundle_opts *o,
			 struct sd_diags *diags, struct sd_bundle_input **out)
{
	struct sd_bundle_input *in = calloc(1, sizeof *in);
	int err = 0;

	if (!in || !(in->path = strdup(path))) {
		free(in);
		return -ENOMEM;
	}
	/* only regular files: probing a pipe would eat what perf sends */
	if (is_regular(path) && sd_bundle_probe(path) == 1) {
		err = sd_bundle_open(path, o, diags, &in->bundle);
		if (!err && asprintf(&in->kallsyms_name, "%s:kallsyms", path) < 0) {
			in->kallsyms_name = NULL;
			err = -ENOMEM;
		}
		if (!err)
			err = list_temps(in);
	}
	if (err) {
		sd_bundle_input_free(in);
		return err;
	}
	*out = in;
	return 0;
}

struct sd_bundle_input *sd_bundle_input_free(struct sd_bundle_input *in)
{
	if (!in)
		return NULL;
	/* a handler that runs now finds nothing to remove, not freed names */
	in->nr_temps = 0;
	free((void *)in->temps);
	in->archive = sd_perf_archive_free(in->archive);
	in->bundle = sd_bundle_free(in->bundle);
	free(in->kallsyms_name);
	free(in->archive_path);
	free(in->path);
	free(in);
	return NULL;
}

/* The archive beside the input, PATH.tar.bz2 ...; NULL if none. */
static char *archive_beside(const char *path)
{
	for (size_t i = 0; i < sizeof archive_suffixes / sizeof *archive_suffixes;
	     i++) {
		char *p = NULL;
		if (asprintf(&p, "%s%s", path, archive_suffixes[i]) < 0)
			return NULL;
		if (is_regular(p))
			return p;
		free(p);
	}
	return NULL;
}

int sd_bundle_input_add_archive(struct sd_bundle_input *in, const char *named,
				const struct sd_bundle_opts *o,
				struct sd_diags *diags)
{
	int err;

	if (in->archive_tried)
		return -EINVAL;
	in->archive_tried = true;
	if (named)
		in->archive_path = strdup(named);
	else if (!in->bundle && is_regular(in->path))
		in->archive_path = archive_beside(in->path);
	if (named && !in->archive_path)
		return -ENOMEM;
	if (!in->archive_path) {
		if (in->bundle && sd_bundle_dsos(in->bundle)) {
			/* swapdiag record --with-dsos: removed with the bundle */
			in->used = sd_bundle_dsos(in->bundle);
			in->archive_path = strdup(in->path);
			if (!in->archive_path) {
				in->used = NULL;
				return -ENOMEM;
			}
		}
		return 0;
	}
	in->archive_named = named != NULL;
	err = sd_perf_archive_open(in->archive_path, o, diags, &in->archive);
	if (!err && (err = list_temps(in)))
		in->archive = sd_perf_archive_free(in->archive);
	if (err)
		return err;
	in->used = in->archive;
	return 0;
}

const char *sd_bundle_input_path(const struct sd_bundle_input *in)
{
	return in->path;
}

const char *sd_bundle_input_data(const struct sd_bundle_input *in)
{
	return in->bundle ? sd_bundle_perf_data(in->bundle) : in->path;
}

const struct sd_bundle *sd_bundle_input_bundle(const struct sd_bundle_input *in)
{
	return in->bundle;
}

const struct sd_host *sd_bundle_input_host(const struct sd_bundle_input *in)
{
	return in->bundle ? sd_bundle_host(in->bundle) : NULL;
}

const char *sd_bundle_input_kallsyms(const struct sd_bundle_input *in,
				     const char **name, const char **build_id)
{
	const char *k = in->bundle ? sd_bundle_kallsyms(in->bundle) : NULL;

	if (name)
		*name = k ? in->kallsyms_name : NULL;
	if (build_id)
		*build_id = k ? sd_bundle_kernel_build_id(in->bundle) : NULL;
	return k;
}

struct sd_diags *sd_bundle_input_diags(struct sd_bundle_input *in)
{
	return in->bundle ? sd_bundle_diags(in->bundle) : NULL;
}

const struct sd_perf_archive *
sd_bundle_input_archive(const struct sd_bundle_input *in)
{
	return in->used;
}

const char *sd_bundle_input_archive_path(const struct sd_bundle_input *in)
{
	return in->archive_path;
}

bool sd_bundle_input_archive_named(const struct sd_bundle_input *in)
{
	return in->used && in->archive_named;
}

struct sd_diags *sd_bundle_input_archive_diags(struct sd_bundle_input *in)
{
	return in->archive ? sd_perf_archive_diags(in->archive) : NULL;
}

void sd_bundle_input_remove_temps(const struct sd_bundle_input *in)
{
	size_t n = in->nr_temps;

	/* unlink() fails on a directory and rmdir() on a file, harmlessly */
	for (size_t i = 0; i < n; i++)
		if (unlink(in->temps[i]))
			rmdir(in->temps[i]);
}
