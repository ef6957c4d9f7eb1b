/* SPDX-License-Identifier: MIT */
/*
 * detect: the per-frame marks the reports draw (detect/marks.c), on
 * hand-built stacks whose matching frames are known from the signature
 * tables (src/detect/tables.c): copy_page_range is a fork page-table copy
 * frame and swap_duplicate a swap-entry one below it; exit_mmap a
 * teardown frame and free_swap_and_cache_nr a swap-entry release below
 * it; rwsem_down_read_slowpath the read slow path, under environ_read ->
 * __access_remote_vm (the mmap_lock) or do_task_stat (the exec lock).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <swapdiag/analysis.h>
#include <swapdiag/detect.h>
#include <swapdiag/stacks.h>

#include "detect/marks.h"
#include "detect/match.h"
#include "detect/tables.h"
#include "test.h"

enum { EV_CPU, EV_SWITCH, EV_OTHER, NR_EV };

struct built {
	struct sd_stacks *st;
	uint32_t id[16];
	size_t n;
};

/* Adds one stack on event ev: the first nuser frames ran in user space,
 * the rest in the kernel. */
static void add(struct built *b, unsigned ev, size_t nuser,
		const char *const *frames, size_t n)
{
	bool kernel[32];

	for (size_t i = 0; i < n; i++)
		kernel[i] = i >= nuser;
	struct sd_named_stack ns = {
		.evsel = ev,
		.pid = 1,
		.key_pid = SD_STACK_NO_PID,
		.key_tid = SD_STACK_NO_PID,
		.frames = frames,
		.kernel = kernel,
		.n = n,
		.count = 1,
		.period = 1,
	};
	CHECK(sd_stacks_add_named(b->st, &ns, &b->id[b->n]) == 0);
	b->n++;
}

