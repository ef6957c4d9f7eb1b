/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swapdiag/error.h>

#include "util/str.h"

static const char *const sd_messages[] = {
#define _SD_E(name, msg) [SD_E_##name - SD_E_BASE] = msg,
	SD_ERRORS
#undef _SD_E
};

const char *sd_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > SD_E_BASE && err < SD_E_END)
		return sd_messages[err - SD_E_BASE];
	return strerror(err);
}

void sd_diags_init(struct sd_diags *d)
{
	memset(d, 0, sizeof *d);
}

void sd_diags_clear(struct sd_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	sd_diags_init(d);
}

void sd_diags_add(struct sd_diags *d, enum sd_severity sev, int code,
		  uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sd_diags_vadd(d, sev, code, offset, fmt, ap);
	va_end(ap);
}

void sd_diags_vadd(struct sd_diags *d, enum sd_severity sev, int code,
		   uint64_t offset, const char *fmt, va_list ap)
{
	size_t same = 0, binaries = 0;
	struct sd_diag *last = NULL;
	char *text = NULL;

	if (code < 0)
		code = -code;
	bool per_binary = code == SD_E_NO_SYMBOLS || code == SD_E_BUILD_ID_MISMATCH;
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].code == code && d->v[i].severity == sev) {
			same++;
			last = &d->v[i];
		}
		binaries += d->v[i].code == SD_E_NO_SYMBOLS ||
			    d->v[i].code == SD_E_BUILD_ID_MISMATCH;
	}
	/* one per binary: their own cap, not counted in the others' */
	size_t cap_code = per_binary ? SD_DIAGS_PER_BINARY : SD_DIAGS_PER_CODE;
	bool full = per_binary ? binaries >= SD_DIAGS_PER_BINARY
			       : d->n - binaries >= SD_DIAGS_MAX;
	if (last && (same >= cap_code || full)) {
		last->repeat++;
		return;
	}
	if (full) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct sd_diag *v = realloc(d->v, cap * sizeof *v);
		if (!v) {
			d->dropped++;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	text = sd_vasprintf(fmt, ap);
	d->v[d->n++] = (struct sd_diag){sev, code, offset, 0, text};
}

void sd_diags_move(struct sd_diags *dst, struct sd_diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct sd_diag *s = &src->v[i];
		sd_diags_add(dst, s->severity, s->code, s->offset, "%s",
			     s->text ? s->text : "");
		if (s->repeat && dst->n)
			dst->v[dst->n - 1].repeat += s->repeat;
	}
	dst->dropped += src->dropped;
	sd_diags_clear(src);
}
