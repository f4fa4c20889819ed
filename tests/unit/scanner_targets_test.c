/* SPDX-License-Identifier: MIT */
/*
 * Target sets: strict spec parsing (good and bad, with the reasons given),
 * file loading and its error messages, and set operations checked against a
 * brute-force bitmap over a small address window with random ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

#define IP4(a, b, c, d)                                                                            \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void test_parse(void)
{
	static const struct {
		const char *spec;
		uint32_t first, last;
	} good[] = {
		{"198.18.0.0/15", IP4(198, 18, 0, 0), IP4(198, 19, 255, 255)},
		{"198.18.0.1", IP4(198, 18, 0, 1), IP4(198, 18, 0, 1)},
		{"198.18.0.1-198.18.0.9", IP4(198, 18, 0, 1), IP4(198, 18, 0, 9)},
		{"198.19.7.7/15", IP4(198, 18, 0, 0),
		 IP4(198, 19, 255, 255)}, /* host bits cleared */
		{"0.0.0.0/0", 0, UINT32_MAX},
		{"255.255.255.255/32", UINT32_MAX, UINT32_MAX},
		{"0.0.0.0", 0, 0},
		{"1.2.3.4-1.2.3.4", IP4(1, 2, 3, 4), IP4(1, 2, 3, 4)},
		{"10.0.0.0/8", IP4(10, 0, 0, 0), IP4(10, 255, 255, 255)},
		{"100.64.0.0/10", IP4(100, 64, 0, 0), IP4(100, 127, 255, 255)},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32_t a = 1, b = 0;
		int rc = tgt_parse_spec(good[i].spec, &a, &b);
		if (rc || a != good[i].first || b != good[i].last) {
			fprintf(stderr, "good spec '%s': rc %d %08x-%08x\n", good[i].spec, rc, a,
				b);
			failures++;
		}
		CHECK(tgt_spec_error(good[i].spec) == NULL);
	}
	static const struct {
		const char *spec, *why; /* why: a substring of the reason */
	} bad[] = {
		{"1.2.3", "four dotted"},
		{"1.2.3.4/33", "above 32"},
		{"010.0.0.1", "leading zero"},
		{"1.2.3.04", "leading zero"},
		{"1.2.3.4/08", "leading zero"},
		{" 1.2.3.4", "blanks"},
		{"1.2.3.4 ", "blanks"},
		{"1.2. 3.4", "blanks"},
		{"1.2.3.4x", "trailing"},
		{"1.2.3.4.5", "trailing"},
		{"1.2.3.256", "above 255"},
		{"1.2.3.1000", "above 255"},
		{"", "empty"},
		{"1.2.3.4/", "prefix length"},
		{"1.2.3.4/3x", "prefix length"},
		{"1.2.3.4/-1", "both"},
		{"1.2.3.9-1.2.3.1", "before its start"},
		{"1.2.3.4-", "four dotted"},
		{"-1.2.3.4", "four dotted"},
		{"1..2.3", "four dotted"},
		{"a.b.c.d", "four dotted"},
		{"0x1.2.3.4", "four dotted"},
		{"1.2.3.4/100", "prefix length"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t a, b;
		const char *why = tgt_spec_error(bad[i].spec);
		if (!tgt_parse_spec(bad[i].spec, &a, &b) || !why || !strstr(why, bad[i].why)) {
			fprintf(stderr, "bad spec '%s' accepted or wrong reason (%s)\n",
				bad[i].spec, why ? why : "none");
			failures++;
		}
	}
	uint32_t ip;
	CHECK(tgt_parse_ip("8.8.8.8", &ip) == 0 && ip == IP4(8, 8, 8, 8));
	CHECK(tgt_parse_ip("8.8.8.8/32", &ip) != 0);
	char buf[16];
	CHECK(strcmp(tgt_ip_str(IP4(198, 18, 0, 255), buf), "198.18.0.255") == 0);
}

