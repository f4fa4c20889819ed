/* SPDX-License-Identifier: MIT */
/*
 * Test helper (header-only): build real certificates with OpenSSL's API for
 * the verify and verdict tests, and hand them to tlsmap as DER + parsed
 * struct. Aborts the test on any OpenSSL failure: these are fixtures.
 */
#ifndef TLSMAP_TESTS_PARSERS_X509_TESTCERTS_H
#define TLSMAP_TESTS_PARSERS_X509_TESTCERTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "parsers/x509.h"

#define TC_CHECK(x)                                                                                \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fixture failed: %s (%s:%d)\n", #x, __FILE__, __LINE__);   \
			exit(99);                                                                  \
		}                                                                                  \
	} while (0)

static inline EVP_PKEY *tc_key_ec(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	TC_CHECK(k);
	return k;
}

static inline EVP_PKEY *tc_key_rsa(unsigned bits, unsigned e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *k = NULL;
	BIGNUM *bn = BN_new();

	TC_CHECK(ctx && bn && BN_set_word(bn, e));
	TC_CHECK(EVP_PKEY_keygen_init(ctx) > 0);
	TC_CHECK(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0);
	TC_CHECK(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn) > 0);
	TC_CHECK(EVP_PKEY_keygen(ctx, &k) > 0);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

struct tc_opts {
	const char *cn, *o, *c;
	const char *san; /* "DNS:a,IP:1.2.3.4" (openssl config syntax) or NULL */
	bool ca;
	long serial;
	time_t not_before, not_after;
};

/* Certificate for @key signed by @issuer/@issuer_key (self-signed if NULL). */
static inline X509 *tc_make(EVP_PKEY *key, const struct tc_opts *o, X509 *issuer,
			    EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	TC_CHECK(x && n);
	TC_CHECK(X509_set_version(x, 2));
	TC_CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial ? o->serial : 1));
	if (o->c)
		TC_CHECK(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
						    (const unsigned char *)o->c, -1, -1, 0));
	if (o->o)
		TC_CHECK(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
						    (const unsigned char *)o->o, -1, -1, 0));
	if (o->cn)
		TC_CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)o->cn, -1, -1, 0));
	TC_CHECK(X509_set_subject_name(x, n));
	TC_CHECK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
	TC_CHECK(ASN1_TIME_set(X509_getm_notBefore(x), o->not_before));
	TC_CHECK(ASN1_TIME_set(X509_getm_notAfter(x), o->not_after));
	TC_CHECK(X509_set_pubkey(x, key));
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  o->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	TC_CHECK(ext && X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
				  o->ca ? "critical,keyCertSign,cRLSign"
					: "critical,digitalSignature,keyEncipherment");
	TC_CHECK(ext && X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	if (!o->ca) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "serverAuth");
		TC_CHECK(ext && X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	if (o->san) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, o->san);
		TC_CHECK(ext && X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
	}
	TC_CHECK(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

/* A certificate as tlsmap sees it: DER, parsed struct, SHA-256. */
struct tc_cert {
	uint8_t *der;
	size_t len;
	struct x509_cert parsed;
	uint8_t sha256[32];
};

static inline void tc_import(X509 *x, struct tc_cert *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	TC_CHECK(len > 0);
	out->der = der;
	out->len = (size_t)len;
	TC_CHECK(x509_parse(der, (size_t)len, &out->parsed) == 0);
	SHA256(der, (size_t)len, out->sha256);
}

static inline void tc_write_pem(const char *path, X509 *const *xs, size_t n)
{
	FILE *f = fopen(path, "w");

	TC_CHECK(f);
	for (size_t i = 0; i < n; i++)
		TC_CHECK(PEM_write_X509(f, xs[i]));
	fclose(f);
}

#endif
