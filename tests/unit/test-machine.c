/* SPDX-License-Identifier: MIT */
/*
 * machine: threads, comms and maps from hand-built COMM, FORK, EXIT and
 * MMAP records, through the public API (swapdiag/machine.h), against the
 * rules of perf 6.1's tools/perf/util/machine.c, thread.c and maps.c:
 *
 *  R1 perf_session__register_idle_thread(): tid 0 is "swapper".
 *  R2 thread__new(): a thread nothing named yet is ":TID".
 *  R3 machine__process_comm_event() -> thread__set_comm(): a COMM names
 *     the thread from then on (exec or prctl alike); samples are given the
 *     comm current when they are processed, so a COMM and a sample of the
 *     same time go in record order (ordered_events keeps equal times in
 *     file order; the reader's side of that is in test-reader.c).
 *  R4 machine__process_fork_event() -> thread__fork(): the child takes
 *     its parent's comm if the parent's was set (else keeps ":TID"); a
 *     new process (pid != parent's pid) gets a copy of the parent's maps
 *     at the fork (maps__clone), a new thread shares its process's maps.
 *  R5 machine__process_fork_event(): a thread already known under the
 *     child's tid is removed first (tid reuse), so the new one starts
 *     fresh from its parent.
 *  R6 machine__process_exit_event() in perf 6.1 only drops its reference
 *     (the thread stays, with its comm, until a FORK reuses the tid).
 *  R7 maps__fixup_overlappings(): a new map replaces the part of older
 *     maps it overlaps; what is left of an old map keeps its file offsets
 *     (the split halves get pgoff moved by what was cut), so an address
 *     there maps to the same file offset as before.
 *  R8 map__new(): an executable anonymous map (//anon, [stack], [heap],
 *     /SYSV...) is a JIT map named "/tmp/perf-PID.map", its addresses
 *     taken as they are.
 *  R9 kernel maps: "[kernel.kallsyms]_text" and modules
 *     ("/lib/modules/.../ext4.ko" is "[ext4]"); a user-mode address in
 *     the kernel's half falls back to the kernel maps
 *     (thread__find_map()'s vsyscall fallback).
 * swapdiag's own rule on top: a sample remembers (mm, version), and is
 * resolved later against the maps as they were at that moment.
 * R1-R8 are also checked against perf 6.1 itself, on a perf.data written
 * for it, by tests/machine/check-machine.py.
 *
 * This file checks the threads: names, comms, forks and tid reuse (R1-R6),
 * and the thread lookup's tables and view cache.  Address spaces and
 * where addresses land (R4's maps, R7-R9) are in test-machine-locate.c,
 * executables and fork counts in test-machine-exes.c, the map lookup's
 * shortcuts against the long way in test-machine-maps.c.
 */
#include <stdio.h>
#include <string.h>

#include "machworld.h"

TEST(idle_and_unknown_threads)
{
	struct world w;
	world_init(&w);
	/* R1 */
	CHECK_STR(comm_of(&w, 0, 0), "swapper");
	/* R2: pid 4242 never named */
	CHECK_STR(comm_of(&w, 4242, 4242), ":4242");
	/* a thread of an unnamed process: its own tid */
	CHECK_STR(comm_of(&w, 4242, 4243), ":4243");
	/* interned comms are the same id for the same string */
	CHECK_U64(sd_machine_intern_comm(w.m, "swapper"),
		  view_of(&w, 0, 0).comm);
	world_fini(&w);
}

