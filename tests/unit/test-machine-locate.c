/* SPDX-License-Identifier: MIT */
/*
 * machine: address spaces and where a sample's address lands
 * (sd_machine_locate()), from hand-built COMM, FORK and MMAP records,
 * against the rules restated in test-machine.c: a new process copies
 * its parent's maps at the fork, a new thread shares them (R4); a new
 * map replaces what it overlaps, the rest keeping its file offsets (R7);
 * executable anonymous memory is the JIT map (R8); kernel maps, and the
 * kernel's half for user-mode addresses (R9).  Also the sizes the map
 * lookup treats differently: few maps and many, many small address
 * spaces, three generations of ancestors' maps, a storm's 20 000 address
 * spaces.  A sample resolves against the maps of its moment.
 */
#include <stdio.h>
#include <string.h>

#include "machworld.h"

TEST(fork_copies_maps_threads_share_them)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 1000, 1000, "parent", false, 0);
	mmap2(&w, 1000, 0x400000, 0x10000, 0, PROT_RX, "/usr/bin/parent", 0);
	/* a thread of the parent, made before the next map */
	fork_(&w, 1000, 1000, 1001, 1000, 50);
	/* R4: a new process: the parent's maps as they are at the fork */
	fork_(&w, 2000, 1000, 2000, 1000, 100);
	/* after the fork the parent maps a library; the child does not see it */
	mmap2(&w, 1000, 0x7f0000000000, 0x20000, 0, PROT_RX,
	      "/usr/lib/libfoo.so", 200);
	/* the child maps its own; the parent does not see that */
	mmap2(&w, 2000, 0x7f1000000000, 0x1000, 0, PROT_RX,
	      "/usr/lib/libchild.so", 210);
	struct sd_thread_view p = view_of(&w, 1000, 1000);
	struct sd_thread_view c = view_of(&w, 2000, 2000);
	struct sd_thread_view t = view_of(&w, 1000, 1001);

	CHECK_STR(where(&w, c, SD_MISC_USER, 0x400100, &a), "/usr/bin/parent");
	CHECK_U64(a, 0x100);
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x7f0000000100, &a), "");
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x7f1000000100, &a),
		  "/usr/lib/libchild.so");
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x7f0000000100, &a),
		  "/usr/lib/libfoo.so");
	CHECK_U64(a, 0x100);
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x7f1000000100, &a), "");
	/* the thread shares its process's maps, also those mapped after it
	 * was made */
	CHECK_STR(where(&w, t, SD_MISC_USER, 0x7f0000000100, &a),
		  "/usr/lib/libfoo.so");
	CHECK_U64(t.mm, p.mm);
	/* nothing mapped there at all */
	CHECK_STR(where(&w, p, SD_MISC_USER, 0x1000, &a), "");
	world_fini(&w);
}

TEST(overlapping_maps_split)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 7, 7, "app", false, 0);
	/* libold: [0x10000, 0x20000) at file offset 0x3000 */
	mmap2(&w, 7, 0x10000, 0x10000, 0x3000, PROT_RX, "/lib/libold.so", 10);
	struct sd_thread_view v1 = view_of(&w, 7, 7);
	/* libnew over its middle: [0x14000, 0x18000) at file offset 0 */
	mmap2(&w, 7, 0x14000, 0x4000, 0, PROT_RX, "/lib/libnew.so", 20);
	struct sd_thread_view v2 = view_of(&w, 7, 7);

	/* R7: the overlap is the new map's ... */
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x14000, &a), "/lib/libnew.so");
	CHECK_U64(a, 0);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x17fff, &a), "/lib/libnew.so");
	CHECK_U64(a, 0x3fff);
	/* ... and both sides left over are the old one's, with the file
	 * offsets they always had: ip - 0x10000 + 0x3000 */
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x13fff, &a), "/lib/libold.so");
	CHECK_U64(a, 0x13fff - 0x10000 + 0x3000);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x18000, &a), "/lib/libold.so");
	CHECK_U64(a, 0x18000 - 0x10000 + 0x3000);
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x1ffff, &a), "/lib/libold.so");
	CHECK_STR(where(&w, v2, SD_MISC_USER, 0x20000, &a), "");
	/* a sample taken before the new map resolves against the old maps,
	 * even when resolved after it */
	CHECK_STR(where(&w, v1, SD_MISC_USER, 0x15000, &a), "/lib/libold.so");
	CHECK_U64(a, 0x15000 - 0x10000 + 0x3000);
	/* a map that covers the old one whole replaces it */
	mmap2(&w, 7, 0x0f000, 0x20000, 0x1000, PROT_RX, "/lib/libbig.so", 30);
	struct sd_thread_view v3 = view_of(&w, 7, 7);
	CHECK_STR(where(&w, v3, SD_MISC_USER, 0x15000, &a), "/lib/libbig.so");
	CHECK_U64(a, 0x15000 - 0x0f000 + 0x1000);
	CHECK_STR(where(&w, v3, SD_MISC_USER, 0x11000, &a), "/lib/libbig.so");
	world_fini(&w);
}

