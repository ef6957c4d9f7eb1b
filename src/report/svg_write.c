/* SPDX-License-Identifier: MIT */
/*
 * Writing the flame graph: a title with the verdict, a legend, the frames
 * (a <g> each, with its <title> tooltip, <rect> and, where it fits, a
 * <text> label), and the inline style and script.  Every name from the
 * recording goes through xml_text(): escaped for XML, and bytes that are
 * not UTF-8 or not allowed in XML replaced, so any comm or symbol gives a
 * well-formed file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"
#include "util/hash.h"
#include "report/window.h"

#define FRAME_H 16    /* pixels per stack level */
#define FONT 12       /* frame labels */
#define CHAR_W 7.2    /* a generous average glyph width at FONT */
#define TOP 76        /* title, subtitle, legend */
#define BOTTOM 34     /* the details line */

/* The length of the UTF-8 sequence at s that XML 1.0 allows, or 0. */
static size_t xml_char(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Writes up to max characters of s (len bytes), escaped; returns how
 * many characters s has. */
static size_t xml_text(FILE *out, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	for (size_t i = 0; i < len; chars++) {
		size_t n = xml_char(p + i, len - i);
		if (chars < max) {
			switch (n ? p[i] : 0) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs("&quot;", out); break;
			case '\'': fputs("&apos;", out); break;
			case 0: fputs("\xef\xbf\xbd", out); break; /* U+FFFD */
			default: fwrite(p + i, 1, n, out);
			}
		}
		i += n ? n : 1;
	}
	return chars;
}

static void xml_str(FILE *out, const char *s)
{
	xml_text(out, s, strlen(s), SIZE_MAX);
}

/* 1234567 as "1,234,567". */
static const char *grouped(uint64_t v, char buf[32])
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static const char *const pat_class[] = {
	[SD_SVG_PAT_FORK_CTX] = "swapctx", [SD_SVG_PAT_TEARDOWN_CTX] = "swapctx",
	[SD_SVG_PAT_WAIT] = "wait", [SD_SVG_PAT_SWAP_DUP] = "swap",
	[SD_SVG_PAT_SWAP_FREE] = "swap",
};

/* The tooltip's last line: where the frame ran and what matched it. */
static void frame_kind(FILE *out, const struct sd_svg_page *pg,
		       const struct sd_svg_frame *f)
{
	const struct sd_finding *fd = NULL;

	if (f->depth == 1) {
		fputs("process", out);
		return;
	}
	fputs(f->kernel ? "kernel" : f->user ? "user space" : "", out);
	switch (f->pat) {
	case SD_SVG_PAT_FORK_CTX:
		fputs(" \xc2\xb7 fork page-table copy, around swap_dup_fork", out);
		return;
	case SD_SVG_PAT_TEARDOWN_CTX:
		fputs(" \xc2\xb7 address-space teardown, around swap_free_exec",
		      out);
		return;
	case SD_SVG_PAT_SWAP_DUP:
		fd = sd_diagnosis_finding(pg->d, SD_FIND_SWAP_DUP_FORK);
		break;
	case SD_SVG_PAT_SWAP_FREE:
		fd = sd_diagnosis_finding(pg->d, SD_FIND_SWAP_FREE_EXEC);
		break;
	case SD_SVG_PAT_WAIT:
		fd = sd_diagnosis_finding(pg->d, SD_FIND_MMAP_LOCK_STALL);
		if (!fd)
			fd = sd_diagnosis_finding(pg->d,
						  SD_FIND_EXEC_LOCK_STALL);
		break;
	}
	if (fd) {
		fprintf(out, " \xc2\xb7 %s: ", sd_finding_key(fd->kind));
		xml_str(out, fd->title);
	}
}

/* The change of a frame's share of all samples, after - before. */
static double frame_delta(const struct sd_svg_page *pg,
			  const struct sd_svg_frame *f)
{
	return (pg->total ? (double)f->n / (double)pg->total : 0) -
	       (pg->before_total ? (double)f->before_n /
					   (double)pg->before_total
				 : 0);
}

