/* SPDX-License-Identifier: MIT */
/*
 * The SYN cookie key of --seed (see sweep.h): scan_config.c derives it, the
 * tests that check cookies in captured frames derive the same.
 */
#include "scanner/core/sweep.h"

#include <string.h>

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
