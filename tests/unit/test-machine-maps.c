/* SPDX-License-Identifier: MIT */
/*
 * machine: the map lookup's shortcuts (machine/mm.c) against the long
 * way.  What a process inherits is searched as one flat view, made on the
 * first lookup that needs it and shared by the children forked from one
 * parent at one version; address spaces of a few maps are scanned, of
 * more indexed.  Each must answer as perf's maps would: a fork copies
 * the parent's maps as they are (maps__clone), the newest map covering
 * an address wins (maps__fixup_overlappings), an exec keeps the maps
 * until new ones cover them, a sample resolves against the maps of its
 * moment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machworld.h"

/* perf's maps of one process, the long way: a copy at the fork, then
 * the process's own maps in arrival order */
#define MODEL_MAPS 512
struct mmap_model {
	uint64_t start, end, pgoff;
	unsigned name;
};
struct proc_model {
	uint32_t pid;
	unsigned n;
	struct mmap_model v[MODEL_MAPS];
};

/* The newest map of p holding ip: its name ("" if none) and address. */
static const char *model_where(const struct proc_model *p, uint64_t ip,
			       uint64_t *addr, char *buf, size_t len)
{
	for (unsigned i = p->n; i-- > 0;) {
		const struct mmap_model *m = &p->v[i];
		if (ip >= m->start && ip < m->end) {
			snprintf(buf, len, "/m/%u", m->name);
			*addr = ip - m->start + m->pgoff;
			return buf;
		}
	}
	*addr = 0;
	return "";
}

