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

TEST(fork_copies_maps_threads_share_them)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 1000, 1000, "parent", false, 0);
	mmap2(&w, 1000, 0x400000, 0x10000, 0, PROT_RX, "/usr/bin/parent", 0);
	/* a thread of the parent, made before the next map */
	fork_(&w, 1000, 1000, 1001, 1000, 50);
	/* R4: a new process: the parent's maps as they are at the fork */
	fork_(&w, 2000, 1000, 2000, 1000, 100);
	/* after the fork the parent maps a library; the child does not see it */
	mmap2(&w, 1000, 0x7f0000000000, 0x20000, 0, PROT_RX,
	      "/usr/lib/libfoo.so", 200);
	/* the child maps its own; the parent does not see that */
	mmap2(&w, 2000, 0x7f1000000000, 0x1000, 0, PROT_RX,
	      "/usr/lib/libchild.so", 210);
	struct sd_thread_view p = view_of(&w, 1000, 1000);
	struct sd_thread_view c = view_of(&w, 2000, 2000);
	struct sd_thread_view t = view_of(&w, 1000, 1001);

	CHECK_STR(where(&w, c, SD_MISC_USER, 0x400100, &a), "/usr/bin/parent");
	CHECK_U64(a, 0x100);
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x7f0000000100, &a), "");
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x7f1000000100, &a),
		  "/usr/lib/libchild.so");
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x7f0000000100, &a),
		  "/usr/lib/libfoo.so");
	CHECK_U64(a, 0x100);
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x7f1000000100, &a), "");
	/* the thread shares its process's maps, also those mapped after it
	 * was made */
	CHECK_STR(where(&w, t, SD_MISC_USER, 0x7f0000000100, &a),
		  "/usr/lib/libfoo.so");
	CHECK_U64(t.mm, p.mm);
	/* nothing mapped there at all */
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x1000, &a), "");
	world_fini(&w);
}

TEST(overlapping_maps_split)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 7, 7, "app", false, 0);
	/* libold: [0x10000, 0x20000) at file offset 0x3000 */
	mmap2(&w, 7, 0x10000, 0x10000, 0x3000, PROT_RX, "/lib/libold.so", 10);
	struct sd_thread_view v1 = view_of(&w, 7, 7);
	/* libnew over its middle: [0x14000, 0x18000) at file offset 0 */
	mmap2(&w, 7, 0x14000, 0x4000, 0, PROT_RX, "/lib/libnew.so", 20);
	struct sd_thread_view v2 = view_of(&w, 7, 7);

	/* R7: the overlap is the new map's ... */
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x14000, &a), "/lib/libnew.so");
	CHECK_U64(a, 0);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x17fff, &a), "/lib/libnew.so");
	CHECK_U64(a, 0x3fff);
	/* ... and both sides left over are the old one's, with the file
	 * offsets they always had: ip - 0x10000 + 0x3000 */
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x13fff, &a), "/lib/libold.so");
	CHECK_U64(a, 0x13fff - 0x10000 + 0x3000);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x18000, &a), "/lib/libold.so");
	CHECK_U64(a, 0x18000 - 0x10000 + 0x3000);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x1ffff, &a), "/lib/libold.so");
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x20000, &a), "");
	/* a sample taken before the new map resolves against the old maps,
	 * even when resolved after it */
	CHECK_STR(where(&w, v1, SD_MISC_USER, 0x15000, &a), "/lib/libold.so");
	CHECK_U64(a, 0x15000 - 0x10000 + 0x3000);
	/* a map that covers the old one whole replaces it */
	mmap2(&w, 7, 0x0f000, 0x20000, 0x1000, PROT_RX, "/lib/libbig.so", 30);
	struct sd_thread_view v3 = view_of(&w, 7, 7);
	CHECK_STR(where(&w, v3, SD_MISC_USER, 0x15000, &a), "/lib/libbig.so");
	CHECK_U64(a, 0x15000 - 0x0f000 + 0x1000);
	CHECK_STR(where(&w, v3, SD_MISC_USER, 0x11000, &a), "/lib/libbig.so");
	world_fini(&w);
}

