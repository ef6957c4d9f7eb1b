/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer: DSOs interned by (path, build-id), their tables loaded on
 * first lookup, and the kernel's symbols taken from the first source that
 * is allowed and present:
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"
#include "util/file.h"

#define KERNEL_NAME "[kernel.kallsyms]"

bool sd_is_regular_file(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *dup_opt(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

struct sd_symbolizer *sd_symbolizer_free(struct sd_symbolizer *s)
{
	if (!s)
		return NULL;
	sd_prefetch_stop(s);
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct sd_dso *d = s->buckets[b];
		while (d) {
			struct sd_dso *next = d->hnext;
			sd_diags_clear(&d->pf_diags);
			sd_symtab_free(d->tab);
			free(d->symsrc);
			free(d->binpath);
			sd_a2l_free(d->a2l);
			free(d->path);
			free(d);
			d = next;
		}
	}
	free(s->buckets);
	for (size_t i = 0; i < s->nmodule_names; i++)
		free(s->module_names[i]);
	free(s->module_names);
	free(s->kallsyms);
	free(s->kallsyms_name);
	free(s->vmlinux);
	free(s->symfs);
	free(s->buildid_dir);
	free(s->archive_dir);
	free(s->host_kallsyms);
	free(s->host_notes);
	free(s->host_release);
	free(s->reloc_sym);
	sd_diags_clear(&s->diags);
	free(s);
	return NULL;
}

int sd_symbolizer_new(const struct sd_symbol_opts *opts,
		      const struct sd_file_info *info,
		      struct sd_symbolizer **out)
{
	static const struct sd_symbol_opts none;
	struct sd_symbolizer *s = calloc(1, sizeof *s);
	bool fail = false;

	if (!s)
		return -ENOMEM;
	if (!opts)
		opts = &none;
	sd_diags_init(&s->diags);
	s->info = info;
	s->no_host_kernel = opts->no_host_kernel;
	s->kallsyms = dup_opt(opts->kallsyms, &fail);
	s->kallsyms_name = dup_opt(opts->kallsyms_name, &fail);
	s->kallsyms_source = opts->kallsyms_source == SD_KSYM_BUNDLE
				     ? SD_KSYM_BUNDLE
				     : SD_KSYM_KALLSYMS;
	if (opts->kallsyms_build_id &&
	    sd_build_id_parse(opts->kallsyms_build_id, &s->kallsyms_id))
		s->kallsyms_id.size = 0;
	s->unchecked = opts->kallsyms_unchecked;
	s->ks.matches = -1;
	s->vmlinux = dup_opt(opts->vmlinux, &fail);
	/* An empty symfs or "/" is the host's root: no symfs at all. */
	if (opts->symfs && opts->symfs[0] && strcmp(opts->symfs, "/"))
		s->symfs = dup_opt(opts->symfs, &fail);
	if (opts->buildid_dir) {
		s->buildid_dir = dup_opt(opts->buildid_dir, &fail);
	} else if (getenv("HOME")) {
		s->buildid_dir = sd_asprintf("%s/.debug", getenv("HOME"));
		fail |= !s->buildid_dir;
	}
	s->archive_dir = dup_opt(opts->archive_dir, &fail);
	s->host_kallsyms = dup_opt(opts->host_kallsyms ? opts->host_kallsyms
						       : "/proc/kallsyms", &fail);
	s->host_notes = dup_opt(opts->host_notes ? opts->host_notes
						 : "/sys/kernel/notes", &fail);
	s->host_release = dup_opt(opts->host_release, &fail);
	s->nbuckets = 64;
	s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
	if (fail || !s->buckets) {
		sd_symbolizer_free(s);
		return -ENOMEM;
	}
	if (opts->prefetch)
		sd_prefetch_start(s);
	*out = s;
	return 0;
}

struct sd_diags *sd_symbolizer_diags(struct sd_symbolizer *s)
{
	return &s->diags;
}

static uint64_t dso_hash(const char *path, const struct sd_build_id *id)
{
	uint64_t h = sd_hash_bytes(path, strlen(path), 0x5d);

	return id && id->size ? sd_hash_bytes(id->data, id->size, h) : h;
}

static bool same_id(const struct sd_build_id *a, const struct sd_build_id *b)
{
	return a->size == b->size && !memcmp(a->data, b->data, a->size);
}

/* The BUILD_ID feature entry for a user DSO named path, if any. */
static const struct sd_build_id *recorded_id(const struct sd_symbolizer *s,
					     const char *path, bool kernel)
{
	const struct sd_file_info *info = s->info;

	if (!info)
		return NULL;
	for (size_t i = 0; i < info->nr_build_ids; i++) {
		const struct sd_build_id_entry *e = &info->build_ids[i];
		uint16_t mode = e->cpumode & SD_MISC_CPUMODE_MASK;

		if (!e->filename || !e->id.size || strcmp(e->filename, path))
			continue;
		if (kernel ? mode == SD_MISC_KERNEL : mode != SD_MISC_KERNEL)
			return &e->id;
	}
	return NULL;
}

static int grow_buckets(struct sd_symbolizer *s)
{
	size_t nb = s->nbuckets * 2;
	struct sd_dso **b = calloc(nb, sizeof *b);

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct sd_dso *d = s->buckets[i];
		while (d) {
			struct sd_dso *next = d->hnext;
			size_t k = d->hash & (nb - 1);
			d->hnext = b[k];
			b[k] = d;
			d = next;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
	return 0;
}

static struct sd_dso *intern(struct sd_symbolizer *s, const char *path,
			     const struct sd_build_id *id, bool kernel)
{
	struct sd_build_id none = {0};
	uint64_t h;
	struct sd_dso *d;

	if (!id)
		id = &none;
	h = dso_hash(path, id);
	for (d = s->buckets[h & (s->nbuckets - 1)]; d; d = d->hnext)
		if (d->hash == h && !strcmp(d->path, path) && same_id(&d->id, id))
			return d;
	if (s->ndsos + 1 > s->nbuckets && grow_buckets(s))
		return NULL;
	d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->path_len = strlen(path);
	d->path = malloc(d->path_len + 1);
	if (!d->path) {
		free(d);
		return NULL;
	}
	memcpy(d->path, path, d->path_len + 1);
	sd_diags_init(&d->pf_diags);
	d->s = s;
	d->hash = h;
	d->id = *id;
	if (d->id.size > SD_BUILD_ID_MAX)
		d->id.size = SD_BUILD_ID_MAX;
	d->kernel = kernel;
	d->hnext = s->buckets[h & (s->nbuckets - 1)];
	s->buckets[h & (s->nbuckets - 1)] = d;
	s->ndsos++;
	return d;
}

struct sd_dso *sd_symbolizer_intern(struct sd_symbolizer *s, const char *path,
				    const struct sd_build_id *id)
{
	return intern(s, path, id, false);
}

struct sd_dso *sd_symbolizer_kernel(struct sd_symbolizer *s)
{
	if (!s->kernel)
		s->kernel = intern(s, KERNEL_NAME,
				   recorded_id(s, KERNEL_NAME, true), true);
	return s->kernel;
}

/* A path's memo key: its length and its first and last eight bytes,
 * which tell a process's few files apart (a collision only costs a
 * miss: the memo compares the whole path). */
static inline uint64_t memo_key(const char *path, size_t len)
{
	uint64_t a = 0, b = 0;

	if (len >= 8) {
		memcpy(&a, path, 8);
		memcpy(&b, path + len - 8, 8);
	} else {
		for (size_t i = 0; i < len; i++)
			a |= (uint64_t)(unsigned char)path[i] << 8 * i;
	}
	return sd_mix64(a ^ sd_mix64(b + len));
}

/* The dso of a path the memo does not have, put in its set (out of
 * line: the memo's hits are the common case). */
static __attribute__((noinline)) struct sd_dso *
memo_miss(struct sd_symbolizer *s, const char *path, uint64_t k,
	  struct dso_memo *set)
{
	struct sd_dso *d = intern(s, path, recorded_id(s, path, false), false);

	if (d)
		set[s->memo_next++ % MEMO_WAYS] = (struct dso_memo){k, d};
	return d;
}

struct sd_dso *sd_symbolizer_dso(struct sd_symbolizer *s, const char *path,
				 const struct sd_build_id *build_id)
{
	if (!path)
		return NULL;
	if (path[0] == '[' && path[1] == 'k' &&
	    !strncmp(path, KERNEL_NAME, strlen(KERNEL_NAME)))
		return sd_symbolizer_kernel(s);
	if (build_id && build_id->size)
		return intern(s, path, build_id, false);
	/* the answer for a path alone changes only with the recorded ids
	 * (a dso is never dropped) */
	if (s->info && s->info->nr_build_ids != s->memo_nr_build_ids) {
		memset(s->memo, 0, sizeof s->memo);
		s->memo_nr_build_ids = s->info->nr_build_ids;
	}
	size_t len = strlen(path);
	uint64_t k = memo_key(path, len);
	struct dso_memo *set = &s->memo[k % MEMO_SETS * MEMO_WAYS];
	for (int w = 0; w < MEMO_WAYS; w++) {
		struct dso_memo *e = &set[w];
		if (e->dso && e->key == k && e->dso->path_len == len &&
		    !memcmp(e->dso->path, path, len))
			return e->dso;
	}
	return memo_miss(s, path, k, set);
}

const char *sd_dso_name(const struct sd_dso *d)
{
	return d->path;
}

bool sd_dso_is_kernel(const struct sd_dso *d)
{
	return d->kernel;
}

/* ---- the kernel ---------------------------------------------------- */

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

static void load_kernel(struct sd_dso *k)
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
				     "[kernel.kallsyms]", ks->path);
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
		     "frames will show as [kernel.kallsyms]; copy "
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
	/* Already loaded: move it now. */
	k = s->kernel;
	if (k && k->tried)
		apply_reloc(s, k);
}

