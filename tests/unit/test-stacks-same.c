/* SPDX-License-Identifier: MIT */
/*
 * stacks: one stack per distinct key, however the key was made.  A stack
 * key resolved at sample time is written in parts -- each frame through
 * a cache, the raw-chain table in front of it all -- and interning
 * compares what was written, so every way must write equal keys exactly
 * when the frames mean the same:
 *
 *  S1 two samples get one stack exactly when they have the same comm and,
 *     entry for entry, the same markers and the same location: the same
 *     kernel function in the same kernel map (a module map added between
 *     them moves an address into the module), the same offset in the same
 *     user DSO (at whatever address each process has it), or no map at
 *     all.  After an invalid marker the raw addresses are the key.
 *  S2 a stack's frames are its samples' chain reversed (markers are not
 *     frames), at most MAX_STACK (127) of them from the leaf; nothing
 *     after an invalid marker (perf resets the chain); after
 *     USER_UNWOUND the count starts again (unwound_counts_again).
 *  S3 stacks whose frames are equal once named (another event's) share
 *     them (fseq.c), and only those.
 *
 * The samples are drawn from a few kernel paths with varying leaves and
 * return offsets, in processes that map the same executable at addresses
 * and file offsets that differ or not, and some with a long user part or
 * an invalid marker; half way a module's map comes.  A shortcut that
 * keys what it remembers by less than what a frame's location depends on
 * (the kernel's maps, the address space) or resolves one chain two ways
 * breaks S1; one that rebuilds a chain wrongly breaks S2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/machine.h>
#include <swapdiag/stacks.h>

#include "test.h"
#include "stackworld.h"

#define KBASE 0xffffffff81000000ull
#define NFUNC 12 /* f00 .. f11, 0x100 bytes each from KBASE + 0x100 */
#define KFUNC(i, off) (KBASE + 0x100 * (uint64_t)((i) + 1) + (off))
/* an address in a module's function (kallsyms has it), in the kernel
 * map until the module's own map comes (named only then) */
#define MODIP 0xffffffffc0000010ull
#define NPROC 8
#define APPLEN 0x10000
#define INVALID 0xfffffffffffff100ull /* no marker perf knows */
#define MAXSTACK 127
#define NSAMPLES 3000
#define MAXNR 160

/* Where a process maps /usr/bin/app, and from which file offset: four
 * addresses, each used by two processes with different offsets, so that
 * one address means two places. */
static uint64_t app_base(uint32_t pid)
{
	return 0x400000 + (uint64_t)(pid % 4) * 0x1000000;
}

static uint64_t app_pgoff(uint32_t pid)
{
	return (uint64_t)(pid / 4 % 2) * 0x1000;
}

static bool world_init(struct world *w)
{
	char ks[1024];
	size_t at = (size_t)snprintf(ks, sizeof ks, "%016llx T _text\n",
				     (unsigned long long)KBASE);
	for (int i = 0; i < NFUNC; i++)
		at += (size_t)snprintf(ks + at, sizeof ks - at,
				       "%016llx T f%02d\n",
				       (unsigned long long)KFUNC(i, 0), i);
	snprintf(ks + at, sizeof ks - at,
		 "%016llx T _etext\n%016llx t modf\t[ext4]\n",
		 (unsigned long long)KFUNC(NFUNC, 0),
		 (unsigned long long)(MODIP & ~0xfffull));
	if (!world_open(w, ks))
		return false;
	struct sd_record r = {.type = SD_REC_MMAP, .misc = SD_MISC_KERNEL};
	r.mmap = (struct sd_mmap){.pid = UINT32_MAX, .start = KBASE,
				  .len = 0x2000, .pgoff = KBASE,
				  .filename = "[kernel.kallsyms]_text"};
	record(w, &r);
	for (uint32_t pid = 100; pid < 100 + NPROC; pid++) {
		struct sd_record c = {.type = SD_REC_COMM};
		c.comm = (struct sd_comm){pid, pid, true,
					  pid % 4 ? "app" : "other"};
		record(w, &c);
		struct sd_record m = {.type = SD_REC_MMAP2,
				      .misc = SD_MISC_USER};
		m.mmap = (struct sd_mmap){.pid = pid, .tid = pid,
					  .start = app_base(pid), .len = APPLEN,
					  .pgoff = app_pgoff(pid), .prot = 5,
					  .filename = "/usr/bin/app"};
		record(w, &m);
	}
	return true;
}

