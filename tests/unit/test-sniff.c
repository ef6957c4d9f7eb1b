/* SPDX-License-Identifier: MIT */
/*
 * The input sniffed once (sd_input_sniff(), sd_analysis_run()): each kind
 * told by its first bytes as the formats define them (perf's magic
 * "PERFILE2" and its header size, 104 for a file and 16 for a pipe, in
 * the file's byte order; zstd's frame magic 0xFD2FB528; "ustar" at byte
 * 257 of a tar header), and no retry as another kind: damaged perf.data is
 * the reader's error, text too short for a perf.data header is text; a
 * bundle file is analysed as its perf.data with its kallsyms, exactly as
 * that perf.data with those kallsyms named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include <swapdiag/analysis.h>
#include <swapdiag/bundle.h>

#include "test.h"

static const char *testdata;

/* A perf.data header start: the magic in the byte order be (big-endian
 * writes "2ELIFREP"), then the header size in that order. */
static void perf_head(unsigned char *b, bool be, uint64_t size)
{
	memcpy(b, be ? "2ELIFREP" : "PERFILE2", 8);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (unsigned char)(size >> (8 * (be ? 7 - i : i)));
}

TEST(sniff_perf_data_both_orders_and_modes)
{
	unsigned char b[104] = {0};

	perf_head(b, false, 104);
	CHECK_U64(sd_input_sniff(b, sizeof b), SD_INPUT_PERF_FILE);
	perf_head(b, true, 104);
	CHECK_U64(sd_input_sniff(b, sizeof b), SD_INPUT_PERF_FILE);
	perf_head(b, false, 16);
	CHECK_U64(sd_input_sniff(b, 16), SD_INPUT_PERF_PIPE);
	perf_head(b, true, 16);
	CHECK_U64(sd_input_sniff(b, 16), SD_INPUT_PERF_PIPE);
	/* a file cut inside its magic is still perf.data: the reader says
	 * it is cut, nobody parses it as text */
	CHECK_U64(sd_input_sniff("PERF", 4), SD_INPUT_PERF_FILE);
	CHECK_U64(sd_input_sniff("2ELI", 4), SD_INPUT_PERF_FILE);
	/* perf before 2.6.37: perf.data the reader refuses by name */
	CHECK_U64(sd_input_sniff("PERFFILE\x68\0\0\0\0\0\0\0", 16),
		  SD_INPUT_PERF_FILE);
}

TEST(sniff_bundles)
{
	static const unsigned char zstd[8] = {0x28, 0xb5, 0x2f, 0xfd, 0x24};
	unsigned char tar[512] = "manifest.json";

	CHECK_U64(sd_input_sniff(zstd, sizeof zstd), SD_INPUT_BUNDLE);
	memcpy(tar + 257, "ustar\0" "00", 8);
	CHECK_U64(sd_input_sniff(tar, sizeof tar), SD_INPUT_BUNDLE);
	/* "ustar" anywhere else is not a tar header */
	memset(tar, 'a', sizeof tar);
	memcpy(tar + 100, "ustar", 5);
	CHECK(sd_input_sniff(tar, sizeof tar) != SD_INPUT_BUNDLE);
}

TEST(sniff_text_kinds)
{
	static const char folded[] = "bash;main;fork 3\nbash;main 1\n";
	static const char script[] =
		"perf  9512 [000]   640.374340:  sched:sched_switch: "
		"prev_comm=perf prev_pid=9512 prev_prio=120 prev_state=D ==> "
		"next_comm=migration/0 next_pid=18 next_prio=0\n"
		"\tffffffff82265ec8 __schedule+0x628 ([kernel.kallsyms])\n\n";
	static const char report[] =
		"# Samples: 1K of event 'cpu-clock'\n#\n"
		"    29.39%  httpd  [kernel.kallsyms]  [k] _spin_lock\n";

	CHECK_U64(sd_input_sniff(folded, strlen(folded)), SD_INPUT_FOLDED);
	CHECK_U64(sd_input_sniff(script, strlen(script)), SD_INPUT_PERF_SCRIPT);
	CHECK_U64(sd_input_sniff(report, strlen(report)), SD_INPUT_PERF_REPORT);
	CHECK_U64(sd_input_sniff("", 0), SD_INPUT_UNKNOWN);
	CHECK_U64(sd_input_sniff("hello, world\n", 13), SD_INPUT_UNKNOWN);
	CHECK_U64(sd_input_sniff("bash;main 1\0\1", 14), SD_INPUT_UNKNOWN);
}

