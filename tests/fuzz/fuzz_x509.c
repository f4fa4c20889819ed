/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the X.509 reader (parsers/x509.h) and everything that
 * consumes its output: the input is parsed as DER; on success every slice
 * must lie inside the certificate, and the JSON printer, the SAN iterator,
 * the RFC 6125 matcher and the digests run over it. The same bytes are
 * also read as PEM text (the `tlsmap x509` input path), and each block
 * found is parsed in turn. With X509_FUZZ_DIFF set, an input tlsmap accepts
 * but OpenSSL's d2i_X509 rejects is also a finding.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions (the 'fuzz' suite's test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "parsers/verify.h"
#include "parsers/x509.h"

static FILE *sink;
/* X509_FUZZ_DIFF=1: also abort when tlsmap accepts what d2i_X509 rejects
 * (an exploration mode, off in CI: the replay and 60 s runs check safety). */
static int differential = -1;

static void in_range(const struct x509_cert *c, uint32_t off, uint32_t len)
{
	if ((uint64_t)off + len > c->der_len)
		abort();
}

static void check_der(const uint8_t *data, size_t size)
{
	struct x509_cert c;
	struct x509_san_iter it;
	struct x509_gname g;
	uint8_t h[32], h1[20], h2[32];

	if (x509_parse(data, size, &c) < 0) {
		if (c.err_offset > size)
			abort();
		return;
	}
	if (differential) {
		/* tlsmap may be stricter than OpenSSL (DER framing), never laxer */
		const unsigned char *p = data;
		X509 *x = d2i_X509(NULL, &p, (long)size);

		if (!x)
			abort();
		X509_free(x);
		ERR_clear_error();
	}
	if (c.der_len > size || c.san_count > X509_MAX_SAN || c.eku_count > X509_MAX_EKU ||
	    c.policy_count > X509_MAX_POLICY || c.ocsp_count > X509_MAX_AIA ||
	    c.ca_issuers_count > X509_MAX_AIA)
		abort();
	in_range(&c, c.tbs.off, c.tbs.len);
	in_range(&c, c.serial.off, c.serial.len);
	in_range(&c, c.subject.off, c.subject.len);
	in_range(&c, c.issuer.off, c.issuer.len);
	in_range(&c, c.spki.off, c.spki.len);
	in_range(&c, c.san_ext.off, c.san_ext.len);
	for (unsigned i = 0; i < c.san_count; i++)
		in_range(&c, c.san[i].off, c.san[i].len);
	x509_san_begin(&c, &it);
	unsigned n = 0;
	while (x509_san_next(data, &it, &g)) {
		in_range(&c, g.off, g.len);
		if (++n > c.san_total)
			abort();
	}
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (x509_fields_json(&c, data, sink) < 0)
		abort();
	(void)verify_name_matches(&c, data, "www.example.com");
	(void)verify_name_matches(&c, data, "192.0.2.1");
	x509_digests(data, &c, h, h1, h2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (differential < 0)
		differential = getenv("X509_FUZZ_DIFF") != NULL;
	check_der(data, size);
	if (size < (1u << 20)) {
		uint8_t *der = malloc(size + 1);
		size_t pos = 0;
		long n;

		if (!der)
			return 0;
		while ((n = x509_pem_next((const char *)data, size, &pos, der, size)) != 0) {
			if (n > (long)size)
				abort();
			if (n > 0)
				check_der(der, (size_t)n);
		}
		free(der);
	}
	return 0;
}
