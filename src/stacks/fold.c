/* SPDX-License-Identifier: MIT */
/*
 * perf script prints each frame as "\t<addr> <sym> (<dso>)" and the sample
 * header as "<comm> <pid>/<tid> [cpu] time: event:"; stackcollapse-perf.pl
 * then applies its regular expressions.  Those expressions, not the names
 * themselves, decide the folded output, so they are reproduced here on the
 * text perf would print (regexes written without their slashes):
 *
 *   header:  ^(\S.+?)\s+(\d+)/ repeated, (\d+) repeated, \s+
 *            comm = $1 (at least two characters), spaces become '_'
 *   frame:   ^\s*(\w+)\s*(.+) \((.*)\)     rawfunc = $2, mod = $3
 *            a trailing "+0x<hex>" is cut from rawfunc
 *            a rawfunc starting with '(' gives no frame
 *            rawfunc is split at "->"; for each part:
 *              "[unknown]" becomes "[" basename(mod) "]" unless mod is
 *              "[unknown]" itself ("[unknown]"); with --addrs
 *              "[" basename(mod) " <" pc ">]"
 *              ';' becomes ':'
 *              unless it looks like Go's "pkg.(*T).M", everything from the
 *              first '(' that does not open "(anonymous namespace)" is cut
 *              quotes (" and ') are removed
 *              parts after the first get "_[i]"
 *              with --kernel, the first part gets "_[k]" when mod matches
 *              (^\[|vmlinux$) and not "unknown"; else with --jit "_[j]"
 *              when mod matches /tmp/perf-\d+\.map (sd_fold_dso_marks)
 *              when the comm starts with "java", a leading 'L' is cut
 *              from a part holding a '/' (sd_fold_java_name)
 *   weight:  :\s*(\d+)*\s+(\S+):\s*$ on the header: $1 the period, $2
 *            the event; no match, an empty or a zero period: 1
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/stacks.h>

#include "stacks/fold.h"

/* Does whitespace, digits, slashes, digits, whitespace match at s? */
static bool pid_tail_matches(const char *s)
{
	if (!isspace((unsigned char)*s))
		return false;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	while (*s == '/')
		s++;
	while (isdigit((unsigned char)*s))
		s++;
	return isspace((unsigned char)*s);
}

bool sd_fold_comm(const char *comm, int pid, int tid, char *out, size_t cap)
{
	char line[128];
	int n = snprintf(line, sizeof line, "%.64s %5d/%-5d ", comm, pid, tid);

	if (n < 0 || line[0] == '\0' || isspace((unsigned char)line[0]) ||
	    line[0] == '\n')
		return false;
	/* lazy $1: the shortest prefix of at least two characters */
	for (int e = 2; e < n; e++) {
		if (line[e - 1] == '\n')
			return false; /* '.' does not match a newline */
		if (!pid_tail_matches(line + e))
			continue;
		if ((size_t)e >= cap)
			e = (int)cap - 1;
		for (int i = 0; i < e; i++)
			out[i] = line[i] == ' ' ? '_' : line[i];
		out[e] = '\0';
		return true;
	}
	return false;
}

static bool is_hex_offset_suffix(const char *s, size_t len, size_t *cut)
{
	/* "+0x[0-9a-f]+" at the end */
	size_t i = len;
	while (i > 0 && (isdigit((unsigned char)s[i - 1]) ||
			 (s[i - 1] >= 'a' && s[i - 1] <= 'f')))
		i--;
	if (i == len || i < 3 || s[i - 1] != 'x' || s[i - 2] != '0' ||
	    s[i - 3] != '+')
		return false;
	*cut = i - 3;
	return true;
}

/* Go-style "pkg.(*T).M": a ".(" followed later by ")." */
static bool go_style(const char *f)
{
	const char *a = strstr(f, ".(");
	if (!a)
		return false;
	const char *b = strstr(a + 2, ").");
	/* need ")." after ".(" with anything between, greedy or not */
	while (b) {
		if (b >= a + 2)
			return true;
		b = strstr(b + 1, ").");
	}
	return false;
}

