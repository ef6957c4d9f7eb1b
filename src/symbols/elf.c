/* SPDX-License-Identifier: MIT */
/*
 * ELF symbol tables through libelf, as perf 6.1 loads a DSO
 * (symsrc__init(), dso__load_sym() and dso__synthesize_plt_symbols() in
 * tools/perf/util/symbol-elf.c):
 *
 * - symbols come from .symtab, else .dynsym (a file with only .dynsym is
 *   a "runtime" source; the .plt is always read from the runtime file,
 *   which may differ from the one giving .symtab, e.g. a .debug file);
 * - kept: functions (FUNC, GNU_IFUNC) and objects with a name and a
 *   defined section, and labels (NOTYPE, not hidden/internal, not ABS) in
 *   a section whose name contains "text" or "data"; never symbols of
 *   sections without SHF_ALLOC, never SHN_ABS ones;
 * - user DSOs are always "adjusted" in 6.1: st_value -= p_vaddr - p_offset
 *   of the PT_LOAD holding it (else sh_addr - sh_offset of its section),
 *   which puts symbols in the file-offset space that map_ip() gives
 *   (ip - map.start + map.pgoff); a vmlinux keeps link addresses;
 * - sizes from st_size; zero ones end at the next symbol; then duplicates
 *   are reduced (symtab.c);
 * - then "name@plt" symbols: one per .rela.plt/.rel.plt entry, in .plt
 *   order after a header of one entry, entry size = .plt's sh_entsize
 *   (x86), located by sh_offset.
 *
 * Every input is handled through libelf, which checks section and data
 * ranges against the buffer; on top of that every index, string offset
 * and count read from the file is checked here before use.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"

#define SD_ELF_MAX_FILE ((uint64_t)4 << 30)

#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

static bool elf_inited;

void sd_elf_init(void)
{
	if (!elf_inited) {
		elf_version(EV_CURRENT);
		elf_inited = true;
	}
}

static void elf_lib_init(void)
{
	sd_elf_init();
}

static Elf_Scn *section_by_name(struct sd_elf *e, const char *name,
				GElf_Shdr *shdr, size_t *idx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *s;

		if (!gelf_getshdr(scn, &sh))
			continue;
		s = elf_strptr(e->elf, e->shstrndx, sh.sh_name);
		if (s && !strcmp(s, name)) {
			if (shdr)
				*shdr = sh;
			if (idx)
				*idx = elf_ndxscn(scn);
			return scn;
		}
	}
	return NULL;
}

/* Takes mem (malloc'ed or mapped) whatever happens. */
static int elf_open_mem(void *mem, size_t len, bool mapped,
			struct sd_elf **out)
{
	struct sd_elf *e;

	elf_lib_init();
	e = calloc(1, sizeof *e);
	if (!e) {
		if (mapped)
			munmap(mem, len);
		else
			free(mem);
		return -ENOMEM;
	}
	e->refs = 1;
	e->mem = mem;
	e->len = len;
	e->mapped = mapped;
	e->elf = elf_memory(mem, len);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF ||
	    !gelf_getehdr(e->elf, &e->ehdr) ||
	    elf_getshdrstrndx(e->elf, &e->shstrndx) != 0) {
		sd_elf_close(e);
		return -SD_E_BAD_SYMFILE;
	}
	e->symtab = section_by_name(e, ".symtab", &e->symshdr, NULL);
	if (e->symtab && e->symshdr.sh_type != SHT_SYMTAB)
		e->symtab = NULL;
	e->dynsym = section_by_name(e, ".dynsym", &e->dynshdr, &e->dynsym_idx);
	if (e->dynsym && e->dynshdr.sh_type != SHT_DYNSYM)
		e->dynsym = NULL;
	*out = e;
	return 0;
}

int sd_elf_open_mem(const void *buf, size_t len, struct sd_elf **out)
{
	void *copy;

	if (!buf || !len)
		return -SD_E_BAD_SYMFILE;
	if (len > SD_ELF_MAX_FILE)
		return -SD_E_LIMIT;
	/* libelf wants writable memory; never hand it the caller's bytes. */
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	return elf_open_mem(copy, len, false, out);
}

