/* SPDX-License-Identifier: MIT */
/*
 * Write the synthetic lab dataset (tests/unit/output_testdata.c) for shell
 * tests:  output_gen_lab PATH [SHARD SHARDS [end|noend [SEED]]]
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
