/* SPDX-License-Identifier: MIT */
/*
 * Kallsyms parsing and perf 6.1's choice rules (src/symbols/kallsyms.c,
 * symtab.c).  Expected names were checked against perf 6.1 itself with
 * `perf script --kallsyms` on crafted copies (see the symbols report).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <swapdiag/symbols.h>

#include "config.h"
#include "test.h"

#if HAVE_ZSTD
#include <zstd.h>
#endif

static struct sd_symtab *parse(const char *text, struct sd_diags *d)
{
	struct sd_symtab *t = NULL;
	int err = sd_symtab_from_kallsyms(text, strlen(text), d, &t);

	CHECK(err == 0);
	return err ? NULL : t;
}

static const char *name_at(const struct sd_symtab *t, uint64_t addr)
{
	const struct sd_symbol *s = sd_symtab_lookup(t, addr);

	return s ? s->name : "(none)";
}

/*
 * Aliases: every kallsyms symbol starts without a size and only the last
 * one at an address gets an end from the next address, so perf's
 * duplicate reduction (which prefers a sized symbol first) keeps the LAST
 * line at each address, whatever its binding or underscores.
 */
TEST(aliases_last_wins)
{
	struct sd_diags d;
	sd_diags_init(&d);
	struct sd_symtab *t = parse(
		"ffffffff81000000 T srso_alias_untrain_ret\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81000000 T _text\n"
		"ffffffff81000100 T global_first\n"
		"ffffffff81000100 W weak_last\n"
		"ffffffff81000200 W weak_first\n"
		"ffffffff81000200 t __local_last\n"
		"ffffffff81000300 t plain\n",
		&d);
	if (!t)
		return;
	CHECK_STR(name_at(t, 0xffffffff81000000), "_text");
	CHECK_STR(name_at(t, 0xffffffff810000ff), "_text");
	CHECK_STR(name_at(t, 0xffffffff81000100), "weak_last");
	CHECK_STR(name_at(t, 0xffffffff81000250), "__local_last");
	CHECK_U64(sd_symtab_size(t), 4);
	const struct sd_symbol *s = sd_symtab_lookup(t, 0xffffffff81000100);
	CHECK(s && s->binding == SD_BIND_WEAK);
	s = sd_symtab_lookup(t, 0xffffffff81000200);
	CHECK(s && s->binding == SD_BIND_LOCAL);
	s = sd_symtab_lookup(t, 0xffffffff81000000);
	CHECK(s && s->binding == SD_BIND_GLOBAL);
	CHECK_U64(d.n, 0);
	sd_symtab_free(t);
	sd_diags_clear(&d);
}

/* Lines out of address order: the sort keeps file order among equals. */
TEST(unsorted_input_is_stable)
{
	struct sd_symtab *t = parse("ffffffff81000300 T c\n"
				    "ffffffff81000100 T a_first\n"
				    "ffffffff81000200 T b\n"
				    "ffffffff81000100 T a_second\n",
				    NULL);
	if (!t)
		return;
	CHECK_STR(name_at(t, 0xffffffff81000150), "a_second");
	CHECK_STR(name_at(t, 0xffffffff81000200), "b");
	CHECK_STR(name_at(t, 0xffffffff81000300), "c");
	sd_symtab_free(t);
}