static uint32_t rnd(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* Every map boundary of p (and a step either side), some addresses in
 * between, through view v, against the model. */
static int compare(struct world *w, struct sd_thread_view v,
		   const struct proc_model *p, uint32_t *x)
{
	char want[32];
	uint64_t a, b;
	int bad = 0;

	for (unsigned i = 0; i < p->n + 8; i++) {
		uint64_t base = i < p->n ? p->v[i].start
					 : 0x10000 * (uint64_t)(1 + rnd(x) % 80);
		uint64_t end = i < p->n ? p->v[i].end : base + 0x1000;
		uint64_t ips[] = {base - 1, base, base + 0x7ff, end - 1, end};
		for (unsigned k = 0; k < 5; k++) {
			const char *got = where(w, v, SD_MISC_USER, ips[k], &a);
			const char *exp = model_where(p, ips[k], &b, want,
						      sizeof want);
			if (strcmp(got, exp) || (exp[0] && a != b)) {
				if (!bad)
					fprintf(stderr,
						"pid %u ip %#llx: got '%s' "
						"%#llx, want '%s' %#llx\n",
						p->pid, (unsigned long long)ips[k],
						got, (unsigned long long)a, exp,
						(unsigned long long)b);
				bad++;
			}
		}
	}
	return bad;
}

/*
 * A storm under a chain of forks: processes fork from the newest one
 * (chains 30 deep) or from any, map over each other's addresses (the
 * same 5 MB, so maps overlap and replace older ones, some of no length),
 * exec (which keeps the maps), some get past the scan (16 maps), the
 * flat view's own maps (32) and pieces (128); threads fork too.  After
 * each step, and for samples kept from earlier (older versions), every
 * boundary resolves as the model says.
 */
TEST(lookups_against_model)
{
	static struct proc_model procs[64];
	static struct proc_model kept[8];
	struct sd_thread_view kept_view[8];
	unsigned np = 0, nkept = 0, names = 0;
	uint32_t x = 4242;
	int bad = 0;
	struct world w;

	world_init(&w);
	procs[np++] = (struct proc_model){.pid = 100};
	comm(&w, 100, 100, "root", false, 0);
	for (uint32_t step = 1; step < 1500 && !bad; step++) {
		uint32_t r = rnd(&x);
		struct proc_model *p = &procs[r % np];
		switch ((r >> 8) % 8) {
		case 0:
		case 1:
			if (np < 64) { /* a fork, mostly from the newest */
				struct proc_model *par =
					(r >> 12) % 4 ? &procs[np - 1] : p;
				struct proc_model *c = &procs[np++];
				*c = *par;
				c->pid = 100 + np;
				fork_(&w, c->pid, par->pid, c->pid, par->pid,
				      step);
			}
			break;
		case 2: /* an exec: a new name, the maps stay */
			comm(&w, p->pid, p->pid, "exec", true, step);
			break;
		case 3: /* a thread: it shares the maps */
			fork_(&w, p->pid, p->pid, p->pid + 1000, p->pid,
			      step);
			break;
		default:
			if (p->n < MODEL_MAPS) {
				uint64_t start = 0x10000 * (uint64_t)(1 + r % 80);
				uint64_t len = (r >> 16) % 16
						       ? 0x1000 * (1 + (r >> 20) % 96)
						       : 0;
				char file[32];
				snprintf(file, sizeof file, "/m/%u", names);
				p->v[p->n++] = (struct mmap_model){
					start, start + len, 0x1000 * (r % 7),
					names++};
				mmap2(&w, p->pid, start, len,
				      p->v[p->n - 1].pgoff, PROT_RX, file,
				      step);
			}
			break;
		}
		p = &procs[rnd(&x) % np];
		struct sd_thread_view v = view_of(&w, p->pid, p->pid);
		bad += compare(&w, v, p, &x);
		if (step % 50 == 0) { /* a sample kept for later */
			kept[nkept % 8] = *p;
			kept_view[nkept % 8] = v;
			nkept++;
		}
		for (unsigned k = 0; k < 8 && k < nkept && step % 10 == 0;
		     k++)
			bad += compare(&w, kept_view[k], &kept[k], &x);
		/* a thread sees its process's maps */
		if ((r >> 24) % 16 == 0)
			bad += compare(&w, view_of(&w, p->pid, p->pid + 1000),
				       p, &x);
	}
	CHECK(bad == 0);
	world_fini(&w);
}

/*
 * A process that gets its parent late (a FORK naming a new thread of it
 * the child of another process, after it forked children of its own and
 * with no maps yet): lookups go on from
 * each process to its ancestors only inside the bounds of what they held
 * at its fork, so a grandchild forked before the late FORK does not see
 * the new grandparent's maps, whether the view it inherits was made
 * before or after the FORK; a child forked after it does, though a view
 * of that address space was made before.
 */
TEST(late_parent)
{
	struct world w;
	uint64_t a;
	world_init(&w);
	comm(&w, 10, 10, "x", false, 0);
	/* C and D: children of X while X has no maps and no parent */
	fork_(&w, 11, 10, 11, 10, 1);
	mmap2(&w, 11, 0x2000000, 0x1000, 0, PROT_RX, "/c1", 2);
	mmap2(&w, 11, 0x2008000, 0x1000, 0, PROT_RX, "/c2", 2);
	fork_(&w, 12, 11, 12, 11, 3);
	mmap2(&w, 12, 0x3000000, 0x1000, 0, PROT_RX, "/g", 4);
	fork_(&w, 21, 10, 21, 10, 1);
	mmap2(&w, 21, 0x2000000, 0x1000, 0, PROT_RX, "/d1", 2);
	mmap2(&w, 21, 0x2008000, 0x1000, 0, PROT_RX, "/d2", 2);
	fork_(&w, 22, 21, 22, 21, 3);
	mmap2(&w, 22, 0x3000000, 0x1000, 0, PROT_RX, "/h", 4);
	/* G's view of X's maps made now, while X has none */
	CHECK_STR(where(&w, view_of(&w, 12, 12), SD_MISC_USER, 0x2000010, &a),
		  "/c1");
	CHECK_STR(where(&w, view_of(&w, 12, 12), SD_MISC_USER, 0x2004010, &a),
		  "");
	/* P maps between C's two maps, then a FORK record names it the
	 * parent of a thread of X: X's address space gets P's maps */
	comm(&w, 5, 5, "p", false, 0);
	mmap2(&w, 5, 0x2004000, 0x1000, 0, PROT_RX, "/p", 5);
	fork_(&w, 10, 5, 15, 5, 6);
	/* a child of X after that sees P's map */
	fork_(&w, 13, 10, 13, 10, 7);
	mmap2(&w, 13, 0x5000000, 0x1000, 0, PROT_RX, "/c3", 8);
	CHECK_STR(where(&w, view_of(&w, 13, 13), SD_MISC_USER, 0x2004010, &a),
		  "/p");
	/* the grandchildren forked before it do not */
	CHECK_STR(where(&w, view_of(&w, 22, 22), SD_MISC_USER, 0x2004010, &a),
		  "");
	CHECK_STR(where(&w, view_of(&w, 22, 22), SD_MISC_USER, 0x2008010, &a),
		  "/d2");
	CHECK_STR(where(&w, view_of(&w, 12, 12), SD_MISC_USER, 0x2004010, &a),
		  "");
	world_fini(&w);
}

/*
 * A FORK's new process gets its address space forked from the parent's
 * when it is made (thread_create()): it sees the parent's maps of the
 * fork's moment, not later ones, and its own over them; a tid a later
 * FORK reuses gets a fresh one forked from its new parent, none of the
 * old process's own maps in it; a new thread shares its process's.
 */
TEST(fork_made_linked)
{
	struct world w;
	uint64_t a;
	world_init(&w);
	comm(&w, 10, 10, "p", false, 0);
	mmap2(&w, 10, 0x1000000, 0x1000, 0, PROT_RX, "/a", 1);
	fork_(&w, 20, 10, 20, 10, 2);
	/* the parent's map after the fork, over the same address */
	mmap2(&w, 10, 0x1000000, 0x1000, 0, PROT_RX, "/b", 3);
	mmap2(&w, 20, 0x2000000, 0x1000, 0, PROT_RX, "/own", 4);
	struct sd_thread_view c = view_of(&w, 20, 20);
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x1000010, &a), "/a");
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x2000010, &a), "/own");
	CHECK_STR(where(&w, view_of(&w, 10, 10), SD_MISC_USER, 0x1000010, &a),
		  "/b");
	CHECK_STR(where(&w, view_of(&w, 10, 10), SD_MISC_USER, 0x2000010, &a),
		  "");
	/* a thread of the child shares its maps */
	fork_(&w, 20, 20, 21, 20, 5);
	CHECK_STR(where(&w, view_of(&w, 20, 21), SD_MISC_USER, 0x2000010, &a),
		  "/own");
	/* tid 20 reused by a new process of another parent */
	comm(&w, 30, 30, "q", false, 0);
	mmap2(&w, 30, 0x3000000, 0x1000, 0, PROT_RX, "/q", 6);
	fork_(&w, 20, 30, 20, 30, 7);
	struct sd_thread_view d = view_of(&w, 20, 20);
	CHECK_STR(where(&w, d, SD_MISC_USER, 0x3000010, &a), "/q");
	CHECK_STR(where(&w, d, SD_MISC_USER, 0x2000010, &a), "");
	CHECK_STR(where(&w, d, SD_MISC_USER, 0x1000010, &a), "");
	/* the view given out before the reuse still sees the old maps */
	CHECK_STR(where(&w, c, SD_MISC_USER, 0x2000010, &a), "/own");
	world_fini(&w);
}

