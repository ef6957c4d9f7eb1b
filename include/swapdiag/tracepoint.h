/* SPDX-License-Identifier: MIT */
/*
 * The tracepoint stage: the kernel's event format descriptions that perf
 * stored in the recording (TRACING_DATA feature in file mode, a
 * HEADER_TRACING_DATA record in pipe mode), parsed with libtraceevent, and
 * bounds-checked access to the fields of a sample's PERF_SAMPLE_RAW payload.
 *
 * Field offsets and sizes always come from the file's own formats: layouts
 * changed across kernels (sched_switch's prev_state was a 4- or 8-byte
 * long, pids are pid_t, comm is char[16]), so nothing here assumes one.
 * Every read checks offset + size (and for __data_loc fields the range the
 * payload points at) against the payload size before touching a byte, and
 * converts from the recording's byte order.
 *
 * Nothing here prints; problems go to the caller's struct sd_diags.
 */
#ifndef SWAPDIAG_TRACEPOINT_H
#define SWAPDIAG_TRACEPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <swapdiag/error.h>
#include <swapdiag/reader.h>

struct sd_tracepoints;
struct sd_tp_event;

/*
 * Parses tracing data (sd_file_info.tracing_data, tracing_data_size) and
 * every event format in it.  order is the recording's byte order
 * (sd_file_info.order); numbers in the container and in raw payloads are
 * read in it.  data is only borrowed during the call.
 *
 * Returns 0 and *out, or a negative code with *out untouched:
 * -SD_E_BAD_SECTION (not tracing data, or a size or count that cannot be
 * real), -SD_E_TRUNCATED (the data ends inside something), -SD_E_LIMIT
 * (more formats than the built-in cap), -ENOMEM, -EINVAL.  A format that
 * libtraceevent cannot parse is not an error: a diagnostic names it
 * (system:event) and the other events still work.  Diagnostic offsets
 * count from the start of the tracing data.  diags may be NULL.
 *
 * Only names, ids and fields are parsed: print formats are left out (tep's
 * parser for them crashes on damaged input), so nothing here prints events.
 */
int sd_tracepoints_new(const uint8_t *data, size_t len,
		       enum sd_byte_order order, struct sd_diags *diags,
		       struct sd_tracepoints **out);
/* Frees tp and its libtraceevent handle; takes NULL; returns NULL. */
struct sd_tracepoints *sd_tracepoints_free(struct sd_tracepoints *tp);

/* Number of events whose fields can be read. */
size_t sd_tracepoints_nr_events(const struct sd_tracepoints *tp);
/*
 * sizeof(long) of the kernel (from header_page; else perf's, as the tracing
 * data says) and the page size.
 */
int sd_tracepoints_long_size(const struct sd_tracepoints *tp);
int sd_tracepoints_page_size(const struct sd_tracepoints *tp);

/*
 * Finds an event by the config of its perf_event_attr (for a tracepoint
 * attr, the event id) or by "system:name".  Returns 0 and *out, or
 * -SD_E_UNKNOWN_EVENT (no such event), -SD_E_TRACEPOINT (its format did not
 * parse), -EINVAL.  The event lives as long as tp.
 */
int sd_tp_find_id(const struct sd_tracepoints *tp, uint64_t config,
		  const struct sd_tp_event **out);
int sd_tp_find_name(const struct sd_tracepoints *tp, const char *sys_name,
		    const struct sd_tp_event **out);

/* An event's id, system and name; the strings live as long as tp. */
int sd_tp_event_id(const struct sd_tp_event *ev);
const char *sd_tp_event_system(const struct sd_tp_event *ev);
const char *sd_tp_event_name(const struct sd_tp_event *ev);

enum sd_tp_field_flags {
	SD_TP_SIGNED = 1u << 0,   /* "signed:1": reads sign-extend */
	SD_TP_ARRAY = 1u << 1,    /* a fixed array, e.g. char comm[16] */
	SD_TP_STRING = 1u << 2,   /* characters (char/u8/s8 elements) */
	SD_TP_DYNAMIC = 1u << 3,  /* __data_loc: the field holds a locator */
	SD_TP_RELATIVE = 1u << 4, /* __rel_loc: locator counts from its end */
};

