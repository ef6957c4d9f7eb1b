/* SPDX-License-Identifier: MIT */
/*
 * The byte source under the reader.  A regular file is read with pread()
 * in windows of SD_WINDOW bytes, a pipe with read(), into blocks
 * (block.c); a caller's buffer is used in place.  (Mapping the file in
 * 1 MiB windows with MAP_POPULATE was measured against this on the
 * benchmark machine: the copy is cheaper than populating and unmapping
 * the windows, 7 % of a kernel-stack recording's run and 17 % of a
 * synthetic one's; see BENCHMARKS.md.)  Records waiting for their time in
 * the ordering queue stay in their block and keep it: the source then
 * reads on into a new block instead of moving the unread tail to the
 * front of the old one.  Resident memory is the blocks of the records
 * still queued (about two FINISHED_ROUND rounds) plus the current one,
 * however large the input is.
 *
 * A pipe is grown to 1 MiB (pipe_grow): the writer can then run that far
 * ahead, which is what counts when the two sides do not get their CPUs at
 * the same moments (on a loaded 2-CPU machine, `cat | swapdiag -` of a
 * 460 MB stream: 2.85 s instead of 3.57 s, medians of 15); reads stay of
 * SD_WINDOW bytes (1 MiB reads measured no cheaper, and cost 1.3 MB of
 * resident blocks).  With the machine not busy (load 3-4) swapdiag
 * slept 0.4-2 ms in read() in a 0.3 s run: what the pipe costs over a
 * file is the kernel's work in read() (110 ms of CPU for 460 MB, against
 * about 65 ms of copying in pread(): the pipe's pages are freed, memcg
 * uncharged, and its lock is shared with the writer), not waiting.  A
 * read-ahead thread on the same CPU, handing over blocks read after a
 * headroom for the cut record, had nothing to hide and cost 0.53 s of
 * CPU against 0.40 s (it caught up with the writer and spun on the
 * pipe's lock) and 12 MB more resident; wall time 8 % less only at load
 * 10.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/internal.h"

#define SD_WINDOW (256u << 10)
#define SD_PIPE_WINDOW (64u << 10)
/* the pipe size asked for: what an unprivileged process may have */
#define SD_PIPE_MAX (1u << 20)
/* free blocks kept for reuse */
#define SD_FREE_BLOCKS 2

/*
 * Grows a pipe to SD_PIPE_MAX bytes, or failing that (over
 * /proc/sys/fs/pipe-max-size, or the user's pipes over
 * pipe-user-pages-soft: EPERM) to SD_WINDOW; a pipe already larger is
 * left as it is.  Returns its size, or 0 if it cannot be told.
 */
static size_t pipe_grow(int fd)
{
#if defined(F_GETPIPE_SZ) && defined(F_SETPIPE_SZ)
	int have = fcntl(fd, F_GETPIPE_SZ);

	if (have < 0)
		return 0;
	for (size_t want = SD_PIPE_MAX; want >= SD_WINDOW; want /= 4) {
		if ((size_t)have >= want)
			break;
		int got = fcntl(fd, F_SETPIPE_SZ, (int)want);
		if (got > have)
			return (size_t)got;
	}
	return (size_t)have;
#else
	(void)fd;
	return 0;
#endif
}

int sd_source_init_fd(struct sd_source *s, int fd, bool own)
{
	struct stat st;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->own_fd = own;
	s->limit = UINT64_MAX;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		s->seekable = true;
		s->total = (uint64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	/*
	 * A file smaller than a window gets a buffer of its size, a pipe one
	 * of 64 KiB (Linux's default pipe buffer: a read() returns no more);
	 * a block grows when a record needs more.  Under ASan or valgrind
	 * each large buffer was an mmap of its own, for every small input.
	 */
	size_t cap = SD_WINDOW;
	if (!s->seekable)
		cap = S_ISFIFO(st.st_mode) && pipe_grow(fd) >= SD_WINDOW
			      ? SD_WINDOW
			      : SD_PIPE_WINDOW;
	else if (s->total < SD_WINDOW)
		cap = s->total > SD_PIPE_WINDOW ? (size_t)s->total
						: SD_PIPE_WINDOW;
	s->pool.std_cap = cap;
	s->pool.max_free = SD_FREE_BLOCKS;
	s->blk = sd_block_get(&s->pool, cap);
	if (!s->blk)
		return -ENOMEM;
	s->buf = s->blk->data;
	s->cap = s->blk->cap;
	return 0;
}

void sd_source_init_mem(struct sd_source *s, const void *buf, size_t len)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->is_mem = true;
	s->seekable = true;
	s->buf = (uint8_t *)buf; /* never written through */
	s->cap = len;
	s->end = len;
	s->total = len;
	s->limit = len;
}

