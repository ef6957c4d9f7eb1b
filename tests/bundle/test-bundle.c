/* SPDX-License-Identifier: MIT */
/*
 * Bundles: the writer's ustar output, a writer/reader round trip (plain
 * and zstd), the host-context parser, and hostile archives built block by
 * block -- damaged headers, truncated, names leaving the archive, huge
 * size fields, links, bad checksums, random damage.  Every case checks that nothing is left in
 * (or written outside) the private temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "tfiles.h"
#include <swapdiag/bundle.h>

#include "tarblock.h"

static const struct sd_bundle_opts opts = {.tmpdir = tf_dir};

static const char manifest[] =
	"{\"format\": \"swapdiag-bundle/1\", \"created\": "
	"\"2025-01-02T03:04:05Z\", \"record_command\": \"perf record -a -g\", "
	"\"duration_s\": 3.0, \"forks\": {\"processes_start\": 1000, "
	"\"processes_end\": 4000, \"seconds\": 3.0}}";
static const char swaps[] =
	"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	"/var/tmp/my\\040swap\t\tfile\t\t1048572\t\t262400\t\t-2\n"
	"/dev/vda2                               partition\t2097148\t0\t5\n";
static const char meminfo[] =
	"MemTotal:        4024156 kB\n"
	"MemFree:          124156 kB\n"
	"MemAvailable:    1024000 kB\n"
	"SwapCached:       262212 kB\n"
	"AnonPages:        300000 kB\n"
	"SwapTotal:       3145720 kB\n"
	"SwapFree:        2883320 kB\n";
static const char sysctl[] =
	"vm.dirty_ratio = 20\n"
	"vm.lowmem_reserve_ratio = 256 256 32 0 0\n"
	"vm.swappiness = 60\n";
static const char procs[] =
	"# processes with the most memory in swap\n"
	"# pid\tcomm\tvmswap_kib\tvmrss_kib\n"
	"9274\tforkswap\t1024\t5000\n"
	"2001\thttpd worker\t1992294\t10240\n"
	"9273\tforkswap\t262144\t4000\n";
static const char kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81001000 T copy_page_range\n";
static const uint8_t perf_data[] = {
	'P', 'E', 'R', 'F', 'I', 'L', 'E', '2', /* magic */
	0x68, 0, 0, 0, 0, 0, 0, 0,              /* header size */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10,          /* the rest is not read here */
};

