/* SPDX-License-Identifier: MIT */
/*
 * verify.h: an X509_STORE shared read-only across workers, one
 * X509_STORE_CTX per verification, and an RFC 6125 matcher that works on
 * the parsed leaf (no second decode of the SANs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "parsers/verify.h"

struct verify_store {
	X509_STORE *store;
	size_t count;
	uint8_t sha256[32];
};

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Hash the anchors: SHA-256 over each anchor's DER, in order of their own
 * SHA-256, so the value does not depend on file order. */
static int hash_anchors(struct verify_store *vs)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(vs->store);
	int n = sk_X509_OBJECT_num(objs);
	uint8_t(*h)[32 + sizeof(X509 *)] = NULL;
	EVP_MD_CTX *md = NULL;
	int ret = -1;
	size_t k = 0;

	h = calloc((size_t)(n > 0 ? n : 1), sizeof(*h));
	md = EVP_MD_CTX_new();
	if (!h || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		goto out;
	for (int i = 0; i < n; i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		unsigned int l = 32;

		if (!x)
			continue;
		if (!X509_digest(x, EVP_sha256(), h[k], &l))
			goto out;
		memcpy(h[k] + 32, &x, sizeof(x));
		k++;
	}
	qsort(h, k, sizeof(*h), cmp_hash);
	for (size_t i = 0; i < k; i++) {
		X509 *x;
		unsigned char *der = NULL;
		int len;

		memcpy(&x, h[i] + 32, sizeof(x));
		len = i2d_X509(x, &der);
		if (len < 0)
			goto out;
		EVP_DigestUpdate(md, der, (size_t)len);
		OPENSSL_free(der);
	}
	if (!EVP_DigestFinal_ex(md, vs->sha256, NULL))
		goto out;
	vs->count = k;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	free(h);
	return ret;
}

/* A trust-anchor file is read as a stream (it may be a pipe or a FIFO) up to
 * this size: the system bundle is about 200 KB. */
#define VERIFY_ROOTS_MAX (64u << 20)

/*
 * Load every certificate (and CRL) of the PEM file @path into @store, as
 * X509_STORE_load_file() does, but from a buffer filled by a bounded read:
 * an endless stream is refused instead of read until memory runs out.
 * Returns 0 or -1 with @err set.
 */
static int load_anchors(X509_STORE *store, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	BIO *bio = NULL;
	STACK_OF(X509_INFO) *infos = NULL;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 1u << 16;
			char *nb;
			if (cap >= VERIFY_ROOTS_MAX) {
				snprintf(err, errlen, "%s: larger than %u MB", path,
					 VERIFY_ROOTS_MAX >> 20);
				goto out;
			}
			nb = realloc(buf, nc);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error", path);
				goto out;
			}
			break;
		}
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
	if (!infos) {
		unsigned long e = ERR_peek_last_error();
		char ebuf[128];

		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: cannot load trust anchors (%s)", path, ebuf);
		ERR_clear_error();
		goto out;
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);
		if ((xi->x509 && !X509_STORE_add_cert(store, xi->x509)) ||
		    (xi->crl && !X509_STORE_add_crl(store, xi->crl))) {
			snprintf(err, errlen, "%s: cannot add trust anchor %d", path, i);
			ERR_clear_error();
			goto out;
		}
	}
	ret = 0;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	free(buf);
	fclose(f);
	return ret;
}

struct verify_store *verify_store_new(const char *roots_path, char *err, size_t errlen)
{
	const char *path = roots_path ? roots_path : VERIFY_SYSTEM_BUNDLE;
	struct verify_store *vs = calloc(1, sizeof(*vs));

	if (!vs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vs->store = X509_STORE_new();
	if (!vs->store) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load_anchors(vs->store, path, err, errlen) < 0)
		goto fail;
	if (hash_anchors(vs) < 0) {
		snprintf(err, errlen, "%s: cannot hash trust anchors", path);
		goto fail;
	}
	if (vs->count == 0) {
		snprintf(err, errlen, "%s: no certificates", path);
		goto fail;
	}
	return vs;
fail:
	verify_store_free(vs);
	return NULL;
}

void verify_store_free(struct verify_store *vs)
{
	if (!vs)
		return;
	X509_STORE_free(vs->store);
	free(vs);
}

size_t verify_store_count(const struct verify_store *vs)
{
	return vs->count;
}

