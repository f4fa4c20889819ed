/* SPDX-License-Identifier: MIT */
/*
 * Chain verification with OpenSSL and RFC 6125 name matching.
 *
 * A verify_store is built once at start-up from the system bundle
 * (Debian's ca-certificates, /etc/ssl/certs/ca-certificates.crt) or a
 * --roots PEM file, then shared read-only by every worker thread: OpenSSL's
 * X509_STORE locks its own lookups, and each verify_chain() call uses its
 * own X509_STORE_CTX, so concurrent calls are safe.
 *
 * Verification is of the chain *as presented* (leaf first, the rest as
 * untrusted intermediates), at the probe's time, for the TLS server
 * purpose. Name matching is a separate fact (Probe.name_matches).
 */
#ifndef TLSMAP_PARSERS_VERIFY_H
#define TLSMAP_PARSERS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/x509.h"

#define VERIFY_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define VERIFY_MAX_CHAIN 16 /* certificates beyond this are not passed to OpenSSL */

enum verify_err {
	VERIFY_OK = 0,
	VERIFY_E_ARG = -1, /* empty chain or NULL argument */
	VERIFY_E_NOMEM = -2,
};

struct verify_store;

/*
 * Load trust anchors from @roots_path (PEM, any number of certificates), or
 * from VERIFY_SYSTEM_BUNDLE when NULL. Returns NULL on failure with a
 * message naming the file in @err. Free with verify_store_free().
 */
struct verify_store *verify_store_new(const char *roots_path, char *err, size_t errlen);
void verify_store_free(struct verify_store *vs);

/* Number of anchors, and SHA-256 over their DER, sorted by each DER's
 * SHA-256 (ScanMeta.roots_sha256). */
size_t verify_store_count(const struct verify_store *vs);
void verify_store_sha256(const struct verify_store *vs, uint8_t out[32]);

struct verify_cert {
	const uint8_t *der;
	size_t len;
};

struct verify_result {
	bool verified;
	int error;	     /* X509_V_* code, 0 when verified */
	int depth;	     /* chain depth of the error (-1 if none) */
	char error_str[128]; /* X509_verify_cert_error_string(), "ok" when verified */
};

/*
 * Verify @chain[0..n) (leaf first) against @vs at unix time @at. Returns 0
 * with @out filled (a certificate OpenSSL cannot decode gives verified =
 * false, error_str "certificate does not parse"), or a negative
 * VERIFY_E_* code. Allocates per call; thread-safe.
 */
int verify_chain(const struct verify_store *vs, const struct verify_cert *chain, size_t n,
		 int64_t at, struct verify_result *out);

/*
 * RFC 6125 6.4: does the leaf name @sni? SAN dNSNames when there is at
 * least one (the subject CN is then ignored), else the subject CN; an IP
 * literal SNI matches only an iPAddress SAN. Case-insensitive; a trailing
 * dot is ignored; a wildcard only as the whole leftmost label of a pattern
 * with at least two further labels, matching exactly one label, and never
 * for an IP literal. False when @leaf is NULL (did not parse).
 */
bool verify_name_matches(const struct x509_cert *leaf, const uint8_t *der, const char *sni);

/* One dNSName pattern (@plen octets, may hold NULs) against @host. */
bool verify_dns_match(const char *pattern, size_t plen, const char *host);

#endif
