/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record, before anything runs: root, perf found and usable,
 * perf_event_paranoid and capabilities, kallsyms readable; then which
 * tracepoints this kernel can record, tracefs mounted for them if need
 * be (tracefs.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <swapdiag/bundle.h>

#include "cli/cli.h"
#include "cli/record.h"

/* ---- checks before recording ---------------------------------------- */

/* The path of an executable named name in PATH, or NULL. */
static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : strdup(name);
	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = NULL;
		if (asprintf(&p, "%s/%s", *d ? d : ".", name) < 0)
			break;
		struct stat st;
		if (!stat(p, &st) && S_ISREG(st.st_mode) && !access(p, X_OK))
			found = p;
		else
			free(p);
	}
	free(dirs);
	return found;
}

/* Runs argv with stdout and stderr to /dev/null; its exit status, or -1. */
static int run_quiet(char *const *argv)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long read_long(const char *path, long dflt)
{
	char *t = NULL;
	size_t n;
	long v = dflt;

	if (!sd_host_read_file(path, 64, &t, &n)) {
		char *end;
		long x = strtol(t, &end, 10);
		if (end != t)
			v = x;
	}
	free(t);
	return v;
}

/* Whether this process has capability bit cap in its effective set. */
static bool has_cap(int cap)
{
	char *t = NULL;
	size_t n;
	bool yes = false;

	if (sd_host_read_file("/proc/self/status", 1u << 16, &t, &n))
		return false;
	const char *p = strstr(t, "\nCapEff:");
	if (p) {
		unsigned long long eff = strtoull(p + 8, NULL, 16);
		yes = (eff >> cap) & 1;
	}
	free(t);
	return yes;
}

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38

/* Whether /proc/kallsyms shows this process real addresses. */
static int kallsyms_visible(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];
	int lines = 0, nonzero = 0;

	if (!f)
		return -errno;
	while (lines < 2000 && fgets(line, sizeof line, f)) {
		lines++;
		if (strtoull(line, NULL, 16)) {
			nonzero = 1;
			break;
		}
	}
	fclose(f);
	return lines ? nonzero : -ENOENT;
}

static bool have_event(const char *dir, const char *sys, const char *name)
{
	char p[PATH_MAX];

	if (!dir)
		return false;
	snprintf(p, sizeof p, "%s/%s/%s/format", dir, sys, name);
	return !access(p, R_OK);
}


/* Checks that can fail before anything runs; an exit status or 0. */
int record_preflight(const struct record_opts *o, char **perf)
{
	if (geteuid() != 0) {
		cli_error("'swapdiag record' must run as root: perf records "
			  "every CPU (-a) and only root may read the kernel "
			  "addresses in /proc/kallsyms; run it with sudo "
			  "(sudo swapdiag record ...)");
		return CLI_EXIT_INPUT;
	}
	*perf = find_in_path(o->perf ? o->perf : "perf");
	if (!*perf) {
		if (o->perf)
			cli_error("no executable perf at '%s': give the path "
				  "of perf with --perf",
				  o->perf);
		else
			cli_error("perf is not installed (no 'perf' in PATH): "
				  "install it (Debian: apt install linux-perf; "
				  "Ubuntu: apt install linux-tools-$(uname -r); "
				  "RHEL, Fedora: dnf install perf), or give its "
				  "path with --perf");
		return CLI_EXIT_INPUT;
	}
	char *const version[] = {*perf, "--version", NULL};
	int rc = run_quiet(version);
	if (rc != 0) {
		cli_error("'%s --version' fails (exit status %d): perf is not "
			  "usable on this kernel; install the perf that matches "
			  "it (Debian: apt install linux-perf; Ubuntu: apt "
			  "install linux-tools-$(uname -r); RHEL, Fedora: dnf "
			  "install perf)",
			  *perf, rc);
		return CLI_EXIT_INPUT;
	}
	long paranoid = read_long("/proc/sys/kernel/perf_event_paranoid", 2);
	if (paranoid > -1 && !has_cap(CAP_PERFMON_BIT) &&
	    !has_cap(CAP_SYS_ADMIN_BIT)) {
		cli_error("kernel.perf_event_paranoid is %ld and this root has "
			  "neither CAP_PERFMON nor CAP_SYS_ADMIN (a container?): "
			  "perf cannot record every CPU with tracepoints; on the "
			  "host run 'sysctl -w kernel.perf_event_paranoid=-1' "
			  "(or give the process CAP_PERFMON), then record again",
			  paranoid);
		return CLI_EXIT_INPUT;
	}
	int vis = kallsyms_visible();
	if (vis == 0) {
		cli_error("/proc/kallsyms shows only zero addresses "
			  "(kernel.kptr_restrict is %ld): kernel frames could "
			  "not be named; run 'sysctl -w kernel.kptr_restrict=1' "
			  "(root then sees them) or give this process "
			  "CAP_SYSLOG, then record again",
			  read_long("/proc/sys/kernel/kptr_restrict", -1));
		return CLI_EXIT_INPUT;
	}
	if (vis < 0) {
		cli_error("cannot read /proc/kallsyms: %s: kernel frames could "
			  "not be named",
			  strerror(-vis));
		return CLI_EXIT_INPUT;
	}
	return 0;
}

/* Unmounts what tracefs_prepare mounted, saying so if that fails. */
void record_unmount_tracefs(struct tracefs_mount *t)
{
	const char *what = t->n ? t->paths[t->n - 1] : NULL;
	bool priv = t->private_ns;
	int err = t->n ? tracefs_release(t) : 0;

	if (err)
		cli_warn("cannot unmount %s, mounted for this recording: %s%s",
			 what, strerror(-err),
			 priv ? " (only this process sees it; it goes when "
				"this process ends)"
			      : "; unmount it with 'umount' when perf is done");
}

void record_events(struct tracefs_mount *tfs, struct record_events *e)
{
	int terr = tracefs_prepare(tfs);

	memset(e, 0, sizeof *e);
	if (!terr && tfs->n)
		cli_info("tracefs was not mounted: mounted it at %s for this "
			 "recording (%s); unmounted when perf is done",
			 tfs->paths[tfs->n - 1],
			 tfs->private_ns ? "in a mount namespace of its own, "
					   "the host's mounts stay as they are"
					 : "on the host");
	const char *ev = tracefs_events_dir();
	e->sched = have_event(ev, "sched", "sched_switch");
	e->lock = e->sched && have_event(ev, "lock", "contention_begin") &&
		  have_event(ev, "lock", "contention_end");
	if (!e->sched) {
		e->warning = "tracepoints unavailable: recorded cpu-clock only; "
			     "mmap_lock stalls cannot be judged";
		if (terr)
			cli_warn("tracepoints are not available: tracefs is not "
				 "mounted and mounting it failed (%s; "
				 "'mount -t tracefs nodev /sys/kernel/tracing' "
				 "as root with CAP_SYS_ADMIN mounts it): "
				 "recording cpu-clock only, so mmap_lock stalls "
				 "(D-state sleeps) cannot be judged from this "
				 "recording",
				 strerror(-terr));
		else
			cli_warn("tracepoints are not available (no "
				 "sched/sched_switch under %s): recording "
				 "cpu-clock only, so mmap_lock stalls (D-state "
				 "sleeps) cannot be judged from this recording",
				 ev ? ev : "/sys/kernel/tracing/events");
	} else if (!e->lock) {
		e->warning = "no lock:contention_begin/end tracepoints in this "
			     "kernel: lock contention not recorded";
		cli_info("note: this kernel has no lock:contention_begin/end "
			 "tracepoints (5.19 and later do): lock contention is "
			 "not recorded");
	}
}
