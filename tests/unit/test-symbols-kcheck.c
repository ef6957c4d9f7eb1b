/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols checked (src/symbols/kcheck.c, symbolizer.c): where they
 * came from and whether they belong to the recorded kernel -- build-ids of
 * the running kernel, a vmlinux, the build-id cache and a bundle, and a
 * kallsyms text against what the recording shows.  Hand-built inputs in a
 * temporary directory; the host's own kernel is replaced by files given
 * through the opts' host_* fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swapdiag/symbols.h>

#include "test.h"
#include "tfiles.h"
#include "ksymfix.h"

static bool sd_build_id_equal_for_tests(const struct sd_build_id *a,
					const struct sd_build_id *b)
{
	return a->size == b->size && !memcmp(a->data, b->data, a->size);
}

/* A kernel text 0x1000 bytes long, with entry points and a few functions. */
static const char kallsyms_k[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 T entry_SYSCALL_64_after_hwframe\n"
	"ffffffff81000200 T do_syscall_64\n"
	"ffffffff81000300 T kernel_clone\n"
	"ffffffff81000400 T copy_process\n"
	"ffffffff81000500 t ret_from_fork_asm\n"
	"ffffffff81000600 T __pfx_schedule\n"
	"ffffffff81000610 T schedule\n"
	"ffffffff81000f80 T _etext\n"
	"ffffffff82000000 D some_data\n"
	"ffffffffc0001000 t modfunc\t[ext4]\n"
	"ffffffffc0100000 t bpf_prog_6deef7357e7b4530\t[bpf]\n";

static const struct sd_kernel_symbols *status(struct sd_symbolizer *s)
{
	/* the kernel is loaded by its first lookup, as a sample would */
	sd_dso_lookup(sd_symbolizer_kernel(s), 0xffffffff81000204, NULL);
	return sd_symbolizer_kernel_symbols(s);
}

static bool has(const char *text, const char *what)
{
	bool ok = text && strstr(text, what);
	if (!ok)
		fprintf(stderr, "  '%s' not in '%s'\n", what, text ? text : "");
	return ok;
}

TEST(helpers)
{
	struct sd_build_id id;
	uint8_t notes[64] = {0};
	uint32_t namesz = 4, descsz = 4, type = 3;

	CHECK(sd_build_id_parse("00a1FF", &id) == 0);
	CHECK_U64(id.size, 3);
	CHECK_U64(id.data[1], 0xa1);
	CHECK_U64(id.data[2], 0xff);
	CHECK(sd_build_id_parse("0a1", &id) == -EINVAL);
	CHECK(sd_build_id_parse("zz", &id) == -EINVAL);
	CHECK(sd_build_id_parse("", &id) == -EINVAL);
	/* a "Linux" note first, then the GNU build-id, as in /sys/kernel/notes */
	memcpy(notes, &(uint32_t){6}, 4);
	memcpy(notes + 4, &(uint32_t){4}, 4);
	memcpy(notes + 8, &(uint32_t){0x101}, 4);
	memcpy(notes + 12, "Linux\0\0\0", 8);
	memcpy(notes + 20, "\1\2\3\4", 4);
	memcpy(notes + 24, &namesz, 4);
	memcpy(notes + 28, &descsz, 4);
	memcpy(notes + 32, &type, 4);
	memcpy(notes + 36, "GNU", 4);
	memcpy(notes + 40, "\xde\xad\xbe\xef", 4);
	CHECK(sd_notes_build_id(notes, 44, &id) == 0);
	CHECK_U64(id.size, 4);
	CHECK_U64(id.data[0], 0xde);
	CHECK(sd_notes_build_id(notes, 43, &id) < 0); /* cut */
	CHECK(sd_kernel_entry_point("entry_SYSCALL_64_after_hwframe"));
	CHECK(sd_kernel_entry_point("ret_from_fork_asm"));
	CHECK(sd_kernel_entry_point("asm_sysvec_apic_timer_interrupt"));
	CHECK(sd_kernel_entry_point("stub_clone"));
	CHECK(sd_kernel_entry_point("child_rip"));
	CHECK(sd_kernel_entry_point("secondary_startup_64_no_verify"));
	CHECK(!sd_kernel_entry_point("copy_page_range"));
	CHECK(!sd_kernel_entry_point("[kernel.kallsyms]"));
	CHECK(!sd_kernel_entry_point(""));
	CHECK_STR(sd_ksym_source_name(SD_KSYM_BUILDID_CACHE), "build-id-cache");
	CHECK_STR(sd_ksym_source_name(SD_KSYM_RUNNING_KERNEL), "running-kernel");
	CHECK_STR(sd_ksym_source_name(SD_KSYM_PERF_ARCHIVE), "perf-archive");
}

/* HEADER_BUILD_ID against /sys/kernel/notes, before /proc/kallsyms. */
TEST(running_kernel_build_ids)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(11), other = kid(12);
	struct sd_file_info fi = info_with(&rec, "6.1.0-host");
	struct sd_symbolizer *s = NULL;
	const struct sd_kernel_symbols *ks;
	char hex[41];

	tf_write_file(tf_path("host/kallsyms"), kallsyms_k, strlen(kallsyms_k));
	write_notes(tf_path("host/notes"), &rec);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_RUNNING_KERNEL);
	CHECK_U64(ks->matches, 1);
	CHECK(ks->loaded);
	CHECK_STR(ks->path, tf_path("host/kallsyms"));
	sd_build_id_hex(&rec, hex);
	CHECK(has(ks->evidence, hex));
	CHECK(sd_build_id_equal_for_tests(&ks->build_id, &rec));
	sd_symbolizer_free(s);

	/* --kallsyms /proc/kallsyms names this host's kernel: its build-id */
	o.kallsyms = o.host_kallsyms;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_KALLSYMS);
	CHECK_U64(ks->matches, 1);
	CHECK(has(ks->evidence, "running kernel's build-id"));
	sd_symbolizer_free(s);
	write_notes(tf_path("host/notes"), &other);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->matches, 0);
	CHECK(ks->loaded && has(ks->evidence, "is not the recorded kernel's"));
	sd_symbolizer_free(s);
	o.kallsyms = NULL;

	/* another build running here (same release): never its kallsyms */
	write_notes(tf_path("host/notes"), &other);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_NONE);
	CHECK(ks->matches == -1 && !ks->loaded);
	CHECK(has(ks->evidence, "not the running one"));
	sd_build_id_hex(&other, hex);
	CHECK(has(ks->evidence, hex));
	sd_symbolizer_free(s);
}

