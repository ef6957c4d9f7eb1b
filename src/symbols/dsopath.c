/* SPDX-License-Identifier: MIT */
/*
 * Finding the file that holds a user DSO's symbols.
 *
 * Candidates, in order (each refused unless its build-id equals the
 * recorded one, when there is a recorded one):
 *
 *   first, with a perf archive (ARCHIVE: its files as a build-id cache),
 *   the recorded build-id's ARCHIVE/.build-id/xx/REST/elf and .../debug
 *   (.../vdso for the vdso), then
 *   with --symfs ROOT (only ever under ROOT, never the host's own files):
 *     ROOT/PATH
 *     ROOT/usr/lib/debug/.build-id/xx/REST.debug
 *     ROOT/usr/lib/debug/DIR/LINK, ROOT/DIR/.debug/LINK, ROOT/DIR/LINK
 *       (LINK: the .gnu_debuglink of ROOT/PATH)
 *   without:
 *     CACHE/.build-id/xx/REST/elf, CACHE/.build-id/xx/REST/debug
 *     /usr/lib/debug/.build-id/xx/REST.debug
 *     /usr/lib/debug/DIR/LINK, DIR/.debug/LINK, DIR/LINK
 *     PATH
 *
 * As perf's dso__load(): the first candidate with a .symtab gives the
 * symbols, the first with a .dynsym is the "runtime" image (its .plt and
 * program headers); a file with only .dynsym serves for both.
 *
 * Names that are not files: anything not starting with '/' ("[stack]",
 * "[heap]", ...), "//anon", "/dev/...", "/anon_hugepage", "/SYSV...",
 * "/memfd:...", and perf's JIT maps "/tmp/perf-PID.map" (never read: on
 * this host that file belongs to some other process).  "[vdso]" comes
 * from the build-id cache only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/elf_internal.h"
#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"

#define MAX_CANDS 16

struct search {
	struct sd_dso *d;
	char *cand[MAX_CANDS];
	size_t n;
	struct sd_elf *syms, *runtime;
	char *syms_path, *runtime_path;
	char *mismatch; /* the first refused candidate, for the message */
	struct sd_build_id mismatch_id;
	/* the file at the recorded path, opened once for its build-id or
	 * debuglink and again as a candidate: kept open in between (a
	 * mapping, its pages and libelf's parse not made twice) */
	struct sd_elf *bin;
	char *bin_path;
};

/* path opened (a reference to se->bin if it is that file's), or NULL;
 * keep: the file is the recorded path's, kept as se->bin. */
static struct sd_elf *open_elf(struct search *se, const char *path, bool keep)
{
	struct sd_elf *e;

	if (se->bin && !strcmp(path, se->bin_path))
		return sd_elf_ref(se->bin);
	if (!sd_is_regular_file(path) || sd_elf_open(path, &e) < 0)
		return NULL;
	if (keep && !se->bin && (se->bin_path = strdup(path)) != NULL)
		se->bin = sd_elf_ref(e);
	return e;
}

static void add(struct search *se, char *path)
{
	if (!path)
		return;
	for (size_t i = 0; i < se->n; i++) {
		if (!strcmp(se->cand[i], path)) {
			free(path);
			return;
		}
	}
	if (se->n < MAX_CANDS)
		se->cand[se->n++] = path;
	else
		free(path);
}

static bool not_a_file(const char *p)
{
	static const char *const prefixes[] = {
		"//anon", "/dev/", "/anon_hugepage", "/SYSV", "/memfd:",
		"/tmp/perf-",
	};

	if (p[0] != '/')
		return true;
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strncmp(p, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static bool is_vdso(const char *p)
{
	return !strcmp(p, "[vdso]") || !strcmp(p, "[vdso32]") ||
	       !strcmp(p, "[vdsox32]");
}

/* Adds the .gnu_debuglink targets of the ELF at bin (PATH as recorded). */
static void add_debuglink(struct search *se, const char *root, const char *bin,
			  const char *path)
{
	struct sd_elf *e = open_elf(se, bin, true);
	const char *link;
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 0;
	const char *r = root ? root : "";

	if (!e)
		return;
	link = sd_elf_debuglink(e);
	if (link) {
		add(se, sd_asprintf("%s/usr/lib/debug%.*s/%s", r, dirlen, path,
				    link));
		add(se, sd_asprintf("%s%.*s/.debug/%s", r, dirlen, path, link));
		add(se, sd_asprintf("%s%.*s/%s", r, dirlen, path, link));
	}
	sd_elf_close(e);
}

/*
 * No recorded build-id: perf's dso__load() reads it from the file at the
 * recorded path (under symfs) to find debug files by build-id.  It only
 * names candidates then; nothing is checked against it.
 */
static struct sd_build_id file_build_id(struct search *se, const char *bin)
{
	struct sd_build_id id = {0};
	struct sd_elf *e;

	if (bin && (e = open_elf(se, bin, true)) != NULL) {
		if (sd_elf_get_build_id(e, &id) < 0)
			id.size = 0;
		sd_elf_close(e);
	}
	return id;
}

static void build_candidates(struct search *se)
{
	struct sd_dso *d = se->d;
	struct sd_symbolizer *s = d->s;
	char hex[2 * SD_BUILD_ID_MAX + 1];
	const char *p = d->path;
	struct sd_build_id id = d->id;

	if (!is_vdso(p) && !not_a_file(p) && !id.size) {
		char *bin = s->symfs ? sd_asprintf("%s%s", s->symfs, p) : NULL;
		id = file_build_id(se, s->symfs ? bin : p);
		free(bin);
	}
	sd_build_id_hex(&id, hex);
	/* a perf archive holds files by the recorded build-id only */
	if (d->id.size && s->archive_dir && (is_vdso(p) || !not_a_file(p))) {
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/elf", s->archive_dir,
				    hex, hex + 2));
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/debug", s->archive_dir,
				    hex, hex + 2));
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/vdso", s->archive_dir,
				    hex, hex + 2));
	}
	if (is_vdso(p)) {
		if (!d->id.size || !s->buildid_dir)
			return;
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/elf", s->buildid_dir,
				    hex, hex + 2));
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/vdso", s->buildid_dir,
				    hex, hex + 2));
		add(se, sd_asprintf("%s/%s/%s/vdso", s->buildid_dir, p, hex));
		return;
	}
	if (not_a_file(p))
		return;
	if (s->symfs) {
		char *bin = sd_asprintf("%s%s", s->symfs, p);
		if (!bin)
			return;
		add(se, strdup(bin));
		if (id.size)
			add(se, sd_asprintf("%s/usr/lib/debug/.build-id/%.2s/%s.debug",
					    s->symfs, hex, hex + 2));
		add_debuglink(se, s->symfs, bin, p);
		free(bin);
		return;
	}
	if (id.size && s->buildid_dir) {
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/elf", s->buildid_dir,
				    hex, hex + 2));
		add(se, sd_asprintf("%s/.build-id/%.2s/%s/debug", s->buildid_dir,
				    hex, hex + 2));
	}
	if (id.size)
		add(se, sd_asprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", hex,
				    hex + 2));
	add_debuglink(se, NULL, p, p);
	add(se, strdup(p));
}

