/* SPDX-License-Identifier: MIT */
/*
 * Whether two mangled names surely demangle to one string, so that
 * neither needs demangling when perf's choice between aliases compares
 * the names it shows (symtab_fixup.c): a C++ class's constructors or
 * destructors, which GCC emits as aliases at one address ("_ZN3FooC1Ev",
 * "_ZN3FooC2Ev": a C++ library's most common aliases).
 *
 * They differ only in the kind digit, which no demangler prints, where
 * libiberty's d_prefix() reads a constructor or destructor name: "C" 1-5
 * or "D" 0, 1, 2, 4, 5 at a component boundary of the "_ZN" nested name
 * (all that libiberty accepts; anything else there fails it, and the name
 * stays mangled).  Everything before that is the same bytes in both, so
 * libiberty reads it the same way in both; what has to be known is only
 * that it is at such a boundary there -- that the bytes before are whole
 * components (source names, a leading substitution or template
 * parameter, template arguments, ABI tags) as libiberty tokenizes them.
 * Template arguments are read as far as a plain subset of the grammar
 * goes (builtin and class types, qualifiers, nested names, substitutions,
 * integer literals, packs): anything else (expressions, function and
 * array types, operators, local names) says "not known", and the names
 * are demangled as any others.  With template arguments in the class
 * name ("_ZN4llvm2cl12basic_parserIbEC1E...": dso.data, 534 of 2 479
 * choices by name) they used to be demangled.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "symbols/internal.h"

/* A name being read: s[0, stop) may be read, the kind's letter at stop. */
struct mangled {
	const char *s;
	size_t stop;
};

/* Nesting of template arguments and types read at most: deeper ones are
 * "not known" (and the stack stays bounded on hostile names). */
#define TWIN_DEPTH 32

static size_t type_at(const struct mangled *m, size_t i, unsigned depth);

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* <source-name>: a length, then that many bytes; the index after it, or
 * 0. */
static size_t source_name(const struct mangled *m, size_t i)
{
	size_t len = 0;

	if (i >= m->stop || m->s[i] < '1' || m->s[i] > '9')
		return 0;
	for (; i < m->stop && is_digit(m->s[i]); i++)
		if ((len = len * 10 + (size_t)(m->s[i] - '0')) > m->stop)
			return 0;
	return len <= m->stop - i ? i + len : 0;
}

/* <substitution> (m->s[i] == 'S'): "S_", "S<seq-id>_" or one of the
 * standard ones ("St" wants the name after it: *std set). */
static size_t substitution(const struct mangled *m, size_t i, bool *std)
{
	const char *s = m->s;

	*std = false;
	if (i + 1 >= m->stop)
		return 0;
	if (s[i + 1] == 't') {
		*std = true;
		return i + 2;
	}
	if (strchr("absiod", s[i + 1]))
		return i + 2;
	for (i++; i < m->stop && (is_digit(s[i]) || (s[i] >= 'A' && s[i] <= 'Z'));
	     i++)
		;
	return i < m->stop && s[i] == '_' ? i + 1 : 0;
}

/* <template-param> (m->s[i] == 'T'): "T_" or "T<number>_". */
static size_t template_param(const struct mangled *m, size_t i)
{
	for (i++; i < m->stop && is_digit(m->s[i]); i++)
		;
	return i < m->stop && m->s[i] == '_' ? i + 1 : 0;
}

/* A builtin type's code at i: its length (1, or 2 for "D" ones), or 0. */
static size_t builtin(const struct mangled *m, size_t i)
{
	char c = m->s[i];

	if (c >= 'a' && c <= 'z' && c != 'k' && c != 'p' && c != 'q' &&
	    c != 'r' && c != 'u')
		return 1;
	if (c == 'D' && i + 1 < m->stop && m->s[i + 1] &&
	    strchr("acdefhinsu", m->s[i + 1]))
		return 2;
	return 0;
}

static size_t components(const struct mangled *m, size_t i, bool in_type,
			 unsigned depth);

/* Template arguments at 'I' up to their 'E' (J: a pack, maybe empty). */
static size_t template_args(const struct mangled *m, size_t i, unsigned depth)
{
	const char *s = m->s;
	size_t n = 0;
	bool pack = s[i] == 'J';

	if (++depth > TWIN_DEPTH)
		return 0;
	for (i++; i < m->stop && s[i] != 'E'; n++) {
		if (s[i] == 'J') {
			i = template_args(m, i, depth);
		} else if (s[i] == 'L') {
			/* an integer literal: L <type> [n] <digits> E (an
			 * enum's type a name) */
			i = type_at(m, i + 1, depth);
			if (i && i < m->stop && s[i] == 'n')
				i++;
			while (i && i < m->stop && is_digit(s[i]))
				i++;
			i = i && i < m->stop && s[i] == 'E' ? i + 1 : 0;
		} else {
			i = type_at(m, i, depth);
		}
		if (!i)
			return 0;
	}
	return i < m->stop && (n || pack) ? i + 1 : 0;
}

