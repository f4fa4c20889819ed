/* SPDX-License-Identifier: MIT */
/*
 * The journalists' report: one self-contained HTML page (inline CSS and
 * SVG, no script, no external fetch) built from a finished summary: a
 * world map coloured by interception rate, the per-country table, the
 * forging issuers and the domains they forge, the networks (ASNs) of the
 * affected countries, the method in plain words, and the datasets'
 * SHA-256 and scan metadata. Readable on a phone (responsive CSS, tables
 * scroll sideways).
 */
#ifndef TLSMAP_OUTPUT_REPORT_H
#define TLSMAP_OUTPUT_REPORT_H

#include <stdio.h>

#include "output/summary.h"

struct report_opts {
	const char *title; /* NULL: a default title */
	const char *
		map_path; /* world map file (scripts/world-topo); NULL or missing: a note instead */
	long long now;	  /* generation time, unix seconds (0: omit) */
};

/* Default map file: $TLSMAP_DATA/map/world.tsv (main() sets it, scanner/paths.h). */
const char *report_default_map(char *buf, size_t len);

/* Write the page to @f. @s must be finished (sum_finish). Returns 0 or -1 (errno). */
int report_write(FILE *f, const struct summary *s, const struct report_opts *o);

#endif