TEST(jit_and_anonymous_maps)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 99, 99, "java", false, 0);
	/* R8: executable anonymous memory is the JIT map, address as is */
	mmap2(&w, 99, 0x7000000, 0x100000, 0, PROT_RX, "//anon", 10);
	struct sd_thread_view v = view_of(&w, 99, 99);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x7000123, &a),
		  "/tmp/perf-99.map");
	CHECK_U64(a, 0x7000123);
	/* not executable: a data map, but one that still holds the address
	 * as is (perf: identity map_ip for anonymous memory) */
	mmap2(&w, 99, 0x9000000, 0x1000, 0, 3 /* RW */, "[heap]", 20);
	v = view_of(&w, 99, 99);
	where(&w, v, SD_MISC_USER, 0x9000010, &a);
	CHECK_U64(a, 0x9000010);
	world_fini(&w);
}

TEST(kernel_maps)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	/* R9 */
	kmmap(&w, 0xffffffff81000000ull, 0x1000000, 0xffffffff81000000ull,
	      "[kernel.kallsyms]_text");
	kmmap(&w, 0xffffffffc0000000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko");
	kmmap(&w, 0xffffffffc0100000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/net/nf-conntrack.ko.xz");
	comm(&w, 5, 5, "kworker", false, 0);
	struct sd_thread_view v = view_of(&w, 5, 5);
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffff81001234ull, &a),
		  "[kernel.kallsyms]");
	CHECK_U64(a, 0xffffffff81001234ull); /* kernel addresses as they are */
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffffc0000010ull, &a),
		  "[ext4]");
	/* dashes of a module's file name are underscores in its name */
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffffc0100010ull, &a),
		  "[nf_conntrack]");
	/* a user-mode sample in the kernel's half: the kernel maps */
	CHECK(sd_machine_kernel_ip(w.m, 0xffffffff81001234ull));
	CHECK(!sd_machine_kernel_ip(w.m, 0x400000));
	CHECK_STR(where(&w, v, SD_MISC_USER, 0xffffffff81001234ull, &a),
		  "[kernel.kallsyms]");
	world_fini(&w);
}

/* R9 at its edge: the kernel's half starts at 2^63 (no kernel map
 * loaded: the kernel's reaches down to it) */
TEST(kernel_half_edge)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 5, 5, "sh", false, 0);
	struct sd_thread_view v = view_of(&w, 5, 5);
	CHECK_STR(where(&w, v, SD_MISC_USER, 1ull << 63, &a),
		  "[kernel.kallsyms]");
	CHECK_STR(where(&w, v, SD_MISC_USER, (1ull << 63) - 1, &a), "");
	world_fini(&w);
}

