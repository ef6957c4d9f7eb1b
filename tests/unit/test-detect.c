/* SPDX-License-Identifier: MIT */
/*
 * detect: the matcher and the stall tracker on hand-built inputs, through
 * the public entry points (sd_analysis_run() on perf script text built
 * here, then sd_diagnose()), so that the test does not depend on how
 * detect is split inside.  Every expected number is a count of what this
 * file puts in:
 *
 *  - swap_dup_fork counts a sample whose kernel frames have a fork
 *    page-table copy frame (copy_page_range, copy_pte_range, dup_mm, ...)
 *    with a swap-entry duplication frame (swap_duplicate, ...) below it
 *    (KERNEL.md; names matched exactly, kernel frames only);
 *  - near misses are not counted: swap_duplicate under reclaim
 *    (try_to_unmap_one), the copy without a swap frame below it, the same
 *    names in user-space frames, a name that only starts like one
 *    (swap_duplicate_foo), the swap frame above the copy;
 *  - swap_free_exec counts a sample with an address-space teardown frame
 *    (exit_mmap, unmap_vmas, zap_pte_range, ...) and a swap-entry release
 *    frame below it (free_swap_and_cache, ...); free_pages_and_swap_cache
 *    and release_pages run on every exit and are not swap-entry work;
 *  - an mmap_lock stall is a sched_switch out in D state whose stack has
 *    the rwsem read slow path under a reader of another process's mm
 *    (environ_read / __access_remote_vm); it lasts until the next switch
 *    that names the task as next_pid; a sleep with no such switch is
 *    counted as a stall without a duration ("unfinished"); a sleep in S
 *    state, or in the write slow path, is not one; a reader asleep in
 *    mm_access (opening /proc/PID/environ) waits for the exec lock: an
 *    exec_lock stall, not an mmap_lock one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>

#include "test.h"

#define KSYMS "[kernel.kallsyms]"

struct text {
	char *p;
	size_t n;
	FILE *f;
	double t; /* seconds */
	unsigned long long addr;
};

static void text_init(struct text *x)
{
	memset(x, 0, sizeof *x);
	x->f = open_memstream(&x->p, &x->n);
	x->t = 10.0;
	x->addr = 0xffffffff81000000ull;
}

/* Frames leaf first, as perf script prints them: "name" is a kernel
 * frame, "name@dso" a user one. */
static void frames(struct text *x, const char *const *fr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(fr[i], '@');
		x->addr += 0x40;
		if (at)
			fprintf(x->f, "\t%llx %.*s+0x10 (%s)\n",
				0x401000 + (x->addr & 0xfff), (int)(at - fr[i]),
				fr[i], at + 1);
		else if (fr[i][0] == '[') /* no symbol: "[unknown]" */
			fprintf(x->f, "\t%llx %s (%s)\n", x->addr, fr[i],
				KSYMS);
		else
			fprintf(x->f, "\t%llx %s+0x10 (%s)\n", x->addr, fr[i],
				KSYMS);
	}
	fputc('\n', x->f);
}

/* n cpu-clock samples of 1 ms each, one every ms. */
static void on_cpu(struct text *x, const char *comm, int pid, int n,
		   const char *const *fr, size_t nf)
{
	for (int i = 0; i < n; i++) {
		x->t += 0.001;
		fprintf(x->f, "%s %d/%d [000] %.6f: 1000000 cpu-clock: \n",
			comm, pid, pid, x->t);
		frames(x, fr, nf);
	}
}

/* A sched_switch from (comm, pid) in state to next_pid at time t. */
static void sw(struct text *x, const char *comm, int pid, double t,
	       const char *state, const char *next, int next_pid,
	       const char *const *fr, size_t nf)
{
	fprintf(x->f,
		"%s %d/%d [001] %.6f: 1 sched:sched_switch: prev_comm=%s "
		"prev_pid=%d prev_prio=120 prev_state=%s ==> next_comm=%s "
		"next_pid=%d next_prio=120\n",
		comm, pid, pid, t, comm, pid, state, next, next_pid);
	frames(x, fr, nf);
}

#define N(a) (sizeof(a) / sizeof *(a))

