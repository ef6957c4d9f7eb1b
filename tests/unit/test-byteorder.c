/* SPDX-License-Identifier: MIT */
/*
 * One recording, built with pdbuild.h in little- and in big-endian byte
 * order, analysed end to end (reader, machine, symbols, stacks, detect,
 * reports): the two give the same analysis -- the same folded stacks,
 * text verdict and JSON report, but for the byte order the JSON names.
 *
 * The recording (stated here, and checked on the little-endian analysis
 * so that two equally wrong results cannot pass): a 2.6.32 kernel
 * (testdata/synthetic/rhel6-seed.kallsyms), httpd 1877 in fork's
 * swap-entry copy for 5 samples, its CGI child 2201 (COMM foo.cgi,
 * exec) in exec's swap-entry release for 3, the idle task for 2; every
 * sample weighs period 1000 of cpu-clock.  httpd's user frame has no
 * symbols here (no /usr/sbin/httpd): folded, it is "[httpd]", as
 * stackcollapse-perf.pl names an unknown symbol by its DSO.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/report.h>

#include "pdbuild.h"
#include "seedfix.h"
#include "test.h"

static const char *testdata = "testdata";

/* the CGI child's exec drops them again */
static const uint64_t exec_chain[] = {
	SD_CONTEXT_KERNEL,
	0xffffffff815cad70ull, /* _spin_lock */
	0xffffffff811995d0ull, /* swap_info_get */
	0xffffffff81199880ull, /* free_swap_and_cache */
	0xffffffff8117e400ull, /* unmap_vmas */
	0xffffffff81189300ull, /* exit_mmap */
	0xffffffff81189480ull, /* mmput */
	0xffffffff811bff00ull, /* flush_old_exec */
	0xffffffff81203900ull, /* load_elf_binary */
	0xffffffff811c0280ull, /* search_binary_handler */
	0xffffffff811c0480ull, /* do_execve */
	0xffffffff810095c0ull, /* sys_execve */
	0xffffffff81009540ull, /* stub_execve */
};

static const uint64_t idle_chain[] = {
	SD_CONTEXT_KERNEL,
	0xffffffff815c2c80ull, /* intel_idle */
	0xffffffff815c2dc0ull, /* cpuidle_idle_call */
	0xffffffff810093a0ull, /* cpu_idle */
	0xffffffff810090a0ull, /* start_secondary */
};

#define N(a) (sizeof(a) / sizeof *(a))

static void sample(struct pd_buf *b, uint32_t pid, uint64_t time,
		   const uint64_t *chain, size_t n)
{
	pd_sample(b, ST,
		  &(struct pd_sample){.misc = SD_MISC_KERNEL,
				      .ip = chain[1],
				      .id = {pid, pid, time, 11, pid ? 1 : 0},
				      .period = 1000,
				      .ips = chain,
				      .nr_ips = n});
}

static void build(struct pd_buf *b)
{
	static const uint64_t ids[] = {11};
	const struct pd_event ev = {
		.attr = {.bytes = 112,
			 .type = SD_TYPE_SOFTWARE,
			 .config = 0, /* cpu-clock */
			 .period = 1000,
			 .sample_type = ST,
			 .flags = SD_ATTR_SAMPLE_ID_ALL},
		.ids = ids,
		.nr_ids = 1,
	};
	const struct pd_ids kernel = {(uint32_t)-1, 0, 100, 11, 0};
	const struct pd_ids httpd = {1877, 1877, 200, 11, 1};
	const struct pd_ids cgi = {2201, 2201, 3100, 11, 1};
	size_t data = pd_file_begin(b, &ev, 1);
	uint64_t t = 1000;

	pd_mmap2(b, ST, SD_MISC_KERNEL, &kernel, K_TEXT, K_ETEXT - K_TEXT,
		 K_TEXT, "[kernel.kallsyms]_text");
	pd_comm(b, ST, &httpd, "httpd", false);
	pd_mmap2(b, ST, SD_MISC_USER, &httpd, 0x7f2a4c600000ull, 0x5b000, 0,
		 "/usr/sbin/httpd");
	pd_finished_round(b);
	for (int i = 0; i < 5; i++)
		sample(b, 1877, t += 100, fork_chain, N(fork_chain));
	pd_task(b, SD_REC_FORK, ST, 2201, 1877, 2201, 1877, 3000);
	pd_comm(b, ST, &cgi, "foo.cgi", true);
	pd_finished_round(b);
	for (int i = 0; i < 3; i++)
		sample(b, 2201, 3100 + (t += 100), exec_chain, N(exec_chain));
	for (int i = 0; i < 2; i++)
		sample(b, 0, 3100 + (t += 100), idle_chain, N(idle_chain));
	pd_task(b, SD_REC_EXIT, ST, 2201, 1877, 2201, 1877, 9000);
	pd_finished_round(b);
	pd_file_end(b, data, "byteorder-host", "2.6.32-642.el6.x86_64");
}

/* What a report writer printed, NUL-terminated (malloc'ed). */
struct out {
	char *folded, *text, *json;
};

static void out_free(struct out *o)
{
	free(o->folded);
	free(o->text);
	free(o->json);
}