/*
 * An address space of more than the scanned maps remembers the stretch
 * between maps its last miss fell in (junk frames land in the heap's):
 * further misses there answer at once, a map added into it is found, and
 * a view from before that map still misses.
 */
TEST(indexed_gap)
{
	struct world w;
	uint64_t a;
	char file[16];

	world_init(&w);
	comm(&w, 7, 7, "big", false, 0);
	for (unsigned i = 0; i < 20; i++) {
		snprintf(file, sizeof file, "/g/%u", i);
		mmap2(&w, 7, 0x10000000 + 0x100000 * (uint64_t)i, 0x1000, 0,
		      PROT_RX, file, 1);
	}
	struct sd_thread_view old = view_of(&w, 7, 7);
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10480000, &a), "");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10401000, &a), "");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x104fffff, &a), "");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10500010, &a), "/g/5");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10400fff, &a), "/g/4");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10480000, &a), "");
	mmap2(&w, 7, 0x10480000, 0x1000, 0, PROT_RX, "/g/new", 2);
	struct sd_thread_view now = view_of(&w, 7, 7);
	CHECK_STR(where(&w, now, SD_MISC_USER, 0x10480010, &a), "/g/new");
	CHECK_U64(a, 0x10);
	CHECK_STR(where(&w, now, SD_MISC_USER, 0x10470000, &a), "");
	CHECK_STR(where(&w, old, SD_MISC_USER, 0x10480010, &a), "");
	CHECK_STR(where(&w, now, SD_MISC_USER, 0x10480010, &a), "/g/new");
	world_fini(&w);
}

