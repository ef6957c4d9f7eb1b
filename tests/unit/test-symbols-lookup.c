/* SPDX-License-Identifier: MIT */
/*
 * Answers by address.  The bucket index of sd_symtab_lookup() (symtab.c)
 * must answer every address as a binary search over the whole table
 * does -- the symbol with the last start at or before the address, or
 * one of the few before it whose end covers it -- however the symbols
 * lie, dense or far apart.  And kfast.c's short path (kallsyms) must
 * make the table the long ones make: a line out of order (the whole text read
 * again and sorted), a "__pfx_" line (its digits checked, not read), the
 * common line of 16 digits (read as the general parser reads a shorter
 * one), the lines' ends found 64 bytes at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <swapdiag/symbols.h>

#include "test.h"

/* The long way: a binary search over every symbol, then the same look
 * back as sd_symtab_lookup(). */
static const struct sd_symbol *linear(const struct sd_symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = sd_symtab_size(t);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sd_symtab_at(t, mid)->start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct sd_symbol *s = sd_symtab_at(t, lo - 1);
		if (addr < s->end)
			return s;
	}
	return NULL;
}

static uint64_t rnd(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 17;
}

/* How many of the addresses around every symbol (its start, the bytes
 * next to it and to its end, a byte in its middle) and of n more at
 * random in [lo, hi) the index answers otherwise than linear(). */
static int disagreements(const struct sd_symtab *t, uint64_t lo, uint64_t hi,
			 int n, uint64_t seed)
{
	int bad = 0;
	size_t size = sd_symtab_size(t);

	for (size_t i = 0; i < size; i++) {
		const struct sd_symbol *s = sd_symtab_at(t, i);
		uint64_t a[] = {s->start,	s->start - 1,
				s->start + 1,	s->end - 1,
				s->end,		s->end + 1,
				s->start + (s->end - s->start) / 2};
		for (size_t k = 0; k < sizeof a / sizeof *a; k++)
			bad += sd_symtab_lookup(t, a[k]) != linear(t, a[k]);
	}
	for (int i = 0; i < n; i++) {
		uint64_t a = lo + rnd(&seed) % (hi - lo);
		bad += sd_symtab_lookup(t, a) != linear(t, a);
	}
	return bad;
}

/*
 * A kernel's layout: a dense text, data further up with wider gaps, lone
 * symbols far apart, and modules a gigabyte above -- aliases, types perf
 * does not keep (their bytes belong to the symbol before) and the
 * modules' page-rounded ends among them.  Buckets of the whole range
 * hold dozens of the text's symbols and none of the gaps'.
 */
TEST(kernel_layout)
{
	enum { TEXT = 6000, DATA = 800, LONE = 12, MODS = 40, PER_MOD = 30 };
	char *text = malloc((TEXT + DATA + LONE + MODS * PER_MOD) * 64), *p = text;
	uint64_t x = 0x243f6a8885a308d3ull, a = 0xffffffff81000000ull;

	if (!text) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < TEXT; i++) {
		/* mostly small steps, some aliases, a few wide ones */
		uint64_t r = rnd(&x) % 100;
		a += r < 5 ? 0 : r < 95 ? 16 + rnd(&x) % 2000 : rnd(&x) % 70000;
		const char *type = r % 7 == 3 ? "r" : r % 11 == 4 ? "t" : "T";
		p += sprintf(p, "%016llx %s text_%d\n", (unsigned long long)a,
			     type, i);
	}
	a += 0x200000;
	for (int i = 0; i < DATA; i++) {
		a += 8 + rnd(&x) % 40000;
		p += sprintf(p, "%016llx %s data_%d\n", (unsigned long long)a,
			     i % 3 ? "d" : "B", i);
	}
	for (int i = 0; i < LONE; i++) {
		a += 0x100000 + rnd(&x) % 0x1000000;
		p += sprintf(p, "%016llx D lone_%d\n", (unsigned long long)a, i);
	}
	a = 0xffffffffc0000000ull;
	for (int m = 0; m < MODS; m++) {
		a = (a + 4096 + rnd(&x) % 0x40000) & ~0xfffull;
		for (int i = 0; i < PER_MOD; i++) {
			a += rnd(&x) % 3 ? 16 + rnd(&x) % 900 : 0;
			p += sprintf(p, "%016llx t mod_%d_%d\t[m%d]\n",
				     (unsigned long long)a, m, i, m);
		}
	}
	struct sd_symtab *t = NULL;
	CHECK(sd_symtab_from_kallsyms(text, (size_t)(p - text), NULL, &t) == 0);
	if (t) {
		CHECK(sd_symtab_size(t) > 5000);
		CHECK(disagreements(t, 0xffffffff80000000ull,
				    0xffffffffc4000000ull, 200000, 1) == 0);
		/* around the text only, where the buckets are */
		CHECK(disagreements(t, 0xffffffff81000000ull,
				    0xffffffff84000000ull, 200000, 2) == 0);
		CHECK(sd_symtab_lookup(t, 0xffffffff80ffffffull) == NULL);
		CHECK(sd_symtab_lookup(t, UINT64_MAX) == NULL);
	}
	sd_symtab_free(t);
	free(text);
}