TEST(kind_names_are_the_json_modes)
{
	CHECK_STR(sd_input_kind_name(SD_INPUT_PERF_FILE), "perf.data");
	CHECK_STR(sd_input_kind_name(SD_INPUT_PERF_PIPE), "perf.data");
	CHECK_STR(sd_input_kind_name(SD_INPUT_PERF_SCRIPT), "perf-script");
	CHECK_STR(sd_input_kind_name(SD_INPUT_FOLDED), "folded");
	CHECK_STR(sd_input_kind_name(SD_INPUT_PERF_REPORT), "perf-report");
	CHECK(sd_input_is_perf_data(SD_INPUT_PERF_PIPE));
	CHECK(!sd_input_is_perf_data(SD_INPUT_FOLDED));
	CHECK(sd_input_is_text(SD_INPUT_PERF_REPORT));
	CHECK(!sd_input_is_text(SD_INPUT_BUNDLE));
}

/* The first SD_INPUT_SNIFF_BYTES of a testdata file, sniffed. */
static enum sd_input_kind sniff_file(const char *rel)
{
	static unsigned char head[SD_INPUT_SNIFF_BYTES];
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", testdata, rel);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return (enum sd_input_kind)-1;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return sd_input_sniff(head, n > 0 ? (size_t)n : 0);
}

TEST(sniff_the_recordings)
{
	if (!testdata)
		SKIP("no testdata directory given");
	CHECK_U64(sniff_file("swapstorm.data"), SD_INPUT_PERF_FILE);
	CHECK_U64(sniff_file("swapstorm-pipe.data"), SD_INPUT_PERF_PIPE);
	CHECK_U64(sniff_file("synthetic/be-callchain.data"), SD_INPUT_PERF_FILE);
	CHECK_U64(sniff_file("synthetic/be-callchain.pipe.data"),
		  SD_INPUT_PERF_PIPE);
	CHECK_U64(sniff_file("swapstorm.folded"), SD_INPUT_FOLDED);
	CHECK_U64(sniff_file("text/rhel6-seed.report-caller.txt"),
		  SD_INPUT_PERF_REPORT);
	CHECK_U64(sniff_file("text/apache-cgi.script.zst"), SD_INPUT_BUNDLE);
}

static int run_buf(const char *buf, size_t len, struct sd_diags *why,
		   struct sd_analysis **a)
{
	struct sd_analysis_opts o = {
		.path = "buf", .buf = buf, .len = len, .no_symbols = true,
	};
	return sd_analysis_run(&o, why, a);
}

static bool diags_say(const struct sd_diags *d, const char *what)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].text && strstr(d->v[i].text, what))
			return true;
	return false;
}

TEST(damaged_perf_data_stays_perf_data)
{
	/* perf's magic, cut short by what reads as a folded line: once the
	 * reader's "truncated" made it retried as text (and analysed as the
	 * folded stack "PERFILE2_a;b 3"); now it is cut perf.data */
	static const char b[] = "PERFILE2 a;b 3\n";
	struct sd_diags why;
	struct sd_analysis *a = NULL;

	sd_diags_init(&why);
	int err = run_buf(b, sizeof b - 1, &why, &a);
	CHECK_U64(err, (uint64_t)-SD_E_TRUNCATED);
	CHECK(a == NULL);
	CHECK(diags_say(&why, "shorter than a perf.data header"));
	CHECK(!diags_say(&why, "folded"));
	sd_analysis_free(a);
	sd_diags_clear(&why);
}

