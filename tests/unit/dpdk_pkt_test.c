/* SPDX-License-Identifier: MIT */
/*
 * dpdk/pkt.c without an EAL: the SYN template's incrementally finished
 * checksums equal a full recomputation for many random fields; the cookie
 * is SipHash-2-4 (the reference test vector for 12 bytes); the offload variant
 * leaves the pseudo-header sum; RST and ARP frames round-trip through the
 * parsers; the TCP parser rejects truncated and fragmented frames.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk/engine.h"
#include "dpdk/pkt.h"
#include "tests/unit/test.h"

static uint64_t rng = 0x1234567887654321ULL;
static uint64_t next_rand(void)
{
	return test_rand(&rng);
}

static const uint8_t src_mac[6] = {2, 0, 0, 0, 0, 2}, gw_mac[6] = {2, 0, 0, 0, 0, 1};

static void test_syn(void)
{
	struct pkt_syn_tmpl t, toff;
	uint8_t key[16], f[64];
	uint32_t saddr_be = __builtin_bswap32(0xc6130001);

	for (int k = 0; k < 16; k++)
		key[k] = (uint8_t)k;
	pkt_syn_tmpl_init(&t, src_mac, gw_mac, saddr_be, key, false);
	pkt_syn_tmpl_init(&toff, src_mac, gw_mac, saddr_be, key, true);
	for (int i = 0; i < 100000; i++) {
		uint32_t daddr_be = (uint32_t)next_rand();
		uint16_t sport = (uint16_t)next_rand(), dport = (uint16_t)next_rand();
		uint16_t ipid = (uint16_t)next_rand();
		struct pkt_tcp_view v;
		pkt_syn_fill(&t, f, daddr_be, sport, dport, ipid);
		/* a valid checksum sums to 0 (stored ~sum) */
		CHECK(pkt_csum(f + PKT_OFF_IP, PKT_IP_LEN) == 0);
		CHECK(pkt_tcp_csum(saddr_be, daddr_be, f + PKT_OFF_TCP, PKT_SYN_TCP_LEN) == 0);
		CHECK(pkt_parse_tcp(f, PKT_SYN_LEN, &v));
		CHECK(v.flags == PKT_TCP_SYN && v.daddr_be == daddr_be && v.dport_be == dport);
		CHECK(v.seq == pkt_cookie_k(t.k0, t.k1, saddr_be, daddr_be, sport, dport));
		CHECK(v.payload_len == 0);
		/* the window and the options (the MSS the template carries) */
		CHECK(v.window == PKT_SYN_WINDOW && v.opts_len == 4 && v.opts[0] == 2 &&
		      pkt_get_be16(v.opts + 2) == PKT_SYN_MSS);
		CHECK(pkt_tcp_csum_ok(f, PKT_SYN_LEN));
		if (failures)
			break;
		/* offload: IP checksum left 0, TCP field holds the pseudo-header sum */
		pkt_syn_fill(&toff, f, daddr_be, sport, dport, ipid);
		uint8_t ph[12];
		memcpy(ph, &saddr_be, 4);
		memcpy(ph + 4, &daddr_be, 4);
		ph[8] = 0;
		ph[9] = 6;
		ph[10] = 0;
		ph[11] = PKT_SYN_TCP_LEN;
		CHECK(pkt_load16(f + PKT_OFF_TCP + 16) == pkt_fold(pkt_sum16(ph, 12)));
		CHECK(pkt_load16(f + PKT_OFF_IP + 10) == 0);
	}
	/* MSS option and frame basics */
	pkt_syn_fill(&t, f, 0x01020304, 0x1111, 0xbb01, 7);
	CHECK(f[PKT_OFF_TCP + 20] == 2 && f[PKT_OFF_TCP + 21] == 4);
	CHECK(f[PKT_OFF_TCP + 22] == (PKT_SYN_MSS >> 8) &&
	      f[PKT_OFF_TCP + 23] == (PKT_SYN_MSS & 255));
	CHECK(!memcmp(f, gw_mac, 6) && !memcmp(f + 6, src_mac, 6));
	CHECK(f[PKT_OFF_IP + 2] == 0 && f[PKT_OFF_IP + 3] == 44);
}

