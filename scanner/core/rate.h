/* SPDX-License-Identifier: MIT */
/*
 * Send-rate control: a token bucket counted in TSC ticks, with no DPDK
 * dependency (the caller passes now = rte_rdtsc() and hz = rte_get_tsc_hz()).
 * Credit is kept as an exact integer: one packet costs hz units and every
 * tick earns pps units, so the long-run average is exactly pps with no
 * rounding drift, from 1 pps to 100 Mpps and beyond.
 *
 * Bursts are bounded: credit saturates at burst packets, where burst is 1 ms
 * worth of packets, but at least min(64, 10 ms worth, >= 1). A sender that
 * stalls longer than that loses the excess instead of catching up in a line-
 * rate burst. Not thread-safe: one bucket per TX lcore (give each pps/ntx).
 */
#ifndef TLSMAP_SCANNER_RATE_H
#define TLSMAP_SCANNER_RATE_H

#include <stdint.h>

struct rate {
	uint64_t pps;	 /* 0 = unlimited */
	uint64_t hz;	 /* ticks per second */
	uint64_t last;	 /* tick of the last refill */
	uint64_t credit; /* in 1/hz packets: one packet = hz units */
	uint64_t cap;	 /* credit ceiling = burst * hz */
	uint32_t burst;	 /* packets */
};

/* pps == 0 means unlimited. The bucket starts with one packet of credit. */
void rate_init(struct rate *r, uint64_t pps, uint64_t hz /*tsc hz*/, uint64_t now);
/* How many packets may be sent now (<= want); they are taken from the bucket.
 * If fewer are actually sent, give the rest back with rate_return(). */
/* Set the credit ceiling to @burst packets (after rate_init; no-op when unlimited). */
void rate_set_burst(struct rate *r, uint64_t burst);
uint32_t rate_take(struct rate *r, uint64_t now, uint32_t want);
void rate_return(struct rate *r, uint32_t unused);
/* Ticks from now until one more packet may be sent (0 if one may now). */
uint64_t rate_ticks_until_next(const struct rate *r, uint64_t now);

/* Bytes one frame occupies on the wire: the frame without FCS (padded to the
 * 60-byte minimum), + 4 FCS + 8 preamble/SFD + 12 inter-frame gap. */
uint64_t rate_wire_bytes(uint32_t frame_len_no_fcs);
/* -B bits/s -> packets/s for frames of frame_len_no_fcs bytes (e.g. 54 for a
 * bare SYN, padded to 60). At least 1 when bps > 0; 0 when bps == 0. */
uint64_t rate_pps_from_bps(uint64_t bps, uint32_t frame_len_no_fcs);

#endif