const char *sd_symbolizer_kernel_source(const struct sd_symbolizer *s)
{
	return sd_ksym_source_name(s->kernel && s->kernel->tried && s->ks.loaded
					   ? s->ks.source
					   : SD_KSYM_NONE);
}

/* ---- lookups -------------------------------------------------------- */

static void ensure_loaded(struct sd_dso *d)
{
	if (d->tried)
		return;
	d->tried = true;
	if (d->kernel)
		load_kernel(d);
	else if (!d->pf_queued || !sd_prefetch_claim(d))
		sd_dso_load_user(d, &d->s->diags);
}

const char *sd_dso_symsrc(struct sd_dso *d)
{
	ensure_loaded(d);
	return d->tab ? d->symsrc : NULL;
}

const char *sd_dso_binary(struct sd_dso *d)
{
	if (d->kernel)
		return NULL;
	ensure_loaded(d);
	return d->binpath;
}

int sd_dso_kernel_range(struct sd_dso *d, uint64_t *start, uint64_t *end)
{
	if (!d->kernel)
		return -EINVAL;
	ensure_loaded(d);
	if (!d->tab)
		return -ENOENT;
	return sd_symtab_range(d->tab, start, end);
}

static const char *module_dso_name(struct sd_symbolizer *s,
				   const struct sd_symtab *t, uint16_t mod)
{
	if (mod >= s->nmodule_names) {
		size_t n = (size_t)mod + 1;
		char **v = realloc(s->module_names, n * sizeof *v);
		if (!v)
			return NULL;
		memset(v + s->nmodule_names, 0,
		       (n - s->nmodule_names) * sizeof *v);
		s->module_names = v;
		s->nmodule_names = n;
	}
	if (!s->module_names[mod])
		s->module_names[mod] = sd_asprintf("[%s]", sd_symtab_module(t, mod));
	return s->module_names[mod];
}

const struct sd_symbol *sd_dso_lookup(struct sd_dso *d, uint64_t addr,
				      const char **dso_name_out)
{
	const struct sd_symbol *sym;
	const char *dname = d->path;

	ensure_loaded(d);
	sym = d->tab ? sd_symtab_lookup(d->tab, addr) : NULL;
	if (sym && sym->module) {
		const char *m = module_dso_name(d->s, d->tab, sym->module);
		if (m)
			dname = m;
	}
	if (dso_name_out)
		*dso_name_out = dname;
	return sym;
}
