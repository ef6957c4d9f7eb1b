/* SPDX-License-Identifier: MIT */
/*
 * report: the JSON report's fields (man/swapdiag-report.5.scd) from a
 * hand-built diagnosis.  The diagnosis (swapdiag/detect.h) is built here
 * member by member, each number distinct, and each must come out in the
 * member the manual names, with nulls where it says a number is unknown.
 * The analysis beside it cannot be built by hand through the public API
 * (its readers, machine and stacks are made by sd_analysis_run()), so it
 * comes from the smallest public entry point: sd_analysis_run() on a
 * folded text written here, whose input facts (mode, event, sample count,
 * no byte order, no LOST counts) are checked too.
 *
 * The JSON is read back with jansson (a library dependency anyway).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>

#include "report/json_out.h"
#include "report/out.h"
#include "test.h"

/* 7 + 3 + 2 samples in three folded lines */
static const char folded_text[] =
	"bash;main;work 7\n"
	"httpd;main;fork;copy_page_range;swap_duplicate 3\n"
	"top;read;environ_read 2\n";

static struct sd_analysis *analysis(void)
{
	struct sd_analysis_opts o = {
		.path = "in.folded",
		.buf = folded_text,
		.len = sizeof folded_text - 1,
		.no_symbols = true,
	};
	struct sd_analysis *a = NULL;
	CHECK(sd_analysis_run(&o, NULL, &a) == 0);
	return a;
}

/* The hand-built diagnosis: every member the JSON shows, distinct. */
static uint32_t pids_a[] = {200, 201};
static uint32_t pids_f[] = {200};
static char *path_frames[] = {"entry_SYSCALL_64", "copy_page_range",
			      "swap_duplicate"};
static char *site_frames[] = {"main", "run_cgi"};
static double timeline[] = {0.125, 0.5, 0.0};
static struct sd_name_count execs[] = {{"/bin/sh", 40}, {"/usr/bin/perl", 2}};
static char *hot_frames[] = {"kernel_clone", "copy_page_range"};

