/* SPDX-License-Identifier: MIT */
/*
 * perf archive tarballs (src/bundle/perfarchive.c) on archives built
 * block by block: the layout perf archive writes (links, directories,
 * probes skipped; kallsyms and ELF files kept by build-id), the old
 * [kernel.kallsyms]/ID file, names that leave the archive or are not
 * build-id cache names, links, caps, cut and damaged archives; and the
 * dsos/ members of a bundle (swapdiag record --with-dsos).  Every case
 * checks that nothing is left in the private temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>
#include <swapdiag/symbols.h>

#include "test.h"
#include "tfiles.h"
#include "tarblock.h"

static const struct sd_bundle_opts opts = {.tmpdir = tf_dir};

#define KID "2c01231b362e579555ce2ffdc8c7e2b7d9d1ece4"
#define UID "867d7c82ba726a46eefa474672605f3b01f92967"

/* A member of type t with data (a file) or a link target. */
static void member(struct arc *a, const char *name, char t, const char *data)
{
	size_t len = t == '0' ? strlen(data) : 0;

	arc_entry(a, name, t, t == '1' || t == '2' ? data : NULL, len, data,
		  len);
}

static const char ksyms[] = "ffffffff81000000 T _text\n"
			    "ffffffff81001000 T copy_page_range\n";
static const char elf[] = "\x7f" "ELF not really, but a file";

/* perf archive's own order: link, directory, its files */
static void perf_layout(struct arc *a)
{
	member(a, ".build-id/2c/01231b362e579555ce2ffdc8c7e2b7d9d1ece4", '2',
	       "../../[kernel.kallsyms]/" KID);
	member(a, "[kernel.kallsyms]/" KID "/", '5', "");
	member(a, "[kernel.kallsyms]/" KID "/kallsyms", '0', ksyms);
	member(a, ".build-id/86/7d7c82ba726a46eefa474672605f3b01f92967", '2',
	       "../../usr/lib/x86_64-linux-gnu/libc.so.6/" UID);
	member(a, "usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/", '5', "");
	member(a, "usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/probes", '0', "");
	member(a, "usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/elf", '0', elf);
}

static bool file_is(const char *path, const char *want)
{
	return tf_file_is(path, want, strlen(want));
}

static int open_buf(struct arc *a, struct sd_perf_archive **out)
{
	struct sd_diags why;
	struct sd_perf_archive *pa = NULL;
	int err;

	sd_diags_init(&why);
	err = sd_perf_archive_open_mem(a->p, a->n, &opts, &why, &pa);
	if (err)
		CHECK(why.n > 0 || err == -ENOMEM);
	if (getenv("TEST_BUNDLE_VERBOSE"))
		for (size_t i = 0; i < why.n; i++)
			fprintf(stderr, "  error %d: %s\n", err, why.v[i].text);
	sd_diags_clear(&why);
	if (out)
		*out = pa;
	else
		sd_perf_archive_free(pa);
	return err;
}

TEST(perf_layout)
{
	struct arc a = {0};
	struct sd_perf_archive *pa = NULL;
	char p[512];

	perf_layout(&a);
	arc_end(&a);
	CHECK(sd_perf_archive_probe_mem(a.p, a.n) == 1);
	CHECK(!open_buf(&a, &pa));
	if (!pa)
		return;
	const char *d = sd_perf_archive_dir(pa);
	CHECK(!strncmp(d, tf_dir, strlen(tf_dir)));
	snprintf(p, sizeof p, "%s/[kernel.kallsyms]/%s/kallsyms", d, KID);
	CHECK(file_is(p, ksyms));
	snprintf(p, sizeof p, "%s/.build-id/86/%s/elf", d, UID + 2);
	CHECK(file_is(p, elf));
	/* probes and links were skipped */
	snprintf(p, sizeof p, "%s/.build-id/86/%s/probes", d, UID + 2);
	CHECK(access(p, F_OK) != 0);
	CHECK_U64(sd_perf_archive_nr_ids(pa), 2);
	bool kernel = false;
	char hex[41];
	const struct sd_build_id *id = sd_perf_archive_id(pa, 0, &kernel);
	CHECK(kernel && id->size == 20);
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", id->data[i]);
	CHECK_STR(hex, KID);
	id = sd_perf_archive_id(pa, 1, &kernel);
	CHECK(!kernel && id->data[0] == 0x86);
	const char *paths[32];
	size_t n = sd_perf_archive_temp_files(pa, paths, 32);
	CHECK_U64(n, 2 + 5 + 1); /* 2 files, 5 directories, the top */
	CHECK(!strcmp(paths[n - 1], d));
	sd_perf_archive_free(pa);
	CHECK(tf_entries() == 0);
	free(a.p);
}

