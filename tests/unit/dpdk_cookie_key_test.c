/* SPDX-License-Identifier: MIT */
/*
 * The --seed cookie key (dpdk/pkt.h pkt_cookie_key_from_seed, the one
 * derivation scan_config.c and the pcap tests share): fixed by the seed,
 * different for another seed, splitmix64's published outputs for seed 0.
 */
#include <string.h>

#include "dpdk/pkt.h"
#include "tests/unit/test.h"

int main(void)
{
	uint8_t key1[16], key2[16], key3[16];
	uint64_t w0, w1;

	pkt_cookie_key_from_seed(42, key1);
	pkt_cookie_key_from_seed(42, key2);
	pkt_cookie_key_from_seed(43, key3);
	CHECK(memcmp(key1, key2, 16) == 0);
	CHECK(memcmp(key1, key3, 16) != 0);
	pkt_cookie_key_from_seed(0, key1);
	memcpy(&w0, key1, 8);
	memcpy(&w1, key1 + 8, 8);
	CHECK_EQ_U64(w0, 0xe220a8397b1dcdafULL);
	CHECK_EQ_U64(w1, 0x6e789e6aa1b965f4ULL);
	TEST_DONE();
}
