/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer (src/symbols/symbolizer.c, dsopath.c): where kernel and
 * user symbols may come from, build-id checks, relocation, special names.
 * Everything lives in a temporary directory; the host's own kernel is
 * replaced by files given through the opts' host_* fields.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/symbols.h>

#include "symbols/symbolizer_internal.h"
#include "test.h"
#include "tfiles.h"
#include "ksymfix.h"

static const char kallsyms_a[] = "ffffffff81000000 T _text\n"
				 "ffffffff81000100 T kfunc_a\n"
				 "ffffffff81000200 T kfunc_b\n"
				 "ffffffffc0001000 t modfunc\t[ext4]\n";
static const char kallsyms_host[] = "ffffffff81000000 T _text\n"
				    "ffffffff81000100 T host_func\n";

static const char *kname(struct sd_symbolizer *s, uint64_t addr,
			 const char **dso)
{
	const struct sd_symbol *sym =
		sd_dso_lookup(sd_symbolizer_kernel(s), addr, dso);

	return sym ? sym->name : "(none)";
}

TEST(kallsyms_option_and_reloc)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info fi = info_with(NULL, "other");
	struct sd_symbolizer *s = NULL;
	const char *dso = NULL;

	tf_write_file(tf_path("copy/kallsyms"), kallsyms_a, strlen(kallsyms_a));
	o.kallsyms = tf_path("copy/kallsyms");
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	if (!s)
		return;
	CHECK(sd_dso_is_kernel(sd_symbolizer_kernel(s)));
	CHECK_STR(sd_dso_name(sd_symbolizer_kernel(s)), "[kernel.kallsyms]");
	CHECK(sd_symbolizer_dso(s, "[kernel.kallsyms]_text", NULL) ==
	      sd_symbolizer_kernel(s));
	/* Recorded with KASLR: _text was at ffffffff9a000000. */
	sd_symbolizer_set_kernel_reloc(s, "_text", 0xffffffff9a000000);
	CHECK_STR(kname(s, 0xffffffff9a000104, &dso), "kfunc_a");
	CHECK_STR(dso, "[kernel.kallsyms]");
	CHECK_STR(kname(s, 0xffffffffc0001010, &dso), "modfunc");
	CHECK_STR(dso, "[ext4]");
	/* A later MMAP moving it again is applied to the loaded table. */
	sd_symbolizer_set_kernel_reloc(s, "_text", 0xffffffff81000000);
	CHECK_STR(kname(s, 0xffffffff81000204, NULL), "kfunc_b");
	CHECK_STR(sd_dso_symsrc(sd_symbolizer_kernel(s)), o.kallsyms);
	uint64_t lo, hi;
	CHECK(sd_dso_kernel_range(sd_symbolizer_kernel(s), &lo, &hi) == 0);
	CHECK_U64(lo, 0xffffffff81000000);
	CHECK_U64(hi, 0xffffffff81002000);
	CHECK_U64(sd_symbolizer_diags(s)->n, 0);
	sd_symbolizer_free(s);
}

TEST(foreign_recording_never_uses_host)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(1), host = kid(2);
	struct sd_file_info fi = info_with(&rec, "6.1.0-host");
	struct sd_symbolizer *s = NULL;

	tf_write_file(tf_path("host/kallsyms"), kallsyms_host, strlen(kallsyms_host));
	write_notes(tf_path("host/notes"), &host);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	if (!s)
		return;
	/* Same release, other build-id: a different kernel. */
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	CHECK_STR(kname(s, 0xffffffff81000108, NULL), "(none)");
	struct sd_diags *d = sd_symbolizer_diags(s);
	CHECK_U64(d->n, 1);
	CHECK(d->n && strstr(d->v[0].text, "--kallsyms") &&
	      strstr(d->v[0].text, "[kernel.kallsyms]"));
	CHECK(sd_dso_symsrc(sd_symbolizer_kernel(s)) == NULL);
	sd_symbolizer_free(s);
}

TEST(running_kernel_by_build_id)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(3);
	struct sd_file_info fi = info_with(&rec, "something-else");
	struct sd_symbolizer *s = NULL;

	tf_write_file(tf_path("host/kallsyms"), kallsyms_host, strlen(kallsyms_host));
	write_notes(tf_path("host/notes"), &rec);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "host_func");
	sd_symbolizer_free(s);

	o.no_host_kernel = true;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	sd_symbolizer_free(s);
}