TEST(types_and_bindings)
{
	struct sd_symtab *t = parse("0000000000001000 T text_g\n"
				    "0000000000002000 t text_l\n"
				    "0000000000003000 W weak_g\n"
				    "0000000000004000 w weak_lower\n"
				    "0000000000005000 D data_g\n"
				    "0000000000006000 b bss_l\n"
				    "0000000000007000 R rodata_skipped\n"
				    "0000000000007100 r rodata_l_skipped\n"
				    "0000000000007200 A abs_skipped\n"
				    "0000000000007300 U undef_skipped\n"
				    "0000000000007400 V weakobj_skipped\n"
				    "0000000000008000 t $x\n"
				    "0000000000009000 T last\n",
				    NULL);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 7);
	const struct sd_symbol *s = sd_symtab_lookup(t, 0x4000);
	CHECK(s && !strcmp(s->name, "weak_lower") && s->binding == SD_BIND_LOCAL);
	s = sd_symtab_lookup(t, 0x3000);
	CHECK(s && s->binding == SD_BIND_WEAK);
	s = sd_symtab_lookup(t, 0x2000);
	CHECK(s && s->binding == SD_BIND_LOCAL);
	s = sd_symtab_lookup(t, 0x5000);
	CHECK(s && s->binding == SD_BIND_GLOBAL);
	/* R/A/U/V and '$' names are not kept: bss_l spans up to "last". */
	CHECK_STR(name_at(t, 0x7200), "bss_l");
	CHECK_STR(name_at(t, 0x8000), "bss_l");
	/* The last symbol ends one page past its start rounded up. */
	CHECK_STR(name_at(t, 0x9fff), "last");
	CHECK_STR(name_at(t, 0xa000), "(none)");
	CHECK_STR(name_at(t, 0xfff), "(none)");
	sd_symtab_free(t);
}

/* __pfx_ padding is skipped: its bytes belong to the function before. */
TEST(pfx_skipped)
{
	struct sd_symtab *t = parse("ffffffff81001000 T before\n"
				    "ffffffff81001030 t __pfx_after\n"
				    "ffffffff81001040 T after\n"
				    "ffffffff81001080 T __pfx\n",
				    NULL);
	if (!t)
		return;
	CHECK_STR(name_at(t, 0xffffffff81001035), "before");
	CHECK_STR(name_at(t, 0xffffffff8100103f), "before");
	CHECK_STR(name_at(t, 0xffffffff81001040), "after");
	CHECK(sd_symtab_find_name(t, "__pfx_after") == NULL);
	CHECK_STR(name_at(t, 0xffffffff81001080), "__pfx");
	sd_symtab_free(t);
}

TEST(modules)
{
	struct sd_symtab *t = parse(
		"ffffffff81000000 T _text\n"
		"ffffffff81000010 T core_a\n"
		"ffffffff81000020 T core_last\n"
		"ffffffffc0001000 t ext4_fn\t[ext4]\n"
		"ffffffffc0001100 T ext4_other\t[ext4]\n"
		"ffffffffc0001200 t ext4_last\t[ext4]\n"
		"ffffffffc0005000 t xfs_fn\t[xfs]\n"
		"ffffffffc0005000 t xfs_fn_alias\t[xfs]\n"
		"ffffffffc0005040 t bpf_prog_abc_x\t[bpf]\n",
		NULL);
	if (!t)
		return;
	/* Core/module boundary: the last core symbol ends at
	 * roundup(start + 4096, 4096), perf's formula. */
	CHECK_STR(name_at(t, 0xffffffff81001fff), "core_last");
	CHECK_STR(name_at(t, 0xffffffff81002000), "(none)");
	const struct sd_symbol *s = sd_symtab_lookup(t, 0xffffffffc0001104);
	CHECK(s && !strcmp(s->name, "ext4_other"));
	CHECK(s && s->module && !strcmp(sd_symtab_module(t, s->module), "ext4"));
	CHECK(s && s->binding == SD_BIND_GLOBAL);
	/* Between modules perf 6.1 spans the gap (only core<->module is cut). */
	s = sd_symtab_lookup(t, 0xffffffffc0004000);
	CHECK(s && !strcmp(s->name, "ext4_last"));
	s = sd_symtab_lookup(t, 0xffffffffc0005000);
	CHECK(s && !strcmp(s->name, "xfs_fn_alias"));
	CHECK(s && !strcmp(sd_symtab_module(t, s->module), "xfs"));
	s = sd_symtab_lookup(t, 0xffffffffc0005040);
	CHECK(s && !strcmp(sd_symtab_module(t, s->module), "bpf"));
	CHECK(sd_symtab_module(t, 0) == NULL);
	uint64_t lo, hi;
	CHECK(sd_symtab_range(t, &lo, &hi) == 0);
	CHECK_U64(lo, 0xffffffff81000000);
	CHECK_U64(hi, 0xffffffff81002000);
	sd_symtab_free(t);
}

