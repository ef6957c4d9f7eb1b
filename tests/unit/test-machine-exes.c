/* SPDX-License-Identifier: MIT */
/*
 * machine: the executable of each process and the forks counted on it
 * (sd_machine_pid_exe(), sd_machine_exe_forks(), sd_machine_fork()),
 * from hand-built COMM, FORK and MMAP records: forks per executable with
 * the comms they forked as and what their children exec'd, the first
 * executable map after an exec naming the process, the parent a fork
 * is given (named, unnamed, a stale tid, a new thread), and a storm of
 * forks whose parents change.  The rules R1-R9 of the machine are in
 * test-machine.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machworld.h"

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
	/* nor an executable map of no file, nor a file's data map */
	mmap2(&w, 60, 0x7fff0000, 0x1000, 0, PROT_RX, "[vdso]", 140);
	mmap2(&w, 60, 0x600000, 0x1000, 0, 1, "/etc/php.ini", 140);
	mmap2(&w, 60, 0x400000, 0x1000, 0, PROT_RX, "/usr/bin/php-cgi", 141);
	/* a data map after the exec does not name the executable */
	mmap2(&w, 60, 0x700000, 0x1000, 0, PROT_RX, "/lib/libc.so", 142);
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

int main(void)
{
	RUN(forks_per_executable);
	RUN(exec_names);
	RUN(fork_gives_its_parent);
	RUN(fork_storm_parents);
	return test_exit();
}
