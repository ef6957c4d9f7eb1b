/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record --with-dsos: the files of the recording's user DSOs,
 * taken on the recorded host by build-id, as perf archive names them
 * (so that the bundle's reader and a perf archive's share one layout):
 *
 *	dsos/PATH/ID/elf	the DSO as mapped (PATH without its "/")
 *	dsos/PATH/ID/debug	/usr/lib/debug/.build-id/xx/REST.debug, if any
 *
 * Only a file whose build-id is the recorded one is taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/reader.h>
#include <swapdiag/symbols.h>

#include "bundle/internal.h"
#include "util/str.h"

/* The size of root/path if it is a regular ELF file with build-id id. */
static int file_with_id(const char *root, const char *path,
			const struct sd_build_id *id, char **full,
			uint64_t *size)
{
	struct sd_build_id have = {0};
	struct stat st;
	void *map;
	int fd, ok;

	if (!(*full = sd_asprintf("%s%s", root, path)))
		return -ENOMEM;
	fd = open(*full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	ok = sd_elf_build_id(map, (size_t)st.st_size, &have) == 0 &&
	     have.size == id->size && !memcmp(have.data, id->data, id->size);
	munmap(map, (size_t)st.st_size);
	if (!ok)
		return -SD_E_BUILD_ID_MISMATCH;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int push(struct sd_bundle_dso **v, size_t *n, char *member, char *path,
		uint64_t size)
{
	struct sd_bundle_dso *nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv || !member) {
		free(member);
		free(path);
		return -ENOMEM;
	}
	*v = nv;
	nv[*n] = (struct sd_bundle_dso){member, path, size};
	(*n)++;
	return 0;
}

int sd_bundle_pick_dsos(const struct sd_build_id_entry *e, size_t n,
			uint64_t cap, const char *root,
			struct sd_bundle_dsos *out)
{
	memset(out, 0, sizeof *out);
	if (!root)
		root = "";
	for (size_t i = 0; i < n; i++) {
		const char *p = e[i].filename;
		char hex[2 * SD_BUILD_ID_MAX + 1], *elf = NULL, *dbg = NULL;
		uint64_t esize = 0, dsize = 0;
		int err;

		/* user DSOs that are files: not the kernel, modules, [vdso] */
		if (!p || p[0] != '/' || !e[i].id.size ||
		    e[i].cpumode == SD_MISC_KERNEL ||
		    strlen(p) > SD_TAR_NAME_MAX - 64)
			continue;
		sd_build_id_hex(&e[i].id, hex);
		err = file_with_id(root, p, &e[i].id, &elf, &esize);
		if (err) {
			free(elf);
			if (err == -ENOMEM)
				return err;
			out->missing++;
			continue;
		}
		char rel[96];
		snprintf(rel, sizeof rel, "/usr/lib/debug/.build-id/%.2s/%s.debug",
			 hex, hex + 2);
		if (file_with_id(root, rel, &e[i].id, &dbg, &dsize)) {
			free(dbg);
			dbg = NULL;
			dsize = 0;
		}
		if (out->total + esize + dsize > cap) {
			out->over_cap++;
			out->over_cap_bytes += esize + dsize;
			free(elf);
			free(dbg);
			continue;
		}
		char *m = sd_asprintf("dsos/%s/%s/elf", p + 1, hex);
		if (!sd_tar_name_ok(m ? m : "/") ||
		    (err = push(&out->v, &out->n, m, elf, esize))) {
			free(dbg);
			if (m && !sd_tar_name_ok(m)) {
				free(m);
				free(elf);
				out->missing++;
				continue;
			}
			return -ENOMEM;
		}
		out->total += esize;
		out->nr_dsos++;
		if (dbg) {
			m = sd_asprintf("dsos/%s/%s/debug", p + 1, hex);
			if ((err = push(&out->v, &out->n, m, dbg, dsize)))
				return err;
			out->total += dsize;
		}
	}
	return 0;
}

void sd_bundle_dsos_clear(struct sd_bundle_dsos *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].member);
		free(d->v[i].path);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}
