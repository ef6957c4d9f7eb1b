/* SPDX-License-Identifier: MIT */
/*
 * ELF symbol tables (src/symbols/elf.c, elf_syms.c) on fixtures Meson
 * builds from symfix.c (see the facts listed there), compared with what
 * `nm` says about the same files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/symbols.h>

#include "symbols/demangle-config.h"
#include "symbols/internal.h"
#include "test.h"
#include "tfiles.h"

/* nm's value of a defined symbol, or 0. */
static uint64_t nm_addr(const char *path, const char *name)
{
	char cmd[4096], line[1024];
	uint64_t found = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "nm --defined-only '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof line, p)) {
		unsigned long long a;
		char type, sym[512];
		/* a name ending in '*' is a prefix (of an overlong name,
		 * which fgets splits: only its first piece matches) */
		size_t n = strlen(name);
		if (sscanf(line, "%llx %c %511s", &a, &type, sym) == 3 &&
		    (n && name[n - 1] == '*' ? !strncmp(sym, name, n - 1)
					     : !strcmp(sym, name)))
			found = a;
	}
	pclose(p);
	return found;
}

static const char *fixture(const char *var)
{
	const char *p = getenv(var);

	return p && *p ? p : NULL;
}

static const char *name_at(const struct sd_symtab *t, uint64_t addr)
{
	const struct sd_symbol *s = sd_symtab_lookup(t, addr);

	return s ? s->name : "(none)";
}

/*
 * The checks every fixture passes.  bias: what perf subtracts from an nm
 * address (p_vaddr - p_offset of the text segment): 0 for the shared
 * object and the PIE, 0x400000 for the x86-64 non-PIE.
 */
static void check_fixture(const char *path, uint64_t bias)
{
	struct sd_symtab *t = NULL;
	struct sd_diags d;
	uint64_t alpha = nm_addr(path, "sd_fix_alpha");
	uint64_t beta = nm_addr(path, "sd_fix_beta");
	uint64_t local = nm_addr(path, "sd_fix_local");
	uint64_t weak = nm_addr(path, "sd_fix_weak");
	uint64_t burn = nm_addr(path, "_ZN2ns4burnEid");
	uint64_t tmpl = nm_addr(path, "_Z5tmplfIiEvT_");
	uint64_t longer = nm_addr(path, "sd_fix_overlong_abcdefghiabcdefghi*");
	const struct sd_symbol *s;

	if (!alpha || !beta || !local || !weak || !burn || !tmpl || !longer) {
		fprintf(stderr, "nm cannot list %s\n", path);
		t_skipped++;
		return;
	}
	sd_diags_init(&d);
	CHECK(sd_symtab_load_elf(path, NULL, &d, &t) == 0);
	if (!t)
		return;
	/* Same address, both global and sized: the longer name wins. */
	CHECK_STR(name_at(t, alpha - bias), "sd_fix_alpha_alias_long");
	CHECK_STR(name_at(t, alpha - bias + 1), "sd_fix_alpha_alias_long");
	/* Global beats a weak alias even with a longer name. */
	s = sd_symtab_lookup(t, beta - bias);
	CHECK(s && !strcmp(s->name, "sd_fix_beta") &&
	      s->binding == SD_BIND_GLOBAL);
	s = sd_symtab_lookup(t, local - bias);
	CHECK(s && !strcmp(s->name, "sd_fix_local") &&
	      s->binding == SD_BIND_LOCAL);
	s = sd_symtab_lookup(t, weak - bias);
	CHECK(s && !strcmp(s->name, "sd_fix_weak") && s->binding == SD_BIND_WEAK);
	CHECK(s && s->end > s->start);
	/* Addresses are nm's minus the bias (perf 6.1 adjusts all DSOs). */
	s = sd_symtab_find_name(t, "sd_fix_weak");
	CHECK(s && s->start == weak - bias);
#if HAVE_LIBIBERTY || HAVE_CXA_DEMANGLE
	CHECK_STR(name_at(t, burn - bias), "ns::burn");
	CHECK_STR(name_at(t, tmpl - bias), "tmplf<int>");
#else
	CHECK_STR(name_at(t, burn - bias), "_ZN2ns4burnEid");
#endif
	/* A name over SD_SYM_NAME_MAX (8192) bytes is cut there, on use. */
	s = sd_symtab_lookup(t, longer - bias);
	CHECK(s && strlen(s->name) == 8192 &&
	      !strncmp(s->name, "sd_fix_overlong_abcdefghiabc", 28) &&
	      s->name[8191] == "abcdefghi"[(8191 - 16) % 9]);
	/* PLT entries, as perf 6.1 synthesizes them. */
	s = sd_symtab_find_name(t, "puts@plt");
	CHECK(s != NULL);
	if (s) {
		CHECK(s->end - s->start == 16);
		CHECK(sd_symtab_lookup(t, s->start + 4) == s);
		CHECK(s->binding == SD_BIND_GLOBAL);
	}
	CHECK(sd_symtab_find_name(t, "strlen@plt") != NULL);
	CHECK_U64(d.n, 0);
	sd_symtab_free(t);
	sd_diags_clear(&d);
}