/*
 * Gaps of two sizes, 16 bytes for every eighth and 1023 for the others;
 * and a small table from 0 to the top of the address space, whose
 * buckets are wider than most of its gaps.
 */
TEST(misleading_gaps)
{
	enum { N = 4096 };
	char *text = malloc(N * 40), *p = text;
	uint64_t a = 0x1000;

	if (!text) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < N; i++) {
		a += i % 8 ? 1023 : 16;
		p += sprintf(p, "%016llx T s%d\n", (unsigned long long)a, i);
	}
	struct sd_symtab *t = NULL;
	CHECK(sd_symtab_from_kallsyms(text, (size_t)(p - text), NULL, &t) == 0);
	if (t) {
		CHECK_U64(sd_symtab_size(t), N);
		CHECK(disagreements(t, 0, a + 8192, 100000, 3) == 0);
	}
	sd_symtab_free(t);

	p = text;
	uint64_t wide[] = {0x0, 0x10, 0x20, 0x7fff, 0x100000000ull,
			   0x100000010ull, 0x8000000000000000ull,
			   0xfffffffffffff000ull, 0xffffffffffffffffull};
	for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
		p += sprintf(p, "%016llx T w%zu\n", (unsigned long long)wide[i],
			     i);
	t = NULL;
	CHECK(sd_symtab_from_kallsyms(text, (size_t)(p - text), NULL, &t) == 0);
	if (t) {
		CHECK(disagreements(t, 0, UINT64_MAX, 100000, 4) == 0);
		const struct sd_symbol *s = sd_symtab_lookup(t, 0x7ffffffull);
		CHECK(s && !strcmp(s->name, "w3"));
		/* the last symbol ends at the top, which no lookup reaches */
		s = sd_symtab_lookup(t, UINT64_MAX - 1);
		CHECK(s && !strcmp(s->name, "w7"));
	}
	sd_symtab_free(t);
	free(text);
}

/* Whether two tables hold the same symbols, ends, names and modules. */
static bool same_table(const struct sd_symtab *a, const struct sd_symtab *b)
{
	if (sd_symtab_size(a) != sd_symtab_size(b))
		return false;
	for (size_t i = 0; i < sd_symtab_size(a); i++) {
		const struct sd_symbol *x = sd_symtab_at(a, i);
		const struct sd_symbol *y = sd_symtab_at(b, i);
		const char *mx = sd_symtab_module(a, x->module);
		const char *my = sd_symtab_module(b, y->module);
		if (x->start != y->start || x->end != y->end ||
		    x->binding != y->binding || strcmp(x->name, y->name) ||
		    !mx != !my || (mx && strcmp(mx, my)))
			return false;
	}
	return true;
}

/*
 * One line of a sorted text moved to the end of the core kernel's lines
 * (before the modules): read in address order while it can, then read
 * again and sorted whole -- the table must be the sorted text's.  The
 * moved line has an address of its own; the lines around it have
 * aliases, the last of them at the end of a module's range.
 */
