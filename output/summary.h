/* SPDX-License-Identifier: MIT */
/*
 * Summaries of one or more dataset files: per country, ASN (within a
 * country), forging issuer or SNI, the number of distinct hosts (IP
 * addresses) probed, with TLS (a certificate chain captured for at least
 * one SNI), and intercepted (at least one SNI with VERDICT_INTERCEPTED),
 * the interception rate = intercepted / with TLS with a 95% Wilson score
 * interval, the issuers of the forged leaves and the domains forged.
 *
 * A host seen in several files (shards, repeated runs) counts once, so the
 * summary of merged shards equals the summary of the shards together and
 * of an unsharded scan. Every grouping is computed in one pass over the
 * files; `tlsmap summary` prints one, `tlsmap report` uses all.
 */
#ifndef TLSMAP_OUTPUT_SUMMARY_H
#define TLSMAP_OUTPUT_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsmap.pb-c.h"

enum sum_by {
	SUM_BY_COUNTRY,
	SUM_BY_ASN,    /* key "CC ASN": an AS is split by country */
	SUM_BY_ISSUER, /* issuer of the leaf presented; intercepted = forged by it */
	SUM_BY_SNI,
	/* the last router before the interceptor (Probe.hop_before_interceptor)
	 * of localised INTERCEPTED probes: key its address, cc/asn its
	 * geolocation; every host counted there is an intercepted one */
	SUM_BY_HOP,
	/* the --vantage label of the probe (the file's ScanMeta.vantage when the
	 * probe has none; "-" when neither has one) */
	SUM_BY_VANTAGE,
	SUM_BY_ALL, /* one group, "all": the totals */
	SUM_NDIMS
};

struct sum_count {
	char *name;
	uint64_t hosts; /* distinct intercepted hosts */
};

struct sum_group {
	char *key;    /* "KZ", "KZ 9198", issuer name, SNI, "all" */
	char *cc;     /* country (country and ASN groups), "" if unknown */
	uint32_t asn; /* ASN groups */
	char *as_org;
	uint64_t probes;
	uint64_t hosts, hosts_tls, hosts_intercepted;
	double rate, ci_low, ci_high; /* rate = intercepted / tls; 0, 0, 1 when tls == 0 */
	struct sum_count *issuers;    /* forging issuers, most hosts first */
	size_t nissuers, cap_issuers;
	struct sum_count *domains; /* SNIs intercepted, most hosts first */
	size_t ndomains, cap_domains;
};

/*
 * A file's ScanMeta is kept trimmed, so memory does not grow with the
 * inputs' metadata (64 shards with 20,000 SNIs each): every repeated field
 * keeps its first SUM_META_KEEP elements and every string its first
 * SUM_META_STR bytes. The totals of the lists a report shows are here.
 */
#define SUM_META_KEEP 32
#define SUM_META_STR 512
struct sum_meta_counts {
	size_t targets, ports, snis, countries, merged_shard_indexes;
};

struct sum_file {
	char *path;
	Tlsmap__V1__Record *meta;      /* first ScanMeta (trimmed, see above), or NULL */
	struct sum_meta_counts meta_n; /* the untrimmed list lengths */
	Tlsmap__V1__Record *end;       /* ScanEnd, or NULL */
	uint64_t records, probes, certs;
	int status; /* 0 complete; out_err of the reader; 1 = no ScanEnd */
	uint64_t bad_offset;
	uint8_t sha256[32];
};

struct summary;

struct summary *sum_new(void);
void sum_free(struct summary *s);
/*
 * Read one dataset file. A truncated file or one without ScanEnd still
 * counts what it holds (the file's status says what was missing). Returns
 * 0, or an out_err when the file cannot be read at all (missing, not a
 * dataset) or is corrupt, with a message in @err.
 */
int sum_add_file(struct summary *s, const char *path, char *err, size_t errlen);
/* Sort groups and lists; compute rates. Call once, after the files. */
void sum_finish(struct summary *s);

const struct sum_group *sum_groups(const struct summary *s, enum sum_by by, size_t *n);
/* The group of @by named @key, or NULL. */
const struct sum_group *sum_group_find(const struct summary *s, enum sum_by by, const char *key);
const struct sum_group *sum_total(const struct summary *s);
const struct sum_file *sum_files(const struct summary *s, size_t *n);

/* 95% Wilson score interval for @x successes in @n trials. */
void sum_wilson(uint64_t x, uint64_t n, double *lo, double *hi);

/* A readable aligned table (with a total line) or CSV (header line first). */
void sum_print_table(FILE *f, const struct summary *s, enum sum_by by);
void sum_print_csv(FILE *f, const struct summary *s, enum sum_by by);
/* One CSV field, quoted as RFC 4180 says when it holds , " CR or LF (tlsmap diff). */
void sum_csv_field(FILE *f, const char *s);

#endif