static void test_siphash_2w_vector(void)
{
	/* The 16-byte form used by dpdk/tcp: message 00..0f, key 00..0f gives
	 * db 9b c2 57 7f cc 2a 3f (the reference vectors' entry 16; also
	 * `openssl mac -macopt hexkey:0001..0f -macopt size:8 SIPHASH`). */
	uint64_t key[2], m0, m1;
	uint8_t b[16];
	for (int k = 0; k < 16; k++)
		b[k] = (uint8_t)k;
	memcpy(key, b, 16);
	memcpy(&m0, b, 8);
	memcpy(&m1, b + 8, 8);
	CHECK(pkt_siphash_2w(key, m0, m1) == 0x3f2acc7f57c29bdbULL);
}

static void test_siphash_vector(void)
{
	/* SipHash-2-4 with the reference key 00..0f over the 12-byte message
	 * 00..0b is 0x751e8fbc860ee5fb (the reference vectors' entry 12, bytes
	 * fb e5 0e 86 bc 8f 1e 75); the cookie is its low 32 bits. */
	uint64_t k0, k1;
	uint8_t key[16];
	for (int k = 0; k < 16; k++)
		key[k] = (uint8_t)k;
	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t msg[12];
	for (int k = 0; k < 12; k++)
		msg[k] = (uint8_t)k;
	memcpy(&saddr, msg, 4);
	memcpy(&daddr, msg + 4, 4);
	memcpy(&sport, msg + 8, 2);
	memcpy(&dport, msg + 10, 2);
	uint32_t got = pkt_cookie_k(k0, k1, saddr, daddr, sport, dport);
	CHECK_EQ_U64(got, 0x860ee5fbu);
}

static void test_rst_arp(void)
{
	uint8_t f[64], sha[6];
	struct pkt_tcp_view v;
	uint16_t op;
	uint32_t spa, tpa;
	uint32_t a = __builtin_bswap32(0xc6130001), b = __builtin_bswap32(0xc6120005);

	CHECK(pkt_build_rst(f, src_mac, gw_mac, a, b, 0x3412, 0xbb01, 0xdeadbeef) == 60);
	CHECK(pkt_parse_tcp(f, 60, &v));
	CHECK(v.flags == PKT_TCP_RST && v.seq == 0xdeadbeef);
	CHECK(pkt_csum(f + PKT_OFF_IP, PKT_IP_LEN) == 0);
	CHECK(pkt_tcp_csum(a, b, f + PKT_OFF_TCP, 20) == 0);
	CHECK(pkt_tcp_csum_ok(f, 60) && v.opts_len == 0 && v.window == 0);
	f[PKT_OFF_TCP + 4] ^= 1; /* one bit of the sequence number: the TCP checksum fails */
	CHECK(!pkt_tcp_csum_ok(f, 60));
	f[PKT_OFF_TCP + 4] ^= 1;
	f[PKT_OFF_IP + 8] ^= 1; /* the TTL: the IPv4 header checksum fails */
	CHECK(!pkt_tcp_csum_ok(f, 60));
	f[PKT_OFF_IP + 8] ^= 1;
	/* the RX path's RST template gives the same bytes as the builder */
	{
		struct pkt_rst_tmpl rt;
		uint8_t g[64];
		pkt_rst_tmpl_init(&rt, src_mac, gw_mac, a);
		for (int i = 0; i < 10000; i++) {
			uint32_t d = (uint32_t)next_rand(), seq = (uint32_t)next_rand();
			uint16_t sp = (uint16_t)next_rand(), dp = (uint16_t)next_rand();
			pkt_build_rst(f, src_mac, gw_mac, a, d, sp, dp, seq);
			pkt_rst_fill(&rt, g, d, sp, dp, seq);
			if (memcmp(f, g, 60)) {
				CHECK(!"RST template differs from pkt_build_rst");
				break;
			}
		}
		pkt_build_rst(f, src_mac, gw_mac, a, b, 0x3412, 0xbb01, 0xdeadbeef);
	}
	/* truncated and fragmented frames are refused */
	CHECK(!pkt_parse_tcp(f, 40, &v));
	f[PKT_OFF_IP + 6] |= 0x20; /* MF */
	CHECK(!pkt_parse_tcp(f, 60, &v));

	CHECK(pkt_build_arp(f, PKT_ARP_REQUEST, src_mac, a, NULL, b) == PKT_ARP_LEN);
	CHECK(f[0] == 0xff && f[5] == 0xff);
	CHECK(pkt_parse_arp(f, PKT_ARP_LEN, &op, sha, &spa, &tpa));
	CHECK(op == PKT_ARP_REQUEST && spa == a && tpa == b && !memcmp(sha, src_mac, 6));
	CHECK(pkt_build_arp(f, PKT_ARP_REPLY, gw_mac, b, src_mac, a) == PKT_ARP_LEN);
	CHECK(!memcmp(f, src_mac, 6));
	CHECK(pkt_parse_arp(f, PKT_ARP_LEN, &op, sha, &spa, &tpa));
	CHECK(op == PKT_ARP_REPLY && spa == b && tpa == a && !memcmp(sha, gw_mac, 6));
	f[12] = 0x08;
	f[13] = 0x00;
	CHECK(!pkt_parse_arp(f, PKT_ARP_LEN, &op, sha, &spa, &tpa));
}