/*
 * A frame in no map a process inherits: out of its ancestors' bounds,
 * or in the widest hole of the view of what it inherits (user space to
 * [vsyscall]), answered without the view's search once the view is
 * made; every edge of the hole, a map its parent adds after the fork
 * (not seen) or before a later fork (seen, the new child's view has a
 * smaller hole), and an exec's maps over the old ones resolve as perf's.
 */
TEST(inherited_hole)
{
	struct world w;
	uint64_t a;
	const uint64_t junk = 0x616964706177732full; /* "/swapdia" */

	world_init(&w);
	comm(&w, 10, 10, "sh", false, 0);
	mmap2(&w, 10, 0x400000, 0x1000, 0, PROT_RX, "/p/lo", 1);
	mmap2(&w, 10, 0xffffffffff600000ull, 0x1000, 0, PROT_RX, "/p/vs", 1);
	fork_(&w, 11, 10, 11, 10, 2);
	mmap2(&w, 11, 0x7f0000000000ull, 0x1000, 0, PROT_RX, "/c/own", 3);
	struct sd_thread_view c = view_of(&w, 11, 11);
	for (int twice = 0; twice < 2; twice++) {
		CHECK_STR(where(&w, c, SD_MISC_USER, junk, &a), "");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0x400fff, &a), "/p/lo");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0x401000, &a), "");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0x3fffff, &a), "");
		/* no map: in the kernel's range, perf's kernel map */
		CHECK_STR(where(&w, c, SD_MISC_USER, 0xffffffffff5fffffull,
				&a), "[kernel.kallsyms]");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0xffffffffff600000ull,
				&a), "/p/vs");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0xffffffffff600fffull,
				&a), "/p/vs");
		CHECK_STR(where(&w, c, SD_MISC_USER, 0x7f0000000000ull, &a),
			  "/c/own");
	}
	/* in the child's hole, after its fork: the child does not see it */
	mmap2(&w, 10, junk & ~0xfffull, 0x2000, 0, PROT_RX, "/p/late", 4);
	CHECK_STR(where(&w, c, SD_MISC_USER, junk, &a), "");
	fork_(&w, 12, 10, 12, 10, 5);
	mmap2(&w, 12, 0x7f0000000000ull, 0x1000, 0, PROT_RX, "/c2/own", 6);
	struct sd_thread_view c2 = view_of(&w, 12, 12);
	for (int twice = 0; twice < 2; twice++) {
		CHECK_STR(where(&w, c2, SD_MISC_USER, junk, &a), "/p/late");
		CHECK_STR(where(&w, c2, SD_MISC_USER, 0xffffffffff600000ull,
				&a), "/p/vs");
		CHECK_STR(where(&w, c2, SD_MISC_USER, 0x401000, &a), "");
	}
	/* a grandchild sees through the child */
	fork_(&w, 13, 11, 13, 11, 7);
	mmap2(&w, 13, 0x7e0000000000ull, 0x1000, 0, PROT_RX, "/g/own", 8);
	struct sd_thread_view g = view_of(&w, 13, 13);
	for (int twice = 0; twice < 2; twice++) {
		CHECK_STR(where(&w, g, SD_MISC_USER, junk, &a), "");
		CHECK_STR(where(&w, g, SD_MISC_USER, 0x7f0000000000ull, &a),
			  "/c/own");
		CHECK_STR(where(&w, g, SD_MISC_USER, 0xffffffffff600000ull,
				&a), "/p/vs");
	}
	/* an exec: its maps cover the old ones, the rest stay */
	comm(&w, 12, 12, "new", true, 9);
	mmap2(&w, 12, 0x400000, 0x2000, 0, PROT_RX, "/e/new", 10);
	struct sd_thread_view e = view_of(&w, 12, 12);
	for (int twice = 0; twice < 2; twice++) {
		CHECK_STR(where(&w, e, SD_MISC_USER, 0x401000, &a), "/e/new");
		CHECK_STR(where(&w, e, SD_MISC_USER, 0x402000, &a), "");
		CHECK_STR(where(&w, e, SD_MISC_USER, junk, &a), "/p/late");
		CHECK_STR(where(&w, e, SD_MISC_USER, 0xffffffffff5fffffull,
				&a), "[kernel.kallsyms]");
	}
	world_fini(&w);
}

