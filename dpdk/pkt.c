/* SPDX-License-Identifier: MIT */
/*
 * Packet crafting without DPDK: the SYN template and its partial checksum
 * sums, TCP parsing for the RX classifier, RST and ARP frames. Everything
 * here works on byte arrays so tests/unit can check it without an EAL.
 */
#include "dpdk/pkt.h"
#include "dpdk/engine.h"

#include <stdlib.h>

/*
 * SipHash-2-4 over several 4-tuples at once with GCC/clang vector
 * extensions: each lane is one message, so the serial chain of one hash is
 * spread over the vector units. Compiled for AVX-512 and AVX2 with target
 * attributes and picked once from the CPU's flags, so the binary still runs
 * on any x86-64 (and other architectures take the scalar loop).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define PKT_VEC_SIPROUND(v0, v1, v2, v3)                                                           \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = (v1 << 13) | (v1 >> 51);                                                      \
		v1 ^= v0;                                                                          \
		v0 = (v0 << 32) | (v0 >> 32);                                                      \
		v2 += v3;                                                                          \
		v3 = (v3 << 16) | (v3 >> 48);                                                      \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = (v3 << 21) | (v3 >> 43);                                                      \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = (v1 << 17) | (v1 >> 47);                                                      \
		v1 ^= v2;                                                                          \
		v2 = (v2 << 32) | (v2 >> 32);                                                      \
	} while (0)

#define PKT_VEC_COOKIES(NAME, TARGET, LANES)                                                       \
	typedef uint64_t NAME##_vec __attribute__((vector_size(8 * LANES)));                       \
	__attribute__((target(TARGET))) static void NAME(                                          \
		uint64_t k0, uint64_t k1, uint32_t saddr_be, const uint32_t *d,                    \
		const uint16_t *sp, const uint16_t *dp, uint32_t *out)                             \
	{                                                                                          \
		NAME##_vec m0, m1, v0, v1, v2, v3;                                                 \
		for (int i = 0; i < LANES; i++) {                                                  \
			m0[i] = (uint64_t)saddr_be | ((uint64_t)d[i] << 32);                       \
			m1[i] = (uint64_t)sp[i] | ((uint64_t)dp[i] << 16) | (12ULL << 56);         \
		}                                                                                  \
		v0 = (uint64_t)(k0 ^ 0x736f6d6570736575ULL) + (NAME##_vec){0};                     \
		v1 = (uint64_t)(k1 ^ 0x646f72616e646f6dULL) + (NAME##_vec){0};                     \
		v2 = (uint64_t)(k0 ^ 0x6c7967656e657261ULL) + (NAME##_vec){0};                     \
		v3 = (uint64_t)(k1 ^ 0x7465646279746573ULL) + (NAME##_vec){0};                     \
		v3 ^= m0;                                                                          \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		v0 ^= m0;                                                                          \
		v3 ^= m1;                                                                          \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		v0 ^= m1;                                                                          \
		v2 ^= 0xff;                                                                        \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		PKT_VEC_SIPROUND(v0, v1, v2, v3);                                                  \
		v0 ^= v1 ^ v2 ^ v3;                                                                \
		for (int i = 0; i < LANES; i++)                                                    \
			out[i] = (uint32_t)v0[i];                                                  \
	}

PKT_VEC_COOKIES(cookies8_avx512, "avx512f", 8)
PKT_VEC_COOKIES(cookies4_avx2, "avx2", 4)
#define PKT_HAVE_VEC 1
#endif

enum pkt_cookie_impl pkt_cookie_pick(const char *cap)
{
	enum pkt_cookie_impl impl = PKT_COOKIE_SCALAR;

#ifdef PKT_HAVE_VEC
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		impl = PKT_COOKIE_AVX512;
	else if (__builtin_cpu_supports("avx2"))
		impl = PKT_COOKIE_AVX2;
#endif
	if (cap && !strcmp(cap, "scalar"))
		impl = PKT_COOKIE_SCALAR;
	else if (cap && !strcmp(cap, "avx2") && impl > PKT_COOKIE_AVX2)
		impl = PKT_COOKIE_AVX2;
	return impl;
}

const char *pkt_cookie_impl_name(enum pkt_cookie_impl impl)
{
	switch (impl) {
	case PKT_COOKIE_AVX512:
		return "avx512";
	case PKT_COOKIE_AVX2:
		return "avx2";
	default:
		return "scalar";
	}
}

void pkt_cookie_burst(enum pkt_cookie_impl impl, uint64_t k0, uint64_t k1, uint32_t saddr_be,
		      const uint32_t *daddr_be, const uint16_t *sport_be, const uint16_t *dport_be,
		      uint32_t *out, unsigned n)
{
	unsigned i = 0;

#ifdef PKT_HAVE_VEC
	if (impl == PKT_COOKIE_AVX512)
		for (; i + 8 <= n; i += 8)
			cookies8_avx512(k0, k1, saddr_be, daddr_be + i, sport_be + i, dport_be + i,
					out + i);
	if (impl >= PKT_COOKIE_AVX2)
		for (; i + 4 <= n; i += 4)
			cookies4_avx2(k0, k1, saddr_be, daddr_be + i, sport_be + i, dport_be + i,
				      out + i);
#else
	(void)impl;
#endif
	for (; i < n; i++)
		out[i] = pkt_cookie_k(k0, k1, saddr_be, daddr_be[i], sport_be[i], dport_be[i]);
}

void pkt_cookie_key_from_seed(uint64_t seed, uint8_t key[16])
{
	uint64_t z = seed;

	for (int k = 0; k < 2; k++) {
		uint64_t x = (z += 0x9e3779b97f4a7c15ULL);
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
		memcpy(key + 8 * k, &x, 8);
	}
}

/*
 * RFC 1071 4.1 and 2(C): 32-bit words summed into 64 bits (two per 8-byte
 * load, no carry to track below 2^32 words), then folded to 16 bits. A
 * 32-bit memory-order word is two 16-bit memory-order words at even
 * offsets, and 2^16 = 1 modulo 0xffff, so the folded sum is the 16-bit sum
 * of the words. The result is 0 only when every byte is 0, as the word by
 * word sum it replaces (the finished checksum is unchanged); it is at most
 * 0xffff, so callers may add a few of them in 32 bits before pkt_fold().
 */
