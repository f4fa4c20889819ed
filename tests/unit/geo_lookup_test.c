/* SPDX-License-Identifier: MIT */
/*
 * geo/: lookups in both country layouts (GeoLite2 nested, ip-location-db
 * flat) and both tree kinds (IPv4, IPv6 with IPv4 at ::/96), ASN and org,
 * the cache, database info, default paths, and country expansion by tree
 * walk. The databases are generated here with libmaxmind-db-writer-perl
 * (tests/unit/geo_mkmmdb.pl); without it the test skips. If the real
 * bootstrap databases exist, 95.56.0.1 must be KZ / AS9198.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "test.h"

static const char spec[] = "198.18.1.0/29 KZ 9198 JSC Kazakhtelecom\n"
			   "198.18.1.8-198.18.1.11 KZ 21299 Kar-Tel LLC\n"
			   "198.18.1.12-198.18.1.19 RU 12389 PJSC Rostelecom\n"
			   "198.18.1.20-198.18.1.29 DE 3320 Deutsche Telekom AG\n"
			   "198.18.1.30-198.18.1.39 US 7922 Comcast Cable Communications, LLC\n"
			   "198.18.2.0/24 KZ 9198 JSC Kazakhtelecom\n"
			   "198.19.255.255/32 KZ - -\n"
			   "2001:db8::/32 DE 3320 Deutsche Telekom AG\n";

struct ranges {
	uint32_t first[16], last[16];
	int n;
};

static void collect(void *arg, uint32_t first, uint32_t last)
{
	struct ranges *r = arg;

	if (r->n < 16) {
		r->first[r->n] = first;
		r->last[r->n] = last;
	}
	r->n++;
}

static uint32_t h4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

static void check_db(const char *dir, const char *layout, int ipv)
{
	char cmd[4096], cpath[512], apath[512], err[256];
	struct geo *g;
	struct geo_result r;
	struct geo_db_info info[2];
	struct ranges kz = {.n = 0}, none = {.n = 0};
	uint8_t ip4[4] = {198, 18, 1, 9};
	uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	FILE *p;

	snprintf(cpath, sizeof(cpath), "%s/c-%s-%d.mmdb", dir, layout, ipv);
	snprintf(apath, sizeof(apath), "%s/a-%d.mmdb", dir, ipv);
	snprintf(cmd, sizeof(cmd),
		 "perl '%s/tests/unit/geo_mkmmdb.pl' --layout %s --ip-version %d "
		 "--country '%s' --asn '%s'",
		 getenv("TLSMAP_SRCDIR"), layout, ipv, cpath, apath);
	p = popen(cmd, "w");
	CHECK(p != NULL);
	if (!p)
		return;
	/* An IPv4 tree cannot hold the IPv6 line. */
	fputs(ipv == 6 ? spec : strndupa(spec, strstr(spec, "2001:") - spec), p);
	CHECK(pclose(p) == 0);

	g = geo_open(cpath, apath, err, sizeof(err));
	CHECK(g != NULL);
	if (!g) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(geo_lookup(g, ip4, 4, &r) == 0);
	CHECK(strcmp(r.cc, "KZ") == 0 && r.asn == 21299 && strcmp(r.as_org, "Kar-Tel LLC") == 0);
	/* Cached path gives the same answer. */
	memset(&r, 0x55, sizeof(r));
	CHECK(geo_lookup_be32(g, htonl(h4("198.18.1.9")), &r) == 0);
	CHECK(strcmp(r.cc, "KZ") == 0 && r.asn == 21299 && strcmp(r.as_org, "Kar-Tel LLC") == 0);
	CHECK(geo_lookup_be32(g, htonl(h4("198.18.1.35")), &r) == 0);
	CHECK(strcmp(r.cc, "US") == 0 && r.asn == 7922 &&
	      strcmp(r.as_org, "Comcast Cable Communications, LLC") == 0);
	CHECK(geo_lookup_be32(g, htonl(h4("198.19.255.255")), &r) == 0);
	CHECK(strcmp(r.cc, "KZ") == 0 && r.asn == 0 && r.as_org[0] == 0);
	CHECK(geo_lookup_be32(g, htonl(h4("198.18.3.1")), &r) == 0);
	CHECK(r.cc[0] == 0 && r.asn == 0 && r.as_org[0] == 0);
	CHECK(geo_lookup(g, ip6, 16, &r) == 0);
	if (ipv == 6)
		CHECK(strcmp(r.cc, "DE") == 0 && r.asn == 3320);
	else
		CHECK(r.cc[0] == 0);
	CHECK(geo_lookup(g, ip4, 5, &r) == GEO_EINVAL);

	CHECK(geo_db_info(g, info) == 2);
	CHECK(strcmp(info[0].role, "country") == 0 && strcmp(info[0].path, cpath) == 0);
	CHECK(strcmp(info[1].role, "asn") == 0 &&
	      strcmp(info[1].database_type, "GeoLite2-ASN") == 0);
	CHECK(info[0].build_epoch > 1500000000);

	/* Expansion: adjacent KZ records merge; three KZ ranges in all. */
	CHECK(geo_country_ranges(g, "kz", collect, &kz) == 3);
	CHECK(kz.n == 3);
	CHECK(kz.first[0] == h4("198.18.1.0") && kz.last[0] == h4("198.18.1.11"));
	CHECK(kz.first[1] == h4("198.18.2.0") && kz.last[1] == h4("198.18.2.255"));
	CHECK(kz.first[2] == h4("198.19.255.255") && kz.last[2] == h4("198.19.255.255"));
	kz.n = 0;
	CHECK(geo_country_ranges(g, "DE", collect, &kz) == 1);
	CHECK(kz.first[0] == h4("198.18.1.20") && kz.last[0] == h4("198.18.1.29"));
	CHECK(geo_country_ranges(g, "FR", collect, &none) == 0 && none.n == 0);
	CHECK(geo_country_ranges(g, "K", collect, &none) == GEO_EINVAL);
	CHECK(geo_country_ranges(g, "K1", collect, &none) == GEO_EINVAL);
	geo_close(g);

	/* ASN only: no country database. */
	g = geo_open(NULL, apath, err, sizeof(err));
	CHECK(g != NULL);
	if (g) {
		CHECK(geo_lookup(g, ip4, 4, &r) == 0 && r.cc[0] == 0 && r.asn == 21299);
		CHECK(geo_country_ranges(g, "KZ", collect, &none) == GEO_ENODB);
		CHECK(geo_db_info(g, info) == 1);
		geo_close(g);
	}
}

