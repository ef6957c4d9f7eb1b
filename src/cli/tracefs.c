/* SPDX-License-Identifier: MIT */
/*
 * tracefs for swapdiag record: perf finds tracepoints (sched:sched_switch)
 * only through a mounted tracefs, which fresh VMs and minimal images do
 * not have until something mounts it.  Like perf, this mounts tracefs at
 * /sys/kernel/tracing, or debugfs at /sys/kernel/debug (whose tracing/
 * then appears), and unmounts what it mounted once perf is done.
 *
 * The mounts are made in a mount namespace of this process's own (and
 * perf's, its child, which inherits it) when the kernel allows one: the
 * host's mount table is then never touched, no other process sees the
 * mount or can lose a tracefs it mounted itself, and the mount goes with
 * the namespace even if swapdiag is killed.  Where no namespace can be
 * made the mounts are made on the host and unmounted afterwards.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cli/record.h"

#define TRACING "/sys/kernel/tracing"
#define DEBUGFS "/sys/kernel/debug"
#define DEBUG_TRACING DEBUGFS "/tracing"

const char *tracefs_events_dir(void)
{
	static const char *const dirs[] = {TRACING "/events",
					   DEBUG_TRACING "/events"};

	for (size_t i = 0; i < 2; i++)
		if (!access(dirs[i], R_OK | X_OK))
			return dirs[i];
	return NULL;
}

/* Whether path is a mount point of a file system of type fstype. */
static bool mounted_at(const char *path, const char *fstype)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[4096], type[64];
	bool yes = false;

	if (!f)
		return false;
	while (!yes && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		yes = !strcmp(dir, path) && !strcmp(type, fstype);
	fclose(f);
	return yes;
}

static void note(struct tracefs_mount *m, const char *path)
{
	if (m->n < sizeof m->paths / sizeof m->paths[0])
		m->paths[m->n++] = path;
}

int tracefs_prepare(struct tracefs_mount *m)
{
	int err = 0;

	memset(m, 0, sizeof *m);
	if (tracefs_events_dir())
		return 0;
	/* our own mount namespace: a slave of the host's, so mounts made on
	 * the host meanwhile still reach perf, none of ours reach the host */
	if (!unshare(CLONE_NEWNS)) {
		if (!mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
			m->private_ns = true;
		/* else shared mounts would still reach the host: mount
		 * and unmount as without a namespace */
	}
	if (!mount("nodev", TRACING, "tracefs", 0, NULL)) {
		note(m, TRACING);
		if (tracefs_events_dir())
			return 0;
	} else {
		err = errno;
	}
	/* debugfs: tracefs appears under it (an automount) or is mounted
	 * there */
	if (!mounted_at(DEBUGFS, "debugfs")) {
		if (mount("nodev", DEBUGFS, "debugfs", 0, NULL)) {
			if (!err)
				err = errno;
			goto fail;
		}
		note(m, DEBUGFS);
	}
	if (tracefs_events_dir())
		return 0;
	if (!mount("nodev", DEBUG_TRACING, "tracefs", 0, NULL)) {
		note(m, DEBUG_TRACING);
		if (tracefs_events_dir())
			return 0;
	} else if (!err) {
		err = errno;
	}
fail:
	m->err = err ? err : ENOENT;
	tracefs_release(m);
	m->err = err ? err : ENOENT;
	return -m->err;
}

int tracefs_release(struct tracefs_mount *m)
{
	int err = 0;

	/* an automounted tracing/ under our debugfs goes first */
	for (size_t i = m->n; i-- > 0;) {
		if (!strcmp(m->paths[i], DEBUGFS) &&
		    mounted_at(DEBUG_TRACING, "tracefs"))
			umount2(DEBUG_TRACING, 0);
		if (umount2(m->paths[i], 0) && !err)
			err = -errno;
	}
	m->n = 0;
	m->err = 0;
	return err;
}