TEST(running_kernel_by_release)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info same = info_with(NULL, "6.1.0-host");
	struct sd_file_info other = info_with(NULL, "5.4.0-old");
	struct sd_file_info unknown = info_with(NULL, NULL);
	struct sd_symbolizer *s = NULL;

	tf_write_file(tf_path("host/kallsyms"), kallsyms_host, strlen(kallsyms_host));
	CHECK(sd_symbolizer_new(&o, &same, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "host_func");
	sd_symbolizer_free(s);
	CHECK(sd_symbolizer_new(&o, &other, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	sd_symbolizer_free(s);
	CHECK(sd_symbolizer_new(&o, &unknown, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	sd_symbolizer_free(s);
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	sd_symbolizer_free(s);
}

TEST(kernel_from_buildid_cache)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(4);
	struct sd_file_info fi = info_with(&rec, "6.1.0-host");
	struct sd_symbolizer *s = NULL;
	char hex[41], rel[256];

	sd_build_id_hex(&rec, hex);
	o.buildid_dir = tf_path("cache1");
	snprintf(rel, sizeof rel, "cache1/[kernel.kallsyms]/%s/kallsyms", hex);
	tf_write_file(tf_path(rel), kallsyms_a, strlen(kallsyms_a));
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "kfunc_a");
	CHECK_STR(sd_dso_symsrc(sd_symbolizer_kernel(s)), tf_path(rel));
	sd_symbolizer_free(s);
}

TEST(unusable_kallsyms_option)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info fi = info_with(NULL, "6.1.0-host");
	struct sd_symbolizer *s = NULL;
	const char zero[] = "0000000000000000 T _text\n0000000000000000 T f\n";

	tf_write_file(tf_path("host/kallsyms"), kallsyms_host, strlen(kallsyms_host));
	tf_write_file(tf_path("zero/kallsyms"), zero, strlen(zero));
	o.kallsyms = tf_path("zero/kallsyms");
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	/* Given explicitly: it and only it, even though the host matches. */
	CHECK_STR(kname(s, 0xffffffff81000104, NULL), "(none)");
	struct sd_diags *d = sd_symbolizer_diags(s);
	bool said_root = false;
	for (size_t i = 0; i < d->n; i++)
		said_root |= d->v[i].text && strstr(d->v[i].text, "as root");
	CHECK(said_root);
	sd_symbolizer_free(s);
}

TEST(user_dso_search)
{
	const char *so = getenv("SD_SYMFIX_SO");
	struct sd_symbol_opts o = host_opts();
	struct sd_symbolizer *s = NULL;
	struct sd_build_id id, bad;
	struct sd_dso *d;
	char hex[41], rel[256];

	if (!so || !*so)
		SKIP("SD_SYMFIX_SO not set");
	if (!fixture_build_id(so, &id))
		SKIP("fixture without build-id");
	bad = id;
	bad.data[0] ^= 0xff;

	/* --symfs: only under it. */
	tf_copy_file(so, tf_path("symfs/usr/lib/libsdfix.so"));
	o.symfs = tf_path("symfs");
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	d = sd_symbolizer_dso(s, "/usr/lib/libsdfix.so", &id);
	CHECK(d && sd_symbolizer_dso(s, "/usr/lib/libsdfix.so", &id) == d);
	CHECK_STR(sd_dso_symsrc(d), tf_path("symfs/usr/lib/libsdfix.so"));
	CHECK_STR(sd_dso_name(d), "/usr/lib/libsdfix.so");
	CHECK(!sd_dso_is_kernel(d));
	const char *dn = NULL;
	const struct sd_symbol *sym = NULL;
	for (uint64_t a = 0; a < 0x10000 && !sym; a += 4) {
		sym = sd_dso_lookup(d, a, &dn);
		if (sym && strcmp(sym->name, "sd_fix_weak"))
			sym = NULL;
	}
	CHECK(sym != NULL);
	CHECK_STR(dn, "/usr/lib/libsdfix.so");
	/* The wrong build: refused with one message. */
	struct sd_dso *d2 = sd_symbolizer_dso(s, "/usr/lib/libsdfix.so", &bad);
	CHECK(d2 != d);
	CHECK(sd_dso_symsrc(d2) == NULL);
	CHECK(sd_dso_lookup(d2, 0x1000, NULL) == NULL);
	struct sd_diags *dg = sd_symbolizer_diags(s);
	CHECK(dg->n == 1 && dg->v[0].code == SD_E_BUILD_ID_MISMATCH);
	/* The fixture exists on this host, but not under symfs. */
	struct sd_dso *d3 = sd_symbolizer_dso(s, so, &id);
	CHECK(sd_dso_symsrc(d3) == NULL);
	sd_symbolizer_free(s);

	/* perf's build-id cache, then the recorded path itself. */
	o.symfs = NULL;
	o.buildid_dir = tf_path("cache2");
	sd_build_id_hex(&id, hex);
	snprintf(rel, sizeof rel, "cache2/.build-id/%.2s/%s/elf", hex, hex + 2);
	tf_copy_file(so, tf_path(rel));
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	d = sd_symbolizer_dso(s, "/gone/libsdfix.so", &id);
	CHECK_STR(sd_dso_symsrc(d), tf_path(rel));
	/* No recorded build-id: the file's own names the cache entry first
	 * (perf's dso__load() reads it the same way). */
	d = sd_symbolizer_dso(s, so, NULL);
	CHECK_STR(sd_dso_symsrc(d), tf_path(rel));
	o.buildid_dir = tf_path("nocache");
	sd_symbolizer_free(s);
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	d = sd_symbolizer_dso(s, so, NULL);
	CHECK_STR(sd_dso_symsrc(d), so);
	d = sd_symbolizer_dso(s, "/gone/too.so", NULL);
	CHECK(sd_dso_symsrc(d) == NULL);
	sd_symbolizer_free(s);

	/* A build-id from the file's BUILD_ID feature applies too. */
	struct sd_build_id_entry e = {
		.pid = -1, .cpumode = SD_MISC_USER, .id = bad,
		.filename = (char *)so,
	};
	struct sd_file_info fi = {0};
	fi.build_ids = &e;
	fi.nr_build_ids = 1;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	d = sd_symbolizer_dso(s, so, NULL);
	CHECK(sd_dso_symsrc(d) == NULL);
	CHECK(sd_symbolizer_diags(s)->n == 1);
	sd_symbolizer_free(s);
}

/* A stripped DSO whose .gnu_debuglink names DIR/.debug/FILE. */
TEST(debuglink)
{
	const char *so = getenv("SD_SYMFIX_SO");
	struct sd_symbol_opts o = host_opts();
	struct sd_symbolizer *s = NULL;
	char cmd[4096];

	if (!so || !*so)
		SKIP("SD_SYMFIX_SO not set");
	tf_mkdirs(tf_path("dl/.debug"));
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && objcopy --only-keep-debug '%s' .debug/libsdfix.debug "
		 "&& objcopy --strip-all --add-gnu-debuglink=.debug/libsdfix.debug "
		 "'%s' libsdfix.so 2>/dev/null",
		 tf_path("dl"), so, so);
	if (system(cmd) != 0)
		SKIP("objcopy failed or missing");
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	struct sd_dso *d = sd_symbolizer_dso(s, tf_path("dl/libsdfix.so"), NULL);
	CHECK_STR(sd_dso_symsrc(d), tf_path("dl/.debug/libsdfix.debug"));
	/* The local function is only in the debug file's .symtab; the PLT
	 * comes from the stripped runtime file. */
	bool local = false, plt = false;
	for (uint64_t a = 0; a < 0x4000; a += 2) {
		const struct sd_symbol *sym = sd_dso_lookup(d, a, NULL);
		local |= sym && !strcmp(sym->name, "sd_fix_local");
		plt |= sym && !strcmp(sym->name, "puts@plt");
	}
	CHECK(local);
	CHECK(plt);
	CHECK_U64(sd_symbolizer_diags(s)->n, 0);
	sd_symbolizer_free(s);
}

