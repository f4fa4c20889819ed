/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4: the vectors of the reference implementation (key 00..0f,
 * message 00..len-1; the 15-byte one is the paper's appendix A example),
 * agreement with OpenSSL's SIPHASH MAC for every length 0..64 and a few
 * long ones, and the 12-byte fast path equal to the generic function.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "scanner/siphash.h"
#include "tests/unit/scanner_test.h"

static uint64_t openssl_siphash(const uint8_t key[16], const uint8_t *msg, size_t len)
{
	uint8_t out[8];
	size_t outlen = 0;
	size_t size = 8;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
			       OSSL_PARAM_construct_end()};
	if (!ctx || !EVP_MAC_init(ctx, key, 16, params) || !EVP_MAC_update(ctx, msg, len) ||
	    !EVP_MAC_final(ctx, out, &outlen, sizeof(out)) || outlen != 8) {
		fprintf(stderr, "openssl SIPHASH unavailable\n");
		test_failures++;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

int main(void)
{
	uint8_t key[16], msg[1500];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	CHECK(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(siphash24(key, msg, 1) == 0x74f839c593dc67fdULL);
	CHECK(siphash24(key, msg, 2) == 0x0d6c8009d9a94f5aULL);
	CHECK(siphash24(key, msg, 3) == 0x85676696d7fb7e2dULL);
	CHECK(siphash24(key, msg, 4) == 0xcf2794e0277187b7ULL);
	CHECK(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
	CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL); /* paper, appendix A */

	for (size_t i = 64; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= 64; len++)
		CHECK(siphash24(key, msg, len) == openssl_siphash(key, msg, len));
	CHECK(siphash24(key, msg, 1500) == openssl_siphash(key, msg, 1500));
	CHECK(siphash24(key, msg + 3, 1001) == openssl_siphash(key, msg + 3, 1001));

	/* fast path == generic over the little-endian bytes of the three words */
	struct sip_key k;
	uint8_t key2[16];
	for (int i = 0; i < 16; i++)
		key2[i] = (uint8_t)(0xa5 ^ (i * 29));
	sip_key_init(&k, key2);
	uint32_t w = 0x12345678;
	for (int t = 0; t < 1000; t++) {
		uint32_t a = w = w * 1103515245 + 12345, b = w = w * 1103515245 + 12345,
			 c = w = w * 1103515245 + 12345;
		uint8_t bytes[12];
		uint32_t words[3] = {a, b, c};
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 4; j++)
				bytes[4 * i + j] = (uint8_t)(words[i] >> (8 * j));
		if (siphash24_u32x3(&k, a, b, c) != siphash24(key2, bytes, 12)) {
			test_failures++;
			break;
		}
	}
	/* 12-byte reference: key 00..0f, msg 00..0b */
	sip_key_init(&k, key);
	CHECK(siphash24_u32x3(&k, 0x03020100, 0x07060504, 0x0b0a0908) == siphash24(key, msg, 12));
	TEST_DONE();
}