int sd_elf_open(const char *path, struct sd_elf **out)
{
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -SD_E_BAD_SYMFILE;
	}
	if ((uint64_t)st.st_size > SD_ELF_MAX_FILE) {
		close(fd);
		return -SD_E_LIMIT;
	}
	/* A private writable mapping: libelf may write, the file never is. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	return elf_open_mem(map, (size_t)st.st_size, true, out);
}

struct sd_elf *sd_elf_ref(struct sd_elf *e)
{
	e->refs++;
	return e;
}

void sd_elf_close(struct sd_elf *e)
{
	if (!e || --e->refs)
		return;
	if (e->elf)
		elf_end(e->elf);
	if (e->mapped)
		munmap(e->mem, e->len);
	else
		free(e->mem);
	free(e->loads);
	free(e);
}

bool sd_elf_has_symtab(const struct sd_elf *e)
{
	return e->symtab != NULL;
}

bool sd_elf_is_runtime(const struct sd_elf *e)
{
	return e->dynsym != NULL;
}

static bool notes_build_id(Elf_Data *data, struct sd_build_id *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (off < data->d_size &&
	       (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    name_off > data->d_size || data->d_size - name_off < 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
			continue;
		if (desc_off > data->d_size ||
		    data->d_size - desc_off < nh.n_descsz || !nh.n_descsz)
			continue;
		size_t n = nh.n_descsz < SD_BUILD_ID_MAX ? nh.n_descsz
							 : SD_BUILD_ID_MAX;
		memset(out, 0, sizeof *out);
		memcpy(out->data, (const char *)data->d_buf + desc_off, n);
		out->size = (uint8_t)n;
		return true;
	}
	return false;
}

int sd_elf_get_build_id(struct sd_elf *e, struct sd_build_id *out)
{
	static const char *const names[] = {".note.gnu.build-id", ".notes",
					    ".note"};
	size_t phnum;

	/* perf looks at the first of these sections that exists. */
	for (size_t i = 0; i < 3; i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = section_by_name(e, names[i], &sh, NULL);
		Elf_Data *d;

		if (!scn)
			continue;
		if (sh.sh_type != SHT_NOTE)
			break;
		d = elf_getdata(scn, NULL);
		if (d && d->d_buf && notes_build_id(d, out))
			return 0;
		break;
	}
	/* No section headers (or none of those): try PT_NOTE segments. */
	if (elf_getphdrnum(e->elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum && i < 4096; i++) {
			GElf_Phdr ph;
			Elf_Data *d;

			if (!gelf_getphdr(e->elf, (int)i, &ph) ||
			    ph.p_type != PT_NOTE)
				continue;
			if (ph.p_offset > e->len || e->len - ph.p_offset < ph.p_filesz)
				continue;
			d = elf_getdata_rawchunk(e->elf, (int64_t)ph.p_offset,
						 ph.p_filesz, ELF_T_NHDR);
			if (d && d->d_buf && notes_build_id(d, out))
				return 0;
		}
	}
	return -ENOENT;
}

const char *sd_elf_debuglink(struct sd_elf *e)
{
	GElf_Word crc;
	const char *link = dwelf_elf_gnu_debuglink(e->elf, &crc);

	if (!link || !*link || strlen(link) > 255 || strchr(link, '/'))
		return NULL;
	return link;
}

bool sd_build_id_equal(const struct sd_build_id *a, const struct sd_build_id *b)
{
	size_t n = a->size < b->size ? a->size : b->size;
	const struct sd_build_id *longer = a->size > b->size ? a : b;

	if (!a->size || !b->size || memcmp(a->data, b->data, n))
		return false;
	/* perf pads build-ids of old files to 20 bytes with zeroes. */
	for (size_t i = n; i < longer->size; i++)
		if (longer->data[i])
			return false;
	return true;
}

void sd_build_id_hex(const struct sd_build_id *id, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = id->size <= SD_BUILD_ID_MAX ? id->size : SD_BUILD_ID_MAX;

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[id->data[i] >> 4];
		buf[2 * i + 1] = hex[id->data[i] & 15];
	}
	buf[2 * n] = '\0';
}

int sd_elf_build_id(const void *buf, size_t len, struct sd_build_id *out)
{
	struct sd_elf *e;
	struct sd_build_id id;
	int err = sd_elf_open_mem(buf, len, &e);

	if (err)
		return err;
	err = sd_elf_get_build_id(e, &id);
	sd_elf_close(e);
	if (!err)
		*out = id;
	return err;
}
