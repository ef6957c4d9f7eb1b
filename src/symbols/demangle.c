/* SPDX-License-Identifier: MIT */
/*
 * Symbol-name demangling, as perf 6.1 shows names.
 *
 * perf 6.1 built without libbfd (Debian's) demangles user-space names with
 * libiberty's cplus_demangle(name, DMGL_NO_OPTS) when not verbose: no
 * parameter list, no return type, no cv-qualifiers ("ns::W<long>::spin",
 * "(anonymous namespace)::anon").  Kernel names are never demangled.
 *
 * Three builds:
 *  - HAVE_LIBIBERTY (libiberty-dev installed): the very call perf makes
 *    (or the part of it that can answer, see below);
 *  - HAVE_CXA_DEMANGLE (libstdc++): abi::__cxa_demangle, which always
 *    prints parameters (and return types of template functions); they are
 *    cut off again below, which matches cplus_demangle for ordinary names
 *    but may differ for names whose operators contain '<', '>' or '(';
 *  - neither: names stay mangled.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle-config.h"
#include "symbols/internal.h"

#if HAVE_LIBIBERTY
#include <libiberty/demangle.h>

/*
 * cplus_demangle() with the default (auto) style tries Rust's demangler
 * first, then the C++ one with the options it was given plus DMGL_AUTO.
 * The Rust one reads a whole "_ZN" name before it gives up, a third of
 * the time a C++ name takes, and can only take names starting with "_R"
 * (v0) or "_ZN" and holding the "17h" of a legacy hash segment: the
 * others go to the C++ one directly (the same answer for each of 374 908
 * names of this host's libraries and programs, C++ and Rust).
 */
char *sd_demangle(const char *name)
{
	/* Only "_Z" (C++, legacy Rust), "_R" (Rust v0) and "_GLOBAL_"
	 * names demangle (cp-demangle.c's d_demangle_callback() without
	 * DMGL_TYPES): glibc's "__GI_..." aliases, whose choice compares
	 * names (symtab_fixup.c), are not handed to libiberty to learn
	 * that (kstorm: 2 492 calls, 0.24 M instructions). */
	if (name[0] != '_' ||
	    (name[1] != 'Z' && name[1] != 'R' && name[1] != 'G'))
		return NULL;
	if (name[1] == 'R' ||
	    (name[1] == 'Z' && name[2] == 'N' && strstr(name, "17h")))
		return cplus_demangle(name, DMGL_NO_OPTS);
	return cplus_demangle_v3(name, DMGL_NO_OPTS | DMGL_AUTO);
}

#elif HAVE_CXA_DEMANGLE

char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
		     int *status);

static size_t strip_suffix(char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n >= k && !memcmp(s + n - k, suffix, k))
		return n - k;
	return n;
}

/* Length of the operator symbol at s ("<<", "()", "new"...), 0 if none. */
static size_t operator_token(const char *s)
{
	static const char *const ops[] = {
		"<<=", ">>=", "<=>", "->*", "<<", ">>", "<=", ">=", "==", "!=",
		"&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=",
		"|=", "^=", "->", "()", "[]", "<", ">", "+", "-", "*", "/",
		"%", "&", "|", "^", "~", "!", "=", ",",
	};

	for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
		if (!strncmp(s, ops[k], strlen(ops[k])))
			return strlen(ops[k]);
	return 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * Where the name starts after a template function's return type: just
 * past the last space outside <>, () and [] that is not part of an
 * operator name ("operator<< <T>", "operator new"); 0 if none.
 */
static size_t name_start(const char *s, size_t n)
{
	size_t start = 0;
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == 'o' && !strncmp(s + i, "operator", 8) &&
		    (i == 0 || !ident_char(s[i - 1])) &&
		    !ident_char(s[i + 8])) {
			i += 8;
			if (s[i] == ' ') /* operator new, operator int */
				continue;
			i += operator_token(s + i);
			if (s[i] == ' ') /* "operator<< <T>" */
				i++;
			i--;
			continue;
		}
		if (c == '<' || c == '(' || c == '[')
			depth++;
		else if ((c == '>' || c == ')' || c == ']') && depth > 0)
			depth--;
		else if (c == ' ' && depth == 0)
			start = i + 1;
	}
	return start;
}

/*
 * "int ns::f<int>(int) const" -> "ns::f<int>": drop trailing qualifiers,
 * the top-level parameter list and, for a template function, the return
 * type before the name.
 */
static void strip_params(char *s)
{
	size_t n = strlen(s), prev;
	int depth = 0;

	do {
		prev = n;
		n = strip_suffix(s, n, " const");
		n = strip_suffix(s, n, " volatile");
		n = strip_suffix(s, n, " &&");
		n = strip_suffix(s, n, " &");
		n = strip_suffix(s, n, " noexcept");
	} while (n != prev);
	if (!n || s[n - 1] != ')')
		return;
	for (size_t i = n; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0) {
			n = i;
			break;
		}
	}
	if (depth != 0)
		return;
	s[n] = '\0';
	if (!n || s[n - 1] != '>')
		return;
	/* A template function: "RET NAME<ARGS>" loses "RET ". */
	size_t k = name_start(s, n);
	if (k)
		memmove(s, s + k, n - k + 1);
}

char *sd_demangle(const char *name)
{
	int status = -1;
	char *out;

	if (name[0] != '_' || name[1] != 'Z')
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (!out || status != 0) {
		free(out);
		return NULL;
	}
	strip_params(out);
	return out;
}

#else

char *sd_demangle(const char *name)
{
	(void)name;
	return NULL;
}

#endif