static void frame_class(FILE *out, const struct sd_svg_page *pg,
			const struct sd_svg_frame *f)
{
	unsigned shade = (unsigned)(sd_hash_bytes(f->name, f->len, 7) & 3);

	if (pg->diff && f->depth) {
		/* red grew, blue shrank, 4 steps of the largest change;
		 * within 1% of it: unchanged */
		double dl = frame_delta(pg, f);
		double r = pg->max_delta > 0 ? dl / pg->max_delta : 0;
		unsigned step = r > 0 ? (unsigned)(r * 4 + 0.999)
				      : (unsigned)(-r * 4 + 0.999);
		if (step > 4)
			step = 4;
		if ((r < 0 ? -r : r) < 0.01)
			fputs("d0", out);
		else
			fprintf(out, "%s%u", dl > 0 ? "dg" : "ds", step);
		return;
	}
	if (f->depth == 0)
		fputs("root", out);
	else if (f->depth == 1)
		fputs("comm", out);
	else if (f->pat)
		fputs(pat_class[f->pat], out);
	else
		fprintf(out, "%c%u", f->kernel ? 'k' : 'u', shade);
}

struct geom {
	double px;   /* pixels per sample */
	double base; /* y of the depth-0 frame */
};

/*
 * Runs of nested unresolved user frames ("[unknown]", "[bash]": an
 * unwinder that lost its way) that hold the same samples are drawn as one
 * box, "[unknown] xK".  Only the drawing changes; every frame keeps its
 * samples, and the box's tooltip names the whole run.
 */
struct run {
	size_t top;   /* the frame drawn for this one */
	size_t next;  /* the next frame of the run it heads, or SIZE_MAX */
	uint32_t row; /* where it is drawn */
	uint32_t k;   /* frames in the run it heads */
	bool mixed;   /* the run has more than one name */
};

