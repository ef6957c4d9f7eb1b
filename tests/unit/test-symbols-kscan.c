/* SPDX-License-Identifier: MIT */
/*
 * kfast.c's short path (sd_kfast_lines(): a line's end, spaces and digits
 * from four 16-byte loads, "__pfx_" from one word) against a model of
 * perf's rules on thousands of generated lines: names of 1 to 70 bytes
 * (their '\n' in each of the loads, or past them: kline.c), every
 * kept and skipped type, aliases, "__pfx_" padding and names that only
 * start like it, upper-case digits, and malformed lines between them.
 * The model: a kept line (T, W, D, B in either case, not "$...", not
 * "__pfx_...") of sorted input is found at its address, the last of the
 * aliases there, up to the next kept address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/symbols.h>

#include "test.h"

enum { NLINES = 4000, NAME_MAX_LEN = 70 };

struct kept {
	uint64_t addr;
	char name[NAME_MAX_LEN + 1];
	uint8_t binding;
};

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rnd_state >> 33) % n;
}

static void random_name(char *out, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_.";

	for (size_t i = 0; i < len; i++)
		out[i] = chars[rnd(sizeof chars - 1)];
	out[0] = (char)('a' + rnd(26)); /* not '_' or '$' */
	out[len] = '\0';
}

/* One generated line at p for address a; its kept symbol in *k (true if
 * kept), *bad the malformed lines it makes. */
static size_t one_line(char *p, uint64_t a, struct kept *k, bool *kept,
		       unsigned *bad)
{
	static const char kept_types[] = "TtWwDdBb", other_types[] = "RrAUVN";
	static const char *odd[] = {"__pf", "__pfx", "_", "__pfx_", "$x",
				    "__pfx_padded", "_a", "__"};
	char name[NAME_MAX_LEN + 1];
	unsigned kind = rnd(20);
	char type = kept_types[rnd(sizeof kept_types - 1)];

	*kept = false;
	*bad = 0;
	random_name(name, 1 + rnd(NAME_MAX_LEN));
	switch (kind) {
	case 0: { /* a digit that is not one */
		size_t n = (size_t)sprintf(p, "%016llx T %s\n",
					   (unsigned long long)a, name);
		p[rnd(16)] = "g:/@`G"[rnd(6)];
		*bad = 1;
		return n;
	}
	case 1: /* a newline for a type: two malformed lines */
		*bad = 2;
		return (size_t)sprintf(p, "%016llx \n T %s\n",
				       (unsigned long long)a, name);
	case 2: /* no name */
		*bad = 1;
		return (size_t)sprintf(p, "%016llx T \n", (unsigned long long)a);
	case 3: /* seventeen digits */
		*bad = 1;
		return (size_t)sprintf(p, "0%016llx T %s\n",
				       (unsigned long long)a, name);
	case 9: /* no space after the type */
		*bad = 1;
		return (size_t)sprintf(p, "%016llx TT %s\n",
				       (unsigned long long)a, name);
	case 4: /* a type perf does not keep */
		type = other_types[rnd(sizeof other_types - 1)];
		break;
	case 5: /* a name that is, or only starts like, padding */
	case 6:
		strcpy(name, odd[rnd(sizeof odd / sizeof *odd)]);
		break;
	case 7: /* "__pfx_" and a name */
		memcpy(name, "__pfx_", 6);
		break;
	}
	size_t n = (size_t)sprintf(p, kind == 8 ? "%016llX %c %s\n"
						: "%016llx %c %s\n",
				   (unsigned long long)a, type, name);
	if (strchr("TWDBtwdb", type) && name[0] != '$' &&
	    strncmp(name, "__pfx_", 6)) {
		*kept = true;
		k->addr = a;
		strcpy(k->name, name);
		k->binding = type == 'W'   ? SD_BIND_WEAK
			     : type < 'a' ? SD_BIND_GLOBAL
					  : SD_BIND_LOCAL;
	}
	return n;
}