void verify_store_sha256(const struct verify_store *vs, uint8_t out[32])
{
	memcpy(out, vs->sha256, 32);
}

int verify_chain(const struct verify_store *vs, const struct verify_cert *chain, size_t n,
		 int64_t at, struct verify_result *out)
{
	X509 *certs[VERIFY_MAX_CHAIN] = {0};
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	int ret = VERIFY_E_NOMEM;

	memset(out, 0, sizeof(*out));
	out->depth = -1;
	if (!vs || !chain || n == 0)
		return VERIFY_E_ARG;
	if (n > VERIFY_MAX_CHAIN)
		n = VERIFY_MAX_CHAIN;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = chain[i].der;

		if (chain[i].len > INT32_MAX ||
		    !(certs[i] = d2i_X509(NULL, &p, (long)chain[i].len))) {
			ERR_clear_error();
			out->error = -1;
			out->depth = (int)i;
			snprintf(out->error_str, sizeof(out->error_str),
				 "certificate does not parse");
			ret = 0;
			goto out;
		}
	}
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (!untrusted || !ctx)
		goto out;
	for (size_t i = 1; i < n; i++)
		if (!sk_X509_push(untrusted, certs[i]))
			goto out;
	if (!X509_STORE_CTX_init(ctx, vs->store, certs[0], untrusted))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	out->verified = X509_verify_cert(ctx) == 1;
	out->error = out->verified ? 0 : X509_STORE_CTX_get_error(ctx);
	out->depth = out->verified ? -1 : X509_STORE_CTX_get_error_depth(ctx);
	snprintf(out->error_str, sizeof(out->error_str), "%s",
		 X509_verify_cert_error_string(out->error));
	ERR_clear_error();
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	for (size_t i = 0; i < n; i++)
		X509_free(certs[i]);
	return ret;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality of @a (@alen octets) and @b (@blen). */
static bool label_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool is_ip_literal(const char *host)
{
	uint8_t buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

bool verify_dns_match(const char *pattern, size_t plen, const char *host)
{
	size_t hlen = strlen(host);

	if (hlen && host[hlen - 1] == '.')
		hlen--;
	if (plen && pattern[plen - 1] == '.')
		plen--;
	if (!plen || !hlen || memchr(pattern, 0, plen))
		return false;
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)pattern[i] > 0x7e || (unsigned char)pattern[i] < 0x21)
			return false;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *prest = pattern + 1; /* ".example.com" */
		size_t prlen = plen - 1;
		const char *dot;
		size_t dots = 0;

		for (size_t i = 0; i < prlen; i++)
			dots += prest[i] == '.';
		/* "*.com" has one label after the wildcard: too broad */
		if (dots < 2 || memchr(prest, '*', prlen) || is_ip_literal(host))
			return false;
		dot = memchr(host, '.', hlen);
		if (!dot || dot == host)
			return false;
		return label_eq(dot, hlen - (size_t)(dot - host), prest, prlen);
	}
	if (memchr(pattern, '*', plen))
		return false; /* partial-label wildcards are not honoured */
	return label_eq(pattern, plen, host, hlen);
}

bool verify_name_matches(const struct x509_cert *leaf, const uint8_t *der, const char *sni)
{
	struct x509_san_iter it;
	struct x509_gname g;
	uint8_t ip[16];
	size_t iplen = 0;
	bool has_dns = false;

	if (!leaf || !der || !sni || !*sni)
		return false;
	if (inet_pton(AF_INET, sni, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, sni, ip) == 1)
		iplen = 16;
	x509_san_begin(leaf, &it);
	while (x509_san_next(der, &it, &g)) {
		if (iplen) {
			if (g.type == X509_GN_IP && g.len == iplen &&
			    !memcmp(der + g.off, ip, iplen))
				return true;
			continue;
		}
		if (g.type != X509_GN_DNS)
			continue;
		has_dns = true;
		if (verify_dns_match((const char *)der + g.off, g.len, sni))
			return true;
	}
	if (iplen || has_dns)
		return false;
	if (!leaf->subject_cn.tag || leaf->subject_cn.tag == 0x1e || leaf->subject_cn.tag == 0x1c)
		return false; /* no CN, or a wide string: not a host name */
	return verify_dns_match((const char *)der + leaf->subject_cn.off, leaf->subject_cn.len,
				sni);
}