TEST(jit_and_anonymous_maps)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 99, 99, "java", false, 0);
	/* R8: executable anonymous memory is the JIT map, address as is */
	mmap2(&w, 99, 0x7000000, 0x100000, 0, PROT_RX, "//anon", 10);
	struct sd_thread_view v = view_of(&w, 99, 99);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x7000123, &a),
		  "/tmp/perf-99.map");
	CHECK_U64(a, 0x7000123);
	/* not executable: a data map, but one that still holds the address
	 * as is (perf: identity map_ip for anonymous memory) */
	mmap2(&w, 99, 0x9000000, 0x1000, 0, 3 /* RW */, "[heap]", 20);
	v = view_of(&w, 99, 99);
	where(&w, v, SD_MISC_USER, 0x9000010, &a);
	CHECK_U64(a, 0x9000010);
	world_fini(&w);
}

TEST(kernel_maps)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	/* R9 */
	kmmap(&w, 0xffffffff81000000ull, 0x1000000, 0xffffffff81000000ull,
	      "[kernel.kallsyms]_text");
	kmmap(&w, 0xffffffffc0000000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko");
	kmmap(&w, 0xffffffffc0100000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/net/nf-conntrack.ko.xz");
	comm(&w, 5, 5, "kworker", false, 0);
	struct sd_thread_view v = view_of(&w, 5, 5);
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffff81001234ull, &a),
		  "[kernel.kallsyms]");
	CHECK_U64(a, 0xffffffff81001234ull); /* kernel addresses as they are */
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffffc0000010ull, &a),
		  "[ext4]");
	/* dashes of a module's file name are underscores in its name */
	CHECK_STR(where(&w, v, SD_MISC_KERNEL, 0xffffffffc0100010ull, &a),
		  "[nf_conntrack]");
	/* a user-mode sample in the kernel's half: the kernel maps */
	CHECK(sd_machine_kernel_ip(w.m, 0xffffffff81001234ull));
	CHECK(!sd_machine_kernel_ip(w.m, 0x400000));
	CHECK_STR(where(&w, v, SD_MISC_USER, 0xffffffff81001234ull, &a),
		  "[kernel.kallsyms]");
	world_fini(&w);
}

/* R9 at its edge: the kernel's half starts at 2^63 (no kernel map
 * loaded: the kernel's reaches down to it) */
TEST(kernel_half_edge)
{
	struct world w;
	world_init(&w);
	uint64_t a;
	comm(&w, 5, 5, "sh", false, 0);
	struct sd_thread_view v = view_of(&w, 5, 5);
	CHECK_STR(where(&w, v, SD_MISC_USER, 1ull << 63, &a),
		  "[kernel.kallsyms]");
	CHECK_STR(where(&w, v, SD_MISC_USER, (1ull << 63) - 1, &a), "");
	world_fini(&w);
}

/*
 * The newest map covering an address wins (R7), whether the address
 * space has a few maps (machine.c scans them) or many (it indexes them):
 * 20 maps of 3 pages, each one page above the last, queried with the
 * view taken after 6 of them and after all 20.
 */