TEST(out_of_order_line)
{
	static const char *const lines[] = {
		"ffffffff81000000 T _stext\n",
		"ffffffff81000000 T _text\n",
		"ffffffff81000100 t a\n",
		"ffffffff81000100 W a_alias\n",
		"ffffffff81000180 t __pfx_b\n",
		"ffffffff81000190 T b\n",
		"ffffffff81000400 t moved\n",
		"ffffffff81000800 T c\n",
		"ffffffff81000800 t c_alias\n",
		"ffffffff81000900 r rodata\n",
		"ffffffff81001000 T _etext\n",
		"ffffffffc0001000 t m1\t[mod]\n",
		"ffffffffc0001040 t m2\t[mod]\n",
		"ffffffffc0001040 T m2_alias\t[mod]\n",
	};
	enum { N = sizeof lines / sizeof *lines, MOVED = 6, MODS = 11 };
	char sorted[1024] = "", shuffled[1024] = "";

	for (int i = 0; i < N; i++)
		strcat(sorted, lines[i]);
	for (int i = 0; i < N; i++) {
		if (i == MODS)
			strcat(shuffled, lines[MOVED]);
		if (i != MOVED)
			strcat(shuffled, lines[i]);
	}
	struct sd_symtab *a = NULL, *b = NULL;
	CHECK(sd_symtab_from_kallsyms(sorted, strlen(sorted), NULL, &a) == 0);
	CHECK(sd_symtab_from_kallsyms(shuffled, strlen(shuffled), NULL, &b) ==
	      0);
	if (a && b) {
		CHECK(same_table(a, b));
		const struct sd_symbol *s = sd_symtab_lookup(b, 0xffffffff81000500);
		CHECK(s && !strcmp(s->name, "moved"));
		s = sd_symtab_lookup(b, 0xffffffffc0002fff);
		CHECK(s && !strcmp(s->name, "m2_alias"));
		CHECK(sd_symtab_lookup(b, 0xffffffffc0003000) == NULL);
		CHECK(disagreements(b, 0xffffffff80000000ull,
				    0xffffffffc0010000ull, 20000, 5) == 0);
	}
	sd_symtab_free(a);
	sd_symtab_free(b);
}

/*
 * A "__pfx_" line's digits are checked though their value is not read:
 * with a non-digit in them the line is malformed, not padding.
 */
TEST(pfx_digits_checked)
{
	static const char text[] = "ffffffff81000000 T a\n"
				   "ffffffff8100001g t __pfx_b\n"
				   "ffffffff81000020 t __pfx_c\n"
				   "ffffffff81000030 T c\n";
	struct sd_diags d;
	struct sd_symtab *t = NULL;

	sd_diags_init(&d);
	CHECK(sd_symtab_from_kallsyms(text, strlen(text), &d, &t) == 0);
	CHECK(d.n == 1 && d.v[0].text && strstr(d.v[0].text, "1 malformed") &&
	      d.v[0].offset == 21);
	CHECK(t && sd_symtab_size(t) == 2);
	const struct sd_symbol *s = t ? sd_symtab_lookup(t, 0xffffffff81000025)
				      : NULL;
	CHECK(s && !strcmp(s->name, "a"));
	sd_symtab_free(t);
	sd_diags_clear(&d);
}

/* The malformed lines a load reported (its warning), 0 if none. */
static unsigned long long malformed_lines(const struct sd_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *m = d->v[i].text ? strstr(d->v[i].text, "skipped ")
					     : NULL;
		if (m && strstr(m, "malformed"))
			return strtoull(m + 8, NULL, 10);
	}
	return 0;
}

/*
 * A random kallsyms text of n lines, its addresses written with 16
 * digits (full) or as few as they take: every address has leading
 * zeros, so the same lines take kfast.c's short path for the 16-digit
 * line in one text and the general parser in the other.  Aliases, a few
 * lines out of order, types perf keeps and not, "__pfx_", '$' and
 * reference names, names at and over the kernel's length limit,
 * malformed lines of several kinds (a byte next to the hex digits'
 * ranges among them), modules at the end.  Returns the
 * length.
 */
