/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for MaxMind databases (--geo-db, --asn-db): the input is a
 * database file, opened with geo_open() as country and as ASN database.
 * The country walk (geo_country_ranges, `tlsmap scan --country`) must end
 * (a search tree that loops or shares nodes included) and yield ascending,
 * disjoint, non-adjacent ranges; lookups must fill NUL-terminated fields.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus (databases
 * written by tests/unit/geo_mkmmdb.pl) and the regressions.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "geo/geo.h"

/*
 * libmaxminddb 1.7.1 (Debian 12) leaks the metadata it decoded when
 * MMDB_open() refuses a database (fixed upstream in maxmind/libmaxminddb
 * PR #356, 2024): not ours to fix, and not a leak of tlsmap's.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libmaxminddb.so\n";
}

struct ranges {
	long n;
	uint64_t next; /* lowest address the next range may start at */
};

static void on_range(void *arg, uint32_t first, uint32_t last)
{
	struct ranges *r = arg;

	if (first > last || first < r->next)
		abort();
	r->next = (uint64_t)last + 2; /* adjacent ranges are merged */
	r->n++;
}

static void lookups(struct geo *g)
{
	static const uint32_t ips[] = {0xc6120001u, 0x01020304u, 0x00000000u, 0xffffffffu};
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct geo_result res;

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		if (geo_lookup_be32(g, htonl(ips[i]), &res) == 0 &&
		    (!memchr(res.cc, 0, sizeof(res.cc)) ||
		     !memchr(res.as_org, 0, sizeof(res.as_org))))
			abort();
	if (geo_lookup(g, ip6, 16, &res) == 0 && !memchr(res.as_org, 0, sizeof(res.as_org)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_file file;
	const char *path = fuzz_file_set(&file, data, size);
	char err[512];
	struct geo *g = geo_open(path, NULL, err, sizeof(err));

	if (g) {
		struct ranges r = {0, 0};
		long n = geo_country_ranges(g, "kz", on_range, &r);

		if (n >= 0 && n != r.n)
			abort();
		lookups(g);
		geo_close(g);
	}
	g = geo_open(NULL, path, err, sizeof(err));
	if (g) {
		lookups(g);
		geo_close(g);
	}
	return 0;
}