TEST(few_and_many_maps)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;
	struct sd_thread_view six = {0};
	world_init(&w);
	comm(&w, 50, 50, "maps", false, 0);
	for (unsigned k = 0; k < 20; k++) {
		snprintf(file, sizeof file, "/f/%u", k);
		mmap2(&w, 50, 0x10000 + k * 0x1000, 0x3000, 0, PROT_RX, file,
		      k);
		if (k == 5)
			six = view_of(&w, 50, 50);
	}
	struct sd_thread_view all = view_of(&w, 50, 50);
	for (unsigned j = 0; j < 24; j++) {
		uint64_t ip = 0x10000 + j * 0x1000 + 0x10;
		/* maps j-2..j cover page j: the newest is j (at most 19) */
		unsigned k = j < 20 ? j : 19;
		if (j < 22)
			snprintf(want, sizeof want, "/f/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, all, SD_MISC_USER, ip, &a), want);
		/* with maps 0..5 only */
		k = j < 6 ? j : 5;
		if (j < 8)
			snprintf(want, sizeof want, "/f/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, six, SD_MISC_USER, ip, &a), want);
	}
	CHECK_STR(where(&w, all, SD_MISC_USER, 0xfff0, &a), "");
	world_fini(&w);
}

/*
 * A fork storm's many small address spaces (machine/mm.c gives each its
 * first maps from a shared slab): 300 processes get three maps each,
 * handed out in turns, then one of them twelve more (past the slab's
 * room for it), and a process made after that four; every process still
 * finds exactly its own maps, at the file offsets its records gave.
 */
TEST(many_small_address_spaces)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;

	world_init(&w);
	for (uint32_t p = 0; p < 300; p++)
		comm(&w, 1000 + p, 1000 + p, "small", false, 0);
	for (unsigned k = 0; k < 3; k++)
		for (uint32_t p = 0; p < 300; p++) {
			snprintf(file, sizeof file, "/s/%u.%u", p, k);
			mmap2(&w, 1000 + p, 0x400000 + k * 0x10000, 0x1000,
			      p * 0x1000, PROT_RX, file, 1);
		}
	for (unsigned k = 3; k < 15; k++) {
		snprintf(file, sizeof file, "/s/7.%u", k);
		mmap2(&w, 1007, 0x400000 + k * 0x10000, 0x1000, 0, PROT_RX,
		      file, 2);
	}
	/* a new process after that: the room 1007 outgrew is its now */
	comm(&w, 2000, 2000, "late", false, 0);
	for (unsigned k = 0; k < 4; k++) {
		snprintf(file, sizeof file, "/late/%u", k);
		mmap2(&w, 2000, 0x400000 + k * 0x10000, 0x1000, 0, PROT_RX,
		      file, 3);
	}
	struct sd_thread_view late = view_of(&w, 2000, 2000);
	for (unsigned k = 0; k < 5; k++) {
		if (k < 4)
			snprintf(want, sizeof want, "/late/%u", k);
		else
			want[0] = '\0';
		CHECK_STR(where(&w, late, SD_MISC_USER,
				0x400000 + k * 0x10000, &a), want);
	}
	int bad = 0;
	for (uint32_t p = 0; p < 300; p++) {
		struct sd_thread_view v = view_of(&w, 1000 + p, 1000 + p);
		for (unsigned k = 0; k < 16; k++) {
			uint64_t ip = 0x400000 + k * 0x10000 + 0x10;
			if (k < 3 || (p == 7 && k < 15))
				snprintf(want, sizeof want, "/s/%u.%u", p, k);
			else
				want[0] = '\0';
			const char *got = where(&w, v, SD_MISC_USER, ip, &a);
			bad += strcmp(got, want) != 0;
			if (want[0] && !(p == 7 && k >= 3))
				bad += a != p * 0x1000 + 0x10;
		}
	}
	CHECK(bad == 0);
	world_fini(&w);
}

/*
 * R4 over three generations, with machine.c's shortcut (the bounds of
 * what the ancestors' maps cover, fixed at each fork): a child finds its
 * own maps, its parent's, its grandparent's; not a map its grandparent
 * made after the forks, and nothing outside every map.
 */
TEST(ancestors_maps)
{
	struct world w;
	uint64_t a;
	world_init(&w);
	comm(&w, 60, 60, "grand", false, 0);
	mmap2(&w, 60, 0x1000000, 0x10000, 0, PROT_RX, "/g", 1);
	fork_(&w, 61, 60, 61, 60, 2);
	mmap2(&w, 61, 0x2000000, 0x10000, 0, PROT_RX, "/p", 3);
	fork_(&w, 62, 61, 62, 61, 4);
	mmap2(&w, 62, 0x3000000, 0x10000, 0, PROT_RX, "/c", 5);
	mmap2(&w, 60, 0x5000000, 0x10000, 0, PROT_RX, "/late", 6);
	struct sd_thread_view v = view_of(&w, 62, 62);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x3000010, &a), "/c");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x2000010, &a), "/p");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x1000010, &a), "/g");
	CHECK_U64(a, 0x10);
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x5000010, &a), "");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x9000000, &a), "");
	CHECK_STR(where(&w, v, SD_MISC_USER, 0x500, &a), "");
	/* the grandparent itself sees its late map */
	CHECK_STR(where(&w, view_of(&w, 60, 60), SD_MISC_USER, 0x5000010, &a),
		  "/late");
	/* a child forked from the parent before it mapped anything of its
	 * own: the grandparent's map through an empty parent */
	fork_(&w, 70, 60, 70, 60, 7);
	fork_(&w, 71, 70, 71, 70, 8);
	CHECK_STR(where(&w, view_of(&w, 71, 71), SD_MISC_USER, 0x1000020, &a),
		  "/g");
	CHECK_STR(where(&w, view_of(&w, 71, 71), SD_MISC_USER, 0x5000020, &a),
		  "/late");
	world_fini(&w);
}

/*
 * A storm's address spaces: 20 000, one per process, past the size where
 * their array moves to a mapping of its own (util/vmem.h) and grows
 * there: every one keeps its map, the first ones' as the last ones'.
 */