static size_t random_text(char *out, int n, uint64_t seed, bool full)
{
	static const char types[] = "TtWwDdBbRrAaUN?";
	static const char *const refs[] = {"_text", "_stext", "_etext",
					   "_sinittext", "_einittext"};
	char *p = out, name[600];
	uint64_t a = 0x0000ffff81000000ull;

	for (int i = 0; i < n; i++) {
		uint64_t r = rnd(&seed) % 100, step = rnd(&seed) % 10;
		a += step < 2 ? 0 : 16 + rnd(&seed) % 3000;
		uint64_t at = r == 99 ? a - 0x100000 : a; /* out of order */
		char type = types[rnd(&seed) % (sizeof types - 1)];
		bool upper = rnd(&seed) % 4 == 0;
		size_t nl = 1 + rnd(&seed) % 40;
		for (size_t k = 0; k < nl; k++)
			name[k] = (char)('a' + rnd(&seed) % 26);
		name[nl] = '\0';
		if (r < 30)
			memcpy(name, "__pfx_", 6 < nl ? 6 : nl);
		else if (r < 33)
			strcpy(name, refs[rnd(&seed) % 5]);
		else if (r < 35)
			name[0] = '$';
		else if (r < 37)
			strcpy(name, "_");
		else if (r < 39) {
			/* at the limit (kept) or one over (malformed) */
			nl = 512 + rnd(&seed) % 2;
			memset(name, 'L', nl);
			name[nl] = '\0';
		}
		char addr[32];
		unsigned long long u = at;
		if (full)
			snprintf(addr, sizeof addr, upper ? "%016llX" : "%016llx", u);
		else
			snprintf(addr, sizeof addr, upper ? "%llX" : "%llx", u);
		if (r == 47) /* a byte next to a hex digit's ranges */
			addr[strlen(addr) - 1] = "/:@G`g"[rnd(&seed) % 6];
		switch (r < 39 ? 0 : r < 47 ? (int)(r - 39) + 1 : 0) {
		case 1: p += sprintf(p, "\n"); break;
		case 2: p += sprintf(p, "zz T %s\n", name); break;
		case 3: p += sprintf(p, "%s %c \n", addr, type); break;
		case 4: p += sprintf(p, "%s  %c %s\n", addr, type, name); break;
		case 5: p += sprintf(p, "%sg %c %s\n", addr, type, name); break;
		case 6: p += sprintf(p, "%s \t %s\n", addr, name); break;
		case 7: p += sprintf(p, "%s %c %s\t[m\n", addr, type, name); break;
		case 8: p += sprintf(p, "%s %c\t%s\n", addr, type, name); break;
		default:
			p += sprintf(p, "%s %c %s\n", addr, type, name);
		}
	}
	a += 0x40000000;
	for (int i = 0; i < n / 50; i++) {
		a += rnd(&seed) % 3 ? 16 + rnd(&seed) % 900 : 0;
		p += sprintf(p, full ? "%016llx t mod_%d\t[m%d]\n"
				     : "%llx t mod_%d\t[m%d]\n",
			     (unsigned long long)a, i, i / 7);
	}
	return (size_t)(p - out);
}

/*
 * The short path for a 16-digit line against the general parser: the
 * same random lines written with 16 digits and with fewer make the same
 * table, reference symbols, "__pfx_" evidence and malformed lines.
 */
TEST(sixteen_digits_as_fewer)
{
	enum { N = 3000 };
	char *full = malloc(N * 700), *few = malloc(N * 700);

	if (!full || !few) {
		free(full);
		free(few);
		CHECK(0);
		return;
	}
	for (uint64_t seed = 1; seed <= 12; seed++) {
		static const char *const refs[] = {"_text", "_stext", "_etext",
						   "_sinittext", "_einittext"};
		size_t lf = random_text(full, N, seed, true);
		size_t ls = random_text(few, N, seed, false);
		/* the last line without its '\n', in every other text */
		lf -= seed & 1;
		ls -= seed & 1;
		struct sd_diags df, ds;
		struct sd_symtab *a = NULL, *b = NULL;
		sd_diags_init(&df);
		sd_diags_init(&ds);
		CHECK(sd_symtab_from_kallsyms(full, lf, &df, &a) == 0);
		CHECK(sd_symtab_from_kallsyms(few, ls, &ds, &b) == 0);
		if (a && b) {
			CHECK(sd_symtab_size(a) > N / 5);
			CHECK(same_table(a, b));
			for (int k = 0; k < 5; k++) {
				uint64_t x = 0, y = 0;
				int ex = sd_symtab_ref_addr(a, refs[k], &x);
				int ey = sd_symtab_ref_addr(b, refs[k], &y);
				CHECK(ex == ey && x == y);
			}
			CHECK(!sd_symtab_find_name(a, "__pfx_") ==
			      !sd_symtab_find_name(b, "__pfx_"));
		}
		CHECK(malformed_lines(&df) > 0);
		CHECK_U64(malformed_lines(&df), malformed_lines(&ds));
		CHECK_U64(df.n, ds.n);
		sd_symtab_free(a);
		sd_symtab_free(b);
		sd_diags_clear(&df);
		sd_diags_clear(&ds);
	}
	free(full);
	free(few);
}

/*
 * Lines of every length, so that their ends fall anywhere in the 64-byte
 * blocks kfast.c finds them in, texts shorter than a block and a
 * block or two long, ending with a '\n' or not, given as text and mapped
 * from a file (nothing readable after its last byte when it fills its
 * last page): the table holds each line's symbol, as a model of them
 * says, and the malformed and "__pfx_" lines are skipped.
 */
