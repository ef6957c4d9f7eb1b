/* SPDX-License-Identifier: MIT */
/*
 * sched:sched_switch, located by name in the file's own format: prev_state
 * was an int, then a long; comm could one day grow or become __string.
 */
#include <errno.h>
#include <string.h>

#include "tracepoint/internal.h"

static bool is_number(const struct sd_tp_field *f)
{
	if (f->flags & (SD_TP_ARRAY | SD_TP_DYNAMIC))
		return false;
	return f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;
}

static bool is_text(const struct sd_tp_field *f)
{
	return (f->flags & SD_TP_STRING) &&
	       ((f->flags & SD_TP_DYNAMIC) || f->elem_size == 1);
}

int sd_tp_sched_switch_fmt(struct sd_tracepoints *tp, uint64_t config,
			   struct sd_sched_switch_fmt *out)
{
	struct sd_sched_switch_fmt f = {0};
	const struct sd_tp_event *ev;
	int err;

	if (!tp || !out)
		return -EINVAL;
	if ((err = sd_tp_find_id(tp, config, &ev)))
		return err;
	if (strcmp(ev->system, "sched") || strcmp(ev->name, "sched_switch"))
		return -SD_E_UNKNOWN_EVENT;
	f.event = ev;

	struct {
		const char *name;
		struct sd_tp_field *field;
		bool text;
	} want[] = {
		{"prev_comm", &f.prev_comm, true},
		{"prev_pid", &f.prev_pid, false},
		{"prev_prio", &f.prev_prio, false},
		{"prev_state", &f.prev_state, false},
		{"next_comm", &f.next_comm, true},
		{"next_pid", &f.next_pid, false},
		{"next_prio", &f.next_prio, false},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		err = sd_tp_field_get(ev, want[i].name, want[i].field);
		if (err)
			return err == -ENOENT ? -SD_E_TRACEPOINT : err;
		if (want[i].text ? !is_text(want[i].field)
				 : !is_number(want[i].field))
			return -SD_E_TRACEPOINT;
	}
	*out = f;
	return 0;
}

int sd_tp_sched_switch(const struct sd_sched_switch_fmt *fmt,
		       const uint8_t *raw, size_t size,
		       struct sd_sched_switch *out)
{
	/* every byte defined, the comms' tails after their NUL too, so that
	 * results compare with memcmp (valgrind saw test-tracepoint do so) */
	struct sd_sched_switch s = {0};
	uint64_t prev_pid, prev_prio, next_pid, next_prio;
	int err;

	if (!fmt || !out || !fmt->event)
		return -EINVAL;
	if ((err = sd_tp_read_str(&fmt->prev_comm, raw, size, s.prev_comm,
				  sizeof s.prev_comm)) < 0 ||
	    (err = sd_tp_read_u64(&fmt->prev_pid, raw, size, &prev_pid)) ||
	    (err = sd_tp_read_u64(&fmt->prev_prio, raw, size, &prev_prio)) ||
	    (err = sd_tp_read_u64(&fmt->prev_state, raw, size,
				  &s.prev_state)) ||
	    (err = sd_tp_read_str(&fmt->next_comm, raw, size, s.next_comm,
				  sizeof s.next_comm)) < 0 ||
	    (err = sd_tp_read_u64(&fmt->next_pid, raw, size, &next_pid)) ||
	    (err = sd_tp_read_u64(&fmt->next_prio, raw, size, &next_prio)))
		return err;
	s.prev_pid = (int32_t)prev_pid;
	s.prev_prio = (int32_t)prev_prio;
	s.next_pid = (int32_t)next_pid;
	s.next_prio = (int32_t)next_prio;
	*out = s;
	return 0;
}