TEST(short_text_stays_text)
{
	/* shorter than a perf.data header: once cut short perf.data to the
	 * reader, now folded text from the first byte */
	static const char b[] = "bash;main;fork 3\n";
	struct sd_diags why;
	struct sd_analysis *a = NULL;

	sd_diags_init(&why);
	int err = run_buf(b, sizeof b - 1, &why, &a);
	CHECK_U64(err, 0);
	if (!err) {
		CHECK_U64(a->input_kind, SD_INPUT_FOLDED);
		CHECK(a->reader == NULL);
		CHECK_U64(a->samples, 3);
		CHECK_U64(sd_stacks_count(a->stacks), 1);
	}
	sd_analysis_free(a);
	sd_diags_clear(&why);
}

TEST(unknown_and_bundle_inputs_are_refused_with_why)
{
	static const unsigned char zstd[8] = {0x28, 0xb5, 0x2f, 0xfd, 0x24};
	struct sd_diags why;
	struct sd_analysis *a = NULL;

	sd_diags_init(&why);
	CHECK_U64(run_buf("hello, world\n", 13, &why, &a),
		  (uint64_t)-SD_E_BAD_MAGIC);
	CHECK(diags_say(&why, "neither perf.data"));
	sd_diags_clear(&why);
	CHECK_U64(run_buf((const char *)zstd, sizeof zstd, &why, &a),
		  (uint64_t)-SD_E_BAD_MAGIC);
	CHECK(diags_say(&why, "zstd-compressed data or a tar archive"));
	CHECK(a == NULL);
	sd_diags_clear(&why);
}

TEST(text_on_a_pipe)
{
	/* standard input is a pipe: looked at with tee(2), then read */
	static const char b[] = "bash;main;fork 2\nsh;main 5\n";
	int p[2], saved = dup(STDIN_FILENO);
	struct sd_diags why;
	struct sd_analysis *a = NULL;

	if (saved < 0 || pipe(p))
		SKIP("no pipe");
	CHECK_U64(write(p[1], b, sizeof b - 1), sizeof b - 1);
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	sd_diags_init(&why);
	struct sd_analysis_opts o = {.path = "-", .no_symbols = true};
	int err = sd_analysis_run(&o, &why, &a);
	dup2(saved, STDIN_FILENO);
	close(saved);
	CHECK_U64(err, 0);
	if (!err) {
		CHECK_U64(a->input_kind, SD_INPUT_FOLDED);
		CHECK(sd_analysis_info(a)->pipe);
		CHECK_U64(a->samples, 7);
	}
	sd_analysis_free(a);
	sd_diags_clear(&why);
}

/* Entries in dir (0 empty, -1 cannot be read). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
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

static int add_file(struct sd_bundle_writer *w, const char *name,
		    const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", testdata, rel);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	int err = sd_bundle_writer_add_fd(w, name, fd, 0);
	close(fd);
	return err;
}

/* The analysis of path (no build-id cache, no running kernel). */
static int analyse(const char *path, const char *kallsyms,
		   struct sd_analysis **a)
{
	struct sd_analysis_opts o = {.path = path};
	o.symbols.kallsyms = kallsyms;
	o.symbols.buildid_dir = "/nonexistent";
	return sd_analysis_run(&o, NULL, a);
}