/*
 * /proc/kallsyms lists the core kernel in address order, then each
 * module's symbols in the module list's order, not by address.  The
 * table is the one a stable sort of all lines gives (perf's rb-tree):
 * the modules' lines sorted among themselves, aliases at one address in
 * file order (the last kept), a module's last symbol before another
 * module spanning the gap, the table's last ending one page after its
 * start (roundup + 4096).
 */
TEST(modules_listed_out_of_order)
{
	struct sd_symtab *t = parse(
		"ffffffff81000000 T _text\n"
		"ffffffff81000010 T core_a\n"
		"ffffffff81000020 T core_last\n"
		"ffffffffc0005000 t xfs_fn\t[xfs]\n"
		"ffffffffc0005040 t xfs_b\t[xfs]\n"
		"ffffffffc0001000 t ext4_fn\t[ext4]\n"
		"ffffffffc0001200 t ext4_last\t[ext4]\n"
		"ffffffffc0005000 t xfs_alias_later\t[xfs]\n",
		NULL);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 7);
	CHECK_STR(name_at(t, 0xffffffff81001fff), "core_last");
	CHECK_STR(name_at(t, 0xffffffff81002000), "(none)");
	CHECK_STR(name_at(t, 0xffffffffc0001100), "ext4_fn");
	CHECK_STR(name_at(t, 0xffffffffc0004fff), "ext4_last");
	CHECK_STR(name_at(t, 0xffffffffc0005000), "xfs_alias_later");
	CHECK_STR(name_at(t, 0xffffffffc0006fff), "xfs_b");
	CHECK_STR(name_at(t, 0xffffffffc0007000), "(none)");
	const struct sd_symbol *s = sd_symtab_lookup(t, 0xffffffffc0001000);
	CHECK(s && !strcmp(sd_symtab_module(t, s->module), "ext4"));
	size_t down = 0;
	for (size_t k = 1; k < sd_symtab_size(t); k++)
		down += sd_symtab_at(t, k - 1)->start >=
			sd_symtab_at(t, k)->start;
	CHECK(down == 0);
	sd_symtab_free(t);

	/* arm64: modules below the kernel image; and an alias of a core
	 * address met again after the modules (kept last, as perf) */
	t = parse("ffff800080000000 T _text\n"
		  "ffff800080000100 T core_fn\n"
		  "ffff800080000200 T core_end\n"
		  "ffff800000001000 t mod_fn\t[m]\n"
		  "ffff800080000100 T core_fn_alias_late\n",
		  NULL);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 4);
	CHECK_STR(name_at(t, 0xffff800000001000), "mod_fn");
	/* the module's last symbol, before core: one page on */
	CHECK_STR(name_at(t, 0xffff800000001fff), "mod_fn");
	CHECK_STR(name_at(t, 0xffff800000002000), "(none)");
	CHECK_STR(name_at(t, 0xffff800080000180), "core_fn_alias_late");
	CHECK_STR(name_at(t, 0xffff8000800000ff), "_text");
	sd_symtab_free(t);

	/* a module's line first, the core after it, above: the module's
	 * symbol ends one page on, not where the core starts */
	t = parse("ffff800000001000 t mod_first\t[m]\n"
		  "ffff800080000000 T _text\n"
		  "ffff800080000100 T core_fn\n",
		  NULL);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 3);
	CHECK_STR(name_at(t, 0xffff800000001fff), "mod_first");
	CHECK_STR(name_at(t, 0xffff800000002000), "(none)");
	CHECK_STR(name_at(t, 0xffff800080000100), "core_fn");
	CHECK_STR(name_at(t, 0xffff8000800000ff), "_text");
	sd_symtab_free(t);
}

