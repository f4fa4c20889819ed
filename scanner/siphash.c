/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 over arbitrary bytes, written from the specification in
 * Aumasson and Bernstein, "SipHash: a fast short-input PRF" (2012): two
 * compression rounds per 8-byte little-endian block, the length in the top
 * byte of the last block, four finalisation rounds. Bytes are assembled with
 * shifts, so the result is the same on any host byte order.
 */
#include "scanner/siphash.h"

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void sip_key_init(struct sip_key *k, const uint8_t key[16])
{
	k->k0 = load_le64(key);
	k->k1 = load_le64(key + 8);
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	struct sip_key k;
	sip_key_init(&k, key);
	uint64_t v0 = k.k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = k.k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = k.k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = k.k1 ^ UINT64_C(0x7465646279746573);
	size_t full = len & ~(size_t)7;
	uint64_t m;

	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIP_ROUND_(v0, v1, v2, v3);
		SIP_ROUND_(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		m |= (uint64_t)in[full + i] << (8 * i);
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
