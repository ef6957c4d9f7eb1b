/* SPDX-License-Identifier: MIT */
/*
 * Forks and fork rates over the span the samples cover.  perf record -a
 * follows tasks while it synthesizes the running ones, so a busy
 * machine's file holds FORK records from before its first sample (and a
 * few after its last); a rate over the samples' span counts only the
 * FORK records between the first and the last sample, as perf script
 * --show-task-events shows them against the samples' times.
 *
 * The recording (built with pdbuild.h; stated here, the expected numbers
 * follow from it): a 2.6.32 kernel (testdata/synthetic/rhel6-seed.kallsyms);
 * httpd 1877 and bash 500, both named by COMM and MMAP records perf
 * synthesized at time 0 (executables /usr/sbin/httpd, /usr/bin/bash);
 * cpu-clock samples of period 1 ms, all of httpd in fork's swap-entry
 * copy, at 2.0 2.25 2.5 2.75 3.0 3.5 4.0 s.  FORK records (child pid at
 * time):
 *   httpd: 2999 at 0 (synthesized: never a fork of the recording),
 *          3001 1.0 s, 3002 1.1 s, 3003 1.2 s (before the first sample),
 *          3004 2.0 s (= the first sample), 3005 2.5 s, 3006 3.0 s,
 *          3007 4.0 s (= the last sample),
 *          3008 4.5 s, 3009 5.0 s (after the last sample),
 *          and a thread 1877/1900 at 3.2 s (not a process);
 *   bash:  501 at 1.5 s (before), 502 at 3.7 s.
 * Between the first and the last sample (2.0 s .. 4.0 s, inclusive as
 * perf's bounds): httpd 4 forks, bash 1 -- 5 forks in 2 s; counting the
 * whole file would give httpd 9 and bash 2.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/timewin.h>

#include "analysis/internal.h"
#include "pdbuild.h"
#include "seedfix.h"
#include "test.h"

static const char *testdata = "testdata";

#define S 1000000000ull /* ns */
#define MS 1000000ull

#define N(a) (sizeof(a) / sizeof *(a))

static void sample(struct pd_buf *b, uint64_t time)
{
	pd_sample(b, ST,
		  &(struct pd_sample){.misc = SD_MISC_KERNEL,
				      .ip = fork_chain[1],
				      .id = {1877, 1877, time, 11, 1},
				      .period = MS,
				      .ips = fork_chain,
				      .nr_ips = N(fork_chain)});
}

static void fork_of(struct pd_buf *b, uint32_t child, uint32_t parent,
		    uint64_t time)
{
	pd_task(b, SD_REC_FORK, ST, child, parent, child, parent, time);
}

static void build(struct pd_buf *b)
{
	static const uint64_t ids[] = {11};
	const struct pd_event ev = {
		.attr = {.bytes = 112,
			 .type = SD_TYPE_SOFTWARE,
			 .config = 0, /* cpu-clock */
			 .period = MS,
			 .sample_type = ST,
			 .flags = SD_ATTR_SAMPLE_ID_ALL},
		.ids = ids,
		.nr_ids = 1,
	};
	const struct pd_ids kernel = {(uint32_t)-1, 0, 0, 11, 0};
	const struct pd_ids httpd = {1877, 1877, 0, 11, 1};
	const struct pd_ids bash = {500, 500, 0, 11, 0};
	size_t data = pd_file_begin(b, &ev, 1);

	/* what perf synthesizes at the start (time 0) */
	pd_mmap2(b, ST, SD_MISC_KERNEL, &kernel, K_TEXT, K_ETEXT - K_TEXT,
		 K_TEXT, "[kernel.kallsyms]_text");
	pd_comm(b, ST, &httpd, "httpd", false);
	pd_mmap2(b, ST, SD_MISC_USER, &httpd, 0x7f2a4c600000ull, 0x5b000, 0,
		 "/usr/sbin/httpd");
	pd_comm(b, ST, &bash, "bash", false);
	pd_mmap2(b, ST, SD_MISC_USER, &bash, 0x55d000000000ull, 0x100000, 0,
		 "/usr/bin/bash");
	fork_of(b, 2999, 1877, 0);
	pd_finished_round(b);
	/* perf follows tasks before the first sample */
	fork_of(b, 3001, 1877, 1 * S);
	fork_of(b, 3002, 1877, 1 * S + 100 * MS);
	fork_of(b, 3003, 1877, 1 * S + 200 * MS);
	fork_of(b, 501, 500, 1 * S + 500 * MS);
	pd_finished_round(b);
	/* the samples' span */
	fork_of(b, 3004, 1877, 2 * S);
	sample(b, 2 * S);
	sample(b, 2 * S + 250 * MS);
	fork_of(b, 3005, 1877, 2 * S + 500 * MS);
	sample(b, 2 * S + 500 * MS);
	sample(b, 2 * S + 750 * MS);
	sample(b, 3 * S);
	fork_of(b, 3006, 1877, 3 * S);
	pd_task(b, SD_REC_FORK, ST, 1877, 1877, 1900, 1877,
		3 * S + 200 * MS); /* a thread */
	sample(b, 3 * S + 500 * MS);
	fork_of(b, 502, 500, 3 * S + 700 * MS);
	sample(b, 4 * S);
	fork_of(b, 3007, 1877, 4 * S);
	pd_finished_round(b);
	/* and after the last one */
	fork_of(b, 3008, 1877, 4 * S + 500 * MS);
	fork_of(b, 3009, 1877, 5 * S);
	pd_finished_round(b);
	pd_file_end(b, data, "forks-host", "2.6.32-642.el6.x86_64");
}