/* A frame: its box, tooltip and (when it fits) label. */
static void box(FILE *out, const struct sd_svg_page *pg, const struct geom *g,
		const struct sd_svg_frame *f, uint32_t depth, uint64_t x,
		uint64_t n, uint32_t merged, const struct run *rn,
		const struct sd_svg_frame *all)
{
	uint32_t k = rn && !merged ? rn[f - all].k : 1;
	char b1[32];
	double w = (double)n * g->px, y = g->base - depth * FRAME_H;
	double pct = pg->total ? 100.0 * (double)n / (double)pg->total : 0;
	size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0, chars;

	fputs("<g class=\"", out);
	if (merged)
		fputs("merged", out);
	else
		frame_class(out, pg, f);
	fprintf(out, "\" data-s=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\"", x, n);
	if (k > 1)
		fprintf(out, " data-k=\"%" PRIu32 "\"", k);
	fputs("><title>", out);
	if (merged) {
		fprintf(out, "%" PRIu32 " narrow frames (merged)\n", merged);
	} else {
		xml_text(out, f->name, f->len, SIZE_MAX);
		fputs("\n", out);
		if (k > 1) {
			fprintf(out, "%" PRIu32 " nested unresolved user frames "
				     "of the same samples, drawn as one:\n", k);
			for (size_t i = (size_t)(f - all); i != SIZE_MAX;
			     i = rn[i].next) {
				xml_text(out, all[i].name, all[i].len, SIZE_MAX);
				fputs(rn[i].next == SIZE_MAX ? "\n" : ";", out);
			}
		}
	}
	fprintf(out, "%s %s, %.2f%%", grouped(n, b1), pg->unit, pct);
	if (merged) {
		fputs("\neach narrower than the minimum width", out);
	} else if (f->depth) {
		fputs("\n", out);
		frame_kind(out, pg, f);
	}
	if (!merged && pg->diff) {
		char b2[32];
		fprintf(out, "\nbefore: %s %s (%.2f%%), change %+.2f points",
			grouped(f->before_n, b2), pg->unit,
			pg->before_total ? 100.0 * (double)f->before_n /
						   (double)pg->before_total
					 : 0,
			100 * frame_delta(pg, f));
	}
	fprintf(out, "</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
		     "height=\"%d\"/>",
		SD_SVG_XPAD + (double)x * g->px, y, w, FRAME_H - 1);
	char lbl[48];
	const char *name = f->name;
	size_t len = f->len;
	if (k > 1 && rn[f - all].mixed) {
		int ln = snprintf(lbl, sizeof lbl, "unresolved x%" PRIu32, k);
		name = lbl;
		len = ln > 0 ? (size_t)ln : 0;
	} else if (k > 1) {
		int ln = snprintf(lbl, sizeof lbl, "%.*s x%" PRIu32,
				  (int)(len < 32 ? len : 32), name, k);
		name = lbl;
		len = ln > 0 ? (size_t)ln : 0;
	}
	if (merged) {
		int ln = snprintf(lbl, sizeof lbl, "%" PRIu32 " narrow frames (merged)",
				  merged);
		name = lbl;
		len = ln > 0 ? (size_t)ln : 0;
	}
	chars = utf8_chars(name, len);
	if (fit >= 3) {
		fprintf(out, "<text x=\"%.1f\" y=\"%.0f\">",
			SD_SVG_XPAD + (double)x * g->px + 3, y + 11);
		if (chars <= fit) {
			xml_text(out, name, len, SIZE_MAX);
		} else {
			xml_text(out, name, len, fit - 2);
			fputs("..", out);
		}
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
}

struct legend_item {
	const char *cls, *label;
};

static void legend(FILE *out, const struct sd_svg_page *pg, unsigned pats)
{
	struct legend_item it[8];
	size_t n = 0;
	double width = 0, x;
	char swap[96];

	if (pats & (1u << SD_SVG_PAT_SWAP_DUP | 1u << SD_SVG_PAT_SWAP_FREE)) {
		snprintf(swap, sizeof swap, "swap-entry work (%s%s%s)",
			 pats & 1u << SD_SVG_PAT_SWAP_DUP ? "swap_dup_fork" : "",
			 (pats & 1u << SD_SVG_PAT_SWAP_DUP) &&
					 (pats & 1u << SD_SVG_PAT_SWAP_FREE)
				 ? ", "
				 : "",
			 pats & 1u << SD_SVG_PAT_SWAP_FREE ? "swap_free_exec" : "");
		it[n++] = (struct legend_item){"swap", swap};
	}
	if (pats & (1u << SD_SVG_PAT_FORK_CTX | 1u << SD_SVG_PAT_TEARDOWN_CTX))
		it[n++] = (struct legend_item){"swapctx",
					       "fork copy / teardown around it"};
	if (pats & 1u << SD_SVG_PAT_WAIT)
		it[n++] = (struct legend_item){"wait", "mmap_lock wait (stall)"};
	it[n++] = (struct legend_item){"k1", "kernel"};
	it[n++] = (struct legend_item){"u1", "user space"};
	it[n++] = (struct legend_item){"comm", "process"};
	if (pg->hidden)
		it[n++] = (struct legend_item){"merged", "narrow frames, merged"};
	it[n++] = (struct legend_item){"hit", "search match"};

	for (size_t i = 0; i < n; i++)
		width += 16 + strlen(it[i].label) * 6.2 + 20;
	x = (pg->width - width + 20) / 2;
	if (x < SD_SVG_XPAD)
		x = SD_SVG_XPAD;
	fputs("<g id=\"legend\">\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "<g class=\"%s\"><rect x=\"%.0f\" y=\"52\" "
			     "width=\"12\" height=\"12\"/>"
			     "<text x=\"%.0f\" y=\"62\">%s</text></g>\n",
			it[i].cls, x, x + 16, it[i].label);
		x += 16 + strlen(it[i].label) * 6.2 + 20;
	}
	fputs("</g>\n", out);
}

