/* SPDX-License-Identifier: MIT */
/*
 * A series of scans for the report: the dataset files given to `tlsmap
 * report`, grouped into scans (points) by their ScanMeta, so the page can
 * show each country's rate at each date (a timeline), compare vantage
 * points that scanned on the same day, and list what changed since the
 * previous scan of each vantage point (output/diff.h).
 *
 * Files are one scan when they have the same vantage label and either the
 * same start time, or are shards of one run (the same seed and shard
 * count, started less than a day apart). A point's date is the earliest
 * start time of its files. Only the last two points of each vantage point
 * are read for their hosts (the diff needs them); the others are
 * summaries only.
 */
#ifndef TLSMAP_OUTPUT_SERIES_H
#define TLSMAP_OUTPUT_SERIES_H

#include <stdint.h>

#include "output/diff.h"
#include "output/summary.h"

struct series_point {
	uint64_t start_us; /* earliest ScanMeta.start_time_us of its files; 0 unknown */
	char *vantage;	   /* ScanMeta.vantage, "" when none */
	uint64_t seed;
	uint32_t shards;
	const char **paths; /* the caller's strings */
	size_t npaths;
	struct diff_scan *scan;
};

/* What changed between two consecutive points of one vantage point. */
struct series_diff {
	size_t from, to; /* point indexes */
	struct diff_changes changes;
};

struct series {
	struct series_point *pt; /* by start time, then vantage */
	size_t n;
	struct series_diff *diffs; /* one per vantage point with two scans or more */
	size_t ndiffs;
	size_t nvantages; /* distinct vantage labels */
	/* the page's main figures: the latest point of each vantage point */
	const struct summary *latest;
	struct summary *latest_owned; /* when several points make it up */
};

/*
 * Read @n dataset files into @s (zeroed by the caller). Returns 0, or an
 * out_err with a message naming the file in @err; @s is then freed.
 */
int series_load(struct series *s, const char *const *paths, size_t n, char *err, size_t errlen);
void series_free(struct series *s);

/* UTC days since the epoch of a point (for "the same day"). */
uint64_t series_day(const struct series_point *p);

#endif