TEST(storm_of_address_spaces)
{
	struct world w;
	char file[32], want[32];
	uint64_t a;
	int bad = 0;

	world_init(&w);
	for (uint32_t p = 0; p < 20000; p++) {
		snprintf(file, sizeof file, "/storm/%u", p);
		fork_(&w, 10000 + p, 1, 10000 + p, 1, 5);
		mmap2(&w, 10000 + p, 0x400000, 0x1000, p * 0x1000, PROT_RX,
		      file, 6);
	}
	for (uint32_t p = 0; p < 20000; p += 7) {
		struct sd_thread_view v = view_of(&w, 10000 + p, 10000 + p);
		snprintf(want, sizeof want, "/storm/%u", p);
		bad += strcmp(where(&w, v, SD_MISC_USER, 0x400010, &a),
			      want) != 0;
		bad += a != p * 0x1000 + 0x10;
	}
	CHECK(bad == 0);
	world_fini(&w);
}

/* sd_machine_locate_unnamed() is sd_machine_locate() but for a user
 * map's name, left NULL (it is its DSO's): the same DSO, address and
 * kernel flag for every kind of frame, the kernel's map names kept. */
static void same_but_name(struct world *w, struct sd_thread_view v,
			  unsigned cpumode, uint64_t ip)
{
	struct sd_location n, u;

	sd_machine_locate(w->m, v.mm, v.mm_ver, cpumode, ip, &n);
	sd_machine_locate_unnamed(w->m, v.mm, v.mm_ver, cpumode, ip, &u);
	CHECK(n.dso == u.dso);
	CHECK_U64(n.addr, u.addr);
	CHECK(n.kernel == u.kernel);
	CHECK(!u.unwound && !n.unwound);
	if (u.dso && !u.kernel) {
		CHECK(u.map_name == NULL);
		CHECK(n.map_name && !strcmp(n.map_name, sd_dso_name(n.dso)));
	} else {
		CHECK(u.map_name == n.map_name);
	}
}

TEST(unnamed_locate)
{
	struct world w;
	world_init(&w);
	kmmap(&w, 0xffffffff81000000ull, 0x1000000, 0xffffffff81000000ull,
	      "[kernel.kallsyms]_text");
	kmmap(&w, 0xffffffffc0000000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko");
	comm(&w, 1000, 1000, "parent", false, 0);
	mmap2(&w, 1000, 0x400000, 0x10000, 0x1000, PROT_RX, "/usr/bin/parent",
	      0);
	mmap2(&w, 1000, 0x7000000, 0x100000, 0, PROT_RX, "//anon", 5);
	fork_(&w, 2000, 1000, 2000, 1000, 100);
	mmap2(&w, 2000, 0x7f1000000000, 0x1000, 0, PROT_RX,
	      "/usr/lib/libchild.so", 210);
	struct sd_thread_view p = view_of(&w, 1000, 1000);
	struct sd_thread_view c = view_of(&w, 2000, 2000);
	const uint64_t user[] = {0x400100, 0x7000123, 0x7f1000000010, 0x1000,
				 0xffffffff81001234ull};
	for (size_t i = 0; i < sizeof user / sizeof user[0]; i++) {
		same_but_name(&w, p, SD_MISC_USER, user[i]);
		same_but_name(&w, c, SD_MISC_USER, user[i]); /* inherited */
	}
	same_but_name(&w, p, SD_MISC_KERNEL, 0xffffffff81001234ull);
	same_but_name(&w, p, SD_MISC_KERNEL, 0xffffffffc0000010ull);
	/* the child's own map and one it inherits: a DSO, no name */
	struct sd_location u;
	sd_machine_locate_unnamed(w.m, c.mm, c.mm_ver, SD_MISC_USER, 0x400100,
				  &u);
	CHECK(u.dso && !u.map_name);
	CHECK_U64(u.addr, 0x1100);
	CHECK_STR(sd_dso_name(u.dso), "/usr/bin/parent");
	/* the kernel's half from user mode: named */
	sd_machine_locate_unnamed(w.m, c.mm, c.mm_ver, SD_MISC_USER,
				  0xffffffffc0000010ull, &u);
	CHECK(u.kernel);
	CHECK_STR(u.map_name, "[ext4]");
	world_fini(&w);
}

int main(void)
{
	RUN(fork_copies_maps_threads_share_them);
	RUN(overlapping_maps_split);
	RUN(jit_and_anonymous_maps);
	RUN(kernel_maps);
	RUN(kernel_half_edge);
	RUN(few_and_many_maps);
	RUN(many_small_address_spaces);
	RUN(ancestors_maps);
	RUN(storm_of_address_spaces);
	RUN(unnamed_locate);
	return test_exit();
}
