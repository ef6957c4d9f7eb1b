/*
 * forkswap: reproduce the "fork+exec storm with private anonymous memory in
 * swap" pathology that swapdiag diagnoses.
 *
 * The parent maps N MiB of private anonymous memory, touches every page,
 * pushes it to swap with madvise(MADV_PAGEOUT) *before* forking anything
 * (pages mapped by several processes would be skipped), prints VmSwap, then
 * forks W workers.  The workers inherit the swap entries and never touch the
 * memory, so it stays in swap.  Each worker loops fork()+execve() of a tiny
 * program until the deadline: every fork copies each swapped-out PTE
 * (copy_page_range -> swap_duplicate) while holding the worker's mmap_lock
 * for write, and every exec drops the references again
 * (exit_mmap -> unmap_page_range -> free_swap_and_cache_nr).
 *
 * With -n (control) the memory is touched but not paged out: the same storm
 * with nothing in swap.
 *
 * With -s the workers start the program with posix_spawn() instead of
 * fork()+execve(): glibc (2.24 and later) starts the child with
 * clone(CLONE_VM|CLONE_VFORK), so the worker's page tables -- and its
 * swapped-out PTEs -- are neither copied (no dup_mmap/copy_page_range, no
 * swap_duplicate) nor torn down again at the child's exec (the shared mm
 * only loses a reference).  Everything else stays the same: the twin of the
 * fork storm, the remedy for a fork+exec pattern.
 *
 * With -r N each worker starts at most N children per second (a fixed
 * schedule; a worker that falls behind does not burst to catch up), so the
 * fork and the posix_spawn storm can run at the same rate.  0 (default):
 * as fast as it can.
 *
 * Build: cc -O2 -fno-omit-frame-pointer -o forkswap forkswap.c
 * Usage: forkswap [-m MiB] [-w workers] [-t seconds] [-x program] [-p pidfile]
 *                 [-r per-second] [-n] [-s]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

extern char **environ;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmSwap of this process in kB, or -1. */
static long vm_swap_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmSwap: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static __attribute__((noinline)) char *map_and_touch(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("forkswap: mmap");
		exit(1);
	}
	/* 4 KiB pages: one swap entry per PTE, as on the affected hosts. */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12) | 1;
	return p;
}

static __attribute__((noinline)) void push_to_swap(char *p, size_t len)
{
	long want = (long)(len >> 10), kb = 0;

	for (int pass = 0; pass < 20; pass++) {
		if (madvise(p, len, MADV_PAGEOUT) != 0) {
			perror("forkswap: madvise(MADV_PAGEOUT)");
			exit(1);
		}
		kb = vm_swap_kb();
		if (kb >= want * 95 / 100)
			return;
		usleep(100000);
	}
	fprintf(stderr, "forkswap: warning: only %ld of %ld kB in swap "
		"(is swap enabled?)\n", kb, want);
}

/* One fork+exec+wait.  Returns 0, or -1 if fork failed. */
static __attribute__((noinline)) int spawn_one(const char *prog)
{
	char *argv[] = { (char *)prog, NULL };
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(prog, argv, environ);
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/*
 * One posix_spawn+wait (-s): no copy of this process's page tables.
 * Returns 0, -1 if the spawn failed for want of resources (try again), or
 * exits the worker if PROG cannot be run at all.
 */
static __attribute__((noinline)) int posix_spawn_one(const char *prog)
{
	char *argv[] = { (char *)prog, NULL };
	pid_t pid;
	int err = posix_spawn(&pid, prog, NULL, NULL, argv, environ);

	if (err == EAGAIN || err == ENOMEM)
		return -1;
	if (err) {
		fprintf(stderr, "forkswap: posix_spawn %s: %s\n", prog, strerror(err));
		_exit(1);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* Sleep until t (CLOCK_MONOTONIC seconds), or until a signal. */
static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static __attribute__((noinline)) void worker_loop(const char *prog,
						  double deadline,
						  int use_spawn, double rate)
{
	unsigned long n = 0;
	double next = now();

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!stop && now() < deadline) {
		if (rate > 0) {
			double t = now();

			if (next > t)
				sleep_until(next < deadline ? next : deadline);
			else if (t - next > 1 / rate)
				next = t;	/* behind: no burst */
			next += 1 / rate;
			if (stop || now() >= deadline)
				break;
		}
		if ((use_spawn ? posix_spawn_one(prog) : spawn_one(prog)) < 0)
			usleep(1000);
		else
			n++;
	}
	printf("forkswap: worker %d: %lu %s\n", (int)getpid(), n,
	       use_spawn ? "posix_spawn" : "fork+exec");
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	long mib = 256, workers = 2;
	double seconds = 10, rate = 0;
	const char *prog = "/bin/true", *pidfile = NULL;
	int control = 0, use_spawn = 0, c;

	while ((c = getopt(argc, argv, "m:w:t:x:p:r:ns")) != -1) {
		switch (c) {
		case 'm': mib = atol(optarg); break;
		case 'w': workers = atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'x': prog = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 'n': control = 1; break;
		case 's': use_spawn = 1; break;
		default:
			fprintf(stderr, "usage: %s [-m MiB] [-w workers] [-t seconds] "
				"[-x program] [-p pidfile] [-r per-second] [-n] [-s]\n",
				argv[0]);
			return 2;
		}
	}
	if (mib < 0 || workers < 1 || workers > 256 || seconds <= 0 ||
	    rate < 0) {
		fprintf(stderr, "forkswap: bad arguments\n");
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	size_t len = (size_t)mib << 20;
	char *mem = len ? map_and_touch(len) : NULL;

	if (len && !control)
		push_to_swap(mem, len);
	printf("forkswap: pid %d, %ld MiB private anonymous, %s, VmSwap: %ld kB\n",
	       (int)getpid(), mib, control ? "control (not paged out)" : "paged out",
	       vm_swap_kb());
	if (use_spawn || rate > 0) {
		char per[64] = "as fast as they can";

		if (rate > 0)
			snprintf(per, sizeof per, "at most %g per second each", rate);
		printf("forkswap: workers start %s with %s, %s\n", prog,
		       use_spawn ? "posix_spawn (clone CLONE_VM|CLONE_VFORK)"
				 : "fork+execve", per);
	}
	fflush(stdout);

	double deadline = now() + seconds;
	pid_t *pids = calloc((size_t)workers, sizeof *pids);
	FILE *pf = pidfile ? fopen(pidfile, "w") : NULL;

	for (long i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("forkswap: fork");
			break;
		}
		if (pids[i] == 0)
			worker_loop(prog, deadline, use_spawn, rate);
		if (pf)
			fprintf(pf, "%d\n", (int)pids[i]);
	}
	if (pf)
		fclose(pf);

	for (long i = 0; i < workers; i++) {
		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], NULL, 0) < 0) {
			if (errno != EINTR)
				break;
			if (stop)	/* forward SIGTERM/SIGINT to the workers */
				for (long j = 0; j < workers; j++)
					if (pids[j] > 0)
						kill(pids[j], SIGTERM);
		}
	}
	printf("forkswap: done, VmSwap: %ld kB\n", vm_swap_kb());
	return 0;
}