static struct sd_analysis *analyse(const struct pd_buf *b,
				   const char *kallsyms, const char *window)
{
	struct sd_time_filter tf;
	char why[256];
	struct sd_analysis_opts opts = {
		.path = "forks.data",
		.buf = b->p,
		.len = b->len,
		.symbols = {.kallsyms = kallsyms,
			    .kallsyms_source = SD_KSYM_KALLSYMS,
			    .no_host_kernel = true,
			    .buildid_dir = "/nonexistent"},
	};
	struct sd_analysis *a = NULL;

	if (window) {
		CHECK_U64(sd_time_parse(window, &tf, why, sizeof why), 0);
		opts.time = &tf;
	}
	CHECK_U64(sd_analysis_run(&opts, NULL, &a), 0);
	if (a)
		CHECK_U64(a->read_error, 0);
	return a;
}

/* The diagnosis's fork count of comm (its processes in *pids). */
static uint64_t comm_forks(const struct sd_diagnosis *d, const char *comm,
			   size_t *pids)
{
	for (size_t i = 0; d && i < d->nr_forkers; i++)
		if (!strcmp(d->forkers[i].comm, comm)) {
			*pids = d->forkers[i].nr_pids;
			return d->forkers[i].forks;
		}
	*pids = 0;
	return 0;
}

static bool near(double x, double want)
{
	return fabs(x - want) < 1e-9 * (fabs(want) + 1);
}

TEST(forks_between_first_and_last_sample)
{
	char kallsyms[4096];
	struct pd_buf b = {.be = false};
	struct sd_diagnosis *d = NULL;
	size_t pids = 0;

	snprintf(kallsyms, sizeof kallsyms, "%s/synthetic/rhel6-seed.kallsyms",
		 testdata);
	build(&b);
	struct sd_analysis *a = analyse(&b, kallsyms, NULL);
	if (!a) {
		pd_buf_free(&b);
		return;
	}
	CHECK_U64(a->samples, 7);
	CHECK_U64(a->first_time, 2 * S);
	CHECK_U64(a->last_time, 4 * S);
	CHECK_U64(a->forks, 5);
	CHECK_U64(sd_diagnose(a, &d), 0);
	CHECK(d && d->forks_known);
	CHECK(d && near(d->duration_s, 2.0));
	CHECK_U64(d ? d->forks : 0, 5);
	CHECK_U64(comm_forks(d, "httpd", &pids), 4);
	CHECK_U64(pids, 1);
	CHECK_U64(comm_forks(d, "bash", &pids), 1);
	CHECK_U64(pids, 1);

	/* the forker of the fork-side finding: httpd's executable */
	const struct sd_finding *f =
		sd_diagnosis_finding(d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f && f->samples == 7 && f->nr_forkers == 1);
	if (f && f->nr_forkers == 1) {
		const struct sd_forker *k = &f->forkers[0];
		CHECK_STR(k->exe, "/usr/sbin/httpd");
		CHECK_STR(k->comm, "httpd");
		CHECK_U64(k->forks, 4);
		CHECK(k->nr_pids == 1 && k->pids[0] == 1877);
		CHECK(near(k->forks_per_s, 2.0)); /* 4 forks in 2 s */
		CHECK(near(k->cpu_ms, 7.0));      /* 7 samples of 1 ms */
		CHECK(near(k->cpu_ms_per_fork, 7.0 / 4));
	}
	sd_diagnosis_free(d);
	sd_analysis_free(a);
	pd_buf_free(&b);
}

/* --time 2.4,3.2: the samples at 2.5, 2.75 and 3.0 s; the forks inside
 * the window and between its first and last sample: 3005, 3006. */