TEST(shared_object)
{
	const char *so = fixture("SD_SYMFIX_SO");

	if (!so)
		SKIP("SD_SYMFIX_SO not set");
	check_fixture(so, 0);
}

/* The shared object also calls its own C++ and overlong functions through
 * the PLT: their entries' names, as perf's 1024-byte buffer gives them. */
TEST(plt_names)
{
	const char *so = fixture("SD_SYMFIX_SO");
	struct sd_symtab *t = NULL;
	const struct sd_symbol *s;
	size_t longs = 0;

	if (!so)
		SKIP("SD_SYMFIX_SO not set");
	CHECK(sd_symtab_load_elf(so, NULL, NULL, &t) == 0);
	if (!t)
		return;
#if HAVE_LIBIBERTY || HAVE_CXA_DEMANGLE
	s = sd_symtab_find_name(t, "tmplf<int>@plt");
#else
	s = sd_symtab_find_name(t, "_Z5tmplfIiEvT_@plt");
#endif
	CHECK(s && s->end - s->start == 16 && s->binding == SD_BIND_GLOBAL);
	CHECK(s && sd_symtab_lookup(t, s->start + 8) == s);
	CHECK(sd_symtab_find_name(t, "_Z5tmplfIiEvT_@plt") == NULL ||
	      !(HAVE_LIBIBERTY || HAVE_CXA_DEMANGLE));
	/* "sd_fix_overlong_...@plt" cut at 1023 bytes: no "@plt" left */
	for (size_t i = 0; i < sd_symtab_size(t); i++) {
		s = sd_symtab_at(t, i);
		if (!strncmp(s->name, "sd_fix_overlong_", 16) &&
		    s->end - s->start == 16) {
			longs++;
			CHECK_U64(strlen(s->name), 1023);
			CHECK(s->name[1022] == "abcdefghi"[(1022 - 16) % 9]);
		}
	}
	CHECK_U64(longs, 1);
	/* and a name just short of it keeps part of "@plt" */
	char name[1030];
	memset(name, 'x', sizeof name);
	name[1021] = '\0';
	const char *p = sd_symtab_plt_name(t, name);
	CHECK(p && strlen(p) == 1023 && !strcmp(p + 1021, "@p"));
	name[1021] = 'x';
	name[1019] = '\0';
	p = sd_symtab_plt_name(t, name);
	CHECK(p && strlen(p) == 1023 && !strcmp(p + 1019, "@plt"));
	name[1018] = '\0';
	p = sd_symtab_plt_name(t, name);
	CHECK(p && strlen(p) == 1022 && !strcmp(p + 1018, "@plt"));
	sd_symtab_free(t);
}

/* Of two aliases (global, one size), the name kept: the one perf keeps
 * of the names as they are (lazy: the table may tell some apart without
 * demangling them), or made ready first (demangled, then compared). */
static const char *kept_alias(const char *a, const char *b, bool ready,
			      char *out, size_t size)
{
	struct sd_symtab *t = sd_symtab_new(SD_SYMTAB_ELF);
	const char *names[] = {a, b};

	snprintf(out, size, "(none)");
	if (!t)
		return out;
	for (int k = 0; k < 2; k++) {
		CHECK(sd_symtab_add(t, 0x1000, 0x1010, names[k], SD_BIND_GLOBAL,
				    0) == 0);
		t->syms[t->n - 1].lazy = SD_SYM_LAZY_DEMANGLE;
	}
	if (ready)
		for (size_t i = 0; i < sd_symtab_size(t); i++)
			(void)sd_symtab_at(t, i);
	sd_symtab_finish(t);
	if (sd_symtab_size(t) == 1)
		snprintf(out, size, "%s", sd_symtab_at(t, 0)->name);
	sd_symtab_free(t);
	return out;
}