static void arc_good(struct arc *a)
{
	arc_file(a, SD_BUNDLE_MANIFEST, manifest);
	arc_file(a, SD_BUNDLE_UNAME, "Linux vm 6.18.44 #1 SMP x86_64 GNU/Linux\n");
	arc_file(a, SD_BUNDLE_SWAPS, swaps);
	arc_file(a, SD_BUNDLE_MEMINFO, meminfo);
	arc_file(a, SD_BUNDLE_SYSCTL_VM, sysctl);
	arc_file(a, SD_BUNDLE_PROCS, procs);
	arc_file(a, SD_BUNDLE_KALLSYMS, kallsyms);
	arc_member(a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
}

/* Opens a buffer; returns the error, and the bundle in *out if asked. */
static int open_buf(const void *p, size_t n, struct sd_bundle **out)
{
	struct sd_diags why;
	struct sd_bundle *b = NULL;
	int err;

	sd_diags_init(&why);
	err = sd_bundle_open_mem(p, n, &opts, &why, &b);
	if (getenv("TEST_BUNDLE_VERBOSE")) {
		/* what each case said: TEST_BUNDLE_VERBOSE=1 test-bundle */
		for (size_t i = 0; i < why.n; i++)
			fprintf(stderr, "  error %d: %s\n", err, why.v[i].text);
		for (size_t i = 0; b && i < sd_bundle_diags(b)->n; i++)
			fprintf(stderr, "  diag: %s\n",
				sd_bundle_diags(b)->v[i].text);
	}
	if (err)
		CHECK(why.n > 0 || err == -ENOMEM);
	else
		CHECK(why.n == 0);
	sd_diags_clear(&why);
	if (out)
		*out = b;
	else
		sd_bundle_free(b);
	return err;
}

/* Opens a bundle of the manifest, a member called name and perf.data. */
static int open_with_member(const char *name)
{
	struct arc a = {0};
	int err;

	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_member(&a, name, sizeof perf_data, perf_data, sizeof perf_data);
	arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	err = open_buf(a.p, a.n, NULL);
	free(a.p);
	return err;
}

/* ---- ustar blocks ------------------------------------------------------ */

/* A bundle whose perf.data header block is damaged by f. */
static int open_damaged_header_b(void (*f)(uint8_t *blk),
				 struct sd_bundle **out)
{
	struct arc a = {0};
	uint8_t blk[512];
	int err;

	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	tar_header(blk, SD_BUNDLE_PERF_DATA, sizeof perf_data, 0);
	f(blk);
	arc_raw(&a, blk, sizeof blk);
	arc_raw(&a, perf_data, sizeof perf_data);
	static const uint8_t zero[512];
	arc_raw(&a, zero, tar_padding(sizeof perf_data));
	arc_end(&a);
	err = open_buf(a.p, a.n, out);
	free(a.p);
	return err;
}

static int open_damaged_header(void (*f)(uint8_t *blk))
{
	return open_damaged_header_b(f, NULL);
}

static void dmg_checksum(uint8_t *blk)
{
	blk[0] = 'q';
}

static void dmg_size_text(uint8_t *blk)
{
	memcpy(blk + 124, "12x45678901", 11);
	tar_checksum(blk);
}

static void dmg_size_negative(uint8_t *blk)
{
	memset(blk + 124, 0xff, 12);
	tar_checksum(blk);
}

static void dmg_magic(uint8_t *blk)
{
	memcpy(blk + 257, "ustaR", 5);
	tar_checksum(blk);
}

static void dmg_prefix_up(uint8_t *blk)
{
	memcpy(blk + 345, "..", 2);
	tar_checksum(blk);
}

TEST(writer_output_is_ustar)
{
	struct sd_bundle_writer *w;
	FILE *f = tmpfile();
	uint8_t blk[1536];
	char *man;
	size_t mlen;
	const struct sd_bundle_meta meta = {.tool_version = "test",
					    .processes_start = -1,
					    .processes_end = -1};

	CHECK(f != NULL);
	CHECK(!sd_bundle_manifest(&meta, NULL, 0, &man, &mlen));
	CHECK(!sd_bundle_writer_new(fileno(f), false, &w));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST, man, mlen,
				    1700000000));
	CHECK(!sd_bundle_writer_finish(w));
	sd_bundle_writer_free(w);
	long n = ftell(f);
	/* header, data padded to 512, two zero blocks: nothing else */
	CHECK_U64((uint64_t)n, 512 + mlen + tar_padding(mlen) + 1024);
	CHECK(pread(fileno(f), blk, sizeof blk, 0) > 512);
	CHECK(!memcmp(blk, SD_BUNDLE_MANIFEST, sizeof SD_BUNDLE_MANIFEST));
	CHECK(!memcmp(blk + 257, "ustar", 6) && !memcmp(blk + 263, "00", 2));
	CHECK(!memcmp(blk + 124, "00000", 5)); /* octal size */
	CHECK(blk[156] == '0');
	CHECK(!memcmp(blk + 136, "14524770400", 11)); /* mtime, octal */
	CHECK(strtoul((const char *)blk + 100, NULL, 8) == 0600);
	uint8_t copy[512];
	memcpy(copy, blk, 512);
	tar_checksum(copy);
	CHECK(!memcmp(copy + 148, blk + 148, 6)); /* checksum as ustar's */
	free(man);
	fclose(f);
	/* names a bundle never has are refused by the writer */
	CHECK(!sd_bundle_writer_new(fileno(stdout), false, &w));
	CHECK(sd_bundle_writer_add(w, "../x", "", 0, 0) == -EINVAL);
	sd_bundle_writer_free(w);
}