/* Optional template arguments after a name. */
static size_t maybe_args(const struct mangled *m, size_t i, unsigned depth)
{
	if (i && i < m->stop && m->s[i] == 'I')
		return template_args(m, i, depth);
	return i;
}

/* A <type> at i as libiberty's cplus_demangle_type() reads the plain
 * ones. */
static size_t type_at(const struct mangled *m, size_t i, unsigned depth)
{
	const char *s = m->s;
	bool std;
	size_t b;

	if (++depth > TWIN_DEPTH || i >= m->stop)
		return 0;
	if (strchr("PROKVr", s[i]))
		return type_at(m, i + 1, depth);
	if (s[i] == 'D' && i + 1 < m->stop && s[i + 1] == 'p')
		return type_at(m, i + 2, depth);
	if ((b = builtin(m, i)))
		return i + b;
	if (is_digit(s[i]))
		return maybe_args(m, source_name(m, i), depth);
	if (s[i] == 'N')
		return components(m, i + 1, true, depth);
	if (s[i] == 'T')
		return maybe_args(m, template_param(m, i), depth);
	if (s[i] == 'S') {
		i = substitution(m, i, &std);
		if (i && std)
			i = source_name(m, i);
		return maybe_args(m, i, depth);
	}
	return 0;
}

/*
 * The components of a nested name from i, as libiberty's d_prefix()
 * reads them: source names (each maybe with ABI tags), a leading
 * substitution or template parameter, template arguments after a name.
 * In a type (in_type) up to the name's 'E', the index after it; else up
 * to m->stop, where a constructor's or destructor's name is: m->stop.
 * 0 if not so.
 */
static size_t components(const struct mangled *m, size_t i, bool in_type,
			 unsigned depth)
{
	const char *s = m->s;
	enum { NONE, NAME, SUB, STD, ARGS } last = NONE;
	bool std;

	while (i < m->stop && !(in_type && s[i] == 'E')) {
		char c = s[i];
		if (is_digit(c)) {
			i = source_name(m, i);
			last = NAME;
		} else if (c == 'S' && last == NONE) {
			i = substitution(m, i, &std);
			last = std ? STD : SUB;
		} else if (c == 'T' && last == NONE) {
			i = template_param(m, i);
			last = SUB;
		} else if (c == 'I' && (last == NAME || last == SUB)) {
			i = template_args(m, i, depth);
			last = ARGS;
		} else if (c == 'B' && last == NAME) {
			/* an ABI tag, read with the name before it */
			i = source_name(m, i + 1);
		} else {
			return 0;
		}
		if (!i)
			return 0;
	}
	if (last == NONE || last == STD)
		return 0;
	if (in_type)
		return i < m->stop ? i + 1 : 0;
	return i;
}

/* The first index below n where a and b differ, or n. */
static size_t first_diff(const char *a, const char *b, size_t n)
{
	size_t p = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; p + 8 <= n; p += 8) {
		uint64_t x, y;
		memcpy(&x, a + p, 8);
		memcpy(&y, b + p, 8);
		if (x != y)
			return p + (size_t)__builtin_ctzll(x ^ y) / 8;
	}
#endif
	while (p < n && a[p] == b[p])
		p++;
	return p;
}

bool sd_ctor_dtor_twins(const char *a, const char *b)
{
	size_t i, p;

	/* "_ZN", or a transaction clone's "_ZGTtN" of one */
	if (a[0] != '_' || a[1] != 'Z')
		return false;
	if (a[2] == 'N')
		i = 3;
	else if (a[2] == 'G' && a[3] == 'T' && a[4] == 't' && a[5] == 'N')
		i = 6;
	else
		return false;
	/* twins have one length: measured at once, then compared a word at
	 * a time (dso.data: the twin check 2.41 -> 1.83 M instructions) */
	size_t n = strlen(a);
	if (strlen(b) != n)
		return false;
	p = first_diff(a, b, n);
	if (p == n || p <= i + 1)
		return false;
	const char *kinds = a[p - 1] == 'C'   ? "12345"
			    : a[p - 1] == 'D' ? "01245"
					      : NULL;
	if (!kinds || !strchr(kinds, a[p]) || !strchr(kinds, b[p]) ||
	    memcmp(a + p + 1, b + p + 1, n - p - 1))
		return false;
	/* cv- and ref-qualifiers (a member function's), then the prefix */
	const struct mangled m = {.s = a, .stop = p - 1};
	while (i < m.stop && strchr("rVK", a[i]))
		i++;
	if (i < m.stop && (a[i] == 'R' || a[i] == 'O'))
		i++;
	return components(&m, i, false, 0) == m.stop;
}
