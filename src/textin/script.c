/* SPDX-License-Identifier: MIT */
/*
 * perf script text.  A sample is a header line
 *
 *	comm  pid[/tid]  [cpu]  secs.frac:  [period]  event:  [payload|ip sym (dso)]
 *
 * (fields after pid optional, as -F leaves them out; the comm may hold
 * spaces and is right-aligned when the sample has no call chain), then one
 * line per frame, leaf first,
 *
 *	<whitespace> addr sym[+off] (dso)
 *
 * and a blank line.  The header is found as stackcollapse-perf.pl finds it
 * (the first "pid" after the comm), but only where an event or a time
 * follows, so that folded lines and frame lines never pass for one.
 * Frames are named exactly as stackcollapse-perf.pl names them
 * (stacks/fold.c), so a perf script file folds to what perf's own
 * pipeline gives.  Side-band record lines (--show-task-events, ...) are
 * not samples: FORK lines go to ops->fork, the rest are counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "textin/script.h"

struct tok {
	const char *s;
	size_t n;
};

#define MAX_TOKS 24

static size_t tokenize(const char *s, size_t n, struct tok *t, size_t max)
{
	size_t k = 0, i = 0;

	while (k < max) {
		while (i < n && sd_tis_space(s[i]))
			i++;
		if (i >= n)
			break;
		size_t b = i;
		while (i < n && !sd_tis_space(s[i]))
			i++;
		t[k].s = s + b;
		t[k].n = i - b;
		k++;
	}
	return k;
}

static bool parse_id(const char *s, size_t n, uint32_t *v)
{
	uint64_t x;

	if (n == 2 && s[0] == '-' && s[1] == '1') {
		*v = SD_TEXT_NO_PID;
		return true;
	}
	if (!sd_tparse_u64(s, n, &x) || x >= UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "pid", "pid/tid" (either may be -1) */
static bool pid_token(const struct tok *t, uint32_t *pid, uint32_t *tid,
		      bool *both)
{
	const char *slash = memchr(t->s, '/', t->n);

	if (!slash) {
		*both = false;
		return parse_id(t->s, t->n, tid) && ((*pid = *tid), true);
	}
	*both = true;
	return parse_id(t->s, (size_t)(slash - t->s), pid) &&
	       parse_id(slash + 1, t->n - (size_t)(slash - t->s) - 1, tid);
}

static bool cpu_token(const struct tok *t)
{
	if (t->n < 3 || t->s[0] != '[' || t->s[t->n - 1] != ']')
		return false;
	for (size_t i = 1; i + 1 < t->n; i++)
		if (!sd_tis_digit(t->s[i]))
			return false;
	return true;
}

/* "640.374340:" -> ns (the fraction is µs, or ns with --ns) */
static bool time_token(const struct tok *t, uint64_t *ns)
{
	uint64_t sec, frac = 0;
	size_t n = t->n;

	if (n < 2 || t->s[n - 1] != ':')
		return false;
	n--;
	const char *dot = memchr(t->s, '.', n);
	size_t sn = dot ? (size_t)(dot - t->s) : n;
	if (!sd_tparse_u64(t->s, sn, &sec) || sec > 18000000000ull)
		return false;
	if (dot) {
		size_t fn = n - sn - 1;
		if (!fn || fn > 9 || !sd_tparse_u64(dot + 1, fn, &frac))
			return false;
		for (size_t i = fn; i < 9; i++)
			frac *= 10;
	}
	*ns = sec * 1000000000ull + frac;
	return true;
}

struct header {
	const char *comm;
	size_t comm_n;
	uint32_t pid, tid;
	bool pid_given;
	bool has_time, has_period, has_cpu;
	uint64_t time, period;
	uint32_t cpu;
	const char *event;
	size_t event_n;
	const char *rest; /* after the event (or time) */
	size_t rest_n;
};