static const char *const fork_swap[] = {
	"swap_duplicate", "copy_pte_range", "copy_page_range", "dup_mm",
	"copy_process", "kernel_clone", "__do_sys_clone", "do_syscall_64",
	"entry_SYSCALL_64", "__libc_fork@/usr/lib/libc.so.6",
	"main@/usr/sbin/httpd",
};
/* the same without the swap frame: ordinary fork cost */
static const char *const *const fork_plain = fork_swap + 1;
#define NFORK_PLAIN (N(fork_swap) - 1)
static const char *const reclaim_swap[] = {
	"swap_duplicate", "try_to_unmap_one", "rmap_walk_anon",
	"try_to_unmap", "shrink_page_list", "kswapd", "kthread",
	"ret_from_fork",
};
static const char *const user_names[] = {
	"swap_duplicate@/usr/bin/app", "copy_page_range@/usr/bin/app",
	"main@/usr/bin/app",
};
static const char *const prefix_name[] = {
	"swap_duplicate_foo", "copy_pte_range", "copy_page_range", "dup_mm",
	"copy_process", "kernel_clone", "do_syscall_64", "entry_SYSCALL_64",
};
static const char *const swap_above_copy[] = {
	"copy_pte_range", "copy_page_range", "swap_duplicate", "do_swap_page",
	"handle_mm_fault", "exc_page_fault", "asm_exc_page_fault",
};
static const char *const user_only[] = {
	"compute@/usr/bin/bash", "main@/usr/bin/bash",
};
static const char *const environ_reader[] = {
	"__schedule", "schedule", "rwsem_down_read_slowpath",
	"down_read_killable", "__access_remote_vm", "environ_read", "vfs_read",
	"ksys_read", "do_syscall_64", "entry_SYSCALL_64",
};
/* opening /proc/PID/environ: mm_access takes the target's exec lock */
static const char *const exec_lock_reader[] = {
	"__schedule", "schedule", "rwsem_down_read_slowpath",
	"down_read_killable", "mm_access", "proc_mem_open", "__mem_open",
	"environ_open", "do_dentry_open", "path_openat", "do_filp_open",
	"do_sys_openat2", "__x64_sys_openat", "do_syscall_64",
	"entry_SYSCALL_64",
};
static const char *const rmdir_writer[] = {
	"__schedule", "schedule", "rwsem_down_write_slowpath", "down_write",
	"do_rmdir", "do_syscall_64", "entry_SYSCALL_64",
};
static const char *const idle[] = {
	"__schedule", "schedule_idle", "do_idle", "cpu_startup_entry",
};

static const char *const exec_release[] = {
	"free_swap_and_cache", "zap_pte_range", "unmap_page_range",
	"unmap_vmas", "exit_mmap", "mmput", "begin_new_exec",
	"load_elf_binary", "bprm_execve", "do_execveat_common",
	"__x64_sys_execve", "do_syscall_64", "entry_SYSCALL_64",
	"execve@/usr/lib/libc.so.6",
};
static const char *const exit_pages[] = {
	"release_pages", "free_pages_and_swap_cache", "tlb_flush_mmu",
	"zap_pte_range", "unmap_page_range", "unmap_vmas", "exit_mmap",
	"mmput", "do_exit", "do_group_exit", "__x64_sys_exit_group",
	"do_syscall_64", "entry_SYSCALL_64",
};

struct run {
	struct sd_analysis *a;
	struct sd_diagnosis *d;
};

static bool run(struct text *x, struct run *r)
{
	struct sd_diags why;

	memset(r, 0, sizeof *r);
	fclose(x->f);
	x->f = NULL;
	if (getenv("SD_TEST_DUMP"))
		fwrite(x->p, 1, x->n, stderr);
	struct sd_analysis_opts o = {
		.path = "detect.txt",
		.buf = x->p,
		.len = x->n,
		.no_symbols = true,
	};
	sd_diags_init(&why);
	int err = sd_analysis_run(&o, &why, &r->a);
	for (size_t i = 0; err && i < why.n; i++)
		fprintf(stderr, "%s\n", why.v[i].text);
	sd_diags_clear(&why);
	CHECK(err == 0);
	if (err)
		return false;
	CHECK(sd_diagnose(r->a, &r->d) == 0);
	return r->d != NULL;
}

static void run_free(struct text *x, struct run *r)
{
	sd_diagnosis_free(r->d);
	sd_analysis_free(r->a);
	free(x->p);
}