/*
 * Names stay in the file's text until looked up: from a mapped file whose
 * last line has no newline and ends at the end of a page, a module name
 * cut at its tab, and names found by sd_symtab_find_name() and the
 * reference symbols without being looked up first.
 */
TEST(names_from_mapped_file)
{
	char path[] = "/tmp/sd-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	char *text = malloc(4096);
	size_t n = 0;

	CHECK(fd >= 0 && text);
	if (fd < 0 || !text) {
		free(text);
		return;
	}
	n += (size_t)sprintf(text + n, "ffffffff81000000 T _text\n"
				       "ffffffff81000000 T first_alias\n"
				       "ffffffff81000100 t __pfx_padded\n"
				       "ffffffff81000110 t padded\n");
	/* filler lines up to one 'last' line that ends the page */
	int i = 0;
	while (4096 - n > 60)
		n += (size_t)sprintf(text + n, "ffffffff8100%04x T f%d\n",
				     0x1000 + 16 * i, i), i++;
	const char *lastfmt = "ffffffffc0000000 t ";
	size_t room = 4096 - n - strlen(lastfmt) - strlen("\t[mod]");
	n += (size_t)sprintf(text + n, "%s", lastfmt);
	memset(text + n, 'z', room);
	n += room;
	memcpy(text + n, "\t[mod]", 6);
	n += 6;
	CHECK_U64(n, 4096);
	CHECK(write(fd, text, n) == (ssize_t)n);
	close(fd);

	struct sd_symtab *t = NULL;
	CHECK(sd_symtab_load_kallsyms(path, NULL, &t) == 0);
	unlink(path);
	if (t) {
		uint64_t a = 0;
		CHECK(sd_symtab_ref_addr(t, "_text", &a) == 0);
		CHECK_U64(a, 0xffffffff81000000);
		const struct sd_symbol *s = sd_symtab_find_name(t, "padded");
		CHECK(s && s->start == 0xffffffff81000110 &&
		      !strcmp(s->name, "padded"));
		CHECK(sd_symtab_find_name(t, "padde") == NULL);
		CHECK(sd_symtab_find_name(t, "__pfx_padded") == NULL);
		CHECK_STR(name_at(t, 0xffffffff81000000), "first_alias");
		CHECK_STR(name_at(t, 0xffffffff81001000), "f0");
		s = sd_symtab_lookup(t, 0xffffffffc0000000);
		CHECK(s && strlen(s->name) == room && s->name[0] == 'z' &&
		      s->name[room - 1] == 'z');
		CHECK(s && s->module &&
		      !strcmp(sd_symtab_module(t, s->module), "mod"));
		/* the same name object on every lookup */
		CHECK(s == sd_symtab_lookup(t, 0xffffffffc0000010) &&
		      s->name == sd_symtab_lookup(t, 0xffffffffc0000010)->name);
		sd_symtab_free(t);
	}
	free(text);
}

/*
 * 16-digit lines take kfast.c's short path (eight digits at a time):
 * every digit and letter in each position, either case, reads as its
 * value; a non-digit anywhere in the 16 (the bytes next to '0'-'9',
 * 'a'-'f', 'A'-'F' in ASCII, and bytes >= 0x80) makes the line
 * malformed, as does a tab before the name or a type that is a newline.
 */