static void diagnosis(struct sd_diagnosis *d, struct sd_finding f[2],
		      const struct sd_remedy **rem, struct sd_remedy_fit *fit)
{
	static struct sd_process procs[] = {{
		.comm = "httpd", .pids = pids_a, .nr_pids = 2,
		.nr_pids_total = 3, .samples = 100, .share = 0.2,
	}};
	static struct sd_path paths[] = {{path_frames, 3, 77}};
	static struct sd_fork_site sites[] = {{"httpd", site_frames, 2,
					       "fork", 90}};
	static struct sd_forker forkers[] = {{
		.exe = "/usr/sbin/httpd", .comm = "httpd", .pids = pids_f,
		.nr_pids = 1, .nr_pids_total = 1, .forks = 42,
		.forks_per_s = 4.25, .samples = 99, .cpu_ms = 21.5,
		.cpu_ms_per_fork = NAN, .swap_kib = -1, .execs = execs,
		.nr_execs = 2,
	}};
	static struct sd_victim victims[] = {
		{"top", 300, 1, 25.0, 25.0},
		{"pgrep", 302, 1, NAN, NAN},
		{"\xff", 303, 1, 1.0, 1.0}, /* not UTF-8: left out */
	};
	static struct sd_holder holders[] = {{"httpd", 200, 12, 2,
					      SD_TIE_CONTENTION}};
	static struct sd_lock_group locks[] = {{
		.address = 0xffff888100001000ull, .stalls = 2,
		.blocked_ms = 65.0, .max_ms = 40.0, .has_holder = true,
		.holder_pid = 200, .holder_comm = "httpd",
		.tie = SD_TIE_ADDRESS_TIME,
	}};
	static struct sd_hot_proc hp[] = {{"httpd", NULL, 100, 0.2}};
	static struct sd_hot_path hpath[] = {{"fork page-table copying",
					      hot_frames, 2, 150, 0.3}};
	static const struct sd_remedy r0 = {"posix_spawn", "use posix_spawn"};
	static char *applies[] = {"httpd"};
	static char *notes[] = {"note one"};

	memset(f, 0, 2 * sizeof *f);
	f[0] = (struct sd_finding){
		.kind = SD_FIND_SWAP_DUP_FORK,
		.level = SD_LEVEL_CRITICAL,
		.title = "fork copies swap entries",
		.why = "the why",
		.share = 0.25,
		.samples = 123,
		.procs = procs, .nr_procs = 1,
		.paths = paths, .nr_paths = 1,
		.context_name = "all fork page-table copying",
		.context_samples = 150,
		.context_share = 0.3,
		.timeline = timeline, .nr_timeline = 3,
		.timeline_start = 5000000000ull,
		.lock_share = 0.125,
		.lock_contended_share = 0.0625,
		.lock_note = "the lock note",
		.forkers = forkers, .nr_forkers = 1,
		.fork_sites = sites, .nr_fork_sites = 1,
	};
	f[1] = (struct sd_finding){
		.kind = SD_FIND_MMAP_LOCK_STALL,
		.level = SD_LEVEL_WARNING,
		.title = "readers stalled",
		.why = "the stall why",
		.stalls = 3,
		.stalls_unfinished = 1,
		.durations_known = true,
		.blocked_ms_total = 65.0,
		.blocked_ms_max = 40.0,
		.victims = victims, .nr_victims = 3,
		.holders = holders, .nr_holders = 1,
		.locks_known = true,
		.locks = locks, .nr_locks = 1, .nr_locks_total = 4,
		.stalls_tied = 2,
	};
	rem[0] = &r0;
	fit[0] = (struct sd_remedy_fit){applies, 1, "one process forks"};
	*d = (struct sd_diagnosis){
		.level = SD_LEVEL_CRITICAL,
		.verdict = "CRITICAL: hand-built verdict",
		.era = "4.11 - 6.13",
		.lock = "the swap lock",
		.era_source = "recording",
		.swap_share = 0.25,
		.swap_level = SD_LEVEL_WARNING,
		.findings = f, .nr_findings = 2,
		.remedies = rem, .fits = fit, .nr_remedies = 1,
		.hot_procs = hp, .nr_hot_procs = 1,
		.hot_paths = hpath, .nr_hot_paths = 1,
		.notes = notes, .nr_notes = 1,
		.damage_offset = UINT64_MAX,
	};
}

static json_t *report(const struct sd_analysis *a,
		      const struct sd_diagnosis *d)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	json_error_t e;

	CHECK(f != NULL);
	if (!f)
		return NULL;
	CHECK(sd_report_json(f, a, d, "in.folded") == 0);
	fclose(f);
	json_t *doc = json_loadb(buf, n, 0, &e);
	if (!doc)
		fprintf(stderr, "not JSON: %s (line %d)\n", e.text, e.line);
	if (getenv("SD_TEST_DUMP"))
		fwrite(buf, 1, n, stderr);
	free(buf);
	CHECK(doc != NULL);
	return doc;
}

/* A member by a path of keys and array indexes: "findings.0.share". */
static json_t *at(json_t *doc, const char *path)
{
	char key[64];
	json_t *v = doc;

	while (v && *path) {
		size_t k = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)k, path);
		path += k + (path[k] == '.');
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
	}
	if (!v)
		fprintf(stderr, "no member %s\n", key);
	return v;
}

static void check_int(json_t *doc, const char *path, long long want,
		      int line)
{
	json_t *v = at(doc, path);
	t_checks++;
	if (!json_is_integer(v) || json_integer_value(v) != want) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s is not %lld\n", __FILE__, line, path,
			want);
	}
}

static void check_real(json_t *doc, const char *path, double want, int line)
{
	json_t *v = at(doc, path);
	t_checks++;
	if (!json_is_number(v) || fabs(json_number_value(v) - want) > 1e-6) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s is %g, not %g\n", __FILE__, line,
			path, v ? json_number_value(v) : NAN, want);
	}
}

static void check_str(json_t *doc, const char *path, const char *want,
		      int line)
{
	json_t *v = at(doc, path);
	t_checks++;
	if (!json_is_string(v) || strcmp(json_string_value(v), want)) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s is '%s', not '%s'\n", __FILE__, line,
			path, json_is_string(v) ? json_string_value(v) : "?",
			want);
	}
}