static const struct sd_finding *find(const struct sd_diagnosis *d,
				     enum sd_finding_kind k)
{
	for (size_t i = 0; d && i < d->nr_findings; i++)
		if (d->findings[i].kind == k)
			return &d->findings[i];
	return NULL;
}

#define CHECK_NEAR(a, b)                                                       \
	do {                                                                   \
		double _x = (a), _y = (b);                                     \
		t_checks++;                                                    \
		if (!(fabs(_x - _y) <= 1e-9 * (fabs(_y) + 1))) {               \
			t_failed++;                                            \
			fprintf(stderr, "%s:%d: %s == %s failed: %g != %g\n",  \
				__FILE__, __LINE__, #a, #b, _x, _y);           \
		}                                                              \
	} while (0)

TEST(fork_swap_work_and_near_misses)
{
	struct text x;
	struct run r;

	text_init(&x);
	on_cpu(&x, "httpd", 200, 30, fork_swap, N(fork_swap)); /* match */
	on_cpu(&x, "kswapd0", 50, 10, reclaim_swap, N(reclaim_swap));
	on_cpu(&x, "httpd", 200, 10, fork_plain, NFORK_PLAIN);
	on_cpu(&x, "app", 210, 10, user_names, N(user_names));
	on_cpu(&x, "httpd", 200, 5, prefix_name, N(prefix_name));
	on_cpu(&x, "cc1", 230, 5, swap_above_copy, N(swap_above_copy));
	on_cpu(&x, "bash", 220, 30, user_only, N(user_only));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK_U64(r.d->on_cpu_samples, 100);
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 30);
		CHECK_NEAR(f->share, 0.30);
		/* 1 ms a sample: the periods are nanoseconds of CPU */
		CHECK_U64(f->period, 30 * 1000000ull);
		/* every sample with a kernel fork-copy frame, swap frame
		 * below it or not: 30 + 10 (no swap frame) + 5 (under
		 * swap_duplicate_foo) + 5 (the copy below the swap frame);
		 * the user-space names do not count */
		CHECK_U64(f->context_samples, 50);
		CHECK_NEAR(f->context_share, 0.50);
		CHECK_U64(f->nr_procs, 1);
		if (f->nr_procs) {
			CHECK_STR(f->procs[0].comm, "httpd");
			CHECK_U64(f->procs[0].samples, 30);
			CHECK_U64(f->procs[0].nr_pids, 1);
			CHECK_U64(f->procs[0].pids[0], 200);
		}
		/* the hot path: the kernel frames root first, down to the
		 * swap frame */
		CHECK(f->nr_paths >= 1);
		if (f->nr_paths) {
			const struct sd_path *p = &f->paths[0];
			CHECK_U64(p->samples, 30);
			CHECK(p->nr_frames >= 9);
			if (p->nr_frames >= 9) {
				CHECK_STR(p->frames[p->nr_frames - 1],
					  "swap_duplicate");
				CHECK_STR(p->frames[p->nr_frames - 3],
					  "copy_page_range");
			}
		}
	}
	/* no exec-side release and no stalls in this input */
	CHECK(find(r.d, SD_FIND_SWAP_FREE_EXEC) == NULL);
	CHECK(find(r.d, SD_FIND_MMAP_LOCK_STALL) == NULL);
	run_free(&x, &r);
}

TEST(near_misses_alone_find_nothing)
{
	struct text x;
	struct run r;

	text_init(&x);
	on_cpu(&x, "kswapd0", 50, 10, reclaim_swap, N(reclaim_swap));
	on_cpu(&x, "app", 210, 10, user_names, N(user_names));
	on_cpu(&x, "httpd", 200, 5, prefix_name, N(prefix_name));
	on_cpu(&x, "cc1", 230, 5, swap_above_copy, N(swap_above_copy));
	on_cpu(&x, "bash", 220, 70, user_only, N(user_only));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK_U64(r.d->on_cpu_samples, 100);
	CHECK(find(r.d, SD_FIND_SWAP_DUP_FORK) == NULL);
	CHECK(find(r.d, SD_FIND_SWAP_FREE_EXEC) == NULL);
	CHECK(r.d->swap_share == 0);
	run_free(&x, &r);
}

