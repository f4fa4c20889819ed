/* SPDX-License-Identifier: MIT */
/*
 * A canned TCP peer for benchmarks (tlsmap bench tls): it sits on the
 * engine's own port as an RX callback, so it needs no second port, no
 * namespace and no thread. On a loopback port (net_ring0: one ring is both
 * the TX and the RX queue) every frame the engine sends comes back through
 * rx_burst; the callback replaces it with the answer a server would give:
 *   SYN                    -> SYN-ACK (ISS PEER_ISS, MSS 1460, window 65535)
 *   first payload          -> the bytes ops->answer() returns, in MSS segments
 *   anything else          -> nothing (ACKs, RSTs, later payload, FIN)
 * It keeps no per-connection state: a segment is the first payload when it
 * acknowledges exactly PEER_ISS + 1 (nothing of ours received yet).
 * dpdk/ knows nothing of TLS: what to answer is the caller's business.
 *
 * Its own cost is counted (cycles inside the callback) so a benchmark can
 * subtract it from the lcore it runs on.
 */
#ifndef TLSMAP_DPDK_PEER_H
#define TLSMAP_DPDK_PEER_H

#include <stddef.h>
#include <stdint.h>

#define PEER_ISS 0x10000000u

struct peer_ops {
	/*
	 * The server's answer to the first payload @p[0..len) sent to
	 * @server_ip_be:@server_port_be. Returns the bytes (owned by the caller;
	 * the peer copies them before it calls again) and their length in
	 * @out_len, or NULL for no answer. Runs on the RX lcore.
	 */
	const uint8_t *(*answer)(void *ctx, uint32_t server_ip_be, uint16_t server_port_be,
				 const uint8_t *p, size_t len, size_t *out_len);
};

struct peer_stats {
	uint64_t frames_in, frames_out;
	uint64_t dropped; /* answers that did not fit the backlog or the pool */
	uint64_t cycles;  /* TSC cycles spent in the callback */
};

struct peer;

/* Attach to the started port @port_name (queue 0). NULL with @err on failure. */
struct peer *peer_attach(const char *port_name, const struct peer_ops *ops, void *ctx, char *err,
			 size_t errlen);
void peer_stats(const struct peer *p, struct peer_stats *out);
/* Remove the callback (after the engine stopped polling) and free. NULL: no-op. */
void peer_detach(struct peer *p);
/* TSC cycles now (rte_rdtsc) and per second. */
uint64_t peer_cycles(void);
uint64_t peer_cycles_hz(void);

#endif