/* The bundle's kallsyms carries the recorded host's kernel build-id. */
TEST(bundle_build_ids)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(21), other = kid(22);
	struct sd_file_info fi = info_with(&rec, "6.1.0-rec");
	struct sd_symbolizer *s = NULL;
	const struct sd_kernel_symbols *ks;
	char hex[41];

	tf_write_file(tf_path("bundle/kallsyms"), kallsyms_k, strlen(kallsyms_k));
	o.kallsyms = tf_path("bundle/kallsyms");
	o.kallsyms_source = SD_KSYM_BUNDLE;
	o.kallsyms_name = "host.swapdiag.tar.zst:kallsyms";
	sd_build_id_hex(&rec, hex);
	o.kallsyms_build_id = hex;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_BUNDLE);
	CHECK_STR(ks->path, "host.swapdiag.tar.zst:kallsyms");
	CHECK_U64(ks->matches, 1);
	CHECK(has(ks->evidence, "the recorded kernel's"));
	sd_symbolizer_free(s);

	sd_build_id_hex(&other, hex);
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->matches, 0);
	CHECK(has(ks->evidence, "is not the recorded kernel's"));
	/* the checks against the recording do not overrule a build-id */
	sd_symbolizer_verify_kernel(s, &(struct sd_kernel_evidence){
					       .chains = 100,
					       .chains_at_entry = 100});
	CHECK_U64(ks->matches, 0);
	sd_symbolizer_free(s);
}

