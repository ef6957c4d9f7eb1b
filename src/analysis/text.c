/* SPDX-License-Identifier: MIT */
/*
 * Text as a source of the pipeline: a textin parser's stacks go to the
 * driver (drive.c) as named stacks with their comm, thread, time and
 * sched_switch or lock payload, in the order the text gives them (perf
 * script prints in time order); what the text says about itself (perf's
 * --header lines, its events and how they were sampled) goes to
 * text_info, text_stats and text_evsels, so that the diagnosis and every
 * report work as for perf.data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/detect.h>
#include <swapdiag/textin.h>

#include "analysis/internal.h"

#define SD_TEXT_PROGRESS 65536 /* samples */
#define SD_TEXT_MAX_EVENTS 64

struct feed {
	struct sd_analysis *a;
	const struct sd_analysis_opts *o;
	struct sd_input_data *in;
	enum sd_input_kind kind;
	const struct sd_era *era;
	bool have_time;
	uint64_t first_time, last_time;
	uint64_t next_progress;
	uint64_t too_many_events;
	/* events whose sampling a --header "event" line gave, by index */
	uint64_t rate_from_header;
	/* sched_switch: how it was recorded, as far as the text shows it */
	uint64_t switch_period_one, switch_period_other;
	uint32_t *chain;      /* per CPU: next_pid of its last switch + 1 */
	size_t nr_chain;
	uint64_t chained, unchained; /* a switch's prev_pid is the last one's
				      * next_pid on that CPU, or not */
};

/* ---- events ---------------------------------------------------------- */

/* "sched:sched_switch" is a tracepoint, "cycles:ppp" or "cpu-clock:u" an
 * event with modifiers. */