TEST(forks_per_executable)
{
	struct world w;
	world_init(&w);
	/* synthesized at the start (time 0): names, not forks */
	comm(&w, 50, 50, "httpd", false, 0);
	mmap2(&w, 50, 0x400000, 0x1000, 0, PROT_RX, "/usr/sbin/httpd", 0);
	fork_(&w, 51, 50, 51, 50, 0);
	/* the recording: three forks by httpd, one of them renamed by
	 * prctl first (the executable stays), and a thread (not a fork) */
	fork_(&w, 60, 50, 60, 50, 100);
	fork_(&w, 61, 50, 61, 50, 110);
	comm(&w, 50, 50, "/usr/sbin/apach", false, 115);
	fork_(&w, 62, 50, 62, 50, 120);
	fork_(&w, 50, 50, 52, 50, 130);
	/* child 60 execs php-cgi: what httpd's children exec */
	comm(&w, 60, 60, "php-cgi", true, 140);
	mmap2(&w, 60, 0x400000, 0x1000, 0, PROT_RX, "/usr/bin/php-cgi", 141);
	/* a data map after the exec does not name the executable */
	CHECK_STR(sd_machine_pid_exe(w.m, 60), "/usr/bin/php-cgi");
	CHECK_STR(sd_machine_pid_exe(w.m, 61), "/usr/sbin/httpd");
	CHECK_STR(sd_machine_pid_exe(w.m, 50), "/usr/sbin/httpd");

	size_t found = 0;
	for (size_t i = 0; i < sd_machine_nr_exes(w.m); i++) {
		struct sd_exe_forks e;
		CHECK(sd_machine_exe_forks(w.m, i, &e) == 0);
		if (e.exe && !strcmp(e.exe, "/usr/sbin/httpd")) {
			found++;
			CHECK_U64(e.forks, 3);
			CHECK_U64(e.nr_pids, 1);
			CHECK_U64(e.nr_pids ? e.pids[0] : 0, 50);
			/* two forks as "httpd", one as the renamed comm */
			uint64_t httpd = 0, apach = 0;
			for (size_t k = 0; k < e.nr_comms; k++) {
				if (!strcmp(e.comms[k].name, "httpd"))
					httpd = e.comms[k].count;
				if (!strcmp(e.comms[k].name, "/usr/sbin/apach"))
					apach = e.comms[k].count;
			}
			CHECK_U64(httpd, 2);
			CHECK_U64(apach, 1);
			CHECK_U64(e.nr_execs, 1);
			CHECK_STR(e.nr_execs ? e.execs[0].name : NULL,
				  "/usr/bin/php-cgi");
			CHECK_U64(e.nr_execs ? e.execs[0].count : 0, 1);
		}
		free(e.comms);
		free(e.execs);
	}
	CHECK_U64(found, 1);
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
 * The newest map covering an address wins (R7), whether the address
 * space has a few maps (machine.c scans them) or many (it indexes them):
 * 20 maps of 3 pages, each one page above the last, queried with the
 * view taken after 6 of them and after all 20.
 */
TEST(few_and_many_maps)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;
	struct sd_thread_view six = {0};
	world_init(&w);
	comm(&w, 50, 50, "maps", false, 0);
	for (unsigned k = 0; k < 20; k++) {
		snprintf(file, sizeof file, "/f/%u", k);
		mmap2(&w, 50, 0x10000 + k * 0x1000, 0x3000, 0, PROT_RX, file,
		      k);
		if (k == 5)
			six = view_of(&w, 50, 50);
	}
	struct sd_thread_view all = view_of(&w, 50, 50);
	for (unsigned j = 0; j < 24; j++) {
		uint64_t ip = 0x10000 + j * 0x1000 + 0x10;
		/* maps j-2..j cover page j: the newest is j (at most 19) */
		unsigned k = j < 20 ? j : 19;
		if (j < 22)
			snprintf(want, sizeof want, "/f/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, all, SD_MISC_USER, ip, &a), want);
		/* with maps 0..5 only */
		k = j < 6 ? j : 5;
		if (j < 8)
			snprintf(want, sizeof want, "/f/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, six, SD_MISC_USER, ip, &a), want);
	}
	CHECK_STR(where(&w, all, SD_MISC_USER, 0xfff0, &a), "");
	world_fini(&w);
}

/*
 * A fork storm's many small address spaces (machine/mm.c gives each its
 * first maps from a shared slab): 300 processes get three maps each,
 * handed out in turns, then one of them twelve more (past the slab's
 * room for it), and a process made after that four; every process still
 * finds exactly its own maps, at the file offsets its records gave.
 */
TEST(many_small_address_spaces)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;

	world_init(&w);
	for (uint32_t p = 0; p < 300; p++)
		comm(&w, 1000 + p, 1000 + p, "small", false, 0);
	for (unsigned k = 0; k < 3; k++)
		for (uint32_t p = 0; p < 300; p++) {
			snprintf(file, sizeof file, "/s/%u.%u", p, k);
			mmap2(&w, 1000 + p, 0x400000 + k * 0x10000, 0x1000,
			      p * 0x1000, PROT_RX, file, 1);
		}
	for (unsigned k = 3; k < 15; k++) {
		snprintf(file, sizeof file, "/s/7.%u", k);
		mmap2(&w, 1007, 0x400000 + k * 0x10000, 0x1000, 0, PROT_RX,
		      file, 2);
	}
	/* a new process after that: the room 1007 outgrew is its now */
	comm(&w, 2000, 2000, "late", false, 0);
	for (unsigned k = 0; k < 4; k++) {
		snprintf(file, sizeof file, "/late/%u", k);
		mmap2(&w, 2000, 0x400000 + k * 0x10000, 0x1000, 0, PROT_RX,
		      file, 3);
	}
	struct sd_thread_view late = view_of(&w, 2000, 2000);
	for (unsigned k = 0; k < 5; k++) {
		if (k < 4)
			snprintf(want, sizeof want, "/late/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, late, SD_MISC_USER,
				0x400000 + k * 0x10000, &a), want);
	}
	int bad = 0;
	for (uint32_t p = 0; p < 300; p++) {
		struct sd_thread_view v = view_of(&w, 1000 + p, 1000 + p);
		for (unsigned k = 0; k < 16; k++) {
			uint64_t ip = 0x400000 + k * 0x10000 + 0x10;
			if (k < 3 || (p == 7 && k < 15))
				snprintf(want, sizeof want, "/s/%u.%u", p, k);
			else
				want[0] = '\0';
			const char *got = where(&w, v, SD_MISC_USER, ip, &a);
			bad += strcmp(got, want) != 0;
			if (want[0] && !(p == 7 && k >= 3))
				bad += a != p * 0x1000 + 0x10;
		}
	}
	CHECK(bad == 0);
	world_fini(&w);
}