/* Analyses the file in b, checks it was whole, renders every report. */
static void analyse(const struct pd_buf *b, const char *kallsyms,
		    struct out *o, struct sd_diagnosis **dout,
		    uint64_t *samples)
{
	struct sd_analysis_opts opts = {
		.path = "order.data",
		.buf = b->p,
		.len = b->len,
		.symbols = {.kallsyms = kallsyms,
			    .kallsyms_source = SD_KSYM_KALLSYMS,
			    .no_host_kernel = true,
			    .buildid_dir = "/nonexistent"},
	};
	struct sd_analysis *a = NULL;
	struct sd_diagnosis *d = NULL;
	size_t len;
	FILE *f;

	memset(o, 0, sizeof *o);
	*dout = NULL;
	CHECK_U64(sd_analysis_run(&opts, NULL, &a), 0);
	if (!a)
		return;
	CHECK_U64(a->read_error, 0);
	*samples = a->samples;
	CHECK_U64(sd_diagnose(a, &d), 0);
	if ((f = open_memstream(&o->folded, &len))) {
		CHECK_U64(sd_report_folded(f, a, sd_analysis_evsel(a, 0), NULL),
			  0);
		fclose(f);
	}
	if (d && (f = open_memstream(&o->text, &len))) {
		CHECK_U64(sd_report_text(f, a, d, "order.data", false), 0);
		fclose(f);
	}
	if (d && (f = open_memstream(&o->json, &len))) {
		CHECK_U64(sd_report_json(f, a, d, "order.data"), 0);
		fclose(f);
	}
	*dout = d;
	sd_analysis_free(a);
}

/* The JSON report's byte order; the value is cut out of the report. */
static const char *cut_order(char *json)
{
	static const char key[] = "\"byte_order\": \"";
	char *p = json ? strstr(json, key) : NULL;

	if (!p)
		return NULL;
	p += strlen(key);
	const char *order = !strncmp(p, "big\"", 4)      ? "big"
			    : !strncmp(p, "little\"", 7) ? "little"
							 : "?";
	char *end = strchr(p, '"');
	if (end)
		memmove(p, end, strlen(end) + 1);
	return order;
}

TEST(big_endian_same_analysis)
{
	char kallsyms[4096];
	struct pd_buf le = {.be = false}, be = {.be = true};
	struct out lo, bo;
	struct sd_diagnosis *ld = NULL, *bd = NULL;
	uint64_t ls = 0, bs = 0;

	snprintf(kallsyms, sizeof kallsyms, "%s/synthetic/rhel6-seed.kallsyms",
		 testdata);
	build(&le);
	build(&be);
	CHECK_U64(le.len, be.len);
	CHECK(memcmp(le.p, be.p, le.len) != 0);
	analyse(&le, kallsyms, &lo, &ld, &ls);
	analyse(&be, kallsyms, &bo, &bd, &bs);

	/* the little-endian analysis against the recording as built */
	CHECK_U64(ls, 10);
	const struct sd_finding *fork =
		sd_diagnosis_finding(ld, SD_FIND_SWAP_DUP_FORK);
	const struct sd_finding *exec =
		sd_diagnosis_finding(ld, SD_FIND_SWAP_FREE_EXEC);
	CHECK(fork && fork->samples == 5 && fork->nr_procs == 1 &&
	      !strcmp(fork->procs[0].comm, "httpd"));
	CHECK(exec && exec->samples == 3 && exec->nr_procs == 1 &&
	      !strcmp(exec->procs[0].comm, "foo.cgi"));
	CHECK(ld && !ld->unknown && ld->era_source &&
	      !strcmp(ld->era_source, "recording"));
	CHECK(lo.folded &&
	      strstr(lo.folded, "httpd;[httpd];stub_clone;sys_clone;do_fork;"
				"copy_process;dup_mm;copy_page_range;"
				"copy_pte_range;swap_duplicate;"
				"__swap_duplicate;_spin_lock 5000\n"));
	CHECK(lo.folded &&
	      strstr(lo.folded, "foo.cgi;stub_execve;sys_execve;do_execve;"
				"search_binary_handler;load_elf_binary;"
				"flush_old_exec;mmput;exit_mmap;unmap_vmas;"
				"free_swap_and_cache;swap_info_get;"
				"_spin_lock 3000\n"));

	/* the big-endian one says the same */
	CHECK_U64(bs, ls);
	CHECK(bd && ld && bd->nr_findings == ld->nr_findings);
	CHECK(lo.folded && bo.folded && !strcmp(lo.folded, bo.folded));
	CHECK(lo.text && bo.text && !strcmp(lo.text, bo.text));
	CHECK_STR(cut_order(lo.json), "little");
	CHECK_STR(cut_order(bo.json), "big");
	CHECK(lo.json && bo.json && !strcmp(lo.json, bo.json));
	if (lo.text && bo.text && strcmp(lo.text, bo.text))
		fprintf(stderr, "little-endian:\n%s\nbig-endian:\n%s\n",
			lo.text, bo.text);

	sd_diagnosis_free(ld);
	sd_diagnosis_free(bd);
	out_free(&lo);
	out_free(&bo);
	pd_buf_free(&le);
	pd_buf_free(&be);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		testdata = argv[1];
	RUN(big_endian_same_analysis);
	return test_exit();
}