static void check_null(json_t *doc, const char *path, int line)
{
	json_t *v = at(doc, path);
	t_checks++;
	if (!json_is_null(v)) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s is not null\n", __FILE__, line, path);
	}
}

static void check_size(json_t *doc, const char *path, size_t want, int line)
{
	json_t *v = at(doc, path);
	size_t n = json_is_array(v) ? json_array_size(v) : (size_t)-1;
	t_checks++;
	if (n != want) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s has %zd elements, not %zu\n",
			__FILE__, line, path, (ssize_t)n, want);
	}
}

#define INT(p, w) check_int(doc, p, w, __LINE__)
#define REAL(p, w) check_real(doc, p, w, __LINE__)
#define STR(p, w) check_str(doc, p, w, __LINE__)
#define NUL(p) check_null(doc, p, __LINE__)
#define SIZE(p, w) check_size(doc, p, w, __LINE__)

TEST(top_level_and_input)
{
	struct sd_analysis *a = analysis();
	struct sd_diagnosis d;
	struct sd_finding f[2];
	const struct sd_remedy *rem[1];
	struct sd_remedy_fit fit[1];
	if (!a)
		return;
	diagnosis(&d, f, rem, fit);
	json_t *doc = report(a, &d);
	if (!doc) {
		sd_analysis_free(a);
		return;
	}
	STR("schema", SD_REPORT_SCHEMA);
	STR("schema", "swapdiag-report/1");
	STR("verdict", "CRITICAL: hand-built verdict");
	/* the highest level's name, lower case */
	STR("severity", "critical");
	STR("kernel_era", "4.11 - 6.13");
	STR("kernel_era_source", "recording");
	STR("swap_lock", "the swap lock");
	REAL("swap_entry.share", 0.25);
	STR("swap_entry.severity", "warning");
	NUL("host"); /* not a bundle */
	SIZE("findings", 2);
	SIZE("notes", 1);
	STR("notes.0", "note one");
	SIZE("remedies", 1);
	STR("remedies.0.id", "posix_spawn");
	STR("remedies.0.text", "use posix_spawn");
	STR("remedies.0.applies_to.0", "httpd");
	STR("remedies.0.because", "one process forks");
	STR("hot.processes.0.comm", "httpd");
	NUL("hot.processes.0.exe");
	INT("hot.processes.0.samples", 100);
	REAL("hot.processes.0.share", 0.2);
	STR("hot.kernel_paths.0.name", "fork page-table copying");
	STR("hot.kernel_paths.0.frames.1", "copy_page_range");
	INT("hot.kernel_paths.0.samples", 150);
	REAL("hot.kernel_paths.0.share", 0.3);

	/* the input: what the folded text says, and nulls for what text
	 * cannot say */
	STR("input.path", "in.folded");
	STR("input.mode", "folded");
	NUL("input.byte_order");
	NUL("input.lost_events");
	NUL("input.lost_samples");
	NUL("input.nr_cpus");
	NUL("input.duration_s"); /* no sample times */
	NUL("input.damage");
	NUL("input.time_window");
	SIZE("input.events", 1);
	INT("input.events.0.samples", 7 + 3 + 2);
	STR("input.kernel_symbols.source", "none");
	json_t *tr = at(doc, "input.truncated");
	CHECK(json_is_false(tr));
	json_decref(doc);

	/* damage: offset and message; unknown offset is null */
	d.damage = "cut at byte 4096";
	d.damage_offset = 4096;
	doc = report(a, &d);
	INT("input.damage.offset", 4096);
	STR("input.damage.message", "cut at byte 4096");
	json_decref(doc);
	d.damage_offset = UINT64_MAX;
	doc = report(a, &d);
	NUL("input.damage.offset");
	json_decref(doc);

	/* nothing found: severity "ok", no swap_entry, empty findings */
	d = (struct sd_diagnosis){.verdict = "OK: nothing", .level =
				  SD_LEVEL_NONE, .damage_offset = UINT64_MAX};
	doc = report(a, &d);
	STR("severity", "ok");
	NUL("swap_entry");
	SIZE("findings", 0);
	SIZE("remedies", 0);
	json_decref(doc);
	/* nothing could be judged: "unknown", never "ok" or "none" */
	d.unknown = true;
	doc = report(a, &d);
	STR("severity", "unknown");
	json_decref(doc);
	sd_analysis_free(a);
}

