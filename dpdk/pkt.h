/* SPDX-License-Identifier: MIT */
/*
 * Packet crafting for the sweep, free of DPDK so unit tests run without an
 * EAL: a prebuilt Ethernet/IPv4/TCP SYN template (MSS option, 60-byte frame,
 * as ZMap and masscan send), the keyed SYN cookie, ARP.
 *
 * Per packet only the destination address, both ports, the sequence number
 * (the cookie), the IP ID and the two checksums change. The checksums are
 * finished from partial sums precomputed over the template's fixed words
 * (RFC 1071: the ones' complement sum is byte-order independent, so raw
 * 16-bit loads are summed and the result stored raw), or left to the NIC
 * (pseudo-header sum in the TCP field) when the port offloads them.
 */
#ifndef TLSMAP_DPDK_PKT_H
#define TLSMAP_DPDK_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PKT_ETH_LEN 14
#define PKT_IP_LEN 20
#define PKT_SYN_TCP_LEN 24 /* 20 + MSS option */
#define PKT_SYN_LEN 60	   /* 58 rounded up to the Ethernet minimum without FCS */
#define PKT_SYN_MSS 1460
#define PKT_SYN_WINDOW 65535

/* Offsets in the frame. */
#define PKT_OFF_IP PKT_ETH_LEN
#define PKT_OFF_TCP (PKT_ETH_LEN + PKT_IP_LEN)

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

struct pkt_syn_tmpl {
	uint8_t frame[64];
	uint32_t ip_sum;     /* IP header words except id, daddr, checksum */
	uint32_t tcp_sum;    /* pseudo header (saddr, proto, length) + fixed TCP words */
	uint32_t pseudo_sum; /* pseudo header only (saddr, proto, length), for offload */
	uint64_t k0, k1;     /* SipHash key */
	uint32_t saddr_be;
	bool offload; /* NIC finishes both checksums */
};

/* SipHash-2-4 (Aumasson and Bernstein, 2012): the sweep cookie and dpdk/tcp's hashes. */
static inline uint64_t pkt_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define PKT_SIPROUND                                                                               \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = pkt_rotl(v1, 13);                                                             \
		v1 ^= v0;                                                                          \
		v0 = pkt_rotl(v0, 32);                                                             \
		v2 += v3;                                                                          \
		v3 = pkt_rotl(v3, 16);                                                             \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = pkt_rotl(v3, 21);                                                             \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = pkt_rotl(v1, 17);                                                             \
		v1 ^= v2;                                                                          \
		v2 = pkt_rotl(v2, 32);                                                             \
	} while (0)

/*
 * SipHash-2-4 of a message given as @n little-endian 64-bit words, the last
 * one already carrying the message length in its top byte (the padded
 * final block). Inlined with a constant @n, the loop unrolls.
 */
static inline uint64_t pkt_siphash_words(uint64_t k0, uint64_t k1, const uint64_t *m, unsigned n)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;

	for (unsigned i = 0; i < n; i++) {
		v3 ^= m[i];
		PKT_SIPROUND;
		PKT_SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	PKT_SIPROUND;
	PKT_SIPROUND;
	PKT_SIPROUND;
	PKT_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint32_t pkt_cookie_k(uint64_t k0, uint64_t k1, uint32_t saddr_be, uint32_t daddr_be,
				    uint16_t sport_be, uint16_t dport_be)
{
	/* little-endian words of the 12-byte string saddr|daddr|sport|dport */
	const uint64_t m[2] = {(uint64_t)saddr_be | ((uint64_t)daddr_be << 32),
			       (uint64_t)sport_be | ((uint64_t)dport_be << 16) | (12ULL << 56)};

	return (uint32_t)pkt_siphash_words(k0, k1, m, 2);
}

/* SipHash-2-4 of a 16-byte message given as two little-endian words (dpdk/tcp's
 * initial sequence numbers and flow hash). */
static inline uint64_t pkt_siphash_2w(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
	const uint64_t m[3] = {m0, m1, (uint64_t)16 << 56};

	return pkt_siphash_words(key[0], key[1], m, 3);
}

/*
 * Cookies for a burst: out[i] = pkt_cookie_k(k0, k1, saddr_be, daddr_be[i],
 * sport_be[i], dport_be[i]). SipHash-2-4 is ~50 cycles of mostly serial
 * work per packet, the largest cost of a SYN; the vector implementations
 * compute 8 (AVX-512) or 4 (AVX2) hashes side by side. The implementation
 * is chosen once at start-up (pkt_cookie_pick) and passed to every burst:
 * no lazily initialised global on the packet path.
 */
enum pkt_cookie_impl { PKT_COOKIE_SCALAR, PKT_COOKIE_AVX2, PKT_COOKIE_AVX512 };
/*
 * The fastest implementation this CPU runs, capped by @cap ("scalar" or
 * "avx2", for tests; NULL or anything else: no cap).
 */
enum pkt_cookie_impl pkt_cookie_pick(const char *cap);
/* "avx512", "avx2" or "scalar". */
const char *pkt_cookie_impl_name(enum pkt_cookie_impl impl);
/* @impl must come from pkt_cookie_pick() on this machine. */
void pkt_cookie_burst(enum pkt_cookie_impl impl, uint64_t k0, uint64_t k1, uint32_t saddr_be,
		      const uint32_t *daddr_be, const uint16_t *sport_be, const uint16_t *dport_be,
		      uint32_t *out, unsigned n);

static inline uint16_t pkt_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Raw (memory-order) 16-bit ones' complement sum of @len bytes (any parity: an odd
 * last byte is padded with a zero), folded: at most 0xffff, 0 only for all-zero bytes. */