TEST(alias_names_as_demangled)
{
	static const char *const pairs[][2] = {
		/* constructors, destructors: told apart unread */
		{"_ZN3FooC1Ev", "_ZN3FooC2Ev"},
		{"_ZN3FooD0Ev", "_ZN3FooD2Ev"},
		{"_ZNSt9exceptionD1Ev", "_ZNSt9exceptionD2Ev"},
		{"_ZN12_GLOBAL__N_13FooC1Ev", "_ZN12_GLOBAL__N_13FooC2Ev"},
		{"_ZN2ns3BarC1ERKS0_", "_ZN2ns3BarC4ERKS0_"},
		/* a kind no demangler takes: that name stays mangled */
		{"_ZN3FooD1Ev", "_ZN3FooD3Ev"},
		{"_ZN3FooC1Ev", "_ZN3FooC6Ev"},
		{"_ZN3FooC1Ev", "_ZN3FooC0Ev"},
		/* the same bytes elsewhere than a constructor's kind */
		{"_ZN3FooC1Ev", "_ZN3FooD1Ev"},
		{"_ZN3ABC1xE", "_ZN3ABC2xE"},
		{"_ZN4ABC1C1Ev", "_ZN4ABC2C1Ev"},
		{"_ZN1AC1Ev1b", "_ZN1AC2Ev1b"},
		{"_Z3FooC1Ev", "_Z3FooC2Ev"},
		{"_ZN1XI2C1EC1Ev", "_ZN1XI2C2EC1Ev"},
		{"_ZN1XILi1EEC1Ev", "_ZN1XILi2EEC1Ev"},
		{"_ZN1XIC1AEC1Ev", "_ZN1XIC2AEC1Ev"},
		/* twins with template arguments, substitutions, tags */
		{"_ZN3FooIiEC1Ev", "_ZN3FooIiEC2Ev"},
		{"_ZN4llvm2cl12basic_parserIbEC1ERNS0_6OptionE",
		 "_ZN4llvm2cl12basic_parserIbEC2ERNS0_6OptionE"},
		{"_ZNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEC2ESt13_Ios_Openmode",
		 "_ZNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEC1ESt13_Ios_Openmode"},
		{"_ZN4llvm6object7ELFFileINS0_7ELFTypeILNS_7support10endiannessE1ELb0EEEEC2ENS_9StringRefE",
		 "_ZN4llvm6object7ELFFileINS0_7ELFTypeILNS_7support10endiannessE1ELb0EEEEC1ENS_9StringRefE"},
		{"_ZN4llvm14RegionInfoBaseINS_12RegionTraitsINS_8FunctionEEEED1Ev",
		 "_ZN4llvm14RegionInfoBaseINS_12RegionTraitsINS_8FunctionEEEED2Ev"},
		{"_ZGTtNSt11logic_errorC1EPKc", "_ZGTtNSt11logic_errorC2EPKc"},
		{"_ZNSaIcEC1Ev", "_ZNSaIcEC2Ev"},
		{"_ZNSsC1Ev", "_ZNSsC2Ev"},
		{"_ZN3FooB5cxx11C1Ev", "_ZN3FooB5cxx11C2Ev"},
		{"_ZNK3FooIJidEEC1Ev", "_ZNK3FooIJidEEC2Ev"},
		{"_ZN3FooIJEEC1Ev", "_ZN3FooIJEEC2Ev"},
		{"_ZN3FooIPKcRA_iEC1Ev", "_ZN3FooIPKcRA_iEC2Ev"},
		{"_ZN3FooIT_EC1Ev", "_ZN3FooIT_EC2Ev"},
		{"_ZN3FooIXadL_Z1fvEEEC1Ev", "_ZN3FooIXadL_Z1fvEEEC2Ev"},
		{"_ZNSt3FooC1Ev", "_ZNSt3FooC2Ev"},
		{"_ZNStC1Ev", "_ZNStC2Ev"},
		{"_ZN3FooIEC1Ev", "_ZN3FooIEC2Ev"},
		{"_ZN3FooIiEIiEC1Ev", "_ZN3FooIiEIiEC2Ev"},
		{"_ZNS_C1Ev", "_ZNS_C2Ev"},
		{"_ZN3FooC1Ev", "_ZN3FooC1Ev"},
		{"_ZNC1Ev", "_ZNC2Ev"},
	};
	char lazy[256], ready[256];

	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		for (int r = 0; r < 2; r++) {
			const char *a = pairs[i][r], *b = pairs[i][!r];
			CHECK_STR(kept_alias(a, b, false, lazy, sizeof lazy),
				  kept_alias(a, b, true, ready, sizeof ready));
		}
	}