/*
 * R4 over three generations, with machine.c's shortcut (the bounds of
 * what the ancestors' maps cover, fixed at each fork): a child finds its
 * own maps, its parent's, its grandparent's; not a map its grandparent
 * made after the forks, and nothing outside every map.
 */
TEST(ancestors_maps)
{
	struct world w;
	uint64_t a;
	world_init(&w);
	comm(&w, 60, 60, "grand", false, 0);
	mmap2(&w, 60, 0x1000000, 0x10000, 0, PROT_RX, "/g", 1);
	fork_(&w, 61, 60, 61, 60, 2);
	mmap2(&w, 61, 0x2000000, 0x10000, 0, PROT_RX, "/p", 3);
	fork_(&w, 62, 61, 62, 61, 4);
	mmap2(&w, 62, 0x3000000, 0x10000, 0, PROT_RX, "/c", 5);
	mmap2(&w, 60, 0x5000000, 0x10000, 0, PROT_RX, "/late", 6);
	struct sd_thread_view v = view_of(&w, 62, 62);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x3000010, &a), "/c");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x2000010, &a), "/p");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x1000010, &a), "/g");
	CHECK_U64(a, 0x10);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x5000010, &a), "");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x9000000, &a), "");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x500, &a), "");
	/* the grandparent itself sees its late map */
	CHECK_STR(where(&w, view_of(&w, 60, 60), SD_MISC_USER, 0x5000010, &a),
		  "/late");
	/* a child forked from the parent before it mapped anything of its
	 * own: the grandparent's map through an empty parent */
	fork_(&w, 70, 60, 70, 60, 7);
	fork_(&w, 71, 70, 71, 70, 8);
	CHECK_STR(where(&w, view_of(&w, 71, 71), SD_MISC_USER, 0x1000020, &a),
		  "/g");
	CHECK_STR(where(&w, view_of(&w, 71, 71), SD_MISC_USER, 0x5000020, &a),
		  "/late");
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

/*
 * The executable of each process (forks.c) is the first executable map
 * after its exec, named exactly: 100 processes exec one of 70 files, in
 * an order that reuses names and mixes them, each named right.
 */