/* Opens one candidate; keeps it as symbol and/or runtime source. */
static void consider(struct search *se, const char *path)
{
	struct sd_dso *d = se->d;
	struct sd_elf *e = open_elf(se, path, false);
	bool keep = false;

	if (!e)
		return;
	if (d->id.size) {
		struct sd_build_id have = {0};
		if (sd_elf_get_build_id(e, &have) < 0 ||
		    !sd_build_id_equal(&have, &d->id)) {
			if (!se->mismatch) {
				se->mismatch = strdup(path);
				se->mismatch_id = have;
			}
			sd_elf_close(e);
			return;
		}
	}
	if (!se->syms && sd_elf_has_symtab(e)) {
		se->syms = e;
		se->syms_path = strdup(path);
		keep = true;
	}
	if (!se->runtime && sd_elf_is_runtime(e)) {
		se->runtime = e;
		se->runtime_path = strdup(path);
		keep = true;
	}
	if (!keep)
		sd_elf_close(e);
}

static void report_missing(struct search *se, struct sd_diags *diags)
{
	struct sd_dso *d = se->d;
	struct sd_symbolizer *s = d->s;
	char want[2 * SD_BUILD_ID_MAX + 1], have[2 * SD_BUILD_ID_MAX + 1];

	if (se->mismatch) {
		sd_build_id_hex(&d->id, want);
		sd_build_id_hex(&se->mismatch_id, have);
		sd_diags_add(diags, SD_WARNING, SD_E_BUILD_ID_MISMATCH,
			     UINT64_MAX,
			     "no symbols for %s: %s has build-id %s, the "
			     "recording wants %s (a different build); copy the "
			     "recorded host's file under --symfs, or run 'perf "
			     "archive' there",
			     d->path, se->mismatch, have[0] ? have : "(none)",
			     want);
		return;
	}
	sd_diags_add(diags, SD_NOTE, SD_E_NO_SYMBOLS, UINT64_MAX,
		     "no symbols for %s: %s; its frames will show as [%s]",
		     d->path,
		     s->symfs ? "not found under --symfs"
			      : "no readable ELF file with a symbol table",
		     strrchr(d->path, '/') ? strrchr(d->path, '/') + 1
					   : d->path);
}

void sd_dso_load_user(struct sd_dso *d, struct sd_diags *diags)
{
	struct search se = {.d = d};
	struct sd_elf *syms, *runtime;
	struct sd_symtab *t = NULL;

	build_candidates(&se);
	for (size_t i = 0; i < se.n && !(se.syms && se.runtime); i++)
		consider(&se, se.cand[i]);
	syms = se.syms ? se.syms : se.runtime;
	runtime = se.runtime ? se.runtime : se.syms;
	if (syms && sd_elf_load_symtab(syms, runtime, false, diags,
				       &t) == 0) {
		d->tab = t;
		if (se.syms_path) {
			d->symsrc = se.syms_path;
			se.syms_path = NULL;
		} else {
			d->symsrc = se.runtime_path;
			se.runtime_path = NULL;
		}
	} else if (!not_a_file(d->path) || (is_vdso(d->path) && d->id.size)) {
		report_missing(&se, diags);
	}
	/* the unwinder wants the loaded image (program headers, .eh_frame):
	 * the runtime file, else whatever has the symbols */
	if (se.runtime_path || se.syms_path || d->symsrc)
		d->binpath = strdup(se.runtime_path ? se.runtime_path
				    : se.syms_path  ? se.syms_path
						    : d->symsrc);
	if (se.runtime != se.syms)
		sd_elf_close(se.runtime);
	sd_elf_close(se.syms);
	sd_elf_close(se.bin);
	free(se.bin_path);
	for (size_t i = 0; i < se.n; i++)
		free(se.cand[i]);
	free(se.syms_path);
	free(se.runtime_path);
	free(se.mismatch);
}
