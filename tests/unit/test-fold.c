/* SPDX-License-Identifier: MIT */
/*
 * sd_fold_frame(): the folded names stackcollapse-perf.pl gives the frame
 * perf script prints as "SYM (DSO)" (the rules are listed at the top of
 * src/stacks/fold.c).  The common frames take a short path (a symbol of
 * word characters, '.' and '$' in a DSO the rules leave alone; an
 * unknown symbol in such a DSO); each expectation below is what the
 * script's expressions make of the line, and frames just outside the
 * short path's conditions check that the full rules still apply there.
 */
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "stacks/fold.h"
#include "test.h"

/* The names joined by '|', or "" for none. */
static const char *fold(const char *sym, const char *dso, const char *pc)
{
	static char out[2048];
	char *parts[8];
	int k = sd_fold_frame(sym, dso, pc, parts, 8);

	out[0] = '\0';
	if (k < 0)
		return "(error)";
	for (int i = 0; i < k; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, parts[i]);
		free(parts[i]);
	}
	return out;
}

TEST(plain_symbols_are_themselves)
{
	CHECK_STR(fold("do_syscall_64", "[kernel.kallsyms]", NULL),
		  "do_syscall_64");
	CHECK_STR(fold("copy_page.cold", "/usr/lib/libc.so.6", NULL),
		  "copy_page.cold");
	CHECK_STR(fold("$x", "vmlinux", NULL), "$x");
	CHECK_STR(fold("a", "", NULL), "a");
	/* the DSO with blanks and brackets but no parenthesis */
	CHECK_STR(fold("main", "/opt/my app/bin [x]", NULL), "main");
}

/* C++ names: everything from the first '(' goes, unless it opens
 * "(anonymous namespace)" (then from the next one) */
TEST(cpp_names_cut_at_their_parameters)
{
	CHECK_STR(fold("ns::Foo<int>::bar(int) const", "/lib/libx.so", NULL),
		  "ns::Foo<int>::bar");
	CHECK_STR(fold("std::vector<int>::operator[](unsigned long)",
		       "/lib/libx.so", NULL),
		  "std::vector<int>::operator[]");
	CHECK_STR(fold("f((anonymous namespace)::x)", "/lib/libx.so", NULL),
		  "f");
	CHECK_STR(fold("x::(anonymous namespace)::g(int)", "/lib/libx.so",
		       NULL),
		  "x::(anonymous namespace)::g");
	CHECK_STR(fold("foo (int)", "/lib/libx.so", NULL), "foo ");
	CHECK_STR(fold("a::b<c, d*>::e", "/lib/libx.so", NULL),
		  "a::b<c, d*>::e");
	/* "->" splits even inside the parameters; "+0x" is an offset */
	CHECK_STR(fold("s::operator->(int)", "/lib/libx.so", NULL),
		  "s::operator|_[i]");
	CHECK_STR(fold("g(int)+0x10", "/lib/libx.so", NULL), "g");
	CHECK_STR(fold("q(\"x\")", "/lib/libx.so", NULL), "q");
}

