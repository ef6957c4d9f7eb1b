/* SPDX-License-Identifier: MIT */
/*
 * perf archive tarballs as input beside a recording: --archive FILE, or
 * PERF_DATA.tar.bz2 / .tar.xz / .tar.zst / .tar.gz found next to the
 * recording; and the message for a perf archive given where the
 * recording is expected.  The archive's symbol files live in a private
 * temporary directory while swapdiag runs, removed at exit and on
 * SIGINT, SIGTERM, SIGHUP and SIGPIPE.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/report.h>

#include "cli/archive.h"
#include "cli/cli.h"
#include "cli/record.h"

static struct sd_perf_archive *input_archive;
static char *beside; /* the archive found beside the recording */
/* copies for the signal handler, which may not touch the heap's state */
static char **temp_paths;
static size_t nr_temp_paths;
static void (*prev_handler[NSIG])(int);

static void archive_cleanup(void)
{
	input_archive = sd_perf_archive_free(input_archive);
	free(beside);
	beside = NULL;
	for (size_t i = 0; i < nr_temp_paths; i++)
		free(temp_paths[i]);
	free(temp_paths);
	temp_paths = NULL;
	nr_temp_paths = 0;
}

static void archive_on_signal(int sig)
{
	/* files first, then directories deepest first: unlink() fails on
	 * a directory and rmdir() on a file, harmlessly */
	for (size_t i = 0; i < nr_temp_paths; i++)
		if (unlink(temp_paths[i]))
			rmdir(temp_paths[i]);
	void (*prev)(int) = sig > 0 && sig < NSIG ? prev_handler[sig] : NULL;
	if (prev && prev != SIG_DFL && prev != SIG_IGN &&
	    prev != archive_on_signal) {
		prev(sig); /* a bundle's temporary files, then re-raised */
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watch(const struct sd_perf_archive *pa, bool own)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	static const char *paths[4096];
	size_t n = sd_perf_archive_temp_files(pa, paths, 4096);

	temp_paths = calloc(n ? n : 1, sizeof *temp_paths);
	for (size_t i = 0; temp_paths && i < n; i++)
		if ((temp_paths[nr_temp_paths] = strdup(paths[i])))
			nr_temp_paths++;
	(void)own; /* a bundle's own directory goes with the bundle */
	atexit(archive_cleanup);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		prev_handler[sigs[i]] = signal(sigs[i], archive_on_signal);
}

static void json_fail(const char *json, const char *input, int err,
		      const struct sd_diags *why)
{
	if (!json)
		return;
	FILE *out = cli_open_output(json);
	if (out) {
		sd_report_json_error(out, input, err, why);
		cli_close_output(out, json);
	}
}

static bool is_file(const char *p)
{
	struct stat st;

	return p && strcmp(p, "-") && !stat(p, &st) && S_ISREG(st.st_mode);
}

int cli_archive_input(const char *input, const char *data, bool bundle,
		      const char *named, const char *json,
		      struct cli_archive *out)
{
	static const char *const suffixes[] = {".tar.bz2", ".tar.xz",
					       ".tar.zst", ".tar.gz"};
	const char *path = named;
	struct sd_diags why;
	int err;

	memset(out, 0, sizeof *out);
	/* a perf archive where the recording belongs: say what it is */
	if (!bundle && is_file(input) && sd_perf_archive_probe(input) == 1) {
		size_t n = strlen(input);
		char rec[4096] = "";
		for (size_t i = 0; i < 4; i++) {
			size_t k = strlen(suffixes[i]);
			if (n > k && n - k < sizeof rec &&
			    !strcmp(input + n - k, suffixes[i])) {
				memcpy(rec, input, n - k);
				rec[n - k] = 0;
			}
		}
		if (rec[0] && is_file(rec))
			cli_error("'%s' is a perf archive (the symbol files of a "
				  "recording), not a recording: run 'swapdiag "
				  "%s'; it reads '%s' beside it",
				  input, rec, input);
		else
			cli_error("'%s' is a perf archive (the symbol files of a "
				  "recording), not a recording: give swapdiag the "
				  "perf.data it was made for, with --archive '%s' "
				  "unless it lies beside it as PERF_DATA.tar.bz2",
				  input, input);
		json_fail(json, input, -SD_E_BAD_MAGIC, NULL);
		return CLI_EXIT_INPUT;
	}
	if (!path && !bundle && is_file(data)) {
		for (size_t i = 0; i < 4 && !path; i++) {
			free(beside);
			if (asprintf(&beside, "%s%s", data, suffixes[i]) < 0) {
				beside = NULL;
				break;
			}
			if (is_file(beside))
				path = beside;
		}
	}
	if (!path && bundle && cli_bundle_dsos()) {
		/* swapdiag record --with-dsos: the bundle's own, removed
		 * with the bundle at exit; here only on signals */
		out->archive = (struct sd_perf_archive *)cli_bundle_dsos();
		out->path = input;
		watch(out->archive, false);
	}
	if (!path) {
		free(beside);
		beside = NULL;
		return 0;
	}
	sd_diags_init(&why);
	/* a signal while the archive is unpacked into its temporary
	 * directory waits until watch() can remove that directory */
	sigset_t block, was;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, &was);
	err = sd_perf_archive_open(path, NULL, &why, &input_archive);
	if (!err)
		watch(input_archive, true);
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (err) {
		if (named)
			cli_print_diags(path, &why);
		if (named) {
			cli_error("cannot read the perf archive '%s': %s", path,
				  sd_strerror(err));
			json_fail(json, input, err, &why);
			sd_diags_clear(&why);
			return CLI_EXIT_INPUT;
		}
		/* found beside, not asked for: one warning, not an error */
		if (!cli_quiet)
			fprintf(stderr, "swapdiag: warning: %s: not used (%s); "
					"analysing without it\n",
				path, why.n && why.v[0].text ? why.v[0].text
							    : sd_strerror(err));
		sd_diags_clear(&why);
		free(beside);
		beside = NULL;
		return 0;
	}
	sd_diags_clear(&why);
	cli_print_diags(path, sd_perf_archive_diags(input_archive));
	out->archive = input_archive;
	out->path = beside ? beside : named; /* beside lives to exit */
	out->named = named != NULL;
	return 0;
}