TEST(sixteen_digit_lines)
{
	struct sd_diags d;
	sd_diags_init(&d);
	struct sd_symtab *t = parse("0123456789abcdef T lower_digits\n"
				    "0123456789ABCDF0 T upper_digits\n"
				    "fedcba9876543210 t descending\n"
				    "FEDCBA9876543220 W weak_upper\n"
				    "0123456789abcde/ T slash\n"
				    "0123456789abcde: T colon\n"
				    "@123456789abcdef T at\n"
				    "0123456g89abcdef T g_lower\n"
				    "0123456G89abcdef T g_upper\n"
				    "01234567`9abcdef T backquote\n"
				    "0123456789abcd\xe6" "f T high_byte\n"
				    "0123456789abcdef \n T newline_type\n"
				    "0123456789abcdff T\tbad_tab\n"
				    "fedcba9876543300 T _etext\n"
				    "fedcba9876543400 T "
				    "a_name_of_forty_one_characters_123456789\n"
				    "fedcba9876543500 T "
				    "thirty_one_characters_123456789\n",
				    &d);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 7);
	CHECK_STR(name_at(t, 0xfedcba9876543400ull),
		  "a_name_of_forty_one_characters_123456789");
	CHECK_STR(name_at(t, 0xfedcba9876543500ull),
		  "thirty_one_characters_123456789");
	const struct sd_symbol *s = sd_symtab_lookup(t, 0x0123456789abcdefull);
	CHECK(s && s->start == 0x0123456789abcdefull &&
	      !strcmp(s->name, "lower_digits"));
	s = sd_symtab_lookup(t, 0x0123456789abcdf0ull);
	CHECK(s && s->start == 0x0123456789abcdf0ull &&
	      !strcmp(s->name, "upper_digits"));
	s = sd_symtab_lookup(t, 0xfedcba9876543210ull);
	CHECK(s && s->start == 0xfedcba9876543210ull &&
	      s->binding == SD_BIND_LOCAL && !strcmp(s->name, "descending"));
	s = sd_symtab_lookup(t, 0xfedcba9876543220ull);
	CHECK(s && s->binding == SD_BIND_WEAK &&
	      !strcmp(s->name, "weak_upper"));
	uint64_t a = 0;
	CHECK(sd_symtab_ref_addr(t, "_etext", &a) == 0);
	CHECK_U64(a, 0xfedcba9876543300ull);
	/* 10 malformed lines: 7 bad digits, the newline type (and the line
	 * " T newline_type" after it), the tab */
	CHECK(d.n == 1 && d.v[0].text && strstr(d.v[0].text, "10 malformed"));
	sd_symtab_free(t);
	sd_diags_clear(&d);
}

/*
 * An unsorted table is sorted stably (symtab.c's radix sort): 3000 lines
 * at pseudo-random addresses that differ in every byte, each address
 * used one to three times.  Of the aliases at an address, perf keeps the
 * last in file order (only it gets a size, see aliases_last_wins), so a
 * lookup at each address must name the last line written with it.
 */
TEST(unsorted_many_bytes)
{
	enum { N = 3000 };
	uint64_t *addr = malloc(N * sizeof *addr);
	char *text = malloc(N * 40 + 1), *p = text;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (!addr || !text) {
		CHECK(0);
		free(addr);
		free(text);
		return;
	}
	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* every third line reuses an earlier address */
		addr[i] = i % 3 == 2 ? addr[(x >> 33) % (uint64_t)i]
				     : (x ^ (x >> 29)) | 1;
		p += sprintf(p, "%016llx T s%d\n", (unsigned long long)addr[i],
			     i);
	}
	struct sd_symtab *t = parse(text, NULL);
	if (t) {
		int bad = 0;
		for (int i = 0; i < N; i++) {
			int last = i;
			for (int j = i + 1; j < N; j++)
				if (addr[j] == addr[i])
					last = j;
			char want[16];
			snprintf(want, sizeof want, "s%d", last);
			const struct sd_symbol *sy = sd_symtab_lookup(t, addr[i]);
			if (!sy || sy->start != addr[i] || strcmp(sy->name, want))
				bad++;
		}
		CHECK(bad == 0);
		size_t down = 0;
		for (size_t k = 1; k < sd_symtab_size(t); k++)
			down += sd_symtab_at(t, k - 1)->start >=
				sd_symtab_at(t, k)->start;
		CHECK(down == 0);
	}
	sd_symtab_free(t);
	free(addr);
	free(text);
}

