/* SPDX-License-Identifier: MIT */
/*
 * What travels with a recording, as an analysis input
 * (src/bundle/input.c): a good bundle given as the input (its perf.data,
 * kallsyms, host context and --with-dsos files, and the temporary files
 * the signal-safe cleanup removes), a truncated bundle (an error before
 * perf.data, a warning inside it), a tar that is no bundle (left to the
 * perf.data reader), and the perf archive named or found beside a
 * recording.  The facts checked are those of the archives built here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>

#include "test.h"
#include "tarblock.h"

static char work[] = "/tmp/sd-test-input.XXXXXX";
static char tmpdir[sizeof work + 8]; /* work/tmp: what the input extracts */
static struct sd_bundle_opts opts = {.tmpdir = tmpdir};

#define KID "a3e4cd60a8ec14f02aa41b41d5b5846d3d9f1dd8"
#define UID "867d7c82ba726a46eefa474672605f3b01f92967"

/* Entries left in tmpdir, subdirectories counted once. */
static int tmp_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct arc {
	uint8_t *p;
	size_t n;
};

static void raw(struct arc *a, const void *p, size_t n)
{
	a->p = realloc(a->p, a->n + n);
	memcpy(a->p + a->n, p, n);
	a->n += n;
}

/* A regular member (ustar, see tarblock.h). */
static void member(struct arc *a, const char *name, const void *data,
		   size_t len)
{
	static const uint8_t zero[TAR_BLOCK];
	uint8_t blk[TAR_BLOCK];

	if (tar_header(blk, name, len, 0))
		abort();
	tar_checksum(blk);
	raw(a, blk, sizeof blk);
	raw(a, data, len);
	raw(a, zero, tar_padding(len));
}

static void text(struct arc *a, const char *name, const char *t)
{
	member(a, name, t, strlen(t));
}

static void end(struct arc *a)
{
	static const uint8_t zero[2 * TAR_BLOCK];
	raw(a, zero, sizeof zero);
}

static const char manifest[] =
	"{\"format\": \"swapdiag-bundle/1\", \"created\": "
	"\"2025-01-02T03:04:05Z\", \"record_command\": \"perf record -a -g\", "
	"\"duration_s\": 3.0, \"kernel_build_id\": \"" KID "\", "
	"\"forks\": {\"processes_start\": 1000, \"processes_end\": 4000, "
	"\"seconds\": 3.0}}";
static const char sysctl[] = "vm.dirty_ratio = 20\nvm.swappiness = 60\n";
static const char procs[] = "# pid\tcomm\tvmswap_kib\tvmrss_kib\n"
			    "2001\thttpd worker\t1992294\t10240\n";
static const char kallsyms[] = "ffffffff81000000 T _text\n"
			       "ffffffff81001000 T copy_page_range\n";
static const char elf[] = "\x7f" "ELF not really, but a file";
static const uint8_t perf_data[] = {
	'P', 'E', 'R', 'F', 'I', 'L', 'E', '2', /* magic */
	0x68, 0, 0, 0, 0, 0, 0, 0,              /* header size */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10,          /* not read here */
};

/* A bundle as swapdiag record --with-dsos writes it, perf.data last. */
static void good_bundle(struct arc *a)
{
	text(a, SD_BUNDLE_MANIFEST, manifest);
	text(a, SD_BUNDLE_UNAME, "Linux vm 6.18.44 #1 SMP x86_64 GNU/Linux\n");
	text(a, SD_BUNDLE_SYSCTL_VM, sysctl);
	text(a, SD_BUNDLE_PROCS, procs);
	text(a, SD_BUNDLE_KALLSYMS, kallsyms);
	text(a, "dsos/usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/elf", elf);
	member(a, SD_BUNDLE_PERF_DATA, perf_data, sizeof perf_data);
}

/* perf archive's layout: the kernel's kallsyms and a DSO by build-id. */
static void perf_archive(struct arc *a)
{
	text(a, "[kernel.kallsyms]/" KID "/kallsyms", kallsyms);
	text(a, "usr/lib/x86_64-linux-gnu/libc.so.6/" UID "/elf", elf);
	end(a);
}

/* Writes n bytes of p to work/name; the path in out. */
static void put(const char *name, const void *p, size_t n, char *out,
		size_t outlen)
{
	snprintf(out, outlen, "%s/%s", work, name);
	FILE *f = fopen(out, "wb");
	CHECK(f && fwrite(p, 1, n, f) == n);
	if (f)
		fclose(f);
}

static bool file_is(const char *path, const void *want, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[4096];
	size_t got;

	if (!f)
		return false;
	got = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return got == n && !memcmp(buf, want, n);
}

