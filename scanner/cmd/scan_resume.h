/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap scan --resume` on the scan's side (scan_resume.c): the
 * configuration a checkpoint must match, and the start of a rerun. The
 * mechanism (checkpoint file, tracker) is scanner/stage/resume.h.
 */
#ifndef TLSMAP_SCANNER_SCAN_RESUME_H
#define TLSMAP_SCANNER_SCAN_RESUME_H

#include "scanner/stage/evidence.h"
#include "scanner/stage/resume.h"
#include "scanner/cmd/scan_config.h"

#define SCAN_RESUME_DONE (-1) /* OUT is complete with this configuration: exit 0 */

struct scan_resume {
	char *ckpt_path;	 /* OUT.checkpoint */
	char *partial_path;	 /* OUT.partial */
	struct resume_ckpt now;	 /* this run's configuration, and the checkpoint it writes */
	struct resume_ckpt prev; /* the checkpoint it continues (zero: none) */
	bool resuming;		 /* append to OUT.partial at append_at */
	uint64_t append_at;
	struct resume_tracker *tracker;
	struct ev_table *evidence; /* TLS stage: the scan's evidence, carried across runs */
	uint64_t last_ckpt_ns;
};

/* The configuration lines of @c (scan_resume.c says which and why). 0 or RESUME_ENOMEM. */
int scan_resume_config(const struct scan_config *c, struct resume_ckpt *ck);
/*
 * Before the engine starts: 0 to scan (r->resuming says whether to
 * append), SCAN_RESUME_DONE when OUT is complete with this configuration,
 * or an exit status (CLI_EUSAGE after naming the bad checkpoint or the
 * configuration difference, 1 on a system error). May take over the first
 * run's random seed and control SNIs into @c.
 */
int scan_resume_begin(struct scan_config *c, struct scan_resume *r);
void scan_resume_free(struct scan_resume *r);

#endif
