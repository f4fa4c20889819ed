/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for blocklist files (`tlsmap scan -b FILE`, blk_load()):
 * the input is the file; fuzz_tgt_check.h says what must hold. Built as a
 * libFuzzer target with -Dfuzz=true (clang, ASan+UBSan); otherwise
 * replay.c's main() runs it over the seed corpus and the regressions.
 */
#include "fuzz_tgt_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tgt_check_file(data, size, blk_load);
	return 0;
}
