/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer: DSOs interned by (path, build-id), their tables loaded on
 * first lookup; the kernel's symbols from the first source allowed and
 * present (ksource.c).  A kernel address is named as perf 6.1 names it by
 * the map it lies in (sd_dso_lookup_map): a module's map by that module's
 * kallsyms symbols only, the kernel's own by the core's, within their
 * range once kallsyms is loaded (checked against perf by
 * tests/machine/check-modules.py).  An MMAP's path without a build-id
 * finds its dso in a small memo first (sd_symbolizer_dso): every exec
 * maps the same few files again; a name's first and last eight bytes and
 * length pick and check an entry, a longer name's middle is compared in
 * words (kstorm's 39 k MMAPs: 4.95 M -> 3.67 M instructions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"
#include "util/file.h"

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

/* A path's memo entry names it by its length and its first and last
 * eight bytes (four of a shorter one: "[vdso]" comes with every exec;
 * all of one under four): these are the whole name up to sixteen bytes,
 * so only a longer one is compared, and then only its middle. */
static inline struct dso_memo memo_name(const char *path, size_t len)
{
	struct dso_memo e = {.len = len};

	if (len >= 8) {
		memcpy(&e.head, path, 8);
		memcpy(&e.tail, path + len - 8, 8);
	} else if (len >= 4) {
		uint32_t x, y;
		memcpy(&x, path, 4);
		memcpy(&y, path + len - 4, 4);
		e.head = x;
		e.tail = y;
	} else {
		for (size_t i = 0; i < len; i++)
			e.head |= (uint64_t)(unsigned char)path[i] << 8 * i;
	}
	return e;
}

/* Whether a name of len bytes, over sixteen, whose first and last eight
 * are those of d's, is d's: its middle compared in words, the last word
 * overlapping the tail (no call: as long as a library's name, this is
 * most of the memo's hits). */
static inline bool same_middle(const struct sd_dso *d, const char *path,
			       size_t len)
{
	size_t last = len - 16;
	uint64_t x, y;

	for (size_t i = 8; i < last; i += 8) {
		memcpy(&x, d->path + i, 8);
		memcpy(&y, path + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, d->path + last, 8);
	memcpy(&y, path + last, 8);
	return x == y;
}

/* The dso of a path the memo does not have, put first in its set, the
 * others moved down, the last dropped (out of line: the memo's hits are
 * the common case). */
static __attribute__((noinline)) struct sd_dso *
memo_miss(struct sd_symbolizer *s, const char *path, size_t len,
	  struct dso_memo *set)
{
	struct sd_dso *d = intern(s, path, recorded_id(s, path, false), false);

	if (d) {
		memmove(set + 1, set, (MEMO_WAYS - 1) * sizeof *set);
		set[0] = memo_name(path, len);
		set[0].dso = d;
	}
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
	struct dso_memo e = memo_name(path, len);
	uint64_t k = (e.head ^ e.tail ^ len) * 0x9e3779b97f4a7c15ull;
	_Static_assert(MEMO_SETS == 64, "a set from the key's top 6 bits");
	struct dso_memo *set = &s->memo[(k >> 58) * MEMO_WAYS];
	for (int w = 0; w < MEMO_WAYS; w++)
		/* an empty entry's dso is NULL, its len 0: never a name's */
		if (set[w].head == e.head && set[w].tail == e.tail &&
		    set[w].len == len && set[w].dso &&
		    (len <= 16 || same_middle(set[w].dso, path, len)))
			return set[w].dso;
	return memo_miss(s, path, len, set);
}

const char *sd_dso_name(const struct sd_dso *d)
{
	return d->path;
}

bool sd_dso_is_kernel(const struct sd_dso *d)
{
	return d->kernel;
}

/* ---- lookups -------------------------------------------------------- */

static void ensure_loaded(struct sd_dso *d)
{
	if (d->tried)
		return;
	d->tried = true;
	if (d->kernel)
		sd_symbolizer_load_kernel(d);
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

/*
 * The kernel map's range once perf has loaded kallsyms: the first core
 * symbol's start and the last one's end, in address order (the kernel
 * DSO keeps only the core symbols after maps__split_kallsyms();
 * map__fixup_start() and map__fixup_end() take its first and last).  On
 * x86-64 the modules' symbols come after the core's: a short walk back.
 */
static bool core_range(const struct sd_symtab *t, uint64_t *lo, uint64_t *hi)
{
	size_t i = 0, j = t->n;

	while (i < j && t->syms[i].module)
		i++;
	while (j > i && t->syms[j - 1].module)
		j--;
	if (i == j)
		return false;
	*lo = t->syms[i].start;
	*hi = t->syms[j - 1].end;
	return true;
}

/*
 * Whether perf 6.1 finds the kernel's own map at addr (d: the kernel).
 * Once kallsyms is loaded the map is the core symbols' range
 * (dso__load_kernel_sym(): map__fixup_start(), map__fixup_end()); with no
 * kallsyms it stays the recorded one ([start, start + len); a zero one is
 * everything, machine__set_kernel_mmap()).  A vmlinux's map is left as
 * it was (its own rules are not checked here): the whole address space.
 */
static bool kernel_map_has(struct sd_dso *d, uint64_t addr)
{
	struct sd_symbolizer *s = d->s;

	if (!s->kmap_state)
		s->kmap_state = d->tab && d->tab->kind == SD_SYMTAB_KALLSYMS &&
					core_range(d->tab, &s->kmap_lo,
						   &s->kmap_hi)
				? 1
				: 2;
	if (s->kmap_state == 1)
		return addr >= s->kmap_lo && addr < s->kmap_hi;
	if (d->tab || !s->have_kmap || (!s->kmap_start && !s->kmap_len))
		return true;
	return addr >= s->kmap_start && addr - s->kmap_start < s->kmap_len;
}

/*
 * perf splits kallsyms by module (maps__split_kallsyms()): each module's
 * symbols go to the map of that name, the core kernel's stay in the
 * kernel map, and a lookup searches its map's symbols only.  A module
 * frame without a symbol of its own is "[unknown] ([ath9k])", which
 * stackcollapse-perf.pl folds as "[[ath9k]]".  (perf also drops a
 * module's kallsyms symbols when an address of that module was looked up
 * before any of the kernel's, or when its map came after that: not
 * followed, see swapdiag(1), FOLDED OUTPUT.)  sd_dso_lookup() again, not
 * called: this is once per frame location.
 */
const struct sd_symbol *sd_dso_lookup_map(struct sd_dso *d, uint64_t addr,
					  const char *map_name,
					  const char **dso_name_out)
{
	const struct sd_symbol *sym;
	const char *dname = d->path;

	ensure_loaded(d);
	sym = d->tab ? sd_symtab_lookup(d->tab, addr) : NULL;
	if (d->kernel) {
		/* "[kvm]" has a 'k' too: the test only saves the strcmp */
		bool module = map_name && (map_name[1] != 'k' ||
					   strcmp(map_name, KERNEL_NAME));
		if (module) {
			const char *m = sym && sym->module
						? module_dso_name(d->s, d->tab,
								  sym->module)
						: NULL;
			if (!m || strcmp(m, map_name))
				sym = NULL;
			dname = map_name;
		} else if (sym && sym->module) {
			sym = NULL;
		}
		if (!sym && !module && !kernel_map_has(d, addr))
			dname = "[unknown]";
	}
	if (dso_name_out)
		*dso_name_out = dname;
	return sym;
}
