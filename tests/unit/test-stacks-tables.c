/* SPDX-License-Identifier: MIT */
/*
 * The stacks stage's tables, past their shortcuts.
 *
 * The stack table (stacks.c): a key is one stack, found again as such.
 * Its slots hold a hash check and point at the key's record (id, length,
 * bytes); the check only passes other keys by, the bytes decide.  Hash
 * collisions are made by moving a stored key's slot to the slot and check
 * of the key asked (no pair of real keys is needed):
 *
 *  K1 a key whose slot and check are another key's is a new stack;
 *  K2 so is one of which the other is a prefix, or which is a prefix of
 *     the other, whichever was stored.
 *
 * The details (details.c): one (stack, pid, time bucket) counter each,
 * whatever way the lookup takes.  Named stacks give pid and time freely;
 * the (stack, pid) cache of stacks.c answers for a (stack, pid) until its
 * bucket moves, so each case moves it first to reach the tables.
 *
 *  D1 two (stack, pid) pairs whose hashes are equal in the bucket's table
 *     (its slot and its check) count apart, whichever was made first;
 *  D2 samples going back and forth between buckets (not the table last
 *     used) find the details made before;
 *  D3 a bucket with many details (its table grows from the size of the
 *     bucket before) finds each again;
 *  D4 samples after the loop's tables were freed (symbolized) find the
 *     details made before;
 *  N1 the (dso, address) cache of names (names.c) finds every location
 *     named before, after growing from its first size;
 *  D5 the details' bucket range (least but 0, greatest) is the same
 *     walked from the details, noted from the tables when the loop ends
 *     (also after details added with no call, which the table's count
 *     and the indexed count take in late), and walked again after more
 *     samples came; none when only bucket 0 (no time) has details;
 *  D6 an empty entry of the (stack, pid) cache is no pair's, not even
 *     (0, 0), whose word it would be if empty were zero;
 *  D7 a pair's word (sd_stacks_pair(), made in integers) is the word a
 *     detail and a cache entry hold it as (their stack and pid fields,
 *     read back by sd_stacks_pair_at()), and no other pair's.
 */
#include <stdlib.h>
#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>

#include "stacks/internal.h"
#include "stacks/key.h"
#include "stacks/symbolize.h"
#include "test.h"

/* Interns the n bytes of k as a key: its stack. */
static uint32_t intern(struct sd_stacks *st, const void *k, size_t n)
{
	uint32_t id = UINT32_MAX;
	memcpy(st->kbuf, k, n);
	CHECK(sd_stacks_intern_encoded(st, n, 0, &id) == 0);
	return id;
}

/* Moves the slot of stack id to where the n bytes of k hash to, with
 * their check: a lookup of k meets it first. */
static void collide(struct sd_stacks *st, uint32_t id, const void *k,
		    size_t n)
{
	uint32_t at = (uint32_t)((st->v[id].key - KEY_REC) / KEY_ALIGN) + 1;
	size_t mask = st->nslots - 1, i = 0;
	while (i <= mask && st->slots[i].at != at)
		i++;
	CHECK(i <= mask);
	if (i > mask)
		return;
	st->slots[i].at = 0;
	uint64_t h = sd_key_hash(k, n);
	size_t j = h & mask;
	while (st->slots[j].at)
		j = (j + 1) & mask;
	st->slots[j] = (struct key_slot){(uint32_t)(h >> 32), at};
}

TEST(a_key_with_another_keys_slot_and_check)
{
	struct sd_stacks *st;
	if (sd_stacks_new(&st))
		SKIP("no memory");
	static const char x[] = "\1evsel-comm-frames-x",
			  y[] = "\1evsel-comm-frames-y";
	CHECK_U64(intern(st, x, sizeof x), 0);
	collide(st, 0, y, sizeof y);
	CHECK_U64(intern(st, y, sizeof y), 1);
	CHECK_U64(intern(st, y, sizeof y), 1);
	CHECK_U64(sd_stacks_count(st), 2);
	sd_stacks_free(st);
}