#if HAVE_LIBIBERTY || HAVE_CXA_DEMANGLE
	CHECK_STR(kept_alias("_ZN3FooC2Ev", "_ZN3FooC1Ev", false, lazy,
			     sizeof lazy),
		  "Foo::Foo");
#endif
}

/* Whether two names demangle to one string (either NULL). */
static bool same_demangled(const char *a, const char *b)
{
	char *da = sd_demangle(a), *db = sd_demangle(b);
	bool same = (!da && !db) || (da && db && !strcmp(da, db));

	free(da);
	free(db);
	return same;
}

/*
 * twins.c: a class's constructors or destructors of two kinds are known
 * to show one name without demangling either, with template arguments
 * in the class's name too; what it cannot read (expressions, function
 * types), or where the digits are not a kind, it says it does not know.
 * Whatever it says is known must be so: both names demangle alike.
 */
TEST(ctor_dtor_twins)
{
	static const struct {
		const char *a, *b;
		bool twins;
	} cases[] = {
		{"_ZN3FooC1Ev", "_ZN3FooC2Ev", true},
		{"_ZNK3FooD0Ev", "_ZNK3FooD2Ev", true},
		{"_ZN3FooIiEC1Ev", "_ZN3FooIiEC2Ev", true},
		{"_ZN4llvm2cl12basic_parserIbEC1ERNS0_6OptionE",
		 "_ZN4llvm2cl12basic_parserIbEC2ERNS0_6OptionE", true},
		{"_ZN4llvm6object7ELFFileINS0_7ELFTypeILNS_7support10endiannessE1ELb0EEEEC2ENS_9StringRefE",
		 "_ZN4llvm6object7ELFFileINS0_7ELFTypeILNS_7support10endiannessE1ELb0EEEEC1ENS_9StringRefE",
		 true},
		{"_ZNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEC2ESt13_Ios_Openmode",
		 "_ZNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEC1ESt13_Ios_Openmode",
		 true},
		{"_ZN4llvm14RegionInfoBaseINS_12RegionTraitsINS_8FunctionEEEED1Ev",
		 "_ZN4llvm14RegionInfoBaseINS_12RegionTraitsINS_8FunctionEEEED2Ev",
		 true},
		{"_ZGTtNSt11logic_errorC1EPKc", "_ZGTtNSt11logic_errorC2EPKc", true},
		{"_ZNSaIcEC1Ev", "_ZNSaIcEC2Ev", true},
		{"_ZNSsC1Ev", "_ZNSsC2Ev", true},
		{"_ZN3FooB5cxx11C1Ev", "_ZN3FooB5cxx11C2Ev", true},
		{"_ZN3FooIJidEEC1Ev", "_ZN3FooIJidEEC2Ev", true},
		{"_ZN3FooIPKcRiEC1Ev", "_ZN3FooIPKcRiEC2Ev", true},
		{"_ZN3FooIDpT_EC1Ev", "_ZN3FooIDpT_EC2Ev", true},
		/* not a kind there, or not read */
		{"_ZN3FooC1Ev", "_ZN3FooC1Ev", false},
		{"_ZN3FooC1Ev", "_ZN3FooC6Ev", false},
		{"_ZN3FooD1Ev", "_ZN3FooD3Ev", false},
		{"_ZN4ABC1C1Ev", "_ZN4ABC2C1Ev", false},
		{"_ZN1XI2C1EC1Ev", "_ZN1XI2C2EC1Ev", false},
		{"_ZN1XIC1AEC1Ev", "_ZN1XIC2AEC1Ev", false},
		{"_ZN3FooIXadL_Z1fvEEEC1Ev", "_ZN3FooIXadL_Z1fvEEEC2Ev", false},
		{"_ZN3FooIA_iEC1Ev", "_ZN3FooIA_iEC2Ev", false},
		{"_ZNStC1Ev", "_ZNStC2Ev", false},
		{"_ZNC1Ev", "_ZNC2Ev", false},
		{"_Z3FooC1Ev", "_Z3FooC2Ev", false},
		{"_ZN3FooC1Ev", "_ZN3FooC2Evx", false},
		{"_ZN3FooIiEIiEC1Ev", "_ZN3FooIiEIiEC2Ev", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool t = sd_ctor_dtor_twins(cases[i].a, cases[i].b);
		if (t != cases[i].twins)
			fprintf(stderr, "twins(%s, %s): %d\n", cases[i].a,
				cases[i].b, t);
		CHECK(t == cases[i].twins);
		CHECK(sd_ctor_dtor_twins(cases[i].b, cases[i].a) == t);
		if (t)
			CHECK(same_demangled(cases[i].a, cases[i].b));
	}
}

/*
 * The same on names made by changing one byte of twin names before their
 * kind (to any of the bytes a mangled name is made of), or cutting them
 * short: whatever twins.c takes for twins demangles alike.  Without a
 * demangler every name stays mangled and only the known ones are checked.
 */
TEST(ctor_dtor_twins_mutated)
{
	static const char *const seeds[] = {
		"_ZN4llvm2cl12basic_parserINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEEC1ERNS0_6OptionE",
		"_ZN4llvm6object7ELFFileINS0_7ELFTypeILNS_7support10endiannessE1ELb0EEEEC1ENS_9StringRefE",
		"_ZNK2ns3FooIJiPKcEEB5cxx11D1Ev",
		"_ZGTtNSt11logic_errorC1EPKc",
		"_ZN2ns3BarIT_Li3ELin2EEC1ERKS2_",
		"_ZNSaIcEC1Ev",
	};
	static const char alphabet[] = "0123456789_ZNSTIJLEBCDKVROPrabcdijlnstvxyz";
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	size_t known = 0;

	for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
		const char *seed = seeds[s];
		size_t len = strlen(seed);
		size_t kind = strstr(seed, "C1") ? (size_t)(strstr(seed, "C1") - seed)
						: (size_t)(strstr(seed, "D1") - seed);
		char a[256], b[256];
		CHECK(len < sizeof a && kind + 1 < len);
		for (int k = 0; k < 3000; k++) {
			memcpy(a, seed, len + 1);
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = 3 + (size_t)(rnd >> 33) % (kind - 3);
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			char c = alphabet[(rnd >> 33) % (sizeof alphabet - 1)];
			if (k % 7 == 6) {
				/* a byte out: the kind moves */
				memmove(a + at, a + at + 1, len - at);
			} else {
				a[at] = c;
			}
			size_t n = strlen(a);
			for (size_t p = 4; p + 1 < n; p++) {
				if ((a[p - 1] != 'C' && a[p - 1] != 'D') ||
				    a[p] < '0' || a[p] > '5')
					continue;
				memcpy(b, a, n + 1);
				b[p] = a[p] == '2' ? '1' : '2';
				if (!sd_ctor_dtor_twins(a, b))
					continue;
				known++;
				if (!same_demangled(a, b))
					fprintf(stderr, "not twins: %s %s\n", a, b);
				CHECK(same_demangled(a, b));
			}
		}
	}
	/* the unchanged ones and most one-byte changes of a name are read */
	CHECK(known > 1000);
}