/* The kernel paths the callers come from, leaf side first. */
static const int paths[4][8] = {
	{3, 4, 5, 6, 7, 8, 9, 10},
	{1, 2, 5, 6, 7, 8, 9, 10},
	{11, 0, 2, 9, 10, 1, 2, 3},
	{4, 4, 4, 6, 6, 8, 8, 8},
};
static const size_t ncallers[] = {0, 1, 2, 3, 5, 8};

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33) % n;
}

/* A sample's chain, what it must fold to, and who it is. */
struct drawn {
	uint64_t ips[MAXNR];
	size_t nr;
	uint32_t pid;
	char ident[2048]; /* S1: equal exactly when the stack is */
	char frames[2048]; /* S2: the names root first, ';'-joined */
};

/* Appends what and, unless it is UINT64_MAX, v in hex to d->ident. */
static void add_ident(struct drawn *d, const char *what, uint64_t v)
{
	size_t at = strlen(d->ident);

	if (v == UINT64_MAX)
		snprintf(d->ident + at, sizeof d->ident - at, "%s|", what);
	else
		snprintf(d->ident + at, sizeof d->ident - at, "%s%llx|", what,
			 (unsigned long long)v);
}

/*
 * A random chain for a process; moved: whether the module map is there
 * (MODIP is then in "[ext4]", before in the kernel map); via_mod: a
 * kernel part with MODIP among its callers.
 */
static void draw(struct drawn *d, bool moved, bool via_mod)
{
	const char *names[MAXNR];
	char own[MAXNR][16];
	size_t nn = 0;

	memset(d, 0, sizeof *d);
	d->pid = 100 + rnd(NPROC);
	add_ident(d, "comm ", d->pid % 4 != 0);
	bool kernel = via_mod || rnd(4) != 0, user = !kernel || rnd(5) != 0;
	if (kernel) {
		d->ips[d->nr++] = SD_CONTEXT_KERNEL;
		add_ident(d, "K", UINT64_MAX);
		int leaf = (int)rnd(NFUNC);
		d->ips[d->nr++] = KFUNC(leaf, rnd(0x100));
		add_ident(d, "f", (uint64_t)leaf);
		snprintf(own[nn], sizeof own[nn], "f%02d", leaf);
		names[nn] = own[nn];
		nn++;
		const int *p = via_mod ? paths[3] : paths[rnd(4)];
		size_t nc = via_mod ? 5 : ncallers[rnd(6)];
		for (size_t i = 0; i < nc; i++) {
			if (i == 2 && p == paths[3]) {
				/* into the module's place */
				d->ips[d->nr++] = MODIP;
				add_ident(d, moved ? "ext4" : "kmod", UINT64_MAX);
				/* a module's symbol only in its map; before
				 * that, past the core symbols: in no map
				 * (sd_dso_lookup_map) */
				names[nn++] = moved ? "modf" : "[unknown]";
				continue;
			}
			/* return offsets vary within the function */
			d->ips[d->nr++] = KFUNC(p[i], 0x10 + 0x20 * rnd(3));
			add_ident(d, "f", (uint64_t)p[i]);
			snprintf(own[nn], sizeof own[nn], "f%02d", p[i]);
			names[nn] = own[nn];
			nn++;
		}
	}
	if (user) {
		d->ips[d->nr++] = SD_CONTEXT_USER;
		add_ident(d, "U", UINT64_MAX);
		size_t nu = rnd(50) ? 1 + rnd(3) : 130 + rnd(20);
		for (size_t i = 0; i < nu && d->nr < MAXNR - 2; i++) {
			if (!rnd(8)) {
				d->ips[d->nr++] = 0x1234; /* no map */
				add_ident(d, "?", UINT64_MAX);
				names[nn++] = "[unknown]";
				continue;
			}
			uint64_t off = 0x1000 + 0x100 * rnd(3);
			d->ips[d->nr++] = app_base(d->pid) + off;
			add_ident(d, "app+", off + app_pgoff(d->pid));
			names[nn++] = "[app]";
		}
	}
	if (!rnd(16)) {
		/* the rest is raw, and the chain folds to nothing */
		d->ips[d->nr++] = INVALID;
		d->ips[d->nr++] = 0x500000 + rnd(2);
		add_ident(d, "invalid ", d->ips[d->nr - 1]);
		nn = 0;
	}
	if (nn > MAXSTACK)
		nn = MAXSTACK;
	size_t at = 0;
	for (size_t i = nn; i-- > 0;)
		at += (size_t)snprintf(d->frames + at, sizeof d->frames - at,
				       "%s%s", names[i], i ? ";" : "");
}