uint32_t pkt_sum16(const void *p, unsigned len);
/* Internet checksum of @len bytes (any parity), ready to store raw. */
uint16_t pkt_csum(const void *p, unsigned len);
/* TCP checksum over pseudo header + segment; 0 means valid when the field is included. */
uint16_t pkt_tcp_csum(uint32_t saddr_be, uint32_t daddr_be, const void *tcp, unsigned len);

/*
 * The cookie key for a scan run with --seed: splitmix64 of @seed, twice, so
 * a fixed seed gives a fixed key and the shards and reruns of one scan agree.
 */
void pkt_cookie_key_from_seed(uint64_t seed, uint8_t key[16]);

void pkt_syn_tmpl_init(struct pkt_syn_tmpl *t, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be, const uint8_t key[16], bool offload);

static inline void pkt_store16(uint8_t *p, uint16_t raw)
{
	memcpy(p, &raw, 2);
}

static inline void pkt_store32(uint8_t *p, uint32_t raw)
{
	memcpy(p, &raw, 4);
}

static inline uint32_t pkt_load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t pkt_load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* Big-endian (wire order) fields read and written byte by byte, to and from host values. */
static inline uint16_t pkt_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Write one SYN into @frame (PKT_SYN_LEN bytes): template copy plus the
 * per-packet fields. All arguments in network order except @ipid_raw (any
 * value, stored as is).
 */
static inline void pkt_syn_fill_seq(const struct pkt_syn_tmpl *t, uint8_t *frame, uint32_t daddr_be,
				    uint16_t sport_be, uint16_t dport_be, uint16_t ipid_raw,
				    uint32_t seq_host);

static inline void pkt_syn_fill(const struct pkt_syn_tmpl *t, uint8_t *frame, uint32_t daddr_be,
				uint16_t sport_be, uint16_t dport_be, uint16_t ipid_raw)
{
	pkt_syn_fill_seq(t, frame, daddr_be, sport_be, dport_be, ipid_raw,
			 pkt_cookie_k(t->k0, t->k1, t->saddr_be, daddr_be, sport_be, dport_be));
}

/* pkt_syn_fill with the cookie already computed (pkt_cookie_burst). */
static inline void pkt_syn_fill_seq(const struct pkt_syn_tmpl *t, uint8_t *frame, uint32_t daddr_be,
				    uint16_t sport_be, uint16_t dport_be, uint16_t ipid_raw,
				    uint32_t seq_host)
{
	uint32_t seq_be = __builtin_bswap32(seq_host);
	uint32_t dsum = (daddr_be & 0xffff) + (daddr_be >> 16);

	memcpy(frame, t->frame, PKT_SYN_LEN);
	pkt_store16(frame + PKT_OFF_IP + 4, ipid_raw);
	pkt_store32(frame + PKT_OFF_IP + 16, daddr_be);
	pkt_store16(frame + PKT_OFF_TCP + 0, sport_be);
	pkt_store16(frame + PKT_OFF_TCP + 2, dport_be);
	pkt_store32(frame + PKT_OFF_TCP + 4, seq_be);
	if (t->offload) {
		pkt_store16(frame + PKT_OFF_TCP + 16, pkt_fold(t->pseudo_sum + dsum));
		return;
	}
	pkt_store16(frame + PKT_OFF_IP + 10, (uint16_t)~pkt_fold(t->ip_sum + dsum + ipid_raw));
	pkt_store16(frame + PKT_OFF_TCP + 16,
		    (uint16_t)~pkt_fold(t->tcp_sum + dsum + sport_be + dport_be +
					(seq_be & 0xffff) + (seq_be >> 16)));
}

