/* SPDX-License-Identifier: MIT */
/*
 * Resolving a new chain's frames to locations (src/stacks/resolve.c and
 * its frame tables, frametab.c), through the public API: stack ids say
 * which chains resolved alike (one id: every frame at the same
 * location), folded lines say where.
 * What must hold, whatever the caches in front of the map search do:
 *
 *  L1 a frame's location is (DSO, address in the DSO, kernel, unwound):
 *     a library at another address in another process (ASLR) is the same
 *     location at the same file offset, another one at another offset;
 *  L2 maps that look alike but are not: another pgoff, anonymous memory
 *     instead of the file, another file at the same offset -- other
 *     locations;
 *  L3 versions: a map added after a sample does not change that
 *     sample's frames, and a sample after it sees it;
 *  L4 the kernel's maps change (a module loaded): later frames land in
 *     the module, as perf would place them;
 *  L5 many distinct addresses (the caches fill, grow, collide): every
 *     chain still resolves as it did the first time;
 *  L6 an address in no map is [unknown], one location in every
 *     process, whatever the address;
 *  L7 the kernel part of a chain resolves by itself: the same kernel
 *     callers under other user frames (another process, another leaf)
 *     are the same kernel locations, while callers that differ at all
 *     (order, one more or one fewer) are others;
 *  L8 ... until the kernel's maps change: the same kernel callers after
 *     a module is loaded where one of them lies land in the module;
 *  L9 kernel callers that only look like ones seen before resolve as
 *     themselves: one caller fewer (a prefix) or more, a marker among
 *     them, an invalid marker after them, a kernel part that is empty;
 *  L10 the kernel frame cache keys an address alone: a guest kernel's
 *     callers are placed as the host kernel's, in either order, and a
 *     sample without a chain at the address that marks an empty entry
 *     (all ones) is placed as itself, not as whatever came first;
 *  L11 one offset in many files, each at the same address in a process
 *      of its own, is a location per file, found again in a second
 *      process of each (the DSO-offset memo keys the file).
 *  L12 a user-mode sample without a chain is its ip alone, placed in its
 *      process's maps: a library at another address in another process
 *      is one location (L1), an address in no map [unknown].
 *  L13 an address space id too large for the user frame table's key
 *      (2^26 or more) keeps nothing there: one address in two cpumodes
 *      lands where each places it (a user-mode address in the kernel's
 *      range in the kernel's map, a guest user-mode one in none), in
 *      either order.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>
#include <swapdiag/symbols.h>

#include "test.h"
#include "stackworld.h"

#define KBASE 0xffffffff81000000ull
static const char kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000100 T entry_SYSCALL_64\n"
	"ffffffff81000200 T do_syscall_64\n"
	"ffffffff81010000 T big_function\n"
	"ffffffff81020000 T _etext\n";
#define ENTRY (KBASE + 0x110)
#define DOSYS (KBASE + 0x220)
#define BIG (KBASE + 0x10000) /* 64 kB of one function */
/* where a module is loaded later (L4): past the core kernel's symbols */
#define MODBASE 0xffffffffc0000000ull

#define LIBC_A 0x7f0000000000ull /* libc in process 100 (and 300) */
#define LIBC_B 0x7f1000000000ull /* libc in process 200 */

static void comm(struct world *w, uint32_t pid, const char *name)
{
	struct sd_record c = {.type = SD_REC_COMM};
	c.comm = (struct sd_comm){pid, pid, true, name};
	record(w, &c);
}

static void mmap2(struct world *w, uint32_t pid, uint64_t start,
		  uint64_t len, uint64_t pgoff, const char *file)
{
	struct sd_record m = {.type = SD_REC_MMAP2, .misc = SD_MISC_USER};
	m.mmap = (struct sd_mmap){.pid = pid, .tid = pid, .start = start,
				  .len = len, .pgoff = pgoff, .prot = 5,
				  .filename = file};
	record(w, &m);
}

