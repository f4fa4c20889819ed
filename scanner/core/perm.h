/* SPDX-License-Identifier: MIT */
/*
 * A full-cycle pseudo-random permutation of [0, n), ZMap's way: the
 * multiplicative group of integers modulo a prime p > n is cyclic, so for a
 * primitive root g the walk x -> x*g mod p visits each of 1..p-1 exactly
 * once before returning to its start. Value v maps to index v-1; indices
 * >= n are skipped (p is the first prime above a power of two, so at most
 * about half the steps are skipped). The seed picks g and the start.
 *
 * Sharding splits the group walk, not the output: element k of the cycle
 * (k = 0 .. p-2, counting the skipped values too) belongs to shard
 * k % shards. Shard s starts at x0*g^s and steps by g^shards, so shards are
 * pairwise disjoint, their union is [0, n), and the same (seed, shards)
 * gives every machine the same split with no coordination. The order
 * depends on (n, seed) only. Several TX lcores of one shard I of N each take
 * sub-shard I*ntx + t of N*ntx, as ZMap's sender threads do.
 *
 * perm_next() is inline and costs one Montgomery multiplication (three
 * 64x64 multiplies, no division) and a compare per step. The multiplier is
 * kept premultiplied by 2^64 mod p so the state stays in plain form:
 * mont(x, c*2^64) = x*c mod p.
 *
 * Target index i -> address index i / nports, port index i % nports.
 */
#ifndef TLSMAP_SCANNER_PERM_H
#define TLSMAP_SCANNER_PERM_H

#include <stdbool.h>
#include <stdint.h>

#define PERM_MAX_N (UINT64_C(1) << 48) /* 2^32 addresses x 65536 ports */

/* Caller-allocated; fields are read-only outside perm.c. */
struct perm {
	uint64_t cur;	   /* next group element to look at, in 1..p-1 */
	uint64_t mul_mont; /* g^shards * 2^64 mod p */
	uint64_t p;	   /* prime modulus, odd, < 2^50 */
	uint64_t p_ninv;   /* -p^-1 mod 2^64 */
	uint64_t n;	   /* indices are [0, n) */
	uint64_t left;	   /* group steps left for this shard */
	/* informational */
	uint64_t g;	/* primitive root mod p chosen by the seed */
	uint64_t start; /* x0, the first element of the whole cycle */
	uint32_t shard, shards;
};

/* Prepares the walk for one shard. n = 0 is valid (perm_next returns false at
 * once). Returns 0, or -EINVAL when shards == 0, shard >= shards or n > PERM_MAX_N. */
int perm_init(struct perm *p, uint64_t n, uint64_t seed, uint32_t shard, uint32_t shards);

/* Group steps this shard walks in total (an upper bound on what it yields;
 * about n / shards of them are hits). Useful for progress estimates. */
uint64_t perm_steps_for_shard(const struct perm *p);

/* Verifies the built-in prime table (factors of p-1 complete, p odd and
 * above its power of two, Fermat-probable prime). 0, or -EDOM when an entry
 * fails. For tests. */
int perm_self_check(void);

static inline uint64_t perm_mont_mul_(uint64_t a, uint64_t b, uint64_t m, uint64_t m_ninv)
{
	unsigned __int128 t = (unsigned __int128)a * b;
	uint64_t q = (uint64_t)t * m_ninv;
	uint64_t u = (uint64_t)((t + (unsigned __int128)q * m) >> 64);
	return u >= m ? u - m : u;
}

/* Next index of this shard into *idx; false (and *idx = 0) when this shard is exhausted. */
static inline bool perm_next(struct perm *p, uint64_t *idx)
{
	while (p->left) {
		uint64_t v = p->cur;
		p->cur = perm_mont_mul_(v, p->mul_mont, p->p, p->p_ninv);
		p->left--;
		if (v - 1 < p->n) {
			*idx = v - 1;
			return true;
		}
	}
	*idx = 0; /* written on every path: callers need not initialise it */
	return false;
}

#endif
