/* SPDX-License-Identifier: MIT */
/*
 * The sweep core: everything that decides which (address, port) pairs a scan
 * sends to, in what order and how fast, with no DPDK, no TLS and no files
 * beyond the target lists. One library (tlsmap_sweep), this one header:
 *
 *   targets.h    target sets, the spec syntax, -w files
 *   blocklist.h  the built-in IANA blocklist and -b files
 *   perm.h       the sharded cyclic-group permutation
 *   rate.h       the exact integer token bucket
 *   progress.h   the counters, the progress line and --status-json
 *   (here)       the target generator that ties them together, and the
 *                cookie key derived from --seed
 *
 * The packet engine sees only "give me up to N targets now"
 * (sweep_gen_next(), an eng_next_fn); tests and benchmarks link this library
 * without DPDK.
 */
#ifndef TLSMAP_SCANNER_SWEEP_H
#define TLSMAP_SCANNER_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/blocklist.h"
#include "scanner/perm.h"
#include "scanner/progress.h"
#include "scanner/rate.h"
#include "scanner/targets.h"

/*
 * The target generator, on the engine's TX lcore: walks the permutation
 * over (address index, port index) pairs, maps each index to an address
 * with tgt_set_nth(), and meters the pairs out with the token bucket.
 * Caller-allocated; fields are private to sweep_gen.c.
 */
struct sweep_gen {
	struct perm perm;
	struct rate rate;
	const struct tgt_set *targets; /* borrowed: must outlive the generator */
	const uint16_t *ports;	       /* host order, borrowed */
	unsigned nports;
	uint64_t left;	  /* --max-targets budget (UINT64_MAX: none) */
	uint64_t next_ns; /* do not ask the bucket before this */
	uint64_t gap_ns;  /* batching interval: ~50 us */
	unsigned probes;  /* -P: each target is sent this many times in a row */
	unsigned reps;	  /* copies of cur_ip/cur_port still to send */
	uint32_t cur_ip_be;
	uint16_t cur_port_be;
	bool done;
};

/*
 * Prepare the walk of shard @shard of @shards over every address of
 * @targets times @nports ports. 0, or -EINVAL when the pairs are more than
 * the permutation holds (PERM_MAX_N) or the shard is out of range.
 */
int sweep_gen_init(struct sweep_gen *g, const struct tgt_set *targets, const uint16_t *ports,
		   unsigned nports, uint64_t seed, uint32_t shard, uint32_t shards);

/*
 * Start metering at @now_ns (nanoseconds, the clock sweep_gen_next() is
 * given): at most @max_targets pairs (0: all), each sent @probes times back
 * to back, @rate_pps packets per second.
 */
void sweep_gen_start(struct sweep_gen *g, uint64_t max_targets, unsigned probes, uint64_t rate_pps,
		     uint64_t now_ns);

/*
 * Up to @max targets due at @now_ns into @ip_be/@port_be (network order):
 * their count (0: none due yet), or -1 once every target was handed out.
 * @arg is the struct sweep_gen (the engine's eng_next_fn shape).
 */
int sweep_gen_next(void *arg, uint64_t now_ns, uint32_t *ip_be, uint16_t *port_be, unsigned max);

/* The 16-byte SYN cookie key for --seed: a fixed seed gives a fixed key, so
 * shards and reruns agree on which replies are theirs. */
void sweep_key_from_seed(uint64_t seed, uint8_t key[16]);

#endif
