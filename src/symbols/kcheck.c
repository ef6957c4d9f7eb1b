/* SPDX-License-Identifier: MIT */
/*
 * Do the kernel symbols belong to the recorded kernel?
 *
 * A build-id settles it where both sides have one (symbolizer.c compares
 * them when it picks the source).  A kallsyms text has none, so it is
 * checked against what every real recording shows of its kernel:
 *
 *   entry    kernel call chains start (outermost frame) in a handful of
 *            entry points: system call, interrupt and exception entry,
 *            ret_from_fork and kernel threads, the idle and CPU start-up
 *            paths.  Named with another kernel's symbols, return
 *            addresses land in arbitrary functions instead.
 *   text     sampled kernel IPs of the core kernel lie inside its text
 *            (_text.._etext, or the init text).
 *   map      perf records the kernel map as [_text, _etext) (perf 4.18 and
 *            later write _etext - _text as its length, to the byte); a
 *            kallsyms of the same build gives the same length.  A length
 *            that differs, is not page-aligned and is shorter than 256 MiB
 *            (no kernel text is longer) is another build; perf 3.x wrote
 *            the distance to the end of the kernel mapping (hundreds of
 *            MB), made-up recordings round numbers: those tell nothing.
 *   release  names only some releases have (the table below) against the
 *            recorded OSRELEASE.
 *   arch     the kallsyms _text where the recorded architecture's kernel
 *            text is: another architecture's symbols, moved onto the
 *            recorded _text by the KASLR relocation, could pass the rest.
 *
 * An exact map length makes matches 1 unless the release contradicts it
 * (sampled IPs or chains that disagree then come from damaged samples);
 * otherwise any contradiction makes it 0, chains that start at entry
 * points make it 1, and nothing either way -1.  The rates measured on
 * real recordings are in swapdiag-report(5).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "symbols/internal.h"
#include "symbols/symbolizer_internal.h"

const char *sd_ksym_source_name(enum sd_ksym_source s)
{
	static const char *const n[] = {
		[SD_KSYM_NONE] = "none",
		[SD_KSYM_KALLSYMS] = "kallsyms",
		[SD_KSYM_BUNDLE] = "bundle",
		[SD_KSYM_PERF_ARCHIVE] = "perf-archive",
		[SD_KSYM_BUILDID_CACHE] = "build-id-cache",
		[SD_KSYM_RUNNING_KERNEL] = "running-kernel",
		[SD_KSYM_VMLINUX] = "vmlinux",
	};
	return (unsigned)s < sizeof n / sizeof *n ? n[s] : "none";
}

/*
 * Where kernel call chains start, per era and architecture: exact names,
 * then prefixes.  x86-64 2.6.32 .. 6.18 (system_call*, stub_*, child_rip,
 * entry_SYSCALL_64*, asm_* idtentries, ret_from_fork[_asm]), i386 and
 * compat entries, arm64 (el0t_64_sync, el1h_64_irq, ...), arm, powerpc
 * (system_call_common, ret_from_kernel_thread); the idle and CPU start-up
 * paths; softirqs run on an irq stack, where a chain may stop.
 */
static const char *const entry_names[] = {
	"system_call", "system_call_fastpath", "system_call_after_swapgs",
	"system_call_common", "system_call_vectored_common",
	"system_call_vectored_emulate", "sysenter_do_call", "sysenter_entry",
	"ia32_sysenter_target", "ia32_syscall", "ia32_cstar_target",
	"int_ret_from_sys_call", "sysret_check", "sysret_careful",
	"sysret_signal", "int_signal", "retint_careful", "retint_signal",
	"ptregscall_common", "tracesys",
	"ret_from_fork", "ret_from_fork_asm", "ret_from_kernel_thread",
	"kernel_thread_helper", "kernel_thread_starter", "child_rip",
	"kthread",
	"page_fault", "async_page_fault", "error_entry", "error_exit",
	"common_interrupt", "ret_from_intr", "irq_entries_start",
	"apic_timer_interrupt", "reschedule_interrupt",
	"call_function_interrupt", "call_function_single_interrupt",
	"invalidate_interrupt0", "invalidate_interrupt1",
	"thermal_interrupt", "threshold_interrupt", "spurious_interrupt",
	"irq_work_interrupt", "x86_platform_ipi", "nmi", "end_repeat_nmi",
	"repeat_nmi", "debug", "int3", "general_protection",
	"invalid_op", "divide_error", "device_not_available", "do_nmi",
	"call_softirq", "do_softirq_own_stack", "irq_exit",
	"start_secondary", "secondary_startup_64",
	"secondary_startup_64_no_verify", "common_startup_64",
	"x86_64_start_kernel", "x86_64_start_reservations", "start_kernel",
	"rest_init", "cpu_startup_entry", "cpu_idle", "cpu_bringup_and_idle",
	"secondary_start_kernel", "__secondary_switched", "start_cpu",
	"start_cpu0", "startup_64", "xen_start_kernel",
	"handle_page_fault", "start_secondary_prolog", "start_here_common",
	"start_here_multiplatform", "decrementer_common",
	"hardware_interrupt_common", "data_access_common",
	"instruction_access_common", "ret_from_except", "ret_from_except_lite",
	"vector_swi", "ret_fast_syscall", "ret_to_user", "ret_to_user_from_irq",
	"__irq_svc", "__irq_usr", "__dabt_usr", "__dabt_svc", "__pabt_usr",
	"el0_svc", "el0_sync", "el0_irq", "el1_sync", "el1_irq",
	"xen_hypervisor_callback", "xen_do_hypervisor_callback",
	"xen_iret", "xen_syscall_target", "xen_sysenter_target",
};