#define ADD(b, ev, nuser, ...)                                                 \
	add(b, ev, nuser, (const char *const[]){__VA_ARGS__},                  \
	    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* The stacks below, by the order they are added. */
enum {
	S_FORK,       /* fork copying swap entries: swap_dup_fork */
	S_EXIT,       /* exit dropping them: swap_free_exec */
	S_COPY,       /* fork copying page tables, no swap entry: none */
	S_RECLAIM,    /* swap_duplicate outside any fork copy: none */
	S_ENVIRON,    /* reader asleep on the mmap_lock: mmap_lock_stall */
	S_STAT,       /* reader asleep on the exec lock: exec_lock_stall */
	S_FORK_OTHER, /* S_FORK's frames on a third event: none */
	S_READER_CPU, /* S_ENVIRON's frames on the on-CPU event: none */
	NR_STACKS,
};

static void build(struct built *b)
{
	b->n = 0;
	CHECK(sd_stacks_new(&b->st) == 0);
	/* 0 fork, 1 entry_SYSCALL_64, ..., 5 copy_page_range,
	 * 6 swap_duplicate, 7 __swap_duplicate, 8 _raw_spin_lock */
	ADD(b, EV_CPU, 1, "__libc_fork", "entry_SYSCALL_64", "__do_sys_clone",
	    "kernel_clone", "copy_process", "copy_page_range",
	    "swap_duplicate", "__swap_duplicate", "_raw_spin_lock");
	/* 0 _exit, 1 do_exit, 2 mmput, 3 exit_mmap, 4 unmap_vmas,
	 * 5 zap_pte_range, 6 free_swap_and_cache_nr, 7 swap_entries_put_map */
	ADD(b, EV_CPU, 1, "_exit", "do_exit", "mmput", "exit_mmap",
	    "unmap_vmas", "zap_pte_range", "free_swap_and_cache_nr",
	    "swap_entries_put_map");
	ADD(b, EV_CPU, 1, "__libc_fork", "kernel_clone", "copy_process",
	    "copy_page_range", "copy_pte_range");
	ADD(b, EV_CPU, 0, "kswapd", "shrink_folio_list", "try_to_unmap",
	    "swap_duplicate", "__swap_duplicate");
	/* 0 read, 1 ksys_read, 2 vfs_read, 3 environ_read,
	 * 4 __access_remote_vm, 5 down_read_killable,
	 * 6 rwsem_down_read_slowpath, 7 schedule */
	ADD(b, EV_SWITCH, 1, "read", "ksys_read", "vfs_read", "environ_read",
	    "__access_remote_vm", "down_read_killable",
	    "rwsem_down_read_slowpath", "schedule");
	/* 0 ksys_read, 1 seq_read_iter, 2 proc_single_show, 3 do_task_stat,
	 * 4 down_read_killable, 5 rwsem_down_read_slowpath, 6 schedule */
	ADD(b, EV_SWITCH, 0, "ksys_read", "seq_read_iter", "proc_single_show",
	    "do_task_stat", "down_read_killable", "rwsem_down_read_slowpath",
	    "schedule");
	ADD(b, EV_OTHER, 1, "__libc_fork", "entry_SYSCALL_64", "__do_sys_clone",
	    "kernel_clone", "copy_process", "copy_page_range",
	    "swap_duplicate", "__swap_duplicate", "_raw_spin_lock");
	ADD(b, EV_CPU, 1, "read", "ksys_read", "vfs_read", "environ_read",
	    "__access_remote_vm", "down_read_killable",
	    "rwsem_down_read_slowpath", "schedule");
	CHECK(sd_stacks_symbolize(b->st, NULL) == 0);
	CHECK_U64(b->n, NR_STACKS);
	CHECK_U64(sd_stacks_count(b->st), NR_STACKS);
}

static const bool on_cpu[NR_EV] = {[EV_CPU] = true};

static struct marks_scope scope(unsigned found)
{
	return (struct marks_scope){
		.found = found, .on_cpu = on_cpu, .nr_evsels = NR_EV,
		.has_switch = true, .switch_evsel = EV_SWITCH,
	};
}

#define ALL_FOUND                                                              \
	(1u << SD_FIND_SWAP_DUP_FORK | 1u << SD_FIND_SWAP_FREE_EXEC |         \
	 1u << SD_FIND_MMAP_LOCK_STALL | 1u << SD_FIND_EXEC_LOCK_STALL |      \
	 1u << SD_FIND_FORK_COPY | 1u << SD_FIND_OTHER_DSTATE)

static void check_mark(const struct sd_frame_mark *m, uint32_t stack,
		       enum sd_finding_kind kind, uint32_t context,
		       uint32_t match)
{
	CHECK_U64(m->stack, stack);
	CHECK_U64(m->finding, kind);
	CHECK_U64(m->context, context);
	CHECK_U64(m->match, match);
}

TEST(marks_field_by_field)
{
	struct built b;
	struct sd_frame_mark *v = NULL;
	size_t n = 0;

	build(&b);
	struct marks_scope sc = scope(ALL_FOUND);
	CHECK(make_marks(b.st, NULL, &sc, &v, &n) == 0);
	/* one mark each for S_FORK, S_EXIT, S_ENVIRON, S_STAT, in stack
	 * order; none for the others */
	CHECK_U64(n, 4);
	if (n == 4) {
		check_mark(&v[0], b.id[S_FORK], SD_FIND_SWAP_DUP_FORK, 5, 6);
		check_mark(&v[1], b.id[S_EXIT], SD_FIND_SWAP_FREE_EXEC, 3, 6);
		check_mark(&v[2], b.id[S_ENVIRON], SD_FIND_MMAP_LOCK_STALL, 6, 6);
		check_mark(&v[3], b.id[S_STAT], SD_FIND_EXEC_LOCK_STALL, 5, 5);
	}
	for (size_t i = 0; i < n; i++) {
		CHECK(v[i].stack != b.id[S_COPY]);
		CHECK(v[i].stack != b.id[S_RECLAIM]);
		CHECK(v[i].stack != b.id[S_FORK_OTHER]);
		CHECK(v[i].stack != b.id[S_READER_CPU]);
	}

	/* the stacks' match flags given (as sd_diagnose does): the same */
	unsigned match[NR_STACKS];
	struct sd_match_cache mc = {0};
	for (size_t i = 0; i < NR_STACKS; i++) {
		struct sd_stack_info si;
		CHECK(sd_stacks_get(b.st, i, &si) == 0);
		match[i] = sd_match_stack(b.st, &si, &mc);
	}
	sd_match_cache_fini(&mc);
	struct sd_frame_mark *w = NULL;
	size_t nw = 0;
	CHECK(make_marks(b.st, match, &sc, &w, &nw) == 0);
	CHECK_U64(nw, n);
	for (size_t i = 0; i < n && i < nw; i++)
		check_mark(&w[i], v[i].stack, v[i].finding, v[i].context,
			   v[i].match);

	/* a diagnosis holding them: each stack's own, none for the rest */
	struct sd_diagnosis d = {.marks = v, .nr_marks = n};
	size_t k;
	const struct sd_frame_mark *m =
		sd_diagnosis_marks(&d, b.id[S_EXIT], &k);
	CHECK_U64(k, 1);
	CHECK(m == &v[1]);
	m = sd_diagnosis_marks(&d, b.id[S_RECLAIM], &k);
	CHECK_U64(k, 0);
	CHECK(m == NULL);
	m = sd_diagnosis_marks(NULL, b.id[S_FORK], &k);
	CHECK_U64(k, 0);
	CHECK(m == NULL);
	free(w);
	free(v);
	sd_stacks_free(b.st);
}

TEST(only_reported_findings_mark)
{
	struct built b;
	struct sd_frame_mark *v = NULL;
	size_t n = 99;

	build(&b);
	/* only the exec side reported: the fork stack gets no mark */
	struct marks_scope sc = scope(1u << SD_FIND_SWAP_FREE_EXEC);
	CHECK(make_marks(b.st, NULL, &sc, &v, &n) == 0);
	CHECK_U64(n, 1);
	if (n == 1)
		check_mark(&v[0], b.id[S_EXIT], SD_FIND_SWAP_FREE_EXEC, 3, 6);
	free(v);

	/* no finding: no marks at all */
	sc = scope(0);
	v = NULL;
	n = 99;
	CHECK(make_marks(b.st, NULL, &sc, &v, &n) == 0);
	CHECK_U64(n, 0);
	CHECK(v == NULL);

	/* no sched_switch: the readers' stacks get no mark */
	sc = scope(ALL_FOUND);
	sc.has_switch = false;
	CHECK(make_marks(b.st, NULL, &sc, &v, &n) == 0);
	CHECK_U64(n, 2);
	if (n == 2) {
		check_mark(&v[0], b.id[S_FORK], SD_FIND_SWAP_DUP_FORK, 5, 6);
		check_mark(&v[1], b.id[S_EXIT], SD_FIND_SWAP_FREE_EXEC, 3, 6);
	}
	free(v);
	sd_stacks_free(b.st);
}

/* The stack of a with these frames (root first), or UINT32_MAX. */
static uint32_t find_stack(const struct sd_analysis *a,
			   const char *const *frames, size_t n)
{
	for (size_t i = 0; i < sd_stacks_count(a->stacks); i++) {
		struct sd_stack_info si;
		if (sd_stacks_get(a->stacks, i, &si) || si.nr_frames != n)
			continue;
		size_t f = 0;
		while (f < n && !strcmp(sd_stacks_str(a->stacks,
						      si.frames[f].name),
					frames[f]))
			f++;
		if (f == n)
			return (uint32_t)i;
	}
	return UINT32_MAX;
}

TEST(diagnose_hands_marks)
{
	/* folded stacks: 30 of 100 samples copy swap entries in fork (a
	 * critical swap_dup_fork); reclaim's swap_duplicate is no fork */
	static const char text[] =
		"httpd;__libc_fork;entry_SYSCALL_64;do_syscall_64;"
		"__do_sys_clone;kernel_clone;copy_process;copy_page_range;"
		"swap_duplicate;__swap_duplicate;_raw_spin_lock 30\n"
		"httpd;main;compute 60\n"
		"kswapd0;kswapd;shrink_folio_list;try_to_unmap;swap_duplicate 10\n";
	static const char *const fork[] = {
		"__libc_fork", "entry_SYSCALL_64", "do_syscall_64",
		"__do_sys_clone", "kernel_clone", "copy_process",
		"copy_page_range", "swap_duplicate", "__swap_duplicate",
		"_raw_spin_lock"};
	static const char *const reclaim[] = {
		"kswapd", "shrink_folio_list", "try_to_unmap", "swap_duplicate"};
	struct sd_analysis_opts o = {
		.path = "hand.folded", .buf = text, .len = sizeof text - 1,
	};
	struct sd_analysis *a = NULL;
	struct sd_diagnosis *d = NULL;

	CHECK(sd_analysis_run(&o, NULL, &a) == 0);
	if (!a)
		return;
	CHECK(sd_diagnose(a, &d) == 0);
	if (!d) {
		sd_analysis_free(a);
		return;
	}
	CHECK_U64(d->nr_findings, 1);
	CHECK(d->nr_findings && d->findings[0].kind == SD_FIND_SWAP_DUP_FORK);
	uint32_t fs = find_stack(a, fork, sizeof fork / sizeof *fork);
	uint32_t rs = find_stack(a, reclaim, sizeof reclaim / sizeof *reclaim);
	CHECK(fs != UINT32_MAX);
	CHECK(rs != UINT32_MAX);
	/* copy_page_range (6) starts the context, swap_duplicate (7) the
	 * pattern */
	CHECK_U64(d->nr_marks, 1);
	if (d->nr_marks == 1)
		check_mark(&d->marks[0], fs, SD_FIND_SWAP_DUP_FORK, 6, 7);
	size_t n;
	CHECK(sd_diagnosis_marks(d, rs, &n) == NULL);
	CHECK_U64(n, 0);
	sd_diagnosis_free(d);
	sd_analysis_free(a);
}

/* The bit of the hot kind called name (tables.c's list), 0 if none. */
static uint64_t kind_bit(const char *name)
{
	for (size_t j = 0; j < sd_nr_hot_kinds; j++)
		if (!strcmp(sd_hot_kinds[j].name, name))
			return 1ull << j;
	return 0;
}

/*
 * One walk of a stack's frames gives its flags, its kernel frames and
 * the named ones ("[dso]" is how an unresolved frame folds), and the hot
 * kinds its kernel frames show -- the same with the cache of names by id
 * and without it (names compared as strings).
 */
TEST(scan_counts_frames_and_kinds)
{
	struct built b;

	CHECK(sd_nr_hot_kinds <= SD_MAX_HOT_KINDS);
	b.n = 0;
	CHECK(sd_stacks_new(&b.st) == 0);
	/* 1 user frame, 6 kernel ones, one of them unresolved; user frames
	 * with kernel names count in no kind */
	ADD(&b, EV_CPU, 2, "handle_mm_fault", "__libc_fork", "kernel_clone",
	    "[kernel.kallsyms]", "copy_process", "copy_page_range",
	    "swap_duplicate", "_raw_spin_lock");
	ADD(&b, EV_CPU, 2, "_raw_spin_lock", "main", "[kernel.kallsyms]");
	CHECK(sd_stacks_symbolize(b.st, NULL) == 0);
	uint64_t fork_kinds = kind_bit("fork page-table copying") |
			      kind_bit("fork (all of it)") |
			      kind_bit("spin locks");
	CHECK(kind_bit("fork page-table copying") &&
	      kind_bit("fork (all of it)") && kind_bit("spin locks"));
	struct sd_match_cache mc = {0};
	for (int cached = 0; cached < 2; cached++) {
		struct sd_stack_info si;
		struct sd_stack_scan sc;
		CHECK(sd_stacks_get(b.st, b.id[0], &si) == 0);
		sd_match_scan(b.st, &si, cached ? &mc : NULL, &sc);
		CHECK_U64(sc.kframes, 6);
		CHECK_U64(sc.knamed, 5);
		CHECK_U64(sc.kinds, fork_kinds);
		CHECK_U64(sc.match & (SD_M_FORK_COPY | SD_M_SWAP_DUP |
				      SD_M_SPIN_LOCK),
			  SD_M_FORK_COPY | SD_M_SWAP_DUP | SD_M_SPIN_LOCK);
		CHECK_U64(sd_match_stack(b.st, &si, cached ? &mc : NULL),
			  sc.match);
		CHECK(sd_stacks_get(b.st, b.id[1], &si) == 0);
		sd_match_scan(b.st, &si, cached ? &mc : NULL, &sc);
		CHECK_U64(sc.kframes, 1);
		CHECK_U64(sc.knamed, 0);
		CHECK_U64(sc.kinds, 0);
		CHECK_U64(sc.match, 0);
	}
	sd_match_cache_fini(&mc);
	sd_stacks_free(b.st);
}

/* Adds one stack of n frames on EV_CPU, kernel[i] telling frame i's side;
 * its id. */
static uint32_t add_sided(struct sd_stacks *st, const char *const *frames,
			  const bool *kernel, size_t n)
{
	struct sd_named_stack ns = {
		.evsel = EV_CPU,
		.pid = 1,
		.key_pid = SD_STACK_NO_PID,
		.key_tid = SD_STACK_NO_PID,
		.frames = frames,
		.kernel = kernel,
		.n = n,
		.count = 1,
		.period = 1,
	};
	uint32_t id = 0;
	CHECK(sd_stacks_add_named(st, &ns, &id) == 0);
	return id;
}

/*
 * Long user parts (sd_user_run() skips them sixteen frames a step): a
 * kernel frame at any place of a long stack stops the skip before it,
 * and a stack's scan is that of its kernel frames wherever they start,
 * user frames among them or not.
 */
TEST(scan_long_user_parts)
{
	enum { N = 56 };
	static const char *const kpart[] = {"kernel_clone", "[kernel.kallsyms]",
					    "copy_process", "copy_page_range",
					    "swap_duplicate", "_raw_spin_lock"};
	const char *names[N];
	char user[N][8];
	bool kernel[N];
	struct sd_stacks *st;

	for (size_t i = 0; i < N; i++)
		snprintf(user[i], sizeof user[i], "u%zu", i);
	CHECK(sd_stacks_new(&st) == 0);
	/* one kernel frame at place j of a user stack of 40 */
	uint32_t one[40];
	for (size_t j = 0; j < 40; j++) {
		for (size_t i = 0; i < 40; i++) {
			names[i] = i == j ? "copy_process" : user[i];
			kernel[i] = i == j;
		}
		one[j] = add_sided(st, names, kernel, 40);
	}
	/* the kernel part after u user frames, and after u with a user
	 * frame between its frames */
	static const size_t nuser[] = {0, 1, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48};
	enum { NU = sizeof nuser / sizeof *nuser };
	uint32_t plain[NU], mixed[NU];
	for (size_t m = 0; m < 2; m++)
		for (size_t k = 0; k < NU; k++) {
			size_t n = 0;
			for (size_t i = 0; i < nuser[k]; i++, n++) {
				names[n] = user[n];
				kernel[n] = false;
			}
			for (size_t i = 0; i < 6; i++, n++) {
				if (m && i == 3) {
					names[n] = user[n];
					kernel[n++] = false;
				}
				names[n] = kpart[i];
				kernel[n] = true;
			}
			(m ? mixed : plain)[k] = add_sided(st, names, kernel, n);
		}
	CHECK(sd_stacks_symbolize(st, NULL) == 0);

	struct sd_stack_info si;
	for (size_t j = 0; j < 40; j++) {
		CHECK(sd_stacks_get(st, one[j], &si) == 0);
		CHECK(si.nr_frames == 40 && si.frames[j].kernel);
		size_t run = sd_user_run(si.frames, si.nr_frames);
		CHECK(run <= j);
		CHECK_U64(run, j / 16 * 16);
	}
	struct sd_match_cache mc = {0};
	struct sd_stack_scan want, sc;
	CHECK(sd_stacks_get(st, plain[0], &si) == 0);
	sd_match_scan(st, &si, &mc, &want);
	CHECK_U64(want.kframes, 6);
	CHECK_U64(want.knamed, 5);
	CHECK(want.match & SD_M_SWAP_DUP);
	for (size_t m = 0; m < 2; m++)
		for (size_t k = 0; k < NU; k++) {
			CHECK(sd_stacks_get(st, (m ? mixed : plain)[k], &si) == 0);
			CHECK_U64(si.nr_frames, nuser[k] + 6 + m);
			sd_match_scan(st, &si, &mc, &sc);
			CHECK_U64(sc.kframes, want.kframes);
			CHECK_U64(sc.knamed, want.knamed);
			CHECK_U64(sc.kinds, want.kinds);
			/* the leaf spin lock is where the acquire frame is */
			CHECK_U64(sc.match, want.match);
			CHECK_U64(sd_match_first(st, &si, &mc, SD_M_SWAP_DUP),
				  nuser[k] + 5 + m);
		}
	sd_match_cache_fini(&mc);
	sd_stacks_free(st);
}

int main(void)
{
	RUN(scan_counts_frames_and_kinds);
	RUN(scan_long_user_parts);
	RUN(marks_field_by_field);
	RUN(only_reported_findings_mark);
	RUN(diagnose_hands_marks);
	return test_exit();
}
