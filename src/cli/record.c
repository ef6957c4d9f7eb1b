/* SPDX-License-Identifier: MIT */
/*
 * swapdiag record: runs perf on the sick host and bundles its output with
 * the host context (src/bundle/ makes the archive).  Only this file runs
 * processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <swapdiag/report.h>

#include "cli/cli.h"
#include "cli/record.h"
#include "config.h"

#define DEFAULT_SECONDS 30.0
#define MAX_SECONDS 86400.0
#define CPU_FREQ 999
#define TOP_PROCS 20
#define KALLSYMS_MAX (1u << 30)
#define SMALL_MAX (4u << 20)
/* perf's own wind-down (build-ids over the whole file) may take a while */
#define GRACE_SECONDS 120
#define KILL_AFTER_SECONDS 30

static const char record_usage[] =
	"Usage: swapdiag record [-d SECONDS] [-o BUNDLE] [--with-dsos] [-- COMMAND...]\n"
	"\n"
	"Records this host with perf (as root) for SECONDS, or while COMMAND\n"
	"runs, and writes one bundle file with what swapdiag needs to analyse\n"
	"it on any machine: perf.data, /proc/kallsyms, uname -a, /proc/swaps,\n"
	"/proc/meminfo, the vm.* sysctls and the processes with the most memory\n"
	"in swap.  Analyse it with 'swapdiag BUNDLE'.\n"
	"\n"
	"  -d, --duration SECONDS  how long to record (default 30; with COMMAND:\n"
	"                          at most this long, default until it exits)\n"
	"  -o, --output BUNDLE     the bundle to write (default\n"
	"                          swapdiag-HOST-YYYYmmdd-HHMMSS" SD_BUNDLE_SUFFIX_ZST
	")\n"
	"      --perf PATH         the perf to run (default: perf in PATH)\n"
	"      --with-dsos         add the sampled user DSOs (and their debug\n"
	"                          files), by build-id in perf archive layout, so\n"
	"                          that user frames are named on any machine\n"
	"      --dso-cap MIB       at most this much of them (default 256)\n"
	"  -q, --quiet             only errors on standard error\n"
	"  -h, --help              this help\n"
	"\n"
	"What runs: perf record -a -g -e cpu-clock/freq=999/ -e sched:sched_switch\n"
	"[-e lock:contention_begin -e lock:contention_end] -- sleep SECONDS\n"
	"\n"
	"Exit status:\n"
	"  0   the bundle was written\n"
	"  2   nothing could be recorded (perf missing, not root, ...)\n"
	"  64  wrong usage\n";

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	fputs("swapdiag: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	fputs("swapdiag: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("swapdiag: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'swapdiag record --help' for more information.\n", stderr);
	va_end(ap);
}

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

/*
 * The running kernel's build-id (hex into buf), from /sys/kernel/notes, or
 * NULL: with it the bundle's kallsyms is checked against the recording's
 * kernel build-id when the bundle is analysed.
 */
static const char *host_kernel_build_id(char *buf)
{
	struct sd_build_id id;
	char *notes;
	size_t len;

	if (sd_host_read_file("/sys/kernel/notes", 1 << 16, &notes, &len))
		return NULL;
	int err = sd_notes_build_id(notes, len, &id);
	free(notes);
	if (err)
		return NULL;
	sd_build_id_hex(&id, buf);
	return buf;
}

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

/* ---- running perf ------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void set_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
static int run_perf(char *const *argv, double stop_at, double grace_at,
		    struct recording *r)
{
	pid_t pid;
	int st;
	double t0 = now_s(), sent_int = 0;

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
		fprintf(stderr, "swapdiag: error: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		double t = now_s() - t0;
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
	r->seconds = now_s() - t0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* ---- bundling ------------------------------------------------------------ */

struct member {
	const char *name;
	const char *content;
	char *buf;  /* from memory ... */
	size_t len;
	int fd;     /* ... or this file, when >= 0 */
	uint64_t size;
};