static const char *const entry_prefixes[] = {
	"entry_SYSCALL", "entry_SYSENTER", "entry_INT80", "entry_syscall",
	"asm_", "stub_", "ptregs_", "el0t_", "el1h_", "el0_", "el1_",
	"__irqentry_text", "irq_stack_", "call_on_irq_stack",
};

bool sd_kernel_entry_point(const char *name)
{
	if (!name || !*name)
		return false;
	for (size_t i = 0; i < sizeof entry_names / sizeof *entry_names; i++)
		if (!strcmp(name, entry_names[i]))
			return true;
	for (size_t i = 0; i < sizeof entry_prefixes / sizeof *entry_prefixes;
	     i++)
		if (!strncmp(name, entry_prefixes[i], strlen(entry_prefixes[i])))
			return true;
	return false;
}

int sd_build_id_parse(const char *hex, struct sd_build_id *out)
{
	struct sd_build_id id = {0};
	size_t n = hex ? strlen(hex) : 0;

	if (!n || n % 2 || n / 2 > SD_BUILD_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		unsigned v = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16;
		if (v > 15)
			return -EINVAL;
		id.data[i / 2] = (uint8_t)(id.data[i / 2] << 4 | v);
	}
	id.size = (uint8_t)(n / 2);
	*out = id;
	return 0;
}

/* ---- the release ---------------------------------------------------- */

/*
 * Names that only some releases have, with bounds wide enough for distro
 * backports (RHEL 7/8/9 carry later code in older release numbers): a
 * kallsyms with the name cannot be of a release outside [min, max].
 * Versions as major * 10000 + minor * 100 + patch (2.6.32 = 20632).
 */
static const struct {
	const char *name;
	bool prefix;
	unsigned min, max;
	const char *what;
} release_marks[] = {
	{"__pfx_", true, 51400, 0, "__pfx_ padding symbols (6.2 and later)"},
	{"kernel_clone", false, 41800, 0, "kernel_clone (5.10 and later)"},
	{"begin_new_exec", false, 41800, 0, "begin_new_exec (5.8 and later)"},
	{"_raw_spin_lock", false, 20633, 0, "_raw_spin_lock (2.6.33 and later)"},
	{"entry_SYSCALL_64", false, 31000, 0,
	 "entry_SYSCALL_64 (4.2 and later)"},
	{"_spin_lock", false, 0, 20632, "_spin_lock (2.6.32 and earlier)"},
	{"system_call_fastpath", false, 0, 40100,
	 "system_call_fastpath (4.1 and earlier)"},
};

/* release_marks[]' whole names: kallsyms.c notes where they are */
const char *const sd_kcheck_names[SD_KCHECK_NAMES] = {
	"kernel_clone", "begin_new_exec", "_raw_spin_lock",
	"entry_SYSCALL_64", "_spin_lock", "system_call_fastpath",
};

/* "2.6.32-642.el6.x86_64" -> 20632; 0 if it does not start like one. */
static unsigned release_code(const char *rel)
{
	unsigned v[3] = {0, 0, 0};
	int n = 0;
	const char *p = rel;

	if (!p)
		return 0;
	while (n < 3 && *p >= '0' && *p <= '9') {
		unsigned x = 0;
		while (*p >= '0' && *p <= '9' && x < 100000)
			x = x * 10 + (unsigned)(*p++ - '0');
		v[n++] = x;
		if (*p != '.')
			break;
		p++;
	}
	if (n < 2 || v[1] > 99)
		return 0;
	return v[0] * 10000 + v[1] * 100 + (v[2] > 99 ? 99 : v[2]);
}