/* Is s a perf script sample header?  Fills h. */
static bool parse_header(const char *s, size_t n, struct header *h)
{
	struct tok t[MAX_TOKS];
	size_t nt = tokenize(s, n, t, MAX_TOKS);

	for (size_t k = 1; k < nt; k++) {
		bool both;
		memset(h, 0, sizeof *h);
		if (!pid_token(&t[k], &h->pid, &h->tid, &both))
			continue;
		h->pid_given = both;
		size_t j = k + 1;
		if (j < nt && cpu_token(&t[j])) {
			uint64_t c;
			if (sd_tparse_u64(t[j].s + 1, t[j].n - 2, &c) &&
			    c < UINT32_MAX) {
				h->has_cpu = true;
				h->cpu = (uint32_t)c;
			}
			j++;
		}
		if (j < nt && time_token(&t[j], &h->time)) {
			h->has_time = true;
			j++;
		}
		if (j + 1 < nt && sd_tparse_u64(t[j].s, t[j].n, &h->period) &&
		    t[j + 1].n >= 2 && t[j + 1].s[t[j + 1].n - 1] == ':') {
			h->has_period = true;
			j++;
		}
		if (j < nt && t[j].n >= 2 && t[j].s[t[j].n - 1] == ':' &&
		    t[j].s[0] != ':') {
			h->event = t[j].s;
			h->event_n = t[j].n - 1;
			j++;
		} else if (!h->has_time) {
			continue;
		} else {
			h->has_period = false;
		}
		const char *end = t[j - 1].s + t[j - 1].n;
		h->rest = end;
		h->rest_n = n - (size_t)(end - s);
		h->comm = t[0].s;
		size_t cn = (size_t)(t[k].s - t[0].s);
		while (cn && sd_tis_space(h->comm[cn - 1]))
			cn--;
		h->comm_n = cn;
		return true;
	}
	return false;
}

/*
 * "addr sym (dso)" split as stackcollapse-perf.pl's ^\s*(\w+)\s*(.+) \((.*)\)
 * does: sym up to the last " (" that has a ')' after it, dso up to the
 * last ')'.  Without " (dso)" (-F ip,sym) the rest is the symbol.
 */
struct frame {
	uint64_t addr;
	bool has_addr;
	const char *pc; /* the address as printed */
	size_t pc_n;
	const char *sym;
	size_t sym_n;
	const char *dso; /* NULL: not printed */
	size_t dso_n;
};

static bool is_word(char c)
{
	return sd_tis_hex(c) || c == '_' || (c >= 'g' && c <= 'z') ||
	       (c >= 'G' && c <= 'Z');
}

static bool parse_frame(const char *s, size_t n, struct frame *f)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	while (i < n && sd_tis_space(s[i]))
		i++;
	size_t a0 = i;
	while (i < n && is_word(s[i]))
		i++;
	if (i == a0)
		return false;
	size_t p = i; /* end of (\w+) */
	while (i < n && sd_tis_space(s[i]))
		i++;
	size_t q = i; /* end of \s* */
	size_t rn = n;
	while (rn > q && sd_tis_space(s[rn - 1]))
		rn--;
	if (rn == q) {
		if (!sd_tparse_hex(s + a0, p - a0, &f->addr))
			return false;
		f->has_addr = true;
		f->pc = s + a0;
		f->pc_n = p - a0;
		f->sym = "[unknown]";
		f->sym_n = 9;
		return true;
	}
	/* (.+) \((.*)\): the last " (" with a ')' after it, searched from
	 * the end of (\w+) on */
	size_t close = n, split = n;
	for (size_t k = n; k-- > p;)
		if (s[k] == ')') {
			close = k;
			break;
		}
	for (size_t k = close; close < n && k-- > p;)
		if (s[k] == ' ' && k + 2 <= close && s[k + 1] == '(') {
			split = k;
			break;
		}
	size_t sym0 = q;
	if (split == n) {
		/* no " (dso)" (-F ip,sym): the rest is the symbol */
		split = rn;
		close = n;
	} else if (split < q + 1) {
		/* (.+) needs a character: \s* gives one back, or \w+ does
		 * ("7f..  (dso)" is the symbol " ") */
		if (split >= p + 1)
			sym0 = split - 1;
		else if (p - a0 >= 2)
			sym0 = --p;
		else
			return false;
	}
	if (!sd_tparse_hex(s + a0, p - a0, &f->addr))
		return false;
	f->has_addr = true;
	f->pc = s + a0;
	f->pc_n = p - a0;
	f->sym = s + sym0;
	f->sym_n = split - sym0;
	if (close < n) {
		f->dso = s + split + 2;
		f->dso_n = close - split - 2;
	}
	return true;
}

/* A source line perf prints under a frame with -F +srcline. */
static bool srcline(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && sd_tis_space(s[i]))
		i++;
	if (i == 0 || i == n)
		return false;
	const char *colon = NULL;
	for (size_t k = n; k-- > i;)
		if (s[k] == ':') {
			colon = s + k;
			break;
		}
	if (!colon)
		return memchr(s + i, '[', n - i) && s[n - 1] == ']';
	uint64_t v;
	return sd_tparse_u64(colon + 1, (size_t)(s + n - colon - 1), &v);
}

