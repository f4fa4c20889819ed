/* SPDX-License-Identifier: MIT */
/*
 * Certificate records for the dataset: the parsed fields of parsers/x509.h
 * turned into a Tlsmap__V1__Certificate message (output/tlsmap.proto), with
 * the same rendering as `tlsmap x509` (RFC 4514 names, RFC 3339 times,
 * OpenSSL names for algorithms and usages).
 *
 * Ownership: the record owns every string and array it allocates and
 * cert_record_free() releases them; msg.der borrows the caller's DER, which
 * must stay valid until the message is packed.
 */
#ifndef TLSMAP_SCANNER_CERT_RECORD_H
#define TLSMAP_SCANNER_CERT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "parsers/x509.h"
#include "tlsmap.pb-c.h"

struct cert_record {
	Tlsmap__V1__Certificate msg;
	uint8_t sha256[32], sha1[20], spki_sha256[32];
};

/*
 * Fill @rec for the certificate @der (@len octets). @parsed is the result of
 * x509_parse() on the same bytes, or NULL to parse here. A certificate that
 * does not parse still gives a record: parsed=false, parse_error (the
 * X509_E_* code, negated) and parse_error_offset, with the digests over the
 * whole input. Returns 0, or -1 when allocation failed (@rec is then
 * released and must not be packed).
 */
int cert_record_fill(struct cert_record *rec, const uint8_t *der, size_t len,
		     const struct x509_cert *parsed);

void cert_record_free(struct cert_record *rec);

#endif
