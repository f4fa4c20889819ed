/* SPDX-License-Identifier: MIT */
/*
 * Write the synthetic lab dataset (tests/unit/output_testdata.c) for shell
 * tests:  output_gen_lab PATH [SHARD SHARDS [end|noend [SEED]]]
 * Environment: TD_EVIL (hostile issuer name), TD_START (the scan's start,
 * unix seconds), TD_VANTAGE (its label), TD_KZ_FORGED (KZ hosts forged, 0..8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_testdata.h"

int main(int argc, char **argv)
{
	unsigned shard = argc > 3 ? (unsigned)atoi(argv[2]) : 0;
	unsigned shards = argc > 3 ? (unsigned)atoi(argv[3]) : 1;
	int with_end = argc > 4 ? strcmp(argv[4], "noend") != 0 : 1;
	uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 0) : 42;
	int ret;

	td_evil = getenv("TD_EVIL") != NULL;
	if (getenv("TD_START"))
		td_start_us = strtoull(getenv("TD_START"), NULL, 10) * 1000000ull;
	td_vantage = getenv("TD_VANTAGE");
	if (getenv("TD_KZ_FORGED"))
		td_kz_forged = (unsigned)strtoul(getenv("TD_KZ_FORGED"), NULL, 10);

	if (argc < 2 || shards == 0 || shard >= shards) {
		fprintf(stderr, "usage: %s PATH [SHARD SHARDS [end|noend [SEED]]]\n", argv[0]);
		return 2;
	}
	ret = td_write_lab(argv[1], shard, shards, with_end, seed);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], out_strerror(ret));
		return 1;
	}
	return 0;
}