/* A vmlinux named with --vmlinux: its build-id against the recorded one. */
TEST(vmlinux_build_ids)
{
	const char *so = getenv("SD_SYMFIX_SO");
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id id, bad;
	struct sd_symbolizer *s = NULL;
	const struct sd_kernel_symbols *ks;

	if (!so || !*so)
		SKIP("SD_SYMFIX_SO not set");
	if (!fixture_build_id(so, &id))
		SKIP("fixture without build-id");
	bad = id;
	bad.data[0] ^= 0xff;
	o.vmlinux = so;

	struct sd_file_info fi = info_with(&id, "6.1.0-rec");
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_VMLINUX);
	CHECK_U64(ks->matches, 1);
	CHECK(ks->loaded);
	CHECK(sd_build_id_equal_for_tests(&ks->build_id, &id));
	sd_symbolizer_free(s);

	/* another kernel's vmlinux: reported, not used, not replaced by the
	 * running kernel even though that one matches */
	struct sd_file_info fb = info_with(&bad, "6.1.0-rec");
	tf_write_file(tf_path("host/kallsyms"), kallsyms_k, strlen(kallsyms_k));
	write_notes(tf_path("host/notes"), &bad);
	CHECK(sd_symbolizer_new(&o, &fb, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_VMLINUX);
	CHECK_U64(ks->matches, 0);
	CHECK(!ks->loaded);
	CHECK(has(ks->evidence, "is not the recorded kernel's"));
	CHECK(sd_dso_symsrc(sd_symbolizer_kernel(s)) == NULL);
	struct sd_diags *d = sd_symbolizer_diags(s);
	CHECK(d->n >= 1 && has(d->v[0].text, "--kallsyms-unchecked"));
	sd_symbolizer_free(s);

	/* the same ELF as the build-id cache's vmlinux (.build-id/xx/rest/elf)
	 * of the recorded build-id: used when its own build-id is that one,
	 * refused when the entry holds another kernel's image */
	{
		struct sd_symbol_opts c = host_opts();
		char hex[41], rel[300];
		size_t n;
		char *img = tf_slurp(so, &n);
		c.buildid_dir = tf_path("cache3");
		sd_build_id_hex(&id, hex);
		snprintf(rel, sizeof rel, "cache3/.build-id/%.2s/%s/elf", hex,
			 hex + 2);
		tf_write_file(tf_path(rel), img, n);
		/* info_with() keeps one kernel entry: make it id's again */
		struct sd_file_info fc = info_with(&id, "6.1.0-rec");
		CHECK(sd_symbolizer_new(&c, &fc, &s) == 0);
		ks = status(s);
		CHECK_U64(ks->source, SD_KSYM_BUILDID_CACHE);
		CHECK(ks->matches == 1 && ks->loaded);
		sd_symbolizer_free(s);
		sd_build_id_hex(&bad, hex);
		snprintf(rel, sizeof rel, "cache3/.build-id/%.2s/%s/elf", hex,
			 hex + 2);
		tf_write_file(tf_path(rel), img, n);
		free(img);
		write_notes(tf_path("host/notes"), &id); /* not the running one */
		fc = info_with(&bad, "6.1.0-rec");
		CHECK(sd_symbolizer_new(&c, &fc, &s) == 0);
		ks = status(s);
		CHECK_U64(ks->source, SD_KSYM_NONE);
		CHECK(ks->matches == -1 && !ks->loaded);
		sd_symbolizer_free(s);
	}

	/* --kallsyms-unchecked: used anyway, still said not to match */
	o.kallsyms_unchecked = true;
	CHECK(sd_symbolizer_new(&o, &fb, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->matches, 0);
	CHECK(ks->loaded && ks->unchecked);
	CHECK_STR(sd_dso_symsrc(sd_symbolizer_kernel(s)), so);
	sd_symbolizer_free(s);
}

/* perf's build-id cache: the entry named by the recorded build-id. */
TEST(buildid_cache_source)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_build_id rec = kid(31);
	struct sd_file_info fi = info_with(&rec, "6.1.0-rec");
	struct sd_symbolizer *s = NULL;
	const struct sd_kernel_symbols *ks;
	char hex[41], rel[256];

	sd_build_id_hex(&rec, hex);
	o.buildid_dir = tf_path("cache2");
	snprintf(rel, sizeof rel, "cache2/[kernel.kallsyms]/%s/kallsyms", hex);
	tf_write_file(tf_path(rel), kallsyms_k, strlen(kallsyms_k));
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_BUILDID_CACHE);
	CHECK_STR(ks->path, tf_path(rel));
	CHECK_U64(ks->matches, 1);
	CHECK(has(ks->evidence, hex));
	sd_symbolizer_free(s);

	/* no entry for another build-id: nothing, and no /proc/kallsyms */
	struct sd_build_id other = kid(32);
	struct sd_file_info fo = info_with(&other, "6.1.0-rec");
	CHECK(sd_symbolizer_new(&o, &fo, &s) == 0);
	ks = status(s);
	CHECK_U64(ks->source, SD_KSYM_NONE);
	CHECK(ks->matches == -1 && !ks->loaded);
	sd_symbolizer_free(s);
}