TEST(malformed_lines)
{
	struct sd_diags d;
	sd_diags_init(&d);
	struct sd_symtab *t = parse("garbage line\n"
				    "ffffffff81000000 T ok_one\n"
				    "ffffffff81000010T no_space\n"
				    "ffffffff81000020 TT two_types\n"
				    "zzzz T not_hex\n"
				    "ffffffff81000030 T \n"
				    "11112222333344445555 T too_long_addr\n"
				    "ffffffff81000040 T bad_module\t[ext4\n"
				    "\n"
				    "ffffffff81000100 T ok_two\r\n"
				    "ffffffff81000200 T no_newline_at_end",
				    &d);
	if (!t)
		return;
	CHECK_U64(sd_symtab_size(t), 3);
	CHECK_STR(name_at(t, 0xffffffff81000050), "ok_one");
	/* perf keeps everything up to '\n' as the name, '\r' included. */
	CHECK_STR(name_at(t, 0xffffffff81000100), "ok_two\r");
	CHECK_STR(name_at(t, 0xffffffff81000200), "no_newline_at_end");
	CHECK(d.n == 1 && d.v[0].code == SD_E_BAD_SYMFILE &&
	      d.v[0].offset == 0);
	CHECK(d.n == 1 && d.v[0].text && strstr(d.v[0].text, "7 malformed"));
	sd_symtab_free(t);
	sd_diags_clear(&d);

	/* A name longer than the kernel's 512 bytes is malformed. */
	char *big = malloc(1200);
	strcpy(big, "ffffffff81000000 T ");
	memset(big + strlen(big), 'x', 600);
	strcpy(big + 19 + 600, "\nffffffff81000100 T fine\n");
	t = parse(big, NULL);
	CHECK(t && sd_symtab_size(t) == 1);
	sd_symtab_free(t);
	free(big);
}

TEST(all_zero_and_empty)
{
	struct sd_diags d;
	struct sd_symtab *t = NULL;
	const char *zero = "0000000000000000 T _text\n"
			   "0000000000000000 T foo\n"
			   "0000000000000000 t bar\t[ext4]\n";

	sd_diags_init(&d);
	CHECK(sd_symtab_from_kallsyms(zero, strlen(zero), &d, &t) ==
	      -SD_E_BAD_SYMFILE);
	CHECK(t == NULL);
	CHECK(d.n == 1 && d.v[0].text && strstr(d.v[0].text, "as root"));
	sd_diags_clear(&d);
	CHECK(sd_symtab_from_kallsyms("", 0, &d, &t) == -SD_E_BAD_SYMFILE);
	CHECK(sd_symtab_from_kallsyms("x\ny\n", 4, NULL, &t) ==
	      -SD_E_BAD_SYMFILE);
	CHECK(t == NULL);
	sd_diags_clear(&d);
	/* one address not zero, wherever it is among zeros, is enough (the
	 * check reads the sorted table's last start): in order, a module's,
	 * or one that sends the text to be read again and sorted */
	const char *some[] = {"0000000000000000 T _text\n"
			      "0000000000001000 T foo\n",
			      "0000000000000000 T _text\n"
			      "0000000000000000 T foo\n"
			      "0000000000002000 t bar\t[ext4]\n"
			      "0000000000000000 t baz\t[ext4]\n",
			      "0000000000001000 T foo\n"
			      "0000000000000000 T _text\n"
			      "0000000000000000 T bar\n"};
	for (size_t i = 0; i < sizeof some / sizeof *some; i++) {
		CHECK(sd_symtab_from_kallsyms(some[i], strlen(some[i]), &d,
					      &t) == 0);
		CHECK(d.n == 0);
		t = sd_symtab_free(t);
		sd_diags_clear(&d);
	}
}