TEST(exec_side_release)
{
	struct text x;
	struct run r;

	text_init(&x);
	on_cpu(&x, "sh", 400, 12, exec_release, N(exec_release)); /* match */
	on_cpu(&x, "sh", 401, 20, exit_pages, N(exit_pages)); /* near miss */
	on_cpu(&x, "bash", 220, 48, user_only, N(user_only));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK_U64(r.d->on_cpu_samples, 80);
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_FREE_EXEC);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 12);
		CHECK_NEAR(f->share, 12.0 / 80);
		CHECK_U64(f->nr_procs, 1);
		if (f->nr_procs) {
			CHECK_STR(f->procs[0].comm, "sh");
			CHECK_U64(f->procs[0].samples, 12);
			CHECK_U64(f->procs[0].nr_pids, 1);
			CHECK_U64(f->procs[0].pids[0], 400);
		}
	}
	CHECK(find(r.d, SD_FIND_SWAP_DUP_FORK) == NULL);
	/* the swap-entry work as one pathology: the exec side alone */
	CHECK_NEAR(r.d->swap_share, 12.0 / 80);
	run_free(&x, &r);
}

TEST(stalls_and_their_durations)
{
	struct text x;
	struct run r;

	text_init(&x);
	on_cpu(&x, "bash", 220, 10, user_only, N(user_only));
	/* three readers of a forking parent's environ asleep in D ... */
	sw(&x, "top", 300, 10.100, "D", "swapper/1", 0, environ_reader,
	   N(environ_reader));
	sw(&x, "ps", 301, 10.110, "D", "swapper/1", 0, environ_reader,
	   N(environ_reader));
	sw(&x, "pgrep", 302, 10.120, "D", "swapper/1", 0, environ_reader,
	   N(environ_reader));
	/* ... one in S on the same path, one in D writing: not stalls */
	sw(&x, "cat", 303, 10.121, "S", "swapper/1", 0, environ_reader,
	   N(environ_reader));
	sw(&x, "rmdir", 304, 10.122, "D", "swapper/1", 0, rmdir_writer,
	   N(rmdir_writer));
	/* a reader waiting for an exec's teardown: 10 ms */
	sw(&x, "pidstat", 305, 10.123, "D", "swapper/1", 0, exec_lock_reader,
	   N(exec_lock_reader));
	sw(&x, "swapper/1", 0, 10.133, "R", "pidstat", 305, idle, N(idle));
	/* switched in: top after 25 ms, ps after 40 ms; pgrep never */
	sw(&x, "swapper/1", 0, 10.125, "R", "top", 300, idle, N(idle));
	sw(&x, "swapper/1", 0, 10.150, "R", "ps", 301, idle, N(idle));
	sw(&x, "swapper/1", 0, 10.160, "R", "cat", 303, idle, N(idle));
	sw(&x, "swapper/1", 0, 10.170, "R", "rmdir", 304, idle, N(idle));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK(r.d->switch_recorded);
	const struct sd_finding *f = find(r.d, SD_FIND_MMAP_LOCK_STALL);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->stalls, 3);
		CHECK_U64(f->stalls_unfinished, 1);
		CHECK_NEAR(f->blocked_ms_total, 25.0 + 40.0);
		CHECK_NEAR(f->blocked_ms_max, 40.0);
		CHECK_U64(f->nr_victims, 3);
		uint64_t seen = 0;
		for (size_t i = 0; i < f->nr_victims; i++) {
			const struct sd_victim *v = &f->victims[i];
			CHECK_U64(v->stalls, 1);
			if (v->pid == 300) {
				seen |= 1;
				CHECK_STR(v->comm, "top");
				CHECK_NEAR(v->blocked_ms, 25.0);
				CHECK_NEAR(v->max_ms, 25.0);
			} else if (v->pid == 301) {
				seen |= 2;
				CHECK_STR(v->comm, "ps");
				CHECK_NEAR(v->blocked_ms, 40.0);
			} else if (v->pid == 302) {
				seen |= 4;
				CHECK_STR(v->comm, "pgrep");
				/* no wake-up: no time to give */
				CHECK(isnan(v->blocked_ms) || v->blocked_ms == 0);
			}
		}
		CHECK_U64(seen, 7);
	}
	/* the exec-lock reader is its own finding, not an mmap_lock one */
	const struct sd_finding *e = find(r.d, SD_FIND_EXEC_LOCK_STALL);
	CHECK(e != NULL);
	if (e) {
		CHECK_U64(e->stalls, 1);
		CHECK_U64(e->stalls_unfinished, 0);
		CHECK_NEAR(e->blocked_ms_total, 10.0);
		CHECK_U64(e->nr_victims, 1);
		if (e->nr_victims)
			CHECK_U64(e->victims[0].pid, 305);
	}
	/* the write-side sleep is nobody's stall here */
	const struct sd_finding *o = find(r.d, SD_FIND_OTHER_DSTATE);
	if (o)
		for (size_t i = 0; i < o->nr_victims; i++)
			CHECK(o->victims[i].pid != 304);
	run_free(&x, &r);
}