static int open_input(const char *path, struct sd_bundle_input **in,
		      size_t *nr_why)
{
	struct sd_diags why;
	int err;

	sd_diags_init(&why);
	*in = NULL;
	err = sd_bundle_input_open(path, &opts, &why, in);
	*nr_why = why.n;
	sd_diags_clear(&why);
	return err;
}

TEST(good_bundle)
{
	struct arc a = {0};
	struct sd_bundle_input *in;
	char path[256], name[300], data[256];
	size_t nr_why;

	good_bundle(&a);
	end(&a);
	put("good.swapdiag.tar", a.p, a.n, path, sizeof path);
	free(a.p);
	/* a perf archive beside a bundle is not the bundle's: not read */
	a = (struct arc){0};
	perf_archive(&a);
	put("good.swapdiag.tar.tar.bz2", a.p, a.n, name, sizeof name);
	free(a.p);

	CHECK(open_input(path, &in, &nr_why) == 0);
	CHECK_U64(nr_why, 0);
	if (!in)
		return;
	CHECK_STR(sd_bundle_input_path(in), path);
	CHECK(sd_bundle_input_bundle(in) != NULL);
	CHECK_U64(sd_bundle_input_diags(in)->n, 0);
	/* the recording: extracted under tmpdir, byte for byte */
	const char *d = sd_bundle_input_data(in);
	CHECK(strcmp(d, path) != 0);
	CHECK(!strncmp(d, tmpdir, strlen(tmpdir)));
	CHECK(file_is(d, perf_data, sizeof perf_data));
	snprintf(data, sizeof data, "%s", d);
	/* kallsyms, named after the bundle, with the manifest's build-id */
	const char *kname = NULL, *kid = NULL;
	const char *k = sd_bundle_input_kallsyms(in, &kname, &kid);
	CHECK(k && file_is(k, kallsyms, strlen(kallsyms)));
	snprintf(name, sizeof name, "%s:kallsyms", path);
	CHECK_STR(kname, name);
	CHECK_STR(kid, KID);
	/* the host context of its text members */
	const struct sd_host *h = sd_bundle_input_host(in);
	CHECK(h != NULL);
	if (h) {
		CHECK_STR(h->uname, "Linux vm 6.18.44 #1 SMP x86_64 GNU/Linux");
		CHECK_U64(h->swappiness, 60);
		CHECK_U64(h->nr_procs, 1);
		CHECK(h->nr_procs && !strcmp(h->procs[0].comm, "httpd worker") &&
		      h->procs[0].swap_kib == 1992294);
		CHECK_U64(h->forks, 3000);
	}
	/* no archive taken from beside a bundle: its own dsos/ instead */
	CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) == 0);
	const struct sd_perf_archive *pa = sd_bundle_input_archive(in);
	CHECK(pa && pa == sd_bundle_dsos(sd_bundle_input_bundle(in)));
	CHECK(pa && sd_perf_archive_nr_ids(pa) == 1);
	CHECK_STR(sd_bundle_input_archive_path(in), path);
	CHECK(!sd_bundle_input_archive_named(in));
	CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) == -EINVAL);
	/* perf.data, kallsyms and the dsos directory */
	CHECK(tmp_entries() == 3);
	/* the signal-safe cleanup leaves nothing, and free still works */
	sd_bundle_input_remove_temps(in);
	CHECK(tmp_entries() == 0);
	CHECK(access(data, F_OK) && errno == ENOENT);
	CHECK(sd_bundle_input_free(in) == NULL);
	CHECK(tmp_entries() == 0);

	/* free alone removes everything too */
	CHECK(open_input(path, &in, &nr_why) == 0);
	CHECK(tmp_entries() == 3);
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);
	unlink(path);
	snprintf(name, sizeof name, "%s.tar.bz2", path);
	unlink(name);
}

TEST(truncated_bundle)
{
	struct arc a = {0};
	struct sd_bundle_input *in;
	char path[256];
	size_t nr_why, whole;

	good_bundle(&a);
	whole = a.n;
	end(&a);
	/* cut inside the kallsyms member, before perf.data: an error with
	 * its reasons, nothing extracted, no object */
	size_t ksyms_at = 4 * (TAR_BLOCK * 2); /* four one-block texts before */
	put("cut.swapdiag.tar", a.p, ksyms_at + TAR_BLOCK + 10, path,
	    sizeof path);
	CHECK(open_input(path, &in, &nr_why) == -SD_E_TRUNCATED);
	CHECK(nr_why > 0);
	CHECK(in == NULL);
	CHECK(tmp_entries() == 0);
	/* cut inside perf.data: its first 10 bytes are the recording, with
	 * a warning that says it was cut */
	size_t perf_at = whole - 2 * TAR_BLOCK; /* its header, data block */
	put("cut.swapdiag.tar", a.p, perf_at + TAR_BLOCK + 10, path,
	    sizeof path);
	CHECK(open_input(path, &in, &nr_why) == 0);
	CHECK_U64(nr_why, 0);
	if (in) {
		struct sd_diags *w = sd_bundle_input_diags(in);
		CHECK(w && w->n == 1 && w->v[0].code == SD_E_TRUNCATED);
		CHECK(file_is(sd_bundle_input_data(in), perf_data, 10));
		CHECK(sd_bundle_input_host(in) != NULL);
	}
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);
	unlink(path);
	free(a.p);
}

