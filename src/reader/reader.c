/* SPDX-License-Identifier: MIT */
/*
 * Opening and freeing a reader and what it tells about the input; the
 * record loop itself is next.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/internal.h"

struct sd_reader *sd_reader_free(struct sd_reader *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->nr_evsels; i++)
		sd_evsel_free(r->evsels[i]);
	free(r->evsels);
	sd_id_map_fini(&r->ids);
	sd_file_info_fini(&r->info);
	sd_diags_clear(&r->diags);
	/* the queue first: its entries hold blocks of the source and of
	 * the decompressor */
	sd_queue_fini(&r->q);
	sd_source_fini(&r->src);
	sd_zstd_free(r->z);
	sd_block_done(r->dblk);
	sd_bpool_fini(&r->zpool);
	free(r->ips_scratch);
	free(r->str_scratch);
	free(r->raw_scratch);
	free(r->name);
	free(r);
	return NULL;
}

static int reader_start(struct sd_reader *r)
{
	uint8_t magic[16];
	int err;

	if (r->src.seekable)
		return sd_read_file_header(r);
	/* a pipe: only the 16-byte pipe header can come first */
	err = sd_source_want(&r->src, 16);
	if (err) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_TRUNCATED, 0,
			     "the stream ended before its perf.data header");
		return -SD_E_TRUNCATED;
	}
	memcpy(magic, r->src.buf + r->src.pos, 16);
	uint64_t m = sd_load64(magic, false);
	if (m == 0x32454c4946524550ull)
		r->swap = false;
	else if (m == 0x50455246494c4532ull)
		r->swap = true;
	else {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_BAD_MAGIC, 0,
			     "not perf.data: the stream does not start with "
			     "PERFILE2");
		return -SD_E_BAD_MAGIC;
	}
	bool host_le = *(const uint8_t *)&(uint16_t){1} == 1;
	r->info.order = (host_le != r->swap) ? SD_ORDER_LITTLE : SD_ORDER_BIG;
	uint64_t hsize = sd_load64(magic + 8, r->swap);
	r->info.header_size = hsize;
	if (hsize != 16) {
		sd_diags_add(&r->diags, SD_ERROR, SD_E_NOT_PIPE, 8,
			     "a stream on standard input must be pipe-mode "
			     "perf.data (perf record -o -); this one has a "
			     "%llu-byte file header: pass the file by name",
			     (unsigned long long)hsize);
		return -SD_E_NOT_PIPE;
	}
	r->src.pos += 16;
	return sd_read_pipe_header(r);
}

static int reader_new(const char *name, unsigned flags, struct sd_reader **out)
{
	struct sd_reader *r = calloc(1, sizeof *r);

	if (!r)
		return -ENOMEM;
	r->name = strdup(name ? name : "-");
	if (!r->name) {
		free(r);
		return -ENOMEM;
	}
	r->flags = flags;
	r->id_pos = r->is_pos = -1;
	r->q.time_hi = UINT64_MAX;
	sd_diags_init(&r->diags);
	*out = r;
	return 0;
}

static int reader_open_finish(struct sd_reader *r, struct sd_diags *why,
			      struct sd_reader **out)
{
	int err = reader_start(r);

	r->q.swap = r->swap;
	if (err) {
		if (why)
			sd_diags_move(why, &r->diags);
		sd_reader_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int sd_reader_open_fd(int fd, const char *name, unsigned flags,
		      struct sd_diags *why, struct sd_reader **out)
{
	struct sd_reader *r;
	int err = reader_new(name, flags, &r);

	if (err) {
		close(fd);
		return err;
	}
	err = sd_source_init_fd(&r->src, fd, true);
	if (err) {
		sd_reader_free(r);
		return err;
	}
	return reader_open_finish(r, why, out);
}

int sd_reader_open(const char *path, unsigned flags, struct sd_diags *why,
		   struct sd_reader **out)
{
	int fd;

	if (!strcmp(path, "-"))
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return sd_reader_open_fd(fd, path, flags, why, out);
}

int sd_reader_open_mem(const void *buf, size_t len, const char *name,
		       unsigned flags, struct sd_diags *why,
		       struct sd_reader **out)
{
	struct sd_reader *r;
	int err = reader_new(name, flags, &r);

	if (err)
		return err;
	sd_source_init_mem(&r->src, buf, len);
	return reader_open_finish(r, why, out);
}

void sd_reader_skip(struct sd_reader *r, unsigned what)
{
	r->skip_ids = what & SD_SKIP_SAMPLE_IDS;
	r->skip_exit = what & SD_SKIP_EXIT;
}

const char *sd_reader_name(const struct sd_reader *r)
{
	return r->name;
}

const struct sd_file_info *sd_reader_info(const struct sd_reader *r)
{
	return &r->info;
}

size_t sd_reader_nr_evsels(const struct sd_reader *r)
{
	return r->nr_evsels;
}

const struct sd_evsel *sd_reader_evsel(const struct sd_reader *r, size_t i)
{
	return i < r->nr_evsels ? r->evsels[i] : NULL;
}

int sd_evsel_match(const struct sd_evsel *ev, const char *query)
{
	const char *en = ev->name;
	size_t n = strlen(query);

	if (!en)
		return 0;
	if (!strcmp(en, query))
		return 2;
	/* "cycles" finds "cycles:P"; "sched_switch" finds "sched:sched_switch" */
	if (!strncmp(en, query, n) && (en[n] == ':' || en[n] == '/'))
		return 1;
	const char *colon = strchr(en, ':');
	if (colon && !strcmp(colon + 1, query))
		return 1;
	return 0;
}

const struct sd_evsel *sd_reader_find_evsel(const struct sd_reader *r,
					    const char *name)
{
	const struct sd_evsel *partial = NULL;

	for (size_t i = 0; i < r->nr_evsels; i++) {
		int m = sd_evsel_match(r->evsels[i], name);
		if (m == 2)
			return r->evsels[i];
		if (m == 1 && !partial)
			partial = r->evsels[i];
	}
	return partial;
}

const struct sd_reader_stats *sd_reader_stats(const struct sd_reader *r)
{
	return &r->stats;
}

struct sd_diags *sd_reader_diags(struct sd_reader *r)
{
	return &r->diags;
}

void sd_reader_progress(const struct sd_reader *r, uint64_t *done,
			uint64_t *total)
{
	*done = sd_source_offset(&r->src);
	*total = r->src.total;
}