void sd_source_fini(struct sd_source *s)
{
	sd_block_done(s->blk);
	sd_bpool_fini(&s->pool);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

int sd_source_pread(struct sd_source *s, void *out, size_t n, uint64_t off)
{
	if (s->is_mem) {
		if (off > s->total || n > s->total - off)
			return -SD_E_TRUNCATED;
		memcpy(out, s->buf + off, n);
		return 0;
	}
	if (!s->seekable)
		return -ESPIPE;
	size_t done = 0;
	while (done < n) {
		ssize_t k = pread(s->fd, (char *)out + done, n - done,
				  (off_t)(off + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -SD_E_TRUNCATED;
		done += (size_t)k;
	}
	return 0;
}

int sd_source_seek(struct sd_source *s, uint64_t off, uint64_t limit)
{
	if (s->is_mem) {
		if (off > s->total)
			off = s->total;
		if (limit > s->total)
			limit = s->total;
		if (limit < off)
			limit = off;
		s->pos = (size_t)off;
		s->end = (size_t)limit;
		s->base_off = 0;
		s->limit = limit;
		s->eof = false;
		return 0;
	}
	if (!s->seekable)
		return -ESPIPE;
	s->pos = s->end = 0;
	s->base_off = off;
	s->read_off = off;
	s->limit = limit;
	s->eof = false;
	return 0;
}

/*
 * Makes room for n bytes from pos: the unread tail moves to the front of
 * the block, or, when queued records keep the block (or a record needs a
 * larger one), to the front of a new block.  A block with queued records
 * that still has room for the record is read on into instead.
 */
static int source_room(struct sd_source *s, size_t n)
{
	size_t tail = s->end - s->pos;
	bool pinned = s->blk->refs > 0;

	if (pinned && s->pos + n <= s->cap &&
	    s->cap - s->end >= s->pool.std_cap / 4)
		return 0;
	if (!pinned && n <= s->cap &&
	    (s->cap == s->pool.std_cap || n > s->pool.std_cap)) {
		if (s->pos > 0)
			memmove(s->buf, s->buf + s->pos, tail);
	} else {
		size_t cap = s->pool.std_cap;
		while (cap < n)
			cap *= 2;
		struct sd_block *b = sd_block_get(&s->pool, cap);
		if (!b)
			return -ENOMEM;
		memcpy(b->data, s->buf + s->pos, tail);
		sd_block_done(s->blk);
		s->blk = b;
		s->buf = b->data;
		s->cap = b->cap;
	}
	s->base_off += s->pos;
	s->end = tail;
	s->pos = 0;
	return 0;
}

static int source_fill(struct sd_source *s, size_t n)
{
	int err = source_room(s, n);

	if (err)
		return err;
	while (s->end - s->pos < n && !s->eof) {
		size_t room = s->cap - s->end;
		ssize_t k;

		if (s->seekable) {
			uint64_t left = s->limit > s->read_off ?
						s->limit - s->read_off : 0;
			if (room > left)
				room = (size_t)left;
			if (room == 0) {
				s->eof = true;
				break;
			}
			k = pread(s->fd, s->buf + s->end, room,
				  (off_t)s->read_off);
		} else {
			k = read(s->fd, s->buf + s->end, room);
		}
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0) {
			s->eof = true;
			break;
		}
		s->end += (size_t)k;
		s->read_off += (uint64_t)k;
	}
	return s->end - s->pos >= n ? 0 : -SD_E_TRUNCATED;
}

int sd_source_want(struct sd_source *s, size_t n)
{
	if (s->end - s->pos >= n)
		return 0;
	if (s->is_mem || s->eof)
		return -SD_E_TRUNCATED;
	return source_fill(s, n);
}
