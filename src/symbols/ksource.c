/* SPDX-License-Identifier: MIT */
/*
 * The kernel's symbols, taken from the first source that is allowed and
 * present:
 *
 *   1. opts.kallsyms (a --kallsyms file or a bundle's), always and only,
 *      when given; a bundle's recorded kernel build-id is compared;
 *   2. opts.vmlinux, always and only, when given (build-id checked when
 *      the recording has one: a mismatch is reported and the vmlinux not
 *      used, unless opts.kallsyms_unchecked) -- what the user names is
 *      never silently replaced by another source;
 *   3. a perf archive's files (opts.archive_dir), then perf's build-id
 *      cache, for the recorded kernel build-id:
 *      <dir>/[kernel.kallsyms]/<id>/kallsyms (or the old <dir>/
 *      [kernel.kallsyms]/<id> file), <dir>/.build-id/xx/rest/kallsyms,
 *      then a vmlinux cached as <dir>/.build-id/xx/rest/elf;
 *   4. /proc/kallsyms, only if the recording is of the running kernel
 *      (same build-id as /sys/kernel/notes, or, when the file has no
 *      kernel build-id, the same release as uname -r) and not
 *      opts.no_host_kernel -- never a foreign recording against this host;
 *   5. nothing: one diagnostic says what to do.
 *
 * Where it came from and whether it matches is kept in s->ks (see
 * kcheck.c for the checks of a kallsyms text against the recording).
 *
 * A kallsyms copy or vmlinux from another boot is moved by the difference
 * between its "_text" and the recorded one (perf's kallsyms__delta()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"
#include "util/file.h"

/*
 * The GNU build-id in a notes blob (the format of /sys/kernel/notes), in
 * host byte order:
 *	struct { u32 namesz, descsz, type; char name[namesz], pad to 4;
 *		 u8 desc[descsz], pad to 4; } notes[];
 * the build-id is the note of type 3 (NT_GNU_BUILD_ID) named "GNU".
 */
static bool notes_blob_id(const uint8_t *p, size_t len, struct sd_build_id *out)
{
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		size_t name_pad, desc_pad;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		off += 12;
		name_pad = ((size_t)namesz + 3) & ~(size_t)3;
		desc_pad = ((size_t)descsz + 3) & ~(size_t)3;
		if (name_pad > len - off || desc_pad > len - off - name_pad)
			return false;
		if (type == 3 && namesz == 4 && !memcmp(p + off, "GNU", 4) &&
		    descsz) {
			size_t n = descsz < SD_BUILD_ID_MAX ? descsz : SD_BUILD_ID_MAX;
			memset(out, 0, sizeof *out);
			memcpy(out->data, p + off + name_pad, n);
			out->size = (uint8_t)n;
			return true;
		}
		off += name_pad + desc_pad;
	}
	return false;
}

int sd_notes_build_id(const void *buf, size_t len, struct sd_build_id *out)
{
	return buf && notes_blob_id(buf, len, out) ? 0 : -ENOENT;
}

/* Is the recording of the kernel running here?  *host gets its build-id
 * (size 0 when it cannot be read). */
static bool recorded_kernel_is_running(struct sd_symbolizer *s,
				       const struct sd_dso *k,
				       struct sd_build_id *host)
{
	char *buf;
	size_t len;

	memset(host, 0, sizeof *host);
	if (sd_read_file(s->host_notes, 1 << 20, &buf, &len) == 0) {
		if (!notes_blob_id((const uint8_t *)buf, len, host))
			memset(host, 0, sizeof *host);
		free(buf);
	}
	if (k->id.size)
		return host->size && sd_build_id_equal(host, &k->id);
	if (s->info && s->info->os_release) {
		struct utsname u;
		const char *rel = s->host_release;

		if (!rel) {
			if (uname(&u) < 0)
				return false;
			rel = u.release;
		}
		return !strcmp(rel, s->info->os_release);
	}
	return false;
}

static void apply_reloc(struct sd_symbolizer *s, struct sd_dso *k)
{
	uint64_t file_addr;
	int64_t want;

	if (!s->have_reloc || !k->tab)
		return;
	if (sd_symtab_ref_addr(k->tab, s->reloc_sym, &file_addr) < 0) {
		sd_diags_add(&s->diags, SD_WARNING, SD_E_BAD_SYMFILE,
			     UINT64_MAX,
			     "%s has no '%s' symbol: kernel symbols are used "
			     "unrelocated and may be wrong if the recorded "
			     "kernel was relocated (KASLR)",
			     k->symsrc, s->reloc_sym);
		return;
	}
	want = (int64_t)(s->reloc_addr - file_addr);
	sd_symtab_relocate(k->tab, want - k->tab->reloc);
}

