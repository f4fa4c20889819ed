/* SPDX-License-Identifier: MIT */
/*
 * The target generator (see sweep.h). It runs on the TX lcore's loop, so it
 * never allocates and never blocks: each call asks the token bucket for as
 * many packets as are due, walks the permutation for that many pairs and
 * gives back the credit it could not use.
 */
#include "scanner/sweep.h"

#include <errno.h>
#include <string.h>

int sweep_gen_init(struct sweep_gen *g, const struct tgt_set *targets, const uint16_t *ports,
		   unsigned nports, uint64_t seed, uint32_t shard, uint32_t shards)
{
	uint64_t naddrs = tgt_set_count(targets);

	memset(g, 0, sizeof(*g));
	if (nports && naddrs > PERM_MAX_N / nports)
		return -EINVAL;
	g->targets = targets;
	g->ports = ports;
	g->nports = nports;
	return perm_init(&g->perm, naddrs * nports, seed, shard, shards);
}

void sweep_gen_start(struct sweep_gen *g, uint64_t max_targets, unsigned probes, uint64_t rate_pps,
		     uint64_t now_ns)
{
	g->left = max_targets ? max_targets : UINT64_MAX;
	g->probes = probes ? probes : 1;
	rate_init(&g->rate, rate_pps, 1000000000ull, now_ns);
	g->gap_ns = rate_pps >= 20000 ? 50000 : 0;
	/* Tolerate 10 ms scheduling stalls (a shared 2-core host preempts the TX
	 * lcore for milliseconds): the bucket keeps up to 10 ms of credit instead
	 * of rate.c's 1 ms, so -r holds on average; the catch-up burst is at
	 * most 10 ms worth of packets. */
	if (rate_pps / 100 > g->rate.burst)
		rate_set_burst(&g->rate, rate_pps / 100);
}

int sweep_gen_next(void *arg, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max)
{
	struct sweep_gen *g = arg;
	uint32_t want, got;
	unsigned n = 0;
	uint64_t idx;

	if (!g->left && !g->reps) /* --max-targets reached and every copy sent */
		g->done = true;
	if (g->done)
		return -1;
	/* Ask the bucket every gap_ns, not on every loop: credit accumulates into
	 * bursts of several packets, so a PMD that makes a system call per burst
	 * (net_af_packet, net_pcap) is not asked for one packet at a time. */
	if (now_ns < g->next_ns)
		return 0;
	want = max;
	if (g->left < want && g->left * g->probes + g->reps < want) /* packets still to send */
		want = (uint32_t)(g->left * g->probes + g->reps);
	got = rate_take(&g->rate, now_ns, want);
	if (got < want) /* the bucket ran dry: let credit build up for gap_ns */
		g->next_ns = now_ns + g->gap_ns;
	while (n < got) {
		if (g->reps == 0) {
			if (!g->left || !perm_next(&g->perm, &idx)) {
				g->done = true;
				break;
			}
			uint64_t ai = g->nports == 1 ? idx : idx / g->nports;
			unsigned pi = g->nports == 1 ? 0 : (unsigned)(idx % g->nports);
			g->cur_ip_be = __builtin_bswap32(tgt_set_nth(g->targets, ai));
			g->cur_port_be = __builtin_bswap16(g->ports[pi]);
			g->reps = g->probes;
			g->left--;
		}
		/* with -P N the copies go back to back, as in ZMap: the replies are
		 * deduplicated on RX, and one lost SYN no longer hides the host */
		ip_be[n] = g->cur_ip_be;
		port_be[n] = g->cur_port_be;
		g->reps--;
		n++;
	}
	if (n < got)
		rate_return(&g->rate, got - n);
	if (n == 0 && g->done)
		return -1;
	return (int)n;
}

void sweep_key_from_seed(uint64_t seed, uint8_t key[16])
{
	/* splitmix64 (Steele, Lea, Flood 2014), as perm.c's seed stream */
	uint64_t z = seed;
	for (int k = 0; k < 2; k++) {
		uint64_t x = (z += 0x9e3779b97f4a7c15ULL);
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
		memcpy(key + 8 * k, &x, 8);
	}
}
