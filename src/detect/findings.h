/* SPDX-License-Identifier: MIT */
/* Shared by the files of src/detect/ that build findings. */
#ifndef SD_DETECT_FINDINGS_H
#define SD_DETECT_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>

#include <swapdiag/detect.h>

struct sd_era;

/*
 * sd_stacks_get() of stack i < sd_stacks_count(st), pid and tid left 0
 * (stacks/symbolize.c): the walks of every stack here need neither, and
 * this one fills the rest without the tests (kstorm: 37 -> 20
 * instructions a stack, ~24 k calls).
 */
void sd_stacks_get_nopid(const struct sd_stacks *st, size_t i,
			 struct sd_stack_info *out);

/* Per-(comm, pid) tallies: 24 bytes, as kstorm's exec finding has 8 k
 * of them, grown by doubling (each step a copy; 48 bytes with the stall
 * findings' sums, which stall_finding() keeps beside them, cost 0.4 M
 * instructions more). */
struct tally {
	uint32_t comm, pid;
	uint64_t samples, period;
};

/* In order of first use, found by (comm, pid) through slots (open
 * addressing, index + 1). */
struct tallies {
	struct tally *v;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;
};

struct tally *tally_get(struct tallies *t, uint32_t comm, uint32_t pid);
void tallies_fini(struct tallies *t);
/* Groups tallies by comm into f->procs, heaviest first. */
int make_procs(struct sd_finding *f, struct tallies *t,
	       const struct sd_machine *m, uint64_t total_period);
/* The top kernel paths of the given stacks into f->paths. */
int make_paths(struct sd_finding *f, const struct sd_stacks *st,
	       const uint32_t *ids, size_t nids);
/* The forking user code paths of the given stacks into f->fork_sites
 * (fork_sites.c), and their release. */
int make_fork_sites(struct sd_finding *f, const struct sd_stacks *st,
		    const struct sd_machine *m, const uint32_t *ids,
		    size_t nids);
void fork_sites_fini(struct sd_finding *f);
const struct sd_frame *kernel_part(const struct sd_stack_info *si, size_t *n);

/* Per comm id (struct cpu_ctx): the samples and period of its on-CPU
 * stacks, and the pid of its first detail, if one has a pid. */
struct comm_sum {
	uint64_t samples, period;
	uint32_t pid;
	bool has_pid;
};

/*
 * The match flags of which cpu_finding()'s want has one (every finding's
 * does): only the details of on-CPU stacks with one of them are listed
 * for it (struct cpu_ctx, cand: a list for each).
 */
#define CPU_CAND (SD_M_FORK_COPY | SD_M_TEARDOWN)

/* What the finding builders share: the on-CPU event, every stack's
 * SD_M_* match flags, totals, and the per-second totals. */
struct cpu_ctx {
	const struct sd_detect_input *a;
	const struct sd_evsel *ev;
	unsigned *match; /* per stack */
	uint8_t *on_cpu; /* per stack: a stack of ev */
	uint32_t *comm;  /* per stack: its comm id */
	uint64_t *kinds; /* per stack: the sd_hot_kinds its kernel frames
			  * show, a bit each */
	uint64_t total_period, total_samples;
	uint64_t first_bucket, nsec;
	uint64_t *sec_total; /* period per second, all samples of ev (summed
			      * as integers: exact, as doubles are below
			      * 2^53, and no conversion a detail) */
	bool ticket; /* spin locks spin inside the acquire frame */
	double duration_s; /* of the recording, 0 unknown */
	unsigned exclude;  /* cpu_finding: stacks with these flags do not
			    * count (fork_copy: the swap-entry ones) */
	/* made in classify()'s one pass over the details (with ev), which
	 * later passes would otherwise walk again: per comm id (below
	 * ncomm, every stack's), its comm_sum; the indexes of the details
	 * of on-CPU stacks, in order: [0] those with SD_M_FORK_COPY, [1]
	 * with SD_M_TEARDOWN (a finding walks the list of its want's flag:
	 * kstorm's fork side wants 186 stacks, and one list of both had it
	 * pass 39 k details) */
	struct comm_sum *by_comm;
	size_t ncomm;
	uint32_t *cand[2];
	size_t ncand[2];
};
enum sd_level fork_copy_level(double share, uint64_t samples);

