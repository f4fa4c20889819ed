/* SPDX-License-Identifier: MIT */
/*
 * libmaxminddb wrapper (see geo.h). Lookups go through a direct-mapped
 * cache of 4096 IPv4 results: scans probe each host several times (one
 * connection per SNI), so the second and later lookups of an address are a
 * compare and a copy. IPv6 lookups are not cached.
 *
 * Country expansion walks the search tree depth-first. Each node has two
 * records; a record is another node, "empty", or a pointer into the data
 * section. Many records share one data entry (every prefix of a country
 * points to the same map), so the country test is memoised per data offset.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "geo/geo.h"

#define GEO_CACHE_SLOTS 4096

struct geo_cache_slot {
	uint32_t ip; /* network order */
	bool valid;
	struct geo_result res;
};

struct geo_db {
	MMDB_s mmdb;
	bool open;
	char *path;
};

struct geo {
	struct geo_db country, asn;
	struct geo_cache_slot cache[GEO_CACHE_SLOTS];
};

const char *geo_strerror(int err)
{
	switch (err) {
	case GEO_OK:
		return "success";
	case GEO_EOPEN:
		return "cannot open database";
	case GEO_ELOOKUP:
		return "database lookup failed";
	case GEO_EINVAL:
		return "invalid argument";
	case GEO_ENODB:
		return "no country database";
	case GEO_ENOMEM:
		return "out of memory";
	default:
		return "unknown error";
	}
}

static int db_open(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	int s = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);

	if (s != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path, MMDB_strerror(s));
		return GEO_EOPEN;
	}
	db->path = strdup(path);
	db->open = true;
	if (!db->path) {
		snprintf(err, errlen, "out of memory");
		return GEO_ENOMEM;
	}
	return GEO_OK;
}

static void db_close(struct geo_db *db)
{
	if (db->open)
		MMDB_close(&db->mmdb);
	free(db->path);
	db->open = false;
	db->path = NULL;
}

struct geo *geo_open(const char *country_db, const char *asn_db, char *err, size_t errlen)
{
	struct geo *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((country_db && db_open(&g->country, country_db, err, errlen) != GEO_OK) ||
	    (asn_db && db_open(&g->asn, asn_db, err, errlen) != GEO_OK)) {
		geo_close(g);
		return NULL;
	}
	return g;
}

void geo_close(struct geo *g)
{
	if (!g)
		return;
	db_close(&g->country);
	db_close(&g->asn);
	free(g);
}

/*
 * Length of the strict UTF-8 sequence (RFC 3629: no overlongs, surrogates
 * or values above U+10FFFF) at @p, at most @n octets; 0 if there is none.
 */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Make @s (@n octets, NUL-terminated) valid UTF-8 in place: a database's
 * strings go into proto3 string fields, which decoders refuse whole when
 * one is not UTF-8. An octet that starts no valid sequence becomes '?', and
 * a sequence cut by the copy's bound is dropped.
 */
static void utf8_sanitize(char *s, size_t n)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t len = utf8_seq_len(p + i, n - i);
		size_t want = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
		bool cut = p[i] >= 0xc2 && p[i] <= 0xf4 && want > n - i;

		for (size_t k = i + 1; cut && k < n; k++)
			cut = p[k] >= 0x80 && p[k] <= 0xbf;
		if (len) {
			i += len;
		} else if (cut) { /* a sequence cut by the copy's bound: drop it */
			p[i] = '\0';
			return;
		} else {
			p[i++] = '?';
		}
	}
}

/* Copy a UTF-8 string value at @path into @dst (made valid UTF-8, see
 * utf8_sanitize). True when found. */
static bool get_string(MMDB_entry_s *e, char *dst, size_t cap, ...)
{
	MMDB_entry_data_s d;
	va_list ap;
	int s;
	size_t n;

	va_start(ap, cap);
	s = MMDB_vget_value(e, &d, ap);
	va_end(ap);
	if (s != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return false;
	n = d.data_size < cap - 1 ? d.data_size : cap - 1;
	memcpy(dst, d.utf8_string, n);
	dst[n] = '\0';
	utf8_sanitize(dst, n);
	return true;
}

/* The country code of a data entry, either layout; "" if none. */
static void entry_country(MMDB_entry_s *e, char cc[3])
{
	cc[0] = '\0';
	if (!get_string(e, cc, 3, "country", "iso_code", NULL))
		get_string(e, cc, 3, "country_code", NULL);
}

static int db_lookup(struct geo_db *db, const struct sockaddr *sa, MMDB_entry_s *e)
{
	int merr;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db->mmdb, sa, &merr);

	if (merr != MMDB_SUCCESS)
		return merr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR ? 0 : GEO_ELOOKUP;
	if (!r.found_entry)
		return 0;
	*e = r.entry;
	return 1;
}

