/* SPDX-License-Identifier: MIT */
/*
 * detect: which lock a /proc reader slept on (the reader frame nearest the
 * slow path names it, per era), and the stall tracker's lock addresses,
 * wake-ups and the samples it logs to name holders.
 */
#include <stdbool.h>

#include <swapdiag/stacks.h>

#include "detect/match.h"
#include <swapdiag/stalls.h>
#include "test.h"

/* The match flags of one kernel stack, frames root first. */
static unsigned flags_of(const char *const *frames, size_t n)
{
	struct sd_stacks *st = NULL;
	bool kernel[32];
	uint32_t id;
	unsigned m = ~0u;

	for (size_t i = 0; i < n; i++)
		kernel[i] = true;
	/* named stacks need no machine to be symbolized */
	struct sd_named_stack ns = {
		.pid = 1,
		.key_pid = SD_STACK_NO_PID,
		.key_tid = SD_STACK_NO_PID,
		.frames = frames,
		.kernel = kernel,
		.n = n,
		.count = 1,
		.period = 1,
	};
	if (sd_stacks_new(&st) || sd_stacks_add_named(st, &ns, &id) ||
	    sd_stacks_symbolize(st, NULL)) {
		sd_stacks_free(st);
		return m;
	}
	struct sd_stack_info si;
	if (!sd_stacks_get(st, id, &si))
		m = sd_match_stack(st, &si, NULL);
	sd_stacks_free(st);
	return m;
}