static const struct sd_kernel_symbols *
check_kallsyms(const char *release, const char *arch, uint64_t map_len,
	       uint64_t chains, uint64_t at_entry, const uint64_t *ips,
	       size_t nr_ips, struct sd_symbolizer **sp)
{
	struct sd_symbol_opts o = host_opts();
	static struct sd_file_info fi;

	fi = info_with(NULL, release);
	fi.arch = (char *)arch;
	tf_write_file(tf_path("k/kallsyms"), kallsyms_k, strlen(kallsyms_k));
	o.kallsyms = tf_path("k/kallsyms");
	CHECK(sd_symbolizer_new(&o, &fi, sp) == 0);
	if (!*sp)
		return NULL;
	if (map_len) {
		sd_symbolizer_set_kernel_reloc(*sp, "_text", 0xffffffff81000000);
		sd_symbolizer_set_kernel_map(*sp, 0xffffffff81000000, map_len,
					     0xffffffff81000000);
	}
	status(*sp);
	struct sd_kernel_evidence ev = {chains, at_entry, "copy_process",
					ips, nr_ips};
	sd_symbolizer_verify_kernel(*sp, &ev);
	return sd_symbolizer_kernel_symbols(*sp);
}

/* A kallsyms text against the recording: each check alone. */
TEST(kallsyms_against_recording)
{
	struct sd_symbolizer *s = NULL;
	const struct sd_kernel_symbols *ks;
	uint64_t in[40], out[40];

	for (int i = 0; i < 40; i++) {
		in[i] = 0xffffffff81000200 + (uint64_t)i * 16;
		out[i] = 0xffffffff83000000 + (uint64_t)i * 16;
	}
	/* the map length to the byte: _etext - _text = 0xf80 */
	ks = check_kallsyms("6.18.0", "x86_64", 0xf80, 0, 0, NULL, 0, &s);
	CHECK(ks && ks->matches == 1 && has(ks->evidence, "0xf80"));
	sd_symbolizer_free(s);
	ks = check_kallsyms("6.18.0", "x86_64", 0xf88, 0, 0, NULL, 0, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "0xf88") &&
	      has(ks->evidence, "0xf80"));
	sd_symbolizer_free(s);
	/* another boot of the same kernel (KASLR): moved, still the same */
	{
		struct sd_symbol_opts o = host_opts();
		struct sd_file_info fi = info_with(NULL, "6.18.0");
		uint64_t moved[40];
		for (int i = 0; i < 40; i++)
			moved[i] = in[i] + 0x19000000;
		fi.arch = (char *)"x86_64";
		o.kallsyms = tf_path("k/kallsyms");
		CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
		sd_symbolizer_set_kernel_reloc(s, "_text", 0xffffffff9a000000);
		sd_symbolizer_set_kernel_map(s, 0xffffffff9a000000, 0xf80,
					     0xffffffff9a000000);
		CHECK_STR(sd_dso_lookup(sd_symbolizer_kernel(s),
					0xffffffff9a000404, NULL)->name,
			  "copy_process");
		struct sd_kernel_evidence ev = {100, 100, NULL, moved, 40};
		sd_symbolizer_verify_kernel(s, &ev);
		ks = sd_symbolizer_kernel_symbols(s);
		CHECK(ks->matches == 1 && !strstr(ks->evidence, "outside"));
		sd_symbolizer_free(s);
	}
	/* a page-aligned length (made up: not _etext) tells nothing */
	ks = check_kallsyms("6.18.0", "x86_64", 0x2000000, 0, 0, NULL, 0, &s);
	CHECK(ks && ks->matches == -1);
	sd_symbolizer_free(s);
	/* nor the distance to the end of the mapping that perf 3.x wrote */
	ks = check_kallsyms("6.18.0", "x86_64", 0x1efffd47, 0, 0, NULL, 0, &s);
	CHECK(ks && ks->matches == -1);
	sd_symbolizer_free(s);
	/* chains at entry points */
	ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 97, in, 40, &s);
	CHECK(ks && ks->matches == 1 && has(ks->evidence, "97%"));
	sd_symbolizer_free(s);
	ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 10, in, 40, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "only 10%") &&
	      has(ks->evidence, "copy_process"));
	CHECK(s && sd_symbolizer_diags(s)->n >= 1);
	sd_symbolizer_free(s);
	ks = check_kallsyms("6.18.0", "x86_64", 0, 10, 1, in, 40, &s);
	CHECK(ks && ks->matches == -1); /* too few chains */
	sd_symbolizer_free(s);
	/* IPs in the kallsyms' modules and BPF programs are not core text */
	{
		uint64_t mods[60];
		for (int i = 0; i < 60; i++)
			mods[i] = i < 20 ? in[i]
				  : i < 40 ? 0xffffffffc0001010 + (uint64_t)i
					   : 0xffffffffc0100010 + (uint64_t)i;
		ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 97, mods, 60,
				    &s);
		CHECK(ks && ks->matches == 1 && !strstr(ks->evidence, "outside"));
		sd_symbolizer_free(s);
	}
	/* sampled IPs past _etext */
	ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 97, out, 40, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "outside"));
	sd_symbolizer_free(s);
	/*
	 * Every sample counts, not every address: two IPs, twenty samples
	 * each, half past _etext, are 40 samples with 50 % outside (two
	 * addresses alone would be too few to tell).  And a run of one
	 * module IP says nothing about the IP after it.
	 */
	{
		uint64_t rep[40], runs[55];
		for (int i = 0; i < 40; i++)
			rep[i] = i % 2 ? in[0] : out[0];
		ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 97, rep, 40,
				    &s);
		CHECK(ks && ks->matches == 0 &&
		      has(ks->evidence, "50% of 40 sampled"));
		sd_symbolizer_free(s);
		for (int i = 0; i < 55; i++)
			runs[i] = i < 30 ? 0xffffffffc0001010 : out[0];
		ks = check_kallsyms("6.18.0", "x86_64", 0, 100, 97, runs, 55,
				    &s);
		CHECK(ks && ks->matches == 0 &&
		      has(ks->evidence, "100% of 25 sampled"));
		sd_symbolizer_free(s);
	}
	/* the release: __pfx_ and kernel_clone symbols on a 2.6.32 kernel */
	ks = check_kallsyms("2.6.32-642.el6.x86_64", "x86_64", 0, 100, 97, in,
			    40, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "2.6.32-642"));
	sd_symbolizer_free(s);
	/* ... even when the map length would agree */
	ks = check_kallsyms("3.10.0-1160.el7.x86_64", "x86_64", 0xf80, 0, 0,
			    NULL, 0, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "__pfx_"));
	sd_symbolizer_free(s);
	/*
	 * A name only later releases have, found by the pass over the
	 * symbols (no __pfx_ here to decide first): kernel_clone (5.10) on
	 * a 4.4 recording contradicts it even with the map length exact.
	 */
	{
		struct sd_symbol_opts o = host_opts();
		struct sd_file_info fi = info_with(NULL, "4.4.0-210-generic");
		char text[sizeof kallsyms_k];
		const char *pfx = strstr(kallsyms_k, "ffffffff81000600 T __pfx_");
		const char *after = strchr(pfx, '\n') + 1;
		size_t head = (size_t)(pfx - kallsyms_k);

		memcpy(text, kallsyms_k, head);
		strcpy(text + head, after);
		fi.arch = (char *)"x86_64";
		tf_write_file(tf_path("k4/kallsyms"), text, strlen(text));
		o.kallsyms = tf_path("k4/kallsyms");
		CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
		sd_symbolizer_set_kernel_reloc(s, "_text", 0xffffffff81000000);
		sd_symbolizer_set_kernel_map(s, 0xffffffff81000000, 0xf80,
					     0xffffffff81000000);
		status(s);
		sd_symbolizer_verify_kernel(s, &(struct sd_kernel_evidence){0});
		ks = sd_symbolizer_kernel_symbols(s);
		CHECK(ks->matches == 0 && has(ks->evidence, "kernel_clone (5.10") &&
		      !strstr(ks->evidence, "__pfx_"));
		sd_symbolizer_free(s);
	}
	/* another architecture's kernel text */
	ks = check_kallsyms("6.18.0", "ppc64le", 0, 100, 97, in, 40, &s);
	CHECK(ks && ks->matches == 0 && has(ks->evidence, "ppc64le"));
	sd_symbolizer_free(s);
	/* --kallsyms-unchecked keeps the verdict (matches 0), marks it */
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info fi = info_with(NULL, "2.6.32-642.el6.x86_64");
	o.kallsyms = tf_path("k/kallsyms");
	o.kallsyms_unchecked = true;
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	status(s);
	sd_symbolizer_verify_kernel(s, &(struct sd_kernel_evidence){0});
	ks = sd_symbolizer_kernel_symbols(s);
	CHECK(ks->matches == 0 && ks->unchecked && ks->loaded);
	sd_symbolizer_free(s);
}