uint32_t pkt_sum16(const void *p, unsigned len)
{
	const uint8_t *b = p;
	uint64_t s = 0, w;
	uint32_t h;

	for (; len >= 32; b += 32, len -= 32) {
		uint64_t a0, a1, a2, a3;
		memcpy(&a0, b, 8);
		memcpy(&a1, b + 8, 8);
		memcpy(&a2, b + 16, 8);
		memcpy(&a3, b + 24, 8);
		s += (a0 & 0xffffffffu) + (a0 >> 32) + (a1 & 0xffffffffu) + (a1 >> 32);
		s += (a2 & 0xffffffffu) + (a2 >> 32) + (a3 & 0xffffffffu) + (a3 >> 32);
	}
	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	if (len >= 4) {
		memcpy(&h, b, 4);
		s += h;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		s += pkt_load16(b);
		b += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {b[0], 0};
		s += pkt_load16(last);
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t pkt_csum(const void *p, unsigned len)
{
	return (uint16_t)~pkt_fold(pkt_sum16(p, len));
}

static uint32_t pseudo_sum(uint32_t saddr_be, uint32_t daddr_be, unsigned tcp_len)
{
	uint8_t ph[12];

	memcpy(ph, &saddr_be, 4);
	memcpy(ph + 4, &daddr_be, 4);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)(tcp_len >> 8);
	ph[11] = (uint8_t)tcp_len;
	return pkt_sum16(ph, sizeof(ph));
}

uint16_t pkt_tcp_csum(uint32_t saddr_be, uint32_t daddr_be, const void *tcp, unsigned len)
{
	return (uint16_t)~pkt_fold(pseudo_sum(saddr_be, daddr_be, len) + pkt_sum16(tcp, len));
}

static void put_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	pkt_put_be16(f + 12, type);
}

static void put_ip(uint8_t *ip, uint16_t total_len, uint32_t saddr_be, uint32_t daddr_be)
{
	ip[0] = 0x45;
	ip[1] = 0;
	pkt_put_be16(ip + 2, total_len);
	pkt_put_be16(ip + 4, 0);
	pkt_put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	pkt_put_be16(ip + 10, 0);
	memcpy(ip + 12, &saddr_be, 4);
	memcpy(ip + 16, &daddr_be, 4);
}

void pkt_syn_tmpl_init(struct pkt_syn_tmpl *t, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be, const uint8_t key[16], bool offload)
{
	uint8_t *ip, *tcp;

	memset(t, 0, sizeof(*t));
	put_eth(t->frame, dst_mac, src_mac, 0x0800);
	ip = t->frame + PKT_OFF_IP;
	tcp = t->frame + PKT_OFF_TCP;
	put_ip(ip, PKT_IP_LEN + PKT_SYN_TCP_LEN, saddr_be, 0);
	/* ports, seq: per packet; ack 0 */
	tcp[12] = (PKT_SYN_TCP_LEN / 4) << 4;
	tcp[13] = PKT_TCP_SYN;
	pkt_put_be16(tcp + 14, PKT_SYN_WINDOW);
	tcp[20] = 2; /* MSS (RFC 9293 3.2) */
	tcp[21] = 4;
	pkt_put_be16(tcp + 22, PKT_SYN_MSS);

	/* fixed words only: id, daddr, ports, seq and checksums are zero here */
	t->ip_sum = pkt_sum16(ip, PKT_IP_LEN);
	t->pseudo_sum = pseudo_sum(saddr_be, 0, PKT_SYN_TCP_LEN);
	t->tcp_sum = t->pseudo_sum + pkt_sum16(tcp, PKT_SYN_TCP_LEN);
	memcpy(&t->k0, key, 8);
	memcpy(&t->k1, key + 8, 8);
	t->saddr_be = saddr_be;
	t->offload = offload;
}