/* The burst (AVX-512/AVX2/scalar, TLSMAP_COOKIE_IMPL caps) equals the scalar cookie. */
static void test_cookie_burst(void)
{
	enum pkt_cookie_impl impl = pkt_cookie_pick(getenv("TLSMAP_COOKIE_IMPL"));
	uint32_t d[37], out[37];
	uint16_t sp[37], dp[37];
	uint64_t k0 = next_rand(), k1 = next_rand();
	uint32_t sa = (uint32_t)next_rand();

	for (int round = 0; round < 2000; round++) {
		unsigned n = (unsigned)(next_rand() % 38);
		for (unsigned i = 0; i < n; i++) {
			d[i] = (uint32_t)next_rand();
			sp[i] = (uint16_t)next_rand();
			dp[i] = (uint16_t)next_rand();
		}
		pkt_cookie_burst(impl, k0, k1, sa, d, sp, dp, out, n);
		for (unsigned i = 0; i < n; i++)
			if (out[i] != pkt_cookie_k(k0, k1, sa, d[i], sp[i], dp[i])) {
				fprintf(stderr, "burst cookie %u of %u differs (%s)\n", i, n,
					pkt_cookie_impl_name(impl));
				failures++;
				return;
			}
	}
	printf("cookie burst: %s\n", pkt_cookie_impl_name(impl));
}

/* ICMP echo requests built for localisation, and the ICMP the
 * engine hands to the stage: echo replies and time-exceeded quoting TCP. */
