/* SPDX-License-Identifier: MIT */
/*
 * The input, opened once and sniffed once by its first bytes; what kind it
 * is decides who reads it (analysis.c), and nothing is retried as another
 * kind after a failure: a damaged perf.data stays perf.data, and text
 * stays text.
 *
 * A file or stream is opened once and looked at without consuming it
 * (pread(2) on a file, tee(2) on a pipe), so the perf.data reader gets the
 * same descriptor from its first byte.  Text is then loaded whole: a file
 * is mapped (and its parsed pages dropped as the parser moves on), a
 * stream read into memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/textin.h>

#include "analysis/internal.h"

#define SD_TEXT_RELEASE (64u << 20)

/*
 *   perf.data header        u64 magic "PERFILE2" (its bytes reversed,
 *                           "2ELIFREP", in the other byte order; perf
 *                           before 2.6.37 wrote "PERFFILE");
 *                           u64 size: of this header, 104 or more in
 *                           file mode, 16 in pipe mode
 *   zstd frame              u32 magic 0xFD2FB528, little-endian
 *   tar (ustar)             char magic[6] "ustar" at byte 257
 */
static enum sd_input_kind sniff_binary(const unsigned char *b, size_t len)
{
	static const char *const perf[] = {"PERFILE2", "2ELIFREP", "PERFFILE",
					   "ELIFFREP"};
	static const unsigned char zstd[4] = {0x28, 0xb5, 0x2f, 0xfd};

	for (size_t i = 0; i < sizeof perf / sizeof *perf; i++) {
		if (memcmp(b, perf[i], len < 8 ? len : 8))
			continue;
		if (len < 16)
			return SD_INPUT_PERF_FILE; /* the reader says it is cut */
		uint64_t size = 0;
		for (int k = 0; k < 8; k++) /* in the magic's byte order */
			size |= (uint64_t)b[i == 1 || i == 3 ? 15 - k : 8 + k]
				<< (8 * k);
		return size == 16 ? SD_INPUT_PERF_PIPE : SD_INPUT_PERF_FILE;
	}
	if (len >= 4 && !memcmp(b, zstd, 4))
		return SD_INPUT_BUNDLE;
	if (len >= 262 && !memcmp(b + 257, "ustar", 5))
		return SD_INPUT_BUNDLE;
	return SD_INPUT_UNKNOWN;
}

enum sd_input_kind sd_input_sniff(const void *head, size_t len)
{
	if (!head || !len)
		return SD_INPUT_UNKNOWN;
	enum sd_input_kind k = sniff_binary(head, len);
	if (k != SD_INPUT_UNKNOWN)
		return k;
	switch (sd_text_detect(head, len)) {
	case SD_TEXT_PERF_SCRIPT:
		return SD_INPUT_PERF_SCRIPT;
	case SD_TEXT_FOLDED:
		return SD_INPUT_FOLDED;
	case SD_TEXT_PERF_REPORT:
		return SD_INPUT_PERF_REPORT;
	default:
		return SD_INPUT_UNKNOWN;
	}
}

static int read_all(int fd, struct sd_input_data *in)
{
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > SIZE_MAX / 2) {
				free(b);
				return -EFBIG;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, b + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			free(b);
			return err;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	in->owned = b;
	in->buf = b;
	in->len = len;
	return 0;
}

/* A regular file from offset 0: mapped. */
static int map_file(int fd, size_t size, struct sd_input_data *in)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (m == MAP_FAILED)
		return -errno;
	madvise(m, size, MADV_SEQUENTIAL);
	in->map = m;
	in->buf = m;
	in->len = size;
	return 0;
}

/*
 * The first bytes of fd without consuming them, into head (at most
 * SD_INPUT_SNIFF_BYTES): *n 0 at the end of the input.  false when fd
 * cannot be looked at without reading it (a terminal, a socket): the
 * perf.data reader then has it, as it streams.
 */
static bool peek(int fd, const struct stat *st, unsigned char *head,
		 size_t *n)
{
	*n = 0;
	if (S_ISREG(st->st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if (pos < 0)
			return false;
		ssize_t k = pread(fd, head, SD_INPUT_SNIFF_BYTES, pos);
		if (k < 0)
			return false;
		*n = (size_t)k;
		return true;
	}
	if (!S_ISFIFO(st->st_mode))
		return false;
	/* a pipe: copy what is in it (at least a byte, or the end) */
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return false;
	ssize_t k = tee(fd, p[1], 512, 0);
	if (k > 0) {
		ssize_t r = read(p[0], head, (size_t)k);
		*n = r > 0 ? (size_t)r : 0;
	}
	close(p[0]);
	close(p[1]);
	return k >= 0;
}

int sd_input_open(const struct sd_analysis_opts *o, struct sd_input_data *in)
{
	struct stat st;
	unsigned char *head;
	size_t n;
	int err = 0;

	memset(in, 0, sizeof *in);
	in->fd = -1;
	if (o->buf) {
		in->buf = o->buf;
		in->len = o->len;
		in->kind = sd_input_sniff(in->buf, in->len);
		/* nothing at all: the perf.data reader says what is missing */
		if (!in->len)
			in->kind = SD_INPUT_PERF_FILE;
		return 0;
	}
	bool is_stdin = !strcmp(o->path, "-");
	int fd = is_stdin ? dup(STDIN_FILENO)
			  : open(o->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	in->pipe = !S_ISREG(st.st_mode);
	if (!(head = malloc(SD_INPUT_SNIFF_BYTES))) {
		close(fd);
		return -ENOMEM;
	}
	if (!peek(fd, &st, head, &n) || !n) {
		/* a stream that cannot be looked at without reading it, or
		 * nothing at all: the perf.data reader streams it, or says
		 * what is missing */
		in->kind = in->pipe ? SD_INPUT_PERF_PIPE : SD_INPUT_PERF_FILE;
	} else {
		in->kind = sniff_binary(head, n);
		/* a file's first bytes tell its text kind; a stream's only
		 * once it is all read (below) */
		if (in->kind == SD_INPUT_UNKNOWN && !in->pipe)
			in->kind = sd_input_sniff(head, n);
	}
	free(head);
	if (sd_input_is_perf_data(in->kind)) {
		in->fd = fd; /* the reader's, from its first byte */
		return 0;
	}
	if (in->pipe && in->kind == SD_INPUT_UNKNOWN) {
		err = read_all(fd, in);
		if (!err)
			in->kind = sd_input_sniff(in->buf, in->len);
	} else if (sd_input_is_text(in->kind)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if (pos == 0 && (uint64_t)st.st_size <= SIZE_MAX)
			err = map_file(fd, (size_t)st.st_size, in);
		else
			err = read_all(fd, in);
	}
	close(fd);
	return err;
}

void sd_input_close(struct sd_input_data *in)
{
	if (in->fd >= 0)
		close(in->fd);
	if (in->map)
		munmap(in->map, in->len);
	free(in->owned);
	memset(in, 0, sizeof *in);
	in->fd = -1;
}

void sd_input_release(struct sd_input_data *in, uint64_t offset)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (!in->map || pg <= 0 || offset < in->released + SD_TEXT_RELEASE ||
	    offset > in->len)
		return;
	size_t upto = (size_t)offset & ~((size_t)pg - 1);
	if (upto > in->released) {
		madvise((char *)in->map + in->released, upto - in->released,
			MADV_DONTNEED);
		in->released = upto;
	}
}
