/* SPDX-License-Identifier: MIT */
/*
 * The tool's one voice on standard error (msg.h): every message starts
 * with the program name and its kind, clears the progress line first,
 * and honours -q; libswapdiag's diagnostics are printed here too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/msg.h"

bool cli_quiet;
const char *cli_command;
static bool progress_shown;

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	cli_progress_done();
	fprintf(stderr, "swapdiag: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vmsg("note", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	cli_progress_done();
	fputs("swapdiag: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'swapdiag%s%s --help' for more information.\n",
		cli_command ? " " : "", cli_command ? cli_command : "");
}

void cli_error_input(const char *path, int err)
{
	const char *hint = "";

	switch (-err) {
	case ENOENT:
		hint = " (check the path)";
		break;
	case EACCES:
		hint = " (no permission to read it)";
		break;
	case SD_E_BAD_MAGIC:
		hint = " (swapdiag reads perf.data files in file or pipe "
		       "mode, bundles from 'swapdiag record', perf script and "
		       "perf report --stdio text, and folded stacks)";
		break;
	default:
		break;
	}
	cli_error("cannot analyse '%s': %s%s", path, sd_strerror(err), hint);
}

bool cli_verbose;

/* "no symbols for /usr/lib/libc.so.6: ..." (a user binary, not the
 * kernel): one per binary, summed up in one line unless -v. */
static bool user_symbols_missing(const struct sd_diag *g)
{
	static const char p[] = "no symbols for ";

	return g->text &&
	       (g->code == SD_E_NO_SYMBOLS || g->code == SD_E_BUILD_ID_MISMATCH) &&
	       !strncmp(g->text, p, sizeof p - 1) &&
	       strncmp(g->text + sizeof p - 1, "the recorded kernel", 19);
}

static void print_diags(const char *path, const struct sd_diags *d,
			enum sd_severity min)
{
	uint64_t missing = 0, other_build = 0;

	if (cli_quiet)
		return;
	for (size_t i = 0; i < d->n; i++) {
		const struct sd_diag *g = &d->v[i];
		if (g->severity < min)
			continue;
		if (!cli_verbose && user_symbols_missing(g)) {
			missing += 1 + g->repeat;
			if (g->code == SD_E_BUILD_ID_MISMATCH)
				other_build += 1 + g->repeat;
			continue;
		}
		const char *kind = g->severity == SD_ERROR   ? "error"
				   : g->severity == SD_WARNING ? "warning"
							       : "note";
		cli_progress_done();
		fprintf(stderr, "swapdiag: %s: %s: ", kind, path);
		if (g->offset != UINT64_MAX)
			fprintf(stderr, "byte %llu: ",
				(unsigned long long)g->offset);
		fputs(g->text ? g->text : sd_strerror(g->code), stderr);
		if (g->repeat)
			fprintf(stderr, " (and %llu more like it)",
				(unsigned long long)g->repeat);
		fputc('\n', stderr);
	}
	if (missing) {
		cli_progress_done();
		fprintf(stderr, "swapdiag: %s: %s: no symbols for %llu user "
				"binar%s",
			other_build ? "warning" : "note", path,
			(unsigned long long)missing, missing > 1 ? "ies" : "y");
		if (other_build == missing)
			fprintf(stderr, " of another build");
		else if (other_build)
			fprintf(stderr, " (%llu of another build, %llu not found)",
				(unsigned long long)other_build,
				(unsigned long long)(missing - other_build));
		else
			fprintf(stderr, " (not found)");
		fprintf(stderr, "; --symfs DIR or perf archive; -v lists them\n");
	}
	if (d->dropped)
		fprintf(stderr, "swapdiag: note: %s: %llu more messages not "
				"shown\n",
			path, (unsigned long long)d->dropped);
}

void cli_print_diags(const char *path, const struct sd_diags *d)
{
	print_diags(path, d, SD_NOTE);
}

void cli_print_problems(const char *path, const struct sd_diags *d)
{
	print_diags(path, d, SD_WARNING);
}

void cli_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	if (total)
		fprintf(stderr, "\rswapdiag: reading %3.0f%% (%llu MiB)",
			100.0 * (double)done / (double)total,
			(unsigned long long)(done >> 20));
	else
		fprintf(stderr, "\rswapdiag: reading %llu MiB",
			(unsigned long long)(done >> 20));
	progress_shown = true;
}

void cli_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}