TEST(forks_in_a_time_window)
{
	char kallsyms[4096];
	struct pd_buf b = {.be = false};
	struct sd_diagnosis *d = NULL;
	size_t pids = 0;

	snprintf(kallsyms, sizeof kallsyms, "%s/synthetic/rhel6-seed.kallsyms",
		 testdata);
	build(&b);
	struct sd_analysis *a = analyse(&b, kallsyms, "2.4,3.2");
	if (!a) {
		pd_buf_free(&b);
		return;
	}
	CHECK_U64(a->samples, 3);
	CHECK_U64(a->first_time, 2 * S + 500 * MS);
	CHECK_U64(a->last_time, 3 * S);
	CHECK_U64(sd_diagnose(a, &d), 0);
	CHECK(d && near(d->duration_s, 0.5));
	CHECK_U64(d ? d->forks : 0, 2);
	CHECK_U64(comm_forks(d, "httpd", &pids), 2);
	CHECK_U64(comm_forks(d, "bash", &pids), 0);
	const struct sd_finding *f =
		sd_diagnosis_finding(d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f && f->nr_forkers == 1 && f->forkers[0].forks == 2 &&
	      near(f->forkers[0].forks_per_s, 4.0) &&
	      near(f->forkers[0].cpu_ms_per_fork, 3.0 / 2));
	sd_diagnosis_free(d);
	sd_analysis_free(a);
	pd_buf_free(&b);
}

/*
 * The same rule on perf script text with --show-task-events (perf 6.1's
 * layout): what perf synthesized (time 0), a fork before the first sample
 * (10 s), one of a parent perf had no comm for -- perf prints the child's
 * comm, here its placeholder ":3002", so the forker is ":700", the
 * parent's placeholder, as the perf.data path names it (perf's
 * thread__new() names a thread ":TID") --, a named one, a thread, one
 * after the last sample (12 s).  Forks: ":700" 1, httpd 1, in 2 s.
 */
static const char script_text[] =
	"httpd     0 [000]     0.000000000: PERF_RECORD_FORK(1877:1877):(1:1)\n"
	"httpd     0 [000]     0.000000000: PERF_RECORD_COMM: httpd:1877/1877\n"
	"httpd  1877 [000]     5.000000000: PERF_RECORD_FORK(3001:3001):(1877:1877)\n"
	"httpd  1877 [000]    10.000000000:    1000000 cpu-clock: "
	" ffffffff8117e000 copy_page_range ([kernel.kallsyms])\n"
	":3002   700 [001]    11.000000000: PERF_RECORD_FORK(3002:3002):(700:700)\n"
	"httpd  1877 [000]    11.500000000: PERF_RECORD_FORK(3003:3003):(1877:1877)\n"
	"httpd  1877 [000]    11.600000000: PERF_RECORD_FORK(1877:1900):(1877:1877)\n"
	"httpd  1877 [000]    12.000000000:    1000000 cpu-clock: "
	" ffffffff8117e000 copy_page_range ([kernel.kallsyms])\n"
	"httpd  1877 [000]    13.000000000: PERF_RECORD_FORK(3004:3004):(1877:1877)\n";

static struct sd_analysis *analyse_text(const char *text)
{
	struct sd_analysis_opts opts = {
		.path = "forks.script",
		.buf = text,
		.len = strlen(text),
		.symbols = {.no_host_kernel = true,
			    .buildid_dir = "/nonexistent"},
	};
	struct sd_analysis *a = NULL;

	CHECK_U64(sd_analysis_run(&opts, NULL, &a), 0);
	return a;
}

TEST(forks_of_perf_script_text)
{
	struct sd_diagnosis *d = NULL;
	size_t pids = 0;
	struct sd_analysis *a = analyse_text(script_text);

	if (!a)
		return;
	CHECK_U64(a->input_kind, SD_INPUT_PERF_SCRIPT);
	CHECK_U64(a->samples, 2);
	CHECK_U64(sd_analysis_nr_evsels(a), 1); /* no event of the records */
	CHECK_U64(sd_diagnose(a, &d), 0);
	CHECK(d && d->forks_known);
	CHECK(d && near(d->duration_s, 2.0));
	CHECK_U64(d ? d->forks : 0, 2);
	CHECK_U64(comm_forks(d, ":700", &pids), 1);
	CHECK_U64(pids, 1);
	CHECK_U64(comm_forks(d, "httpd", &pids), 1);
	CHECK_U64(comm_forks(d, ":3002", &pids), 0);
	sd_diagnosis_free(d);
	sd_analysis_free(a);

	/* without task events the text says nothing about forks */
	const char *plain = strstr(script_text, "httpd  1877 [000]    10.");
	char *no_tasks = strndup(plain, (size_t)(strstr(plain, ":3002") - plain));
	a = no_tasks ? analyse_text(no_tasks) : NULL;
	d = NULL;
	if (a) {
		CHECK_U64(a->samples, 1);
		CHECK_U64(sd_diagnose(a, &d), 0);
		CHECK(d && !d->forks_known && !d->forks);
	}
	sd_diagnosis_free(d);
	sd_analysis_free(a);
	free(no_tasks);
}

