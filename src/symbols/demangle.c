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
 *  - HAVE_LIBIBERTY (libiberty-dev installed): the very call perf makes;
 *  - HAVE_CXA_DEMANGLE (libstdc++): abi::__cxa_demangle, which always
 *    prints parameters (and return types of template functions); they are
 *    cut off again below, which matches cplus_demangle for ordinary names
 *    but may differ for names whose operators contain '<', '>' or '(';
 *  - neither: names stay mangled.
 */
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle-config.h"
#include "symbols/internal.h"

#if HAVE_LIBIBERTY
#include <libiberty/demangle.h>

char *sd_demangle(const char *name)
{
	return cplus_demangle(name, DMGL_NO_OPTS);
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
	/* A template function: "RET NAME<ARGS>"; cut at the last top-level
	 * space (outside <>, (), []) that is not part of "operator ...". */
	depth = 0;
	for (size_t i = n; i-- > 0;) {
		char c = s[i];
		if (c == '>' || c == ')' || c == ']')
			depth++;
		else if ((c == '<' || c == '(' || c == '[') && depth > 0)
			depth--;
		else if (c == ' ' && depth == 0) {
			if (i >= 8 && !memcmp(s + i - 8, "operator", 8))
				continue;
			memmove(s, s + i + 1, n - i);
			return;
		}
	}
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