TEST(header_refuses)
{
	/* bad checksum, size not a number, negative base-256, not ustar,
	 * a ustar prefix leaving the archive: each refused with a reason */
	CHECK(open_damaged_header(dmg_checksum) < 0);
	CHECK(open_damaged_header(dmg_size_negative) < 0);
	CHECK(open_damaged_header(dmg_prefix_up) == -EBADMSG);
	/* libarchive is more lenient than the old parser here: a size
	 * field with junk after its octal digits is read up to the junk
	 * ("12x..." is 10 bytes: the perf.data reader then finds a
	 * truncated file), and a header without the ustar magic is an old
	 * v7 tar header, whose data is intact */
	struct sd_bundle *t = NULL;
	int err = open_damaged_header_b(dmg_size_text, &t);
	CHECK(err < 0 || (t && tf_file_is(sd_bundle_perf_data(t), perf_data, 10)));
	sd_bundle_free(t);
	t = NULL;
	CHECK(open_damaged_header_b(dmg_magic, &t) == 0);
	CHECK(t && tf_file_is(sd_bundle_perf_data(t), perf_data, sizeof perf_data));
	sd_bundle_free(t);
	/* names */
	static const char *const bad[] = {"..", "../perf.data", "a/../../b",
		"/abs", "a/..", "tab\there", "back\\slash"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(open_with_member(bad[i]) == -EBADMSG);
	/* "./" is dropped, and a ustar prefix joins the name */
	struct arc a = {0};
	struct sd_bundle *b = NULL;
	arc_file(&a, "./" SD_BUNDLE_MANIFEST, manifest);
	uint8_t blk[512];
	static const uint8_t zero[512];
	tar_header(blk, SD_BUNDLE_PERF_DATA, sizeof perf_data, 0);
	memcpy(blk + 345, "dir", 3); /* dir/perf.data: not a bundle member */
	tar_checksum(blk);
	arc_raw(&a, blk, sizeof blk);
	arc_raw(&a, perf_data, sizeof perf_data);
	arc_raw(&a, zero, tar_padding(sizeof perf_data));
	arc_member(&a, "./" SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	CHECK(!open_buf(a.p, a.n, &b));
	if (b)
		CHECK(tf_file_is(sd_bundle_perf_data(b), perf_data,
				 sizeof perf_data));
	sd_bundle_free(b);
	free(a.p);
	CHECK(tf_entries() == 0);
}

/* ---- round trip ---------------------------------------------------------- */

static struct arc write_bundle(bool compress)
{
	struct sd_bundle_writer *w;
	struct arc a = {0};
	FILE *f = tmpfile(), *pd = tmpfile();
	char *man;
	size_t mlen;
	char *const argv[] = {"perf", "record", "-a", "-g", "-e",
			      "cpu-clock/freq=999/", "--", "sleep", "3", NULL};
	const struct sd_bundle_meta meta = {
		.tool_version = "test",
		.hostname = "vm",
		.created = 1735787045,
		.record_argv = argv,
		.duration_s = 3.0,
		.processes_start = 1000,
		.processes_end = 4000,
		.processes_seconds = 3.0,
		.kernel_build_id = "a3e4cd60a8ec14f02aa41b41d5b5846d3d9f1dd8",
	};
	const struct sd_bundle_entry files[] = {
		{SD_BUNDLE_PERF_DATA, sizeof perf_data, "perf record output"},
	};

	CHECK(f && pd);
	CHECK(fwrite(perf_data, 1, sizeof perf_data, pd) == sizeof perf_data);
	fflush(pd);
	CHECK(!sd_bundle_manifest(&meta, files, 1, &man, &mlen));
	CHECK(strstr(man, "\"record_command\": \"perf record -a -g -e "
			  "cpu-clock/freq=999/ -- sleep 3\""));
	CHECK(!sd_bundle_writer_new(fileno(f), compress, &w));
	/* the manifest must come first */
	CHECK(sd_bundle_writer_add(w, SD_BUNDLE_SWAPS, swaps, strlen(swaps), 0) ==
	      -EINVAL);
	sd_bundle_writer_free(w);
	CHECK(!sd_bundle_writer_new(fileno(f), compress, &w));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST, man, mlen, 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_UNAME, "Linux vm\n", 9, 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_SWAPS, swaps, strlen(swaps), 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_MEMINFO, meminfo,
				    strlen(meminfo), 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_SYSCTL_VM, sysctl,
				    strlen(sysctl), 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_PROCS, procs, strlen(procs), 0));
	CHECK(!sd_bundle_writer_add(w, SD_BUNDLE_KALLSYMS, kallsyms,
				    strlen(kallsyms), 0));
	CHECK(!sd_bundle_writer_add_fd(w, SD_BUNDLE_PERF_DATA, fileno(pd), 0));
	CHECK(!sd_bundle_writer_finish(w));
	sd_bundle_writer_free(w);
	free(man);
	fclose(pd);

	long n = ftell(f);
	CHECK(n > 0);
	a.p = malloc((size_t)n);
	a.n = (size_t)n;
	CHECK(pread(fileno(f), a.p, a.n, 0) == n);
	fclose(f);
	return a;
}