/*
 * The counting itself (analysis/forks.c): notes of three parents, two
 * executables and none, interleaved, some outside the span; one forker
 * per (comm, pid, executable), sorted by comm id, pid, then executable
 * name (not known first), each with its forks inside [first, last].
 */
TEST(fork_notes_grouped)
{
	static const char bin_a[] = "/bin/a", bin_b[] = "/bin/b";
	struct sd_analysis *a = calloc(1, sizeof *a);
	CHECK(a != NULL);
	if (!a)
		return;
	/* time, ppid, comm, exe */
	static const struct {
		uint64_t t;
		uint32_t ppid, comm;
		const char *exe;
	} notes[] = {
		{5, 30, 2, bin_b},  {6, 10, 1, bin_a}, {7, 30, 2, bin_b},
		{8, 10, 1, NULL},   {9, 20, 1, bin_a}, {10, 10, 1, bin_a},
		{11, 30, 2, bin_a}, {1, 10, 1, bin_a}, /* before the span */
		{12, 10, 1, bin_b}, {13, 30, 2, bin_b}, {99, 20, 1, bin_a},
	};
	for (size_t i = 0; i < sizeof notes / sizeof *notes; i++)
		CHECK(sd_fork_note(a, notes[i].t, notes[i].ppid, notes[i].comm,
				   notes[i].exe) == 0);
	CHECK(sd_forks_count(a, 5, 20) == 0);
	static const struct {
		uint32_t comm, pid;
		const char *exe;
		uint64_t forks;
	} want[] = {
		{1, 10, NULL, 1}, {1, 10, bin_a, 2}, {1, 10, bin_b, 1},
		{1, 20, bin_a, 1}, {2, 30, bin_a, 1}, {2, 30, bin_b, 3},
	};
	CHECK_U64(a->forks, 9);
	CHECK_U64(a->nr_forkers, sizeof want / sizeof *want);
	for (size_t i = 0; i < a->nr_forkers && i < sizeof want / sizeof *want;
	     i++) {
		CHECK_U64(a->forkers[i].comm, want[i].comm);
		CHECK_U64(a->forkers[i].pid, want[i].pid);
		CHECK(a->forkers[i].exe == want[i].exe);
		CHECK_U64(a->forkers[i].forks, want[i].forks);
	}
	CHECK(a->fork_notes == NULL && a->nr_fork_notes == 0);
	free(a->forkers);
	free(a);
}

/*
 * The samples' span from runs of views (the reader hands samples with
 * no other record between in one run): its first and last sample, the
 * runs' ends, here the ends of a run of three and of a run of four.
 */
TEST(span_of_runs)
{
	static const uint64_t ids[] = {11};
	const struct pd_event ev = {
		.attr = {.bytes = 112, .type = SD_TYPE_SOFTWARE,
			 .period = MS, .sample_type = ST,
			 .flags = SD_ATTR_SAMPLE_ID_ALL},
		.ids = ids, .nr_ids = 1,
	};
	const struct pd_ids httpd = {1877, 1877, 0, 11, 1};
	char kallsyms[4096];
	struct pd_buf b = {.be = false};
	size_t data = pd_file_begin(&b, &ev, 1);

	snprintf(kallsyms, sizeof kallsyms, "%s/synthetic/rhel6-seed.kallsyms",
		 testdata);
	pd_comm(&b, ST, &httpd, "httpd", false);
	pd_finished_round(&b);
	sample(&b, 2 * S);
	sample(&b, 2 * S + 100 * MS);
	sample(&b, 2 * S + 200 * MS);
	fork_of(&b, 3001, 1877, 2 * S + 300 * MS);
	for (uint64_t k = 4; k < 8; k++)
		sample(&b, 2 * S + k * 100 * MS);
	pd_finished_round(&b);
	pd_file_end(&b, data, "forks-host", "2.6.32-642.el6.x86_64");
	struct sd_analysis *a = analyse(&b, kallsyms, NULL);
	if (a) {
		CHECK_U64(a->samples, 7);
		CHECK_U64(a->first_time, 2 * S);
		CHECK_U64(a->last_time, 2 * S + 700 * MS);
	}
	sd_analysis_free(a);
	pd_buf_free(&b);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		testdata = argv[1];
	RUN(forks_between_first_and_last_sample);
	RUN(forks_in_a_time_window);
	RUN(forks_of_perf_script_text);
	RUN(fork_notes_grouped);
	RUN(span_of_runs);
	return test_exit();
}