static void test_basic(void)
{
	struct tgt_set *s = tgt_set_new();
	CHECK(tgt_set_count(s) == 0 && tgt_set_nranges(s) == 0);
	CHECK(!tgt_set_contains(s, 0));
	CHECK(tgt_set_add_spec(s, "198.18.0.8-198.18.0.15") == 0);
	CHECK(tgt_set_add_spec(s, "198.18.0.0/29") == 0); /* adjacent: merges */
	CHECK(tgt_set_nranges(s) == 1);
	CHECK_EQ_U64(tgt_set_count(s), 16);
	CHECK(tgt_set_add_spec(s, "1.2.3") == -22);
	CHECK(tgt_set_add_range(s, 5, 4) != 0);
	CHECK(tgt_set_add_spec(s, "198.18.1.0/24") == 0);
	CHECK(tgt_set_add_spec(s, "9.9.9.9") == 0);
	CHECK(tgt_set_nranges(s) == 3);
	CHECK_EQ_U64(tgt_set_count(s), 16 + 256 + 1);
	CHECK(tgt_set_nth(s, 0) == IP4(9, 9, 9, 9));
	CHECK(tgt_set_nth(s, 1) == IP4(198, 18, 0, 0));
	CHECK(tgt_set_nth(s, 16) == IP4(198, 18, 0, 15));
	CHECK(tgt_set_nth(s, 17) == IP4(198, 18, 1, 0));
	CHECK(tgt_set_nth(s, 272) == IP4(198, 18, 1, 255));
	CHECK(tgt_set_contains(s, IP4(198, 18, 1, 77)));
	CHECK(!tgt_set_contains(s, IP4(198, 18, 0, 16)));
	CHECK(!tgt_set_contains(s, IP4(9, 9, 9, 8)));
	/* whole space: count 2^32, edges */
	struct tgt_set *all = tgt_set_new();
	CHECK(tgt_set_add_spec(all, "0.0.0.0/0") == 0);
	CHECK_EQ_U64(tgt_set_count(all), UINT64_C(1) << 32);
	CHECK(tgt_set_nth(all, UINT32_MAX) == UINT32_MAX);
	CHECK(tgt_set_add_range(all, UINT32_MAX, UINT32_MAX) == 0 && tgt_set_nranges(all) == 1);
	tgt_set_subtract(all, s);
	CHECK_EQ_U64(tgt_set_count(all), (UINT64_C(1) << 32) - 273);
	CHECK(tgt_set_nranges(all) == 4);
	CHECK(tgt_set_contains(all, 0) && tgt_set_contains(all, UINT32_MAX));
	tgt_set_intersect(all, s);
	CHECK(tgt_set_count(all) == 0);
	/* order independence of the digest */
	struct tgt_set *a = tgt_set_new(), *b = tgt_set_new();
	const char *specs[] = {"9.9.9.9", "198.18.0.0/28", "198.18.1.0/24", "198.18.1.7"};
	for (int i = 0; i < 4; i++) {
		CHECK(tgt_set_add_spec(a, specs[i]) == 0);
		CHECK(tgt_set_add_spec(b, specs[3 - i]) == 0);
	}
	uint8_t ha[32], hb[32], hs[32], he[32];
	tgt_set_sha256(a, ha);
	tgt_set_sha256(b, hb);
	tgt_set_sha256(s, hs);
	CHECK(memcmp(ha, hb, 32) == 0);
	CHECK(memcmp(ha, hs, 32) == 0);
	tgt_set_sha256(all, he); /* empty set: SHA-256 of "" */
	CHECK(he[0] == 0xe3 && he[1] == 0xb0 && he[31] == 0x55);
	CHECK(tgt_set_add_spec(b, "9.9.9.10") == 0);
	tgt_set_sha256(b, hb);
	CHECK(memcmp(ha, hb, 32) != 0);
	struct tgt_set *c = tgt_set_clone(b);
	CHECK(c && tgt_set_count(c) == tgt_set_count(b) &&
	      tgt_set_nranges(c) == tgt_set_nranges(b));
	tgt_set_free(c);
	tgt_set_free(a);
	tgt_set_free(b);
	tgt_set_free(all);
	tgt_set_free(s);
}

/* Random ranges inside a 4096-address window at an offset, against a bitmap. */
#define WIN 4096
static uint64_t rng_state = 0x1234567;
static uint32_t rnd(uint32_t bound)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % bound;
}

static void random_set(struct tgt_set *s, uint8_t *bits, uint32_t base, int k)
{
	memset(bits, 0, WIN);
	for (int i = 0; i < k; i++) {
		uint32_t a = rnd(WIN), len = rnd(i % 3 ? 8 : 300);
		uint32_t b = a + len >= WIN ? WIN - 1 : a + len;
		CHECK(tgt_set_add_range(s, base + a, base + b) == 0);
		memset(bits + a, 1, b - a + 1);
	}
}

