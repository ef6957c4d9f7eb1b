/* SPDX-License-Identifier: MIT */
/* Known forking services and their remedies (services.c, data). */
#ifndef SD_DETECT_SERVICES_H
#define SD_DETECT_SERVICES_H

#include <stddef.h>

#include <swapdiag/detect.h>

struct sd_service {
	const char *id;
	const char *name;
	const char *const *match; /* exe base names or comms, NULL-ended;
				   * "x*" matches a prefix */
	/* general remedies (sd_remedies ids) that do not fit it, NULL-ended
	 * or NULL: Redis forks on purpose to snapshot its memory, so neither
	 * posix_spawn nor MADV_DONTFORK is a remedy for it */
	const char *const *skip;
};

/* When a service remedy applies (all the flags given must hold). */
enum {
	SR_SINGLE = 1 << 0, /* one process makes the service's forks */
	SR_MANY = 1 << 1,   /* several processes fork */
	SR_SWAP = 1 << 2,   /* a swap-entry finding (not only page tables) */
};

struct sd_service_remedy {
	struct sd_remedy r;  /* id and text */
	const char *service; /* sd_service.id */
	unsigned when;       /* SR_* */
	const char *because; /* why it applies, after the facts */
};

extern const struct sd_service sd_services[];
extern const size_t sd_nr_services;
extern const struct sd_service_remedy sd_service_remedies[];
extern const size_t sd_nr_service_remedies;

#endif