TEST(unknown_symbols_name_their_dso)
{
	CHECK_STR(fold(NULL, "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL),
		  "[libc.so.6]");
	CHECK_STR(fold(NULL, "[unknown]", NULL), "[unknown]");
	CHECK_STR(fold(NULL, NULL, NULL), "[unknown]");
	CHECK_STR(fold(NULL, "[kernel.kallsyms]", NULL),
		  "[[kernel.kallsyms]]");
	CHECK_STR(fold(NULL, "/a/b/", NULL), "[]");
	/* --addrs: the address inside */
	CHECK_STR(fold(NULL, "/bin/true", "4011a0"), "[true <4011a0>]");
	/* what tidy() changes in the name: ';' to ':', quotes dropped */
	CHECK_STR(fold(NULL, "/x/a;b\"c'", NULL), "[a:bc]");
}

TEST(full_rules_still_apply)
{
	/* an offset cut, a '(' cut, "->" split with "_[i]" */
	CHECK_STR(fold("f+0x1f", "[kernel.kallsyms]", NULL), "f");
	CHECK_STR(fold("ns::f(int)", "/lib/libx.so", NULL), "ns::f");
	CHECK_STR(fold("a->b", "/lib/libx.so", NULL), "a|b_[i]");
	CHECK_STR(fold("(anonymous)", "/lib/libx.so", NULL), "");
	CHECK_STR(fold("x;y", "/lib/libx.so", NULL), "x:y");
	CHECK_STR(fold("\"q\"", "/lib/libx.so", NULL), "q");
	/* Go's "pkg.(*T).M" keeps its parentheses */
	CHECK_STR(fold("main.(*T).M", "/bin/go", NULL), "main.(*T).M");
	/* a DSO with " (": the split is at the last " (" with a ')' after
	 * ("f (/x" and " (deleted)"), then everything from the '(' goes */
	CHECK_STR(fold("f", "/x (deleted)", NULL), "f ");
	CHECK_STR(fold(NULL, "/x (deleted)", NULL), "[unknown] ");
	/* leading blanks are not part of the name */
	CHECK_STR(fold("  g", "/lib/libx.so", NULL), "g");
}

/*
 * The symbolizer's shortcut (sd_fold_plain: the name is the symbol's
 * first bytes, interned without a copy): the name stackcollapse gives,
 * the same as sd_fold_frame's, or want NULL: not taken (the full rules).
 */
static void check_plain(const char *sym, const char *dso, const char *want)
{
	size_t n = sd_fold_plain(sym, dso);

	CHECK((want != NULL) == (n != 0));
	if (!n || !want)
		return;
	CHECK(n == strlen(want) && !strncmp(sym, want, n));
	CHECK_STR(fold(sym, dso, NULL), want);
}

TEST(the_shortcut_gives_the_rules_name)
{
	check_plain("do_syscall_64", "[kernel.kallsyms]", "do_syscall_64");
	check_plain("copy_page.cold", "/usr/lib/libc.so.6", "copy_page.cold");
	check_plain("main", "/opt/my app/bin [x]", "main");
	check_plain("ns::Foo<int>::bar(int) const", "/lib/libx.so",
		    "ns::Foo<int>::bar");
	check_plain("f((anonymous namespace)::x)", "/lib/libx.so", "f");
	check_plain("foo (int)", "/lib/libx.so", "foo ");
	check_plain("a::b<c, d*>::e", "/lib/libx.so", "a::b<c, d*>::e");
	/* what the full rules change beyond the cut: not taken */
	check_plain("f+0x1f", "[kernel.kallsyms]", NULL);
	check_plain("a->b", "/lib/libx.so", NULL);
	check_plain("s::operator->(int)", "/lib/libx.so", NULL);
	check_plain("(anonymous)", "/lib/libx.so", NULL);
	check_plain("x;y", "/lib/libx.so", NULL);
	check_plain("\"q\"", "/lib/libx.so", NULL);
	check_plain("main.(*T).M", "/bin/go", NULL);
	check_plain("x::(anonymous namespace)::g(int)", "/lib/libx.so", NULL);
	check_plain("  g", "/lib/libx.so", NULL);
	check_plain("f", "/x (deleted)", NULL);
	check_plain(NULL, "/bin/true", NULL);
	check_plain("f", NULL, NULL);
	/* what a rule looks at, after a plain start (the scan goes on from
	 * there, a table lookup a byte) */
	check_plain("a::b-(c)", "/lib/libx.so", "a::b-");
	check_plain("a.b.(c)", "/lib/libx.so", NULL);
	check_plain("a::b<c>-x->y", "/lib/libx.so", NULL);
	check_plain("a::b\tc(int)", "/lib/libx.so", NULL);
	check_plain("a::b<c>'d", "/lib/libx.so", NULL);
	check_plain("a::b<c>+d", "/lib/libx.so", NULL);
	check_plain("a::b<c>;d", "/lib/libx.so", NULL);
	/* up to 513 bytes taken; a longer one goes to the full rules */
	static char sym[600], want[600];
	for (size_t len = 512; len <= 515; len++) {
		memset(sym, 'x', len);
		memcpy(sym, "a::", 3);
		memcpy(sym + len - 5, "(int)", 6);
		memcpy(want, sym, len - 5);
		want[len - 5] = '\0';
		check_plain(sym, "/lib/libx.so", len <= 513 ? want : NULL);
	}
}

int main(void)
{
	RUN(plain_symbols_are_themselves);
	RUN(cpp_names_cut_at_their_parameters);
	RUN(unknown_symbols_name_their_dso);
	RUN(full_rules_still_apply);
	RUN(the_shortcut_gives_the_rules_name);
	return test_exit();
}