static void check_host(const struct sd_host *h)
{
	CHECK(h != NULL);
	if (!h)
		return;
	CHECK_U64(h->swappiness, 60);
	CHECK_U64(h->nr_swaps, 2);
	CHECK_STR(h->swaps[0].name, "/var/tmp/my swap");
	CHECK_STR(h->swaps[0].type, "file");
	CHECK_U64(h->swaps[0].size_kib, 1048572);
	CHECK_U64(h->swaps[0].used_kib, 262400);
	CHECK(h->swaps[0].priority == -2);
	CHECK(h->swaps[1].priority == 5);
	CHECK_U64(h->mem_total_kib, 4024156);
	CHECK_U64(h->mem_available_kib, 1024000);
	CHECK_U64(h->swap_total_kib, 3145720);
	CHECK_U64(h->swap_free_kib, 2883320);
	CHECK_U64(h->swap_cached_kib, 262212);
	CHECK_U64(h->anon_pages_kib, 300000);
	CHECK_U64(h->nr_vm, 3);
	CHECK_STR(h->vm[1].name, "lowmem_reserve_ratio");
	CHECK_STR(h->vm[1].value, "256 256 32 0 0");
	CHECK_U64(h->nr_procs, 3);
	CHECK_STR(h->procs[0].comm, "httpd worker");
	CHECK_U64(h->procs[0].pid, 2001);
	CHECK_U64(h->procs[0].swap_kib, 1992294);
	CHECK_U64(h->procs[0].rss_kib, 10240);
	CHECK_U64(h->procs[1].pid, 9273);
	CHECK_U64(h->procs[2].pid, 9274);
	CHECK_U64(h->forks, 3000);
	CHECK(h->forks_per_s > 999.9 && h->forks_per_s < 1000.1);
}

