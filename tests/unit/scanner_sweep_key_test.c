/* SPDX-License-Identifier: MIT */
/*
 * The --seed cookie key (scanner/core/sweep.h): fixed by the seed, different for
 * another seed, and splitmix64's published first outputs for seed 0.
 */
#include <string.h>

#include "scanner/core/sweep.h"
#include "tests/unit/test.h"

int main(void)
{
	uint8_t key1[16], key2[16], key3[16];
	uint64_t w0, w1;

	sweep_key_from_seed(42, key1);
	sweep_key_from_seed(42, key2);
	sweep_key_from_seed(43, key3);
	CHECK(memcmp(key1, key2, 16) == 0);
	CHECK(memcmp(key1, key3, 16) != 0);
	sweep_key_from_seed(0, key1);
	memcpy(&w0, key1, 8);
	memcpy(&w1, key1 + 8, 8);
	CHECK_EQ_U64(w0, 0xe220a8397b1dcdafULL);
	CHECK_EQ_U64(w1, 0x6e789e6aa1b965f4ULL);
	TEST_DONE();
}
