/* SPDX-License-Identifier: MIT */
/* The simulated TCP server of tcp_peer.h. */
#include "tcp_peer.h"

#include <arpa/inet.h>
#include <string.h>

#include "dpdk/pkt.h"

size_t tcp_peer_frame(uint8_t *f, const struct tcp_peer_seg *s)
{
	size_t optlen = s->has_mss ? 4 : 0, plen = s->plen > 1460 ? 1460 : s->plen;
	size_t tcp_len = 20 + optlen + plen;
	uint8_t *ip = f + PKT_ETH_LEN, *th = ip + PKT_IP_LEN;

	memset(f, 0, PKT_ETH_LEN + PKT_IP_LEN + tcp_len);
	pkt_put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	pkt_put_be16(ip + 2, (uint16_t)(PKT_IP_LEN + tcp_len));
	ip[8] = 64;
	ip[9] = 6;
	pkt_put_be32(ip + 12, TCP_PEER_SRV_IP);
	pkt_put_be32(ip + 16, TCP_PEER_CLI_IP);
	pkt_put_be16(th, TCP_PEER_SRV_PORT);
	pkt_put_be16(th + 2, s->cport);
	pkt_put_be32(th + 4, s->seq);
	pkt_put_be32(th + 8, s->ack);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = s->flags;
	pkt_put_be16(th + 14, s->wnd);
	if (s->has_mss) {
		th[20] = 2; /* MSS */
		th[21] = 4;
		pkt_put_be16(th + 22, s->mss);
	}
	if (plen)
		memcpy(th + 20 + optlen, s->payload, plen);
	return PKT_ETH_LEN + PKT_IP_LEN + tcp_len;
}

void tcp_peer_cfg(struct tcp_cfg *cfg, uint16_t sport_lo, uint16_t sport_hi, tcp_tx_fn tx,
		  const struct tcp_app_ops *ops)
{
	static const uint8_t cli_mac[6] = {2, 0, 0, 0, 0, 1}, gw_mac[6] = {2, 0, 0, 0, 0, 2};

	cfg->hash_key[0] = 0x0123456789abcdefULL;
	cfg->hash_key[1] = 0xfedcba9876543210ULL;
	memcpy(cfg->l2.src_mac, cli_mac, 6);
	memcpy(cfg->l2.gw_mac, gw_mac, 6);
	cfg->l2.src_ip_be = htonl(TCP_PEER_CLI_IP);
	cfg->l2.sport_lo = sport_lo;
	cfg->l2.sport_hi = sport_hi;
	cfg->tx = tx;
	cfg->app_ops = ops;
}

bool tcp_peer_parse(const uint8_t *f, size_t len, struct tcp_peer_view *v)
{
	struct pkt_tcp_view p;

	memset(v, 0, sizeof(*v));
	if (len > 0xffff || !pkt_parse_tcp(f, (unsigned)len, &p))
		return false;
	v->src = ntohl(p.saddr_be);
	v->dst = ntohl(p.daddr_be);
	v->sport = ntohs(p.sport_be);
	v->dport = ntohs(p.dport_be);
	v->seq = p.seq;
	v->ack = p.ack;
	v->wnd = p.window;
	v->flags = p.flags;
	v->payload = p.payload;
	v->plen = p.payload_len;
	v->csum_ok = pkt_tcp_csum_ok(f, (unsigned)len);
	return true;
}

int tcp_peer_grow(struct tcp_table *t, uint32_t *cap, uint64_t need, uint32_t first, uint32_t max,
		  uint64_t *charged)
{
	uint32_t ncap = *cap ? *cap : first;
	int ret;

	if (need <= *cap)
		return 0;
	while (ncap < need && ncap < max)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	ret = tcp_rx_charge(t, ncap - *cap);
	if (ret)
		return ret;
	*charged += ncap - *cap;
	*cap = ncap;
	return 0;
}