void pkt_rst_tmpl_init(struct pkt_rst_tmpl *t, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be)
{
	uint8_t *ip = t->frame + PKT_OFF_IP, *tcp = t->frame + PKT_OFF_TCP;

	memset(t, 0, sizeof(*t));
	put_eth(t->frame, dst_mac, src_mac, 0x0800);
	put_ip(ip, PKT_IP_LEN + 20, saddr_be, 0);
	tcp[12] = 5 << 4;
	tcp[13] = PKT_TCP_RST;
	t->ip_sum = pkt_sum16(ip, PKT_IP_LEN);
	t->tcp_sum = pseudo_sum(saddr_be, 0, 20) + pkt_sum16(tcp, 20);
}

bool pkt_parse_tcp(const uint8_t *f, unsigned len, struct pkt_tcp_view *v)
{
	const uint8_t *ip, *tcp;
	unsigned ihl, tot, doff;

	if (len < PKT_ETH_LEN + PKT_IP_LEN + 20 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	ip = f + PKT_ETH_LEN;
	ihl = (unsigned)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6)
		return false;
	tot = pkt_get_be16(ip + 2);
	if (tot > len - PKT_ETH_LEN || tot < ihl + 20)
		return false;
	if ((ip[6] & 0x3f) || ip[7]) /* fragments: not ours to reassemble */
		return false;
	tcp = ip + ihl;
	doff = (unsigned)(tcp[12] >> 4) * 4;
	if (doff < 20 || doff > tot - ihl)
		return false;
	memcpy(&v->saddr_be, ip + 12, 4);
	memcpy(&v->daddr_be, ip + 16, 4);
	memcpy(&v->sport_be, tcp, 2);
	memcpy(&v->dport_be, tcp + 2, 2);
	v->seq = pkt_get_be32(tcp + 4);
	v->ack = pkt_get_be32(tcp + 8);
	v->flags = tcp[13];
	v->window = pkt_get_be16(tcp + 14);
	v->opts = tcp + 20;
	v->opts_len = (uint8_t)(doff - 20);
	v->payload = tcp + doff;
	v->payload_len = (uint16_t)(tot - ihl - doff);
	return true;
}

bool pkt_tcp_csum_ok(const uint8_t *f, unsigned len)
{
	struct pkt_tcp_view v;
	const uint8_t *ip = f + PKT_OFF_IP;
	unsigned ihl, tot;

	if (!pkt_parse_tcp(f, len, &v))
		return false;
	ihl = (unsigned)(ip[0] & 0x0f) * 4;
	tot = pkt_get_be16(ip + 2);
	return pkt_csum(ip, ihl) == 0 &&
	       pkt_tcp_csum(v.saddr_be, v.daddr_be, ip + ihl, tot - ihl) == 0;
}

unsigned pkt_build_rst(uint8_t *f, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		       uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be, uint16_t dport_be,
		       uint32_t seq_host)
{
	uint8_t *ip = f + PKT_OFF_IP, *tcp = f + PKT_OFF_TCP;

	memset(f, 0, 60);
	put_eth(f, dst_mac, src_mac, 0x0800);
	put_ip(ip, PKT_IP_LEN + 20, saddr_be, daddr_be);
	pkt_store16(ip + 10, pkt_csum(ip, PKT_IP_LEN));
	memcpy(tcp, &sport_be, 2);
	memcpy(tcp + 2, &dport_be, 2);
	pkt_put_be32(tcp + 4, seq_host);
	tcp[12] = 5 << 4;
	tcp[13] = PKT_TCP_RST;
	pkt_store16(tcp + 16, pkt_tcp_csum(saddr_be, daddr_be, tcp, 20));
	return 60; /* padded to the Ethernet minimum */
}