TEST(a_prefix_is_another_key)
{
	static const char longer[] = "\1frames:a;b;c;d", shorter[] = "\1frames:a;b";
	for (int order = 0; order < 2; order++) {
		struct sd_stacks *st;
		if (sd_stacks_new(&st))
			SKIP("no memory");
		const char *first = order ? shorter : longer,
			   *then = order ? longer : shorter;
		size_t nf = order ? sizeof shorter - 1 : sizeof longer - 1,
		       nt = order ? sizeof longer - 1 : sizeof shorter - 1;
		CHECK_U64(intern(st, first, nf), 0);
		collide(st, 0, then, nt);
		CHECK_U64(intern(st, then, nt), 1);
		CHECK_U64(sd_stacks_count(st), 2);
		sd_stacks_free(st);
	}
}

struct ctx {
	struct sd_machine *m;
	struct sd_stacks *st;
	uint32_t comm;
};

static bool open_ctx(struct ctx *c)
{
	c->m = NULL;
	c->st = NULL;
	CHECK(sd_machine_new(NULL, &c->m) == 0);
	CHECK(sd_stacks_new(&c->st) == 0);
	if (!c->m || !c->st) {
		sd_stacks_free(c->st);
		sd_machine_free(c->m);
		return false;
	}
	c->comm = sd_machine_intern_comm(c->m, "app");
	return true;
}

static void close_ctx(struct ctx *c)
{
	sd_stacks_free(c->st);
	sd_machine_free(c->m);
}

/* One sample of the stack "main;leaf<n>" by pid in bucket; its stack. */
static uint32_t add(struct ctx *c, unsigned n, uint32_t pid, uint64_t bucket,
		    uint64_t period)
{
	static const bool kernel[2] = {false, false};
	char leaf[24];
	snprintf(leaf, sizeof leaf, "leaf%u", n);
	const char *frames[2] = {"main", leaf};
	struct sd_named_stack ns = {
		.comm = c->comm,
		.pid = pid,
		.key_pid = SD_STACK_NO_PID,
		.key_tid = SD_STACK_NO_PID,
		.time = bucket * SD_BUCKET_NS + 1,
		.frames = frames,
		.kernel = kernel,
		.n = 2,
		.count = 1,
		.period = period,
	};
	uint32_t id = UINT32_MAX;
	CHECK(sd_stacks_add_named(c->st, &ns, &id) == 0);
	return id;
}

/* The detail (stack, pid, bucket), or NULL; *n how many there are. */
static const struct sd_stack_detail *detail(struct ctx *c, uint32_t stack,
					    uint32_t pid, uint64_t bucket,
					    size_t *n)
{
	const struct sd_stack_detail *found = NULL;
	*n = 0;
	for (size_t i = 0; i < sd_stacks_nr_details(c->st); i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(c->st, i);
		if (d->stack == stack && d->pid == pid && d->bucket == bucket) {
			found = d;
			++*n;
		}
	}
	return found;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Two pids whose (stack, pid) hashes are equal; false if none of 2^18
 * pids spread over 32 bits share one (8 pairs expected of a random
 * function). */
static bool colliding_pids(uint32_t stack, uint32_t *p1, uint32_t *p2)
{
	enum { N = 1 << 18 };
	uint64_t *v = malloc(N * sizeof *v);
	bool ok = false;
	if (!v)
		return false;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t pid = (i + 1) * 2654435761u;
		v[i] = (uint64_t)sd_stacks_detail_hash(stack, pid) << 32 | pid;
	}
	qsort(v, N, sizeof *v, cmp_u64);
	for (size_t i = 1; i < N && !ok; i++)
		if (v[i] >> 32 == v[i - 1] >> 32) {
			*p1 = (uint32_t)v[i - 1];
			*p2 = (uint32_t)v[i];
			ok = true;
		}
	free(v);
	return ok;
}