static bool world_init(struct world *w)
{
	if (!world_open(w, kallsyms))
		return false;

	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = KBASE,
				  .len = 0x20000, .pgoff = KBASE,
				  .filename = "[kernel.kallsyms]_text"};
	record(w, &r);
	/* the files do not exist: a frame is named by its DSO, and its
	 * location is its offset in the file (no symbol to fold it to) */
	const uint32_t pids[] = {100, 200, 300, 400, 500};
	for (size_t i = 0; i < 5; i++) {
		comm(w, pids[i], "app");
		mmap2(w, pids[i], 0x400000, 0x10000, 0, "/usr/bin/app");
	}
	mmap2(w, 100, LIBC_A, 0x100000, 0, "/usr/lib/libc.so.6");
	mmap2(w, 200, LIBC_B, 0x100000, 0, "/usr/lib/libc.so.6");
	/* same address as in 100, but the file from 0x1000 on */
	mmap2(w, 300, LIBC_A, 0x100000, 0x1000, "/usr/lib/libc.so.6");
	/* same address as in 100, anonymous executable memory */
	mmap2(w, 400, LIBC_A, 0x100000, 0, "//anon");
	return true;
}

static struct sd_stack_sample sample_of(struct world *w, uint32_t pid,
					const uint64_t *ips, size_t n)
{
	struct sd_stack_sample s = {
		.cpumode = SD_MISC_USER,
		.ip = n > 1 ? ips[1] : ips[0], /* ips[1]: after the marker */
		.ips = ips,
		.nr_ips = n,
		.has_callchain = true,
		.period = 1,
		.pid = pid,
		.tid = pid,
		.machine = w->m,
	};
	CHECK(sd_machine_thread(w->m, pid, pid, &s.view) == 0);
	return s;
}

static uint32_t add(struct world *w, const struct sd_stack_sample *s)
{
	uint32_t id = UINT32_MAX;
	CHECK(sd_stacks_add(w->st, s, &id) == 0);
	return id;
}

static uint32_t sample(struct world *w, uint32_t pid, const uint64_t *ips,
		       size_t n)
{
	struct sd_stack_sample s = sample_of(w, pid, ips, n);
	return add(w, &s);
}

/* Is "line count/period" one of event 0's folded lines? */
static bool has_line(struct world *w, const char *line)
{
	const struct sd_folded_line *l;
	size_t n;
	char buf[512];

	if (sd_stacks_folded(w->st, w->m, 0, 0, &l, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%s %llu/%llu", l[i].stack,
			 (unsigned long long)l[i].count,
			 (unsigned long long)l[i].period);
		if (!strcmp(buf, line))
			return true;
	}
	return false;
}

TEST(library_at_other_addresses_same_offset)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	const uint64_t a[] = {SD_CONTEXT_USER, LIBC_A + 0x1234, 0x400100};
	const uint64_t b[] = {SD_CONTEXT_USER, LIBC_B + 0x1234, 0x400100};
	const uint64_t b2[] = {SD_CONTEXT_USER, LIBC_B + 0x1300, 0x400100};
	const uint64_t a2[] = {SD_CONTEXT_USER, LIBC_A + 0x1300, 0x400100};
	uint32_t ia = sample(&w, 100, a, 3);
	uint32_t ib = sample(&w, 200, b, 3);
	uint32_t ib2 = sample(&w, 200, b2, 3);
	uint32_t ia2 = sample(&w, 100, a2, 3);
	/* L1: offset 0x1234 in both processes, 0x1300 another location */
	CHECK_U64(ia, ib);
	CHECK(ib2 != ib);
	CHECK_U64(ia2, ib2);
	CHECK_U64(sd_stacks_count(w.st), 2);
	world_close(&w);
}