TEST(on_cpu_finding)
{
	struct sd_analysis *a = analysis();
	struct sd_diagnosis d;
	struct sd_finding f[2];
	const struct sd_remedy *rem[1];
	struct sd_remedy_fit fit[1];
	if (!a)
		return;
	diagnosis(&d, f, rem, fit);
	json_t *doc = report(a, &d);
	if (!doc) {
		sd_analysis_free(a);
		return;
	}
	STR("findings.0.id", "swap_dup_fork");
	STR("findings.0.severity", "critical");
	STR("findings.0.title", "fork copies swap entries");
	STR("findings.0.why", "the why");
	INT("findings.0.samples", 123);
	REAL("findings.0.share", 0.25);
	STR("findings.0.processes.0.comm", "httpd");
	SIZE("findings.0.processes.0.pids", 2);
	INT("findings.0.processes.0.pids.1", 201);
	INT("findings.0.processes.0.nr_pids", 3); /* all of them */
	INT("findings.0.processes.0.samples", 100);
	REAL("findings.0.processes.0.share", 0.2);
	SIZE("findings.0.paths.0.frames", 3);
	STR("findings.0.paths.0.frames.0", "entry_SYSCALL_64");
	STR("findings.0.paths.0.frames.2", "swap_duplicate");
	INT("findings.0.paths.0.samples", 77);
	STR("findings.0.context.name", "all fork page-table copying");
	INT("findings.0.context.samples", 150);
	REAL("findings.0.context.share", 0.3);
	REAL("findings.0.timeline.bucket_s", 1);
	REAL("findings.0.timeline.start_s", 5.0);
	SIZE("findings.0.timeline.share", 3);
	REAL("findings.0.timeline.share.0", 0.125);
	REAL("findings.0.timeline.share.1", 0.5);
	REAL("findings.0.lock_share", 0.125);
	REAL("findings.0.lock_contended_share", 0.0625);
	STR("findings.0.lock_note", "the lock note");
	STR("findings.0.fork_sites.0.comm", "httpd");
	STR("findings.0.fork_sites.0.frames.1", "run_cgi");
	STR("findings.0.fork_sites.0.entry", "fork");
	INT("findings.0.fork_sites.0.samples", 90);
	STR("findings.0.forkers.0.exe", "/usr/sbin/httpd");
	STR("findings.0.forkers.0.comm", "httpd");
	INT("findings.0.forkers.0.pids.0", 200);
	INT("findings.0.forkers.0.nr_pids", 1);
	INT("findings.0.forkers.0.forks", 42);
	REAL("findings.0.forkers.0.forks_per_s", 4.25);
	INT("findings.0.forkers.0.samples", 99);
	REAL("findings.0.forkers.0.cpu_ms", 21.5);
	NUL("findings.0.forkers.0.cpu_ms_per_fork"); /* NAN: unknown */
	NUL("findings.0.forkers.0.vmswap_kib");      /* -1: no bundle */
	STR("findings.0.forkers.0.execs.0.exe", "/bin/sh");
	INT("findings.0.forkers.0.execs.0.count", 40);
	INT("findings.0.forkers.0.execs.1.count", 2);
	/* stall members are not on an on-CPU finding */
	CHECK(!json_object_get(at(doc, "findings.0"), "stalls"));
	json_decref(doc);
	sd_analysis_free(a);
}