static const char *title_text(const struct sd_svg_page *pg)
{
	const struct sd_diagnosis *d = pg->d;
	return pg->title ? pg->title : d && d->verdict ? d->verdict : NULL;
}

/* The document's <title>: what a browser tab shows. */
static void doc_title(FILE *out, const struct sd_svg_page *pg)
{
	const char *t = title_text(pg);

	fputs("<title>", out);
	if (t) {
		xml_str(out, t);
		fputs(" \xe2\x80\x94 ", out);
	}
	fputs("swapdiag flame graph of ", out);
	xml_str(out, pg->ev->name);
	fputs("</title>\n", out);
}

/* The heading: the verdict, then what was recorded where. */
static void heading(FILE *out, const struct sd_svg_page *pg)
{
	const struct sd_diagnosis *d = pg->d;
	const char *t = title_text(pg);
	const struct sd_file_info *in = sd_analysis_info(pg->a);
	static const char *const lv[] = {"none", "info", "warning", "critical"};
	double fs = 15, room = pg->width - 2 * 110.0;
	char b1[32], b2[32];
	size_t chars;

	chars = t ? utf8_chars(t, strlen(t)) : 24;
	if (chars * fs * 0.62 > room)
		fs = room / (chars * 0.62);
	if (fs < 9)
		fs = 9;
	fprintf(out, "<text id=\"title\" class=\"%s\" x=\"%u\" y=\"24\" "
		     "style=\"font-size:%.1fpx\">",
		lv[d && d->level <= SD_LEVEL_CRITICAL ? d->level : 0],
		pg->width / 2, fs);
	if (t)
		xml_str(out, t);
	else
		fprintf(out, "Flame graph");
	fputs("</text>\n", out);

	fprintf(out, "<text id=\"subtitle\" x=\"%u\" y=\"42\">", pg->width / 2);
	xml_str(out, pg->ev->name);
	/* the weighting, as the verdict's shares are: say which */
	fprintf(out, ", weighted by %s \xc2\xb7 %s %s", pg->weight_name,
		grouped(pg->total, b1), pg->unit);
	if (pg->diff)
		fprintf(out, " (before: %s; colour: change of each frame's "
			"share, red grew, blue shrank, darkest %.2f points)",
			grouped(pg->before_total, b2), 100 * pg->max_delta);
	if (pg->a->off_cpu_weights) {
		const struct sd_offcpu *oc = &pg->a->offcpu;
		fprintf(out, " (%" PRIu64 " switch-outs timed to their "
			"switch-in; %" PRIu64 " without a recorded switch-in "
			"and %" PRIu64 " not switched in before the end are "
			"not counted)", oc->paired, oc->no_switch_in,
			oc->still_off);
	}
	{
		char win[1024];
		if (sd_window_describe(pg->a, win, sizeof win)) {
			fputs(" \xc2\xb7 ", out);
			xml_str(out, win);
		}
	}
	if (pg->path) {
		fputs(" \xc2\xb7 ", out);
		xml_str(out, pg->path);
	}
	if (in->hostname || in->os_release) {
		fputs(" \xc2\xb7 ", out);
		if (in->hostname) {
			fputs("host ", out);
			xml_str(out, in->hostname);
			fputs(in->os_release ? ", " : "", out);
		}
		if (in->os_release) {
			fputs("kernel ", out);
			xml_str(out, in->os_release);
		}
	}
	if (pg->hidden)
		fprintf(out, " \xc2\xb7 %s frames of fewer than %s %s "
			     "drawn merged",
			grouped(pg->hidden, b1), grouped(pg->min_samples, b2),
			pg->unit);
	fputs("</text>\n", out);
}

static bool unresolved(const struct sd_svg_frame *f)
{
	return f->depth > 1 && f->user && !f->kernel && f->len >= 2 &&
	       f->name[0] == '[' && f->name[f->len - 1] == ']';
}