/* The frame after the event on a one-line sample: "... ip sym (dso)". */
static bool inline_frame(const char *s, size_t n, struct frame *f)
{
	struct tok t[MAX_TOKS];
	size_t nt = tokenize(s, n, t, MAX_TOKS);

	for (size_t k = 0; k + 1 < nt; k++) {
		uint64_t a;
		if (!sd_tparse_hex(t[k].s, t[k].n, &a))
			continue;
		size_t off = (size_t)(t[k].s - s);
		if (parse_frame(s + off, n - off, f) && f->dso)
			return true;
	}
	return false;
}

struct sample {
	bool open;
	struct header h;
	char comm[256];
	char event[256];
	struct sw_payload sw;
	bool is_switch;
	struct lock_payload lock;
	uint64_t line, offset;
	uint64_t weight;  /* sd_text_script_period() of the header */
	bool filterable;  /* ... and whether it found an event */
	bool frame_lines; /* frames on lines of their own */
	/* frames as read, leaf first; syms.kern: a kernel-half address,
	 * dsos.kern: no "(dso)" was printed; pcs: the addresses printed */
	struct sd_tnames syms, dsos, pcs;
	struct sd_tnames out; /* folded names, root first */
	uint8_t *marks;       /* SD_FRAME_* of out's names */
	size_t marks_cap;
	unsigned fold_with;
};

static int push_frame(struct sample *sm, const struct frame *f)
{
	if (sm->syms.n >= SD_TEXT_MAX_FRAMES) {
		sm->syms.truncated = true;
		return 0;
	}
	int err = sd_tnames_push(&sm->syms, f->sym, f->sym_n,
				 f->has_addr && f->addr >= 0xffff000000000000ull);
	if (!err)
		err = sd_tnames_push(&sm->dsos, f->dso ? f->dso : "",
				     f->dso ? f->dso_n : 0, !f->dso);
	if (!err)
		err = sd_tnames_push(&sm->pcs, f->pc, f->pc_n, false);
	if (err)
		return err;
	if (sm->dsos.n != sm->syms.n || sm->pcs.n != sm->syms.n)
		return -ENOMEM;
	return 0;
}

/* Room for the marks of n names. */
static int marks_room(struct sample *sm, size_t n)
{
	if (n <= sm->marks_cap)
		return 0;
	size_t cap = sm->marks_cap ? sm->marks_cap * 2 : 64;
	while (cap < n)
		cap *= 2;
	uint8_t *m = realloc(sm->marks, cap);
	if (!m)
		return -ENOMEM;
	sm->marks = m;
	sm->marks_cap = cap;
	return 0;
}

static int emit(struct sample *sm, const struct sd_text_ops *ops,
		struct sd_text_result *res, struct sd_diags *diags, bool cut)
{
	size_t nf = sm->syms.n;
	bool any_dso = false, any_kaddr = false;
	int err = 0;