static bool table_has(const struct sd_symtab *t, const char *name, bool prefix)
{
	if (prefix && !strcmp(name, "__pfx_"))
		return t->nr_pfx > 0;
	return sd_symtab_find_name(t, name) != NULL;
}

/* ---- the checks ----------------------------------------------------- */

#define MIN_CHAINS 20 /* fewer kernel chains tell nothing */
#define MAX_TEXT (256ull << 20) /* no kernel's text is as long */
#define MIN_IPS 20
#define ENTRY_GOOD 0.80 /* share of chains at an entry point: the same kernel */
#define ENTRY_BAD 0.30  /* ... another kernel */
#define OUTSIDE_BAD 0.10 /* share of sampled IPs outside the text */

struct vote {
	int v; /* +1 matches, -1 contradicts, 0 no opinion */
	char text[200];
};

static void check_map(struct sd_symbolizer *s, struct sd_symtab *t,
		      struct vote *out)
{
	uint64_t ref, etext;
	const char *refsym = s->reloc_sym ? s->reloc_sym : "_text";

	if (!s->have_kmap || sd_symtab_ref_addr(t, refsym, &ref) < 0 ||
	    sd_symtab_ref_addr(t, "_etext", &etext) < 0 || etext <= ref)
		return;
	uint64_t want = etext - ref, len = s->kmap_len;
	if (len == want) {
		out->v = 1;
		snprintf(out->text, sizeof out->text,
			 "the recorded kernel map is %s.._etext = 0x%" PRIx64
			 " bytes, as in these symbols",
			 refsym, len);
	} else if ((len & 0xfff) && len < MAX_TEXT) {
		/* a length that could be a kernel text's (perf 3.x wrote the
		 * distance to the end of the kernel mapping, ~500 MB, which
		 * tells nothing) */
		out->v = -1;
		snprintf(out->text, sizeof out->text,
			 "the recorded kernel text (%s.._etext) is 0x%" PRIx64
			 " bytes, in these symbols 0x%" PRIx64,
			 refsym, len, want);
	}
}

#define NR_MARKS (sizeof release_marks / sizeof *release_marks)

/*
 * Whether the table holds a symbol named name, from what kallsyms.c noted
 * (t->noted_all): a noted line's symbol is in the table unless it was an
 * alias let go, found by its start (relocated with the core kernel's)
 * and its name, the very string noted.  -1: name is not one the parser
 * notes.
 */
static int noted_has(const struct sd_symtab *t, const char *name)
{
	size_t k;

	for (k = 0; k < SD_KCHECK_NAMES; k++)
		if (!strcmp(sd_kcheck_names[k], name))
			break;
	if (k == SD_KCHECK_NAMES)
		return -1;
	for (unsigned i = 0; i < t->nr_noted; i++) {
		const struct sd_noted *nt = &t->noted[i];
		if (strcmp(nt->name, name))
			continue;
		uint64_t start = nt->addr + (nt->module ? 0 : (uint64_t)t->reloc);
		size_t lo = 0, hi = t->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (t->syms[mid].start < start)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < t->n && t->syms[lo].start == start; lo++)
			if (t->syms[lo].name == nt->name)
				return 1;
	}
	return 0;
}

/*
 * Which of the names need[] asks about the table has: those kallsyms.c
 * noted from the notes (kstorm: a pass over its 64 k names was 1.2 M
 * instructions), the others in one pass over its symbols (a name
 * lookup is a pass of its own).  An ELF name still to be demangled (on
 * first lookup) is left to table_has().
 */
