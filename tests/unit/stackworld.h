/* SPDX-License-Identifier: MIT */
/*
 * The world the stacks tests (test-stacks, test-resolve) build samples
 * in: a symbolizer that reads the kallsyms text given (written to a
 * temporary file) and nothing of the host, a machine over it and a
 * stacks table.  Include after test.h.
 */
#ifndef SD_TEST_STACKWORLD_H
#define SD_TEST_STACKWORLD_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>

struct world {
	char path[64];
	struct sd_file_info info;
	struct sd_symbolizer *sym;
	struct sd_machine *m;
	struct sd_stacks *st;
};

/* A side-band record (COMM, MMAP, FORK ...) given to the machine. */
static inline void record(struct world *w, struct sd_record *r)
{
	CHECK(sd_machine_process(w->m, r) == 0);
}

/* The symbolizer, machine and stacks table, with kallsyms as the
 * kernel's symbols; false (and a failed check) if any is missing. */
static inline bool world_open(struct world *w, const char *kallsyms)
{
	memset(w, 0, sizeof *w);
	strcpy(w->path, "/tmp/sd-test-world-XXXXXX");
	int fd = mkstemp(w->path);
	if (fd < 0)
		return false;
	size_t len = strlen(kallsyms);
	bool ok = write(fd, kallsyms, len) == (ssize_t)len;
	close(fd);
	struct sd_symbol_opts o = {
		.kallsyms = w->path,
		.kallsyms_unchecked = true,
		SD_TEST_HOST_FREE,
	};
	CHECK(ok);
	CHECK(sd_symbolizer_new(&o, &w->info, &w->sym) == 0);
	CHECK(sd_machine_new(w->sym, &w->m) == 0);
	CHECK(sd_stacks_new(&w->st) == 0);
	return w->sym && w->m && w->st;
}

static inline void world_close(struct world *w)
{
	sd_stacks_free(w->st);
	sd_machine_free(w->m);
	sd_symbolizer_free(w->sym);
	unlink(w->path);
}

#endif