	sm->open = false;
	sd_tnames_reset(&sm->out);
	for (size_t i = 0; i < nf; i++) {
		any_dso |= !sm->dsos.kern[i];
		any_kaddr |= sm->syms.kern[i];
	}
	/* root first: the last frame line is the outermost caller */
	for (size_t i = nf; i-- > 0;) {
		const char *sym = sd_tnames_get(&sm->syms, i);
		const char *dso = sm->dsos.kern[i] ? NULL : sd_tnames_get(&sm->dsos, i);
		bool kern = sm->syms.kern[i];
		if (dso && strcmp(dso, "[unknown]"))
			kern = sd_text_dso_is_kernel(dso);
		char *parts[8];
		const char *mod = dso ? dso : "[unknown]";
		const char *pc = sm->fold_with & SD_FOLD_ADDRS
					 ? sd_tnames_get(&sm->pcs, i)
					 : NULL;
		int k = sd_fold_frame(sym, mod, pc, parts, 8);
		if (k < 0)
			return -ENOMEM;
		for (int q = 0; q < k; q++) {
			size_t at = sm->out.n;
			if (!err)
				err = sd_tnames_push(&sm->out, parts[q], strlen(parts[q]),
						     kern);
			if (!err && sm->out.n > at &&
			    !(err = marks_room(sm, sm->out.n)))
				sm->marks[at] = q ? 0 : (uint8_t)sd_fold_dso_marks(mod);
			free(parts[q]);
		}
		if (err)
			return err;
	}
	const char *const *frames;
	if ((err = sd_tnames_ptrs(&sm->out, &frames)))
		return err;
	/* no DSO printed (-F ip,sym) and no kernel address: by name */
	if (!any_dso && !any_kaddr && sm->out.n)
		sd_text_mark_kernel(frames, sm->out.kern, sm->out.n, -1);
	if ((sm->syms.truncated || sm->out.truncated) && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_LIMIT, UINT64_MAX,
			     "line %llu: a call chain of more than %u frames was "
			     "cut", (unsigned long long)sm->line,
			     SD_TEXT_MAX_FRAMES);
	struct sd_text_sample s = {
		.event = sm->event,
		.comm = sm->comm,
		.pid = sm->h.pid,
		.tid = sm->h.tid,
		.has_time = sm->h.has_time,
		.time = sm->h.time,
		.has_period = sm->h.has_period,
		.period = sm->h.period,
		.has_cpu = sm->h.has_cpu,
		.cpu = sm->h.cpu,
		.count = 1,
		.weight = sm->weight,
		.pid_given = sm->h.pid_given,
		.filterable = sm->filterable,
		.folded_out = cut,
		.frames = frames,
		.kernel = sm->out.kern,
		.marks = sm->out.n ? sm->marks : NULL,
		.nr_frames = sm->out.n,
		.has_switch = sm->is_switch && sm->sw.ok,
		.prev_comm = sm->sw.prev_comm,
		.prev_state = sm->sw.prev_state,
		.next_comm = sm->sw.next_comm,
		.prev_pid = sm->sw.prev_pid,
		.next_pid = sm->sw.next_pid,
		.has_lock = sm->lock.ok,
		.lock_begin = sm->lock.kind == 1,
		.lock_addr = sm->lock.addr,
		.lock_flags = sm->lock.flags,
		.line = sm->line,
		.offset = sm->offset,
	};
	if (sm->is_switch) {
		if (sm->sw.ok) {
			res->switch_payloads++;
		} else if (!res->switch_unreadable++ && diags) {
			sd_diags_add(diags, SD_WARNING, SD_E_BAD_RECORD, UINT64_MAX,
				     "line %llu: a sched_switch sample without "
				     "its payload (prev_state=... ==> next_pid=...): "
				     "D-state sleeps cannot be followed (print "
				     "it with perf script -F ...,trace,...)",
				     (unsigned long long)sm->line);
		}
	}
	if (cut && diags)
		sd_diags_add(diags, SD_WARNING, SD_E_TRUNCATED, UINT64_MAX,
			     "line %llu: the last sample has no blank line after "
			     "it: it is analysed, but not in the folded stacks, "
			     "as stackcollapse-perf.pl drops it too",
			     (unsigned long long)sm->line);
	res->samples++;
	return ops->sample(ops->arg, &s);
}

static int start(struct sample *sm, const struct header *h,
		 const struct sd_tline *ln)
{
	sm->open = true;
	sm->h = *h;
	sm->line = ln->no;
	sm->offset = ln->off;
	sm->frame_lines = false;
	sd_tnames_reset(&sm->syms);
	sd_tnames_reset(&sm->dsos);
	sd_tnames_reset(&sm->pcs);
	const char *ev;
	size_t evn;
	sm->filterable = sd_text_script_period(ln->s, ln->n, &sm->weight, &ev,
					       &evn);
	sd_tcopy(sm->comm, sizeof sm->comm, h->comm, h->comm_n);
	sd_tcopy(sm->event, sizeof sm->event, h->event ? h->event : "",
		 h->event ? h->event_n : 0);
	sm->is_switch = h->event && sd_tscript_is_switch(h->event, h->event_n);
	if (sm->is_switch)
		sd_tscript_switch(h->rest, h->rest_n, &sm->sw);
	else
		memset(&sm->sw, 0, sizeof sm->sw);
	int lk = h->event ? sd_tscript_lock_event(h->event, h->event_n) : 0;
	if (lk)
		sd_tscript_lock(h->rest, h->rest_n, lk, &sm->lock);
	else
		memset(&sm->lock, 0, sizeof sm->lock);
	/* a lock event's payload ends in "(flags=...)", which the frame
	 * pattern would take for "sym (dso)" */
	struct frame f;
	if (h->rest_n && !lk && inline_frame(h->rest, h->rest_n, &f))
		return push_frame(sm, &f);
	return 0;
}

/* A side-band record line, h its header's fields: a FORK goes to
 * ops->fork with the header's comm and time. */
static int record_line(const struct sd_tline *ln, size_t at,
		       const struct header *h, const struct sd_text_ops *ops,
		       struct sd_text_result *res)
{
	struct sd_text_fork f = {.line = ln->no};
	char comm[64];