static uint32_t sample(struct world *w, const struct drawn *d, uint64_t t)
{
	struct sd_stack_sample s = {
		.cpumode = SD_MISC_KERNEL,
		.ip = d->ips[1],
		.ips = d->ips,
		.nr_ips = d->nr,
		.has_callchain = true,
		.period = 1,
		.pid = d->pid,
		.tid = d->pid,
		.time = t,
		.machine = w->m,
	};
	uint32_t id = UINT32_MAX;
	CHECK(sd_machine_thread(w->m, d->pid, d->pid, &s.view) == 0);
	CHECK(sd_stacks_add(w->st, &s, &id) == 0);
	return id;
}

/* The frames of stack id, ';'-joined. */
static void frames_of(struct world *w, uint32_t id, char *out, size_t len)
{
	struct sd_stack_info si;
	size_t at = 0;

	out[0] = '\0';
	CHECK(sd_stacks_get(w->st, id, &si) == 0);
	for (size_t i = 0; i < si.nr_frames && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s",
				       sd_stacks_str(w->st, si.frames[i].name),
				       i + 1 < si.nr_frames ? ";" : "");
}

struct seen {
	char ident[2048], frames[2048];
	uint32_t id;
};

TEST(one_stack_per_meaning)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	static struct seen seen[NSAMPLES];
	static struct drawn d;
	size_t nseen = 0, bad = 0;

	for (size_t i = 0; i < NSAMPLES; i++) {
		bool moved = i >= NSAMPLES / 2;
		if (i == NSAMPLES / 2) {
			/* a module loaded: the kernel's maps change */
			struct sd_record r = {.type = SD_REC_MMAP,
					      .misc = SD_MISC_KERNEL};
			r.mmap = (struct sd_mmap){
				.pid = UINT32_MAX, .start = MODIP & ~0xfffull,
				.len = 0x1000,
				.filename = "/lib/modules/6.1.0/ext4.ko"};
			record(&w, &r);
		}
		if (i % 16) {
			draw(&d, moved, false);
		} else {
			/* one of four chains, the same raw addresses in
			 * the same process on both sides of the module */
			uint64_t r = rnd_state;
			rnd_state = i / 16 % 4;
			draw(&d, moved, true);
			rnd_state = r;
		}
		uint32_t id = sample(&w, &d, i * 1000000);
		size_t j = 0;
		while (j < nseen && strcmp(seen[j].ident, d.ident))
			j++;
		if (j < nseen) {
			/* S1: the same meaning, the same stack */
			if (seen[j].id != id && bad++ < 5)
				fprintf(stderr, "two stacks for %s\n", d.ident);
			CHECK_U64(seen[j].id, id);
			continue;
		}
		/* S1: another meaning, another stack */
		for (size_t q = 0; q < nseen; q++)
			if (seen[q].id == id && bad++ < 5)
				fprintf(stderr, "one stack for %s and %s\n",
					seen[q].ident, d.ident);
		CHECK(id < sd_stacks_count(w.st));
		strcpy(seen[nseen].ident, d.ident);
		strcpy(seen[nseen].frames, d.frames);
		seen[nseen++].id = id;
	}
	CHECK_U64(sd_stacks_count(w.st), nseen);
	CHECK(bad == 0);

	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	static char got[8192];
	size_t wrong = 0;
	for (size_t j = 0; j < nseen; j++) {
		frames_of(&w, seen[j].id, got, sizeof got);
		/* S2 */
		if (strcmp(got, seen[j].frames) && wrong++ < 3)
			fprintf(stderr, "%s:\n got  %s\n want %s\n",
				seen[j].ident, got, seen[j].frames);
	}
	CHECK_U64(wrong, 0);
	world_close(&w);
}

/*
 * S2 with USER_UNWOUND (perf counts the frames after it from 0 again):
 * a kernel part of 5 frames, the marker, then 140 user frames keeps the
 * 5 and 127 of the user ones.
 */