TEST(alike_maps_that_are_not)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	const uint64_t c[] = {SD_CONTEXT_USER, LIBC_A + 0x1234, 0x400100};
	uint32_t in100 = sample(&w, 100, c, 3);
	uint32_t in300 = sample(&w, 300, c, 3); /* pgoff 0x1000 */
	uint32_t in400 = sample(&w, 400, c, 3); /* anonymous */
	/* L2 */
	CHECK(in300 != in100);
	CHECK(in400 != in100);
	CHECK(in400 != in300);
	/* ... while process 300 at offset 0x2234 is 100's offset 0x2234 */
	const uint64_t d[] = {SD_CONTEXT_USER, LIBC_A + 0x2234, 0x400100};
	CHECK_U64(sample(&w, 100, d, 3), in300);
	/* offset 0x1234 of app, not of libc */
	const uint64_t e[] = {SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t f[] = {SD_CONTEXT_USER, 0x400000 + 0x1234};
	CHECK(sample(&w, 100, e, 2) != sample(&w, 100, f, 2));
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	CHECK(has_line(&w, "app;[app];[libc.so.6] 3/3"));
	CHECK(has_line(&w, "app;[app];[perf-400.map] 1/1"));
	world_close(&w);
}

TEST(a_later_mmap_does_not_change_an_earlier_view)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	/* process 500 has no libc yet: the frame is in no map */
	const uint64_t x[] = {SD_CONTEXT_USER, LIBC_A + 0x100};
	const uint64_t y[] = {SD_CONTEXT_USER, LIBC_A + 0x100, 0x400100};
	const uint64_t z[] = {SD_CONTEXT_USER, LIBC_A + 0x100, 0x400200};
	const uint64_t v[] = {SD_CONTEXT_USER, LIBC_A + 0x100, 0x400300};
	struct sd_stack_sample before = sample_of(&w, 500, z, 3);
	uint32_t ix = sample(&w, 500, x, 2);
	mmap2(&w, 500, LIBC_A, 0x100000, 0, "/usr/lib/libc.so.6");
	/* L3: after the mmap the frame is libc's; a sample taken before
	 * it (its view kept, as samples queued for time order keep it) is
	 * still in no map, though the address was just resolved in libc */
	uint32_t iy = sample(&w, 500, y, 3);
	uint32_t iz = add(&w, &before);
	struct sd_stack_sample later = sample_of(&w, 500, v, 3);
	uint32_t iv = add(&w, &later);
	CHECK(ix != iy && iy != iz && iz != iv && ix != iz);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	CHECK(has_line(&w, "app;[unknown] 1/1"));
	CHECK(has_line(&w, "app;[app];[libc.so.6] 2/2"));
	CHECK(has_line(&w, "app;[app];[unknown] 1/1"));
	world_close(&w);
}

TEST(a_module_loaded_later)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	const uint64_t k[] = {SD_CONTEXT_KERNEL, MODBASE + 0x10, DOSYS, ENTRY};
	/* a user-mode frame in the kernel's range is placed the same way */
	const uint64_t u[] = {SD_CONTEXT_USER, MODBASE + 0x10, 0x400100};
	uint32_t k1 = sample(&w, 100, k, 4), u1 = sample(&w, 100, u, 3);
	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = MODBASE,
				  .len = 0x1000,
				  .filename = "/lib/modules/6.1/ext4.ko"};
	record(&w, &r);
	uint32_t k2 = sample(&w, 100, k, 4), u2 = sample(&w, 100, u, 3);
	uint32_t k3 = sample(&w, 200, k, 4);
	/* L4: before the module, the kernel map (it reaches up to the first
	 * module above it): location ([kernel.kallsyms], address); after,
	 * ([ext4], address) -- another stack, the same in every process */
	CHECK(k1 != k2);
	CHECK(u1 != u2);
	CHECK_U64(k3, k2);
	CHECK_U64(sd_stacks_count(w.st), 4);
	world_close(&w);
}