/* Names as perf 6.1 shows them: libiberty's cplus_demangle(), whose Rust
 * demangler (legacy "_ZN...17h<hash>E", v0 "_R...") comes first. */
TEST(demangled_names)
{
#if HAVE_LIBIBERTY
	static const char *const cases[][2] = {
		{"_ZN2ns4burnEid", "ns::burn"},
		{"_Z5tmplfIiEvT_", "tmplf<int>"},
		{"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"},
		{"_ZN4core3fmt5write17h0123456789abcdefE.llvm.1",
		 "core::fmt::write"},
		/* a legacy hash needs 5 distinct digits: C++ then */
		{"_ZN5alpha4beta17h00000000000000aaE",
		 "alpha::beta::h00000000000000aa"},
		{"_RNvNtCs1234_7mycrate3bar3baz", "mycrate::bar::baz"},
		{"_ZN3foo17hE", NULL},
		{"_GLOBAL__sub_I_foo.cc", NULL},
		{"_GLOBAL__I__Z3foov", "global constructors keyed to foo()"},
		{"_GLOBAL__D_foo", "global destructors keyed to foo"},
		{"__GI_mkdir", NULL},
		{"__Z3foov", NULL},
		{"RNvC1a1b", NULL},
		{"_init", NULL},
		{"main", NULL},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *d = sd_demangle(cases[i][0]);
		if (cases[i][1])
			CHECK_STR(d ? d : "(null)", cases[i][1]);
		else
			CHECK(d == NULL);
		free(d);
	}
#else
	SKIP("built without libiberty");
#endif
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A table's sort (symtab_fixup.c: radix digits over the bits where the
 * starts differ) on starts spread over 1 to 48 bits at various
 * alignments, with repeats: the starts come out increasing, and of the
 * aliases of one start (global, one size, names of one length) the first
 * added is kept, as a stable sort keeps it first.
 */