TEST(relocation)
{
	struct sd_symtab *t = parse("ffffffff81000000 T srso_alias\n"
				    "ffffffff81000000 T _stext\n"
				    "ffffffff81000000 T _text_\n"
				    "ffffffff81000000 T _text\n"
				    "ffffffff81000000 T zzz_last_alias\n"
				    "ffffffff81000100 T func\n"
				    "ffffffffc0001000 t modfn\t[mod]\n",
				    NULL);
	uint64_t a = 0;

	if (!t)
		return;
	/* _text lost the duplicate reduction but is still the reference. */
	CHECK(sd_symtab_find_name(t, "_text") == NULL);
	CHECK(sd_symtab_ref_addr(t, "_text", &a) == 0);
	CHECK_U64(a, 0xffffffff81000000);
	CHECK(sd_symtab_ref_addr(t, "_stext", &a) == 0);
	CHECK(sd_symtab_ref_addr(t, "nonexistent", &a) == -ENOENT);
	/* Recorded _text at ffffffff9e000000: core symbols move by the
	 * difference, module symbols stay (perf matches them per module). */
	sd_symtab_relocate(t, 0x1d000000);
	CHECK_STR(name_at(t, 0xffffffff9e000100), "func");
	CHECK_STR(name_at(t, 0xffffffff81000100), "(none)");
	CHECK_STR(name_at(t, 0xffffffffc0001000), "modfn");
	CHECK(sd_symtab_ref_addr(t, "_text", &a) == 0);
	CHECK_U64(a, 0xffffffff81000000);
	CHECK(sd_symtab_ref_addr(t, "func", &a) == 0);
	CHECK_U64(a, 0xffffffff81000100);
	sd_symtab_relocate(t, -0x1d000000);
	CHECK_STR(name_at(t, 0xffffffff81000100), "func");
	sd_symtab_free(t);
}

#if HAVE_ZSTD
TEST(zstd_input)
{
	const char *plain = "ffffffff81000000 T _text\n"
			    "ffffffff81000100 T zfunc\n";
	size_t cap = ZSTD_compressBound(strlen(plain));
	char *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, plain, strlen(plain), 3);
	struct sd_symtab *t = NULL;
	struct sd_diags d;

	sd_diags_init(&d);
	CHECK(!ZSTD_isError(zn));
	CHECK(sd_symtab_from_kallsyms(z, zn, &d, &t) == 0);
	CHECK(t && !strcmp(name_at(t, 0xffffffff81000104), "zfunc"));
	sd_symtab_free(t);
	t = NULL;

	/* Through a file, as --kallsyms kallsyms.zst would give it. */
	char path[] = "/tmp/sd-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fwrite(z, 1, zn, f);
	fclose(f);
	CHECK(sd_symtab_load_kallsyms(path, &d, &t) == 0);
	CHECK(t && !strcmp(name_at(t, 0xffffffff81000104), "zfunc"));
	sd_symtab_free(t);
	t = NULL;

	/* Cut short and damaged: an error, never a crash. */
	CHECK(sd_symtab_from_kallsyms(z, zn / 2, &d, &t) < 0);
	z[zn / 2] ^= 0x55;
	int err = sd_symtab_from_kallsyms(z, zn, &d, &t);
	/* a table exactly when it succeeded */
	CHECK(err < 0 ? t == NULL : t != NULL);
	sd_symtab_free(t);
	unlink(path);
	free(z);
	sd_diags_clear(&d);
}
#endif

