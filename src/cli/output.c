/* SPDX-License-Identifier: MIT */
/* Output files ("-": standard output), JSON error documents, standard
 * input read whole. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/report.h>

#include "cli/cli.h"

FILE *cli_open_output(const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		cli_error("cannot write '%s': %s", path, strerror(errno));
	return f;
}

bool cli_stdout_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};

	if (errno == EPIPE)
		return true;
	/* a pipe whose reader has gone polls as an error */
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int cli_close_output(FILE *f, const char *path)
{
	int bad = ferror(f);

	if (f == stdout)
		bad |= fflush(f);
	else
		bad |= fclose(f);
	if (bad) {
		cli_error("writing '%s' failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cli_slurp_stdin(void **buf, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);

	while (b) {
		size_t got = fread(b + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (!b) {
		cli_error("standard input: out of memory reading it whole");
		return -1;
	}
	if (ferror(stdin)) {
		cli_error("standard input: read error");
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

void cli_json_error(const char *json, const char *input, int err,
		    const struct sd_diags *why)
{
	FILE *out;

	if (!json || !(out = cli_open_output(json)))
		return;
	sd_report_json_error(out, input, err, why);
	cli_close_output(out, json);
}
