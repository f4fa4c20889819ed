/* SPDX-License-Identifier: MIT */
/*
 * geo/: the --country walk over crafted databases whose search tree is not
 * a tree. Each is a well-formed small database (argv: an IPv4 and an IPv6
 * one, from tests/fuzz/corpus/geo/) with search-tree records patched: a
 * node pointing to itself, a node pointing back to the root (IPv6: from
 * inside the IPv4 subtree to the ::/96 path), and nodes whose two children
 * are the same node. The walk must refuse each (GEO_ELOOKUP) quickly: an
 * alarm fails the test if it runs away (before the fix, nodes sharing a
 * child down a chain 32 deep meant 2^32 leaf visits: the alarm fired). The
 * unpatched databases must still walk.
 */
#include <errno.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "test.h"

struct db {
	uint8_t *bytes;
	size_t len;
	uint32_t node_count;
	uint32_t v4_root; /* node at ::/96 (IPv6 trees) or 0 */
};

static void count_range(void *arg, uint32_t first, uint32_t last)
{
	(void)first;
	(void)last;
	++*(long *)arg;
}

/* Records are 24 bits in the databases tests/unit/geo_mkmmdb.pl writes. */
static uint32_t get_rec(const struct db *d, uint32_t node, int right)
{
	const uint8_t *p = d->bytes + (size_t)node * 6 + (right ? 3 : 0);
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void set_rec(struct db *d, uint32_t node, int right, uint32_t v)
{
	uint8_t *p = d->bytes + (size_t)node * 6 + (right ? 3 : 0);
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static int load(const char *path, struct db *d)
{
	FILE *f = fopen(path, "rb");
	MMDB_s mmdb;

	memset(d, 0, sizeof(*d));
	if (!f || MMDB_open(path, MMDB_MODE_MMAP, &mmdb) != MMDB_SUCCESS) {
		fprintf(stderr, "%s: cannot open\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	d->bytes = malloc(1 << 20);
	d->len = fread(d->bytes, 1, 1 << 20, f);
	fclose(f);
	d->node_count = mmdb.metadata.node_count;
	if (mmdb.metadata.record_size != 24) {
		fprintf(stderr, "%s: record size %u, expected 24\n", path,
			mmdb.metadata.record_size);
		MMDB_close(&mmdb);
		return -1;
	}
	if (mmdb.metadata.ip_version == 6)
		for (int i = 0; i < 96; i++)
			d->v4_root = get_rec(d, d->v4_root, 0);
	MMDB_close(&mmdb);
	return d->v4_root < d->node_count ? 0 : -1;
}

/* Walk @d as patched; returns what geo_country_ranges returned. */
static long walk(const struct db *d, const char *what)
{
	char path[] = "/tmp/tlsmap-geo-walk-XXXXXX", err[512];
	int fd = mkstemp(path);
	long n = -100, got = 0;

	if (fd < 0 || write(fd, d->bytes, d->len) != (ssize_t)d->len) {
		perror(path);
		exit(1);
	}
	close(fd);
	struct geo *g = geo_open(path, NULL, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "%s: %s\n", what, err);
		failures++;
	} else {
		alarm(20); /* a runaway walk kills the test */
		n = geo_country_ranges(g, "KZ", count_range, &got);
		alarm(0);
		geo_close(g);
	}
	unlink(path);
	printf("%-44s -> %ld\n", what, n);
	return n;
}

static void check_db(const char *path)
{
	struct db d;
	char what[256];

	if (load(path, &d) != 0) {
		failures++;
		return;
	}
	snprintf(what, sizeof(what), "%s as written", path);
	CHECK(walk(&d, what) > 0);

	/* the IPv4 root's left record points to itself */
	uint32_t r = d.v4_root, left = get_rec(&d, r, 0);
	set_rec(&d, r, 0, r);
	snprintf(what, sizeof(what), "%s: IPv4 root -> itself", path);
	CHECK(walk(&d, what) == GEO_ELOOKUP);

	/* every search-node record of the IPv4 subtree points to the tree's root */
	set_rec(&d, r, 0, left);
	for (uint32_t n = r; n < d.node_count; n++)
		for (int side = 0; side < 2; side++)
			if (get_rec(&d, n, side) < d.node_count)
				set_rec(&d, n, side, 0);
	snprintf(what, sizeof(what), "%s: every node -> the root", path);
	CHECK(walk(&d, what) == GEO_ELOOKUP);
	free(d.bytes);

	/* shared nodes: where a node has a node child, both its records point to
	 * it (the right one when both are nodes: the path to 198.18.4.7/32), a
	 * chain 32 deep: 2^32 leaf visits for a walk that re-enters nodes */
	if (load(path, &d) != 0) {
		failures++;
		return;
	}
	unsigned shared = 0;
	for (uint32_t n = d.v4_root; n < d.node_count; n++) {
		uint32_t l = get_rec(&d, n, 0), rr = get_rec(&d, n, 1);
		uint32_t child = rr < d.node_count ? rr : l;

		if (child < d.node_count) {
			set_rec(&d, n, 0, child);
			set_rec(&d, n, 1, child);
			shared++;
		}
	}
	snprintf(what, sizeof(what), "%s: %u nodes with one child twice", path, shared);
	CHECK(shared > 0 && walk(&d, what) == GEO_ELOOKUP);
	free(d.bytes);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DB.mmdb...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		check_db(argv[i]);
	TEST_DONE();
}