static char *tidy(const char *part, size_t len, const char *mod,
		  const char *pc, bool inl)
{
	char *f;

	if (len == 9 && !memcmp(part, "[unknown]", 9)) {
		const char *m = mod;
		if (strcmp(mod, "[unknown]")) {
			const char *slash = strrchr(m, '/');
			if (slash)
				m = slash + 1;
		} else {
			m = "unknown";
		}
		size_t ml = strlen(m), pl = pc ? strlen(pc) + 3 : 0;
		f = malloc(ml + pl + 3 + 4);
		if (!f)
			return NULL;
		f[0] = '[';
		memcpy(f + 1, m, ml);
		if (pc) {
			f[ml + 1] = ' ';
			f[ml + 2] = '<';
			memcpy(f + ml + 3, pc, pl - 3);
			f[ml + pl] = '>';
		}
		f[ml + pl + 1] = ']';
		f[ml + pl + 2] = '\0';
	} else {
		f = malloc(len + 1 + 4);
		if (!f)
			return NULL;
		memcpy(f, part, len);
		f[len] = '\0';
	}
	for (char *p = f; *p; p++)
		if (*p == ';')
			*p = ':';
	if (!go_style(f)) {
		for (char *p = f; (p = strchr(p, '(')); p++) {
			if (strncmp(p + 1, "anonymous namespace)", 20)) {
				*p = '\0';
				break;
			}
		}
	}
	char *w = f;
	for (char *p = f; *p; p++)
		if (*p != '"' && *p != '\'')
			*w++ = *p;
	*w = '\0';
	if (inl && !strstr(f, "_[i]"))
		strcat(f, "_[i]");
	return f;
}

/*
 * The common frame, whose text the expressions leave as it is: a symbol
 * of word characters, '.' and '$' only (no '(', ';', quotes, "->",
 * "+0x", blanks; not empty) in a plain DSO (plain_dso), the whole line
 * short of the buffer below.  Then "(.+) \((.*)\)" splits right after
 * the symbol and nothing else applies: the name is the symbol.  Its
 * length, or 0 when the full rules must run.  An unknown symbol (no
 * --addrs) in a plain DSO is as simple: "[" basename "]".
 */
static inline bool plain_char(unsigned char c)
{
	/* a bit per byte: A-Z a-z 0-9 _ . $ (a table, not five compares:
	 * it runs for every byte of every symbol) */
	static const uint64_t plain[4] = {
		0x03ff401000000000ull, /* '$' '.' '0'-'9' */
		0x07fffffe87fffffeull, /* 'A'-'Z' '_' 'a'-'z' */
		0, 0,
	};
	return plain[c >> 6] >> (c & 63) & 1;
}

/* A DSO name the rules leave alone: no parentheses (the split), ';' or
 * quotes (what tidy() changes in "[dso]"), short. */
static bool plain_dso(const char *dso)
{
	size_t n = strcspn(dso, "();\"'");

	return !dso[n] && n <= 256;
}

bool sd_fold_plain_dso(const char *dso)
{
	return plain_dso(dso);
}

/*
 * The symbol's folded name when only the '(' cut applies: no byte a
 * rule changes or splits at (';', quotes, '+' of "+0x", "->", a
 * control byte), not Go's ".(" form, not starting with a blank or '(';
 * then the name is the symbol up to its first '(' -- unless that opens
 * "(anonymous namespace)".  Its length, or 0 for the full rules.  The
 * bytes before from (plain_char(), none of those) are not looked at
 * again; of the rest only those a rule looks at take more than a table
 * lookup (C++ names are long: dso -2 M instructions against the compares
 * a byte).
 */
static size_t cut_symbol(const char *sym, size_t from)
{
	/* the bytes a rule looks at: control bytes, ';' '"' '\'' '+', '>'
	 * of "->", '(' */
	static const uint64_t special[4] = {
		0x48000984fffffffeull, /* 0x01-0x1f " ' ( + ; > */
		0, 0, 0,
	};
	size_t n = from, cut = 0;
	unsigned char c = (unsigned char)sym[0];

	if (c <= ' ' || c == '(')
		return 0;
	for (; (c = (unsigned char)sym[n]); n++) {
		if (!(special[c >> 6] >> (c & 63) & 1))
			continue;
		if (c < ' ' || c == ';' || c == '"' || c == '\'' || c == '+' ||
		    (c == '>' && n && sym[n - 1] == '-') ||
		    (c == '(' && n && sym[n - 1] == '.'))
			return 0;
		if (c == '(' && !cut) {
			if (!strncmp(sym + n + 1, "anonymous namespace)", 20))
				return 0;
			cut = n;
		}
	}
	if (n > 513)
		return 0; /* a byte past the 513th */
	return cut ? cut : n;
}

size_t sd_fold_plain_sym(const char *sym)
{
	size_t n = 0;

	while (plain_char((unsigned char)sym[n]))
		n++;
	if (!n || n > 512)
		return 0;
	return sym[n] ? cut_symbol(sym, n) : n;
}

size_t sd_fold_plain(const char *sym, const char *dso)
{
	return sym && dso && plain_dso(dso) ? sd_fold_plain_sym(sym) : 0;
}

int sd_fold_frame(const char *sym, const char *dso, const char *pc, char **out,
		  int max)
{
	size_t plain = max > 0 ? sd_fold_plain(sym, dso) : 0;

	if (plain) {
		/* the malloc'd size tidy() gives (callers may append) */
		char *f = malloc(plain + 1 + 4);
		if (!f)
			return -1;
		memcpy(f, sym, plain);
		f[plain] = '\0';
		out[0] = f;
		return 1;
	}
	if (!sym && !pc && max > 0 && dso && plain_dso(dso)) {
		/* "[unknown] (dso)": "[" basename(dso) "]", or "[unknown]" */
		const char *m = strcmp(dso, "[unknown]") ? dso : "unknown";
		const char *slash = strrchr(m, '/');
		if (slash)
			m = slash + 1;
		size_t ml = strlen(m);
		char *f = malloc(ml + 3 + 4);
		if (!f)
			return -1;
		f[0] = '[';
		memcpy(f + 1, m, ml);
		f[ml + 1] = ']';
		f[ml + 2] = '\0';
		out[0] = f;
		return 1;
	}

	char buf[1024];
	const char *s = sym ? sym : "[unknown]";
	const char *d = dso ? dso : "[unknown]";
	int n = snprintf(buf, sizeof buf, "%s (%s)", s, d);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;

	/* "(.+) \((.*)\)": the last " (" that has a ')' after it */
	char *last_close = strrchr(buf, ')');
	char *split = NULL;
	for (char *p = buf + 1; p + 1 < buf + n; p++)
		if (p[0] == ' ' && p[1] == '(' && last_close && last_close > p + 1)
			split = p;
	if (!split)
		return 0;
	/* "\s*" before $2: leading blanks are not part of the name */
	char *func = buf;
	while (func < split && isspace((unsigned char)*func))
		func++;
	/* (.+) needs a character: \s* gives one back ("  (dso)" is " ") */
	if (func == split) {
		if (split == buf)
			return 0;
		func = split - 1;
	}
	*last_close = '\0';
	const char *mod = split + 2;
	size_t flen = (size_t)(split - func);
	size_t cut;
	if (is_hex_offset_suffix(func, flen, &cut))
		flen = cut;
	if (flen && func[0] == '(')
		return 0;

	/* perl's split drops trailing empty fields: "a->" is just "a" */
	while (flen >= 2 && func[flen - 1] == '>' && func[flen - 2] == '-')
		flen -= 2;
	if (flen == 0)
		return 0;
	int k = 0;
	size_t start = 0;
	for (size_t i = 0; i <= flen && k < max; i++) {
		if (i == flen || (i + 1 < flen && func[i] == '-' && func[i + 1] == '>')) {
			char *f = tidy(func + start, i - start, mod, pc, k > 0);
			if (!f) {
				while (k > 0)
					free(out[--k]);
				return -1;
			}
			out[k++] = f;
			start = i + 2;
			i++;
		}
	}
	return k;
}

unsigned sd_fold_dso_marks(const char *mod)
{
	unsigned m = 0;
	size_t n = strlen(mod);

	if ((mod[0] == '[' || (n >= 7 && !strcmp(mod + n - 7, "vmlinux"))) &&
	    !strstr(mod, "unknown"))
		m |= SD_FRAME_KDSO;
	/* m:/tmp/perf-\d+\.map: anywhere in the name */
	for (const char *p = mod; (p = strstr(p, "/tmp/perf-")); p++) {
		const char *d = p + 10;
		while (isdigit((unsigned char)*d))
			d++;
		if (d > p + 10 && !strncmp(d, ".map", 4)) {
			m |= SD_FRAME_JIT;
			break;
		}
	}
	return m;
}

const char *sd_fold_java_name(const char *pname, const char *name)
{
	if (name[0] == 'L' && !strncmp(pname, "java", 4) && strchr(name, '/'))
		return name + 1;
	return name;
}