TEST(sort_any_span)
{
	enum { N = 3000 };
	static uint64_t starts[N];
	uint64_t x = 0x2545f4914f6cdd1dull;
	size_t bad = 0;

	for (unsigned bits = 1; bits <= 48; bits += 3) {
		for (unsigned align = 0; align <= 8; align += 4) {
			struct sd_symtab *t = sd_symtab_new(SD_SYMTAB_ELF);
			char name[32];
			if (!t)
				return;
			for (size_t i = 0; i < N; i++) {
				x = x * 6364136223846793005ull + 1;
				uint64_t r = (x >> 11) & ((1ull << bits) - 1);
				starts[i] = (0x7f0000000000ull + (r << align)) &
					    ~0xfull;
				starts[i] |= r & 0xf;
				snprintf(name, sizeof name, "s%06zu", i);
				const char *c = sd_symtab_strdup(t, name,
								 strlen(name));
				CHECK(sd_symtab_add(t, starts[i], starts[i] + 1, c,
						    SD_BIND_GLOBAL, 0) == 0);
			}
			sd_symtab_finish(t);
			static uint64_t sorted[N];
			size_t distinct = 0;
			memcpy(sorted, starts, sizeof sorted);
			qsort(sorted, N, sizeof *sorted, cmp_u64);
			for (size_t i = 0; i < N; i++)
				distinct += !i || sorted[i] != sorted[i - 1];
			if (distinct != sd_symtab_size(t))
				bad++;
			uint64_t prev = 0;
			for (size_t i = 0; i < sd_symtab_size(t); i++) {
				const struct sd_symbol *s = sd_symtab_at(t, i);
				size_t k = strtoull(s->name + 1, NULL, 10), first = k;
				for (size_t j = 0; j < k; j++)
					if (starts[j] == s->start) {
						first = j;
						break;
					}
				if ((i && s->start <= prev) || starts[k] != s->start ||
				    first != k)
					bad++;
				prev = s->start;
			}
			sd_symtab_free(t);
		}
	}
	CHECK_U64(bad, 0);
}

TEST(pie)
{
	const char *pie = fixture("SD_SYMFIX_PIE");

	if (!pie)
		SKIP("SD_SYMFIX_PIE not set");
	check_fixture(pie, 0);
}

TEST(non_pie)
{
	const char *exe = fixture("SD_SYMFIX_EXE");

#if !defined(__x86_64__)
	SKIP("the 0x400000 bias is x86-64's");
#endif
	if (!exe)
		SKIP("SD_SYMFIX_EXE not set");
	check_fixture(exe, 0x400000);
}

