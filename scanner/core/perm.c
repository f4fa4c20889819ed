/* SPDX-License-Identifier: MIT */
/*
 * The cyclic-group permutation behind perm.h. For each size class there is
 * one prime p, the first prime above 2^k, stored with the distinct prime
 * factors of p-1 (from GNU factor; the unit test re-derives p-1 from them).
 * The factors make primitivity cheap to test: g generates (Z/pZ)* iff
 * g^((p-1)/q) != 1 for every prime q dividing p-1. The seed drives a
 * splitmix64 stream that proposes candidates until one is primitive (about
 * p-1/phi(p-1) tries, a handful) and then picks the start.
 *
 * Only init does exponentiation (plain 128-bit remainder, a few hundred
 * operations); the walk itself is the Montgomery step in perm.h.
 */
#include "scanner/core/perm.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define PERM_MAX_FACTORS 8

struct perm_group {
	uint64_t p;
	uint64_t factors[PERM_MAX_FACTORS]; /* distinct primes dividing p-1, 0-terminated */
};

/* p = the first prime above 2^k, k = 1..48; p - 1 >= n is all perm needs. */
static const struct perm_group perm_groups[] = {
	{UINT64_C(3), {2}},					     /* 2^1 + 1 */
	{UINT64_C(5), {2}},					     /* 2^2 + 1 */
	{UINT64_C(11), {2, 5}},					     /* 2^3 + 3 */
	{UINT64_C(17), {2}},					     /* 2^4 + 1 */
	{UINT64_C(37), {2, 3}},					     /* 2^5 + 5 */
	{UINT64_C(67), {2, 3, 11}},				     /* 2^6 + 3 */
	{UINT64_C(131), {2, 5, 13}},				     /* 2^7 + 3 */
	{UINT64_C(257), {2}},					     /* 2^8 + 1 */
	{UINT64_C(521), {2, 5, 13}},				     /* 2^9 + 9 */
	{UINT64_C(1031), {2, 5, 103}},				     /* 2^10 + 7 */
	{UINT64_C(2053), {2, 3, 19}},				     /* 2^11 + 5 */
	{UINT64_C(4099), {2, 3, 683}},				     /* 2^12 + 3 */
	{UINT64_C(8209), {2, 3, 19}},				     /* 2^13 + 17 */
	{UINT64_C(16411), {2, 3, 5, 547}},			     /* 2^14 + 27 */
	{UINT64_C(32771), {2, 5, 29, 113}},			     /* 2^15 + 3 */
	{UINT64_C(65537), {2}},					     /* 2^16 + 1 */
	{UINT64_C(131101), {2, 3, 5, 19, 23}},			     /* 2^17 + 29 */
	{UINT64_C(262147), {2, 3, 43691}},			     /* 2^18 + 3 */
	{UINT64_C(524309), {2, 23, 41, 139}},			     /* 2^19 + 21 */
	{UINT64_C(1048583), {2, 29, 101, 179}},			     /* 2^20 + 7 */
	{UINT64_C(2097169), {2, 3, 43691}},			     /* 2^21 + 17 */
	{UINT64_C(4194319), {2, 3, 699053}},			     /* 2^22 + 15 */
	{UINT64_C(8388617), {2, 17, 61681}},			     /* 2^23 + 9 */
	{UINT64_C(16777259), {2, 23, 103, 3541}},		     /* 2^24 + 43 */
	{UINT64_C(33554467), {2, 3, 11, 56489}},		     /* 2^25 + 35 */
	{UINT64_C(67108879), {2, 3, 1242757}},			     /* 2^26 + 15 */
	{UINT64_C(134217757), {2, 3, 1242757}},			     /* 2^27 + 29 */
	{UINT64_C(268435459), {2, 3, 19, 87211}},		     /* 2^28 + 3 */
	{UINT64_C(536870923), {2, 3, 7, 23, 555767}},		     /* 2^29 + 11 */
	{UINT64_C(1073741827), {2, 3, 59, 3033169}},		     /* 2^30 + 3 */
	{UINT64_C(2147483659), {2, 3, 149, 2402107}},		     /* 2^31 + 11 */
	{UINT64_C(4294967311), {2, 3, 5, 131, 364289}},		     /* 2^32 + 15 */
	{UINT64_C(8589934609), {2, 3, 59, 3033169}},		     /* 2^33 + 17 */
	{UINT64_C(17179869209), {2, 83, 1277, 20261}},		     /* 2^34 + 25 */
	{UINT64_C(34359738421), {2, 3, 5, 7, 81808901}},	     /* 2^35 + 53 */
	{UINT64_C(68719476767), {2, 163, 883, 238727}},		     /* 2^36 + 31 */
	{UINT64_C(137438953481), {2, 5, 137, 953, 26317}},	     /* 2^37 + 9 */
	{UINT64_C(274877906951), {2, 5, 35573, 154543}},	     /* 2^38 + 7 */
	{UINT64_C(549755813911), {2, 3, 5, 383, 47846459}},	     /* 2^39 + 23 */
	{UINT64_C(1099511627791), {2, 3, 5, UINT64_C(36650387593)}}, /* 2^40 + 15 */
	{UINT64_C(2199023255579), {2, 277, 3969356057}},	     /* 2^41 + 27 */
	{UINT64_C(4398046511119), {2, 3, 13, 71, 227, 3498493}},     /* 2^42 + 15 */
	{UINT64_C(8796093022237), {2, 3, 13, 71, 227, 3498493}},     /* 2^43 + 29 */
	{UINT64_C(17592186044423), {2, 11, 53, 97, 155542661}},	     /* 2^44 + 7 */
	{UINT64_C(35184372088891), {2, 3, 5, 19, 120739, 511243}},   /* 2^45 + 59 */
	{UINT64_C(70368744177679), {2, 3, 1947973, 6020681}},	     /* 2^46 + 15 */
	{UINT64_C(140737488355333), {2, 3, 11, 19, 331, 18837001}},  /* 2^47 + 5 */
	{UINT64_C(281474976710677), {2, 3, 7, 1361, 2462081249}},    /* 2^48 + 21 */
};