/*
 * Many processes (a fork storm's short-lived children): the finding's
 * per-process tallies keep every (comm, pid) apart however many there are
 * (their table grows many times over here), group them by comm, count
 * every pid and list the first SD_MAX_PIDS_LISTED seen, sorted; the hot
 * processes have the same sums per comm.
 * httpd: 300 pids with 2 samples each, in descending pid order, then
 * every third of them once more; cgi: 40 pids with 1 sample each.
 */
/*
 * One frame sequence under two comms (symbolization stores it once: the
 * stacks are classified by one scan of it), and both sides' findings in
 * one recording, their samples interleaved: each finding counts only its
 * own side's samples, per process, from the details listed for its side.
 */
TEST(shared_sequence_both_sides)
{
	struct text x;
	struct run r;

	text_init(&x);
	for (int i = 0; i < 4; i++) {
		on_cpu(&x, "httpd", 700 + i, 3, fork_swap, N(fork_swap));
		on_cpu(&x, "sh", 800 + i, 2, exec_release, N(exec_release));
		on_cpu(&x, "cgi", 900 + i, 1, fork_swap, N(fork_swap));
	}
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK_U64(r.d->on_cpu_samples, 24);
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 16);
		CHECK_U64(f->nr_procs, 2);
		if (f->nr_procs == 2) {
			CHECK_STR(f->procs[0].comm, "httpd");
			CHECK_U64(f->procs[0].samples, 12);
			CHECK_U64(f->procs[0].nr_pids_total, 4);
			CHECK_STR(f->procs[1].comm, "cgi");
			CHECK_U64(f->procs[1].samples, 4);
			CHECK_U64(f->procs[1].pids[0], 900);
		}
	}
	const struct sd_finding *e = find(r.d, SD_FIND_SWAP_FREE_EXEC);
	CHECK(e != NULL);
	if (e) {
		CHECK_U64(e->samples, 8);
		CHECK_U64(e->nr_procs, 1);
		if (e->nr_procs == 1) {
			CHECK_STR(e->procs[0].comm, "sh");
			CHECK_U64(e->procs[0].nr_pids_total, 4);
			CHECK_U64(e->procs[0].pids[3], 803);
		}
	}
	run_free(&x, &r);
}

TEST(many_processes_tallied)
{
	struct text x;
	struct run r;

	text_init(&x);
	for (int i = 0; i < 300; i++)
		on_cpu(&x, "httpd", 5000 - i, 2, fork_swap, N(fork_swap));
	for (int i = 0; i < 40; i++)
		on_cpu(&x, "cgi", 9000 + i, 1, fork_swap, N(fork_swap));
	/* the same httpd pids again: no new processes */
	for (int i = 0; i < 300; i += 3)
		on_cpu(&x, "httpd", 5000 - i, 1, fork_swap, N(fork_swap));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 600 + 40 + 100);
		CHECK_U64(f->nr_procs, 2);
	}
	if (f && f->nr_procs == 2) {
		/* heaviest first */
		CHECK_STR(f->procs[0].comm, "httpd");
		CHECK_U64(f->procs[0].samples, 700);
		CHECK_U64(f->procs[0].nr_pids_total, 300);
		CHECK_U64(f->procs[0].nr_pids, SD_MAX_PIDS_LISTED);
		/* the first 32 seen: 5000 down to 4969, sorted */
		for (size_t k = 0; k < f->procs[0].nr_pids; k++)
			CHECK_U64(f->procs[0].pids[k],
				  5000 - SD_MAX_PIDS_LISTED + 1 + k);
		CHECK_STR(f->procs[1].comm, "cgi");
		CHECK_U64(f->procs[1].samples, 40);
		CHECK_U64(f->procs[1].nr_pids_total, 40);
		CHECK_U64(f->procs[1].nr_pids, SD_MAX_PIDS_LISTED);
		CHECK_U64(f->procs[1].pids[0], 9000);
	}
	/* where the CPU went: the same samples per comm (summed when the
	 * stacks were classified), heaviest first */
	CHECK_U64(r.d->nr_hot_procs, 2);
	if (r.d->nr_hot_procs == 2) {
		CHECK_STR(r.d->hot_procs[0].comm, "httpd");
		CHECK_U64(r.d->hot_procs[0].samples, 700);
		CHECK_NEAR(r.d->hot_procs[0].share, 700.0 / 740);
		CHECK_STR(r.d->hot_procs[1].comm, "cgi");
		CHECK_U64(r.d->hot_procs[1].samples, 40);
	}
	run_free(&x, &r);
}