TEST(build_id)
{
	const char *so = fixture("SD_SYMFIX_SO");
	struct sd_build_id id, other;
	struct sd_symtab *t = NULL;
	struct sd_diags d;
	char hex[2 * SD_BUILD_ID_MAX + 1];
	size_t len;
	char *buf;

	if (!so)
		SKIP("SD_SYMFIX_SO not set");
	buf = tf_slurp(so, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	sd_diags_init(&d);
	CHECK(sd_elf_build_id(buf, len, &id) == 0);
	CHECK_U64(id.size, 20);
	sd_build_id_hex(&id, hex);
	CHECK_U64(strlen(hex), 40);

	/* The same id from `readelf -n`. */
	char cmd[4096], line[512];
	snprintf(cmd, sizeof cmd, "readelf -n '%s' 2>/dev/null", so);
	FILE *p = popen(cmd, "r");
	bool seen = false;
	while (p && fgets(line, sizeof line, p))
		if (strstr(line, "Build ID:") && strstr(line, hex))
			seen = true;
	if (p)
		pclose(p);
	CHECK(seen);

	CHECK(sd_symtab_from_elf(buf, len, &id, &d, &t) == 0);
	sd_symtab_free(t);
	t = NULL;
	CHECK(sd_symtab_load_elf(so, &id, &d, &t) == 0);
	sd_symtab_free(t);
	t = NULL;
	CHECK_U64(d.n, 0);

	other = id;
	other.data[7] ^= 1;
	CHECK(sd_symtab_load_elf(so, &other, &d, &t) == -SD_E_BUILD_ID_MISMATCH);
	CHECK(t == NULL);
	CHECK(d.n == 1 && d.v[0].code == SD_E_BUILD_ID_MISMATCH);
	/* A prefix of the real id is not the real id. */
	other = id;
	other.size = 16;
	CHECK(sd_symtab_from_elf(buf, len, &other, NULL, &t) ==
	      -SD_E_BUILD_ID_MISMATCH);
	free(buf);
	sd_diags_clear(&d);
}

TEST(vmlinux_mode)
{
	const char *exe = fixture("SD_SYMFIX_EXE");
	struct sd_symtab *t = NULL;

	if (!exe)
		SKIP("SD_SYMFIX_EXE not set");
	/* As a kernel image: link addresses, no demangling, no PLT. */
	CHECK(sd_symtab_load_vmlinux(exe, NULL, NULL, &t) == 0);
	if (!t)
		return;
	uint64_t burn = nm_addr(exe, "_ZN2ns4burnEid");
	CHECK_STR(name_at(t, burn), "_ZN2ns4burnEid");
	CHECK(sd_symtab_find_name(t, "puts@plt") == NULL);
	sd_symtab_free(t);
}

TEST(not_elf)
{
	struct sd_symtab *t = NULL;
	struct sd_build_id id;
	const char *text = "this is not an ELF file\n";

	CHECK(sd_symtab_from_elf(text, strlen(text), NULL, NULL, &t) ==
	      -SD_E_BAD_SYMFILE);
	CHECK(sd_symtab_from_elf(NULL, 0, NULL, NULL, &t) < 0);
	CHECK(sd_elf_build_id(text, 4, &id) < 0);
	CHECK(sd_symtab_load_elf("/nonexistent/lib.so", NULL, NULL, &t) ==
	      -ENOENT);
	CHECK(sd_symtab_load_elf("/", NULL, NULL, &t) < 0);
	CHECK(t == NULL);
}

/* Truncated and corrupted images: errors or tables, never a crash. */
TEST(hostile_images)
{
	const char *so = fixture("SD_SYMFIX_SO");
	struct sd_symtab *t;
	struct sd_build_id id;
	size_t len, ok = 0, failed = 0;
	char *buf, *copy;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	if (!so)
		SKIP("SD_SYMFIX_SO not set");
	buf = tf_slurp(so, &len);
	if (!buf)
		return;
	copy = malloc(len);
	for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
		t = NULL;
		if (sd_symtab_from_elf(buf, cut, NULL, NULL, &t) == 0)
			ok++;
		else
			failed++;
		sd_symtab_free(t);
		(void)sd_elf_build_id(buf, cut, &id);
	}
	CHECK(failed > 0);
	for (int round = 0; round < 400; round++) {
		memcpy(copy, buf, len);
		int flips = 1 + round % 16;
		for (int k = 0; k < flips; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* Mostly the headers and tables, where it hurts. */
			size_t at = round % 2 ? rng % len : rng % (len < 4096 ? len : 4096);
			if (round % 3 == 0)
				at = len - 1 - rng % (len < 8192 ? len : 8192);
			copy[at] = (char)(rng >> 32);
		}
		t = NULL;
		if (sd_symtab_from_elf(copy, len, NULL, NULL, &t) == 0) {
			ok++;
			(void)sd_symtab_lookup(t, 0x1000);
		}
		sd_symtab_free(t);
		(void)sd_elf_build_id(copy, len, &id);
	}
	fprintf(stderr, "hostile images: %zu loaded, %zu refused\n", ok, failed);
	CHECK(ok + failed > 400);
	free(copy);
	free(buf);
}

int main(void)
{
	RUN(shared_object);
	RUN(plt_names);
	RUN(alias_names_as_demangled);
	RUN(ctor_dtor_twins);
	RUN(ctor_dtor_twins_mutated);
	RUN(demangled_names);
	RUN(sort_any_span);
	RUN(pie);
	RUN(non_pie);
	RUN(build_id);
	RUN(vmlinux_mode);
	RUN(not_elf);
	RUN(hostile_images);
	return test_exit();
}