TEST(unwound_counts_again)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	static struct drawn d;

	memset(&d, 0, sizeof d);
	d.pid = 100;
	d.ips[d.nr++] = SD_CONTEXT_KERNEL;
	for (int i = 0; i < 5; i++)
		d.ips[d.nr++] = KFUNC(i, 0x10);
	d.ips[d.nr++] = SD_CONTEXT_USER_UNWOUND;
	for (int i = 0; i < 140; i++)
		d.ips[d.nr++] = app_base(d.pid) + 0x1000;
	uint32_t id = sample(&w, &d, 1000000);
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	struct sd_stack_info si;
	CHECK(sd_stacks_get(w.st, id, &si) == 0);
	CHECK_U64(si.nr_frames, 5 + 127);
	/* root first: the user frames, then the kernel's, f00 the leaf */
	if (si.nr_frames == 5 + 127) {
		CHECK_STR(sd_stacks_str(w.st, si.frames[0].name), "[app]");
		CHECK_STR(sd_stacks_str(w.st, si.frames[131].name), "f00");
	}
	world_close(&w);
}

/*
 * S2 past max-stack: a marker after the 127th frame from the leaf still
 * counts -- an invalid one empties the chain, USER_UNWOUND starts the
 * count again -- at every place in the words after the cut (a shortcut
 * that stops at the cut, or skips words, breaks it).
 */
TEST(markers_past_the_cut)
{
	for (int extra = 0; extra < 8; extra++) {
		for (int unwound = 0; unwound < 2; unwound++) {
			struct world w;
			if (!world_init(&w))
				SKIP("no temporary file");
			static struct drawn d;
			memset(&d, 0, sizeof d);
			d.pid = 100;
			d.ips[d.nr++] = SD_CONTEXT_KERNEL;
			for (int i = 0; i < 5; i++)
				d.ips[d.nr++] = KFUNC(i, 0x10);
			d.ips[d.nr++] = SD_CONTEXT_USER;
			for (int i = 0; i < 130 + extra; i++)
				d.ips[d.nr++] = app_base(d.pid) + 0x1000;
			d.ips[d.nr++] = unwound ? SD_CONTEXT_USER_UNWOUND
						: INVALID;
			for (int i = 0; i < 3; i++)
				d.ips[d.nr++] = app_base(d.pid) + 0x1000;
			uint32_t id = sample(&w, &d, 1000000);
			CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
			struct sd_stack_info si;
			CHECK(sd_stacks_get(w.st, id, &si) == 0);
			/* the 5, 122 user frames up to the count, then
			 * after USER_UNWOUND 3 more; or none */
			CHECK_U64(si.nr_frames, unwound ? 5 + 122 + 3 : 0);
			world_close(&w);
		}
	}
}

TEST(equal_frames_shared)
{
	struct world w;
	if (!world_init(&w))
		SKIP("no temporary file");
	static struct drawn d[3];
	uint32_t id[3];

	for (int k = 0; k < 3; k++) {
		memset(&d[k], 0, sizeof d[k]);
		d[k].pid = 100;
		d[k].ips[d[k].nr++] = SD_CONTEXT_KERNEL;
		/* 0 and 1 (another event): f00 f01 f02; 2: f03 f04 f05 */
		for (int i = 0; i < 3; i++)
			d[k].ips[d[k].nr++] = KFUNC(i + (k == 2 ? 3 : 0), 0x10);
		struct sd_stack_sample smp = {
			.cpumode = SD_MISC_KERNEL,
			.ip = d[k].ips[1],
			.ips = d[k].ips,
			.nr_ips = d[k].nr,
			.has_callchain = true,
			.period = 1,
			.pid = d[k].pid,
			.tid = d[k].pid,
			.time = 1000000,
			.machine = w.m,
		};
		CHECK(sd_machine_thread(w.m, d[k].pid, d[k].pid, &smp.view) == 0);
		smp.evsel = k == 1;
		id[k] = UINT32_MAX;
		CHECK(sd_stacks_add(w.st, &smp, &id[k]) == 0);
	}
	CHECK(sd_stacks_symbolize(w.st, w.m) == 0);
	struct sd_stack_info si[3];
	for (int k = 0; k < 3; k++)
		CHECK(sd_stacks_get(w.st, id[k], &si[k]) == 0);
	CHECK(id[0] != id[1] && si[0].evsel != si[1].evsel);
	CHECK_U64(si[0].nr_frames, 3);
	CHECK(si[0].frames == si[1].frames);
	CHECK(si[2].frames != si[0].frames);
	world_close(&w);
}

int main(void)
{
	RUN(one_stack_per_meaning);
	RUN(unwound_counts_again);
	RUN(markers_past_the_cut);
	RUN(equal_frames_shared);
	return test_exit();
}