static void check_against(const struct tgt_set *s, const uint8_t *bits, uint32_t base)
{
	uint64_t count = 0;
	for (uint32_t i = 0; i < WIN; i++) {
		if (bits[i]) {
			if (tgt_set_nth(s, count) != base + i) {
				failures++;
				return;
			}
			count++;
		}
		if (tgt_set_contains(s, base + i) != (bits[i] != 0)) {
			failures++;
			return;
		}
	}
	CHECK(!tgt_set_contains(s, base - 1) && !tgt_set_contains(s, base + WIN));
	CHECK_EQ_U64(tgt_set_count(s), count);
	/* normalised: sorted, disjoint, non-adjacent */
	for (size_t i = 0; i < tgt_set_nranges(s); i++) {
		uint32_t f, l, pf, pl;
		tgt_set_range(s, i, &f, &l);
		CHECK(f <= l);
		if (i) {
			tgt_set_range(s, i - 1, &pf, &pl);
			CHECK(pl + 1 < f);
		}
	}
}

static void test_random_ops(void)
{
	static uint8_t ba[WIN], bb[WIN], bc[WIN];
	const uint32_t bases[] = {IP4(198, 18, 0, 0), 0 + 1, UINT32_MAX - WIN};
	for (int round = 0; round < 60; round++) {
		uint32_t base = bases[round % 3];
		struct tgt_set *a = tgt_set_new(), *b = tgt_set_new();
		random_set(a, ba, base, 1 + rnd(40));
		random_set(b, bb, base, rnd(40));
		check_against(a, ba, base);
		check_against(b, bb, base);

		struct tgt_set *u = tgt_set_clone(a);
		CHECK(tgt_set_add_set(u, b) == 0);
		for (int i = 0; i < WIN; i++)
			bc[i] = ba[i] | bb[i];
		check_against(u, bc, base);

		struct tgt_set *d = tgt_set_clone(a);
		tgt_set_subtract(d, b);
		for (int i = 0; i < WIN; i++)
			bc[i] = ba[i] && !bb[i];
		check_against(d, bc, base);

		struct tgt_set *x = tgt_set_clone(a);
		tgt_set_intersect(x, b);
		for (int i = 0; i < WIN; i++)
			bc[i] = ba[i] && bb[i];
		check_against(x, bc, base);

		tgt_set_free(u);
		tgt_set_free(d);
		tgt_set_free(x);
		tgt_set_free(a);
		tgt_set_free(b);
	}
}

static void test_file(void)
{
	char dir[128], path[160];
	CHECK(test_tmpdir(dir, sizeof(dir), "tgt") != NULL);
	snprintf(path, sizeof(path), "%s/list", dir);
	CHECK(test_write_file(path, "# allowlist\n198.18.0.0/24  # lab\n\n   198.19.0.1\t\n"
				    "198.18.0.5-198.18.1.3\r\n") == 0);
	struct tgt_set *s = tgt_set_new();
	char err[256] = "";
	CHECK(tgt_set_add_file(s, path, err, sizeof(err)) == 0);
	CHECK_EQ_U64(tgt_set_count(s), 256 + 4 + 1);
	CHECK(tgt_set_nranges(s) == 2);

	CHECK(test_write_file(path, "198.18.0.0/24\n# fine\n10.0.0.1\n010.0.0.1\n") == 0);
	struct tgt_set *t = tgt_set_new();
	CHECK(tgt_set_add_file(t, path, err, sizeof(err)) == -22);
	char want[300];
	snprintf(want, sizeof(want), "%s:4: bad target '010.0.0.1'", path);
	if (strncmp(err, want, strlen(want)) != 0) {
		fprintf(stderr, "message '%s', want prefix '%s'\n", err, want);
		failures++;
	}
	CHECK(tgt_set_count(t) == 0); /* unchanged on error */
	unlink(path);
	CHECK(tgt_set_add_file(t, path, err, sizeof(err)) < 0);
	CHECK(strstr(err, path) != NULL && strstr(err, "No such file") != NULL);
	tgt_set_free(s);
	tgt_set_free(t);
}

int main(void)
{
	test_parse();
	test_basic();
	test_random_ops();
	test_file();
	TEST_DONE();
}
