/* SPDX-License-Identifier: MIT */
/*
 * Geolocation: country (ISO 3166-1 alpha-2), ASN and AS organisation of an
 * address from MaxMind-format databases, and the expansion of a country
 * into its IPv4 ranges for `tlsmap scan --country`.
 *
 * Two database layouts are read for the country: GeoLite2's nested
 * `country.iso_code` and ip-location-db's flat `country_code`. The ASN
 * database uses GeoLite2-ASN's `autonomous_system_number` and
 * `autonomous_system_organization` (scripts/asn-csv-to-mmdb builds one).
 *
 * A struct geo is NOT thread-safe: lookups fill a small direct-mapped cache
 * inside it. Open one per worker (the databases are mmap'ed, so each extra
 * handle costs little beyond its cache).
 */
#ifndef TLSMAP_GEO_H
#define TLSMAP_GEO_H

#include <stddef.h>
#include <stdint.h>

enum geo_err {
	GEO_OK = 0,
	GEO_EOPEN = -1,	  /* a database could not be opened */
	GEO_ELOOKUP = -2, /* libmaxminddb failed on a lookup (corrupt DB) */
	GEO_EINVAL = -3,  /* bad address length or country code */
	GEO_ENODB = -4,	  /* the database this needs was not opened */
	GEO_ENOMEM = -5,
};

const char *geo_strerror(int err);

#define GEO_ORG_MAX 96

struct geo_result {
	char cc[3];		  /* "KZ", "" if unknown */
	uint32_t asn;		  /* 0 if unknown */
	char as_org[GEO_ORG_MAX]; /* "" if unknown; truncated at GEO_ORG_MAX - 1 bytes */
};

struct geo;

/*
 * Open the country and/or ASN database (either path may be NULL: that part
 * of every result stays empty). On failure returns NULL and writes a
 * message naming the file into @err.
 */
struct geo *geo_open(const char *country_db, const char *asn_db, char *err, size_t errlen);
void geo_close(struct geo *g);

/* @ip is 4 or 16 bytes in network order. Returns 0 (fields empty when not found) or <0. */
int geo_lookup(struct geo *g, const uint8_t *ip, size_t iplen, struct geo_result *out);
/* IPv4 in network byte order, as on the wire. */
int geo_lookup_be32(struct geo *g, uint32_t ip_be, struct geo_result *out);

/* What goes into ScanMeta.geo_databases. Strings live as long as @g. */
struct geo_db_info {
	const char *role; /* "country" or "asn" */
	const char *path;
	const char *database_type; /* MMDB metadata */
	uint64_t build_epoch;
};
/* Fills up to 2 entries (only the opened databases); returns how many. */
size_t geo_db_info(const struct geo *g, struct geo_db_info out[2]);

/*
 * Default database path for @role ("country" or "asn"):
 * $TLSMAP_DATA/geo/ROLE.mmdb if TLSMAP_DATA is set (tlsmap's main() sets
 * it, scanner/paths.h), else data/geo/ROLE.mmdb. Returns @buf.
 */
const char *geo_default_path(const char *role, char *buf, size_t len);

/*
 * Call @cb for every maximal IPv4 range (host byte order, inclusive, in
 * ascending order, adjacent ranges merged) whose country is @cc (case
 * insensitive), by walking the country database's search tree with
 * MMDB_read_node (from the ::/96 node in an IPv6 tree). Returns the number
 * of ranges, or <0 (GEO_ENODB without a country database).
 */
long geo_country_ranges(struct geo *g, const char *cc,
			void (*cb)(void *arg, uint32_t first, uint32_t last), void *arg);

#endif