static void names_present(const struct sd_symtab *t, const bool *need,
			  bool *have)
{
	size_t idx[NR_MARKS], k = 0, want;
	/* each name's first two bytes as one number (a one-letter name's
	 * NUL included), compared before the name */
	unsigned two[NR_MARKS];
	uint64_t any[1024] = {0}; /* a bit per two-byte start of a name */
	uint64_t first[4] = {0}; /* a bit per first byte */
	bool lazy = false;

	for (size_t m = 0; m < NR_MARKS; m++) {
		have[m] = false;
		int noted = t->noted_all && need[m] && !release_marks[m].prefix
				    ? noted_has(t, release_marks[m].name)
				    : -1;
		if (noted >= 0) {
			have[m] = noted;
			continue;
		}
		if (need[m] && !release_marks[m].prefix) {
			const char *nm = release_marks[m].name;
			two[k] = (unsigned char)nm[0] |
				 (nm[0] ? (unsigned)(unsigned char)nm[1] << 8 : 0);
			any[two[k] >> 6] |= 1ull << (two[k] & 63);
			first[(two[k] & 0xff) >> 6] |= 1ull << (two[k] & 63);
			idx[k++] = m;
		}
	}
	want = k;
	for (size_t i = 0; want && i < t->n; i++) {
		const struct sd_symbol *sym = &t->syms[i];
		if (sym->lazy) {
			lazy = true;
			continue;
		}
		/* the first byte alone rules out most names, without the
		 * call: a name's two-byte start begins with it (or with 0,
		 * which no asked-for name does) */
		unsigned c0 = (unsigned char)sym->name[0];
		if (!(first[c0 >> 6] >> (c0 & 63) & 1))
			continue;
		unsigned c2 = c0 | (unsigned)(unsigned char)sym->name[1] << 8;
		if (!(any[c2 >> 6] >> (c2 & 63) & 1))
			continue;
		for (size_t j = 0; j < k; j++) {
			size_t m = idx[j];
			const char *mn = release_marks[m].name;
			if (c2 == two[j] && !have[m] && !strcmp(sym->name, mn)) {
				have[m] = true;
				want--;
			}
		}
	}
	for (size_t m = 0; m < NR_MARKS; m++)
		if (need[m] && !have[m] && (lazy || release_marks[m].prefix))
			have[m] = table_has(t, release_marks[m].name,
					    release_marks[m].prefix);
}

static void check_release(struct sd_symbolizer *s, struct sd_symtab *t,
			  struct vote *out)
{
	const char *rel = s->info ? s->info->os_release : NULL;
	unsigned code = release_code(rel);
	bool need[NR_MARKS], have[NR_MARKS];

	if (!code)
		return;
	/* the names that would contradict the release */
	for (size_t i = 0; i < NR_MARKS; i++) {
		unsigned mn = release_marks[i].min, mx = release_marks[i].max;
		need[i] = !((!mn || code >= mn) && (!mx || code <= mx));
	}
	names_present(t, need, have);
	for (size_t i = 0; i < NR_MARKS; i++) {
		if (!need[i] || !have[i])
			continue;
		out->v = -1;
		snprintf(out->text, sizeof out->text,
			 "they have %s, the recording is of %.60s",
			 release_marks[i].what, rel);
		return;
	}
}

/*
 * Where each architecture's kernel text lives (as /proc/kallsyms shows
 * it, KASLR included): kallsyms of another architecture, moved onto the
 * recorded _text by the relocation, would otherwise look plausible.
 */
static const struct {
	const char *arch;
	uint64_t lo, hi;
} arch_text[] = {
	{"x86_64", 0xffffffff80000000ull, UINT64_MAX},
	{"i386", 0xc0000000ull, 0xffffffffull},
	{"i686", 0xc0000000ull, 0xffffffffull},
	{"ppc64", 0xc000000000000000ull, 0xc00fffffffffffffull},
	{"ppc64le", 0xc000000000000000ull, 0xc00fffffffffffffull},
	{"aarch64", 0xffff000000000000ull, UINT64_MAX},
};

static void check_arch(struct sd_symbolizer *s, struct sd_symtab *t,
		       struct vote *out)
{
	const char *arch = s->info ? s->info->arch : NULL;
	uint64_t text;

	if (!arch || (sd_symtab_ref_addr(t, "_text", &text) < 0 &&
		      sd_symtab_ref_addr(t, "_stext", &text) < 0))
		return;
	for (size_t i = 0; i < sizeof arch_text / sizeof *arch_text; i++) {
		if (strcmp(arch, arch_text[i].arch))
			continue;
		if (text < arch_text[i].lo || text > arch_text[i].hi) {
			out->v = -1;
			snprintf(out->text, sizeof out->text,
				 "their _text 0x%" PRIx64 " is not where an %s "
				 "kernel's text is",
				 text, arch);
		}
		return;
	}
}

static void check_entry(const struct sd_kernel_evidence *ev, struct vote *out)
{
	if (!ev || ev->chains < MIN_CHAINS)
		return;
	double r = (double)ev->chains_at_entry / (double)ev->chains;
	if (r >= ENTRY_GOOD) {
		out->v = 1;
		snprintf(out->text, sizeof out->text,
			 "%.0f%% of %" PRIu64 " kernel call chains start at an "
			 "entry point",
			 r * 100, ev->chains);
	} else {
		out->v = r <= ENTRY_BAD ? -1 : 0;
		snprintf(out->text, sizeof out->text,
			 "only %.0f%% of %" PRIu64 " kernel call chains start at "
			 "an entry point (syscall, interrupt, ret_from_fork, "
			 "idle)%s%.60s%s",
			 r * 100, ev->chains, ev->odd_outer ? "; most at '" : "",
			 ev->odd_outer ? ev->odd_outer : "",
			 ev->odd_outer ? "'" : "");
	}
}