/* The release check on kallsyms text (an x86-64 4.4 recording: kernel_clone
 * and system_call_fastpath contradict it), _text moved to text_at. */
static bool release_contradicted(const char *text, uint64_t text_at,
				 const char *name)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info fi = info_with(NULL, "4.4.0-210-generic");
	struct sd_symbolizer *s = NULL;

	fi.arch = (char *)"x86_64";
	tf_write_file(tf_path("kn/kallsyms"), text, strlen(text));
	o.kallsyms = tf_path("kn/kallsyms");
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	if (!s)
		return false;
	sd_symbolizer_set_kernel_reloc(s, "_text", text_at);
	sd_dso_lookup(sd_symbolizer_kernel(s), text_at + 0x204, NULL);
	sd_symbolizer_verify_kernel(s, &(struct sd_kernel_evidence){0});
	const struct sd_kernel_symbols *ks = sd_symbolizer_kernel_symbols(s);
	bool yes = ks->matches == 0 && strstr(ks->evidence, name);
	sd_symbolizer_free(s);
	return yes;
}

/*
 * The release's names as the parser noted them (kallsyms.c, kcheck.c's
 * noted_has()): a name counts where its symbol stayed in the table -- not
 * an alias let go (perf keeps the last line at an address), found where
 * the relocation moved the core kernel, a module's where it was -- and
 * past SD_NOTED_MAX lines of them every name is read.
 */
