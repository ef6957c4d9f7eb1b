/* SPDX-License-Identifier: MIT */
/*
 * What travels with the recording: a swapdiag bundle given as the input,
 * and the perf archive -- --archive FILE, or PERF_DATA.tar.bz2 / .tar.xz /
 * .tar.zst / .tar.gz found next to the recording; and the message for a
 * perf archive given where the recording is expected.  libswapdiag reads
 * them (sd_bundle_input); here they are said and watched: their
 * temporary files are removed at exit and on SIGINT, SIGTERM and SIGHUP
 * (SIGPIPE too, unless it is ignored, as the analysis ignores it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/bundle.h>

#include "cli/cli.h"
#include "cli/input.h"

/* swapdiag diff reads two inputs */
#define MAX_INPUTS 4
static struct sd_bundle_input *volatile inputs[MAX_INPUTS];
static volatile sig_atomic_t nr_inputs;
static const int watched[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void block_signals(sigset_t *was)
{
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof watched / sizeof *watched; i++)
		sigaddset(&block, watched[i]);
	sigprocmask(SIG_BLOCK, &block, was);
}

static void free_inputs(void)
{
	sigset_t was;

	block_signals(&was);
	for (sig_atomic_t i = nr_inputs; i-- > 0;) {
		struct sd_bundle_input *in = inputs[i];
		inputs[i] = NULL;
		nr_inputs = i;
		sd_bundle_input_free(in);
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
}

static void on_signal(int sig)
{
	for (sig_atomic_t i = 0; i < nr_inputs; i++)
		if (inputs[i])
			sd_bundle_input_remove_temps(inputs[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Frees in at exit, removes its files on a signal; called with the
 * signals blocked.  -1 when there is no room (the caller frees it). */
static int watch(struct sd_bundle_input *in)
{
	static bool installed;

	if (nr_inputs == MAX_INPUTS)
		return -1;
	if (!installed) {
		installed = true;
		atexit(free_inputs);
		for (size_t i = 0; i < sizeof watched / sizeof *watched; i++) {
			struct sigaction sa, old;
			/* an ignored SIGPIPE (the analysis ignores it: a
			 * reader gone is EPIPE on that stream) stays ignored */
			if (watched[i] == SIGPIPE &&
			    (sigaction(watched[i], NULL, &old) ||
			     old.sa_handler == SIG_IGN))
				continue;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_signal;
			/* one handler at a time: the others wait, then find
			 * the files gone */
			sigemptyset(&sa.sa_mask);
			for (size_t k = 0; k < sizeof watched / sizeof *watched; k++)
				sigaddset(&sa.sa_mask, watched[k]);
			sigaction(watched[i], &sa, NULL);
		}
	}
	inputs[nr_inputs] = in;
	nr_inputs = nr_inputs + 1;
	return 0;
}

static bool is_file(const char *p)
{
	struct stat st;

	return p && strcmp(p, "-") && !stat(p, &st) && S_ISREG(st.st_mode);
}

int cli_input_open(const char *input, const char *json,
		   struct sd_symbol_opts *sym, struct sd_bundle_input **out)
{
	struct sd_bundle_input *in = NULL;
	struct sd_diags why;
	sigset_t was;
	int err;

	sd_diags_init(&why);
	/* a signal while a bundle is extracted waits until watch() can
	 * remove what was extracted */
	block_signals(&was);
	err = sd_bundle_input_open(input, NULL, &why, &in);
	if (!err && watch(in)) {
		in = sd_bundle_input_free(in);
		err = -ENOMEM;
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (err == -ENOMEM) {
		cli_print_diags(input, &why);
		sd_diags_clear(&why);
		cli_error_input(input, err);
		cli_json_error(json, input, err, NULL);
		return CLI_EXIT_INPUT;
	}
	if (err) {
		cli_print_diags(input, &why);
		const char *what = err == -SD_E_TRUNCATED ? "it is truncated"
				   : err == -SD_E_ZSTD ? "its compressed data is damaged"
				   : err == -EBADMSG || err == -SD_E_BAD_MAGIC ||
						   err == -SD_E_LIMIT
					   ? "it is damaged (see above)"
					   : sd_strerror(err);
		cli_error("cannot read the swapdiag bundle '%s': %s", input,
			  what);
		cli_json_error(json, input, err, &why);
		sd_diags_clear(&why);
		return CLI_EXIT_INPUT;
	}
	sd_diags_clear(&why);
	if (sd_bundle_input_diags(in))
		cli_print_diags(input, sd_bundle_input_diags(in));
	const char *name, *build_id;
	const char *kallsyms = sd_bundle_input_kallsyms(in, &name, &build_id);
	if (!sym->kallsyms && !sym->vmlinux && kallsyms) {
		/* what travels with the recording: named and build-id checked */
		sym->kallsyms = kallsyms;
		sym->kallsyms_source = SD_KSYM_BUNDLE;
		sym->kallsyms_name = name;
		sym->kallsyms_build_id = build_id;
	}
	*out = in;
	return 0;
}

int cli_input_archive(struct sd_bundle_input *in, const char *named,
		      const char *json, struct cli_archive *out)
{
	static const char *const suffixes[] = {".tar.bz2", ".tar.xz",
					       ".tar.zst", ".tar.gz"};
	const char *input = sd_bundle_input_path(in);
	bool bundle = sd_bundle_input_bundle(in) != NULL;
	struct sd_diags why;
	sigset_t was;
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
		cli_json_error(json, input, -SD_E_BAD_MAGIC, NULL);
		return CLI_EXIT_INPUT;
	}
	sd_diags_init(&why);
	/* a signal while the archive is unpacked into its temporary
	 * directory waits until the handler knows that directory */
	block_signals(&was);
	err = sd_bundle_input_add_archive(in, named, NULL, &why);
	sigprocmask(SIG_SETMASK, &was, NULL);
	const char *path = sd_bundle_input_archive_path(in);
	if (err) {
		if (named) {
			cli_print_diags(path ? path : named, &why);
			cli_error("cannot read the perf archive '%s': %s", named,
				  sd_strerror(err));
			cli_json_error(json, input, err, &why);
			sd_diags_clear(&why);
			return CLI_EXIT_INPUT;
		}
		/* found beside, not asked for: one warning, not an error */
		cli_warn("%s: not used (%s); analysing without it",
			 path ? path : input,
			 why.n && why.v[0].text ? why.v[0].text : sd_strerror(err));
		sd_diags_clear(&why);
		return 0;
	}
	sd_diags_clear(&why);
	if (sd_bundle_input_archive_diags(in))
		cli_print_diags(path, sd_bundle_input_archive_diags(in));
	out->archive = sd_bundle_input_archive(in);
	out->path = out->archive ? path : NULL;
	out->named = sd_bundle_input_archive_named(in);
	return 0;
}
