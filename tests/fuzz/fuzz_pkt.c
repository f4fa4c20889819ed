/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the frames the RX path parses (dpdk/pkt.c): the input
 * is one Ethernet frame, read by pkt_parse_tcp() and pkt_parse_arp(). A
 * TCP view's payload must lie inside the frame; an accepted ARP frame must
 * be long enough to hold what was read from it. The frame is copied to a
 * buffer of exactly its length so ASan sees any read past it.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions.
 */
#include <stdlib.h>
#include <string.h>

#include "dpdk/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_tcp_view v;
	uint8_t sha[6];
	uint16_t op;
	uint32_t spa, tpa;

	if (size > 65535)
		return 0; /* larger than any frame a port delivers */
	if (pkt_parse_tcp(data, (unsigned)size, &v)) {
		if (v.payload_len && (v.payload < data || v.payload > data + size ||
				      v.payload_len > (size_t)(data + size - v.payload)))
			abort();
		if (size < PKT_OFF_TCP + 20)
			abort();
		/* the options lie between the fixed header and the payload */
		if (v.opts < data + PKT_OFF_TCP + 20 || v.opts + v.opts_len != v.payload)
			abort();
		(void)pkt_tcp_csum_ok(data, (unsigned)size); /* reads only what parsed */
	}
	if (pkt_parse_arp(data, (unsigned)size, &op, sha, &spa, &tpa)) {
		if (size < PKT_ETH_LEN + 28)
			abort();
	}
	return 0;
}