TEST(comm_replaces)
{
	struct world w;
	world_init(&w);
	comm(&w, 100, 100, "bash", false, 0);
	CHECK_STR(comm_of(&w, 100, 100), "bash");
	/* R3: a sample processed before the exec's COMM has the old comm,
	 * one after it the new one, whatever their times */
	struct sd_thread_view before = view_of(&w, 100, 100);
	comm(&w, 100, 100, "make", true, 5000);
	struct sd_thread_view after = view_of(&w, 100, 100);
	CHECK_STR(sd_machine_comm_str(w.m, before.comm), "bash");
	CHECK_STR(sd_machine_comm_str(w.m, after.comm), "make");
	/* prctl(PR_SET_NAME) renames too (not an exec) */
	comm(&w, 100, 100, "make-worker", false, 6000);
	CHECK_STR(comm_of(&w, 100, 100), "make-worker");
	/* a COMM names one thread: the process's other threads keep theirs */
	comm(&w, 100, 101, "bash-thread", false, 6000);
	comm(&w, 100, 100, "make2", false, 7000);
	CHECK_STR(comm_of(&w, 100, 101), "bash-thread");
	/* a storm's execs name a few programs again and again (threads.c
	 * finds a name it has by first bytes and length): names alike in
	 * those, in turns, each the one its record gave, one id per name */
	static const char *const names[] = {"true", "trux", "cat", "ca",
					    "c", "", "true2"};
	uint32_t ids[7] = {0};
	for (uint32_t i = 0; i < 70; i++) {
		uint32_t pid = 200 + i;
		comm(&w, pid, pid, names[i % 7], true, 8000 + i);
		struct sd_thread_view v = view_of(&w, pid, pid);
		CHECK_STR(sd_machine_comm_str(w.m, v.comm), names[i % 7]);
		if (i < 7)
			ids[i] = v.comm;
		else
			CHECK(v.comm == ids[i % 7]);
	}
	world_fini(&w);
}

TEST(fork_inherits_comm)
{
	struct world w;
	world_init(&w);
	comm(&w, 200, 200, "httpd", false, 0);
	/* R4: a child is its parent's name until it execs */
	fork_(&w, 300, 200, 300, 200, 1000);
	CHECK_STR(comm_of(&w, 300, 300), "httpd");
	comm(&w, 300, 300, "php-cgi", true, 1100);
	CHECK_STR(comm_of(&w, 300, 300), "php-cgi");
	CHECK_STR(comm_of(&w, 200, 200), "httpd");
	/* a new thread of the child: the comm of the thread that made it */
	fork_(&w, 300, 300, 301, 300, 1200);
	CHECK_STR(comm_of(&w, 300, 301), "php-cgi");
	/* a parent nothing named: the child keeps its own ":TID" */
	fork_(&w, 500, 400, 500, 400, 1300);
	CHECK_STR(comm_of(&w, 500, 500), ":500");
	world_fini(&w);
}

TEST(tid_reuse)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 10, 10, "init", false, 0);
	comm(&w, 20, 20, "cron", false, 0);
	mmap2(&w, 20, 0x400000, 0x1000, 0, PROT_RX, "/usr/sbin/cron", 0);
	fork_(&w, 30, 10, 30, 10, 100);
	comm(&w, 30, 30, "oldjob", true, 110);
	mmap2(&w, 30, 0x500000, 0x1000, 0, PROT_RX, "/usr/bin/oldjob", 111);
	task(&w, SD_REC_EXIT, 30, 10, 30, 10, 200);
	/* R6: perf 6.1 keeps an exited thread: a late sample still names it */
	CHECK_STR(comm_of(&w, 30, 30), "oldjob");
	CHECK_STR(where(&w, view_of(&w, 30, 30), SD_MISC_USER, 0x500010, &a),
		  "/usr/bin/oldjob");
	/* R5: the tid comes back from another parent: a fresh thread with
	 * that parent's comm, not the old one's ... */
	fork_(&w, 30, 20, 30, 20, 300);
	CHECK_STR(comm_of(&w, 30, 30), "cron");
	/* ... and that parent's maps, none of the old process's */
	CHECK_STR(where(&w, view_of(&w, 30, 30), SD_MISC_USER, 0x400010, &a),
		  "/usr/sbin/cron");
	CHECK_STR(where(&w, view_of(&w, 30, 30), SD_MISC_USER, 0x500010, &a),
		  "");
	world_fini(&w);
}

/*
 * R2's ":TID" is printf's "%d" of the tid as perf's pid_t (negative above
 * INT_MAX); lookups that alternate between threads (machine.c keeps the
 * last two found), among thousands of threads (the table grows under
 * them), and a tid reused by a FORK while it is one of the last two,
 * each give that thread's comm as it is now.
 */