unsigned pkt_build_arp(uint8_t *f, uint16_t op, const uint8_t src_mac[6], uint32_t src_ip_be,
		       const uint8_t dst_mac[6], uint32_t dst_ip_be)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6];
	uint8_t *a = f + PKT_ETH_LEN;

	memset(f, 0, PKT_ARP_LEN);
	put_eth(f, op == PKT_ARP_REQUEST ? bcast : dst_mac, src_mac, 0x0806);
	pkt_put_be16(a, 1); /* Ethernet */
	pkt_put_be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pkt_put_be16(a + 6, op);
	memcpy(a + 8, src_mac, 6);
	memcpy(a + 14, &src_ip_be, 4);
	memcpy(a + 18, op == PKT_ARP_REQUEST ? zero : dst_mac, 6);
	memcpy(a + 24, &dst_ip_be, 4);
	return PKT_ARP_LEN;
}

bool pkt_parse_arp(const uint8_t *f, unsigned len, uint16_t *op, uint8_t sha[6], uint32_t *spa_be,
		   uint32_t *tpa_be)
{
	const uint8_t *a = f + PKT_ETH_LEN;

	if (len < PKT_ETH_LEN + 28 || f[12] != 0x08 || f[13] != 0x06)
		return false;
	if (a[0] != 0 || a[1] != 1 || a[2] != 0x08 || a[3] != 0x00 || a[4] != 6 || a[5] != 4)
		return false;
	*op = (uint16_t)(a[6] << 8 | a[7]);
	memcpy(sha, a + 8, 6);
	memcpy(spa_be, a + 14, 4);
	memcpy(tpa_be, a + 24, 4);
	return true;
}

/* ---- ICMP (engine.h: eng_icmp_parse, eng_icmp_echo_build) ---- */

bool eng_icmp_parse(const uint8_t *f, unsigned len, struct eng_icmp *o)
{
	const uint8_t *ip, *ic, *q;
	unsigned ihl, tot, qihl;

	memset(o, 0, sizeof(*o));
	if (len < PKT_ETH_LEN + PKT_IP_LEN + 8 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	ip = f + PKT_ETH_LEN;
	ihl = (unsigned)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 1)
		return false;
	tot = (unsigned)ip[2] << 8 | ip[3];
	if (tot > len - PKT_ETH_LEN || tot < ihl + 8 || (ip[6] & 0x3f) || ip[7])
		return false;
	ic = ip + ihl;
	memcpy(&o->src_be, ip + 12, 4);
	memcpy(&o->dst_be, ip + 16, 4);
	o->type = ic[0];
	o->code = ic[1];
	if (o->type == ENG_ICMP_ECHO_REPLY || o->type == ENG_ICMP_ECHO) {
		memcpy(&o->echo_id_be, ic + 4, 2);
		memcpy(&o->echo_seq_be, ic + 6, 2);
		return true;
	}
	if (o->type != ENG_ICMP_TIME_EXCEEDED && o->type != ENG_ICMP_UNREACH)
		return true;
	/* the quoted header: a whole IPv4 header and 8 bytes after it */
	q = ic + 8;
	if (tot - ihl - 8 < 20)
		return true;
	qihl = (unsigned)(q[0] & 0x0f) * 4;
	if ((q[0] >> 4) != 4 || qihl < 20 || tot - ihl - 8 < qihl + 8)
		return true;
	o->quoted = true;
	o->q_proto = q[9];
	o->q_ttl = q[8];
	memcpy(&o->q_dst_be, q + 16, 4);
	if (o->q_proto == 6) {
		memcpy(&o->q_sport_be, q + qihl, 2);
		memcpy(&o->q_dport_be, q + qihl + 2, 2);
		o->q_seq = pkt_get_be32(q + qihl + 4);
	} else if (o->q_proto == 1) {
		memcpy(&o->echo_id_be, q + qihl + 4, 2);
		memcpy(&o->echo_seq_be, q + qihl + 6, 2);
	}
	return true;
}

unsigned eng_icmp_echo_build(uint8_t *f, const struct eng_l2 *l2, uint32_t dst_be, uint16_t id_be,
			     uint16_t seq_be, uint8_t ttl)
{
	uint8_t *ip = f + PKT_ETH_LEN, *ic = ip + PKT_IP_LEN;
	const unsigned ip_tot = PKT_IP_LEN + 16;

	memset(f, 0, 64);
	memcpy(f, l2->gw_mac, 6);
	memcpy(f + 6, l2->src_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_tot >> 8);
	ip[3] = (uint8_t)ip_tot;
	ip[6] = 0x40; /* DF */
	ip[8] = ttl;
	ip[9] = 1;
	memcpy(ip + 12, &l2->src_ip_be, 4);
	memcpy(ip + 16, &dst_be, 4);
	pkt_store16(ip + 10, pkt_csum(ip, PKT_IP_LEN));
	ic[0] = ENG_ICMP_ECHO;
	memcpy(ic + 4, &id_be, 2);
	memcpy(ic + 6, &seq_be, 2);
	memcpy(ic + 8, "tlsmap\0\0", 8);
	pkt_store16(ic + 2, pkt_csum(ic, 16));
	return 64;
}