/*
 * RST template, for answering every valid SYN-ACK at RX speed: same scheme
 * as the SYN (60-byte frame, 20-byte TCP header, window 0, IP ID 0).
 */
struct pkt_rst_tmpl {
	uint8_t frame[64];
	uint32_t ip_sum, tcp_sum;
};
void pkt_rst_tmpl_init(struct pkt_rst_tmpl *t, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be);

static inline void pkt_rst_fill(const struct pkt_rst_tmpl *t, uint8_t *frame, uint32_t daddr_be,
				uint16_t sport_be, uint16_t dport_be, uint32_t seq_host)
{
	uint32_t seq_be = __builtin_bswap32(seq_host);
	uint32_t dsum = (daddr_be & 0xffff) + (daddr_be >> 16);

	memcpy(frame, t->frame, 60);
	pkt_store32(frame + PKT_OFF_IP + 16, daddr_be);
	pkt_store16(frame + PKT_OFF_TCP + 0, sport_be);
	pkt_store16(frame + PKT_OFF_TCP + 2, dport_be);
	pkt_store32(frame + PKT_OFF_TCP + 4, seq_be);
	pkt_store16(frame + PKT_OFF_IP + 10, (uint16_t)~pkt_fold(t->ip_sum + dsum));
	pkt_store16(frame + PKT_OFF_TCP + 16,
		    (uint16_t)~pkt_fold(t->tcp_sum + dsum + sport_be + dport_be +
					(seq_be & 0xffff) + (seq_be >> 16)));
}

/*
 * A parsed IPv4/TCP frame: pointers into the frame, valid while it is.
 * pkt_parse_tcp() returns false unless the frame is Ethernet/IPv4/TCP with
 * consistent lengths (IHL >= 5, total length within the frame, data offset
 * within the datagram) and not a fragment; Ethernet padding after the IPv4
 * total length is ignored. Checksums are not verified (pkt_tcp_csum_ok()):
 * af_packet on a veth hands over frames with offloaded, partial checksums.
 */
struct pkt_tcp_view {
	uint32_t saddr_be, daddr_be;
	uint16_t sport_be, dport_be;
	uint32_t seq, ack; /* host order */
	uint8_t flags;
	uint16_t window;     /* host order, unscaled */
	const uint8_t *opts; /* TCP options (data offset - 20 bytes) */
	uint8_t opts_len;
	const uint8_t *payload;
	uint16_t payload_len;
};
bool pkt_parse_tcp(const uint8_t *frame, unsigned len, struct pkt_tcp_view *v);
/* True when @frame parses (pkt_parse_tcp) and its IPv4 header and TCP checksums are valid. */
bool pkt_tcp_csum_ok(const uint8_t *frame, unsigned len);

/*
 * Build a RST answering a SYN-ACK we do not want (seq = its ack), with the
 * given addressing. Writes 54 bytes, returns the length.
 */
unsigned pkt_build_rst(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be, uint16_t dport_be,
		       uint32_t seq_host);

/* ARP (RFC 826) for Ethernet/IPv4. */
#define PKT_ARP_LEN 60
#define PKT_ARP_REQUEST 1
#define PKT_ARP_REPLY 2
unsigned pkt_build_arp(uint8_t *frame, uint16_t op, const uint8_t src_mac[6], uint32_t src_ip_be,
		       const uint8_t dst_mac[6], uint32_t dst_ip_be);
/* Parse an ARP frame: op, sender and target. False if not Ethernet/IPv4 ARP. */
bool pkt_parse_arp(const uint8_t *frame, unsigned len, uint16_t *op, uint8_t sha[6],
		   uint32_t *spa_be, uint32_t *tpa_be);

#endif