/* The opens an inotify watch (fd non-blocking) saw since the last call;
 * it watches closes too, as inotify merges an event with the one before
 * it if they are alike and unread. */
static int opens_seen(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	int n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < r;) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(void *)(buf + i);
			n += (ev->mask & IN_OPEN) != 0;
			i += (ssize_t)(sizeof *ev + ev->len);
		}
	return n;
}

/*
 * The file at the recorded path is read for its build-id (none recorded)
 * and its debuglink, then is a candidate itself: opened once for all
 * three, not once each.
 */
TEST(recorded_path_opened_once)
{
	const char *so = getenv("SD_SYMFIX_SO");
	struct sd_symbol_opts o = host_opts();
	struct sd_symbolizer *s = NULL;
	struct sd_build_id id;
	char *path;

	if (!so || !*so)
		SKIP("SD_SYMFIX_SO not set");
	if (!fixture_build_id(so, &id))
		SKIP("fixture without build-id");
	path = strdup(tf_path("once/libsdfix.so"));
	tf_copy_file(so, path);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 ||
	    inotify_add_watch(fd, path, IN_OPEN | IN_CLOSE_NOWRITE) < 0) {
		if (fd >= 0)
			close(fd);
		free(path);
		SKIP("no inotify");
	}
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	/* no build-id recorded: the file's own, its debuglink, the file */
	struct sd_dso *d = sd_symbolizer_dso(s, path, NULL);
	CHECK(d && sd_dso_symsrc(d) && !strcmp(sd_dso_symsrc(d), path));
	CHECK_U64(opens_seen(fd), 1);
	sd_symbolizer_free(s);
	/* a build-id recorded: its debuglink, then the file */
	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	d = sd_symbolizer_dso(s, path, &id);
	CHECK(d && sd_dso_symsrc(d) && !strcmp(sd_dso_symsrc(d), path));
	CHECK_U64(opens_seen(fd), 1);
	sd_symbolizer_free(s);
	close(fd);
	free(path);
}

