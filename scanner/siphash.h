/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed 64-bit PRF. The engine uses it for SYN cookies: the
 * initial sequence number of each probe is the hash of the 4-tuple under a
 * per-scan secret, so a SYN-ACK can be validated without per-probe state
 * and an off-path host cannot forge one.
 *
 * siphash24() hashes arbitrary bytes. siphash24_u32x3() is the same
 * function specialised to exactly 12 bytes given as three 32-bit words
 * (for example src_ip_be, dst_ip_be, sport_be | dport_be << 16): its value
 * equals siphash24() over the little-endian encoding of a, b, c, which on
 * a little-endian host is their in-memory bytes.
 */
#ifndef TLSMAP_SCANNER_SIPHASH_H
#define TLSMAP_SCANNER_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct sip_key {
	uint64_t k0, k1; /* the 16 key bytes read as two little-endian words */
};

void sip_key_init(struct sip_key *k, const uint8_t key[16]);

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#define SIP_ROTL_(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND_(v0, v1, v2, v3)                                                                 \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = SIP_ROTL_(v1, 13);                                                            \
		v1 ^= v0;                                                                          \
		v0 = SIP_ROTL_(v0, 32);                                                            \
		v2 += v3;                                                                          \
		v3 = SIP_ROTL_(v3, 16);                                                            \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = SIP_ROTL_(v3, 21);                                                            \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = SIP_ROTL_(v1, 17);                                                            \
		v1 ^= v2;                                                                          \
		v2 = SIP_ROTL_(v2, 32);                                                            \
	} while (0)

/* siphash24 of the 12 bytes LE(a) || LE(b) || LE(c), with no loads or branches. */
static inline uint64_t siphash24_u32x3(const struct sip_key *k, uint32_t a, uint32_t b, uint32_t c)
{
	uint64_t v0 = k->k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = k->k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = k->k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = k->k1 ^ UINT64_C(0x7465646279746573);
	uint64_t m = (uint64_t)a | (uint64_t)b << 32;
	v3 ^= m;
	SIP_ROUND_(v0, v1, v2, v3);
	SIP_ROUND_(v0, v1, v2, v3);
	v0 ^= m;
	m = (uint64_t)c | (UINT64_C(12) << 56); /* last block: 4 bytes + length byte */
	v3 ^= m;
	SIP_ROUND_(v0, v1, v2, v3);
	SIP_ROUND_(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIP_ROUND_(v0, v1, v2, v3);
	SIP_ROUND_(v0, v1, v2, v3);
	SIP_ROUND_(v0, v1, v2, v3);
	SIP_ROUND_(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif
