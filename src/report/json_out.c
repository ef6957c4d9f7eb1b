/* SPDX-License-Identifier: MIT */
/*
 * jansson's indented format, written directly (json_out.h).  What it is:
 *   - an object or array with members: the opening bracket, then each
 *     member on a line of its own indented two spaces a level deeper,
 *     members separated by ",", the closing bracket on a line of its own
 *     at the container's level; empty: "{}" and "[]";
 *   - a member of an object: its key as a string, ": ", its value;
 *   - a string: its bytes between quotes, '"' and '\' escaped with a
 *     backslash, the control bytes as \b \f \n \r \t or \u00XX (upper
 *     case hex); anything else as it is (jansson only holds valid UTF-8,
 *     and without JSON_ENSURE_ASCII writes it unescaped);
 *   - an integer in decimal; true, false, null;
 *   - a real with 6 significant digits, as jansson formats it; that
 *     depends on how jansson was built (its own dtoa, or printf's %g
 *     made JSON: ".0" added to an integer, no '+' and no leading zeros
 *     in the exponent).  The %g way is written here when a probe shows
 *     that jansson does it (jansson_g), its digits made here for the
 *     usual magnitudes (g6: ~100 instructions against snprintf()'s ~2 k;
 *     dso -4 M); else jansson formats each real (json_dumpb, a few
 *     thousand instructions each).
 * Keys keep their insertion order (JSON_PRESERVE_ORDER, and jansson
 * >= 2.8 always).
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report/json_out.h"

static void put(struct sd_out *o, const char *s, size_t n)
{
	sd_out_bytes(o, s, n);
}

/* A newline and two spaces a level. */
static void indent(struct sd_out *o, size_t depth)
{
	size_t n = 1 + 2 * depth;
	char *w = sd_out_room(o, n);

	if (!w) {
		put(o, "\n", 1);
		for (size_t i = 0; i < depth; i++)
			put(o, "  ", 2);
		return;
	}
	w[0] = '\n';
	memset(w + 1, ' ', n - 1);
	o->len += n;
}

static void string(struct sd_out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	put(o, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		char e[6] = {'\\', (char)c};
		size_t n = 2;
		switch (c) {
		case '"':
		case '\\':
			break;
		case '\b':
			e[1] = 'b';
			break;
		case '\f':
			e[1] = 'f';
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			n = 6;
		}
		put(o, e, n);
	}
	put(o, s + run, len - run);
	put(o, "\"", 1);
}

static void integer(struct sd_out *o, json_int_t v)
{
	char *w = sd_out_room(o, 21);
	uint64_t u = (uint64_t)v;

	if (v < 0) {
		*w++ = '-';
		o->len++;
		u = 0 - u;
	}
	o->len += sd_out_dec(w, u);
}

/* The powers of ten 1e-4 .. 1e15 that place a real's decimal exponent
 * (need not be exact: g6() checks the scaled value), and the exact ones
 * it is scaled by, 1e0 .. 1e10 (a double holds them up to 1e22). */
static const double decade[20] = {
	1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
	1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};
static const double pow10[11] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
				 1e6, 1e7, 1e8, 1e9, 1e10};

/*
 * printf's "%.6g" of v at t (room for 24 bytes), for 0 and |v| in
 * [1e-4, 1e15): its length, or 0 for snprintf() to do it.
 * The six digits are v scaled by an exact power of ten (one rounding: an
 * error below 2^-53 of the scaled value, under 1e6, so below 2e-10) and
 * rounded to an integer; within 1e-6 of a half, where that error could
 * turn the rounding, the side is decided on the exact value (an fma), as
 * snprintf() rounds the exact binary value: a tie to even.  Those that
 * round up to a seventh digit are left to snprintf().  snprintf() costs
 * ~2 k instructions a real (dso: 2933 of them, 5.7 M), this ~100.
 */
static size_t g6(char *t, double v)
{
	double a = v < 0 ? -v : v, sc = 0;
	int x = -4; /* the decimal exponent: 1e5 <= a * 10^(5 - x) < 1e6 */

	if (a == 0) {
		/* timelines are mostly zeros */
		size_t n = 0;
		if (signbit(v))
			t[n++] = '-';
		t[n++] = '0';
		t[n] = '\0';
		return n;
	}
	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	while (x < 14 && a >= decade[x + 5])
		x++;
	/* decade[] is off by one at most, at an inexact power */
	for (int tries = 0; tries < 3; tries++) {
		int k = 5 - x;
		sc = k >= 0 ? a * pow10[k] : a / pow10[-k];
		if (sc < 1e5)
			x--;
		else if (sc >= 1e6)
			x++;
		else
			break;
	}
	if (sc < 1e5 || sc >= 999999.4)
		return 0;
	double fl = (double)(uint64_t)sc, fr = sc - fl;
	uint32_t d = (uint32_t)fl + (fr > 0.5);
	if (fr > 0.5 - 1e-6 && fr < 0.5 + 1e-6) {
		/* near the half: which side the exact value is on, from one
		 * fma (a single rounding keeps the sign of the exact
		 * a * 10^k - half or a - half * 10^k); on it, the even one */
		int k = 5 - x;
		double half = fl + 0.5;
		double side = k >= 0 ? fma(a, pow10[k], -half)
				     : fma(-half, pow10[-k], a);
		d = (uint32_t)fl + (side > 0 || (side == 0 && ((uint32_t)fl & 1)));
	}
	char dig[6];
	for (int i = 5; i >= 0; i--, d /= 10)
		dig[i] = (char)('0' + d % 10);
	int nd = 6; /* the digits left once trailing zeros go */
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	size_t n = 0;
	if (v < 0)
		t[n++] = '-';
	if (x < -4 || x >= 6) {
		/* d.ddddde+XX */
		t[n++] = dig[0];
		if (nd > 1) {
			t[n++] = '.';
			memcpy(t + n, dig + 1, (size_t)nd - 1);
			n += (size_t)nd - 1;
		}
		t[n++] = 'e';
		t[n++] = x < 0 ? '-' : '+';
		unsigned ux = (unsigned)(x < 0 ? -x : x);
		t[n++] = (char)('0' + ux / 10);
		t[n++] = (char)('0' + ux % 10);
	} else if (x >= 0) {
		/* the first x + 1 digits, then those after the point */
		memcpy(t + n, dig, (size_t)x + 1);
		n += (size_t)x + 1;
		if (nd > x + 1) {
			t[n++] = '.';
			memcpy(t + n, dig + x + 1, (size_t)(nd - x - 1));
			n += (size_t)(nd - x - 1);
		}
	} else {
		/* 0.000ddd */
		t[n++] = '0';
		t[n++] = '.';
		for (int z = -1; z > x; z--)
			t[n++] = '0';
		memcpy(t + n, dig, (size_t)nd);
		n += (size_t)nd;
	}
	t[n] = '\0';
	return n;
}

/* v as printf's %.6g made JSON (see the top) at buf; its length, or 0
 * when it does not fit. */
static size_t g_real(char *buf, size_t cap, double v)
{
	char t[64];
	size_t fast = g6(t, v);
	int n = fast ? (int)fast : snprintf(t, sizeof t, "%.6g", v);

	if (n <= 0 || (size_t)n >= sizeof t)
		return 0;
	/* the locale's decimal point is '.' in JSON */
	char point = localeconv()->decimal_point[0];
	char *p;
	if (point != '.' && (p = strchr(t, point)))
		*p = '.';
	char *e = strchr(t, 'e');
	if (!e && !strchr(t, '.')) {
		memcpy(t + n, ".0", 3);
		n += 2;
	}
	size_t k = 0;
	for (const char *q = t; *q && k < cap; q++) {
		buf[k++] = *q;
		if (q != e)
			continue;
		/* the exponent: its '-' kept, no '+', no leading zeros */
		q++;
		if (*q == '-' && k < cap)
			buf[k++] = '-';
		if (*q == '-' || *q == '+')
			q++;
		while (*q == '0' && q[1])
			q++;
		q--;
	}
	return k < cap ? k : 0;
}

/* Whether jansson formats reals the %g way (g_real): asked once, by a
 * value that each way writes differently ("1.23457e6" and "1234570.0"). */
static bool jansson_g(void)
{
	json_t *r = json_real(1234567.0);
	char a[64], b[64];
	size_t n = r ? json_dumpb(r, a, sizeof a,
				  JSON_ENCODE_ANY | JSON_REAL_PRECISION(6))
		     : 0;
	size_t m = g_real(b, sizeof b, 1234567.0);

	json_decref(r);
	return n && n == m && !memcmp(a, b, n);
}

/* A real as json_dumps() writes it (JSON_REAL_PRECISION(6)); g: the %g
 * way (jansson_g()). */
static int real(struct sd_out *o, const json_t *v, bool g)
{
	char buf[128];
	size_t n = g ? g_real(buf, sizeof buf, json_real_value(v))
			       : json_dumpb(v, buf, sizeof buf,
					    JSON_ENCODE_ANY |
						    JSON_REAL_PRECISION(6));

	if (!n || n > sizeof buf)
		return -ENOMEM;
	put(o, buf, n);
	return 0;
}

static int value(struct sd_out *o, const json_t *v, size_t depth, bool g)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		put(o, "null", 4);
		return 0;
	case JSON_TRUE:
		put(o, "true", 4);
		return 0;
	case JSON_FALSE:
		put(o, "false", 5);
		return 0;
	case JSON_INTEGER:
		integer(o, json_integer_value(v));
		return 0;
	case JSON_REAL:
		return real(o, v, g);
	case JSON_STRING:
		string(o, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		put(o, "[", 1);
		for (size_t i = 0; i < n; i++) {
			indent(o, depth + 1);
			int err = value(o, json_array_get(v, i), depth + 1, g);
			if (err)
				return err;
			if (i + 1 < n)
				put(o, ",", 1);
		}
		if (n)
			indent(o, depth);
		put(o, "]", 1);
		return 0;
	}
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)v);
		put(o, "{", 1);
		if (!it) {
			put(o, "}", 1);
			return 0;
		}
		while (it) {
			const char *key = json_object_iter_key(it);
			indent(o, depth + 1);
			string(o, key, strlen(key));
			put(o, ": ", 2);
			int err = value(o, json_object_iter_value(it), depth + 1,
					 g);
			if (err)
				return err;
			it = json_object_iter_next((json_t *)v, it);
			if (it)
				put(o, ",", 1);
		}
		indent(o, depth);
		put(o, "}", 1);
		return 0;
	}
	}
	return -ENOMEM;
}

bool sd_json_out_own_reals(void)
{
	return jansson_g();
}

int sd_json_out(struct sd_out *o, const json_t *v)
{
	if (!v || (!json_is_object(v) && !json_is_array(v)))
		return -ENOMEM;
	return value(o, v, 0, jansson_g());
}
