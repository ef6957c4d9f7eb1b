/* SPDX-License-Identifier: MIT */
/*
 * Text input as an analysis: the parsers' stacks go to sd_stacks as named
 * stacks, comms to the machine, sched_switch payloads to the stall
 * tracker in the order perf script printed them (time order), and what the
 * text says about itself to text_info/text_stats/text_evsels, so that the
 * diagnosis and every report work as for perf.data.
 *
 * A file is mapped and read once from start to end; pages already parsed
 * are dropped every SD_TEXT_RELEASE bytes, so a big perf script file does
 * not stay resident.  Standard input is read into memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/textin.h>

#include "detect/stalls.h"
#include "detect/tables.h"
#include "textin/feed.h"
#include "textin/internal.h"
#include "util/file.h"

#define SD_TEXT_RELEASE (64u << 20)
#define SD_TEXT_PROGRESS 65536 /* samples */
#define SD_TEXT_MAX_EVENTS 64

struct input {
	const char *buf;
	size_t len;
	void *map;    /* mmap()ed, or NULL */
	char *owned;  /* malloc()ed, or NULL */
	bool pipe;
	size_t released;
};

struct feed {
	struct sd_analysis *a;
	const struct sd_analysis_opts *o;
	struct input *in;
	enum sd_text_kind kind;
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

static void input_free(struct input *in)
{
	if (in->map)
		munmap(in->map, in->len);
	free(in->owned);
	memset(in, 0, sizeof *in);
}

static int read_all(int fd, struct input *in)
{
	size_t len;
	char *b;
	int err = sd_read_fd(fd, SIZE_MAX, &b, &len);

	if (err)
		return err;
	in->owned = b;
	in->buf = b;
	in->len = len;
	return 0;
}

static int load_path(const char *path, struct input *in)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > SIZE_MAX) {
			err = -EFBIG;
		} else {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ,
				       MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				err = -errno;
			} else {
				madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
				in->map = m;
				in->buf = m;
				in->len = (size_t)st.st_size;
			}
		}
	} else if (!S_ISREG(st.st_mode)) {
		in->pipe = true;
		err = read_all(fd, in);
	}
	close(fd);
	return err;
}

/* Parsed pages of a mapping are not needed again. */
static void release_parsed(struct input *in, uint64_t offset)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (!in->map || pg <= 0 || offset < in->released + SD_TEXT_RELEASE ||
	    offset > in->len)
		return;
	size_t upto = (size_t)offset & ~((size_t)pg - 1);
	if (upto > in->released) {
		madvise((char *)in->map + in->released, upto - in->released,
			MADV_DONTNEED);
		in->released = upto;
	}
}

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
		name = f->kind == SD_TEXT_FOLDED	 ? "folded"
		       : f->kind == SD_TEXT_PERF_REPORT ? "perf-report"
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
		if (sd_tparse_u64(r, strspn(r, "0123456789"), &rate)) {
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
	if (!r || !sd_tparse_u64(r, strspn(r, "0123456789"), &rate))
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
			sd_tparse_u64(arg, strspn(arg, "0123456789"), &v);
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
	    sd_tparse_u64(value, strlen(value), &n) && n < UINT32_MAX)
		in->nr_cpus_online = (uint32_t)n;
	if (!strcmp(key, "nrcpus avail") &&
	    sd_tparse_u64(value, strlen(value), &n) && n < UINT32_MAX)
		in->nr_cpus_avail = (uint32_t)n;
	return 0;
}

static bool state_is_d(const struct feed *f, const char *st)
{
	uint64_t v;

	if (sd_tparse_u64(st, strlen(st), &v))
		return sd_prev_state_is_d(f->era, v);
	/* letters as perf prints them: "D", "D|K" (killable), not "R+" */
	return strchr(st, 'D') != NULL;
}

static int on_sample(void *arg, const struct sd_text_sample *s)
{
	struct feed *f = arg;
	struct sd_analysis *a = f->a;
	struct sd_evsel *ev = evsel_get(f, s->event);
	uint32_t stack;
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
	err = sd_stacks_add_named(a->stacks, &ns, &stack);
	if (err)
		return err;
	if (s->filterable && !a->text_first_evsel)
		a->text_first_evsel = ev;
	if (s->has_period && f->kind == SD_TEXT_PERF_SCRIPT)
		a->text_periods = true;
	ev->nr_samples += s->count;
	ev->total_period += period;
	a->samples += s->count;
	a->records++;
	a->text_stats.records[SD_REC_SAMPLE]++;
	if (s->has_time) {
		if (!f->have_time || s->time < f->first_time)
			f->first_time = s->time;
		if (!f->have_time || s->time > f->last_time)
			f->last_time = s->time;
		f->have_time = true;
	}
	if (ev->type == SD_TYPE_TRACEPOINT && strstr(ev->name, "sched_switch")) {
		/* a period other than 1 means a frequency-sampled tracepoint */
		if (s->has_period && s->period != 1)
			f->switch_period_other++;
		else if (s->has_period)
			f->switch_period_one++;
		if (s->has_switch && s->has_cpu &&
		    (err = follow_chain(f, s->cpu, s->prev_pid, s->next_pid)))
			return err;
		a->switch_evsel = ev;
		if (s->has_switch && s->has_time) {
			uint32_t pid = s->pid != SD_TEXT_NO_PID ? s->pid : s->prev_pid;
			err = sd_stalls_switch(a->stalls, s->time, pid, s->prev_pid,
					       state_is_d(f, s->prev_state),
					       s->next_pid, stack, comm);
			if (err)
				return err;
		}
	} else if (s->has_time && s->tid != SD_TEXT_NO_PID) {
		err = sd_stalls_seen(a->stalls, s->pid, s->tid, stack,
				     s->time);
		if (!err && s->has_lock)
			err = sd_stalls_contention(a->stalls, s->time, s->pid,
						   s->tid, stack, s->lock_addr,
						   s->lock_flags, s->lock_begin);
		if (err)
			return err;
	}
	if (f->kind != SD_TEXT_PERF_REPORT)
		release_parsed(f->in, s->offset);
	if (f->o->progress && a->samples >= f->next_progress) {
		f->next_progress = a->samples + SD_TEXT_PROGRESS;
		f->o->progress(f->o->progress_arg, s->offset, f->in->len);
	}
	return 0;
}

