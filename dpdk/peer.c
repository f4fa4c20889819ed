/* SPDX-License-Identifier: MIT */
/*
 * The canned peer of dpdk/peer.h: an RX callback on the engine's port that
 * turns each frame the engine sent (and the loopback ring returned) into
 * the frames a server would answer with. Answers wait in a backlog (an
 * answer can be several segments, more than rx_burst's room) and are handed
 * out at the next bursts; every received mbuf is freed here, every answer
 * mbuf is handed to rx_burst's caller (the engine), which owns it then.
 */
#include "dpdk/peer.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dpdk/pkt.h"

#define PEER_BACKLOG 16384u /* answer frames waiting for room in a burst */
#define PEER_MSS 1460u

struct peer {
	uint16_t port;
	const struct rte_eth_rxtx_callback *cb;
	const struct peer_ops *ops;
	void *ctx;
	struct peer_stats st;
	uint32_t head, len;
	struct rte_mbuf *q[PEER_BACKLOG];
};

uint64_t peer_cycles(void)
{
	return rte_rdtsc();
}

uint64_t peer_cycles_hz(void)
{
	return rte_get_tsc_hz();
}

/* Queue one segment from the server side of @v: 0, or -1 (counted drop). */
static int emit(struct peer *p, struct rte_mempool *pool, const uint8_t *req,
		const struct pkt_tcp_view *v, uint8_t flags, uint32_t seq, uint32_t ack,
		const uint8_t *data, unsigned dlen)
{
	unsigned optlen = (flags & PKT_TCP_SYN) ? 4 : 0;
	unsigned tcp_len = 20 + optlen + dlen, tot = PKT_IP_LEN + tcp_len;
	struct rte_mbuf *m;
	uint8_t *f, *ip, *th;

	if (p->len == PEER_BACKLOG || !(m = rte_pktmbuf_alloc(pool))) {
		p->st.dropped++;
		return -1;
	}
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(PKT_ETH_LEN + tot));
	if (!f) {
		rte_pktmbuf_free(m);
		p->st.dropped++;
		return -1;
	}
	memcpy(f, req + 6, 6); /* to the sender's MAC, from the one it sent to */
	memcpy(f + 6, req, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip = f + PKT_OFF_IP;
	memset(ip, 0, PKT_IP_LEN);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &v->daddr_be, 4);
	memcpy(ip + 16, &v->saddr_be, 4);
	pkt_store16(ip + 10, pkt_csum(ip, PKT_IP_LEN));
	th = ip + PKT_IP_LEN;
	memset(th, 0, 20 + optlen);
	memcpy(th, &v->dport_be, 2);
	memcpy(th + 2, &v->sport_be, 2);
	for (int i = 0; i < 4; i++) {
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		th[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = flags;
	th[14] = 0xff; /* window 65535 */
	th[15] = 0xff;
	if (optlen) { /* MSS */
		th[20] = 2;
		th[21] = 4;
		th[22] = (uint8_t)(PEER_MSS >> 8);
		th[23] = (uint8_t)PEER_MSS;
	}
	if (dlen)
		memcpy(th + 20 + optlen, data, dlen);
	pkt_store16(th + 16, pkt_tcp_csum(v->daddr_be, v->saddr_be, th, tcp_len));
	p->q[(p->head + p->len++) % PEER_BACKLOG] = m;
	return 0;
}

/* Answer one frame the engine sent; frees @m. */
static void answer(struct peer *p, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pkt_tcp_view v;

	if (!pkt_parse_tcp(f, rte_pktmbuf_data_len(m), &v))
		goto out;
	if ((v.flags & (PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_RST)) == PKT_TCP_SYN) {
		emit(p, m->pool, f, &v, PKT_TCP_SYN | PKT_TCP_ACK, PEER_ISS, v.seq + 1, NULL, 0);
		goto out;
	}
	if (!v.payload_len || !(v.flags & PKT_TCP_ACK) || v.ack != PEER_ISS + 1)
		goto out;
	size_t n = 0;
	const uint8_t *d =
		p->ops->answer(p->ctx, v.daddr_be, v.dport_be, v.payload, v.payload_len, &n);
	uint32_t ack = v.seq + v.payload_len;
	for (size_t off = 0; d && off < n; off += PEER_MSS) {
		unsigned seg = n - off < PEER_MSS ? (unsigned)(n - off) : PEER_MSS;
		uint8_t fl = PKT_TCP_ACK | (off + seg == n ? PKT_TCP_PSH : 0);
		if (emit(p, m->pool, f, &v, fl, PEER_ISS + 1 + (uint32_t)off, ack, d + off, seg))
			break;
	}
out:
	rte_pktmbuf_free(m);
}

static uint16_t on_rx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
		      uint16_t max, void *arg)
{
	struct peer *p = arg;
	uint64_t t0 = rte_rdtsc();
	uint16_t out = 0;

	(void)port;
	(void)queue;
	for (uint16_t i = 0; i < n; i++)
		answer(p, pkts[i]);
	while (out < max && p->len) {
		pkts[out++] = p->q[p->head];
		p->head = (p->head + 1) % PEER_BACKLOG;
		p->len--;
	}
	p->st.frames_in += n;
	p->st.frames_out += out;
	p->st.cycles += rte_rdtsc() - t0;
	return out;
}

struct peer *peer_attach(const char *port_name, const struct peer_ops *ops, void *ctx, char *err,
			 size_t errlen)
{
	uint16_t port;
	struct peer *p;

	if (rte_eth_dev_get_port_by_name(port_name, &port) != 0) {
		snprintf(err, errlen, "peer: no port named %s", port_name);
		return NULL;
	}
	p = rte_zmalloc("tlsmap_peer", sizeof(*p), 64);
	if (!p) {
		snprintf(err, errlen, "peer: out of memory");
		return NULL;
	}
	p->port = port;
	p->ops = ops;
	p->ctx = ctx;
	p->cb = rte_eth_add_rx_callback(port, 0, on_rx, p);
	if (!p->cb) {
		snprintf(err, errlen, "peer: cannot add an RX callback on %s: %s", port_name,
			 rte_strerror(rte_errno));
		rte_free(p);
		return NULL;
	}
	return p;
}

void peer_stats(const struct peer *p, struct peer_stats *out)
{
	*out = p->st;
}

void peer_detach(struct peer *p)
{
	if (!p)
		return;
	rte_eth_remove_rx_callback(p->port, 0, p->cb);
	while (p->len) {
		rte_pktmbuf_free(p->q[p->head]);
		p->head = (p->head + 1) % PEER_BACKLOG;
		p->len--;
	}
	/* the callback struct is not freed: rx_burst on another lcore could
	 * still hold it (DPDK leaves that to the application); it is small */
	rte_free(p);
}
