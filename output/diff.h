/* SPDX-License-Identifier: MIT */
/*
 * What changed between two scans (two sweeps of the same targets): the
 * networks (country + ASN, as `summary --by asn`) and the hosts that
 * started or stopped being intercepted, and the forging issuers and forged
 * domains that are new or have vanished. `tlsmap diff` prints the changes;
 * `tlsmap report` shows them per country under its timeline.
 *
 * "Started" and "stopped" compare like with like: a network or host counts
 * only when both scans measured it (at least one host, or the host itself,
 * answered TLS); one intercepted in one scan and not measured in the other
 * is "unmeasured", since a host that stopped answering says nothing about
 * interception.
 */
#ifndef TLSMAP_OUTPUT_DIFF_H
#define TLSMAP_OUTPUT_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "output/summary.h"

/* One side of a comparison: the summary of its files and, optionally, its hosts. */
struct diff_scan;

struct diff_scan *diff_scan_new(bool with_hosts);
void diff_scan_free(struct diff_scan *d);
/*
 * Add one dataset file: its summary (sum_add_file) and, when the scan was
 * made with_hosts, one more pass for the hosts (IPv4; IPv6 probes are
 * counted and skipped: the scanner sends IPv4 only). A truncated file
 * counts up to where it ends. Returns 0, or an out_err with a message
 * naming the file in @err.
 */
int diff_scan_add_file(struct diff_scan *d, const char *path, char *err, size_t errlen);
/* Call once after the files: finishes the summary. */
void diff_scan_finish(struct diff_scan *d);
const struct summary *diff_scan_summary(const struct diff_scan *d);
uint64_t diff_scan_skipped_v6(const struct diff_scan *d);

struct diff_change {
	const char *change; /* started, stopped, unmeasured, new, vanished */
	const char *kind;   /* network, host, issuer, domain */
	char key[160];
	const char *cc, *as_org; /* point into the scans: valid while both live */
	uint32_t asn;
	uint32_t ip; /* hosts: the address, for sorting */
	uint64_t old_tls, old_icpt, new_tls, new_icpt;
};

struct diff_changes {
	struct diff_change *v;
	size_t n, cap;
};

void diff_changes_free(struct diff_changes *c);
/*
 * Append to @out the changes from @old to @new: networks, hosts (both
 * scans need with_hosts, else none), then the forging issuers and forged
 * domains of all hosts. Hosts come sorted by change, then address.
 * Returns 0 or -1 (out of memory; @out keeps what it had).
 */
int diff_compute(const struct diff_scan *old, const struct diff_scan *new,
		 struct diff_changes *out);
/*
 * New and vanished names between two groups' forging issuers (or forged
 * domains): the "all" groups for a whole scan, two country groups for one
 * country. Either group may be NULL (not measured there). Returns 0 or -1.
 */
int diff_names(const struct sum_group *old, const struct sum_group *new, bool domains,
	       struct diff_changes *out);

#endif