TEST(old_layout_and_dereferenced)
{
	struct arc a = {0};
	struct sd_perf_archive *pa = NULL;
	char p[512];

	/* [kernel.kallsyms]/ID as a file; .build-id/xx/REST/elf made with
	 * tar -h (the links followed) */
	member(&a, "[kernel.kallsyms]/" KID, '0', ksyms);
	member(&a, ".build-id/86/7d7c82ba726a46eefa474672605f3b01f92967/elf",
	       '0', elf);
	arc_end(&a);
	CHECK(!open_buf(&a, &pa));
	if (pa) {
		snprintf(p, sizeof p, "%s/[kernel.kallsyms]/%s/kallsyms",
			 sd_perf_archive_dir(pa), KID);
		CHECK(file_is(p, ksyms));
		snprintf(p, sizeof p, "%s/.build-id/86/%s/elf",
			 sd_perf_archive_dir(pa), UID + 2);
		CHECK(file_is(p, elf));
	}
	sd_perf_archive_free(pa);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(names_refused_or_skipped)
{
	static const char *const skipped[] = {
		"../[kernel.kallsyms]/" KID "/kallsyms", /* leaves */
		"/usr/lib/libc.so.6/" UID "/elf",         /* absolute */
		"usr/lib/libc.so.6/" UID "/passwd",       /* no cache kind */
		"usr/lib/libc.so.6/not-hex/elf",          /* no build-id */
		"usr/lib/libc.so.6/" UID "/kallsyms",     /* kallsyms, user */
		"[kernel.kallsyms]/" KID "/elf",          /* elf, kernel */
		"usr/lib/libc.so.6/ABCDEF/elf",           /* upper case */
		"usr/lib/libc.so.6/abc/elf",              /* odd length */
		"README",
	};
	for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++) {
		struct arc a = {0};
		member(&a, skipped[i], '0', elf);
		arc_end(&a);
		/* nothing kept: not a perf archive */
		CHECK(open_buf(&a, NULL) == -SD_E_BAD_MAGIC);
		CHECK(tf_entries() == 0);
		free(a.p);
	}
	/* links, hard links and devices under cache names: skipped too */
	static const char types[] = {'1', '2', '3', '4', '6'};
	for (size_t i = 0; i < sizeof types; i++) {
		struct arc a = {0};
		member(&a, "[kernel.kallsyms]/" KID "/kallsyms", types[i],
		       "/etc/shadow");
		arc_end(&a);
		CHECK(open_buf(&a, NULL) == -SD_E_BAD_MAGIC);
		free(a.p);
	}
	/* not a tar at all */
	CHECK(sd_perf_archive_probe_mem("PERFILE2 and more", 17) == 0);
	struct arc a = {.p = (uint8_t *)strdup("PERFILE2 and more"), .n = 17};
	CHECK(open_buf(&a, NULL) < 0);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(caps)
{
	struct arc a = {0};
	uint8_t blk[512];

	/* a member claiming more than the per-member cap */
	tar_header(blk, "x", SD_PERF_ARCHIVE_MAX_MEMBER + 1, 0);
	memset(blk, 0, 100);
	memcpy(blk, "[kernel.kallsyms]/" KID "/kallsyms",
	       strlen("[kernel.kallsyms]/" KID "/kallsyms"));
	tar_checksum(blk);
	arc_raw(&a, blk, sizeof blk);
	arc_raw(&a, ksyms, strlen(ksyms));
	arc_end(&a);
	CHECK(open_buf(&a, NULL) == -SD_E_LIMIT);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(cut_and_damaged)
{
	struct arc good = {0};

	perf_layout(&good);
	arc_end(&good);
	/* cut anywhere: an error with a reason, or the files before the
	 * cut; never a crash, never a file left behind */
	for (size_t n = 0; n < good.n; n += 97) {
		struct arc a = {good.p, n};
		struct sd_perf_archive *pa = NULL;
		int err = open_buf(&a, &pa);
		if (!err) {
			CHECK(sd_perf_archive_nr_ids(pa) >= 1);
			/* only whole files: a cut one is dropped */
			char p[512];
			snprintf(p, sizeof p, "%s/.build-id/86/%s/elf",
				 sd_perf_archive_dir(pa), UID + 2);
			CHECK(access(p, F_OK) || file_is(p, elf));
		}
		sd_perf_archive_free(pa);
		CHECK(tf_entries() == 0);
	}
	/* the kallsyms cut: a warning, and the archive has nothing */
	size_t at = 3 * 512 + 10; /* inside the kallsyms data */
	struct arc a = {good.p, at};
	CHECK(open_buf(&a, NULL) == -SD_E_TRUNCATED);
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (int round = 0; round < 2000; round++) {
		struct arc d = {malloc(good.n), good.n};
		struct sd_perf_archive *pa = NULL;
		memcpy(d.p, good.p, good.n);
		for (int k = 0; k < 1 + round % 6; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t pos = (size_t)(x % d.n);
			if (round % 2)
				pos = pos / 512 * 512 + (size_t)(x >> 40) % 160;
			d.p[pos % d.n] = (uint8_t)(x >> 24);
		}
		(void)open_buf(&d, &pa);
		sd_perf_archive_free(pa);
		free(d.p);
	}
	free(good.p);
	CHECK(tf_entries() == 0);
}

/* A bundle with record --with-dsos members. */
TEST(bundle_dsos)
{
	struct arc a = {0};
	struct sd_bundle *b = NULL;
	struct sd_diags why;
	static const uint8_t perf[] = "PERFILE2";

	member(&a, SD_BUNDLE_MANIFEST, '0',
	       "{\"format\": \"swapdiag-bundle/1\"}");
	member(&a, "dsos/usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/elf", '0',
	       elf);
	member(&a, "dsos/usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/probes",
	       '0', "");
	member(&a, SD_BUNDLE_PERF_DATA, '0', (const char *)perf);
	arc_end(&a);
	sd_diags_init(&why);
	CHECK(!sd_bundle_open_mem(a.p, a.n, &opts, &why, &b));
	sd_diags_clear(&why);
	const struct sd_perf_archive *pa = b ? sd_bundle_dsos(b) : NULL;
	CHECK(pa != NULL);
	if (pa) {
		char p[512];
		snprintf(p, sizeof p, "%s/.build-id/86/%s/elf",
			 sd_perf_archive_dir(pa), UID + 2);
		CHECK(file_is(p, elf));
		CHECK_U64(sd_perf_archive_nr_ids(pa), 1);
	}
	sd_bundle_free(b);
	CHECK(tf_entries() == 0);
	free(a.p);
	/* a kernel file under dsos/ is not taken (kallsyms has its member) */
	a = (struct arc){0};
	member(&a, SD_BUNDLE_MANIFEST, '0',
	       "{\"format\": \"swapdiag-bundle/1\"}");
	member(&a, "dsos/[kernel.kallsyms]/" KID "/kallsyms", '0', ksyms);
	member(&a, SD_BUNDLE_PERF_DATA, '0', (const char *)perf);
	arc_end(&a);
	b = NULL;
	CHECK(!sd_bundle_open_mem(a.p, a.n, &opts, NULL, &b));
	if (b && sd_bundle_dsos(b))
		CHECK_U64(sd_perf_archive_nr_ids(sd_bundle_dsos(b)), 0);
	sd_bundle_free(b);
	CHECK(tf_entries() == 0);
	free(a.p);
}

/* sd_bundle_pick_dsos() under a fake root, then the bundle round trip:
 * written with the writer, read back, the file under its build-id. */
TEST(pick_dsos_round_trip)
{
	char root[300], path[400];
	struct sd_build_id_entry e[4];
	struct sd_bundle_dsos d;
	FILE *f = fopen("/proc/self/exe", "rb");
	static uint8_t exe[8 << 20];
	size_t n = f ? fread(exe, 1, sizeof exe, f) : 0;

	if (f)
		fclose(f);
	struct sd_build_id id = {0};
	if (!n || n == sizeof exe || sd_elf_build_id(exe, n, &id) || !id.size)
		SKIP("this test program has no build-id");
	snprintf(root, sizeof root, "%s/root", tf_dir);
	snprintf(path, sizeof path, "%s/usr", root);
	CHECK(!mkdir(root, 0700) && !mkdir(path, 0700));
	snprintf(path, sizeof path, "%s/usr/spin", root);
	f = fopen(path, "wb");
	CHECK(f && fwrite(exe, 1, n, f) == n);
	fclose(f);
	struct sd_build_id other = id;
	other.data[0] ^= 0xff;
	memset(e, 0, sizeof e);
	e[0] = (struct sd_build_id_entry){.cpumode = SD_MISC_KERNEL, .id = id,
					  .filename = "[kernel.kallsyms]"};
	e[1] = (struct sd_build_id_entry){.cpumode = SD_MISC_USER, .id = other,
					  .filename = "/usr/spin"};
	e[2] = (struct sd_build_id_entry){.cpumode = SD_MISC_USER, .id = id,
					  .filename = "/usr/gone"};
	e[3] = (struct sd_build_id_entry){.cpumode = SD_MISC_USER, .id = id,
					  .filename = "/usr/spin"};
	/* under the cap: the one whose build-id matches; another build and
	 * a missing file counted; the kernel is not a DSO file */
	CHECK(!sd_bundle_pick_dsos(e, 4, 1ull << 30, root, &d));
	CHECK_U64(d.nr_dsos, 1);
	CHECK_U64(d.n, 1);
	CHECK_U64(d.missing, 2);
	CHECK_U64(d.total, n);
	char hex[41];
	sd_build_id_hex(&id, hex);
	char want[200];
	snprintf(want, sizeof want, "dsos/usr/spin/%s/elf", hex);
	CHECK(d.n && !strcmp(d.v[0].member, want));
	/* the round trip */
	struct arc a = {0};
	FILE *out = tmpfile();
	struct sd_bundle_writer *w = NULL;
	CHECK(out && !sd_bundle_writer_new(fileno(out), true, &w));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST,
				    "{\"format\": \"swapdiag-bundle/1\"}", 31,
				    0));
	int fd = open(d.v[0].path, O_RDONLY);
	CHECK(fd >= 0 && !sd_bundle_writer_add_fd(w, d.v[0].member, fd, 0));
	close(fd);
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_PERF_DATA, "PERFILE2", 8, 0));
	CHECK(!sd_bundle_writer_finish(w));
	sd_bundle_writer_free(w);
	a.n = (size_t)ftell(out);
	a.p = malloc(a.n);
	CHECK(pread(fileno(out), a.p, a.n, 0) == (ssize_t)a.n);
	fclose(out);
	struct sd_bundle *b = NULL;
	CHECK(!sd_bundle_open_mem(a.p, a.n, &opts, NULL, &b));
	const struct sd_perf_archive *pa = b ? sd_bundle_dsos(b) : NULL;
	CHECK(pa != NULL);
	if (pa) {
		snprintf(path, sizeof path, "%s/.build-id/%.2s/%s/elf",
			 sd_perf_archive_dir(pa), hex, hex + 2);
		FILE *g = fopen(path, "rb");
		static uint8_t back[8 << 20];
		size_t m = g ? fread(back, 1, sizeof back, g) : 0;
		if (g)
			fclose(g);
		CHECK(m == n && !memcmp(back, exe, n));
	}
	sd_bundle_free(b);
	free(a.p);
	sd_bundle_dsos_clear(&d);
	/* over the cap: left out and counted */
	CHECK(!sd_bundle_pick_dsos(e, 4, n - 1, root, &d));
	CHECK_U64(d.nr_dsos, 0);
	CHECK_U64(d.over_cap, 1);
	CHECK_U64(d.over_cap_bytes, n);
	sd_bundle_dsos_clear(&d);
	snprintf(path, sizeof path, "%s/usr/spin", root);
	unlink(path);
	snprintf(path, sizeof path, "%s/usr", root);
	rmdir(path);
	rmdir(root);
	CHECK(tf_entries() == 0);
}

int main(void)
{
	if (!tf_make("/tmp/sd-test-perfarchive."))
		return 99;
	RUN(perf_layout);
	RUN(old_layout_and_dereferenced);
	RUN(names_refused_or_skipped);
	RUN(caps);
	RUN(cut_and_damaged);
	RUN(bundle_dsos);
	RUN(pick_dsos_round_trip);
	rmdir(tf_dir);
	return test_exit();
}
