/* SPDX-License-Identifier: MIT */
/*
 * The kernel symbol status the symbolizer keeps: where the symbols came
 * from, what was said about them, the recorded kernel map, and the check
 * of kcheck.c run once the samples are in (sd_symbolizer_verify_kernel).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"

/* The build-id of an ELF file (a vmlinux), read through a mapping. */
int sd_file_build_id(const char *path, struct sd_build_id *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = -ENOENT;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			       fd, 0);
		if (p != MAP_FAILED) {
			err = sd_elf_build_id(p, (size_t)st.st_size, out);
			munmap(p, (size_t)st.st_size);
		}
	}
	close(fd);
	return err;
}

void sd_ks_say(struct sd_symbolizer *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->ks.evidence, sizeof s->ks.evidence, fmt, ap);
	va_end(ap);
}

/* A build-id given with the symbols against the recorded one. */
void sd_ks_compare_ids(struct sd_symbolizer *s, const struct sd_dso *k,
			   const char *whose)
{
	char a[2 * SD_BUILD_ID_MAX + 1], b[2 * SD_BUILD_ID_MAX + 1];

	if (!s->ks.build_id.size || !k->id.size)
		return;
	sd_build_id_hex(&s->ks.build_id, a);
	sd_build_id_hex(&k->id, b);
	if (sd_build_id_equal(&s->ks.build_id, &k->id)) {
		s->ks.matches = 1;
		sd_ks_say(s, "%s build-id %s is the recorded kernel's", whose, a);
	} else {
		s->ks.matches = 0;
		sd_ks_say(s, "%s build-id %s is not the recorded kernel's (%s)",
		       whose, a, b);
	}
}

void sd_symbolizer_set_kernel_map(struct sd_symbolizer *s, uint64_t start,
				  uint64_t len, uint64_t pgoff)
{
	if (s->have_kmap)
		return; /* the first one: perf writes it before the modules */
	s->have_kmap = true;
	s->kmap_start = start;
	s->kmap_len = len;
	s->kmap_pgoff = pgoff;
}

const struct sd_kernel_symbols *
sd_symbolizer_kernel_symbols(struct sd_symbolizer *s)
{
	struct sd_dso *k = sd_symbolizer_kernel(s);

	if (!k)
		return NULL;
	if (!k->tried) {
		/* no kernel frame needed them: say what would have been used,
		 * without loading (or warning about) anything */
		struct sd_kernel_symbols *ks = &s->ks;
		ks->matches = -1;
		ks->unchecked = s->unchecked;
		ks->source = s->kallsyms ? s->kallsyms_source
			     : s->vmlinux ? SD_KSYM_VMLINUX
					  : SD_KSYM_NONE;
		ks->path = s->kallsyms ? (s->kallsyms_name ? s->kallsyms_name
							   : s->kallsyms)
					: s->vmlinux;
		ks->build_id = s->kallsyms ? s->kallsyms_id : ks->build_id;
		sd_ks_say(s, "the recording has no kernel frames: no kernel "
			  "symbols were needed");
	}
	return &s->ks;
}

void sd_symbolizer_verify_kernel(struct sd_symbolizer *s,
				 const struct sd_kernel_evidence *ev)
{
	struct sd_dso *k = sd_symbolizer_kernel(s);

	if (!k || !k->tried || s->verified)
		return;
	s->verified = true;
	if (!k->tab || s->ks.matches >= 0)
		goto warn;
	sd_kcheck_settle(s, k->tab, ev);
warn:
	if (s->ks.matches == 0 && s->ks.loaded)
		sd_diags_add(&s->diags, SD_WARNING, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "the kernel symbols '%s' do not belong to the "
			     "recorded kernel: %s%s",
			     s->ks.path ? s->ks.path : "?", s->ks.evidence,
			     s->unchecked ? "; used anyway (--kallsyms-unchecked): "
					    "kernel frames may be misnamed"
					  : "");
}