TEST(colliding_pairs_count_apart)
{
	uint32_t pa = 0, pb = 0;
	CHECK(colliding_pids(0, &pa, &pb));
	for (int order = 0; order < 2; order++) {
		struct ctx c;
		if (!open_ctx(&c))
			return;
		uint32_t first = order ? pb : pa, second = order ? pa : pb;
		CHECK_U64(add(&c, 0, first, 5, 1), 0);
		add(&c, 0, second, 5, 10);
		/* the cache moves to bucket 6 ... */
		add(&c, 0, first, 6, 100);
		add(&c, 0, second, 6, 1000);
		/* ... so these are looked up in bucket 5's table, where the
		 * first slot with their hash may be the other pid's */
		add(&c, 0, first, 5, 1);
		add(&c, 0, second, 5, 10);
		add(&c, 0, second, 5, 10);
		size_t n;
		const struct sd_stack_detail *d = detail(&c, 0, first, 5, &n);
		CHECK_U64(n, 1);
		CHECK(d && d->count == 2 && d->period == 2);
		d = detail(&c, 0, second, 5, &n);
		CHECK_U64(n, 1);
		CHECK(d && d->count == 3 && d->period == 30);
		CHECK_U64(sd_stacks_nr_details(c.st), 4);
		close_ctx(&c);
	}
}

TEST(back_and_forth_between_buckets)
{
	struct ctx c;
	if (!open_ctx(&c))
		return;
	enum { B = 300, S = 3 };
	/* stack s of pid 7 in bucket b, for every b, twice, the second time
	 * from the last bucket back to the first */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < B; i++)
			for (unsigned s = 0; s < S; s++)
				add(&c, s, 7, pass ? B - 1 - i : i, 1 + s);
	size_t bad = 0, n;
	for (uint64_t b = 0; b < B; b++)
		for (uint32_t s = 0; s < S; s++) {
			const struct sd_stack_detail *d = detail(&c, s, 7, b, &n);
			bad += n != 1 || !d || d->count != 2 ||
			       d->period != 2 * (1 + s);
		}
	CHECK_U64(bad, 0);
	CHECK_U64(sd_stacks_nr_details(c.st), B * S);
	close_ctx(&c);
}

TEST(a_big_bucket_grows)
{
	struct ctx c;
	if (!open_ctx(&c))
		return;
	enum { SMALL = 3, BIG = 20000 };
	/* bucket 1 has a few details, bucket 2 many: its table starts at
	 * bucket 1's size and grows; then each is sampled again from bucket
	 * 3, which moves the cache on */
	for (uint32_t p = 0; p < SMALL; p++)
		add(&c, 0, 1000 + p, 1, 1);
	for (uint32_t p = 0; p < BIG; p++)
		add(&c, 0, 1000 + p, 2, 1);
	for (uint32_t p = 0; p < BIG; p++) {
		add(&c, 0, 1000 + p, 3, 1);
		add(&c, 0, 1000 + p, 2, 1);
	}
	/* each (0, pid, 2) once, counted twice: one pass over the details
	 * (detail() per pid is quadratic, 23 s under ASan) */
	static uint8_t seen[BIG];
	size_t bad = 0;
	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < sd_stacks_nr_details(c.st); i++) {
		const struct sd_stack_detail *d = sd_stacks_detail(c.st, i);
		if (d->stack != 0 || d->bucket != 2 || d->pid < 1000 ||
		    d->pid >= 1000 + BIG)
			continue;
		seen[d->pid - 1000]++;
		bad += d->count != 2;
	}
	for (uint32_t p = 0; p < BIG; p++)
		bad += seen[p] != 1;
	CHECK_U64(bad, 0);
	CHECK_U64(sd_stacks_nr_details(c.st), SMALL + 2 * BIG);
	close_ctx(&c);
}

TEST(details_found_after_the_tables_were_freed)
{
	struct ctx c;
	if (!open_ctx(&c))
		return;
	enum { P = 2000 };
	for (uint32_t p = 0; p < P; p++)
		add(&c, p % 5, 100 + p, p % 7, 1);
	CHECK(sd_stacks_symbolize(c.st, c.m) == 0);
	for (uint32_t p = 0; p < P; p++)
		add(&c, p % 5, 100 + p, p % 7, 1);
	size_t bad = 0, n;
	for (uint32_t p = 0; p < P; p++) {
		const struct sd_stack_detail *d =
			detail(&c, p % 5, 100 + p, p % 7, &n);
		bad += n != 1 || !d || d->count != 2;
	}
	CHECK_U64(bad, 0);
	CHECK_U64(sd_stacks_nr_details(c.st), P);
	close_ctx(&c);
}

/* The bucket range, first << 32 | last; 0 when there is none. */
static uint64_t range(struct ctx *c)
{
	uint64_t first = 0, last = 0;
	if (!sd_stacks_bucket_range(c->st, &first, &last))
		return 0;
	return first << 32 | last;
}