static void check_real(void)
{
	char cpath[512], apath[512], err[256];
	struct geo *g;
	struct geo_result r;
	struct ranges kz = {.n = 0};
	uint8_t ip[4] = {95, 56, 0, 1};

	geo_default_path("country", cpath, sizeof(cpath));
	geo_default_path("asn", apath, sizeof(apath));
	if (access(cpath, R_OK) != 0 || access(apath, R_OK) != 0) {
		printf("note: bootstrap databases absent (%s), real-data check not run\n", cpath);
		return;
	}
	g = geo_open(cpath, apath, err, sizeof(err));
	CHECK(g != NULL);
	if (!g)
		return;
	CHECK(geo_lookup(g, ip, 4, &r) == 0);
	CHECK(strcmp(r.cc, "KZ") == 0 && r.asn == 9198);
	CHECK(geo_country_ranges(g, "KZ", collect, &kz) > 10);
	printf("real databases: 95.56.0.1 = %s AS%u %s; KZ has %d ranges\n", r.cc, r.asn, r.as_org,
	       kz.n);
	geo_close(g);
}

int main(void)
{
	char dir[256], buf[512], err[256];

	if (!getenv("TLSMAP_SRCDIR")) {
		printf("skip: TLSMAP_SRCDIR not set (run through meson test)\n");
		return 77;
	}
	if (system("perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null") != 0) {
		printf("skip: perl MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl) not "
		       "installed\n");
		return 77;
	}
	if (!test_tmpdir(dir, sizeof(dir), "geo"))
		return 1;
	check_db(dir, "geolite", 6);
	check_db(dir, "flat", 6);
	check_db(dir, "flat", 4);
	check_db(dir, "geolite", 4);

	CHECK(geo_open("/nonexistent.mmdb", NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent.mmdb") != NULL);
	setenv("TLSMAP_DATA", "/x/y", 1);
	CHECK(strcmp(geo_default_path("asn", buf, sizeof(buf)), "/x/y/geo/asn.mmdb") == 0);
	unsetenv("TLSMAP_DATA");
	check_real();

	TEST_DONE();
}