TEST(foreign_tar)
{
	struct arc a = {0};
	struct sd_bundle_input *in;
	char path[256], rec[256], beside[300], named[256];
	size_t nr_why;

	/* a tar whose first member is no manifest: not a bundle, so left
	 * as it is for the perf.data reader to say what it is */
	text(&a, "README", "hello\n");
	end(&a);
	put("foreign.tar", a.p, a.n, path, sizeof path);
	CHECK(open_input(path, &in, &nr_why) == 0);
	CHECK_U64(nr_why, 0);
	if (in) {
		CHECK(sd_bundle_input_bundle(in) == NULL);
		CHECK_STR(sd_bundle_input_data(in), path);
		CHECK(sd_bundle_input_host(in) == NULL);
		CHECK(sd_bundle_input_kallsyms(in, NULL, NULL) == NULL);
		CHECK(sd_bundle_input_diags(in) == NULL);
		/* nothing beside it: no archive, nothing tried */
		CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) == 0);
		CHECK(sd_bundle_input_archive(in) == NULL);
		CHECK(sd_bundle_input_archive_path(in) == NULL);
	}
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);

	/* the same tar named as the perf archive: refused, input usable */
	put("rec.data", perf_data, sizeof perf_data, rec, sizeof rec);
	CHECK(open_input(rec, &in, &nr_why) == 0);
	if (in) {
		struct sd_diags why;
		sd_diags_init(&why);
		snprintf(named, sizeof named, "%s", path);
		CHECK(sd_bundle_input_add_archive(in, named, &opts, &why) ==
		      -SD_E_BAD_MAGIC);
		CHECK(why.n > 0);
		sd_diags_clear(&why);
		CHECK(sd_bundle_input_archive(in) == NULL);
		CHECK_STR(sd_bundle_input_archive_path(in), named);
		CHECK_STR(sd_bundle_input_data(in), rec);
	}
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);

	/* ... and found beside the recording: the same error, its path */
	snprintf(beside, sizeof beside, "%s.tar.bz2", rec);
	CHECK(rename(path, beside) == 0);
	CHECK(open_input(rec, &in, &nr_why) == 0);
	if (in) {
		CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) ==
		      -SD_E_BAD_MAGIC);
		CHECK(sd_bundle_input_archive(in) == NULL);
		CHECK_STR(sd_bundle_input_archive_path(in), beside);
	}
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);

	/* a real perf archive beside it (.tar.xz by name, a plain tar
	 * inside: read by content): its two build-ids, removed with it */
	unlink(beside);
	a.n = 0;
	perf_archive(&a);
	snprintf(beside, sizeof beside, "%s.tar.xz", rec);
	FILE *f = fopen(beside, "wb");
	CHECK(f && fwrite(a.p, 1, a.n, f) == a.n);
	if (f)
		fclose(f);
	CHECK(open_input(rec, &in, &nr_why) == 0);
	if (in) {
		CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) == 0);
		const struct sd_perf_archive *pa = sd_bundle_input_archive(in);
		CHECK(pa && sd_perf_archive_nr_ids(pa) == 2);
		CHECK_STR(sd_bundle_input_archive_path(in), beside);
		CHECK(!sd_bundle_input_archive_named(in));
		CHECK(tmp_entries() == 1);
		sd_bundle_input_remove_temps(in);
		CHECK(tmp_entries() == 0);
	}
	sd_bundle_input_free(in);
	CHECK(tmp_entries() == 0);

	/* standard input is never probed (a pipe would lose its data) */
	CHECK(open_input("-", &in, &nr_why) == 0);
	if (in) {
		CHECK_STR(sd_bundle_input_data(in), "-");
		CHECK(sd_bundle_input_add_archive(in, NULL, &opts, NULL) == 0);
		CHECK(sd_bundle_input_archive(in) == NULL);
	}
	sd_bundle_input_free(in);
	unlink(beside);
	unlink(rec);
	free(a.p);
}

int main(void)
{
	if (!mkdtemp(work))
		return 99;
	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", work);
	if (mkdir(tmpdir, 0700))
		return 99;
	RUN(good_bundle);
	RUN(truncated_bundle);
	RUN(foreign_tar);
	CHECK(rmdir(tmpdir) == 0);
	CHECK(rmdir(work) == 0);
	return test_exit();
}
