/* SPDX-License-Identifier: MIT */
/*
 * A bundle's manifest.json (untrusted JSON): the format it names, and the
 * facts of the recording host it carries (when, what command, how long,
 * how many forks, the kernel's build-id).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle/read.h"

int sd_br_manifest(struct sd_br_ctx *c)
{
	struct sd_bundle *b = c->b;
	json_error_t jerr;
	json_t *doc = json_loadb(b->text[M_MANIFEST], b->text_len[M_MANIFEST],
				 JSON_REJECT_DUPLICATES, &jerr);
	const char *fmt;

	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return sd_br_fail(
			c, -EBADMSG, UINT64_MAX,
			"the bundle's manifest.json is not a JSON object "
			"(%s)",
			doc ? "another JSON value" : jerr.text);
	}
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!fmt || strncmp(fmt, "swapdiag-bundle/", 16)) {
		json_decref(doc);
		return sd_br_fail(c, -SD_E_BAD_MAGIC, UINT64_MAX,
				  "manifest.json does not name the format "
				  "swapdiag-bundle/N: not a swapdiag bundle");
	}
	if (strcmp(fmt, SD_BUNDLE_FORMAT)) {
		int err = sd_br_fail(
			c, -ENOTSUP, UINT64_MAX,
			"bundle format '%.40s' is not %s, the one this "
			"swapdiag reads (a newer swapdiag made it?)",
			fmt, SD_BUNDLE_FORMAT);
		json_decref(doc);
		return err;
	}
	b->format = strdup(fmt);
	struct sd_host *h = b->host;
	const char *s;
	if ((s = json_string_value(json_object_get(doc, "created"))) && *s)
		h->created = strndup(s, 64);
	if ((s = json_string_value(json_object_get(doc, "record_command"))))
		h->record_command = strndup(s, 4096);
	/* the host kernel's build-id: hex, at most 64 bytes' worth */
	if ((s = json_string_value(json_object_get(doc, "kernel_build_id")))) {
		size_t n = strlen(s);
		bool hex = n && n % 2 == 0 && n <= 128 &&
			   strspn(s, "0123456789abcdef") == n;
		if (hex)
			b->kernel_build_id = strdup(s);
		else
			sd_diags_add(
				&b->diags, SD_WARNING, EBADMSG, UINT64_MAX,
				"manifest.json: kernel_build_id is not a "
				"build-id; the bundle's kallsyms is checked "
				"against the recording instead");
	}
	json_t *d = json_object_get(doc, "duration_s");
	if (json_is_number(d) && json_number_value(d) >= 0)
		h->duration_s = json_number_value(d);
	json_t *f = json_object_get(doc, "forks");
	json_t *p0 = json_object_get(f, "processes_start"),
	       *p1 = json_object_get(f, "processes_end"),
	       *sec = json_object_get(f, "seconds");
	if (json_is_integer(p0) && json_is_integer(p1) &&
	    json_integer_value(p1) >= json_integer_value(p0) &&
	    json_integer_value(p0) >= 0) {
		h->forks = json_integer_value(p1) - json_integer_value(p0);
		if (json_is_number(sec) && json_number_value(sec) > 0.1)
			h->forks_per_s =
				(double)h->forks / json_number_value(sec);
	}
	json_decref(doc);
	return 0;
}

char *sd_br_first_line(const char *t, size_t n)
{
	size_t k = 0;

	while (k < n && k < 1024 && t[k] != '\n')
		k++;
	char *s = strndup(t, k);
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