TEST(thread_names_and_lookups)
{
	struct world w;
	char name[32];
	world_init(&w);
	CHECK_STR(comm_of(&w, 7, 7), ":7");
	CHECK_STR(comm_of(&w, 1234567890, 1234567890), ":1234567890");
	CHECK_STR(comm_of(&w, 2147483647, 2147483647), ":2147483647");
	CHECK_STR(comm_of(&w, 2147483648u, 2147483648u), ":-2147483648");
	CHECK_STR(comm_of(&w, 4294967294u, 4294967294u), ":-2");
	CHECK_STR(comm_of(&w, UINT32_MAX, 4294967293u), ":-3");
	comm(&w, 1000, 1000, "alpha", false, 0);
	comm(&w, 2000, 2000, "beta", false, 0);
	for (int i = 0; i < 4; i++) {
		CHECK_STR(comm_of(&w, 1000, 1000), "alpha");
		CHECK_STR(comm_of(&w, 2000, 2000), "beta");
		CHECK_STR(comm_of(&w, 0, 0), "swapper");
	}
	for (uint32_t t = 10000; t < 15000; t++) {
		snprintf(name, sizeof name, "t%u", t);
		comm(&w, t, t, name, false, t);
		CHECK_STR(comm_of(&w, 1000, 1000), "alpha");
	}
	for (uint32_t t = 10000; t < 15000; t += 499) {
		snprintf(name, sizeof name, "t%u", t);
		CHECK_STR(comm_of(&w, t, t), name);
		CHECK_STR(comm_of(&w, 2000, 2000), "beta");
	}
	/* 2000 and 1000 are the last two; tid 2000 reborn as 1000's child */
	CHECK_STR(comm_of(&w, 1000, 1000), "alpha");
	fork_(&w, 2000, 1000, 2000, 1000, 20000);
	CHECK_STR(comm_of(&w, 2000, 2000), "alpha");
	CHECK_STR(comm_of(&w, 1000, 1000), "alpha");
	comm(&w, 2000, 2000, "gamma", true, 20001);
	CHECK_STR(comm_of(&w, 2000, 2000), "gamma");
	CHECK_STR(comm_of(&w, 14970, 14970), "t14970");
	world_fini(&w);
}

/*
 * The thread lookup's tables: tids that share a slot of the direct-mapped
 * thread cache (1024 apart) and of the callers' view cache (256 apart),
 * and enough threads to grow the tid hash several times, each keep their
 * own name (R2, R3) and address space, looked up in any order.
 */
TEST(thread_tables)
{
	struct world w;
	char name[32];
	world_init(&w);
	/* 3000 processes, tids 1000 + 256 k: every 4th shares a thread
	 * cache slot, every one a view cache slot */
	for (uint32_t k = 0; k < 3000; k++) {
		uint32_t tid = 1000 + 256 * k;
		snprintf(name, sizeof name, "t%u", k);
		if (k % 3)
			comm(&w, tid, tid, name, false, k);
	}
	for (uint32_t r = 0; r < 2; r++)
		for (uint32_t k = 0; k < 3000; k += (r ? 7 : 1)) {
			uint32_t tid = 1000 + 256 * ((k * 2654435761u) % 3000);
			uint32_t kk = (tid - 1000) / 256;
			if (kk % 3)
				snprintf(name, sizeof name, "t%u", kk);
			else
				snprintf(name, sizeof name, ":%u", tid);
			CHECK_STR(comm_of(&w, tid, tid), name);
		}
	/* distinct processes, distinct address spaces */
	struct sd_thread_view a = view_of(&w, 1000, 1000);
	struct sd_thread_view b = view_of(&w, 1000 + 1024, 1000 + 1024);
	CHECK(a.mm != b.mm);
	/* a thread (tid 5) of process 1000 shares its address space */
	CHECK_U64(view_of(&w, 1000, 5).mm, a.mm);
	world_fini(&w);
}

/* machine__update_thread_pid(): a thread first seen without its pid
 * (a sample's -1) learns it from the next record that names it, cached
 * or not, and from then on uses its process's address space. */