	res->records++;
	if (!ops->fork || !sd_tscript_fork(ln->s + at, ln->n - at, &f))
		return 0;
	sd_tcopy(comm, sizeof comm, h->comm, h->comm_n);
	f.comm = comm;
	f.has_time = h->has_time;
	f.time = h->time;
	return ops->fork(ops->arg, &f);
}

int sd_text_parse_perf_script(const void *buf, size_t len,
			      const struct sd_text_ops *ops,
			      struct sd_diags *diags, struct sd_text_result *res)
{
	struct sd_text_result local;
	struct sd_tlines it;
	struct sd_tline ln;
	struct sample *sm = calloc(1, sizeof *sm);
	int err = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->kind = SD_TEXT_PERF_SCRIPT;
	if (!sm)
		return -ENOMEM;
	sm->fold_with = ops->fold_with;
	sd_tlines_init(&it, buf, len);
	while (!err && sd_tlines_next(&it, &ln)) {
		struct header h;
		struct frame f;
		size_t i = 0;
		res->lines++;
		while (i < ln.n && sd_tis_space(ln.s[i]))
			i++;
		if (i == ln.n) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			continue;
		}
		if (ln.s[0] == '#') {
			err = sd_theader_line(ln.s, ln.n, ops);
			continue;
		}
		/* a side-band record (a task event, a map) after a header's
		 * fields: not a sample */
		size_t at = sd_tscript_record_at(ln.s, ln.n);
		if (at < ln.n && parse_header(ln.s, at, &h)) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			if (!err)
				err = record_line(&ln, at, &h, ops, res);
			continue;
		}
		/* a header first: frame lines never have a pid followed by
		 * a time or an event, a right-aligned comm may look like an
		 * address */
		if (parse_header(ln.s, ln.n, &h)) {
			if (sm->open)
				err = emit(sm, ops, res, diags, false);
			if (!err)
				err = start(sm, &h, &ln);
			continue;
		}
		if (sm->open && parse_frame(ln.s, ln.n, &f)) {
			sm->frame_lines = true;
			err = push_frame(sm, &f);
			continue;
		}
		if (sm->open && srcline(ln.s, ln.n))
			continue;
		sd_tbad_line(diags, res,
			     &ln, sm->open ? "not a frame line (addr sym (dso))"
					   : "not a perf script sample header "
					     "(comm pid [cpu] time: event:)");
	}
	/* stackcollapse-perf.pl folds a sample at its blank line: one that
	 * the text's end cuts off is not in its output (one-line samples
	 * without call chains are split into lines first, see
	 * tests/golden/make-golden.sh) */
	if (!err && sm->open)
		err = emit(sm, ops, res, diags, sm->frame_lines);
	sd_tnames_fini(&sm->syms);
	sd_tnames_fini(&sm->dsos);
	sd_tnames_fini(&sm->pcs);
	sd_tnames_fini(&sm->out);
	free(sm->marks);
	free(sm);
	return err;
}

bool sd_text_script_period(const char *s, size_t n, uint64_t *weight,
			   const char **event, size_t *event_n)
{
	*weight = 1;
	*event = NULL;
	*event_n = 0;
	/* :\s*(\d+)*\s+(\S+):\s*$ -- from the end: "event:" as the last
	 * token, blanks, maybe digits, blanks, ':' */
	while (n && (sd_tis_space(s[n - 1]) || s[n - 1] == '\n'))
		n--;
	if (n < 2 || s[n - 1] != ':')
		return false;
	size_t t = n - 1;
	while (t && !sd_tis_space(s[t - 1]) && s[t - 1] != '\n')
		t--;
	if (t == n - 1 || !t)
		return false; /* (\S+) empty, or no blank before it */
	size_t w = t;
	while (w && (sd_tis_space(s[w - 1]) || s[w - 1] == '\n'))
		w--;
	size_t d = w;
	while (d && sd_tis_digit(s[d - 1]))
		d--;
	size_t c = d;
	if (d < w)
		while (c && (sd_tis_space(s[c - 1]) || s[c - 1] == '\n'))
			c--;
	if (!c || s[c - 1] != ':')
		return false;
	uint64_t v;
	/* Perl: a period of "0" is false, so 1; "00" is true, so 0 */
	if (d < w && !(w - d == 1 && s[d] == '0') &&
	    sd_tparse_u64(s + d, w - d, &v))
		*weight = v;
	*event = s + t;
	*event_n = n - 1 - t;
	return true;
}