static void test_icmp(void)
{
	struct eng_l2 l2 = {.src_mac = {2, 0, 0, 0, 0, 1}, .gw_mac = {2, 0, 0, 0, 0, 2}};
	uint8_t f[128], te[128];
	struct eng_icmp ic;
	uint32_t dst, router;

	memcpy(&l2.src_ip_be, (uint8_t[]){198, 19, 0, 2}, 4);
	memcpy(&dst, (uint8_t[]){198, 18, 0, 7}, 4);
	memcpy(&router, (uint8_t[]){198, 19, 200, 2}, 4);
	unsigned n = eng_icmp_echo_build(f, &l2, dst, 0xbb01, 0x4300, 5);
	CHECK(n == 64 && f[14 + 8] == 5 && f[14 + 9] == 1);
	CHECK(pkt_csum(f + 14, 20) == 0 && pkt_csum(f + 34, 16) == 0); /* both sums valid */
	CHECK(eng_icmp_parse(f, n, &ic) && ic.type == ENG_ICMP_ECHO && ic.echo_id_be == 0xbb01 &&
	      ic.echo_seq_be == 0x4300 && ic.dst_be == dst && ic.src_be == l2.src_ip_be);

	/* a time-exceeded from a router quoting a TCP segment of ours */
	memset(te, 0, sizeof(te));
	memcpy(te, f, 14);
	uint8_t *ip = te + 14, *icmp = ip + 20, *q = icmp + 8;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 28;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &router, 4);
	memcpy(ip + 16, &l2.src_ip_be, 4);
	icmp[0] = ENG_ICMP_TIME_EXCEEDED;
	q[0] = 0x45;
	q[8] = 1; /* TTL left */
	q[9] = 6;
	memcpy(q + 12, &l2.src_ip_be, 4);
	memcpy(q + 16, &dst, 4);
	memcpy(q + 20, (uint8_t[]){0xc0, 0x01, 0x01, 0xbb, 0, 0, 0x10, 0x01}, 8);
	n = 14 + 20 + 8 + 28;
	CHECK(eng_icmp_parse(te, n, &ic) && ic.type == ENG_ICMP_TIME_EXCEEDED && ic.quoted &&
	      ic.q_proto == 6 && ic.q_dst_be == dst && ic.src_be == router && ic.q_ttl == 1);
	CHECK(ic.q_sport_be == htobe16(0xc001) && ic.q_dport_be == htobe16(443) &&
	      ic.q_seq == 0x1001);
	/* a quote shorter than IP header + 8 bytes: parsed, but not matched */
	ip[3] = 20 + 8 + 24;
	CHECK(eng_icmp_parse(te, n, &ic) && !ic.quoted);
	/* refused: total length beyond the frame, not ICMP, not IPv4, fragment */
	ip[3] = 200;
	CHECK(!eng_icmp_parse(te, n, &ic));
	ip[3] = 20 + 8 + 28;
	ip[9] = 6;
	CHECK(!eng_icmp_parse(te, n, &ic));
	ip[9] = 1;
	te[12] = 0x86;
	CHECK(!eng_icmp_parse(te, n, &ic));
	te[12] = 0x08;
	ip[6] = 0x20;
	CHECK(!eng_icmp_parse(te, n, &ic));
	CHECK(!eng_icmp_parse(te, 20, &ic));
}

/* RFC 1071 by the book: big-endian 16-bit words, an odd last byte padded,
 * end-around carry; compared with pkt_csum() stored raw (memory order). */
static uint16_t csum_rfc1071(const uint8_t *b, unsigned len)
{
	uint32_t s = 0;
	for (unsigned i = 0; i < len; i++)
		s += i & 1 ? b[i] : (uint32_t)b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_csum_lengths(void)
{
	static uint8_t buf[1600 + 8];
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < sizeof(buf); i++) /* random, all 0xff, all 0 */
			buf[i] = round == 0 ? (uint8_t)next_rand() : round == 1 ? 0xff : 0;
		for (unsigned len = 0; len <= 1600; len += len < 80 ? 1 : 37)
			for (unsigned off = 0; off < 8; off++) {
				uint16_t raw = pkt_csum(buf + off, len);
				uint8_t be[2];
				memcpy(be, &raw, 2);
				CHECK(((unsigned)be[0] << 8 | be[1]) ==
				      csum_rfc1071(buf + off, len));
				CHECK(pkt_sum16(buf + off, len) <= 0xffff);
			}
	}
	CHECK(pkt_sum16(buf, 1600) == 0); /* all zero: 0, not 0xffff */
}

int main(void)
{
	test_csum_lengths();
	test_cookie_burst();
	test_syn();
	test_siphash_vector();
	test_siphash_2w_vector();
	test_rst_arp();
	test_icmp();
	TEST_DONE();
}
