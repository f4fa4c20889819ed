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
 * The one certificate hash of a dataset: SHA-256 of the exact octets a
 * Certificate record stores in `der` (the whole chain entry as received,
 * octets after the Certificate TLV included, whether it parses or not).
 * Probe.chain and Certificate.sha256 both use it, so every hash a probe
 * references has a record: a trailing octet cannot make them differ.
 */
void cert_record_sha256(const uint8_t *entry, size_t len, uint8_t out[32]);

/*
 * Fill @rec for the certificate @der (@len octets). @parsed is the result of
 * x509_parse() on the same bytes, or NULL to parse here. A certificate that
 * does not parse still gives a record: parsed=false, parse_error (the
 * X509_E_* code, negated) and parse_error_offset. sha256 and sha1 are
 * always over all @len octets (cert_record_sha256()); spki_sha256 only
 * when parsed. Trailing octets set X509_ANOM_TRAILING_DATA. Returns 0, or -1 when allocation failed
 * (@rec is then released and must not be packed).
 */
int cert_record_fill(struct cert_record *rec, const uint8_t *der, size_t len,
		     const struct x509_cert *parsed);

void cert_record_free(struct cert_record *rec);

#endif