/*
 * Processes of many comms (more than the first room made for them): the
 * heaviest SD_MAX_PROCS listed, each with its own samples and pid.
 * worker0..worker39: worker<i> has i + 1 samples, pid 100 + i; from
 * 10.951 s (in the last 100 ms bucket of second 10) to 11.770 s, so the
 * timeline has the two seconds, all of both in the finding.
 */
TEST(many_comms_grouped)
{
	struct text x;
	struct run r;
	char comm[16];

	text_init(&x);
	x.t = 10.95;
	for (int i = 0; i < 40; i++) {
		snprintf(comm, sizeof comm, "worker%d", i);
		on_cpu(&x, comm, 100 + i, i + 1, fork_swap, N(fork_swap));
	}
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 40 * 41 / 2);
		CHECK_U64(f->nr_procs, SD_MAX_PROCS);
		CHECK_U64(f->timeline_start, 10000000000ull);
		CHECK_U64(f->nr_timeline, 2);
		for (size_t k = 0; k < f->nr_timeline && k < 2; k++)
			CHECK_NEAR(f->timeline[k], 1.0);
	}
	for (size_t k = 0; f && k < f->nr_procs; k++) {
		/* heaviest first: worker39, worker38, ... */
		snprintf(comm, sizeof comm, "worker%zu", 39 - k);
		CHECK_STR(f->procs[k].comm, comm);
		CHECK_U64(f->procs[k].samples, 40 - k);
		CHECK_U64(f->procs[k].nr_pids, 1);
		CHECK_U64(f->procs[k].pids[0], 139 - k);
	}
	run_free(&x, &r);
}

/* the kernel part of fork_swap under other user frames */
static const char *const fork_swap_other_user[] = {
	"swap_duplicate", "copy_pte_range", "copy_page_range", "dup_mm",
	"copy_process", "kernel_clone", "__do_sys_clone", "do_syscall_64",
	"entry_SYSCALL_64", "fork@/usr/lib/libc.so.6", "spawn@/usr/bin/make",
};
/* another kernel path to the same swap frame */
static const char *const fork_swap_pmd[] = {
	"swap_duplicate", "copy_pte_range", "copy_pmd_range",
	"copy_page_range", "dup_mm", "copy_process", "kernel_clone",
	"__do_sys_clone", "do_syscall_64", "entry_SYSCALL_64",
};

TEST(paths_grouped_by_kernel_part)
{
	struct text x;
	struct run r;

	text_init(&x);
	/* one kernel path in two comms and under two user parts (20 + 15),
	 * a longer one (25), each as a first, new path between the others */
	on_cpu(&x, "httpd", 200, 20, fork_swap, N(fork_swap));
	on_cpu(&x, "make", 300, 25, fork_swap_pmd, N(fork_swap_pmd));
	on_cpu(&x, "make", 300, 15, fork_swap_other_user,
	       N(fork_swap_other_user));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 60);
		CHECK_U64(f->nr_paths, 2);
	}
	if (f && f->nr_paths == 2) {
		CHECK_U64(f->paths[0].samples, 35);
		CHECK_U64(f->paths[0].nr_frames, 9);
		CHECK_U64(f->paths[1].samples, 25);
		CHECK_U64(f->paths[1].nr_frames, 10);
	}
	run_free(&x, &r);
}