static int write_bundle(int fd, struct member *m, size_t n,
			const struct sd_bundle_dsos *dsos,
			const struct sd_bundle_meta *meta)
{
	size_t nd = dsos ? dsos->n : 0;
	struct sd_bundle_entry *files = calloc(n + nd + 1, sizeof *files);
	struct sd_bundle_writer *w = NULL;
	char *manifest = NULL;
	size_t mlen;
	uint64_t mtime = (uint64_t)meta->created;
	int err;

	if (!files)
		return -ENOMEM;
	/* the DSOs before perf.data, which stays last */
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i == n - 1)
			for (size_t j = 0; j < nd; j++)
				files[k++] = (struct sd_bundle_entry){
					dsos->v[j].member, dsos->v[j].size,
					"sampled DSO, by build-id"};
		files[k++] = (struct sd_bundle_entry){m[i].name, m[i].size,
						      m[i].content};
	}
	err = sd_bundle_manifest(meta, files, n + nd, &manifest, &mlen);
	free(files);
	if (!err)
		err = sd_bundle_writer_new(fd, HAVE_ZSTD, &w);
	if (!err)
		err = sd_bundle_writer_add(w, SD_BUNDLE_MANIFEST, manifest, mlen,
					   mtime);
	for (size_t i = 0; i < n && !err; i++) {
		if (i == n - 1 && nd)
			err = cli_record_add_dsos(w, dsos, mtime);
		if (!err)
			err = m[i].fd >= 0
			      ? sd_bundle_writer_add_fd(w, m[i].name, m[i].fd, mtime)
			      : sd_bundle_writer_add(w, m[i].name, m[i].buf,
						     m[i].len, mtime);
	}
	if (!err)
		err = sd_bundle_writer_finish(w);
	sd_bundle_writer_free(w);
	free(manifest);
	return err;
}

static char *uname_a(void)
{
	struct utsname u;
	char *s = NULL;

	if (uname(&u) || asprintf(&s, "%s %s %s %s %s GNU/Linux\n", u.sysname,
				  u.nodename, u.release, u.version,
				  u.machine) < 0)
		return NULL;
	return s;
}

