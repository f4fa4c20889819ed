/* SPDX-License-Identifier: MIT */
/*
 * Seams shared by x509.c (parse) and x509_render.c (output) inside
 * parsers/. Not included from other folders.
 */
#ifndef TLSMAP_PARSERS_X509_INTERNAL_H
#define TLSMAP_PARSERS_X509_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
bool x509_utf8_valid(const uint8_t *p, size_t len);

/* UTCTime (tag 0x17) or GeneralizedTime (0x18) content to unix seconds,
 * with OpenSSL 3.0's ASN1_TIME_to_tm acceptance rules. */
bool x509_time_decode(uint8_t tag, const uint8_t *a, size_t l, int64_t *out, bool *lax);

/* Built-in named curves: OpenSSL short name and order bits, NULL if not listed. */
const char *x509_curve_lookup(const uint8_t *oid, size_t len, uint32_t *bits);

#endif