static void collapse(const struct sd_svg_frame *fr, size_t n, struct run *rn)
{
	for (size_t i = 0; i < n; i++) {
		const struct sd_svg_frame *f = &fr[i];
		size_t p = f->parent, t = i ? rn[p].top : 0;
		rn[i] = (struct run){.top = i, .next = SIZE_MAX, .k = 1,
				     .row = i ? rn[p].row + 1 : 0};
		if (i && unresolved(f) && unresolved(&fr[p]) &&
		    fr[t].x == f->x && fr[t].n == f->n) {
			rn[i].top = t;
			rn[i].row = rn[p].row;
			rn[p].next = i;
			rn[t].k++;
			if (f->len != fr[t].len ||
			    memcmp(f->name, fr[t].name, f->len))
				rn[t].mixed = true;
		}
	}
}

int sd_svg_write(FILE *out, const struct sd_svg_page *pg,
		 const struct sd_svg_frame *frames, size_t n)
{
	uint32_t depth = 0;
	unsigned pats = 0;
	struct geom g = {0};
	struct run *rn = malloc((n ? n : 1) * sizeof *rn);

	if (!rn)
		return -ENOMEM;
	collapse(frames, n, rn);
	for (size_t i = 0; i < n; i++) {
		const struct sd_svg_frame *f = &frames[i];
		uint32_t d = rn[i].row + (f->narrow_n >= pg->min_samples);
		if (d > depth)
			depth = d;
		pats |= 1u << f->pat;
	}
	unsigned height = TOP + (depth + 1) * FRAME_H + BOTTOM;
	g.px = pg->total ? (pg->width - 2.0 * SD_SVG_XPAD) / (double)pg->total
			 : 0;
	g.base = height - BOTTOM - FRAME_H;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		     "<!-- swapdiag %s: an interactive flame graph; hover for "
		     "details, click to zoom, Ctrl-F to search -->\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		     "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n",
		SWAPDIAG_VERSION, pg->width, height, pg->width, height);
	doc_title(out, pg);
	fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n",
		sd_svg_css);
	fprintf(out, "<rect id=\"background\" x=\"0\" y=\"0\" width=\"%u\" "
		     "height=\"%u\"/>\n", pg->width, height);
	heading(out, pg);
	legend(out, pg, pats);
	fprintf(out, "<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" y=\"24\">"
		     "Reset Zoom</text>\n"
		     "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"24\">"
		     "<title>Search frames by regular expression (Ctrl-F); "
		     "case-insensitive unless it has capitals</title>Search"
		     "</text>\n"
		     "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		     "<text id=\"matched\" class=\"hide\" x=\"%u\" y=\"%u\"> "
		     "</text>\n",
		SD_SVG_XPAD, pg->width - SD_SVG_XPAD, SD_SVG_XPAD, height - 12,
		pg->width - SD_SVG_XPAD, height - 12);
	if (!n)
		fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">"
			     "No samples of this event.</text>\n",
			pg->width / 2, TOP + 20);
	fprintf(out, "<g id=\"frames\" data-unit=\"%s\" data-total=\"%" PRIu64
		     "\" data-pad=\"%d\" "
		     "data-width=\"%u\" data-fh=\"%d\" data-base=\"%.0f\">\n",
		pg->unit, pg->total, SD_SVG_XPAD, pg->width - 2 * SD_SVG_XPAD, FRAME_H,
		g.base);
	for (size_t i = 0; i < n; i++) {
		const struct sd_svg_frame *f = &frames[i];
		if (rn[i].top == i)
			box(out, pg, &g, f, rn[i].row, f->x, f->n, 0, rn,
			    frames);
		if (f->narrow_count && f->narrow_n >= pg->min_samples)
			box(out, pg, &g, f, rn[i].row + 1, f->narrow_x,
			    f->narrow_n, f->narrow_count, NULL, frames);
	}
	free(rn);
	fprintf(out, "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n%s]]>"
		     "</script>\n</svg>\n",
		sd_svg_js);
	return ferror(out) ? -EIO : 0;
}