/*
 * A field of one event, resolved once by name and then used for every
 * sample of that event.  A value type: copy it freely.  name points into
 * the event's format and lives as long as the struct sd_tracepoints.  For
 * a dynamic field, offset and size are those of the locator in the fixed
 * part (size 4: len << 16 | offset; size 2, old kernels: offset of a
 * NUL-terminated string).  A zeroed struct is "no field": reads fail.
 */
struct sd_tp_field {
	const char *name;
	uint32_t offset;
	uint32_t size;
	uint32_t elem_size;
	unsigned flags; /* enum sd_tp_field_flags */
	bool swap;      /* the payload is in the other byte order */
};

/*
 * Resolves the field name (common_* fields included) of ev.  Returns 0 and
 * *out, -ENOENT if the event has no such field, -SD_E_TRACEPOINT if the
 * format gives it an impossible offset or size.
 */
int sd_tp_field_get(const struct sd_tp_event *ev, const char *name,
		    struct sd_tp_field *out);

/*
 * Reads a 1-, 2-, 4- or 8-byte number from a raw payload of raw_size bytes
 * (sd_sample.raw, raw_size), sign-extended if the field is signed.
 * Returns 0 and *val; -SD_E_BAD_RECORD if the field lies beyond the
 * payload; -EINVAL if the field is no such number (an array, a dynamic
 * field, another size).
 */
int sd_tp_read_u64(const struct sd_tp_field *field, const uint8_t *raw,
		   size_t raw_size, uint64_t *val);

/*
 * Copies a character field (char name[N], or __data_loc char[]) into buf,
 * cut at its first NUL and always NUL-terminated.  Returns the string's
 * length (>= cap if it was cut to fit), -SD_E_BAD_RECORD if the field or
 * the range its locator points at lies beyond the payload, -EINVAL if it
 * is not a character field or cap is 0.  buf is written only on success.
 */
int sd_tp_read_str(const struct sd_tp_field *field, const uint8_t *raw,
		   size_t raw_size, char *buf, size_t cap);

/* Large enough for any comm a known kernel records (TASK_COMM_LEN 16). */
#define SD_TP_COMM_MAX 32

/* sched:sched_switch as the kernel wrote it. */
struct sd_sched_switch {
	char prev_comm[SD_TP_COMM_MAX];
	int32_t prev_pid;
	int32_t prev_prio;
	/*
	 * The raw field (a long, sign-extended), not decoded: its meaning
	 * depends on the kernel era (see KERNEL.md), which is the caller's
	 * business.
	 */
	uint64_t prev_state;
	char next_comm[SD_TP_COMM_MAX];
	int32_t next_pid;
	int32_t next_prio;
};

/* Where this file's sched_switch keeps its fields; from sd_tp_sched_switch_fmt(). */
struct sd_sched_switch_fmt {
	const struct sd_tp_event *event;
	struct sd_tp_field prev_comm, prev_pid, prev_prio, prev_state;
	struct sd_tp_field next_comm, next_pid, next_prio;
};

/*
 * Resolves the fields of the sched:sched_switch event whose attr config is
 * config, from the file's own format.  Returns 0 and *out;
 * -SD_E_UNKNOWN_EVENT if config is no sched_switch event; -SD_E_TRACEPOINT
 * if its format lacks one of the fields or gives one an unusable type.
 */
int sd_tp_sched_switch_fmt(struct sd_tracepoints *tp, uint64_t config,
			   struct sd_sched_switch_fmt *out);

/*
 * Decodes one sched_switch payload.  Returns 0 and *out, or the first
 * field's error (-SD_E_BAD_RECORD: payload too short or damaged), with
 * *out untouched.
 */
int sd_tp_sched_switch(const struct sd_sched_switch_fmt *fmt,
		       const uint8_t *raw, size_t size,
		       struct sd_sched_switch *out);

#endif