TEST(the_bucket_range_noted_and_walked)
{
	struct ctx c;
	if (!open_ctx(&c))
		return;
	add(&c, 0, 7, 0, 1);
	CHECK_U64(range(&c), 0);
	add(&c, 0, 7, 9, 1);
	add(&c, 1, 7, 4, 1);
	add(&c, 0, 8, 6, 1);
	add(&c, 1, 8, 6, 1); /* the table at hand: no call */
	CHECK_U64(range(&c), 4ull << 32 | 9);
	CHECK(sd_stacks_symbolize(c.st, c.m) == 0);
	CHECK_U64(c.st->brange_n, sd_stacks_nr_details(c.st) + 1);
	CHECK_U64(range(&c), 4ull << 32 | 9);
	add(&c, 2, 7, 3, 1);
	add(&c, 2, 7, 12, 1);
	CHECK_U64(range(&c), 3ull << 32 | 12);
	close_ctx(&c);
}

TEST(an_empty_cache_entry_is_no_pair)
{
	struct ctx c;
	if (!open_ctx(&c))
		return;
	/* detail 0 is (stack 0, pid 5, bucket 3); then (0, 0) in bucket 3 */
	CHECK_U64(add(&c, 0, 5, 3, 1), 0);
	CHECK_U64(add(&c, 0, 0, 3, 10), 0);
	size_t n;
	const struct sd_stack_detail *d = detail(&c, 0, 5, 3, &n);
	CHECK(n == 1 && d && d->count == 1 && d->period == 1);
	d = detail(&c, 0, 0, 3, &n);
	CHECK(n == 1 && d && d->count == 1 && d->period == 10);
	close_ctx(&c);
}

TEST(a_pair_is_the_word_of_its_fields)
{
	static const uint32_t v[][2] = {{0, 0},	      {1, 0},
					{0, 1},	      {0x12345678, 0x9abcdef0},
					{UINT32_MAX, 7}, {7, UINT32_MAX}};
	size_t bad = 0;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct sd_stack_detail d = {0};
		struct dcache_ent c = {0};
		d.stack = c.stack = v[i][0];
		d.pid = c.pid = v[i][1];
		uint64_t w = sd_stacks_pair(v[i][0], v[i][1]);
		bad += sd_stacks_pair_at(&d) != w || sd_stacks_pair_at(&c) != w;
		for (size_t j = 0; j < i; j++)
			bad += sd_stacks_pair(v[j][0], v[j][1]) == w;
	}
	CHECK_U64(bad, 0);
}

TEST(names_found_again_after_the_cache_grew)
{
	struct sd_stacks *st = NULL;
	CHECK(sd_stacks_new(&st) == 0);
	if (!st)
		return;
	enum { L = 1000 };
	uint32_t first[L], n, again;
	uint8_t marks;
	bool ok = true;
	/* no DSO: named "[x]" whatever the address, each its own entry */
	for (int pass = 0; pass < 2; pass++) {
		size_t nnames = st->nnames;
		for (uint64_t i = 0; i < L; i++) {
			struct sd_location loc = {.map_name = "[x]",
						  .addr = 0x1000 + 16 * i};
			uint32_t *f = pass ? &again : &first[i];
			ok &= sd_stacks_frame_names(st, &loc, 0, true, f, &n,
						    &marks) == 0;
			ok &= n == 1 && (!pass || again == first[i]);
		}
		/* the second pass makes no name */
		if (pass)
			CHECK_U64(st->nnames, nnames);
	}
	CHECK(ok);
	CHECK(st->fcslots > 256);
	sd_stacks_free(st);
}

int main(void)
{
	RUN(a_key_with_another_keys_slot_and_check);
	RUN(a_prefix_is_another_key);
	RUN(colliding_pairs_count_apart);
	RUN(back_and_forth_between_buckets);
	RUN(a_big_bucket_grows);
	RUN(details_found_after_the_tables_were_freed);
	RUN(the_bucket_range_noted_and_walked);
	RUN(an_empty_cache_entry_is_no_pair);
	RUN(a_pair_is_the_word_of_its_fields);
	RUN(names_found_again_after_the_cache_grew);
	return test_exit();
}