TEST(many_addresses_resolve_as_the_first_time)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	enum { N = 40000 };
	static uint32_t first[N];
	uint32_t kid = UINT32_MAX;
	bool same_k = true, again = true;
	/* L5: 40 000 return addresses in one kernel function (one stack),
	 * under 40 000 user frames at distinct libc offsets in two
	 * processes (20 000 stacks, each offset the same in both) */
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t i = 0; i < N; i++) {
			uint64_t off = 0x10 * (i % (N / 2));
			uint64_t u[] = {SD_CONTEXT_KERNEL, BIG + i % 0x10000,
					ENTRY, SD_CONTEXT_USER,
					(i & 1 ? LIBC_B : LIBC_A) + off};
			uint32_t pid = i & 1 ? 200 : 100;
			/* a kernel-only chain: the kernel table */
			uint64_t k[] = {SD_CONTEXT_KERNEL, BIG + i % 0x10000,
					ENTRY};
			uint32_t ik = sample(&w, pid, k, 3);
			if (kid == UINT32_MAX)
				kid = ik;
			same_k &= ik == kid;
			uint32_t iu = sample(&w, pid, u, 5);
			if (pass == 0)
				first[i] = iu;
			else
				again &= first[i] == iu;
		}
	}
	CHECK(same_k);
	CHECK(again);
	/* offsets i % (N / 2): process 100 has the even i, 200 the odd */
	size_t shared = 0;
	for (size_t i = 0; i < N / 2; i++)
		shared += first[i] == first[i + N / 2];
	CHECK_U64(shared, N / 2);
	CHECK_U64(sd_stacks_count(w.st), 1 + N / 2);
	world_close(&w);
}

TEST(no_map_is_one_unknown)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	const uint64_t a[] = {SD_CONTEXT_USER, 0x10, 0x400100};
	const uint64_t b[] = {SD_CONTEXT_USER, 0x20, 0x400100};
	const uint64_t c[] = {SD_CONTEXT_USER, 0x7e0000000000ull, 0x400100};
	const uint64_t d[] = {SD_CONTEXT_USER, 0x7f0000001000ull, 0x400100};
	uint32_t ia = sample(&w, 100, a, 3);
	/* L6 */
	CHECK_U64(sample(&w, 200, b, 3), ia);
	CHECK_U64(sample(&w, 500, c, 3), ia);
	CHECK(sample(&w, 100, d, 3) != ia); /* libc's */
	world_close(&w);
}