static void round_trip(bool compress)
{
	struct arc a = write_bundle(compress);
	struct sd_bundle *b = NULL;
	char perf_path[256] = "", ksyms_path[256] = "";

	CHECK(a.n % 512 == 0 || compress);
	CHECK(compress == (a.n > 4 && a.p[0] == 0x28 && a.p[1] == 0xb5));
	CHECK(sd_bundle_probe_mem(a.p, a.n) == 1);
	CHECK(!open_buf(a.p, a.n, &b));
	if (!b)
		return;
	CHECK_STR(sd_bundle_format(b), SD_BUNDLE_FORMAT);
	CHECK_STR(sd_bundle_kernel_build_id(b),
		  "a3e4cd60a8ec14f02aa41b41d5b5846d3d9f1dd8");
	CHECK(tf_file_is(sd_bundle_perf_data(b), perf_data, sizeof perf_data));
	CHECK(tf_file_is(sd_bundle_kallsyms(b), kallsyms, strlen(kallsyms)));
	CHECK(!strncmp(sd_bundle_perf_data(b), tf_dir, strlen(tf_dir)));
	const struct sd_host *h = sd_bundle_host(b);
	check_host(h);
	CHECK_STR(h->uname, "Linux vm");
	CHECK_STR(h->created, "2025-01-02T03:04:05Z");
	CHECK(h->duration_s == 3.0);
	CHECK_U64(sd_bundle_diags(b)->n, 0);
	const char *tmp[4];
	CHECK_U64(sd_bundle_temp_files(b, tmp, 4), 2);
	snprintf(perf_path, sizeof perf_path, "%s", sd_bundle_perf_data(b));
	snprintf(ksyms_path, sizeof ksyms_path, "%s", sd_bundle_kallsyms(b));
	CHECK(tf_entries() == 2);
	sd_bundle_free(b);
	CHECK(access(perf_path, F_OK) && access(ksyms_path, F_OK));
	CHECK(tf_entries() == 0);

	/* the same through a file */
	char path[300];
	snprintf(path, sizeof path, "%s.bundle", tf_dir);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(a.p, 1, a.n, f) == a.n);
	fclose(f);
	CHECK(sd_bundle_probe(path) == 1);
	CHECK(!sd_bundle_open(path, &opts, NULL, &b));
	if (b)
		check_host(sd_bundle_host(b));
	sd_bundle_free(b);
	unlink(path);
	CHECK(tf_entries() == 0);

	/* cut anywhere: an error with a reason, or a usable bundle that
	 * says it was cut; never a crash, never a file left behind */
	size_t step = a.n / 97 + 1;
	for (size_t n = 0; n < a.n; n += step) {
		struct sd_bundle *t = NULL;
		int err = open_buf(a.p, n, &t);
		if (!err) {
			/* one zero block is end enough */
			CHECK(sd_bundle_diags(t)->n > 0 ||
			      (!compress && n >= a.n - 512));
			CHECK(sd_bundle_perf_data(t) != NULL);
		}
		sd_bundle_free(t);
		CHECK(tf_entries() == 0);
	}
	free(a.p);
}

TEST(round_trip_plain)
{
	round_trip(false);
}

TEST(round_trip_zstd)
{
#if HAVE_ZSTD
	round_trip(true);
#else
	SKIP("built without zstd");
#endif
}

TEST(probe)
{
	struct arc a = {0};

	CHECK(sd_bundle_probe_mem(perf_data, sizeof perf_data) == 0);
	CHECK(sd_bundle_probe_mem("", 0) == 0);
	/* zstd magic, then garbage */
	static const uint8_t fake[16] = {0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff};
	CHECK(sd_bundle_probe_mem(fake, sizeof fake) <= 0);
	/* a tar, but not ours */
	arc_file(&a, "README", "hello\n");
	arc_end(&a);
	CHECK(sd_bundle_probe_mem(a.p, a.n) == 0);
	CHECK(open_buf(a.p, a.n, NULL) == -SD_E_BAD_MAGIC);
	free(a.p);
	CHECK(tf_entries() == 0);
}

/* ---- hostile archives ---------------------------------------------------- */