static char *default_output(void)
{
	char host[256] = "host", stamp[32], *out = NULL;
	time_t t = time(NULL);
	struct tm tm;

	gethostname(host, sizeof host - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20)
			*p = '_';
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	if (asprintf(&out, "swapdiag-%s-%s%s", host, stamp,
		     HAVE_ZSTD ? SD_BUNDLE_SUFFIX_ZST : SD_BUNDLE_SUFFIX_TAR) < 0)
		return NULL;
	return out;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Removes the staging directory and what is in it (our files only). */
static void remove_staging(const char *dir)
{
	static const char *const names[] = {"perf.data", "perf.data.old",
					    "bundle.partial"};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
					: sig == SIGHUP	? "SIGHUP"
							: "a signal";
}

struct record_opts {
	double seconds;
	bool seconds_given;
	const char *output;
	const char *perf;
	char **command;
	bool with_dsos;
	uint64_t dso_cap; /* bytes */
};

static int parse_record_args(int argc, char **argv, struct record_opts *o)
{
	static const struct option opts[] = {
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"perf", required_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"with-dsos", no_argument, NULL, 'D'},
		{"dso-cap", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof *o);
	o->seconds = DEFAULT_SECONDS;
	o->dso_cap = CLI_DSO_CAP_DEFAULT;
	optind = 1;
	opterr = 0;
	/* '+': the first word that is no option starts COMMAND */
	while ((c = getopt_long(argc, argv, "+:d:o:qh", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'd':
			o->seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(o->seconds > 0) ||
			    o->seconds > MAX_SECONDS) {
				usage_error("-d takes seconds, more than 0 "
					    "and at most %.0f, not '%s'",
					    MAX_SECONDS, optarg);
				return -1;
			}
			o->seconds_given = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'P':
			o->perf = optarg;
			break;
		case 'D':
			o->with_dsos = true;
			break;
		case 'C':
			if (cli_parse_mib(optarg, &o->dso_cap)) {
				usage_error("--dso-cap takes MiB, 1 to 65536, "
					    "not '%s'", optarg);
				return -1;
			}
			break;
		case 'q':
			cli_quiet = true;
			break;
		case 'h':
			fputs(record_usage, stdout);
			exit(CLI_EXIT_OK);
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				usage_error("unknown option '-%c' of "
					    "'swapdiag record'",
					    optopt);
			else
				usage_error("unknown option '%s' of "
					    "'swapdiag record'",
					    argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		o->command = argv + optind;
	return 0;
}

/* Checks that can fail before anything runs; an exit status or 0. */
static int preflight(const struct record_opts *o, char **perf)
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
static void unmount_tracefs(struct tracefs_mount *t)
{
	const char *what = t->n ? t->paths[t->n - 1] : NULL;
	bool priv = t->private_ns;
	int err = t->n ? tracefs_release(t) : 0;

	if (err)
		warn("cannot unmount %s, mounted for this recording: %s%s", what,
		     strerror(-err),
		     priv ? " (only this process sees it; it goes when this "
			    "process ends)"
			  : "; unmount it with 'umount' when perf is done");
}

static void add_arg(char **argv, size_t *n, const char *a)
{
	argv[(*n)++] = (char *)a;
}

int cli_record(int argc, char **argv)
{
	struct record_opts o;
	char *perf = NULL, *output = NULL, *outdir = NULL, *staging = NULL;
	char **pargv = NULL;
	char perf_data[PATH_MAX], partial[PATH_MAX], sleep_arg[32];
	const char *warnings[8] = {NULL};
	size_t nwarn = 0;
	int rc = CLI_EXIT_INPUT, err;
	struct member m[8];
	size_t nm = 0;
	struct sd_bundle_dsos dsos = {0};
	struct tracefs_mount tfs = {0};

	memset(m, 0, sizeof m);
	if (parse_record_args(argc, argv, &o))
		return CLI_EXIT_USAGE;
	if ((rc = preflight(&o, &perf)))
		goto out;
	rc = CLI_EXIT_INPUT;

	output = o.output ? strdup(o.output) : default_output();
	outdir = output ? dir_of(output) : NULL;
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
	int terr = tracefs_prepare(&tfs);
	if (!terr && tfs.n)
		info("tracefs was not mounted: mounted it at %s for this "
		     "recording (%s); unmounted when perf is done",
		     tfs.paths[tfs.n - 1],
		     tfs.private_ns ? "in a mount namespace of its own, the "
				      "host's mounts stay as they are"
				    : "on the host");
	const char *ev = tracefs_events_dir();
	bool sched = have_event(ev, "sched", "sched_switch");
	bool lock = sched && have_event(ev, "lock", "contention_begin") &&
		    have_event(ev, "lock", "contention_end");
	if (!sched) {
		warnings[nwarn++] =
			"tracepoints unavailable: recorded cpu-clock only; "
			"mmap_lock stalls cannot be judged";
		if (terr)
			warn("tracepoints are not available: tracefs is not "
			     "mounted and mounting it failed (%s; "
			     "'mount -t tracefs nodev /sys/kernel/tracing' as "
			     "root with CAP_SYS_ADMIN mounts it): recording "
			     "cpu-clock only, so mmap_lock stalls (D-state "
			     "sleeps) cannot be judged from this recording",
			     strerror(-terr));
		else
			warn("tracepoints are not available (no "
			     "sched/sched_switch under %s): recording "
			     "cpu-clock only, so mmap_lock stalls (D-state "
			     "sleeps) cannot be judged from this recording",
			     ev ? ev : "/sys/kernel/tracing/events");
	} else if (!lock) {
		warnings[nwarn++] = "no lock:contention_begin/end tracepoints "
				    "in this kernel: lock contention not "
				    "recorded";
		info("note: this kernel has no lock:contention_begin/end "
		     "tracepoints (5.19 and later do): lock contention is not "
		     "recorded");
	}
	size_t ncmd = 0, pn = 0;
	while (o.command && o.command[ncmd])
		ncmd++;
	pargv = calloc(ncmd + 24, sizeof *pargv);
	if (!pargv) {
		cli_error("out of memory");
		goto out;
	}
	char freq_ev[64];
	snprintf(freq_ev, sizeof freq_ev, "cpu-clock/freq=%d/", CPU_FREQ);
	add_arg(pargv, &pn, perf);
	add_arg(pargv, &pn, "record");
	add_arg(pargv, &pn, "-a");
	add_arg(pargv, &pn, "-g");
	add_arg(pargv, &pn, "-e");
	add_arg(pargv, &pn, freq_ev);
	if (sched) {
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "sched:sched_switch");
	}
	if (lock) {
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "lock:contention_begin");
		add_arg(pargv, &pn, "-e");
		add_arg(pargv, &pn, "lock:contention_end");
	}
	add_arg(pargv, &pn, "-o");
	add_arg(pargv, &pn, perf_data);
	add_arg(pargv, &pn, "--");
	double stop_at = 0, grace_at;
	if (o.command) {
		for (size_t k = 0; k < ncmd; k++)
			add_arg(pargv, &pn, o.command[k]);
		if (o.seconds_given)
			stop_at = o.seconds;
		grace_at = o.seconds_given ? o.seconds + GRACE_SECONDS : 1e18;
	} else {
		snprintf(sleep_arg, sizeof sleep_arg, "%g", o.seconds);
		add_arg(pargv, &pn, "sleep");
		add_arg(pargv, &pn, sleep_arg);
		grace_at = o.seconds + GRACE_SECONDS;
	}
	pargv[pn] = NULL;

	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (o.command)
		info("recording all %ld CPUs while '%s' runs%s into %s:", ncpu,
		     o.command[0], o.seconds_given ? " (at most -d seconds)" : "",
		     output);
	else
		info("recording all %ld CPUs for %g s into %s:", ncpu, o.seconds,
		     output);
	info("  on-CPU call stacks: cpu-clock at %d Hz on each CPU", CPU_FREQ);
	if (sched)
		info("  every context switch with its stack (sched:sched_switch), "
		     "for D-state stalls");
	if (lock)
		info("  lock contention (lock:contention_begin/end)");
	info("  then /proc/kallsyms, uname -a, /proc/swaps, /proc/meminfo, "
	     "vm.* sysctls and the %d processes with the most swap", TOP_PROCS);
	info("overhead is small (about 1%% of a CPU, and a record per context "
	     "switch); Ctrl-C stops early and keeps what was recorded");

	/* the host as the recording starts */
	int64_t forks0 = -1, forks1 = -1;
	sd_host_forks_since_boot("/proc/stat", &forks0);
	set_stop_handlers();
	struct recording r = {0};
	double t0 = now_s();

	struct member *mp;
	/* the host as the recording starts: small, taken just before perf */
	mp = &m[nm++];
	*mp = (struct member){SD_BUNDLE_UNAME, "uname -a", uname_a(), 0, -1, 0};
	if (mp->buf)
		mp->len = strlen(mp->buf);
	else
		nm--;
	static const struct {
		const char *name, *path, *content;
	} procfiles[] = {
		{SD_BUNDLE_SWAPS, "/proc/swaps", "/proc/swaps"},
		{SD_BUNDLE_MEMINFO, "/proc/meminfo", "/proc/meminfo"},
	};
	for (size_t i = 0; i < 2; i++) {
		mp = &m[nm];
		*mp = (struct member){procfiles[i].name, procfiles[i].content,
				      NULL, 0, -1, 0};
		if (!sd_host_read_file(procfiles[i].path, SMALL_MAX, &mp->buf,
				       &mp->len))
			nm++;
		else
			warn("cannot read %s: left out of the bundle",
			     procfiles[i].path);
	}
	mp = &m[nm];
	*mp = (struct member){SD_BUNDLE_SYSCTL_VM, "/proc/sys/vm/*", NULL, 0,
			      -1, 0};
	if (!sd_host_collect_sysctl("/proc/sys/vm", "vm", &mp->buf, &mp->len))
		nm++;
	else
		warn("cannot read /proc/sys/vm: left out of the bundle");
	mp = &m[nm];
	*mp = (struct member){SD_BUNDLE_PROCS,
			      "top processes by VmSwap (/proc/PID/status)",
			      NULL, 0, -1, 0};
	if (!sd_host_collect_procs("/proc", TOP_PROCS, &mp->buf, &mp->len))
		nm++;
	else
		warn("cannot list the processes in /proc: left out of the "
		     "bundle");
	mp = &m[nm];
	*mp = (struct member){SD_BUNDLE_KALLSYMS, "/proc/kallsyms", NULL, 0,
			      -1, 0};
	if ((err = sd_host_read_file("/proc/kallsyms", KALLSYMS_MAX, &mp->buf,
				     &mp->len))) {
		cli_error("cannot copy /proc/kallsyms: %s", strerror(-err));
		goto out;
	}
	nm++;

	{
		char cmdline[4096];
		size_t off = 0;
		for (size_t i = 0; pargv[i] && off < sizeof cmdline - 1; i++)
			off += (size_t)snprintf(cmdline + off,
						sizeof cmdline - off, "%s%s",
						i ? " " : "", pargv[i]);
		info("running: %s", cmdline);
	}
	err = run_perf(pargv, stop_at, grace_at, &r);
	sd_host_forks_since_boot("/proc/stat", &forks1);
	unmount_tracefs(&tfs);
	double wall = now_s() - t0;
	if (err) {
		cli_error("cannot run %s: %s", perf, strerror(-err));
		goto out;
	}

	struct stat st;
	int pfd = open(perf_data, O_RDONLY | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) || st.st_size == 0) {
		if (pfd >= 0)
			close(pfd);
		if (r.status == 127)
			cli_error("%s could not be started", perf);
		else
			cli_error("perf record failed (exit status %d) and "
				  "wrote nothing: see its message above%s",
				  r.status,
				  sched ? "; if it is about the tracepoints, "
					  "check that tracefs is mounted"
					: "");
		goto out;
	}
	if (r.status != 0 && !r.interrupted && o.command) {
		/* perf passes on the workload's exit status */
		info("'%s' exited with status %d", o.command[0], r.status);
	} else if (r.status != 0 && !r.interrupted) {
		warn("perf record exited with status %d: bundling what it "
		     "wrote (%lld bytes)",
		     r.status, (long long)st.st_size);
		warnings[nwarn++] = "perf record exited with an error status";
	}
	if (r.killed) {
		warn("perf did not stop on SIGINT and was killed: the recording "
		     "may end early or be incomplete");
		warnings[nwarn++] = "perf was killed";
	}
	double recorded = r.phase == 2 ? r.t_end - r.t_start : r.seconds;
	if (stop_signal)
		info("stopped by %s: bundling what was recorded (%.1f s)",
		     sig_name(stop_signal), recorded);
	mp = &m[nm++];
	*mp = (struct member){SD_BUNDLE_PERF_DATA, "perf record output", NULL,
			      0, pfd, (uint64_t)st.st_size};
	for (size_t i = 0; i < nm; i++)
		if (m[i].fd < 0)
			m[i].size = m[i].len;
	if (o.with_dsos && (err = cli_record_dsos(perf_data, o.dso_cap, &dsos))) {
		cli_error("cannot collect the sampled DSOs: %s", sd_strerror(err));
		goto out;
	}

	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char kid[2 * SD_BUILD_ID_MAX + 1];
	const char *kernel_id = host_kernel_build_id(kid);
	const struct sd_bundle_meta meta = {
		.tool_version = SWAPDIAG_VERSION,
		.hostname = host,
		.created = (int64_t)time(NULL),
		.record_argv = pargv,
		.command_argv = o.command,
		.duration_s = recorded,
		.perf_exit_status = r.status,
		.interrupted = r.interrupted,
		/* over the workload's run if it was seen, else perf's */
		.processes_start = r.phase == 2 ? r.forks_start : forks0,
		.processes_end = r.phase == 2 ? r.forks_end : forks1,
		.processes_seconds = r.phase == 2 ? r.t_end - r.t_start : wall,
		.warnings = warnings,
		.kernel_build_id = kernel_id,
	};
	int ofd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ofd < 0) {
		cli_error("cannot write '%s': %s", partial, strerror(errno));
		goto out;
	}
	err = write_bundle(ofd, m, nm, &dsos, &meta);
	if (!err && fsync(ofd))
		err = -errno;
	if (close(ofd) && !err)
		err = -errno;
	if (!err && rename(partial, output))
		err = -errno;
	if (err) {
		cli_error("cannot write the bundle '%s': %s", output,
			  sd_strerror(err));
		goto out;
	}
	if (!stat(output, &st))
		info("wrote %s (%.1f MiB): analyse it here or on any machine "
		     "with 'swapdiag %s'",
		     output, (double)st.st_size / (1 << 20), output);
	rc = CLI_EXIT_OK;
out:
	sd_bundle_dsos_clear(&dsos);
	unmount_tracefs(&tfs);
	for (size_t i = 0; i < nm; i++) {
		free(m[i].buf);
		if (m[i].fd >= 0)
			close(m[i].fd);
	}
	if (staging)
		remove_staging(staging);
	free(staging);
	free(pargv);
	free(outdir);
	free(output);
	free(perf);
	return rc;
}
