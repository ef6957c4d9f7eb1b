/* SPDX-License-Identifier: MIT */
/*
 * The streaming paths of the reader: the bytes through a real pipe(2)
 * (pipe mode, read() into growing windows) and through a regular file
 * (memfd: file mode, pread() windows), each read to the end with
 * sd_reader_next().  The record stream must be the one the in-memory
 * reader gives for the same bytes: a difference is a reader bug, so it
 * aborts.  Inputs longer than the pipe's buffer are cut to it (run with
 * -max_len=65536).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <swapdiag/reader.h>

#include "fuzz.h"

#define MAX_RECORDS 100000

struct trace {
	uint64_t n, hash;
	int rc;
	bool opened;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/* Reads every record, summarising what came out. */
static struct trace read_all(struct sd_reader *r)
{
	struct trace t = {0, 0, 0, true};
	const struct sd_record *rec;

	while ((t.rc = sd_reader_next(r, &rec)) > 0 && t.n < MAX_RECORDS) {
		t.n++;
		t.hash = mix(t.hash, rec->type);
		t.hash = mix(t.hash, rec->offset);
		t.hash = mix(t.hash, rec->size);
		if (rec->type == SD_REC_SAMPLE) {
			t.hash = mix(t.hash, rec->sample.nr_ips);
			for (uint64_t i = 0; i < rec->sample.nr_ips; i++)
				t.hash = mix(t.hash, rec->sample.ips[i]);
			t.hash = mix(t.hash, rec->id.time);
		}
	}
	return t;
}

static struct trace via_fd(int fd)
{
	struct sd_reader *r;
	struct sd_diags why;
	struct trace t = {0};

	sd_diags_init(&why);
	if (sd_reader_open_fd(fd, "fuzz.data", 0, &why, &r) == 0) {
		t = read_all(r);
		sd_reader_free(r);
	}
	sd_diags_clear(&why);
	return t;
}

static struct trace via_mem(const uint8_t *data, size_t size)
{
	struct sd_reader *r;
	struct sd_diags why;
	struct trace t = {0};

	sd_diags_init(&why);
	if (sd_reader_open_mem(data, size, "fuzz.data", 0, &why, &r) == 0) {
		t = read_all(r);
		sd_reader_free(r);
	}
	sd_diags_clear(&why);
	return t;
}

static void same_or_die(const char *what, struct trace a, struct trace b)
{
	if (a.opened != b.opened || a.n != b.n || a.hash != b.hash) {
		fprintf(stderr,
			"fuzz-pipe: %s reader differs from the memory reader: "
			"opened %d/%d, %llu/%llu records\n",
			what, a.opened, b.opened, (unsigned long long)a.n,
			(unsigned long long)b.n);
		abort();
	}
}

static bool is_pipe_mode(const uint8_t *data, size_t size)
{
	uint64_t hsize;

	if (size < 16)
		return false;
	memcpy(&hsize, data + 8, 8);
	return hsize == 16 || hsize == 16ull << 56;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace mem = via_mem(size ? data : (const uint8_t *)"", size);
	int p[2];

	/* a regular file: the pread() window path */
	int mfd = memfd_create("fuzz.data", MFD_CLOEXEC);
	if (mfd >= 0) {
		if (write(mfd, data, size) == (ssize_t)size)
			same_or_die("file", via_fd(mfd), mem);
		else
			close(mfd);
	}

	/* a pipe: the read() path; only pipe-mode data can be read so */
	if (pipe2(p, O_CLOEXEC) < 0)
		return 0;
	long cap = fcntl(p[1], F_GETPIPE_SZ);
	bool cut = cap > 0 && size > (size_t)cap;
	if (cut)
		size = (size_t)cap;
	if (write(p[1], data, size) != (ssize_t)size) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	struct trace piped = via_fd(p[0]);
	if (!cut && is_pipe_mode(data, size))
		same_or_die("pipe", piped, mem);
	return 0;
}