static void check_text(struct sd_symtab *t, const struct sd_kernel_evidence *ev,
		       struct vote *out)
{
	uint64_t lo, hi, ilo = 0, ihi = 0;

	if (!ev || ev->nr_ips < MIN_IPS)
		return;
	if ((sd_symtab_ref_addr(t, "_text", &lo) < 0 &&
	     sd_symtab_ref_addr(t, "_stext", &lo) < 0) ||
	    sd_symtab_ref_addr(t, "_etext", &hi) < 0 || hi <= lo)
		return;
	if (sd_symtab_ref_addr(t, "_sinittext", &ilo) < 0 ||
	    sd_symtab_ref_addr(t, "_einittext", &ihi) < 0)
		ilo = ihi = 0;
	uint64_t d = (uint64_t)t->reloc, out_n = 0;
	size_t n = 0;
	bool module = false;
	for (size_t i = 0; i < ev->nr_ips; i++) {
		uint64_t ip = ev->ips[i] - d;
		/* the kallsyms' own modules, BPF programs and trampolines
		 * ("[bpf]", "[__builtin__ftrace]") are not core text; an IP
		 * the same as the one before (sd_kverify_finish() puts equal
		 * ones together) is where it was */
		if (!i || ev->ips[i] != ev->ips[i - 1]) {
			const struct sd_symbol *sym =
				sd_symtab_lookup(t, ev->ips[i]);
			module = sym && sym->module;
		}
		if (module)
			continue;
		n++;
		if ((ip >= lo && ip < hi) || (ip >= ilo && ip < ihi))
			continue;
		out_n++;
	}
	if (n < MIN_IPS)
		return;
	double r = (double)out_n / (double)n;
	if (r > OUTSIDE_BAD) {
		out->v = -1;
		snprintf(out->text, sizeof out->text,
			 "%.0f%% of %zu sampled kernel addresses fall outside "
			 "their kernel text (_text.._etext)",
			 r * 100, n);
	}
}

void sd_kcheck_settle(struct sd_symbolizer *s, struct sd_symtab *t,
		      const struct sd_kernel_evidence *ev)
{
	struct sd_kernel_symbols *ks = &s->ks;
	struct vote map = {0}, rel = {0}, entry = {0}, text = {0};
	const struct vote *all[] = {&rel, &map, &text, &entry};

	/* another architecture's symbols: nothing else is worth checking */
	check_arch(s, t, &rel);
	char buf[sizeof ks->evidence];
	size_t o = 0;

	check_map(s, t, &map);
	if (!rel.v)
		check_release(s, t, &rel);
	check_entry(ev, &entry);
	check_text(t, ev, &text);

	buf[0] = 0;
	int bad = 0, good = 0;
	for (size_t i = 0; i < 4; i++)
		bad += all[i]->v < 0;
	for (size_t i = 0; i < 4; i++)
		good += all[i]->v > 0;
	/* what contradicts first, then what supports, then the rest */
	static const int order[] = {-1, 1, 0};
	if (map.v > 0 && rel.v == 0) {
		/* the exact length comes first: it decides */
		o = (size_t)snprintf(buf, sizeof buf, "%s", map.text);
		map.text[0] = 0;
	}
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < 4 && o < sizeof buf; i++) {
			const struct vote *v = all[i];
			if (!v->text[0] || v->v != order[r])
				continue;
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s",
					      o ? "; " : "", v->text);
		}
	/*
	 * A kernel text of the same length to the byte is the same build:
	 * chains or IPs that disagree then come from damaged samples, not
	 * from the symbols.  Only the release (or, above, a build-id) can
	 * still contradict it.
	 */
	if (map.v > 0 && rel.v == 0)
		bad = 0;
	if (bad) {
		ks->matches = 0;
	} else if (good) {
		ks->matches = 1;
	} else {
		ks->matches = -1;
		if (!buf[0])
			snprintf(buf, sizeof buf,
				 "a kallsyms text has no build-id, and the "
				 "recording has too few kernel call chains and "
				 "no exact kernel map length to check it against");
	}
	snprintf(ks->evidence, sizeof ks->evidence, "%s", buf);
}