TEST(pid_learnt_late)
{
	struct world w;
	uint64_t a;
	world_init(&w);
	comm(&w, 300, 300, "srv", false, 0);
	CHECK_STR(comm_of(&w, UINT32_MAX, 301), ":301");
	struct sd_record r = {.type = SD_REC_MMAP2, .misc = SD_MISC_USER};
	r.mmap = (struct sd_mmap){.pid = 300, .tid = 301, .start = 0x400000,
				  .len = 0x1000, .prot = PROT_RX,
				  .filename = "/bin/srv"};
	CHECK(sd_machine_process(w.m, &r) == 0);
	CHECK_STR(where(&w, view_of(&w, 300, 300), SD_MISC_USER, 0x400010, &a),
		  "/bin/srv");
	CHECK_U64(view_of(&w, 300, 301).mm, view_of(&w, 300, 300).mm);
	world_fini(&w);
}

/* sd_machine_thread() the long way and through a view cache agree after
 * each record of a mix that renames, forks, reuses tids, maps (from any
 * thread of a process) and learns pids late: no cached view outlives a
 * change (tids 256 apart share a cache slot). */
static bool view_eq(struct sd_thread_view x, struct sd_thread_view y)
{
	return x.comm == y.comm && x.mm == y.mm && x.mm_ver == y.mm_ver;
}

TEST(view_cache)
{
	struct world w;
	struct sd_tvcache c;
	char name[32];
	uint32_t x = 12345;
	world_init(&w);
	sd_tvcache_init(&c, w.m);
	for (uint32_t step = 0; step < 20000; step++) {
		x = x * 1103515245u + 12345u;
		uint32_t r = x >> 8;
		uint32_t p = 100 + 256 * (r % 6);   /* six processes */
		uint32_t t = (r >> 4) % 3 ? p : p + 1 + (r >> 6) % 2;
		switch ((r >> 12) % 8) {
		case 0:
			snprintf(name, sizeof name, "c%u", r % 5);
			comm(&w, p, t, name, (r >> 20) & 1, step + 1);
			break;
		case 1: { /* a fork from another of the six, or a thread */
			uint32_t q = 100 + 256 * ((r >> 16) % 6);
			if (q == p)
				fork_(&w, p, p, p + 1 + (r >> 6) % 2, p,
				      step + 1);
			else
				fork_(&w, p, q, p, q, step + 1);
			break;
		}
		case 2: { /* by any of its threads */
			struct sd_record m = {.type = SD_REC_MMAP2,
					      .misc = SD_MISC_USER};
			m.mmap = (struct sd_mmap){
				.pid = p, .tid = t,
				.start = 0x400000 + 0x1000 * (r % 64),
				.len = 0x1000, .prot = PROT_RX,
				.filename = "/bin/x"};
			m.id.has_time = true;
			m.id.time = step + 1;
			CHECK(sd_machine_process(w.m, &m) == 0);
			break;
		}
		case 3:
			task(&w, SD_REC_EXIT, p, p, t, t, step + 1);
			break;
		default:
			break;
		}
		/* a lookup of a pid not known yet (perf's -1), then known */
		uint32_t pid = (r >> 24) % 7 ? p : UINT32_MAX;
		struct sd_thread_view want, got;
		CHECK(sd_machine_thread_cached(w.m, &c, pid, t, &got) == 0);
		CHECK(sd_machine_thread(w.m, pid, t, &want) == 0);
		CHECK(view_eq(got, want));
		if (!view_eq(got, want))
			break;
		/* and again, now surely from the cache */
		CHECK(sd_machine_thread_cached(w.m, &c, pid, t, &got) == 0);
		CHECK(view_eq(got, want));
	}
	world_fini(&w);
}

int main(void)
{
	RUN(idle_and_unknown_threads);
	RUN(comm_replaces);
	RUN(fork_inherits_comm);
	RUN(tid_reuse);
	RUN(thread_names_and_lookups);
	RUN(thread_tables);
	RUN(pid_learnt_late);
	RUN(view_cache);
	return test_exit();
}