#define PERM_NGROUPS (sizeof(perm_groups) / sizeof(perm_groups[0]))

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)(((unsigned __int128)a * b) % m);
}

static uint64_t powmod(uint64_t base, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;
	base %= m;
	while (e) {
		if (e & 1)
			r = mulmod(r, base, m);
		base = mulmod(base, base, m);
		e >>= 1;
	}
	return r;
}

/* splitmix64 (Steele, Lea, Flood 2014): a tiny seeded stream with full
 * 64-bit output mixing; quality is ample for picking g and a start. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, bound) by rejection, bound > 0. */
static uint64_t uniform(uint64_t *state, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t x;
	do
		x = splitmix64(state);
	while (x >= limit);
	return x % bound;
}

static int is_primitive(uint64_t g, const struct perm_group *grp)
{
	if (g == 0 || g >= grp->p)
		return 0;
	for (size_t i = 0; i < PERM_MAX_FACTORS && grp->factors[i]; i++)
		if (powmod(g, (grp->p - 1) / grp->factors[i], grp->p) == 1)
			return 0;
	return 1;
}

/* -m^-1 mod 2^64 for odd m, by Newton's iteration (each step doubles the
 * number of correct low bits; m*m == 1 mod 8 gives 3 to start). */
static uint64_t neg_inverse(uint64_t m)
{
	uint64_t x = m;
	for (int i = 0; i < 5; i++)
		x *= 2 - m * x;
	return (uint64_t)0 - x;
}

int perm_init(struct perm *p, uint64_t n, uint64_t seed, uint32_t shard, uint32_t shards)
{
	memset(p, 0, sizeof(*p));
	if (shards == 0 || shard >= shards || n > PERM_MAX_N)
		return -EINVAL;
	p->n = n;
	p->shard = shard;
	p->shards = shards;
	if (n == 0)
		return 0;

	const struct perm_group *grp = NULL;
	for (size_t i = 0; i < PERM_NGROUPS; i++) {
		if (perm_groups[i].p > n) {
			grp = &perm_groups[i];
			break;
		}
	}
	if (!grp)
		return -EINVAL; /* unreachable: the last prime exceeds PERM_MAX_N */

	uint64_t prime = grp->p, order = prime - 1;
	uint64_t rng = seed ^ UINT64_C(0x746c736d61702d70); /* "tlsmap-p" */
	uint64_t g;
	if (prime == 3) {
		g = 2;
	} else {
		do
			g = 2 + uniform(&rng, prime - 2); /* [2, p-1] */
		while (!is_primitive(g, grp));
	}
	uint64_t start = 1 + uniform(&rng, order); /* [1, p-1] */

	p->p = prime;
	p->p_ninv = neg_inverse(prime);
	p->g = g;
	p->start = start;
	uint64_t step = powmod(g, shards, prime);
	p->mul_mont = (uint64_t)(((unsigned __int128)step << 64) % prime);
	p->cur = mulmod(start, powmod(g, shard, prime), prime);
	/* cycle positions k = shard, shard + shards, ... < order */
	p->left = shard < order ? (order - 1 - shard) / shards + 1 : 0;
	return 0;
}

uint64_t perm_steps_for_shard(const struct perm *p)
{
	if (p->n == 0)
		return 0;
	uint64_t order = p->p - 1;
	return p->shard < order ? (order - 1 - p->shard) / p->shards + 1 : 0;
}

int perm_self_check(void)
{
	for (size_t i = 0; i < PERM_NGROUPS; i++) {
		const struct perm_group *grp = &perm_groups[i];
		uint64_t prime = grp->p, rest = prime - 1;
		if (!(prime & 1) || prime <= (UINT64_C(1) << (i + 1)))
			return -EDOM;
		for (size_t j = 0; j < PERM_MAX_FACTORS && grp->factors[j]; j++) {
			uint64_t q = grp->factors[j];
			if (q < 2 || rest % q)
				return -EDOM;
			while (rest % q == 0)
				rest /= q;
		}
		if (rest != 1)
			return -EDOM;
		/* Fermat with a few bases: a wrong prime in the table would show here. */
		for (uint64_t a = 2; a < 6 && a < prime; a++)
			if (powmod(a, prime - 1, prime) != 1)
				return -EDOM;
	}
	return 0;
}
