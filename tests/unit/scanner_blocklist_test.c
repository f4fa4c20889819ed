/* SPDX-License-Identifier: MIT */
/*
 * The built-in IANA blocklist covers what it must (private, loopback,
 * documentation, multicast, reserved) and nothing of ordinary unicast space;
 * blocklist files parse like ZMap's (trailing comments) and name bad lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

static uint32_t ip(const char *s)
{
	uint32_t v = 0;
	if (tgt_parse_ip(s, &v)) {
		fprintf(stderr, "bad test address %s\n", s);
		exit(2);
	}
	return v;
}

int main(void)
{
	struct tgt_set *b = blk_iana_default();
	CHECK(b != NULL);
	const char *blocked[] = {
		"0.0.0.0",	   "0.255.255.255",   "10.1.2.3",     "100.64.0.1",
		"100.127.255.255", "127.0.0.1",	      "169.254.1.1",  "172.16.0.1",
		"172.31.255.255",  "192.0.0.8",	      "192.0.2.1",    "192.31.196.1",
		"192.52.193.1",	   "192.88.99.1",     "192.168.1.1",  "192.175.48.1",
		"198.18.0.1",	   "198.19.255.255",  "198.51.100.7", "203.0.113.9",
		"224.0.0.1",	   "239.255.255.255", "240.0.0.1",    "255.255.255.255"};
	const char *open[] = {
		"8.8.8.8",	  "1.1.1.1",	     "9.255.255.255",	"11.0.0.0",
		"100.63.255.255", "100.128.0.0",     "172.15.255.255",	"172.32.0.0",
		"192.0.1.0",	  "192.167.255.255", "192.169.0.0",	"198.17.255.255",
		"198.20.0.0",	  "223.255.255.255", "126.255.255.255", "128.0.0.0"};
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if (!tgt_set_contains(b, ip(blocked[i]))) {
			fprintf(stderr, "%s not blocked\n", blocked[i]);
			failures++;
		}
	for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		if (tgt_set_contains(b, ip(open[i]))) {
			fprintf(stderr, "%s blocked\n", open[i]);
			failures++;
		}
	/* table: sorted, aligned networks, every entry names its RFC */
	size_t n;
	const struct blk_entry *t = blk_iana_table(&n);
	CHECK(n >= 19);
	for (size_t i = 0; i < n; i++) {
		uint32_t mask = t[i].len ? ~(uint32_t)0 << (32 - t[i].len) : 0;
		CHECK((t[i].net & ~mask) == 0);
		CHECK(t[i].rfc && strncmp(t[i].rfc, "RFC ", 4) == 0 && t[i].name);
		if (i)
			CHECK(t[i - 1].net < t[i].net);
	}
	/* the unicast space left over: 2^32 minus the blocks (255.255.255.255 is inside 240/4) */
	uint64_t want = (UINT64_C(1) << 32) -
			((UINT64_C(3) << 24) + (UINT64_C(1) << 22) + (UINT64_C(1) << 16) +
			 (UINT64_C(1) << 20) + 8 * 256 + (UINT64_C(1) << 16) + (UINT64_C(1) << 17) +
			 (UINT64_C(2) << 28));
	CHECK_EQ_U64((UINT64_C(1) << 32) - tgt_set_count(b), want);

	/* files */
	char dir[128], path[160];
	CHECK(test_tmpdir(dir, sizeof(dir), "blk") != NULL);
	snprintf(path, sizeof(path), "%s/list", dir);
	CHECK(test_write_file(path,
			      "# opt-outs\n8.8.8.0/24 # dns\n1.1.1.1\n\n  # indented comment\n") ==
	      0);
	char err[256] = "";
	CHECK(blk_load(b, path, err, sizeof(err)) == 0);
	CHECK(tgt_set_contains(b, ip("8.8.8.8")) && tgt_set_contains(b, ip("1.1.1.1")));
	CHECK(!tgt_set_contains(b, ip("1.1.1.2")));
	CHECK(test_write_file(path, "8.8.8.0/24\n8.8.4.4 junk\n") == 0);
	CHECK(blk_load(b, path, err, sizeof(err)) == -22);
	char want_msg[300];
	snprintf(want_msg, sizeof(want_msg), "%s:2: bad blocklist entry '8.8.4.4 junk'", path);
	if (strncmp(err, want_msg, strlen(want_msg))) {
		fprintf(stderr, "message '%s'\n", err);
		failures++;
	}
	tgt_set_free(b);
	TEST_DONE();
}