TEST(stall_finding)
{
	struct sd_analysis *a = analysis();
	struct sd_diagnosis d;
	struct sd_finding f[2];
	const struct sd_remedy *rem[1];
	struct sd_remedy_fit fit[1];
	if (!a)
		return;
	diagnosis(&d, f, rem, fit);
	json_t *doc = report(a, &d);
	if (!doc) {
		sd_analysis_free(a);
		return;
	}
	STR("findings.1.id", "mmap_lock_stall");
	STR("findings.1.severity", "warning");
	/* stall findings: samples are the sleeps; share, context and
	 * timeline null */
	INT("findings.1.samples", 3);
	NUL("findings.1.share");
	NUL("findings.1.context");
	NUL("findings.1.timeline");
	INT("findings.1.stalls", 3);
	INT("findings.1.stalls_without_wakeup", 1);
	CHECK(json_is_true(at(doc, "findings.1.durations_known")));
	REAL("findings.1.blocked_ms_total", 65.0);
	REAL("findings.1.blocked_ms_max", 40.0);
	SIZE("findings.1.victims", 2);
	STR("findings.1.victims.0.comm", "top");
	INT("findings.1.victims.0.pid", 300);
	INT("findings.1.victims.0.stalls", 1);
	REAL("findings.1.victims.0.blocked_ms", 25.0);
	REAL("findings.1.victims.0.max_ms", 25.0);
	NUL("findings.1.victims.1.blocked_ms"); /* no wake-up recorded */
	NUL("findings.1.victims.1.max_ms");
	INT("findings.1.victims.1.pid", 302);
	/* the members in json_pack()'s order */
	{
		static const char *const keys[] = {"comm", "pid", "stalls",
						   "blocked_ms", "max_ms"};
		json_t *v0 = at(doc, "findings.1.victims.0");
		void *it = v0 ? json_object_iter(v0) : NULL;
		for (size_t k = 0; k < 5; k++) {
			CHECK(it && !strcmp(json_object_iter_key(it), keys[k]));
			it = it ? json_object_iter_next(v0, it) : NULL;
		}
		CHECK(!it);
	}
	STR("findings.1.lock_holders.0.comm", "httpd");
	INT("findings.1.lock_holders.0.pid", 200);
	INT("findings.1.lock_holders.0.stalls", 2);
	INT("findings.1.lock_holders.0.samples", 12);
	STR("findings.1.lock_holders.0.tied_by", "contention");
	INT("findings.1.locks.objects", 4);
	INT("findings.1.locks.stalls_tied", 2);
	STR("findings.1.locks.top.0.address", "0xffff888100001000");
	INT("findings.1.locks.top.0.stalls", 2);
	REAL("findings.1.locks.top.0.blocked_ms", 65.0);
	REAL("findings.1.locks.top.0.max_ms", 40.0);
	STR("findings.1.locks.top.0.holder.comm", "httpd");
	INT("findings.1.locks.top.0.holder.pid", 200);
	STR("findings.1.locks.top.0.tied_by", "address+time");
	json_decref(doc);

	/* sampled sched_switch: durations unknown are null, never 0 */
	f[1].durations_known = false;
	f[1].blocked_ms_total = NAN;
	f[1].blocked_ms_max = NAN;
	f[1].locks_known = false;
	doc = report(a, &d);
	CHECK(json_is_false(at(doc, "findings.1.durations_known")));
	NUL("findings.1.blocked_ms_total");
	NUL("findings.1.blocked_ms_max");
	NUL("findings.1.locks");
	json_decref(doc);
	sd_analysis_free(a);
}


/*
 * The reports' buffered writer (report/out.h): what goes in comes out in
 * order, through a buffer smaller than some of the pieces (then written
 * past the buffer), numbers in decimal from 0 to UINT64_MAX.
 */
TEST(buffered_writer)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	char buf[8];
	struct sd_out o;

	CHECK(f != NULL);
	if (!f)
		return;
	sd_out_init(&o, f, buf, sizeof buf);
	sd_out_bytes(&o, "ab", 2);
	sd_out_u64(&o, 0);
	sd_out_bytes(&o, ";", 1);
	sd_out_u64(&o, 18446744073709551615ull); /* 20 digits > the buffer */
	sd_out_bytes(&o, " a longer piece than eight bytes ", 33);
	char *w = sd_out_room(&o, 3);
	CHECK(w != NULL);
	if (w) {
		memcpy(w, "xyz", 3);
		o.len += 3;
	}
	CHECK(sd_out_room(&o, 9) == NULL); /* more than the buffer holds */
	sd_out_u64(&o, 1234567);
	sd_out_bytes(&o, "\n", 1);
	sd_out_flush(&o);
	fclose(f);
	CHECK_STR(p, "ab0;18446744073709551615 a longer piece than eight "
		     "bytes xyz1234567\n");
	free(p);
}

