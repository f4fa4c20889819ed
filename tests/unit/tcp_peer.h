/* SPDX-License-Identifier: MIT */
/*
 * A simulated TCP server for the tests of dpdk/tcp (tests/unit/dpdk_tcp_test.c
 * and the fuzz harness tests/fuzz/fuzz_tcp.c): the addressing both sides
 * use, the table configuration around it, the server's frames, and a parsed
 * view of the frames the client sends. One copy, so the unit test and the
 * fuzz harness speak to the TCP the same way.
 */
#ifndef TLSMAP_TESTS_UNIT_TCP_PEER_H
#define TLSMAP_TESTS_UNIT_TCP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpdk/tcp.h"

#define TCP_PEER_SRV_IP 0xc6120a05u /* 198.18.10.5, host order */
#define TCP_PEER_CLI_IP 0xc6130001u /* 198.19.0.1, the client (the table's source) */
#define TCP_PEER_SRV_PORT 443
#define TCP_PEER_FRAME_MAX 1600 /* room for any frame tcp_peer_frame() writes */

/* One segment from the server to the client; host order. */
struct tcp_peer_seg {
	uint16_t cport; /* the client's port */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	bool has_mss; /* with an MSS option (RFC 9293 3.2) of value @mss */
	uint16_t mss;
	const uint8_t *payload;
	size_t plen; /* at most 1460 */
};

/* Write @s as an Ethernet/IPv4/TCP frame into @f (TCP_PEER_FRAME_MAX bytes);
 * returns its length. Checksums are left 0: the TCP does not verify them. */
size_t tcp_peer_frame(uint8_t *f, const struct tcp_peer_seg *s);

/*
 * A configuration with the peer's addressing (source TCP_PEER_CLI_IP, ports
 * [sport_lo, sport_hi]), a fixed hash key, @tx and @ops; sizes, timeouts and
 * limits stay as the caller set them in @cfg.
 */
void tcp_peer_cfg(struct tcp_cfg *cfg, uint16_t sport_lo, uint16_t sport_hi, tcp_tx_fn tx,
		  const struct tcp_app_ops *ops);

/* A frame the client sent, parsed; host order. */
struct tcp_peer_view {
	uint32_t src, dst, seq, ack;
	uint16_t sport, dport, wnd;
	uint8_t flags;
	const uint8_t *payload; /* into the frame */
	size_t plen;
	bool csum_ok; /* IPv4 and TCP checksums valid */
};

/* false (and @v zeroed) unless @f is an Ethernet/IPv4/TCP frame (pkt_parse_tcp). */
bool tcp_peer_parse(const uint8_t *f, size_t len, struct tcp_peer_view *v);

/*
 * The application's receive buffer, grown as the TLS stage grows it: its
 * capacity *cap doubles from @first until it holds @need bytes (at most
 * @max), and the growth is charged to @t with tcp_rx_charge() (call from
 * inside tcp_app_ops.data). Returns 0 with *cap and *charged updated, or
 * tcp_rx_charge()'s error with nothing changed: the application then
 * returns TCP_APP_WAIT.
 */
int tcp_peer_grow(struct tcp_table *t, uint32_t *cap, uint64_t need, uint32_t first, uint32_t max,
		  uint64_t *charged);

#endif