/* ---- the run --------------------------------------------------------- */

static int analyse(struct sd_analysis *a, const struct sd_analysis_opts *o,
		   struct input *in, struct sd_diags *why)
{
	enum sd_text_kind kind = sd_text_detect(in->buf, in->len);
	struct feed f = {.a = a, .o = o, .in = in, .kind = kind};
	struct sd_text_ops ops = {on_sample, on_header, &f, o->fold_with};
	struct sd_text_result res;
	int err;

	if (kind == SD_TEXT_UNKNOWN) {
		if (why)
			sd_diags_add(why, SD_ERROR, SD_E_BAD_MAGIC, UINT64_MAX,
				     "not perf script output, folded stacks or "
				     "perf report text either");
		return -SD_E_BAD_MAGIC;
	}
	a->input_kind = sd_text_kind_name(kind);
	if ((err = sd_machine_new(NULL, &a->machine)) ||
	    (err = sd_stacks_new(&a->stacks)))
		return err;
	sd_stacks_set_fold(a->stacks, o->fold_with);
	a->stalls = calloc(1, sizeof *a->stalls);
	if (!a->stalls)
		return -ENOMEM;
	sd_stalls_init(a->stalls);
	a->text_info.pipe = in->pipe;
	a->text_info.file_size = in->len;
	if (o->symbols.kallsyms || o->symbols.vmlinux || o->symbols.symfs)
		sd_diags_add(&a->diags, SD_NOTE, 0, UINT64_MAX,
			     "%s text names its frames itself: the symbol "
			     "options are not used.", a->input_kind);
	err = sd_text_parse(kind, in->buf, in->len, &ops, &a->diags, &res);
	settle_switch(&f);
	free(f.chain);
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
			     a->input_kind);
		return -SD_E_BAD_RECORD;
	}
	if (kind == SD_TEXT_FOLDED)
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

int sd_text_analysis(struct sd_analysis *a, const struct sd_analysis_opts *o,
		     struct sd_diags *why)
{
	struct input in = {0};
	int err;

	if (o->buf) {
		in.buf = o->buf;
		in.len = o->len;
	} else if ((err = load_path(o->path, &in))) {
		return err;
	}
	err = analyse(a, o, &in, why);
	input_free(&in);
	return err;
}

static bool perf_magic(const unsigned char *b, size_t n)
{
	/* "PERFILE2" or "2ELIFREP" (the other byte order), or a prefix */
	static const char m1[] = "PERFILE2", m2[] = "2ELIFREP";
	return n && (!memcmp(b, m1, n < 8 ? n : 8) || !memcmp(b, m2, n < 8 ? n : 8));
}

int sd_text_analysis_stdin(struct sd_analysis *a,
			   const struct sd_analysis_opts *o,
			   struct sd_diags *why)
{
	struct stat st;
	unsigned char head[8];
	size_t n = 0;
	struct input in = {0};
	int err;

	if (fstat(STDIN_FILENO, &st))
		return 1;
	if (S_ISREG(st.st_mode)) {
		off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
		if (pos < 0)
			return 1;
		ssize_t k = pread(STDIN_FILENO, head, sizeof head, pos);
		if (k <= 0 || perf_magic(head, (size_t)k))
			return 1;
	} else if (S_ISFIFO(st.st_mode)) {
		/* look without consuming: copy the pipe's first bytes */
		int p[2];
		if (pipe2(p, O_CLOEXEC))
			return 1;
		ssize_t k = tee(STDIN_FILENO, p[1], sizeof head, 0);
		if (k > 0)
			n = (size_t)read(p[0], head, (size_t)k);
		close(p[0]);
		close(p[1]);
		/* nothing (EOF) or a perf.data stream: the reader's case */
		if (k <= 0 || !n || perf_magic(head, n))
			return 1;
		in.pipe = true;
	} else {
		return 1;
	}
	if ((err = read_all(STDIN_FILENO, &in)))
		return err;
	err = analyse(a, o, &in, why);
	input_free(&in);
	return err;
}

void sd_text_analysis_fini(struct sd_analysis *a)
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