/*
 * sd_out_dec() against printf: every power of ten and its neighbours,
 * both sides of 2^32 (where the 32-bit divisions take over) and of 2^64,
 * and a spread of others, each with its length and the digits first.
 */
TEST(decimal_as_printf_writes_it)
{
	uint64_t vals[200];
	size_t n = 0;
	uint64_t p = 1;

	for (int k = 0; k < 20; k++, p *= 10) {
		vals[n++] = p - 1;
		vals[n++] = p;
		vals[n++] = p + 1;
	}
	static const uint64_t more[] = {
		4294967295ull, 4294967296ull, 4294967297ull, 4294967199ull,
		4294967200ull, 42949672950ull, 18446744073709551615ull,
		18446744073709551516ull, 12345678901234567890ull, 500124,
		15753906, 99999999999ull, 1844674407370955161ull,
	};
	for (size_t i = 0; i < sizeof more / sizeof *more; i++)
		vals[n++] = more[i];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	while (n < sizeof vals / sizeof *vals) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		vals[n++] = x >> (x & 63);
	}
	for (size_t i = 0; i < n; i++) {
		char want[24], got[24];
		int len = snprintf(want, sizeof want, "%llu",
				   (unsigned long long)vals[i]);
		memset(got, 'x', sizeof got);
		size_t l = sd_out_dec(got, vals[i]);
		CHECK_U64(l, (uint64_t)len);
		got[l < 20 ? l : 20] = '\0';
		CHECK_STR(got, want);
	}
}

/* v through sd_json_out(), as text (NULL when it fails). */
static char *json_out_text(const json_t *v)
{
	char *text = NULL, buf[64]; /* small: many flushes */
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sd_out o;

	if (!f)
		return NULL;
	sd_out_init(&o, f, buf, sizeof buf);
	int err = sd_json_out(&o, v);
	sd_out_flush(&o);
	fclose(f);
	if (err) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * The report's JSON is written by sd_json_out() instead of json_dumps():
 * the same bytes for every kind of value -- containers nested and empty,
 * every control byte and the escaped ones in keys and strings, UTF-8,
 * integers to their limits, reals of every magnitude and form (the
 * exponent, ".0" on an integer, the digits rounded).
 */
TEST(json_written_as_jansson_writes_it)
{
	static const double reals[] = {
		0.0, -0.0, 1.0, -2.5, 100.0, 0.1, 1.0 / 3, 2.0 / 3, 0.5e-4,
		1e-5, 1.5e-5, 9.999995e-5, 0.000123456, 123.456789, 999999.5,
		1234567.0, 1e15, 1e16, 1e17, 1e20, 1.7976931348623157e308,
		5e-324, 2.2250738585072014e-308, 123456789012.0, 0.15, 0.03,
		0.005, 12.5, 1e100, -1e-100, 3.0e6, 314159.26535,
	};
	json_t *doc = json_object(), *arr = json_array(), *obj = json_object();
	char s[160];
	size_t k = 0;

	for (int c = 1; c < 128; c++)
		s[k++] = (char)c;
	memcpy(s + k, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	s[k + 9] = '\0';
	json_object_set_new(doc, s, json_string(s));
	json_object_set_new(doc, "empty object", json_object());
	json_object_set_new(doc, "empty array", json_array());
	json_object_set_new(doc, "empty string", json_string(""));
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
		json_array_append_new(arr, json_real(reals[i]));
	json_array_append_new(arr, json_integer(0));
	json_array_append_new(arr, json_integer(-7));
	json_array_append_new(arr, json_integer(INT64_MAX));
	json_array_append_new(arr, json_integer(INT64_MIN));
	json_array_append_new(arr, json_true());
	json_array_append_new(arr, json_false());
	json_array_append_new(arr, json_null());
	json_array_append_new(arr, json_array());
	json_object_set_new(obj, "inner", json_pack("{s:[i,{}],s:s}", "a", 1,
						   "b", "x\ty"));
	json_array_append_new(arr, obj);
	json_object_set_new(doc, "values", arr);

	char *want = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					     JSON_REAL_PRECISION(6));
	char *got = json_out_text(doc);
	CHECK(want != NULL && got != NULL);
	if (want && got)
		CHECK_STR(got, want);
	free(want);
	free(got);
	/* an array at the top, and what json_dumps() refuses */
	want = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				       JSON_REAL_PRECISION(6));
	got = json_out_text(arr);
	CHECK(want != NULL && got != NULL);
	if (want && got)
		CHECK_STR(got, want);
	free(want);
	free(got);
	/* a jansson that formats reals with %g has them written by
	 * sd_json_out() (its probe agrees), not one at a time by jansson */
	json_t *big = json_real(1234567.0);
	char fmt[32];
	size_t n = json_dumpb(big, fmt, sizeof fmt,
			      JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
	if (n == 9 && !memcmp(fmt, "1.23457e6", 9))
		CHECK(sd_json_out_own_reals());
	json_decref(big);
	CHECK(json_out_text(NULL) == NULL);
	json_t *one = json_integer(1);
	CHECK(json_out_text(one) == NULL);
	json_decref(one);
	json_decref(doc);
}

/* The next of a sequence of pseudo-random numbers (a 64-bit LCG's high
 * half). */
static uint32_t next_rand(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 32);
}