TEST(exec_names)
{
	struct world w;
	char file[32], want[32];
	world_init(&w);
	for (uint32_t k = 0; k < 100; k++) {
		uint32_t pid = 500 + k;
		snprintf(file, sizeof file, "/usr/bin/e%u", (k * 37) % 70);
		comm(&w, pid, pid, "x", true, 10 + k);
		mmap2(&w, pid, 0x400000, 0x1000, 0, PROT_RX, file, 10 + k);
		/* a second executable map is not the executable */
		mmap2(&w, pid, 0x7f0000000000, 0x1000, 0, PROT_RX,
		      "/lib/libc.so.6", 10 + k);
	}
	for (uint32_t k = 0; k < 100; k++) {
		snprintf(want, sizeof want, "/usr/bin/e%u", (k * 37) % 70);
		const char *exe = sd_machine_pid_exe(w.m, 500 + k);
		CHECK_STR(exe ? exe : "(none)", want);
	}
	world_fini(&w);
}

/*
 * sd_machine_fork(): the parent as sd_machine_thread() and
 * sd_machine_pid_exe() would have given it just before the record --
 * a named parent, an unnamed one (":TID"), a stale thread under the
 * parent's tid (its comm, though R5 replaces it by a fresh ":TID"), a
 * new thread (no executable) -- and the fork applied as by
 * sd_machine_process().
 */
TEST(fork_gives_its_parent)
{
	struct world w;
	struct sd_task t;
	uint32_t c;
	const char *exe;
	world_init(&w);
	comm(&w, 70, 70, "httpd", true, 0);
	mmap2(&w, 70, 0x400000, 0x1000, 0, PROT_RX, "/usr/sbin/httpd", 1);
	t = (struct sd_task){.pid = 71, .ppid = 70, .tid = 71, .ptid = 70,
			     .time = 10};
	CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
	CHECK_STR(sd_machine_comm_str(w.m, c), "httpd");
	CHECK_STR(exe ? exe : "(none)", "/usr/sbin/httpd");
	CHECK_STR(comm_of(&w, 71, 71), "httpd");
	CHECK_STR(sd_machine_pid_exe(w.m, 71), "/usr/sbin/httpd");
	/* a parent nothing named, of no known executable */
	t = (struct sd_task){.pid = 81, .ppid = 80, .tid = 81, .ptid = 80,
			     .time = 11};
	CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
	CHECK_STR(sd_machine_comm_str(w.m, c), ":80");
	CHECK(exe == NULL);
	/* tid 90 known as a thread of 70 ("worker"), now a parent of pid 90 */
	comm(&w, 70, 90, "worker", false, 12);
	t = (struct sd_task){.pid = 91, .ppid = 90, .tid = 91, .ptid = 90,
			     .time = 13};
	CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
	CHECK_STR(sd_machine_comm_str(w.m, c), "worker");
	CHECK_STR(comm_of(&w, 91, 91), ":91"); /* the fresh parent's: unset */
	CHECK_STR(comm_of(&w, 90, 90), ":90");
	/* a new thread of httpd: its comm, no executable asked for */
	t = (struct sd_task){.pid = 70, .ppid = 70, .tid = 72, .ptid = 70,
			     .time = 14};
	CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
	CHECK_STR(sd_machine_comm_str(w.m, c), "httpd");
	CHECK(exe == NULL);
	CHECK_STR(comm_of(&w, 70, 72), "httpd");
	world_fini(&w);
}

/*
 * A storm of forks whose parents change: each child execs its own
 * executable, then the next fork comes from it or from the root, or from
 * a second thread of the root; sd_machine_fork() gives each its
 * parent's executable (the machine remembers where each process is in
 * the fork table, and 600 processes make that table grow under it), and
 * the forks and execs are counted on the right executables (forks.c
 * remembers the last one counted on).
 */