/*
 * The timeline's share per second, from details of several stacks and
 * processes to a bucket and buckets that change between them (the
 * second is worked out once a bucket): second 10 three fork samples to
 * one idle one, second 11 one to three, second 12 idle only; two
 * samples a ms apart in one bucket, then two in the bucket but one.
 */
TEST(timeline_share_per_second)
{
	static const int forks[3] = {3, 1, 0};
	struct text x;
	struct run r;

	text_init(&x);
	for (int s = 0; s < 3; s++) {
		x.t = 10.0 + s;
		for (int k = 0; k < 4; k++) {
			if (k < forks[s])
				on_cpu(&x, "make", 100 + k, 1, fork_swap,
				       N(fork_swap));
			else
				on_cpu(&x, "swapper", 0, 1, idle, N(idle));
			if (k % 2)
				x.t += 0.2; /* the next bucket but one */
		}
	}
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	const struct sd_finding *f = find(r.d, SD_FIND_SWAP_DUP_FORK);
	CHECK(f != NULL);
	if (f) {
		CHECK_U64(f->samples, 4);
		CHECK_U64(f->timeline_start, 10000000000ull);
		CHECK_U64(f->nr_timeline, 3);
		static const double want[3] = {0.75, 0.25, 0.0};
		for (size_t k = 0; k < f->nr_timeline && k < 3; k++)
			CHECK_NEAR(f->timeline[k], want[k]);
	}
	run_free(&x, &r);
}

/*
 * The share of kernel frames with a name, weighed by samples: unnamed
 * kernel frames ("[unknown]", folded as "[dso]") counted among the
 * kernel frames, user frames not at all, also where they come between
 * kernel ones and in a stack of many frames (the matcher skips a long
 * user part in steps).  A: 3 samples, 4 kernel frames of which 1
 * unnamed, 2 user; B: 1 sample, 3 unnamed of 4 kernel frames (a user
 * frame between), 20 user frames first; C: 2 samples, user frames only.
 * 12 + 4 kernel frames, 9 + 1 named: 10 / 16.  Then with B's samples at
 * 4: 9 + 4 of 12 + 16 named, below half.
 */
static const char *const named_a[] = {
	"zap_pte_range", "[unknown]", "unmap_vmas", "do_syscall_64",
	"work@/usr/bin/app", "main@/usr/bin/app",
};
static const char *named_b[25];

static void named_share_case(int nb, double want, bool unnamed)
{
	struct text x;
	struct run r;
	static char user[20][24];

	named_b[0] = "[unknown]";
	named_b[1] = "[unknown]";
	named_b[2] = "helper@/usr/bin/app";
	named_b[3] = "[unknown]";
	named_b[4] = "do_syscall_64";
	for (int i = 0; i < 20; i++) {
		snprintf(user[i], sizeof user[i], "f%d@/usr/bin/app", i);
		named_b[5 + i] = user[i];
	}
	text_init(&x);
	on_cpu(&x, "app", 10, 3, named_a, N(named_a));
	on_cpu(&x, "app", 11, nb, named_b, N(named_b));
	on_cpu(&x, "app", 12, 2, user_only, N(user_only));
	if (!run(&x, &r)) {
		run_free(&x, &r);
		return;
	}
	CHECK_NEAR(r.d->kernel_named_share, want);
	CHECK(r.d->kernel_unnamed == unnamed);
	run_free(&x, &r);
}

TEST(kernel_named_share_counts_kernel_frames)
{
	named_share_case(1, 10.0 / 16, false);
	named_share_case(4, 13.0 / 28, true);
}

int main(void)
{
	RUN(fork_swap_work_and_near_misses);
	RUN(near_misses_alone_find_nothing);
	RUN(exec_side_release);
	RUN(stalls_and_their_durations);
	RUN(shared_sequence_both_sides);
	RUN(many_processes_tallied);
	RUN(many_comms_grouped);
	RUN(paths_grouped_by_kernel_part);
	RUN(timeline_share_per_second);
	RUN(kernel_named_share_counts_kernel_frames);
	return test_exit();
}
