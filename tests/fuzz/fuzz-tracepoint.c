/* SPDX-License-Identifier: MIT */
/*
 * bytes -> tracing data (the TRACING_DATA feature / HEADER_TRACING_DATA
 * payload: event formats for libtraceevent), parsed in both byte orders
 * (sd_tracepoints_new), then sched:sched_switch resolved and a payload
 * decoded field by field; the payload is the input's last bytes, so the
 * decoders see short, long and odd ones.
 */
#include <string.h>

#include <swapdiag/tracepoint.h>

#include "fuzz.h"

static void query(struct sd_tracepoints *tp, const uint8_t *data, size_t size)
{
	const struct sd_tp_event *ev;
	struct sd_sched_switch_fmt fmt;
	struct sd_sched_switch ss;
	struct sd_tp_field f;
	size_t n = size < 256 ? size : 256;
	const uint8_t *raw = data + size - n;
	uint64_t v;
	char s[SD_TP_COMM_MAX];

	sd_tracepoints_nr_events(tp);
	sd_tracepoints_long_size(tp);
	sd_tracepoints_page_size(tp);
	if (sd_tp_find_name(tp, "sched:sched_switch", &ev) == 0) {
		sd_tp_event_system(ev);
		sd_tp_event_name(ev);
		if (sd_tp_sched_switch_fmt(tp, (uint64_t)sd_tp_event_id(ev),
					   &fmt) == 0)
			for (size_t k = 0; k <= n; k += 8)
				sd_tp_sched_switch(&fmt, raw, n - k, &ss);
		static const char *const names[] = {
			"common_pid", "prev_comm", "prev_state", "next_pid",
			"common_type", "nonexistent"};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			if (sd_tp_field_get(ev, names[i], &f))
				continue;
			sd_tp_read_u64(&f, raw, n, &v);
			sd_tp_read_str(&f, raw, n, s, sizeof s);
		}
	}
	/* ids near the ones a kernel gives */
	for (uint64_t id = 0; id < 8; id++)
		if (sd_tp_find_id(tp, id * 64 + 300, &ev) == 0)
			sd_tp_event_name(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sd_byte_order orders[] = {SD_ORDER_LITTLE,
						    SD_ORDER_BIG};
	struct sd_tracepoints *tp;
	struct sd_diags diags;

	sd_diags_init(&diags);
	for (int i = 0; i < 2; i++) {
		if (sd_tracepoints_new(size ? data : (const uint8_t *)"", size,
				       orders[i], &diags, &tp) == 0) {
			query(tp, data, size);
			sd_tracepoints_free(tp);
		}
		sd_diags_clear(&diags);
	}
	return 0;
}