TEST(names_that_are_not_files)
{
	static const char *const names[] = {
		"[stack]", "[heap]", "[vdso]", "[vsyscall]", "//anon",
		"/dev/zero", "/anon_hugepage", "/SYSV00000000 (deleted)",
		"/memfd:x (deleted)", "/tmp/perf-1234.map", "relative/lib.so",
		"", "[", "/", "//", "[anon:x]",
	};
	struct sd_symbol_opts o = host_opts();
	struct sd_symbolizer *s = NULL;

	CHECK(sd_symbolizer_new(&o, NULL, &s) == 0);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *dn = NULL;
		struct sd_dso *d = sd_symbolizer_dso(s, names[i], NULL);
		CHECK(d != NULL);
		if (!d)
			continue;
		CHECK(sd_dso_lookup(d, 0x1234, &dn) == NULL);
		CHECK_STR(dn, names[i]);
		CHECK_STR(sd_dso_name(d), names[i]);
	}
	CHECK(sd_symbolizer_dso(s, NULL, NULL) == NULL);
	/* Only "/" and "//" (directories) may rate a note. */
	struct sd_diags *dg = sd_symbolizer_diags(s);
	CHECK(dg->n <= 2);
	for (size_t i = 0; i < dg->n; i++)
		fprintf(stderr, "note: %s\n", dg->v[i].text);
	sd_symbolizer_free(s);
}

/*
 * sd_symbolizer_dso() remembers the dso of a path without a build-id
 * (symbolizer.c's memo): asked again, in any order, among more paths than
 * the memo has slots, a path gives the same handle, named by that path;
 * the recording's BUILD_ID entry for a path still decides its build-id,
 * and a build-id given with the path is another dso.
 */
TEST(dso_by_path_memo)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id_entry e = {.cpumode = SD_MISC_USER,
				      .id = {.size = 20, .data = {7, 7, 7}},
				      .filename = "/usr/lib/p17.so"};
	struct sd_file_info fi = {.build_ids = &e, .nr_build_ids = 1};
	struct sd_symbolizer *s = NULL;
	struct sd_dso *first[300];
	char path[64];

	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	if (!s)
		return;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 300; i++) {
			/* forwards, backwards, then every 7th */
			int k = round == 1 ? 299 - i : round == 2 ? i * 7 % 300
								  : i;
			snprintf(path, sizeof path, "/usr/lib/p%d.so", k);
			struct sd_dso *d = sd_symbolizer_dso(s, path, NULL);
			CHECK(d != NULL);
			if (!d)
				continue;
			CHECK_STR(sd_dso_name(d), path);
			if (round == 0)
				first[k] = d;
			else
				CHECK(d == first[k]);
		}
	/* p17 has the recorded build-id: the same dso as with it given ... */
	CHECK(sd_symbolizer_dso(s, "/usr/lib/p17.so", &e.id) == first[17]);
	/* ... and another build-id is another dso */
	struct sd_build_id other = {.size = 20, .data = {8}};
	struct sd_dso *d = sd_symbolizer_dso(s, "/usr/lib/p18.so", &other);
	CHECK(d && d != first[18]);
	CHECK(sd_symbolizer_dso(s, "/usr/lib/p18.so", NULL) == first[18]);
	/* pipe mode: a build-id for p18 arrives after its first MMAP; the
	 * next MMAP of it names the dso with that build-id */
	struct sd_build_id_entry two[2] = {
		e, {.cpumode = SD_MISC_USER, .id = other,
		    .filename = "/usr/lib/p18.so"}};
	fi.build_ids = two;
	fi.nr_build_ids = 2;
	CHECK(sd_symbolizer_dso(s, "/usr/lib/p18.so", NULL) == d);
	CHECK(sd_symbolizer_dso(s, "/usr/lib/p17.so", NULL) == first[17]);
	/* names of one length that differ only between their first and
	 * last eight bytes (the memo's key; past sixteen bytes the memo
	 * compares that middle word by word, the last word overlapping the
	 * tail): each its own dso, in turns; names of up to sixteen bytes
	 * (the key is all of them); and names shorter than eight bytes (of
	 * four to seven: the key's first and last four) */
	static const char *const alike[] = {
		"/usr/lib/AAAA/x.so", "/usr/lib/BBBB/x.so",
		"/usr/lib/AABA/x.so", "/a", "/b", "/a/b", "[vdso]", "[vdsx]",
		"[vxso]", "/abcdef", "/abxdef",
		/* 17 bytes: one middle byte */
		"/usr/lib/A/x.so.1", "/usr/lib/B/x.so.1",
		/* 24: a middle word at 8, differing in its first or last byte */
		"/usr/lib/AxxxxxxA/x.so.1", "/usr/lib/BxxxxxxA/x.so.1",
		"/usr/lib/AxxxxxxB/x.so.1",
		/* 35: words at 8, 16 and (overlapping) 19 */
		"/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libm.so.6",
		"/usr/lib/x86_64-linux-gnu.libc.so.6",
		"/usr/lib/x86_64-linux-gnx/libc.so.6",
		"/usr/lib/x86-64-linux-gnu/libc.so.6",
		"/usr/lib/x86_64-lInux-gnu/libc.so.6",
		"/usr/lib/x86_64-linux-gnu/libc.sx.6",
		/* 16: first and last eight only */
		"/usr/bin/catdogs", "/usr/bin/catdogz", "/usr/bim/catdogs"};
