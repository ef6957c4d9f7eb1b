/* SPDX-License-Identifier: MIT */
/*
 * Kernel-symbol fixtures for the symbolizer tests: build-ids made from a
 * seed, /sys/kernel/notes blobs, the file info of a recording that names
 * its kernel's build-id, and symbol options whose "running kernel" is
 * files in the test's directory (tfiles.h) instead of the host's.
 * Include after test.h and tfiles.h.
 */
#ifndef SD_TEST_KSYMFIX_H
#define SD_TEST_KSYMFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/reader.h>
#include <swapdiag/symbols.h>

/* A 20-byte build-id: seed, seed + 7, seed + 14, ... */
static inline struct sd_build_id kid(uint8_t seed)
{
	struct sd_build_id id = {.size = 20};

	for (int i = 0; i < 20; i++)
		id.data[i] = (uint8_t)(seed + i * 7);
	return id;
}

/* The build-id of the ELF file at path (the SD_SYMFIX_SO fixture):
 * false if it cannot be read or has none (the caller skips). */
static inline bool fixture_build_id(const char *path, struct sd_build_id *id)
{
	size_t len;
	char *buf = tf_slurp(path, &len);
	bool ok = buf && sd_elf_build_id(buf, len, id) == 0;

	free(buf);
	return ok;
}

/*
 * A /sys/kernel/notes blob holding one GNU build-id note:
 *	u32 namesz = 4; u32 descsz; u32 type = 3 (NT_GNU_BUILD_ID);
 *	char name[4] = "GNU"; u8 desc[descsz] (4-byte aligned)
 */
static inline void write_notes(const char *path, const struct sd_build_id *id)
{
	uint8_t blob[64] = {0};
	uint32_t namesz = 4, descsz = id->size, type = 3;

	memcpy(blob, &namesz, 4);
	memcpy(blob + 4, &descsz, 4);
	memcpy(blob + 8, &type, 4);
	memcpy(blob + 12, "GNU", 4);
	memcpy(blob + 16, id->data, id->size);
	tf_write_file(path, blob, 16 + ((id->size + 3u) & ~3u));
}

/* A recording's file info: its OSRELEASE, and the kernel's build-id in
 * HEADER_BUILD_ID when kernel is not NULL (one entry, static). */
static inline struct sd_file_info info_with(const struct sd_build_id *kernel,
					    const char *release)
{
	static struct sd_build_id_entry kernel_entry;
	struct sd_file_info fi;

	memset(&fi, 0, sizeof fi);
	fi.os_release = (char *)release;
	if (kernel) {
		kernel_entry.pid = -1;
		kernel_entry.cpumode = SD_MISC_KERNEL;
		kernel_entry.id = *kernel;
		kernel_entry.filename = (char *)"[kernel.kallsyms]";
		fi.build_ids = &kernel_entry;
		fi.nr_build_ids = 1;
	}
	return fi;
}

/* Options whose host kernel is host/kallsyms and host/notes in the test's
 * directory, release 6.1.0-host, and whose build-id cache is empty. */
static inline struct sd_symbol_opts host_opts(void)
{
	struct sd_symbol_opts o = {0};

	o.buildid_dir = tf_path("nocache");
	o.host_kallsyms = tf_path("host/kallsyms");
	o.host_notes = tf_path("host/notes");
	o.host_release = "6.1.0-host";
	return o;
}

#endif