static bool tracepoint_name(const char *name)
{
	const char *c = strchr(name, ':');
	if (!c || c == name || !c[1])
		return false;
	size_t n = strlen(c + 1);
	if (n <= 6 && strspn(c + 1, "ukhGHpPSDIWe") == n)
		return false;
	for (const char *p = name; p < c; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return true;
}

static struct sd_evsel *evsel_get(struct feed *f, const char *name)
{
	struct sd_analysis *a = f->a;

	if (!name[0])
		name = f->kind == SD_INPUT_FOLDED	  ? "folded"
		       : f->kind == SD_INPUT_PERF_REPORT ? "perf-report"
							 : "unnamed";
	for (size_t i = 0; i < a->text_nr_evsels; i++)
		if (!strcmp(a->text_evsels[i]->name, name))
			return a->text_evsels[i];
	if (a->text_nr_evsels >= SD_TEXT_MAX_EVENTS) {
		f->too_many_events++;
		return NULL;
	}
	struct sd_evsel **v = realloc(a->text_evsels,
				      (a->text_nr_evsels + 1) * sizeof *v);
	if (!v)
		return NULL;
	a->text_evsels = v;
	struct sd_evsel *ev = calloc(1, sizeof *ev);
	if (!ev)
		return NULL;
	ev->name = strdup(name);
	if (!ev->name) {
		free(ev);
		return NULL;
	}
	ev->index = (unsigned)a->text_nr_evsels;
	/* how it was sampled is unknown (period_or_freq 0, !freq) until
	 * the text shows it: see the header and sample hooks */
	if (tracepoint_name(name)) {
		ev->type = SD_TYPE_TRACEPOINT;
	} else {
		ev->type = SD_TYPE_SOFTWARE;
		/* "dummy", "dummy:HG" (a --header event line) */
		ev->config = strcmp(name, "dummy") && strncmp(name, "dummy:", 6)
				     ? 0
				     : 9;
	}
	/* "cpu-clock/freq=999/", "cycles/period=100000/": the rate */
	const char *r = strstr(name, "freq=");
	if (r || (r = strstr(name, "period="))) {
		bool freq = r[0] == 'f';
		uint64_t rate;
		r = strchr(r, '=') + 1;
		if (sd_text_u64(r, strspn(r, "0123456789"), &rate)) {
			ev->freq = freq;
			ev->period_or_freq = rate;
		}
	}
	a->text_evsels[a->text_nr_evsels++] = ev;
	return ev;
}

/* ---- callbacks ------------------------------------------------------- */

static int set_str(char **dst, const char *v)
{
	if (*dst || !v[0])
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/*
 * "# event : name = sched:sched_switch, , id = { 102, 103 }, type = 2,
 * size = 128, config = 0x174, { sample_period, sample_freq } = 1,
 * sample_type = ..., freq = 1, ..." (perf script --header, one per
 * event): its sampling.  "freq = 1" means the number is a frequency.
 */
static int header_event(struct feed *f, const char *v)
{
	char name[256];
	uint64_t rate;

	if (strncmp(v, "name = ", 7))
		return 0;
	v += 7;
	size_t n = strcspn(v, ",");
	if (!n || n >= sizeof name)
		return 0;
	memcpy(name, v, n);
	name[n] = '\0';
	const char *r = strstr(v, "sample_freq } = ");
	if (r)
		r += strlen("sample_freq } = ");
	else if ((r = strstr(v, "sample_period = ")))
		r += strlen("sample_period = ");
	else if ((r = strstr(v, "sample_freq = ")))
		r += strlen("sample_freq = ");
	if (!r || !sd_text_u64(r, strspn(r, "0123456789"), &rate))
		return 0;
	struct sd_evsel *ev = evsel_get(f, name);
	if (!ev)
		return f->too_many_events ? 0 : -ENOMEM;
	ev->freq = strstr(v, ", freq = 1") != NULL;
	ev->period_or_freq = rate;
	if (ev->index < 64)
		f->rate_from_header |= 1ull << ev->index;
	return 0;
}

/* A sched_switch on cpu: does it continue that CPU's last one? */
static int follow_chain(struct feed *f, uint32_t cpu, uint32_t prev_pid,
			uint32_t next_pid)
{
	if (cpu >= 65536)
		return 0;
	if (cpu >= f->nr_chain) {
		size_t n = f->nr_chain ? f->nr_chain : 64;
		while (n <= cpu)
			n *= 2;
		uint32_t *v = realloc(f->chain, n * sizeof *v);
		if (!v)
			return -ENOMEM;
		memset(v + f->nr_chain, 0, (n - f->nr_chain) * sizeof *v);
		f->chain = v;
		f->nr_chain = n;
	}
	if (f->chain[cpu]) {
		if (f->chain[cpu] - 1 == prev_pid)
			f->chained++;
		else
			f->unchained++;
	}
	f->chain[cpu] = next_pid + 1;
	return 0;
}

/* Share of consecutive switches on a CPU that chain (next_pid of one is
 * prev_pid of the next), at or above which sched_switch text is taken as
 * every switch recorded: measured 98.8 % on testdata/swapstorm.data's
 * perf script (every switch; this guest records no switch from idle on
 * some CPUs), 63.9 % on swapstorm-sampled.data's (-F 999). */
#define CHAINED_EVERY 0.95
#define CHAIN_MIN 20

/*
 * "# cmdline : /usr/bin/perf record -a -g -F 999 -e cpu-clock -e
 * sched:sched_switch -- sleep 1.5" (perf script --header without its event
 * lines): perf records a tracepoint at every event (period 1) unless a
 * global -F/--freq or -c/--count says otherwise, or the event its own
 * /period=N/ or /freq=N/ term.  True if the command line settles it.
 */
static bool switch_from_cmdline(const char *cmd, struct sd_evsel *ev)
{
	if (!cmd || !strstr(cmd, " record ") || !strstr(cmd, "sched_switch"))
		return false;
	const char *own = strstr(cmd, "sched_switch/");
	if (own) /* sched:sched_switch/period=1/ and the like */
		return false;
	const char *end = strstr(cmd, " -- ");
	size_t len = end ? (size_t)(end - cmd) : strlen(cmd);
	uint64_t v = 0;
	bool freq = false, count = false;
	for (const char *p = cmd; p < cmd + len; p++) {
		if (*p != ' ')
			continue;
		const char *a = p + 1;
		const char *arg = NULL;
		if (!strncmp(a, "-F ", 3) || !strncmp(a, "--freq ", 7) ||
		    !strncmp(a, "--freq=", 7)) {
			freq = true;
			arg = strpbrk(a, " =") + 1;
		} else if (!strncmp(a, "-c ", 3) || !strncmp(a, "--count ", 8) ||
			   !strncmp(a, "--count=", 8)) {
			count = true;
			arg = strpbrk(a, " =") + 1;
		}
		if (arg)
			sd_text_u64(arg, strspn(arg, "0123456789"), &v);
	}
	if (freq) {
		ev->freq = true;
		ev->period_or_freq = v;
	} else {
		ev->freq = false;
		ev->period_or_freq = count ? v : 1;
	}
	return true;
}

/* After the text: how sched_switch was recorded, as far as it shows. */
static void settle_switch(struct feed *f)
{
	struct sd_evsel *ev = (struct sd_evsel *)f->a->switch_evsel;
	struct sd_diags *g = &f->a->diags;

	if (!ev || (ev->index < 64 && (f->rate_from_header >> ev->index & 1)))
		return;
	if (switch_from_cmdline(f->a->text_info.cmdline, ev)) {
		sd_diags_add(g, SD_NOTE, 0, UINT64_MAX,
			     "sched:sched_switch sampling from the recorded "
			     "command line (# cmdline : %s): %s.",
			     f->a->text_info.cmdline,
			     ev->freq ? "a global -F samples it"
			     : ev->period_or_freq == 1
				     ? "recorded at every switch (perf's default "
				       "for tracepoints)"
				     : "a global -c samples it");
		return;
	}
	uint64_t n = f->chained + f->unchained;
	double share = n ? (double)f->chained / (double)n : 0;
	if (f->switch_period_other) {
		ev->freq = true; /* sampled, at a rate the text does not give */
		ev->period_or_freq = 0;
	} else if (f->switch_period_one) {
		ev->freq = false;
		ev->period_or_freq = 1;
	} else if (n >= CHAIN_MIN && share >= CHAINED_EVERY) {
		ev->freq = false;
		ev->period_or_freq = 1;
		sd_diags_add(g, SD_NOTE, 0, UINT64_MAX,
			     "sched:sched_switch taken as recorded at every "
			     "switch: the text gives no sampling (no --header "
			     "event lines, no period column), but %.1f%% of "
			     "its switches continue the one before on their "
			     "CPU (%.0f%% or more is needed).",
			     share * 100, CHAINED_EVERY * 100);
	} else {
		sd_diags_add(g, SD_NOTE, 0, UINT64_MAX,
			     "The text does not say whether sched:sched_switch "
			     "was recorded at every switch or sampled (no perf "
			     "script --header event lines, no period column%s), "
			     "so stall durations are unknown; print it with "
			     "perf script --header to give them.",
			     n ? ", and too few of its switches follow each "
				 "other on their CPU"
			       : "");
	}
}

static int on_header(void *arg, const char *key, const char *value)
{
	struct feed *f = arg;
	struct sd_file_info *in = &f->a->text_info;
	uint64_t n;

	if (!strcmp(key, "hostname"))
		return set_str(&in->hostname, value);
	if (!strcmp(key, "os release")) {
		int err = set_str(&in->os_release, value);
		f->era = sd_era_of(in->os_release);
		return err;
	}
	if (!strcmp(key, "perf version"))
		return set_str(&in->perf_version, value);
	if (!strcmp(key, "arch"))
		return set_str(&in->arch, value);
	if (!strcmp(key, "cpudesc"))
		return set_str(&in->cpu_desc, value);
	if (!strcmp(key, "cmdline"))
		return set_str(&in->cmdline, value);
	if (!strcmp(key, "event"))
		return header_event(f, value);
	if (!strcmp(key, "nrcpus online") &&
	    sd_text_u64(value, strlen(value), &n) && n < UINT32_MAX)
		in->nr_cpus_online = (uint32_t)n;
	if (!strcmp(key, "nrcpus avail") &&
	    sd_text_u64(value, strlen(value), &n) && n < UINT32_MAX)
		in->nr_cpus_avail = (uint32_t)n;
	return 0;
}

static bool state_is_d(const struct feed *f, const char *st)
{
	uint64_t v;

	if (sd_text_u64(st, strlen(st), &v))
		return sd_prev_state_is_d(f->era, v);
	/* letters as perf prints them: "D", "D|K" (killable), not "R+" */
	return strchr(st, 'D') != NULL;
}

static int on_sample(void *arg, const struct sd_text_sample *s)
{
	struct feed *f = arg;
	struct sd_analysis *a = f->a;
	struct sd_evsel *ev = evsel_get(f, s->event);
	int err;

	if (!ev)
		return f->too_many_events ? 0 : -ENOMEM;
	uint32_t comm = sd_machine_intern_comm(a->machine,
					       s->comm[0] ? s->comm : "[unknown]");
	if (!comm)
		return -ENOMEM;
	/* weighted as stackcollapse-perf.pl weighs it (the period its
	 * regex finds in a perf script header, else 1), so that the verdict
	 * and the folded output agree */
	uint64_t period = s->weight;
	struct sd_named_stack ns = {
		.evsel = ev->index,
		.comm = comm,
		.pid = s->pid,
		.key_pid = s->pid_given ? s->pid : SD_STACK_NO_PID,
		.key_tid = s->tid,
		.time = s->has_time ? s->time : 0,
		.frames = s->frames,
		.kernel = s->kernel,
		.marks = s->marks,
		.n = s->nr_frames,
		.count = s->count,
		.period = period,
		.folded_out = s->folded_out,
	};
	struct sd_drive_sample d = {
		.ev = ev,
		.named = &ns,
		.pid = s->pid,
		.tid = s->tid,
		.comm = comm,
		.time = s->time,
		.timed = s->has_time && s->tid != SD_TEXT_NO_PID,
		.count = s->count,
		.has_lock = s->has_lock,
		.lock_begin = s->lock_begin,
		.lock = s->lock_addr,
		.lock_flags = s->lock_flags,
	};
	if (ev->type == SD_TYPE_TRACEPOINT && strstr(ev->name, "sched_switch")) {
		/* a period other than 1 means a frequency-sampled tracepoint */
		if (s->has_period && s->period != 1)
			f->switch_period_other++;
		else if (s->has_period)
			f->switch_period_one++;
		if (s->has_switch && s->has_cpu &&
		    (err = follow_chain(f, s->cpu, s->prev_pid, s->next_pid)))
			return err;
		/* the sample runs in the outgoing task: prev's pid/tid */
		d.is_switch = true;
		d.has_switch = s->has_switch;
		d.timed = s->has_time;
		d.pid = s->pid != SD_TEXT_NO_PID ? s->pid : s->prev_pid;
		d.tid = s->prev_pid;
		d.prev_d = s->has_switch && state_is_d(f, s->prev_state);
		d.next_tid = s->next_pid;
	}
	if ((err = sd_drive(a, &d, NULL)))
		return err;
	if (s->filterable && !a->text_first_evsel)
		a->text_first_evsel = ev;
	if (s->has_period && f->kind == SD_INPUT_PERF_SCRIPT)
		a->text_periods = true;
	ev->nr_samples += s->count;
	ev->total_period += period;
	a->records++;
	a->text_stats.records[SD_REC_SAMPLE]++;
	if (s->has_time) {
		if (!f->have_time || s->time < f->first_time)
			f->first_time = s->time;
		if (!f->have_time || s->time > f->last_time)
			f->last_time = s->time;
		f->have_time = true;
	}
	if (f->kind != SD_INPUT_PERF_REPORT)
		sd_input_release(f->in, s->offset);
	if (f->o->progress && a->samples >= f->next_progress) {
		f->next_progress = a->samples + SD_TEXT_PROGRESS;
		f->o->progress(f->o->progress_arg, s->offset, f->in->len);
	}
	return 0;
}

/*
 * A FORK line (perf script --show-task-events): a new process, taken as
 * records.c takes a FORK record, under its parent's comm.  perf prints
 * the child's comm, which is the parent's -- or, for a parent perf had no
 * comm for, the child's placeholder ":TID"; that parent is ":PTID", as
 * the machine names a thread without a comm.
 */
static int on_fork(void *arg, const struct sd_text_fork *t)
{
	struct feed *f = arg;
	struct sd_analysis *a = f->a;
	const char *comm = t->comm[0] ? t->comm : "[unknown]";
	char name[16];

	a->text_forks = true;
	if (t->pid == t->ppid || t->pid != t->tid || !t->has_time || !t->time)
		return 0;
	snprintf(name, sizeof name, ":%u", (unsigned)t->tid);
	if (!strcmp(comm, name)) {
		snprintf(name, sizeof name, ":%u", (unsigned)t->ptid);
		comm = name;
	}
	uint32_t id = sd_machine_intern_comm(a->machine, comm);
	if (!id)
		return -ENOMEM;
	return sd_fork_note(a, t->time, t->ppid, id, NULL);
}

/* ---- the run --------------------------------------------------------- */

static enum sd_text_kind text_kind(enum sd_input_kind k)
{
	switch (k) {
	case SD_INPUT_PERF_SCRIPT:
		return SD_TEXT_PERF_SCRIPT;
	case SD_INPUT_FOLDED:
		return SD_TEXT_FOLDED;
	case SD_INPUT_PERF_REPORT:
		return SD_TEXT_PERF_REPORT;
	default:
		return SD_TEXT_UNKNOWN;
	}
}

int sd_run_text(struct sd_analysis *a, const struct sd_analysis_opts *o,
		struct sd_input_data *in, struct sd_diags *why)
{
	const char *name = sd_input_kind_name(in->kind);
	struct feed f = {.a = a, .o = o, .in = in, .kind = in->kind};
	struct sd_text_ops ops = {on_sample, on_header, &f, o->fold_with,
				  on_fork};
	struct sd_text_result res;
	int err;

	a->text_info.pipe = in->pipe;
	a->text_info.file_size = in->len;
	if (o->symbols.kallsyms || o->symbols.vmlinux || o->symbols.symfs)
		sd_diags_add(&a->diags, SD_NOTE, 0, UINT64_MAX,
			     "%s text names its frames itself: the symbol "
			     "options are not used.", name);
	err = sd_text_parse(text_kind(in->kind), in->buf, in->len, &ops,
			    &a->diags, &res);
	settle_switch(&f);
	free(f.chain);
	if (!err)
		err = sd_forks_count(a, f.have_time ? f.first_time : 0,
				     f.have_time ? f.last_time : 0);
	if (err) {
		if (why)
			sd_diags_move(why, &a->diags);
		return err;
	}
	if (f.too_many_events)
		sd_diags_add(&a->diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "more than %d events: %llu samples of the others "
			     "are not analysed", SD_TEXT_MAX_EVENTS,
			     (unsigned long long)f.too_many_events);
	if (!a->samples && why) {
		sd_diags_move(why, &a->diags);
		sd_diags_add(why, SD_ERROR, SD_E_BAD_RECORD, UINT64_MAX,
			     "%s text, but not one sample could be read from it",
			     name);
		return -SD_E_BAD_RECORD;
	}
	if (in->kind == SD_INPUT_FOLDED)
		sd_diags_add(&a->diags, SD_NOTE, 0, UINT64_MAX,
			     "folded stacks: counts only; there are no pids and "
			     "no timeline (nor sched_switch records: see the "
			     "stalls note).");
	if (f.have_time) {
		a->text_stats.first_time = f.first_time;
		a->text_stats.last_time = f.last_time;
		a->text_info.has_sample_time = true;
		a->text_info.sample_time_first = f.first_time;
		a->text_info.sample_time_last = f.last_time;
	}
	a->text_stats.bytes_consumed = in->len;
	a->text_stats.bad_records = res.bad_lines;
	if (o->progress)
		o->progress(o->progress_arg, in->len, in->len);
	return sd_stacks_symbolize(a->stacks, a->machine);
}

void sd_text_source_fini(struct sd_analysis *a)
{
	struct sd_file_info *in = &a->text_info;

	for (size_t i = 0; i < a->text_nr_evsels; i++) {
		free(a->text_evsels[i]->name);
		free(a->text_evsels[i]);
	}
	free(a->text_evsels);
	a->text_evsels = NULL;
	a->text_nr_evsels = 0;
	sd_file_info_fini(in);
}
