/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for eng_icmp_parse() (dpdk/pkt.c): the ICMP the
 * engine accepts from the network for path localisation. The input is an
 * Ethernet frame, copied to a buffer of exactly its size so that a read past
 * the end is caught by the sanitizers; a parse that succeeds must be
 * consistent (a quote only on an error message with its protocol set).
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang); otherwise main()
 * replays every file named on the command line or found in the given
 * directories (the seed corpus), which is the 'fuzz' suite's test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = malloc(size ? size : 1);
	struct eng_icmp ic;

	if (!frame)
		return 0;
	memcpy(frame, data, size);
	if (eng_icmp_parse(frame, (unsigned)size, &ic)) {
		if (ic.quoted && ic.type != ENG_ICMP_TIME_EXCEEDED && ic.type != ENG_ICMP_UNREACH)
			abort();
		if (ic.q_proto != 6 && (ic.q_sport_be || ic.q_dport_be || ic.q_seq))
			abort(); /* ports only from a quoted TCP header */
	}
	free(frame);
	return 0;
}
