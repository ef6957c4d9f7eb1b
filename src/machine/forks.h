/* SPDX-License-Identifier: MIT */
/* Forks per executable, kept by the machine (forks.c). */
#ifndef SD_MACHINE_FORKS_H
#define SD_MACHINE_FORKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/machine.h>
#include <swapdiag/reader.h>

#include "util/hash.h"

struct sd_forks;

struct sd_forks *forks_new(void);
void forks_free(struct sd_forks *f);
/* A FORK record; parent_comm: the parent thread's comm id at the fork.
 * *parent_exe: a new process's parent's executable (NULL: not known, or
 * the record makes a thread).  *parent_at: the parent's place in f as an
 * earlier call gave it (0: none; a wrong one only costs a lookup), set to
 * the right one; *child_at: the child's place (0: a thread). */
int forks_fork(struct sd_forks *f, const struct sd_task *task,
	       uint32_t parent_comm, const char **parent_exe,
	       uint32_t *parent_at, uint32_t *child_at);
int forks_comm(struct sd_forks *f, const struct sd_record *rec);
/* forks_mmap() of an executable map of a file. */
int forks_exec_map(struct sd_forks *f, const struct sd_record *rec,
		   const void *name_key);
/* An MMAP record; name_key: an address that stands for its file name
 * (the machine's DSO of that exact name, one per name), or NULL.  In
 * line: most maps are not executable maps of a file. */
static inline int forks_mmap(struct sd_forks *f, const struct sd_record *rec,
			     const void *name_key)
{
	const struct sd_mmap *mp = &rec->mmap;
	uint32_t prot = rec->type == SD_REC_MMAP2 ? mp->prot : 4;

	if (!(prot & 4 /* PROT_EXEC */) || mp->filename[0] != '/')
		return 0;
	return forks_exec_map(f, rec, name_key);
}
const char *forks_pid_exe(const struct sd_forks *f, uint32_t pid);
size_t forks_nr_exes(const struct sd_forks *f);
/* Fills exe, forks, pids; nr_comms and nr_execs give the counter sizes
 * (comms and execs are left for the caller). */
void forks_exe(const struct sd_forks *f, size_t i, struct sd_exe_forks *out);
/* Counter k of executable i: a comm id (execs false) or an exe id. */
void forks_counter(const struct sd_forks *f, size_t i, bool execs, size_t k,
		   uint32_t *id, uint64_t *n);
const char *forks_exe_str(const struct sd_forks *f, uint32_t id);

#endif
