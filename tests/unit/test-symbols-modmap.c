/* SPDX-License-Identifier: MIT */
/*
 * sd_dso_lookup_map() (src/symbols/symbolizer.c): which symbol and DSO
 * name perf 6.1 gives a kernel address, by the map it lies in.  The rules
 * (checked against perf itself by tests/machine/check-modules.py):
 *
 *  M1 in a module's map, only that module's kallsyms symbols: an address
 *     with none ("[unknown] ([ext4])") has no symbol and the map's name,
 *     even where another module's last symbol or a core one reaches over
 *     it in the whole table.
 *  M2 in the kernel's own map, only the core symbols; once kallsyms is
 *     loaded that map is the core symbols' range (first start to last
 *     end), and an address past it is in no map: "[unknown]".
 *  M3 without kernel symbols the kernel map is the recorded one: inside
 *     it "[kernel.kallsyms]", past it "[unknown]".
 *  M4 a user DSO: as sd_dso_lookup().
 */
#include <stdio.h>
#include <string.h>

#include <swapdiag/symbols.h>

#include "test.h"
#include "tfiles.h"
#include "ksymfix.h"

#define KB 0xffffffff81000000ull
#define MA 0xffffffffc0000000ull /* [ext4], with symbols */
#define MB 0xffffffffc0010000ull /* [xfs], without */
#define MC 0xffffffffc0020000ull /* [kvm], with one */

/* ext4's last symbol reaches kvm's first (perf's symbols__fixup_end);
 * the last core one, _etext, ends at KB + 0x2000 + 0x1000 */
static const char kallsyms[] = "ffffffff81000000 T _text\n"
			       "ffffffff81000100 T kfunc\n"
			       "ffffffff81001000 T _etext\n"
			       "ffffffffc0001000 t ext4_fn\t[ext4]\n"
			       "ffffffffc0002000 t ext4_last\t[ext4]\n"
			       "ffffffffc0020100 t kvm_fn\t[kvm]\n"
			       "ffffffffc0030100 t ghost_fn\t[ghost]\n";

/* "name dso" of addr in map (NULL: the kernel's own) */
static const char *look(struct sd_symbolizer *s, const char *map,
			uint64_t addr)
{
	static char buf[128];
	const char *dso = NULL;
	const struct sd_symbol *sym =
		sd_dso_lookup_map(sd_symbolizer_kernel(s), addr, map, &dso);

	snprintf(buf, sizeof buf, "%s %s", sym ? sym->name : "-",
		 dso ? dso : "(null)");
	return buf;
}

static struct sd_symbolizer *open_with(const char *text)
{
	struct sd_symbol_opts o = host_opts();
	/* the symbolizer keeps a pointer to it */
	static struct sd_file_info fi;
	struct sd_symbolizer *s = NULL;

	fi = info_with(NULL, "other");
	tf_write_file(tf_path("k/kallsyms"), text, strlen(text));
	o.kallsyms = tf_path("k/kallsyms");
	o.kallsyms_unchecked = true;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	if (s)
		/* perf record's kernel map: [_text, _etext) */
		sd_symbolizer_set_kernel_map(s, KB, 0x1000, KB);
	return s;
}

TEST(module_maps_name_their_own)
{
	struct sd_symbolizer *s = open_with(kallsyms);
	if (!s)
		return;
	/* M1 */
	CHECK_STR(look(s, "[ext4]", MA + 0x1010), "ext4_fn [ext4]");
	CHECK_STR(look(s, "[ext4]", MA + 0x10), "- [ext4]");
	CHECK_STR(look(s, "[ext4]", MA + 0x4f00), "ext4_last [ext4]");
	CHECK_STR(look(s, "[xfs]", MB + 0x800), "- [xfs]");
	CHECK_STR(look(s, "[kvm]", MC + 0x200), "kvm_fn [kvm]");
	/* a core symbol does not name a module's address either */
	CHECK_STR(look(s, "[xfs]", KB + 0x110), "- [xfs]");
	/* M2: the core range is [KB, KB + 0x2000), wider than the map */
	CHECK_STR(look(s, "[kernel.kallsyms]", KB + 0x110),
		  "kfunc [kernel.kallsyms]");
	CHECK_STR(look(s, NULL, KB + 0x1800), "_etext [kernel.kallsyms]");
	CHECK_STR(look(s, NULL, KB + 0x2000), "- [unknown]");
	CHECK_STR(look(s, "[kernel.kallsyms]", MA + 0x1010), "- [unknown]");
	CHECK_STR(look(s, NULL, 0xffffffffc0030200), "- [unknown]");
	/* the plain lookup is left as it was */
	const char *dso = NULL;
	const struct sd_symbol *sym =
		sd_dso_lookup(sd_symbolizer_kernel(s), MB + 0x800, &dso);
	CHECK(sym && !strcmp(sym->name, "ext4_last"));
	sd_symbolizer_free(s);
}

TEST(the_range_moves_with_the_kernel)
{
	/* M2 after KASLR: a kernel MMAP placing _text elsewhere once the
	 * range was worked out */
	struct sd_symbolizer *s = open_with(kallsyms);
	if (!s)
		return;
	CHECK_STR(look(s, NULL, KB + 0x2000), "- [unknown]");
	sd_symbolizer_set_kernel_reloc(s, "_text", KB + 0x10000000);
	CHECK_STR(look(s, NULL, KB + 0x10000110), "kfunc [kernel.kallsyms]");
	CHECK_STR(look(s, NULL, KB + 0x10001800), "_etext [kernel.kallsyms]");
	CHECK_STR(look(s, NULL, KB + 0x10002000), "- [unknown]");
	CHECK_STR(look(s, NULL, KB + 0x110), "- [unknown]");
	sd_symbolizer_free(s);
}

TEST(no_kernel_symbols_keep_the_recorded_map)
{
	/* M3: a kallsyms with nothing perf loads */
	struct sd_symbolizer *s = open_with("ffffffff81000000 A _text\n");
	if (!s)
		return;
	CHECK_STR(look(s, NULL, KB + 0x800), "- [kernel.kallsyms]");
	CHECK_STR(look(s, NULL, KB + 0x1000), "- [unknown]");
	CHECK_STR(look(s, "[ext4]", MA + 0x1010), "- [ext4]");
	sd_symbolizer_free(s);
}

TEST(user_dsos_as_before)
{
	/* M4 */
	struct sd_symbolizer *s = open_with(kallsyms);
	if (!s)
		return;
	struct sd_dso *d = sd_symbolizer_dso(s, "/nonexistent/libx.so", NULL);
	const char *a = NULL, *b = NULL;
	CHECK(d != NULL);
	if (!d) {
		sd_symbolizer_free(s);
		return;
	}
	CHECK(sd_dso_lookup_map(d, 0x1000, "/nonexistent/libx.so", &a) ==
	      sd_dso_lookup(d, 0x1000, &b));
	CHECK_STR(a, b);
	sd_symbolizer_free(s);
}

int main(void)
{
	if (!tf_make("/tmp/sd-modmap-"))
		return 1;
	RUN(module_maps_name_their_own);
	RUN(the_range_moves_with_the_kernel);
	RUN(no_kernel_symbols_keep_the_recorded_map);
	RUN(user_dsos_as_before);
	tf_remove();
	return test_exit();
}
