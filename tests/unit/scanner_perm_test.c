/* SPDX-License-Identifier: MIT */
/*
 * The permutation: for several n and shard counts every index in [0, n)
 * comes out exactly once across the shards (so shards are disjoint and
 * their union is everything); the walk equals x -> x*g mod p computed the
 * slow way, and shard s gets exactly cycle positions k = s mod shards; the
 * seed decides the order. Prints the cost of perm_next (not asserted).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

static void check_cover(uint64_t n, uint32_t shards, uint64_t seed)
{
	uint8_t *seen = calloc(n ? n : 1, 1);
	uint64_t total = 0;
	for (uint32_t s = 0; s < shards; s++) {
		struct perm p;
		CHECK(perm_init(&p, n, seed, s, shards) == 0);
		uint64_t idx, got = 0, steps = perm_steps_for_shard(&p);
		while (perm_next(&p, &idx)) {
			if (idx >= n || seen[idx]) {
				fprintf(stderr, "n=%llu shards=%u shard=%u: index %llu %s\n",
					(unsigned long long)n, shards, s, (unsigned long long)idx,
					idx >= n ? "out of range" : "repeated");
				failures++;
				free(seen);
				return;
			}
			seen[idx] = 1;
			got++;
		}
		CHECK(got <= steps);
		CHECK(!perm_next(&p, &idx)); /* stays exhausted */
		total += got;
	}
	CHECK_EQ_U64(total, n);
	free(seen);
}

/* The reference walk, with plain 128-bit remainders. */
static void check_walk(uint64_t n, uint32_t shards, uint64_t seed)
{
	struct perm full;
	CHECK(perm_init(&full, n, seed, 0, 1) == 0);
	uint64_t prime = full.p, g = full.g, x = full.start;
	uint64_t order = prime - 1;
	uint64_t *slow = malloc(order * sizeof(*slow));
	for (uint64_t k = 0; k < order; k++) {
		slow[k] = x;
		x = (uint64_t)((unsigned __int128)x * g % prime);
	}
	CHECK(x == full.start); /* a full cycle: g is primitive */
	for (uint32_t s = 0; s < shards; s++) {
		struct perm p;
		CHECK(perm_init(&p, n, seed, s, shards) == 0);
		CHECK(p.g == g && p.start == full.start);
		uint64_t idx;
		for (uint64_t k = s; k < order; k += shards) {
			if (slow[k] - 1 >= n)
				continue;
			if (!perm_next(&p, &idx) || idx != slow[k] - 1) {
				fprintf(stderr, "walk mismatch n=%llu shards=%u shard=%u k=%llu\n",
					(unsigned long long)n, shards, s, (unsigned long long)k);
				failures++;
				break;
			}
		}
		CHECK(!perm_next(&p, &idx));
	}
	free(slow);
}

static int same_prefix(uint64_t n, uint64_t seed_a, uint64_t seed_b, int len)
{
	struct perm a, b;
	perm_init(&a, n, seed_a, 0, 1);
	perm_init(&b, n, seed_b, 0, 1);
	for (int i = 0; i < len; i++) {
		uint64_t x, y;
		bool ga = perm_next(&a, &x), gb = perm_next(&b, &y);
		if (ga != gb || (ga && x != y))
			return 0;
	}
	return 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
	CHECK(perm_self_check() == 0);

	struct perm p;
	uint64_t idx;
	CHECK(perm_init(&p, 10, 1, 0, 0) == -EINVAL);
	CHECK(perm_init(&p, 10, 1, 3, 3) == -EINVAL);
	CHECK(perm_init(&p, PERM_MAX_N + 1, 1, 0, 1) == -EINVAL);
	CHECK(perm_init(&p, 0, 1, 0, 1) == 0 && !perm_next(&p, &idx));
	CHECK(perm_init(&p, 1, 1, 0, 1) == 0 && perm_next(&p, &idx) && idx == 0 &&
	      !perm_next(&p, &idx));

	const uint64_t ns[] = {1, 2, 7, 1000, 65537, 1000000};
	const uint32_t shardss[] = {1, 2, 3, 7};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (size_t j = 0; j < sizeof(shardss) / sizeof(shardss[0]); j++)
			for (uint64_t seed = 1; seed <= 2; seed++)
				check_cover(ns[i], shardss[j], seed * 0x9e3779b9 + i);
	check_cover(300, 1000, 5); /* more shards than group elements: most are empty */
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]) - 1; i++)
		check_walk(ns[i], 3, 42 + i);
	check_walk(1000000, 7, 7);

	/* determinism */
	CHECK(same_prefix(1000, 77, 77, 1000));
	CHECK(same_prefix(1000000, 77, 77, 5000));
	CHECK(!same_prefix(1000, 77, 78, 1000));
	CHECK(!same_prefix(1000000, 1, 2, 5000));
	int distinct_g = 0;
	for (uint64_t seed = 0; seed < 8; seed++) {
		struct perm a, b;
		perm_init(&a, UINT64_C(1) << 32, seed, 0, 1);
		perm_init(&b, UINT64_C(1) << 32, seed + 1, 0, 1);
		distinct_g += a.g != b.g;
	}
	CHECK(distinct_g >= 6);

	/* the largest size: 2^32 addresses x 65536 ports; first outputs in range, Montgomery
	 * step agrees with the slow product */
	CHECK(perm_init(&p, PERM_MAX_N, 9, 3, 5) == 0);
	CHECK(p.p > PERM_MAX_N);
	for (int i = 0; i < 100000; i++) {
		uint64_t before = p.cur;
		uint64_t step = 1;
		for (uint32_t k = 0; k < p.shards; k++)
			step = (uint64_t)((unsigned __int128)step * p.g % p.p);
		uint64_t want = (uint64_t)((unsigned __int128)before * step % p.p);
		if (!perm_next(&p, &idx) || idx >= PERM_MAX_N) {
			failures++;
			break;
		}
		if (idx != before - 1) /* no skips possible below 2^48 + 21 except 2^48.. */
			continue;
		if (p.cur != want) {
			failures++;
			break;
		}
	}

	/* cost of perm_next over a whole-IPv4 space (p = 2^32 + 15, about 0% skipped) */
	CHECK(perm_init(&p, UINT64_C(1) << 32, 1, 0, 1) == 0);
	const int iters = 50000000;
	uint64_t acc = 0;
	double t0 = now_s();
	for (int i = 0; i < iters && perm_next(&p, &idx); i++)
		acc += idx;
	double t1 = now_s();
	printf("perm_next: %.2f ns/call (n=2^32, %d calls, checksum %llu)\n",
	       (t1 - t0) * 1e9 / iters, iters, (unsigned long long)(acc & 0xffff));
	CHECK(perm_init(&p, UINT64_C(3) << 31, 1, 0, 1) == 0); /* p = 2^33+17: 25% skipped */
	t0 = now_s();
	for (int i = 0; i < iters && perm_next(&p, &idx); i++)
		acc += idx;
	t1 = now_s();
	printf("perm_next: %.2f ns/call (n=1.5*2^32, 25%% of steps skipped)\n",
	       (t1 - t0) * 1e9 / iters);
	TEST_DONE();
}
