/* SPDX-License-Identifier: MIT */
/* swapdiag record. */
#ifndef SD_CLI_RECORD_H
#define SD_CLI_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <swapdiag/bundle.h>

/* "swapdiag record ..." (argv[0] is "record"); returns the exit status. */
int cli_record(int argc, char **argv);

/*
 * Its stages, in the order record.c runs them: the options
 * (record_args.c), the checks before anything runs and the tracepoints
 * to record (record_preflight.c), perf run and watched (record_run.c),
 * the host context and the bundle written (record_bundle.c).  Each says
 * what went wrong itself (msg.h) and returns -1 or an exit status then.
 */
#define RECORD_CPU_FREQ 999 /* cpu-clock samples per second on each CPU */
#define RECORD_TOP_PROCS 20 /* processes listed by memory in swap */

/* ---- options (record_args.c) ---- */
struct record_opts {
	double seconds;
	bool seconds_given;
	const char *output;
	const char *perf;
	char **command;
	bool with_dsos;
	uint64_t dso_cap; /* bytes */
};
/* Fills o from argv; -1 after a usage message; exits 0 for --help. */
int record_parse_args(int argc, char **argv, struct record_opts *o);

/* ---- before recording (record_preflight.c) ---- */
/* Root, perf (its path into *perf, malloc'ed), perf_event_paranoid and
 * capabilities, kallsyms readable: 0 or the exit status to leave with. */
int record_preflight(const struct record_opts *o, char **perf);
struct tracefs_mount;
struct record_events {
	bool sched;          /* sched:sched_switch */
	bool lock;           /* lock:contention_begin/end */
	const char *warning; /* for the manifest when one is missing */
};
/* Which tracepoints this kernel can record, tracefs mounted for them if
 * need be (unmount with record_unmount_tracefs()); says what is missing. */
void record_events(struct tracefs_mount *t, struct record_events *e);
void record_unmount_tracefs(struct tracefs_mount *t);

/* ---- running perf (record_run.c) ---- */
struct record_perf_cmd {
	char **argv;      /* malloc'ed, NULL-terminated, into o and below */
	char freq_ev[64], sleep_arg[32];
	double stop_at;   /* -d with COMMAND: seconds of its run, else 0 */
	double grace_at;  /* perf is stopped by then whatever happens */
};
/* The perf record command line for these options and events. */
int record_perf_command(const char *perf, const struct record_opts *o,
			const struct record_events *e, const char *perf_data,
			struct record_perf_cmd *c);

struct recording {
	int status;        /* perf's exit status, or 128 + signal */
	bool interrupted;  /* stopped by a signal to us, or at -d */
	bool killed;       /* perf had to be killed */
	double seconds;    /* perf's run time */
	/* the workload's run (sleep or COMMAND): perf execs it once the
	 * events are enabled and stops recording when it ends, so this is
	 * the recording proper; forks (/proc/stat "processes") over it */
	pid_t workload;
	int phase;         /* 0 waiting for its exec, 1 running, 2 done */
	double t_start, t_end;
	int64_t forks_start, forks_end;
};
/* SIGINT, SIGTERM, SIGHUP stop the recording (perf keeps what it has). */
void record_set_stop_handlers(void);
/* The signal that asked to stop, or 0. */
int record_stop_signal(void);
const char *record_sig_name(int sig);
/* CLOCK_MONOTONIC seconds. */
double record_now(void);
/* Says the command line, runs perf and waits for it, stopping it at the
 * deadline or when asked; 0 (r filled) or -errno if it could not run. */
int record_run_perf(const struct record_perf_cmd *c, struct recording *r);

/* ---- the bundle (record_bundle.c) ---- */
struct record_member {
	const char *name;
	const char *content;
	char *buf;  /* from memory ... */
	size_t len;
	int fd;     /* ... or this file, when >= 0 */
	uint64_t size;
};
struct record_bundle {
	struct record_member m[8];
	size_t n;
};
/* swapdiag-HOST-YYYYmmdd-HHMMSS.swapdiag.tar.zst (malloc'ed). */
char *record_default_output(void);
char *record_dir_of(const char *path);
/* Removes the staging directory and what is in it (our files only). */
void record_remove_staging(const char *dir);
/* The host as the recording starts, as members; what cannot be read is
 * left out with a warning, except kallsyms: -1 with the message given. */
int record_collect_host(struct record_bundle *b);
/* perf.data, last; takes fd. */
void record_add_perf_data(struct record_bundle *b, int fd, uint64_t size);
/* The running kernel's build-id (hex into buf, 2 * SD_BUILD_ID_MAX + 1),
 * from /sys/kernel/notes, or NULL. */
const char *record_host_kernel_build_id(char *buf);
/* Writes the bundle to partial, then renames it to output and says so;
 * 0, or -1 with the message given. */
int record_write_bundle(const struct record_bundle *b, const char *partial,
			const char *output, const struct sd_bundle_dsos *dsos,
			const struct sd_bundle_meta *meta);
void record_bundle_clear(struct record_bundle *b);

/* ---- record --with-dsos (record_dsos.c) ---- */
#define CLI_DSO_CAP_DEFAULT (256ull << 20)
struct sd_bundle_dsos;
struct sd_bundle_writer;
/* MiB (1 to 65536) into bytes; -1 if it is not that. */
int cli_parse_mib(const char *s, uint64_t *bytes);
/*
 * Picks the files of perf_data's sampled user DSOs within cap bytes and
 * says what was taken and what was left out.  0 or an error.
 */
int cli_record_dsos(const char *perf_data, uint64_t cap,
		    struct sd_bundle_dsos *out);
/* Writes them into the bundle. */
int cli_record_add_dsos(struct sd_bundle_writer *w,
			const struct sd_bundle_dsos *d, uint64_t mtime);

/*
 * tracefs for the recording (tracefs.c).  tracefs_prepare mounts it if no
 * tracefs events directory is visible: in a private mount namespace of
 * this process when it can make one (private_ns), else on the host;
 * paths are what it mounted, in order.  0 when tracepoints are visible
 * (mounted or not), else -errno of the failed mount (nothing is left
 * mounted then).  tracefs_release unmounts what tracefs_prepare mounted;
 * 0 or -errno of the first umount that failed.
 */
struct tracefs_mount {
	const char *paths[3];
	size_t n;
	bool private_ns;
	int err;
};
int tracefs_prepare(struct tracefs_mount *m);
int tracefs_release(struct tracefs_mount *m);
/* The tracefs events directory, or NULL. */
const char *tracefs_events_dir(void);

#endif