/*
 * Reals as jansson writes them, many of them: sd_json_out() writes most
 * with a formatter of its own (json_out.c, g6) that must give printf's
 * "%.6g" digit for digit -- at every decimal exponent from 1e-6 to 1e16
 * (the fixed and the exponent forms, the bounds where they change), six
 * digits and fewer (trailing zeros dropped), and next to the halves
 * where the sixth digit rounds up or not (ties of the binary value
 * included, which printf rounds to even).
 */
TEST(json_reals_as_printf_rounds_them)
{
	json_t *arr = json_array();
	uint64_t state = 42;

	for (int x = -6; x <= 16; x++) {
		double scale = pow(10, x - 5);
		for (int i = 0; i < 200; i++) {
			uint32_t d = 100000 + next_rand(&state) % 900000;
			double v = d * scale;
			double half = (d + 0.5) * scale;
			json_array_append_new(arr, json_real(v));
			json_array_append_new(arr, json_real(-v));
			json_array_append_new(arr, json_real(half));
			json_array_append_new(arr, json_real(nextafter(half, 0)));
			json_array_append_new(arr, json_real(nextafter(half, 1e300)));
			json_array_append_new(arr, json_real((d / 1000) * 1000 * scale));
			json_array_append_new(arr,
					      json_real(next_rand(&state) /
							4294967296.0 * 10 * scale * 1e5));
		}
		json_array_append_new(arr, json_real(pow(10, x)));
		json_array_append_new(arr, json_real(nextafter(pow(10, x), 0)));
		json_array_append_new(arr, json_real(999999.5 * scale));
		json_array_append_new(arr, json_real(999999.4999 * scale));
	}
	/* halves a double holds exactly */
	for (double v = 100000.5; v < 100010; v += 1)
		json_array_append_new(arr, json_real(v));
	json_array_append_new(arr, json_real(1234565.0));
	json_array_append_new(arr, json_real(1234575.0));
	json_array_append_new(arr, json_real(0.000122070312500));

	char *want = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					     JSON_REAL_PRECISION(6));
	char *got = json_out_text(arr);
	CHECK(want != NULL && got != NULL);
	if (want && got)
		CHECK_STR(got, want);
	free(want);
	free(got);
	json_decref(arr);
}

int main(void)
{
	RUN(buffered_writer);
	RUN(decimal_as_printf_writes_it);
	RUN(top_level_and_input);
	RUN(on_cpu_finding);
	RUN(stall_finding);
	RUN(json_written_as_jansson_writes_it);
	RUN(json_reals_as_printf_rounds_them);
	return test_exit();
}