#define NALIKE (sizeof alike / sizeof *alike)
	struct sd_dso *seen[NALIKE] = {0};
	for (int round = 0; round < 4; round++)
		for (size_t i = 0; i < NALIKE; i++) {
			struct sd_dso *x = sd_symbolizer_dso(s, alike[i], NULL);
			CHECK(x && !strcmp(sd_dso_name(x), alike[i]));
			if (!round)
				seen[i] = x;
			CHECK(x == seen[i]);
		}
	for (size_t i = 0; i < NALIKE; i++)
		for (size_t j = i + 1; j < NALIKE; j++)
			CHECK(seen[i] != seen[j]);
#undef NALIKE
	sd_symbolizer_free(s);
}

/*
 * The prefetch thread only with two CPUs or more to run on: on one it
 * would take its time from the main thread.  The same table either way.
 */
TEST(prefetch_only_with_cpus_to_spare)
{
	const char *so = getenv("SD_SYMFIX_SO");
	struct sd_symbol_opts o = host_opts();
	struct sd_symbolizer *s = NULL;
	cpu_set_t all, one;

	if (!so || !*so)
		SKIP("SD_SYMFIX_SO not set");
	if (sched_getaffinity(0, sizeof all, &all))
		SKIP("sched_getaffinity failed");
	struct sd_build_id_entry e = {
		.pid = -1, .cpumode = SD_MISC_USER, .filename = (char *)so,
	};
	struct sd_file_info fi = {0};
	fi.build_ids = &e;
	fi.nr_build_ids = 1;
	o.prefetch = true;

	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	CHECK(s && s->pf == NULL);
	struct sd_dso *d = s ? sd_symbolizer_dso(s, so, NULL) : NULL;
	CHECK(d && sd_dso_symsrc(d) && !strcmp(sd_dso_symsrc(d), so));
	sd_symbolizer_free(s);
	CHECK(sched_setaffinity(0, sizeof all, &all) == 0);

	if (CPU_COUNT(&all) > 1) {
		CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
		CHECK(s && s->pf != NULL);
		d = s ? sd_symbolizer_dso(s, so, NULL) : NULL;
		CHECK(d && sd_dso_symsrc(d) && !strcmp(sd_dso_symsrc(d), so));
		sd_symbolizer_free(s);
	}
}

int main(void)
{
	if (!tf_make("/tmp/sd-symtest-"))
		return 1;
	RUN(kallsyms_option_and_reloc);
	RUN(foreign_recording_never_uses_host);
	RUN(running_kernel_by_build_id);
	RUN(running_kernel_by_release);
	RUN(kernel_from_buildid_cache);
	RUN(unusable_kallsyms_option);
	RUN(user_dso_search);
	RUN(debuglink);
	RUN(recorded_path_opened_once);
	RUN(names_that_are_not_files);
	RUN(dso_by_path_memo);
	RUN(prefetch_only_with_cpus_to_spare);
	tf_remove();
	return test_exit();
}