TEST(fork_storm_parents)
{
	struct world w;
	struct sd_task t;
	uint32_t c;
	const char *exe;
	char file[32], want[32];
	world_init(&w);
	comm(&w, 1000, 1000, "root", true, 0);
	mmap2(&w, 1000, 0x400000, 0x1000, 0, PROT_RX, "/usr/bin/root", 0);
	t = (struct sd_task){.pid = 1000, .ppid = 1000, .tid = 999,
			     .ptid = 1000, .time = 1};
	CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
	for (uint32_t k = 1; k <= 600; k++) {
		uint32_t pid = 1000 + k, ppid = k % 3 ? pid - 1 : 1000;
		uint32_t ptid = k % 6 == 0 ? 999 : ppid;
		if (ppid == 1000)
			snprintf(want, sizeof want, "/usr/bin/root");
		else
			snprintf(want, sizeof want, "/usr/bin/c%u", ppid - 1000);
		t = (struct sd_task){.pid = pid, .ppid = ppid, .tid = pid,
				     .ptid = ptid, .time = 10 + k};
		CHECK(sd_machine_fork(w.m, &t, &c, &exe) == 0);
		CHECK_STR(exe ? exe : "(none)", want);
		snprintf(file, sizeof file, "/usr/bin/c%u", k);
		comm(&w, pid, pid, "c", true, 10 + k);
		mmap2(&w, pid, 0x400000, 0x1000, 0, PROT_RX, file, 10 + k);
	}
	CHECK_STR(sd_machine_pid_exe(w.m, 1600), "/usr/bin/c600");
	/* root forked 201 (k 1 and every third), c1..c599 but every third
	 * one each; each child exec'd away from its parent's executable */
	CHECK_U64(sd_machine_nr_exes(w.m), 400);
	for (size_t i = 0; i < sd_machine_nr_exes(w.m); i++) {
		struct sd_exe_forks e;
		CHECK(sd_machine_exe_forks(w.m, i, &e) == 0);
		bool root = e.exe && !strcmp(e.exe, "/usr/bin/root");
		CHECK_U64(e.forks, root ? 201 : 1);
		CHECK_U64(e.nr_execs, root ? 201 : 1);
		free(e.comms);
		free(e.execs);
	}
	world_fini(&w);
}

/*
 * A storm's address spaces: 20 000, one per process, past the size where
 * their array moves to a mapping of its own (util/vmem.h) and grows
 * there: every one keeps its map, the first ones' as the last ones'.
 */
TEST(storm_of_address_spaces)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;
	int bad = 0;

	world_init(&w);
	for (uint32_t p = 0; p < 20000; p++) {
		snprintf(file, sizeof file, "/storm/%u", p);
		fork_(&w, 10000 + p, 1, 10000 + p, 1, 5);
		mmap2(&w, 10000 + p, 0x400000, 0x1000, p * 0x1000, PROT_RX,
		      file, 6);
	}
	for (uint32_t p = 0; p < 20000; p += 7) {
		struct sd_thread_view v = view_of(&w, 10000 + p, 10000 + p);
		snprintf(want, sizeof want, "/storm/%u", p);
		bad += strcmp(where(&w, v, SD_MISC_USER, 0x400010, &a),
			      want) != 0;
		bad += a != p * 0x1000 + 0x10;
	}
	CHECK(bad == 0);
	world_fini(&w);
}

int main(void)
{
	RUN(idle_and_unknown_threads);
	RUN(comm_replaces);
	RUN(fork_inherits_comm);
	RUN(tid_reuse);
	RUN(fork_copies_maps_threads_share_them);
	RUN(overlapping_maps_split);
	RUN(jit_and_anonymous_maps);
	RUN(kernel_maps);
	RUN(kernel_half_edge);
	RUN(forks_per_executable);
	RUN(thread_names_and_lookups);
	RUN(few_and_many_maps);
	RUN(many_small_address_spaces);
	RUN(ancestors_maps);
	RUN(thread_tables);
	RUN(view_cache);
	RUN(exec_names);
	RUN(fork_gives_its_parent);
	RUN(fork_storm_parents);
	RUN(storm_of_address_spaces);
	return test_exit();
}