TEST(release_names_noted)
{
	static const char head[] = "ffffffff81000000 T _text\n"
				   "ffffffff81000200 T do_syscall_64\n";
	char text[4096];

	snprintf(text, sizeof text, "%sffffffff81000300 T kernel_clone\n"
		 "ffffffff81000300 T kernel_clone_alias\n"
		 "ffffffff81000400 T copy_process\n", head);
	CHECK(!release_contradicted(text, 0xffffffff81000000, "kernel_clone"));
	snprintf(text, sizeof text, "%sffffffff81000300 T kernel_clone_alias\n"
		 "ffffffff81000300 T kernel_clone\n"
		 "ffffffff81000400 T copy_process\n", head);
	CHECK(release_contradicted(text, 0xffffffff81000000, "kernel_clone"));
	CHECK(release_contradicted(text, 0xffffffff9a000000, "kernel_clone"));
	snprintf(text, sizeof text, "%sffffffffc0002000 t kernel_clone\t[m]\n",
		 head);
	CHECK(release_contradicted(text, 0xffffffff9a000000, "kernel_clone"));
	/* nine lines of system_call_fastpath: eight aliases let go, then
	 * the ninth kept or let go too */
	for (int last = 0; last < 2; last++) {
		size_t o = (size_t)snprintf(text, sizeof text, "%s", head);
		for (int i = 0; i < 9; i++) {
			o += (size_t)snprintf(text + o, sizeof text - o,
					      "ffffffffc0%d00000 t "
					      "system_call_fastpath\t[m]\n", i);
			if (i < 8 || last)
				o += (size_t)snprintf(text + o, sizeof text - o,
						      "ffffffffc0%d00000 t a%d"
						      "\t[m]\n", i, i);
		}
		CHECK(release_contradicted(text, 0xffffffff81000000,
					   "system_call_fastpath") == !last);
	}
}

/* Nothing needed the kernel: say what would have been used, load nothing. */
TEST(no_kernel_frames)
{
	struct sd_symbol_opts o = host_opts();
	struct sd_file_info fi = info_with(NULL, "6.1.0-rec");
	struct sd_symbolizer *s = NULL;

	o.kallsyms = tf_path("nonexistent/kallsyms");
	CHECK(sd_symbolizer_new(&o, &fi, &s) == 0);
	const struct sd_kernel_symbols *ks = sd_symbolizer_kernel_symbols(s);
	CHECK_U64(ks->source, SD_KSYM_KALLSYMS);
	CHECK(!ks->loaded && ks->matches == -1);
	CHECK(has(ks->evidence, "no kernel frames"));
	CHECK_U64(sd_symbolizer_diags(s)->n, 0);
	sd_symbolizer_free(s);
}

int main(void)
{
	if (!tf_make("/tmp/sd-kchecktest-"))
		return 1;
	RUN(helpers);
	RUN(running_kernel_build_ids);
	RUN(bundle_build_ids);
	RUN(vmlinux_build_ids);
	RUN(buildid_cache_source);
	RUN(kallsyms_against_recording);
	RUN(release_names_noted);
	RUN(no_kernel_frames);
	tf_remove();
	return test_exit();
}
