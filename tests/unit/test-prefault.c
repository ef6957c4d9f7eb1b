/* SPDX-License-Identifier: MIT */
/*
 * util/prefault.h: it populates at most one step past what the caller is
 * about to write, inside the block, and nothing for a block under two
 * steps.  Residency is read back with mincore(2), on a mapping advised
 * against huge pages so that pages are the 4 KiB ones counted here.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "test.h"
#include "util/prefault.h"

#define PAGE ((size_t)4096)
#define STEP SD_PREFAULT_STEP
#define LEN (8 * STEP)

/* A fresh anonymous mapping of LEN bytes on small pages; NULL on failure. */
static unsigned char *fresh(void)
{
	void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_NOHUGEPAGE
	(void)madvise(p, LEN, MADV_NOHUGEPAGE);
#endif
	return p;
}

/* Resident pages of p[from, to) (page-aligned offsets); -1 on error. */
static long resident(const unsigned char *p, size_t from, size_t to)
{
	unsigned char vec[LEN / PAGE];
	long n = 0;

	if (mincore((void *)p, LEN, vec))
		return -1;
	for (size_t i = from / PAGE; i < to / PAGE; i++)
		n += vec[i] & 1;
	return n;
}

/* Whether this kernel populates on request at all (Linux 5.14). */
static int can_populate(void)
{
	unsigned char *p = fresh();
	int ok;

	if (!p)
		return 0;
	ok = !madvise(p, PAGE, MADV_POPULATE_WRITE);
	munmap(p, LEN);
	return ok;
}

/* From nothing, about to write one byte: the first step is resident and
 * nothing after it. */
TEST(one_step_ahead)
{
	unsigned char *p;
	size_t done = 0;

	if (!can_populate())
		SKIP("MADV_POPULATE_WRITE not supported here");
	p = fresh();
	CHECK(p != NULL);
	if (!p)
		return;
	sd_prefault(p, LEN, &done, 1);
	CHECK_U64(done, STEP); /* 1 + STEP, down to a whole page */
	CHECK(resident(p, 0, STEP) == (long)(STEP / PAGE));
	CHECK(resident(p, STEP + PAGE, LEN) == 0);
	/* still inside what is done: no call, nothing more */
	sd_prefault(p, LEN, &done, STEP / 2);
	CHECK_U64(done, STEP);
	CHECK(resident(p, STEP + PAGE, LEN) == 0);
	/* past it: one step beyond the new need, from where it stopped (the
	 * page at STEP, cut by the first step, included) */
	sd_prefault(p, LEN, &done, 3 * STEP);
	CHECK_U64(done, 4 * STEP);
	CHECK(resident(p, 0, 4 * STEP) == (long)(4 * STEP / PAGE));
	CHECK(resident(p, 4 * STEP, LEN) == 0);
	munmap(p, LEN);
}

/* The step stops at the block's end, even with more mapping behind it. */
TEST(stays_inside_the_block)
{
	unsigned char *p;
	size_t cap = 3 * STEP, done = 0;

	if (!can_populate())
		SKIP("MADV_POPULATE_WRITE not supported here");
	p = fresh();
	CHECK(p != NULL);
	if (!p)
		return;
	sd_prefault(p, cap, &done, cap - PAGE);
	CHECK_U64(done, cap);
	CHECK(resident(p, 0, cap) == (long)(cap / PAGE));
	CHECK(resident(p, cap, LEN) == 0);
	munmap(p, LEN);
}

/* A block under two steps is left to fault in: nothing populated. */
TEST(small_blocks_untouched)
{
	unsigned char *p = fresh();
	size_t done = 0;

	CHECK(p != NULL);
	if (!p)
		return;
	sd_prefault(p, 2 * STEP - PAGE, &done, 1);
	CHECK_U64(done, 0);
	CHECK(resident(p, 0, LEN) == 0);
	munmap(p, LEN);
}

int main(void)
{
	RUN(one_step_ahead);
	RUN(stays_inside_the_block);
	RUN(small_blocks_untouched);
	return test_exit();
}