/* Where the CPU went (hot.c) into d->hot_*, and their release. */
int make_hot(struct sd_diagnosis *d, const struct cpu_ctx *c);
void hot_fini(struct sd_diagnosis *d);

/* The remedies fitted to the findings (remedies.c): swap says whether
 * the swap rows apply, contended whether the lock-contention rows do. */
int choose_remedies(struct sd_diagnosis *d, const struct sd_era *era,
		    bool swap, bool contended);
void remedies_fini(struct sd_diagnosis *d);

/* Who forks, per executable (forkers.c), and their release. */
int make_forkers(struct sd_finding *f, const struct tallies *t,
		 const struct cpu_ctx *c);
void forkers_fini(struct sd_finding *f);

/* One on-CPU finding: stacks whose flags include all of want (which has
 * a CPU_CAND flag). */
int cpu_finding(struct cpu_ctx *c, struct sd_finding *f, unsigned want,
		unsigned context);
/* One stall finding: sleeps whose flags include all of want; holders are
 * tasks whose stacks have activity (0: no holders); durations:
 * sched_switch recorded every switch. */
int stall_finding(struct cpu_ctx *c, struct sd_finding *f, unsigned want,
		  unsigned activity, bool durations);
/* Ties the sleeps mine[0..n) of f to lock holders (stall_holders.c). */
struct sd_stall;
int tie_holders(struct cpu_ctx *c, struct sd_finding *f,
		const struct sd_stall **mine, size_t n, unsigned activity,
		bool durations);
void finding_fini(struct sd_finding *f);
/* The level of an on-CPU share (swapdiag(1), THRESHOLDS); samples: how
 * many samples it stands on. */
enum sd_level cpu_share_level(double share, uint64_t samples);

/*
 * The swap lock (swapdiag(1), THRESHOLDS): a swap finding whose samples
 * spin on a spin lock below the swap-entry frame for >= 10 % of its weight
 * is contended - finer locks, faster swap and fewer concurrent forkers
 * help; below that the cost is the per-PTE work and only removing it
 * helps (the kernel rows that promise less contention are dropped).
 */
#define SPIN_CONTENDED 0.10

/* The diagnosis as a value (diagnosis.c): a note (printf format) and a
 * finding added to d (0 or -ENOMEM), and f's title, why and context name
 * for its kind. */
int add_note(struct sd_diagnosis *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int add_finding(struct sd_diagnosis *d, struct sd_finding *f);
void finding_words(struct sd_finding *f);

/* The stall findings from sched_switch into d, or a note on why stalls
 * cannot be judged (stall_findings.c). */
int diagnose_stalls(struct cpu_ctx *c, struct sd_diagnosis *d);
/* The sched_switch event of the input (its first), or NULL. */
const struct sd_evsel *switch_evsel(const struct sd_detect_input *a);

/* In words (verdict.c): no findings and a note when the kernel symbols
 * do not belong to the recorded kernel; the verdict line; what a swap
 * finding's lock shares mean in the era (f->lock_note). */
int check_kernel_symbols(const struct sd_detect_input *a,
			 struct sd_diagnosis *d);
int make_verdict(struct sd_diagnosis *d);
int make_lock_note(struct sd_finding *f, const struct sd_era *era);

/* d->damage and d->damage_offset from the analysis (damage.c). */
int diagnose_damage(const struct sd_detect_input *a, struct sd_diagnosis *d);

struct sd_era;
/*
 * The kernel era the kernel frame names of st point to (era.c), or *era
 * NULL when they do not tell one era; evidence (len bytes) gets the names
 * that agree with it, comma-separated.  0 or -ENOMEM.
 */
int sd_era_from_frames(const struct sd_stacks *st, const struct sd_era **era,
		       char *evidence, size_t len);

#endif