TEST(truncated)
{
	struct arc a = {0};
	struct sd_bundle *b;

	arc_good(&a);
	arc_end(&a);
	CHECK(!open_buf(a.p, a.n, NULL));
	/* no end marker: fine, with a note */
	CHECK(!open_buf(a.p, a.n - 1024, &b));
	CHECK(b && sd_bundle_diags(b)->n == 1);
	sd_bundle_free(b);
	/* cut inside perf.data: what is there is kept, with a warning */
	size_t perf_end = a.n - 1024 - 512; /* data + padding in one block */
	CHECK(!open_buf(a.p, perf_end + 10, &b));
	if (b) {
		CHECK(tf_file_is(sd_bundle_perf_data(b), perf_data, 10));
		CHECK(sd_bundle_diags(b)->n == 1);
		CHECK(sd_bundle_diags(b)->v[0].code == SD_E_TRUNCATED);
	}
	sd_bundle_free(b);
	/* cut inside perf.data's header, or inside an earlier member */
	CHECK(open_buf(a.p, perf_end - 100, NULL) == -SD_E_TRUNCATED);
	CHECK(open_buf(a.p, 512 + 10, NULL) == -SD_E_TRUNCATED);
	CHECK(open_buf(a.p, 100, NULL) == -SD_E_TRUNCATED);
	/* cut right before perf.data */
	CHECK(open_buf(a.p, perf_end - 512, NULL) == -SD_E_TRUNCATED);
	free(a.p);
	/* whole, but no perf.data at all */
	a = (struct arc){0};
	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_file(&a, SD_BUNDLE_SWAPS, swaps);
	arc_end(&a);
	CHECK(open_buf(a.p, a.n, NULL) == -EBADMSG);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(names_that_leave)
{
	static const char *const names[] = {"../perf.data", "/tmp/perf.data",
		"x/../../perf.data", "..", "../../../../etc/cron.d/x"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(open_with_member(names[i]) == -EBADMSG);
	CHECK(tf_entries() == 0);
	/* nothing appeared beside the temporary directory either */
	char beside[300];
	snprintf(beside, sizeof beside, "%s/../perf.data", tf_dir);
	struct stat st;
	CHECK(stat(beside, &st) != 0 ||
	      st.st_mtime < time(NULL) - 60); /* not made by this test */
}

TEST(links_and_specials)
{
	static const char types[] = {'1', '2', '3', '4', '6', 'L', 'K'};

	for (size_t i = 0; i < sizeof types; i++) {
		struct arc a = {0};
		uint8_t blk[512];
		arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
		tar_header(blk, SD_BUNDLE_KALLSYMS, 0, 0);
		blk[156] = (uint8_t)types[i];
		memcpy(blk + 157, "/etc/shadow", 11);
		tar_checksum(blk);
		arc_raw(&a, blk, sizeof blk);
		arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
			   sizeof perf_data);
		arc_end(&a);
		int err = open_buf(a.p, a.n, NULL);
		/* 'K' (a GNU long link name) only sets the next member's link
		 * name, which libarchive drops for a regular file: harmless */
		CHECK(err == -EBADMSG || (types[i] == 'K' && err == 0));
		free(a.p);
	}
	CHECK(tf_entries() == 0);
}

TEST(huge_sizes)
{
	struct arc a = {0};
	struct sd_bundle *b = NULL;
	int err;

	/* a text member claiming 8 GiB: refused before any allocation */
	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_member(&a, SD_BUNDLE_SWAPS, 077777777777ull, swaps, strlen(swaps));
	arc_end(&a);
	CHECK(open_buf(a.p, a.n, NULL) == -SD_E_LIMIT);
	free(a.p);

	/* the manifest itself */
	a = (struct arc){0};
	arc_member(&a, SD_BUNDLE_MANIFEST, 1ull << 40, manifest,
		   strlen(manifest));
	arc_end(&a);
	CHECK(open_buf(a.p, a.n, NULL) == -SD_E_LIMIT);
	free(a.p);

	/* perf.data over the cap (base-256) */
	a = (struct arc){0};
	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_member(&a, SD_BUNDLE_PERF_DATA, 1ull << 50, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	CHECK(open_buf(a.p, a.n, NULL) == -SD_E_LIMIT);
	free(a.p);

	/* perf.data claiming 8 GiB with 26 bytes there: either refused for
	 * want of space, or kept as a truncated recording */
	a = (struct arc){0};
	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_member(&a, SD_BUNDLE_PERF_DATA, 077777777777ull, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	err = open_buf(a.p, a.n, &b);
	CHECK(err == -ENOSPC || (!err && sd_bundle_diags(b)->n == 1));
	if (b) {
		struct stat st;
		CHECK(!stat(sd_bundle_perf_data(b), &st) &&
		      st.st_size <= (off_t)a.n);
	}
	sd_bundle_free(b);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(manifests)
{
	static const char *const bad[] = {
		"", "[1, 2]", "{\"format\": 3}", "{\"format\": \"other/1\"}",
		"{\"format\": \"swapdiag-bundle/9\"}", "{\"format\": \"swapdiag-bundle/1\"",
		"{\"format\": \"swapdiag-bundle/1\", \"format\": \"x\"}",
	};
	static const int want[] = {-EBADMSG, -EBADMSG, -SD_E_BAD_MAGIC,
				   -SD_E_BAD_MAGIC, -ENOTSUP, -EBADMSG,
				   -EBADMSG};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct arc a = {0};
		arc_file(&a, SD_BUNDLE_MANIFEST, bad[i]);
		arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
			   sizeof perf_data);
		arc_end(&a);
		int err = open_buf(a.p, a.n, NULL);
		CHECK(err == want[i]);
		if (err != want[i])
			fprintf(stderr, "  manifest %zu: %d\n", i, err);
		free(a.p);
	}
	/* odd but harmless values are ignored */
	struct arc a = {0};
	struct sd_bundle *b = NULL;
	arc_file(&a, SD_BUNDLE_MANIFEST,
		 "{\"format\": \"swapdiag-bundle/1\", \"duration_s\": -5, "
		 "\"forks\": {\"processes_start\": 9, \"processes_end\": 3, "
		 "\"seconds\": 0}, \"created\": [1]}");
	arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	CHECK(!open_buf(a.p, a.n, &b));
	if (b) {
		CHECK(sd_bundle_host(b)->duration_s == -1);
		CHECK(sd_bundle_host(b)->forks == -1);
		CHECK(sd_bundle_host(b)->created == NULL);
		CHECK(sd_bundle_kallsyms(b) == NULL);
	}
	sd_bundle_free(b);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(duplicates_and_unknown)
{
	struct arc a = {0};
	struct sd_bundle *b = NULL;

	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_file(&a, "notes-from-a-later-version.txt", "ignored\n");
	arc_file(&a, "dir/", "");
	arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	CHECK(!open_buf(a.p, a.n, &b));
	sd_bundle_free(b);
	free(a.p);

	a = (struct arc){0};
	arc_file(&a, SD_BUNDLE_MANIFEST, manifest);
	arc_file(&a, SD_BUNDLE_SWAPS, swaps);
	arc_file(&a, SD_BUNDLE_SWAPS, swaps);
	arc_member(&a, SD_BUNDLE_PERF_DATA, sizeof perf_data, perf_data,
		   sizeof perf_data);
	arc_end(&a);
	CHECK(open_buf(a.p, a.n, NULL) == -EBADMSG);
	free(a.p);
	CHECK(tf_entries() == 0);
}

TEST(random_damage)
{
	struct arc good = {0};
	uint64_t x = 0x9e3779b97f4a7c15ull;

	arc_good(&good);
	arc_end(&good);
	for (int round = 0; round < 3000; round++) {
		struct arc a = {malloc(good.n), good.n};
		struct sd_bundle *b = NULL;
		memcpy(a.p, good.p, good.n);
		int flips = 1 + round % 8;
		for (int k = 0; k < flips; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t)(x % a.n);
			/* headers are where it matters: aim there often */
			if (round % 2)
				at = at / 512 * 512 + (size_t)(x >> 40) % 160;
			a.p[at % a.n] = (uint8_t)(x >> 24);
		}
		if (round % 5 == 0)
			a.n = (size_t)((x >> 8) % a.n);
		(void)open_buf(a.p, a.n, &b);
		sd_bundle_free(b);
		free(a.p);
	}
	free(good.p);
	CHECK(tf_entries() == 0);
}

#if HAVE_ZSTD
TEST(zstd_damage)
{
	struct arc good = write_bundle(true);
	uint64_t x = 12345;

	for (int round = 0; round < 500; round++) {
		struct arc a = {malloc(good.n), good.n};
		struct sd_bundle *b = NULL;
		memcpy(a.p, good.p, good.n);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t at = 4 + (size_t)(x % (a.n - 4));
		a.p[at] ^= (uint8_t)(1 + (x >> 32) % 255);
		int err = open_buf(a.p, a.n, &b);
		/* the frame checksum catches what the tar layer does not */
		CHECK(err || sd_bundle_diags(b)->n == 0);
		sd_bundle_free(b);
		free(a.p);
	}
	free(good.p);
	CHECK(tf_entries() == 0);
}
#endif

TEST(host_text)
{
	struct sd_host *h = NULL;
	struct sd_diags d;
	char *big = malloc(10000);

	memset(big, 'x', 9999);
	big[9999] = 0;
	sd_diags_init(&d);
	/* garbage, long lines, no final newline, numbers too big */
	static const char sw[] = "Filename Type Size Used Priority\n"
				 "/a file 1 2\n/b file x 2 3\n"
				 "/c file 99999999999999999999999 1 1\n/d file 1 1 1";
	static const char mi[] = "MemTotal: lots kB\nSwapTotal:\n: 5\nSwapFree: 7 kB";
	static const char sy[] = "vm.swappiness=60\nvm. = 1\nnet.x = 1\n"
				 "vm.swappiness = 200";
	static const char pr[] = "1\tbash\n2\tx\t-1\t1\nabc\tz\t1\t1\n"
				 "4294967296\tbig\t1\t1\n5\tctl\x01\t10\t-1\n";
	CHECK(!sd_host_parse(sw, strlen(sw), mi, strlen(mi), sy, strlen(sy),
			     pr, strlen(pr), &d, &h));
	CHECK_U64(h->nr_swaps, 1);
	CHECK_STR(h->swaps[0].name, "/d");
	CHECK(h->mem_total_kib == -1);
	CHECK(h->swap_free_kib == 7);
	CHECK(h->swappiness == 200);
	CHECK_U64(h->nr_procs, 1);
	CHECK_STR(h->procs[0].comm, "ctl?");
	CHECK(h->procs[0].rss_kib == -1);
	CHECK_U64(d.n, 4); /* one warning per member */
	sd_host_free(h);
	sd_diags_clear(&d);
	CHECK(!sd_host_parse(big, 9999, big, 9999, big, 9999, big, 9999, &d, &h));
	CHECK(h->nr_swaps == 0 && h->nr_procs == 0 && h->nr_vm == 0);
	sd_host_free(h);
	sd_diags_clear(&d);
	free(big);
}

TEST(collect)
{
	char *t = NULL;
	size_t n;
	int64_t forks = -1;

	/* this machine's own /proc: shapes, not values */
	if (sd_host_collect_sysctl("/proc/sys/vm", "vm", &t, &n))
		SKIP("no /proc/sys/vm");
	CHECK(strstr(t, "vm.swappiness = ") != NULL);
	free(t);
	CHECK(!sd_host_collect_procs("/proc", 20, &t, &n));
	CHECK(!strncmp(t, "# ", 2));
	struct sd_host *h = NULL;
	CHECK(!sd_host_parse(NULL, 0, NULL, 0, NULL, 0, t, n, NULL, &h));
	CHECK(h && h->nr_procs <= 20);
	for (size_t i = 0; h && i < h->nr_procs; i++)
		CHECK(h->procs[i].swap_kib > 0);
	sd_host_free(h);
	free(t);
	CHECK(!sd_host_forks_since_boot("/proc/stat", &forks));
	CHECK(forks > 0);
	CHECK(sd_host_read_file("/proc/meminfo", 16, &t, &n) == -EFBIG);
}

int main(void)
{
	if (!tf_make("/tmp/sd-test-bundle."))
		return 99;
	RUN(writer_output_is_ustar);
	RUN(header_refuses);
	RUN(round_trip_plain);
	RUN(round_trip_zstd);
	RUN(probe);
	RUN(truncated);
	RUN(names_that_leave);
	RUN(links_and_specials);
	RUN(huge_sizes);
	RUN(manifests);
	RUN(duplicates_and_unknown);
	RUN(random_damage);
#if HAVE_ZSTD
	RUN(zstd_damage);
#endif
	RUN(host_text);
	RUN(collect);
	rmdir(tf_dir);
	return test_exit();
}