static bool try_kallsyms(struct sd_dso *k, const char *path, bool must)
{
	struct sd_symbolizer *s = k->s;
	struct sd_symtab *t;
	int err;

	if (!must && !sd_is_regular_file(path))
		return false;
	err = sd_symtab_load_kallsyms(path, &s->diags, &t);
	if (err)
		return false;
	k->tab = t;
	k->symsrc = strdup(path);
	return true;
}

static bool try_vmlinux(struct sd_dso *k, const char *path, bool must,
			const struct sd_build_id *want)
{
	struct sd_symbolizer *s = k->s;
	struct sd_symtab *t;
	int err;

	if (!must && !sd_is_regular_file(path))
		return false;
	err = sd_symtab_load_vmlinux(path, want, &s->diags, &t);
	if (err) {
		if (must && err != -SD_E_BUILD_ID_MISMATCH)
			sd_diags_add(&s->diags, SD_ERROR, err, UINT64_MAX,
				     "cannot use vmlinux '%s': %s", path,
				     sd_strerror(err));
		return false;
	}
	k->tab = t;
	k->symsrc = strdup(path);
	return true;
}

static bool try_buildid_cache(struct sd_dso *k, const char *dir)
{
	char hex[2 * SD_BUILD_ID_MAX + 1];
	char *p[4];
	bool ok = false;

	if (!k->id.size || !dir)
		return false;
	sd_build_id_hex(&k->id, hex);
	p[0] = sd_asprintf("%s/" KERNEL_NAME "/%s/kallsyms", dir, hex);
	p[1] = sd_asprintf("%s/" KERNEL_NAME "/%s", dir, hex);
	p[2] = sd_asprintf("%s/.build-id/%.2s/%s/kallsyms", dir, hex, hex + 2);
	p[3] = sd_asprintf("%s/.build-id/%.2s/%s/elf", dir, hex, hex + 2);
	for (int i = 0; i < 3 && !ok; i++)
		ok = p[i] && try_kallsyms(k, p[i], false);
	if (!ok && p[3])
		ok = try_vmlinux(k, p[3], false, &k->id);
	for (int i = 0; i < 4; i++)
		free(p[i]);
	return ok;
}

static void load_named_vmlinux(struct sd_dso *k)
{
	struct sd_symbolizer *s = k->s;
	struct sd_kernel_symbols *ks = &s->ks;

	ks->source = SD_KSYM_VMLINUX;
	ks->path = s->vmlinux;
	if (sd_file_build_id(s->vmlinux, &ks->build_id))
		memset(&ks->build_id, 0, sizeof ks->build_id);
	sd_ks_compare_ids(s, k, "its");
	if (ks->matches == 0 && !s->unchecked) {
		/* reported (verdict UNKNOWN), never replaced by another */
		sd_diags_add(&s->diags, SD_ERROR, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "vmlinux '%s' is not of the recorded kernel (%s): "
			     "it is not used; --kallsyms-unchecked uses it anyway",
			     s->vmlinux, ks->evidence);
		return;
	}
	/* a matching or unchecked build-id was compared above */
	ks->loaded = try_vmlinux(k, s->vmlinux, true, NULL);
	if (!ks->loaded)
		sd_ks_say(s, "the file cannot be used as a vmlinux (see the "
			  "warnings)");
}

