/* SPDX-License-Identifier: MIT */
/*
 * Stages plug into the engine's hooks (dpdk/engine.h, struct
 * eng_stage_ops). cmd_scan.c opens one stage per scan: the --syn-only
 * stage (stage_syn.c) or the TLS stage (stage_tls.c).
 */
#ifndef TLSMAP_SCANNER_STAGE_H
#define TLSMAP_SCANNER_STAGE_H

#include <stdint.h>
#include <stdio.h>

#include "dpdk/engine.h"
#include "output/out.h"
#include "scanner/stage/resume.h"
#include "scanner/core/sweep.h"
#include "scanner/cmd/scan_config.h"

struct stage_ctx {
	const struct scan_config *cfg;
	struct out_async *out;	       /* NULL: no -o (syn-only prints to @lines) */
	FILE *lines;		       /* syn-only without -o: "a.b.c.d:port" per open target */
	struct progress_counters *ctr; /* probes, certs, tls_ok are the stage's to count */
	uint64_t scan_start_us;	       /* unix microseconds when the sweep started */
	unsigned nworkers;
	const struct eng *eng;	       /* its clock: eng_ns_to_unix_us() of hook times */
	struct resume_tracker *resume; /* --resume: hosts and records to report, else NULL */
	struct ev_table *evidence;     /* --resume: the scan's evidence table (the caller's) */
};

struct stage {
	const struct eng_stage_ops *ops;
	void *arg;		  /* passed to the engine as its stage pointer */
	void (*close)(void *arg); /* after eng_run returned (all workers finished) */
};

/* The --syn-only stage: one Probe per answering target (TCP_OPEN / TCP_CLOSED). */
int stage_syn_open(const struct stage_ctx *ctx, struct stage *out);
/* The TLS stage: 0 or -errno (prints why). */
int stage_tls_open(const struct stage_ctx *ctx, struct stage *out);

#endif