TEST(a_bundle_file_is_its_perf_data_with_its_kallsyms)
{
	static const char manifest[] =
		"{\"format\": \"" SD_BUNDLE_FORMAT "\", \"created\": "
		"\"2025-01-02T03:04:05Z\", \"record_command\": "
		"\"perf record -a -g\", \"duration_s\": 1.0}";
	char dir[] = "/tmp/sd-test-sniff.XXXXXX", tmp[64], path[96];
	struct sd_bundle_writer *w = NULL;
	struct sd_analysis *a = NULL, *b = NULL;

	if (!testdata)
		SKIP("no testdata directory given");
	if (!mkdtemp(dir))
		SKIP("no temporary directory");
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	snprintf(path, sizeof path, "%s/k" SD_BUNDLE_SUFFIX_TAR, dir);
	CHECK(!mkdir(tmp, 0700));
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_U64(sd_bundle_writer_new(fd, false, &w), 0);
	CHECK_U64(sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST, manifest,
				       sizeof manifest - 1, 0), 0);
	CHECK_U64(add_file(w, SD_BUNDLE_KALLSYMS,
			   "synthetic/kitchen-sink.kallsyms"), 0);
	CHECK_U64(add_file(w, SD_BUNDLE_PERF_DATA,
			   "synthetic/kitchen-sink.data"), 0);
	CHECK_U64(sd_bundle_writer_finish(w), 0);
	sd_bundle_writer_free(w);
	close(fd);

	/* the bundle, and its perf.data with its kallsyms named */
	setenv("TMPDIR", tmp, 1);
	int err = analyse(path, NULL, &a);
	CHECK_U64(err, 0);
	char ks[4096];
	snprintf(ks, sizeof ks, "%s/synthetic/kitchen-sink.kallsyms", testdata);
	snprintf(path, sizeof path, "%s/synthetic/kitchen-sink.data", testdata);
	CHECK_U64(analyse(path, ks, &b), 0);
	if (!err && a && b) {
		CHECK(a->bundle != NULL);
		CHECK_U64(a->input_kind, SD_INPUT_PERF_FILE);
		CHECK_U64(sd_analysis_kernel_symbols(a)->source, SD_KSYM_BUNDLE);
		CHECK(b->samples > 0);
		CHECK_U64(a->samples, b->samples);
		CHECK_U64(sd_stacks_count(a->stacks), sd_stacks_count(b->stacks));
		CHECK(entries(tmp) > 0); /* extracted while it is analysed */
	}
	sd_analysis_free(a);
	sd_analysis_free(b);
	CHECK_U64(entries(tmp), 0); /* and gone with the analysis */
	unsetenv("TMPDIR");
	snprintf(path, sizeof path, "%s/k" SD_BUNDLE_SUFFIX_TAR, dir);
	unlink(path);
	rmdir(tmp);
	rmdir(dir);
}

TEST(a_compressed_file_that_is_no_bundle_is_refused)
{
	char path[4096];
	struct sd_diags why;
	struct sd_analysis *a = NULL;

	if (!testdata)
		SKIP("no testdata directory given");
	snprintf(path, sizeof path, "%s/text/apache-cgi.script.zst", testdata);
	sd_diags_init(&why);
	struct sd_analysis_opts o = {.path = path, .no_symbols = true};
	CHECK_U64(sd_analysis_run(&o, &why, &a), (uint64_t)-SD_E_BAD_MAGIC);
	CHECK(diags_say(&why, "but no bundle"));
	CHECK(a == NULL);
	sd_diags_clear(&why);
}

int main(int argc, char **argv)
{
	testdata = argc > 1 ? argv[1] : NULL;
	RUN(sniff_perf_data_both_orders_and_modes);
	RUN(sniff_bundles);
	RUN(sniff_text_kinds);
	RUN(kind_names_are_the_json_modes);
	RUN(sniff_the_recordings);
	RUN(damaged_perf_data_stays_perf_data);
	RUN(short_text_stays_text);
	RUN(unknown_and_bundle_inputs_are_refused_with_why);
	RUN(text_on_a_pipe);
	RUN(a_bundle_file_is_its_perf_data_with_its_kallsyms);
	RUN(a_compressed_file_that_is_no_bundle_is_refused);
	return test_exit();
}