void sd_symbolizer_load_kernel(struct sd_dso *k)
{
	struct sd_symbolizer *s = k->s;
	struct sd_kernel_symbols *ks = &s->ks;
	char hex[2 * SD_BUILD_ID_MAX + 1];
	bool ok;

	ks->matches = -1;
	ks->unchecked = s->unchecked;
	if (s->kallsyms) {
		ks->source = s->kallsyms_source;
		ks->path = s->kallsyms_name ? s->kallsyms_name : s->kallsyms;
		ks->build_id = s->kallsyms_id;
		/* --kallsyms /proc/kallsyms: this host's kernel, whose
		 * build-id is known (/sys/kernel/notes) */
		if (!ks->build_id.size &&
		    !strcmp(s->kallsyms, s->host_kallsyms)) {
			struct sd_build_id here;
			recorded_kernel_is_running(s, k, &here);
			ks->build_id = here;
		}
		ok = try_kallsyms(k, s->kallsyms, true);
		if (!ok) {
			sd_diags_add(&s->diags, SD_ERROR, SD_E_BAD_SYMFILE,
				     UINT64_MAX,
				     "cannot use kallsyms '%s' (see above): "
				     "kernel frames will show as "
				     "[kernel.kallsyms], a module's as "
				     "[its name]", ks->path);
			sd_ks_say(s, "the file cannot be read as kallsyms");
		}
		ks->loaded = ok;
		sd_ks_compare_ids(s, k, ks->source == SD_KSYM_BUNDLE
					     ? "the bundle's kernel"
				     : s->kallsyms_id.size ? "its"
							   : "the running kernel's");
		goto out;
	}
	if (s->vmlinux) {
		load_named_vmlinux(k);
		goto out;
	}
	ok = try_buildid_cache(k, s->archive_dir);
	if (ok) {
		/* named by the recorded build-id; an ELF's own is checked */
		ks->source = SD_KSYM_PERF_ARCHIVE;
		ks->path = k->symsrc;
		ks->build_id = k->id;
		ks->loaded = true;
		ks->matches = 1;
		sd_build_id_hex(&k->id, hex);
		sd_ks_say(s, "the perf archive's entry for the recorded kernel "
			  "build-id %s", hex);
		goto out;
	}
	ok = try_buildid_cache(k, s->buildid_dir);
	if (ok) {
		ks->source = SD_KSYM_BUILDID_CACHE;
		ks->path = k->symsrc;
		ks->build_id = k->id;
		ks->loaded = true;
		ks->matches = 1;
		sd_build_id_hex(&k->id, hex);
		sd_ks_say(s, "perf's build-id cache entry for the recorded kernel "
			  "build-id %s", hex);
		goto out;
	}
	struct sd_build_id host;
	bool running = !s->no_host_kernel &&
		       recorded_kernel_is_running(s, k, &host);
	if (running && try_kallsyms(k, s->host_kallsyms, true)) {
		ks->source = SD_KSYM_RUNNING_KERNEL;
		ks->path = s->host_kallsyms;
		ks->build_id = host;
		ks->loaded = true;
		if (k->id.size)
			sd_ks_compare_ids(s, k, "the running kernel's");
		else
			sd_ks_say(s, "the running kernel has the recorded release "
				  "%.80s (the recording has no kernel build-id)",
			       s->info && s->info->os_release
				       ? s->info->os_release : "?");
		goto out;
	}
	sd_build_id_hex(&k->id, hex);
	if (!s->no_host_kernel && k->id.size && host.size) {
		char h[2 * SD_BUILD_ID_MAX + 1];
		sd_build_id_hex(&host, h);
		sd_ks_say(s, "no kernel symbols: the recorded kernel (build-id %s) "
			  "is not the running one (%s), so /proc/kallsyms is "
			  "not used", hex, h);
	} else {
		sd_ks_say(s, "no kernel symbols for the recorded kernel%s%s%s",
		       k->id.size ? " (build-id " : "", hex,
		       k->id.size ? ")" : "");
	}
	sd_diags_add(&s->diags, SD_WARNING, ENOENT, UINT64_MAX,
		     "no symbols for the recorded kernel%s%s%s: kernel "
		     "frames will show as [kernel.kallsyms], a module's "
		     "as [its name]; copy "
		     "/proc/kallsyms as root on the recorded host and "
		     "pass it with --kallsyms, or run 'perf archive' "
		     "there and put its tarball beside the recording (or "
		     "pass it with --archive)",
		     k->id.size ? " (build-id " : "", hex,
		     k->id.size ? ")" : "");
out:
	apply_reloc(s, k);
}

void sd_symbolizer_set_kernel_reloc(struct sd_symbolizer *s, const char *sym,
				    uint64_t addr)
{
	char *name;
	struct sd_dso *k;

	if (!sym || !*sym)
		return;
	name = strdup(sym);
	if (!name)
		return;
	free(s->reloc_sym);
	s->reloc_sym = name;
	s->reloc_addr = addr;
	s->have_reloc = true;
	/* Already loaded: move it now (and the core range with it). */
	k = s->kernel;
	if (k && k->tried) {
		apply_reloc(s, k);
		s->kmap_state = 0;
	}
}

const char *sd_symbolizer_kernel_source(const struct sd_symbolizer *s)
{
	return sd_ksym_source_name(s->kernel && s->kernel->tried && s->ks.loaded
					   ? s->ks.source
					   : SD_KSYM_NONE);
}
