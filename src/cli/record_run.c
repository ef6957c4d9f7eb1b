/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record, while perf runs: the perf command line, perf run and
 * waited for, the workload it execs tracked (its start and end bound the
 * recording and the fork counts), and SIGINT, SIGTERM, SIGHUP turned
 * into a clean stop.  Only this file starts perf.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <swapdiag/bundle.h>

#include "cli/cli.h"
#include "cli/record.h"

/* perf's own wind-down (build-ids over the whole file) may take a while */
#define GRACE_SECONDS 120
#define KILL_AFTER_SECONDS 30

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

int record_stop_signal(void)
{
	return stop_signal;
}

void record_set_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

double record_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether perf's child has exec'd its workload, and whether it ended. */
static void track_workload(struct recording *r, pid_t perf, double t)
{
	char path[64], *text = NULL;
	size_t n;

	if (r->phase == 0) {
		if (!r->workload) {
			snprintf(path, sizeof path, "/proc/%d/task/%d/children",
				 (int)perf, (int)perf);
			if (sd_host_read_file(path, 4096, &text, &n))
				return;
			r->workload = (pid_t)atoi(text);
			free(text);
			if (r->workload <= 0) {
				r->workload = 0;
				return;
			}
		}
		snprintf(path, sizeof path, "/proc/%d/comm", (int)r->workload);
		if (sd_host_read_file(path, 256, &text, &n))
			return;
		bool execd = strcmp(text, "perf\n") != 0;
		free(text);
		if (execd && !sd_host_forks_since_boot("/proc/stat",
						       &r->forks_start)) {
			r->phase = 1;
			r->t_start = t;
		}
		return;
	}
	if (r->phase == 1) {
		snprintf(path, sizeof path, "/proc/%d/stat", (int)r->workload);
		bool gone = sd_host_read_file(path, 4096, &text, &n) != 0;
		if (!gone) {
			/* "pid (comm) S ...": the state after the last ')' */
			const char *rp = strrchr(text, ')');
			gone = !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
		}
		free(text);
		if (gone && !sd_host_forks_since_boot("/proc/stat",
						      &r->forks_end)) {
			r->phase = 2;
			r->t_end = t;
		}
	}
}

/*
 * Runs perf and waits for it, stopping it with SIGINT (perf then writes
 * what it has) when asked to stop, at the deadline, or past the grace
 * time; SIGKILL if even that does not end it.
 */
int record_run_perf(const struct record_perf_cmd *c, struct recording *r)
{
	char *const *argv = c->argv;
	double stop_at = c->stop_at, grace_at = c->grace_at;
	pid_t pid;
	int st;
	double t0 = record_now(), sent_int = 0;

	{
		char cmdline[4096];
		size_t off = 0;
		for (size_t i = 0; argv[i] && off < sizeof cmdline - 1; i++)
			off += (size_t)snprintf(cmdline + off,
						sizeof cmdline - off, "%s%s",
						i ? " " : "", argv[i]);
		cli_info("running: %s", cmdline);
	}
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* perf stops cleanly if swapdiag dies */
		prctl(PR_SET_PDEATHSIG, SIGINT);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execv(argv[0], argv);
		cli_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		double t = record_now() - t0;
		track_workload(r, pid, t);
		/* -d with COMMAND counts from the workload's start, not perf's;
		 * if that start is never seen, from perf's plus some slack */
		bool due = stop_at > 0 &&
			   (r->phase >= 1 ? t >= r->t_start + stop_at
					  : t >= stop_at + 5);
		if (!sent_int && (stop_signal || due || t >= grace_at)) {
			r->interrupted = stop_signal || t < grace_at;
			kill(pid, SIGINT);
			sent_int = t;
		} else if (sent_int && t >= sent_int + KILL_AFTER_SECONDS) {
			kill(pid, SIGKILL);
			r->killed = true;
		}
		struct timespec nap = {0, 50 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	r->seconds = record_now() - t0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

const char *record_sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
					: sig == SIGHUP	? "SIGHUP"
							: "a signal";
}

static void add_arg(char **argv, size_t *n, const char *a)
{
	argv[(*n)++] = (char *)a;
}

int record_perf_command(const char *perf, const struct record_opts *o,
			const struct record_events *e, const char *perf_data,
			struct record_perf_cmd *c)
{
	size_t ncmd = 0, pn = 0;
	char **pargv;

	while (o->command && o->command[ncmd])
		ncmd++;
	pargv = calloc(ncmd + 24, sizeof *pargv);
	if (!pargv)
		return -ENOMEM;
	snprintf(c->freq_ev, sizeof c->freq_ev, "cpu-clock/freq=%d/",
		 RECORD_CPU_FREQ);
	add_arg(pargv, &pn, perf);
	add_arg(pargv, &pn, "record");
	add_arg(pargv, &pn, "-a");
	add_arg(pargv, &pn, "-g");
	add_arg(pargv, &pn, "-e");
	add_arg(pargv, &pn, c->freq_ev);
	if (e->sched) {
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "sched:sched_switch");
	}
	if (e->lock) {
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "lock:contention_begin");
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "lock:contention_end");
	}
	add_arg(pargv, &pn, "-o");
	add_arg(pargv, &pn, perf_data);
	add_arg(pargv, &pn, "--");
	c->stop_at = 0;
	if (o->command) {
		for (size_t k = 0; k < ncmd; k++)
			add_arg(pargv, &pn, o->command[k]);
		if (o->seconds_given)
			c->stop_at = o->seconds;
		c->grace_at = o->seconds_given ? o->seconds + GRACE_SECONDS
					       : 1e18;
	} else {
		snprintf(c->sleep_arg, sizeof c->sleep_arg, "%g", o->seconds);
		add_arg(pargv, &pn, "sleep");
		add_arg(pargv, &pn, c->sleep_arg);
		c->grace_at = o->seconds + GRACE_SECONDS;
	}
	pargv[pn] = NULL;
	c->argv = pargv;
	return 0;
}