static int lookup_uncached(struct geo *g, const struct sockaddr *sa, struct geo_result *out)
{
	MMDB_entry_s e;
	int r;

	memset(out, 0, sizeof(*out));
	if (g->country.open) {
		r = db_lookup(&g->country, sa, &e);
		if (r < 0)
			return r;
		if (r)
			entry_country(&e, out->cc);
	}
	if (g->asn.open) {
		MMDB_entry_data_s d;

		r = db_lookup(&g->asn, sa, &e);
		if (r < 0)
			return r;
		if (r) {
			if (MMDB_get_value(&e, &d, "autonomous_system_number", NULL) ==
				    MMDB_SUCCESS &&
			    d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
				out->asn = d.uint32;
			get_string(&e, out->as_org, sizeof(out->as_org),
				   "autonomous_system_organization", NULL);
		}
	}
	return GEO_OK;
}

int geo_lookup_be32(struct geo *g, uint32_t ip_be, struct geo_result *out)
{
	/* Fibonacci hashing of the address picks the slot. */
	uint32_t h = (uint32_t)((ntohl(ip_be) * 2654435761u) >> 20) & (GEO_CACHE_SLOTS - 1);
	struct geo_cache_slot *s = &g->cache[h];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int ret;

	if (s->valid && s->ip == ip_be) {
		*out = s->res;
		return GEO_OK;
	}
	sin.sin_addr.s_addr = ip_be;
	ret = lookup_uncached(g, (const struct sockaddr *)&sin, out);
	if (ret == GEO_OK) {
		s->ip = ip_be;
		s->res = *out;
		s->valid = true;
	}
	return ret;
}

int geo_lookup(struct geo *g, const uint8_t *ip, size_t iplen, struct geo_result *out)
{
	if (iplen == 4) {
		uint32_t be;

		memcpy(&be, ip, 4);
		return geo_lookup_be32(g, be, out);
	}
	if (iplen == 16) {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

		memcpy(&sin6.sin6_addr, ip, 16);
		return lookup_uncached(g, (const struct sockaddr *)&sin6, out);
	}
	memset(out, 0, sizeof(*out));
	return GEO_EINVAL;
}

size_t geo_db_info(const struct geo *g, struct geo_db_info out[2])
{
	size_t n = 0;

	if (g->country.open)
		out[n++] = (struct geo_db_info){"country", g->country.path,
						g->country.mmdb.metadata.database_type,
						g->country.mmdb.metadata.build_epoch};
	if (g->asn.open)
		out[n++] =
			(struct geo_db_info){"asn", g->asn.path, g->asn.mmdb.metadata.database_type,
					     g->asn.mmdb.metadata.build_epoch};
	return n;
}

const char *geo_default_path(const char *role, char *buf, size_t len)
{
	const char *base = getenv("TLSMAP_DATA");

	if (!base || !*base)
		base = "data";
	snprintf(buf, len, "%s/geo/%s.mmdb", base, role);
	return buf;
}

/* ---- country expansion ---- */

#define MEMO_SLOTS 4096

struct walk {
	MMDB_s *mmdb;
	char cc[3];
	void (*cb)(void *arg, uint32_t first, uint32_t last);
	void *arg;
	long nranges;
	bool have_pending;
	uint32_t pend_first, pend_last;
	struct {
		uint32_t offset;
		int8_t match; /* -1 unknown */
	} memo[MEMO_SLOTS];
	uint8_t *seen; /* one bit per search-tree node: entered already */
	uint32_t node_count;
	int err;
};

/*
 * Enter @node once. In a well-formed tree every node below ::/96 has one
 * parent, so a node reached a second time means the tree loops or shares
 * subtrees: a crafted file could then make the walk exponential (2^32 leaf
 * visits through one self-referencing node). Refusing it bounds the walk by
 * node_count node visits, each at depth <= 32 below the IPv4 root (<= 128
 * from the root of an IPv6 tree).
 */
static bool enter_node(struct walk *w, uint32_t node)
{
	if (node >= w->node_count || (w->seen[node / 8] >> (node % 8) & 1)) {
		w->err = GEO_ELOOKUP;
		return false;
	}
	w->seen[node / 8] |= (uint8_t)(1u << (node % 8));
	return true;
}

static void emit(struct walk *w, uint32_t first, uint32_t last)
{
	if (w->have_pending && w->pend_last != UINT32_MAX && w->pend_last + 1 == first) {
		w->pend_last = last;
		return;
	}
	if (w->have_pending) {
		w->cb(w->arg, w->pend_first, w->pend_last);
		w->nranges++;
	}
	w->have_pending = true;
	w->pend_first = first;
	w->pend_last = last;
}

static bool entry_matches(struct walk *w, MMDB_entry_s *e)
{
	uint32_t slot = (e->offset * 2654435761u) >> 20 & (MEMO_SLOTS - 1);
	char cc[3];
	bool m;

	if (w->memo[slot].match >= 0 && w->memo[slot].offset == e->offset)
		return w->memo[slot].match;
	entry_country(e, cc);
	m = strcmp(cc, w->cc) == 0;
	w->memo[slot].offset = e->offset;
	w->memo[slot].match = m;
	return m;
}

/* Visit a record covering the IPv4 prefix @prefix/@depth. */
static void walk_record(struct walk *w, uint8_t type, uint64_t value, MMDB_entry_s *entry,
			uint32_t prefix, unsigned depth);

static void walk_node(struct walk *w, uint32_t node, uint32_t prefix, unsigned depth)
{
	MMDB_search_node_s n;

	if (w->err)
		return;
	if (depth >= 32 || !enter_node(w, node) ||
	    MMDB_read_node(w->mmdb, node, &n) != MMDB_SUCCESS) {
		w->err = GEO_ELOOKUP;
		return;
	}
	walk_record(w, n.left_record_type, n.left_record, &n.left_record_entry, prefix, depth + 1);
	walk_record(w, n.right_record_type, n.right_record, &n.right_record_entry,
		    prefix | (uint32_t)(1ull << (32 - depth - 1)), depth + 1);
}

static void walk_record(struct walk *w, uint8_t type, uint64_t value, MMDB_entry_s *entry,
			uint32_t prefix, unsigned depth)
{
	switch (type) {
	case MMDB_RECORD_TYPE_SEARCH_NODE:
		walk_node(w, (uint32_t)value, prefix, depth);
		break;
	case MMDB_RECORD_TYPE_DATA:
		if (entry_matches(w, entry))
			emit(w, prefix, prefix | (uint32_t)((1ull << (32 - depth)) - 1));
		break;
	case MMDB_RECORD_TYPE_EMPTY:
		break;
	default:
		w->err = GEO_ELOOKUP;
	}
}

long geo_country_ranges(struct geo *g, const char *cc,
			void (*cb)(void *arg, uint32_t first, uint32_t last), void *arg)
{
	struct walk *w;
	uint32_t node = 0;
	long ret;

	if (!g->country.open)
		return GEO_ENODB;
	if (!cc || strlen(cc) != 2 || !isalpha((unsigned char)cc[0]) ||
	    !isalpha((unsigned char)cc[1]))
		return GEO_EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return GEO_ENOMEM;
	w->mmdb = &g->country.mmdb;
	w->cc[0] = (char)toupper((unsigned char)cc[0]);
	w->cc[1] = (char)toupper((unsigned char)cc[1]);
	w->cb = cb;
	w->arg = arg;
	w->node_count = w->mmdb->metadata.node_count;
	w->seen = calloc((size_t)w->node_count / 8 + 1, 1);
	if (!w->seen) {
		free(w);
		return GEO_ENOMEM;
	}
	for (size_t i = 0; i < MEMO_SLOTS; i++)
		w->memo[i].match = -1;
	if (w->mmdb->metadata.ip_version == 6) {
		/* IPv4 lives at ::/96: follow 96 left branches from the root. */
		for (unsigned d = 0; d < 96; d++) {
			MMDB_search_node_s n;

			if (!enter_node(w, node) ||
			    MMDB_read_node(w->mmdb, node, &n) != MMDB_SUCCESS) {
				w->err = GEO_ELOOKUP;
				break;
			}
			if (n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE) {
				/* The whole of IPv4 is one record (empty or data). */
				walk_record(w, n.left_record_type, n.left_record,
					    &n.left_record_entry, 0, 0);
				node = UINT32_MAX;
				break;
			}
			node = (uint32_t)n.left_record;
		}
	}
	if (!w->err && node != UINT32_MAX)
		walk_node(w, node, 0, 0);
	if (!w->err && w->have_pending) {
		w->cb(w->arg, w->pend_first, w->pend_last);
		w->nranges++;
	}
	ret = w->err ? w->err : w->nranges;
	free(w->seen);
	free(w);
	return ret;
}