TEST(short_path_lines)
{
	char *text = malloc(NLINES * (NAME_MAX_LEN + 24) + 1), *p = text;
	struct kept *k = malloc(NLINES * sizeof *k);
	uint64_t a = 0xffffffff81000000ull;
	size_t nk = 0, distinct = 0;
	unsigned bad = 0;

	if (!text || !k) {
		CHECK(0);
		free(text);
		free(k);
		return;
	}
	for (int i = 0; i < NLINES; i++) {
		bool kept;
		unsigned b;
		/* a fifth of the kept lines are aliases of the one before */
		if (!nk || rnd(5))
			a += 16 * (1 + rnd(4));
		p += one_line(p, a, &k[nk], &kept, &b);
		bad += b;
		if (kept) {
			if (!nk || k[nk - 1].addr != a)
				distinct++;
			nk++;
		}
	}
	struct sd_diags d;
	struct sd_symtab *t = NULL;
	sd_diags_init(&d);
	CHECK(sd_symtab_from_kallsyms(text, (size_t)(p - text), &d, &t) == 0);
	if (t) {
		char want[64];
		snprintf(want, sizeof want, " %u malformed", bad);
		CHECK(d.n == 1 && d.v[0].text && strstr(d.v[0].text, want));
		CHECK_U64(sd_symtab_size(t), distinct);
		unsigned wrong = 0;
		for (size_t i = 0; i < nk; i++) {
			if (i + 1 < nk && k[i + 1].addr == k[i].addr)
				continue; /* an alias that is not the last */
			uint64_t end = i + 1 < nk ? k[i + 1].addr : k[i].addr + 1;
			const struct sd_symbol *s = sd_symtab_lookup(t, k[i].addr);
			const struct sd_symbol *e = sd_symtab_lookup(t, end - 1);
			if (!s || s != e || s->start != k[i].addr ||
			    strcmp(s->name, k[i].name) ||
			    s->binding != k[i].binding) {
				if (!wrong)
					fprintf(stderr, "first wrong: %s at %llx\n",
						k[i].name,
						(unsigned long long)k[i].addr);
				wrong++;
			}
		}
		CHECK_U64(wrong, 0);
		CHECK(sd_symtab_find_name(t, "__pfx_padded") == NULL);
	}
	sd_symtab_free(t);
	sd_diags_clear(&d);
	free(text);
	free(k);
}

/*
 * Enough kept lines with the longest names the short path takes (60
 * bytes) that it makes room for them several times (fast_room(): the
 * names' and the symbols' 2 MiB steps), each "__pfx_" padded as on 6.2+:
 * every symbol found at its address with its name.
 */
TEST(short_path_room)
{
	enum { KEPT = 150000, LINE = 16 + 3 + 60 + 1 };
	/* + 1: sprintf()'s terminating NUL after the last line */
	char *text = malloc((size_t)KEPT * (2 * LINE + 6) + 1), *p = text;
	uint64_t a = 0xffffffff81000000ull;
	char name[61];

	if (!text) {
		CHECK(0);
		return;
	}
	for (unsigned i = 0; i < KEPT; i++, a += 32) {
		snprintf(name, sizeof name, "%060u", i);
		p += sprintf(p, "%016llx t __pfx_%s\n", (unsigned long long)a,
			     name);
		p += sprintf(p, "%016llx T %s\n",
			     (unsigned long long)a + 16, name);
	}
	struct sd_diags d;
	struct sd_symtab *t = NULL;
	sd_diags_init(&d);
	CHECK(sd_symtab_from_kallsyms(text, (size_t)(p - text), &d, &t) == 0);
	CHECK_U64(d.n, 0);
	if (t) {
		unsigned wrong = 0;
		CHECK_U64(sd_symtab_size(t), KEPT);
		a = 0xffffffff81000000ull;
		for (unsigned i = 0; i < KEPT; i++, a += 32) {
			const struct sd_symbol *s = sd_symtab_lookup(t, a + 16);
			snprintf(name, sizeof name, "%060u", i);
			if (!s || s->start != a + 16 || strcmp(s->name, name) ||
			    sd_symtab_lookup(t, a + 47) != s)
				wrong++;
		}
		CHECK_U64(wrong, 0);
	}
	sd_symtab_free(t);
	sd_diags_clear(&d);
	free(text);
}

int main(void)
{
	RUN(short_path_lines);
	RUN(short_path_room);
	return test_exit();
}