/* Random text over kallsyms' alphabet, and random bytes: never a crash. */
TEST(garbage)
{
	static const char alphabet[] = "0123456789abcdef0123456789abcdef"
				       "    TtWwDdBbRA\t[]_$x_pfx\n\n\n\0\xff";
	uint64_t rng = 0x2545f4914f6cdd1dull;
	char *buf = malloc(8192);
	size_t loaded = 0;

	/* The last page of the address space: the end saturates. */
	struct sd_symtab *top = parse("ffffffffffffff00 T top\n", NULL);
	CHECK(top && !strcmp(name_at(top, 0xfffffffffffffffeull), "top"));
	sd_symtab_free(top);

	for (int round = 0; round < 300; round++) {
		size_t len = 1 + (size_t)(rng % 8192);
		for (size_t i = 0; i < len; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[i] = round % 3 ? alphabet[rng % (sizeof alphabet - 1)]
					   : (char)(rng >> 24);
		}
		struct sd_symtab *t = NULL;
		struct sd_diags d;
		sd_diags_init(&d);
		if (sd_symtab_from_kallsyms(buf, len, &d, &t) == 0) {
			loaded++;
			for (size_t i = 0; i < sd_symtab_size(t); i++) {
				const struct sd_symbol *s = sd_symtab_at(t, i);
				CHECK(s->end > s->start);
				CHECK(sd_symtab_lookup(t, s->start) == s);
				if (i)
					CHECK(sd_symtab_at(t, i - 1)->start < s->start);
			}
		}
		sd_symtab_free(t);
		sd_diags_clear(&d);
	}
	fprintf(stderr, "garbage: %zu of 300 inputs gave a table\n", loaded);
	CHECK(loaded > 0);
	free(buf);
}

TEST(missing_file)
{
	struct sd_symtab *t = NULL;
	struct sd_diags d;

	sd_diags_init(&d);
	CHECK(sd_symtab_load_kallsyms("/nonexistent/kallsyms", &d, &t) ==
	      -ENOENT);
	CHECK(d.n == 1);
	sd_diags_clear(&d);
}

/* The running kernel's kallsyms, when readable: it parses, and its _text
 * is found (the time it took is printed, not checked). */
TEST(host_kallsyms)
{
	struct sd_symtab *t = NULL;
	struct timespec a, b;
	FILE *f = fopen("/proc/kallsyms", "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		SKIP("no /proc/kallsyms");
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 22;
			buf = realloc(buf, cap);
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		if (!r)
			break;
		len += r;
	}
	fclose(f);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	clock_gettime(CLOCK_MONOTONIC, &a);
	int err = sd_symtab_from_kallsyms(buf, len, NULL, &t);
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(buf);
	if (err == -SD_E_BAD_SYMFILE)
		SKIP("/proc/kallsyms is all zero (not root)");
	CHECK(err == 0);
	double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	/* the time is information, not a check: speed is measured by the
	 * benchmarks (BENCHMARKS.md), a timed test only fails on a loaded
	 * machine or in a sanitizer build */
	fprintf(stderr, "parsed %zu bytes of /proc/kallsyms into %zu symbols "
			"in %.1f ms\n", len, sd_symtab_size(t), ms);
	/* at least one symbol, at most one a line */
	CHECK(t && sd_symtab_size(t) > 0 && sd_symtab_size(t) <= lines);
	uint64_t text;
	if (t && sd_symtab_ref_addr(t, "_text", &text) == 0)
		CHECK(sd_symtab_lookup(t, text) != NULL);
	sd_symtab_free(t);
}

int main(void)
{
	RUN(aliases_last_wins);
	RUN(unsorted_input_is_stable);
	RUN(types_and_bindings);
	RUN(pfx_skipped);
	RUN(modules);
	RUN(modules_listed_out_of_order);
	RUN(names_from_mapped_file);
	RUN(sixteen_digit_lines);
	RUN(unsorted_many_bytes);
	RUN(malformed_lines);
	RUN(all_zero_and_empty);
	RUN(relocation);
#if HAVE_ZSTD
	RUN(zstd_input);
#endif
	RUN(garbage);
	RUN(missing_file);
	RUN(host_kallsyms);
	return test_exit();
}
