/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record: runs perf on the sick host and bundles its output with
 * the host context.  This file runs the stages in order (record.h):
 * options, checks, tracepoints, the host context, perf, the bundle.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <swapdiag/bundle.h>
#include <swapdiag/reader.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "config.h"

/* What the recording will hold and what it costs, before it starts. */
static void say_plan(const struct record_opts *o,
		     const struct record_events *e, const char *output)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->command)
		cli_info("recording all %ld CPUs while '%s' runs%s into %s:",
			 ncpu, o->command[0],
			 o->seconds_given ? " (at most -d seconds)" : "", output);
	else
		cli_info("recording all %ld CPUs for %g s into %s:", ncpu,
			 o->seconds, output);
	cli_info("  on-CPU call stacks: cpu-clock at %d Hz on each CPU",
		 RECORD_CPU_FREQ);
	if (e->sched)
		cli_info("  every context switch with its stack "
			 "(sched:sched_switch), for D-state stalls");
	if (e->lock)
		cli_info("  lock contention (lock:contention_begin/end)");
	cli_info("  then /proc/kallsyms, uname -a, /proc/swaps, /proc/meminfo, "
		 "vm.* sysctls and the %d processes with the most swap",
		 RECORD_TOP_PROCS);
	cli_info("overhead is small (about 1%% of a CPU, and a record per "
		 "context switch); Ctrl-C stops early and keeps what was "
		 "recorded");
}

/*
 * perf.data as perf left it, opened for the bundle (*fd, its size in
 * *size); -1 with the message given when perf wrote nothing.  Says how
 * perf ended, adding to the manifest's warnings.
 */
static int take_perf_data(const char *perf, const char *perf_data,
			  const struct record_opts *o,
			  const struct record_events *e,
			  const struct recording *r, const char **warnings,
			  size_t *nwarn, int *fd, uint64_t *size)
{
	struct stat st;
	int pfd = open(perf_data, O_RDONLY | O_CLOEXEC);

	if (pfd < 0 || fstat(pfd, &st) || st.st_size == 0) {
		if (pfd >= 0)
			close(pfd);
		if (r->status == 127)
			cli_error("%s could not be started", perf);
		else
			cli_error("perf record failed (exit status %d) and "
				  "wrote nothing: see its message above%s",
				  r->status,
				  e->sched ? "; if it is about the tracepoints, "
					     "check that tracefs is mounted"
					   : "");
		return -1;
	}
	if (r->status != 0 && !r->interrupted && o->command) {
		/* perf passes on the workload's exit status */
		cli_info("'%s' exited with status %d", o->command[0],
			 r->status);
	} else if (r->status != 0 && !r->interrupted) {
		cli_warn("perf record exited with status %d: bundling what it "
			 "wrote (%lld bytes)",
			 r->status, (long long)st.st_size);
		warnings[(*nwarn)++] = "perf record exited with an error status";
	}
	if (r->killed) {
		cli_warn("perf did not stop on SIGINT and was killed: the "
			 "recording may end early or be incomplete");
		warnings[(*nwarn)++] = "perf was killed";
	}
	*fd = pfd;
	*size = (uint64_t)st.st_size;
	return 0;
}

int cli_record(int argc, char **argv)
{
	struct record_opts o;
	char *perf = NULL, *output = NULL, *outdir = NULL, *staging = NULL;
	char perf_data[PATH_MAX], partial[PATH_MAX];
	const char *warnings[8] = {NULL};
	size_t nwarn = 0;
	int rc = CLI_EXIT_INPUT, err;
	struct record_bundle b = {.n = 0};
	struct record_perf_cmd cmd = {.argv = NULL};
	struct sd_bundle_dsos dsos = {0};
	struct tracefs_mount tfs = {0};

	cli_command = "record";
	if (record_parse_args(argc, argv, &o))
		return CLI_EXIT_USAGE;
	if ((rc = record_preflight(&o, &perf)))
		goto out;
	rc = CLI_EXIT_INPUT;

	output = o.output ? strdup(o.output) : record_default_output();
	outdir = output ? record_dir_of(output) : NULL;
	if (!output || !outdir ||
	    asprintf(&staging, "%s/.swapdiag-record.XXXXXX", outdir) < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (!mkdtemp(staging)) {
		cli_error("cannot write in '%s': %s: give -o a path in a "
			  "writable directory with room for the recording",
			  outdir, strerror(errno));
		free(staging);
		staging = NULL;
		goto out;
	}
	snprintf(perf_data, sizeof perf_data, "%s/perf.data", staging);
	snprintf(partial, sizeof partial, "%s/bundle.partial", staging);

	/* what to record: tracefs mounted for it if need be */
	struct record_events ev;
	record_events(&tfs, &ev);
	if (ev.warning)
		warnings[nwarn++] = ev.warning;
	if (record_perf_command(perf, &o, &ev, perf_data, &cmd)) {
		cli_error("out of memory");
		goto out;
	}
	say_plan(&o, &ev, output);

	/* the host as the recording starts: small, taken just before perf */
	int64_t forks0 = -1, forks1 = -1;
	sd_host_forks_since_boot("/proc/stat", &forks0);
	record_set_stop_handlers();
	struct recording r = {0};
	double t0 = record_now();
	if (record_collect_host(&b))
		goto out;

	err = record_run_perf(&cmd, &r);
	sd_host_forks_since_boot("/proc/stat", &forks1);
	record_unmount_tracefs(&tfs);
	double wall = record_now() - t0;
	if (err) {
		cli_error("cannot run %s: %s", perf, strerror(-err));
		goto out;
	}
	int pfd;
	uint64_t psize;
	if (take_perf_data(perf, perf_data, &o, &ev, &r, warnings, &nwarn,
			   &pfd, &psize))
		goto out;
	double recorded = r.phase == 2 ? r.t_end - r.t_start : r.seconds;
	if (record_stop_signal())
		cli_info("stopped by %s: bundling what was recorded (%.1f s)",
			 record_sig_name(record_stop_signal()), recorded);
	record_add_perf_data(&b, pfd, psize);
	if (o.with_dsos && (err = cli_record_dsos(perf_data, o.dso_cap, &dsos))) {
		cli_error("cannot collect the sampled DSOs: %s", sd_strerror(err));
		goto out;
	}

	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char kid[2 * SD_BUILD_ID_MAX + 1];
	const struct sd_bundle_meta meta = {
		.tool_version = SWAPDIAG_VERSION,
		.hostname = host,
		.created = (int64_t)time(NULL),
		.record_argv = cmd.argv,
		.command_argv = o.command,
		.duration_s = recorded,
		.perf_exit_status = r.status,
		.interrupted = r.interrupted,
		/* over the workload's run if it was seen, else perf's */
		.processes_start = r.phase == 2 ? r.forks_start : forks0,
		.processes_end = r.phase == 2 ? r.forks_end : forks1,
		.processes_seconds = r.phase == 2 ? r.t_end - r.t_start : wall,
		.warnings = warnings,
		.kernel_build_id = record_host_kernel_build_id(kid),
	};
	if (record_write_bundle(&b, partial, output, &dsos, &meta))
		goto out;
	rc = CLI_EXIT_OK;
out:
	sd_bundle_dsos_clear(&dsos);
	record_unmount_tracefs(&tfs);
	record_bundle_clear(&b);
	if (staging)
		record_remove_staging(staging);
	free(staging);
	free(cmd.argv);
	free(outdir);
	free(output);
	free(perf);
	return rc;
}
