/* SPDX-License-Identifier: MIT */
/*
 * Writing a bundle: ustar members through one zstd frame, and the
 * manifest that comes first in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle/internal.h"

#define COPY_CHUNK (1u << 20)

struct sd_bundle_writer {
	struct sd_bout out;
	size_t members;
	bool failed, finished;
};

int sd_bundle_writer_new(int fd, bool compress, struct sd_bundle_writer **out)
{
	struct sd_bundle_writer *w = calloc(1, sizeof *w);
	int err;

	if (!w)
		return -ENOMEM;
	if ((err = sd_bout_init(&w->out, fd, compress))) {
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

struct sd_bundle_writer *sd_bundle_writer_free(struct sd_bundle_writer *w)
{
	if (!w)
		return NULL;
	sd_bout_fini(&w->out);
	free(w);
	return NULL;
}

static int header(struct sd_bundle_writer *w, const char *name, uint64_t size,
		  uint64_t mtime)
{
	uint8_t blk[SD_TAR_BLOCK];
	int err;

	if (w->failed || w->finished)
		return -EINVAL;
	if (!w->members && strcmp(name, SD_BUNDLE_MANIFEST))
		return -EINVAL; /* the manifest identifies a bundle */
	if ((err = sd_tar_header_encode(blk, name, size, mtime)))
		return err;
	w->members++;
	return sd_bout_write(&w->out, blk, sizeof blk);
}

static int pad(struct sd_bundle_writer *w, uint64_t size)
{
	static const uint8_t zero[SD_TAR_BLOCK];
	uint64_t n = sd_tar_padding(size);

	return n ? sd_bout_write(&w->out, zero, (size_t)n) : 0;
}

int sd_bundle_writer_add(struct sd_bundle_writer *w, const char *name,
			 const void *buf, size_t len, uint64_t mtime)
{
	int err;

	if ((err = header(w, name, len, mtime)) ||
	    (len && (err = sd_bout_write(&w->out, buf, len))) ||
	    (err = pad(w, len)))
		w->failed = true;
	return err;
}

int sd_bundle_writer_add_fd(struct sd_bundle_writer *w, const char *name,
			    int fd, uint64_t mtime)
{
	struct stat st;
	uint64_t left;
	uint8_t *buf;
	int err;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((err = header(w, name, (uint64_t)st.st_size, mtime))) {
		w->failed = true;
		return err;
	}
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		w->failed = true;
		return -ENOMEM;
	}
	left = (uint64_t)st.st_size;
	off_t pos = 0;
	while (left) {
		size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		ssize_t r = pread(fd, buf, want, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO; /* shrank meanwhile */
			break;
		}
		if ((err = sd_bout_write(&w->out, buf, (size_t)r)))
			break;
		left -= (uint64_t)r;
		pos += r;
	}
	free(buf);
	if (!err)
		err = pad(w, (uint64_t)st.st_size);
	if (err)
		w->failed = true;
	return err;
}

int sd_bundle_writer_finish(struct sd_bundle_writer *w)
{
	static const uint8_t zero[2 * SD_TAR_BLOCK];
	int err;

	if (w->failed || w->finished)
		return -EINVAL;
	if ((err = sd_bout_write(&w->out, zero, sizeof zero)) ||
	    (err = sd_bout_finish(&w->out))) {
		w->failed = true;
		return err;
	}
	w->finished = true;
	return 0;
}

/* argv as one shell-readable line: words with special characters in
 * single quotes. */
static char *join_argv(char *const *argv)
{
	size_t cap = 1, n = 0;
	char *s;

	for (size_t i = 0; argv[i]; i++)
		cap += 4 * strlen(argv[i]) + 3;
	s = malloc(cap);
	if (!s)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a != 0;
		for (const char *p = a; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_=/.,:+@%", *p))
				plain = false;
		if (i)
			s[n++] = ' ';
		if (plain) {
			memcpy(s + n, a, strlen(a));
			n += strlen(a);
			continue;
		}
		s[n++] = '\'';
		for (const char *p = a; *p; p++) {
			if (*p == '\'') {
				memcpy(s + n, "'\\''", 4);
				n += 4;
			} else {
				s[n++] = *p;
			}
		}
		s[n++] = '\'';
	}
	s[n] = 0;
	return s;
}

static json_t *argv_json(char *const *argv)
{
	json_t *a;

	if (!argv)
		return json_null();
	a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static json_t *int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

int sd_bundle_manifest(const struct sd_bundle_meta *m,
		       const struct sd_bundle_entry *files, size_t nr_files,
		       char **json, size_t *len)
{
	json_t *fl = json_array(), *warn = json_array(), *doc;
	char created[32] = "";
	char *cmd = NULL;
	struct tm tm;
	time_t t = (time_t)m->created;

	if (!fl || !warn)
		goto nomem;
	if (gmtime_r(&t, &tm))
		strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < nr_files; i++)
		json_array_append_new(
			fl, json_pack("{s:s, s:I, s:s}", "name", files[i].name,
				      "size", (json_int_t)files[i].size,
				      "content",
				      files[i].content ? files[i].content : ""));
	for (size_t i = 0; m->warnings && m->warnings[i]; i++)
		json_array_append_new(warn, json_string(m->warnings[i]));
	if (m->record_argv && !(cmd = join_argv(m->record_argv)))
		goto nomem;
	doc = json_pack(
		"{s:s, s:s, s:s, s:s?, s:o, s:s?, s:o, s:f, s:i, s:b, "
		"s:{s:o, s:o, s:f}, s:s?, s:o, s:o}",
		"format", SD_BUNDLE_FORMAT, "tool_version",
		m->tool_version ? m->tool_version : "", "created", created,
		"hostname", m->hostname, "record_argv",
		argv_json(m->record_argv), "record_command", cmd, "command",
		argv_json(m->command_argv), "duration_s", m->duration_s,
		"perf_exit_status", m->perf_exit_status, "interrupted",
		m->interrupted, "forks", "processes_start",
		int_or_null(m->processes_start), "processes_end",
		int_or_null(m->processes_end), "seconds", m->processes_seconds,
		"kernel_build_id", m->kernel_build_id, "warnings", warn,
		"files", fl);
	free(cmd);
	if (!doc)
		return -ENOMEM;
	*json = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!*json)
		return -ENOMEM;
	*len = strlen(*json);
	return 0;
nomem:
	json_decref(fl);
	json_decref(warn);
	return -ENOMEM;
}
