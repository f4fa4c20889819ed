/* SPDX-License-Identifier: MIT */
/*
 * The target generator (scanner/sweep.h) on a fake clock: every (address,
 * port) pair exactly once over all shards, -P copies back to back,
 * --max-targets honoured, the rate respected, and the --seed cookie key
 * fixed by the seed.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/sweep.h"
#include "tests/unit/test.h"

static const uint16_t ports[] = {443, 80, 8443};

/* Drain one shard at @pps over simulated seconds; count pairs into seen[]. */
static uint64_t drain(struct sweep_gen *g, const struct tgt_set *t, uint8_t *seen, unsigned probes,
		      uint64_t *elapsed_ns)
{
	uint32_t ip[64];
	uint16_t port[64];
	uint64_t now = 0, sent = 0;
	uint32_t last_ip = 0;
	uint16_t last_port = 0;
	int n;

	while ((n = sweep_gen_next(g, now, ip, port, 64)) != -1 && now < 600ull * 1000000000ull) {
		for (int k = 0; k < n; k++) {
			uint32_t a = __builtin_bswap32(ip[k]);
			uint16_t p = __builtin_bswap16(port[k]);
			unsigned pi = p == 443 ? 0 : p == 80 ? 1 : 2;
			uint64_t ai = a - tgt_set_nth(t, 0);
			if (sent % probes == 0) /* copies come back to back */
				seen[ai * 3 + pi]++;
			else
				CHECK(ip[k] == last_ip && port[k] == last_port);
			last_ip = ip[k];
			last_port = port[k];
			sent++;
		}
		now += 1000000; /* 1 ms */
	}
	*elapsed_ns = now;
	return sent;
}

int main(void)
{
	struct tgt_set *t = tgt_set_new();
	struct sweep_gen g;
	uint8_t key1[16], key2[16], key3[16];
	uint64_t elapsed, total = 0;
	uint8_t *seen;

	CHECK(t && tgt_set_add_spec(t, "198.18.0.0/24") == 0);
	seen = calloc(256 * 3, 1);
	for (uint32_t s = 0; s < 3; s++) {
		CHECK(sweep_gen_init(&g, t, ports, 3, 7, s, 3) == 0);
		sweep_gen_start(&g, 0, 2, 100000, 0);
		total += drain(&g, t, seen, 2, &elapsed);
	}
	CHECK_EQ_U64(total, 256 * 3 * 2);
	for (unsigned k = 0; k < 256 * 3; k++)
		CHECK(seen[k] == 1);

	/* --max-targets 100 at 1000 pps: 100 pairs, about 0.1 s */
	memset(seen, 0, 256 * 3);
	CHECK(sweep_gen_init(&g, t, ports, 3, 7, 0, 1) == 0);
	sweep_gen_start(&g, 100, 1, 1000, 0);
	CHECK_EQ_U64(drain(&g, t, seen, 1, &elapsed), 100);
	CHECK(elapsed >= 90000000ull && elapsed <= 200000000ull);

	CHECK(sweep_gen_init(&g, t, ports, 3, 7, 3, 3) != 0); /* shard out of range */

	sweep_key_from_seed(42, key1);
	sweep_key_from_seed(42, key2);
	sweep_key_from_seed(43, key3);
	CHECK(memcmp(key1, key2, 16) == 0);
	CHECK(memcmp(key1, key3, 16) != 0);
	free(seen);
	tgt_set_free(t);
	TEST_DONE();
}
