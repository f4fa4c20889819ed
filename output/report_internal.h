/* SPDX-License-Identifier: MIT */
/*
 * Private seam of the report writer: report.c writes the page and the
 * sections of one scan, report_time.c the sections of a series of scans
 * (timeline, vantage points). Both write tables through the helpers here,
 * so every table gets the same phone layout: below 600 px each row is a
 * card and each cell carries its column's name (data-label), shown before
 * the value.
 */
#ifndef TLSMAP_OUTPUT_REPORT_INTERNAL_H
#define TLSMAP_OUTPUT_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "output/report.h"
#include "output/report_lang.h"
#include "output/series.h"
#include "output/summary.h"

struct map_country {
	char cc[4];
	char *name;
	char *d;
};

struct map {
	char viewbox[64];
	char *outline; /* path of the map's edge, or NULL */
	struct map_country *c;
	size_t n;
};

struct report_ctx {
	FILE *f;
	const struct report_lang *l;
	const struct map *m;
	const struct series *ser; /* NULL: one scan */
};

/*
 * A country as the page names it, HTML-escaped: "name (CC)" with the name
 * in the page's language (else English, from countries.tsv or the map),
 * the bare code for a code nothing names, "unknown location" for "??".
 */
void rp_country_label(const struct report_ctx *c, const char *cc);
/* The same into @buf; returns @buf. A name is cut (never inside an entity) to fit RP_LABEL_MAX. */
#define RP_LABEL_MAX 640
const char *rp_country_label_buf(const struct report_ctx *c, const char *cc,
				 char buf[RP_LABEL_MAX]);
void rp_int(const struct report_ctx *c, uint64_t v);
void rp_pct(const struct report_ctx *c, double v);
/* "<section id=ID><h2>HEADING</h2>": a section of the report opens. */
void rp_section_open(const struct report_ctx *c, const char *id, enum report_key heading);
/* "<div class=tbl><table><thead>..." with the columns' names. */
void rp_table_open(const struct report_ctx *c, const enum report_key *cols, size_t n);
void rp_table_close(const struct report_ctx *c);
/* "<td data-label=...>" (with class="n" for numbers). */
void rp_td(const struct report_ctx *c, enum report_key col, bool num);
void rp_td_label(const struct report_ctx *c, const char *label_html, bool num);

void report_section_timeline(const struct report_ctx *c);
void report_section_vantages(const struct report_ctx *c);

#endif