/* sd_machine_kernel_gen(), read inline, moves with each kernel map and
 * only then. */
TEST(kernel_gen)
{
	struct world w;
	world_init(&w);
	uint64_t g0 = sd_machine_kernel_gen(w.m);
	kmmap(&w, 0xffffffff81000000ull, 0x1000000, 0xffffffff81000000ull,
	      "[kernel.kallsyms]_text");
	uint64_t g1 = sd_machine_kernel_gen(w.m);
	CHECK(g1 != g0);
	comm(&w, 5, 5, "a", false, 0);
	mmap2(&w, 5, 0x400000, 0x1000, 0, PROT_RX, "/a", 1);
	CHECK_U64(sd_machine_kernel_gen(w.m), g1);
	kmmap(&w, 0xffffffffc0000000ull, 0x10000, 0,
	      "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko");
	CHECK(sd_machine_kernel_gen(w.m) != g1);
	world_fini(&w);
}

/* A comm the machine has for an id, as a string to compare. */
static const char *name_of(struct world *w, uint32_t comm)
{
	return sd_machine_comm_str(w->m, comm);
}

/*
 * sd_machine_forget_maps(), as after symbolizing: a fork tree whose
 * lookups made flat views, a cache of views, kernel maps.  Afterwards
 * comms, executables and forks answer as before; a user address in any
 * view, given out before or after, lands in no map (the kernel's, in the
 * kernel's range); kernel addresses as before; and records taken after
 * it still name threads and count forks and execs, but keep no map.
 */