#define FLAGS(...)                                                             \
	flags_of((const char *const[]){__VA_ARGS__},                           \
		 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

enum { RW = SD_M_RWSEM_READ, MM = SD_M_MM_READER, EX = SD_M_EXEC_LOCK };

TEST(reader_names_the_lock)
{
	/* 6.18: top reading /proc/PID/stat waits for the exec lock */
	CHECK_U64(FLAGS("ksys_read", "vfs_read", "seq_read", "seq_read_iter",
			"proc_single_show", "do_task_stat",
			"down_read_killable", "rwsem_down_read_slowpath",
			"schedule_preempt_disabled", "schedule"),
		  RW | EX);
	/* reading environ: the target's mmap_lock */
	CHECK_U64(FLAGS("vfs_read", "environ_read", "__access_remote_vm",
			"down_read_killable", "rwsem_down_read_slowpath"),
		  RW | MM);
	/* opening environ: mm_access, the exec lock, though the path also
	 * has a "reader" frame further up */
	CHECK_U64(FLAGS("do_sys_openat2", "environ_open", "__mem_open",
			"proc_mem_open", "mm_access", "down_read_killable",
			"rwsem_down_read_slowpath"),
		  RW | EX);
	/* 3.x - 4.17: proc_pid_cmdline_read takes mmap_sem itself */
	CHECK_U64(FLAGS("vfs_read", "proc_pid_cmdline_read", "down_read",
			"call_rwsem_down_read_failed", "rwsem_down_read_failed"),
		  RW | MM);
	/* before 5.10 the exec lock is cred_guard_mutex: the mutex slow path */
	CHECK_U64(FLAGS("do_sys_open", "environ_open", "mm_access",
			"mutex_lock_killable", "__mutex_lock_killable_slowpath"),
		  EX);
	CHECK_U64(FLAGS("vfs_read", "lock_trace", "mutex_lock_killable",
			"__mutex_lock"),
		  EX);
	/* mm_for_maps: mmap_sem on 2.6.32, cred_guard_mutex 2.6.36 - 3.2 */
	CHECK_U64(FLAGS("seq_read", "m_start", "mm_for_maps", "down_read",
			"call_rwsem_down_read_failed", "rwsem_down_read_failed"),
		  RW | MM);
	CHECK_U64(FLAGS("seq_read", "m_start", "mm_for_maps",
			"mutex_lock_killable", "__mutex_lock_killable_slowpath"),
		  EX);
	/* an mmap_lock reader above a mutex is not waiting for an exec */
	CHECK_U64(FLAGS("vfs_read", "environ_read", "__access_remote_vm",
			"mutex_lock", "__mutex_lock_slowpath"),
		  0);
	/* a mutex without an exec-lock reader is nobody's business here */
	CHECK_U64(FLAGS("do_rmdir", "down_write", "__mutex_lock"), 0);
	/* an rwsem read no table explains: other_dstate */
	CHECK_U64(FLAGS("kthread", "kdamond_fn", "__rmap_walk_file", "down_read",
			"rwsem_down_read_slowpath"),
		  RW);
	/* a reader frame below the slow path does not count */
	CHECK_U64(FLAGS("down_read_killable", "rwsem_down_read_slowpath",
			"do_task_stat"),
		  RW);
}

TEST(exec_replacement_holds_the_exec_lock)
{
	CHECK_U64(FLAGS("bprm_execve", "load_elf_binary", "begin_new_exec",
			"__mmput", "exit_mmap", "unmap_vmas",
			"unmap_page_range", "swap_pte_batch"),
		  SD_M_EXEC_REPLACE | SD_M_TEARDOWN | SD_M_SWAP_FREE);
	CHECK_U64(FLAGS("do_execve", "search_binary_handler", "load_elf_binary",
			"flush_old_exec", "mmput", "exit_mmap"),
		  SD_M_EXEC_REPLACE | SD_M_TEARDOWN);
	/* exit is teardown, not exec */
	CHECK_U64(FLAGS("do_group_exit", "do_exit", "__mmput", "exit_mmap"),
		  SD_M_TEARDOWN);
}

TEST(sleeps_get_their_lock_address)
{
	struct sd_stalls s;

	sd_stalls_init(&s);
	/* tid 10 contends for a lock for read and sleeps on it */
	CHECK(!sd_stalls_contention(&s, 100, 10, 10, 7, 0xffff888100001000ull,
				    SD_LCB_F_READ, true));
	CHECK(!sd_stalls_switch(&s, 110, 10, 10, true, 20, 7, 0));
	/* woken, the contention ends; a later D sleep has no lock */
	CHECK(!sd_stalls_switch(&s, 200, 20, 20, false, 10, 8, 0));
	CHECK(!sd_stalls_contention(&s, 201, 10, 10, 7, 0xffff888100001000ull,
				    0, false));
	CHECK(!sd_stalls_switch(&s, 300, 10, 10, true, 20, 9, 0));
	CHECK_U64(s.n, 2);
	CHECK_U64(s.v[0].lock, 0xffff888100001000ull);
	CHECK_U64(s.v[0].t_in, 200);
	CHECK(!s.v[0].open);
	CHECK_U64(s.v[1].lock, 0);
	CHECK(s.v[1].open);
	/* a write-side contention is kept with its task; a read one is not */
	CHECK(!sd_stalls_contention(&s, 310, 30, 31, 5, 0xabc0, SD_LCB_F_WRITE,
				    true));
	CHECK_U64(s.nwrites, 1);
	CHECK_U64(s.writes[0].lock, 0xabc0);
	CHECK_U64(s.writes[0].pid, 30);
	CHECK_U64(s.writes[0].tid, 31);
	CHECK_U64(s.contention_events, 3);
	sd_stalls_fini(&s);
}

TEST(samples_logged_during_sleeps_and_just_after)
{
	struct sd_stalls s;

	sd_stalls_init(&s);
	/* nothing asleep: not logged */
	CHECK(!sd_stalls_seen(&s, 5, 5, 1, 50));
	CHECK_U64(s.nruns, 0);
	CHECK(!sd_stalls_switch(&s, 1000, 10, 10, true, 5, 2, 0));
	CHECK(!sd_stalls_seen(&s, 5, 5, 3, 1500));   /* during: logged */
	/* tid 10 seen running without a switch-in: the sleep ends there */
	CHECK(!sd_stalls_seen(&s, 10, 10, 4, 2000));
	CHECK(!s.v[0].open);
	CHECK_U64(s.v[0].t_in, 0);
	CHECK_U64(s.v[0].t_seen, 2000);
	CHECK(!sd_stalls_seen(&s, 5, 5, 3, 2000 + SD_RELEASE_NS)); /* after */
	CHECK(!sd_stalls_seen(&s, 5, 5, 3, 2001 + SD_RELEASE_NS)); /* too late */
	CHECK_U64(s.nruns, 3);
	CHECK_U64(s.runs[0].time, 1500);
	CHECK_U64(s.runs[0].stack, 3);
	CHECK_U64(s.runs[1].pid, 10);
	CHECK_U64(s.runs[2].time, 2000 + SD_RELEASE_NS);
	sd_stalls_fini(&s);
}

TEST(many_open_sleeps)
{
	struct sd_stalls s;

	/* the tid maps grow and delete by backward shift: every sleep is
	 * closed by its own switch-in, none by another's */
	sd_stalls_init(&s);
	for (uint32_t t = 1; t <= 5000; t++)
		CHECK(!sd_stalls_contention(&s, t, t, t, 0, 0x1000 + t * 8,
					    SD_LCB_F_READ, true) &&
		      !sd_stalls_switch(&s, t, t, t, true, 0, 0, 0));
	for (uint32_t t = 5000; t >= 1; t -= 2)
		CHECK(!sd_stalls_switch(&s, 10000 + t, 0, 0, false, t, 0, 0));
	size_t open = 0, wrong = 0;
	for (size_t i = 0; i < s.n; i++) {
		open += s.v[i].open;
		wrong += s.v[i].lock != 0x1000 + (uint64_t)s.v[i].tid * 8;
		if (!s.v[i].open && s.v[i].t_in != 10000 + s.v[i].tid)
			wrong++;
	}
	CHECK_U64(open, 2500);
	CHECK_U64(wrong, 0);
	CHECK_U64(s.open.n, 2500);
	sd_stalls_fini(&s);
}

TEST(a_long_run_log_grows_intact)
{
	struct sd_stalls s;
	enum { N = 100000 }; /* 2.4 MB of runs: past util/vmem.h's SD_VMEM_MIN */

	sd_stalls_init(&s);
	/* tid 10 asleep the whole time; tid 5 runs N times meanwhile */
	CHECK(!sd_stalls_switch(&s, 1000, 10, 10, true, 5, 2, 0));
	bool ok = true;
	for (uint32_t i = 0; i < N; i++)
		ok &= !sd_stalls_seen(&s, 5, 5, i, 2000 + i);
	CHECK(ok);
	CHECK_U64(s.nruns, N);
	size_t bad = 0;
	for (uint32_t i = 0; i < s.nruns; i++)
		bad += s.runs[i].stack != i || s.runs[i].time != 2000 + i ||
		       s.runs[i].tid != 5;
	CHECK_U64(bad, 0);
	sd_stalls_fini(&s);
}

TEST(seen_logs_only_running_tids_until_the_cap)
{
	struct sd_stalls s;

	sd_stalls_init(&s);
	CHECK(!sd_stalls_switch(&s, 1000, 10, 10, true, 5, 2, 0));
	CHECK(!sd_stalls_seen(&s, 10, 10, 2, 1000)); /* at its switch-out */
	CHECK(!sd_stalls_seen(&s, 0, 0, 1, 1500));   /* idle: not logged */
	CHECK(s.v[0].open);
	CHECK_U64(s.nruns, 1);
	CHECK_U64(s.runs[0].tid, 10);
	/* past the release window, called directly: not logged */
	CHECK(!sd_stalls_seen(&s, 10, 10, 3, 2000));
	CHECK(!s.v[0].open);
	CHECK(!sd_stalls_seen_slow(&s, 5, 5, 4, 2001 + SD_RELEASE_NS));
	CHECK_U64(s.nruns, 2);
	/* within it, the log fills up to SD_MAX_RUNS, then counts drops */
	bool ok = true;
	for (uint32_t i = 0; i < SD_MAX_RUNS + 3; i++)
		ok &= !sd_stalls_seen(&s, 5, 5, i, 2000 + SD_RELEASE_NS);
	CHECK(ok);
	CHECK_U64(s.nruns, SD_MAX_RUNS);
	CHECK_U64(s.runs_dropped, 5);
	CHECK_U64(s.runs[SD_MAX_RUNS - 1].stack, SD_MAX_RUNS - 3);
	sd_stalls_fini(&s);
}

int main(void)
{
	RUN(reader_names_the_lock);
	RUN(exec_replacement_holds_the_exec_lock);
	RUN(sleeps_get_their_lock_address);
	RUN(samples_logged_during_sleeps_and_just_after);
	RUN(many_open_sleeps);
	RUN(a_long_run_log_grows_intact);
	RUN(seen_logs_only_running_tids_until_the_cap);
	return test_exit();
}