static int model_misses(const char *text, size_t len, const uint64_t *addr,
			char (*names)[160], int kept, int malformed, bool mapped)
{
	struct sd_symtab *t = NULL;
	struct sd_diags d;
	int bad = 0;

	sd_diags_init(&d);
	if (mapped) {
		char path[] = "/tmp/swapdiag-test-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, text, len) != (ssize_t)len)
			bad++;
		if (fd >= 0)
			close(fd);
		if (!bad && sd_symtab_load_kallsyms(path, &d, &t))
			bad++;
		unlink(path);
	} else if (sd_symtab_from_kallsyms(text, len, &d, &t)) {
		bad++;
	}
	if (t) {
		bad += sd_symtab_size(t) != (size_t)kept;
		for (int i = 0; i < kept && (size_t)i < sd_symtab_size(t); i++) {
			const struct sd_symbol *s = sd_symtab_at(t, i);
			uint64_t end = i + 1 < kept ? addr[i + 1]
						    : ((addr[i] + 4095) & ~4095ull) + 4096;
			bad += s->start != addr[i] || s->end != end ||
			       strcmp(s->name, names[i]);
		}
	}
	bad += malformed_lines(&d) != (unsigned long long)malformed;
	sd_symtab_free(t);
	sd_diags_clear(&d);
	return bad;
}

TEST(line_ends_anywhere)
{
	static char names[64][160];
	uint64_t addr[64];
	char text[64 * 200];

	for (uint64_t seed = 1; seed <= 400; seed++) {
		uint64_t x = seed, a = 0xffffffff81000000ull;
		int lines = 1 + (int)(seed % 9), kept = 0, malformed = 0;
		bool last_nl = seed % 3 != 0;
		size_t len = 0;
		for (int i = 0; i < lines; i++) {
			uint64_t r = rnd(&x) % 10;
			int pad = (int)(rnd(&x) % 140);
			a += 16 + rnd(&x) % 500;
			if (r == 0) {
				/* malformed: a name over the limit is not
				 * this test's; a line with no address is */
				len += (size_t)sprintf(text + len, "zz%.*s\n", pad,
						       "................................................................................................................................................");
				malformed++;
				continue;
			}
			char nm[160];
			snprintf(nm, sizeof nm, "%ss%d_%.*s", r == 1 ? "__pfx_" : "",
				 i, pad,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
			len += (size_t)sprintf(text + len, "%016llx T %s\n",
					       (unsigned long long)a, nm);
			if (r != 1) {
				addr[kept] = a;
				strcpy(names[kept++], nm);
			}
		}
		if (!last_nl)
			len--;
		if (!kept)
			continue;
		CHECK(model_misses(text, len, addr, names, kept, malformed,
				   false) == 0);
		if (seed % 10 == 0)
			CHECK(model_misses(text, len, addr, names, kept,
					   malformed, true) == 0);
	}

	/* a mapped file that fills its page, its last line cut short: a
	 * short name at its very end, a long one before */
	uint64_t a = 0xffffffff81000000ull;
	int kept = 0;
	size_t len = 0;
	while (len + 40 + 22 < 4096) {
		a += 64;
		snprintf(names[kept % 64], sizeof names[0], "f%d", kept);
		len += (size_t)sprintf(text + len, "%016llx T %s\n",
				       (unsigned long long)a, names[kept % 64]);
		kept++;
	}
	a += 64;
	size_t left = 4096 - len - 20 - 22;
	len += (size_t)sprintf(text + len, "%016llx T ", (unsigned long long)a);
	memset(text + len, 'z', left);
	len += left;
	text[len++] = '\n';
	len += (size_t)sprintf(text + len, "%016llx T end",
			       (unsigned long long)a + 64);
	CHECK_U64(len, 4096);
	struct sd_diags d;
	struct sd_symtab *t = NULL;
	char path[] = "/tmp/swapdiag-test-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		SKIP("no temporary file");
	CHECK_U64(write(fd, text, len), len);
	close(fd);
	sd_diags_init(&d);
	CHECK(sd_symtab_load_kallsyms(path, &d, &t) == 0);
	unlink(path);
	CHECK_U64(sd_symtab_size(t), kept + 2);
	const struct sd_symbol *s = t ? sd_symtab_lookup(t, a) : NULL;
	CHECK(s && strlen(s->name) == left && s->name[left - 1] == 'z');
	s = t ? sd_symtab_lookup(t, a + 64) : NULL;
	CHECK(s && !strcmp(s->name, "end"));
	sd_symtab_free(t);
	sd_diags_clear(&d);
}

int main(void)
{
	RUN(kernel_layout);
	RUN(misleading_gaps);
	RUN(out_of_order_line);
	RUN(pfx_digits_checked);
	RUN(sixteen_digits_as_fewer);
	RUN(line_ends_anywhere);
	return test_exit();
}