TEST(forget_maps)
{
	struct world w;
	struct sd_tvcache c;
	struct sd_thread_view v, leaf[20];
	uint64_t a;
	world_init(&w);
	sd_tvcache_init(&c, w.m);
	kmmap(&w, 0xffffffff81000000ull, 0x1000000, 0xffffffff81000000ull,
	      "[kernel.kallsyms]_text");
	comm(&w, 10, 10, "sh", false, 0);
	mmap2(&w, 10, 0x400000, 0x10000, 0, PROT_RX, "/bin/sh", 0);
	/* a chain of shells, then children that exec and map their own */
	for (uint32_t p = 11; p < 16; p++)
		fork_(&w, p, p - 1, p, p - 1, p);
	for (uint32_t k = 0; k < 20; k++) {
		uint32_t pid = 100 + k;
		fork_(&w, pid, 15, pid, 15, 20 + k);
		comm(&w, pid, pid, k % 2 ? "cat" : "true", true, 20 + k);
		mmap2(&w, pid, 0x500000, 0x1000, 0x2000, PROT_RX,
		      k % 2 ? "/bin/cat" : "/bin/true", 20 + k);
		fork_(&w, pid, pid, pid + 1000, pid, 20 + k); /* a thread */
		leaf[k] = view_of(&w, pid, pid);
		CHECK_STR(where(&w, leaf[k], SD_MISC_USER, 0x400010, &a),
			  "/bin/sh");
		CHECK_STR(where(&w, leaf[k], SD_MISC_USER, 0x500010, &a),
			  k % 2 ? "/bin/cat" : "/bin/true");
		CHECK_U64(a, 0x2010);
	}
	CHECK(sd_machine_thread_cached(w.m, &c, 100, 100, &v) == 0);
	CHECK(v.mm != 0);
	size_t nexes = sd_machine_nr_exes(w.m);
	CHECK(nexes > 0);

	sd_machine_forget_maps(w.m);
	for (uint32_t k = 0; k < 20; k++) {
		uint32_t pid = 100 + k;
		const char *want = k % 2 ? "cat" : "true";
		CHECK_STR(name_of(&w, leaf[k].comm), want);
		CHECK_STR(comm_of(&w, pid, pid), want);
		CHECK_STR(comm_of(&w, pid, pid + 1000), want);
		CHECK_STR(sd_machine_pid_exe(w.m, pid),
			  k % 2 ? "/bin/cat" : "/bin/true");
		/* the views given out before: no map, kernel as before */
		CHECK_STR(where(&w, leaf[k], SD_MISC_USER, 0x500010, &a), "");
		CHECK_STR(where(&w, leaf[k], SD_MISC_USER, 0x400010, &a), "");
		CHECK_STR(where(&w, leaf[k], SD_MISC_USER,
				0xffffffff81000010ull, &a),
			  "[kernel.kallsyms]");
		CHECK_STR(where(&w, leaf[k], SD_MISC_KERNEL,
				0xffffffff81000010ull, &a),
			  "[kernel.kallsyms]");
		CHECK_U64(a, 0xffffffff81000010ull);
		/* the views asked for now: no address space */
		CHECK_U64(view_of(&w, pid, pid).mm, 0);
		CHECK_U64(view_of(&w, pid, pid + 1000).mm, 0);
	}
	/* the cache of views gives what the machine gives now */
	CHECK(sd_machine_thread_cached(w.m, &c, 100, 100, &v) == 0);
	CHECK_U64(v.mm, 0);
	CHECK_U64(v.mm_ver, 0);
	CHECK_STR(name_of(&w, v.comm), "true");
	CHECK_U64(sd_machine_nr_exes(w.m), nexes);
	struct sd_exe_forks e;
	CHECK(sd_machine_exe_forks(w.m, 0, &e) == 0);
	CHECK_STR(e.exe, "/bin/sh");
	CHECK_U64(e.forks, 25);
	free(e.comms);
	free(e.execs);

	/* records after it: a fork from a process of before, an exec, its
	 * maps, and a process new to the machine */
	fork_(&w, 200, 101, 200, 101, 100);
	CHECK_STR(comm_of(&w, 200, 200), "cat");
	CHECK_STR(sd_machine_pid_exe(w.m, 200), "/bin/cat");
	comm(&w, 200, 200, "ls", true, 101);
	mmap2(&w, 200, 0x600000, 0x1000, 0, PROT_RX, "/bin/ls", 101);
	CHECK_STR(comm_of(&w, 200, 200), "ls");
	CHECK_STR(sd_machine_pid_exe(w.m, 200), "/bin/ls");
	comm(&w, 300, 300, "new", false, 102);
	mmap2(&w, 300, 0x600000, 0x1000, 0, PROT_RX, "/bin/new", 102);
	for (uint32_t pid = 200; pid <= 300; pid += 100) {
		v = view_of(&w, pid, pid);
		CHECK_U64(v.mm, 0);
		CHECK_STR(where(&w, v, SD_MISC_USER, 0x600010, &a), "");
	}
	CHECK(sd_machine_exe_forks(w.m, 0, &e) == 0);
	CHECK_U64(e.forks, 25);
	free(e.comms);
	free(e.execs);
	/* forgetting again changes nothing */
	sd_machine_forget_maps(w.m);
	CHECK_STR(comm_of(&w, 200, 200), "ls");
	world_fini(&w);
}

int main(void)
{
	RUN(lookups_against_model);
	RUN(late_parent);
	RUN(fork_made_linked);
	RUN(indexed_gap);
	RUN(inherited_hole);
	RUN(kernel_gen);
	RUN(forget_maps);
	return test_exit();
}