TEST(kernel_callers_resolve_alike_under_any_user_part)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	/* L7: each chain is new (another leaf in big_function), so none is
	 * answered by the raw-chain table */
	const uint64_t a[] = {SD_CONTEXT_KERNEL, BIG + 1, DOSYS, ENTRY,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t b[] = {SD_CONTEXT_KERNEL, BIG + 2, DOSYS, ENTRY,
			      SD_CONTEXT_USER, LIBC_B + 0x1234};
	const uint64_t c[] = {SD_CONTEXT_KERNEL, BIG + 3, DOSYS, ENTRY,
			      SD_CONTEXT_USER, LIBC_A + 0x2234};
	const uint64_t d[] = {SD_CONTEXT_KERNEL, BIG + 4, ENTRY, DOSYS,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t e[] = {SD_CONTEXT_KERNEL, BIG + 5, DOSYS,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t f[] = {SD_CONTEXT_KERNEL, BIG + 6, DOSYS, ENTRY,
			      DOSYS, SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t g[] = {SD_CONTEXT_KERNEL, BIG + 7, DOSYS, ENTRY,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	uint32_t ia = sample(&w, 100, a, 6), ib = sample(&w, 200, b, 6);
	uint32_t ic = sample(&w, 100, c, 6), id = sample(&w, 100, d, 6);
	uint32_t ie = sample(&w, 100, e, 5), i_f = sample(&w, 100, f, 7);
	uint32_t ig = sample(&w, 200, g, 6);
	CHECK_U64(ib, ia); /* libc's offset 0x1234 in both processes */
	CHECK(ig != ia); /* process 200 has no libc at LIBC_A */
	CHECK(ic != ia && id != ia && ie != ia && i_f != ia);
	CHECK(id != ie && ie != i_f && id != i_f);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	/* a, b and c: c's libc offset is another location, with the same
	 * folded name (the file has no symbols) */
	CHECK(has_line(&w, "app;[libc.so.6];entry_SYSCALL_64;do_syscall_64;"
			   "big_function 3/3"));
	CHECK(has_line(&w, "app;[unknown];entry_SYSCALL_64;do_syscall_64;"
			   "big_function 1/1"));
	CHECK(has_line(&w, "app;[libc.so.6];do_syscall_64;entry_SYSCALL_64;"
			   "big_function 1/1"));
	CHECK(has_line(&w, "app;[libc.so.6];do_syscall_64;big_function 1/1"));
	CHECK(has_line(&w, "app;[libc.so.6];do_syscall_64;entry_SYSCALL_64;"
			   "do_syscall_64;big_function 1/1"));
	world_close(&w);
}

TEST(kernel_callers_move_when_a_module_is_loaded)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	/* L8: the module's address is a caller, not the first frame */
	const uint64_t a[] = {SD_CONTEXT_KERNEL, BIG + 1, MODBASE + 0x10,
			      ENTRY, SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t b[] = {SD_CONTEXT_KERNEL, BIG + 2, MODBASE + 0x10,
			      ENTRY, SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t c[] = {SD_CONTEXT_KERNEL, BIG + 3, MODBASE + 0x10,
			      ENTRY, SD_CONTEXT_USER, LIBC_B + 0x1234};
	uint32_t ia = sample(&w, 100, a, 6);
	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = MODBASE,
				  .len = 0x1000,
				  .filename = "/lib/modules/6.1/ext4.ko"};
	record(&w, &r);
	uint32_t ib = sample(&w, 100, b, 6), ic = sample(&w, 200, c, 6);
	/* before: ([kernel.kallsyms], address), after: ([ext4], address) */
	CHECK(ib != ia);
	CHECK_U64(ic, ib);
	CHECK_U64(sd_stacks_count(w.st), 2);
	world_close(&w);
}

TEST(kernel_callers_alike_but_not_the_same)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	/* L9: every chain new (its own leaf); the callers of a come back
	 * in b, a's callers but the last in c, one more in d */
	const uint64_t a[] = {SD_CONTEXT_KERNEL, BIG + 1, DOSYS, ENTRY, DOSYS,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t b[] = {SD_CONTEXT_KERNEL, BIG + 2, DOSYS, ENTRY, DOSYS,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t c[] = {SD_CONTEXT_KERNEL, BIG + 3, DOSYS, ENTRY,
			      SD_CONTEXT_USER, LIBC_A + 0x1234};
	const uint64_t d[] = {SD_CONTEXT_KERNEL, BIG + 4, DOSYS, ENTRY, DOSYS,
			      ENTRY, SD_CONTEXT_USER, LIBC_A + 0x1234};
	/* a's callers with a guest marker among them (the cpumode stays:
	 * the same frames, another key) */
	const uint64_t g[] = {SD_CONTEXT_KERNEL, BIG + 5, DOSYS, ENTRY,
			      SD_CONTEXT_GUEST, DOSYS, SD_CONTEXT_USER,
			      LIBC_A + 0x1234};
	/* c's callers, then a hypervisor marker: what follows is placed
	 * in the process's maps, libc in 100, none in 200 */
	const uint64_t h1[] = {SD_CONTEXT_KERNEL, BIG + 8, DOSYS, ENTRY,
			       SD_CONTEXT_HV, LIBC_A + 0x1234};
	const uint64_t h2[] = {SD_CONTEXT_KERNEL, BIG + 9, DOSYS, ENTRY,
			       SD_CONTEXT_HV, LIBC_A + 0x1234};
	/* c's callers, then an invalid marker: the rest stays raw */
	const uint64_t x[] = {SD_CONTEXT_KERNEL, BIG + 6, DOSYS, ENTRY,
			      SD_CONTEXT_MAX + 0x10, LIBC_A + 0x1234};
	const uint64_t y[] = {SD_CONTEXT_KERNEL, BIG + 7, DOSYS, ENTRY,
			      SD_CONTEXT_MAX + 0x10, LIBC_A + 0x1234};
	/* no kernel frame at all: the user frames after the marker are
	 * placed in each process's own maps */
	const uint64_t e[] = {SD_CONTEXT_KERNEL, SD_CONTEXT_USER,
			      LIBC_A + 0x1234, 0x400100};
	uint32_t ia = sample(&w, 100, a, 7), ib = sample(&w, 100, b, 7);
	uint32_t ic = sample(&w, 100, c, 6), id = sample(&w, 100, d, 8);
	uint32_t ig = sample(&w, 100, g, 8), ib2 = sample(&w, 200, b, 7);
	uint32_t ix = sample(&w, 100, x, 6), iy = sample(&w, 100, y, 6);
	uint32_t ie = sample(&w, 100, e, 4), ie2 = sample(&w, 200, e, 4);
	uint32_t ih1 = sample(&w, 100, h1, 6), ih2 = sample(&w, 200, h2, 6);
	CHECK_U64(ib, ia);
	CHECK(ic != ia && id != ia && ig != ia && ib2 != ia);
	CHECK(ic != id && ic != ig && id != ig);
	CHECK_U64(iy, ix);
	CHECK(ix != ic && ie != ie2 && ih1 != ih2);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	/* a, b and g: one name (a guest marker names nothing) */
	CHECK(has_line(&w, "app;[libc.so.6];do_syscall_64;entry_SYSCALL_64;"
			   "do_syscall_64;big_function 3/3"));
	/* c and h1 */
	CHECK(has_line(&w, "app;[libc.so.6];entry_SYSCALL_64;do_syscall_64;"
			   "big_function 2/2"));
	CHECK(has_line(&w, "app;[unknown];entry_SYSCALL_64;do_syscall_64;"
			   "big_function 1/1"));
	CHECK(has_line(&w, "app;[libc.so.6];entry_SYSCALL_64;do_syscall_64;"
			   "entry_SYSCALL_64;do_syscall_64;big_function 1/1"));
	CHECK(has_line(&w, "app;[unknown];do_syscall_64;entry_SYSCALL_64;"
			   "do_syscall_64;big_function 1/1"));
	CHECK(has_line(&w, "app 2/2")); /* x and y: perf drops the chain */
	CHECK(has_line(&w, "app;[app];[libc.so.6] 1/1"));
	CHECK(has_line(&w, "app;[app];[unknown] 1/1"));
	world_close(&w);
}

/* A sample without a call chain, in kernel mode, at ip. */
static uint32_t kernel_ip(struct world *w, uint64_t ip)
{
	struct sd_stack_sample s = sample_of(w, 100, &ip, 1);
	s.has_callchain = false;
	s.cpumode = SD_MISC_KERNEL;
	s.ip = ip;
	return add(w, &s);
}

TEST(kernel_addresses_keyed_alone)
{
	for (int order = 0; order < 2; order++) {
		struct world w;
		if (!world_init(&w))
			SKIP("no temporary file");
		const uint64_t host[] = {SD_CONTEXT_KERNEL, BIG + 1, DOSYS,
					 ENTRY, SD_CONTEXT_USER, LIBC_A + 0x1234};
		const uint64_t guest[] = {SD_CONTEXT_GUEST_KERNEL, BIG + 1,
					  DOSYS, ENTRY, SD_CONTEXT_USER,
					  LIBC_A + 0x1234};
		uint32_t ih, ig, ie, ix;
		if (order) {
			ig = sample(&w, 100, guest, 6);
			ih = sample(&w, 100, host, 6);
			ie = kernel_ip(&w, ENTRY);
			ix = kernel_ip(&w, UINT64_MAX);
		} else {
			ie = kernel_ip(&w, ENTRY);
			ix = kernel_ip(&w, UINT64_MAX);
			ih = sample(&w, 100, host, 6);
			ig = sample(&w, 100, guest, 6);
		}
		CHECK(ih != ig && ie != ix);
		CHECK_U64(kernel_ip(&w, UINT64_MAX), ix);
		CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
		CHECK(has_line(&w, "app;[libc.so.6];entry_SYSCALL_64;"
				   "do_syscall_64;big_function 2/2"));
		CHECK(has_line(&w, "app;entry_SYSCALL_64 1/1"));
		CHECK(!has_line(&w, "app;entry_SYSCALL_64 3/3"));
		CHECK(has_line(&w, "app;[unknown] 2/2"));
		world_close(&w);
	}
}

/* A sample without a call chain, in user mode, at ip. */
static uint32_t user_ip(struct world *w, uint32_t pid, uint64_t ip)
{
	struct sd_stack_sample s = sample_of(w, pid, &ip, 1);
	s.has_callchain = false;
	s.cpumode = SD_MISC_USER;
	s.ip = ip;
	return add(w, &s);
}

TEST(user_ip_without_a_chain)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	uint32_t a = user_ip(&w, 100, LIBC_A + 0x1234);
	uint32_t b = user_ip(&w, 200, LIBC_B + 0x1234);
	uint32_t c = user_ip(&w, 200, LIBC_B + 0x1300);
	uint32_t u = user_ip(&w, 100, 0x1000);
	/* L12 */
	CHECK_U64(b, a);
	CHECK(c != a && u != a && u != c);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	CHECK(has_line(&w, "app;[libc.so.6] 3/3"));
	CHECK(has_line(&w, "app;[unknown] 1/1"));
	world_close(&w);
}

TEST(one_offset_in_many_files)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	enum { N = 300 };
	static uint32_t first[N];
	bool again = true;
	const uint64_t c[] = {SD_CONTEXT_USER, LIBC_A + 0x1234};
	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < N; i++) {
			uint32_t pid = 1000 + pass * N + i;
			char file[32];
			snprintf(file, sizeof file, "/usr/lib/lib%u.so", i);
			comm(&w, pid, "app");
			mmap2(&w, pid, LIBC_A, 0x100000, 0, file);
			uint32_t id = sample(&w, pid, c, 2);
			if (pass == 0)
				first[i] = id;
			else
				again &= first[i] == id;
		}
	}
	/* L11 */
	CHECK_U64(sd_stacks_count(w.st), N);
	CHECK(again);
	world_close(&w);
}

TEST(address_space_without_a_key)
{
	for (int order = 0; order < 2; order++) {
		struct world w;
		if (!world_init(&w))
			SKIP("no temporary file");
		const uint64_t user[] = {SD_CONTEXT_USER, ENTRY};
		const uint64_t guest[] = {SD_CONTEXT_GUEST_USER, ENTRY};
		struct sd_stack_sample su = sample_of(&w, 100, user, 2);
		struct sd_stack_sample sg = sample_of(&w, 100, guest, 2);
		su.view.mm = sg.view.mm = 1u << 26; /* no such one: no map */
		uint32_t iu, ig;
		if (order) {
			ig = add(&w, &sg);
			iu = add(&w, &su);
		} else {
			iu = add(&w, &su);
			ig = add(&w, &sg);
		}
		/* L13 */
		CHECK(iu != ig);
		CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
		CHECK(has_line(&w, "app;entry_SYSCALL_64 1/1"));
		CHECK(has_line(&w, "app;[unknown] 1/1"));
		world_close(&w);
	}
}

int main(void)
{
	RUN(library_at_other_addresses_same_offset);
	RUN(alike_maps_that_are_not);
	RUN(a_later_mmap_does_not_change_an_earlier_view);
	RUN(a_module_loaded_later);
	RUN(many_addresses_resolve_as_the_first_time);
	RUN(no_map_is_one_unknown);
	RUN(kernel_callers_resolve_alike_under_any_user_part);
	RUN(kernel_callers_move_when_a_module_is_loaded);
	RUN(kernel_callers_alike_but_not_the_same);
	RUN(kernel_addresses_keyed_alone);
	RUN(user_ip_without_a_chain);
	RUN(one_offset_in_many_files);
	RUN(address_space_without_a_key);
	return test_exit();
}
